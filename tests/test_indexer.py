"""Incremental indexing, deletion, atomic snapshots, filters, citations and
highlights -- with a hash encoder standing in for the model (see fakes.py);
test_end_to_end.py runs the real one."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import REPO, SAMPLES
from corpus.chunker import ChunkSettings, approx_tokens
from fakes import HashEncoder
from indexer.build import Indexer, IndexSettings, ModelMismatchError
from indexer.snapshot import IndexLockedError, SnapshotDir
from indexer.store import ChunkStore, Filters
from search_api.params import ParamError
from search_api.retrieval import Searcher

DOC_A = """UBND HUYỆN SÔNG MÂY

Số: 12/TB-UBND

Sông Mây, ngày 5 tháng 6 năm 2023

THÔNG BÁO
Kết luận về công tác phòng chống bão

1. Tình hình

Bão số 3 gây ngập úng tại xã Đồng Lâm, nhiều diện tích lúa bị thiệt hại.

2. Nhiệm vụ

Phòng Nông nghiệp và PTNT hướng dẫn nhân dân khôi phục sản xuất sau bão số 3.

Nơi nhận:
- Lưu: VT.
"""

DOC_B = """UBND HUYỆN SÔNG MÂY

Số: 40/BC-UBND

Sông Mây, ngày 9 tháng 3 năm 2024

BÁO CÁO
Tiến độ giải phóng mặt bằng

1. Kết quả

Công tác giải phóng mặt bằng dự án đường tránh còn chậm, chưa đạt kế hoạch.

2. Kiến nghị

Đề nghị UBND tỉnh bổ sung vốn cho khu tái định cư.
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    write(folder, "a.txt", DOC_A)
    write(folder, "b.txt", DOC_B)
    return folder


def make_indexer(data: Path, encoder: HashEncoder | None = None, **kw) -> Indexer:
    # These small test documents would become one passage each; keep their
    # sections apart so that replacing one passage can be told from the others.
    kw.setdefault("chunking", ChunkSettings(merge_below=0))
    return Indexer(data, encoder or HashEncoder(), approx_tokens, IndexSettings(**kw))


def searcher(data: Path) -> Searcher:
    return Searcher(SnapshotDir(data).require_current(), HashEncoder())


def test_first_run_indexes_and_second_run_embeds_nothing(tmp_path, corpus):
    data = tmp_path / "data"
    enc = HashEncoder()
    first = make_indexer(data, enc).run([corpus])
    assert first.documents_indexed == 2 and first.chunks_embedded == first.chunks_indexed > 0
    assert first.totals["documents"] == 2
    enc2 = HashEncoder()
    second = make_indexer(data, enc2).run([corpus])
    assert second.files_unchanged == 2 and second.files_read == 0
    assert enc2.encoded == 0 and not second.changed
    assert second.snapshot == first.snapshot  # nothing new was published


class SlowLoadingEncoder(HashEncoder):
    """A model that loads on first use, as the product's LazyEmbedder does."""

    def __init__(self) -> None:
        super().__init__()
        self.loads = 0

    def load(self):
        if not self.loads:
            time.sleep(0.3)
        self.loads += 1
        return self


def test_model_loading_is_reported_apart_from_embedding(tmp_path, corpus):
    enc = SlowLoadingEncoder()
    report = make_indexer(tmp_path / "data", enc).run([corpus])
    assert enc.loads >= 1 and report.model_load_seconds >= 0.3
    assert report.embed_seconds < 0.3 <= report.seconds
    # Nothing to embed: the model is not loaded at all.
    again = SlowLoadingEncoder()
    assert make_indexer(tmp_path / "data", again).run([corpus]).model_load_seconds == 0 and again.loads == 0


def test_changed_file_replaces_its_chunks_and_reuses_unchanged_vectors(tmp_path, corpus):
    data = tmp_path / "data"
    make_indexer(data).run([corpus])
    time.sleep(0.01)
    changed = DOC_A.replace("khôi phục sản xuất sau bão số 3", "khôi phục sản xuất và tiêu úng sau bão số 3")
    write(corpus, "a.txt", changed)
    enc = HashEncoder()
    report = make_indexer(data, enc).run([corpus])
    assert report.files_read == 1 and report.files_unchanged == 1
    assert 0 < report.chunks_embedded < report.chunks_indexed  # only the changed passage
    s = searcher(data)
    hits = s.search("tiêu úng", k=5, mode="lexical").results
    assert hits and hits[0].doc_id == "a.txt"
    # The old wording is gone from every index.
    old = s.search("khôi phục sản xuất sau bão", k=10, mode="lexical").results
    assert all("tiêu úng" in r.text for r in old if "khôi phục sản xuất" in r.text)
    assert s.store.counts()["documents"] == 2


