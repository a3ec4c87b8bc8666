"""End-to-end retrieval runs shared by ``vanban eval`` and the benchmark scripts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from search_api import local_server
from search_api.evaluate import beir_metrics, dedupe_docs, load_beir, percentiles
from search_api.settings import Settings

REPO = Path(__file__).resolve().parents[1]


def write_results(path: Path, result: dict, echo: bool = False) -> None:
    """Write a benchmark's figures as JSON (and print them when ``echo``)."""
    text = json.dumps(result, ensure_ascii=False, indent=2)
    if echo:
        print(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n", encoding="utf-8")


@contextmanager
def served(data_dir: Path, start_timeout_s: float = 180) -> Iterator[tuple[str, subprocess.Popen]]:
    """``vanban serve`` over ``data_dir`` for a benchmark; its log in a temporary file."""
    with tempfile.TemporaryDirectory() as tmp:
        try:
            with local_server.served(data_dir, Path(tmp) / "server.log", start_timeout_s=start_timeout_s) as running:
                yield running
        except local_server.ServerError as exc:
            raise SystemExit(str(exc)) from exc


def bench_dir(settings: Settings, name: str) -> Path:
    """A benchmark's persistent index, one per passage engine: an index holds one
    engine's vectors, so a run with another engine would otherwise be refused."""
    from search_api.services import passage_engine_name

    return settings.home / "bench" / f"{name}-{passage_engine_name(settings)}"


@dataclass
class IndexRun:
    """One ``vanban index … --json`` subprocess, as the benchmarks measure it."""

    report: dict  # the indexer's JSON report
    wall_seconds: float  # process start to exit: imports and model loading included
    peak_rss_mib: float  # this child's own peak (wait4), not the largest child's so far
    rss_mib_over_time: list[tuple[float, float]]  # (seconds, MiB) every ``sample_s``
    stderr: str


def run_index(args: list[str], env: dict | None = None, sample_s: float = 1.0, what: str = "indexing") -> IndexRun:
    """``vanban index ARGS --json`` in a subprocess of this checkout; exits with its
    stderr's end when it fails."""
    env = dict(os.environ if env is None else env, PYTHONPATH=str(REPO))
    cmd = [sys.executable, "-m", "search_api.cli", "index", *args, "--json"]
    samples: list[tuple[float, float]] = []
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as out, \
            tempfile.TemporaryFile(mode="w+", encoding="utf-8") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=REPO, text=True)
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                try:
                    samples.append((time.perf_counter() - t0, rss_mib(proc.pid)))
                except (OSError, RuntimeError):
                    return  # the process has just ended
                done.wait(sample_s)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        # wait4, not Popen.wait: it gives this child's own peak RSS (getrusage's
        # RUSAGE_CHILDREN is the largest over every child so far).
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t0
        done.set()
        sampler.join()
        out.seek(0)
        err.seek(0)
        stderr = err.read()
        if proc.returncode != 0:
            raise SystemExit(f"{what} failed ({proc.returncode}):\n{stderr[-3000:]}")
        report = json.loads(out.read().strip().splitlines()[-1])
    return IndexRun(report, wall, usage.ru_maxrss / 1024, samples, stderr)


def index_rows_and_vectors(data_dir: Path):
    """Every passage of the published index as (id, document, text), in id order, and
    their vectors in the same order: what two indexing runs must agree on."""
    from indexer.snapshot import SnapshotDir
    from indexer.store import ChunkStore

    store = ChunkStore(SnapshotDir(data_dir).require_current().store, readonly=True)
    try:
        rows = store.db.execute(
            "SELECT c.id, d.doc_id, c.text FROM chunks c JOIN documents d ON d.id = c.document ORDER BY c.id"
        ).fetchall()
        return rows, store.all_vectors()[1]
    finally:
        store.close()


def rss_mib(pid: int) -> float:
    """Resident memory of a running process (Linux /proc), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


METRICS = ["recall@1", "recall@5", "recall@10", "recall@100", "mrr@10", "ndcg@10"]


def index_corpus(paths: list[Path], data_dir: Path, settings: Settings, progress: Callable[[str], None] | None = None):
    """Index ``paths`` into ``data_dir`` (incrementally: a second run re-embeds nothing)."""
    from indexer.build import Indexer
    from search_api.services import embedder, index_settings, token_counter

    encoder = embedder(settings, settings.index_threads)
    indexer = Indexer(data_dir, encoder, token_counter(settings), index_settings(settings), progress)
    return indexer.run(paths)


def run_beir(
    folder: Path,
    data_dir: Path,
    settings: Settings,
    queries_file: str = "queries.jsonl",
    modes: list[str] = ("lexical", "dense", "hybrid"),  # type: ignore[assignment]
    progress: Callable[[str], None] | None = None,
    searcher_factory=None,
) -> dict:
    from indexer.snapshot import SnapshotDir
    from search_api.retrieval import Searcher
    from search_api.services import query_encoder, retrieval_settings

    data = load_beir(folder, queries_file)
    report = index_corpus([data.corpus], data_dir, settings, progress)
    snap = SnapshotDir(data_dir).require_current()
    encoder = query_encoder(settings) if any(m != "lexical" for m in modes) else None
    searcher = searcher_factory(snap, encoder) if searcher_factory else Searcher(snap, encoder, retrieval_settings(settings))
    out = {
        "dataset": folder.name,
        "queries_file": queries_file,
        "queries": len(data.queries),
        "metric_names": METRICS,
        "index": {"chunks": report.totals.get("chunks"), "documents": report.totals.get("documents"),
                  "seconds": round(report.seconds, 1), "chunks_embedded": report.chunks_embedded},
        "modes": {},
    }
    for mode in modes:
        run: dict[str, list[str]] = {}
        latencies: list[float] = []
        for qid, text in data.queries.items():
            t = time.perf_counter()
            response = searcher.search(text, k=200, mode=mode, highlights=False)
            latencies.append((time.perf_counter() - t) * 1000)
            run[qid] = dedupe_docs(r.doc_id for r in response.results)
        out["modes"][mode] = {"metrics": beir_metrics(run, data.qrels), "latency_ms": percentiles(latencies)}
    searcher.close()
    return out
