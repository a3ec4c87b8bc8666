"""What ``vanban index --ray`` costs over indexing locally, on one machine.

    .venv/bin/python benchmarks/ray_indexing.py [PATH ...] [--repeats N] [--out FILE]
    (default: corpus/samples and ../shared/corpus/seeds; needs pip install 'vanban[ray]')

Starts a one-machine Ray cluster (``ray start --head --block`` with its own
temporary folder, all of this machine's CPUs; stopped at the end, by its own
process only), then, ``--repeats`` times, indexes the same corpus into fresh data
dirs, each time locally and with ``--ray auto`` (found through RAY_TMPDIR, as
``ray start`` leaves it), each in its own ``vanban index`` subprocess. Reports
the best wall time of each way, passages per second and the overhead ratio (Ray
wall / local wall; the issue's target is 1.3 or less), and checks that both
ways give the same passages and vectors. Also reports the embedding rounds (indexer
flushes) of a --ray run: its workers start and load the model once, whatever that
number. Writes benchmarks/results/ray_indexing.json.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from search_api.benchmark import index_rows_and_vectors, run_index, write_results  # noqa: E402
from search_api.local_server import free_port  # noqa: E402

DEFAULT = [REPO / "corpus" / "samples", REPO.parent / "shared" / "corpus" / "seeds"]
RESULTS = REPO / "benchmarks" / "results" / "ray_indexing.json"


def start_cluster(tmp: Path, env: dict, cpus: int) -> tuple[subprocess.Popen, float]:
    """A head node in ``tmp``, ready when ``ray start`` has left its address there."""
    ray = Path(sys.executable).parent / "ray"
    cmd = [str(ray), "start", "--head", "--block", f"--port={free_port()}", f"--num-cpus={cpus}",
           "--include-dashboard=false", "--disable-usage-stats", f"--object-store-memory={200 * 2**20}"]
    log = open(tmp / "ray-start.log", "wb")
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    address_file = tmp / "ray" / "ray_current_cluster"
    deadline = time.monotonic() + 120
    while not address_file.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_cluster(proc)
            raise SystemExit(f"ray start failed:\n{(tmp / 'ray-start.log').read_text(errors='replace')[-2000:]}")
        time.sleep(0.2)
    return proc, time.perf_counter() - started


def stop_cluster(proc: subprocess.Popen) -> None:
    # SIGTERM to ``ray start --block`` stops the processes it started, and no others.
    proc.terminate()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def embedding_rounds(log: str) -> int:
    # The indexer reports its progress once per flush.
    return log.count("đã lập chỉ mục")


def index_once(paths: list[Path], data_dir: Path, env: dict, ray: bool) -> tuple[dict, float, str]:
    args = [*map(str, paths), "--data-dir", str(data_dir), *(["--ray", "auto"] if ray else [])]
    run = run_index(args, env, what=f"indexing {'with --ray' if ray else 'locally'}")
    return run.report, run.wall_seconds, run.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", type=Path, help="corpus (default: samples and shared seeds)")
    parser.add_argument("--repeats", type=int, default=2, help="local and --ray runs, alternated; best of each")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    paths = args.paths or DEFAULT
    for p in paths:
        if not p.exists():
            raise SystemExit(f"{p} is missing")
    cpus = os.cpu_count() or 1
    tmp = Path(tempfile.mkdtemp(prefix="vb-ray-"))
    env = dict(os.environ, PYTHONPATH=str(REPO), RAY_TMPDIR=str(tmp))
    env.pop("RAY_ADDRESS", None)  # "auto" must find this cluster, through RAY_TMPDIR
    cluster, cluster_seconds = start_cluster(tmp, env, cpus)
    runs: dict[str, list[tuple[dict, float]]] = {"local": [], "ray": []}
    rounds: list[int] = []
    try:
        for repeat in range(args.repeats):
            for way in ("local", "ray"):
                data = tmp / f"{way}-{repeat}"
                report, wall, log = index_once(paths, data, env, ray=way == "ray")
                runs[way].append((report, wall))
                print(f"[{way} {repeat + 1}/{args.repeats}] {wall:.1f} s wall, {report['chunks_embedded']} passages "
                      f"embedded in {report['embed_seconds']:.1f} s", flush=True)
                if way == "ray":
                    rounds.append(embedding_rounds(log))
                if way == "ray" and repeat == 0:
                    print(log, flush=True)  # what a person running --ray sees
        local_rows, local_vecs = index_rows_and_vectors(tmp / "local-0")
        ray_rows, ray_vecs = index_rows_and_vectors(tmp / "ray-0")
    finally:
        stop_cluster(cluster)
    if ray_rows != local_rows:
        raise SystemExit("--ray gave other passages than the local run")
    cosine = np.sum(local_vecs * ray_vecs, axis=1) / (
        np.linalg.norm(local_vecs, axis=1) * np.linalg.norm(ray_vecs, axis=1))
    best = {way: min(runs[way], key=lambda run: run[1]) for way in runs}
    passages = best["local"][0]["chunks_embedded"]
    result = {
        "corpus": [str(p) for p in paths],
        "documents": best["local"][0]["documents_indexed"],
        "passages": passages,
        "repeats": args.repeats,
        "ray_embedding_rounds_per_run": max(rounds),
        "cluster": {"nodes": 1, "cpus": cpus, "start_seconds": round(cluster_seconds, 2),
                    "workers": 1, "cpus_per_worker": cpus},
        "local_wall_seconds": round(best["local"][1], 2),
        "ray_wall_seconds": round(best["ray"][1], 2),
        "local_walls": [round(w, 2) for _, w in runs["local"]],
        "ray_walls": [round(w, 2) for _, w in runs["ray"]],
        "local_embed_seconds": round(best["local"][0]["embed_seconds"], 2),
        "local_model_load_seconds": round(best["local"][0]["model_load_seconds"], 2),
        "ray_embed_seconds_with_worker_start": round(best["ray"][0]["embed_seconds"], 2),
        "local_passages_per_second": round(passages / best["local"][1], 2),
        "ray_passages_per_second": round(passages / best["ray"][1], 2),
        "overhead_ratio": round(best["ray"][1] / best["local"][1], 3),
        "target_ratio": 1.3,
        "min_cosine_local_vs_ray": round(float(cosine.min()), 6),
        "machine": f"{platform.machine()}, {cpus} CPUs, Python {platform.python_version()}",
    }
    write_results(args.out, result, echo=True)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
