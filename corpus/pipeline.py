"""read -> parse -> chunk for a set of paths, one document at a time."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from corpus.chunker import ChunkSettings, TokenCounter, chunk_document
from corpus.models import Chunk, ParsedDocument, RawDocument, ReadProblem
from corpus.parser import parse_document
from corpus.readers import iter_documents


@dataclass
class ParsedFile:
    parsed: ParsedDocument
    chunks: list[Chunk]


def process(raw: RawDocument, count_tokens: TokenCounter, settings: ChunkSettings) -> ParsedFile:
    parsed = parse_document(raw)
    return ParsedFile(parsed, chunk_document(parsed, count_tokens, settings))


def parse_paths(
    paths: Iterable[Path], count_tokens: TokenCounter, settings: ChunkSettings = ChunkSettings()
) -> Iterator[ParsedFile | ReadProblem]:
    """Every readable document under ``paths``, parsed and chunked; a file that
    cannot be read or parsed becomes a ReadProblem and the others go on."""
    for item in iter_documents(paths):
        if isinstance(item, ReadProblem):
            yield item
            continue
        try:
            yield process(item, count_tokens, settings)
        except Exception as exc:  # a parser bug must not stop a whole folder
            yield ReadProblem(
                path=item.source,
                code="parse_failed",
                message=f"Không phân tích được văn bản {item.doc_id}: {type(exc).__name__}: {exc}",
            )
