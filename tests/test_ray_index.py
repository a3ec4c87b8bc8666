"""``vanban index --ray``: embedding on a real Ray cluster (two nodes on this machine,
one CPU each, started once for the module) with the real model, against indexing
locally; a driver killed midway; Ray missing or out of reach. The streaming seam
of the indexer is also checked alone, with the hash encoder."""

from __future__ import annotations

import io
import json
import logging
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO, SAMPLES
from corpus.chunker import ChunkSettings, approx_tokens
from fakes import HashEncoder
from indexer.build import Indexer, IndexSettings
from indexer.snapshot import SnapshotDir
from search_api.benchmark import index_rows_and_vectors
from search_api.cli import main
from search_api.local_server import free_port
from search_api.retrieval import Searcher

# Both nodes on this machine, at its own address (Ray dials that even for 127.0.0.1).
NODE = {"num_cpus": 1, "object_store_memory": 80 * 2**20}
CACHE = "embedding-cache.sqlite"


@pytest.fixture(scope="module")
def cluster():
    """A head and a second node; their workers import this checkout (PYTHONPATH)."""
    from ray.cluster_utils import Cluster

    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), saved) if p)
    ray_cluster = None
    try:
        ray_cluster = Cluster(initialize_head=True, head_node_args=dict(NODE, include_dashboard=False))
        ray_cluster.add_node(**NODE)
        ray_cluster.wait_for_nodes()
        yield ray_cluster.address
    finally:
        if ray_cluster is not None:
            ray_cluster.shutdown()
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved


def index(*args: str) -> tuple[int, dict | None, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["index", *args, "--json"], out=out, err=err)
    lines = out.getvalue().strip().splitlines()
    return code, json.loads(lines[-1]) if lines else None, err.getvalue()


@pytest.fixture(scope="module")
def local_samples(tmp_path_factory) -> tuple[Path, dict]:
    data = tmp_path_factory.mktemp("local") / "data"
    code, report, err = index(str(SAMPLES), "--data-dir", str(data))
    assert code == 0, err
    return data, report


def cached_rows(data: Path) -> int:
    path = data / CACHE
    if not path.exists():
        return 0
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        return db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]
    except sqlite3.OperationalError:  # created, table not yet there
        return 0
    finally:
        db.close()


def passage_workers() -> list[dict]:
    """This driver's embedding actors in the cluster's actor table, ended ones too."""
    import ray
    from ray._private.state import actors  # debugging API, but the extra pins Ray's version

    job = ray.get_runtime_context().get_job_id()
    return [a for a in actors().values() if a["JobID"] == job and "PassageWorker" in a["ActorClassName"]]


def all_ended(timeout_s: float = 30) -> list[dict]:
    deadline = time.monotonic() + timeout_s
    while any(a["State"] != "DEAD" for a in passage_workers()):
        assert time.monotonic() < deadline, passage_workers()
        time.sleep(0.2)
    return passage_workers()


# -- the real cluster -----------------------------------------------------------


def test_ray_index_gives_the_local_index(cluster, local_samples, tmp_path):
    local, local_report = local_samples
    remote = tmp_path / "ray"
    code, report, err = index(str(SAMPLES), "--data-dir", str(remote), "--ray", cluster)
    assert code == 0, err
    assert "cụm Ray" in err and "2 máy" in err
    assert report["chunks_embedded"] == local_report["chunks_embedded"] > 0
    assert report["embed_seconds"] > 0
    local_rows, local_vecs = index_rows_and_vectors(local)
    ray_rows, ray_vecs = index_rows_and_vectors(remote)
    assert ray_rows == local_rows
    assert ray_vecs.shape == local_vecs.shape
    cosine = np.sum(ray_vecs * local_vecs, axis=1) / (
        np.linalg.norm(ray_vecs, axis=1) * np.linalg.norm(local_vecs, axis=1))
    assert cosine.min() >= 0.9999, cosine.min()
    # Both describe the same model: either could continue the other's index.
    manifests = [SnapshotDir(d).require_current().manifest() for d in (local, remote)]
    assert manifests[0]["model"] == manifests[1]["model"]


def test_worker_with_another_model_is_refused(cluster):
    from indexer.ray_embedding import RayModelMismatchError, RayPassageEncoder
    from search_api.services import embedder
    from search_api.settings import Settings

    settings = Settings.from_env()

    class OtherModel:  # this machine claims another model than the one the workers load
        def __init__(self, real):
            self.real = real
            self.dim = real.dim

        def model_info(self):
            return dict(self.real.model_info(), source_sha256="0" * 64)

    encoder = RayPassageEncoder(cluster, settings, workers=1, local=OtherModel(embedder(settings, 1)))
    try:
        with pytest.raises(RayModelMismatchError) as refused:
            list(encoder.encode_stream(["Công tác giải phóng mặt bằng còn chậm."], 32))
        assert "mô hình nhúng khác" in str(refused.value) and "vanban[ray]" in str(refused.value)
        assert len(all_ended()) == 1  # the round it stopped ended its worker, before the run's end
    finally:
        encoder.close()


