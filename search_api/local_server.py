"""``vanban serve`` started on a free loopback port and stopped again: for the
tests and the benchmarks that need the real server as a separate process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(*args: str) -> list[str]:
    """The ``vanban`` command run from this checkout, whatever is installed."""
    return [sys.executable, "-m", "search_api.cli", *args]


class ServerError(RuntimeError):
    """The server exited or never answered; the message ends with its log."""


@contextmanager
def served(
    data_dir: Path,
    log: Path,
    env: dict[str, str] | None = None,
    start_timeout_s: float = 180,
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Run ``vanban serve`` over ``data_dir``; yield its base URL and process once
    ``/api/health`` answers. Its output goes to ``log`` (a file, not a pipe: a long
    run's log lines would fill a pipe nobody reads and stall the server)."""
    port = free_port()
    environment = dict(os.environ if env is None else env, PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cli("serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir", str(data_dir)),
            cwd=REPO, env=environment, stdout=out, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_timeout_s
        while True:
            if proc.poll() is not None:
                raise ServerError(f"vanban serve exited with {proc.returncode}:\n{_tail(log)}")
            try:
                with urllib.request.urlopen(base + "/api/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise ServerError(f"vanban serve did not answer /api/health within {start_timeout_s} s:\n{_tail(log)}")
            time.sleep(0.3)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def _tail(path: Path, chars: int = 4000) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-chars:]
    except OSError:
        return "(no log)"
