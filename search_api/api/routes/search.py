"""``GET /api/search``: passages, cited and highlighted, with facets and paging."""

# No "from __future__ import annotations": FastAPI evaluates these annotations,
# and they name limits local to the router factory.
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from corpus.kinds import KINDS
from indexer.store import Filters
from search_api.api.deps import CurrentSearcher
from search_api.api.errors import responses
from search_api.api.schemas import SearchPage
from search_api.params import DATE_FORMS, MODES, build_filters, limits_of, page_offset
from search_api.settings import Settings

Mode = Literal[MODES]  # type: ignore[valid-type]
Kind = Literal[KINDS]  # type: ignore[valid-type]


def search_filters(
    issuer: Annotated[str | None, Query(max_length=300, description="cơ quan ban hành, đúng như trích dẫn")] = None,
    doc_type: Annotated[str | None, Query(max_length=100, description="loại văn bản: Thông báo, Báo cáo…")] = None,
    type_code: Annotated[str | None, Query(max_length=20, description="mã loại: TB, BC, QĐ…")] = None,
    number: Annotated[str | None, Query(max_length=100, description="số, ký hiệu: 163/TB-UBND")] = None,
    date_from: Annotated[str | None, Query(max_length=40, description=f"ban hành từ ngày ({DATE_FORMS})")] = None,
    date_to: Annotated[str | None, Query(max_length=40, description=f"ban hành đến ngày ({DATE_FORMS})")] = None,
    year: Annotated[str | None, Query(max_length=4, description="năm ban hành")] = None,
    kind: Annotated[Kind | None, Query(description="loại đoạn")] = None,
) -> Filters:
    """The search filters as query parameters: the names and rules of ``search_api.params``."""
    values = dict(issuer=issuer, doc_type=doc_type, type_code=type_code, number=number, date_from=date_from,
                  date_to=date_to, year=year, kind=kind)
    return build_filters(values)


def router(settings: Settings) -> APIRouter:
    limits = limits_of(settings)
    api = APIRouter(tags=["search"])

    @api.get("/api/search", response_model=SearchPage, responses=responses(422, 503))
    def search(
        searcher: CurrentSearcher,
        filters: Annotated[Filters, Depends(search_filters)],
        q: Annotated[str, Query(min_length=1, description="câu truy vấn",
                                json_schema_extra={"maxLength": limits.max_query_chars})],
        k: Annotated[int, Query(ge=1, le=limits.max_page_size, description="số kết quả mỗi trang")] = 10,
        page: Annotated[int, Query(ge=1, le=limits.max_results)] = 1,
        mode: Annotated[Mode, Query()] = "hybrid",
    ) -> dict:
        offset = page_offset(page, k, limits)
        response = searcher.search(q, k=k, filters=filters, mode=mode, offset=offset, facets=True)
        return {
            "query": response.query,
            "page": page,
            "k": k,
            "total": response.total,
            "results": [r.to_json() for r in response.results],
            "facets": response.facets,
            "timings_ms": response.timings_ms,
            "dense_query": response.dense_query,
        }

    return api
