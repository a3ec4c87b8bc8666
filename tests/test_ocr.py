"""OCR of scans the tests make themselves from our own sample text (tests/ocr_scans.py),
read by the real Tesseract. Tesseract and its Vietnamese model missing is a failure,
not a skip: CI installs them (scripts/install.sh)."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from conftest import SAMPLES
from corpus.models import RawDocument
from corpus.ocr import (
    PACKAGES,
    ImagePage,
    OcrCache,
    OcrError,
    OcrPage,
    OcrSettings,
    PageJob,
    PdfPage,
    file_sha256,
    ocr_available,
    ocr_page,
    ocr_pages,
    open_image_pages,
    pdf_page_image,
)
from corpus.ocr import engine as ocr_engine
from corpus.ocr import images as ocr_images
from corpus.ocr import pool as ocr_pool
from corpus.ocr.layout import Word, arrange, page_text
from corpus.parser import parse_document
from corpus.readers import read_file
from ocr_scans import accuracy, blank_page, render, save_pdf, save_tiff

LETTER = SAMPLES / "2024-11-cv-1127-su-co-an-toan-thong-tin-cong-ttdt.txt"
FIELDS = ["number", "type_code", "doc_type", "issuer", "place", "issued_date", "subject", "event_date",
          "signer_name", "signer_title"]
# Measured on these scans (200 dpi, 1° skew, light speckles): word recall with
# diacritics 0.99-1.0 a page; word accuracy (edit distance) 0.99.
MIN_WORD_RECALL = 0.97
MIN_WORD_ACCURACY = 0.95


@pytest.fixture(scope="module", autouse=True)
def engine():
    ok, message = ocr_available()
    if not ok:
        pytest.fail(f"OCR engine missing (scripts/install.sh installs {PACKAGES}): {message}")


@pytest.fixture(scope="module")
def letter_scan():
    return render(LETTER.read_text(encoding="utf-8"), dpi=200, skew=1.0, noise=0.05, seed=3)


@pytest.fixture(scope="module")
def letter_pdf(letter_scan, tmp_path_factory):
    return save_pdf(letter_scan.pages, tmp_path_factory.mktemp("scan") / "cv-1127.pdf", 200)


@pytest.fixture(scope="module")
def letter_pages(letter_pdf):
    """The letter read back from its image-only PDF, as the PDF reader will."""
    reader = PdfReader(letter_pdf)
    return [ocr_page(pdf_page_image(page)) for page in reader.pages]


def test_word_recall_with_diacritics(letter_scan, letter_pages):
    assert len(letter_pages) == len(letter_scan.references) == 3
    for number, (reference, page) in enumerate(zip(letter_scan.references, letter_pages), start=1):
        scores = accuracy(reference, page.text)
        assert scores["word_recall"] >= MIN_WORD_RECALL, (number, scores, page.text)
        assert scores["word"] >= MIN_WORD_ACCURACY, (number, scores)
        assert page.confidence > 80 and not page.warnings
    # The skew was measured and undone (pages alternate +1° and -0.7°).
    assert abs(letter_pages[0].skew - 1.0) < 0.2 and abs(letter_pages[1].skew + 0.7) < 0.2


def test_scanned_letter_has_the_typed_metadata(letter_pages):
    typed = parse_document(next(read_file(LETTER))).metadata
    text = "\n\n".join(page.text for page in letter_pages)
    scanned = parse_document(RawDocument(doc_id="scan", source="scan.pdf", format="pdf", text=text)).metadata
    assert typed.number == "1127/UBND-VP" and typed.signer_name  # the sample is what we think it is
    for name in FIELDS:
        assert getattr(scanned, name) == getattr(typed, name), name
    # The recipients are set small (11 pt), where a letter is sometimes misread
    # ("Công" -> "Gông"): the same list, each item read to within a character or two.
    assert len(scanned.recipients) == len(typed.recipients)
    for got, want in zip(scanned.recipients, typed.recipients):
        assert accuracy(want, got)["char"] >= 0.9, (got, want)


def test_two_column_header_is_read_left_column_first(letter_pages):
    lines = letter_pages[0].text.split("\n")
    assert lines[:4] == [
        "ỦY BAN NHÂN DÂN",
        "HUYỆN SÔNG MÂY",
        "Số: 1127/UBND-VP",
        "V/v khắc phục sự cố an toàn thông tin trên Cổng thông tin điện tử huyện và tăng cường bảo đảm an toàn "
        "thông tin mạng",
    ]
    assert lines[4:8] == ["", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                          "Sông Mây, ngày 18 tháng 11 năm 2024"]
    header = [ln for ln in letter_pages[0].lines if ln.column]
    assert {ln.column for ln in header} == {"left", "right"}


def test_red_stamp_is_not_read_as_text():
    scan = render(LETTER.read_text(encoding="utf-8"), dpi=200, stamp_text="* BAN QUẢN LÝ KHE MƠ XUÂN *")
    last = scan.pages[scan.stamp_page]
    page = ocr_page(last)
    assert page.stamp
    # The seal's words in capitals, as on its ring (the letter has "quản lý" in lower case).
    assert not set(page.text.split()) & {"KHE", "MƠ", "XUÂN", "QUẢN", "LÝ", "BAN"}, page.text
    closing = page.text[page.text.index("Nơi nhận"):]
    for expected in ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Vi Thị Hồng Nhung"):
        assert expected in closing
    assert accuracy(scan.references[scan.stamp_page], page.text)["word_recall"] >= MIN_WORD_RECALL


def test_blank_page_gives_a_warning_not_text():
    page = ocr_page(blank_page(dpi=200, noise=0.3))
    assert page.blank and page.text == "" and page.confidence == 0.0
    assert page.warnings and "Trang trống" in page.warnings[0]


def test_page_on_its_side_is_turned_upright(letter_scan):
    page = ocr_page(letter_scan.pages[0].rotate(90, expand=True))
    assert page.rotated == 270
    assert page.text.startswith("ỦY BAN NHÂN DÂN\nHUYỆN SÔNG MÂY\nSố: 1127/UBND-VP")


def _png_header(width: int, height: int) -> bytes:
    """A PNG that claims a size and holds one tiny compressed row: its header is all
    that may be read before the size is refused."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def test_huge_image_is_refused_before_decoding():
    with pytest.raises(OcrError) as err:
        list(open_image_pages(_png_header(20_000, 20_000)))
    assert err.value.code == "image_too_large" and "400 triệu điểm ảnh" in err.value.message
    # Under Pillow's refusal but over what is decoded whole: our own check, by the header.
    with pytest.raises(OcrError) as err:
        list(open_image_pages(_png_header(12_000, 12_000)))
    assert err.value.code == "image_too_large" and "12000×12000" in err.value.message


