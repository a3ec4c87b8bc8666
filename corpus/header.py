"""Header and closing metadata of an administrative document.

Reads what Decree 30/2020/NĐ-CP puts at the top (issuing body, number, place
and date, type, subject) and at the bottom (recipients, signature block).
Real documents bend the form: the seeds lack the issuing-body lines, leave the
number or date blank, or put the signer's name after "Nơi nhận". A field the
document does not state stays None; the only inferences made are the issuer,
from how the document names itself ("UBND huyện Văn Quan tổ chức phiên họp"),
and the type when there is no type line (see ``_doc_type``).

``type_code`` is the code the number carries ("TB" in "163/TB-UBND"), None when
there is no number or it carries no code ("207/2025/QH15"), even where the type
is known from a type line.

A copy (sao y, sao lục, trích sao; Decree 30, Appendix I) prints the copied
document whole and adds the copying body's block after it: its name, "SAO Y BẢN
CHÍNH" or "SAO LỤC", its own "Số: 05/SL-UBND", date, recipients and signature.
The copy's metadata is the original's: that block is left out of the closing and
the body. Only a document whose own header is the copy's ("Số: 01/2011/SL-LPQT"
at the top, as the Gazette prints copied treaties) is a "Sao lục".
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from corpus.dates import WORDED_DATE, find_dates, iso_date
from corpus.doctypes import FORM_CODES, TYPE_CODES, TYPE_LINES, canonical_code, is_type_line, type_for_code
from corpus.lines import Line
from corpus.models import DocumentMetadata
from corpus.vietnamese import fold

# --- patterns -------------------------------------------------------------

NATIONAL_MOTTO = [
    "CONG HOA XA HOI CHU NGHIA VIET NAM",
    "DOC LAP - TU DO - HANH PHUC",
    "DOC LAP – TU DO – HANH PHUC",
    "DANG CONG SAN VIET NAM",
]
# "Số: 163/TB-UBND"; laws and resolutions of the National Assembly name their type
# on that line: "Luật số: 59/2020/QH14", "Nghị quyết số: 207/2025/QH15".
NUMBER_LINE = re.compile(
    r"^\s*(?:(?P<type>Bộ luật|Luật|Nghị quyết|Pháp lệnh)\s+s[ốo]\s*:|S[ốo]\s*(?::|\s))\s*(?P<rest>.*)$", re.IGNORECASE
)
# "163/TB-UBND", "309 /BC-UBND", "18/2012/TTLT-BTC-BTTTT", "01/2012/NQLT/CP-BCHTWĐTN",
# "08a/2010/TT-BTP", "66.11/2026/NQ-CP", party style "06-NQ/HU", and a draft's
# "/TB-UBND" with the sequence number left blank.
STATE_NUMBER = re.compile(
    r"^(?P<seq>\d+[A-Za-z]?(?:\.\d+)?)?\s*/\s*(?:(?P<year>\d{4})\s*/\s*)?"
    r"(?P<sym>[A-ZĐa-zđ][\wĐđ&.]*(?:\s*-\s*[\wĐđ&.]+|/[\wĐđ&.]+)*)"
)
PARTY_NUMBER = re.compile(r"^(?P<seq>\d+)?\s*-\s*(?P<code>[A-ZĐa-zđ]+)\s*/\s*(?P<org>[\wĐđ.\-]+)")
PLACE_DATE = re.compile(r"(?P<place>[^\d,;:()]{2,40}?),\s*(?=ngày\b)", re.IGNORECASE)
AUTHORITY = re.compile(
    r"^(UY BAN NHAN DAN|UBND|HOI DONG NHAN DAN|CHU TICH|BO TRUONG|GIAM DOC|BAN THUONG VU|QUOC HOI|CHINH PHU|THU TUONG)\b"
)
# "Ngày 17/7/2024, …", and a record's "Hôm nay, vào lúc 14 giờ 00 phút, ngày 15/3/2024".
EVENT_OPENING = re.compile(
    r"^(?:(?:Hôm nay|Vào|Sáng|Chiều|Tối|Trong)\s*,?\s*"
    r"(?:(?:vào\s+)?(?:lúc|hồi)\s+\d{1,2}\s*(?:giờ|h|:)\s*(?:\d{1,2}\s*(?:phút)?)?\s*,?\s*)?"
    r"(?:các\s+)?)?ngày\s*(?=\d)",
    re.IGNORECASE,
)
SUBJECT_VV = re.compile(r"^\s*V/v\.?\s*:?\s*(?P<subject>.+)$", re.IGNORECASE)
# The subject written out, under the number of a document that has no type line.
SUBJECT_VE_VIEC = re.compile(r"^\s*Về việc\s+\S", re.IGNORECASE)
SEPARATOR = re.compile(r"^[\s\-_–—=*.]+$")
HTML_COMMENT = re.compile(r"^<!--.*-->$")
SIGNATURE_NOISE = re.compile(
    r"^\(?\s*(đã ký|ký|ký tên|ký, ghi rõ họ tên|ký và đóng dấu|đã ký và đóng dấu)[^)]*\)?$|^Ký bởi\b",
    re.IGNORECASE,
)
RECIPIENTS_LINE = re.compile(r"^Nơi\s+nhận\s*:?\s*(?P<rest>.*)$", re.IGNORECASE)
BULLET = re.compile(r"^[-+•–*]\s*")
# Words that make an upper-case line a title, not a name written in capitals.
TITLE_WORDS = re.compile(
    r"\b(CHỦ TỊCH|GIÁM ĐỐC|TRƯỞNG|PHÓ|VĂN PHÒNG|BÍ THƯ|ỦY BAN|UỶ BAN|THƯỜNG TRỰC|THƯỜNG VỤ|"
    r"CHÁNH|TM\.|KT\.|TL\.|TUQ\.|Q\.|HỘI ĐỒNG|BỘ TRƯỞNG|THỦ TRƯỞNG|CỤC|TỔNG)\b"
)
# Opening words of a first body paragraph; the subject never starts like this.
BODY_OPENERS = re.compile(
    r"^(Ngày\s+\d|Căn cứ|Thực hiện|Kính gửi|Sau khi|Vừa qua|Trong\s+(thời gian|những năm|tháng|năm|quý)|"
    r"Theo\s|Qua\s|Nhằm\s|Để\s|Tại\s|Hôm nay|Hiện nay|Được sự|Trên cơ sở)"
)

# The first heading of a body: "Điều 1.", "Chương I", "I. MỤC TIÊU", "1. Mục đích".
BODY_HEADING = re.compile(r"^(?:(?:Điều|Chương|Phần|Mục)\s+[\dIVXLC]+\b|[IVX]+\.\s|\d+\.\s)")

# Bodies named in running text, with the level of government that follows them.
LEVELS = r"(tỉnh|huyện|thành phố|thị xã|quận|xã|phường|thị trấn)"
NAME = r"((?:[A-ZĐÂĂÊÔƠƯÁÀẢÃẠẤẦẨẪẬẮẰẲẴẶÉÈẺẼẸẾỀỂỄỆÍÌỈĨỊÓÒỎÕỌỐỒỔỖỘỚỜỞỠỢÚÙỦŨỤỨỪỬỮỰÝỲỶỸỴ][\w]*\s?){1,4})"
BODY_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("UBND", re.compile(r"\b(?:UBND|Ủy ban nhân dân|Uỷ ban nhân dân)\s+" + LEVELS + r"(?:\s+" + NAME + r")?")),
    ("HĐND", re.compile(r"\b(?:HĐND|Hội đồng nhân dân)\s+" + LEVELS + r"(?:\s+" + NAME + r")?")),
    ("Huyện ủy", re.compile(r"\b(?:Huyện ủy|Huyện uỷ)(?:\s+" + NAME + r")?")),
    ("Tỉnh ủy", re.compile(r"\b(?:Tỉnh ủy|Tỉnh uỷ)(?:\s+" + NAME + r")?")),
    ("Thành ủy", re.compile(r"\b(?:Thành ủy|Thành uỷ)(?:\s+" + NAME + r")?")),
]
# Issuing-body codes after the type code in a number ("TB-UBND", "NQ/HU").
ISSUER_CODES = {"UBND": "UBND", "HU": "Huyện ủy", "TU": "Tỉnh ủy", "HĐND": "HĐND"}
# How an upper-case header line names a body, folded, -> how we write it.
HEADER_BODIES = [
    ("UY BAN NHAN DAN", "UBND"),
    ("UBND", "UBND"),
    ("HOI DONG NHAN DAN", "HĐND"),
    ("HDND", "HĐND"),
]
LEVEL_WORDS = ["THANH PHO", "THI XA", "THI TRAN", "TINH", "HUYEN", "QUAN", "XA", "PHUONG"]


@dataclass
class HeaderResult:
    metadata: DocumentMetadata
    body_start: int  # offset where the body begins (after the subject)
    body_end: int  # offset where the closing block (recipients, signature) begins
    # A closing block inside the body (an attachment follows it), and spans where
    # no heading is to be recognised (the attachment's title lines).
    closing_span: tuple[int, int] | None = None
    plain_spans: list[tuple[int, int]] = field(default_factory=list)


def _fold_upper(text: str) -> str:
    return fold(text).upper()


def _is_upper(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 2 and sum(c.isupper() for c in letters) >= 0.9 * len(letters)


def _strip_motto(text: str) -> str:
    folded = _fold_upper(text)
    for motto in NATIONAL_MOTTO:
        i = folded.find(motto)
        if i >= 0:
            # fold() preserves length, so offsets in the folded text are offsets in text.
            text = text[:i] + " " * len(motto) + text[i + len(motto):]
            folded = _fold_upper(text)
    return text.strip(" -–")


def _title_case(text: str) -> str:
    return " ".join(w[:1].upper() + w[1:].lower() for w in text.split())


def parse_number(rest: str) -> tuple[str | None, str | None]:
    """(number, type_code) from what follows "Số:"; number None when the sequence is blank."""
    rest = rest.strip()
    m = PARTY_NUMBER.match(rest)
    if m:
        code = canonical_code(m.group("code"))
        number = f"{m.group('seq')}-{m.group('code')}/{m.group('org')}" if m.group("seq") else None
        return number, code
    m = STATE_NUMBER.match(rest)
    if not m:
        return None, None
    symbol = re.sub(r"\s*-\s*", "-", m.group("sym")).rstrip(".")
    code = canonical_code(re.split(r"[-/]", symbol)[0])
    if not m.group("seq"):
        return None, code
    parts = [m.group("seq")] + ([m.group("year")] if m.group("year") else []) + [symbol]
    return "/".join(parts), code


def _number_length(rest: str) -> int:
    """How many characters of ``rest`` the number takes (0 if it is not one)."""
    for rx in (PARTY_NUMBER, STATE_NUMBER):
        m = rx.match(rest)
        if m:
            return m.end()
    return 0


def _number_line(text: str) -> re.Match[str] | None:
    """A "Số: …" line: with its colon, or with a number after "Số" ("Số 45/TB-UBND");
    not a sentence that starts with the word ("Số thư bình quân …")."""
    m = NUMBER_LINE.match(text)
    if m and (":" in text[: m.start("rest")] or _number_length(m.group("rest"))):
        return m
    return None


def _issuer_code(number_rest: str | None) -> str | None:
    if not number_rest:
        return None
    tail = re.split(r"[-/]", number_rest.strip())
    for part in reversed(tail):
        key = part.strip().upper().rstrip(".")
        if key in ISSUER_CODES:
            return ISSUER_CODES[key]
    return None


def _org_from_header(lines: list[str]) -> str | None:
    """Issuer from the upper-case lines above "Số:": the last one is the issuing body."""
    if not lines:
        return None
    line = lines[-1]
    party = ("HUYEN UY", "TINH UY", "THANH UY", "DANG UY")
    if len(lines) >= 2 and not _fold_upper(line).startswith(party) and any(
        _fold_upper(line).startswith(lv + " ") for lv in LEVEL_WORDS
    ):
        # "ỦY BAN NHÂN DÂN" / "HUYỆN SÔNG MÂY" written on two lines.
        line = f"{lines[-2]} {line}"
    folded = _fold_upper(line)
    for prefix, short in HEADER_BODIES:
        if folded.startswith(prefix):
            rest = line[len(prefix):].strip()
            rest_folded = folded[len(prefix):].strip()
            for level in LEVEL_WORDS:
                if rest_folded.startswith(level + " ") or rest_folded == level:
                    name = rest[len(level):].strip()
                    return f"{short} {rest[:len(level)].lower()}" + (f" {_title_case(name)}" if name else "")
            return f"{short} {_title_case(rest)}".strip()
    for suffix in party:
        if folded.startswith(suffix):
            name = line[len(suffix):].strip()
            head = _title_case(line[: len(suffix)])
            head = head[0] + head[1:].lower()
            return f"{head} {_title_case(name)}".strip()
    return _org_case(line)


# Words that head a body's name; the word after them starts the proper name
# ("PHÒNG NÔNG NGHIỆP" -> "Phòng Nông nghiệp"). Folded, lower case.
ORG_HEADS = {
    "phong", "so", "ban", "cuc", "bo", "chi cuc", "trung tam", "van phong", "ban quan ly",
    "cong an", "truong", "benh vien", "doan", "hoi", "uy ban", "tong cuc",
}
# One Vietnamese syllable, folded: what an abbreviation ("ubnd", "pt") is not.
SYLLABLE = re.compile(r"[bcdghklmnpqrstvx]*[aeiouy]+(?:c|ch|m|n|ng|nh|p|t)?")
LEVEL_NAMES = {"tinh", "huyen", "xa", "quan", "phuong", "thi tran", "thi xa", "thanh pho"}


def _org_case(line: str) -> str:
    """An upper-case body name in the usual case: "SỞ Y TẾ" -> "Sở Y tế",
    "PHÒNG NÔNG NGHIỆP VÀ PTNT" -> "Phòng Nông nghiệp và PTNT"."""
    words = line.split()
    folded = [fold(w).lower() for w in words]
    out: list[str] = []
    cap_next = True
    place = False  # after "huyện", "tỉnh" …: a place name, every syllable capitalised
    for i, (w, f) in enumerate(zip(words, folded)):
        if w in "-–":
            out.append(w)
            cap_next = True
            continue
        if not SYLLABLE.fullmatch(re.sub(r"\W", "", f)):
            out.append(w)  # an abbreviation: PTNT, GD&ĐT, UBND
            cap_next = False
            continue
        lw = w.lower()
        if place:
            out.append(lw[:1].upper() + lw[1:])
            continue
        level = f in LEVEL_NAMES or (i > 0 and f"{folded[i - 1]} {f}" in LEVEL_NAMES)
        out.append(lw[:1].upper() + lw[1:] if cap_next and not level else lw)
        place = level
        # Coordinated fields are capitalised too: "Văn hóa, Thể thao và Du lịch".
        cap_next = f == "va" or w.endswith(",") or any(
            " ".join(folded[j: i + 1]) in ORG_HEADS for j in range(max(0, i - 2), i + 1)
        )
    return " ".join(out)


def _org_from_text(text: str, hint: str | None, place: str | None) -> str | None:
    """Issuer from how the document names bodies in its subject and opening."""
    mentions = []
    for short, rx in BODY_PATTERNS:
        for m in rx.finditer(text):
            level = m.group(1) if short in ("UBND", "HĐND") else None
            name_group = 2 if short in ("UBND", "HĐND") else 1
            name = (m.group(name_group) or "").strip() or None
            mentions.append((m.start(), short, level, name))
    mentions.sort()
    if hint:
        mentions = [m for m in mentions if m[1] == hint] or mentions
    if not mentions:
        return f"{hint}" if hint else None
    _, short, level, name = mentions[0]
    if not name:
        named = [m for m in mentions if m[1] == short and m[2] == level and m[3]]
        name = named[0][3] if named else None
    return " ".join(p for p in (short, level, name) if p)


def _name_after_level(full_text: str, level: str, place: str | None) -> str | None:
    """Most frequent proper name after "huyện"/"tỉnh" in the document, preferring the place."""
    rx = re.compile(r"\b" + re.escape(level) + r"\s+" + NAME)
    names = Counter(m.group(1).strip() for m in rx.finditer(full_text))
    if place and place in names:
        return place
    return names.most_common(1)[0][0] if names else None


def _looks_like_name(text: str) -> bool:
    words = text.split()
    if not 2 <= len(words) <= 6 or any(c.isdigit() for c in text):
        return False
    if not all(w[:1].isupper() and w.replace("-", "").isalpha() for w in words):
        return False
    return not (_is_upper(text) and TITLE_WORDS.search(text))


def _is_title(text: str) -> bool:
    return _is_upper(text) and not RECIPIENTS_LINE.match(text)


MAX_PREAMBLE_LINES = 3


def _header_follows(lines: list[Line], start: int, within: int = 8) -> bool:
    """The national motto or a "Số:" line comes soon: what precedes them is a preamble."""
    for ln in lines[start:start + within]:
        if _number_line(ln.text) or _strip_motto(ln.text) != ln.text.strip(" -–"):
            return True
    return False


def parse_header(text: str, lines: list[Line]) -> HeaderResult:
    meta = DocumentMetadata()
    lines = [ln for ln in lines if not HTML_COMMENT.match(ln.text)]
    if not lines:
        return HeaderResult(meta, 0, len(text))

    # ---- top: scan the first lines until the subject has been read ----
    org_lines: list[str] = []
    number_rest: str | None = None
    type_line_idx: int | None = None
    body_start_idx = 0
    head_limit = min(len(lines), 25)
    subject_parts: list[Line] = []
    number_type: str | None = None  # "Luật số: …"
    preamble = 0
    for i in range(head_limit):
        ln = lines[i]
        if len(ln.text.split()) > 60:  # a long paragraph: the body has begun
            break
        cleaned = _strip_motto(ln.text)
        if not cleaned or SEPARATOR.match(cleaned):
            body_start_idx = i + 1
            continue
        m = _number_line(cleaned)
        if m and number_rest is None:
            number_rest = m.group("rest")
            if m.group("type"):
                number_type = _type_name(m.group("type"))
            cleaned = ""
            body_start_idx = i + 1
            # The place and date may share the line in a PDF's two-column header.
            after = m.group("rest")[_number_length(number_rest):]
            if PLACE_DATE.search(after):
                number_rest = m.group("rest")[: len(m.group("rest")) - len(after)]
                cleaned = after.strip()
            else:
                continue
        vv = SUBJECT_VV.match(cleaned)
        if vv and meta.subject is None:
            subject_parts = [ln]
            meta.subject = vv.group("subject").strip()
            body_start_idx = i + 1
            continue
        if meta.subject is None and type_line_idx is None and (number_rest or meta.place) and SUBJECT_VE_VIEC.match(cleaned):
            subject_parts = [ln]
            meta.subject = cleaned.strip()
            body_start_idx = i + 1
            continue
        pd = PLACE_DATE.match(cleaned)
        if pd and meta.place is None and WORDED_DATE.search(cleaned):
            place = pd.group("place").strip()
            meta.place = place if not _is_upper(place) else _title_case(place)
            wd = WORDED_DATE.search(cleaned)
            meta.issued_date = iso_date(wd.group(1), wd.group(2), wd.group(3))
            body_start_idx = i + 1
            continue
        if type_line_idx is None and _is_upper(cleaned):
            folded = _fold_upper(cleaned)
            for upper_name, name in TYPE_LINES:
                if folded == _fold_upper(upper_name) or folded.startswith(_fold_upper(upper_name) + " "):
                    meta.doc_type = name
                    type_line_idx = i
                    body_start_idx = i + 1
                    break
            if type_line_idx == i:
                # The subject follows: one paragraph, possibly wrapped over lines.
                j = i + 1
                while j < len(lines) and (not subject_parts or not lines[j].blank_before):
                    cand = lines[j].text
                    if SEPARATOR.match(cand) or HTML_COMMENT.match(cand):
                        j += 1
                        if subject_parts:
                            break
                        continue
                    if BODY_OPENERS.match(cand) or len(cand.split()) > 80 or _number_line(cand):
                        break
                    subject_parts.append(lines[j])
                    j += 1
                if subject_parts and meta.subject is None:
                    meta.subject = " ".join(p.text for p in subject_parts)
                body_start_idx = j
                # Skip a separator under the subject, and the authority line of a
                # decision ("ỦY BAN NHÂN DÂN HUYỆN SÔNG MÂY" above its "Căn cứ …").
                while body_start_idx < len(lines) and (
                    SEPARATOR.match(lines[body_start_idx].text) or AUTHORITY.match(_fold_upper(lines[body_start_idx].text))
                    and _is_upper(lines[body_start_idx].text)
                ):
                    body_start_idx += 1
                break
            if number_rest is None and meta.place is None:
                org_lines.append(cleaned)
                body_start_idx = i + 1
                continue
        if number_rest is None and meta.place is None and _is_upper(cleaned):
            org_lines.append(cleaned)
            body_start_idx = i + 1
            continue
        if type_line_idx is None and (number_rest or meta.place):
            # A Công văn has no type line: after "Số" and the date comes "V/v" or the body.
            # Once the body has begun, an upper-case line in it ("SAO LỤC" over a copy's
            # block, "QUYẾT ĐỊNH" over an attachment) is no type line of this document.
            if BODY_OPENERS.match(cleaned) or BODY_HEADING.match(cleaned) or len(cleaned.split()) > 25:
                break
            continue
        if not (org_lines or number_rest or meta.place) and preamble < MAX_PREAMBLE_LINES and _header_follows(lines, i + 1):
            # A line or two before the header (a note, a file's own title, "Bản sao").
            preamble += 1
            body_start_idx = i + 1
            continue
        break

    if number_rest is not None:
        meta.number, meta.type_code = parse_number(number_rest)
    letter = bool(meta.subject and subject_parts and SUBJECT_VV.match(subject_parts[0].text))
    meta.doc_type = _doc_type(meta.doc_type or number_type, meta.type_code, number_rest, letter)
    if meta.type_code is None and meta.doc_type and number_rest:
        code = canonical_code(number_rest.split("/")[-1].split("-")[0]) if "/" in number_rest else None
        meta.type_code = code
    if not (number_rest is not None or meta.place or meta.doc_type):
        body_start_idx = 0  # no administrative header at all (e.g. a legal article)

    # ---- bottom: recipients and signature ----
    end_idx = _copy_block_start(lines, body_start_idx)
    closing = _parse_closing(lines[:end_idx], body_start_idx)
    meta.recipients = closing.recipients
    meta.signer_title = " ".join(closing.titles) or None
    meta.signer_name = closing.name
    closing_idx = closing.start
    closing_span: tuple[int, int] | None = None
    plain: list[tuple[int, int]] = []
    if closing.end < end_idx:
        # An attachment follows the closing block: it is body, and its own title
        # lines ("QUY CHẾ" / its subject / "(Ban hành kèm theo …)") are not headings.
        closing_span = (lines[closing.start].start, lines[closing.end - 1].end)
        plain = _attachment_title(lines, closing.end)
        closing_idx = end_idx

    body_start = lines[body_start_idx].start if body_start_idx < len(lines) else len(text)
    body_end = lines[closing_idx].start if closing_idx < len(lines) else lines[-1].end
    body_end = max(body_end, body_start)

    # ---- issuer ----
    opening = " ".join(ln.text for ln in lines[body_start_idx: body_start_idx + 3])
    about = f"{meta.subject or ''} {opening}"
    if org_lines:
        meta.issuer = _org_from_header(org_lines)
    else:
        hint = _issuer_code(number_rest)
        if hint is None and meta.signer_title and "ỦY BAN NHÂN DÂN" in meta.signer_title.replace("UỶ", "ỦY"):
            hint = "UBND"
        issuer = _org_from_text(about, hint, meta.place)
        if issuer and issuer.split()[-1] in ("tỉnh", "huyện", "xã", "quận", "phường", "thị trấn", "thành phố", "thị xã"):
            level = issuer.split(" ", 1)[1]
            name_ = _name_after_level(text[body_start:body_end], level, meta.place)
            if name_:
                issuer = f"{issuer} {name_}"
        meta.issuer = issuer

    opening_idx = body_start_idx
    if opening_idx < len(lines) and lines[opening_idx].text.startswith("Kính gửi"):
        # A letter's addressees come before its opening paragraph.
        opening_idx += 1
        while opening_idx < len(lines) and BULLET.match(lines[opening_idx].text):
            opening_idx += 1
    meta.event_date = _event_date(meta.subject, lines[opening_idx: opening_idx + 2])
    return HeaderResult(meta, body_start, body_end, closing_span, plain)


def _type_name(text: str) -> str | None:
    """ "luật" -> "Luật": a type's name as ``TYPE_CODES`` writes it."""
    wanted = text.strip().lower()
    return next((name for name in TYPE_CODES if name.lower() == wanted), None)


