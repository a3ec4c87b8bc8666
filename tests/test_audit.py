"""The audit log: entries, masking of secrets, rotation, concurrent writers, reading back, ``vanban audit``."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest

from search_api.accounts import ADMIN_TOKEN_CALLER, ANONYMOUS, Caller
from search_api.audit import REDACTED, AuditLog, audit_files, open_audit, parse_since, read_audit
from search_api.cli import main
from search_api.settings import Settings

REPO = Path(__file__).resolve().parents[1]
LAN = Caller("lan", frozenset({"thanh tra"}), False, "user")
TOKEN = "vb_0123456789ab_" + "S" * 43


class Clock:
    def __init__(self, when: str = "2025-03-01T08:00:00+00:00"):
        self.now = datetime.fromisoformat(when).timestamp()

    def __call__(self) -> float:
        return self.now


def all_bytes(data_dir: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (data_dir / "audit").iterdir())


def test_an_entry_has_the_documented_fields(tmp_path):
    log = AuditLog(tmp_path, clock=Clock("2025-03-01T08:15:02.123456+00:00"))
    written = log.record("search", LAN, {"query": "bão số 3", "k": 10}, address="10.0.0.7")
    line = (tmp_path / "audit" / "audit.jsonl").read_text(encoding="utf-8")
    assert line.endswith("\n") and line.count("\n") == 1
    assert json.loads(line) == written == {
        "ts": "2025-03-01T08:15:02.123Z", "user": "lan", "kind": "user", "action": "search",
        "details": {"query": "bão số 3", "k": 10}, "address": "10.0.0.7"}
    log.record("open_document", ANONYMOUS, {"doc_id": "qd-1.pdf"})
    log.record("upload", ADMIN_TOKEN_CALLER, {"files": ["a.pdf"]})
    log.record("users_change", kind="cli", details={"name": "lan"})
    kinds = [(e["user"], e["kind"]) for e in read_audit(tmp_path, oldest_first=True)]
    assert kinds == [("lan", "user"), (None, "anonymous"), (None, "admin_token"), (None, "cli")]
    with pytest.raises(ValueError):
        log.record("đọc trộm", LAN)


def test_no_secret_is_ever_written(tmp_path):
    log = AuditLog(tmp_path, redact=["mã-quản-trị-rất-dài", "ngắn"])
    log.record("refused", ANONYMOUS, {"reason": "token_in_query", "token": TOKEN, "access_token": "abc",
                                      "api_key": "k-123", "Authorization": f"Bearer {TOKEN}",
                                      "session_id": "phiên-bí-mật", "cookie": "vanban_session=phiên-bí-mật",
                                      "password": "mật khẩu dài", "nested": {"new_password": "mật khẩu mới"},
                                      "token_id": "0123456789ab"})
    log.record("search", LAN, {"query": f"ai dán mã {TOKEN} vào ô tìm"})
    log.record("search", LAN, {"query": "mã-quản-trị-rất-dài là gì; ngắn gọn"})
    log.record("sign_in_failed", ANONYMOUS, {"name": "lan", "password": "đoán thử"}, address="10.0.0.9")
    written = all_bytes(tmp_path)
    for secret in (TOKEN, "S" * 43, "abc", "k-123", "phiên-bí-mật", "mật khẩu dài", "mật khẩu mới",
                   "mã-quản-trị-rất-dài", "đoán thử"):
        assert secret.encode() not in written, secret
    refused, search, admin, failed = read_audit(tmp_path, oldest_first=True)
    assert refused["details"]["token"] == REDACTED and refused["details"]["nested"]["new_password"] == REDACTED
    assert refused["details"]["token_id"] == "0123456789ab"  # the public id, shown by `vanban users list` anyway
    assert search["details"]["query"] == f"ai dán mã {REDACTED} vào ô tìm"
    assert admin["details"]["query"] == f"{REDACTED} là gì; ngắn gọn"  # short strings are never masked
    assert failed["details"] == {"name": "lan", "password": REDACTED}


def test_long_values_are_cut(tmp_path):
    log = AuditLog(tmp_path)
    entry = log.record("search", LAN, {"query": "x" * 5000, "groups": {"b", "a"}, "when": datetime(2025, 1, 1)})
    assert len(entry["details"]["query"]) == 2001 and entry["details"]["groups"] == ["a", "b"]
    assert entry["details"]["when"] == "2025-01-01 00:00:00"


def test_the_log_rotates_by_size_and_keeps_n_files(tmp_path):
    log = AuditLog(tmp_path, max_bytes=1000, keep=3)
    for n in range(100):
        log.record("search", LAN, {"query": f"câu hỏi {n:03d}"})
    files = audit_files(tmp_path)
    assert [p.name for p in files] == ["audit.jsonl", "audit.1.jsonl", "audit.2.jsonl", "audit.3.jsonl"]
    assert all(p.stat().st_size <= 1000 for p in files)
    assert all(p.stat().st_mode & 0o077 == 0 for p in files)
    entries = read_audit(tmp_path, limit=None)
    numbers = [int(e["details"]["query"].split()[-1]) for e in entries]
    assert numbers == list(range(99, 99 - len(numbers), -1)), "newest first, nothing lost within the kept files"
    assert 20 < len(numbers) < 100
    assert [int(e["details"]["query"].split()[-1]) for e in read_audit(tmp_path, limit=3, oldest_first=True)] == \
        [numbers[-1], numbers[-1] + 1, numbers[-1] + 2]


def test_reading_with_filters(tmp_path):
    clock = Clock("2025-03-01T08:00:00+00:00")
    log = AuditLog(tmp_path, max_bytes=600, keep=20, clock=clock)
    for day in range(10):
        log.record("search", LAN, {"query": f"ngày {day}"})
        log.record("sign_in_failed", ANONYMOUS, {"name": "LAN"}, address="10.0.0.9")
        log.record("open_document", Caller("minh", frozenset(), False, "user"), {"doc_id": f"d{day}"})
        clock.now += 86400
    assert len(audit_files(tmp_path)) > 3

    mine = read_audit(tmp_path, user="Lan")
    assert len(mine) == 20 and {e["action"] for e in mine} == {"search", "sign_in_failed"}
    assert [e["ts"] for e in mine] == sorted((e["ts"] for e in mine), reverse=True)
    since = read_audit(tmp_path, since="2025-03-08")
    assert len(since) == 9 and all(e["ts"] >= "2025-03-08" for e in since)
    assert read_audit(tmp_path, since=datetime(2025, 3, 8, tzinfo=timezone.utc)) == since
    assert read_audit(tmp_path, since="8/3/2025") == since
    assert len(read_audit(tmp_path, since="2025-03-08T00:00:00+07:00")) == 9
    assert [e["details"]["doc_id"] for e in read_audit(tmp_path, user="minh", action="open_document", limit=2)] == \
        ["d9", "d8"]
    assert len(read_audit(tmp_path, action={"search", "open_document"})) == 20
    assert read_audit(tmp_path, user="ai đó") == []
    assert read_audit(tmp_path / "không có") == []


def test_broken_lines_are_skipped(tmp_path):
    log = AuditLog(tmp_path)
    log.record("search", LAN, {"query": "một"})
    with open(tmp_path / "audit" / "audit.jsonl", "ab") as fh:
        fh.write(b'{"ts": "2025-03-01T0')  # a writer killed mid-line
    log.record("search", LAN, {"query": "hai"})
    assert [e["details"]["query"] for e in read_audit(tmp_path)] == ["hai", "một"]


def test_threads_never_interleave_lines(tmp_path):
    log = AuditLog(tmp_path, max_bytes=20_000, keep=100)

    def write(n: int) -> None:
        for i in range(150):
            log.record("search", LAN, {"query": f"luồng {n} câu {i} " + "chữ " * (i % 40)})

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = b"".join(p.read_bytes() for p in audit_files(tmp_path)).splitlines()
    assert len(lines) == 900 and all(json.loads(line)["action"] == "search" for line in lines)
    assert len(read_audit(tmp_path, limit=None)) == 900


WRITER = """
import sys
from pathlib import Path
from search_api.audit import AuditLog
log = AuditLog(Path(sys.argv[1]), max_bytes=30_000, keep=100)
for i in range(300):
    log.record("search", kind="cli", details={"query": f"tiến trình {sys.argv[2]} câu {i} " + "x" * (i % 97)})
