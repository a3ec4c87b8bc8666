"""How a document points at other documents: every reference it makes, and what it
does to the document it names.

A reference is written "type số NUMBER ngày DATE của ISSUER", any part but the
number possibly missing ("Thông tư 50/2010/TT-BNNPTNT"). What the citing document
does to it is read from the verb that governs it:

* ``amends``: sửa đổi, bổ sung
* ``replaces``: thay thế
* ``repeals``: bãi bỏ, hủy bỏ, hết / chấm dứt hiệu lực, and a suspension without
  end (dừng thực hiện, ngưng hiệu lực thi hành, see below)
* ``guides``: hướng dẫn (thi hành, thực hiện), quy định chi tiết / cụ thể; also
  what a guiding or rule-setting statement does under a document ("hướng dẫn …
  theo quy định tại Nghị định X", "quy định về … quy định tại Nghị định X")
* ``corrects``: đính chính
* ``consolidates``: hợp nhất
* ``implements``: thực hiện, triển khai, thi hành
* ``basis``: căn cứ
* ``cites``: anything else, including a document named inside another one's
  description ("sửa đổi Quyết định 12/QĐ-UBND về việc triển khai Nghị quyết
  05-NQ/TU": 12/QĐ-UBND is amended, 05-NQ/TU only cited), a passive ("được sửa
  đổi, bổ sung bởi …") and a temporary suspension ("tạm dừng hiệu lực …"): the
  document applies again when it ends.

A suspension without end ("dừng thực hiện", "ngưng hiệu lực thi hành") is
recorded as ``repeals``: there is no relation of its own for it, and from then
on the document does not apply, as after a repeal.

A list after one verb shares it: in "sửa đổi Thông tư A và Thông tư B" both are
amended, and so do items each done under its own document ("hướng dẫn chế độ A
theo Nghị định X, chế độ B theo Nghị định Y"). A verb that opens a law's name
("Luật sửa đổi, bổ sung …") governs nothing; a text issued with or under a
document ("Điều lệ … ban hành kèm theo Quyết định X") stands for the document.
A document coordinated after a description ("Nghị định A quy định … và Nghị
định B") joins the closest earlier document of the same type, else the one just
before it. A verb is read with a tone mark dropped or mistyped ("bài bỏ"),
except where another tone makes a word met beside it.

Only references that carry a number are reported: the document numbers come from
``corpus.numbers``; "Luật Đất đai năm 2013" and other unnumbered names serve only
to tell which verb governs a later number. Everything is pure and cheap enough to
run on every indexed document: about 0.1 ms per 1,000 characters of ordinary text.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, replace

from corpus.dates import NUMERIC_DATE, iso_date
from corpus.doctypes import TYPE_CODES, type_for_code
from corpus.models import ParsedDocument
from corpus.numbers import DocNumber, find_numbers, number_key

__all__ = ["RELATIONS", "Reference", "find_references", "extract_references", "document_references"]

RELATIONS = ("amends", "replaces", "repeals", "guides", "corrects", "consolidates", "implements", "basis", "cites")

# When one document is named several times, the mention that says most about the link wins.
_RANK = {r: i for i, r in enumerate(
    ("corrects", "consolidates", "replaces", "repeals", "amends", "guides", "implements", "basis", "cites"))}


@dataclass(frozen=True)
class Reference:
    """One document named by another."""

    doc_type: str | None  # "Thông tư" as written, else the type the number's code says
    number: str | None  # as written, spaces tidied: "18/2010/TT-BCT" (always set: unnumbered names are not reported)
    number_key: str | None  # ``corpus.numbers.number_key`` of the number
    date: str | None  # ISO date of issue, when written with the reference
    issuer: str | None  # "Bộ Công Thương", as written after "của"
    relation: str  # one of RELATIONS
    text: str  # the reference as written, type to issuer
    char_span: tuple[int, int] | None  # into the text searched; None for a title searched apart


# ------------------------------------------------------------------ patterns

# Document types as written before a number or as the name of a document, longest first.
_TYPE_NAMES = sorted(
    {*(name for name in TYPE_CODES), "Kết luận", "Đính chính", "Văn bản hợp nhất", "Nghị quyết liên tịch", "Hiến pháp",
     "Lệnh", "Sắc lệnh", "Điều lệ", "Văn bản"},
    key=len, reverse=True)
_TYPE_ALT = "|".join(re.escape(n) for n in _TYPE_NAMES)
_TYPE_BY_LOWER = {n.lower(): n for n in _TYPE_NAMES}
# The type (any case) just before a number: "Thông tư số 18/…", "thông tư 18/…", "Quyết định số: 5/…",
# a code name between them ("Luật Dân số số 113/2025/QH15"), or a bare "số 3372/QĐ-UBND".
_TYPE_BEFORE = re.compile(
    rf"(?:(?<!\w)(?:(?i:(?P<type>{_TYPE_ALT}))|(?P<law>(?i:bộ luật|luật|pháp lệnh))"
    rf"(?:\s+(?!của\b|(?i:{_TYPE_ALT})\b)[\w,-]+){{1,12}}?"
    rf"(?=\s+số\b))\s*)?(?i:(?P<so>s[ốô]\s*:?\s*))?$")
# Kinds of document whose bare name ("Luật Nhà ở", "Thông tư hướng dẫn …") stands for another document.
# Plans, programmes and regulations are left out: "ban hành Kế hoạch thực hiện …" is the citing document itself.
_ANCHOR_NAMES = ("Bộ luật", "Luật", "Pháp lệnh", "Hiến pháp", "Nghị định", "Thông tư liên tịch", "Thông tư",
                 "Nghị quyết liên tịch", "Nghị quyết", "Quyết định", "Chỉ thị", "Kết luận", "Thông báo", "Công văn")
_ANCHOR = re.compile(rf"(?<![\w])(?:{'|'.join(_ANCHOR_NAMES)})(?![\w])(?!\s+(?:này|nay|đó|trên)\b)")
# The same kind of document for the purpose of coordination.
_TYPE_FAMILY = {"Thông tư liên tịch": "Thông tư", "Nghị quyết liên tịch": "Nghị quyết", "Bộ luật": "Luật"}

# A standard's number ("QCVN 33:2019/BGTVT") is not a document number.
# Nor is a form's ("mẫu số 02/NDAN", "Biểu số 01/BC").
_STANDARD_BEFORE = re.compile(r"(?:QCVN|TCVN|QCĐP|ISO|IEC)[\s\d.:-]*$|(?i:mẫu|biểu|phụ lục)\s*(?i:số)?\s*:?\s*$")

_DATE_AFTER = re.compile(r"\s*,?\s*(?:ban hành\s+|đề\s+)?ng[àa]y\s*", re.IGNORECASE)
_WORDED_AT = re.compile(r"(\d{1,2})\s*tháng\s*(\d{1,2})\s*năm\s*(\d{4})", re.IGNORECASE)
_ISSUER_AFTER = re.compile(r"\s*,?\s*(?:của|do)\s+")
_WORD = re.compile(r"\S+")
# Lower-case words that end an issuer's name: the description of the document begins.
_ISSUER_STOP = re.compile(
    r"(?:quy định|quyết định|hướng dẫn|về|ban hành|sửa đổi|bổ sung|thay thế|bãi bỏ|thực hiện|triển khai|phê duyệt|"
    r"thành lập|hợp nhất|đính chính|căn cứ|đã|được|bị|tại|theo|để|trong|đối với|có|hết|thì|nay|là|giữa|với|như|"
    r"ngày|ngay|số|gồm|thuộc|nhằm|khi|sau|trước|kể từ|kèm|hoặc|thông báo|kết luận|tổng kết|thông qua|chỉ đạo|thí điểm|"
    r"yêu cầu|đề nghị|giao|cho|trình|tổ chức|giai đoạn|thời kỳ|năm|phát động|đảm bảo|bảo đảm|"
    r"và\s+(?:các\s+)?(?:" + _TYPE_ALT.lower() + r"))(?!\w)")
_ISSUER_STOP_ANYCASE = re.compile(
    r"(?:quy định|hướng dẫn|về|ban hành|sửa đổi|bổ sung|thay thế|bãi bỏ|thực hiện|triển khai|phê duyệt|hợp nhất|"
    r"đính chính|căn cứ)(?!\w)", re.IGNORECASE)
_ISSUER_TYPE = re.compile(rf"(?:{'|'.join(_ANCHOR_NAMES)})\b")

# Verbs, longest first within each relation; matched on the lower-cased text.
_VERBS: dict[str, tuple[str, ...]] = {
    "guides": ("hướng dẫn thi hành", "hướng dẫn thực hiện", "hướng dẫn chi tiết", "hướng dẫn", "quy định chi tiết",
               "quy định cụ thể", "quy định và hướng dẫn", "quy định thực hiện"),
    "amends": ("sửa đổi", "bổ sung"),
    "replaces": ("thay thế",),
    "repeals": ("bãi bỏ", "hủy bỏ", "chấm dứt hiệu lực thi hành", "chấm dứt hiệu lực",
                "hết hiệu lực thi hành", "hết hiệu lực",
                # A suspension without end: the document no longer applies.
                "dừng thực hiện", "ngừng thực hiện", "ngừng hiệu lực thi hành", "ngừng hiệu lực", "dừng hiệu lực",
                "ngừng áp dụng", "dừng áp dụng", "đình chỉ thi hành", "đình chỉ việc thi hành"),
    "corrects": ("đính chính",),
    "consolidates": ("hợp nhất",),
    "implements": ("tổ chức thực hiện", "thực hiện", "triển khai", "quán triệt", "thi hành"),
    "guides_extra": ("biện pháp thi hành",),
    "basis": ("căn cứ",),
    # Verbs that suspend for a time or merely mention: they take the document from any verb before them.
    "cites": ("tạm dừng thực hiện", "tạm dừng hiệu lực thi hành", "tạm dừng hiệu lực", "tạm dừng áp dụng", "tạm dừng",
              "tạm ngừng thực hiện", "tạm ngừng hiệu lực thi hành", "tạm ngừng hiệu lực", "tạm ngừng áp dụng",
              "tạm ngừng", "tạm đình chỉ thi hành", "tạm đình chỉ việc thi hành", "tạm đình chỉ", "đình chỉ",
              "hiệu lực thi hành", "điều khoản thi hành", "liên quan đến",
              # Approval and issue name where a thing comes from: "Đề án … phê duyệt tại Quyết định số …".
              "phê duyệt", "ban hành"),
}
_VERB_RELATION = {v: rel.removesuffix("_extra") for rel, verbs in _VERBS.items() for v in verbs}

# A tone mark dropped or mistyped on a verb ("bài bỏ" for "bãi bỏ", "huỷ" for "hủy", "ngưng" for "ngừng") still
# makes the verb, except on the syllables that another tone turns into a word met beside them: "hoạch định chính
# sách" is no "đính chính", nor "xây dựng thực hiện" a "dừng", "văn bản hành chính" a "ban hành", "hình thức hiện
# diện" a "thực hiện", "thì hành khách" a "thi hành", "sữa đối với" a "sửa đổi", "quy định cũ thể hiện" a "quy định
# cụ thể". Checked on the 41,148 codified articles and 4,036 Gazette titles: every other variant met is a typo.
_TONE_MARKS = "\u0300\u0301\u0309\u0303\u0323"  # huyền sắc hỏi ngã nặng
_TONE_EXACT = frozenset({"đính", "đình", "định", "dừng", "dựng", "ban", "thực", "hiện", "thi", "sửa", "đổi", "chỉ", "dẫn",
                         "đến", "cụ", "quy"})


def _tone_classes() -> dict[str, str]:
    """Each vowel -> a character class of that vowel under every tone: "ã" -> "[aàáảãạ]"."""
    classes = {}
    for base in "aăâeêioôơuưy":
        toned = base + "".join(unicodedata.normalize("NFC", base + mark) for mark in _TONE_MARKS)
        classes.update(dict.fromkeys(toned, f"[{toned}]"))
    return classes


_TONE_CLASS = _tone_classes()


def _any_tone(verb: str) -> str:
    """A pattern for ``verb`` (lower case) with any tone on each vowel of a syllable not in ``_TONE_EXACT``."""
    return " ".join(re.escape(w) if w in _TONE_EXACT else "".join(_TONE_CLASS.get(c, re.escape(c)) for c in w)
                    for w in verb.split(" "))


_VERBS_LONGEST = sorted(_VERB_RELATION, key=len, reverse=True)
_VERB_ALT = "|".join(_any_tone(v) for v in _VERBS_LONGEST)
# One verb, its group name saying which: "v3" is ``_VERBS_LONGEST[3]``.
_VERB_ONE = re.compile("|".join(f"(?P<v{i}>{_any_tone(v)})" for i, v in enumerate(_VERBS_LONGEST)))
# Verbs joined by commas or "và" ("sửa đổi, bổ sung, bãi bỏ"): one group, read by ``_group_relation``.
# "làm căn cứ", "có căn cứ": the noun, not "Căn cứ Nghị định …".
# "ban hành (kèm) theo" says what contains a thing, not what is done to the document: "sửa đổi Điều lệ … ban hành
# kèm theo Quyết định số …" amends the decision, "hướng dẫn … Đề án … ban hành theo Quyết định số …" guides it.
_VERB_GROUP = re.compile(
    rf"(?<!\w)(?<!làm )(?<!là )(?<!có )(?<!các )(?<!những )(?:{_VERB_ALT})(?:\s*(?:,|và)\s*(?:{_VERB_ALT}))*"
    r"(?!\w)(?<!ban hành)|(?<!\w)ban hành(?!\s+kèm)(?!\s+theo)(?!\w)")
_PASSIVE_BEFORE = re.compile(r"(?:được|bị)\s*$")
_AS_NOUN_BEFORE = re.compile(r"(?<!\w)theo\s*$")
_PROVIDED_IN = re.compile(r"(?<!\w)(?:quy định tại|theo quy định|được)(?!\w)")
_COORD_BEFORE = re.compile(r"(?:[,;]|\bvà|\bđồng thời|\bcũng như)\s*$")
# Between the verbs that act on a document itself and the document, "theo" means "in accordance with":
# "bãi bỏ một số thủ tục theo Nghị quyết 57" does not repeal the resolution. "kèm theo" is not that.
_ACCORDING = re.compile(r"(?<!kèm )(?<!\w)theo(?!\w)")
_DIRECT = frozenset({"amends", "replaces", "repeals", "corrects"})
_OWNED_BY = re.compile(r"\bcủa\s*$")
# A semicolon ends an item of a list, unless what follows is a part of the same document ("Điều 13; khoản 2
# Điều 16 của Điều lệ …").
_ITEM_END = re.compile(r";(?!\s*(?:điều|khoản|điểm|mục|chương|phần|phụ lục)(?!\w))")
_DOC_PART = re.compile(r"(?<!\w)(?:điều|khoản|điểm|mục|chương|phần|nội dung|quy định|phụ lục)(?!\w)")
# Between "thực hiện" and a document, these make it "carried out as that document provides", a citation:
# "thực hiện theo quy định tại Điều 18 Nghị định số …". Guidance does not lose to them: "hướng dẫn … theo quy
# định tại Nghị định số …" guides what that decree provides.
_AS_PROVIDED = {
    "implements": re.compile(r"^\s*theo\b|(?<!\w)(?:quy định (?:tại|của|theo)|theo quy định|như|"
                             r"theo (?:điều|khoản|điểm|mục|chương|phụ lục))(?!\w)"),
    "basis": re.compile(r"(?<!\w)theo quy định(?!\w)"),
}
# "sửa đổi, bổ sung tại Thông tư số …": amended there, by another document.
_BY_AGENT = re.compile(r"^\s*(?:tại|bởi|bằng)(?!\w)")
# A capitalised verb inside a statement names a document or a part ("… của Hướng dẫn thực hiện …").
_NAME_BEFORE = re.compile(r"[\w,)]\s*$")
# What may stand between two references of one list.
_CONNECTOR = re.compile(r"^(?:[,;:]|và|hoặc|cùng|[,;]\s*và|[,;]\s*hoặc|và\s+các|[,;]?\s*các)?$")
# What introduces the document a thing is done under, at the end of the text before it: "chế độ phụ cấp theo",
# "các đối tượng quy định tại Điều 14", "theo quy định tại". Not "ban hành kèm theo", which names where it is.
_INTRODUCER = re.compile(
    r"(?<!\w)(?<!kèm )(?:theo(?:\s+quy định\s+(?:tại|của))?|tại|quy định\s+(?:tại|của))"
    r"(?:\s+(?:điều|khoản|điểm|mục|chương|phụ lục)\s+[\w.]+)*\s*$")
# A list item of the statement, not of a description: it opens after a coordinator and holds no verb.
_ITEM_START = re.compile(r"^\s*(?:[,;]|và(?!\w))")
# A statement whose verb is "quy định" (sets rules on): "Thông tư số … quy định về … quy định tại Nghị định số …",
# "Thông tư này quy định …" guides what the decree provides. Not "quy định tại …", the noun phrase.
_PROVIDES = re.compile(
    rf"^\s*(?:(?:{_TYPE_ALT.lower()})(?:\s+này)?\s+)?(?:về việc\s+)?quy định(?!\s+(?:tại|của|theo)(?!\w))(?!\w)")
# A law's name opens with its verb: in "Luật sửa đổi, bổ sung một số điều của Luật Quản lý thuế" the verb governs
# nothing after it, and the law named after "của" is part of the name.
_NAMED_BY_VERB = frozenset({"Luật", "Pháp lệnh"})
_CONNECTOR_END = re.compile(r"(?:[,;:]|\bvà|\bhoặc)(?:\s+các)?\s*$")
# A verb written after its documents: "Thông tư số 12/2010/TT-BCT hết hiệu lực".
# Not when an agent follows: "Nghị định số A được sửa đổi bởi Nghị định số B" is B's doing, not ours.
_VERB_AFTER = re.compile(
    r"\s*,?\s*(?:đều\s+|cũng\s+)?(?:(?:đã\s+)?(?:bị|được)\s+(?P<passive>bãi bỏ|hủy bỏ|huỷ bỏ|thay thế)"
    r"(?!\s*(?:bởi|tại|theo|bằng|một phần|một số))|(?P<expire>hết hiệu lực|chấm dứt hiệu lực))", re.IGNORECASE)
_AFTER_RELATION = {"bãi bỏ": "repeals", "hủy bỏ": "repeals", "huỷ bỏ": "repeals", "thay thế": "replaces"}

# Where one statement ends: a full stop before a capital, a blank line, a line that ends a sentence
# or a heading in capitals. A line that ends mid-phrase is a wrapped line of the same statement.
_SENTENCE_END = re.compile(r"\n\s*\n|[.!?](?=\s+[A-ZĐÀ-Ỹ])|[.;:!?]\s*\n|\n(?=\s*(?:[-+•*]|\d+\.|[a-zđ]\)))")
_CAPS_LINE = re.compile(r"(?m)^[^a-zà-ỹđ\n]*[A-ZĐÀ-Ỹ][^a-zà-ỹđ\n]*$")
# A dot that ends an abbreviation or an article's label ("TP. Hà Nội", "Điều 5. Hiệu lực") ends no sentence.
_ABBREVIATION_DOT = re.compile(r"(?:\b(?:TP|Tp|TX|TT|ThS|TS|PGS|GS|ST|NXB)|(?:Điều|Chương|Mục|Phần)\s+[\w.]+)$")
_GAP_LIMIT = 400  # characters: a verb further back governs something else
_SOFT_HYPHEN = "\u00ad"


@dataclass
class _Mention:
    start: int
    end: int
    number: DocNumber | None  # None: a document named without a number, used only to read verbs
    doc_type: str | None
    written: str = ""  # the number as written
    key: str | None = None  # ``number_key`` of the number, computed once
    own: bool = False
    date: str | None = None
    issuer: str | None = None
    relation: str = "cites"
    coordinated: bool = False  # shares the verb of a mention before it
    introduced: bool = False  # written after "theo", "tại", "quy định tại": what a thing is done under
    depth: int = 0  # 0: governed by the citing document's own verbs; 1: named in another's description; …

    @property
    def family(self) -> str | None:
        return _TYPE_FAMILY.get(self.doc_type, self.doc_type) if self.doc_type else None


# ------------------------------------------------------------------ reading one mention


def _plausible(text: str, start: int, number: DocNumber) -> bool:
    """A number's symbol is a code in capitals ("UBND-NN", "QĐ-TTg"), not a word ("175/Bộ Quốc phòng")."""
    if _STANDARD_BEFORE.search(text, max(0, start - 16), start):
        return False
    for part in re.split(r"[-/]", number.symbol):
        upper = sum(c.isupper() for c in part)
        lower = sum(c.islower() for c in part)
        if part and (upper == 0 or lower >= upper):
            return False
    return True