def _doc_type(line_type: str | None, code: str | None, number_rest: str | None, letter: bool) -> str | None:
    """The document's type from its type line (or "Luật số:"), the code in its number,
    and whether it is a letter (no type line, a "V/v" subject); None when they cannot tell.

    A type line wins over a code that disagrees with it: the line is the document
    naming itself in words, while a number's code is a register's abbreviation, and
    the Gazette shows documents numbered in another type's register (a correction
    under a Công văn number, "12066/BTC-ĐT"). A form code is the exception (see
    ``FORM_CODES``): a consolidated text "29/VBHN-BXD" prints "THÔNG TƯ", the type
    of the text it consolidates, and is no new Thông tư."""
    if code in FORM_CODES:
        return type_for_code(code)
    if line_type:
        return line_type
    if code:
        return type_for_code(code)
    m = STATE_NUMBER.match(number_rest.strip()) if number_rest else None
    # A Công văn's number has neither type code nor year ("812/UBND-NN"); a number
    # with a year and no code is a law's or a resolution's ("207/2025/QH15"), which
    # the number alone cannot tell apart.
    if letter and m and not m.group("year"):
        return "Công văn"
    return None


# A copy's block after the copied document (Decree 30, Appendix I).
COPY_MARKS = {"SAO Y BAN CHINH", "SAO Y", "SAO LUC", "TRICH SAO"}
COPY_CODES = {"SY", "SL", "TS"}
MAX_COPY_BLOCK_LINES = 30
MAX_COPY_BODY_LINES = 3
# Upper-case lines naming the copying body above its mark ("ỦY BAN NHÂN DÂN" /
# "HUYỆN SÔNG MÂY"), folded; a signature title ("BỘ TRƯỞNG") is not one.
COPY_BODY = re.compile(
    r"^(UY BAN|UBND|HOI DONG|HDND|VAN PHONG|SO|PHONG|BO|BAN|CUC|TONG CUC|CHI CUC|TRUNG TAM|HUYEN|TINH|"
    r"THANH PHO|THI XA|QUAN|XA|PHUONG|THI TRAN|DANG UY|CONG AN)\b"
)
SIGNER_TITLE = re.compile(r"\b(TRUONG|CHU TICH|GIAM DOC|THU TUONG)\b|^(PHO|TM|KT|TL|TUQ|Q)\b")


