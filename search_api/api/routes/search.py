"""``GET /api/search``: passages, cited and highlighted, with facets and paging."""

# No "from __future__ import annotations": FastAPI evaluates these annotations,
# and they name limits local to the router factory.
import inspect
from typing import Annotated, Callable, Literal

from fastapi import APIRouter, Depends, Query, Request

from indexer.store import Filters
from search_api.api.deps import CurrentCaller, CurrentSearcher, client_address, read_scope
from search_api.api.errors import responses
from search_api.api.schemas import QUERY_PATTERN, SearchPage
from search_api.grouping import search_documents
from search_api.params import FILTERS, MODES, build_filters, limits_of, page_offset
from search_api.settings import Settings

Mode = Literal[MODES]  # type: ignore[valid-type]
Group = Literal["passage", "document"]


def _filters_dependency() -> Callable[..., Filters]:
    """A dependency whose query parameters are the filters of ``search_api.params.FILTERS``:
    a filter added there reaches the API, its validation and its schema."""

    async def search_filters(**values: str | None) -> Filters:
        return build_filters(values)

    parameters = []
    for f in FILTERS:
        kind = Literal[f.choices] if f.choices else str  # type: ignore[valid-type]
        query = Query(max_length=f.max_length, description=f.description)
        parameters.append(inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=None,
                                            annotation=Annotated[kind | None, query]))
    search_filters.__signature__ = inspect.Signature(parameters, return_annotation=Filters)  # type: ignore[attr-defined]
    return search_filters


def router(settings: Settings) -> APIRouter:
    limits = limits_of(settings)
    api = APIRouter(tags=["search"])

    @api.get("/api/search", response_model=SearchPage, responses=responses(401, 422, 503))
    def search(
        request: Request,
        caller: CurrentCaller,
        searcher: CurrentSearcher,
        filters: Annotated[Filters, Depends(_filters_dependency())],
        q: Annotated[str, Query(min_length=1, description="câu truy vấn",
                                json_schema_extra={"maxLength": limits.max_query_chars, "pattern": QUERY_PATTERN})],
        k: Annotated[int, Query(ge=1, le=limits.max_page_size, description="số kết quả mỗi trang")] = 10,
        # JSON Schema cannot bound a product of two parameters: the description says it.
        page: Annotated[int, Query(ge=1, le=limits.max_results, description=(
            f"số trang, từ 1; page × k không được quá {limits.max_results} (nếu quá: 422, mã bad_page)"))] = 1,
        mode: Annotated[Mode, Query()] = "hybrid",
        group: Annotated[Group, Query(description="passage: one entry per passage; document: per document")] = "passage",
    ) -> dict:
        offset = page_offset(page, k, limits)
        groups = read_scope(caller)
        if group == "document":
            found = search_documents(searcher, q, k=k, filters=filters, mode=mode, offset=offset, facets=True, groups=groups)
            results, documents = [], [d.to_json() for d in found.documents]
        else:
            found = searcher.search(q, k=k, filters=filters, mode=mode, offset=offset, facets=True, groups=groups)
            results, documents = [r.to_json() for r in found.results], None
        request.app.state.audit.record("search", caller, {"query": found.query, "page": page, "total": found.total},
                                       client_address(request))
        return {
            "query": found.query,
            "page": page,
            "k": k,
            "group": group,
            "total": found.total,
            "results": results,
            "documents": documents,
            "facets": found.facets,
            "timings_ms": found.timings_ms,
            "dense_query": found.dense_query,
        }

    return api
