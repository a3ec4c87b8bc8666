"""Scans made from our own sample text, for the OCR tests and benchmark.

A typed sample (``corpus/samples/*.md|*.txt``) is set on A4 pages the way an
administrative document is printed (Decree 30/2020/NĐ-CP): the two-column header
(issuing body and "Số:" left; the national motto and the place and date right),
the centred type line and subject, justified body paragraphs, and the closing in
two columns ("Nơi nhận" left, the signature right) with a red round stamp over
the signature. The pages are then "scanned": rotated a little, speckled, blurred.

Each page comes with its reference text: the lines drawn, in the order the OCR
layout reads them (a two-column block left column first, then right column).
"""

from __future__ import annotations

import math
import random
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

from corpus.header import NATIONAL_MOTTO
from corpus.vietnamese import fold

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FAMILIES = {
    "serif": ("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSerif-Italic.ttf"),
    "sans": ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf"),
}
PAGE_MM = (210.0, 297.0)
MARGIN_MM = {"top": 20.0, "bottom": 20.0, "left": 30.0, "right": 15.0}
# Header columns (mm from the page's left edge), as Decree 30 places them.
LEFT_COLUMN_MM = (22.0, 92.0)
RIGHT_COLUMN_MM = (97.0, 200.0)
BODY_PT = 13.0
STAMP_RED = (205, 28, 36)

PLACE_DATE = re.compile(r",\s*ngày\b.*năm\s+\d{4}")
SIGNATURE_TITLE = re.compile(r"^(TM\.|KT\.|TL\.|T/L|TUQ\.|Q\.)|CHỦ TỊCH|CHÁNH VĂN PHÒNG|GIÁM ĐỐC|BÍ THƯ|TRƯỞNG")
MD_MARK = re.compile(r"\*\*|(?<!\w)\*|\*(?!\w)")


@dataclass
class Run:
    """One drawn line: its text and how it is set."""

    text: str
    style: str = "regular"  # regular, bold, italic
    size: float = BODY_PT
    align: str = "left"  # left, center, justify
    indent_mm: float = 0.0
    wrap: bool = False  # in a column: wrapped to its width (else set smaller to fit)


@dataclass
class Block:
    """A paragraph of the flow, or two columns side by side."""

    runs: list[Run] = field(default_factory=list)  # flow: lines before wrapping
    left: list[Run] = field(default_factory=list)
    right: list[Run] = field(default_factory=list)
    columns: tuple[tuple[float, float], tuple[float, float]] | None = None
    signature: bool = False  # the right column is a signature: a gap before the name, the stamp
    space_before: float = 0.6  # in body line heights


@dataclass
class Scan:
    pages: list[Image.Image]
    references: list[str]  # per page, the lines in reading order
    dpi: int
    stamp_page: int | None  # 0-based page that carries the stamp


def clean_markdown(text: str) -> str:
    """The sample's text without its markdown marks, comments and table rules."""
    out = []
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("<!--") or re.fullmatch(r"\|?[\s:|-]+\|?", s) and "|" in s:
            continue
        if s.startswith("|"):
            s = "; ".join(cell.strip() for cell in s.strip("|").split("|"))
        out.append(MD_MARK.sub("", s).strip())
    return "\n".join(out)


def _paragraphs(text: str) -> list[list[str]]:
    paras: list[list[str]] = []
    current: list[str] = []
    for line in text.splitlines():
        if line.strip():
            current.append(re.sub(r"\s+", " ", line.strip()))
        elif current:
            paras.append(current)
            current = []
    if current:
        paras.append(current)
    return paras


def _is_motto(line: str) -> bool:
    folded = fold(line).upper()
    return any(folded.replace("–", "-") == m.replace("–", "-") for m in NATIONAL_MOTTO)


