"""The corpus's own vocabulary, for putting diacritics back on a query typed without them.

"bao so 3" could be "bão số 3", "báo sổ 3" or "bảo số 3"; the indexed documents
say which syllables and which neighbours occur, and how often. The vocabulary
keeps, for each folded syllable and each folded pair of neighbouring
syllables, the few accented forms seen most often. ``restore`` picks the most
likely sequence (a bigram model, Viterbi over each syllable's candidates).
The dense model needs this: multilingual-e5-small cannot read unaccented
Vietnamese, while the lexical side already matches folded terms.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from corpus.vietnamese import fold, has_diacritics, match_key, syllables
from indexer.analysis import analysed_part

MAX_UNIGRAM_FORMS = 4
MAX_BIGRAM_FORMS = 3
MIN_BIGRAM_COUNT = 2
WORD = re.compile(r"[^\W\d_]+")


@dataclass
class Vocabulary:
    unigrams: dict[str, list[tuple[str, int]]]  # folded syllable -> [(accented form, count)]
    bigrams: dict[str, dict[str, int]]  # "folded1 folded2" -> {"form1 form2": count}
    total: int

    @classmethod
    def build(cls, texts: Iterable[str]) -> "Vocabulary":
        uni: Counter[str] = Counter()
        bi: Counter[str] = Counter()
        for text in texts:
            words = [w for _, _, w in syllables(match_key(text))]
            uni.update(w for w in words if WORD.fullmatch(w))
            bi.update(f"{a} {b}" for a, b in zip(words, words[1:]) if WORD.fullmatch(a) and WORD.fullmatch(b))
        by_fold: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for form, n in uni.items():
            by_fold[fold(form)].append((form, n))
        unigrams = {k: sorted(v, key=lambda x: -x[1])[:MAX_UNIGRAM_FORMS] for k, v in by_fold.items()}
        bi_fold: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for pair, n in bi.items():
            if n >= MIN_BIGRAM_COUNT:
                bi_fold[fold(pair)].append((pair, n))
        bigrams = {k: dict(sorted(v, key=lambda x: -x[1])[:MAX_BIGRAM_FORMS]) for k, v in bi_fold.items()}
        return cls(unigrams, bigrams, sum(uni.values()))

    def save(self, path: Path) -> None:
        data = {"total": self.total, "unigrams": self.unigrams, "bigrams": self.bigrams}
        path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> "Vocabulary":
        data = json.loads(path.read_text(encoding="utf-8"))
        unigrams = {k: [tuple(x) for x in v] for k, v in data["unigrams"].items()}
        return cls(unigrams, data["bigrams"], data["total"])  # type: ignore[arg-type]

    def restore(self, query: str) -> str:
        """``query`` with diacritics put back on its unaccented syllables where the
        corpus knows them; everything else (case, digits, punctuation) is kept.
        Only the part that query analysis reads (``analysed_part``) is looked at."""
        if not query or has_diacritics(query):
            return query
        tokens = syllables(analysed_part(query))
        if not tokens:
            return query
        lowered = [t[2].lower() for t in tokens]
        cands: list[list[tuple[str, float]]] = []
        for word in lowered:
            forms = self.unigrams.get(word) if WORD.fullmatch(word) else None
            if not forms:
                cands.append([(word, 0.0)])
                continue
            n_all = sum(n for _, n in forms)
            cands.append([(f, math.log(n / n_all)) for f, n in forms])
        # Viterbi: score = unigram log-share + a bonus for pairs the corpus has seen.
        best: list[dict[str, tuple[float, str | None]]] = [{f: (s, None) for f, s in cands[0]}]
        for i in range(1, len(cands)):
            pair_forms = self.bigrams.get(f"{lowered[i - 1]} {lowered[i]}", {})
            layer: dict[str, tuple[float, str | None]] = {}
            for form, s in cands[i]:
                options = []
                for prev, (ps, _) in best[-1].items():
                    seen = pair_forms.get(f"{prev} {form}", 0)
                    options.append((ps + s + (2.0 + math.log1p(seen) if seen else 0.0), prev))
                layer[form] = max(options)
            best.append(layer)
        form = max(best[-1], key=lambda f: best[-1][f][0])
        chosen = [form]
        for i in range(len(best) - 1, 0, -1):
            form = best[i][form][1]  # type: ignore[assignment]
            chosen.append(form)
        chosen.reverse()
        out = list(query)
        for (start, end, original), form in zip(reversed(tokens), reversed(chosen)):
            if form.lower() == original.lower():
                continue
            if original.isupper() and len(original) > 1:
                form = form.upper()
            elif original[:1].isupper():
                form = form[:1].upper() + form[1:]
            out[start:end] = form
        return "".join(out)
