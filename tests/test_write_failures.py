"""Writes that fail: a full disk at every place the indexer writes (CLI and API
give one ``disk_full`` error, nothing staged is left, the published snapshot
still answers), a run killed while embedding (the embedding cache keeps every
finished model batch), and an upload killed mid-index (nothing left in
``uploads/``). Faults are injected where the libraries raise them; the real
full disk is benchmarks/audit_full_disk.py (it needs root to mount a tmpfs)."""

from __future__ import annotations

import errno
import io
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from fastapi.testclient import TestClient

import indexer.snapshot as snapshot_module
from conftest import AUTH, NEW_DOC, REPO, SAMPLES, TOKEN
from corpus.chunker import approx_tokens
from fakes import HashEncoder
from indexer.build import Indexer
from indexer.embed_cache import EmbeddingCache
from indexer.errors import DiskFullError, disk_full, is_disk_full
from indexer.lexical import LexicalIndex
from indexer.snapshot import SnapshotDir
from indexer.store import ChunkStore
from indexer.vectors import VectorIndex
from search_api.api import IndexService, create_app
from search_api.api.service import Upload
from search_api.retrieval import Searcher
from search_api.settings import Settings

FULL_SQLITE = sqlite3.OperationalError("database or disk is full")
# What tantivy and FAISS raise on ENOSPC (seen on a full tmpfs).
FULL_TANTIVY = ValueError("An IO error occurred: 'No space left on device (os error 28)'")
FULL_FAISS = RuntimeError("Error in void faiss::write_index(...): write error in v.faiss: 1 != 5 (No space left on device)")


def full_os() -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def raiser(exc: BaseException):
    def fail(*args, **kwargs):
        raise exc
    return fail


@contextmanager
def fault(monkeypatch, where: str) -> Iterator[None]:
    """The disk fills at ``where`` (one of FAULTS) inside the block."""
    owner, name, exc = FAULTS[where]
    with monkeypatch.context() as patch:
        patch.setattr(owner, name, raiser(exc))
        yield


@pytest.fixture(scope="module")
def indexed(tmp_path_factory) -> Path:
    """The samples indexed once; each test works on its own copy."""
    data = tmp_path_factory.mktemp("indexed") / "data"
    Indexer(data, HashEncoder(), approx_tokens).run([SAMPLES])
    return data


def copy_index(indexed: Path, tmp_path: Path) -> Path:
    import shutil

    data = tmp_path / "data"
    shutil.copytree(indexed, data)
    return data


def state(data: Path) -> tuple[str, list[str]]:
    return (data / "CURRENT").read_text(), sorted(p.name for p in (data / "snapshots").iterdir())


def answers(data: Path, query: str = "nuôi ong lấy mật") -> list[str]:
    searcher = Searcher(SnapshotDir(data).require_current(), HashEncoder())
    try:
        return [r.doc_id for r in searcher.search(query, k=5, mode="lexical").results]
    finally:
        searcher.close()


def new_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "new"
    folder.mkdir()
    (folder / "ong.txt").write_text(NEW_DOC, encoding="utf-8")
    return folder


# ------------------------------------------------------------------ recognising a full disk


def test_every_way_of_saying_no_space_is_recognised():
    for exc in (full_os(), OSError(errno.EDQUOT, "Disk quota exceeded"), FULL_SQLITE, FULL_TANTIVY, FULL_FAISS):
        assert is_disk_full(exc), exc
    try:
        try:
            raise full_os()
        except OSError as inner:
            raise RuntimeError("wrapped") from inner
    except RuntimeError as outer:
        assert is_disk_full(outer)
    for exc in (OSError(errno.EACCES, "Permission denied"), sqlite3.OperationalError("no such table: x"),
                ValueError("bad value"), KeyboardInterrupt()):
        assert not is_disk_full(exc), exc


