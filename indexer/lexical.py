"""The keyword side of search: a tantivy BM25 index over Vietnamese syllable terms.

Terms come from ``indexer.analysis`` (exact and diacritic-free syllables,
syllable bigrams, abbreviation keys) and are stored pre-tokenised: each field
receives a space-separated term string split by tantivy's ``whitespace``
tokenizer, so tantivy never applies its own (English) analysis. Queries are
built from terms with the ``Query`` API, never parsed from text, so no input
can be a syntax error.

Scoring is tantivy's BM25 per field, summed over fields with the weights in
``Weights``; see ``DEFAULT_WEIGHTS`` for the values and what they were tuned on.

Snapshots: an index directory can be cloned by hard-linking its files (lock
files excluded) into a new directory and written there. Tantivy never changes
an existing file: segments, deletes (``<segment>.<opstamp>.del``) and merges are
new files, and ``meta.json``/``.managed.json`` are replaced by write-to-temp +
rename, which re-points the clone's directory entry and leaves the original's
inode alone (checked in tests/test_lexical.py). Two conditions:
* the writer lock files (``*.lock``) must not be linked: a lock is an ``flock``
  on the file, which a hard link shares, so the clone's writer would find the
  original's lock taken (measured: it then fails to open);
* the source must be quiet: merges started by a commit go on writing new files
  after ``commit`` returns, until ``close``. Clone or publish after ``close``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Collection, Iterable

import tantivy
from tantivy import Document, Occur, Query

from indexer.analysis import QueryTerms, analyze_passage, analyze_query

__all__ = ["LexicalDoc", "LexicalIndex", "Weights", "FieldWeights", "DEFAULT_WEIGHTS", "ANALYSIS_VERSION"]

# Bumped whenever analysis.py changes the terms it produces: an index built with
# other terms would silently miss matches, so opening one is refused.
ANALYSIS_VERSION = 1
_MARKER = "vanban-lexical.json"

F_ID = "chunk_id"
F_DOC = "doc_key"
# (text field, context field) per kind of term
F_ABBR = ("abbr", "ctx_abbr")
F_EXACT = ("exact", "ctx_exact")
F_FOLDED = ("folded", "ctx_folded")
F_EXACT_BI = ("exact_bi", "ctx_exact_bi")
F_FOLDED_BI = ("folded_bi", "ctx_folded_bi")
_TERM_FIELDS = (*F_EXACT, *F_FOLDED, *F_EXACT_BI, *F_FOLDED_BI, *F_ABBR)


@dataclass(frozen=True)
class LexicalDoc:
    chunk_id: int
    doc_key: str  # the document the chunk belongs to (``delete_doc`` removes all its chunks)
    text: str
    context: str = ""  # heading path, document subject: matched with a lower weight


@dataclass(frozen=True)
class FieldWeights:
    """Boost of each kind of term, for one kind of query."""

    exact: float
    folded: float
    exact_bigram: float
    folded_bigram: float


@dataclass(frozen=True)
class Weights:
    accented: FieldWeights  # the query has diacritics: exact spelling is trusted
    plain: FieldWeights  # typed without diacritics: only folded terms mean anything
    context: float  # multiplier for the context fields
    # Multipliers for terms that only an abbreviation form of the query adds
    # ("GPMB" -> "giải phóng mặt bằng"). The index already expands both ways, so
    # these are a safety net; unigrams of an expansion ("mặt", "bằng") match
    # unrelated passages, bigrams ("mặt_bằng") rarely do.
    alternative_bigram: float
    alternative_unigram: float
    abbreviation: float  # boost of the abbreviation-key field


# Tuned on ALQAC 2022 (benchmarks/lexical_only.py --grid; 1,377 articles, 520
# questions, typed with and without diacritics; one factor varied at a time).
# With these weights MRR@10 is 0.940 with diacritics and 0.940 without, against
# 0.882 / 0.175 for plain BM25 over lower-cased syllables and 0.855 / 0.855 for
# BM25 over folded syllables alone (all figures in
# benchmarks/results/lexical_only.json). What moved it:
# * bigrams: accented MRR@10 0.917 with no exact-bigram weight -> 0.940 at 0.5
#   (R@1 0.883 -> 0.923); without diacritics 0.856 with no folded-bigram weight
#   -> 0.940 at 0.75, as a folded bigram ("bao_nhieu") tells apart the words that
#   folding merged. Heavier bigrams stay within -0.003.
# * accented queries: exact 1.0 + folded 0.5 (0.940) beats exact alone (0.936)
#   and equal weights (0.937): an exact match scores on both fields and outranks
#   a passage that only matches after folding ("thế" vs "thể"), while a word the
#   passage spells otherwise still counts.
# * plain queries: the exact field only matches words that have no diacritics
#   anyway, which the folded field matches too; 0.25 costs 0.002, so it is off.
# * context, alternative_* (abbreviation forms) and abbreviation weights are not
#   exercised by ALQAC (no context, no abbreviations): set by judgement, and
#   checked only by tests/test_lexical.py.
DEFAULT_WEIGHTS = Weights(
    accented=FieldWeights(exact=1.0, folded=0.5, exact_bigram=0.5, folded_bigram=0.25),
    plain=FieldWeights(exact=0.0, folded=1.0, exact_bigram=0.0, folded_bigram=0.75),
    context=0.3,
    alternative_bigram=0.5,
    alternative_unigram=0.0,
    abbreviation=1.0,
)


# All chunks of a document share most of their context (subject, heading path):
# analyse each distinct context once.
_analyze_context = lru_cache(maxsize=4096)(analyze_passage)


# One indexing thread with a heap for ~185,000 passages: tantivy writes a segment per
# thread and per full heap, and a search pays per segment for every term of the query
# (~190 term clauses for a 25-syllable question). Tantivy's default, a thread per core
# sharing the heap, left 4 segments at 103,723 Pháp điển passages on 2 cores (and would
# leave more on a larger one: up to 8 threads); one segment searches 300 alqac2022 questions in
# 3.9 ms instead of 5.0 (p50; p95 9.0 instead of 11.6) with the same candidates, and
# writing it took 50.6 s instead of 49.0, analysis included (benchmarks/lexical_segments.py).
# The heap is a limit, not an allocation: memory grows only as passages are added.
WRITER_THREADS = 1
WRITER_HEAP_BYTES = 512_000_000


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_unsigned_field(F_ID, stored=True, indexed=True, fast=True)
    sb.add_text_field(F_DOC, stored=False, tokenizer_name="raw", index_option="basic")
    for name in _TERM_FIELDS:
        # Term frequencies for BM25; positions are not needed (bigrams carry adjacency).
        sb.add_text_field(name, stored=False, tokenizer_name="whitespace", index_option="freq")
    return sb.build()


class LexicalIndex:
    """A tantivy index of passages in ``path`` (created empty if missing).

    One writer per instance, created on the first write; ``commit`` publishes
    the changes to ``search`` and to other readers; ``close`` drops uncommitted
    changes. Searching is thread-safe; writing is for one thread at a time.
    """

    def __init__(self, path: Path, weights: Weights = DEFAULT_WEIGHTS, writer_heap_bytes: int = WRITER_HEAP_BYTES,
                 writer_threads: int = WRITER_THREADS):
        self.path = Path(path)
        self.weights = weights
        self._threads = max(1, int(writer_threads))
        # tantivy refuses less than 15 MB a thread
        self._heap = max(int(writer_heap_bytes), 15_000_000 * self._threads)
        self._schema = _schema()
        self.path.mkdir(parents=True, exist_ok=True)
        exists = tantivy.Index.exists(str(self.path))
        if exists:
            self._check_marker()
        try:
            self._index = tantivy.Index(self._schema, path=str(self.path), reuse=True)
        except ValueError as exc:
            raise RuntimeError(
                f"Chỉ mục từ khóa trong {self.path} có cấu trúc khác phiên bản này; "
                "hãy lập lại chỉ mục (vanban index --rebuild)"
            ) from exc
        if not exists:
            self._write_marker()
        self._writer: tantivy.IndexWriter | None = None

    # -- version marker ------------------------------------------------------

    def _check_marker(self) -> None:
        try:
            found = json.loads((self.path / _MARKER).read_text(encoding="utf-8")).get("analysis_version")
        except (OSError, ValueError, AttributeError):
            found = None
        if found != ANALYSIS_VERSION:
            raise RuntimeError(
                f"Chỉ mục từ khóa trong {self.path} được lập bằng cách phân tích văn bản khác "
                f"(phiên bản {found}, cần {ANALYSIS_VERSION}); hãy lập lại chỉ mục (vanban index --rebuild)"
            )

    def _write_marker(self) -> None:
        # Written to a temporary file and renamed, like tantivy's own metadata, so
        # that a hard-linked clone never shares a file that is rewritten.
        tmp = self.path / f".{_MARKER}.tmp"
        tmp.write_text(json.dumps({"analysis_version": ANALYSIS_VERSION}), encoding="utf-8")
        os.replace(tmp, self.path / _MARKER)

    # -- writing ---------------------------------------------------------------

    def _get_writer(self) -> tantivy.IndexWriter:
        if self._writer is None:
            try:
                self._writer = self._index.writer(heap_size=self._heap, num_threads=self._threads)
            except ValueError as exc:
                raise RuntimeError(f"Chỉ mục từ khóa trong {self.path} đang được một tiến trình khác ghi") from exc
        return self._writer

    def add(self, docs: Iterable[LexicalDoc]) -> int:
        """Queue passages for indexing (visible after ``commit``); returns how many."""
        writer = self._get_writer()
        n = 0
        for d in docs:
            writer.add_document(self._document(d))
            n += 1
        return n

    def _document(self, d: LexicalDoc) -> Document:
        if not isinstance(d.chunk_id, int) or d.chunk_id < 0:
            raise ValueError(f"chunk_id phải là số nguyên không âm, nhận được {d.chunk_id!r}")
        doc = Document()
        doc.add_unsigned(F_ID, d.chunk_id)
        doc.add_text(F_DOC, d.doc_key)
        body = analyze_passage(d.text)
        doc.add_text(F_EXACT[0], body.exact)
        doc.add_text(F_FOLDED[0], body.folded)
        doc.add_text(F_EXACT_BI[0], body.exact_bigrams)
        doc.add_text(F_FOLDED_BI[0], body.folded_bigrams)
        doc.add_text(F_ABBR[0], body.abbreviations)
        if d.context:
            ctx = _analyze_context(d.context)
            doc.add_text(F_EXACT[1], ctx.exact)
            doc.add_text(F_FOLDED[1], ctx.folded)
            doc.add_text(F_EXACT_BI[1], ctx.exact_bigrams)
            doc.add_text(F_FOLDED_BI[1], ctx.folded_bigrams)
            doc.add_text(F_ABBR[1], ctx.abbreviations)
        return doc

    def delete_doc(self, doc_key: str) -> None:
        """Delete every passage of ``doc_key`` added before this call (visible
        after ``commit``); passages added afterwards under the same key stay."""
        self._get_writer().delete_documents_by_term(F_DOC, doc_key)

    def commit(self) -> None:
        if self._writer is None:
            return
        self._writer.commit()
        self._index.reload()

    def close(self) -> None:
        """Release the writer after its background merges finish (they write new
        files into the directory after ``commit`` returns, so close before the
        directory is published or cloned). Uncommitted changes are dropped."""
        writer, self._writer = self._writer, None
        if writer is not None:
            # No rollback() first: it starts a fresh writer whose merges this
            # call would then not wait for. Dropping the writer discards
            # uncommitted documents anyway.
            writer.wait_merging_threads()

    def __enter__(self) -> "LexicalIndex":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading -----------------------------------------------------------------

    @property
    def num_docs(self) -> int:
        """Committed passages."""
        return self._index.searcher().num_docs

    @property
    def num_segments(self) -> int:
        """Committed segments: a search visits each one for every term of the query."""
        return self._index.searcher().num_segments

    def search(
        self, query: str, k: int = 100, allowed: Collection[int] | None = None
    ) -> list[tuple[int, float]]:
        """Best ``k`` passages for ``query`` as ``(chunk_id, score)``, best first;
        only among ``allowed`` chunk ids when given. Never raises on odd queries."""
        if k <= 0 or (allowed is not None and len(allowed) == 0):
            return []
        q = self.build_query(analyze_query(query))
        if q is None:
            return []
        if allowed is not None:
            ids = [i for i in allowed if isinstance(i, int) and i >= 0]
            if not ids:
                return []
            only = Query.const_score_query(Query.term_set_query(self._schema, F_ID, ids), 0.0)
            q = Query.boolean_query([(Occur.Must, q), (Occur.Must, only)])
        searcher = self._index.searcher()
        k = min(k, searcher.num_docs)  # tantivy sizes its top-k heap by the limit
        if k <= 0:
            return []
        hits = searcher.search(q, limit=k, count=False).hits
        if not hits:
            return []
        ids = searcher.fast_field_values(F_ID, [addr for _, addr in hits])
        out = [(int(cid), float(score)) for (score, _), cid in zip(hits, ids) if cid is not None]
        out.sort(key=lambda x: (-x[1], x[0]))  # deterministic order among equal scores
        return out

    def build_query(self, terms: QueryTerms) -> Query | None:
        """The weighted BM25 query for ``terms``; None when nothing can match."""
        w = self.weights
        fw = w.accented if terms.has_diacritics else w.plain
        clauses: list[tuple[Occur, Query]] = []

        def add(fields: tuple[str, str], values: tuple[str, ...], boost: float) -> None:
            if boost <= 0 or not values:
                return
            for name, mult in ((fields[0], 1.0), (fields[1], w.context)):
                b = boost * mult
                if b <= 0:
                    continue
                for v in values:
                    tq = Query.term_query(self._schema, name, v, index_option="freq")
                    clauses.append((Occur.Should, Query.boost_query(tq, b)))

        add(F_EXACT, terms.exact, fw.exact)
        add(F_FOLDED, terms.folded, fw.folded)
        add(F_EXACT_BI, terms.exact_bigrams, fw.exact_bigram)
        add(F_FOLDED_BI, terms.folded_bigrams, fw.folded_bigram)
        # Abbreviation forms come from the table, spelled with diacritics: weighted
        # like an accented query whatever the user typed.
        alt, alt_bi = w.alternative_unigram, w.alternative_bigram
        add(F_EXACT, terms.alt_exact, alt * w.accented.exact)
        add(F_FOLDED, terms.alt_folded, alt * w.accented.folded)
        add(F_EXACT_BI, terms.alt_exact_bigrams, alt_bi * w.accented.exact_bigram)
        add(F_FOLDED_BI, terms.alt_folded_bigrams, alt_bi * w.accented.folded_bigram)
        add(F_ABBR, terms.abbreviations, w.abbreviation)
        if not clauses:
            return None
        return Query.boolean_query(clauses)
