#!/usr/bin/env python3
"""Render two of the bundled sample documents to PDF and DOCX.

The sources live in ``corpus/sample_sources/`` (plain text with a little
Markdown: ``**bold**``, ``*italic*``, ``-``/``+`` bullets, ``1)`` items, pipe
tables, ``¹`` footnote lines); the outputs are written to ``corpus/samples/``
so the demo corpus holds each document once, in one format.

    .venv/bin/python scripts/build_sample_files.py          # build
    .venv/bin/python scripts/build_sample_files.py --check  # build, then verify

The output is deterministic: fixed creation dates in the PDF and DOCX
metadata and fixed timestamps inside the DOCX zip, so re-running gives the
same bytes. Needs fpdf2 (PDF) and python-docx (DOCX); ``--check`` also needs
pypdf. Fonts: DejaVu Sans from /usr/share/fonts/truetype/dejavu/ (override
with VANBAN_DEJAVU_DIR).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import re
import sys
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "corpus" / "samples"
SOURCES = SAMPLES.parent / "sample_sources"
FONT_DIR = Path(os.environ.get("VANBAN_DEJAVU_DIR", "/usr/share/fonts/truetype/dejavu"))

# (source file, output format, fixed creation date = the document's issue date)
BUILDS = [
    ("2023-12-bc-312-tinh-hinh-kt-xh-nam-2023.md", "pdf", datetime(2023, 12, 15, 8, 0, tzinfo=timezone.utc)),
    ("2024-10-tb-236-ket-luan-phien-hop-thang-9.md", "docx", datetime(2024, 10, 8, 8, 0, tzinfo=timezone.utc)),
]

DOC_TYPES = {"THÔNG BÁO", "BÁO CÁO", "KẾ HOẠCH", "CHỈ THỊ", "QUYẾT ĐỊNH", "TỜ TRÌNH", "QUY CHẾ", "QUY ĐỊNH"}
FOOTNOTE_MARKS = "¹²³⁴⁵⁶⁷⁸⁹"
SIGN_PREFIXES = ("TM.", "KT.", "TL.", "TUQ.", "Q.", "T/L", "T/M")

_EMPH = re.compile(r"(\*\*.+?\*\*|\*[^*\s][^*]*?\*)")
_ROMAN = re.compile(r"^[IVXLC]+\.\s")
_NUMBERED = re.compile(r"^\d+(\.\d+)*\.\s")
_ITEM_NUM = re.compile(r"^(\d+)\)\s+")


# --------------------------------------------------------------------------- model


@dataclass
class Run:
    text: str
    bold: bool = False
    italic: bool = False


@dataclass
class Block:
    """One block of the source: lines between blank lines, classified."""

    kind: str  # comment | para | bullet | item | footnote | table | heading | unit | sign
    lines: list[str]
    level: int = 0  # headings: 1 = "I.", 2 = "1."


@dataclass
class Doc:
    comment: str
    left: list[str] = field(default_factory=list)  # issuer lines, "Số: …"
    right: list[str] = field(default_factory=list)  # Quốc hiệu, Tiêu ngữ, place and date
    titles: list[str] = field(default_factory=list)  # type line, subject line(s)
    body: list[Block] = field(default_factory=list)


def strip_emphasis(text: str) -> str:
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text, flags=re.S)
    return re.sub(r"(?<!\*)\*([^*\s][^*]*?)\*(?!\*)", r"\1", text)


def runs_of(line: str, bold: bool = False, italic: bool = False) -> list[Run]:
    """Split a line on ``**bold**`` and ``*italic*`` into runs."""
    out: list[Run] = []
    for part in _EMPH.split(line):
        if not part:
            continue
        if part.startswith("**") and part.endswith("**") and len(part) > 4:
            out.extend(runs_of(part[2:-2], True, italic))
        elif part.startswith("*") and part.endswith("*") and len(part) > 2:
            out.extend(runs_of(part[1:-1], bold, True))
        else:
            out.append(Run(part, bold, italic))
    return out


def split_blocks(text: str) -> list[list[str]]:
    blocks, cur = [], []
    for line in text.splitlines():
        if line.strip():
            cur.append(line.rstrip())
        elif cur:
            blocks.append(cur)
            cur = []
    if cur:
        blocks.append(cur)
    return blocks


def classify(lines: list[str]) -> list[Block]:
    whole = strip_emphasis("\n".join(lines)).splitlines()  # emphasis may span lines
    first = whole[0].strip()
    if all(line.lstrip().startswith("|") for line in lines):
        return [Block("table", lines)]
    if first[0] in FOOTNOTE_MARKS:
        return [Block("footnote", lines)]
    if first.startswith(SIGN_PREFIXES) or (len(lines) > 1 and all(line.strip().isupper() for line in whole)):
        return [Block("sign", [line.strip() for line in whole])]
    out = []
    for line in lines:  # list blocks: one Block per item
        plain = strip_emphasis(line).strip()
        if re.match(r"^[-+]\s", plain):
            out.append(Block("bullet", [line]))
        elif _ITEM_NUM.match(plain):
            out.append(Block("item", [line]))
        elif line.startswith("**") and line.endswith("**") and _ROMAN.match(plain):
            out.append(Block("heading", [line], 1))
        elif line.startswith("**") and line.endswith("**") and _NUMBERED.match(plain):
            out.append(Block("heading", [line], 2))
        elif line.startswith("**") and line.endswith("**"):
            out.append(Block("unit", [line]))
        else:
            out.append(Block("para", [line]))
    return out


def parse(path: Path) -> Doc:
    text = unicodedata.normalize("NFC", path.read_text(encoding="utf-8"))
    blocks = split_blocks(text)
    if not blocks or not blocks[0][0].startswith("<!--"):
        raise ValueError(f"{path.name}: expected the one-line fiction note first")
    doc = Doc(comment=blocks[0][0])
    i = 1
    # Header: everything up to the type line; the subject is the block after it.
    while i < len(blocks):
        plain = [strip_emphasis(line).strip() for line in blocks[i]]
        if plain[0] in DOC_TYPES:
            doc.titles = blocks[i] + blocks[i + 1]
            i += 2
            break
        for raw, line in zip(blocks[i], plain):
            if line.startswith(("CỘNG HÒA", "Độc lập")) or re.search(r", ngày\b", line):
                doc.right.append(raw)
            else:
                doc.left.append(raw)
        i += 1
    else:
        raise ValueError(f"{path.name}: no document type line found")
    for lines in blocks[i:]:
        doc.body.extend(classify(lines))
    return doc


def table_rows(block: Block) -> list[list[str]]:
    rows = []
    for line in block.lines:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if all(re.fullmatch(r":?-{3,}:?", c) for c in cells):
            continue
        rows.append(cells)
    return rows


# --------------------------------------------------------------------------- PDF


def build_pdf(doc: Doc, out: Path, created: datetime, title: str) -> None:
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_margins(left=30, top=20, right=15)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.add_font("DejaVu", "I", str(FONT_DIR / "DejaVuSans-Oblique.ttf"))
    pdf.add_font("DejaVu", "BI", str(FONT_DIR / "DejaVuSans-BoldOblique.ttf"))
    pdf.set_creation_date(created)
    pdf.set_title(title)
    pdf.set_author("vanban - văn bản mẫu hư cấu")
    pdf.set_subject(doc.comment[4:-3].strip())
    pdf.set_creator("scripts/build_sample_files.py")
    pdf.add_page()
    epw = pdf.epw
    left_x = pdf.l_margin

    def md(line: str) -> str:
        """Our emphasis to fpdf2's markdown (``**`` bold, ``__`` italics)."""
        return "".join(
            f"**{r.text}**" if r.bold and not r.italic else
            f"__{r.text}__" if r.italic and not r.bold else
            f"**__{r.text}__**" if r.bold else r.text
            for r in runs_of(line)
        )

    def cell(line: str, w: float, h: float, size: float, align: str = "L", style: str = "", x: float | None = None):
        """One paragraph; with a ``style`` the line is plain text set in that style."""
        pdf.set_font("DejaVu", style, size)
        if x is not None:
            pdf.set_x(x)
        text = line if style else md(line)
        pdf.multi_cell(w, h, text, align=align, markdown=not style, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    # The fiction note, verbatim, as the first line (small, grey); no markdown: it holds "--".
    pdf.set_text_color(110)
    cell(doc.comment, epw, 3.5, 7, "C", style="I")
    pdf.set_text_color(0)
    pdf.ln(3)

    # Two-column header; the left column is drawn first so text extraction
    # gives issuer and number, then Quốc hiệu and date.
    lw = 72
    top = pdf.get_y()
    for line in doc.left:
        cell(line, lw, 5, 10, "C", x=left_x)
    left_bottom = pdf.get_y()
    pdf.set_y(top)
    for line in doc.right:
        cell(line, epw - lw, 5, 10, "C", x=left_x + lw)
    pdf.set_y(max(left_bottom, pdf.get_y()) + 6)
    for n, line in enumerate(doc.titles):
        cell(line, epw, 6 if n == 0 else 5.5, 12 if n == 0 else 11, "C")
    pdf.ln(4)

    k = 0
    body = doc.body
    while k < len(body):
        b = body[k]
        plain0 = strip_emphasis(b.lines[0]).strip()
        if plain0 == "Nơi nhận:" or b.kind == "sign":
            break
        if b.kind == "heading":
            pdf.ln(1.5)
            cell(b.lines[0], epw, 5.5, 11)
        elif b.kind == "unit":
            cell(b.lines[0], epw, 5.5, 11)
        elif b.kind in ("bullet", "item"):
            cell(b.lines[0], epw - 6, 5.5, 11, x=left_x + 6)
        elif b.kind == "footnote":
            cell(b.lines[0], epw, 4.5, 8.5)
        elif b.kind == "table":
            rows = table_rows(b)
            pdf.set_font("DejaVu", "", 9)
            with pdf.table(text_align="CENTER", line_height=5) as t:
                for row in rows:
                    tr = t.row()
                    for c in row:
                        tr.cell(c)
        else:
            cell(b.lines[0], epw, 5.5, 11)  # left-aligned: justified lines extract with doubled spaces
        pdf.ln(1.5)
        k += 1

    # Closing: "Nơi nhận" (left) beside the signature block (right), drawn in source order.
    rest = body[k:]
    if pdf.get_y() > pdf.h - 75:
        pdf.add_page()
    top = pdf.get_y() + 4
    j = 0
    while j < len(rest):
        b = rest[j]
        plain0 = strip_emphasis(b.lines[0]).strip()
        if plain0 == "Nơi nhận:":
            pdf.set_y(top)
            cell("Nơi nhận:", 75, 4.5, 9.5, style="BI", x=left_x)
            j += 1
            while j < len(rest) and rest[j].kind == "bullet":
                cell(strip_emphasis(rest[j].lines[0]), 75, 4, 8.5, x=left_x)
                j += 1
            continue
        if b.kind == "sign":
            pdf.set_y(top)
            for line in b.lines:
                cell(line, epw - 80, 5.5, 11, "C", style="B", x=left_x + 80)
            pdf.ln(18)
            j += 1
            if j < len(rest) and rest[j].kind == "para":  # the signer's name
                cell(strip_emphasis(rest[j].lines[0]), epw - 80, 5.5, 11, "C", style="B", x=left_x + 80)
                j += 1
            continue
        raise ValueError(f"unexpected block after the body: {b}")
    if not any(b.kind == "sign" for b in rest):
        raise ValueError("no signature block")
    out.write_bytes(bytes(pdf.output()))


# --------------------------------------------------------------------------- DOCX


def build_docx(doc: Doc, out: Path, created: datetime, title: str) -> None:
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt, RGBColor

    d = Document()
    sec = d.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.left_margin, sec.right_margin = Mm(30), Mm(15)
    sec.top_margin, sec.bottom_margin = Mm(20), Mm(20)

    def set_font(style, size, bold=None):
        style.font.name = "Times New Roman"
        style.font.size = Pt(size)
        style.font.color.rgb = RGBColor(0, 0, 0)
        if bold is not None:
            style.font.bold = bold
        rpr = style.element.get_or_add_rPr()
        rfonts = rpr.find(qn("w:rFonts"))
        if rfonts is None:
            rfonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.append(rfonts)
        for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
            rfonts.set(qn(attr), "Times New Roman")
        for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme", "w:eastAsiaTheme"):
            rfonts.attrib.pop(qn(attr), None)

    set_font(d.styles["Normal"], 13)
    d.styles["Normal"].paragraph_format.space_after = Pt(4)
    set_font(d.styles["Heading 1"], 13, True)
    set_font(d.styles["Heading 2"], 13, True)
    for name in ("Heading 1", "Heading 2"):
        d.styles[name].paragraph_format.space_before = Pt(6)
        d.styles[name].paragraph_format.space_after = Pt(3)
    for name in ("List Bullet", "List Number"):
        set_font(d.styles[name], 13)

    def para(line, style=None, align=None, size=None, bold=False, italic=False, color=None):
        p = d.add_paragraph(style=style)
        if align is not None:
            p.alignment = align
        for r in runs_of(line):
            run = p.add_run(r.text)
            run.bold = True if (r.bold or bold) else None
            run.italic = True if (r.italic or italic) else None
            if size:
                run.font.size = Pt(size)
            if color is not None:
                run.font.color.rgb = color
        return p

    C, J = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.JUSTIFY
    para(doc.comment, align=C, size=8, italic=True, color=RGBColor(0x70, 0x70, 0x70))
    # Header lines as paragraphs, in reading order: issuer, Quốc hiệu, number, date.
    issuer = [line for line in doc.left if not strip_emphasis(line).startswith("Số")]
    number = [line for line in doc.left if strip_emphasis(line).startswith("Số")]
    quoc_hieu = [line for line in doc.right if not re.search(r", ngày\b", line)]
    dated = [line for line in doc.right if re.search(r", ngày\b", line)]
    for line in issuer + quoc_hieu + number + dated:
        para(line, align=C)
    for n, line in enumerate(doc.titles):
        para(line, align=C, size=14 if n == 0 else None)

    blocks = doc.body
    recipients = False  # inside the "Nơi nhận" list
    k = 0
    while k < len(blocks):
        b = blocks[k]
        line = b.lines[0]
        plain = strip_emphasis(line).strip()
        recipients = recipients and b.kind == "bullet"
        if b.kind == "heading":
            para(plain, style="Heading 1" if b.level == 1 else "Heading 2")
        elif b.kind == "unit":
            para(line)  # a bold run naming the unit
        elif b.kind == "bullet" and recipients:
            para(line, size=11)  # the recipient list keeps its dashes, as typed in real documents
        elif b.kind == "bullet":
            para(re.sub(r"^[-+]\s+", "", line.strip()), style="List Bullet", align=J)
        elif b.kind == "item":  # "1) …": a real Word numbered list, the number comes from numbering.xml
            para(_ITEM_NUM.sub("", line.strip(), count=1), style="List Number", align=J)
        elif b.kind == "table":
            rows = table_rows(b)
            t = d.add_table(rows=len(rows), cols=len(rows[0]))
            t.style = d.styles["Table Grid"]
            t.alignment = WD_TABLE_ALIGNMENT.CENTER
            for r, row in enumerate(rows):
                for c, text in enumerate(row):
                    cp = t.cell(r, c).paragraphs[0]
                    cp.alignment = C if (r == 0 or c > 0) else None
                    run = cp.add_run(text)
                    run.font.size = Pt(11)
                    run.bold = True if (r == 0 or r == len(rows) - 1) else None
        elif b.kind == "sign":
            for s in b.lines:
                para(s, align=C, bold=True).paragraph_format.left_indent = Mm(80)
            if k + 1 < len(blocks) and blocks[k + 1].kind == "para":  # the signer's name
                k += 1
                p = para(strip_emphasis(blocks[k].lines[0]), align=C, bold=True)
                p.paragraph_format.left_indent = Mm(80)
                p.paragraph_format.space_before = Pt(48)
        elif plain == "Nơi nhận:":
            para("Nơi nhận:", bold=True, italic=True, size=12)
            recipients = True
        elif b.kind == "footnote":
            para(line, size=10)
        else:
            para(line, align=J)
        k += 1

    cp = d.core_properties
    cp.title = title
    cp.subject = doc.comment[4:-3].strip()
    cp.author = "vanban - văn bản mẫu hư cấu"
    cp.last_modified_by = "scripts/build_sample_files.py"
    cp.comments = "Văn bản mẫu hư cấu, sinh tự động từ corpus/sample_sources/."
    cp.created = created.replace(tzinfo=None)
    cp.modified = created.replace(tzinfo=None)
    cp.revision = 1
    buf = io.BytesIO()
    d.save(buf)
    out.write_bytes(_fixed_zip(buf.getvalue(), created))


def _fixed_zip(data: bytes, when: datetime) -> bytes:
    """Rewrite a zip with fixed entry timestamps so the bytes are reproducible."""
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return buf.getvalue()


# --------------------------------------------------------------------------- main


def subject_of(doc: Doc) -> str:
    return " ".join(strip_emphasis(line).strip() for line in doc.titles[1:])


def build(verbose: bool = True) -> list[Path]:
    outs = []
    for name, fmt, created in BUILDS:
        src = SOURCES / name
        doc = parse(src)
        out = SAMPLES / (Path(name).stem + "." + fmt)
        title = f"{strip_emphasis(doc.titles[0]).strip().capitalize()}: {subject_of(doc)}"
        (build_pdf if fmt == "pdf" else build_docx)(doc, out, created, title)
        outs.append(out)
        if verbose:
            print(f"{out.relative_to(ROOT)}  {out.stat().st_size} bytes  sha256 {hashlib.sha256(out.read_bytes()).hexdigest()[:16]}")
    return outs


def check(outs: list[Path]) -> None:
    import docx
    from pypdf import PdfReader

    for out in outs:
        if out.suffix == ".pdf":
            reader = PdfReader(out)
            text = "\n".join(p.extract_text() for p in reader.pages)
            assert len(reader.pages) >= 3, f"{out.name}: {len(reader.pages)} pages"
            assert unicodedata.is_normalized("NFC", text), f"{out.name}: extracted text is not NFC"
            for needle in ("ỦY BAN NHÂN DÂN", "Số: 312/BC-UBND", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                           "Sông Mây, ngày 15 tháng 12 năm 2023", "BÁO CÁO", "giải phóng mặt bằng",
                           "Nơi nhận:", "Đinh Văn Thạch"):
                assert needle in text, f"{out.name}: {needle!r} not in the extracted text"
            print(f"{out.name}: {len(reader.pages)} pages, {len(text.split())} words extracted, NFC")
        else:
            d = docx.Document(str(out))
            text = "\n".join(p.text for p in d.paragraphs)
            assert d.tables, f"{out.name}: no table"
            assert any(r.bold and r.text.startswith("Phòng Nông nghiệp") for p in d.paragraphs for r in p.runs)
            assert any(p.style.name == "List Number" for p in d.paragraphs)
            assert "Số: 236/TB-UBND" in text and unicodedata.is_normalized("NFC", text)
            print(f"{out.name}: {len(d.paragraphs)} paragraphs, {len(d.tables)} table(s), NFC")
    again = build(verbose=False)
    first = [hashlib.sha256(p.read_bytes()).hexdigest() for p in outs]
    assert first == [hashlib.sha256(p.read_bytes()).hexdigest() for p in again], "output is not reproducible"
    print("rebuild gives identical bytes")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="verify the outputs after building")
    args = ap.parse_args(argv)
    outs = build()
    if args.check:
        check(outs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
