"""The chunk store: documents, their metadata, sections and passages, in SQLite.

It is the source of truth of an index snapshot: the FAISS and lexical indexes
can be rebuilt from it (it keeps every passage's vector). Chunk ids are never
reused (AUTOINCREMENT), so an id in a stale vector index can never point at a
different passage.
"""

from __future__ import annotations

import calendar
import json
import re
import sqlite3
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Collection, Iterable, Iterator, NamedTuple, Sequence

import numpy as np

from corpus.models import Chunk, ParsedDocument
from corpus.numbers import NumberQuery, number_key, parse_number
from corpus.tasks import Task
from corpus.units import assignee_key
from corpus.vietnamese import fold, fold_key
from indexer.access import readable_by

SCHEMA_VERSION = 5

# SQLite's INTEGER range, hence the range of row ids: a larger number names nothing
# (and sqlite3 refuses to bind it: OverflowError), so readers answer "not found".
MIN_ROWID = -(2**63)
MAX_ROWID = 2**63 - 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    source TEXT PRIMARY KEY,      -- absolute path of the file read
    root TEXT NOT NULL,           -- the folder it was indexed under
    mtime REAL NOT NULL,
    size INTEGER NOT NULL,
    indexed_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL UNIQUE,  -- path relative to the indexed root, or a JSONL record id
    source TEXT NOT NULL,
    format TEXT NOT NULL,
    number TEXT, doc_type TEXT, type_code TEXT, issuer TEXT, place TEXT,
    issued_date TEXT, event_date TEXT, subject TEXT, signer_name TEXT, signer_title TEXT,
    title TEXT,
    access TEXT,                  -- who may read it: NULL for everyone, else a JSON list of groups
    ocr TEXT,                     -- pages read from a scan: JSON {page: mean OCR confidence}; NULL when none
    metadata TEXT NOT NULL,       -- DocumentMetadata as JSON
    sections TEXT NOT NULL,       -- the section tree as JSON
    pages TEXT NOT NULL,          -- [[start, end, page], ...]
    body_start INTEGER NOT NULL, body_end INTEGER NOT NULL,
    text TEXT NOT NULL,
    warnings TEXT NOT NULL,
    indexed_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_source ON documents(source);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    document INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    section_id INTEGER,
    heading_path TEXT NOT NULL,
    text TEXT NOT NULL,
    char_start INTEGER NOT NULL, char_end INTEGER NOT NULL,
    page_first INTEGER, page_last INTEGER,
    n_tokens INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    embed_hash TEXT NOT NULL,     -- hash of the exact text the model embedded
    vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_document ON chunks(document);
CREATE TABLE IF NOT EXISTS tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    document INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    chunk INTEGER,                -- the passage that holds the task's start
    section_id INTEGER,
    heading_path TEXT NOT NULL,
    action TEXT NOT NULL,
    deadline TEXT,                -- "2024-08-15", "2024-09", "2024-Q3", "2024-H2", "2024"
    deadline_end TEXT,            -- the last day the deadline allows, for filtering and sorting
    deadline_text TEXT,
    lead_person TEXT,
    char_start INTEGER NOT NULL, char_end INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS tasks_document ON tasks(document);
