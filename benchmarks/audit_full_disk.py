"""Audit: a real full disk under ``vanban index`` and the API's writes.

    sudo .venv/bin/python benchmarks/audit_full_disk.py [--size-mb 64] [--out FILE]

Mounts a small tmpfs (root only) as DATA_DIR and, with the real model and CLI:

1. grows the index with copies of corpus/samples, one ``vanban index`` per round,
   until a round fails for want of space;
2. sweeps the space left (a ballast file fills the rest) and re-indexes a changed
   folder at each, so that the disk fills at different writes (the clone of the
   store, the embedding cache, the lexical index, the vector index, the manifest);
3. uploads and deletes through the API (in process) on the full disk;
4. removes the ballast, grows the tmpfs and indexes again.

After each failure it checks what the fix promises: one ``disk_full`` error, no
traceback, nothing staged left (no unfinished snapshot, nothing new in uploads/),
``CURRENT`` unchanged and the index still answering. Exits 1 if any check fails,
2 if it cannot run (not root, no tmpfs). Writes benchmarks/results/audit_full_disk.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from search_api.benchmark import write_results  # noqa: E402

SAMPLES = REPO / "corpus" / "samples"
QUERY = "bão số 3"
MB = 1 << 20


def vanban(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "search_api.cli", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=900)


def free(path: Path) -> int:
    return shutil.disk_usage(path).free


def current(data: Path) -> str | None:
    try:
        return (data / "CURRENT").read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None


def leftovers(data: Path) -> list[str]:
    """What a failed write may have left behind (the uploads no longer use the system's
    temporary folder, shared here with other programs, so it is not looked at)."""
    found = [f"snapshots/{p.name}" for p in (data / "snapshots").glob("*.tmp")] if (data / "snapshots").is_dir() else []
    found += ["CURRENT.tmp"] if (data / "CURRENT.tmp").exists() else []
    uploads = data / "uploads"
    if uploads.is_dir():
        found += [f"uploads/{p.name}" for p in uploads.iterdir() if p.name.startswith(".staging-")]
    return found


def searchable(data: Path) -> int:
    """How many passages a lexical search finds (-1: the search failed)."""
    done = vanban("search", QUERY, "--mode", "lexical", "--json", "--k", "5", "--data-dir", str(data))
    if done.returncode != 0:
        return -1
    return len(json.loads(done.stdout.splitlines()[-1])["results"])


def index(data: Path, source: Path) -> dict:
    before = current(data)
    t0 = time.perf_counter()
    done = vanban("index", str(source), "--json", "--data-dir", str(data))
    errors = [line for line in done.stderr.splitlines() if line.startswith("Lỗi")]
    row = {"exit": done.returncode, "seconds": round(time.perf_counter() - t0, 1), "free_after": free(data),
           "errors": errors, "traceback": "Traceback" in done.stderr}
    last = json.loads(done.stdout.splitlines()[-1]) if done.stdout.strip() else {}
    if done.returncode == 0:
        row["documents"] = last["totals"].get("documents")
    else:
        row["detail"] = last.get("error", {}).get("detail")  # which write failed, as the library said
        row["leftovers"] = leftovers(data)
        row["current_unchanged"] = current(data) == before
        row["search_hits"] = searchable(data)
        row["ok"] = (done.returncode == 2 and len(errors) == 1 and errors[0].startswith("Lỗi [disk_full]")
                     and not row["traceback"] and not row["leftovers"] and row["current_unchanged"]
                     and row["search_hits"] > 0)
        if not row["ok"]:
            row["stderr_tail"] = done.stderr[-2000:]
    return row


def fill(mount: Path, leave: int) -> int:
    """A ballast file taking all the space but ``leave`` bytes; returns the space left."""
    ballast = mount / "ballast"
    ballast.unlink(missing_ok=True)
    size = max(0, free(mount) - leave)
    chunk = b"\0" * MB
    with open(ballast, "wb") as fh:
        while size > 0:
            try:
                fh.write(chunk[:min(size, MB)])
                fh.flush()
            except OSError:
                break
            size -= MB
    return free(mount)


def add_copies(source: Path, first: int, count: int) -> None:
    for k in range(first, first + count):
        shutil.copytree(SAMPLES, source / f"copy-{k:03d}")


def touch_folder(folder: Path) -> None:
    """A change in every file of ``folder`` (so it is read and written again), same passages."""
    for f in folder.iterdir():
        if f.suffix in (".txt", ".md"):
            f.write_text(f.read_text(encoding="utf-8") + "\n", encoding="utf-8")


def sizes(data: Path) -> dict:
    """Bytes of the published snapshot's parts and of the embedding cache."""
    name = current(data)
    snap = data / "snapshots" / name if name else None

    def du(path: Path) -> int:
        return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() else (
            path.stat().st_size if path.exists() else 0)

    parts = {part: du(snap / part) for part in ("store.sqlite", "lexical", "vectors.faiss", "vocabulary.json")} if snap else {}
    return {**parts, "embedding_cache": sum(du(f) for f in data.glob("embedding-cache.sqlite*"))}


