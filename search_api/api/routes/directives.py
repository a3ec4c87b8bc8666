"""What staff and inspectors ask of directives: tasks given to units, the
units themselves, shortcomings raised again and again, similar passages."""

# No "from __future__ import annotations": FastAPI evaluates these annotations,
# and they name limits local to the router factory.
from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Path, Query

from indexer.store import MAX_ROWID
from search_api.api.deps import CurrentCaller, CurrentSearcher, read_scope
from search_api.api.errors import ApiError, responses
from search_api.api.schemas import AssigneeList, RecurringShortcomings, SimilarPassages, TaskPage
from search_api.directives import GROUP_THRESHOLD, assignee_list, find_tasks, recurring_shortcomings, similar_passages
from search_api.params import DATE_FORMS, limits_of, parse_date
from search_api.settings import Settings

# Passage ids are the store's row ids (from 1): a number outside them names nothing,
# and is refused here with 422 before it reaches the store.
MAX_ID = MAX_ROWID


def readable_passage(searcher, passage_id: int, groups: frozenset[str] | None) -> bool:
    """The passage exists and a reader in ``groups`` may read it (unknown and unreadable alike: False)."""
    rec = searcher.store.get_chunks([passage_id]).get(passage_id)
    readable = searcher.readable_docs(groups)
    return rec is not None and (readable is None or rec.doc_id in readable)


def router(settings: Settings) -> APIRouter:
    limits = limits_of(settings)
    api = APIRouter(tags=["directives"])
    query_length = {"maxLength": limits.max_query_chars}

    @api.get("/api/tasks", response_model=TaskPage, responses=responses(401, 422, 503))
    def tasks(
        caller: CurrentCaller,
        searcher: CurrentSearcher,
        q: Annotated[str | None, Query(description="chủ đề", json_schema_extra=query_length)] = None,
        assignee: Annotated[str | None, Query(max_length=200, description="đơn vị được giao")] = None,
        due_from: Annotated[str | None, Query(max_length=40, description=f"hạn từ ngày ({DATE_FORMS})")] = None,
        due_to: Annotated[str | None, Query(max_length=40, description=f"hạn đến ngày ({DATE_FORMS})")] = None,
        k: Annotated[int, Query(ge=1, le=limits.max_results)] = 50,
    ) -> dict:
        # A query is checked by the search it runs: the same rules and codes as /api/search.
        query = (q or "").strip() or None
        start = parse_date(due_from, "due_from") if due_from else None
        end = parse_date(due_to, "due_to") if due_to else None
        page = find_tasks(searcher, query, assignee or None, start, end, k, groups=read_scope(caller))
        return {"query": q, "tasks": page.tasks, "total": page.total}

    @api.get("/api/assignees", response_model=AssigneeList, responses=responses(401, 503))
    def assignees(caller: CurrentCaller, searcher: CurrentSearcher) -> dict:
        units = assignee_list(searcher, read_scope(caller))
        return {"assignees": units, "total": len(units)}

    # "Exactly one of q and passage_id" is no JSON Schema of query parameters: the descriptions say it.
    @api.get("/api/shortcomings/recurring", response_model=RecurringShortcomings, responses=responses(401, 404, 422, 503),
             description="Cần đúng một trong hai tham số q hoặc passage_id; thiếu cả hai hoặc có cả hai: 422.")
    def recurring(
        caller: CurrentCaller,
        searcher: CurrentSearcher,
        q: Annotated[str | None, Query(description="chủ đề; hoặc passage_id (đúng một trong hai, nếu không: 422)",
                                       json_schema_extra=query_length)] = None,
        passage_id: Annotated[int | None, Query(ge=1, le=MAX_ID,
                                                description="một đoạn; hoặc q (đúng một trong hai, nếu không: 422)")] = None,
    ) -> dict:
        if bool((q or "").strip()) == (passage_id is not None):
            raise ApiError(422, "invalid_parameter", "Cần đúng một trong hai: q hoặc passage_id")
        scope = read_scope(caller)
        if passage_id is not None and not readable_passage(searcher, passage_id, scope):
            raise ApiError(404, "unknown_passage", f"Không có đoạn văn bản {passage_id}")
        groups = recurring_shortcomings(searcher, query=q, chunk_id=passage_id, groups=scope)
        return {
            "query": q,
            "passage_id": passage_id,
            "threshold": GROUP_THRESHOLD,
            "groups": [
                {"label": g.label, "documents": g.documents, "first_date": g.first_date,
                 "occurrences": [asdict(o) for o in g.occurrences]}
                for g in groups
            ],
        }

    @api.get("/api/passages/{passage_id}/similar", response_model=SimilarPassages, responses=responses(401, 404, 422, 503))
    def similar(
        caller: CurrentCaller,
        searcher: CurrentSearcher,
        passage_id: Annotated[int, Path(ge=1, le=MAX_ID)],
        k: Annotated[int, Query(ge=1, le=limits.max_page_size)] = 10,
    ) -> dict:
        found = similar_passages(searcher, passage_id, k, groups=read_scope(caller))
        if found is None:
            raise ApiError(404, "unknown_passage", f"Không có đoạn văn bản {passage_id}")
        return {"passage_id": passage_id, "results": found}

    return api
