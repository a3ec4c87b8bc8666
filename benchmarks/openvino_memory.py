"""Memory of the OpenVINO passage encoder over many passages, with and without padding
input lengths to a multiple (OpenVINO keeps compiled kernels per input shape).

    .venv/bin/python benchmarks/openvino_memory.py [--passages 6000]

6,000 Pháp điển articles (first 1,500 characters each, a fixed random sample) encoded
512 at a time, as the indexer flushes; the process's RSS after each flush, once with
the encoder's padding (``PAD_MULTIPLE``) and once with every batch padded only to its
longest passage. Each variant runs in its own subprocess, so neither inherits the
other's memory. Writes benchmarks/results/openvino_memory.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SOURCE = REPO.parent / "shared" / "corpus" / "phapdien" / "phapdien_articles.jsonl"


def rss_mib() -> int:
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) // 1024 for line in fh if line.startswith("VmRSS"))


def run(multiple: int, count: int) -> dict:
    import embeddings.openvino_passages as ov
    from search_api.settings import Settings

    ov.PAD_MULTIPLE = multiple
    lines = SOURCE.read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"][:1500] for line in random.Random(3).sample(lines, count)]
    encoder = ov.OpenVinoPassageEncoder(Settings.from_env().model_dir)
    curve = [[0, rss_mib()]]
    start = time.perf_counter()
    for i in range(0, len(texts), 512):
        for _ in encoder.encode_stream(texts[i:i + 512]):
            pass
        curve.append([min(i + 512, len(texts)), rss_mib()])
    return {"pad_multiple": multiple, "seconds": round(time.perf_counter() - start, 1),
            "passages_per_second": round(len(texts) / (time.perf_counter() - start), 1), "rss_mib_by_passages": curve}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--passages", type=int, default=6000)
    ap.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)  # a variant, in the subprocess
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "openvino_memory.json")
    args = ap.parse_args()
    if args.one is not None:
        print(json.dumps(run(args.one, args.passages)))
        return
    from embeddings.openvino_passages import PAD_MULTIPLE
    from search_api.benchmark import write_results

    runs = []
    for multiple in (PAD_MULTIPLE, 1):
        out = subprocess.run([sys.executable, __file__, "--one", str(multiple), "--passages", str(args.passages)],
                             capture_output=True, text=True, check=True, cwd=REPO)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(json.dumps(runs[-1]), flush=True)
    write_results(args.out, {"passages": args.passages, "runs": runs,
                             "machine": f"{platform.machine()}, Python {platform.python_version()}"})


if __name__ == "__main__":
    main()
