"""The audit trail: who searched what, opened or downloaded which document, changed what,
signed in or failed to.

One JSON object a line in ``DATA_DIR/audit/audit.jsonl``:

    {"ts": "2025-03-01T08:15:02.123Z", "user": "lan" | null, "kind": "user" | "anonymous" | "admin_token" | "cli",
     "action": "search", "details": {"query": "…"}, "address": "10.0.0.7" | null}

The file is only ever appended to. Past ``max_bytes`` it is renamed to
``audit.1.jsonl`` (``audit.1`` to ``audit.2`` …, the oldest beyond ``keep``
deleted). A writer holds an ``flock`` on ``audit/LOCK`` while it checks the
size, perhaps rotates, and appends its line with one ``O_APPEND`` write, so
threads of a server and a ``vanban users`` command in another process never
interleave half lines or rotate twice. Lines are not fsynced: a power cut may
lose the last few.

Secrets never reach the file: detail keys that name one (token, password,
cookie, authorization, session …) are replaced by a marker, any text that
looks like a vanban token is masked, and so are the strings given as
``redact`` (the admin token). Entries are read back newest first.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import threading
import time
import unicodedata
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

AUDIT_DIR = "audit"
CURRENT = "audit.jsonl"
LOCK = "LOCK"
ACTIONS = frozenset({
    "search", "open_document", "download", "upload", "delete", "access_change", "sign_in", "sign_in_failed",
    "sign_out", "users_change", "refused",
})
REDACTED = "[đã ẩn]"
MAX_TEXT = 2000  # characters kept of one detail value; a query is capped well below this
_SECRET_KEYS = re.compile(r"token|password|passwd|cookie|authori[sz]ation|secret|session|api_?key", re.IGNORECASE)
_TOKEN_TEXT = re.compile(r"vb_[0-9a-f]{12}_[A-Za-z0-9_-]+")
_PUBLIC_KEYS = frozenset({"token_id"})  # the token's public prefix, which `vanban users list` shows anyway
_ROTATED = re.compile(r"audit\.(\d+)\.jsonl")


class AuditLog:
    """Appends entries to one data directory's audit log."""

    def __init__(self, data_dir: Path, max_bytes: int = 10 * 2**20, keep: int = 10, redact: Iterable[str] = (),
                 clock: Callable[[], float] = time.time):
        self.dir = Path(data_dir) / AUDIT_DIR
        self.max_bytes = max_bytes
        self.keep = max(1, keep)
        self.clock = clock
        # Short strings would mask ordinary words in queries.
        self.redact = tuple(s for s in redact if s and len(s) >= 8)
        self._lock = threading.Lock()
        self._lock_fd: int | None = None

    def record(self, action: str, caller: Any = None, details: dict[str, Any] | None = None,
               address: str | None = None, *, user: str | None = None, kind: str | None = None) -> dict[str, Any]:
        """Append one entry and return it as written. ``caller`` (a ``Caller``) gives the user and kind;
        without one, ``user`` and ``kind`` do (the CLI writes ``kind="cli"``)."""
        if action not in ACTIONS:
            raise ValueError(f"unknown audit action {action!r}")
        if caller is not None:
            user, kind = caller.name, caller.kind
        stamp = datetime.fromtimestamp(self.clock(), timezone.utc).isoformat(timespec="milliseconds")
        entry = {
            "ts": stamp.replace("+00:00", "Z"),
            "user": user,
            "kind": kind or "anonymous",
            "action": action,
            "details": self._clean(details or {}),
            "address": self._clean(address) if address else None,
        }
        line = (json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        self._append(line)
        return entry

    def _clean(self, value: Any, key: str = "") -> Any:
        if key and _SECRET_KEYS.search(key) and key.lower() not in _PUBLIC_KEYS:
            return REDACTED
        if isinstance(value, dict):
            return {str(k): self._clean(v, str(k)) for k, v in value.items()}
        if isinstance(value, (list, tuple, set, frozenset)):
            items = sorted(value) if isinstance(value, (set, frozenset)) else value
            return [self._clean(v) for v in items]
        if isinstance(value, str):
            text = _TOKEN_TEXT.sub(REDACTED, value)
            for secret in self.redact:
                text = text.replace(secret, REDACTED)
            return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "…"
        if value is None or isinstance(value, (bool, int, float)):
            return value
        return self._clean(str(value))

    def _append(self, line: bytes) -> None:
        with self._lock:
            if self._lock_fd is None:
                self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
                self._lock_fd = os.open(self.dir / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
            try:
                path = self.dir / CURRENT
                try:
                    size = os.stat(path).st_size
                except FileNotFoundError:
                    size = 0
                if size and size + len(line) > self.max_bytes:
                    self._rotate()
                fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    end = os.fstat(fd).st_size
                    if end and os.pread(fd, 1, end - 1) != b"\n":
                        line = b"\n" + line  # a writer died mid-line; keep its fragment off this entry
                    view = memoryview(line)
                    while view:
                        view = view[os.write(fd, view):]
                finally:
                    os.close(fd)
            finally:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def _rotate(self) -> None:
        (self.dir / f"audit.{self.keep}.jsonl").unlink(missing_ok=True)
        for n in range(self.keep - 1, 0, -1):
            older = self.dir / f"audit.{n}.jsonl"
            if older.exists():
                os.replace(older, self.dir / f"audit.{n + 1}.jsonl")
        os.replace(self.dir / CURRENT, self.dir / "audit.1.jsonl")

    def close(self) -> None:
        with self._lock:
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None


def open_audit(settings: Any) -> AuditLog:
    """The audit log of the settings' data directory, sized by ``audit_max_mb`` and ``audit_keep``."""
    admin_token = getattr(settings, "admin_token", None)
    return AuditLog(settings.index_dir, settings.audit_max_mb * 2**20, settings.audit_keep,
                    redact=[admin_token] if admin_token else [])


# -- reading ------------------------------------------------------------------------------------------------------


def audit_files(data_dir: Path) -> list[Path]:
    """The log's files, newest first: ``audit.jsonl``, ``audit.1.jsonl``, ``audit.2.jsonl`` …"""
    folder = Path(data_dir) / AUDIT_DIR
    if not folder.is_dir():
        return []
    rotated = sorted(((int(m.group(1)), p) for p in folder.iterdir() if (m := _ROTATED.fullmatch(p.name))))
    current = [folder / CURRENT] if (folder / CURRENT).exists() else []
    return current + [p for _, p in rotated]


def parse_since(value: str) -> datetime:
    """"2025-03-01", "1/3/2025" (the start of that day, UTC) or an ISO time "2025-03-01T08:00:00+07:00"."""
    from search_api.params import ParamError, parse_date

    text = value.strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00")) if "T" in text or " " in text else None
    except ValueError:
        moment = None
    if moment is None:
        try:
            moment = datetime.fromisoformat(parse_date(text, "--since"))
        except ParamError as exc:
            raise ValueError(f"Thời điểm không hợp lệ ở --since: {value!r} (dạng YYYY-MM-DD, DD/MM/YYYY "
                             "hoặc YYYY-MM-DDTHH:MM)") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _time_of(entry: dict[str, Any]) -> datetime | None:
    try:
        return datetime.fromisoformat(str(entry["ts"]).replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return None


def _lines(path: Path, newest_first: bool) -> Iterator[dict[str, Any]]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:  # rotated away while we read; its lines are in the next file
        return
    lines = data.splitlines()
    for raw in reversed(lines) if newest_first else lines:
        try:
            entry = json.loads(raw)
        except ValueError:
            continue  # a line cut short by a crash
        if isinstance(entry, dict):
            yield entry


def read_audit(data_dir: Path, user: str | None = None, since: datetime | str | None = None,
               action: str | Iterable[str] | None = None, limit: int | None = 1000,
               oldest_first: bool = False) -> list[dict[str, Any]]:
    """Entries across the current and rotated files, newest first (``oldest_first`` for the other way).

    ``user`` keeps entries by that user or about them (``details.name``: a failed sign-in as them,
    a change to their account), compared without regard to case; ``since`` keeps entries at or after
    a moment (a ``datetime`` or what ``parse_since`` reads); ``action`` keeps one action or several."""
    start = parse_since(since) if isinstance(since, str) else since
    if start is not None and start.tzinfo is None:
        start = start.replace(tzinfo=timezone.utc)
    actions = {action} if isinstance(action, str) else set(action) if action else None
    who = _fold(user) if user else None
    files = audit_files(data_dir)
    found: list[dict[str, Any]] = []
    for path in files if not oldest_first else reversed(files):
        older_seen = False
        for entry in _lines(path, newest_first=not oldest_first):
            moment = _time_of(entry)
            if start is not None and (moment is None or moment < start):
                older_seen = True
                continue
            if actions is not None and entry.get("action") not in actions:
                continue
            if who is not None and who not in _people(entry):
                continue
            found.append(entry)
            if limit is not None and len(found) >= limit:
                return found
        if older_seen and not oldest_first:
            break  # every older file is older still
    return found


def _fold(name: Any) -> str:
    return unicodedata.normalize("NFC", str(name).strip()).casefold()


def _people(entry: dict[str, Any]) -> set[str]:
    names = {entry.get("user")}
    details = entry.get("details")
    if isinstance(details, dict):
        names.add(details.get("name"))
    return {_fold(n) for n in names if n}
