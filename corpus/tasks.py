"""Directive items of a notice, plan or report: who must do what, by when.

One task per directive item -- a bullet, a lettered or numbered item, or a
paragraph -- in a part of the document that gives tasks (see ``corpus.kinds``).
The units an item is given to come from, in this order:

* the item's own lead-in: "Phòng Kinh tế và Hạ tầng: Tiếp tục …", "Giao Ban Tổ
  chức Huyện ủy thực hiện …", "Đồng chí Trần Minh Khoa, Phó Chủ tịch UBND huyện
  trực tiếp chỉ đạo …";
* else the heading above it: a bold unit heading ("**Phòng Tài chính - Kế
  hoạch**"), a numbered or lettered heading that is a unit ("1. Phòng Nông
  nghiệp và PTNT", "d) UBND các xã, thị trấn") or that addresses one ("2.1. Yêu
  cầu UBND huyện Sông Mây:", "Điều 9. Trách nhiệm của Văn phòng …"), or a
  lead-in paragraph ending in ":" that gives the list to a unit;
* then everyone else the item names as carrying it out: "giao / yêu cầu / đề
  nghị / chỉ đạo X làm …", "phối hợp với X", a clause whose subject is a unit
  ("…; UBND huyện Sông Mây chủ động rà soát …").

Units named only as the receiver of a report ("báo cáo UBND huyện"), of advice
("tham mưu UBND tỉnh"), as the object of an inspection ("đối với Đảng ủy xã …")
or as a beneficiary are not assignees, and neither are addressees that cover
everybody ("các cơ quan, đơn vị, địa phương", "các sở, ngành liên quan").

Unit names and the places where a text gives a unit something to do are read
by ``corpus.units``; this module finds the items and puts the pieces together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from corpus.deadlines import find_deadline
from corpus.kinds import STRONG, heading_kind, passage_kind
from corpus.lines import split_lines
from corpus.models import ParsedDocument, Section
from corpus.structure import heading_path
from corpus.units import (
    ITEM_LABEL,
    Context,
    Unit,
    add_name,
    find_lead,
    find_persons,
    heading_units,
    resolve_bare,
    same_unit,
    scan_units,
    strip_item_label,
    tokenize,
)
from corpus.vietnamese import fold_key

__all__ = ["Task", "extract_tasks"]


@dataclass
class Task:
    assignees: list[str]
    action: str  # the item's text without its label and without the lead-in naming the unit
    deadline: str | None  # see corpus.deadlines: "2024-08-15", "2024-09", "2024-Q3", "2024-H2", "2024"
    deadline_text: str | None  # the words stating it ("trước ngày 15/8/2024")
    lead_person: str | None  # the person who leads it ("Trần Minh Khoa")
    section_id: int | None
    heading_path: list[str]
    char_span: tuple[int, int]  # the whole item, label and "+" details included


# --------------------------------------------------------------------------
# Items

_DETAIL_RX = re.compile(r"^\s*\+")
_NEW_ITEM_RX = re.compile(r"^\s*(?:[-+•–*]|\d{1,2}(?:\.\d{1,2})*[.)]\s|[a-zđ]\)\s|[IVXLC]{1,6}[.)]\s)")
_CLOSING = re.compile(
    r"(?:chiu trach nhiem thi hanh"
    r"|nghiem tuc (?:to chuc |trien khai )*thuc hien (?:quyet dinh|chi thi|thong bao|ke hoach|cong van) nay"
    r"|^tren day la|thong bao (?:de|den|y kien|noi dung|ket luan)|xin thong bao"
    r"|biet,? (?:va )?(?:nghiem tuc )?(?:to chuc )?(?:thuc hien|trien khai)"
    r"|^trong qua trinh (?:to chuc )?(?:thuc hien|trien khai)"
    r"|(?:nghiem tuc|khan truong) (?:to chuc |trien khai )*thuc hien\s*(?:[;.]|\./\.|$).{0,160}$)"
)
_ANSWER = re.compile(r"^(?:doi voi (?:cac )?(?:kien nghi|de xuat|de nghi)|(?:de xuat|kien nghi|de nghi) cua)")
_NOT_ANSWERED = ("Báo cáo", "Tờ trình")
# Documents whose every paragraph is meant to be acted on.
_DIRECTIVE_TYPES = ("Thông báo", "Công văn", "Chỉ thị", "Công điện", "Kế hoạch")


@dataclass
class _Para:
    start: int
    end: int
    owner: int | None
    heading: bool = False  # a heading line with nothing after it


def _owner(sections: list[Section], pos: int) -> int | None:
    best = None
    for s in sections:
        if s.kind != "footnote" and s.span[0] <= pos < s.span[1] and (best is None or s.level > best.level):
            best = s
    return best.id if best else None


def _paragraphs(doc: ParsedDocument) -> list[_Para]:
    text = doc.raw.text
    start, end = doc.body_span
    footnotes = [s.span for s in doc.sections if s.kind == "footnote"]
    closing = doc.closing_span
    heads = {s.heading_span[0]: s for s in doc.sections if s.kind != "footnote"}
    lines = [
        ln for ln in split_lines(text, start, end)
        if not any(a <= ln.start < b for a, b in footnotes) and not (closing and closing[0] <= ln.start < closing[1])
    ]
    paras: list[_Para] = []
    for ln in lines:
        sec = heads.get(ln.start)
        prev = paras[-1] if paras else None
        starts_lower = ln.text[:1].islower() or ln.text[:1].isdigit() and not _NEW_ITEM_RX.match(ln.text)
        if prev is not None and sec is None and starts_lower and text[prev.end - 1] not in ".;:!?" \
                and not _NEW_ITEM_RX.match(ln.text):
            # A paragraph broken across lines (page breaks in the source).
            prev.end = ln.end
            prev.heading = False
            continue
        if prev is not None and sec is None and _DETAIL_RX.match(ln.text) and not prev.heading:
            prev.end = ln.end  # "+" details belong to the item above them
            continue
        heading = bool(sec is not None and sec.title_only and ln.end <= sec.heading_span[1])
        paras.append(_Para(ln.start, ln.end, _owner(doc.sections, ln.start), heading))
    return paras


# --------------------------------------------------------------------------
# Putting it together


def _context_units(doc: ParsedDocument, owner: int | None, cache: dict[int, list[Unit] | None]) -> list[Unit]:
    sid = owner
    while sid is not None:
        sec = doc.sections[sid]
        if sec.title_only or sec.kind == "unit":
            if sid not in cache:
                cache[sid] = heading_units(sec)
            if cache[sid]:
                return cache[sid]  # type: ignore[return-value]
        sid = sec.parent
    return []


@lru_cache(maxsize=4096)
def _heading_kind(heading: str) -> tuple[str, int] | None:
    return heading_kind(heading)


def extract_tasks(doc: ParsedDocument) -> list[Task]:
    """The directive items of ``doc``, in document order, each with the units it is given to."""
    text = doc.raw.text
    reference = doc.metadata.issued_date or doc.metadata.event_date
    answers_allowed = doc.metadata.doc_type not in _NOT_ANSWERED
    cache: dict[int, list[Unit] | None] = {}
    paths: dict[int | None, list[str]] = {}
    tasks: list[Task] = []
    lead_in: tuple[int | None, list[Unit]] | None = None  # units of the last lead-in paragraph, by section

    first_section = min((sec.span[0] for sec in doc.sections if sec.kind != "footnote"), default=None)
    for para in _paragraphs(doc):
        if para.owner is None and first_section is not None and para.start < first_section:
            continue  # the opening paragraphs report the meeting; the items come below
        if para.heading:
            lead_in = None
            continue
        body = text[para.start:para.end]
        item = strip_item_label(body)
        if not item:
            continue
        offset = para.start + len(body) - len(ITEM_LABEL.sub("", body, count=1))
        if para.owner not in paths:
            paths[para.owner] = heading_path(doc.sections, para.owner)
        path = paths[para.owner]
        key = fold_key(item)
        c = Context(text, tokenize(text[offset:para.end], offset))

        if item.rstrip().endswith(":") and not _ANSWER.match(key):
            # A lead-in: "…, giao Phòng Tài chính - Kế hoạch … như sau:" gives the list below to
            # the units of its last sentence.
            last = re.split(r"(?<=[.;])\s+", item.rstrip(":"))[-1]
            lc = Context(last, tokenize(last))
            units = [u for f in scan_units(lc) if f.role in ("directive", "subject") for u in f.units if not u.generic]
            lead = find_lead(lc)
            if lead:
                units = [u for u in lead[0] if not u.generic] or units
            lead_in = (para.owner, units) if units else None
            continue
        if _CLOSING.search(key) or (item.startswith("(") and item.rstrip(" .;").endswith(")")):
            continue  # a closing formula, or an editor's note in brackets

        strong = next((k for k, s in (_heading_kind(h) or ("", 0) for h in reversed(path)) if s == STRONG), None)
        found = scan_units(c)
        lead = find_lead(c)
        persons = find_persons(text[offset:para.end], offset)
        explicit = any(f.role == "directive" for f in found) or bool(persons)
        context = _context_units(doc, para.owner, cache)
        if lead_in is not None and lead_in[0] == para.owner:
            context = lead_in[1]

        if strong in ("result", "shortcoming", "cause", "other"):
            continue
        if strong == "proposal":
            if not (answers_allowed and (_ANSWER.match(key) or _ANSWER.match(fold_key(path[-1] if path else "")))):
                continue
        elif strong != "task" and not (context or explicit):
            # Outside a task section an item needs a unit in front of what it must do:
            # "Chi cục Thuế …: Tập trung …", or "Công an huyện chỉ đạo …" read as a directive.
            # Reports narrate ("UBND huyện phối hợp với …") and regulations lay down procedure
            # ("Ban Biên tập kiểm tra …"): there only a task heading makes a task.
            led = lead is not None and any(not u.generic for u in lead[0]) and answers_allowed
            directive_type = doc.metadata.doc_type in _DIRECTIVE_TYPES
            if not (led and (c.key(lead[1]) == ":" or (directive_type and passage_kind(path, item) == "task"))):
                continue

        assignees: list[str] = []
        lead_units = [u for u in (lead[0] if lead else []) if not u.generic]
        if persons and persons[0][0] - offset < 3:
            # "Đồng chí Trần Minh Khoa, … trực tiếp chỉ đạo …": the person is the one given the item.
            add_name(assignees, persons[0][1])
        elif lead_units:
            for u in lead_units:
                add_name(assignees, u.name)
        else:
            named_here = [u for f in found if f.role in ("directive", "subject") for u in f.units if not u.generic]
            for u in context:
                twin = next((n for n in named_here if same_unit(n.name, u.name)), None)
                add_name(assignees, twin.name if twin else u.name)
        for f in sorted(found, key=lambda f: f.pos):
            for u in f.units:
                if u.generic:
                    continue
                if f.role == "bare":
                    resolved = resolve_bare(text, u.locality[0]) if u.locality else None
                    if resolved:
                        add_name(assignees, resolved)
                    continue
                add_name(assignees, u.name)
        for _, full, _name in persons:
            add_name(assignees, full)
        if not assignees:
            continue

        action = item
        if lead and lead_units:
            rest = text[c.toks[lead[1]].start:para.end] if lead[1] < len(c.toks) else ""
            action = " ".join(rest.lstrip(" :.").split()) or item
            action = action[:1].upper() + action[1:]
        deadline = find_deadline(" ".join(text[para.start:para.end].split()), reference)
        tasks.append(Task(
            assignees=assignees,
            action=action,
            deadline=deadline.value if deadline else None,
            deadline_text=deadline.text if deadline else None,
            lead_person=persons[0][2] if persons else None,
            section_id=para.owner,
            heading_path=path,
            char_span=(para.start, para.end),
        ))
    return tasks
