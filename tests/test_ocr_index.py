"""Scans through the whole pipeline: read by OCR, parsed like the typed document,
indexed, found, cited with their page and an OCR mark; OCR'd once however often
the folder is indexed; a clear error where OCR cannot be done. Scans are built
from our own sample text (tests/ocr_scans.py), never from ../shared."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import SAMPLES
from corpus.chunker import ChunkSettings, approx_tokens
from corpus.models import ReadProblem
from corpus.ocr import ocr_available
from corpus.ocr import pool as ocr_pool
from corpus.parser import parse_document
from corpus.pipeline import parse_paths
from corpus.readers import ReadSettings, read_file
from fakes import HashEncoder
from indexer.build import Indexer, IndexSettings
from indexer.snapshot import SnapshotDir
from ocr_scans import blank_page, render, save_pdf, save_tiff
from search_api.retrieval import Searcher

LETTER = SAMPLES / "2024-11-cv-1127-su-co-an-toan-thong-tin-cong-ttdt.txt"
FIELDS = ["number", "type_code", "doc_type", "issuer", "place", "issued_date", "subject", "signer_name", "signer_title"]


@pytest.fixture(scope="module", autouse=True)
def engine():
    ok, message = ocr_available()
    if not ok:
        pytest.fail(f"the OCR engine is missing (scripts/install.sh installs it): {message}")


@pytest.fixture(scope="module")
def scans(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scans")
    scan = render(LETTER.read_text(encoding="utf-8"), dpi=200, skew=1.0, noise=0.05, seed=3)
    save_pdf(scan.pages, folder / "cv-1127-ban-quet.pdf", 200)
    save_tiff(scan.pages[:2], folder / "cv-1127-hai-trang.tif", 200)
    return folder


def _settings(data: Path) -> ReadSettings:
    return ReadSettings(ocr_cache_dir=data, ocr_workers=1)


def test_a_scan_parses_to_the_typed_documents_metadata(scans, tmp_path):
    typed = parse_document(next(read_file(LETTER))).metadata
    [item] = [i for i in parse_paths([scans / "cv-1127-ban-quet.pdf"], approx_tokens, ChunkSettings(), _settings(tmp_path))]
    assert not isinstance(item, ReadProblem), item
    for name in FIELDS:
        assert getattr(item.parsed.metadata, name) == getattr(typed, name), name
    raw = item.parsed.raw
    assert sorted(raw.ocr_pages) == [1, 2, 3] and all(c > 80 for c in raw.ocr_pages.values())
    assert all(c.pages for c in item.chunks)


def test_scans_are_indexed_found_and_cited_with_an_ocr_mark(scans, tmp_path, monkeypatch):
    calls: list[int] = []
    real = ocr_pool._run
    monkeypatch.setattr(ocr_pool, "_run", lambda job, settings: calls.append(job.page) or real(job, settings))
    data = tmp_path / "data"
    settings = IndexSettings(reading=_settings(data))
    progress: list[str] = []
    report = Indexer(data, HashEncoder(), approx_tokens, settings, progress.append).run([scans])
    assert report.documents_indexed == 2, report.problems
    assert report.pages_scanned == 5 and report.scan_seconds > 0
    assert "5 trang quét đã nhận dạng chữ" in progress[-1] and "trang/phút" in progress[-1]
    assert sorted(calls) == [1, 1, 2, 2, 3]  # three pages of the PDF, two of the TIFF
    s = Searcher(SnapshotDir(data).require_current(), HashEncoder())
    hits = s.search("sự cố an toàn thông tin Cổng thông tin điện tử", k=10, mode="lexical").results
    # the TIFF holds the same pages: its identical passages are folded into the PDF's (one result per text)
    assert hits and {h.doc_id for h in hits} <= {"cv-1127-ban-quet.pdf", "cv-1127-hai-trang.tif"}
    tiff = s.store.document("cv-1127-hai-trang.tif")
    assert tiff["format"] == "image" and tiff["metadata"]["number"] == "1127/UBND-VP" and len(tiff["pages"]) == 2
    top = hits[0]
    assert top.citation.ocr and top.citation.ocr_confidence > 80 and top.citation.pages
    assert top.citation.number == "1127/UBND-VP"
    s.close()
    # A change of chunking reads every file again -- and OCRs nothing: the pages are cached.
    calls.clear()
    again = IndexSettings(reading=_settings(data), chunking=ChunkSettings(max_tokens=200))
    report = Indexer(data, HashEncoder(), approx_tokens, again).run([scans])
    assert report.files_read == 2 and report.documents_indexed == 2
    assert calls == []
    assert (data / "ocr-cache.sqlite").exists() or list(data.glob("ocr*.sqlite"))


def test_without_the_engine_a_scan_is_a_clear_error_and_the_rest_is_indexed(scans, tmp_path, monkeypatch):
    import corpus.readers.scanned as scanned

    monkeypatch.setattr(scanned, "ocr_available", lambda lang="vie": (False, "thiếu tesseract-ocr tesseract-ocr-vie"))
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "quet.pdf").write_bytes((scans / "cv-1127-ban-quet.pdf").read_bytes())
    (folder / "go-may.txt").write_text(LETTER.read_text(encoding="utf-8"), encoding="utf-8")
    data = tmp_path / "data"
    report = Indexer(data, HashEncoder(), approx_tokens, IndexSettings(reading=_settings(data))).run([folder])
    assert report.documents_indexed == 1
    [problem] = [p for p in report.problems if p.level == "error"]
    assert problem.code == "ocr_unavailable" and "tesseract-ocr-vie" in problem.message and problem.path.endswith("quet.pdf")


def test_bad_scans_are_per_file_errors(tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    blank_page().save(folder / "trang-trang.png")
    (folder / "hong.tif").write_bytes(b"II*\x00" + b"\x00" * 64)
    (folder / "rong.jpg").write_bytes(b"")
    many = render(LETTER.read_text(encoding="utf-8"), dpi=100, seed=1)
    save_tiff(many.pages * 2, folder / "qua-nhieu-trang.tif", 100)
    problems = {Path(p.path).name: p for p in parse_paths(
        [folder], approx_tokens, ChunkSettings(), replace(_settings(tmp_path), ocr_max_pages=4)) if isinstance(p, ReadProblem)}
    assert problems["trang-trang.png"].code == "no_text"
    assert problems["hong.tif"].code == "corrupt_image"
    assert problems["rong.jpg"].code == "empty_file"
    assert problems["qua-nhieu-trang.tif"].code == "too_many_scanned_pages" and "4" in problems["qua-nhieu-trang.tif"].message
    assert all(json.dumps(p.message, ensure_ascii=False) for p in problems.values())


def test_vanban_parse_json_on_a_scan(scans, tmp_path):
    import io

    from search_api.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = main(["--home", str(tmp_path / "home"), "parse", "--json", str(scans / "cv-1127-ban-quet.pdf")], out, err)
    assert code == 0, err.getvalue()
    parsed = json.loads(out.getvalue().splitlines()[0])
    typed = parse_document(next(read_file(LETTER))).metadata
    for name in FIELDS:
        assert parsed["metadata"][name] == getattr(typed, name), name
    assert parsed["document"]["pages"] == 3 and parsed["chunks"] and all(c["pages"] for c in parsed["chunks"])
