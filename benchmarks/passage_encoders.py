"""Passage encoders side by side (issue 17, a first measurement): torch bf16 (what
indexes today), ONNX Runtime fp32 and int8 (what serves queries today), on the same
passages, same machine, one run.

    .venv/bin/python benchmarks/passage_encoders.py [PATH ...]   (default: corpus/samples and ../shared/corpus/seeds)

For each engine: passages per second (after a warm-up), and how close its vectors
are to torch float32's (min and mean cosine). The ONNX runs reach into the query
encoder's tokenizer and session (``_tok``, ``_run``): there is no ONNX passage
encoder in the product yet, and this only measures whether one would be worth it.
Retrieval quality with such vectors (alqac2022, seed dev) is not measured here.

Prints the figures and writes benchmarks/results/passage_encoders.json.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from corpus.chunker import embedding_text  # noqa: E402
from corpus.models import ReadProblem  # noqa: E402
from corpus.pipeline import parse_paths  # noqa: E402
from embeddings.model import Embedder  # noqa: E402
from embeddings.onnx_query import MAX_SEQ_LENGTH, OnnxQueryEncoder  # noqa: E402
from indexer.build import passage_context  # noqa: E402
from search_api.benchmark import write_results  # noqa: E402
from search_api.services import chunk_settings, token_counter  # noqa: E402
from search_api.settings import Settings  # noqa: E402

DEFAULT = [REPO / "corpus" / "samples", REPO.parent / "shared" / "corpus" / "seeds"]
PASSAGE_PREFIX = "passage: "


def passages(paths: list[Path], settings: Settings) -> list[str]:
    texts: list[str] = []
    for item in parse_paths(paths, token_counter(settings), chunk_settings(settings)):
        if not isinstance(item, ReadProblem):
            context = passage_context(item.parsed)
            texts.extend(embedding_text(c, context) for c in item.chunks)
    return texts


def onnx_vectors(encoder: OnnxQueryEncoder, texts: list[str], workers: int = 1) -> np.ndarray:
    """One passage a run (int8 scales activations per run: a vector must not depend on its neighbours)."""
    ids = [encoder._tok.encode(PASSAGE_PREFIX + t, MAX_SEQ_LENGTH) for t in texts]
    if workers == 1:
        return np.concatenate([encoder._run([i]) for i in ids])
    with ThreadPoolExecutor(workers) as pool:  # ONNX Runtime releases the GIL inside run
        return np.concatenate(list(pool.map(lambda i: encoder._run([i]), ids)))


def timed(work) -> tuple[np.ndarray, float]:
    start = time.perf_counter()
    out = work()
    return out, time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*", type=Path, default=DEFAULT)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "passage_encoders.json")
    args = ap.parse_args()
    settings = Settings.from_env()
    texts = passages(args.paths, settings)
    threads = os.cpu_count() or 1

    reference = Embedder(settings.model_dir, dtype="float32", threads=threads)
    reference.encode_passages(texts[:8])
    ref, ref_s = timed(lambda: reference.encode_passages(texts))
    engines: dict[str, dict] = {"torch float32": {"seconds": ref_s, "vectors": ref}}
    bf16 = Embedder(settings.model_dir, dtype="bfloat16", threads=threads)
    bf16.encode_passages(texts[:8])
    vec, sec = timed(lambda: bf16.encode_passages(texts))
    engines["torch bfloat16 (today's default)"] = {"seconds": sec, "vectors": vec}
    for variant in ("fp32", "int8"):
        multi = OnnxQueryEncoder(settings.model_dir, threads=threads, variant=variant)
        onnx_vectors(multi, texts[:8])
        vec, sec = timed(lambda: onnx_vectors(multi, texts))
        engines[f"onnx {variant}, 1 session x {threads} threads"] = {"seconds": sec, "vectors": vec}
        single = OnnxQueryEncoder(settings.model_dir, threads=1, variant=variant)
        onnx_vectors(single, texts[:8], workers=threads)
        vec, sec = timed(lambda: onnx_vectors(single, texts, workers=threads))
        engines[f"onnx {variant}, {threads} callers x 1 thread"] = {"seconds": sec, "vectors": vec}

    out = {"passages": len(texts), "machine": f"{platform.machine()}, {threads} CPUs, Python {platform.python_version()}",
           "engines": {}}
    for name, run in engines.items():
        cos = np.sum(run["vectors"] * ref, axis=1)
        out["engines"][name] = {
            "seconds": round(run["seconds"], 2), "passages_per_second": round(len(texts) / run["seconds"], 1),
            "cosine_to_torch_float32": {"min": round(float(cos.min()), 5), "mean": round(float(cos.mean()), 5)},
        }
        print(f"{name:36} {len(texts) / run['seconds']:7.1f} passages/s  cosine min {cos.min():.4f} mean {cos.mean():.4f}",
              flush=True)
    write_results(args.out, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
