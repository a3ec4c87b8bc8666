"""Looking a document up: by its number in any form people type it, or by the
words of its title, subject, issuer or signer -- the document itself, not its
passages, and fast enough to answer as people type."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from corpus.numbers import parse_number_query
from indexer.store import ChunkStore
from search_api.params import Limits, check_k, check_query
from search_api.relations import statuses


@dataclass
class FoundDocument:
    doc_id: str
    match: str  # "number": it bears the number asked for; "words": its title, subject, issuer or signer hold the words
    metadata: dict[str, Any]  # number, doc_type, type_code, issuer, issued_date, event_date, subject, title
    status: list[dict] = field(default_factory=list)  # what later indexed documents did to it


def lookup_documents(
    store: ChunkStore, query: str, limits: Limits, k: int = 10, readable: frozenset[str] | None = None
) -> list[FoundDocument]:
    """The documents a query names: those bearing its number (newest first) when it
    is a number, else the best matches of its words in their titles and headers;
    among ``readable`` documents when given."""
    text = check_query(query, limits)
    check_k(k, limits.max_page_size)
    number = parse_number_query(text)
    # Restricted readers: ask for more, then keep what they may read.
    depth = k if readable is None else limits.max_results
    found = [(doc_id, "number") for _, doc_id in store.documents_by_number(number, limit=depth)] if number else []
    found = [f for f in found if readable is None or f[0] in readable]
    if not found:  # not a number, or one nobody (readable) bears: the words
        found = [(doc_id, "words") for doc_id, _ in store.documents_by_words(text, limit=depth)]
        found = [f for f in found if readable is None or f[0] in readable]
    found = found[:k]
    ids = [doc_id for doc_id, _ in found]
    meta = store.document_summaries(ids)
    changed = statuses(store, ids, readable)
    return [FoundDocument(doc_id, match, meta[doc_id], changed.get(doc_id, [])) for doc_id, match in found if doc_id in meta]