def api_writes(data: Path) -> dict:
    from fastapi.testclient import TestClient

    from search_api.api import IndexService, create_app
    from search_api.services import embedder, token_counter
    from search_api.settings import Settings

    settings = Settings.from_env(data_dir=data, admin_token="audit")
    service = IndexService(settings, encoder=embedder(settings, None), count_tokens=token_counter(settings), load_model=False)
    auth = {"Authorization": "Bearer audit"}
    sample = next(p for p in sorted(SAMPLES.iterdir()) if p.suffix == ".txt")
    out: dict = {}
    with TestClient(create_app(settings, service)) as client:
        doc_id = client.get("/api/search", params={"q": QUERY, "mode": "lexical"}).json()["results"][0]["doc_id"]
        for label, leave in (("upload, little space left", 256 * 1024), ("upload, no space left", 0)):
            fill(data.parent, leave)
            before = current(data)
            r = client.post("/api/documents", files={"files": ("moi-" + sample.name, sample.read_bytes(), "text/plain")},
                            headers=auth)
            body = r.json()
            uploads = sorted(p.name for p in (data / "uploads").iterdir()) if (data / "uploads").is_dir() else []
            out[label] = {"status": r.status_code, "body": body, "uploads_dir": uploads, "leftovers": leftovers(data),
                          "current_unchanged": current(data) == before,
                          "search_hits": len(client.get("/api/search", params={"q": QUERY, "mode": "lexical"})
                                             .json()["results"])}
        before = current(data)
        r = client.delete(f"/api/documents/{doc_id}", headers=auth)
        out["delete, no space left"] = {
            "status": r.status_code, "body": r.json(), "leftovers": leftovers(data),
            "current_unchanged": current(data) == before,
            "still_there": client.get(f"/api/documents/{doc_id}").status_code == 200}
    for row in out.values():
        row["ok"] = (row["status"] == 507 and row["body"]["error"]["code"] == "disk_full" and not row["leftovers"]
                     and row["current_unchanged"] and all(n == ".staging.lock" for n in row.get("uploads_dir", []))
                     and row.get("search_hits", 1) > 0 and row.get("still_there", True))
    return out


