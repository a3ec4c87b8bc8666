"""The HTTP API: every endpoint, every error code, auth on writes, upload ->
search -> delete, and searches running while an upload is indexed. The model is
the hash encoder of fakes.py; the browser test runs the real one."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from conftest import AUTH, NEW_DOC, SAMPLES, TOKEN
from corpus.chunker import approx_tokens
from fakes import HashEncoder
from indexer.build import Indexer
from search_api.api import IndexService, create_app
from search_api.local_server import free_port
from search_api.settings import Settings


def make_service(tmp_path: Path, token: str | None = TOKEN, delay: float = 0.0, index_samples: bool = True,
                 **settings_overrides):
    settings = Settings(home=tmp_path / "home", data_dir=tmp_path / "data", admin_token=token, max_upload_mb=1,
                        max_upload_files=3, **settings_overrides)
    encoder = HashEncoder(delay=delay)
    if index_samples:
        Indexer(settings.index_dir, encoder, approx_tokens).run([SAMPLES])
    return settings, IndexService(settings, encoder=encoder, count_tokens=approx_tokens)


@pytest.fixture
def client(tmp_path):
    settings, service = make_service(tmp_path)
    with TestClient(create_app(settings, service)) as c:
        yield c


def test_health_and_stats(client):
    assert client.get("/api/health").json()["status"] == "ok"
    stats = client.get("/api/stats").json()
    assert stats["documents"] == 10 and stats["chunks"] > 100 and stats["index_bytes"] > 0
    assert stats["model"]["name"] == "hash-test"
    assert stats["last_indexing"]["documents_indexed"] == 10


def test_search_shape_citation_facets_and_paging(client):
    r = client.get("/api/search", params={"q": "bao so 3", "k": 5})
    assert r.status_code == 200
    body = r.json()
    assert body["page"] == 1 and body["k"] == 5 and len(body["results"]) == 5 and body["total"] >= 5
    top = body["results"][0]
    assert set(top) >= {"doc_id", "chunk_id", "score", "text", "citation", "highlights"}
    assert set(top["citation"]) >= {"number", "doc_type", "issuer", "issued_date", "subject", "heading_path", "pages", "char_span"}
    assert {f["value"] for f in body["facets"]["doc_type"]} >= {"Công văn", "Thông báo"}
    assert all(f["count"] > 0 for f in body["facets"]["issuer"])
    page2 = client.get("/api/search", params={"q": "bao so 3", "k": 5, "page": 2}).json()
    ids1 = {x["chunk_id"] for x in body["results"]}
    assert page2["page"] == 2 and ids1.isdisjoint(x["chunk_id"] for x in page2["results"])


def test_search_filters(client):
    r = client.get("/api/search", params={"q": "giải phóng mặt bằng", "doc_type": "Báo cáo"}).json()
    assert r["results"] and all(x["citation"]["doc_type"] == "Báo cáo" for x in r["results"])
    r = client.get("/api/search", params={"q": "giải phóng mặt bằng", "date_from": "2024-01-01", "date_to": "2024-12-31"}).json()
    assert r["results"] and all(x["citation"]["issued_date"] >= "2024-01-01" for x in r["results"])
    r = client.get("/api/search", params={"q": "giải phóng mặt bằng", "issuer": "UBND tỉnh Ngàn Hà"}).json()
    assert r["results"] and {x["citation"]["issuer"] for x in r["results"]} == {"UBND tỉnh Ngàn Hà"}


@pytest.mark.parametrize(
    "params, code",
    [
        ({}, "invalid_parameter"),
        ({"q": ""}, "invalid_parameter"),
        ({"q": "x" * 1001}, "query_too_long"),
        ({"q": "bão", "k": 0}, "invalid_parameter"),
        ({"q": "bão", "k": 51}, "invalid_parameter"),
        ({"q": "bão", "page": 0}, "invalid_parameter"),
        ({"q": "bão", "k": 50, "page": 5}, "bad_page"),
        ({"q": "bão", "date_from": "2024-02-30"}, "invalid_parameter"),
        ({"q": "bão", "date_to": "45/13/2024"}, "invalid_parameter"),
        ({"q": "bão", "year": "24"}, "invalid_parameter"),
        ({"q": "bão", "kind": "rumour"}, "invalid_parameter"),
        ({"q": "bão", "mode": "magic"}, "invalid_parameter"),
        ({"q": "   "}, "empty_query"),
    ],
)
def test_bad_search_parameters_are_422_with_a_code(client, params, code):
    r = client.get("/api/search", params=params)
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == code and err["message"]


def test_hostile_query_strings(client):
    for q in ["title:x AND (", "'; DROP TABLE chunks; --", "<script>alert(1)</script>", "%00", "💥" * 50]:
        assert client.get("/api/search", params={"q": q}).status_code == 200


def test_document_view_and_file(client):
    doc_id = "2023-12-bc-312-tinh-hinh-kt-xh-nam-2023.pdf"
    doc = client.get(f"/api/documents/{doc_id}").json()
    assert doc["metadata"]["number"] == "312/BC-UBND" and doc["sections"] and doc["text"]
    assert doc["file_url"].endswith("/file") and "source" not in doc
    f = client.get(doc["file_url"])
    assert f.status_code == 200 and f.headers["content-type"] == "application/pdf" and f.content.startswith(b"%PDF")
    txt = client.get("/api/documents/2023-06-tb-45-ket-luan-so-ket-6-thang.md/file")
    assert txt.headers["content-type"].startswith("text/plain") and "hư cấu" in txt.text


def test_unknown_ids_are_404(client):
    for url in ["/api/documents/nope.txt", "/api/documents/nope.txt/file", "/api/documents/../../etc/passwd"]:
        r = client.get(url)
        assert r.status_code == 404 and r.json()["error"]["code"] in ("unknown_document", "not_found")
    assert client.delete("/api/documents/nope.txt", headers=AUTH).status_code == 404


def test_writes_need_the_token(client):
    files = {"files": ("ong.txt", NEW_DOC.encode(), "text/plain")}
    assert client.post("/api/documents", files=files).json()["error"]["code"] == "missing_token"
    assert client.post("/api/documents", files=files).status_code == 401
    # an unknown token is no credential at all: 401 (it was 403 before user accounts existed)
    r = client.post("/api/documents", files=files, headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "bad_token"
    r = client.delete("/api/documents/2024-09-cv-812-khac-phuc-hau-qua-bao-so-3.md")
    assert r.status_code == 401


def test_writes_are_refused_without_a_configured_token(tmp_path):
    settings, service = make_service(tmp_path, token=None)
    with TestClient(create_app(settings, service)) as c:
        r = c.post("/api/documents", files={"files": ("ong.txt", NEW_DOC.encode(), "text/plain")})
        assert r.status_code == 403 and r.json()["error"]["code"] == "writes_disabled"
        # a token that nothing accepts is refused as such, not taken for anonymous
        r = c.post("/api/documents", files={"files": ("ong.txt", NEW_DOC.encode(), "text/plain")}, headers=AUTH)
        assert r.status_code == 401 and r.json()["error"]["code"] == "bad_token"


def test_upload_search_delete(client):
    r = client.post("/api/documents", files={"files": ("ong.txt", NEW_DOC.encode(), "text/plain")}, headers=AUTH)
    assert r.status_code == 201, r.text
    assert r.json()["files"][0] == {"file": "ong.txt", "doc_id": "ong.txt", "status": "indexed", "problems": []}
    hits = client.get("/api/search", params={"q": "nuoi ong lay mat"}).json()["results"]
    assert hits[0]["doc_id"] == "ong.txt" and hits[0]["citation"]["number"] == "77/TB-UBND"
    assert client.get("/api/stats").json()["documents"] == 11
    r = client.delete("/api/documents/ong.txt", headers=AUTH)
    assert r.status_code == 200 and r.json()["chunks_removed"] >= 1
    hits = client.get("/api/search", params={"q": "nuoi ong lay mat", "mode": "lexical"}).json()["results"]
    assert all(h["doc_id"] != "ong.txt" for h in hits)
    assert client.get("/api/documents/ong.txt").status_code == 404
    assert client.get("/api/stats").json()["documents"] == 10


def test_upload_errors(client):
    r = client.post("/api/documents", files={"files": ("x.exe", b"MZ...", "application/octet-stream")}, headers=AUTH)
    assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_type"
    big = b"a" * (1024 * 1024 + 10)
    r = client.post("/api/documents", files={"files": ("big.txt", big, "text/plain")}, headers=AUTH)
    assert r.status_code == 413 and r.json()["error"]["code"] == "file_too_large"
    many = [("files", (f"f{i}.txt", NEW_DOC.encode(), "text/plain")) for i in range(4)]
    r = client.post("/api/documents", files=many, headers=AUTH)
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_many_files"
    r = client.post("/api/documents", files={"files": ("hong.pdf", b"%PDF-1.4 garbage", "application/pdf")}, headers=AUTH)
    assert r.status_code == 422
    status = r.json()["files"][0]
    assert status["status"] == "error" and status["problems"][0]["code"] == "corrupt_pdf"
    r = client.post("/api/documents", files={"files": ("rong.txt", b"", "text/plain")}, headers=AUTH)
    assert r.status_code == 422 and r.json()["files"][0]["problems"][0]["code"] == "empty_file"
    r = client.post("/api/documents", headers=AUTH)
    assert r.status_code == 422
    # Nothing already indexed was lost.
    assert client.get("/api/stats").json()["documents"] == 10


def test_huge_body_is_refused_before_reading(client):
    r = client.post("/api/documents", headers={**AUTH, "content-length": str(10**10)}, content=io.BytesIO(b"x"))
    assert r.status_code == 413


def test_no_index_yet(tmp_path):
    settings, service = make_service(tmp_path, index_samples=False)
    with TestClient(create_app(settings, service)) as c:
        r = c.get("/api/search", params={"q": "bão"})
        assert r.status_code == 503 and r.json()["error"]["code"] == "no_index"
        assert c.get("/api/stats").json()["documents"] == 0


def test_openapi_schema(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/search", "/api/documents", "/api/stats", "/api/health"} <= set(paths)


def test_searches_during_an_upload_see_whole_snapshots(tmp_path):
    """Reads go on while an upload is embedded (slowly), and every answer comes
    from a whole snapshot: before the upload none of its documents, after it all."""
    settings, service = make_service(tmp_path, delay=0.05)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, service), host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(f"{base}/api/health", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.05)
    communes = ["Khe Mơ", "Đồng Lâm", "Phú Khê"]
    uploads = [
        ("files", (f"ong-{i}.txt", NEW_DOC.replace("77/TB", f"7{i}/TB").replace("Khe Mơ", c).encode(), "text/plain"))
        for i, c in enumerate(communes)
    ]
    result: dict = {}

    def do_upload() -> None:
        result["upload"] = httpx.post(f"{base}/api/documents", files=uploads, headers=AUTH, timeout=120)

    seen: list[int] = []
    errors: list[str] = []
    uploader = threading.Thread(target=do_upload)
    uploader.start()
    with httpx.Client(timeout=30) as c:
        deadline = time.time() + 60
        while uploader.is_alive() and time.time() < deadline:
            r = c.get(f"{base}/api/search", params={"q": "nuoi ong lay mat", "k": 20, "mode": "lexical"})
            if r.status_code != 200:
                errors.append(r.text)
                continue
            new = {x["doc_id"] for x in r.json()["results"] if x["doc_id"].startswith("ong-")}
            seen.append(len(new))
    uploader.join(timeout=150)
    assert not uploader.is_alive(), "the upload did not finish"
    server.should_exit = True
    thread.join(timeout=10)
    assert result["upload"].status_code == 201, result["upload"].text
    assert not errors
    assert len(seen) >= 3  # searches really ran during the upload
    assert set(seen) <= {0, 3}  # never a partial index


def test_kind_filter(client):
    r = client.get("/api/search", params={"q": "giải phóng mặt bằng", "kind": "shortcoming", "k": 10}).json()
    assert r["results"] and all(x["kind"] == "shortcoming" for x in r["results"])
    assert client.get("/api/search", params={"q": "bão", "kind": "rumour"}).status_code == 422


def test_tasks_and_assignees(client):
    r = client.get("/api/tasks", params={"q": "khắc phục hậu quả bão số 3", "k": 100}).json()
    assert r["tasks"]
    t = r["tasks"][0]
    assert set(t) >= {"assignees", "action", "deadline", "lead_person", "doc_id", "citation"}
    assert set(t["citation"]) >= {"number", "issuer", "issued_date", "heading_path", "char_span"}
    units = {a for x in r["tasks"] for a in x["assignees"]}
    assert "Phòng Nông nghiệp và PTNT" in units
    only = client.get("/api/tasks", params={"assignee": "Phòng Kinh tế và Hạ tầng", "k": 100}).json()["tasks"]
    assert only and all(any("Kinh tế và Hạ tầng" in a for a in x["assignees"]) for x in only)
    due = client.get("/api/tasks", params={"due_from": "2024-10-01", "due_to": "2024-11-30", "k": 200}).json()["tasks"]
    assert due and all(x["deadline"] and "2024-10" <= x["deadline"][:7] <= "2024-11" or x["deadline"] == "2024-Q4" for x in due)
    # the same date forms as the search filters; impossible dates refused
    assert client.get("/api/tasks", params={"due_to": "30/11/2024", "k": 200}).json()["tasks"] == \
        client.get("/api/tasks", params={"due_to": "2024-11-30", "k": 200}).json()["tasks"]
    assert client.get("/api/tasks", params={"due_to": "2024-99-99"}).status_code == 422
    # total counts every match, not just the page sent
    everything = client.get("/api/tasks", params={"k": 200}).json()
    page = client.get("/api/tasks", params={"k": 3}).json()
    assert everything["total"] == len(everything["tasks"]) > 3
    assert page["total"] == everything["total"] and len(page["tasks"]) == 3
    assert page["tasks"] == everything["tasks"][:3]
    units = client.get("/api/assignees").json()["assignees"]
    assert units[0]["tasks"] >= units[-1]["tasks"] and {"name", "key", "tasks"} <= set(units[0])


def test_recurring_shortcomings_and_similar(client):
    # The grouping's quality depends on the real model (test_end_to_end.py checks
    # it); here: the shape, the date order, and that every occurrence is on topic.
    r = client.get("/api/shortcomings/recurring", params={"q": "giải phóng mặt bằng chậm"}).json()
    assert r["groups"] and r["threshold"] > 0
    docs = {o["doc_id"] for g in r["groups"] for o in g["occurrences"]}
    assert len(docs) >= 3
    for g in r["groups"]:
        dates = [o["date"] for o in g["occurrences"]]
        assert dates == sorted(dates) and g["documents"] == len({o["doc_id"] for o in g["occurrences"]})
        assert all("giải phóng mặt bằng" in o["passage"].lower() or "gpmb" in o["passage"].lower()
                   for o in g["occurrences"])
    g = r["groups"][0]
    pid = g["occurrences"][0]["chunk_id"]
    by_passage = client.get("/api/shortcomings/recurring", params={"passage_id": pid}).json()
    assert by_passage["groups"]
    sim = client.get(f"/api/passages/{pid}/similar", params={"k": 5}).json()["results"]
    assert len(sim) == 5 and all(x["chunk_id"] != pid for x in sim)
    assert client.get("/api/passages/999999/similar").status_code == 404
    assert client.get("/api/shortcomings/recurring").status_code == 422
    assert client.get("/api/shortcomings/recurring", params={"passage_id": 999999}).status_code == 404


def _cli_search(settings: Settings, *args: str) -> tuple[int, str, str]:
    import io

    from search_api.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = main(["--home", str(settings.home), "search", *args, "--data-dir", str(settings.index_dir)], out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("filters", [
    {"type_code": "TB"},
    {"number": "236/TB-UBND"},
    {"year": "2024"},
    {"date_from": "1/7/2024"},
    {"date_from": "1/7/2024", "date_to": "2024-12-31", "doc_type": "Thông báo"},
    {"year": "2023", "kind": "shortcoming"},
    {"issuer": "UBND tỉnh Ngàn Hà"},
])
def test_api_filters_exactly_as_the_cli(tmp_path, filters):
    """The same filters through `vanban search --filter` and GET /api/search give the same passages."""
    import json as _json

    settings, service = make_service(tmp_path)
    query = "giải phóng mặt bằng"
    options = [x for name, value in filters.items() for x in ("--filter", f"{name}={value}")]
    code, out, err = _cli_search(settings, query, "--mode", "lexical", "--k", "50", "--json", *options)
    assert code == 0, err
    cli_ids = [r["chunk_id"] for r in _json.loads(out)["results"]]
    with TestClient(create_app(settings, service)) as c:
        r = c.get("/api/search", params={"q": query, "mode": "lexical", "k": 50, **filters})
    assert r.status_code == 200, r.text
    assert [x["chunk_id"] for x in r.json()["results"]] == cli_ids
    unfiltered = c.get("/api/search", params={"q": query, "mode": "lexical", "k": 50}).json()["total"]
    assert r.json()["total"] < unfiltered  # the filter did something


def test_bad_filters_get_the_same_code_from_the_cli_and_the_api(client, tmp_path):
    settings = client.app.state.settings
    for name, value in [("date_from", "2024-02-30"), ("year", "24"), ("kind", "rumour")]:
        r = client.get("/api/search", params={"q": "bão", name: value})
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_parameter"
        code, _, err = _cli_search(settings, "bão", "--mode", "lexical", "--filter", f"{name}={value}")
        assert code == 2 and "[invalid_parameter]" in err and name in err


def test_query_length_limit_comes_from_settings(tmp_path, monkeypatch):
    settings, service = make_service(tmp_path, max_query_chars=5000)
    long_query = ("giải phóng mặt bằng " * 200)[:3000]
    with TestClient(create_app(settings, service)) as c:
        assert c.get("/api/search", params={"q": long_query, "mode": "lexical"}).status_code == 200
        r = c.get("/api/search", params={"q": "x" * 6000, "mode": "lexical"})
        assert r.status_code == 422 and r.json()["error"]["code"] == "query_too_long"
        r = c.get("/api/tasks", params={"q": "x" * 6000})
        assert r.status_code == 422 and r.json()["error"]["code"] == "query_too_long"
    monkeypatch.setenv("VANBAN_MAX_QUERY_CHARS", "5000")
    code, out, err = _cli_search(settings, long_query, "--mode", "lexical")
    assert code == 0, err
    code, _, err = _cli_search(settings, "x" * 6000, "--mode", "lexical")
    assert code == 2 and "[query_too_long]" in err and "5000" in err


def test_page_size_limit_comes_from_settings(tmp_path):
    settings, service = make_service(tmp_path, max_page_size=80)
    with TestClient(create_app(settings, service)) as c:
        assert len(c.get("/api/search", params={"q": "bão", "k": 80, "mode": "lexical"}).json()["results"]) == 80
        assert c.get("/api/search", params={"q": "bão", "k": 81}).status_code == 422
        params = c.get("/openapi.json").json()["paths"]["/api/search"]["get"]["parameters"]
        assert next(p for p in params if p["name"] == "k")["schema"]["maximum"] == 80


def test_openapi_describes_every_answer(client):
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ErrorResponse" in schemas
    operations = [(path, method, op) for path, ops in spec["paths"].items() if path.startswith("/api/")
                  for method, op in ops.items()]
    assert len(operations) >= 11
    for path, method, op in operations:
        statuses = op["responses"]
        success = [s for s in statuses if s.startswith("2")]
        assert success, (method, path)
        for status in success:
            content = statuses[status]["content"]
            schema = next(iter(content.values())).get("schema")
            if path.endswith("/file"):  # the original file, whatever its type
                assert "application/octet-stream" in content
                continue
            assert schema and "$ref" in schema, (method, path, status)
            assert schemas[schema["$ref"].rsplit("/", 1)[1]]["properties"], (method, path)
        errors = [s for s in statuses if s[0] in "45"]
        if op.get("parameters") or "requestBody" in op:
            assert "422" in errors, (method, path)
        for status in errors:
            schema = statuses[status]["content"]["application/json"]["schema"]
            refs = [schema.get("$ref")] + [x.get("$ref") for x in schema.get("anyOf", [])]
            assert "#/components/schemas/ErrorResponse" in refs, (method, path, status)
    # the search filters are those of search_api.params, under the same names as the CLI's --filter
    from search_api.params import FILTER_FIELDS

    names = [p["name"] for p in spec["paths"]["/api/search"]["get"]["parameters"]]
    assert sorted(names) == sorted(["q", "k", "page", "mode", "group", *FILTER_FIELDS])
    kind = next(p for p in spec["paths"]["/api/search"]["get"]["parameters"] if p["name"] == "kind")
    assert "shortcoming" in str(kind["schema"])
    # what each answer says, checked against a real answer
    body = client.get("/api/search", params={"q": "bão số 3"}).json()
    assert set(schemas["SearchPage"]["properties"]) == set(body)
    assert set(schemas["SearchHit"]["properties"]) == set(body["results"][0])


def test_search_by_document(client):
    r = client.get("/api/search", params={"q": "giải phóng mặt bằng", "group": "document", "k": 4})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["group"] == "document" and body["results"] == [] and len(body["documents"]) == 4
    ids = [d["doc_id"] for d in body["documents"]]
    assert len(set(ids)) == 4 and body["total"] >= 4
    assert all(d["passages"] and all(p["doc_id"] == d["doc_id"] for p in d["passages"]) for d in body["documents"])
    page2 = client.get("/api/search", params={"q": "giải phóng mặt bằng", "group": "document", "k": 4, "page": 2}).json()
    assert not set(ids) & {d["doc_id"] for d in page2["documents"]}
    assert client.get("/api/search", params={"q": "bão", "group": "folder"}).status_code == 422
    # the same candidates are counted whatever the grouping or the page
    flat = client.get("/api/search", params={"q": "giải phóng mặt bằng", "k": 4}).json()
    deep = client.get("/api/search", params={"q": "giải phóng mặt bằng", "k": 10, "page": 15}).json()
    assert flat["facets"] == body["facets"] == deep["facets"]


def test_lookup_and_relations_endpoints(client):
    r = client.get("/api/lookup", params={"q": "812/UBND-NN"})
    assert r.status_code == 200 and r.json()["documents"][0]["doc_id"] == "2024-09-cv-812-khac-phuc-hau-qua-bao-so-3.md"
    assert client.get("/api/lookup", params={"q": "x" * 1001}).json()["error"]["code"] == "query_too_long"
    rel = client.get("/api/documents/2024-09-cv-812-khac-phuc-hau-qua-bao-so-3.md/relations")
    assert rel.status_code == 200 and set(rel.json()) == {"doc_id", "outgoing", "incoming", "status"}
    assert client.get("/api/documents/nope.txt/relations").json()["error"]["code"] == "unknown_document"