def _is_copy_mark(text: str) -> bool:
    if _fold_upper(text).strip(" .:*-") in COPY_MARKS:
        return True
    m = _number_line(text)
    if not m:
        return False
    sm = STATE_NUMBER.match(m.group("rest").strip())
    return bool(sm) and re.split(r"[-/]", sm.group("sym").strip())[0].upper() in COPY_CODES


def _copy_block_start(lines: list[Line], first: int) -> int:
    """Index of the first line of a copy's block at the end of the document, or len(lines)."""
    n = len(lines)
    for k in range(max(first + 1, n - MAX_COPY_BLOCK_LINES), n):
        if not _is_copy_mark(lines[k].text):
            continue
        mark = k
        while k - 1 > first and mark - k < MAX_COPY_BODY_LINES:
            folded = _fold_upper(lines[k - 1].text).strip()
            if not (_is_upper(lines[k - 1].text) and COPY_BODY.match(folded)) or SIGNER_TITLE.search(folded):
                break
            k -= 1
        return k
    return n


def _attachment_title(lines: list[Line], first: int) -> list[tuple[int, int]]:
    """Spans of an attachment's title block: its type line and the lines under it
    up to the first blank-separated paragraph that is not part of the title."""
    if first >= len(lines) or not is_type_line(lines[first].text):
        return []
    end = first + 1
    while end < len(lines) and end - first <= 3:
        t = lines[end].text
        if len(t.split()) > 40 or re.match(r"^(Chương|Điều|Phần|Mục)\s|^[IVX]+\.|^\d+\.", t):
            break
        end += 1
    return [(lines[first].start, lines[end - 1].end)]




