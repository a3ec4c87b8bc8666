"""Builds the parts the commands and the API share, from one Settings."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

from corpus.chunker import ChunkSettings, TokenCounter, approx_tokens
from corpus.readers import ReadSettings
from search_api.settings import Settings

if TYPE_CHECKING:  # the index and model stacks load only when a command needs them
    from indexer.build import IndexSettings
    from search_api.retrieval import RetrievalSettings, Searcher


def token_counter(settings: Settings, err: TextIO = sys.stderr) -> TokenCounter:
    """The model's own tokenizer, so passages fit its budget; a rough estimate if it
    cannot be loaded (said on stderr, never silently)."""
    try:
        from embeddings.tokenizer import TokenCounter as ModelTokens

        return ModelTokens(settings.model_dir).count
    except Exception as exc:  # missing package or unreadable weights file
        print(f"Cảnh báo: không nạp được bộ tách token của mô hình ({exc}); dùng ước lượng.", file=err)
        return approx_tokens


def chunk_settings(settings: Settings) -> ChunkSettings:
    return ChunkSettings(max_tokens=settings.chunk_max_tokens, min_tokens=settings.chunk_min_tokens)


def read_settings(settings: Settings) -> ReadSettings:
    return ReadSettings(
        max_mb=settings.max_document_mb,
        max_paragraphs=settings.max_document_paragraphs,
        max_pages=settings.max_document_pages,
        max_chars=settings.max_document_chars,
        max_compression_ratio=settings.max_compression_ratio,
        follow_symlinks=settings.follow_symlinks,
        ocr_cache_dir=settings.index_dir,  # beside the embedding cache, outside the snapshots
        ocr_max_pages=settings.ocr_max_pages,
        ocr_page_seconds=settings.ocr_page_seconds,
    )


def index_settings(settings: Settings) -> "IndexSettings":
    from indexer.build import IndexSettings
    from indexer.vectors import VectorSettings

    return IndexSettings(
        chunking=chunk_settings(settings),
        vectors=VectorSettings(kind=settings.vector_kind, fp16_threshold=settings.fp16_threshold,
                               hnsw_threshold=settings.hnsw_threshold),
        reading=read_settings(settings),
    )


PASSAGE_ENGINES = ("openvino", "torch")


class EngineError(RuntimeError):
    """The configured passage engine is unknown or cannot be loaded."""


def passage_engine_name(settings: Settings) -> str:
    """The engine and precision the configured passage encoder embeds with, as an
    index records it (e.g. ``openvino-bfloat16``), known without loading the model."""
    engine = settings.passage_engine
    if engine == "openvino":
        from embeddings.openvino_passages import engine_name

        return engine_name(settings.model_dtype)
    if engine == "torch":
        from embeddings.model import resolve_dtype

        return f"torch-{resolve_dtype(settings.model_dtype, 'cpu')}"
    raise EngineError(
        f"VANBAN_PASSAGE_ENGINE={engine!r} không hợp lệ; chọn một trong: {', '.join(PASSAGE_ENGINES)}"
    )


def load_passage_encoder(settings: Settings, threads: int | None):
    """The passage encoder the settings name. No silent fallback: vectors of another
    engine would not match the index's."""
    name = passage_engine_name(settings)
    try:
        if settings.passage_engine == "openvino":
            from embeddings.openvino_passages import OpenVinoPassageEncoder

            return OpenVinoPassageEncoder(settings.model_dir, precision=settings.model_dtype,  # type: ignore[arg-type]
                                          threads=threads)
        from embeddings.model import Embedder

        return Embedder(settings.model_dir, dtype=settings.model_dtype, threads=threads)  # type: ignore[arg-type]
    except ImportError as exc:
        raise EngineError(
            f"Không nạp được bộ máy nhúng {name} ({exc}); cài lại vanban, hoặc đặt VANBAN_PASSAGE_ENGINE=torch"
        ) from exc


class LazyEmbedder:
    """The passage model, loaded on first use: re-indexing an unchanged corpus or a
    lexical-only search never pays the seconds it takes to load. What the
    indexer checks before embedding (name, source checksum, dimension, engine) is
    read from the converted folder's marker and config instead."""

    def __init__(self, settings: Settings, threads: int | None):
        self._settings = settings
        self._threads = threads
        self._model = None

    def load(self):
        if self._model is None:
            self._model = load_passage_encoder(self._settings, self._threads)
        return self._model

    def _static_info(self) -> dict | None:
        import json

        from embeddings.convert import MODEL_NAME, model_dir, read_marker

        folder = model_dir(self._settings.model_dir)
        marker = read_marker(folder)
        try:
            config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not marker or "hidden_size" not in config:
            return None
        return {"name": MODEL_NAME, "source_sha256": marker.get("source_sha256"), "dim": int(config["hidden_size"]),
                "engine": passage_engine_name(self._settings)}

    @property
    def dim(self) -> int:
        info = None if self._model is not None else self._static_info()
        return info["dim"] if info else self.load().dim

    def model_info(self) -> dict:
        info = None if self._model is not None else self._static_info()
        return info if info else self.load().model_info()

    def encode_passages(self, passages, show_progress: bool = False):
        return self.load().encode_passages(passages, show_progress=show_progress)

    def encode_queries(self, queries):
        return self.load().encode_queries(queries)

    def __getattr__(self, name: str):
        # dtype, threads, batch_size, … of the loaded model.
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.load(), name)


def embedder(settings: Settings, threads: int | None) -> LazyEmbedder:
    return LazyEmbedder(settings, threads)


def query_encoder(settings: Settings, err: TextIO = sys.stderr):
    """The encoder for queries: ONNX Runtime (int8 by default) when it can be set up,
    else the torch model. Both give the same vectors to within cosine 0.99
    (tests/test_onnx_query.py); the ONNX export is built once, on first use."""
    engine = settings.query_engine
    threads = settings.query_threads or 1
    if engine in ("onnx", "onnx-int8"):
        try:
            from embeddings.onnx_query import OnnxQueryEncoder

            return OnnxQueryEncoder(settings.model_dir, threads=threads, variant="int8" if engine == "onnx-int8" else "fp32")
        except Exception as exc:  # onnxruntime missing or export impossible: torch still works
            print(f"Cảnh báo: không dùng được ONNX Runtime cho câu truy vấn ({exc}); dùng torch.", file=err)
    elif engine != "torch":
        print(f"Cảnh báo: VANBAN_QUERY_ENGINE={engine!r} không hợp lệ; dùng torch.", file=err)
    from dataclasses import replace

    return embedder(replace(settings, passage_engine="torch"), settings.query_threads)


def parallel_safe(encoder) -> bool:
    """Whether concurrent callers may use ``encoder`` at once (ONNX Runtime sessions
    may; the torch model takes one call at a time)."""
    try:
        from embeddings.onnx_query import OnnxQueryEncoder
    except ImportError:
        return False
    return isinstance(encoder, OnnxQueryEncoder)


def retrieval_settings(settings: Settings) -> "RetrievalSettings":
    from search_api.params import limits_of
    from search_api.retrieval import RetrievalSettings

    return RetrievalSettings(limits=limits_of(settings), scan_threads=settings.scan_threads)


def open_searcher(settings: Settings, with_model: bool = True) -> "Searcher":
    from indexer.snapshot import SnapshotDir
    from search_api.retrieval import Searcher

    snap = SnapshotDir(settings.index_dir).require_current()
    return Searcher(snap, query_encoder(settings) if with_model else None, retrieval_settings(settings))
