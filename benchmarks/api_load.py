"""API latency and throughput with 1, 4 and 16 concurrent clients.

    .venv/bin/python benchmarks/api_load.py [--data-dir DIR] [--requests 150] [--query-engine onnx-int8|onnx|torch]

Starts `vanban serve` on 127.0.0.1 (a free port) over an existing index
(default: the alqac2022 index benchmarks/retrieval.py builds under
$VANBAN_HOME/bench/alqac2022), then sends GET /api/search?q=…&k=10 from N client
threads. Every request carries a different alqac2022 question (the server keeps
recent query vectors, so repeats would flatter it). Traffic stays on loopback
and each level is bounded in count and time.
The server embeds queries with --query-engine (default: VANBAN_QUERY_ENGINE,
else the product's onnx-int8). Prints the figures and writes
benchmarks/results/api_load.json (onnx-int8) or api_load_<engine>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from search_api.benchmark import bench_dir, served, write_results  # noqa: E402
from search_api.evaluate import percentiles  # noqa: E402
from search_api.settings import Settings  # noqa: E402

SHARED = REPO.parent / "shared"
WARM_UP = ["thủ tục hành chính", "quyền sử dụng đất", "hợp đồng lao động", "trách nhiệm bồi thường"]


def run_level(base: str, queries: list[str], clients: int, deadline_s: float = 300) -> dict:
    lock = threading.Lock()
    todo = list(queries)
    times: list[float] = []
    errors: list[str] = []
    stop = time.time() + deadline_s

    def worker() -> None:
        with httpx.Client(timeout=60) as c:
            while time.time() < stop:
                with lock:
                    if not todo:
                        return
                    q = todo.pop()
                t = time.perf_counter()
                r = c.get(f"{base}/api/search", params={"q": q, "k": 10})
                elapsed = (time.perf_counter() - t) * 1000
                with lock:
                    times.append(elapsed)
                    if r.status_code != 200:
                        errors.append(f"{r.status_code}: {r.text[:200]}")

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return {"clients": clients, "requests": len(times), "errors": len(errors),
            "throughput_rps": round(len(times) / wall, 2), "latency_ms": percentiles(times)}


def encoder_info(model: dict) -> dict:
    """What the server actually embeds queries with (ONNX falls back to torch when it cannot be set up)."""
    return {"engine": "torch", **{k: model[k] for k in ("engine", "variant", "dtype", "threads") if k in model}}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--requests", type=int, default=150, help="requests per concurrency level")
    ap.add_argument("--query-engine", choices=("onnx-int8", "onnx", "torch"), default=None,
                    help="how the server embeds queries (default: VANBAN_QUERY_ENGINE, else onnx-int8)")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    if args.query_engine:
        os.environ["VANBAN_QUERY_ENGINE"] = args.query_engine  # the server reads its settings from the environment
    settings = Settings.from_env()
    results = REPO / "benchmarks" / "results"
    engine = settings.query_engine
    out = args.out or results / ("api_load.json" if engine == "onnx-int8" else f"api_load_{engine}.json")
    data_dir = args.data_dir or bench_dir(settings, "alqac2022")
    qfile = SHARED / "eval" / "alqac2022" / "queries.jsonl"
    queries = [json.loads(x)["text"] for x in open(qfile, encoding="utf-8") if x.strip()]
    queries = list(dict.fromkeys(queries))
    levels = (1, 4, 16)
    if len(queries) < args.requests * len(levels):
        raise SystemExit(f"need {args.requests * len(levels)} distinct questions, have {len(queries)}")

    with served(data_dir) as (base, _server):
        with httpx.Client(timeout=60) as c:
            for q in WARM_UP * 3:
                c.get(f"{base}/api/search", params={"q": q, "k": 10})
        stats = httpx.get(f"{base}/api/stats", timeout=10).json()
        result = {"index": {"documents": stats["documents"], "chunks": stats["chunks"]},
                  "query_engine": engine, "query_encoder": encoder_info(stats.get("model") or {}),
                  "query_threads": settings.query_threads, "levels": []}
        for i, clients in enumerate(levels):
            part = queries[i * args.requests:(i + 1) * args.requests]
            row = run_level(base, part, clients)
            result["levels"].append(row)
            print(json.dumps(row))
    write_results(out, result)


if __name__ == "__main__":
    main()