"""


def test_processes_append_whole_lines_and_rotate_once(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), str(n)], env=env) for n in range(4)]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    files = audit_files(tmp_path)
    assert len(files) > 4 and all(p.stat().st_size <= 30_000 for p in files)
    entries = read_audit(tmp_path, limit=None)
    assert len(entries) == 1200
    assert len({e["details"]["query"] for e in entries}) == 1200


def test_open_audit_follows_the_settings(tmp_path):
    settings = Settings(home=tmp_path / "home", data_dir=tmp_path / "data", admin_token="mã-quản-trị-rất-dài",
                        audit_max_mb=3, audit_keep=4)
    log = open_audit(settings)
    assert (log.dir, log.max_bytes, log.keep) == (tmp_path / "data" / "audit", 3 * 2**20, 4)
    log.record("search", LAN, {"query": "mã-quản-trị-rất-dài"})
    assert b"m\xc3\xa3-qu\xe1\xba\xa3n-tr\xe1\xbb\x8b-r\xe1\xba\xa5t-d\xc3\xa0i" not in all_bytes(tmp_path / "data")
    env = Settings.from_env({"VANBAN_AUDIT_MAX_MB": "7", "VANBAN_AUDIT_KEEP": "2"})
    assert (env.audit_max_mb, env.audit_keep) == (7, 2)


def test_parse_since():
    assert parse_since("2025-03-08") == datetime(2025, 3, 8, tzinfo=timezone.utc)
    assert parse_since("8/3/2025") == datetime(2025, 3, 8, tzinfo=timezone.utc)
    assert parse_since("2025-03-08T10:30") == datetime(2025, 3, 8, 10, 30, tzinfo=timezone.utc)
    assert parse_since("2025-03-08T10:30:00Z") == datetime(2025, 3, 8, 10, 30, tzinfo=timezone.utc)
    for bad in ("hôm qua", "2025-02-30", ""):
        with pytest.raises(ValueError):
            parse_since(bad)


def run_cli(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--home", str(tmp_path / "home"), "audit", *args, "--data-dir", str(tmp_path / "data")], out, err)
    return code, out.getvalue(), err.getvalue()


def test_the_audit_command(tmp_path):
    clock = Clock("2025-03-01T08:00:00+00:00")
    log = AuditLog(tmp_path / "data", clock=clock)
    log.record("search", LAN, {"query": "bão số 3"}, address="10.0.0.7")
    clock.now += 86400
    log.record("sign_in_failed", ANONYMOUS, {"name": "minh"}, address="10.0.0.9")
    log.record("download", LAN, {"doc_id": "qd-1.pdf"})

    code, out, err = run_cli(tmp_path)
    lines = out.splitlines()
    assert code == 0 and len(lines) == 3, err
    assert "tải tệp gốc" in lines[0] and "lan" in lines[0] and "qd-1.pdf" in lines[0]
    assert "đăng nhập sai" in lines[1] and "(ẩn danh)" in lines[1] and "10.0.0.9" in lines[1]
    assert "bão số 3" in lines[2] and "2025-03-01 08:00:00Z" in lines[2]

    code, out, _ = run_cli(tmp_path, "--user", "LAN", "--json")
    assert code == 0 and [json.loads(x)["action"] for x in out.splitlines()] == ["download", "search"]
    code, out, _ = run_cli(tmp_path, "--since", "2025-03-02", "--json", "--oldest-first")
    assert [json.loads(x)["action"] for x in out.splitlines()] == ["sign_in_failed", "download"]
    code, out, _ = run_cli(tmp_path, "--action", "search", "--limit", "1")
    assert code == 0 and len(out.splitlines()) == 1 and "bão số 3" in out
    code, out, _ = run_cli(tmp_path, "--user", "ai")
    assert code == 0 and "Không có mục nào" in out

    for args, words in ((("--since", "hôm qua"), "--since"), (("--action", "đọc"), "hành động"),
                        (("--limit", "0"), "--limit")):
        code, out, err = run_cli(tmp_path, *args)
        assert code == 2 and words in err and not out