def _tidy(written: str) -> str:
    """The number as written, without the spaces typing leaves around its separators."""
    # Legacy encodings put the Icelandic eth where Đ belongs ("NÐ-CP").
    return re.sub(r"\s*([/-])\s*", r"\1", written).replace("Ð", "Đ").replace("ð", "đ")


def _date_at(text: str, pos: int) -> tuple[str | None, int]:
    m = _DATE_AFTER.match(text, pos)
    if not m:
        return None, pos
    d = NUMERIC_DATE.match(text, m.end()) or _WORDED_AT.match(text, m.end())
    if not d:
        return None, pos
    iso = iso_date(d.group(1), d.group(2), d.group(3))
    return (iso, d.end()) if iso else (None, pos)


def _issuer_at(text: str, pos: int) -> tuple[str | None, int]:
    m = _ISSUER_AFTER.match(text, pos)
    if not m:
        return None, pos
    words: list[re.Match[str]] = []
    for w in _WORD.finditer(text, m.end(), min(len(text), m.end() + 160)):
        token = w.group()
        if not words and not (token[0].isupper() or token == "liên"):
            return None, pos
        if not token[0].isalnum():
            break  # a quotation or emphasis begins: the description
        if (token[0].islower() and _ISSUER_STOP.match(text, w.start())) or _ISSUER_STOP_ANYCASE.match(text, w.start()):
            break
        if token[0].isupper() and words and _ISSUER_TYPE.match(text, w.start()):
            break
        if token == "và":
            nxt = _WORD.search(text, w.end())
            if not nxt or not nxt.group()[0].isupper():
                break  # "của Chính phủ và điều chỉnh trợ cấp …": a name goes on after "và" in capitals
        if words and "\n" in text[words[-1].end():w.start()]:
            break
        words.append(w)
        if token[-1] in ".;:)(\"”" or len(words) >= 16:
            break
        if token.endswith(","):
            nxt = _WORD.match(text, w.end() + 1) if w.end() + 1 < len(text) else None
            if not nxt or not nxt.group()[0].isupper() or _ISSUER_TYPE.match(text, nxt.start()):
                break
    while words and words[-1].group().rstrip(",.;:)(\"”").lower() in {"và", "", "của"}:
        words.pop()
    if not words:
        return None, pos
    end = words[-1].end()
    while end > words[0].start() and text[end - 1] in ",.;:)(\"”":
        end -= 1
    return text[words[0].start():end], end


