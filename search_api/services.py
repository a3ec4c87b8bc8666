"""Builds the parts the commands and the API share, from one Settings."""

from __future__ import annotations

import sys
from typing import TextIO

from typing import TYPE_CHECKING

from corpus.chunker import ChunkSettings, TokenCounter, approx_tokens
from search_api.settings import Settings

if TYPE_CHECKING:  # the index and model stacks load only when a command needs them
    from indexer.build import IndexSettings
    from search_api.retrieval import Searcher


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


def index_settings(settings: Settings) -> "IndexSettings":
    from indexer.build import IndexSettings
    from indexer.vectors import VectorSettings

    return IndexSettings(
        chunking=chunk_settings(settings),
        vectors=VectorSettings(kind=settings.vector_kind, hnsw_threshold=settings.hnsw_threshold),
    )


def embedder(settings: Settings, threads: int | None):
    from embeddings.model import Embedder

    return Embedder(settings.model_dir, dtype=settings.model_dtype, threads=threads)  # type: ignore[arg-type]


def open_searcher(settings: Settings, with_model: bool = True) -> "Searcher":
    from indexer.snapshot import SnapshotDir
    from search_api.retrieval import Searcher

    snap = SnapshotDir(settings.index_dir).require_current()
    encoder = embedder(settings, settings.query_threads) if with_model else None
    return Searcher(snap, encoder)