def test_a_run_of_several_rounds_starts_each_worker_once_and_ends_them(cluster, tmp_path):
    import ray

    from indexer.ray_embedding import RayPassageEncoder
    from search_api.services import embedder
    from search_api.settings import Settings

    # This test's own connection: it outlives the encoder's close, to read the actors' ends.
    ray.init(address=cluster, logging_level=logging.WARNING)
    try:
        settings = Settings.from_env()
        local = embedder(settings, 1)
        encoder = RayPassageEncoder(cluster, settings, workers=2, batch_size=8, local=local)
        messages: list[str] = []
        options = IndexSettings(flush_chunks=40)
        try:
            report = Indexer(tmp_path / "data", encoder, approx_tokens, options, messages.append).run([SAMPLES])
            started = passage_workers()
        finally:
            encoder.close()
        rounds = [m for m in messages if m.startswith("đã lập chỉ mục")]
        assert len(rounds) >= 3 and report.chunks_embedded > 40, (rounds, report.chunks_embedded)
        # One actor, one process, one model load per worker for the whole run.
        assert len(started) == 2 and len({a["Pid"] for a in started}) == 2, started
        assert local._model is None  # this machine only read the model's key
        assert len(all_ended()) == 2
    finally:
        ray.shutdown()


WORDS = (
    "giải phóng mặt bằng dự án đường tránh khu tái định cư vốn đầu tư công trình trường học trạm y tế "
    "nông nghiệp chăn nuôi thủy lợi kênh mương đê điều phòng chống thiên tai bão lũ sạt lở đất rừng phòng hộ "
    "hộ nghèo việc làm đào tạo nghề chuyển đổi số cổng thông tin dịch vụ công trực tuyến hồ sơ thủ tục "
    "kiểm tra giám sát báo cáo kết quả tiến độ kế hoạch ngân sách thu chi quyết toán nghiệm thu bàn giao"
).split()


def generated_corpus(folder: Path, docs: int, sections: int, seed: int = 17) -> None:
    """Reports of numbered sections, each one passage of made-up, distinct text."""
    rng = random.Random(seed)
    folder.mkdir()
    for d in range(docs):
        parts = [f"UBND XÃ THỬ NGHIỆM {d}", f"Số: {100 + d}/BC-UBND", f"ngày {1 + d % 28} tháng 5 năm 2024",
                 "BÁO CÁO", f"Tình hình thực hiện nhiệm vụ đợt {d}"]
        for s in range(1, sections + 1):
            words = " ".join(rng.choice(WORDS) for _ in range(80))
            parts.append(f"{s}. Nội dung {s} của báo cáo {d}")
            parts.append(f"Đợt {d}, mục {s}: {words}.")
        (folder / f"bao-cao-{d:02d}.txt").write_text("\n\n".join(parts) + "\n", encoding="utf-8")


