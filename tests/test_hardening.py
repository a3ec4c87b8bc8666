"""What an outside audit found (issue 14), kept fixed: ids outside the store's
range, security headers on every answer, 405s with an Allow header, what the
schema declares, and the cost of a long or odd query bounded where it is
analysed. The model is the hash encoder of fakes.py; benchmarks/audit.py
replays the same cases against a real ``vanban serve``."""

from __future__ import annotations

import importlib.util
import json
import threading
import time

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from conftest import SAMPLES, shared_path
from corpus.chunker import approx_tokens
from corpus.vietnamese import fold, nfc, syllables
from fakes import HashEncoder
from indexer.analysis import MAX_QUERY_CHARS, MAX_QUERY_MARKS, MAX_QUERY_WORDS, MAX_WORD_CHARS, analysed_part, analyze_query
from indexer.build import Indexer
from indexer.snapshot import SnapshotDir
from indexer.store import MAX_ROWID, ChunkStore
from search_api.api import IndexService, create_app
from search_api.directives import recurring_shortcomings, similar_passages
from search_api.local_server import free_port
from search_api.params import check_query, limits_of
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


# -- 5. security headers on every answer ----------------------------------------------

PDF = "2023-12-bc-312-tinh-hinh-kt-xh-nam-2023.pdf"
EVERY_KIND = [
    ("GET", "/"), ("GET", "/static/app.js"), ("GET", "/static/style.css"), ("GET", "/static/nope.js"),
    ("GET", "/api/health"), ("GET", "/api/search?q=bão số 3"), ("GET", "/api/search"), ("GET", "/api/search?q=x&k=50&page=5"),
    ("GET", "/api/documents/nope.txt"), ("GET", f"/api/documents/{PDF}"), ("GET", f"/api/documents/{PDF}/file"),
    ("GET", "/api/passages/9223372036854775808/similar"), ("GET", "/nope"), ("POST", "/api/search"),
    ("POST", "/api/documents"), ("DELETE", "/api/documents/x"), ("GET", "/docs"), ("GET", "/redoc"),
    ("GET", "/docs/oauth2-redirect"), ("GET", "/openapi.json"),
]


def _check_security_headers(r) -> None:
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "no-referrer"
    policy = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "base-uri 'none'" in policy


@pytest.mark.parametrize("method,url", EVERY_KIND)
def test_every_answer_carries_the_security_headers(client, method, url):
    _check_security_headers(client.request(method, url))


def test_a_server_error_is_json_and_carries_the_headers(settings):
    app = create_app(settings, IndexService(settings, encoder=HashEncoder(), count_tokens=approx_tokens))

    def boom() -> dict:
        raise RuntimeError("boom")

    app.add_api_route("/api/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/api/boom")
    assert r.status_code == 500 and r.json()["error"]["code"] == "internal_error"
    _check_security_headers(r)


def _directives(policy: str) -> dict[str, set[str]]:
    out = {}
    for part in policy.split(";"):
        name, *values = part.split()
        out[name] = set(values)
    return out


def test_the_page_header_says_what_its_meta_tag_says(client):
    import re

    page = client.get("/")
    meta = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page.text).group(1)
    header = _directives(page.headers["content-security-policy"])
    for name, values in _directives(meta).items():
        assert header[name] == values, name
    for url in ("/static/app.js", "/static/style.css"):
        assert client.get(url).headers["content-security-policy"] == page.headers["content-security-policy"]


def test_api_answers_may_load_nothing(client):
    for url in ("/api/search?q=bão", "/api/documents/nope.txt", "/openapi.json"):
        assert _directives(client.get(url).headers["content-security-policy"])["default-src"] == {"'none'"}
    file = _directives(client.get(f"/api/documents/{PDF}/file").headers["content-security-policy"])
    assert file["default-src"] == {"'none'"} and "script-src" not in file  # no script, whatever the file holds


@pytest.mark.parametrize("url", ["/docs", "/redoc"])
def test_the_docs_policy_allows_what_the_docs_load(client, url):
    import re

    r = client.get(url)
    assert r.status_code == 200
    policy = _directives(r.headers["content-security-policy"])
    for tag, attr, directive in (("script", "src", "script-src"), ("link", "href", None)):
        for m in re.finditer(rf'<{tag}\b[^>]*\b{attr}="(https://[^/"]+)', r.text):
            origin = m.group(1)
            allowed = set().union(*(policy.get(d, set()) for d in ([directive] if directive else ["style-src", "img-src"])))
            assert origin in allowed, (url, origin)
    if "<script>" in r.text:  # the inline start-up script
        assert "'unsafe-inline'" in policy["script-src"]


# -- 9. 405 with Allow, and what the schema declares -------------------------------------


