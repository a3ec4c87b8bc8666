"""Old formats: TCVN3 and VNI text (corpus.legacy_text, in .txt/.md and DOCX runs) and Word 97–2003 .doc.

The legacy files are made here from the bundled fictional samples with our own
tables (``legacy_text.encode``), the .doc files with LibreOffice where it is
installed; ``tests/fixtures/legacy/`` holds one .doc made from a sample for the
machines without it.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import unicodedata
from dataclasses import asdict
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from docx.text.run import Run

from conftest import SAMPLES
from corpus import legacy_text
from corpus.chunker import approx_tokens
from corpus.models import RawDocument, ReadProblem
from corpus.pipeline import ParsedFile, parse_paths
from corpus.readers import doc as doc_reader
from corpus.readers import iter_documents, read_file
from search_api.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "legacy"
DOCX_SAMPLE = SAMPLES / "2024-10-tb-236-ket-luan-phien-hop-thang-9.docx"
DOC_FIXTURE = FIXTURES / "2024-10-tb-236-ket-luan-phien-hop-thang-9.doc"
TEXT_SAMPLES = sorted([*SAMPLES.glob("*.md"), *SAMPLES.glob("*.txt")])
# The sample the done-when test encodes in TCVN3: one whose every character TCVN3 can hold.
TCVN3_SAMPLE = SAMPLES / "2024-09-cv-812-khac-phuc-hau-qua-bao-so-3.md"

def _require(tool: str, package: str) -> None:
    # A missing tool fails the test (scripts/install.sh installs it as CI does): never a skip counted as a pass.
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is missing: `bash scripts/install.sh` as root installs Debian's {package}", pytrace=False)


@pytest.fixture
def libreoffice() -> None:
    _require("soffice", "libreoffice-writer-nogui")


@pytest.fixture
def antiword() -> None:
    _require("antiword", "antiword")


needs_libreoffice = pytest.mark.usefixtures("libreoffice")
needs_antiword = pytest.mark.usefixtures("antiword")


# --------------------------------------------------------------------------- helpers


def original(path: Path) -> str:
    return unicodedata.normalize("NFC", path.read_text(encoding="utf-8"))


def windows_chars(data: bytes) -> str:
    """The characters a Windows program shows for legacy bytes: cp1252, latin-1 where cp1252 has none."""
    return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in data)


def tcvn3_safe(text: str) -> str:
    # The samples' footnote mark "¹" is TCVN3's byte for "ạ": a TCVN3 file cannot hold it.
    return text.replace("¹", "1")


def parse(path: Path) -> ParsedFile:
    [item] = parse_paths([path], approx_tokens)
    assert isinstance(item, ParsedFile), item
    return item


def same_document(a: ParsedFile, b: ParsedFile) -> None:
    assert asdict(a.parsed.metadata) == asdict(b.parsed.metadata)
    assert [c.text for c in a.chunks] == [c.text for c in b.chunks]
    assert [c.heading_path for c in a.chunks] == [c.heading_path for c in b.chunks]


def legacy_docx(source: Path, target: Path, encoding: str) -> None:
    """``source`` retyped the pre-Unicode way: every run in a legacy font holding legacy characters.

    TCVN3 capitals go in .VnTimeH with the lower-case codes, as they were typed.
    """
    document = docx.Document(str(source))
    for p in document.element.body.iter(qn("w:p")):
        for r in p.iter(qn("w:r")):
            run = Run(r, None)
            text = run.text
            if not text:
                continue
            if encoding == "tcvn3" and text == text.upper() != text.lower():
                run.text, run.font.name = windows_chars(legacy_text.encode(text.lower(), encoding)), ".VnTimeH"
            else:
                run.text = windows_chars(legacy_text.encode(text, encoding))
                run.font.name = ".VnTime" if encoding == "tcvn3" else "VNI-Times"
    document.save(str(target))


def cp1258_bytes(text: str) -> bytes:
    """Windows-1258 as Windows writes it: letters it lacks as a base letter and a combining tone mark."""
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            base, *marks = unicodedata.normalize("NFD", ch)
            shaped = unicodedata.normalize("NFC", base + "".join(m for m in marks if m in "\u0302\u0306\u031b"))
            out += (shaped + "".join(m for m in marks if m not in "\u0302\u0306\u031b")).encode("cp1258")
    return bytes(out)


def to_doc(sources: list[Path], out: Path) -> list[Path]:
    subprocess.run(
        ["soffice", f"-env:UserInstallation={(out / 'profile').as_uri()}", "--headless", "--norestore",
         "--convert-to", "doc:MS Word 97", "--outdir", str(out), *map(str, sources)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return [out / f"{s.stem}.doc" for s in sources]


def cli_parse(path: Path, tmp_path: Path) -> dict:
    out, err = io.StringIO(), io.StringIO()
    assert main(["--home", str(tmp_path / "home"), "parse", "--json", str(path)], out, err) == 0, err.getvalue()
    return json.loads(out.getvalue())


# --------------------------------------------------------------------------- the tables


def test_published_examples_convert():
    assert legacy_text.to_unicode("Uû ban nh©n d©n", "tcvn3") == "Uỷ ban nhân dân"
    assert legacy_text.to_unicode("UÛy ban nhaân daân", "vni") == "Ủy ban nhân dân"
    assert legacy_text.to_unicode("Céng hoµ x· héi chñ nghÜa ViÖt Nam", "tcvn3") == "Cộng hoà xã hội chủ nghĩa Việt Nam"
    assert legacy_text.to_unicode("Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam", "vni") == "Cộng hòa xã hội chủ nghĩa Việt Nam"
    assert legacy_text.to_unicode("ÑOÄC LAÄP - TÖÏ DO - HAÏNH PHUÙC", "vni") == "ĐỘC LẬP - TỰ DO - HẠNH PHÚC"


def test_every_vietnamese_letter_round_trips_in_both_encodings():
    letters = "".join(
        unicodedata.normalize("NFC", base + tone)
        for base in "aăâeêioôơuưyAĂÂEÊIOÔƠUƯY"
        for tone in ("", "\u0300", "\u0309", "\u0303", "\u0301", "\u0323")
    ) + "đĐ"
    assert len({ch for ch in letters if not ch.isascii()}) == 134  # every Vietnamese letter beyond ASCII
    for encoding in legacy_text.ENCODINGS:
        data = legacy_text.encode(letters, encoding)
        assert legacy_text.to_unicode(windows_chars(data), encoding) == letters
        assert legacy_text.to_unicode(data.decode("latin-1"), encoding) == letters


def test_tcvn3_table_agrees_with_glibc():
    """An independent copy of TCVN 5712:1993 (glibc's TCVN5712-1) reads every byte as our table does."""
    _require("iconv", "libc-bin")
    probe = subprocess.run(["iconv", "-f", "TCVN5712-1", "-t", "UTF-8"], input=b"a", capture_output=True)
    assert probe.returncode == 0, "this iconv has no TCVN5712-1"
    for byte in [*range(1, 0x20), *range(0x80, 0x100)]:
        theirs = subprocess.run(["iconv", "-f", "TCVN5712-1", "-t", "UTF-8"], input=bytes([byte]), capture_output=True)
        if theirs.returncode == 0 and theirs.stdout.decode() != chr(byte):
            assert legacy_text.to_unicode(chr(byte), "tcvn3") == unicodedata.normalize("NFC", theirs.stdout.decode()), hex(byte)


def test_a_character_the_encoding_cannot_hold_is_refused_not_miswritten():
    with pytest.raises(ValueError, match="tcvn3"):
        legacy_text.encode("chú thích¹", "tcvn3")  # byte 0xB9 is "ạ" in TCVN3
    assert legacy_text.to_unicode(windows_chars(legacy_text.encode("chú thích¹", "vni")), "vni") == "chú thích¹"


@pytest.mark.parametrize("path", TEXT_SAMPLES, ids=lambda p: p.name)
@pytest.mark.parametrize("encoding", legacy_text.ENCODINGS)
def test_samples_round_trip_and_are_detected(path, encoding):
    text = original(path)
    if encoding == "tcvn3":
        text = tcvn3_safe(text)
    legacy = windows_chars(legacy_text.encode(text, encoding))
    found = legacy_text.detect(legacy)
    assert found is not None and found.encoding == encoding
    assert found.valid > 0.95 and found.valid_as_is < 0.3
    assert legacy_text.to_unicode(legacy, encoding) == text


@pytest.mark.parametrize("path", TEXT_SAMPLES, ids=lambda p: p.name)
def test_unicode_and_cp1258_samples_are_not_taken_for_legacy(path):
    text = original(path)
    assert legacy_text.detect(text) is None
    assert legacy_text.detect(cp1258_bytes(text).decode("latin-1")) is None


@pytest.mark.parametrize(
    "text",
    [
        "The quick brown fox jumps over the lazy dog. " * 40,
        "L'été dernier, nous sommes allés à la plage près de Nice; c'était très agréable. Où êtes-vous ? " * 20,
        "Über die Brücke gehen wir zur Straße, während die Mädchen im Garten spielen. " * 20,
        "“Quoted” – dashes — and… bullets • ‘single’ " * 30,
        # Unicode Vietnamese whose letters all happen to be in Latin-1: valid as it stands.
        "bà má cô dì chú bác có nhà ở xã là ông bà già về quê ăn tết " * 5,
    ],
)
def test_ordinary_text_is_not_taken_for_legacy(text):
    assert legacy_text.detect(text) is None


def test_syllable_check():
    for word in ("nghiêng", "Quyết", "giữa", "ĐƯỜNG", "khuya", "thuở", "xoong", "oái"):
        assert legacy_text.is_syllable(word), word
    for word in ("nh©n", "Uû", "nhaân", "été", "bàá", "xyz"):
        assert not legacy_text.is_syllable(word), word


# --------------------------------------------------------------------------- text files


@pytest.mark.parametrize("encoding", legacy_text.ENCODINGS)
@pytest.mark.parametrize("path", TEXT_SAMPLES, ids=lambda p: p.name)
def test_legacy_text_files_read_as_the_original(tmp_path, path, encoding):
    text = original(path)
    if encoding == "tcvn3":
        text = tcvn3_safe(text)
    data = legacy_text.encode(text, encoding)
    # As the old editor saved it, and as UTF-8 holding the characters (text copied out of a .VnTime document).
    (tmp_path / "bytes").mkdir()
    (tmp_path / "utf8").mkdir()
    (tmp_path / "bytes" / path.name).write_bytes(data)
    (tmp_path / "utf8" / path.name).write_text(windows_chars(data), encoding="utf-8")
    (tmp_path / "unicode").mkdir()
    (tmp_path / "unicode" / path.name).write_text(text, encoding="utf-8")
    [expected] = read_file(tmp_path / "unicode" / path.name)
    for folder in ("bytes", "utf8"):
        [raw] = read_file(tmp_path / folder / path.name)
        assert raw.text == expected.text
        assert raw.encoding == encoding
        assert len(raw.warnings) == 1 and ("TCVN3" if encoding == "tcvn3" else "VNI") in raw.warnings[0]


@pytest.mark.parametrize("path", TEXT_SAMPLES, ids=lambda p: p.name)
def test_unicode_and_cp1258_files_are_not_converted(tmp_path, path):
    [raw] = read_file(path)
    assert raw.encoding == "utf-8" and raw.warnings == []
    copy = tmp_path / path.name
    copy.write_bytes(cp1258_bytes(original(path)))
    [raw1258] = read_file(copy)
    assert raw1258.encoding == "cp1258" and raw1258.text == raw.text
    assert not any("TCVN3" in w or "VNI" in w for w in raw1258.warnings)


@pytest.mark.parametrize("encoding", legacy_text.ENCODINGS)
def test_legacy_copy_of_a_sample_parses_to_the_same_metadata_and_passages(tmp_path, encoding):
    """Done-when: a TCVN3 (and a VNI) copy of a sample document parses as the original does."""
    copy = tmp_path / TCVN3_SAMPLE.name
    copy.write_bytes(legacy_text.encode(original(TCVN3_SAMPLE), encoding))
    converted, expected = parse(copy), parse(TCVN3_SAMPLE)
    same_document(converted, expected)
    assert expected.parsed.metadata.number and expected.chunks


# --------------------------------------------------------------------------- DOCX runs


@pytest.mark.parametrize("encoding", legacy_text.ENCODINGS)
def test_docx_runs_in_legacy_fonts_are_converted(tmp_path, encoding):
    target = tmp_path / DOCX_SAMPLE.name
    legacy_docx(DOCX_SAMPLE, target, encoding)
    [raw] = read_file(target)
    [expected] = read_file(DOCX_SAMPLE)
    assert (raw.text, raw.bold, raw.headings) == (expected.text, expected.bold, expected.headings)
    assert len(raw.warnings) == 1 and ("TCVN3" if encoding == "tcvn3" else "VNI") in raw.warnings[0]
    same_document(parse(target), parse(DOCX_SAMPLE))


def test_unicode_typed_in_a_legacy_font_is_left_alone(tmp_path):
    """A modern document made from an old .VnTime template, and one typed in TCVN3 then edited in Unicode."""
    document = docx.Document()
    unicode_lines = ["Ủy ban nhân dân huyện Sông Mây", "bà má cô dì chú bác có nhà ở xã"]
    for line in unicode_lines:
        document.add_paragraph().add_run(line).font.name = ".VnTime"
    old = document.add_paragraph().add_run(windows_chars(legacy_text.encode("Kết luận của Chủ tịch huyện", "tcvn3")))
    path = tmp_path / "mixed.docx"
    document.save(str(path))
    [raw] = read_file(path)
    assert raw.text.split("\n\n") == [*unicode_lines, windows_chars(legacy_text.encode("Kết luận của Chủ tịch huyện", "tcvn3"))]
    assert raw.warnings == []
    old.font.name = ".VnTime"
    document.save(str(path))
    [raw] = read_file(path)
    assert raw.text.split("\n\n") == [*unicode_lines, "Kết luận của Chủ tịch huyện"]
    assert len(raw.warnings) == 1


def test_legacy_font_from_the_paragraph_style(tmp_path):
    document = docx.Document()
    document.styles["Normal"].font.name = ".VnTime"
    document.add_paragraph(windows_chars(legacy_text.encode("Thông báo kết luận của Chủ tịch Ủy ban nhân dân", "tcvn3")))
    heading = document.add_paragraph()
    heading.add_run(windows_chars(legacy_text.encode("thông báo", "tcvn3"))).font.name = ".VnTimeH"
    path = tmp_path / "styled.docx"
    document.save(str(path))
    [raw] = read_file(path)
    assert raw.text == "Thông báo kết luận của Chủ tịch Ủy ban nhân dân\n\nTHÔNG BÁO"


# --------------------------------------------------------------------------- .doc


@needs_libreoffice
def test_doc_parses_to_the_same_metadata_and_passages_as_the_docx():
    """Done-when: the sample saved as Word 97–2003 parses as the .docx does."""
    converted, original_docx = parse(DOC_FIXTURE), parse(DOCX_SAMPLE)
    raw, expected = converted.parsed.raw, original_docx.parsed.raw
    assert raw.format == "doc" and raw.source == str(DOC_FIXTURE) and raw.warnings == []
    assert (raw.text, raw.bold, raw.headings, raw.title) == (expected.text, expected.bold, expected.headings, expected.title)
    same_document(converted, original_docx)


@needs_libreoffice
def test_vanban_parse_json_on_a_doc(tmp_path):
    doc, original_docx = cli_parse(DOC_FIXTURE, tmp_path), cli_parse(DOCX_SAMPLE, tmp_path)
    assert doc["document"]["format"] == "doc" and doc["document"]["warnings"] == []
    assert doc["metadata"] == original_docx["metadata"]
    assert [c["text"] for c in doc["chunks"]] == [c["text"] for c in original_docx["chunks"]]
    assert [s["heading"] for s in doc["sections"]] == [s["heading"] for s in original_docx["sections"]]


@needs_libreoffice
def test_doc_typed_in_tcvn3_and_vni_fonts(tmp_path):
    sources = []
    for encoding in legacy_text.ENCODINGS:
        (tmp_path / encoding).mkdir()
        sources.append(tmp_path / encoding / f"{encoding}.docx")
        legacy_docx(DOCX_SAMPLE, sources[-1], encoding)
    expected = parse(DOCX_SAMPLE)
    for encoding, path in zip(legacy_text.ENCODINGS, to_doc(sources, tmp_path)):
        converted = parse(path)
        raw = converted.parsed.raw
        assert raw.text == expected.parsed.raw.text
        assert len(raw.warnings) == 1 and ("TCVN3" if encoding == "tcvn3" else "VNI") in raw.warnings[0]
        same_document(converted, expected)


@needs_libreoffice
def test_damaged_or_disguised_doc_files(tmp_path):
    truncated = tmp_path / "cut.doc"
    truncated.write_bytes(DOC_FIXTURE.read_bytes()[:3000])
    not_word = tmp_path / "notes.doc"
    not_word.write_bytes(b"just some bytes, not a document")
    rtf = tmp_path / "wordpad.doc"
    rtf.write_bytes(rb"{\rtf1\ansi Th\u244?ng b\u225?o k\u7871?t lu\u7853?n\par}")
    [cut, junk, from_rtf] = [next(iter_documents([p])) for p in (truncated, not_word, rtf)]
    assert isinstance(cut, ReadProblem) and cut.code == "corrupt_doc" and cut.level == "error"
    assert isinstance(junk, ReadProblem) and junk.code == "corrupt_doc"
    assert isinstance(from_rtf, RawDocument) and from_rtf.text == "Thông báo kết luận"


@needs_antiword
def test_doc_without_libreoffice_reads_the_text_with_antiword(monkeypatch):
    monkeypatch.setattr(doc_reader, "find_program", lambda name: shutil.which(name) if name == "antiword" else None)
    converted, expected = parse(DOC_FIXTURE), parse(DOCX_SAMPLE)
    raw = converted.parsed.raw
    assert raw.format == "doc" and "libreoffice-writer-nogui" in raw.warnings[0]
    # The header and its metadata survive; list numbers, bold and headings do not (see corpus/readers/doc.py).
    assert asdict(converted.parsed.metadata) == asdict(expected.parsed.metadata)
    assert "Xã Thượng Vân | 42 | 31 | 286 | 118" in raw.text.split("\n\n")
    words = {w for w in expected.parsed.raw.text.split() if not w[0].isdigit()}
    assert words - set(raw.text.split()) <= {"-"}


def test_doc_without_a_converter_is_a_clear_error_and_the_rest_is_indexed(tmp_path, monkeypatch):
    monkeypatch.setattr(doc_reader, "find_program", lambda name: None)
    shutil.copy(DOC_FIXTURE, tmp_path / "cu.doc")
    shutil.copy(TCVN3_SAMPLE, tmp_path / "moi.md")
    items = list(iter_documents([tmp_path]))
    [problem] = [i for i in items if isinstance(i, ReadProblem)]
    assert (problem.code, problem.level, problem.path) == ("doc_unsupported", "error", str(tmp_path / "cu.doc"))
    assert "libreoffice-writer-nogui" in problem.message and "antiword" in problem.message
    assert [d.doc_id for d in items if isinstance(d, RawDocument)] == ["moi.md"]


def test_a_stuck_converter_is_stopped(tmp_path, monkeypatch):
    monkeypatch.setattr(doc_reader, "CONVERT_TIMEOUT_S", 0.5)
    with pytest.raises(doc_reader.DocumentReadError) as info:
        doc_reader._run(tmp_path / "slow.doc", ["sh", "-c", "sleep 30 & sleep 30"])
    assert info.value.code == "doc_timeout"
