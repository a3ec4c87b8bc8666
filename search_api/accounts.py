"""Users, groups, API tokens, passwords and sign-in sessions, and who a request is.

Accounts live in ``DATA_DIR/accounts.sqlite``, beside the snapshots and never
inside one: publishing a new index must not roll back a removed user or a
renewed token. Every change is one SQLite transaction (WAL, so a server keeps
reading while ``vanban users …`` writes from another process).

Secrets are stored only as salted hashes:

- a token is ``vb_<id>_<secret>``: the 12-hex-digit id finds its user without
  scanning every row; the 256-bit secret is kept as a scrypt hash and compared
  with ``hmac.compare_digest``. The id is not a secret (it is listed by
  ``vanban users list``); knowing it gives nothing without the secret.
- a password is kept as an argon2id hash (argon2-cffi's defaults).
- a session id (the page's cookie) is 256 random bits kept as its SHA-256: a
  slow hash buys nothing for a value nobody can guess, and every page request
  looks one up.

Checking a token's scrypt hash costs tens of milliseconds, too much for every
request, so a verified token is remembered in memory for a few minutes under
the SHA-256 of the token (never the token). A hit re-reads the user's row by
its key (a few microseconds): a removed user or a replaced token hash is
refused, and when the user's ``version`` (bumped by every change) differs, the
caller is rebuilt with the new groups. So a change takes effect on the very
next request, also when another process (the CLI) made it.

Sessions end when they expire, when their user is removed, or when the user's
password or token is renewed (renewing a credential is what an administrator
does after a leak, so it signs the user out everywhere). Group and admin
changes keep the session: the caller is read afresh on every request, so they
apply at once anyway.

Names are case-insensitive (``Lan`` and ``lan`` are one user, so nobody can
pose as another by changing a capital); group names are NFC and casefolded
(``normalize_group``) so that a document's access list and a user's groups
always compare equal when a person means the same group.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import sqlite3
import threading
import time
import unicodedata
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ACCOUNTS_FILE = "accounts.sqlite"
TOKEN_PREFIX = "vb"
TOKEN_RE = re.compile(r"vb_([0-9a-f]{12})_([A-Za-z0-9_-]{43})")
# Names a client might use to put a credential in a URL, where proxies and
# browser history keep it.
QUERY_SECRET_NAMES = frozenset({"token", "access_token", "api_key", "apikey", "key", "auth", "session", "password"})
RESERVED_GROUPS = frozenset({"public"})  # "public" is the access of documents everyone reads
MAX_NAME_CHARS = 64
MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_CHARS = 1024  # argon2 hashes anything, but an unbounded input is free work for an attacker
TOKEN_CACHE_SECONDS = 300.0
TOKEN_CACHE_ENTRIES = 4096
# scrypt's interactive-login parameters (16 MiB). The token secret has 256 random
# bits, so the work factor is not what protects it; a standard KDF keeps the
# stored value useless even if the database is copied.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
ANONYMOUS_POLICIES = ("public", "none")

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    key TEXT PRIMARY KEY,              -- casefolded name: lookups and uniqueness
    name TEXT NOT NULL,                -- as given (NFC)
    groups TEXT NOT NULL,              -- group names, sorted, separated by newlines
    admin INTEGER NOT NULL,
    token_id TEXT NOT NULL UNIQUE,
    token_hash TEXT NOT NULL,
    password_hash TEXT,
    credentials INTEGER NOT NULL,      -- bumped when the token or password changes; ends sessions
    version INTEGER NOT NULL,          -- bumped on every change; caches compare it
    created TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    id_hash TEXT PRIMARY KEY,
    user_key TEXT NOT NULL REFERENCES users(key) ON DELETE CASCADE,
    credentials INTEGER NOT NULL,
    created REAL NOT NULL,
    expires REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user_key);
"""


@dataclass(frozen=True)
class Caller:
    """Who is asking: a user, an anonymous visitor, or the holder of VANBAN_ADMIN_TOKEN."""

    name: str | None
    groups: frozenset[str]
    admin: bool
    kind: str  # "user", "anonymous", "admin_token"