def _numbered(text: str, own_key: str | None, title: bool) -> list[_Mention]:
    out: list[_Mention] = []
    for start, end, number in find_numbers(text):
        if not _plausible(text, start, number):
            continue
        m = _TYPE_BEFORE.search(text, max(0, start - 80), start)
        ref_start, doc_type = start, None
        if m and m.group(0):
            ref_start = m.start()
            if m.group("type") or m.group("law"):
                written = m.group("type") or m.group("law")
                doc_type = _TYPE_BY_LOWER.get(written.lower(), written)
        if doc_type is None and number.type_code:
            doc_type = type_for_code(number.type_code)
        mention = _Mention(ref_start, end, number, doc_type, written=text[start:end], key=number.key)
        mention.own = own_key is not None and mention.key == own_key
        # A title opens with the document's own type and number.
        mention.own = mention.own or (title and own_key is None and not text[:ref_start].strip())
        mention.date, pos = _date_at(text, end)
        mention.issuer, pos = _issuer_at(text, pos)
        if mention.date is None:
            mention.date, pos = _date_at(text, pos)
        mention.end = pos
        out.append(mention)
    return out


def _anchors(text: str, numbered: list[_Mention], title: bool) -> list[_Mention]:
    """Documents named without a number ("Luật Nhà ở", "hợp nhất Thông tư hướng dẫn …")."""
    out = []
    starts = [m.start for m in numbered]  # in order, and the spans do not overlap
    for a in _ANCHOR.finditer(text):
        i = bisect_right(starts, a.start()) - 1
        if i >= 0 and a.start() < numbered[i].end:
            continue  # the type word of a numbered reference
        if title and not text[:a.start()].strip():
            continue  # the title's own type
        out.append(_Mention(a.start(), a.end(), None, a.group()))
    return out