def test_the_error_names_the_path_and_the_space(tmp_path):
    err = DiskFullError(tmp_path / "data", needed=3 * 1024 * 1024, free=1024 * 1024)
    assert err.code == "disk_full" and err.path == str(tmp_path / "data")
    assert str(err).startswith(f"Ổ đĩa đã đầy khi ghi vào {tmp_path / 'data'} (cần ít nhất 3,0 MB, còn trống 1,0 MB)")
    # What it had written is less than what was free: it ran out with that much to spare.
    spare = DiskFullError(tmp_path, needed=1000, free=5000)
    assert spare.needed == 5001 and "(cần hơn 4,9 KB, còn trống 4,9 KB)" in str(spare)
    with pytest.raises(DiskFullError) as caught:
        with disk_full(tmp_path / "not-yet" / "there"):
            raise full_os()
    err = caught.value
    assert err.path == str(tmp_path / "not-yet" / "there") and err.free is not None and err.free > 0
    assert err.detail() == {"path": err.path, "needed_bytes": None, "free_bytes": err.free,
                            "cause": "OSError: [Errno 28] No space left on device"}
    with pytest.raises(DiskFullError) as caught:
        with disk_full(tmp_path):
            raise OSError(errno.EDQUOT, "Disk quota exceeded")
    assert caught.value.free is None  # the disk's free space is not the writer's under a quota
    with pytest.raises(ValueError):  # anything else goes through untouched
        with disk_full(tmp_path):
            raise ValueError("bad value")


# ------------------------------------------------------------------ the indexer

FAULTS = {
    "store": (ChunkStore, "add_document", FULL_SQLITE),
    "store commit": (ChunkStore, "commit", FULL_SQLITE),
    "lexical commit": (LexicalIndex, "commit", FULL_TANTIVY),
    "embedding cache": (EmbeddingCache, "put", FULL_SQLITE),
    "vector index": (VectorIndex, "save", FULL_FAISS),
    "snapshot clone": (snapshot_module.shutil, "copy2", full_os()),
    "publish": (snapshot_module, "_fsync_dir", full_os()),
}


@pytest.mark.parametrize("where", list(FAULTS))
def test_a_full_disk_while_indexing_changes_nothing(indexed, tmp_path, monkeypatch, where):
    data = copy_index(indexed, tmp_path)
    before = state(data)
    with fault(monkeypatch, where), pytest.raises(DiskFullError) as caught:
        Indexer(data, HashEncoder(), approx_tokens).run([new_folder(tmp_path)])
    err = caught.value
    assert err.path == str(data) and err.free is not None and str(data) in str(err)
    assert err.needed and err.needed > 0  # at least the clone of the store
    assert err.detail()["cause"] == f"{type(FAULTS[where][2]).__name__}: {FAULTS[where][2]}"
    assert state(data) == before  # no half-written snapshot, CURRENT unchanged
    assert not list((data / "snapshots").glob("*.tmp")) and not (data / "CURRENT.tmp").exists()
    hits = answers(data)
    assert hits and "ong.txt" not in hits  # the published snapshot still answers, without the new document


def test_a_failing_close_does_not_keep_the_store_open(indexed, tmp_path, monkeypatch):
    """After a full disk tantivy's close fails too ("Worker thread failed"); the store
    and the embedding cache are still closed (an open deleted file keeps its space),
    and the error says what filled the disk."""
    data = copy_index(indexed, tmp_path)
    closed: list[str] = []
    real_store_close, real_cache_close = ChunkStore.close, EmbeddingCache.close

    def lexical_close(self):
        raise ValueError("An error occurred in a thread: 'Worker thread failed.. A worker thread encountered an error "
                         "(io::Error most likely) or panicked.'")

    def store_close(self):
        closed.append("store")
        real_store_close(self)

    def cache_close(self):
        closed.append("cache")
        real_cache_close(self)

    with fault(monkeypatch, "vector index"), monkeypatch.context() as patch:
        patch.setattr(LexicalIndex, "close", lexical_close)
        patch.setattr(ChunkStore, "close", store_close)
        patch.setattr(EmbeddingCache, "close", cache_close)
        with pytest.raises(DiskFullError) as caught:
            Indexer(data, HashEncoder(), approx_tokens).run([new_folder(tmp_path)])
    assert sorted(closed) == ["cache", "store"]
    assert caught.value.detail()["cause"].startswith("RuntimeError: Error in void faiss::write_index")
    assert not list((data / "snapshots").glob("*.tmp"))