def test_huge_jpeg_is_decoded_at_a_reduced_scale(monkeypatch):
    # Limits scaled down so that a small file stands for a huge one.
    monkeypatch.setattr(ocr_images, "MAX_DECODE_PIXELS", 1_000_000)
    monkeypatch.setattr(ocr_images, "MAX_JPEG_PIXELS", 10_000_000)
    buffer = io.BytesIO()
    Image.new("L", (2000, 1500), 200).save(buffer, "JPEG")
    (page,) = open_image_pages(buffer.getvalue())
    assert page.width * page.height <= 1_000_000 and page.width >= 500
    buffer = io.BytesIO()
    Image.new("L", (2000, 1500), 200).save(buffer, "PNG")
    with pytest.raises(OcrError) as err:
        list(open_image_pages(buffer.getvalue()))
    assert err.value.code == "image_too_large"


def test_large_page_is_shrunk_and_still_read(letter_scan):
    page = ocr_page(letter_scan.pages[0], OcrSettings(max_pixels=2_500_000))
    assert any("thu nhỏ" in w for w in page.warnings)
    assert accuracy(letter_scan.references[0], page.text)["word_recall"] >= 0.9


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_corrupt_images_give_a_clear_error(tmp_path, letter_scan):
    with pytest.raises(OcrError) as err:
        list(open_image_pages(b"not an image at all"))
    assert err.value.code == "corrupt_image" and "hỏng" in err.value.message
    tiff = save_tiff(letter_scan.pages[:2], tmp_path / "scan.tif", 200)
    data = tiff.read_bytes()
    truncated = data[: len(data) // 3]
    with pytest.raises(OcrError) as err:
        list(open_image_pages(truncated))
    assert err.value.code == "corrupt_image"


def test_multi_page_tiff_gives_each_page(tmp_path, letter_scan):
    tiff = save_tiff(letter_scan.pages[:2], tmp_path / "scan.tif", 200)
    pages = list(open_image_pages(tiff))
    assert [p.size for p in pages] == [p.size for p in letter_scan.pages[:2]]
    assert list(open_image_pages(tiff, max_pages=1))[0].size == letter_scan.pages[0].size
    assert ImagePage(str(tiff), 1)().size == letter_scan.pages[1].size
    with pytest.raises(OcrError):
        ImagePage(str(tiff), 5)()


def test_timeout_is_an_error_and_the_engine_goes_on(letter_scan):
    with pytest.raises(OcrError) as err:
        ocr_page(letter_scan.pages[0], OcrSettings(time_limit_s=0.05))
    assert err.value.code == "ocr_timeout"
    assert ocr_page(letter_scan.pages[2]).confidence > 80


def test_missing_model_names_the_packages(monkeypatch):
    monkeypatch.setattr(ocr_engine, "find_tessdata", lambda lang="vie": None)
    ok, message = ocr_available()
    assert not ok and "tesseract-ocr tesseract-ocr-vie" in message
    with pytest.raises(OcrError) as err:
        ocr_page(Image.new("L", (100, 100), 255))
    assert err.value.code == "ocr_unavailable" and PACKAGES in err.value.message


def test_cache_avoids_a_second_ocr(tmp_path, letter_scan, letter_pdf, monkeypatch):
    calls = []
    real = ocr_pool.ocr_page

    def counting(image, settings=None, dpi=None):
        calls.append(1)
        return real(image, settings, dpi)

    monkeypatch.setattr(ocr_pool, "ocr_page", counting)
    settings = OcrSettings()
    file_hash = file_sha256(letter_pdf)
    jobs = [PageJob(file_hash, n, image) for n, image in enumerate(letter_scan.pages[:2], start=1)]
    with OcrCache.in_dir(tmp_path, settings.version()) as cache:
        first = {job.page: page for job, page, cached in ocr_pages(jobs, settings, cache, workers=1)}
    assert len(calls) == 2
    with OcrCache.in_dir(tmp_path, settings.version()) as cache:
        again = list(ocr_pages(jobs, settings, cache, workers=1))
    assert len(calls) == 2 and all(cached for _, _, cached in again)
    assert {job.page: page for job, page, _ in again} == first
    # Another engine version or settings: read again.
    with OcrCache.in_dir(tmp_path, OcrSettings(deskew=False).version()) as cache:
        list(ocr_pages(jobs[:1], OcrSettings(deskew=False), cache, workers=1))
    assert len(calls) == 3


def test_pool_reads_pages_in_worker_processes(tmp_path, letter_scan, letter_pdf):
    # The workers load their pages themselves: the pool never holds a whole scan.
    file_hash = file_sha256(letter_pdf)
    jobs = [PageJob(file_hash, n + 1, PdfPage(str(letter_pdf), n)) for n in range(2)]
    with OcrCache.in_dir(tmp_path, OcrSettings().version()) as cache:
        results = {job.page: result for job, result, _ in ocr_pages(jobs, cache=cache, workers=2)}
        assert set(results) == {1, 2} and all(isinstance(r, OcrPage) for r in results.values())
        assert results[1].text.startswith("ỦY BAN NHÂN DÂN\nHUYỆN SÔNG MÂY")
        assert cache.get(file_hash, 2) == results[2]
    missing = list(ocr_pages([PageJob("x", 1, PdfPage(str(letter_pdf), 7))], workers=1))
    assert isinstance(missing[0][1], OcrError) and missing[0][1].code == "corrupt_image"


def test_cached_page_round_trips(tmp_path):
    page = OcrPage(text="Số: 5/TB-UBND", confidence=91.5, warnings=["x"], size=(10, 20))
    with OcrCache(tmp_path / "c.sqlite", "v1") as cache:
        cache.put("abc", 1, page)
        cache.put("abc", 2, OcrError("ocr_timeout", "quá thời gian"))
        assert cache.get("abc", 1) == page
        error = cache.get("abc", 2)
        assert isinstance(error, OcrError) and error.code == "ocr_timeout"
        assert cache.get("abc", 3) is None
    assert file_sha256(io.BytesIO(b"abc")) == file_sha256(b"abc") == file_sha256(_write(tmp_path / "f", b"abc"))


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _word(text: str, x: int, y: int, line: int, width: int | None = None) -> Word:
    return Word(text, (x, y, x + (width or 14 * len(text)), y + 30), 95.0, line, y + 24.0)


def test_layout_reads_a_two_column_header_by_columns():
    # Rows as Tesseract gives them: one line across both columns.
    words = [
        _word("ỦY", 100, 100, 0), _word("BAN", 150, 100, 0), _word("CỘNG", 700, 100, 0), _word("HÒA", 790, 100, 0),
        _word("HUYỆN", 100, 150, 1), _word("X", 200, 150, 1), _word("Độc", 720, 150, 1), _word("lập", 790, 150, 1),
        _word("Số:", 100, 220, 2), _word("5/UBND", 160, 220, 2), _word("X,", 700, 220, 2), _word("ngày", 740, 220, 2),
        _word("V/v", 100, 265, 3), _word("việc", 160, 265, 3),
        _word("một", 100, 310, 4), _word("hai", 160, 310, 4),
        _word("Kính", 300, 420, 5), _word("gửi:", 380, 420, 5),
        _word("Thân", 100, 470, 6), _word("bài", 170, 470, 6, width=700),
    ]
    text = page_text(arrange(words))
    assert text == "ỦY BAN\nHUYỆN X\nSố: 5/UBND\nV/v việc một hai\n\nCỘNG HÒA\nĐộc lập\nX, ngày\n\nKính gửi:\nThân bài"
