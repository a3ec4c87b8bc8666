"""What a passage of a report or a notice is about: results, shortcomings,
causes, tasks, proposals -- or none of these.

The heading path speaks first: "2. Tồn tại, hạn chế" says more than any word
of the text under it, and the words are treacherous ("khắc phục tồn tại" is a
task, "tháo gỡ khó khăn" too). A heading signal is *strong* when the heading
names the kind outright ("Kết quả đạt được", "Nguyên nhân", "Nhiệm vụ trọng
tâm", "Kiến nghị, đề xuất") and *weak* when it only hints ("Đánh giá chung", an
agenda item "Báo cáo tình hình …", a unit heading "Phòng Tài chính - Kế
hoạch"). The nearest strong heading decides; otherwise the passage's own
wording; otherwise the nearest weak heading; otherwise "other".

Everything is matched on ``fold_key`` forms, so tone style ("hoà"/"hòa") and
text typed without diacritics give the same answer.
"""

from __future__ import annotations

import re

from corpus.models import ParsedDocument
from corpus.vietnamese import fold_key

__all__ = ["KINDS", "passage_kind", "heading_kind", "wording_kind", "section_kinds"]

KINDS = ("result", "shortcoming", "cause", "task", "proposal", "other")

STRONG, WEAK = 2, 1

# Labels and bullets in front of a heading: "II.", "4.2.", "a)", "Điều 5.", "Chương I.", "- *".
_LABEL = re.compile(
    r"^\s*(?:[-+*•–]+\s*)*(?:(?:phan|chuong|muc)\s+(?:thu\s+\w+|[ivxlc]+|\d+)\b[.:]?\s*"
    r"|dieu\s+\d+[a-z]?\b[.:]?\s*|[ivxlc]{1,6}[.)]\s+|\d{1,2}(?:\.\d{1,2})*[.)]?\s+|[a-z]\)\s+)?"
)
# Words that only frame a heading: "Về …", "Đối với …", "Một số …", "Những …".
_FRAME = re.compile(r"^(?:(?:ve|doi voi|mot so|nhung|cac|danh gia)\s+)+")

# Units a task may be given to; a heading that is (or addresses) one is a task heading.
# Without diacritics "phòng" and "phong", "sở" and "số", "trường" and "trưởng" look alike:
# the words that most often follow the look-alikes are ruled out.
UNIT_HEAD = (
    r"(?:phong(?! (?:trao|chong|ngua|khi|benh|hoc))|ban(?! (?:hanh|dau|than))|so(?! (?:lieu|luong|voi|ky|hieu|du|\d))|"
    r"trung tam|van phong|cong an|ubnd|uy ban|hdnd|hoi dong nhan dan|thuong truc|"
    r"tram(?! \d)|chi cuc|kho bac|chi nhanh|bao hiem xa hoi|truong(?! (?:hop|ban|phong|thon|doan))|benh vien|huyen uy|"
    r"tinh uy|dang uy|thanh tra|hat kiem lam|dien luc|hoi (?:nong dan|lien hiep|cuu chien binh)|bo chi huy|ban chi huy|"
    r"cac (?:co quan|don vi|phong|xa|truong(?! hop)|so)|chu tich|pho chu tich|dong chi)\b"
)

# "Giao Phòng …", "Yêu cầu UBND huyện …": a heading that addresses a unit.
_GIVEN_TO = re.compile(r"(?:^|,\s*)(?:giao|yeu cau|de nghi)\s+" + UNIT_HEAD)