def test_a_full_disk_while_removing_changes_nothing(indexed, tmp_path, monkeypatch):
    data = copy_index(indexed, tmp_path)
    before = state(data)
    doc_id = answers(data, "bão số 3")[0]
    with fault(monkeypatch, "lexical commit"), pytest.raises(DiskFullError):
        Indexer(data, HashEncoder(), approx_tokens).remove([doc_id])
    assert state(data) == before and doc_id in answers(data, "bão số 3")


def test_cli_index_on_a_full_disk(indexed, tmp_path, monkeypatch):
    import search_api.cli as cli
    import search_api.services as services

    data = copy_index(indexed, tmp_path)
    before = state(data)
    monkeypatch.setattr(services, "embedder", lambda settings, threads: HashEncoder())
    monkeypatch.setattr(cli, "token_counter", lambda settings, err=None: approx_tokens)
    out, err = io.StringIO(), io.StringIO()
    with fault(monkeypatch, "lexical commit"):
        code = cli.main(["--home", str(tmp_path / "home"), "index", str(new_folder(tmp_path)), "--data-dir", str(data),
                         "--json"], out, err)
    assert code == 2
    lines = [line for line in err.getvalue().splitlines() if line.startswith("Lỗi")]
    assert len(lines) == 1 and lines[0].startswith("Lỗi [disk_full]: Ổ đĩa đã đầy khi ghi vào " + str(data))
    assert "Traceback" not in err.getvalue() and "cần " in lines[0] and "còn trống" in lines[0]
    error = json.loads(out.getvalue())["error"]  # for programs, with --json
    assert error["code"] == "disk_full" and error["detail"]["path"] == str(data) and error["detail"]["needed_bytes"] > 0
    assert state(data) == before and answers(data)


# ------------------------------------------------------------------ the API


def make_service(data: Path, tmp_path: Path, encoder=None) -> tuple[Settings, IndexService]:
    settings = Settings(home=tmp_path / "home", data_dir=data, admin_token=TOKEN, max_upload_mb=1, max_upload_files=3)
    return settings, IndexService(settings, encoder=encoder or HashEncoder(), count_tokens=approx_tokens)


def leftovers(data: Path) -> list[str]:
    """What a write may have left: staged uploads, temporary folders, unfinished snapshots."""
    uploads = data / "uploads"
    found = [f"uploads/{p.name}" for p in uploads.iterdir() if p.name != ".staging.lock"] if uploads.exists() else []
    found += [f"snapshots/{p.name}" for p in (data / "snapshots").glob("*.tmp")]
    found += [f"{data.name}/CURRENT.tmp"] if (data / "CURRENT.tmp").exists() else []
    found += [f"tmp/{name}" for name in os.listdir(tempfile.gettempdir())]
    return found