ANONYMOUS = Caller(None, frozenset(), False, "anonymous")
ADMIN_TOKEN_CALLER = Caller(None, frozenset(), True, "admin_token")


@dataclass(frozen=True)
class UserInfo:
    """A user as ``list_users`` shows it: nothing secret."""

    name: str
    groups: tuple[str, ...]
    admin: bool
    token_id: str
    has_password: bool
    created: str
    updated: str
    version: int


class AccountError(ValueError):
    """A change to the accounts that cannot be made (unknown user, bad name, short password …)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class AuthError(Exception):
    """A request whose caller cannot be established; the API answers ``status`` with ``code``."""

    def __init__(self, status: int, code: str, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after


def bad_token() -> AuthError:
    return AuthError(401, "bad_token", "Mã truy cập không hợp lệ hoặc đã bị thu hồi")


def session_expired() -> AuthError:
    return AuthError(401, "session_expired", "Phiên đăng nhập đã hết hạn hoặc không còn hiệu lực; hãy đăng nhập lại")


def login_required() -> AuthError:
    return AuthError(401, "login_required", "Cần đăng nhập để xem nội dung này")


def token_in_query_error() -> AuthError:
    return AuthError(401, "token_in_query",
                     "Không gửi mã truy cập trong địa chỉ (URL); dùng tiêu đề Authorization: Bearer …")


def bad_credentials() -> AuthError:
    return AuthError(401, "bad_credentials", "Tên đăng nhập hoặc mật khẩu không đúng")


# -- names, groups, passwords ------------------------------------------------------------------------------------


def _checked_label(value: str, what: str, code: str) -> str:
    text = unicodedata.normalize("NFC", value if isinstance(value, str) else "").strip()
    if not 1 <= len(text) <= MAX_NAME_CHARS:
        raise AccountError(code, f"{what} phải dài từ 1 đến {MAX_NAME_CHARS} ký tự: {value!r}")
    if _CONTROL.search(text):
        raise AccountError(code, f"{what} không được chứa ký tự điều khiển: {value!r}")
    return text


def normalize_name(name: str) -> str:
    """A user name as stored: NFC, trimmed, 1–64 characters, no control characters."""
    return _checked_label(name, "Tên người dùng", "bad_name")


def name_key(name: str) -> str:
    """What two spellings of one user name share (case-insensitive)."""
    return unicodedata.normalize("NFC", name.strip()).casefold()


def normalize_group(group: str) -> str:
    """A group name as stored and compared: NFC, trimmed, casefolded; no comma, not "public"."""
    text = _checked_label(group, "Tên nhóm", "bad_group").casefold()
    if "," in text:
        raise AccountError("bad_group", f"Tên nhóm không được chứa dấu phẩy: {group!r}")
    if text in RESERVED_GROUPS:
        raise AccountError("bad_group", f"'{text}' là từ dành riêng (văn bản công khai), không dùng làm tên nhóm")
    return text


def parse_groups(value: str | Iterable[str] | None) -> frozenset[str]:
    """"G1, G2" or ["G1", "G2"] -> {"g1", "g2"}; empty items are ignored."""
    if value is None:
        return frozenset()
    items = value.split(",") if isinstance(value, str) else list(value)
    return frozenset(normalize_group(g) for g in items if g and g.strip())


def access_groups(value: str) -> frozenset[str] | None:
    """What ``--access`` and the upload's ``access`` field say: "public" (None: everyone
    reads it) or "G1,G2" (the members of those groups)."""
    text = unicodedata.normalize("NFC", value or "").strip()
    if text.casefold() in RESERVED_GROUPS:
        return None
    groups = parse_groups(text)
    if not groups:
        raise AccountError("bad_group", "Cần 'public' hoặc ít nhất một tên nhóm, ví dụ: thanh-tra,van-phong")
    return groups


def check_password(password: str) -> str:
    text = unicodedata.normalize("NFC", password if isinstance(password, str) else "")
    if len(text) < MIN_PASSWORD_CHARS:
        raise AccountError("bad_password", f"Mật khẩu phải có ít nhất {MIN_PASSWORD_CHARS} ký tự")
    if len(text) > MAX_PASSWORD_CHARS:
        raise AccountError("bad_password", f"Mật khẩu dài quá {MAX_PASSWORD_CHARS} ký tự")
    return text


# -- hashing -------------------------------------------------------------------------------------------------------


def _scrypt(secret: str, salt: bytes) -> bytes:
    return hashlib.scrypt(secret.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)


def _hash_token_secret(secret: str) -> str:
    salt = os.urandom(16)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${_scrypt(secret, salt).hex()}"


def _token_secret_matches(secret: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        computed = hashlib.scrypt(secret.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32)
    except ValueError:
        return False
    return kind == "scrypt" and hmac.compare_digest(computed, bytes.fromhex(digest))


def _new_token() -> tuple[str, str, str]:
    """(token, its id, the hash of its secret)."""
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return f"{TOKEN_PREFIX}_{token_id}_{secret}", token_id, _hash_token_secret(secret)


def _fingerprint(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()


def _now_iso(clock: Callable[[], float]) -> str:
    return datetime.fromtimestamp(clock(), timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


# -- the store ----------------------------------------------------------------------------------------------------


class Accounts:
    """The users of one data directory. Safe to share between threads (one SQLite connection per thread)."""

    def __init__(self, data_dir: Path, clock: Callable[[], float] = time.time):
        self.path = Path(data_dir) / ACCOUNTS_FILE
        self.clock = clock
        self._local = threading.local()
        self._hasher = PasswordHasher()
        self._dummy_password_hash: str | None = None
        self._cache: dict[bytes, tuple[str, int, str, Caller, float]] = {}
        self._cache_lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Created owner-only before SQLite opens it; SQLite gives -wal and -shm the same mode.
        os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
        self._conn().executescript(_SCHEMA)

    # connections and transactions

    def _conn(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, isolation_level=None, timeout=10.0)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA busy_timeout=10000")
            db.execute("PRAGMA foreign_keys=ON")
            self._local.db = db
        return db

    def _write(self) -> "_Transaction":
        return _Transaction(self._conn())

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    def _row(self, name: str) -> sqlite3.Row:
        row = self._conn().execute("SELECT * FROM users WHERE key = ?", (name_key(name),)).fetchone()
        if row is None:
            raise AccountError("unknown_user", f"Không có người dùng '{name}'")
        return row

    # users

    def add_user(self, name: str, groups: Iterable[str] | str | None = None, admin: bool = False) -> str:
        """Create a user; return its API token, which is never shown again."""
        shown = normalize_name(name)
        group_set = parse_groups(groups)
        token, token_id, token_hash = _new_token()
        now = _now_iso(self.clock)
        with self._write() as db:
            if db.execute("SELECT 1 FROM users WHERE key = ?", (name_key(shown),)).fetchone():
                raise AccountError("user_exists", f"Người dùng '{shown}' đã có")
            db.execute(
                "INSERT INTO users (key, name, groups, admin, token_id, token_hash, password_hash, credentials, version,"
                " created, updated) VALUES (?, ?, ?, ?, ?, ?, NULL, 1, 1, ?, ?)",
                (name_key(shown), shown, "\n".join(sorted(group_set)), int(bool(admin)), token_id, token_hash, now, now),
            )
        return token

    def list_users(self) -> list[UserInfo]:
        rows = self._conn().execute("SELECT * FROM users ORDER BY key").fetchall()
        return [self._info(r) for r in rows]

    def user(self, name: str) -> UserInfo:
        return self._info(self._row(name))

    def has_admins(self) -> bool:
        return self._conn().execute("SELECT 1 FROM users WHERE admin LIMIT 1").fetchone() is not None

    @staticmethod
    def _info(row: sqlite3.Row) -> UserInfo:
        return UserInfo(row["name"], tuple(_groups_of(row)), bool(row["admin"]), row["token_id"],
                        row["password_hash"] is not None, row["created"], row["updated"], row["version"])

    def remove_user(self, name: str) -> None:
        """Remove a user; its token and sessions stop working at once."""
        with self._write() as db:
            if db.execute("DELETE FROM users WHERE key = ?", (name_key(name),)).rowcount == 0:
                raise AccountError("unknown_user", f"Không có người dùng '{name}'")
            db.execute("DELETE FROM sessions WHERE user_key = ?", (name_key(name),))

    def set_groups(self, name: str, groups: Iterable[str] | str | None) -> None:
        self._update(name, groups="\n".join(sorted(parse_groups(groups))))

    def set_admin(self, name: str, admin: bool) -> None:
        self._update(name, admin=int(bool(admin)))

    def new_token(self, name: str) -> str:
        """Replace the user's token; the old one stops working at once, and so do the user's sessions."""
        token, token_id, token_hash = _new_token()
        self._update(name, credentials_changed=True, token_id=token_id, token_hash=token_hash)
        return token

    def set_password(self, name: str, password: str) -> None:
        """Set the password used to sign in on the page; the user's sessions end."""
        self._update(name, credentials_changed=True, password_hash=self._hasher.hash(check_password(password)))

    def _update(self, name: str, credentials_changed: bool = False, **values: Any) -> None:
        sets = ", ".join(f"{column} = ?" for column in values)
        bump = ", credentials = credentials + 1" if credentials_changed else ""
        with self._write() as db:
            changed = db.execute(
                f"UPDATE users SET {sets}, version = version + 1, updated = ?{bump} WHERE key = ?",
                (*values.values(), _now_iso(self.clock), name_key(name)),
            ).rowcount
            if not changed:
                raise AccountError("unknown_user", f"Không có người dùng '{name}'")
            if credentials_changed:
                db.execute("DELETE FROM sessions WHERE user_key = ?", (name_key(name),))

    # tokens and passwords

    def authenticate_token(self, token: str) -> Caller | None:
        """The user a token belongs to, or None.

        A verified token is remembered (under its SHA-256) for a few minutes; each hit re-reads the
        user's row by primary key, so a change made a moment ago, here or by another process, counts:
        a removed user or a replaced token is refused, new groups are used."""
        if not isinstance(token, str) or len(token) > 100:
            return None
        fingerprint = _fingerprint(token)
        now = time.monotonic()
        with self._cache_lock:
            hit = self._cache.get(fingerprint)
        if hit is not None:
            key, version, token_hash, caller, expires = hit
            row = self._conn().execute("SELECT * FROM users WHERE key = ?", (key,)).fetchone()
            if now < expires and row is not None and hmac.compare_digest(row["token_hash"], token_hash):
                if row["version"] != version:  # groups or admin changed; the token is the same one
                    caller = self._remember(fingerprint, row, expires)
                return caller
            with self._cache_lock:
                self._cache.pop(fingerprint, None)
        m = TOKEN_RE.fullmatch(token)
        if not m:
            return None
        row = self._conn().execute("SELECT * FROM users WHERE token_id = ?", (m.group(1),)).fetchone()
        if row is None or not _token_secret_matches(m.group(2), row["token_hash"]):
            return None
        return self._remember(fingerprint, row, now + TOKEN_CACHE_SECONDS)

    def _remember(self, fingerprint: bytes, row: sqlite3.Row, expires: float) -> Caller:
        caller = _caller_of(row)
        with self._cache_lock:
            if len(self._cache) >= TOKEN_CACHE_ENTRIES:
                self._cache.clear()  # rare; rebuilding costs one hash per active token
            self._cache[fingerprint] = (row["key"], row["version"], row["token_hash"], caller, expires)
        return caller

    def forget_cached_tokens(self) -> None:
        with self._cache_lock:
            self._cache.clear()

    def authenticate_password(self, name: str, password: str) -> Caller | None:
        """The user if the password is theirs. An unknown name costs as much as a wrong password,
        so timing does not tell which names exist."""
        if not isinstance(name, str) or not isinstance(password, str) or len(password) > MAX_PASSWORD_CHARS:
            return None
        password = unicodedata.normalize("NFC", password)
        row = self._conn().execute("SELECT * FROM users WHERE key = ?", (name_key(name),)).fetchone()
        stored = row["password_hash"] if row is not None else None
        if stored is None:
            self._verify_quietly(self._dummy_hash(), password)
            return None
        if not self._verify_quietly(stored, password):
            return None
        if self._hasher.check_needs_rehash(stored):
            # Same password, stronger parameters: not a credential change, so sessions and caches stay.
            with self._write() as db:
                db.execute("UPDATE users SET password_hash = ? WHERE key = ? AND password_hash = ?",
                           (self._hasher.hash(password), row["key"], stored))
        return _caller_of(row)

    def _verify_quietly(self, stored: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    def _dummy_hash(self) -> str:
        if self._dummy_password_hash is None:
            self._dummy_password_hash = self._hasher.hash(secrets.token_urlsafe(16))
        return self._dummy_password_hash

    # sessions

    def create_session(self, caller: Caller, hours: float) -> str:
        """A new session for a signed-in user; returns its id (the cookie value), stored only as a hash."""
        if caller.kind != "user" or caller.name is None:
            raise AccountError("not_a_user", "Chỉ người dùng đã đăng nhập mới có phiên")
        session_id = secrets.token_urlsafe(32)
        now = self.clock()
        with self._write() as db:
            row = db.execute("SELECT key, credentials FROM users WHERE key = ?", (name_key(caller.name),)).fetchone()
            if row is None:
                raise AccountError("unknown_user", f"Không có người dùng '{caller.name}'")
            db.execute("DELETE FROM sessions WHERE expires <= ?", (now,))
            db.execute("INSERT INTO sessions (id_hash, user_key, credentials, created, expires) VALUES (?, ?, ?, ?, ?)",
                       (_fingerprint(session_id).hex(), row["key"], row["credentials"], now, now + hours * 3600))
        return session_id

    def session_caller(self, session_id: str) -> Caller | None:
        """The session's user as they are now, or None when the session expired, was ended,
        or its user was removed or renewed their password or token."""
        if not isinstance(session_id, str) or not session_id or len(session_id) > 100:
            return None
        row = self._conn().execute(
            "SELECT u.*, s.expires AS s_expires, s.credentials AS s_credentials FROM sessions s"
            " JOIN users u ON u.key = s.user_key WHERE s.id_hash = ?",
            (_fingerprint(session_id).hex(),),
        ).fetchone()
        if row is None or row["s_expires"] <= self.clock() or row["s_credentials"] != row["credentials"]:
            return None
        return _caller_of(row)

    def end_session(self, session_id: str) -> None:
        if isinstance(session_id, str) and session_id:
            with self._write() as db:
                db.execute("DELETE FROM sessions WHERE id_hash = ?", (_fingerprint(session_id).hex(),))


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT``: one change, all or nothing, one writer at a time."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type, exc, tb) -> None:
        self.db.execute("COMMIT" if exc_type is None else "ROLLBACK")


def _groups_of(row: sqlite3.Row) -> list[str]:
    return [g for g in row["groups"].split("\n") if g]


def _caller_of(row: sqlite3.Row) -> Caller:
    return Caller(row["name"], frozenset(_groups_of(row)), bool(row["admin"]), "user")


def open_accounts(settings: Any) -> Accounts:
    """The accounts of the settings' data directory."""
    return Accounts(settings.index_dir)


# -- who is asking -------------------------------------------------------------------------------------------------


def anonymous_policy(settings: Any) -> str:
    """``VANBAN_ANONYMOUS``: "public" (callers without credentials read public documents) or "none"."""
    policy = (getattr(settings, "anonymous", "public") or "public").strip().lower()
    if policy not in ANONYMOUS_POLICIES:
        raise ValueError(f"VANBAN_ANONYMOUS phải là 'public' hoặc 'none', nhận được {policy!r}")
    return policy


def resolve_caller(accounts: Accounts | None, settings: Any, authorization_header: str | None,
                   session_cookie: str | None, admin_header: str | None = None) -> Caller:
    """Who a request comes from.

    A bearer token (or the legacy ``X-Admin-Token`` header, passed as ``admin_header``) wins over a
    session cookie; a credential that is given but not valid is an error, never a fall back to
    anonymous, so a revoked token cannot quietly keep reading public documents as if nothing
    happened. With no credential at all the caller is anonymous, or refused when
    ``VANBAN_ANONYMOUS=none``.
    """
    token = admin_header.strip() if admin_header else None
    if authorization_header is not None and authorization_header.strip():
        scheme, _, value = authorization_header.strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise bad_token()
        token = value.strip()
    if token:
        expected = getattr(settings, "admin_token", None)
        if expected and hmac.compare_digest(token.encode(), expected.encode()):
            return ADMIN_TOKEN_CALLER
        caller = accounts.authenticate_token(token) if accounts is not None else None
        if caller is None:
            raise bad_token()
        return caller
    if session_cookie:
        caller = accounts.session_caller(session_cookie) if accounts is not None else None
        if caller is None:
            raise session_expired()
        return caller
    if anonymous_policy(settings) == "none":
        raise login_required()
    return ANONYMOUS


def token_in_query(params: Mapping[str, str] | Iterable[tuple[str, str]] | Any) -> bool:
    """True when a URL's query carries a credential: a parameter named like one, or a value that is a vanban token.
    Accepts a dict, pairs, or Starlette's ``QueryParams`` (every repeated value is looked at)."""
    if hasattr(params, "multi_items"):
        pairs = params.multi_items()
    elif hasattr(params, "items"):
        pairs = params.items()
    else:
        pairs = params
    for name, value in pairs:
        if str(name).strip().lower() in QUERY_SECRET_NAMES:
            return True
        if isinstance(value, str) and "vb_" in value and TOKEN_RE.search(value):
            return True
    return False


# -- slowing down guessing -----------------------------------------------------------------------------------------


class Throttle:
    """Failed sign-ins counted per key (a name, an address) in a sliding window: after ``max_failures``
    within ``window_s`` seconds, that key is refused until the oldest of those failures leaves the window.
    In memory, per process: it slows guessing down, it is not a ledger."""

    def __init__(self, max_failures: int = 5, window_s: float = 600.0, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 10000):
        self.max_failures = max_failures
        self.window_s = window_s
        self.clock = clock
        self.max_keys = max_keys
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float] | None:
        times = self._failures.get(key)
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if times is not None and not times:
            del self._failures[key]
            return None
        return times

    def retry_after(self, *keys: str) -> float:
        """Seconds until all the keys may try again; 0 when they may now."""
        now = self.clock()
        wait = 0.0
        with self._lock:
            for key in keys:
                times = self._recent(key, now)
                if times is not None and len(times) >= self.max_failures:
                    wait = max(wait, times[-self.max_failures] + self.window_s - now)
        return wait

    def check(self, *keys: str) -> None:
        """Raise 429 ``too_many_attempts`` while any key is held back."""
        wait = self.retry_after(*keys)
        if wait > 0:
            seconds = max(1, int(wait + 0.999))
            raise AuthError(429, "too_many_attempts",
                            f"Đăng nhập sai quá nhiều lần; thử lại sau {seconds} giây", retry_after=seconds)

    def failed(self, *keys: str) -> None:
        now = self.clock()
        with self._lock:
            if len(self._failures) >= self.max_keys:
                for key in list(self._failures):
                    self._recent(key, now)
                while len(self._failures) >= self.max_keys:
                    self._failures.pop(next(iter(self._failures)))
            for key in keys:
                times = self._failures.setdefault(key, deque(maxlen=self.max_failures * 4))
                times.append(now)

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)


def throttle_for(settings: Any, clock: Callable[[], float] = time.monotonic) -> Throttle:
    return Throttle(getattr(settings, "signin_max_failures", 5), getattr(settings, "signin_window_s", 600), clock)


def sign_in(accounts: Accounts, throttle: Throttle, name: str, password: str, address: str | None) -> Caller:
    """Check a name and password against the throttle and the store: the user, or an AuthError
    (429 ``too_many_attempts``, 401 ``bad_credentials``). Only the name's count is cleared on success:
    one good password must not reset the count of an address that is guessing at other names."""
    keys = [f"name:{name_key(name) if isinstance(name, str) else ''}"]
    if address:
        keys.append(f"addr:{address}")
    throttle.check(*keys)
    caller = accounts.authenticate_password(name, password)
    if caller is None:
        throttle.failed(*keys)
        raise bad_credentials()
    throttle.succeeded(keys[0])
    return caller
