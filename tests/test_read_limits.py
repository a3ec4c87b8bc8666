"""What one document may expand to while it is read (corpus.readers.limits), links out of an
indexed folder, and the settings for both.

The audit's two DOCX files are rebuilt here: 1,000,000 short paragraphs in about
400 KB, and a 1 GB single text node compressed to 1 MB. Each must be refused
within 60 s and 500 MB (measured in a fresh interpreter, so that the peak
memory is the reader's own); the other files of a folder go on.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import docx
import pytest
from fpdf import FPDF
from pypdf import PdfWriter

from conftest import REPO
from corpus.chunker import approx_tokens
from corpus.models import DocumentReadError, RawDocument, ReadProblem
from corpus.readers import ReadSettings, iter_documents, read_file, read_path
from corpus.readers.limits import CappedStream, TooLarge
from fakes import HashEncoder
from indexer.build import Indexer
from indexer.snapshot import SnapshotDir
from search_api.retrieval import Searcher
from search_api.services import index_settings, read_settings
from search_api.settings import Settings

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
BODY_START = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {W}><w:body>'.encode()
BODY_END = b"</w:body></w:document>"
LINE = "Ủy ban nhân dân huyện giao Phòng Tài chính - Kế hoạch tham mưu bố trí vốn."

MEASURE = textwrap.dedent(
    r"""
    import json, re, sys, time
    from pathlib import Path
    from corpus.readers import read_path
    path = Path(sys.argv[1])
    start = time.perf_counter()
    items = list(read_path(path, path.parent))
    seconds = time.perf_counter() - start
    # This process's own peak (ru_maxrss would count the forking pytest's pages too).
    with open("/proc/self/status") as status:
        peak_kb = int(re.search(r"VmHWM:\s*(\d+)", status.read()).group(1))
    print(json.dumps({
        "problems": [[i.code, i.message] for i in items if hasattr(i, "code")],
        "documents": sum(not hasattr(i, "code") for i in items),
        "seconds": seconds,
        "peak_mb": peak_kb / 1024,
    }))
    """
)


def docx_with_body(path: Path, write_body, compresslevel: int | None = None) -> Path:
    """A DOCX from python-docx's template whose word/document.xml is written, streamed, by ``write_body``."""
    template = io.BytesIO()
    docx.Document().save(template)
    out = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel)
    with zipfile.ZipFile(template) as src, out:
        for info in src.infolist():
            if info.filename == "word/document.xml":
                with out.open("word/document.xml", "w", force_zip64=True) as body:
                    body.write(BODY_START)
                    write_body(body)
                    body.write(BODY_END)
            else:
                out.writestr(info, src.read(info.filename))
    return path