@pytest.mark.parametrize("method,url,allowed", [
    ("POST", "/api/search", {"GET"}),
    ("PUT", "/api/documents/x.txt", {"GET", "DELETE"}),
    ("PUT", "/api/documents/x.txt/file", {"GET"}),  # what the schema gives .../file
    ("OPTIONS", "/api/documents/x.txt/relations", {"GET"}),
    ("DELETE", "/api/documents/x.txt/file", {"GET"}),  # a document's own resource, not a document "x.txt/file"
    ("DELETE", "/api/documents/dir/x.txt/relations", {"GET"}),
    ("PUT", "/api/documents", {"POST"}),
    ("DELETE", "/api/passages/1/similar", {"GET"}),
    ("POST", "/", {"GET"}),
    ("POST", "/static/app.js", {"GET", "HEAD"}),
])
def test_405_names_every_allowed_method(client, method, url, allowed):
    r = client.request(method, url)
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"
    assert {m.strip() for m in r.headers["allow"].split(",")} == allowed
    for m in allowed:  # and each of them is indeed answered
        assert client.request(m, url).status_code != 405, m


def test_allow_says_what_the_schema_says(client):
    spec = client.get("/openapi.json").json()
    for path, operations in spec["paths"].items():
        url = path.replace("{doc_id}", "a.txt").replace("{passage_id}", "1")
        r = client.request("PATCH", url)
        assert r.status_code == 405, path
        assert {m.strip() for m in r.headers["allow"].split(",")} == {m.upper() for m in operations}, path


def test_document_ids_may_hold_slashes(client):
    spec = client.get("/openapi.json").json()
    assert set(spec["paths"]["/api/documents/{doc_id}"]) == {"get", "delete"}
    for url in ("/api/documents/dir/sub/x.txt", "/api/documents/dir%2Fx.txt"):
        assert client.get(url).json()["error"]["code"] == "unknown_document"
        assert client.delete(url, headers={"Authorization": "Bearer s3cret"}).json()["error"]["code"] == "unknown_document"


def test_a_broken_upload_body_is_a_declared_400(client):
    r = client.post("/api/documents", headers={"Authorization": "Bearer s3cret",
                                                "Content-Type": "multipart/form-data; boundary=xyz"},
                    content=b"--xyz\r\nFalse--xyz--\r\n")
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request"
    assert "400" in client.get("/openapi.json").json()["paths"]["/api/documents"]["post"]["responses"]


def test_original_files_come_as_the_schema_says(client):
    spec = client.get("/openapi.json").json()
    declared = spec["paths"]["/api/documents/{doc_id}/file"]["get"]["responses"]["200"]["content"]
    seen = set()
    for doc in ("2023-12-bc-312-tinh-hinh-kt-xh-nam-2023.pdf", "2023-06-tb-45-ket-luan-so-ket-6-thang.md",
                "2024-05-kh-du-thao-co-so-vat-chat-truong-hoc.txt", "2024-10-tb-236-ket-luan-phien-hop-thang-9.docx"):
        r = client.get(f"/api/documents/{doc}/file")
        assert r.status_code == 200, doc
        seen.add(r.headers["content-type"].split(";")[0])
        assert r.headers["content-type"].split(";")[0] in declared, doc
    assert len(seen) == 3


def test_a_blank_query_is_declared_refused(client):
    spec = client.get("/openapi.json").json()
    for path in ("/api/search", "/api/lookup"):
        q = next(p for p in spec["paths"][path]["get"]["parameters"] if p["name"] == "q")
        assert q["schema"]["pattern"] == r"\S" and q["required"]
        r = client.get(path, params={"q": " \t "})
        assert r.status_code == 422 and r.json()["error"]["code"] == "empty_query", path


def test_what_the_server_refuses_the_schema_declares(client):
    spec = client.get("/openapi.json").json()
    search = spec["paths"]["/api/search"]["get"]
    page = next(p for p in search["parameters"] if p["name"] == "page")
    assert "page × k" in page["description"] and "bad_page" in page["description"] and "422" in search["responses"]
    r = client.get("/api/search", params={"q": "bão", "k": 50, "page": 5})
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_page"

    recurring = spec["paths"]["/api/shortcomings/recurring"]["get"]
    assert "422" in recurring["responses"] and "q hoặc passage_id" in recurring["description"]
    for params in ({}, {"q": "giải phóng mặt bằng", "passage_id": 1}, {"q": "  "}):
        r = client.get("/api/shortcomings/recurring", params=params)
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_parameter", params
    for path in ("/api/documents/{doc_id}", "/api/documents/{doc_id}/file", "/api/passages/{passage_id}/similar"):
        assert "404" in spec["paths"][path]["get"]["responses"], path


# -- 10. a query's cost bounded where it is analysed -------------------------------------

PROSE = " ".join(p.read_text(encoding="utf-8") for p in sorted(SAMPLES.glob("*.txt"))).split()
LONG_QUERY = " ".join(PROSE[200:600])[:1000]
HOSTILE = {
    "prose": LONG_QUERY,
    "prose without diacritics": fold(LONG_QUERY),
    "combining marks": "a" + "\u0301\u0323" * 499,
    "combining marks alone": "\u0301" * 1000,
    "abbreviations": ("GPMB UBND HĐND KT-XH GD&ĐT " * 40)[:1000],
    "numbers": " ".join(str(i) for i in range(250))[:1000],
    "emoji": "\U0001F4A5" * 1000,
    "punctuation": "!?.,;:-/" * 125,
    "one long word": "abc" * 333,
}