# (pattern on the folded heading without its label and frame words, kind, strength), first match wins.
_HEADING_RULES: list[tuple[re.Pattern[str], str, int]] = [
    (re.compile(r"^(?:nguyen nhan|khach quan|chu quan)\b"), "cause", STRONG),
    (re.compile(r"^(?:kien nghi|de xuat)\b(?!\s+(?:phuong an|giai phap))"), "proposal", STRONG),
    (re.compile(r"^(?:y kien|de nghi) (?:kien nghi|de xuat)"), "proposal", STRONG),
    (re.compile(r"^(?:ton tai|han che|kho khan|yeu kem|khuyet diem|bat cap|vuong mac"
                r"|mat (?:han che|chua duoc|ton tai))\b"), "shortcoming", STRONG),
    (re.compile(r"^(?:ket qua (?:dat duoc|thuc hien|dat)|ket qua\b(?!\s+(?:kiem tra|thanh tra))"
                r"|mat (?:duoc|lam duoc)|thanh tuu|uu diem)"), "result", STRONG),
    (re.compile(r"^(?:muc dich|yeu cau(?:\s+(?:ve|chung)\b|\s*$)|pham vi|doi tuong ap dung|giai thich tu ngu"
                r"|quy dinh chung|nguyen tac|hieu luc|kinh phi|can cu|dac diem)"), "other", STRONG),
    (re.compile(r"^(?:nhiem vu|phuong huong|giai phap|to chuc thuc hien|to chuc trien khai|muc tieu|chi tieu"
                r"|dinh huong|trach nhiem|phan cong|dieu khoan thi hanh|noi dung,? nhiem vu|chuong trinh cong tac"
                r"|ke hoach .{0,30}thoi gian toi)"), "task", STRONG),
    # An agenda item ("Báo cáo tình hình …, nhiệm vụ 3 tháng cuối năm: Phòng X trình") reports
    # first; the decisions under it are found by their wording.
    (re.compile(r"^(?:bao cao|to trinh|du thao)\b"), "result", WEAK),
    (_GIVEN_TO, "task", STRONG),
    (re.compile(r"(?:yeu cau|de nghi|giao|chi dao|ket luan)(?:\s+nhu sau)?\s*:?\s*$"), "task", STRONG),
    (re.compile(r"^de\s|thoi gian toi|nhiem vu trong tam|(?:nhiem vu|phuong huong),? (?:nhiem vu|giai phap)"),
     "task", STRONG),
    (re.compile(r"^" + UNIT_HEAD), "task", WEAK),
    (re.compile(r"^(?:bao cao|danh gia|tong ket|so ket)\b|(?:tinh hinh|ket qua) thuc hien"
                r"|thuc hien (?:nhiem vu|chuong trinh|ke hoach)|\bda\b"), "result", WEAK),
]
_DIRECTIVE_RULES = (_GIVEN_TO,)


def _head(heading: str) -> str:
    key = fold_key(heading).strip()
    key = _LABEL.sub("", key, count=1).strip()
    key = _FRAME.sub("", key).strip()
    return key.rstrip(" .:;…").strip()


def heading_kind(heading: str) -> tuple[str, int] | None:
    """(kind, strength) a heading gives the text under it, or None when it says nothing."""
    head = _head(heading)
    if not head:
        return None
    sentence = heading.rstrip().endswith("…") or len(head.split()) >= 12
    for rx, kind, strength in _HEADING_RULES:
        if rx.search(head):
            if sentence and rx in _DIRECTIVE_RULES:
                # "3. Đề nghị Sở Giáo dục … quan tâm bố trí …" is one item of a list, not a
                # heading over it: under "Kiến nghị" it is a proposal, elsewhere a task.
                strength = WEAK
            return kind, strength
    if sentence:
        # A numbered paragraph cut to a heading: its words are a hint, no more.
        worded = wording_kind(heading)
        if worded:
            return worded, WEAK
    return None


# --------------------------------------------------------------------------
# Wording