@pytest.fixture(autouse=True)
def own_tempdir(tmp_path, monkeypatch):
    """A temporary folder of the test's own, so that what a write leaves there is seen
    (and other processes' files are not)."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))


def upload(client: TestClient, name: str = "ong.txt", body: str = NEW_DOC):
    return client.post("/api/documents", files={"files": (name, body.encode(), "text/plain")}, headers=AUTH)


@pytest.mark.parametrize("where", ["store", "lexical commit", "embedding cache", "vector index"])
def test_an_upload_on_a_full_disk(indexed, tmp_path, monkeypatch, where):
    data = copy_index(indexed, tmp_path)
    settings, service = make_service(data, tmp_path)
    before = state(data)
    with TestClient(create_app(settings, service)) as client:
        with fault(monkeypatch, where):
            r = upload(client)
        assert r.status_code == 507 and r.headers["content-type"] == "application/json"
        error = r.json()["error"]
        assert error["code"] == "disk_full" and str(data) in error["message"]
        assert error["detail"]["path"] == str(data) and error["detail"]["free_bytes"] > 0
        assert leftovers(data) == [] and state(data) == before
        assert client.get("/api/stats").json()["documents"] == 10
        assert client.get("/api/search", params={"q": "bão số 3"}).json()["results"]
        # Once there is space again, the same upload goes through.
        assert upload(client).status_code == 201


def test_an_upload_that_fills_the_disk_while_received(indexed, tmp_path, monkeypatch):
    import search_api.api.service as service_module

    data = copy_index(indexed, tmp_path)
    settings, service = make_service(data, tmp_path)

    class FullFile(io.BytesIO):
        def write(self, chunk):
            raise full_os()

        def __exit__(self, *exc):
            return False

    with TestClient(create_app(settings, service)) as client:
        with monkeypatch.context() as patch:
            patch.setattr(service_module, "open", lambda path, *args, **kwargs:
                          FullFile() if "incoming" in str(path) else open(path, *args, **kwargs), raising=False)
            r = upload(client)
        assert r.status_code == 507 and r.json()["error"]["code"] == "disk_full"
        assert str(data / "uploads") in r.json()["error"]["message"]
        assert leftovers(data) == []


def test_a_replacing_upload_on_a_full_disk_keeps_the_previous_file(indexed, tmp_path, monkeypatch):
    data = copy_index(indexed, tmp_path)
    settings, service = make_service(data, tmp_path)
    with TestClient(create_app(settings, service)) as client:
        assert upload(client).status_code == 201
        with fault(monkeypatch, "lexical commit"):
            r = upload(client, body=NEW_DOC.replace("nuôi ong lấy mật", "trồng rừng gỗ lớn"))
        assert r.status_code == 507
        assert (data / "uploads" / "ong.txt").read_text(encoding="utf-8") == NEW_DOC
        assert client.get("/api/documents/ong.txt/file").text == NEW_DOC
        assert sorted(p.name for p in (data / "uploads").iterdir()) == [".staging.lock", "ong.txt"]


def test_a_delete_on_a_full_disk(indexed, tmp_path, monkeypatch):
    data = copy_index(indexed, tmp_path)
    settings, service = make_service(data, tmp_path)
    before = state(data)
    with TestClient(create_app(settings, service)) as client:
        doc_id = client.get("/api/search", params={"q": "bão số 3"}).json()["results"][0]["doc_id"]
        with fault(monkeypatch, "store commit"):
            r = client.delete(f"/api/documents/{doc_id}", headers=AUTH)
        assert r.status_code == 507 and r.json()["error"]["code"] == "disk_full"
        assert state(data) == before and client.get(f"/api/documents/{doc_id}").status_code == 200


def test_openapi_declares_disk_full_for_writes(indexed, tmp_path):
    settings, service = make_service(copy_index(indexed, tmp_path), tmp_path)
    with TestClient(create_app(settings, service)) as client:
        paths = client.get("/openapi.json").json()["paths"]
    assert "507" in paths["/api/documents"]["post"]["responses"]
    assert "507" in paths["/api/documents/{doc_id}"]["delete"]["responses"]
    assert "507" not in paths["/api/search"]["get"]["responses"]


# ------------------------------------------------------------------ the embedding cache


class Interrupted(Exception):
    pass


class DyingEncoder(HashEncoder):
    """The model, killed once it has been asked for ``budget`` passages."""

    def __init__(self, batch_size: int, budget: int):
        super().__init__()
        self.batch_size = batch_size
        self.budget = budget
        self.sizes: list[int] = []

    def encode_passages(self, passages, show_progress=False):
        self.sizes.append(len(passages))
        if sum(self.sizes) > self.budget:
            raise Interrupted()
        return super().encode_passages(passages)


def test_a_run_killed_while_embedding_keeps_every_finished_batch(tmp_path):
    clean = HashEncoder()
    full = Indexer(tmp_path / "clean", clean, approx_tokens).run([SAMPLES])
    assert full.chunks_embedded > 100

    data = tmp_path / "data"
    dying = DyingEncoder(batch_size=8, budget=24)
    with pytest.raises(Interrupted):
        Indexer(data, dying, approx_tokens).run([SAMPLES])
    assert dying.sizes == [8, 8, 8, 8]  # one model batch per call
    assert SnapshotDir(data).current() is None  # nothing published

    again = HashEncoder()
    report = Indexer(data, again, approx_tokens).run([SAMPLES])
    assert again.encoded == report.chunks_embedded == full.chunks_embedded - 24  # the 3 finished batches were kept
    # and the index is the one a clean run builds
    fresh, rerun = ChunkStore(tmp_path / "clean" / "snapshots" / full.snapshot / "store.sqlite", readonly=True), \
        ChunkStore(data / "snapshots" / report.snapshot / "store.sqlite", readonly=True)
    (ids_a, vecs_a), (ids_b, vecs_b) = fresh.all_vectors(), rerun.all_vectors()
    assert len(ids_a) == len(ids_b) and (vecs_a == vecs_b).all()


# ------------------------------------------------------------------ uploads killed mid-index

KILLED_UPLOAD = """
import os, sys
from pathlib import Path
from corpus.chunker import approx_tokens
from fakes import HashEncoder
from search_api.api.service import IndexService, Upload
from search_api.settings import Settings