def _ordinary_queries() -> list[str]:
    queries = [json.loads(line)["query"] for line in shared_path("eval", "seed-queries-dev.jsonl").open(encoding="utf-8")]
    for name in ("queries.jsonl", "queries-noaccent.jsonl"):
        with shared_path("eval", "alqac2022", name).open(encoding="utf-8") as f:
            queries.extend(json.loads(line)["text"] for line in f if line.strip())
    return queries


def test_ordinary_queries_are_read_whole():
    queries = _ordinary_queries()
    assert len(queries) > 1000
    long = [q for q in queries if len(syllables(q)) > MAX_QUERY_WORDS]
    limits = limits_of(Settings())
    for q in queries:
        if q not in long:
            searched = check_query(q, limits)  # what a search analyses
            assert analysed_part(q) == q and analysed_part(searched) == searched, q
    # the few longer benchmark questions (65 to 91 syllables) lose only their tail
    assert len(long) <= 8
    for q in long:
        assert q.startswith(analysed_part(q)) and len(syllables(analysed_part(q))) == MAX_QUERY_WORDS


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_query_is_read_within_the_bounds(name):
    query = nfc(HOSTILE[name])  # as a search gets it
    part = analysed_part(query)
    assert query.startswith(part) and part
    assert len(part) <= MAX_QUERY_CHARS
    assert len(syllables(part)) <= MAX_QUERY_WORDS
    assert all(e - s <= MAX_WORD_CHARS for s, e, _ in syllables(part))
    assert sum(1 for c in part if not (c.isalnum() or c.isspace())) <= MAX_QUERY_MARKS
    # the terms are those of the part read, however long the rest
    assert analyze_query(query) == analyze_query(part)


@pytest.mark.parametrize("name", HOSTILE)
def test_the_dense_side_embeds_only_what_analysis_reads(settings, name):
    class Recording(HashEncoder):
        def encode_queries(self, queries):
            self.seen = list(queries)
            return super().encode_queries(queries)

    encoder = Recording()
    searcher = Searcher(SnapshotDir(settings.index_dir).require_current(), encoder)
    try:
        found = searcher.search(HOSTILE[name], k=10, facets=True)
    finally:
        searcher.close()
    (embedded,) = encoder.seen
    assert len(embedded) <= MAX_QUERY_CHARS and len(syllables(embedded)) <= MAX_QUERY_WORDS
    assert found.dense_query == embedded  # and the answer says what the model read


def test_the_restorer_looks_at_the_analysed_part_only(searcher):
    plain = fold(LONG_QUERY)
    part = analysed_part(plain)
    restored = searcher.restorer.restore(plain)
    assert restored == searcher.restorer.restore(part) + plain[len(part):]
    assert restored[: len(part)] != part  # it did restore the part it reads


def test_ordinary_searches_are_unchanged_by_the_bounds(searcher):
    """A query within the bounds is analysed, embedded and highlighted as a whole."""
    for q in ("bão số 3", "GPMB chậm", "giai phong mat bang", "Phòng Kinh tế - Hạ tầng báo cáo UBND huyện trước ngày 15/8/2024"):
        found = searcher.search(q, k=5)
        assert found.results and found.query == q
        assert found.dense_query in (None, searcher.restorer.restore(q))


# -- the audit, replayed end to end (benchmarks/audit.py does it against `vanban serve`) ----


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """A real HTTP server over its own index (schemathesis writes with the token)."""
    root = tmp_path_factory.mktemp("audit")
    settings = Settings(home=root / "home", data_dir=root / "data", admin_token="audit-token", max_upload_mb=1)
    Indexer(settings.index_dir, HashEncoder(), approx_tokens).run([SAMPLES])
    app = create_app(settings, IndexService(settings, encoder=HashEncoder(), count_tokens=approx_tokens))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(f"{base}/api/health", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.05)
    yield base
    server.should_exit = True
    thread.join(timeout=10)


def test_the_audit_replay_finds_nothing(live):
    from benchmarks.audit import replay

    report = replay(live, "audit-token")
    assert report["cases"] >= 60
    assert not report["failures"], "\n".join(report["failures"])


def test_schemathesis_finds_no_500_and_no_answer_the_schema_does_not_describe(live):
    """Bounded: 20 examples per operation, a fixed seed, about 15 s (benchmarks/audit.py runs 50)."""
    if importlib.util.find_spec("schemathesis") is None:
        pytest.fail("schemathesis is missing: install the dev extras (pip install -e '.[dev]')")
    from benchmarks.audit import run_schemathesis

    run = run_schemathesis(live, examples=20, seed=1, token="audit-token", timeout_s=120)
    assert run["returncode"] == 0, run["output"][-8000:]