# ------------------------------------------------------------------ verbs


def _statement_start(text: str, lo: int, hi: int) -> int:
    """Where the statement containing ``hi`` begins, not before ``lo``."""
    start = lo
    for m in _SENTENCE_END.finditer(text, lo, hi):
        if m.group().startswith(".") and _ABBREVIATION_DOT.search(text, max(lo, m.start() - 24), m.start()):
            continue
        start = m.end()
    for m in _CAPS_LINE.finditer(text, start, hi):
        if m.end() < hi:
            start = max(start, m.end())
    return start


def _group_relation(group: str) -> str:
    """"sửa đổi, bổ sung, bãi bỏ …" amends; otherwise the verb nearest the document decides
    ("kéo dài thời gian thực hiện và sửa đổi …", "hướng dẫn thực hiện và quy định cụ thể …")."""
    relations = [_VERB_RELATION[_verb(v)] for v in _VERB_ONE.finditer(group)]
    return "amends" if "amends" in relations else relations[-1]


def _verb(match: re.Match[str]) -> str:
    """The verb a ``_VERB_ONE`` match is, as ``_VERBS`` writes it."""
    return _VERBS_LONGEST[int(match.lastgroup[1:])]


def _verb_relation(written: str, top_level: bool, title: bool) -> tuple[str | None, bool]:
    """The relation the verbs in ``written`` (the text before a reference) give it, and whether the
    verb that gives it opens a new clause of the citing document (after "và", a comma, a semicolon).
    ``title``: the text is a title, one statement whose semicolons separate the objects of its verb."""
    gap = written.lower()
    # A heading in capitals ("LỘ TRÌNH THỰC HIỆN") names a part; its words are not verbs.
    groups = [g for g in _VERB_GROUP.finditer(gap) if not written[g.start():g.end()].isupper()
              and not (written[g.start()].isupper() and _NAME_BEFORE.search(written, 0, g.start()))]
    for i in range(len(groups) - 1, -1, -1):
        g = groups[i]
        relation = _group_relation(g.group())
        before = gap[:g.start()]
        opens = top_level or bool(_COORD_BEFORE.search(before))
        if _PASSIVE_BEFORE.search(before) or _AS_NOUN_BEFORE.search(before):
            return "cites", opens  # "được sửa đổi bởi …", "theo hướng dẫn tại …"
        if relation == "basis" and before.strip(" \t\n-+•*"):
            return "cites", opens  # only a statement that opens with "Căn cứ" states a legal basis
        if relation in _DIRECT and _ACCORDING.search(gap, g.end()):
            continue  # "bãi bỏ thủ tục … theo Nghị quyết …": look for a verb before it
        tail = gap[g.end():]
        if relation in _DIRECT and _BY_AGENT.match(tail):
            return "cites", opens
        if relation in _AS_PROVIDED and _AS_PROVIDED[relation].search(tail):
            return "cites", opens
        if relation in ("implements", "guides") and _OWNED_BY.search(tail) and not _DOC_PART.search(tail):
            return "cites", opens  # "chi phí thực hiện giám định của Thông tư …": the document owns the thing
        if relation != "basis" and not title and _ITEM_END.search(tail):
            return "cites", opens  # the verb belonged to an earlier item of a list
        alone = _VERB_ONE.fullmatch(g.group())
        if alone and _verb(alone) == "bổ sung" and _PROVIDED_IN.search(tail):
            return "cites", opens  # "phạt bổ sung … quy định tại …": an adjective
        if relation == "implements" and any(_group_relation(h.group()) == "guides" for h in groups[:i]):
            return "guides", opens  # "hướng dẫn … thực hiện Quyết định …" guides the decision's implementation
        return relation, opens
    return None, top_level


