"""What an outside audit found (issue 14), kept fixed: ids outside the store's
range, security headers on every answer, 405s with an Allow header, what the
schema declares, and the cost of a long or odd query bounded where it is
analysed. The model is the hash encoder of fakes.py; benchmarks/audit.py
replays the same cases against a real ``vanban serve``."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from conftest import SAMPLES
from corpus.chunker import approx_tokens
from fakes import HashEncoder
from indexer.build import Indexer
from indexer.snapshot import SnapshotDir
from indexer.store import MAX_ROWID, ChunkStore
from search_api.api import IndexService, create_app
from search_api.directives import recurring_shortcomings, similar_passages
from search_api.retrieval import Searcher
from search_api.settings import Settings

HUGE_IDS = [2**63, 2**64, 10**30]


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Settings:
    root = tmp_path_factory.mktemp("hardening")
    settings = Settings(home=root / "home", data_dir=root / "data", admin_token="s3cret", max_upload_mb=1)
    Indexer(settings.index_dir, HashEncoder(), approx_tokens).run([SAMPLES])
    return settings


@pytest.fixture(scope="module")
def client(settings):
    service = IndexService(settings, encoder=HashEncoder(), count_tokens=approx_tokens)
    with TestClient(create_app(settings, service)) as c:
        yield c


@pytest.fixture(scope="module")
def searcher(settings):
    s = Searcher(SnapshotDir(settings.index_dir).require_current(), HashEncoder())
    yield s
    s.close()


# -- 1. ids outside the store's range ----------------------------------------------


@pytest.mark.parametrize("url", [
    "/api/passages/9223372036854775808/similar",
    "/api/passages/18446744073709551616/similar",
    "/api/passages/-1/similar",
    "/api/passages/0/similar",
    "/api/passages/99999999999999999999999999999999/similar",
    "/api/shortcomings/recurring?passage_id=9223372036854775808",
    "/api/shortcomings/recurring?passage_id=18446744073709551616",
    "/api/shortcomings/recurring?passage_id=-9223372036854775809",
])
def test_ids_outside_the_store_are_refused_as_json(client, url):
    r = client.get(url)
    assert r.status_code == 422, (url, r.status_code, r.text)
    assert r.json()["error"]["code"] == "invalid_parameter"


@pytest.mark.parametrize("url", ["/api/passages/9223372036854775807/similar",
                                 "/api/shortcomings/recurring?passage_id=9223372036854775807"])
def test_the_largest_id_is_simply_unknown(client, url):
    r = client.get(url)
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_passage"


def test_the_api_bound_is_the_store_range(client):
    spec = client.get("/openapi.json").json()
    similar = spec["paths"]["/api/passages/{passage_id}/similar"]["get"]["parameters"]
    recurring = spec["paths"]["/api/shortcomings/recurring"]["get"]["parameters"]
    for p in [*similar, *recurring]:
        if p["name"] == "passage_id":
            schema = next(s for s in p["schema"].get("anyOf", [p["schema"]]) if s.get("type") == "integer")
            assert schema["maximum"] == MAX_ROWID and schema["minimum"] == 1


def test_the_store_answers_nothing_for_ids_it_cannot_hold(settings):
    store = ChunkStore(SnapshotDir(settings.index_dir).require_current().store, readonly=True)
    try:
        known = next(iter(store.get_chunks(list(range(1, 50)))))
        for big in HUGE_IDS + [-(2**63) - 1]:
            assert store.vector(big) is None
            assert store.get_chunks([big]) == {}
            assert store.vectors_of([big]) == {}
            assert store.facet_rows([big]) == []
            assert store.tasks(chunk_ids=[big]) == []
        # an id it holds is still found beside them
        assert set(store.get_chunks([2**64, known])) == {known}
        assert set(store.vectors_of([known, 2**63])) == {known}
    finally:
        store.close()


def test_directives_on_ids_outside_the_store(searcher):
    for big in HUGE_IDS:
        assert similar_passages(searcher, big) is None
        assert recurring_shortcomings(searcher, chunk_id=big) == []