def audit(mount: Path, size_mb: int, max_rounds: int) -> dict:
    data = mount / "data"
    source = Path(tempfile.mkdtemp(prefix="vanban-audit-src-"))
    try:
        result: dict = {"tmpfs_mb": size_mb}
        # 1. grow until full
        rounds = []
        add_copies(source, 0, 1)
        first = index(data, source)
        rounds.append({"round": 0, "copies": 1, **first})
        per_copy = max(1, size_mb * MB - first["free_after"])
        # About 15 rounds to fill the disk: the index is up to 3 times there while written
        # (the published snapshot, the one kept for readers, the new one).
        step = max(1, round(size_mb * MB / 3 / per_copy / 15))
        copies = 1
        for n in range(1, max_rounds + 1):
            add_copies(source, copies, step)
            copies += step
            row = index(data, source)
            rounds.append({"round": n, "copies": copies, **row})
            print(f"round {n}: {copies} copies, exit {row['exit']}, {row['free_after'] / MB:.1f} MB free", flush=True)
            if row["exit"] != 0:
                break
        result["grow"] = {"copies_per_round": step, "rounds": rounds, "filled": rounds[-1]["exit"] != 0}
        result["sizes_when_full"] = sizes(data)
        # 2. the disk fills at different writes: before, during and after the copy of the store
        sweep = []
        target = source / "copy-000"
        (mount / "ballast").unlink(missing_ok=True)
        room = free(mount)
        for share in (0.0, 0.25, 0.5, 0.75, 0.9, 1.0):
            left = fill(mount, int(room * share))
            touch_folder(target)
            row = index(data, source)
            sweep.append({"free_before": left, **row})
            cause = (row.get("detail") or {}).get("cause")
            print(f"sweep: {left // 1024} KB free, exit {row['exit']}, {cause}", flush=True)
        result["sweep"] = sweep
        # 3. the API's writes, in a process of their own (its open files would keep the tmpfs busy)
        done = subprocess.run([sys.executable, __file__, "--api", str(data)], capture_output=True, text=True,
                              timeout=900, env={**os.environ, "PYTHONPATH": str(REPO)})
        result["api"] = json.loads(done.stdout) if done.returncode == 0 else {
            "crashed": {"ok": False, "stderr_tail": done.stderr[-2000:]}}
        # 4. space again: the ballast gone and the disk grown, as an operator would
        (mount / "ballast").unlink(missing_ok=True)
        subprocess.run(["mount", "-o", f"remount,size={2 * size_mb}m", str(mount)], check=True)
        touch_folder(target)
        before = current(data)
        result["after_space_freed"] = {**index(data, source), "search_hits": searchable(data),
                                       "published": current(data) != before, "leftovers": leftovers(data)}
        failures = [r for r in rounds + sweep if r["exit"] != 0 and not r["ok"]]
        failures += [r for r in result["api"].values() if not r["ok"]]
        result["all_failures_clean"] = not failures
        after = result["after_space_freed"]
        result["recovered"] = after["exit"] == 0 and after["published"] and after["search_hits"] > 0 and not after["leftovers"]
        return result
    finally:
        shutil.rmtree(source, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=64)
    parser.add_argument("--max-rounds", type=int, default=40)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "audit_full_disk.json")
    parser.add_argument("--api", type=Path, help=argparse.SUPPRESS)  # the API's part, run in a child process
    args = parser.parse_args()
    if args.api:
        print(json.dumps(api_writes(args.api), ensure_ascii=False))
        return 0
    if os.geteuid() != 0:
        print("Cần quyền root để gắn một tmpfs (mount -t tmpfs): không chạy được kiểm tra này.", file=sys.stderr)
        return 2
    mount = Path(tempfile.mkdtemp(prefix="vanban-audit-disk-"))
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={args.size_mb}m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        print(f"Không gắn được tmpfs: {done.stderr.strip()}", file=sys.stderr)
        mount.rmdir()
        return 2
    try:
        started = time.time()
        result = audit(mount, args.size_mb, args.max_rounds)
        result["seconds"] = round(time.time() - started, 1)
        result["machine"] = {"python": platform.python_version(), "cpus": os.cpu_count()}
    finally:
        if subprocess.run(["umount", str(mount)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(mount)], check=False)
        mount.rmdir()
    write_results(args.out, result)
    print(json.dumps({k: result[k] for k in ("all_failures_clean", "recovered")}, ensure_ascii=False))
    return 0 if result["all_failures_clean"] and result["recovered"] and result["grow"]["filled"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