def _is_upper(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def _is_signature(para: list[str]) -> bool:
    return all(_is_upper(ln) for ln in para) and any(SIGNATURE_TITLE.search(ln) for ln in para)


def _is_name(para: list[str]) -> bool:
    words = para[0].split() if len(para) == 1 else []
    return 2 <= len(words) <= 5 and all(w[:1].isupper() and w.isalpha() for w in words) and not _is_upper(para[0])


def document_blocks(text: str) -> list[Block]:
    """How a typed administrative document is laid out on paper."""
    paras = _paragraphs(clean_markdown(text))
    blocks: list[Block] = []
    # Header: everything up to the place and date line.
    end = next((i for i, p in enumerate(paras) if any(PLACE_DATE.search(ln) for ln in p)), -1)
    issuer: list[Run] = []
    motto: list[Run] = []
    number: list[Run] = []
    place: list[Run] = []
    for para in paras[: end + 1]:
        for ln in para:
            if _is_motto(ln):
                motto.append(Run(ln, "bold", 12.0, "center"))
            elif PLACE_DATE.search(ln):
                place.append(Run(ln, "italic", 12.5, "center"))
            elif ln.startswith(("Số", "V/v")):
                subject = ln.startswith("V/v")
                number.append(Run(ln, "regular", 12.0 if subject else 12.5, "center", wrap=subject))
            else:
                issuer.append(Run(ln, "bold" if issuer else "regular", 12.0, "center"))
    # One two-column block: "Số:" level with the place and date, under the two top blocks.
    top = max(len(issuer), len(motto))
    left = issuer + [Run("")] * (top - len(issuer) + 1) + number
    right = motto + [Run("")] * (top - len(motto) + 1) + place
    if issuer or motto or number or place:
        blocks.append(Block(left=left, right=right, columns=(LEFT_COLUMN_MM, RIGHT_COLUMN_MM), space_before=0))
    rest = paras[end + 1:]
    i = 0
    # The type line and the subject under it, centred.
    if rest and len(rest[0]) == 1 and _is_upper(rest[0][0]) and len(rest[0][0].split()) <= 4:
        blocks.append(Block(runs=[Run(rest[0][0], "bold", 14.0, "center")], space_before=1.2))
        if len(rest) > 1 and not rest[1][0].startswith(("Kính gửi", "Ngày", "Căn cứ")):
            blocks.append(Block(runs=[Run(" ".join(rest[1]), "bold", 13.0, "center")], space_before=0))
            i = 2
        else:
            i = 1
    while i < len(rest):
        para = rest[i]
        if para[0].startswith("Nơi nhận") or _is_signature(para):
            i = _closing(rest, i, blocks)
            continue
        for ln in para:
            bullet = ln.startswith(("- ", "+ "))
            heading = len(ln.split()) <= 12 and not ln.endswith((".", ";", ","))
            blocks.append(Block(
                runs=[Run(ln, "regular", BODY_PT, "justify", 0.0 if heading and not bullet else 10.0)],
                space_before=0.25 if bullet or ln is not para[0] else 0.5,
            ))
        i += 1
    return [b for b in blocks if b.runs or b.left or b.right]


def _closing(paras: list[list[str]], i: int, blocks: list[Block]) -> int:
    """The closing from paragraph ``i``: "Nơi nhận" and its list left, the signature
    (titles, then the name under the seal) right, in whichever order the text has them."""
    recipients: list[Run] = []
    signature: list[Run] = []
    while i < len(paras):
        para = paras[i]
        if para[0].startswith("Nơi nhận") and not recipients:
            recipients = [Run(para[0], "bold", 11.5)] + [Run(ln, "regular", 11.0, wrap=True) for ln in para[1:]]
        elif recipients and para[0].startswith("-") and len(recipients) == 1:
            recipients += [Run(ln, "regular", 11.0, wrap=True) for ln in para]
        elif _is_signature(para) and not signature:
            signature = [Run(ln, "bold", 12.5, "center") for ln in para]
        elif signature and len(para) == 1 and _is_name(para):
            signature.append(Run(para[0], "bold", 13.0, "center"))
        else:
            break
        i += 1
    blocks.append(Block(left=recipients, right=signature, columns=((28.0, 108.0), (112.0, 198.0)),
                        signature=len(signature) > 1, space_before=1.0))
    return i


class _Fonts:
    def __init__(self, family: str, dpi: int):
        self.files = FAMILIES[family]
        self.dpi = dpi
        self.cache: dict[tuple[str, float], ImageFont.FreeTypeFont] = {}

    def get(self, style: str, size_pt: float) -> ImageFont.FreeTypeFont:
        key = (style, size_pt)
        if key not in self.cache:
            name = self.files[{"regular": 0, "bold": 1, "italic": 2}[style]]
            self.cache[key] = ImageFont.truetype(str(FONT_DIR / name), round(size_pt * self.dpi / 72))
        return self.cache[key]


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: float, first_indent: float) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        avail = width - (first_indent if not lines else 0)
        if current and font.getlength(trial) > avail:
            lines.append(current)
            current = word
        else:
            current = trial
    if current:
        lines.append(current)
    return lines


