"""Who may read what, through every read endpoint.

An index holds the public samples and documents of two groups (thanh-tra,
to-chuc), each with words, a number and tasks only it has. Users in each group,
a user in none, an anonymous caller and the administrator call every read
endpoint with queries aimed at the restricted documents; an answer that names a
document the caller may not read (its id, its number, or a word only it holds)
fails the test. Those who may read them must still find them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

import search_api.accounts as accounts_module
from conftest import SAMPLES
from corpus.chunker import approx_tokens
from fakes import HashEncoder
from indexer.build import Access, Indexer
from indexer.snapshot import SnapshotDir
from search_api.api import IndexService, create_app
from search_api.retrieval import RetrievalSettings, Searcher
from search_api.settings import Settings

ADMIN_TOKEN = "quan-tri-bi-mat-123"

SECRET_DOCS = {
    "thanh-tra": ("kl-thanh-tra-xa-tan-lap.txt", "41/KL-TTr", "UBND xã Tân Lập", "vườn quýt Quỳnh Nhai",
                  "kết luận thanh tra việc quản lý đất công ích tại xã Tân Lập"),
    "to-chuc": ("tb-nhan-su-phong-noi-vu.txt", "52/TB-UBND", "Trung tâm Lưu trữ huyện", "điều động cán bộ Bế Thị Hạnh",
                "phương án điều động cán bộ Bế Thị Hạnh về Trung tâm Lưu trữ huyện"),
}


def _secret_text(group: str) -> str:
    _, number, unit, marker, subject = SECRET_DOCS[group]
    return f"""(Văn bản hư cấu: huyện Sông Mây, tỉnh Ngàn Hà không có thật.)
UBND HUYỆN SÔNG MÂY

Số: {number}

Sông Mây, ngày 3 tháng 11 năm 2024

THÔNG BÁO
{subject[0].upper() + subject[1:]}

1. Tình hình

Qua rà soát, {marker} còn nhiều tồn tại, hạn chế: hồ sơ chưa đầy đủ, việc quản lý còn chậm so với yêu cầu.

2. Nhiệm vụ

- Giao {unit} hoàn thành hồ sơ về {marker} trước ngày 30/12/2024.
- Giao Thanh tra huyện kiểm tra lại {marker} trong quý IV/2024.

Thực hiện Thông báo số 236/TB-UBND ngày 08/10/2024 của UBND huyện.
"""


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    root = tmp_path_factory.mktemp("access")
    data = root / "data"
    enc = HashEncoder()
    indexer = Indexer(data, enc, approx_tokens)
    indexer.run([SAMPLES])
    for group, (name, *_rest) in SECRET_DOCS.items():
        folder = root / group
        folder.mkdir()
        (folder / name).write_text(_secret_text(group), encoding="utf-8")
        indexer.run([folder], access=Access(frozenset({group})))
    return root, data


@pytest.fixture(scope="module")
def app(archive):
    root, data = archive
    mp = pytest.MonkeyPatch()
    mp.setattr(accounts_module, "PasswordHasher", lambda: PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
    mp.setattr(accounts_module, "SCRYPT_N", 2**8)
    settings = Settings(home=root / "home", data_dir=data, admin_token=ADMIN_TOKEN)
    service = IndexService(settings, encoder=HashEncoder(), count_tokens=approx_tokens)
    with TestClient(create_app(settings, service)) as client:
        accounts = client.app.state.accounts
        tokens = {
            "lan": accounts.add_user("lan", frozenset({"thanh-tra"}), False),
            "minh": accounts.add_user("minh", frozenset({"to-chuc"}), False),
            "nam": accounts.add_user("nam", frozenset(), False),
        }
        yield client, tokens, settings
    mp.undo()


def _headers(who: str, tokens: dict[str, str]) -> dict[str, str]:
    if who == "anonymous":
        return {}
    if who == "admin":
        return {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    return {"Authorization": f"Bearer {tokens[who]}"}


READERS = {"lan": {"thanh-tra"}, "minh": {"to-chuc"}, "nam": set(), "anonymous": set(), "admin": {"thanh-tra", "to-chuc"}}


def _leaks(body: str, group: str) -> list[str]:
    """Words of ``group``'s document in an answer, beyond what the caller sent: the
    query echoed back, and the id in a 404 for the id asked for, are the caller's own."""
    name, number, unit, marker, _subject = SECRET_DOCS[group]
    try:
        data = json.loads(body)
    except ValueError:
        data = body
    if isinstance(data, dict):
        data.pop("query", None)
        if "error" in data:
            assert data["error"]["code"] in ("unknown_document", "unknown_passage"), data
            return []
    text = json.dumps(data, ensure_ascii=False).lower()
    words = [name, number, marker, marker.split()[-1], unit]
    return [w for w in words if w.lower() in text]


