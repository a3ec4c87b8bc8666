"""Folders built in the model cache: made beside their final name under a
temporary prefix, renamed into place, and cleaned up if a build was cut short."""

from __future__ import annotations

import os
import shutil
import time
import uuid
from pathlib import Path

STALE_TMP_SECONDS = 3600


def make_readable(folder: Path) -> None:
    # mkdtemp creates 0700 and safetensors writes 0600; a service account other
    # than the installing user must still be able to read the model.
    os.chmod(folder, 0o755)
    for p in folder.rglob("*"):
        os.chmod(p, 0o755 if p.is_dir() else 0o644)


def remove_stale_tmp(cache_dir: Path, prefix: str, max_age: float = STALE_TMP_SECONDS) -> None:
    """Delete leftovers of builds that died; a build younger than ``max_age`` may still be running."""
    now = time.time()
    for p in cache_dir.glob(prefix + "*"):
        try:
            if now - p.stat().st_mtime > max_age:
                shutil.rmtree(p, ignore_errors=True)
        except OSError:
            pass


def discard(path: Path, prefix: str) -> None:
    """Move ``path`` out of the way first so its name is free at once, then delete it."""
    trash = path.with_name(f"{prefix}trash-{uuid.uuid4().hex}")
    try:
        os.rename(path, trash)
    except FileNotFoundError:
        return
    shutil.rmtree(trash, ignore_errors=True)