def _relate(text: str, mentions: list[_Mention], title: bool) -> None:
    prev: list[_Mention] = []  # the mentions of the current statement, own ones excluded
    seg_start = 0
    lead: str | None = None  # a title whose type is a verb: "Đính chính số 12/BTC-PC Thông tư số …"
    for m in mentions:
        lo = max(seg_start, m.start - _GAP_LIMIT)
        stmt = _statement_start(text, lo, m.start)
        if stmt > seg_start:
            seg_start, lead = stmt, None
        prev = [p for p in prev if p.end > seg_start and p.end >= lo]
        # An aside in brackets is a statement of its own while it lasts: "(Điều 3 Thông tư số …, có hiệu lực …)".
        bracket = text.rfind("(", max(seg_start, lo), m.start)
        start = bracket + 1 if bracket >= 0 and text.find(")", bracket, m.start) < 0 else seg_start
        before = [p for p in prev if p.start >= start]
        if m.number is None and not text[start:m.start].strip(" \t\n-+•*"):
            continue  # "Thông tư hướng dẫn …" opening a statement: the document itself, like "Thông tư này"
        if m.own:
            seg_start, prev = max(seg_start, m.end), []
            verb = _VERB_GROUP.fullmatch(m.doc_type.lower()) if m.doc_type else None
            lead = _group_relation(verb.group()) if verb else None
            continue
        gap_from = max(start, before[-1].end if before else lo)
        gap = text[gap_from:m.start].replace(_SOFT_HYPHEN, "")
        if before and before[-1].number is None and before[-1].family in _NAMED_BY_VERB:
            name = _VERB_GROUP.match(gap.lower(), len(gap) - len(gap.lstrip()))
            if name and m.number is None and _OWNED_BY.search(gap):
                continue  # "Luật sửa đổi … của Luật Quản lý thuế": part of the name before it
            gap = gap[name.end():] if name else gap
        m.introduced = bool(_INTRODUCER.search(gap.lower()))
        if before and _CONNECTOR.match(gap.strip().lower()):
            _coordinate(text, m, before)
        else:
            relation, opens = _verb_relation(gap, top_level=not before, title=title)
            parallel = [p for p in before if p.introduced] if relation is None and m.introduced else []
            if relation is not None and opens:
                m.relation = relation
            elif before and _CONNECTOR_END.search(gap):
                _coordinate(text, m, before)
            elif parallel and _ITEM_START.match(gap):
                # "hướng dẫn chế độ A theo Nghị định X, chế độ B theo Nghị định Y": Y as X
                m.relation, m.depth = parallel[-1].relation, parallel[-1].depth
            elif before:
                m.relation, m.depth = "cites", before[-1].depth + 1  # inside the description of the one before
            elif relation is None and m.introduced and _PROVIDES.match(gap.lower()):
                m.relation = "guides"
            else:
                m.relation = relation or lead or "cites"
        prev.append(m)
    _verbs_after(text, mentions)