def _reads(client: TestClient, headers: dict[str, str], group: str) -> list[tuple[str, str]]:
    """(what, body) of every read endpoint for queries aimed at ``group``'s document."""
    name, number, unit, marker, subject = SECRET_DOCS[group]
    calls: list[tuple[str, str]] = []

    def get(url: str, **params) -> None:
        r = client.get(url, params=params, headers=headers)
        assert r.status_code < 500, (url, params, r.text)
        calls.append((f"{url} {params}", r.text))

    for q in (marker, number, subject, f"{marker} tồn tại hạn chế", "kết luận thanh tra" if group == "thanh-tra" else "điều động"):
        for group_by in ("passage", "document"):
            get("/api/search", q=q, k=50, group=group_by)
        get("/api/search", q=q, k=50, mode="lexical")
        get("/api/search", q=q, k=50, mode="dense")
        get("/api/lookup", q=q)
        get("/api/tasks", q=q, k=200)
        get("/api/shortcomings/recurring", q=q)
    get("/api/search", q=number, number=number)
    get("/api/tasks", k=200)
    get("/api/tasks", assignee=unit, k=200)
    get("/api/assignees")
    get("/api/stats")
    get(f"/api/documents/{name}")
    get(f"/api/documents/{name}/file")
    get(f"/api/documents/{name}/relations")
    # the public notice the secret one cites: its incoming links must not show the secret one
    get("/api/documents/2024-10-tb-236-ket-luan-phien-hop-thang-9.docx/relations")
    return calls


def _secret_passage(settings: Settings, group: str) -> int:
    searcher = Searcher(SnapshotDir(settings.index_dir).require_current(), HashEncoder())
    hit = searcher.search(SECRET_DOCS[group][3], k=5, mode="lexical").results[0]
    searcher.close()
    assert hit.doc_id == SECRET_DOCS[group][0]
    return hit.chunk_id


@pytest.mark.parametrize("who", list(READERS))
def test_nothing_restricted_reaches_those_who_may_not_read_it(app, who):
    client, tokens, settings = app
    headers = _headers(who, tokens)
    for group in SECRET_DOCS:
        calls = _reads(client, headers, group)
        # passages of the secret document, asked for directly
        pid = _secret_passage(settings, group)
        for url in (f"/api/passages/{pid}/similar", f"/api/shortcomings/recurring?passage_id={pid}"):
            r = client.get(url, headers=headers)
            calls.append((url, r.text))
            if group not in READERS[who]:
                assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_passage", (who, url)
        if group in READERS[who]:
            continue
        for what, body in calls:
            assert not _leaks(body, group), (who, what, _leaks(body, group), body[:500])


@pytest.mark.parametrize("who", ["lan", "minh", "admin"])
def test_those_who_may_read_them_find_them(app, who):
    client, tokens, _ = app
    headers = _headers(who, tokens)
    for group in READERS[who]:
        name, number, unit, marker, subject = SECRET_DOCS[group]
        top = client.get("/api/search", params={"q": marker, "k": 5}, headers=headers).json()["results"]
        assert top and top[0]["doc_id"] == name
        hit = client.get("/api/search", params={"q": number}, headers=headers).json()["results"][0]
        assert (hit["doc_id"], hit["match"]) == (name, "number")
        assert client.get("/api/lookup", params={"q": number}, headers=headers).json()["documents"][0]["doc_id"] == name
        assert client.get(f"/api/documents/{name}", headers=headers).status_code == 200
        assert client.get(f"/api/documents/{name}/file", headers=headers).status_code == 200
        tasks = client.get("/api/tasks", params={"q": marker, "k": 50}, headers=headers).json()["tasks"]
        assert any(t["doc_id"] == name for t in tasks)
        units = {a["name"] for a in client.get("/api/assignees", headers=headers).json()["assignees"]}
        assert unit in units
        incoming = client.get("/api/documents/2024-10-tb-236-ket-luan-phien-hop-thang-9.docx/relations",
                              headers=headers).json()["incoming"]
        assert name in {link["source"] for link in incoming}


def test_counts_and_facets_are_what_the_caller_may_read(app):
    client, tokens, _ = app
    everything = client.get("/api/stats", headers=_headers("admin", tokens)).json()
    anonymous = client.get("/api/stats").json()
    lan = client.get("/api/stats", headers=_headers("lan", tokens)).json()
    assert everything["documents"] == anonymous["documents"] + 2 == lan["documents"] + 1
    assert anonymous["last_indexing"] is None and everything["last_indexing"] is not None
    q = {"q": "tồn tại hạn chế hồ sơ chưa đầy đủ", "k": 50}
    admin_total = client.get("/api/search", params=q, headers=_headers("admin", tokens)).json()
    anon_total = client.get("/api/search", params=q).json()
    assert anon_total["total"] < admin_total["total"]
    assert sum(f["count"] for f in anon_total["facets"]["doc_type"]) < sum(f["count"] for f in admin_total["facets"]["doc_type"])