@dataclass
class _Placed:
    """A line placed on a page: what to draw and where (pixels)."""

    text: str
    font: ImageFont.FreeTypeFont
    x: float
    y: float
    width: float | None = None  # justified to this width


class _Layout:
    def __init__(self, fonts: _Fonts, dpi: int):
        self.fonts = fonts
        self.px = dpi / 25.4
        self.width, self.height = round(PAGE_MM[0] * self.px), round(PAGE_MM[1] * self.px)
        self.x0 = MARGIN_MM["left"] * self.px
        self.x1 = (PAGE_MM[0] - MARGIN_MM["right"]) * self.px
        self.top = MARGIN_MM["top"] * self.px
        self.bottom = (PAGE_MM[1] - MARGIN_MM["bottom"]) * self.px
        self.line_h = BODY_PT * 1.45 * dpi / 72
        self.pages: list[list[_Placed]] = [[]]
        self.refs: list[list[str]] = [[]]
        self.stamps: list[tuple[int, float, float]] = []
        self.y = self.top

    def _advance(self, height: float) -> None:
        if self.y + height > self.bottom and self.pages[-1]:
            self.pages.append([])
            self.refs.append([])
            self.y = self.top

    def _height(self, run: Run) -> float:
        return run.size * 1.4 * self.fonts.dpi / 72

    def _column_lines(self, runs: list[Run], span: tuple[float, float]) -> list[tuple[Run, str, float]]:
        width = (span[1] - span[0]) * self.px
        out = []
        for run in runs:
            if not run.text:
                out.append((run, "", self._height(run) * 0.5))
                continue
            font = self.fonts.get(run.style, run.size)
            size = run.size
            if not run.wrap:
                while font.getlength(run.text) > width and size > 8:
                    size -= 0.5
                    font = self.fonts.get(run.style, size)
                out.append((Run(run.text, run.style, size, run.align), run.text, self._height(run)))
            else:
                for piece in _wrap(run.text, font, width * 0.9, 0):
                    out.append((run, piece, self._height(run)))
        return out

    def add(self, block: Block) -> None:
        self.y += block.space_before * self.line_h
        if block.columns:
            self._add_columns(block)
            return
        run = block.runs[0]
        font = self.fonts.get(run.style, run.size)
        width = self.x1 - self.x0
        if run.align == "center":
            pieces = _wrap(run.text, font, width * 0.8, 0)
        else:
            pieces = _wrap(run.text, font, width, run.indent_mm * self.px)
        h = self._height(run)
        for k, piece in enumerate(pieces):
            self._advance(h)
            indent = run.indent_mm * self.px if k == 0 else 0
            if run.align == "center":
                x = (self.x0 + self.x1 - font.getlength(piece)) / 2
                just = None
            else:
                x = self.x0 + indent
                last = k == len(pieces) - 1
                just = None if last or run.align != "justify" else width - indent
            self.pages[-1].append(_Placed(piece, font, x, self.y, just))
            self.refs[-1].append(piece)
            self.y += h

    def _add_columns(self, block: Block) -> None:
        left = self._column_lines(block.left, block.columns[0])
        right = self._column_lines(block.right, block.columns[1])
        gap = 3.2 * self.line_h if block.signature else 0.0
        lh = sum(h for *_, h in left)
        rh = sum(h for *_, h in right) + gap
        self._advance(max(lh, rh))
        for lines, span, is_right in ((left, block.columns[0], False), (right, block.columns[1], True)):
            y = self.y
            x0, x1 = span[0] * self.px, span[1] * self.px
            for k, (run, text, h) in enumerate(lines):
                if is_right and block.signature and k == len(lines) - 1 and len(lines) > 1:
                    self.stamps.append((len(self.pages) - 1, (x0 + x1) / 2 - 12 * self.px, y + gap / 2 - 2 * self.px))
                    y += gap
                if not text:
                    y += h
                    continue
                font = self.fonts.get(run.style, run.size)
                x = (x0 + x1 - font.getlength(text)) / 2 if run.align == "center" else x0
                self.pages[-1].append(_Placed(text, font, x, y))
                self.refs[-1].append(text)
                y += h
        self.y += max(lh, rh)