# Openings that set the kind of everything after them.
_OPENINGS: list[tuple[re.Pattern[str], str, float]] = [
    (re.compile(r"^(?:tuy nhien|tuy vay|mat khac"
                r"|ben canh (?:nhung|cac)? ?(?:ket qua|thuan loi|mat)[^.;:]{0,80}?(?:con|van|gap))"),
     "shortcoming", 4.0),
    (re.compile(r"^(?:nguyen nhan|(?:ve )?khach quan\s*:|(?:ve )?chu quan\s*:|do (?:anh huong|tac dong))"),
     "cause", 5.0),
    (re.compile(r"^(?:doi voi (?:cac )?(?:kien nghi|de xuat|de nghi)|(?:de xuat|kien nghi) cua)"), "proposal", 5.0),
    (re.compile(r"^(?:de nghi|kien nghi) (?:ubnd tinh|uy ban nhan dan tinh|tinh|so|bo|chinh phu|trung uong"
                r"|cap tren|hdnd tinh|tinh uy)\b"), "proposal", 4.0),
    (re.compile(r"^(?:dong chi [^.;:]{0,80}?truc tiep chi dao|(?:giao|yeu cau|de nghi)\s+" + UNIT_HEAD + r")"),
     "task", 4.0),
    # A unit, then what it must do: "Trạm Chăn nuôi và Thú y huyện: …", "Phòng X chủ trì …".
    (re.compile(r"^" + UNIT_HEAD + r"(?:(?!\b(?:da|dang|duoc)\b)[^.;:]){0,80}?"
                r"(?::|\s[a-z]\)\s|\s[-+]\s|\s(?:chu tri|phoi hop|tham muu|co trach nhiem|tap trung|tiep tuc"
                r"|khan truong|chi dao|truc tiep)\b)"), "task", 3.0),
    (re.compile(r"^(?:ngay \d{1,2}[/.]\d{1,2}[/.]\d{4}"
                r"|thuc hien (?:nghi quyet|quyet dinh|ke hoach|cong van|chi thi) so)"), "other", 2.5),
]

_MARKERS: dict[str, list[tuple[re.Pattern[str], float]]] = {
    "shortcoming": [
        (re.compile(r"\bcon (?:cham|thap|han che|nhieu|mot so|xay ra|de xay ra|tiem an|vuong mac|bat cap"
                    r"|kho khan|chua|cao|ton tai|thieu|co)\b"), 1.0),
        (re.compile(r"\bchua (?:dat|dap ung|cao|chat che|quyet liet|ro net|thuc su|dong bo|kien quyet|dam bao|tot"
                    r"|nghiem|kip thoi|chu dong|hoan thanh|thuc hien|tao|sat|thong nhat|duoc|hieu qua|co)\b"), 1.0),
        (re.compile(r"\b(?:han che|yeu kem|bat cap|vuong mac|khuyet diem|thieu sot|cham tien do|khong dat|qua han"
                    r"|buong long|phuc tap|nguy co|vi pham|trai phep|giam so|thiet hai|anh huong nang ne|ngap ung"
                    r"|sat lo)\b"), 0.6),
        (re.compile(r"\bkho khan\b"), 0.5),
    ],
    "cause": [
        (re.compile(r"\bnguyen nhan\b"), 1.5),
        (re.compile(r"\b(?:khach quan|chu quan)\b"), 1.5),
    ],
    "result": [
        (re.compile(r"\b(?:dat|bang|tang|giam) (?:duoc )?\d"), 0.8),
        (re.compile(r"\d(?:[.,]\d+)?\s*%"), 0.4),
        (re.compile(r"\bso (?:voi )?cung ky\b"), 1.0),
        (re.compile(r"\b(?:da|duoc) (?:tham muu|to chuc|ban hanh|hoan thanh|trien khai|thuc hien|chi dao|giai ngan"
                    r"|ho tro|di doi|tiep nhan|xu ly|dat|tap trung|chu dong|kip thoi|quan tam|giu vung|dam bao"
                    r"|bao dam|duy tri|cai thien|nang len|cung co|khong che|phat huy|tang cuong|on dinh"
                    r"|co buoc)\b"), 1.0),
        (re.compile(r"\b(?:ghi nhan|danh gia cao|bieu duong|on dinh|khoi sac|thanh cong|soi noi|soi dong|chuyen bien"
                    r"|ket qua (?:quan trong|nhat dinh|tich cuc)|vuot (?:ke hoach|chi tieu)|dat giai|dat chuan"
                    r"|hoan thanh tot)\b"), 0.8),
        (re.compile(r"\b(?:nam|thang|quy) (?:\d+ )?(?:qua|dau nam)\b|\bdau nam \d{4}\b"
                    r"|\b\d+ thang (?:dau )?nam \d{4}\b"), 0.4),
    ],
    "task": [
        (re.compile(r"\b(?:giao|yeu cau|de nghi)\s+" + UNIT_HEAD), 2.5),
        (re.compile(r"\b(?:chu tri,? phoi hop|phoi hop voi)\b"), 1.0),
        (re.compile(r"\b(?:truoc ngay \d|cham nhat|hoan thanh trong|trong (?:thang|quy) \d|trong quy [iv]+\b)"), 1.5),
        (re.compile(r"\b(?:tiep tuc|tang cuong|day manh|day nhanh|tap trung|khan truong|chu dong|nang cao|quan tam"
                    r"|thuc hien tot|thuc hien nghiem|chi dao|tham muu|ra soat|huong dan|don doc|kip thoi|phan dau"
                    r"|bam sat)\b"), 0.35),
        (re.compile(r"\b(?:can|phai|som)\s+(?!co\b)\w+"), 0.3),
        (re.compile(r"\b(?:co trach nhiem|chiu trach nhiem|truc tiep chi dao)\b"), 1.0),
    ],
    "proposal": [
        (re.compile(r"\b(?:kien nghi|de xuat) (?:cua|bo sung|ho tro|ve)\b"), 1.0),
        (re.compile(r"\bde nghi (?:ubnd tinh|uy ban nhan dan tinh|so|bo|chinh phu|trung uong|cap tren)\b"), 1.5),
    ],
}
# Narrative of what was done reads "đã …", "được …"; a list of tasks does not.
_PAST = re.compile(r"\b(?:da|duoc)\b")
_MIN_SCORE = 1.5


