"""Hybrid retrieval: dense (FAISS) and lexical (tantivy) results fused, cited and highlighted.

Fusion is weighted reciprocal rank fusion. The weights depend on the query in
hand: multilingual-e5-small loses almost all its quality on Vietnamese typed
without diacritics, so for such a query the dense side embeds the query with
its diacritics restored from the corpus's own vocabulary when that is
possible, and otherwise counts for little.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Collection, Protocol, Sequence

import faiss
import numpy as np

from corpus.numbers import parse_number_query
from corpus.vietnamese import has_diacritics, syllables
from indexer.analysis import analysed_part
from indexer.lexical import LexicalIndex
from indexer.snapshot import Snapshot
from indexer.store import ChunkRecord, ChunkStore, Filters
from indexer.vectors import QuantizedScan, VectorIndex
from indexer.vocabulary import Vocabulary
from search_api.facets import FacetTable
from search_api.highlight import highlight_spans
from search_api.params import Limits, ParamError, check_k, check_page, check_query, limits_of, parse_mode
from search_api.relations import statuses
from search_api.settings import Settings


class QueryEncoder(Protocol):
    def encode_queries(self, queries: Sequence[str]) -> np.ndarray: ...


# The score of a document found by its number, and of a passage that cites it: above every fused score.
KNOWN_ITEM_SCORE = 1.0
CITING_SCORE = 0.5


@dataclass(frozen=True)
class RetrievalSettings:
    candidates: int = 100  # taken from each side before fusion
    # Tuned on alqac2022 (both query files) and the seed dev queries with
    # benchmarks/tune_fusion.py; the optimum is flat (±0.005 MRR@10 around it).
    rrf_k: int = 30
    dense_weight: float = 0.7
    lexical_weight: float = 1.0
    # Dense weight for a query typed without diacritics whose diacritics could not be restored.
    dense_weight_unaccented: float = 0.2
    # Exact vector indexes of at least ``quantized_from`` vectors are searched through an
    # int8 shortlist re-ranked exactly (indexer.vectors.QuantizedScan), scanned in
    # ``scan_threads`` pieces side by side (103,723 vectors: 8.9 ms in one fp16 piece, 2.0 in int8).
    scan_threads: int = 2
    quantized_from: int = 50_000
    # Query length and result depth: from the product's Settings (search_api.services.retrieval_settings).
    limits: Limits = field(default_factory=lambda: limits_of(Settings()))


@dataclass
class Citation:
    number: str | None
    doc_type: str | None
    issuer: str | None
    issued_date: str | None
    subject: str | None
    heading_path: list[str]
    pages: list[int] | None
    char_span: list[int]
    event_date: str | None = None
    title: str | None = None
    ocr: bool = False  # the passage was read from a scan by OCR
    ocr_confidence: float | None = None  # the mean OCR confidence (0-100) of its pages


@dataclass
class SearchResult:
    doc_id: str
    chunk_id: int
    score: float
    text: str
    citation: Citation
    highlights: list[list[int]]
    kind: str | None = None  # result, shortcoming, cause, task, proposal, other
    ranks: dict[str, int | None] = field(default_factory=dict)
    # Why it is here beyond its text: "number" (the document bears the number asked for),
    # "cites:<relation>" (it cites that document: "cites:amends", "cites:basis", …).
    match: str | None = None
    # What later indexed documents did to this one: [{"status": "replaced_by", "doc_id", "number", "issued_date"}].
    status: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        """The result as JSON-ready values. Its lists are this result's own, not copies
        (``dataclasses.asdict`` copies deeply: 0.07 ms a passage, most of a page's
        serialisation); what is returned is for writing out, not for changing."""
        return {**vars(self), "citation": {**vars(self.citation)}}


@dataclass
class SearchResponse:
    query: str
    mode: str
    results: list[SearchResult]
    total: int  # fused candidates that passed the filters
    timings_ms: dict[str, float]
    dense_query: str | None = None  # the text the dense side embedded, when it differs
    facets: dict[str, list[dict]] = field(default_factory=dict)


@dataclass
class Ranking:
    """A search ranked and not yet cited (``Searcher.rank``, then ``Searcher.cite``)."""

    query: str
    mode: str
    passages: list[tuple[int, float]]  # (chunk id, fused score), best first, duplicates and overlaps left out
    doc_ids: dict[int, str]  # each passage's document
    total: int  # fused candidates that passed the filters
    timings_ms: dict[str, float]
    dense_query: str | None
    facets: dict[str, list[dict]]
    started: float  # perf_counter at the start, for the whole search's time
    # For citing: records already read whole, highlights computed ahead, each side's
    # ranks, known-item matches, and the documents the reader may read.
    records: dict[int, ChunkRecord] = field(default_factory=dict, repr=False)
    highlights: dict[int, list[list[int]]] = field(default_factory=dict, repr=False)
    ranks: tuple[dict[int, int], dict[int, int]] = field(default_factory=lambda: ({}, {}), repr=False)
    matches: dict[int, str] = field(default_factory=dict, repr=False)
    readable: frozenset[str] | None = field(default=None, repr=False)


def citation_of(rec: ChunkRecord) -> Citation:
    scanned = [rec.ocr_pages[p] for p in range(rec.pages[0], rec.pages[1] + 1) if p in rec.ocr_pages] if rec.pages else []
    return Citation(
        number=rec.number,
        doc_type=rec.doc_type,
        issuer=rec.issuer,
        issued_date=rec.issued_date,
        subject=rec.subject,
        heading_path=rec.heading_path,
        pages=list(rec.pages) if rec.pages else None,
        char_span=list(rec.char_span),
        event_date=rec.event_date,
        title=rec.title,
        ocr=bool(scanned),
        ocr_confidence=round(sum(scanned) / len(scanned), 1) if scanned else None,
    )


class Searcher:
    """Answers queries from one published snapshot (read-only)."""

    def __init__(self, snapshot: Snapshot, encoder: QueryEncoder | None, settings: RetrievalSettings | None = None):
        self.snapshot = snapshot
        self.store = ChunkStore(snapshot.store, readonly=True)
        self.settings = settings or RetrievalSettings()
        vectors = VectorIndex.load(snapshot.vectors)
        if vectors.kind != "hnsw" and vectors.size >= self.settings.quantized_from:
            vectors = vectors.quantized(self.settings.scan_threads)  # type: ignore[assignment]
        self.vectors = vectors
        # One OpenMP thread: a server's request threads already share the cores,
        # and FAISS's thread start-up per call costs more than exact search of a
        # few thousand vectors.
        faiss.omp_set_num_threads(1)
        self.lexical = LexicalIndex(snapshot.lexical)
        self._facet_table: FacetTable | None = None
        self._facet_lock = threading.Lock()
        self.encoder = encoder
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        # The dense side of searches, beside their lexical side (see ``search``); a few
        # workers, so that concurrent searches do not queue behind one another.
        self._dense_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="dense-search")
        self._cache_lock = threading.Lock()
        # Diacritic restoration for unaccented queries, from the snapshot's vocabulary.
        self.restorer = Vocabulary.load(snapshot.vocabulary) if snapshot.vocabulary.exists() else None

    def close(self) -> None:
        self._dense_pool.shutdown(wait=True)
        self.store.close()

    def search(
        self,
        query: str,
        k: int = 10,
        filters: Filters | None = None,
        mode: str = "hybrid",
        highlights: bool = True,
        offset: int = 0,
        facets: bool = False,
        groups: frozenset[str] | None = None,
    ) -> SearchResponse:
        """The ``k`` best passages after the first ``offset`` (paging), with facet
        counts over every candidate that passed the filters when ``facets``.

        ``groups``: the reader's groups; only passages of public documents and of
        documents shared with one of them are searched -- before ranking, on both
        sides, so that a reader gets a full page of what they may read. None: all."""
        check_k(k, self.settings.limits.max_results)
        check_page(k, offset, self.settings.limits.max_results)
        ranking = self.rank(query, k + offset, filters, mode, highlights, facets, groups)
        t = time.perf_counter()
        results = self.cite(ranking, ranking.passages[offset:], highlights)
        timings = ranking.timings_ms
        timings["fuse"] = round(timings["fuse"] + _ms(t), 2)
        timings["total"] = _ms(ranking.started)
        return SearchResponse(query=ranking.query, mode=ranking.mode, results=results, total=ranking.total,
                              timings_ms=timings, dense_query=ranking.dense_query, facets=ranking.facets)

    def rank(
        self,
        query: str,
        depth: int,
        filters: Filters | None = None,
        mode: str = "hybrid",
        highlights: bool = True,
        facets: bool = False,
        groups: frozenset[str] | None = None,
        detail: bool = True,
    ) -> "Ranking":
        """The first ``depth`` passages of a search, without duplicates and overlaps, not
        yet cited (``cite``). ``detail``: read whole records while ranking, for callers that
        cite every passage; otherwise only what tells passages apart (``search_documents``
        ranks 200 passages and cites the few it shows)."""
        s = self.settings
        parse_mode(mode)
        check_k(depth, s.limits.max_results)
        text = check_query(query, s.limits)
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        allowed = None
        if filters is not None and not filters.is_empty():
            allowed = self.store.filter_chunk_ids(filters)
        readable = self.readable_docs(groups)
        if readable is not None:
            chunks = self.store.readable_chunk_ids(groups)
            allowed = chunks if allowed is None else allowed & chunks
        timings["filter"] = _ms(t0)

        want = max(s.candidates, depth)
        lexical: list[tuple[int, float]] = []
        dense: list[tuple[int, float]] = []
        dense_query = None
        dense_weight = s.dense_weight
        known: list[tuple[int, float, str]] = []
        if mode != "dense":
            t = time.perf_counter()
            known = self._known_items(text, allowed, readable)
            timings["known"] = _ms(t)
        # A document number means nothing to the embedding model: once documents bear it,
        # the rest of the answer is the passages that write it.
        dense_side: _DenseSide | None = None
        if mode in ("hybrid", "dense") and self.encoder is not None and not known:
            dense_query, dense_weight = self._dense_query(text)
            # The model, FAISS and tantivy all run outside the GIL: the query's vector and
            # its neighbours are computed while tantivy searches.
            dense_side = _DenseSide(self, dense_query, want, allowed)
        elif mode == "dense":
            raise ParamError("no_model", "Không có mô hình nhúng để tìm theo ngữ nghĩa", "mode")
        if mode in ("hybrid", "lexical"):
            t = time.perf_counter()
            lexical = self.lexical.search(text, want, allowed)
            timings["lexical"] = _ms(t)
        fetch = self.store.get_chunks if detail else self.store.passage_keys
        ahead = _ReadAhead()
        if dense_side is not None:
            if lexical:
                # The query's vector usually takes longer than tantivy: meanwhile this thread
                # reads what the lexical side ranks first, which most of a page is made of,
                # step by step until the dense side has work for it or is done.
                t = time.perf_counter()
                ahead = self._read_ahead(lexical, depth, text if highlights and detail else None,
                                         dense_side.ready, fetch)
                timings["read_ahead"] = _ms(t)
            dense, embed_ms, dense_ms = dense_side.result()
            timings["embed"], timings["dense"] = embed_ms, dense_ms

        t = time.perf_counter()
        fused = self._fuse(lexical, dense, mode, dense_weight)
        matches = {cid: match for cid, _, match in known}
        if known:
            fused = [(cid, score) for cid, score, _ in known] + [(c, v) for c, v in fused if c not in matches]
        ranks = ({c: r + 1 for r, (c, _) in enumerate(lexical)}, {c: r + 1 for r, (c, _) in enumerate(dense)})
        # Up to three times the page, for the duplicates and overlaps _pick leaves out.
        records = _PageRecords(fetch, [cid for cid, _ in fused[: depth * 3]], ahead.records, depth + 10)
        passages, doc_ids = self._pick(fused, records, depth)
        timings["fuse"] = _ms(t)
        return Ranking(
            query=text,
            mode=mode,
            passages=passages,
            doc_ids=doc_ids,
            total=len(fused),
            timings_ms=timings,
            # The restorer learnt its words from every document: what it writes could
            # show words of documents this reader may not read.
            dense_query=dense_query if dense_query != text and readable is None else None,
            facets=self.facet_table().counts(self._facet_ids(fused, ranks)) if facets else {},
            started=t0,
            records=records.known() if detail else {},
            highlights=ahead.highlights,
            ranks=ranks,
            matches=matches,
            readable=readable,
        )

    def cite(self, ranking: "Ranking", passages: list[tuple[int, float]], highlights: bool = True) -> list[SearchResult]:
        """Ranked passages as results: text, citation, highlights, what later documents did
        to theirs. ``passages``: (chunk id, score) from ``ranking.passages``."""
        records = {cid: ranking.records[cid] for cid, _ in passages if cid in ranking.records}
        records.update(self.store.get_chunks([cid for cid, _ in passages if cid not in records]))
        query = ranking.query if highlights else None
        lex_ranks, dense_ranks = ranking.ranks
        results = []
        for cid, score in passages:
            rec = records.get(cid)
            if rec is None:
                continue
            results.append(SearchResult(
                doc_id=rec.doc_id,
                chunk_id=cid,
                score=round(float(score), 6),
                text=rec.text,
                citation=citation_of(rec),
                highlights=(ranking.highlights[cid] if cid in ranking.highlights else _highlights(query, rec.text))
                if query else [],
                kind=rec.kind,
                ranks={"lexical": lex_ranks.get(cid), "dense": dense_ranks.get(cid)},
                match=ranking.matches.get(cid),
            ))
        changed = statuses(self.store, {r.doc_id for r in results}, ranking.readable)
        for r in results:
            r.status = changed.get(r.doc_id, [])
        return results

    def _read_ahead(self, lexical: list[tuple[int, float]], page: int, query: str | None,
                    stop: Callable[[], bool], fetch: Callable[[list[int]], dict]) -> "_ReadAhead":
        """The records of the lexical side's first ``page + 10`` candidates, then the highlights
        of its first ``page``: what fusion will most likely ask for, as far as it gets before
        ``stop()`` is true."""
        ahead = _ReadAhead()
        if stop():
            return ahead
        ids = [cid for cid, _ in lexical[: page + 10]]
        for start in range(0, len(ids), 32):
            ahead.records.update(fetch(ids[start:start + 32]))
            if stop():
                return ahead
        for cid in ids[:page] if query else ():
            if stop():
                return ahead
            if cid in ahead.records:
                ahead.highlights[cid] = _highlights(query, ahead.records[cid].text)
        return ahead

    def facet_table(self) -> FacetTable:
        """Every passage's facet values, read at the first search that counts facets (0.26 s at
        103,723 passages): the CLI and the evaluations open a searcher and never count them."""
        with self._facet_lock:
            if self._facet_table is None:
                self._facet_table = FacetTable.load(self.store)
            return self._facet_table

    def _facet_ids(self, fused: list[tuple[int, float]], ranks: tuple[dict[int, int], dict[int, int]]) -> list[int]:
        """The candidates facets count: those within the first ``candidates`` of a side (or
        found by number), however deep the page asked for made each side search, so that
        counts do not change with the page or the grouping."""
        limit = self.settings.candidates
        lex, dense = ranks
        return [cid for cid, _ in fused
                if lex.get(cid, limit + 1) <= limit or dense.get(cid, limit + 1) <= limit or (cid not in lex and cid not in dense)]

    def readable_docs(self, groups: frozenset[str] | None) -> frozenset[str] | None:
        """The documents a reader in ``groups`` may read; None when they may read all
        (no groups given, or no document is restricted)."""
        if groups is None or not self.store.has_restricted():
            return None
        return self.store.readable_doc_ids(groups)

    def _known_items(
        self, text: str, allowed: Collection[int] | None, readable: frozenset[str] | None
    ) -> list[tuple[int, float, str]]:
        """When the query is a document number ("163/TB-UBND", "thông tư 12 năm 2016"),
        the documents that bear it, newest first, then the passages of other documents
        that cite them, ahead of every passage that only mentions the number:
        (passage id, score, "number" or "cites:<relation>"). Bearers score 1.0 and
        citing passages 0.5, above any fused score (reciprocal ranks stay below 0.06)."""
        number = parse_number_query(text)
        if number is None:
            return []
        bearers = [(cid, d) for cid, d in self.store.documents_by_number(number) if readable is None or d in readable]
        found = [(cid, KNOWN_ITEM_SCORE, "number") for cid, _ in bearers]
        taken = {cid for cid, _ in bearers}
        for ref in self.store.references_to([doc_id for _, doc_id in bearers]):
            if readable is not None and ref["source"] not in readable:
                continue
            cid = self.store.passage_at(ref["source"], ref["char_span"][0] if ref["char_span"] else None)
            if cid is not None and cid not in taken:
                taken.add(cid)
                found.append((cid, CITING_SCORE, f"cites:{ref['relation']}"))
        return [hit for hit in found if allowed is None or hit[0] in allowed]

    def _embed(self, text: str) -> np.ndarray:
        """The query's vector; the same query comes back often (paging, filters,
        a search box that searches as people type), so recent ones are kept."""
        with self._cache_lock:
            hit = self._cache.get(text)
            if hit is not None:
                self._cache.move_to_end(text)
                return hit
        vec = self.encoder.encode_queries([text])[0]
        with self._cache_lock:
            self._cache[text] = vec
            if len(self._cache) > 512:
                self._cache.popitem(last=False)
        return vec

    def _dense_query(self, text: str) -> tuple[str, float]:
        # The model reads what the lexical side reads (``analysed_part``): its cost
        # grows with every token, and a pasted page or a run of marks is hundreds.
        text = analysed_part(text)
        if has_diacritics(text) or not any(t[2].isalpha() for t in syllables(text)):
            return text, self.settings.dense_weight
        if self.restorer is not None:
            restored = self.restorer.restore(text)
            if restored != text:
                return restored, self.settings.dense_weight
        return text, self.settings.dense_weight_unaccented

    def _fuse(
        self, lexical: list[tuple[int, float]], dense: list[tuple[int, float]], mode: str, dense_weight: float
    ) -> list[tuple[int, float]]:
        if mode == "lexical":
            return lexical
        if mode == "dense":
            return dense
        s = self.settings
        scores: dict[int, float] = {}
        for rank, (cid, _) in enumerate(lexical):
            scores[cid] = scores.get(cid, 0.0) + s.lexical_weight / (s.rrf_k + rank + 1)
        for rank, (cid, _) in enumerate(dense):
            scores[cid] = scores.get(cid, 0.0) + dense_weight / (s.rrf_k + rank + 1)
        return sorted(scores.items(), key=lambda kv: -kv[1])

    def _pick(self, fused: list[tuple[int, float]], records: "_PageRecords", limit: int
              ) -> tuple[list[tuple[int, float]], dict[int, str]]:
        """The first ``limit`` of ``fused`` that add something, and their documents."""
        picked: list[tuple[int, float]] = []
        doc_ids: dict[int, str] = {}
        seen_text: set[str] = set()
        taken: dict[str, list[tuple[int, int]]] = {}
        for cid, score in fused:
            if len(picked) >= limit:
                break
            rec = records.get(cid)
            if rec is None:
                continue
            key = " ".join(rec.text.split())
            spans = taken.setdefault(rec.doc_id, [])
            # The same passage twice (a document indexed under two names) or an
            # overlapping span of the same document adds nothing: keep the best.
            if key in seen_text or any(a < rec.char_span[1] and rec.char_span[0] < b for a, b in spans):
                continue
            seen_text.add(key)
            spans.append(rec.char_span)
            picked.append((cid, score))
            doc_ids[cid] = rec.doc_id
        return picked, doc_ids


class _DenseSide:
    """The dense side of one search: the query's vector and its nearest passages, on a
    worker thread while the request's own thread runs tantivy. On an int8 index in
    pieces (``QuantizedScan``) the worker scans the first piece and the request's thread,
    once the vector is there, the others: no third thread to wake (on two cores a
    woken scan thread started its piece ~1.4 ms late)."""

    def __init__(self, searcher: "Searcher", text: str, want: int, allowed: Collection[int] | None):
        self.vectors = searcher.vectors
        self.want = want
        self.allowed = allowed
        self.split = isinstance(self.vectors, QuantizedScan) and len(self.vectors.pieces) > 1
        self.rows = self.vectors.rows_of(allowed) if self.split else None  # type: ignore[union-attr]
        self.vector: Future = Future()
        self._work = searcher._dense_pool.submit(self._run, searcher, text)

    def _run(self, searcher: "Searcher", text: str) -> tuple[list[tuple[int, float]] | np.ndarray, float, float]:
        t = time.perf_counter()
        try:
            qv = searcher._embed(text)
        except BaseException as exc:
            self.vector.set_exception(exc)
            raise
        self.vector.set_result(qv)
        embed_ms = _ms(t)
        t = time.perf_counter()
        if self.split:
            return self.vectors.shortlist(qv, self.want, self.rows, 0), embed_ms, _ms(t)  # type: ignore[union-attr]
        return self.vectors.search(qv, self.want, self.allowed), embed_ms, _ms(t)

    def ready(self) -> bool:
        """Whether the request's thread has dense work to do now, or the dense side is done."""
        return self.vector.done() if self.split else self._work.done()

    def result(self) -> tuple[list[tuple[int, float]], float, float]:
        """(passages, ms to embed the query, ms to find its neighbours)."""
        if not self.split:
            return self._work.result()  # type: ignore[return-value]
        qv = self.vector.result()
        t = time.perf_counter()
        vectors: QuantizedScan = self.vectors  # type: ignore[assignment]
        mine = [vectors.shortlist(qv, self.want, self.rows, piece) for piece in range(1, len(vectors.pieces))]
        first, embed_ms, _ = self._work.result()
        return vectors.rerank(qv, self.want, [first, *mine], self.rows), embed_ms, _ms(t)


