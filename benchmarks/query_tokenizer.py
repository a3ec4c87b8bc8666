"""The plain-Python query tokenizer against ``tokenizers``: same ids, and the memory each takes.

    .venv/bin/python benchmarks/query_tokenizer.py

The texts (each tokenised with the "query: " and with the "passage: " prefix,
truncated to 512 tokens as the model is fed):
- the 520 alqac2022 questions, with and without diacritics;
- the 14 seed dev queries;
- the 1,377 alqac2022 articles, whole (most run past 512 tokens, so truncation is checked too);
- every paragraph (text between blank lines) of the five seeds in ../shared, the bundled samples'
  txt/md files and the held-out fixtures.

Counts the texts whose ids differ (none is the claim). Memory: the resident size a
fresh process gains by loading each tokenizer and encoding one query (Linux /proc).
Speed as the server sees it: each alqac2022 question tokenised once, one at a time,
without the word cache and with it (filled only by the questions before), with the
CPU caches warm and emptied before each question (as a search's other work does).
Prints the figures and writes benchmarks/results/query_tokenizer.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from embeddings.query_tokenizer import WORD_CACHE, QueryTokenizer  # noqa: E402
from embeddings.tokenizer import load_tokenizer  # noqa: E402
from search_api.benchmark import write_results  # noqa: E402
from search_api.evaluate import percentiles  # noqa: E402
from search_api.settings import Settings  # noqa: E402

SHARED = REPO.parent / "shared"
PREFIXES = ("query: ", "passage: ")


def _jsonl(path: Path, field: str) -> list[str]:
    return [json.loads(x)[field] for x in open(path, encoding="utf-8") if x.strip()]


def _paragraphs(paths: list[Path]) -> list[str]:
    out: list[str] = []
    for path in sorted(paths):
        out += [p for p in path.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    return out


def text_sets() -> dict[str, list[str]]:
    alqac = SHARED / "eval" / "alqac2022"
    samples = [p for p in (REPO / "corpus" / "samples").iterdir() if p.suffix in (".txt", ".md")]
    heldout = [p for p in (REPO / "tests" / "fixtures" / "heldout").iterdir() if p.suffix in (".txt", ".md")]
    return {
        "alqac2022 questions": _jsonl(alqac / "queries.jsonl", "text"),
        "alqac2022 questions without diacritics": _jsonl(alqac / "queries-noaccent.jsonl", "text"),
        "seed dev queries": _jsonl(SHARED / "eval" / "seed-queries-dev.jsonl", "query"),
        "alqac2022 articles": _jsonl(alqac / "corpus.jsonl", "text"),
        "paragraphs of the seeds": _paragraphs(list((SHARED / "corpus" / "seeds").glob("*.txt"))),
        "paragraphs of the samples (txt, md)": _paragraphs(samples),
        "paragraphs of the held-out fixtures": _paragraphs(heldout),
    }


MEMORY_CODE = """
import sys
from pathlib import Path
sys.path.insert(0, {repo!r})

def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

from embeddings.query_tokenizer import QueryTokenizer
from embeddings.tokenizer import load_tokenizer
before = rss()
# Kept in a name until measured: a temporary would be freed before the reading.
tok = QueryTokenizer.from_weights() if {kind!r} == "plain" else load_tokenizer(Path({model_dir!r}))
tok.encode("query: thủ tục cấp giấy chứng nhận")
print(rss() - before)
"""


def memory_mib(kind: str, model_dir: Path) -> float:
    code = MEMORY_CODE.format(repo=str(REPO), kind=kind, model_dir=str(model_dir))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return round(float(out.stdout.strip().splitlines()[-1]), 1)


def question_latency(sets: dict[str, list[str]]) -> dict:
    """Milliseconds to tokenise each alqac2022 question (with and without diacritics, in
    turn) as the server does, each question once: without the word cache, and with it
    in a fresh tokenizer, so that it holds only the words of the questions before."""
    questions = [q for pair in zip(sets["alqac2022 questions"], sets["alqac2022 questions without diacritics"])
                 for q in pair]
    # In a server the model, tantivy and the store run between two questions and push the
    # 250,002-piece dict out of the CPU caches: "cold" reads 256 MiB before each question.
    other_work = np.zeros(256 * 2**20 // 8)
    out = {}
    for caches in ("warm", "cold"):
        for name, cache in (("no word cache", 0), ("word cache", WORD_CACHE)):
            tok = QueryTokenizer.from_weights(word_cache=cache)
            times = []
            for q in questions:
                if caches == "cold":
                    other_work += 1
                t = time.perf_counter()
                tok.encode(PREFIXES[0] + q)
                times.append((time.perf_counter() - t) * 1000)
            out[f"{name}, CPU caches {caches}"] = {"questions": len(questions), **percentiles(times)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "query_tokenizer.json")
    args = ap.parse_args()
    settings = Settings.from_env()
    plain = QueryTokenizer.from_weights()
    reference = load_tokenizer(settings.model_dir)
    reference.enable_truncation(512)

    sets = text_sets()
    result: dict = {"sets": {}, "prefixes": list(PREFIXES)}
    seconds = {"plain": 0.0, "tokenizers": 0.0}
    differing: list[str] = []
    for name, texts in sets.items():
        bad = 0
        for text in texts:
            same = True
            for prefix in PREFIXES:
                t = time.perf_counter()
                ours = plain.encode(prefix + text)
                seconds["plain"] += time.perf_counter() - t
                t = time.perf_counter()
                theirs = reference.encode(prefix + text, add_special_tokens=True).ids
                seconds["tokenizers"] += time.perf_counter() - t
                same = same and ours == theirs
            if not same:
                bad += 1
                differing.append(f"{name}: {text[:80]!r}")
        result["sets"][name] = {"texts": len(texts), "differing": bad}
        print(f"{name:40} {len(texts):5} texts, {bad} with different ids")
    total = sum(r["texts"] for r in result["sets"].values())
    result["texts"] = total
    result["encodings_compared"] = total * len(PREFIXES)
    result["texts_differing"] = len(differing)
    result["differing_examples"] = differing[:20]
    result["seconds"] = {k: round(v, 2) for k, v in seconds.items()}
    result["memory_mib"] = {"plain": memory_mib("plain", settings.model_dir),
                            "tokenizers": memory_mib("tokenizers", settings.model_dir)}
    print(f"all: {total} texts, {result['encodings_compared']} encodings, {len(differing)} texts with different ids")
    result["question_ms"] = question_latency(sets)
    print("one question at a time (ms):", result["question_ms"])
    print("seconds", result["seconds"], "memory MiB", result["memory_mib"])
    write_results(args.out, result)


if __name__ == "__main__":
    main()