def _coordinate(text: str, m: _Mention, prev: list[_Mention]) -> None:
    """A mention in a list joins an earlier one: the closest of its kind that is not a repeat of an
    earlier one; else the one before it, or when that is a name inside a description, the closest
    numbered document not deeper than it ("Nghị định A quy định … Luật X và Quyết định B")."""
    m.coordinated = True
    seen: set[str] = set()
    first_mentions = []
    for p in prev:
        between = text[p.end:m.start]
        if between.count(")") > between.count("("):
            continue  # inside an aside that has closed: "Thông tư A (được sửa đổi tại Thông tư B) và Thông tư C"
        key = p.key
        if key is None or key not in seen:
            first_mentions.append(p)
        if key:
            seen.add(key)
    joined = first_mentions[-1] if first_mentions else prev[-1]
    same = [p for p in first_mentions if m.family and p.family == m.family]
    if same:
        joined = same[-1]
    elif joined.number is None:
        numbered = [p for p in prev if p.number is not None and p.depth <= joined.depth]
        joined = numbered[-1] if numbered else joined
    m.relation, m.depth = joined.relation, joined.depth


def _verbs_after(text: str, mentions: list[_Mention]) -> None:
    """"Thông tư số A và Thông tư số B hết hiệu lực": the verb after a list governs it all."""
    last = list(range(len(mentions)))  # the last mention of the list each one belongs to
    for i in range(len(mentions) - 2, -1, -1):
        if mentions[i + 1].coordinated:
            last[i] = last[i + 1]
    for i, m in enumerate(mentions):
        if m.number is None or m.own or m.relation != "cites":
            continue
        j = last[i]
        after = _VERB_AFTER.match(text, mentions[j].end)
        if not after:
            continue
        relation = _AFTER_RELATION[after.group("passive")] if after.group("passive") else "repeals"
        for k in range(i, j + 1):
            if mentions[k].relation == "cites":
                mentions[k].relation = relation