def _event_date(subject: str | None, opening: list[Line]) -> str | None:
    """The date of the meeting or event the document reports: "(Ngày 24 tháng 9 năm
    2024)" in the subject, or an opening paragraph that starts "Ngày 17/7/2024, …".
    Dates cited in passing ("Nghị quyết số 01/NQ-CP ngày 06/01/2023") do not count."""
    if subject:
        for start, _, iso in find_dates(subject):
            if re.search(r"\(\s*(ngày\s*)?$", subject[:start], re.IGNORECASE):
                return iso
    for ln in opening:
        m = EVENT_OPENING.match(ln.text)
        if m:
            dates = find_dates(ln.text[: m.end() + 40])
            if dates:
                return dates[0][2]
    return None


@dataclass
class Closing:
    start: int  # index of the first line of the closing block
    end: int  # index after its last line
    recipients: list[str] | None
    titles: list[str]
    name: str | None


def _recipients(lines: list[Line], rec_idx: int) -> tuple[list[str], set[int]]:
    """The "Nơi nhận" list starting at line ``rec_idx``, and the lines it occupies."""
    n = len(lines)
    used = {rec_idx}
    items: list[str] = []
    first = RECIPIENTS_LINE.match(lines[rec_idx].text).group("rest").strip()
    if first:
        items.extend(x for x in re.split(r"\s*(?:^|;)\s*-\s*", first) if x)
    j = rec_idx + 1
    while j < n:
        t = lines[j].text
        if BULLET.match(t) and not _is_title(t):
            items.append(BULLET.sub("", t))
        elif (
            items
            and not lines[j].blank_before
            and not items[-1].rstrip().endswith((";", "."))
            and not _looks_like_name(t)
        ):
            items[-1] = f"{items[-1]} {t}"  # a recipient wrapped onto the next line
        else:
            break
        used.add(j)
        j += 1
    return [re.sub(r"[;,.]+$", "", x).strip() for x in items if x.strip()], used


