"""Many pages OCR'd in a process pool, through the cache.

Pages already in the cache are answered at once, without a worker; the rest go
to worker processes, each with its own Tesseract loaded once (``spawn``: a
forked copy of a process that holds a Tesseract instance or threads is unsafe).
Tesseract is limited to one thread per worker: on few cores, pages side by side
beat threads inside one page. Jobs are taken from the iterable as workers free
up, so a 300-page scan is never held in memory whole (give each job a loader,
``images.ImagePage`` or ``images.PdfPage``, and the worker decodes its page);
results are yielded, and cached, as they finish, so a killed run keeps every
page it read.
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
# Pages handed to each worker ahead: the pool never waits, and few images are in flight.
AHEAD = 2

Result = tuple["PageJob", OcrPage | OcrError, bool]


@dataclass
class PageJob:
    """One page to read: the file's content hash, the page number (1-based) and
    its image, or a picklable callable that returns it (called in the worker)."""

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
              workers: int | None = None) -> Iterator[Result]:
    """(job, page or error, whether it came from the cache) for each job, in the
    order they finish. ``workers`` 1 reads in this process."""
    settings = settings or OcrSettings()
    workers = max(1, (os.cpu_count() or 1) if workers is None else workers)

    def done(job: PageJob, result: OcrPage | OcrError) -> Result:
        if cache and (isinstance(result, OcrPage) or result.code in LASTING_ERRORS):
            cache.put(job.file_hash, job.page, result)
        return job, result, False

    def uncached() -> Iterator[PageJob | Result]:
        for job in jobs:
            cached = cache.get(job.file_hash, job.page) if cache else None
            yield (job, cached, True) if cached is not None else job

    items = uncached()
    if workers == 1:
        for item in items:
            yield item if isinstance(item, tuple) else done(item, _run(item, settings))
        return
    pool: ProcessPoolExecutor | None = None
    running: dict[Future, PageJob] = {}
    try:
        for item in items:
            if isinstance(item, tuple):
                yield item
                continue
            if pool is None:  # started at the first page the cache does not have
                pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                           initializer=_init_worker)
            running[pool.submit(_run, item, settings)] = item
            while len(running) >= AHEAD * workers:
                yield from _finished(running, done)
        while running:
            yield from _finished(running, done)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def _finished(running: dict[Future, PageJob], done: Callable[[PageJob, OcrPage | OcrError], Result]) -> Iterator[Result]:
    finished, _ = wait(running, return_when=FIRST_COMPLETED)
    for future in finished:
        job = running.pop(future)
        try:
            result = future.result()
        except Exception as exc:  # a worker died (killed, out of memory): this page fails
            result = OcrError("ocr_failed", f"Nhận dạng chữ thất bại ({type(exc).__name__}: {exc})")
        yield done(job, result)