class Killed(HashEncoder):
    def encode_passages(self, passages, show_progress=False):
        os._exit(9)  # the process dies mid-index: no finally, no cleanup

settings = Settings(home=Path(sys.argv[1]), data_dir=Path(sys.argv[2]), admin_token="t")
service = IndexService(settings, encoder=Killed(), count_tokens=approx_tokens)
with open(sys.argv[3], "rb") as body:
    service.upload([Upload("ong.txt", body)])
"""


def kill_an_upload(tmp_path: Path, data: Path, body: str) -> None:
    doc = tmp_path / "body.txt"
    doc.write_text(body, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "tests")])}
    done = subprocess.run([sys.executable, "-c", KILLED_UPLOAD, str(tmp_path / "home"), str(data), str(doc)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 9, done.stderr


def test_an_upload_killed_mid_index_leaves_nothing(indexed, tmp_path):
    data = copy_index(indexed, tmp_path)
    before = state(data)
    kill_an_upload(tmp_path, data, NEW_DOC)
    assert leftovers(data)  # what the killed upload had staged
    settings, service = make_service(data, tmp_path)  # the next start settles it
    assert state(data) == before
    assert leftovers(data) == []
    assert [p.name for p in (data / "uploads").iterdir() if p.name != ".staging.lock"] == []
    assert "ong.txt" not in answers(data)
    with TestClient(create_app(settings, service)) as client:
        assert upload(client).status_code == 201
        assert client.get("/api/search", params={"q": "nuôi ong lấy mật"}).json()["results"][0]["doc_id"] == "ong.txt"


def test_a_replacing_upload_killed_mid_index_puts_the_previous_file_back(indexed, tmp_path):
    data = copy_index(indexed, tmp_path)
    settings, service = make_service(data, tmp_path)
    with TestClient(create_app(settings, service)) as client:
        assert upload(client).status_code == 201
    kill_an_upload(tmp_path, data, NEW_DOC.replace("nuôi ong lấy mật", "trồng rừng gỗ lớn"))
    settings, service = make_service(data, tmp_path)
    assert sorted(p.name for p in (data / "uploads").iterdir()) == [".staging.lock", "ong.txt"]
    assert (data / "uploads" / "ong.txt").read_text(encoding="utf-8") == NEW_DOC
    with TestClient(create_app(settings, service)) as client:
        assert client.get("/api/documents/ong.txt/file").text == NEW_DOC


def test_an_interrupted_upload_cleans_up_in_process(indexed, tmp_path):
    class Stopped(HashEncoder):
        def encode_passages(self, passages, show_progress=False):
            raise KeyboardInterrupt

    data = copy_index(indexed, tmp_path)
    before = state(data)
    _, service = make_service(data, tmp_path, encoder=Stopped())
    with pytest.raises(KeyboardInterrupt):
        service.upload([Upload("ong.txt", io.BytesIO(NEW_DOC.encode()))])
    assert leftovers(data) == [] and state(data) == before
    assert not service._write.locked()


def test_a_live_upload_is_not_taken_for_a_dead_one(indexed, tmp_path):
    """A second service (a new instance, or another process) settles only staging
    folders whose upload has died: one in progress is locked."""
    data = copy_index(indexed, tmp_path)
    _, first = make_service(data, tmp_path)
    from search_api.api.service import _Staging

    with _Staging.begin(first.uploads_dir) as staging:
        staging.receive(Upload("ong.txt", io.BytesIO(NEW_DOC.encode())), 1)
        make_service(data, tmp_path)  # starts and looks for dead uploads
        assert staging.path.is_dir() and (staging.path / "incoming" / "ong.txt").exists()
    assert not staging.path.exists()
