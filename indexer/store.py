"""The chunk store: documents, their metadata, sections and passages, in SQLite.

It is the source of truth of an index snapshot: the FAISS and lexical indexes
can be rebuilt from it (it keeps every passage's vector). Chunk ids are never
reused (AUTOINCREMENT), so an id in a stale vector index can never point at a
different passage.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from corpus.models import Chunk, ParsedDocument

SCHEMA_VERSION = 1

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
CREATE INDEX IF NOT EXISTS chunks_embed_hash ON chunks(embed_hash);
"""

@dataclass
class FileState:
    source: str
    root: str
    mtime: float
    size: int


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


@dataclass
class Filters:
    """Restrict a search: exact metadata values and an issue-date range (ISO, inclusive)."""

    issuer: str | None = None
    doc_type: str | None = None
    type_code: str | None = None
    number: str | None = None
    date_from: str | None = None
    date_to: str | None = None

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
            self._writer.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            self._writer.commit()
        else:
            self._connect()  # fail now, not at the first query, if the file is missing

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

    def chunk_hashes(self, doc_id: str) -> list[str]:
        rows = self.db.execute(
            "SELECT c.content_hash FROM chunks c JOIN documents d ON d.id = c.document WHERE d.doc_id = ? ORDER BY c.idx",
            (doc_id,),
        )
        return [r[0] for r in rows]

    def vectors_for_hashes(self, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        """Vectors already computed for these embedding texts (any document), by embed hash."""
        out: dict[str, np.ndarray] = {}
        wanted = list(set(hashes))
        for i in range(0, len(wanted), 500):
            part = wanted[i:i + 500]
            marks = ",".join("?" * len(part))
            for h, blob in self.db.execute(
                f"SELECT embed_hash, vector FROM chunks WHERE embed_hash IN ({marks}) GROUP BY embed_hash", part
            ):
                out[h] = np.frombuffer(blob, dtype=np.float32)
        return out

    def delete_document(self, doc_id: str) -> list[int]:
        """Remove a document and its passages; returns the removed chunk ids."""
        row = self.db.execute("SELECT id FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        if row is None:
            return []
        ids = [r[0] for r in self.db.execute("SELECT id FROM chunks WHERE document = ?", (row[0],))]
        self.db.execute("DELETE FROM chunks WHERE document = ?", (row[0],))
        self.db.execute("DELETE FROM documents WHERE id = ?", (row[0],))
        return ids

    def add_document(
        self, doc: ParsedDocument, chunks: Sequence[Chunk], embed_hashes: Sequence[str], vectors: np.ndarray, source: str
    ) -> list[int]:
        """Insert a document (replacing one with the same doc_id); returns its chunk ids."""
        if not len(chunks) == len(vectors) == len(embed_hashes):
            raise ValueError("one vector and one embed hash per chunk")
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
        ids: list[int] = []
        vecs = np.ascontiguousarray(vectors, dtype=np.float32)
        for c, h, v in zip(chunks, embed_hashes, vecs):
            cur = self.db.execute(
                """INSERT INTO chunks (document, idx, section_id, heading_path, text, char_start, char_end,
                       page_first, page_last, n_tokens, content_hash, embed_hash, vector)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    doc_row, c.index, c.section_id, json.dumps(c.heading_path, ensure_ascii=False), c.text,
                    c.char_span[0], c.char_span[1], c.pages[0] if c.pages else None, c.pages[1] if c.pages else None,
                    c.n_tokens, c.content_hash, h, v.tobytes(),
                ),
            )
            ids.append(int(cur.lastrowid))
        return ids

    def commit(self) -> None:
        self.db.commit()

    # -- reading ------------------------------------------------------------

    _CHUNK_SELECT = """SELECT c.id, d.doc_id, d.source, d.format, c.text, c.heading_path, c.char_start, c.char_end,
        c.page_first, c.page_last, c.section_id, d.number, d.doc_type, d.type_code, d.issuer, d.issued_date,
        d.event_date, d.subject, d.title FROM chunks c JOIN documents d ON d.id = c.document"""

    def get_chunks(self, ids: Sequence[int]) -> dict[int, ChunkRecord]:
        out: dict[int, ChunkRecord] = {}
        ids = list(ids)
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            marks = ",".join("?" * len(part))
            for row in self.db.execute(f"{self._CHUNK_SELECT} WHERE c.id IN ({marks})", part):
                rec = _chunk_record(row)
                out[rec.chunk_id] = rec
        return out

    def facet_rows(self, ids: Sequence[int]) -> list[tuple[str | None, str | None, str | None]]:
        """(issuer, doc_type, issued_date) of each passage, for facet counts."""
        out: list[tuple[str | None, str | None, str | None]] = []
        ids = list(ids)
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            marks = ",".join("?" * len(part))
            out.extend(self.db.execute(
                f"SELECT d.issuer, d.doc_type, d.issued_date FROM chunks c JOIN documents d ON d.id = c.document "
                f"WHERE c.id IN ({marks})", part))
        return out

    def iter_chunks(self) -> Iterator[ChunkRecord]:
        for row in self.db.execute(f"{self._CHUNK_SELECT} ORDER BY c.id"):
            yield _chunk_record(row)

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
        rows = self.db.execute(f"SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document WHERE {where}", args)
        return {r[0] for r in rows}

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

    def counts(self) -> dict[str, int]:
        docs = self.db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        chunks = self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        files = self.db.execute("SELECT COUNT(*) FROM files").fetchone()[0]
        return {"documents": docs, "chunks": chunks, "files": files}


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
        event_date=row[16], subject=row[17], title=row[18],
    )