# ------------------------------------------------------------------ API


def _mentions(text: str, own_key: str | None, title: bool) -> list[_Mention]:
    numbered = _numbered(text, own_key, title)
    mentions = sorted(numbered + _anchors(text, numbered, title), key=lambda m: m.start)
    _relate(text, mentions, title)
    return [m for m in mentions if m.number is not None and not m.own]


def _reference(text: str, m: _Mention, spans: bool) -> Reference:
    return Reference(
        doc_type=m.doc_type, number=_tidy(m.written), number_key=m.key, date=m.date, issuer=m.issuer,
        relation=m.relation, text=" ".join(text[m.start:m.end].split()),
        char_span=(m.start, m.end) if spans else None)


def find_references(text: str, own_number: str | None = None, *, title: bool = False) -> list[Reference]:
    """Every numbered reference in ``text`` in order, one per mention. ``title``: the text is a
    document's title, which opens with the document's own type and number."""
    own_key = number_key(own_number) if own_number else None
    return [_reference(text, m, spans=True) for m in _mentions(text, own_key, title)]


def extract_references(text: str, title: str | None = None, own_number: str | None = None) -> list[Reference]:
    """The documents that a document with this ``text`` (and ``title``, its trích yếu or its title
    with type and number) refers to, once each, in order of first mention. A document named several
    times takes the most telling relation; the title's relation wins, since a title says what the
    document is for, unless the title only cites it. Spans point into ``text`` (its first mention
    there); a reference found only in the title has none."""
    by_key: dict[str, Reference] = {}
    order: list[str] = []
    from_title: set[str] = set()
    title_refs = [replace(r, char_span=None) for r in find_references(title, own_number, title=True)] if title else []
    text_refs = find_references(text, own_number) if text else []
    for i, ref in enumerate(title_refs + text_refs):
        key = ref.number_key or ""
        old = by_key.get(key)
        if old is None:
            order.append(key)
            by_key[key] = ref
            if i < len(title_refs):
                from_title.add(key)
            continue
        # The title's relation stands unless it only cites: the body may say more ("Căn cứ …").
        overrides = i < len(title_refs) or key not in from_title or old.relation == "cites"
        better = overrides and _RANK[ref.relation] < _RANK[old.relation]
        merged = ref if better else old
        by_key[key] = replace(
            merged, char_span=old.char_span or ref.char_span, text=old.text if old.char_span else ref.text,
            date=old.date or ref.date, issuer=old.issuer or ref.issuer, doc_type=old.doc_type or ref.doc_type)
    return [by_key[k] for k in order]


def document_references(doc: ParsedDocument) -> list[Reference]:
    """``extract_references`` for a parsed document: its text, its title or trích yếu, its own number."""
    title = doc.raw.title or doc.metadata.subject
    return extract_references(doc.raw.text, title=title, own_number=doc.metadata.number)