def test_prune_removes_deleted_files_from_every_index(tmp_path, corpus):
    data = tmp_path / "data"
    make_indexer(data).run([corpus])
    (corpus / "b.txt").unlink()
    kept = make_indexer(data).run([corpus])  # without --prune the document stays
    assert kept.documents_removed == 0
    report = make_indexer(data).run([corpus], prune=True)
    assert report.documents_removed == 1
    s = searcher(data)
    assert s.store.counts()["documents"] == 1
    for mode in ("lexical", "dense", "hybrid"):
        assert all(r.doc_id != "b.txt" for r in s.search("giải phóng mặt bằng", k=10, mode=mode).results)
    assert s.vectors.size == s.store.counts()["chunks"]


def test_unreadable_new_version_keeps_the_indexed_one(tmp_path, corpus):
    data = tmp_path / "data"
    make_indexer(data).run([corpus])
    (corpus / "b.txt").write_bytes(b"\x00\x01\x02binary junk\x00" * 50)
    report = make_indexer(data).run([corpus])
    assert any(p.code == "binary_file" and p.path.endswith("b.txt") for p in report.problems)
    hits = searcher(data).search("giải phóng mặt bằng", k=3, mode="lexical").results
    assert hits and hits[0].doc_id == "b.txt"


def test_filters_restrict_every_mode(tmp_path, corpus):
    data = tmp_path / "data"
    make_indexer(data).run([corpus])
    s = searcher(data)
    for mode in ("lexical", "dense", "hybrid"):
        only_reports = s.search("bão số 3 giải phóng mặt bằng", k=10, mode=mode, filters=Filters(doc_type="Báo cáo")).results
        assert only_reports and {r.doc_id for r in only_reports} == {"b.txt"}
        in_2023 = s.search("bão số 3 giải phóng mặt bằng", k=10, mode=mode,
                           filters=Filters(date_from="2023-01-01", date_to="2023-12-31")).results
        assert {r.doc_id for r in in_2023} == {"a.txt"}
    assert s.search("bão", k=5, filters=Filters(issuer="Không có")).results == []


def test_citation_and_highlights_for_a_query_without_diacritics(tmp_path, corpus):
    data = tmp_path / "data"
    make_indexer(data).run([corpus])
    r = searcher(data).search("bao so 3", k=3).results[0]
    assert r.doc_id == "a.txt"
    c = r.citation
    assert (c.number, c.doc_type, c.issuer, c.issued_date) == ("12/TB-UBND", "Thông báo", "UBND huyện Sông Mây", "2023-06-05")
    assert c.subject == "Kết luận về công tác phòng chống bão"
    assert c.heading_path and c.heading_path[0].startswith(("1.", "2."))
    marked = [r.text[a:b] for a, b in r.highlights]
    assert "bão số 3" in [m.lower() for m in marked]
    # char_span points into the document's text.
    doc = searcher(data).store.document("a.txt")
    assert doc["text"][c.char_span[0]:c.char_span[1]] == r.text


def test_hostile_and_bad_queries(tmp_path, corpus):
    data = tmp_path / "data"
    make_indexer(data).run([corpus])
    s = searcher(data)
    for q in ['title:x AND (', '"""', "bão\x00số 3", "💥🔥", "<script>alert(1)</script>", "a" * 999, "NOT OR AND"]:
        s.search(q, k=5)  # no exception
    for q, code in [("", "empty_query"), ("   \n\t ", "empty_query"), ("\x00\x01", "empty_query"),
                    ("x" * 5000, "query_too_long")]:
        with pytest.raises(ParamError) as err:
            s.search(q)
        assert err.value.code == code
    with pytest.raises(ParamError):
        s.search("bão", k=0)
    with pytest.raises(ParamError):
        s.search("bão", mode="magic")


def test_model_change_is_refused(tmp_path, corpus):
    data = tmp_path / "data"
    make_indexer(data).run([corpus])
    with pytest.raises(ModelMismatchError):
        make_indexer(data, HashEncoder(name="other-model")).run([corpus])
    # --rebuild starts over with the new model.
    report = make_indexer(data, HashEncoder(name="other-model")).run([corpus], rebuild=True)
    assert report.documents_indexed == 2