def _signature_line(t: str) -> str | None:
    """What a line of a signature block is: "noise", "name", "title", or None."""
    if SIGNATURE_NOISE.match(t) or SEPARATOR.match(t):
        return "noise"
    if _looks_like_name(t):
        return "name"
    if _is_title(t) and len(t.split()) <= 12:
        return "title"
    return None


def _parse_closing(lines: list[Line], body_start_idx: int) -> Closing:
    """Find the closing block: recipients and signature, in either order.

    It is normally at the end of the document. A decision that carries its
    regulation after the signature ("QUY CHẾ … ban hành kèm theo") has it in the
    middle; then the text after it is body too."""
    n = len(lines)
    rec_idx = next(
        (i for i in range(n - 1, body_start_idx - 1, -1) if RECIPIENTS_LINE.match(lines[i].text)), None
    )
    recipients, rec_lines = _recipients(lines, rec_idx) if rec_idx is not None else (None, set())

    # Walk back from the end over everything that belongs to the closing block.
    start = n
    name: str | None = None
    titles: list[tuple[int, str]] = []
    i = n - 1
    while i >= body_start_idx:
        t = lines[i].text
        kind = "recipients" if i in rec_lines else _signature_line(t)
        if kind == "name" and (name is not None or titles):
            kind = "title" if _is_title(t) else None
        if kind is None:
            break
        if kind == "name":
            name = t
        elif kind == "title":
            titles.append((i, t))
        start = i
        i -= 1
    if rec_idx is None or start <= rec_idx:
        titles.sort()
        return Closing(start, n, recipients, [t for _, t in titles], name)

    # The recipients sit in the middle: the closing block spans them and the
    # signature lines right before and after them.
    titles, name = [], None
    first = rec_idx
    while first - 1 >= body_start_idx and _signature_line(lines[first - 1].text):
        first -= 1
    last = max(rec_lines) + 1
    while last < n and name is None and _signature_line(lines[last].text):
        last += 1
        if _signature_line(lines[last - 1].text) == "name":
            name = lines[last - 1].text
    for j in range(first, last):
        if j in rec_lines:
            continue
        kind = _signature_line(lines[j].text)
        if kind == "name" and name is None:
            name = lines[j].text
        elif kind == "title" and lines[j].text != name:
            titles.append((j, lines[j].text))
    return Closing(first, last, recipients, [t for _, t in sorted(titles)], name)