CREATE INDEX IF NOT EXISTS tasks_chunk ON tasks(chunk);
CREATE TABLE IF NOT EXISTS task_assignees (
    task INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    key TEXT NOT NULL             -- normalised for matching: case, tone style, spacing
);
CREATE INDEX IF NOT EXISTS task_assignees_key ON task_assignees(key);
CREATE INDEX IF NOT EXISTS chunks_embed_hash ON chunks(embed_hash);
-- A document's own number in comparison form (corpus.numbers), for finding it by number.
CREATE TABLE IF NOT EXISTS doc_numbers (
    document INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    key TEXT NOT NULL,            -- "163/TB-UBND", "12/2016/TT-BTC", "218-TB/HU" (folded, upper case)
    seq TEXT NOT NULL,            -- "163"
    year TEXT,                    -- the year written in the number, or the year of issue
    code TEXT                     -- the type code, folded: "TB", "QD", "TT"; NULL for a Công văn
);
CREATE INDEX IF NOT EXISTS doc_numbers_key ON doc_numbers(key);
CREATE INDEX IF NOT EXISTS doc_numbers_seq ON doc_numbers(seq);
-- References to other documents, as written (corpus.relations); resolved when read,
-- by number, so a link appears as soon as its target is indexed.
CREATE TABLE IF NOT EXISTS doc_refs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    document INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    relation TEXT NOT NULL,       -- amends, replaces, repeals, guides, corrects, consolidates, implements, basis, cites
    number TEXT,                  -- as written, tidied: "18/2010/TT-BCT"
    key TEXT,                     -- its comparison form (doc_numbers.key)
    doc_type TEXT, date TEXT, issuer TEXT,
    text TEXT NOT NULL,           -- the reference as written
    char_start INTEGER, char_end INTEGER
);
CREATE INDEX IF NOT EXISTS doc_refs_key ON doc_refs(key);
CREATE INDEX IF NOT EXISTS doc_refs_document ON doc_refs(document);
-- What a document is looked up by -- type, number, title, subject, issuer, signer -- folded
-- (no diacritics, lower case); rowid = documents.id.
CREATE VIRTUAL TABLE IF NOT EXISTS doc_lookup USING fts5(text, tokenize = 'unicode61');
"""

@dataclass
class FileState:
    source: str
    root: str
    mtime: float
    size: int


class PassageKey(NamedTuple):
    """What tells passages apart (the same text twice, overlapping spans of one document),
    without the rest of a record: under half the time to read (1.4 against 3.5 ms for 210)."""

    doc_id: str
    char_span: tuple[int, int]
    text: str


@dataclass
class ChunkRecord:
    """A passage with what a citation needs about its document."""

    chunk_id: int
    doc_id: str
    source: str
    format: str
    text: str
    heading_path: list[str]
    char_span: tuple[int, int]
    pages: tuple[int, int] | None
    section_id: int | None
    number: str | None
    doc_type: str | None
    type_code: str | None
    issuer: str | None
    issued_date: str | None
    event_date: str | None
    subject: str | None
    title: str | None
    kind: str | None = None
    ocr_pages: dict[int, float] = field(default_factory=dict)  # of its document: page -> OCR confidence


@dataclass
class Filters:
    """Restrict a search: exact metadata values and an issue-date range (ISO, inclusive)."""

    issuer: str | None = None
    doc_type: str | None = None
    type_code: str | None = None
    number: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    kind: str | None = None  # passage kind: result, shortcoming, cause, task, proposal, other
    status: str | None = None  # "current": leave out documents a later indexed one replaced or repealed

    def is_empty(self) -> bool:
        return all(v in (None, "") for v in asdict(self).values())


class ChunkStore:
    def __init__(self, path: Path, readonly: bool = False):
        self.path = Path(path)
        self.readonly = readonly
        # A read-only store answers a server's concurrent requests: one connection
        # per thread. The writer is single-threaded and keeps one.
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        if not readonly:
            self._writer = self._connect()
            self._writer.executescript(SCHEMA)
            if not self._has_column("chunks", "kind"):
                # Schema 1 -> 2: passage kinds (filled in when files are read again).
                self._writer.execute("ALTER TABLE chunks ADD COLUMN kind TEXT")
            if not self._has_column("documents", "access"):
                # Schema 3 -> 4: who may read a document (everyone, for those indexed before).
                self._writer.execute("ALTER TABLE documents ADD COLUMN access TEXT")
            if not self._has_column("documents", "ocr"):
                # Schema 4 -> 5: pages read by OCR (none, for those indexed before: scans were refused).
                self._writer.execute("ALTER TABLE documents ADD COLUMN ocr TEXT")
            if self.get_meta("doc_numbers") is None:
                # Schema 2 -> 3: numbers and look-up text of the documents indexed before, from their metadata.
                rows = self._writer.execute("SELECT id, metadata, title FROM documents").fetchall()
                for row_id, metadata, title in rows:
                    meta = json.loads(metadata)
                    self._add_number(row_id, meta.get("number"), meta.get("issued_date"))
                    self._add_lookup(row_id, meta, title)
                self.set_meta("doc_numbers", "1")
            self._writer.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            self._writer.commit()
        else:
            self._connect()  # fail now, not at the first query, if the file is missing
        # An index written before passage kinds existed answers with kind NULL;
        # one written before document numbers were kept finds no document by number.
        self._kind = "c.kind" if self._has_column("chunks", "kind") else "NULL"
        self._ocr = "d.ocr" if self._has_column("documents", "ocr") else "NULL"
        self._numbers = self._has_table("doc_numbers")
        self._access = self._has_column("documents", "access")
        # Kept by a read-only store (a snapshot does not change), per set of groups.
        self._readable: dict[tuple[str, frozenset[str]], frozenset] = {}
        self._any_restricted: bool | None = None
        self._refs = self._has_table("doc_refs")

    def _has_table(self, table: str) -> bool:
        return self.db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone() is not None

    def _has_column(self, table: str, column: str) -> bool:
        return any(row[1] == column for row in self.db.execute(f"PRAGMA table_info({table})"))

    def _connect(self) -> sqlite3.Connection:
        if self.readonly:
            db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        else:
            db = sqlite3.connect(self.path, check_same_thread=False)
        db.execute("PRAGMA foreign_keys = ON")
        with self._lock:
            self._connections.append(db)
        return db

    @property
    def db(self) -> sqlite3.Connection:
        if not self.readonly:
            return self._writer
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = self._connect()
        return db

    def close(self) -> None:
        with self._lock:
            for db in self._connections:
                db.close()
            self._connections.clear()

    # -- meta -------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # -- files ------------------------------------------------------------

    def file_state(self, source: str) -> FileState | None:
        row = self.db.execute("SELECT source, root, mtime, size FROM files WHERE source = ?", (source,)).fetchone()
        return FileState(*row) if row else None

    def files_under(self, root: str) -> list[str]:
        prefix = root.rstrip("/") + "/"
        rows = self.db.execute("SELECT source FROM files WHERE root = ? OR source LIKE ? ESCAPE '\\'",
                               (root, _like_prefix(prefix)))
        return [r[0] for r in rows]

    def record_file(self, state: FileState) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)",
            (state.source, state.root, state.mtime, state.size, time.time()),
        )

    def forget_file(self, source: str) -> None:
        self.db.execute("DELETE FROM files WHERE source = ?", (source,))

    # -- documents ----------------------------------------------------------

    def doc_ids_from_source(self, source: str) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT doc_id FROM documents WHERE source = ?", (source,))]

    def source_of(self, doc_id: str) -> str | None:
        row = self.db.execute("SELECT source FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        return row[0] if row else None

    def vectors_for_hashes(self, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        """Vectors already computed for these embedding texts (any document), by embed hash."""
        rows = select_in(self.db, "SELECT embed_hash, vector FROM chunks WHERE embed_hash IN ({}) GROUP BY embed_hash",
                         set(hashes))
        return {h: np.frombuffer(blob, dtype=np.float32) for h, blob in rows}

    def delete_document(self, doc_id: str) -> list[int]:
        """Remove a document and its passages; returns the removed chunk ids."""
        row = self.db.execute("SELECT id FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        if row is None:
            return []
        ids = [r[0] for r in self.db.execute("SELECT id FROM chunks WHERE document = ?", (row[0],))]
        self.db.execute("DELETE FROM chunks WHERE document = ?", (row[0],))
        self.db.execute("DELETE FROM documents WHERE id = ?", (row[0],))
        self.db.execute("DELETE FROM doc_lookup WHERE rowid = ?", (row[0],))
        return ids

    def add_document(
        self,
        doc: ParsedDocument,
        chunks: Sequence[Chunk],
        embed_hashes: Sequence[str],
        vectors: np.ndarray,
        source: str,
        kinds: Sequence[str] | None = None,
        tasks: Sequence[Task] = (),
        references: Sequence[Any] = (),
    ) -> list[int]:
        """Insert a document (replacing one with the same doc_id) with its passages,
        their kinds and the tasks it assigns; returns the passages' chunk ids."""
        if not len(chunks) == len(vectors) == len(embed_hashes):
            raise ValueError("one vector and one embed hash per chunk")
        kinds = list(kinds) if kinds is not None else [None] * len(chunks)
        # A document read again keeps who may read it.
        before = self.db.execute("SELECT access FROM documents WHERE doc_id = ?", (doc.raw.doc_id,)).fetchone()
        self.delete_document(doc.raw.doc_id)
        m = doc.metadata
        raw = doc.raw
        cur = self.db.execute(
            """INSERT INTO documents (doc_id, source, format, number, doc_type, type_code, issuer, place,
                   issued_date, event_date, subject, signer_name, signer_title, title, metadata, sections, pages,
                   body_start, body_end, text, warnings, indexed_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                raw.doc_id, source, raw.format, m.number, m.doc_type, m.type_code, m.issuer, m.place,
                m.issued_date, m.event_date, m.subject, m.signer_name, m.signer_title, raw.title,
                json.dumps(asdict(m), ensure_ascii=False),
                json.dumps([asdict(s) for s in doc.sections], ensure_ascii=False),
                json.dumps([[p.start, p.end, p.page] for p in raw.pages]),
                doc.body_span[0], doc.body_span[1], raw.text,
                json.dumps(raw.warnings, ensure_ascii=False), time.time(),
            ),
        )
        doc_row = cur.lastrowid
        if before and before[0] is not None:
            self.db.execute("UPDATE documents SET access = ? WHERE id = ?", (before[0], doc_row))
        if raw.ocr_pages:
            self.db.execute("UPDATE documents SET ocr = ? WHERE id = ?", (json.dumps(raw.ocr_pages), doc_row))
        self._add_number(doc_row, m.number, m.issued_date)
        self._add_lookup(doc_row, asdict(m), raw.title)
        self.db.executemany(
            """INSERT INTO doc_refs (document, relation, number, key, doc_type, date, issuer, text, char_start, char_end)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [(doc_row, r.relation, r.number, number_key(r.number) if r.number else None, r.doc_type, r.date, r.issuer,
              r.text, *(r.char_span or (None, None))) for r in references],
        )
        ids: list[int] = []
        vecs = np.ascontiguousarray(vectors, dtype=np.float32)
        for c, h, v, kind in zip(chunks, embed_hashes, vecs, kinds):
            cur = self.db.execute(
                """INSERT INTO chunks (document, idx, section_id, heading_path, text, char_start, char_end,
                       page_first, page_last, n_tokens, content_hash, embed_hash, vector, kind)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    doc_row, c.index, c.section_id, json.dumps(c.heading_path, ensure_ascii=False), c.text,
                    c.char_span[0], c.char_span[1], c.pages[0] if c.pages else None, c.pages[1] if c.pages else None,
                    c.n_tokens, c.content_hash, h, v.tobytes(), kind,
                ),
            )
            ids.append(int(cur.lastrowid))
        spans = [(c.char_span, cid) for c, cid in zip(chunks, ids)]
        for t in tasks:
            chunk = next((cid for (a, b), cid in spans if a <= t.char_span[0] < b), None)
            cur = self.db.execute(
                """INSERT INTO tasks (document, chunk, section_id, heading_path, action, deadline, deadline_end,
                       deadline_text, lead_person, char_start, char_end) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    doc_row, chunk, t.section_id, json.dumps(t.heading_path, ensure_ascii=False), t.action,
                    t.deadline, deadline_end(t.deadline), t.deadline_text, t.lead_person, t.char_span[0], t.char_span[1],
                ),
            )
            self.db.executemany(
                "INSERT INTO task_assignees VALUES (?, ?, ?)",
                [(cur.lastrowid, name, assignee_key(name)) for name in t.assignees],
            )
        return ids

    def _add_number(self, doc_row: int, number: str | None, issued_date: str | None) -> None:
        parsed = parse_number(number) if number else None
        if parsed is None:
            return
        year = parsed.year or (issued_date[:4] if issued_date else None)
        code = fold(parsed.type_code).upper() if parsed.type_code else None
        self.db.execute("INSERT OR REPLACE INTO doc_numbers VALUES (?, ?, ?, ?, ?)", (doc_row, parsed.key, parsed.seq, year, code))

    def _add_lookup(self, doc_row: int, meta: dict[str, Any], title: str | None) -> None:
        parts = [meta.get("doc_type"), meta.get("number"), meta.get("subject"), title, meta.get("issuer"), meta.get("signer_name")]
        text = fold_key(" ".join(p for p in parts if p))
        if text.strip():
            self.db.execute("INSERT OR REPLACE INTO doc_lookup (rowid, text) VALUES (?, ?)", (doc_row, text))

    def commit(self) -> None:
        self.db.commit()

    # -- who may read what ----------------------------------------------------

    def set_access(self, doc_ids: Iterable[str], groups: frozenset[str] | None) -> int:
        """Make ``doc_ids`` readable by everyone (``groups`` None) or by members of
        ``groups`` only; returns how many documents changed."""
        value = json.dumps(sorted(groups), ensure_ascii=False) if groups is not None else None
        changed = 0
        for doc_id in doc_ids:
            cur = self.db.execute("UPDATE documents SET access = ? WHERE doc_id = ? AND access IS NOT ?", (value, doc_id, value))
            changed += cur.rowcount
        return changed

    def access_of(self, doc_id: str) -> frozenset[str] | None:
        """The groups that may read ``doc_id``; None when everyone may (or it does not exist)."""
        if not self._access:
            return None
        row = self.db.execute("SELECT access FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        return frozenset(json.loads(row[0])) if row and row[0] is not None else None

    def readable_chunk_ids(self, groups: frozenset[str]) -> frozenset[int]:
        """Passages a member of ``groups`` may read: those of public documents and of
        documents shared with one of the groups."""
        access = "d.access" if self._access else "NULL"
        return self._readable_rows("chunks", groups, f"SELECT c.id, {access} FROM chunks c JOIN documents d ON d.id = c.document")

    def readable_doc_ids(self, groups: frozenset[str]) -> frozenset[str]:
        """Documents a member of ``groups`` may read."""
        return self._readable_rows("documents", groups, f"SELECT doc_id, {'access' if self._access else 'NULL'} FROM documents")

    def _readable_rows(self, kind: str, groups: frozenset[str], sql: str) -> frozenset:
        cached = self._readable.get((kind, groups))
        if cached is not None:
            return cached
        # An index written before access existed answers NULL: every document public.
        parsed: dict[str, frozenset[str]] = {}
        found = frozenset(key for key, acc in self.db.execute(sql)
                          if readable_by(None if acc is None else parsed.setdefault(acc, frozenset(json.loads(acc))), groups))
        if self.readonly:
            self._readable[(kind, groups)] = found
        return found

    def has_restricted(self) -> bool:
        """Whether any document is not public (when none is, nobody's reads are restricted)."""
        if self._any_restricted is not None:
            return self._any_restricted
        found = self._access and self.db.execute("SELECT 1 FROM documents WHERE access IS NOT NULL LIMIT 1").fetchone() is not None
        if self.readonly:
            self._any_restricted = found
        return found

    # -- reading ------------------------------------------------------------

    @property
    def _CHUNK_SELECT(self) -> str:
        return f"""SELECT c.id, d.doc_id, d.source, d.format, c.text, c.heading_path, c.char_start, c.char_end,
        c.page_first, c.page_last, c.section_id, d.number, d.doc_type, d.type_code, d.issuer, d.issued_date,
        d.event_date, d.subject, d.title, {self._kind}, {self._ocr} FROM chunks c JOIN documents d ON d.id = c.document"""

    def get_chunks(self, ids: Sequence[int]) -> dict[int, ChunkRecord]:
        rows = select_in(self.db, self._CHUNK_SELECT + " WHERE c.id IN ({})", _rowids(ids))
        records = (_chunk_record(row) for row in rows)
        return {rec.chunk_id: rec for rec in records}

    def passage_keys(self, ids: Sequence[int]) -> dict[int, PassageKey]:
        sql = ("SELECT c.id, d.doc_id, c.char_start, c.char_end, c.text FROM chunks c "
               "JOIN documents d ON d.id = c.document WHERE c.id IN ({})")
        return {row[0]: PassageKey(row[1], (row[2], row[3]), row[4]) for row in select_in(self.db, sql, _rowids(ids))}

    def iter_facet_rows(self) -> Iterator[tuple[int, tuple[str | None, str | None, str | None, str | None]]]:
        """(passage id, (issuer, doc_type, year of issue, kind)) of every passage, for facet counts."""
        sql = (f"SELECT c.id, d.issuer, d.doc_type, substr(d.issued_date, 1, 4), {self._kind} FROM chunks c "
               "JOIN documents d ON d.id = c.document")
        for row in self.db.execute(sql):
            yield row[0], row[1:]

    _TASK_SELECT = """SELECT t.id, d.doc_id, t.chunk, t.section_id, t.heading_path, t.action, t.deadline, t.deadline_end,
        t.deadline_text, t.lead_person, t.char_start, t.char_end, d.number, d.doc_type, d.issuer, d.issued_date,
        d.event_date, d.subject, d.title, d.pages,
        (SELECT json_group_array(a.name) FROM task_assignees a WHERE a.task = t.id) AS names
        FROM tasks t JOIN documents d ON d.id = t.document"""

    def tasks(
        self,
        chunk_ids: Sequence[int] | None = None,
        assignee_key: str | None = None,
        due_from: str | None = None,
        due_to: str | None = None,
        limit: int = 1000,
        readable: Collection[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Tasks, optionally only those starting in the given passages, given to a
        unit whose key contains ``assignee_key``, or due within [due_from, due_to];
        only in ``readable`` documents when given."""
        clauses, args = ["1 = 1"], []
        if chunk_ids is not None:
            chunk_ids = _rowids(chunk_ids)
            if not chunk_ids:
                return []
            clauses.append(f"t.chunk IN ({','.join('?' * len(chunk_ids))})")
            args.extend(chunk_ids)
        if assignee_key:
            clauses.append("EXISTS (SELECT 1 FROM task_assignees a WHERE a.task = t.id AND instr(a.key, ?) > 0)")
            args.append(assignee_key)
        if due_from:
            clauses.append("t.deadline_end >= ?")
            args.append(due_from)
        if due_to:
            clauses.append("t.deadline_end <= ?")
            args.append(due_to)
        sql = f"{self._TASK_SELECT} WHERE {' AND '.join(clauses)} ORDER BY d.id, t.char_start"
        rows = self.db.execute(sql + " LIMIT ?", [*args, limit]).fetchall() if readable is None else \
            [r for r in self.db.execute(sql, args) if r[1] in readable][:limit]  # r[1]: d.doc_id
        out = []
        for r in rows:
            pages = json.loads(r[19])
            page_span = None
            if pages:
                hit = [p for a, b, p in pages if a < r[11] and b > r[10]]
                page_span = [min(hit), max(hit)] if hit else None
            out.append({
                "task_id": r[0], "doc_id": r[1], "chunk_id": r[2], "section_id": r[3],
                "heading_path": json.loads(r[4]), "action": r[5], "deadline": r[6], "deadline_end": r[7],
                "deadline_text": r[8], "lead_person": r[9], "char_span": [r[10], r[11]],
                "number": r[12], "doc_type": r[13], "issuer": r[14], "issued_date": r[15], "event_date": r[16],
                "subject": r[17], "title": r[18], "pages": page_span, "assignees": json.loads(r[20]),
            })
        return out

    def assignee_counts(self, readable: Collection[str] | None = None) -> list[tuple[str, str, int]]:
        """(key, most frequent spelling, number of tasks) per unit, most tasks first;
        counting the tasks of ``readable`` documents only when given."""
        if readable is None:
            rows = self.db.execute(
                "SELECT key, name, COUNT(*) FROM task_assignees GROUP BY key, name ORDER BY key, COUNT(*) DESC"
            ).fetchall()
        else:
            counted: dict[tuple[str, str], int] = {}
            for key, name, doc_id in self.db.execute(
                "SELECT a.key, a.name, d.doc_id FROM task_assignees a JOIN tasks t ON t.id = a.task "
                "JOIN documents d ON d.id = t.document"
            ):
                if doc_id in readable:
                    counted[(key, name)] = counted.get((key, name), 0) + 1
            rows = sorted(((k, n, c) for (k, n), c in counted.items()), key=lambda r: (r[0], -r[2]))
        best: dict[str, tuple[str, int]] = {}
        for key, name, n in rows:
            total = best.get(key, (name, 0))[1] + n
            best[key] = (best.get(key, (name, 0))[0], total)
        return sorted(((k, v[0], v[1]) for k, v in best.items()), key=lambda x: (-x[2], x[1]))

    def vector(self, chunk_id: int) -> np.ndarray | None:
        if not _rowids([chunk_id]):
            return None
        row = self.db.execute("SELECT vector FROM chunks WHERE id = ?", (chunk_id,)).fetchone()
        return np.frombuffer(row[0], dtype=np.float32) if row else None

    def vectors_of(self, ids: Sequence[int]) -> dict[int, np.ndarray]:
        rows = select_in(self.db, "SELECT id, vector FROM chunks WHERE id IN ({})", _rowids(ids))
        return {cid: np.frombuffer(blob, dtype=np.float32) for cid, blob in rows}

    def iter_texts(self) -> Iterator[str]:
        """Every document's full text and title (for the vocabulary)."""
        for text, title in self.db.execute("SELECT text, title FROM documents ORDER BY id"):
            yield f"{title}\n{text}" if title else text

    def all_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """(ids int64, vectors float32) of every passage, in id order."""
        ids: list[int] = []
        blobs: list[bytes] = []
        for cid, blob in self.db.execute("SELECT id, vector FROM chunks ORDER BY id"):
            ids.append(cid)
            blobs.append(blob)
        if not ids:
            return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
        mat = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(ids), -1)
        return np.asarray(ids, dtype=np.int64), mat

    def filter_chunk_ids(self, filters: Filters) -> set[int]:
        """Ids of the passages whose document passes the filters."""
        where, args = _where(filters)
        rows = self.db.execute(f"SELECT c.id, d.doc_id FROM chunks c JOIN documents d ON d.id = c.document WHERE {where}", args)
        if filters.status == "current":
            gone = self.superseded()
            return {cid for cid, doc_id in rows if doc_id not in gone}
        return {r[0] for r in rows}

    def superseded(self) -> frozenset[str]:
        """Documents that a later indexed document replaces or repeals (kept for a
        read-only store: a snapshot does not change)."""
        cached = getattr(self, "_superseded", None)
        if cached is not None:
            return cached
        refs = self.references(relations=("replaces", "repeals"))
        found = frozenset(r["target"] for r in refs if r["target"])
        if self.readonly:
            self._superseded = found
        return found

    def document(self, doc_id: str) -> dict[str, Any] | None:
        row = self.db.execute(
            "SELECT doc_id, source, format, metadata, sections, pages, text, title, warnings, body_start, body_end "
            "FROM documents WHERE doc_id = ?",
            (doc_id,),
        ).fetchone()
        if row is None:
            return None
        return {
            "doc_id": row[0], "source": row[1], "format": row[2], "metadata": json.loads(row[3]),
            "sections": json.loads(row[4]), "pages": json.loads(row[5]), "text": row[6], "title": row[7],
            "warnings": json.loads(row[8]), "body_span": [row[9], row[10]],
        }

    def documents_by_number(self, query: NumberQuery, limit: int = 50) -> list[tuple[int, str]]:
        """(first passage id, doc_id) of the documents that bear the number a query
        asks for, newest first: the whole number when it was typed whole, else its
        sequence with the type and year given."""
        if not self._numbers:
            return []
        if query.key:
            where, args = "n.key = ?", [query.key]
        else:
            where, args = "n.seq = ?", [query.seq]
            if query.year:
                where += " AND n.year = ?"
                args.append(query.year)
            # The type asked for: by the code in the number, or by the document's type when its
            # number has no code ("65/2013/QH13" is a Nghị quyết, "1822/BNG-LPQT" a Thông báo).
            types, values = [], []
            if query.type_code:
                types.append("n.code = ?")
                values.append(fold(query.type_code).upper())
            if query.doc_type:
                types.append("(n.code IS NULL AND d.doc_type = ?)")
                values.append(query.doc_type)
            if types:
                where += f" AND ({' OR '.join(types)})"
                args.extend(values)
        rows = self.db.execute(
            f"""SELECT (SELECT c.id FROM chunks c WHERE c.document = d.id ORDER BY c.idx LIMIT 1), d.doc_id
                FROM doc_numbers n JOIN documents d ON d.id = n.document WHERE {where}
                ORDER BY d.issued_date IS NULL, d.issued_date DESC, d.id DESC LIMIT ?""",
            [*args, limit],
        )
        return [(cid, doc_id) for cid, doc_id in rows if cid is not None]

    # -- relations between documents --------------------------------------

    _REF_SELECT = """SELECT r.id, s.doc_id, s.issued_date, s.number, r.relation, r.number, r.key, r.doc_type, r.date, r.issuer, r.text,
        r.char_start, r.char_end FROM doc_refs r JOIN documents s ON s.id = r.document"""

    def references(
        self, source: str | None = None, keys: Collection[str] | None = None, relations: Collection[str] | None = None
    ) -> list[dict[str, Any]]:
        """References written in ``source`` (every document's when None), or those whose
        number is one of ``keys``, or of one of ``relations``; each with its target
        resolved (``target``: a doc_id or None)."""
        if not self._refs:
            return []
        if relations is not None:
            rows = list(select_in(self.db, self._REF_SELECT + " WHERE r.relation IN ({}) ORDER BY r.id", relations))
        elif source is not None:
            rows = self.db.execute(self._REF_SELECT + " WHERE s.doc_id = ? ORDER BY r.id", (source,)).fetchall()
        elif keys is not None:
            rows = list(select_in(self.db, self._REF_SELECT + " WHERE r.key IN ({}) ORDER BY r.id", keys))
        else:
            rows = self.db.execute(self._REF_SELECT + " ORDER BY r.id").fetchall()
        return self._resolve(rows)

    def references_to(self, doc_ids: Collection[str]) -> list[dict[str, Any]]:
        """References, in other documents, that resolve to one of ``doc_ids``."""
        if not self._numbers or not doc_ids:
            return []
        sql = "SELECT n.key FROM doc_numbers n JOIN documents d ON d.id = n.document WHERE d.doc_id IN ({})"
        keys = {row[0] for row in select_in(self.db, sql, doc_ids)}
        wanted = set(doc_ids)
        return [r for r in self.references(keys=keys) if r["target"] in wanted] if keys else []

    def passage_at(self, doc_id: str, offset: int | None) -> int | None:
        """The passage of ``doc_id`` that holds character ``offset`` (its first passage when None)."""
        sql = "SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document WHERE d.doc_id = ?"
        if offset is not None:
            row = self.db.execute(sql + " AND c.char_start <= ? AND c.char_end > ? ORDER BY c.idx LIMIT 1",
                                  (doc_id, offset, offset)).fetchone()
            if row:
                return row[0]
        row = self.db.execute(sql + " ORDER BY c.idx LIMIT 1", (doc_id,)).fetchone()
        return row[0] if row else None

    def _resolve(self, rows: list[tuple]) -> list[dict[str, Any]]:
        """A reference points at the indexed document that bears its number, issued no later
        than the citing one: the one of the date it gives, else the only one, else the latest.
        A number written with a date that no bearer has stays unresolved."""
        keys = {row[6] for row in rows if row[6]}
        bearers: dict[str, list[tuple[str, str | None]]] = {}
        if keys and self._numbers:
            sql = ("SELECT n.key, d.doc_id, d.issued_date FROM doc_numbers n JOIN documents d ON d.id = n.document "
                   "WHERE n.key IN ({}) ORDER BY d.issued_date DESC")
            for key, doc_id, issued in select_in(self.db, sql, keys):
                bearers.setdefault(key, []).append((doc_id, issued))
        out = []
        for (rid, source, source_date, source_number, relation, number, key, doc_type, date, issuer, text, start, end) in rows:
            # A document cites what was issued before it (numbers restart every year).
            found = [b for b in bearers.get(key, []) if b[0] != source and not (b[1] and source_date and b[1] > source_date)]
            if date:
                found = [b for b in found if b[1] == date]
            elif len(found) > 1:
                found = [b for b in found if b[1]][:1]  # the latest issued
            out.append({
                "id": rid, "source": source, "source_number": source_number, "source_date": source_date,
                "target": found[0][0] if found else None, "relation": relation,
                "number": number, "doc_type": doc_type, "date": date, "issuer": issuer, "text": text,
                "char_span": [start, end] if start is not None else None,
            })
        return out

    def document_summaries(self, doc_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Type, number, date, issuer and subject of each of ``doc_ids``."""
        sql = ("SELECT doc_id, number, doc_type, type_code, issuer, issued_date, event_date, subject, title "
               "FROM documents WHERE doc_id IN ({})")
        names = ("doc_id", "number", "doc_type", "type_code", "issuer", "issued_date", "event_date", "subject", "title")
        return {row[0]: dict(zip(names, row)) for row in select_in(self.db, sql, doc_ids)}

    def documents_by_words(self, text: str, limit: int = 10) -> list[tuple[str, float]]:
        """(doc_id, score) of the documents whose type, number, title, subject, issuer or
        signer hold the words of ``text`` (diacritics and case ignored), best first.

        Those holding every word come first, the ones that say least besides (a title typed
        whole is the title, not a longer one that contains it), newest first among equals;
        failing any, those holding most of the query's longest words. Candidates are taken
        unranked and scored here: SQLite's bm25 over a common word would rank most of the
        archive (measured: 166 ms a title at 100,000 documents, against about 1 ms)."""
        words = list(dict.fromkeys(re.findall(r"\w+", fold_key(text))))[:32]
        if not words or not self._has_table("doc_lookup"):
            return []
        found = self._lookup(words, " AND ".join(f'"{w}"' for w in words), limit)
        if not found and len(words) > 1:
            longest = sorted(words, key=len, reverse=True)[:4]
            found = self._lookup(words, " OR ".join(f'"{w}"' for w in longest), limit)
        return found

    def _lookup(self, words: list[str], match: str, limit: int, candidates: int = 1000) -> list[tuple[str, float]]:
        rows = self.db.execute(
            "SELECT d.doc_id, d.issued_date, l.text FROM doc_lookup l JOIN documents d ON d.id = l.rowid "
            "WHERE doc_lookup MATCH ? LIMIT ?", (match, candidates)).fetchall()
        scored = []
        for doc_id, issued, text in rows:
            terms = set(re.findall(r"\w+", text))
            held = sum(w in terms for w in words)
            scored.append((held / len(words) + held / max(len(terms), 1), issued or "", doc_id))
        scored.sort(reverse=True)
        return [(doc_id, round(score, 4)) for score, _, doc_id in scored[:limit]]

    def counts(self, groups: frozenset[str] | None = None) -> dict[str, int]:
        """Documents, passages and files in the index; with ``groups``, only those a reader
        in them may read (how much the archive holds besides is not theirs to know)."""
        if groups is None or not self.has_restricted():
            docs = self.db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
            chunks = self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
            files = self.db.execute("SELECT COUNT(*) FROM files").fetchone()[0]
            return {"documents": docs, "chunks": chunks, "files": files}
        readable = self.readable_doc_ids(groups)
        sources = {src for doc_id, src in self.db.execute("SELECT doc_id, source FROM documents") if doc_id in readable}
        return {"documents": len(readable), "chunks": len(self.readable_chunk_ids(groups)), "files": len(sources)}


def select_in(db: sqlite3.Connection, sql: str, values: Iterable[Any], params: Sequence[Any] = ()) -> Iterator[tuple]:
    """Rows of ``sql`` whose ``IN ({})`` gets ``values``, asked in slices: SQLite
    limits the number of parameters of one statement. ``params`` come before them."""
    values = list(values)
    for i in range(0, len(values), 500):
        part = values[i:i + 500]
        yield from db.execute(sql.format(",".join("?" * len(part))), [*params, *part])


def _rowids(ids: Iterable[int]) -> list[int]:
    """The ids that can name a row; any other number names none."""
    return [i for i in ids if MIN_ROWID <= i <= MAX_ROWID]


def deadline_end(value: str | None) -> str | None:
    """The last day a normalised deadline allows: "2024-Q3" -> "2024-09-30",
    "2024-09" -> "2024-09-30", "2024-H2" -> "2024-12-31", "2024" -> "2024-12-31"."""
    if not value:
        return None
    m = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?|-Q([1-4])|-H([12]))?", value)
    if not m:
        return None
    year = int(m.group(1))
    if m.group(3):
        return value
    if m.group(2):
        month = int(m.group(2))
    elif m.group(4):
        month = 3 * int(m.group(4))
    elif m.group(5):
        month = 6 * int(m.group(5))
    else:
        month = 12
    last = calendar.monthrange(year, month)[1]
    return f"{year:04d}-{month:02d}-{last:02d}"


def _like_prefix(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def _where(filters: Filters) -> tuple[str, list[Any]]:
    clauses = ["1 = 1"]
    args: list[Any] = []
    for name in ("issuer", "doc_type", "type_code", "number"):
        value = getattr(filters, name)
        if value:
            # Case-insensitive for ASCII; Vietnamese values are compared as stored (NFC).
            clauses.append(f"d.{name} = ? COLLATE NOCASE")
            args.append(value)
    if filters.kind:
        clauses.append("c.kind = ?")
        args.append(filters.kind)
    if filters.date_from:
        clauses.append("d.issued_date >= ?")
        args.append(filters.date_from)
    if filters.date_to:
        clauses.append("d.issued_date <= ?")
        args.append(filters.date_to)
    return " AND ".join(clauses), args


def _chunk_record(row: tuple) -> ChunkRecord:
    return ChunkRecord(
        chunk_id=row[0], doc_id=row[1], source=row[2], format=row[3], text=row[4],
        heading_path=json.loads(row[5]), char_span=(row[6], row[7]),
        pages=(row[8], row[9]) if row[8] is not None else None, section_id=row[10],
        number=row[11], doc_type=row[12], type_code=row[13], issuer=row[14], issued_date=row[15],
        event_date=row[16], subject=row[17], title=row[18], kind=row[19],
        ocr_pages={int(k): v for k, v in json.loads(row[20]).items()} if row[20] else {},
    )