def test_killed_ray_driver_leaves_previous_index_and_resumes_from_cache(cluster, local_samples, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(local_samples[0], data)
    before = SnapshotDir(data).require_current().name
    cached_before = cached_rows(data)
    extra = tmp_path / "extra"
    generated_corpus(extra, docs=12, sections=24)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    cmd = [sys.executable, "-m", "search_api.cli", "index", str(SAMPLES), str(extra), "--data-dir", str(data),
           "--ray", cluster, "--json"]
    log = tmp_path / "killed.log"
    with open(log, "wb") as sink:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=sink, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 300
        while cached_rows(data) == cached_before:
            assert proc.poll() is None, log.read_text(encoding="utf-8")
            assert time.monotonic() < deadline, log.read_text(encoding="utf-8")
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    killed_rows = cached_rows(data) - cached_before

    snaps = SnapshotDir(data)
    assert snaps.require_current().name == before
    assert list(snaps.snapshots.glob("*.tmp"))  # the killed run's snapshot, never published
    searcher = Searcher(snaps.require_current(), None)
    try:
        assert searcher.store.counts()["documents"] == local_samples[1]["totals"]["documents"]
        chunk_id = int(searcher.store.all_vectors()[0][5])

        class OwnVector:  # a query whose vector is one stored passage's
            def encode_queries(self, queries):
                return np.stack([searcher.store.vector(chunk_id)] * len(queries))

        searcher.encoder = OwnVector()
        assert searcher.search("bất kỳ", k=1, mode="dense").results[0].chunk_id == chunk_id
        assert searcher.search("bão số 3", k=3, mode="lexical").results
    finally:
        searcher.close()

    code, report, err = index(str(SAMPLES), str(extra), "--data-dir", str(data), "--ray", cluster)
    assert code == 0, err
    assert report["files_unchanged"] == 10 and report["documents_indexed"] == 12
    total = report["chunks_indexed"]
    assert 0 < killed_rows < total, (killed_rows, total)
    assert report["chunks_reused"] == killed_rows
    assert report["chunks_embedded"] == total - killed_rows
    assert cached_rows(data) == cached_before + total
    assert not list(snaps.snapshots.glob("*.tmp"))


def test_unreachable_cluster_is_refused_before_anything_changes(local_samples, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(local_samples[0], data)
    before = sorted(p.name for p in SnapshotDir(data).snapshots.iterdir())
    started = time.monotonic()
    code, report, err = index(str(SAMPLES), "--data-dir", str(data), "--ray", f"127.0.0.1:{free_port()}")
    assert code == 2 and report is None
    assert "Không kết nối được cụm Ray" in err
    assert time.monotonic() - started < 30
    assert sorted(p.name for p in SnapshotDir(data).snapshots.iterdir()) == before
    code, _, err = index(str(SAMPLES), "--data-dir", str(data), "--ray", "nowhere")
    assert code == 2 and "không hợp lệ" in err


def test_more_workers_than_the_cluster_holds_are_refused(cluster, tmp_path):
    data = tmp_path / "data"
    code, _, err = index(str(SAMPLES), "--data-dir", str(data), "--ray", cluster, "--ray-workers", "3")
    assert code == 2 and "chỉ chạy được 2 tiến trình nhúng" in err
    code, _, err = index(str(SAMPLES), "--data-dir", str(data), "--ray", cluster, "--ray-workers", "0")
    assert code == 2 and "phải lớn hơn 0" in err
    code, _, err = index(str(SAMPLES), "--data-dir", str(data), "--ray-workers", "2")
    assert code == 2 and "chỉ dùng cùng --ray" in err
    assert not data.exists()


# -- without Ray ----------------------------------------------------------------


NO_RAY = """
import sys
sys.modules["ray"] = None  # what an installation without the extra gives: import ray fails
import indexer.build, indexer.ray_embedding, search_api.cli, search_api.services
from search_api.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_without_ray_the_flag_says_how_to_install_it(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    data = tmp_path / "data"
    cmd = [sys.executable, "-c", NO_RAY, "index", str(SAMPLES), "--data-dir", str(data), "--ray", "auto"]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "pip install 'vanban[ray]'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (data / "snapshots").exists() or not any((data / "snapshots").iterdir())


def test_nothing_imports_ray_unless_asked():
    code = ("import sys, indexer.build, indexer.ray_embedding, search_api.cli, search_api.services, "
            "search_api.api; sys.exit('ray' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


# -- the seam, without Ray ------------------------------------------------------


class StreamingEncoder(HashEncoder):
    """Hands batches back out of order, as a cluster's workers finish them."""

    def __init__(self, drop: int = 0):
        super().__init__()
        self.drop = drop
        self.streamed: list[int] = []

    def encode_stream(self, texts, batch_size):
        groups = [list(range(s, min(s + batch_size, len(texts)))) for s in range(0, len(texts), batch_size)]
        for rows in reversed(groups[self.drop:]):
            self.streamed.append(len(rows))
            yield rows, self._encode([texts[i] for i in rows])


def test_streaming_encoder_gives_the_same_index_and_caches_each_batch(tmp_path):
    options = IndexSettings(chunking=ChunkSettings(merge_below=0))
    plain = Indexer(tmp_path / "plain", HashEncoder(), approx_tokens, options).run([SAMPLES])
    streaming = StreamingEncoder()
    streaming.batch_size = 4
    report = Indexer(tmp_path / "stream", streaming, approx_tokens, options).run([SAMPLES])
    assert report.chunks_embedded == plain.chunks_embedded > 8
    assert len(streaming.streamed) > 2 and report.embed_seconds > 0
    assert index_rows_and_vectors(tmp_path / "stream")[0] == index_rows_and_vectors(tmp_path / "plain")[0]
    assert np.array_equal(index_rows_and_vectors(tmp_path / "stream")[1], index_rows_and_vectors(tmp_path / "plain")[1])
    assert cached_rows(tmp_path / "stream") == report.chunks_embedded


def test_streaming_encoder_that_loses_a_batch_fails_the_run(tmp_path):
    broken = StreamingEncoder(drop=1)
    broken.batch_size = 4
    with pytest.raises(RuntimeError, match="vectors for"):
        Indexer(tmp_path / "data", broken, approx_tokens).run([SAMPLES])
    assert SnapshotDir(tmp_path / "data").current() is None
