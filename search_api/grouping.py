"""Results by document: one entry per document with its best passages, so that a
notice with twenty matching passages does not fill a whole page."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from indexer.store import Filters
from search_api.params import check_k, check_page
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
    the first ``max_results`` passages of the search. Those passages are ranked
    without reading their whole records; only the ones shown are cited."""
    limit = searcher.settings.limits.max_results
    check_k(k, limit)
    check_page(k, offset, limit)
    ranking = searcher.rank(query, limit, filters=filters, mode=mode, highlights=False, facets=facets, groups=groups,
                            detail=False)
    t = time.perf_counter()
    by_document: dict[str, list[tuple[int, float]]] = {}  # in the order of each document's best passage
    for cid, score in ranking.passages:
        by_document.setdefault(ranking.doc_ids[cid], []).append((cid, score))
    page = list(by_document.items())[offset:offset + k]
    cited = {r.chunk_id: r for r in searcher.cite(ranking, [p for _, ps in page for p in ps[:per_document]])}
    documents = []
    for doc_id, passages in page:
        shown = [cited[cid] for cid, _ in passages[:per_document] if cid in cited]
        if shown:
            best = shown[0]
            documents.append(DocumentHit(doc_id, best.score, best.citation, shown, more=len(passages) - len(shown),
                                         match=best.match, status=best.status))
    timings = dict(ranking.timings_ms)
    timings["group"] = round((time.perf_counter() - t) * 1000, 2)
    timings["total"] = round((time.perf_counter() - ranking.started) * 1000, 2)
    return DocumentResponse(ranking.query, ranking.mode, documents, len(by_document), timings, ranking.dense_query,
                            ranking.facets)