def test_filtering_happens_before_ranking(tmp_path):
    """A reader whose only matching document ranks below the first 100 candidates of
    everything still gets it: the restriction is applied before each side ranks."""
    other = tmp_path / "other"
    other.mkdir()
    for i in range(130):
        (other / f"bao-cao-{i:03d}.txt").write_text(
            f"Báo cáo {i}: rà soát ao cá giống, ao cá giống, ao cá giống của hợp tác xã số {i}.\n", encoding="utf-8")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "bien-ban.txt").write_text("Biên bản họp chi bộ; có nhắc qua ao cá giống một lần.\n" + "Nội dung khác. " * 40,
                                       encoding="utf-8")
    data = tmp_path / "data"
    indexer = Indexer(data, HashEncoder(), approx_tokens)
    indexer.run([other], access=Access(frozenset({"hop-tac-xa"})))
    indexer.run([mine], access=Access(frozenset({"chi-bo"})))
    snap = SnapshotDir(data).require_current()
    # The second searches its vectors as a large index does, through an int8 shortlist.
    for s in (Searcher(snap, HashEncoder()), Searcher(snap, HashEncoder(), RetrievalSettings(quantized_from=2))):
        everything = [r.doc_id for r in s.search("ao cá giống", k=200, mode="lexical").results]
        assert everything.index("bien-ban.txt") >= 100  # below the first 100 candidates of everything
        for mode in ("lexical", "hybrid", "dense"):
            mine_only = s.search("ao cá giống", k=10, mode=mode, groups=frozenset({"chi-bo"})).results
            assert [r.doc_id for r in mine_only] == ["bien-ban.txt"], mode
        assert s.search("ao cá giống", k=10, groups=frozenset()).results == []  # public: nothing
        s.close()


def test_access_changes_without_reading_again(app, archive):
    client, tokens, settings = app
    name = SECRET_DOCS["to-chuc"][0]
    lan = _headers("lan", tokens)
    assert client.get(f"/api/documents/{name}", headers=lan).status_code == 404
    r = client.put(f"/api/documents/{name}/access", json={"access": "to-chuc,thanh-tra"}, headers=_headers("admin", tokens))
    assert r.status_code == 200 and r.json()["changed"]
    assert client.get(f"/api/documents/{name}", headers=lan).status_code == 200
    assert client.put(f"/api/documents/{name}/access", json={"access": "to-chuc"}, headers=lan).status_code == 403
    r = client.put(f"/api/documents/{name}/access", json={"access": "to-chuc"}, headers=_headers("admin", tokens))
    assert r.status_code == 200
    assert client.get(f"/api/documents/{name}", headers=lan).status_code == 404
    assert client.put(f"/api/documents/{name}/access", json={"access": ""}, headers=_headers("admin", tokens)).status_code == 422


def test_bad_credentials_are_clear_errors_and_audited_without_the_secret(app):
    client, tokens, settings = app
    accounts = client.app.state.accounts
    r = client.get("/api/search", params={"q": "bão"}, headers={"Authorization": "Bearer vb_000000000000_" + "x" * 43})
    assert r.status_code == 401 and r.json()["error"]["code"] == "bad_token"
    r = client.get("/api/search", params={"q": "bão", "token": tokens["lan"]})
    assert r.status_code == 401 and r.json()["error"]["code"] == "token_in_query"
    # a group renamed: the next request reads with the new groups
    accounts.set_groups("nam", frozenset({"thanh-tra"}))
    name = SECRET_DOCS["thanh-tra"][0]
    assert client.get(f"/api/documents/{name}", headers=_headers("nam", tokens)).status_code == 200
    accounts.set_groups("nam", frozenset())
    assert client.get(f"/api/documents/{name}", headers=_headers("nam", tokens)).status_code == 404
    # a session, then the user removed while signed in
    accounts.add_user("hoa", frozenset({"thanh-tra"}), False)
    accounts.set_password("hoa", "mat-khau-dai-du")
    r = client.post("/api/session", json={"name": "hoa", "password": "mat-khau-dai-du"})
    assert r.status_code == 200 and r.json()["groups"] == ["thanh-tra"]
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "max-age=" in cookie
    assert client.get(f"/api/documents/{name}").status_code == 200  # the cookie reads for hoa
    accounts.remove_user("hoa")
    r = client.get("/api/search", params={"q": "bão"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "session_expired"
    client.cookies.clear()
    r = client.post("/api/session", json={"name": "lan", "password": "sai-mat-khau"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "bad_credentials"
    log = "\n".join(p.read_text(encoding="utf-8") for p in (Path(settings.index_dir) / "audit").glob("*.jsonl"))
    entries = [json.loads(line) for line in log.splitlines()]
    assert {"refused", "sign_in", "sign_in_failed", "search", "open_document"} <= {e["action"] for e in entries}
    for secret in (tokens["lan"], tokens["minh"], ADMIN_TOKEN, "mat-khau-dai-du", "sai-mat-khau"):
        assert secret not in log


def test_anonymous_none_refuses_callers_without_credentials(archive):
    root, data = archive
    settings = Settings(home=root / "home2", data_dir=data, admin_token=ADMIN_TOKEN, anonymous="none")
    service = IndexService(settings, encoder=HashEncoder(), count_tokens=approx_tokens)
    with TestClient(create_app(settings, service)) as c:
        r = c.get("/api/search", params={"q": "bão"})
        assert r.status_code == 401 and r.json()["error"]["code"] == "login_required"
        assert c.get("/api/search", params={"q": "bão"}, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).status_code == 200