def _draw_justified(draw: ImageDraw.ImageDraw, p: _Placed) -> None:
    words = p.text.split()
    if p.width is None or len(words) < 2:
        draw.text((p.x, p.y), p.text, font=p.font, fill=0)
        return
    natural = sum(p.font.getlength(w) for w in words)
    space = (p.width - natural) / (len(words) - 1)
    if space > 3 * p.font.getlength(" "):
        draw.text((p.x, p.y), p.text, font=p.font, fill=0)
        return
    x = p.x
    for w in words:
        draw.text((x, p.y), w, font=p.font, fill=0)
        x += p.font.getlength(w) + space


def draw_stamp(page: Image.Image, cx: float, cy: float, dpi: int, text: str, family: str = "sans") -> None:
    """A red round seal: two rings, the body's name along the ring, a star in the middle.

    Drawn by multiplying, as ink on paper: black text under it stays black."""
    r = 19 * dpi / 25.4
    size = int(2 * r + 8)
    layer = Image.new("RGB", (size, size), "white")
    d = ImageDraw.Draw(layer)
    c = size / 2
    w = max(2, int(dpi / 100))
    d.ellipse([c - r, c - r, c + r, c + r], outline=STAMP_RED, width=2 * w)
    d.ellipse([c - r * 0.68, c - r * 0.68, c + r * 0.68, c + r * 0.68], outline=STAMP_RED, width=w)
    font = ImageFont.truetype(str(FONT_DIR / FAMILIES[family][1]), round(9 * dpi / 72))
    n = len(text)
    for k, ch in enumerate(text):
        angle = -150 + 300 * k / max(1, n - 1)  # degrees from the top, clockwise
        glyph = Image.new("L", (font.size * 2, font.size * 2), 0)
        ImageDraw.Draw(glyph).text((font.size / 2, font.size / 3), ch, font=font, fill=255)
        glyph = glyph.rotate(-angle, resample=Image.BICUBIC)
        rad = math.radians(angle)
        gx = c + r * 0.84 * math.sin(rad) - glyph.width / 2
        gy = c - r * 0.84 * math.cos(rad) - glyph.height / 2
        layer.paste(Image.new("RGB", glyph.size, STAMP_RED), (int(gx), int(gy)), glyph)
    star = [(c + r * 0.3 * math.sin(math.radians(36 * k)) * (1 if k % 2 == 0 else 0.4),
             c - r * 0.3 * math.cos(math.radians(36 * k)) * (1 if k % 2 == 0 else 0.4)) for k in range(10)]
    d.polygon(star, fill=STAMP_RED)
    box = (int(cx - c), int(cy - c))
    region = page.crop((box[0], box[1], box[0] + size, box[1] + size))
    page.paste(ImageChops.multiply(region, layer), box)


def scan_effects(page: Image.Image, rng: random.Random, skew: float, noise: float, dpi: int) -> Image.Image:
    """What an office scanner does to a page: a small rotation, speckles, a little blur."""
    if skew:
        page = page.rotate(skew, resample=Image.BICUBIC, expand=False, fillcolor="white")
    if noise:
        draw = ImageDraw.Draw(page)
        w, h = page.size
        n = int(noise * w * h / 1000)
        for _ in range(n):
            x, y = rng.randrange(w), rng.randrange(h)
            rad = rng.choice((0, 0, 1, 1, 2)) * dpi / 200
            gray = rng.randrange(0, 110)
            draw.ellipse([x - rad, y - rad, x + rad, y + rad], fill=(gray, gray, gray))
        page = page.filter(ImageFilter.GaussianBlur(0.6 * dpi / 200))
    return page


