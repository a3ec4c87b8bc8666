"""Pages already read, kept outside the snapshots (beside the embedding cache),
so that re-indexing, a change of chunking or a killed run never OCRs a page
twice. Keyed by the file's content hash (a renamed or moved scan is found too),
the page number and the engine version with its settings (``OcrSettings.version``:
a new model or new preprocessing reads pages again); each page is committed as
soon as it is read. A page that failed (past the time limit) is kept as its
error: with the same engine and settings it would only fail again, slowly.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import BinaryIO

from .engine import OcrPage
from .errors import OcrError

FILE_NAME = "ocr-cache.sqlite"


def file_sha256(source: Path | bytes | BinaryIO) -> str:
    """The content hash a scan is cached under."""
    digest = hashlib.sha256()
    if isinstance(source, bytes):
        digest.update(source)
    elif isinstance(source, Path):
        with source.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    else:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class OcrCache:
    def __init__(self, path: Path, version: str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.version = version
        # A pool's results arrive on the parent's threads.
        self.db = sqlite3.connect(self.path, check_same_thread=False)
        # WAL: a kill between two pages leaves every committed page readable.
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS pages (file_hash TEXT NOT NULL, page INTEGER NOT NULL, version TEXT NOT NULL, "
            "page_json TEXT NOT NULL, PRIMARY KEY (file_hash, page, version))"
        )
        self.db.commit()

    @classmethod
    def in_dir(cls, data_dir: Path, version: str) -> OcrCache:
        return cls(Path(data_dir) / FILE_NAME, version)

    def get(self, file_hash: str, page: int) -> OcrPage | OcrError | None:
        """The page as read before, its error, or None if it was never read."""
        row = self.db.execute(
            "SELECT page_json FROM pages WHERE file_hash = ? AND page = ? AND version = ?", (file_hash, page, self.version)
        ).fetchone()
        if row is None:
            return None
        data = json.loads(row[0])
        if "error" in data:
            return OcrError(data["error"], data["message"])
        return OcrPage.from_json(data)

    def put(self, file_hash: str, page: int, result: OcrPage | OcrError) -> None:
        data = {"error": result.code, "message": result.message} if isinstance(result, OcrError) else result.to_json()
        self.db.execute(
            "INSERT OR REPLACE INTO pages VALUES (?, ?, ?, ?)",
            (file_hash, page, self.version, json.dumps(data, ensure_ascii=False)),
        )
        self.db.commit()

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> OcrCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
