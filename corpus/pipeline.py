"""read -> parse -> chunk, one document at a time, with a bad document reported
rather than raised.

``parse_item`` is the one place a read document is parsed and chunked and a
parser failure becomes a ``parse_failed`` problem: ``parse_paths`` (``vanban
parse`` / ``inspect``) uses it over a walk of paths, and the indexer over the
files it walks itself (it keeps per-file state for incremental runs).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from corpus.chunker import ChunkSettings, TokenCounter, chunk_document
from corpus.models import Chunk, ParsedDocument, RawDocument, ReadProblem
from corpus.parser import parse_document
from corpus.readers import ReadSettings, iter_documents


@dataclass
class ParsedFile:
    parsed: ParsedDocument
    chunks: list[Chunk]


def process(raw: RawDocument, count_tokens: TokenCounter, settings: ChunkSettings) -> ParsedFile:
    parsed = parse_document(raw)
    return ParsedFile(parsed, chunk_document(parsed, count_tokens, settings))


def parse_item(
    item: RawDocument | ReadProblem,
    count_tokens: TokenCounter,
    settings: ChunkSettings = ChunkSettings(),
    path: str | None = None,
) -> ParsedFile | ReadProblem:
    """``item`` parsed and chunked. A problem from reading passes through unchanged; a
    document the parser or chunker fails on becomes a ``parse_failed`` problem, reported
    under ``path`` (default: the document's source)."""
    if isinstance(item, ReadProblem):
        return item
    try:
        return process(item, count_tokens, settings)
    except Exception as exc:  # a parser bug must not stop a whole folder or a long indexing run
        return ReadProblem(
            path=item.source if path is None else path,
            code="parse_failed",
            message=f"Không phân tích được văn bản {item.doc_id}: {type(exc).__name__}: {exc}",
        )


def parse_paths(
    paths: Iterable[Path],
    count_tokens: TokenCounter,
    settings: ChunkSettings = ChunkSettings(),
    reading: ReadSettings = ReadSettings(),
) -> Iterator[ParsedFile | ReadProblem]:
    """Every readable document under ``paths``, parsed and chunked; a file that
    cannot be read or parsed becomes a ReadProblem and the others go on."""
    for item in iter_documents(paths, reading):
        yield parse_item(item, count_tokens, settings)