def render(text: str, dpi: int = 200, family: str = "serif", skew: float = 0.0, noise: float = 0.0,
           stamp: bool = True, seed: int = 0, max_pages: int | None = None, stamp_text: str | None = None) -> Scan:
    """Pages of the typed ``text`` as a scanner would give them (RGB), with their reference text."""
    fonts = _Fonts(family, dpi)
    layout = _Layout(fonts, dpi)
    for block in document_blocks(text):
        layout.add(block)
    rng = random.Random(seed)
    count = len(layout.pages) if max_pages is None else min(max_pages, len(layout.pages))
    stamp_at = layout.stamps[-1] if stamp and layout.stamps else None
    if stamp_at and stamp_at[0] >= count:
        stamp_at = None
    pages = []
    for number in range(count):
        page = Image.new("RGB", (layout.width, layout.height), "white")
        draw = ImageDraw.Draw(page)
        for placed in layout.pages[number]:
            _draw_justified(draw, placed)
        if stamp_at and stamp_at[0] == number:
            draw_stamp(page, stamp_at[1], stamp_at[2], dpi, stamp_text or _stamp_text(text))
        pages.append(scan_effects(page, rng, skew * (1 if number % 2 == 0 else -0.7), noise, dpi))
    refs = ["\n".join(lines) for lines in layout.refs[:count]]
    return Scan(pages, refs, dpi, stamp_at[0] if stamp_at else None)


def _stamp_text(text: str) -> str:
    folded = fold(text).upper()
    return "* ỦY BAN NHÂN DÂN TỈNH NGÀN HÀ *" if "TINH NGAN HA\n" in folded[:400] else "* ỦY BAN NHÂN DÂN HUYỆN SÔNG MÂY *"


def blank_page(dpi: int = 200, seed: int = 0, noise: float = 0.3) -> Image.Image:
    """A scanned page with nothing on it but the scanner's speckles."""
    px = dpi / 25.4
    page = Image.new("RGB", (round(PAGE_MM[0] * px), round(PAGE_MM[1] * px)), (246, 245, 241))
    return scan_effects(page, random.Random(seed), 0.0, noise, dpi)


def save_pdf(pages: list[Image.Image], path: Path, dpi: int) -> Path:
    """An image-only PDF, one scanned image a page, as a scanner writes it."""
    # Copies: Pillow leaves a save's options on the images it appended.
    pages = [p.copy() for p in pages]
    pages[0].save(path, "PDF", resolution=float(dpi), save_all=True, append_images=pages[1:], quality=85)
    return path


def save_tiff(pages: list[Image.Image], path: Path, dpi: int) -> Path:
    pages = [p.copy() for p in pages]
    pages[0].save(path, "TIFF", dpi=(dpi, dpi), save_all=True, append_images=pages[1:], compression="tiff_lzw")
    return path


# --- accuracy ---------------------------------------------------------------


def levenshtein(a: list | str, b: list | str) -> int:
    """Edit distance between two sequences (Myers' bit-parallel algorithm, Hyyrö's form):
    a page's characters in milliseconds, where the textbook table takes seconds."""
    if not a:
        return len(b)
    if not b:
        return len(a)
    peq: dict = {}
    for i, token in enumerate(a):
        peq[token] = peq.get(token, 0) | (1 << i)
    m = len(a)
    mask = (1 << m) - 1
    last = 1 << (m - 1)
    pv, mv, score = mask, 0, m
    for token in b:
        eq = peq.get(token, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = (mv | ~(xh | pv)) & mask
        mh = pv & xh
        if ph & last:
            score += 1
        elif mh & last:
            score -= 1
        ph = ((ph << 1) | 1) & mask
        mh = (mh << 1) & mask
        pv = (mh | ~(xv | ph)) & mask
        mv = ph & xv
    return score


def normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def error_counts(reference: str, ocr: str) -> dict[str, tuple[int, int]]:
    """(errors, reference length) for characters, words with diacritics, words without
    them, and the reference words not found in the OCR text (order aside)."""
    ref, hyp = normalise(reference), normalise(ocr)
    ref_words, hyp_words = ref.split(), hyp.split()
    ref_fold, hyp_fold = fold(ref).lower().split(), fold(hyp).lower().split()
    found = Counter(hyp_words)
    missed = sum(max(0, n - found[word]) for word, n in Counter(ref_words).items())
    return {
        "char": (levenshtein(ref, hyp), len(ref)),
        "word": (levenshtein(ref_words, hyp_words), len(ref_words)),
        "word_folded": (levenshtein(ref_fold, hyp_fold), len(ref_fold)),
        "word_recall": (missed, len(ref_words)),
    }


def accuracy(reference: str, ocr: str) -> dict[str, float]:
    """Character and word accuracy (1 - edit distance / reference length), with
    diacritics and on the diacritic-free form, and the word recall (order aside)."""
    return {k: 1 - errors / max(1, total) for k, (errors, total) in error_counts(reference, ocr).items()}