class _PageRecords:
    """The records of a page's candidates (``ids``, in fused order), read with ``fetch`` a
    slice at a time as ``_pick`` walks down the list: duplicates and overlaps are rare, so
    reading the whole window at once read about three times what a page used (600 records
    for a page of documents, which ranks 200 passages). Ids outside the window have none."""

    def __init__(self, fetch: Callable[[list[int]], dict], ids: list[int], known: dict, step: int):
        self.fetch = fetch
        self.ids = ids
        self.step = max(1, step)
        self._at = {cid: i for i, cid in enumerate(ids)}
        self._records = {cid: known[cid] for cid in ids if cid in known}
        self._read_to = 0

    def get(self, cid: int):
        i = self._at.get(cid)
        if i is None:
            return None
        if i >= self._read_to and cid not in self._records:
            end = max(i + 1, self._read_to + self.step)
            self._records.update(self.fetch([c for c in self.ids[self._read_to:end] if c not in self._records]))
            self._read_to = end
        return self._records.get(cid)

    def known(self) -> dict:
        """Every record read so far, by passage id."""
        return self._records


@dataclass
class _ReadAhead:
    """What a search read while its dense side ran (``Searcher._read_ahead``), by passage id."""

    records: dict[int, ChunkRecord] = field(default_factory=dict)
    highlights: dict[int, list[list[int]]] = field(default_factory=dict)


def _highlights(query: str, text: str) -> list[list[int]]:
    return [[a, b] for a, b in highlight_spans(query, text)]


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 2)