def _strip_label(key: str) -> str:
    return _LABEL.sub("", key, count=1).strip()


def wording_scores(text: str) -> dict[str, float]:
    key = fold_key(" ".join(text.split()))
    opening = _strip_label(key)[:200]
    scores = {k: 0.0 for k in KINDS}
    for rx, kind, weight in _OPENINGS:
        if rx.search(opening):
            scores[kind] += weight
            break
    words = max(len(key.split()), 1)
    for kind, markers in _MARKERS.items():
        total = 0.0
        for rx, weight in markers:
            total += weight * len(rx.findall(key))
        # Long passages collect markers of every kind: compare densities, per 60 words.
        scores[kind] += total * min(1.0, 60 / words) if words > 60 else total
    past = len(_PAST.findall(key))
    if past >= 2 and scores["task"] < 2.5:
        scores["result"] += 0.5 * past * (min(1.0, 60 / words) if words > 60 else 1.0)
    return scores


def wording_kind(text: str) -> str | None:
    """The kind the passage's own words point to, or None when they do not say."""
    scores = wording_scores(text)
    kind, best = max(scores.items(), key=lambda kv: kv[1])
    if best < _MIN_SCORE:
        return None
    return kind


def passage_kind(heading_path: list[str], text: str) -> str:
    """Kind of a passage from where it sits (heading path, outermost first) and what it says."""
    signals = [heading_kind(h) for h in heading_path]
    for sig in reversed(signals):
        if sig and sig[1] == STRONG:
            return sig[0]
    worded = wording_kind(text)
    if worded:
        return worded
    for sig in reversed(signals):
        if sig:
            return sig[0]
    return "other"


def section_kinds(doc: ParsedDocument) -> dict[int, str]:
    """Kind of every section: its own heading when that is explicit, else its
    parent's kind, else what its heading line (a numbered paragraph) says."""
    out: dict[int, str] = {}
    for sec in doc.sections:  # parents come before their children
        own = heading_kind(sec.heading)
        parent = out.get(sec.parent) if sec.parent is not None else None
        if sec.kind == "footnote":
            out[sec.id] = parent or "other"
        elif own and own[1] == STRONG:
            out[sec.id] = own[0]
        elif parent and parent != "other":
            out[sec.id] = parent
        else:
            worded = None if sec.title_only else wording_kind(doc.raw.text[sec.heading_span[0]:sec.heading_span[1]])
            out[sec.id] = worded or (own[0] if own else "other")
    return out

