"""What staff and inspectors ask: which tasks were given (to whom, by when), and
which shortcomings keep coming back (where, since when).

Tasks are extracted at indexing time (``corpus.tasks``); here they are found
through the passages a query retrieves. Recurring shortcomings are grouped
from the shortcoming passages (``corpus.kinds``) that match a query or look
like a given passage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from corpus.units import assignee_key
from corpus.vietnamese import bigrams, fold_key, syllables
from indexer.analysis import abbreviations
from indexer.store import ChunkRecord, Filters
from search_api.highlight import STOP_WORDS
from search_api.retrieval import Searcher, citation_of

# Grouping: two shortcoming snippets say the same thing when
#   0.5 * dense' + 0.5 * lexical >= GROUP_THRESHOLD
# where dense' rescales the passages' cosine from e5's usual 0.75-0.95 band to
# 0-1, and lexical is the Jaccard overlap of their folded syllable bigrams.
# 0.35 keeps "GPMB chậm" notices of different years together while "GPMB chậm"
# and "giải ngân chậm" in the same report stay apart (tests/test_directives.py).
GROUP_THRESHOLD = 0.35
# A candidate must cover at least this share of the query's content words to
# count as saying what the query asks about.
MIN_COVERAGE = 0.5
SENTENCE_END = re.compile(r"(?<=[.;!?])\s+|\n+")
_FOLDED_STOPS = {fold_key(w) for w in STOP_WORDS}


def _content_words(text: str) -> set[str]:
    return {w for _, _, w in syllables(fold_key(text)) if w not in _FOLDED_STOPS}


def _bigram_set(text: str) -> set[str]:
    words = [w for _, _, w in syllables(fold_key(text))]
    return set(bigrams(words))


def _weighted_words(text: str) -> dict[str, float]:
    """Content words with weights: an abbreviation weighs as much as the words it
    stands for, so that "chậm" alone does not cover half of "GPMB chậm"."""
    table = abbreviations()
    out: dict[str, float] = {}
    for _, _, original in syllables(text):
        word = fold_key(original)
        if word in _FOLDED_STOPS:
            continue
        expansions = table.expansions(original) if original.isupper() and len(original) > 1 else []
        out[word] = float(max((len(e.split()) for e in expansions), default=1))
    return out


def query_forms(query: str) -> list[dict[str, float]]:
    """The query's content words, once per way of writing it: "GPMB chậm" is also
    "giải phóng mặt bằng chậm"."""
    forms = abbreviations().expand_query(query) if query.strip() else []
    out = [_weighted_words(f) for f in dict.fromkeys([query, *forms])]
    return [w for w in out if w] or [{}]


def best_sentence(text: str, forms: list[dict[str, float]]) -> tuple[str, float]:
    """The sentence (or ';'-clause) of ``text`` covering most of the query's words
    (in any of its forms), and that weighted share."""
    best, score = text.strip(), 0.0
    for sentence in SENTENCE_END.split(text):
        sentence = sentence.strip(" -+•\t")
        if not sentence:
            continue
        present = _content_words(sentence)
        share = max(
            (sum(w for word, w in words.items() if word in present) / sum(words.values()) for words in forms if words),
            default=0.0,
        )
        if share > score:
            best, score = sentence, share
    return best, score


def occurrence_date(rec: ChunkRecord) -> tuple[str | None, str | None]:
    """(date, "issued" | "event"): the issue date, or for an undated notice the date
    of the meeting it reports, marked as such."""
    if rec.issued_date:
        return rec.issued_date, "issued"
    if rec.event_date:
        return rec.event_date, "event"
    return None, None


@dataclass
class Occurrence:
    doc_id: str
    chunk_id: int
    date: str | None
    date_kind: str | None
    issuer: str | None
    number: str | None
    doc_type: str | None
    passage: str  # the sentence that says it
    text: str  # the whole passage
    citation: dict
    score: float = 0.0


@dataclass
class Group:
    label: str
    documents: int
    occurrences: list[Occurrence] = field(default_factory=list)

    @property
    def first_date(self) -> str | None:
        return next((o.date for o in self.occurrences if o.date), None)


def recurring_shortcomings(
    searcher: Searcher,
    query: str | None = None,
    chunk_id: int | None = None,
    candidates: int = 40,
    threshold: float = GROUP_THRESHOLD,
    groups: frozenset[str] | None = None,
) -> list[Group]:
    """Groups of shortcoming passages from different documents that say the same
    thing, each in date order; groups seen in more documents first. Among what a
    reader in ``groups`` may read (None: everything)."""
    store = searcher.store
    readable = searcher.readable_docs(groups)
    if chunk_id is not None:
        seed = store.get_chunks([chunk_id]).get(chunk_id)
        vec = store.vector(chunk_id)
        if seed is None or vec is None or (readable is not None and seed.doc_id not in readable):
            return []
        allowed = store.filter_chunk_ids(Filters(kind="shortcoming"))
        if readable is not None:
            allowed &= store.readable_chunk_ids(groups)
        hits = [cid for cid, _ in searcher.vectors.search(vec, candidates, allowed)]
        if chunk_id not in hits:
            hits.insert(0, chunk_id)
        records = store.get_chunks(hits)
        ranked = [records[c] for c in hits if c in records]
        forms = [dict.fromkeys(_content_words(seed.text), 1.0)]
        min_cover = 0.0  # "looks like this passage" is the dense neighbourhood itself
    else:
        response = searcher.search(query or "", k=candidates, filters=Filters(kind="shortcoming"), highlights=False,
                                   groups=groups)
        records = store.get_chunks([r.chunk_id for r in response.results])
        ranked = [records[r.chunk_id] for r in response.results if r.chunk_id in records]
        forms = query_forms(query or "")
        min_cover = MIN_COVERAGE

    found: list[Occurrence] = []
    for rank, rec in enumerate(ranked):
        sentence, cover = best_sentence(rec.text, forms)
        if cover < min_cover:
            continue
        date, kind = occurrence_date(rec)
        found.append(Occurrence(
            doc_id=rec.doc_id, chunk_id=rec.chunk_id, date=date, date_kind=kind, issuer=rec.issuer,
            number=rec.number, doc_type=rec.doc_type, passage=sentence, text=rec.text,
            citation=citation_of(rec).__dict__, score=round(cover + 1.0 / (rank + 1), 4),
        ))
    if not found:
        return []

    vectors = store.vectors_of([o.chunk_id for o in found])
    grams = [_bigram_set(o.passage) for o in found]
    parent = list(range(len(found)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(found)):
        for j in range(i + 1, len(found)):
            cos = float(np.dot(vectors[found[i].chunk_id], vectors[found[j].chunk_id]))
            dense = min(max((cos - 0.75) / 0.2, 0.0), 1.0)
            union = grams[i] | grams[j]
            lexical = len(grams[i] & grams[j]) / len(union) if union else 0.0
            if 0.5 * dense + 0.5 * lexical >= threshold:
                parent[root(i)] = root(j)

    clusters: dict[int, list[Occurrence]] = {}
    for i, occ in enumerate(found):
        clusters.setdefault(root(i), []).append(occ)
    groups = []
    for members in clusters.values():
        # One occurrence per document: its best-matching passage.
        per_doc: dict[str, Occurrence] = {}
        for occ in members:
            if occ.doc_id not in per_doc or occ.score > per_doc[occ.doc_id].score:
                per_doc[occ.doc_id] = occ
        occs = sorted(per_doc.values(), key=lambda o: (o.date is None, o.date or "", o.doc_id))
        label = max(occs, key=lambda o: o.score).passage
        groups.append(Group(label=label[:200], documents=len(occs), occurrences=occs))
    groups.sort(key=lambda g: (-g.documents, -max(o.score for o in g.occurrences)))
    return groups


@dataclass
class TaskPage:
    tasks: list[dict]
    total: int  # matches before the page was cut; with a query, among the passages it retrieved


def find_tasks(
    searcher: Searcher,
    query: str | None = None,
    assignee: str | None = None,
    due_from: str | None = None,
    due_to: str | None = None,
    k: int = 20,
    groups: frozenset[str] | None = None,
) -> TaskPage:
    """Tasks relevant to ``query`` (those in the passages it retrieves, best
    passage first), or all tasks when there is no query; filtered by unit and due date.
    The page holds the first ``k``; ``total`` counts every match."""
    key = assignee_key(assignee) if assignee else None
    store = searcher.store
    if query:
        response = searcher.search(query, k=min(searcher.settings.limits.max_results, max(50, k)), highlights=False,
                                   groups=groups)
        order = {r.chunk_id: i for i, r in enumerate(response.results)}
        tasks = store.tasks(list(order), key, due_from, due_to, readable=searcher.readable_docs(groups))
        # Deep in the ranking, a passage may hold tasks about other things: past the
        # ten best passages, keep only tasks that say what the query asks (in their
        # text or their headings).
        forms = query_forms(query)
        tasks = [
            t for t in tasks
            if order.get(t["chunk_id"], len(order)) < 10
            or best_sentence(f"{t['action']}. {' '.join(t['heading_path'])}", forms)[1] >= MIN_COVERAGE
        ]
        tasks.sort(key=lambda t: (order.get(t["chunk_id"], len(order)), t["char_span"][0]))
    else:
        tasks = store.tasks(None, key, due_from, due_to, readable=searcher.readable_docs(groups))
        tasks.sort(key=lambda t: (t["deadline_end"] or "9999", t["issued_date"] or t["event_date"] or ""))
    return TaskPage([_task_json(t) for t in tasks[:k]], len(tasks))


def _task_json(t: dict) -> dict:
    return {
        "assignees": t["assignees"],
        "action": t["action"],
        "deadline": t["deadline"],
        "deadline_text": t["deadline_text"],
        "lead_person": t["lead_person"],
        "doc_id": t["doc_id"],
        "chunk_id": t["chunk_id"],
        "citation": {
            "number": t["number"], "doc_type": t["doc_type"], "issuer": t["issuer"], "issued_date": t["issued_date"],
            "event_date": t["event_date"], "subject": t["subject"], "title": t["title"],
            "heading_path": t["heading_path"], "pages": t["pages"], "char_span": t["char_span"],
        },
    }


def assignee_list(searcher: Searcher, groups: frozenset[str] | None = None) -> list[dict]:
    """Units with the number of tasks given to them, in what a reader in ``groups`` may read."""
    counts = searcher.store.assignee_counts(readable=searcher.readable_docs(groups))
    return [{"name": name, "key": key, "tasks": n} for key, name, n in counts]


def similar_passages(searcher: Searcher, chunk_id: int, k: int = 10, groups: frozenset[str] | None = None) -> list[dict] | None:
    """Passages closest in meaning to a given one (itself excluded), among what a reader
    in ``groups`` may read; None if it does not exist or they may not read it."""
    store = searcher.store
    readable = searcher.readable_docs(groups)
    allowed = None
    if readable is not None:
        seed = store.get_chunks([chunk_id]).get(chunk_id)
        if seed is None or seed.doc_id not in readable:
            return None
        allowed = store.readable_chunk_ids(groups)
    vec = store.vector(chunk_id)
    if vec is None:
        return None
    hits = [(c, s) for c, s in searcher.vectors.search(vec, k + 1, allowed) if c != chunk_id][:k]
    records = searcher.store.get_chunks([c for c, _ in hits])
    return [
        {"doc_id": records[c].doc_id, "chunk_id": c, "score": round(s, 4), "text": records[c].text,
         "kind": records[c].kind, "citation": citation_of(records[c]).__dict__}
        for c, s in hits if c in records
    ]