def paragraphs_xml(texts) -> bytes:
    return "".join(f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>" for text in texts).encode()


def measured(path: Path) -> dict:
    """Read ``path`` in a fresh interpreter; its problems, time and peak memory."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-c", MEASURE, str(path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env, cwd=REPO)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    print(f"\n[read limits] {path.name}: {result['seconds']:.2f} s, peak {result['peak_mb']:.0f} MB")
    return result


def problem_of(path: Path, settings: ReadSettings = ReadSettings()) -> ReadProblem:
    items = list(read_path(path, path.parent, settings))
    problems = [i for i in items if isinstance(i, ReadProblem)]
    assert len(problems) == 1 and len(items) == 1, items
    return problems[0]


def assert_names_file_and_limit(problem: ReadProblem, path: Path, limit: str) -> None:
    assert problem.level == "error" and problem.path == str(path)
    assert path.name in problem.message and limit in problem.message, problem.message


# --------------------------------------------------------------------------- the audit's DOCX files


@pytest.fixture(scope="module")
def huge_docx(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("huge")
    # Short paragraphs with a little variety compress about 95 times, as the audit's file did.
    block = paragraphs_xml(str(j % 97) for j in range(1000))

    def million(body) -> None:
        for _ in range(1000):
            body.write(block)

    def one_gigabyte_node(body) -> None:
        body.write(b"<w:p><w:r><w:t>")
        chunk = b"a" * (1 << 24)
        for _ in range(64):
            body.write(chunk)
        body.write(b"</w:t></w:r></w:p>")

    return {
        "million": docx_with_body(folder / "trieu-doan.docx", million),
        "bomb": docx_with_body(folder / "bom-nen.docx", one_gigabyte_node, compresslevel=1),
    }


def test_a_million_short_paragraphs_are_refused_within_budget(huge_docx) -> None:
    path = huge_docx["million"]
    with zipfile.ZipFile(path) as archive:
        body = archive.getinfo("word/document.xml")
    assert path.stat().st_size < 600_000 and body.file_size > 30_000_000  # the audit's shape
    result = measured(path)
    assert result["documents"] == 0
    [[code, message]] = result["problems"]
    assert code == "too_large_document" and path.name in message and "200.000 đoạn văn" in message
    assert result["seconds"] < 30 and result["peak_mb"] < 500


def test_a_one_gigabyte_zip_bomb_is_refused_within_budget(huge_docx) -> None:
    path = huge_docx["bomb"]
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo("word/document.xml").file_size > 1 << 30
    result = measured(path)
    assert result["documents"] == 0
    [[code, message]] = result["problems"]
    assert code == "expanding_file" and path.name in message and "200 MB" in message
    assert result["seconds"] < 30 and result["peak_mb"] < 500


def test_a_folder_goes_on_past_a_refused_document(huge_docx, tmp_path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text(LINE, encoding="utf-8")
    shutil.copy(huge_docx["million"], folder / "b.docx")
    (folder / "c.txt").write_text(LINE, encoding="utf-8")
    items = list(iter_documents([folder], ReadSettings(follow_symlinks=True)))
    assert [i.doc_id for i in items if isinstance(i, RawDocument)] == ["a.txt", "c.txt"]
    problems = [(Path(i.path).name, i.code) for i in items if isinstance(i, ReadProblem)]
    assert problems == [("b.docx", "too_large_document")]


# --------------------------------------------------------------------------- DOCX


def test_docx_paragraph_limit_is_checked_before_python_docx(tmp_path: Path) -> None:
    path = docx_with_body(tmp_path / "dai.docx", lambda body: body.write(paragraphs_xml([LINE] * 11)))
    problem = problem_of(path, ReadSettings(max_paragraphs=10))
    assert problem.code == "too_large_document"
    assert_names_file_and_limit(problem, path, "10 đoạn văn")
    assert "VANBAN_MAX_DOCUMENT_PARAGRAPHS" in problem.message
    [doc] = read_file(path, settings=ReadSettings(max_paragraphs=11))
    assert doc.text.count(LINE) == 11


def test_docx_character_limit(tmp_path: Path) -> None:
    path = docx_with_body(tmp_path / "chu.docx", lambda body: body.write(paragraphs_xml([LINE] * 3)))
    limit = 3 * len(LINE) - 1
    problem = problem_of(path, ReadSettings(max_chars=limit))
    assert problem.code == "too_large_document" and "ký tự" in problem.message
    assert "VANBAN_MAX_DOCUMENT_CHARS" in problem.message
    [doc] = read_file(path, settings=ReadSettings(max_chars=3 * len(LINE) + 4))  # and two paragraph breaks
    assert doc.text.count(LINE) == 3


def test_docx_declared_sizes_are_checked_before_decompressing(tmp_path: Path) -> None:
    path = tmp_path / "anh.docx"
    document = docx.Document()
    document.add_paragraph(LINE)
    document.save(path)
    with zipfile.ZipFile(path, "a") as archive:
        # Hex digits compress about 2:1: 1.2 MB unpacked, within 1 MB on disk.
        archive.writestr("word/media/image1.png", os.urandom(600_000).hex(), zipfile.ZIP_DEFLATED)
    problem = problem_of(path, ReadSettings(max_mb=1))
    assert problem.code == "expanding_file" and "word/media/image1.png" in problem.message
    assert_names_file_and_limit(problem, path, "1 MB")
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("word/media/image2.png", os.urandom(500_000).hex(), zipfile.ZIP_DEFLATED)
    problem = problem_of(path, ReadSettings(max_mb=2))
    assert problem.code == "too_large_document" and "2 MB" in problem.message  # the parts together
    [doc] = read_file(path, settings=ReadSettings(max_mb=3))
    assert LINE in doc.text


def test_docx_compression_ratio(tmp_path: Path) -> None:
    # 2 MB of one paragraph repeated: a few KB compressed.
    path = docx_with_body(tmp_path / "lap.docx", lambda body: body.write(paragraphs_xml([LINE] * 16_000)))
    with zipfile.ZipFile(path) as archive:
        body = archive.getinfo("word/document.xml")
    assert body.file_size > 2_000_000 and body.file_size > 200 * body.compress_size
    problem = problem_of(path)
    assert problem.code == "expanding_file" and "word/document.xml" in problem.message
    assert "200:1" in problem.message and "VANBAN_MAX_COMPRESSION_RATIO" in problem.message
    [doc] = read_file(path, settings=ReadSettings(max_compression_ratio=100_000))
    assert doc.text.count(LINE) == 16_000


def test_docx_part_larger_than_declared_is_refused(tmp_path: Path) -> None:
    """A central directory that understates a part's size: the data past it is never produced."""
    text = b"<w:p><w:r><w:t>" + b"a" * 20_000_000 + b"</w:t></w:r></w:p>"
    path = docx_with_body(tmp_path / "noi-doi.docx", lambda body: body.write(text))
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        real = archive.getinfo("word/document.xml").file_size
    entry = _central_entry(data, b"word/document.xml")
    assert int.from_bytes(data[entry + 24 : entry + 28], "little") == real
    data[entry + 24 : entry + 28] = (1000).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    start = time.perf_counter()
    problem = problem_of(path)
    assert problem.code == "corrupt_docx" and time.perf_counter() - start < 5


def _central_entry(data: bytearray, name: bytes) -> int:
    at = data.index(b"PK\x01\x02")
    while True:
        name_length = int.from_bytes(data[at + 28 : at + 30], "little")
        if data[at + 46 : at + 46 + name_length] == name:
            return at
        extra = int.from_bytes(data[at + 30 : at + 32], "little")
        comment = int.from_bytes(data[at + 32 : at + 34], "little")
        at += 46 + name_length + extra + comment


def test_capped_stream_stops_one_byte_past_its_cap() -> None:
    class Endless(io.RawIOBase):
        served = 0

        def read(self, size: int = -1) -> bytes:
            size = 1 << 30 if size < 0 else size
            self.served += size
            return b"a" * size

    raw = Endless()
    stream = CappedStream(raw, 10)
    assert stream.read(4) == b"aaaa"
    with pytest.raises(TooLarge):
        stream.read()
    assert raw.served == 4 + 7


def test_a_long_docx_reads_in_seconds(tmp_path: Path) -> None:
    """python-docx looks a style up by scanning them all; once per paragraph, 20,000 paragraphs took 39 s."""
    body_xml = paragraphs_xml(f"Đoạn {j}" for j in range(20_000))
    path = docx_with_body(tmp_path / "dai.docx", lambda body: body.write(body_xml))
    start = time.perf_counter()
    [doc] = read_file(path)
    assert doc.text.count("Đoạn") == 20_000
    assert time.perf_counter() - start < 10


# --------------------------------------------------------------------------- PDF


def test_pdf_page_limit_is_checked_before_extracting(tmp_path: Path) -> None:
    writer = PdfWriter()
    for _ in range(3):
        writer.add_blank_page(width=595, height=842)
    path = tmp_path / "ba-trang.pdf"
    with path.open("wb") as out:
        writer.write(out)
    problem = problem_of(path, ReadSettings(max_pages=2))
    assert problem.code == "too_large_document"
    assert_names_file_and_limit(problem, path, "2 trang")
    assert "VANBAN_MAX_DOCUMENT_PAGES" in problem.message
    assert problem_of(path, ReadSettings(max_pages=3)).code == "no_text"  # read, and found blank


def test_pdf_character_limit_stops_extraction(tmp_path: Path) -> None:
    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    for page in range(3):
        pdf.add_page()
        pdf.multi_cell(0, 6, f"Page {page + 1}. " + "The district people's committee reports. " * 10)
    path = tmp_path / "chu.pdf"
    pdf.output(str(path))
    [doc] = read_file(path)
    problem = problem_of(path, ReadSettings(max_chars=len(doc.text) // 2))
    assert problem.code == "too_large_document" and "ký tự" in problem.message


def test_byte_limit_for_pdf_and_text(tmp_path: Path) -> None:
    path = tmp_path / "lon.pdf"
    path.write_bytes(b"%PDF-1.4\n" + b"%" * 1_100_000)
    problem = problem_of(path, ReadSettings(max_mb=1))
    assert problem.code == "too_large_document" and "1 MB" in problem.message
    text = tmp_path / "lon.txt"
    text.write_text(LINE * 20_000, encoding="utf-8")  # 1.7 MB
    problem = problem_of(text, ReadSettings(max_mb=1))
    assert problem.code == "too_large_document" and "VANBAN_MAX_DOCUMENT_MB" in problem.message


# --------------------------------------------------------------------------- text and JSONL


@pytest.mark.parametrize("name", ["dai.txt", "dai.md"])
def test_text_character_and_paragraph_limits(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("\n\n".join([LINE] * 5), encoding="utf-8")
    problem = problem_of(path, ReadSettings(max_chars=4 * len(LINE)))
    assert problem.code == "too_large_document" and "ký tự" in problem.message
    assert_names_file_and_limit(problem, path, "ký tự")
    problem = problem_of(path, ReadSettings(max_paragraphs=4))
    assert problem.code == "too_large_document" and "4 đoạn văn" in problem.message
    [doc] = read_file(path, settings=ReadSettings(max_paragraphs=5, max_chars=5 * len(LINE) + 8))
    assert doc.text.count(LINE) == 5


def test_text_longer_than_four_bytes_a_character_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "rat-dai.txt"
    path.write_bytes(b"a" * 401)
    problem = problem_of(path, ReadSettings(max_chars=100))
    assert problem.code == "too_large_document" and "100 ký tự" in problem.message


@pytest.mark.parametrize("name", ["luat.jsonl", "luat.jsonl.gz"])
def test_jsonl_record_past_a_limit_is_skipped_and_the_others_read(tmp_path: Path, name: str) -> None:
    import gzip

    records = [
        {"id": "ngan", "text": LINE},
        {"id": "dai", "text": LINE * 3},
        {"id": "rat-dai", "text": "\u1ec7" * 50_000},  # 300 KB escaped: never read whole
        {"id": "nhieu-doan", "text": "\n".join([LINE[:20]] * 6)},
        {"id": "cuoi", "text": LINE},
    ]
    data = "\n".join(json.dumps(r) for r in records).encode() + b"\n"
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    settings = ReadSettings(max_chars=2 * len(LINE), max_paragraphs=5)
    items = list(read_path(path, tmp_path, settings))
    assert [i.doc_id for i in items if isinstance(i, RawDocument)] == ["ngan", "cuoi"]
    problems = [i for i in items if isinstance(i, ReadProblem)]
    assert [(p.code, p.level) for p in problems] == [("too_large_document", "warning")] * 3
    assert "'dai'" in problems[0].message and "dòng 2" in problems[0].message and name in problems[0].message
    assert "dòng 3" in problems[1].message and "ký tự" in problems[1].message
    assert "'nhieu-doan'" in problems[2].message and "5 đoạn văn" in problems[2].message


# --------------------------------------------------------------------------- symbolic links


def test_a_link_out_of_an_indexed_folder_is_not_indexed_unless_allowed(tmp_path: Path) -> None:
    secret = tmp_path / "etc" / "shadow.txt"
    secret.parent.mkdir()
    secret.write_text("Tài khoản quản trị: mật khẩu bí mật", encoding="utf-8")
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text(LINE, encoding="utf-8")
    os.symlink(secret, folder / "b.txt")

    def index(data: Path, follow: bool):
        settings = index_settings(Settings.from_env({"VANBAN_FOLLOW_SYMLINKS": "1" if follow else "0"}))
        report = Indexer(data, HashEncoder(), approx_tokens, settings).run([folder])
        searcher = Searcher(SnapshotDir(data).require_current(), HashEncoder())
        found = searcher.search("mật khẩu bí mật", k=5, mode="lexical").results
        return report, searcher.store.document("b.txt"), {hit.doc_id for hit in found}

    report, linked, found = index(tmp_path / "data", follow=False)
    assert linked is None and "b.txt" not in found
    assert [(p.code, p.level) for p in report.problems] == [("symlink_outside_root", "warning")]
    assert report.documents_indexed == 1
    report, linked, found = index(tmp_path / "data-followed", follow=True)
    assert linked is not None and "b.txt" in found and report.problems == []


# --------------------------------------------------------------------------- settings


def test_settings_from_environment_reach_the_readers() -> None:
    defaults = read_settings(Settings.from_env({}))
    assert defaults == ReadSettings(ocr_cache_dir=Settings.from_env({}).index_dir)
    env = {
        "VANBAN_MAX_DOCUMENT_MB": "5",
        "VANBAN_MAX_DOCUMENT_PARAGRAPHS": "6",
        "VANBAN_MAX_DOCUMENT_PAGES": "7",
        "VANBAN_MAX_DOCUMENT_CHARS": "8",
        "VANBAN_MAX_COMPRESSION_RATIO": "9",
        "VANBAN_FOLLOW_SYMLINKS": "1",
        "VANBAN_OCR_MAX_PAGES": "10",
        "VANBAN_OCR_PAGE_SECONDS": "2.5",
    }
    expected = ReadSettings(
        max_mb=5, max_paragraphs=6, max_pages=7, max_chars=8, max_compression_ratio=9, follow_symlinks=True,
        ocr_cache_dir=Settings.from_env(env).index_dir, ocr_max_pages=10, ocr_page_seconds=2.5,
    )
    assert read_settings(Settings.from_env(env)) == expected


@pytest.mark.parametrize(
    ("raw", "value"), [("1", True), ("true", True), ("Yes", True), ("0", False), ("false", False), ("off", False)]
)
def test_boolean_settings(raw: str, value: bool) -> None:
    assert Settings.from_env({"VANBAN_FOLLOW_SYMLINKS": raw}).follow_symlinks is value


def test_bad_boolean_setting_is_refused() -> None:
    with pytest.raises(ValueError, match="VANBAN_FOLLOW_SYMLINKS"):
        Settings.from_env({"VANBAN_FOLLOW_SYMLINKS": "có lẽ"})


def test_document_read_error_carries_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "dai.txt"
    path.write_text(LINE, encoding="utf-8")
    with pytest.raises(DocumentReadError) as info:
        list(read_file(path, settings=ReadSettings(max_chars=10)))
    assert info.value.code == "too_large_document" and info.value.problem().level == "error"
