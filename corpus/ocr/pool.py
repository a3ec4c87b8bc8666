"""Many pages OCR'd in a process pool, through the cache.

Pages already in the cache are answered at once, without a worker; the rest go
to worker processes, each with its own Tesseract loaded once (``spawn``: a
forked copy of a process that holds a Tesseract instance or threads is unsafe).
Tesseract is limited to one thread per worker: on few cores, pages side by side
beat threads inside one page. Results are yielded (and cached) as they finish,
so a killed run keeps every page it read.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from PIL import Image

from .cache import OcrCache
from .engine import OcrPage, OcrSettings, ocr_page
from .errors import OcrError

# Errors that the same engine and settings would meet again: cached like pages.
LASTING_ERRORS = {"ocr_timeout", "corrupt_image", "image_too_large"}


@dataclass
class PageJob:
    """One page to read: the file's content hash, the page number (1-based) and
    its image, or a picklable callable that returns it (read in the worker)."""

    file_hash: str
    page: int
    image: Image.Image | Callable[[], Image.Image]
    dpi: int | None = None
    tag: Any = None  # the caller's own reference, handed back with the result


def _init_worker() -> None:
    os.environ["OMP_THREAD_LIMIT"] = "1"


def _run(job: PageJob, settings: OcrSettings) -> OcrPage | OcrError:
    try:
        image = job.image() if callable(job.image) else job.image
        return ocr_page(image, settings, dpi=job.dpi)
    except OcrError as exc:
        return exc


def ocr_pages(jobs: Iterable[PageJob], settings: OcrSettings | None = None, cache: OcrCache | None = None,
              workers: int | None = None) -> Iterator[tuple[PageJob, OcrPage | OcrError, bool]]:
    """(job, page or error, whether it came from the cache) for each job, in the
    order they finish. ``workers`` 0 or 1 reads in this process."""
    settings = settings or OcrSettings()
    workers = max(1, (os.cpu_count() or 1) if workers is None else workers)
    pending: list[PageJob] = []
    for job in jobs:
        cached = cache.get(job.file_hash, job.page) if cache else None
        if cached is not None:
            yield job, cached, True
        else:
            pending.append(job)
    if not pending:
        return

    def done(job: PageJob, result: OcrPage | OcrError) -> tuple[PageJob, OcrPage | OcrError, bool]:
        if cache and (isinstance(result, OcrPage) or result.code in LASTING_ERRORS):
            cache.put(job.file_hash, job.page, result)
        return job, result, False

    if workers == 1 or len(pending) == 1:
        for job in pending:
            yield done(job, _run(job, settings))
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(workers, len(pending)), mp_context=context,
                             initializer=_init_worker) as pool:
        queue = iter(pending)
        running: dict[Future, PageJob] = {}

        def submit() -> None:
            job = next(queue, None)
            if job is not None:
                running[pool.submit(_run, job, settings)] = job

        # Two pages in flight per worker: the pool never waits, and at most that
        # many page images are held in memory at once.
        for _ in range(2 * workers):
            submit()
        while running:
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                job = running.pop(future)
                try:
                    result = future.result()
                except Exception as exc:  # a worker died (killed, out of memory): this page fails
                    result = OcrError("ocr_failed", f"Nhận dạng chữ thất bại ({type(exc).__name__}: {exc})")
                yield done(job, result)
                submit()
