"""Tests for corpus.readers: every fixture is built here, in tmp_path, from real libraries."""

from __future__ import annotations

import codecs
import gzip
import inspect
import json
import os
import random
import unicodedata
from itertools import pairwise
from pathlib import Path

import docx
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from fpdf import FPDF
from pypdf import PdfWriter

from conftest import shared_path
from corpus.models import DocumentReadError, RawDocument, ReadProblem
from corpus.readers import SUPPORTED_SUFFIXES, ReadSettings, iter_documents, read_file
from corpus.readers.docx_numbering import format_number
from corpus.readers.markup import strip_markup
from corpus.readers.paragraphs import is_header_line, starts_item

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")

SENTENCE = "Quyết định về việc thành lập Hội đồng thẩm định dự án đầu tư công năm 2024"
LONG = (
    "Ngày 17/7/2024, Ủy ban nhân dân huyện Thường Xuân đã tổ chức hội nghị sơ kết công tác "
    "6 tháng đầu năm, triển khai nhiệm vụ 6 tháng cuối năm 2024 và giao ban với Chủ tịch Ủy ban "
    "nhân dân các xã, thị trấn; hội nghị do đồng chí Chủ tịch Ủy ban nhân dân huyện chủ trì."
)
SIGNATURE = "TL. CHỦ TỊCH\nCHÁNH VĂN PHÒNG"


# --------------------------------------------------------------------------- helpers


def one(path: Path, root: Path | None = None) -> RawDocument:
    docs = list(read_file(path, root))
    assert len(docs) == 1
    return docs[0]


def read_error(path: Path) -> DocumentReadError:
    with pytest.raises(DocumentReadError) as info:
        list(read_file(path))
    err = info.value
    assert err.path == str(path)
    assert path.name in str(err) and path.name in str(err.problem())
    assert err.message and err.code
    return err


def texts(doc: RawDocument, spans: list[tuple[int, int]]) -> list[str]:
    return [doc.text[a:b] for a, b in spans]


