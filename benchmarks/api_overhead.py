"""What a search costs over HTTP besides the search itself: the framework, the JSON, the server.

    .venv/bin/python benchmarks/api_overhead.py [--data-dir DIR] [--requests 600] [--rounds 3]

The real app (``create_app``) over an existing index, served by uvicorn in this
process on a free port, with ``Searcher.search`` answering each question from a
cache after its first time: what remains of a request is everything around the
search (dependencies, caller, parameters, audit log, result JSON, response model,
HTTP parsing, threads). alqac2022's first 50 questions are asked in turn. Reported
per round: the client's time (httpx, keep-alive) and the app's own time (first
byte of the request to the last of the answer, measured around the ASGI app), p50
/ p95 / p99 in milliseconds, and which HTTP parser and event loop uvicorn used.

Prints the figures and writes benchmarks/results/api_overhead.json.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import sys
import threading
import time
from pathlib import Path

import httpx
import uvicorn

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from search_api.api.app import create_app  # noqa: E402
from search_api.benchmark import bench_dir, write_results  # noqa: E402
from search_api.evaluate import percentiles  # noqa: E402
from search_api.local_server import free_port  # noqa: E402
from search_api.retrieval import Searcher  # noqa: E402
from search_api.settings import Settings  # noqa: E402

SHARED = REPO.parent / "shared"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=None, help="an index (default: the Pháp điển benchmark index)")
    ap.add_argument("--requests", type=int, default=600)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "api_overhead.json")
    args = ap.parse_args()
    base_settings = Settings.from_env()
    data_dir = args.data_dir or bench_dir(base_settings, "phapdien")
    settings = Settings.from_env({**os.environ, "VANBAN_DATA_DIR": str(data_dir)})

    answers: dict[str, object] = {}
    search = Searcher.search

    def cached_search(self, query, *a, **kw):
        key = repr((query, a, sorted(kw.items())))
        if key not in answers:
            answers[key] = search(self, query, *a, **kw)
        return answers[key]

    Searcher.search = cached_search  # type: ignore[method-assign]
    app = create_app(settings)
    app_ms: list[float] = []

    async def timed(scope, receive, send):
        start = time.perf_counter()

        async def send_timed(message):
            if message["type"] == "http.response.body" and not message.get("more_body"):
                app_ms.append((time.perf_counter() - start) * 1000)
            await send(message)

        await app(scope, receive, send_timed)

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(timed, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    questions = [json.loads(x)["text"] for x in open(SHARED / "eval" / "alqac2022" / "queries.jsonl", encoding="utf-8")
                 if x.strip()][:50]
    base = f"http://127.0.0.1:{port}"
    rounds = []
    try:
        with httpx.Client(timeout=60) as client:
            for q in questions:  # every answer computed once, before timing
                assert client.get(f"{base}/api/search", params={"q": q, "k": 10}).status_code == 200
            for _ in range(args.rounds):
                app_ms.clear()
                wall = []
                for i in range(args.requests):
                    t = time.perf_counter()
                    r = client.get(f"{base}/api/search", params={"q": questions[i % len(questions)], "k": 10})
                    wall.append((time.perf_counter() - t) * 1000)
                    assert r.status_code == 200
                rounds.append({"client_ms": percentiles(wall), "app_ms": percentiles(app_ms)})
                print(json.dumps(rounds[-1]))
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    write_results(args.out, {
        "data_dir": str(data_dir),
        "requests_per_round": args.requests,
        "rounds": rounds,
        "http_parser": "httptools" if importlib.util.find_spec("httptools") else "h11",
        "event_loop": "uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
    }, echo=True)


if __name__ == "__main__":
    main()