def test_engine_change_is_refused_and_each_engine_has_its_own_cache(tmp_path, corpus):
    data = tmp_path / "data"
    first = make_indexer(data, HashEncoder(engine="openvino-bfloat16")).run([corpus])
    manifest = json.loads((SnapshotDir(data).current().path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["model"]["engine"] == "openvino-bfloat16"
    with pytest.raises(ModelMismatchError) as err:
        make_indexer(data, HashEncoder(engine="torch-bfloat16")).run([corpus])
    assert "openvino-bfloat16" in str(err.value) and "torch-bfloat16" in str(err.value)
    # The same model in float32 rounds differently: refused too.
    with pytest.raises(ModelMismatchError):
        make_indexer(data, HashEncoder(engine="openvino-float32")).run([corpus])
    # --rebuild embeds everything again: the cache holds the other engine's vectors, not this one's.
    other = HashEncoder(engine="torch-bfloat16")
    rebuilt = make_indexer(data, other).run([corpus], rebuild=True)
    assert rebuilt.chunks_embedded == rebuilt.chunks_indexed == first.chunks_indexed
    # Back to the first engine: its vectors are still in the cache, nothing is embedded.
    again = HashEncoder(engine="openvino-bfloat16")
    back = make_indexer(data, again).run([corpus], rebuild=True)
    assert back.chunks_indexed == first.chunks_indexed and again.encoded == 0


def test_index_from_before_engines_were_recorded_stays_usable_with_torch(tmp_path, corpus):
    data = tmp_path / "data"
    make_indexer(data, HashEncoder()).run([corpus])
    store = ChunkStore(SnapshotDir(data).current().store)
    key = json.loads(store.get_meta("model"))
    del key["engine"]  # what an older version wrote
    store.set_meta("model", json.dumps(key))
    store.commit()
    store.close()
    with pytest.raises(ModelMismatchError):
        make_indexer(data, HashEncoder(engine="openvino-bfloat16")).run([corpus], prune=True)
    report = make_indexer(data, HashEncoder(engine="torch-float32")).run([corpus], prune=True)
    assert report.documents_indexed == 0 and report.problems == []


def test_second_writer_is_refused_while_one_runs(tmp_path):
    snaps = SnapshotDir(tmp_path / "data")
    with snaps.lock():
        with pytest.raises(IndexLockedError):
            with snaps.lock():
                pass


KILL_SCRIPT = textwrap.dedent(
    """
    import sys
    sys.path[:0] = [{repo!r}, {tests!r}]
    from pathlib import Path
    from corpus.chunker import ChunkSettings, approx_tokens
    from fakes import HashEncoder
    from indexer.build import Indexer, IndexSettings
    from corpus.chunker import ChunkSettings
    idx = Indexer(Path(sys.argv[1]), HashEncoder(delay=0.3), approx_tokens,
                  IndexSettings(flush_chunks=4, chunking=ChunkSettings(merge_below=0)),
                  progress=lambda m: print("PROGRESS", m, flush=True))
    idx.run([Path(sys.argv[2])])
    print("DONE", flush=True)
    """
)


def test_killed_indexing_leaves_previous_index_whole(tmp_path, corpus):
    data = tmp_path / "data"
    make_indexer(data).run([corpus])
    before = SnapshotDir(data).require_current().name
    # A big change to index, by a process we kill midway.
    more = tmp_path / "more"
    shutil.copytree(corpus, more)
    for i in range(12):
        write(more, f"extra-{i:02d}.txt", DOC_B.replace("đường tránh", f"đường số {i}"))
    script = tmp_path / "kill_me.py"
    script.write_text(KILL_SCRIPT.format(repo=str(REPO), tests=str(REPO / "tests")), encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(script), str(data), str(more)], stdout=subprocess.PIPE, text=True)
    # Two batches in: the first holds a.txt and b.txt (vectors reused), the second new passages.
    lines = [proc.stdout.readline(), proc.stdout.readline()]
    assert all(x.startswith("PROGRESS") for x in lines), lines  # midway: passages written to the new snapshot
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    snaps = SnapshotDir(data)
    assert snaps.require_current().name == before
    assert list(snaps.snapshots.glob("*.tmp"))  # the half-written snapshot is there, unpublished
    s = searcher(data)
    assert s.store.counts()["documents"] == 2
    assert s.search("giải phóng mặt bằng", k=3).results[0].doc_id == "b.txt"
    # The next run cleans up and completes, and does not embed again what the
    # killed run had already embedded (the embedding cache outlives snapshots).
    report = make_indexer(data).run([more])
    assert report.totals["documents"] == 14
    assert not list(snaps.snapshots.glob("*.tmp"))
    control = tmp_path / "control"
    make_indexer(control).run([corpus])
    uninterrupted = make_indexer(control).run([more])
    assert report.chunks_embedded < uninterrupted.chunks_embedded


def test_searcher_keeps_answering_from_its_snapshot_while_a_new_one_is_published(tmp_path, corpus):
    data = tmp_path / "data"
    make_indexer(data).run([corpus])
    s = searcher(data)
    write(corpus, "c.txt", DOC_B.replace("đường tránh", "cầu Phú Khê"))
    make_indexer(data).run([corpus])
    assert s.store.counts()["documents"] == 2  # the old snapshot is still whole
    assert searcher(data).store.counts()["documents"] == 3


def test_samples_index_with_hash_encoder(tmp_path):
    data = tmp_path / "data"
    report = make_indexer(data).run([SAMPLES])
    assert report.totals["documents"] == 10 and not [p for p in report.problems if p.level == "error"]
    s = searcher(data)
    hit = s.search("cổng thông tin bị chèn mã độc script", k=5, mode="lexical").results
    assert any("<script>" in r.text for r in hit)


def test_new_chunking_settings_reread_files_and_reuse_same_passages(tmp_path, corpus):
    data = tmp_path / "data"
    make_indexer(data).run([corpus])
    enc = HashEncoder()
    report = make_indexer(data, enc, chunking=ChunkSettings(merge_below=0, max_tokens=300)).run([corpus])
    assert report.files_read == 2 and report.files_unchanged == 0
    assert report.chunks_embedded == 0  # the same small passages come out again


def test_document_moving_between_export_files_is_kept(tmp_path):
    import json as _json

    folder = tmp_path / "exports"
    folder.mkdir()
    rec = {"id": "vb-1", "title": "Về giải phóng mặt bằng", "text": "Đẩy nhanh giải phóng mặt bằng dự án đường tránh."}
    other = {"id": "vb-2", "title": "Về bão số 3", "text": "Khắc phục hậu quả bão số 3 tại các xã."}
    (folder / "a.jsonl").write_text(_json.dumps(rec, ensure_ascii=False) + "\n", encoding="utf-8")
    (folder / "b.jsonl").write_text(_json.dumps(other, ensure_ascii=False) + "\n", encoding="utf-8")
    data = tmp_path / "data"
    make_indexer(data).run([folder])
    time.sleep(0.01)
    # vb-1 moves from a.jsonl to b.jsonl in one change.
    (folder / "a.jsonl").write_text(_json.dumps(other | {"id": "vb-3"}, ensure_ascii=False) + "\n", encoding="utf-8")
    (folder / "b.jsonl").write_text(
        "\n".join(_json.dumps(x, ensure_ascii=False) for x in (other, rec)) + "\n", encoding="utf-8"
    )
    make_indexer(data).run([folder])
    s = searcher(data)
    assert s.store.source_of("vb-1").endswith("b.jsonl")
    assert {r.doc_id for r in s.search("giải phóng mặt bằng", k=5, mode="lexical").results} == {"vb-1"}


def test_hnsw_past_the_threshold_is_rebuilt_after_removals(tmp_path, corpus):
    from indexer.vectors import VectorSettings

    data = tmp_path / "data"
    hnsw = VectorSettings(hnsw_threshold=2)
    make_indexer(data, vectors=hnsw).run([corpus])
    s = searcher(data)
    assert s.vectors.kind == "hnsw" and s.vectors.size == s.store.counts()["chunks"]
    assert s.search("giải phóng mặt bằng", k=3, mode="dense").results[0].doc_id == "b.txt"
    (corpus / "b.txt").unlink()
    make_indexer(data, vectors=hnsw).run([corpus], prune=True)
    s = searcher(data)
    assert s.vectors.kind == "hnsw" and s.vectors.size == s.store.counts()["chunks"]
    assert all(r.doc_id == "a.txt" for r in s.search("giải phóng mặt bằng", k=5, mode="dense").results)
    # Filters work on HNSW too.
    only = s.search("bão", k=5, mode="dense", filters=Filters(doc_type="Thông báo")).results
    assert only and {r.doc_id for r in only} == {"a.txt"}


def test_large_exact_index_is_searched_through_an_int8_shortlist_with_the_same_answers(tmp_path, corpus):
    from indexer.vectors import VectorSettings
    from search_api.retrieval import RetrievalSettings

    data = tmp_path / "data"
    make_indexer(data).run([corpus])
    whole = searcher(data)
    assert whole.vectors.kind == "flat"
    queries = ["giải phóng mặt bằng", "bão số 3", "kiểm tra tiến độ"]
    expected = [[r.chunk_id for r in whole.search(q, k=5, mode="dense").results] for q in queries]
    # Past fp16_threshold an unchanged corpus still gets the new kind of vector index.
    fp16 = VectorSettings(fp16_threshold=2)
    report = make_indexer(data, vectors=fp16).run([corpus])
    assert report.changed and report.chunks_embedded == 0
    snap = SnapshotDir(data).require_current()
    one_piece = Searcher(snap, HashEncoder())
    split = Searcher(snap, HashEncoder(), RetrievalSettings(quantized_from=2, scan_threads=2))
    assert one_piece.vectors.kind == split.vectors.kind == "flat-fp16" and len(split.vectors.pieces) == 2
    assert split.vectors.size == whole.vectors.size
    for q, ids in zip(queries, expected):
        fp16_ids = [r.chunk_id for r in one_piece.search(q, k=5, mode="dense").results]
        split_ids = [r.chunk_id for r in split.search(q, k=5, mode="dense").results]
        # The test encoder's vectors tie a lot, and ties may come in another order.
        assert set(split_ids) == set(fp16_ids) == set(ids) and split_ids[0] == fp16_ids[0] == ids[0]
    one_piece.close()
    # Removal works on fp16 copies (no rebuild needed, unlike HNSW).
    (corpus / "b.txt").unlink()
    make_indexer(data, vectors=fp16).run([corpus], prune=True)
    s = Searcher(SnapshotDir(data).require_current(), HashEncoder(), RetrievalSettings(quantized_from=2))
    assert s.vectors.size == s.store.counts()["chunks"]
    assert all(r.doc_id == "a.txt" for r in s.search("giải phóng mặt bằng", k=5, mode="dense").results)
    split.close()
    s.close()


def test_quantized_scan_gives_the_whole_index_answer():
    import numpy as np

    from indexer.vectors import VectorIndex, VectorSettings

    rng = np.random.default_rng(7)
    for dim in (32, 64):  # FAISS takes another int8 code path from 64 dimensions
        vectors = rng.standard_normal((1001, dim)).astype("float32")
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        ids = rng.permutation(np.arange(10, 1011))  # ids in no particular order
        for kind in ("flat", "flat-fp16"):
            whole = VectorIndex.build(ids, vectors, dim, VectorSettings(kind=kind))
            for parts in (1, 3):
                scan = whole.quantized(parts)
                assert scan.size == whole.size and scan.kind == kind and len(scan.pieces) == parts

                def same(a, b, n):
                    # Re-ranked scores are the stored vectors' own: FAISS's up to float rounding.
                    return [i for i, _ in a[:n]] == [i for i, _ in b[:n]] and np.allclose(
                        [s for _, s in a[:n]], [s for _, s in b[:n]], atol=1e-5)

                for q in vectors[:25] + 0.3 * rng.standard_normal((25, dim)).astype("float32"):
                    assert same(scan.search(q, 40), whole.search(q, 40), 30)
                    allowed = {int(i) for i in rng.choice(ids, 60)} | {5, 99999}  # two ids not in the index
                    assert same(scan.search(q, 25, allowed), whole.search(q, 25, allowed), 20)
                    # A large allowed set goes through the int8 scan with a selector, not straight to exact scores.
                    scan.exact_below = 0
                    allowed = {int(i) for i in rng.choice(ids, 500, replace=False)}
                    assert same(scan.search(q, 25, allowed), whole.search(q, 25, allowed), 20)
                    assert scan.search(q, 5, set()) == [] and scan.search(q, 5, {99999}) == []
                    scan.exact_below = 4096


def test_page_records_are_read_a_slice_at_a_time_within_the_window():
    from search_api.retrieval import _PageRecords

    calls: list[list[int]] = []

    class Store:
        def get_chunks(self, ids):
            calls.append(list(ids))
            return {i: f"record {i}" for i in ids if i != 5}  # 5: gone from the store

    records = _PageRecords(Store().get_chunks, [1, 2, 3, 4, 5, 6, 7], {3: "read ahead 3", 99: "read ahead 99"}, step=3)
    assert records.get(1) == "record 1" and calls == [[1, 2]]  # 3 was read ahead
    assert records.get(2) == "record 2" and records.get(3) == "read ahead 3" and calls == [[1, 2]]
    assert records.get(4) == "record 4" and calls == [[1, 2], [4, 5, 6]]
    assert records.get(5) is None and records.get(99) is None  # gone; outside the window
    assert records.get(7) == "record 7" and calls[-1] == [7] and len(calls) == 3
    assert records.known() == {1: "record 1", 2: "record 2", 3: "read ahead 3", 4: "record 4", 6: "record 6",
                               7: "record 7"}
