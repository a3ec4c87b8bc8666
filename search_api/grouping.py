"""Results by document: one entry per document with its best passages, so that a
notice with twenty matching passages does not fill a whole page."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from indexer.store import Filters
from search_api.highlight import highlight_spans
from search_api.params import ParamError, check_k
from search_api.retrieval import Citation, Searcher, SearchResult

PER_DOCUMENT = 3  # passages shown with each document


@dataclass
class DocumentHit:
    doc_id: str
    score: float  # its best passage's
    citation: Citation  # its best passage's: the document's metadata and where that passage is
    passages: list[SearchResult]  # its best passages, best first
    more: int = 0  # its other passages among the results, not shown
    match: str | None = None  # "number": the document bears the number asked for
    status: list[dict] = field(default_factory=list)  # what later indexed documents did to it

    def to_json(self) -> dict:
        # Shallow, like SearchResult.to_json.
        return {**vars(self), "citation": {**vars(self.citation)}, "passages": [p.to_json() for p in self.passages]}


@dataclass
class DocumentResponse:
    query: str
    mode: str
    documents: list[DocumentHit]
    total: int  # documents among the passages searched
    timings_ms: dict[str, float]
    dense_query: str | None = None
    facets: dict[str, list[dict]] = field(default_factory=dict)


def group_by_document(results: list[SearchResult], per_document: int = PER_DOCUMENT) -> list[DocumentHit]:
    """Passages in rank order -> documents in the order of their best passage."""
    hits: dict[str, DocumentHit] = {}
    for r in results:
        hit = hits.get(r.doc_id)
        if hit is None:
            hits[r.doc_id] = DocumentHit(r.doc_id, r.score, r.citation, [r], match=r.match, status=r.status)
        elif len(hit.passages) < per_document:
            hit.passages.append(r)
        else:
            hit.more += 1
    return list(hits.values())


def search_documents(
    searcher: Searcher,
    query: str,
    k: int = 10,
    filters: Filters | None = None,
    mode: str = "hybrid",
    offset: int = 0,
    facets: bool = False,
    per_document: int = PER_DOCUMENT,
    groups: frozenset[str] | None = None,
) -> DocumentResponse:
    """The ``k`` best documents after ``offset``, each with its best passages, from
    the first ``max_results`` passages of the search."""
    limit = searcher.settings.limits.max_results
    check_k(k, limit)
    if offset < 0 or offset + k > limit:
        raise ParamError("bad_page", f"Chỉ xem được {limit} kết quả đầu tiên", "page")
    response = searcher.search(query, k=limit, filters=filters, mode=mode, highlights=False, facets=facets, groups=groups)
    t = time.perf_counter()
    groups = group_by_document(response.results, per_document)
    page = groups[offset:offset + k]
    for hit in page:  # highlights only for what is shown
        for r in hit.passages:
            r.highlights = [[a, b] for a, b in highlight_spans(response.query, r.text)]
    timings = dict(response.timings_ms)
    timings["group"] = round((time.perf_counter() - t) * 1000, 2)
    timings["total"] = round(timings["total"] + timings["group"], 2)
    return DocumentResponse(response.query, response.mode, page, len(groups), timings, response.dense_query,
                            response.facets)
