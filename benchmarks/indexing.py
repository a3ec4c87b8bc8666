"""Indexing cost: end to end against the model alone, and re-indexing an unchanged corpus.

    .venv/bin/python benchmarks/indexing.py [PATH ...]   (default: corpus/samples and ../shared/corpus/seeds)

1. ``vanban index`` into a fresh data dir, in a subprocess: the indexer's own
   time (reading, parsing, chunking, embedding, index writes; model loading
   excluded), wall time, passages, tokens, and the subprocess's peak RSS.
2. The same again: an unchanged corpus (nothing is embedded).
3. The model alone encoding exactly the passages of step 1, with the same
   settings (batch 32, the same threads, the indexer's flush size).
4. Relation extraction (``corpus.relations.document_references``) alone over the
   same parsed documents, best of three, against the indexer's time.

Prints the figures and writes benchmarks/results/indexing.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from corpus.chunker import embedding_text  # noqa: E402
from corpus.models import ReadProblem  # noqa: E402
from corpus.pipeline import parse_paths  # noqa: E402
from corpus.relations import document_references  # noqa: E402
from indexer.build import IndexSettings, passage_context  # noqa: E402
from search_api.benchmark import write_results  # noqa: E402
from search_api.services import chunk_settings, embedder, token_counter  # noqa: E402
from search_api.settings import Settings  # noqa: E402

DEFAULT = [REPO / "corpus" / "samples", REPO.parent / "shared" / "corpus" / "seeds"]


def index_once(paths: list[Path], data_dir: Path) -> tuple[dict, float]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    cmd = [sys.executable, "-m", "search_api.cli", "index", *map(str, paths), "--data-dir", str(data_dir), "--json"]
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"indexing failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1]), wall


def _timed(work) -> float:
    t = time.perf_counter()
    work()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("paths", nargs="*", type=Path, default=DEFAULT)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "indexing.json")
    args = ap.parse_args()
    settings = Settings.from_env()

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        first, first_wall = index_once(args.paths, data_dir)
        peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        second, second_wall = index_once(args.paths, data_dir)

    # The model alone on the same passages, batched as the indexer batches them.
    count = token_counter(settings)
    texts: list[str] = []
    parsed = []
    for item in parse_paths(args.paths, count, chunk_settings(settings)):
        if not isinstance(item, ReadProblem):
            parsed.append(item.parsed)
            context = passage_context(item.parsed)
            texts.extend(embedding_text(c, context) for c in item.chunks)
    relations_seconds = min(_timed(lambda: [document_references(p) for p in parsed]) for _ in range(3))
    tokens = sum(count("passage: " + t) for t in texts)
    model = embedder(settings, settings.index_threads)
    model.encode_passages(texts[:8])  # warm-up
    flush = IndexSettings().flush_chunks
    t = time.perf_counter()
    for i in range(0, len(texts), flush):
        model.encode_passages(texts[i:i + flush])
    model_seconds = time.perf_counter() - t

    # The indexer's own time, without loading the model (it loads on first use, inside the run).
    index_seconds = first["seconds"] - first["model_load_seconds"]
    result = {
        "corpus": [str(p) for p in args.paths],
        "documents": first["totals"]["documents"],
        "passages": first["chunks_indexed"],
        "model_tokens": tokens,
        "index_seconds": round(index_seconds, 2),
        "model_load_seconds_inside_index_run": round(first["model_load_seconds"], 2),
        "index_wall_seconds_with_model_load": round(first_wall, 2),
        "embed_seconds_inside_index": round(first["embed_seconds"], 2),
        "model_alone_seconds": round(model_seconds, 2),
        "index_over_model_alone": round(index_seconds / model_seconds, 3),
        "relations_seconds": round(relations_seconds, 4),
        "relations_share_of_index": round(relations_seconds / index_seconds, 5),
        "passages_per_second": round(first["chunks_indexed"] / index_seconds, 2),
        "tokens_per_second": round(tokens / index_seconds, 1),
        "peak_rss_mib_index_process": round(peak_mib),
        "reindex_unchanged_seconds": round(second["seconds"], 3),
        "reindex_unchanged_wall_seconds": round(second_wall, 2),
        "reindex_over_first": round(second["seconds"] / index_seconds, 4),
        "reindex_embedded": second["chunks_embedded"],
        "model": {"dtype": model.dtype, "threads": model.threads, "batch_size": model.batch_size},
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
    }
    write_results(args.out, result, echo=True)


if __name__ == "__main__":
    main()