def cp1258_form(text: str) -> str:
    """Text as cp1258 stores Vietnamese: letters like "ê", "ơ", "ă" precomposed, tone marks combining."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = []
    for ch in unicodedata.normalize("NFC", text):
        parts = nfd(ch)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
        out.append(base + "".join(c for c in parts if c in tones))
    return "".join(out)


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def assert_nfc(text: str) -> None:
    assert unicodedata.is_normalized("NFC", text)


@pytest.fixture(scope="session")
def fonts() -> tuple[Path, Path]:
    regular, bold = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
    missing = [str(p) for p in (regular, bold) if not p.is_file()]
    if missing:
        pytest.fail(
            f"Missing fonts {missing}: the PDF tests need a TTF with Vietnamese glyphs. "
            "Install Debian's fonts-dejavu-core (apt-get install fonts-dejavu-core)."
        )
    return regular, bold


class _NumberedPdf(FPDF):
    """Prints the page number in the footer, as many administrative PDFs do."""

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("DejaVu", "", 10)
        self.cell(0, 10, str(self.page_no()), align="C")


def make_pdf(path: Path, fonts: tuple[Path, Path], pages: list[list[tuple[str, str]]], numbered: bool = False) -> Path:
    """One PDF page per item of ``pages``; each line is (style, text), style "" or "B"."""
    pdf = _NumberedPdf() if numbered else FPDF()
    pdf.add_font("DejaVu", "", str(fonts[0]))
    pdf.add_font("DejaVu", "B", str(fonts[1]))
    pdf.set_font("DejaVu", "", 12)
    for page in pages:
        pdf.add_page()
        for style, text in page:
            pdf.set_font("DejaVu", style, 12)
            pdf.multi_cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
    pdf.output(str(path))
    return path


def three_page_pdf(path: Path, fonts: tuple[Path, Path]) -> Path:
    return make_pdf(
        path,
        fonts,
        [
            [
                ("B", "ỦY BAN NHÂN DÂN\nHUYỆN THƯỜNG XUÂN"),
                ("", "Số: 163/TB-UBND"),
                ("B", "THÔNG BÁO"),
                ("", LONG),
                ("", "1. Về kết quả đạt được"),
                ("", "- Sản xuất nông nghiệp khá toàn diện, không để xảy ra dịch bệnh lớn."),
                ("", "a) Thu hoạch cây trồng vụ Đông tăng 5,7%;"),
            ],
            [
                ("B", "Điều 5. Trách nhiệm thi hành"),
                (
                    "",
                    "Chánh Văn phòng, Trưởng các phòng, ban, ngành cấp huyện và Chủ tịch Ủy ban nhân dân "
                    "các xã, thị trấn chịu trách nhiệm thi hành Thông báo này.",
                ),
            ],
            [
                ("B", SIGNATURE),
                ("", "Nguyễn Văn An"),
            ],
        ],
    )


def add_numbering(document: docx.document.Document, abstract_id: int, levels: list[tuple[str, str]]) -> str:
    """Add a list definition (numFmt, lvlText per level) to the numbering part; return its numId."""
    numbering = document.part.numbering_part.element
    lvls = "".join(
        f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/><w:lvlText w:val="{text}"/></w:lvl>'
        for i, (fmt, text) in enumerate(levels)
    )
    abstract = parse_xml(f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{abstract_id}">{lvls}</w:abstractNum>')
    nums = numbering.findall(qn("w:num"))
    # The schema wants every abstractNum before the first num.
    if nums:
        nums[0].addprevious(abstract)
    else:
        numbering.append(abstract)
    num_id = str(abstract_id)
    num = f'<w:num {nsdecls("w")} w:numId="{num_id}"><w:abstractNumId w:val="{abstract_id}"/></w:num>'
    numbering.append(parse_xml(num))
    return num_id


def list_paragraph(document: docx.document.Document, text: str, num_id: str, ilvl: int) -> None:
    paragraph = document.add_paragraph(text)
    paragraph._p.get_or_add_pPr().append(
        parse_xml(f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{ilvl}"/><w:numId w:val="{num_id}"/></w:numPr>')
    )


# --------------------------------------------------------------------------- text files


def test_utf8_text_is_nfc_with_unix_newlines(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(nfd(f"{SENTENCE}\r\nDòng hai\rDòng ba\n").encode("utf-8"))
    doc = one(path)
    assert doc.text == f"{SENTENCE}\nDòng hai\nDòng ba\n"
    assert_nfc(doc.text)
    assert (doc.doc_id, doc.format, doc.encoding, doc.warnings) == ("a.txt", "txt", "utf-8", [])
    assert doc.source == str(path) and doc.mtime == path.stat().st_mtime
    assert doc.pages == [] and doc.pages_for(0, 5) is None


def test_utf8_bom_is_stripped(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(codecs.BOM_UTF8 + SENTENCE.encode("utf-8"))
    doc = one(path)
    assert doc.text == SENTENCE
    assert doc.encoding == "utf-8-sig" and doc.warnings == []


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_with_bom(tmp_path: Path, codec: str) -> None:
    bom = codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE
    path = tmp_path / "u16.txt"
    path.write_bytes(bom + f"{SENTENCE}\r\n".encode(codec))
    doc = one(path)
    assert doc.text == f"{SENTENCE}\n"
    assert doc.encoding == "utf-16"
    assert len(doc.warnings) == 1 and "UTF-16" in doc.warnings[0]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_recognised(tmp_path: Path, codec: str) -> None:
    source = f"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\r\nĐộc lập - Tự do - Hạnh phúc\r\n\r\n{SENTENCE}\r\n{LONG}\r\n"
    path = tmp_path / "u16.txt"
    path.write_bytes(nfd(source).encode(codec))
    doc = one(path)
    assert doc.text == source.replace("\r\n", "\n")
    assert_nfc(doc.text)
    assert doc.encoding == codec
    assert len(doc.warnings) == 1 and f"UTF-16 {codec[-2:].upper()}" in doc.warnings[0] and "BOM" in doc.warnings[0]


def test_cp1258_is_decoded_and_composed(tmp_path: Path) -> None:
    path = tmp_path / "cp.txt"
    path.write_bytes(cp1258_form(SENTENCE).encode("cp1258"))
    doc = one(path)
    assert doc.text == SENTENCE
    assert_nfc(doc.text)
    assert doc.encoding == "cp1258"
    assert len(doc.warnings) == 1 and "cp1258" in doc.warnings[0]


def test_markdown_emphasis_is_stripped_and_bold_recorded(tmp_path: Path) -> None:
    source = (
        "Đồng chí **Nguyễn Quốc Phương**, Bí thư Huyện ủy phát biểu (*theo báo cáo*).\n"
        "Một __cụm đậm__ và _nghiêng_; giữ số_3 và ten_bien_dai, 5 * 3 và dấu * lẻ.\n"
        "* mục đầu dòng\n"
        "- * **Trung tâm Dịch vụ nông nghiệp:** Tiếp tục tham mưu.\n"
        "*** Phòng Tài chính - Kế hoạch**\n"
        "\n"
        f"**{SIGNATURE}**\n"
    )
    path = tmp_path / "emphasis.txt"
    path.write_text(source, encoding="utf-8")
    doc = one(path)
    assert doc.text == (
        "Đồng chí Nguyễn Quốc Phương, Bí thư Huyện ủy phát biểu (theo báo cáo).\n"
        "Một cụm đậm và nghiêng; giữ số_3 và ten_bien_dai, 5 * 3 và dấu * lẻ.\n"
        "* mục đầu dòng\n"
        "- * Trung tâm Dịch vụ nông nghiệp: Tiếp tục tham mưu.\n"
        "* Phòng Tài chính - Kế hoạch\n"
        "\n"
        f"{SIGNATURE}\n"
    )
    assert texts(doc, doc.bold) == [
        "Nguyễn Quốc Phương",
        "cụm đậm",
        "Trung tâm Dịch vụ nông nghiệp:",
        "Phòng Tài chính - Kế hoạch",
        SIGNATURE,
    ]
    assert doc.headings == []


def test_emphasis_edge_cases() -> None:
    cases = {
        "***đậm nghiêng***": ("đậm nghiêng", ["đậm nghiêng"]),
        "**chưa đóng": ("**chưa đóng", []),
        "**không\n\nqua đoạn**": ("**không\n\nqua đoạn**", []),
        r"\*\*thoát\*\*": ("**thoát**", []),
        "a**b**c": ("abc", ["b"]),
        "snake_case_name": ("snake_case_name", []),
    }
    for source, (text, bold) in cases.items():
        markup = strip_markup(source, markdown_headings=False)
        assert markup.text == text, source
        assert [markup.text[a:b] for a, b in markup.bold] == bold, source


def test_markdown_headings(tmp_path: Path) -> None:
    source = "# Thông báo kết luận\n\nMở đầu.\n\n## 1. Về **kết quả** ##\n\nNội dung #không phải tiêu đề.\n"
    md = tmp_path / "a.md"
    md.write_text(source, encoding="utf-8")
    doc = one(md)
    assert doc.format == "md"
    assert doc.text == "Thông báo kết luận\n\nMở đầu.\n\n1. Về kết quả\n\nNội dung #không phải tiêu đề.\n"
    assert [(doc.text[a:b], level) for a, b, level in doc.headings] == [
        ("Thông báo kết luận", 1),
        ("1. Về kết quả", 2),
    ]
    assert texts(doc, doc.bold) == ["kết quả"]
    txt = tmp_path / "a.txt"
    txt.write_text(source, encoding="utf-8")
    assert one(txt).text.startswith("# Thông báo") and one(txt).headings == []


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "empty_file"),
        (b"  \n\t\r\n ", "empty_file"),
        (codecs.BOM_UTF8 + b"\n", "empty_file"),
        ("\u00a0\u3000\n".encode(), "empty_file"),
        (b"PK\x03\x04\x00\x00binary\x00junk" * 20, "binary_file"),
        (bytes(range(1, 32)) * 10 + "văn bản".encode(), "binary_file"),
        # NULs on both sides of the code units, or all NUL: not UTF-16.
        (random.Random(7).randbytes(4096), "binary_file"),
        (b"\x00" * 512, "binary_file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" * 40, "binary_file"),
        # NULs on one side, but a lone surrogate or control characters once decoded.
        ("văn bản ".encode("utf-16-le") * 20 + b"\x00\xd8", "binary_file"),
        (bytes(range(1, 32)).decode("latin-1").encode("utf-16-le") * 20, "binary_file"),
        ("Văn bản".encode() + b" \x81\x8d \xc3(", "bad_encoding"),
    ],
)
def test_bad_text_files(tmp_path: Path, content: bytes, code: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    assert read_error(path).code == code


# --------------------------------------------------------------------------- PDF


def test_pdf_pages_paragraphs_and_bold(tmp_path: Path, fonts: tuple[Path, Path]) -> None:
    doc = one(three_page_pdf(tmp_path / "tb.pdf", fonts))
    text = doc.text
    assert doc.format == "pdf" and doc.doc_id == "tb.pdf"
    assert_nfc(text)
    # Every character belongs to exactly one page.
    assert [p.page for p in doc.pages] == [1, 2, 3]
    assert doc.pages[0].start == 0 and doc.pages[-1].end == len(text)
    assert all(a.end == b.start for a, b in pairwise(doc.pages))

    def page_of(phrase: str) -> tuple[int, int] | None:
        start = text.index(phrase)
        return doc.pages_for(start, start + len(phrase))

    assert page_of(LONG) == (1, 1)
    assert page_of("Điều 5. Trách nhiệm thi hành") == (2, 2)
    assert page_of("Nguyễn Văn An") == (3, 3)
    # The wrapped paragraph is one line again; items and header lines keep their breaks.
    assert f"\n\n{LONG}\n\n" in text
    assert text.startswith("ỦY BAN NHÂN DÂN\nHUYỆN THƯỜNG XUÂN\n\nSố: 163/TB-UBND\n\nTHÔNG BÁO\n\n")
    for item in ("1. Về kết quả đạt được", "- Sản xuất nông nghiệp", "a) Thu hoạch", "Điều 5."):
        assert f"\n\n{item}" in text
    assert "Thông báo này." in text and "thị trấn chịu trách nhiệm" in text
    bold = texts(doc, doc.bold)
    assert bold == ["ỦY BAN NHÂN DÂN\nHUYỆN THƯỜNG XUÂN", "THÔNG BÁO", "Điều 5. Trách nhiệm thi hành", SIGNATURE]
    assert doc.warnings == []


def test_pdf_decomposed_text_comes_out_nfc(tmp_path: Path, fonts: tuple[Path, Path]) -> None:
    path = make_pdf(tmp_path / "nfd.pdf", fonts, [[("B", nfd(SENTENCE))]])
    doc = one(path)
    assert doc.text == SENTENCE
    assert texts(doc, doc.bold) == [SENTENCE]


def test_pdf_page_number_lines_are_dropped(tmp_path: Path, fonts: tuple[Path, Path]) -> None:
    pages = [[("", f"Nội dung trang {n}.")] for n in (1, 2, 3)]
    doc = one(make_pdf(tmp_path / "numbered.pdf", fonts, pages, numbered=True))
    assert doc.text == "Nội dung trang 1.\n\nNội dung trang 2.\n\nNội dung trang 3."
    start = doc.text.index("trang 2")
    assert doc.pages_for(start, start + 7) == (2, 2)


def test_pdf_without_text_layer(tmp_path: Path) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 150)  # a drawing, no text and no scanned image: nothing to read, even by OCR
    path = tmp_path / "scan.pdf"
    pdf.output(str(path))
    err = read_error(path)
    assert err.code == "no_text" and "PDF" in err.message


def test_corrupt_pdfs(tmp_path: Path, fonts: tuple[Path, Path]) -> None:
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(os.urandom(4096))
    assert read_error(junk).code == "corrupt_pdf"
    headed = tmp_path / "headed.pdf"
    headed.write_bytes(b"%PDF-1.7\n" + os.urandom(4096))
    assert read_error(headed).code == "corrupt_pdf"
    data = three_page_pdf(tmp_path / "whole.pdf", fonts).read_bytes()
    truncated = tmp_path / "truncated.pdf"
    truncated.write_bytes(data[: len(data) // 2])
    err = read_error(truncated)
    assert err.code == "corrupt_pdf" and "PDF" in err.message
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    assert read_error(empty).code == "empty_file"


def test_encrypted_pdf(tmp_path: Path, fonts: tuple[Path, Path]) -> None:
    plain = three_page_pdf(tmp_path / "plain.pdf", fonts)
    locked = tmp_path / "locked.pdf"
    writer = PdfWriter(clone_from=plain)
    writer.encrypt(user_password="mat-khau", owner_password="chu", algorithm="RC4-128")
    writer.write(locked)
    assert read_error(locked).code == "encrypted_pdf"
    # Only an owner password (restrictions, no password to open): readable.
    restricted = tmp_path / "restricted.pdf"
    writer = PdfWriter(clone_from=plain)
    writer.encrypt(user_password="", owner_password="chu", algorithm="RC4-128")
    writer.write(restricted)
    assert LONG in one(restricted).text


# --------------------------------------------------------------------------- DOCX


def test_docx_structure(tmp_path: Path) -> None:
    document = docx.Document()
    document.core_properties.title = nfd("Thông báo kết luận")
    document.add_heading("THÔNG BÁO", level=0)
    document.add_heading("Kết luận của Chủ tịch UBND huyện", level=1)
    document.add_paragraph(nfd("Ngày 17/7/2024, UBND huyện tổ chức hội nghị."))
    document.add_heading("Nhiệm vụ trọng tâm", level=2)
    for item in ("Về kết quả đạt được", "Về tồn tại, hạn chế", "Nguyên nhân"):
        document.add_paragraph(item, style="List Number")
    document.add_paragraph("Tăng cường kiểm tra", style="List Bullet")
    document.add_paragraph().add_run("Phòng Tài chính - Kế hoạch").bold = True
    mixed = document.add_paragraph()
    mixed.add_run("Trung tâm Phát triển quỹ đất:").bold = True
    mixed.add_run(" Tiếp tục giải phóng mặt bằng.")
    document.add_paragraph("")
    table = document.add_table(rows=3, cols=3)
    for r, row in enumerate([["STT", "Nội dung", "Ghi chú"], ["1", "Giải ngân vốn", "Đạt"], ["", "", ""]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.add_paragraph("Sau bảng.")
    path = tmp_path / "sub" / "tb.docx"
    path.parent.mkdir()
    document.save(path)

    doc = one(path, root=tmp_path)
    assert doc.doc_id == "sub/tb.docx" and doc.format == "docx"
    assert doc.title == "Thông báo kết luận"
    assert doc.text == (
        "THÔNG BÁO\n\n"
        "Kết luận của Chủ tịch UBND huyện\n\n"
        "Ngày 17/7/2024, UBND huyện tổ chức hội nghị.\n\n"
        "Nhiệm vụ trọng tâm\n\n"
        "1. Về kết quả đạt được\n\n"
        "2. Về tồn tại, hạn chế\n\n"
        "3. Nguyên nhân\n\n"
        "- Tăng cường kiểm tra\n\n"
        "Phòng Tài chính - Kế hoạch\n\n"
        "Trung tâm Phát triển quỹ đất: Tiếp tục giải phóng mặt bằng.\n\n"
        "STT | Nội dung | Ghi chú\n"
        "1 | Giải ngân vốn | Đạt\n\n"
        "Sau bảng."
    )
    assert_nfc(doc.text)
    assert [(doc.text[a:b], level) for a, b, level in doc.headings] == [
        ("THÔNG BÁO", 1),
        ("Kết luận của Chủ tịch UBND huyện", 1),
        ("Nhiệm vụ trọng tâm", 2),
    ]
    # Heading styles are bold in the default template, so they count as bold too.
    assert texts(doc, doc.bold) == [
        "Kết luận của Chủ tịch UBND huyện",
        "Nhiệm vụ trọng tâm",
        "Phòng Tài chính - Kế hoạch",
        "Trung tâm Phát triển quỹ đất:",
    ]


def test_docx_multilevel_numbering(tmp_path: Path) -> None:
    document = docx.Document()
    outline = add_numbering(document, 90, [("decimal", "%1."), ("decimal", "%1.%2."), ("lowerLetter", "%3)")])
    roman = add_numbering(document, 91, [("upperRoman", "%1."), ("bullet", "\uf0b7")])
    articles = add_numbering(document, 92, [("decimal", "Điều %1.")])
    for text, num_id, ilvl in [
        ("KẾT QUẢ", roman, 0),
        ("Kinh tế", outline, 0),
        ("Nông nghiệp", outline, 1),
        ("Lâm nghiệp", outline, 1),
        ("Trồng rừng", outline, 2),
        ("Khai thác", outline, 2),
        ("Xã hội", outline, 0),
        ("Giáo dục", outline, 1),
        ("NHIỆM VỤ", roman, 0),
        ("Đôn đốc", roman, 1),
        ("Phạm vi điều chỉnh", articles, 0),
        ("Đối tượng áp dụng", articles, 0),
    ]:
        list_paragraph(document, text, num_id, ilvl)
    path = tmp_path / "list.docx"
    document.save(path)
    assert one(path).text.split("\n\n") == [
        "I. KẾT QUẢ",
        "1. Kinh tế",
        "1.1. Nông nghiệp",
        "1.2. Lâm nghiệp",
        "a) Trồng rừng",
        "b) Khai thác",
        "2. Xã hội",
        "2.1. Giáo dục",
        "II. NHIỆM VỤ",
        "- Đôn đốc",
        "Điều 1. Phạm vi điều chỉnh",
        "Điều 2. Đối tượng áp dụng",
    ]


def test_docx_merged_cells_are_not_repeated(tmp_path: Path) -> None:
    document = docx.Document()
    table = document.add_table(rows=3, cols=3)
    for r in range(3):
        for c in range(3):
            table.cell(r, c).text = f"ô {r}-{c}"
    table.cell(0, 0).merge(table.cell(1, 0))  # vertical
    table.cell(2, 1).merge(table.cell(2, 2))  # horizontal
    path = tmp_path / "merged.docx"
    document.save(path)
    assert one(path).text == "ô 0-0 ô 1-0 | ô 0-1 | ô 0-2\n| ô 1-1 | ô 1-2\nô 2-0 | ô 2-1 ô 2-2"


def test_number_formats() -> None:
    assert [format_number(n, "lowerLetter") for n in (1, 4, 26, 27)] == ["a", "d", "z", "aa"]
    romans = [format_number(n, "upperRoman") for n in (1, 4, 9, 14, 40, 1994)]
    assert romans == ["I", "IV", "IX", "XIV", "XL", "MCMXCIV"]
    assert format_number(7, "decimalZero") == "07" and format_number(7, "cardinalText") == "7"


def test_bad_docx_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.docx"
    empty.write_bytes(b"")
    assert read_error(empty).code == "empty_file"
    text = tmp_path / "text.docx"
    text.write_text("Đây thật ra là một tệp văn bản.", encoding="utf-8")
    err = read_error(text)
    assert err.code == "corrupt_docx" and "DOCX" in err.message
    blank = tmp_path / "blank.docx"
    docx.Document().save(blank)
    assert read_error(blank).code == "empty_file"


# --------------------------------------------------------------------------- JSONL


def jsonl_lines() -> list[str]:
    return [
        json.dumps({"id": "1.1.LQ.1", "title": "Phạm vi điều chỉnh", "text": " Luật này quy định.", "chu_de": "an"}),
        json.dumps({"_id": 42, "title": nfd("Giải thích từ ngữ"), "text": nfd("Trong Luật này")}),
        '{"id": "broken", "text": ',
        json.dumps({"text": "không có id"}),
        json.dumps({"id": "no-text"}),
        json.dumps({"id": "empty", "text": "  "}),
        "",
        json.dumps(["không", "phải", "đối tượng"]),
        json.dumps({"id": "1.1.LQ.1", "text": "trùng id"}),
        json.dumps({"id": "last", "text": "Điều cuối\r\ncùng"}, ensure_ascii=False),
    ]


@pytest.mark.parametrize("name", ["law.jsonl", "law.jsonl.gz"])
def test_jsonl_skips_bad_lines_and_reports_them(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    data = ("\n".join(jsonl_lines()) + "\n").encode("utf-8")
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)

    items = list(iter_documents([path]))
    summary = [(i.doc_id if isinstance(i, RawDocument) else i.code) for i in items]
    assert summary == [
        "1.1.LQ.1",
        "42",
        "bad_record",
        "bad_record",
        "bad_record",
        "empty_record",
        "bad_record",
        "duplicate_id",
        "last",
    ]
    problems = [i for i in items if isinstance(i, ReadProblem)]
    assert all(p.level == "warning" and p.path == str(path) for p in problems)
    assert [p.message.split(":")[0] for p in problems] == ["Dòng 3", "Dòng 4", "Dòng 5", "Dòng 6", "Dòng 8", "Dòng 9"]

    first, second, last = (i for i in items if isinstance(i, RawDocument))
    assert (first.format, first.title, first.text) == ("jsonl", "Phạm vi điều chỉnh", " Luật này quy định.")
    assert first.extra == {"chu_de": "an"}
    assert (second.title, second.text) == ("Giải thích từ ngữ", "Trong Luật này")
    assert_nfc(second.title) and assert_nfc(second.text)
    assert last.text == "Điều cuối\ncùng"

    # read_file has no side channel: the skipped lines become warnings of the next document.
    docs = list(read_file(path))
    assert [d.doc_id for d in docs] == ["1.1.LQ.1", "42", "last"]
    assert docs[0].warnings == [] and len(docs[2].warnings) == 6


def test_jsonl_streams(tmp_path: Path) -> None:
    path = tmp_path / "many.jsonl"
    path.write_text("".join(json.dumps({"id": n, "text": f"Điều {n}"}) + "\n" for n in range(2000)), encoding="utf-8")
    stream = iter_documents([path])
    assert inspect.isgenerator(stream)
    assert next(stream).doc_id == "0"
    assert sum(1 for _ in stream) == 1999


def test_bad_jsonl_files(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jsonl.gz"
    whole = gzip.compress(("\n".join(json.dumps({"id": n, "text": "x" * 50}) for n in range(500))).encode())
    broken.write_bytes(whole[: len(whole) // 2])
    assert read_error(broken).code == "corrupt_gzip"
    not_gzip = tmp_path / "plain.jsonl.gz"
    not_gzip.write_bytes(b'{"id": 1, "text": "x"}\n')
    assert read_error(not_gzip).code == "corrupt_gzip"
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"\n\n")
    assert read_error(empty).code == "empty_file"
    junk = tmp_path / "junk.jsonl"
    junk.write_text("không phải JSON\n{}\n", encoding="utf-8")
    assert read_error(junk).code == "no_records"


# --------------------------------------------------------------------------- walking


def test_iter_documents_over_a_folder(tmp_path: Path, fonts: tuple[Path, Path]) -> None:
    root = tmp_path / "corpus"
    (root / "b" / "c").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / ".git" / "HEAD.txt").write_text("hidden", encoding="utf-8")
    (root / ".hidden.txt").write_text("hidden", encoding="utf-8")
    (root / "a.txt").write_text("Văn bản A", encoding="utf-8")
    (root / "b" / "c" / "d.md").write_text("# Văn bản D", encoding="utf-8")
    three_page_pdf(root / "b" / "e.pdf", fonts)
    (root / "b" / "f.pdf").write_bytes(b"not a pdf")
    (root / "g.docx").write_bytes(b"")
    (root / "h.jpg").write_bytes(b"\xff\xd8\xff")
    (root / "i.jsonl").write_text(json.dumps({"id": "r1", "text": "Bản ghi"}) + "\nxấu\n", encoding="utf-8")
    (root / "~$j.docx").write_bytes(b"lock")

    items = list(iter_documents([root]))
    docs = [i for i in items if isinstance(i, RawDocument)]
    problems = {Path(i.path).name: (i.code, i.level) for i in items if isinstance(i, ReadProblem)}
    assert [d.doc_id for d in docs] == ["a.txt", "b/c/d.md", "b/e.pdf", "r1"]
    assert problems == {
        "f.pdf": ("corrupt_pdf", "error"),
        "g.docx": ("empty_file", "error"),
        "h.jpg": ("corrupt_image", "error"),  # images are read by OCR now: this one is broken
        "i.jsonl": ("bad_record", "warning"),
    }


def test_iter_documents_with_files_and_missing_paths(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    single = tmp_path / "sub" / "x.txt"
    single.write_text("Nội dung", encoding="utf-8")
    missing = tmp_path / "missing"
    items = list(iter_documents([single, missing, str(tmp_path / "sub")]))
    assert isinstance(items[0], RawDocument) and items[0].doc_id == "x.txt"
    assert isinstance(items[1], ReadProblem) and items[1].code == "not_found" and items[1].path == str(missing)
    assert isinstance(items[2], RawDocument) and items[2].doc_id == "x.txt"


def test_symlinks_leaving_the_folder_are_skipped_with_a_warning(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.txt"
    secret.write_text("Mật khẩu quản trị hệ thống", encoding="utf-8")
    root = tmp_path / "docs"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text("Văn bản A", encoding="utf-8")
    os.symlink(secret, root / "sub" / "ngoai.txt")
    os.symlink(Path("..") / "a.txt", root / "sub" / "trong.txt")  # relative, and inside the folder
    os.symlink(outside, root / "thu-muc-ngoai")  # links to folders are never followed
    os.symlink(tmp_path / "missing.txt", root / "hong.txt")
    linked_root = tmp_path / "docs-link"
    os.symlink(root, linked_root)

    for folder in (root, linked_root):
        items = list(iter_documents([folder]))
        assert [d.doc_id for d in items if isinstance(d, RawDocument)] == ["a.txt", "sub/trong.txt"]
        [problem] = [i for i in items if isinstance(i, ReadProblem)]
        assert (problem.code, problem.level, problem.path) == ("symlink_outside_root", "warning", str(folder / "sub" / "ngoai.txt"))
        assert "VANBAN_FOLLOW_SYMLINKS" in problem.message

    followed = list(iter_documents([root], ReadSettings(follow_symlinks=True)))
    assert [d.doc_id for d in followed] == ["a.txt", "sub/ngoai.txt", "sub/trong.txt"]
    assert followed[1].text == "Mật khẩu quản trị hệ thống"
    # A link named directly is the operator's own choice.
    [direct] = iter_documents([root / "sub" / "ngoai.txt"])
    assert isinstance(direct, RawDocument) and direct.doc_id == "ngoai.txt"


def test_unsupported_type(tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    assert read_error(path).code == "unsupported_type"
    (problem,) = iter_documents([path])
    assert (problem.code, problem.level) == ("unsupported_type", "warning")
    assert set(SUPPORTED_SUFFIXES) == {".txt", ".md", ".pdf", ".docx", ".doc", ".jsonl", ".jsonl.gz",
                                       ".png", ".jpg", ".jpeg", ".tif", ".tiff"}


def test_line_classification() -> None:
    for line in (
        "I. MỤC ĐÍCH",
        "1. Về kết quả",
        "1.1. Nông nghiệp",
        "4.2 Nhiệm vụ",
        "a) Trồng rừng",
        "đ) Khác",
        "- gạch",
        "+ cộng",
        "• chấm",
        "Điều 5. Hiệu lực",
        "Chương II",
        "Mục 1:",
    ):
        assert starts_item(line), line
    for line in ("thực hiện theo Điều 5 của Luật", "17/7/2024 là ngày", "Chương trình mục tiêu quốc gia"):
        assert not starts_item(line), line
    assert is_header_line("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM") and is_header_line("TL. CHỦ TỊCH")
    assert not is_header_line("Độc lập - Tự do - Hạnh phúc") and not is_header_line("2024")


# --------------------------------------------------------------------------- real seeds


def test_seed_documents() -> None:
    items = list(iter_documents([shared_path("corpus", "seeds")]))
    assert all(isinstance(i, RawDocument) for i in items), [str(i) for i in items if isinstance(i, ReadProblem)]
    assert len(items) == 5
    for doc in items:
        assert_nfc(doc.text)
        assert "**" not in doc.text and doc.encoding == "utf-8"
    bold = [doc.text[a:b] for doc in items for a, b in doc.bold]
    assert len(bold) >= 10
    assert SIGNATURE in bold
    assert "Phòng Tài chính - Kế hoạch" in bold
