"""Names of units in administrative text, and where a text gives them something to do.

A unit is an office, a body or a person by office: "Phòng Tài chính - Kế hoạch",
"UBND các xã, thị trấn", "Ban Thường vụ Huyện ủy", "Phó Chủ tịch UBND huyện".
Names are recognised by a small grammar over known heads (Phòng, Ban, Sở, Trung
tâm, UBND, Công an, "các xã, thị trấn" …) followed by name words, and are kept
as the document writes them. The words the grammar knows (heads, titles, kinds of
unit, localities, verbs, stop words) are plain lists in ``corpus/data/unit_*.txt``.

A unit is an assignee where the text says it must act: "giao / yêu cầu / đề nghị
/ chỉ đạo X làm …", "phối hợp với X", a clause whose subject is a unit ("…; UBND
huyện Sông Mây chủ động rà soát …"), or the lead-in of an item ("Phòng Kinh tế
và Hạ tầng: Tiếp tục …"). ``corpus.tasks`` builds directive items on this;
``corpus.chunker`` uses ``names_units`` to keep a unit's part of a document apart.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from corpus.data_files import content_lines, packaged_text
from corpus.models import Section
from corpus.vietnamese import fold_key, match_key

__all__ = [
    "Context",
    "Found",
    "ITEM_LABEL",
    "Tok",
    "Unit",
    "add_name",
    "assignee_key",
    "find_lead",
    "find_persons",
    "find_units",
    "heading_units",
    "names_units",
    "parse_unit",
    "parse_units",
    "resolve_bare",
    "same_unit",
    "scan_units",
    "strip_item_label",
    "tokenize",
]

# --------------------------------------------------------------------------
# Keys

_SEP = re.compile(r"\s*[-–—‐]\s*")


def assignee_key(name: str) -> str:
    """Key under which two spellings of one unit compare equal: case, tone style,
    diacritics, spacing, dashes and "Ủy ban nhân dân"/"UBND". Nothing else --
    "Phòng Kinh tế - Hạ tầng" and "Phòng Kinh tế và Hạ tầng" may be different
    offices in different districts."""
    key = fold_key(" ".join(name.split()))
    key = re.sub(r"\buy ban nhan dan\b", "ubnd", key)
    key = _SEP.sub("-", key)
    return key.strip(" .,:;")


_LEVEL_SUFFIX = re.compile(r"\s+(?:huyen|tinh|xa)$")


def same_unit(a: str, b: str) -> bool:
    """One unit named twice: "Phòng Nông nghiệp và PTNT huyện" in the heading, without "huyện" in the item."""
    ka, kb = assignee_key(a), assignee_key(b)
    return ka == kb or _LEVEL_SUFFIX.sub("", ka) == _LEVEL_SUFFIX.sub("", kb)


def add_name(out: list[str], name: str) -> None:
    """Append ``name`` unless ``out`` already names that unit."""
    if name and not any(same_unit(name, o) for o in out):
        out.append(name)


# --------------------------------------------------------------------------
# Tokens

_TOKEN = re.compile(r"\w+(?:[-/.&]\w+)*|[^\w\s]")


@dataclass(frozen=True)
class Tok:
    start: int
    end: int
    text: str
    key: str  # match_key: how the word lists spell words (case and tone style ignored)

    @property
    def cap(self) -> bool:
        return self.text[:1].isupper()

    @property
    def acronym(self) -> bool:
        letters = [c for c in self.text if c.isalpha()]
        return len(letters) >= 2 and all(c.isupper() for c in letters)

    @property
    def word(self) -> bool:
        return self.text[:1].isalnum()


def tokenize(text: str, offset: int = 0) -> list[Tok]:
    mk = match_key(text)
    return [Tok(m.start() + offset, m.end() + offset, m.group(), mk[m.start():m.end()]) for m in _TOKEN.finditer(text)]


_INDEXES: dict[int, dict[str, list[tuple[str, ...]]]] = {}


def _by_first(phrases: list[tuple[str, ...]]) -> dict[str, list[tuple[str, ...]]]:
    """``phrases`` grouped by their first word, longest first (tables are built once)."""
    index = _INDEXES.get(id(phrases))
    if index is None:
        index = {}
        for p in sorted(phrases, key=len, reverse=True):
            index.setdefault(p[0], []).append(p)
        _INDEXES[id(phrases)] = index
    return index


# --------------------------------------------------------------------------
# Word lists (corpus/data/unit_*.txt)


def _phrases(name: str) -> list[tuple[str, ...]]:
    """The phrases of the packaged word list ``corpus/data/<name>``, each as its words in
    match_key form; blank lines and "#" comments are skipped."""
    return [tuple(match_key(line.strip()).split()) for _, line in content_lines(packaged_text(name))]


# Heads of unit names: accents matter ("Đội" is a head, "Đối" is not). A head whose entry
# is True is a whole name by itself ("UBND", "Huyện ủy"); the others need name words after
# them ("Phòng" + "Nội vụ"), which keeps "Ban hành …" out.
_HEADS: dict[tuple[str, ...], bool] = dict.fromkeys(_phrases("unit_heads_whole.txt"), True)
for _p in _phrases("unit_heads.txt"):
    _HEADS.setdefault(_p, False)
_HEAD_LIST = sorted(_HEADS, key=len, reverse=True)

# Persons by office: "Chủ tịch UBND các xã, thị trấn", "Phó Chủ tịch UBND huyện".
_TITLE_LIST = sorted(_phrases("unit_titles.txt"), key=len, reverse=True)

# "các <kind>, <kind> …": kinds of unit a group is made of.
_KIND_LIST = sorted(_phrases("unit_kinds.txt"), key=len, reverse=True)
# Words that begin like a kind of unit but are not one: "các trường hợp", "các hội nghị".
_NOT_KINDS = set(_phrases("unit_kinds_not.txt"))
# A group made only of these, without a qualifier that narrows it, addresses everybody.
_GENERIC_KINDS = set(_phrases("unit_kinds_generic.txt"))
_NARROWING = re.compile(
    r"\b(?:chuyen mon|su nghiep|thuoc|truc thuoc|cap (?:huyen|xa|tinh)|tham muu|chinh tri|lam chu dau tu)\b"
)
_BROAD = re.compile(r"\b(?:lien quan|co lien quan)\b")

_LOCALITY = _phrases("unit_localities.txt")
_TOWN = [("thị", "trấn")]  # the one level still a locality when capitalised ("UBND Thị trấn Sông Mây")

# Verbs that may follow a unit as its predicate: "UBND xã Hòa Sơn tập trung …".
_ACTIONS = set(_phrases("unit_actions.txt"))
_ACTIONS_BY_FIRST: dict[str, list[tuple[str, ...]]] = {}
for _a in _ACTIONS:
    _ACTIONS_BY_FIRST.setdefault(_a[0], []).append(_a)
# Words that end a name in running text. Two-syllable actions are checked too.
_STOP_WORDS = {" ".join(p) for p in _phrases("unit_stop_words.txt")}
# A unit followed by one of these speaks at the meeting ("UBND huyện thống nhất …"): it is not given a task.
_SPEECH = set(_phrases("unit_speech_verbs.txt"))


# --------------------------------------------------------------------------
# The grammar of unit names


@dataclass
class Unit:
    name: str
    start: int  # token index
    end: int  # token index after the name
    head: tuple[str, ...] = ()
    generic: bool = False
    person: bool = False
    locality: tuple[str, str] | None = None  # ("huyện", "Lộc Bình") when the name ends in one
    bare: bool = False  # a head alone ("HĐND", "Huyện ủy") waiting for a locality from its list
    # A group ("các A, B <qualifier>"): token spans of its kinds and of its qualifier, and the
    # places it names ("các xã Đồng Lâm, Khe Mơ").
    segments: list[tuple[int, int]] = field(default_factory=list)
    qualifier: tuple[int, int] = (0, 0)
    names: list[str] = field(default_factory=list)


@dataclass
class Context:
    text: str
    toks: list[Tok]

    def key(self, i: int) -> str:
        return self.toks[i].key if i < len(self.toks) else ""

    def match(self, i: int, phrases: list[tuple[str, ...]]) -> tuple[str, ...] | None:
        """The longest of ``phrases`` (sorted longest first) spelled by the tokens from ``i``."""
        if i >= len(self.toks):
            return None
        for p in _by_first(phrases).get(self.toks[i].key, ()):
            if i + len(p) <= len(self.toks) and all(self.toks[i + k].key == w for k, w in enumerate(p)):
                return p
        return None

    def is_action(self, i: int) -> bool:
        """A verb that can start what a unit must do ("chủ trì", "tiếp tục", "có trách nhiệm")."""
        if i >= len(self.toks) or self.toks[i].cap:
            return False
        return any(
            i + len(a) <= len(self.toks) and all(self.toks[i + k].key == w for k, w in enumerate(a))
            for a in _ACTIONS_BY_FIRST.get(self.toks[i].key, ())
        )

    def is_stop(self, i: int) -> bool:
        if i >= len(self.toks):
            return True
        t = self.toks[i]
        if not t.word:
            return True
        return t.key in _STOP_WORDS or self.is_action(i)

    def span_text(self, a: int, b: int) -> str:
        return " ".join(self.text[self.toks[a].start:self.toks[b - 1].end].split())


def _head_at(c: Context, i: int, lenient: bool) -> tuple[str, ...] | None:
    if i >= len(c.toks) or not c.toks[i].word:
        return None
    if not (c.toks[i].cap or lenient):
        return None
    # "UBND" / "Ủy ban nhân dân" are heads in any case; a short head needs a name word, a
    # locality or an acronym after it ("Ban Quản lý các khu công nghiệp" is "Ban" + "Quản lý …").
    for head in _by_first(_HEAD_LIST).get(c.toks[i].key, ()):
        j = i + len(head)
        if j > len(c.toks) or not all(c.toks[i + k].key == w for k, w in enumerate(head)):
            continue
        if _HEADS[head]:
            return head
        if j < len(c.toks):
            nxt = c.toks[j]
            if nxt.cap or nxt.acronym or c.match(j, _LOCALITY) or (lenient and nxt.word and not c.is_stop(j)):
                return head
    return None


def _title_at(c: Context, i: int) -> tuple[str, ...] | None:
    if i < len(c.toks) and c.toks[i].cap:
        return c.match(i, _TITLE_LIST)
    return None


def _parse_locality(c: Context, j: int) -> tuple[int, tuple[str, str] | None]:
    """A locality after a head: "huyện", "xã Hòa Sơn", "thị trấn Sông Mây", "khu vực Sông Mây"."""
    loc = c.match(j, _LOCALITY)
    if loc is None or c.toks[j].cap and not c.match(j, _TOWN):
        return j, None
    if loc == ("xã",) and c.key(j + 1) == "hội":
        return j, None  # "xã hội"
    k = j + len(loc)
    name_start = k
    while k < len(c.toks) and c.toks[k].word and c.toks[k].cap and not _head_at(c, k, False):
        k += 1
    level = c.span_text(j, j + len(loc))
    if k == name_start:
        # "Công an xã, thị trấn": levels without a name, listed.
        while c.key(k) == "," and (more := c.match(k + 1, _LOCALITY)) and not c.toks[k + 1].cap \
                and not (k + 1 + len(more) < len(c.toks) and c.toks[k + 1 + len(more)].cap):
            k += 1 + len(more)
        level = c.span_text(j, k)
    return k, (level, c.span_text(name_start, k) if k > name_start else "")


def parse_unit(c: Context, i: int, lenient: bool = False) -> Unit | None:
    """The unit (or group of units, or person by office) whose name starts at token ``i``."""
    if i >= len(c.toks):
        return None
    # "Các cơ quan chuyên môn thuộc UBND huyện", "các xã, thị trấn", "các phòng, ban, ngành, đơn vị cấp huyện".
    if c.key(i) == "các" and c.match(i + 1, _KIND_LIST):
        return _parse_group(c, i, lenient)
    title = _title_at(c, i)
    if title:
        j = i + len(title)
        inner = parse_unit(c, j, lenient)
        if inner is not None and not inner.person:
            return Unit(c.span_text(i, inner.end), i, inner.end, head=title, person=True, locality=inner.locality)
        return None
    head = _head_at(c, i, lenient)
    if head is None:
        return None
    j = i + len(head)
    if head == ("thường", "trực") or head == ("ban", "thường", "vụ"):
        inner = parse_unit(c, j, True)
        if inner is not None:
            return Unit(c.span_text(i, inner.end), i, inner.end, head=head, locality=inner.locality)
    # "UBND các xã, thị trấn", "Đảng ủy các xã Đồng Lâm, Khe Mơ": a head over a group.
    if c.key(j) == "các" and c.match(j + 1, _LOCALITY):
        group = _parse_group(c, j, lenient)
        if group is not None:
            return Unit(c.span_text(i, group.end), i, group.end, head=head, locality=group.locality)
    k, locality = _parse_locality(c, j)
    if locality is not None:
        return Unit(c.span_text(i, k), i, k, head=head, locality=locality)
    k = _name_words(c, j, head, lenient)
    if k == j and not _HEADS[head]:
        return None
    k2, locality = _parse_locality(c, k)
    if locality is not None:
        k = k2
    unit = Unit(c.span_text(i, k), i, k, head=head, locality=locality)
    unit.bare = k == i + len(head)
    return unit


def _name_words(c: Context, j: int, head: tuple[str, ...], lenient: bool) -> int:
    """End of the name words after a head: "Tài nguyên và Môi trường", "Kinh tế - Hạ tầng",
    "Văn hóa, Thể thao và Truyền thông", "HĐND và UBND", "Phát triển quỹ đất", "GDNN-GDTX"."""
    k = j
    caps_run = 0  # consecutive capitalised words: two or more make a proper name ("Sông Mây")
    lower_run = 0  # lower-case words since the last capitalised one ("Phát triển quỹ đất")
    while k < len(c.toks):
        t = c.toks[k]
        if t.word and (t.cap or t.acronym or t.text[:1].isdigit()):
            caps_run = caps_run + 1 if not t.acronym else 2
            lower_run = 0
            k += 1
            continue
        if t.word and t.key == "và":
            # "Giáo dục và Đào tạo", "Nông nghiệp và PTNT"; "Văn phòng HĐND và UBND huyện";
            # but "Ban Tuyên giáo Huyện ủy và Ban Dân vận Huyện ủy" are two.
            nxt = k + 1
            if k > j and nxt < len(c.toks) and c.toks[nxt].word and (c.toks[nxt].cap or c.toks[nxt].acronym):
                joins_office = head == ("văn", "phòng") and c.key(nxt) in ("ubnd", "hđnd")
                if joins_office or not _head_at(c, nxt, False):
                    caps_run = lower_run = 0
                    k = nxt
                    continue
            break
        if t.word:
            if k == j and not lenient:
                break
            if c.match(k, _LOCALITY) and not (c.key(k) == "xã" and c.key(k + 1) == "hội"):
                break
            in_name = c.key(k) == "xây" and c.key(k - 1) == "tư" and c.key(k - 2) == "đầu"  # "… đầu tư xây dựng"
            if not in_name and (caps_run >= 2 or c.is_stop(k) or lower_run >= (4 if lenient else 3)):
                # After a proper name ("Điện lực Sông Mây") or an acronym a lower-case word
                # starts the predicate; so does a verb anywhere.
                break
            caps_run = 0
            lower_run += 1
            k += 1
            continue
        # A dash or a comma continues the name when a name word follows that is not a new unit.
        if t.text in "-–&," and k + 1 < len(c.toks):
            nxt = k + 1
            if c.toks[nxt].word and (c.toks[nxt].cap or c.toks[nxt].acronym) \
                    and not _head_at(c, nxt, False) and not _title_at(c, nxt):
                caps_run = lower_run = 0
                k = nxt
                continue
            if t.text in "-–" and c.toks[nxt].word and lenient:
                k = nxt
                continue
        break
    return k


def _parse_group(c: Context, i: int, lenient: bool) -> Unit | None:
    """"các" + kinds + qualifier; ``i`` is the index of "các"."""
    k = i + 1
    kinds: list[tuple[str, ...]] = []
    segments: list[tuple[int, int]] = []
    while True:
        kind = c.match(k, _KIND_LIST)
        if kind is None or (kind[-1], c.key(k + len(kind))) in _NOT_KINDS:
            break
        seg_start = k
        kinds.append(kind)
        k += len(kind)
        # A modifier right after the kind: "cơ quan chuyên môn", "đơn vị sự nghiệp", "trường mầm non",
        # "tổ chức chính trị - xã hội".
        while k < len(c.toks):
            t = c.toks[k]
            social = t.key == "xã" and c.key(k + 1) == "hội"  # "chính trị - xã hội"
            school = kind == ("trường",) and t.acronym  # "trường THCS"
            if t.word and (not t.cap or school) and not c.is_stop(k) and (social or not c.match(k, _KIND_LIST)) \
                    and not (c.match(k, _LOCALITY) and not social):
                k += 1
            elif t.text in "-–" and k > seg_start + len(kind) and c.toks[k + 1:k + 2] and c.toks[k + 1].word \
                    and not c.toks[k + 1].cap:
                k += 1
            elif t.text == "," and kind == ("trường",) and k + 1 < len(c.toks) and c.toks[k + 1].word \
                    and (c.toks[k + 1].acronym or not (c.toks[k + 1].cap or c.is_stop(k + 1))) \
                    and not c.match(k + 1, _KIND_LIST):
                k += 1  # "các trường mầm non, tiểu học, THCS"
            else:
                break
        segments.append((seg_start, k))
        if c.key(k) in (",", "và", "/") and c.match(k + 1, _KIND_LIST) and not _head_at(c, k + 1, False):
            k += 1
            continue
        break
    if not kinds:
        return None
    # Qualifier: "cấp huyện", "thuộc UBND huyện", "trên địa bàn", "có dịch", "tham mưu, giúp việc Huyện ủy",
    # "liên quan", "làm Chủ đầu tư", and the names of "các xã Đồng Lâm, Khe Mơ, Phú Khê".
    q_start = k
    names: list[str] = []
    locality = None
    while k < len(c.toks):
        f2 = (c.key(k), c.key(k + 1))
        if f2 in (("cấp", "huyện"), ("cấp", "xã"), ("cấp", "tỉnh"), ("liên", "quan"), ("có", "dịch")):
            k += 2
            continue
        if f2 == ("có", "liên") and c.key(k + 2) == "quan":
            k += 3
            continue
        if f2 == ("trên", "địa") and c.key(k + 2) == "bàn":
            k += 3
            continue
        if f2 == ("tham", "mưu") and c.key(k + 2) == "," and c.key(k + 3) == "giúp":
            k += 5  # "các cơ quan tham mưu, giúp việc Huyện ủy"
            inner = parse_unit(c, k, False)
            if inner is not None:
                k = inner.end
            continue
        if c.key(k) == "thuộc" or f2 == ("trực", "thuộc"):
            inner = parse_unit(c, k + (2 if f2 == ("trực", "thuộc") else 1), False)
            if inner is not None:
                k = inner.end
                continue
            break
        if f2 == ("làm", "chủ") and c.key(k + 2) == "đầu" and c.key(k + 3) == "tư":
            k += 4
            continue
        if c.toks[k].word and c.toks[k].cap and not _head_at(c, k, False) and not _title_at(c, k) \
                and kinds[-1] in _LOCALITY:
            # "các xã Đồng Lâm, Khe Mơ, Phú Khê"
            n_start = k
            while k < len(c.toks) and c.toks[k].word and c.toks[k].cap:
                k += 1
            names.append(c.span_text(n_start, k))
            if c.key(k) in (",", "và") and k + 1 < len(c.toks) and c.toks[k + 1].cap \
                    and not _head_at(c, k + 1, False):
                k += 1
                continue
            break
        if c.match(k, _LOCALITY) and (k == q_start or c.key(k - 1) == "cấp"):
            k2, loc = _parse_locality(c, k)
            if k2 == k:
                break
            k, locality = k2, loc
            continue
        if k == q_start and c.toks[k].word and not c.toks[k].cap and not c.is_stop(k) \
                and kinds[-1] in (("tổ", "chức"), ("trường",), ("đoàn", "thể")):
            # "các tổ chức chính trị - xã hội huyện", "các trường mầm non, tiểu học, THCS"
            while k < len(c.toks) and (c.toks[k].word and not c.is_stop(k) and not _head_at(c, k, False)
                                        or c.key(k) in ("-", "–")):
                if c.match(k, _LOCALITY) and not (c.key(k) == "xã" and c.key(k + 1) == "hội"):
                    k, locality = _parse_locality(c, k)
                    break
                k += 1
            continue
        break
    qualifier = fold_key(c.span_text(q_start, k)) if k > q_start else ""
    modifiers = " ".join(
        fold_key(c.span_text(a + len(kd), b)) for (a, b), kd in zip(segments, kinds) if b > a + len(kd)
    )
    # "các cơ quan, trường học, doanh nghiệp" addresses everybody; "các cơ quan chuyên môn",
    # "các phòng, ban, ngành, đơn vị cấp huyện" and "các trường" do not.
    generic = (any(kd in _GENERIC_KINDS and not _NARROWING.search(fold_key(c.span_text(a, b)))
                   for (a, b), kd in zip(segments, kinds))
               and not _NARROWING.search(qualifier)) or bool(_BROAD.search(qualifier + " " + modifiers))
    name = c.span_text(i, k)
    name = name[:1].upper() + name[1:]
    return Unit(name, i, k, head=("các",) + kinds[0], generic=generic, locality=locality,
                segments=segments, qualifier=(q_start, k), names=names)


def parse_units(c: Context, i: int, lenient: bool = False) -> tuple[list[Unit], int] | None:
    """A list of units from token ``i``: "Phòng A, Phòng B và UBND các xã, thị trấn";
    a parenthesis after a group lists its members, which replace it."""
    first = parse_unit(c, i, lenient)
    if first is None:
        return None
    units = [first]
    k = first.end
    while k < len(c.toks):
        members = _parenthesis(c, k, units[-1])
        if members is not None:
            inner, k = members
            units[-1:] = inner
            continue
        if c.key(k) in (",", "và", ";", "&") or (c.key(k) == "," and c.key(k + 1) == "và"):
            step = 2 if c.key(k) == "," and c.key(k + 1) == "và" else 1
            nxt = parse_unit(c, k + step, lenient)
            if nxt is None and c.match(k + step, _LOCALITY) and units[-1].head and not units[-1].person:
                # "UBND xã Phú Khê, xã Hòa Sơn": the head carries over.
                k2, loc = _parse_locality(c, k + step)
                if loc is not None and loc[1]:
                    head_text = units[-1].name.split(" ")[0: len(units[-1].head)]
                    nxt = Unit(" ".join(head_text + [c.span_text(k + step, k2)]), k + step, k2,
                               head=units[-1].head, locality=loc)
            if nxt is None:
                break
            units.append(nxt)
            k = nxt.end
            continue
        break
    return _spread(c, units), k


def _parenthesis(c: Context, k: int, unit: Unit) -> tuple[list[Unit], int] | None:
    """"các cơ quan chủ quản các Chương trình (Sở A, Sở B, Ban C)": the members named in brackets."""
    if not unit.name.lower().startswith("các"):
        return None
    j = k
    # Allow a few words between the group and its bracket ("… chủ quản các Chương trình (").
    while j < len(c.toks) and j - k <= 6 and c.key(j) != "(":
        if c.key(j) in (".", ";", ":"):
            return None
        j += 1
    if c.key(j) != "(":
        return None
    members = parse_units(c, j + 1, True)
    if members is None:
        return None
    inner, end = members
    while end < len(c.toks) and c.key(end) in (")",):
        end += 1
    return inner, end


def _spread(c: Context, units: list[Unit]) -> list[Unit]:
    """Share what a list writes once: "Huyện ủy, HĐND, UBND, Ủy ban MTTQ huyện Lộc Bình" ->
    each with "huyện Lộc Bình"; "Các cơ quan chuyên môn, đơn vị sự nghiệp thuộc UBND huyện" ->
    two groups; "Đảng ủy các xã Đồng Lâm, Khe Mơ" -> one per commune."""
    out: list[Unit] = []
    for u in units:
        out.extend(_split_group(c, u))
    last_loc = out[-1].locality if out else None
    if last_loc and last_loc[1]:
        level, place = last_loc
        for u in out[:-1]:
            if u.bare and not u.person:
                if fold_key(level) in fold_key(u.name).split():  # "Huyện ủy" + "huyện Lộc Bình"
                    u.name = f"{u.name} {place}"
                else:
                    u.name = f"{u.name} {level} {place}"
                u.bare = False
                u.locality = last_loc
    return out


def _split_group(c: Context, u: Unit) -> list[Unit]:
    names, segments = u.names, u.segments
    if u.head and u.head[0] != "các":
        # "Đảng ủy các xã Đồng Lâm, Khe Mơ, Phú Khê": one unit per named commune.
        m = re.match(r"^(.*?)\s+các\s+(xã|phường|thị trấn|huyện)\s+(.+)$", u.name)
        if m and m.group(3)[:1].isupper():
            places = [p.strip() for p in re.split(r",|\bvà\b", m.group(3)) if p.strip()]
            if all(p[:1].isupper() for p in places):
                return [Unit(f"{m.group(1)} {m.group(2)} {p}", u.start, u.end, head=u.head,
                             locality=(m.group(2), p)) for p in places]
        return [u]
    if names:
        return [u]
    if segments and len(segments) >= 2 and all(b - a >= 3 for a, b in segments):
        q_start, q_end = u.qualifier
        tail = c.span_text(q_start, q_end) if q_end > q_start else ""
        out = []
        for a, b in segments:
            name = "Các " + c.span_text(a, b) + (f" {tail}" if tail else "")
            out.append(Unit(name, u.start, u.end, head=u.head, generic=u.generic, locality=u.locality))
        return out
    return [u]


# --------------------------------------------------------------------------
# Where units are assignees


_DIRECTIVE = {("giao",), ("yêu", "cầu"), ("đề", "nghị")}
_DIRECTS = {("chỉ", "đạo")}
_NOUN_BEFORE = {" ".join(p) for p in _phrases("unit_nouns_before_directive.txt")}
_UPPER = "".join(ch for ch in map(chr, range(0x41, 0x1EFA)) if ch.isupper() and ch.isalpha())
_LETTERS = r"[^\W\d_]"
_NAME = rf"(?:[{_UPPER}]{_LETTERS}*\s+){{1,4}}[{_UPPER}]{_LETTERS}*"  # "Trần Minh Khoa": 2 to 5 capitalised words
_PERSON = re.compile(
    rf"\b[Đđ]ồng chí\s+(?:(?P<title1>(?:Phó\s+)?(?:Chủ tịch|Bí thư|Giám đốc)[^,.;:]*?)\s+(?P<name1>{_NAME})"
    rf"|(?P<name2>{_NAME})\s*,\s*(?P<titles>[^.;:]{{3,120}}?))"
    r"\s*,?\s+(?:trực tiếp (?:chỉ đạo|phụ trách)|chịu trách nhiệm chỉ đạo)"
)
_TITLE_TEXT = re.compile(r"^(?:Phó\s+)?(?:Chủ tịch|Bí thư|Giám đốc|Trưởng)\b")


def find_persons(text: str, offset: int) -> list[tuple[int, str, str]]:
    """(position, "Phó Chủ tịch UBND huyện Trần Minh Khoa", "Trần Minh Khoa") for every person who leads."""
    out = []
    for m in _PERSON.finditer(text):
        if m.group("name1"):
            title, name = m.group("title1"), m.group("name1")
        else:
            name = m.group("name2")
            parts = [p.strip() for p in m.group("titles").split(",")]
            titled = [p for p in parts if _TITLE_TEXT.match(p)]
            if not titled:
                continue
            title = titled[-1]
        title = " ".join(title.split())
        name = " ".join(name.split())
        out.append((offset + m.start(), f"{title} {name}", name))
    return out


@dataclass
class Found:
    units: list[Unit]
    pos: int  # offset in the text, for ordering
    # "directive" (giao X …), "directs" (chỉ đạo X …), "partner" (phối hợp với X), "subject"
    # (X chủ trì …), "bare" (đề nghị huyện …)
    role: str


def _clause_start(c: Context, i: int) -> bool:
    return i == 0 or c.key(i - 1) in (".", ";", ":", ",", "(")


def scan_units(c: Context) -> list[Found]:
    """Every unit the text names in a position of one who must act."""
    found: list[Found] = []
    i = 0
    n = len(c.toks)
    while i < n:
        f1 = (c.key(i),)
        f2 = (c.key(i), c.key(i + 1))
        # giao / yêu cầu / đề nghị X …   chỉ đạo X …
        verb = f2 if f2 in _DIRECTIVE | _DIRECTS else f1 if f1 in _DIRECTIVE else None
        if verb is not None:
            before = " ".join(c.key(j) for j in range(max(0, i - 2), i))
            if not any(before.endswith(nb) for nb in _NOUN_BEFORE):
                j = i + len(verb)
                parsed = parse_units(c, j)
                if parsed is None and c.match(j, _LOCALITY) and verb in _DIRECTIVE:
                    found.append(Found([Unit("", j, j + 1, locality=(c.span_text(j, j + 1), ""), bare=True)],
                                        c.toks[j].start, "bare"))
                elif parsed is not None:
                    units, end = parsed
                    role = "directive" if verb in _DIRECTIVE else "directs"
                    found.append(Found(units, c.toks[j].start, role))
                    i = end
                    continue
        # phối hợp (chặt chẽ) với X
        if f2 == ("phối", "hợp"):
            j = i + 2
            while j < n and j - i <= 5 and c.key(j) not in ("với", "cùng") and c.toks[j].word and not c.toks[j].cap:
                j += 1
            if c.key(j) in ("với", "cùng"):
                parsed = parse_units(c, j + 1)
                if parsed is not None:
                    units, end = parsed
                    found.append(Found(units, c.toks[j + 1].start, "partner"))
                    i = end
                    continue
        # A clause whose subject is a unit: "…; UBND huyện Sông Mây chủ động rà soát …"
        if c.toks[i].word and (c.toks[i].cap or c.toks[i].key == "các"):
            parsed = parse_units(c, i)
            if parsed is not None:
                units, end = parsed
                if _clause_start(c, i) and not units[0].person and c.is_action(end) and not any(
                    end + len(s) <= n and all(c.key(end + k) == w for k, w in enumerate(s)) for s in _SPEECH
                ):
                    found.append(Found(units, c.toks[i].start, "subject"))
                # Either way the whole list is read: "tham mưu Ban Thường vụ Huyện ủy, HĐND huyện
                # xem xét" has no subject in its second member.
                i = max(end, i + 1)
                continue
        i += 1
    return found


def find_lead(c: Context) -> tuple[list[Unit], int] | None:
    """Units named at the very start of an item, before what they must do."""
    i = 0
    if (c.key(0), c.key(1)) in _DIRECTIVE or (c.key(0),) in _DIRECTIVE or (c.key(0), c.key(1)) == ("đối", "với"):
        i = 2 if (c.key(0), c.key(1)) in _DIRECTIVE | {("đối", "với")} else 1
    parsed = parse_units(c, i)
    if parsed is None:
        return None
    units, end = parsed
    if end >= len(c.toks) or c.key(end) in (":", ".", "(") or c.is_action(end) or (i > 0 and c.toks[end].word):
        return units, end
    return None


# --------------------------------------------------------------------------
# Items and headings

ITEM_LABEL = re.compile(
    r"^\s*(?:(?:[-+•–*]+|\d{1,2}(?:\.\d{1,2})*[.)]?|[a-zđ]\)|[IVXLC]{1,6}[.)]|Điều\s+\d+[a-zđ]?[.:]?)\s*)+"
)


def strip_item_label(text: str) -> str:
    """The item's text without its label ("1.", "a)", "-", "+", "*") and with line breaks joined."""
    return " ".join(ITEM_LABEL.sub("", text, count=1).split())


def heading_units(sec: Section) -> list[Unit] | None:
    """Units a heading gives its items to: "Phòng Nông nghiệp và PTNT", "2.1. Yêu cầu UBND
    huyện Sông Mây:", "Điều 9. Trách nhiệm của Văn phòng HĐND và UBND huyện"."""
    raw = strip_item_label(sec.heading).rstrip(":").strip()
    raw = re.sub(r"^(?:Điều\s+\d+[a-zđ]?\.?\s*)", "", raw)
    if not raw:
        return None
    c = Context(raw, tokenize(raw))
    i = 0
    f = [c.key(k) for k in range(4)]
    if tuple(f[:2]) in _DIRECTIVE | {("đối", "với")} or tuple(f[:1]) in _DIRECTIVE:
        i = 1 if tuple(f[:1]) in _DIRECTIVE and tuple(f[:2]) not in _DIRECTIVE else 2
    elif tuple(f[:3]) == ("trách", "nhiệm", "của"):
        i = 3
    parsed = parse_units(c, i, lenient=True)
    if parsed is not None:
        units, end = parsed
        units = [u for u in units if not u.generic]
        whole = end >= len(c.toks) or c.is_action(end) or c.key(end) in (":", ".")
        if units and (whole or i > 0):
            return units
    if sec.kind == "unit" and c.toks and (_head_at(c, 0, True) or (c.key(0) == "các" and c.match(1, _KIND_LIST))):
        return [Unit(raw, 0, len(c.toks))]
    return None


def names_units(sec: Section) -> bool:
    """A title-only heading that is a unit's name ("1. Phòng Nông nghiệp và PTNT",
    "Đối với UBND xã Phú Khê"): the text under it is that unit's to do."""
    return sec.title_only and sec.kind != "article" and bool(heading_units(sec))


def resolve_bare(doc_text: str, level: str) -> str | None:
    """"đề nghị huyện …" in a province's notice: the district it is about."""
    names = Counter(m.group(1) for m in re.finditer(
        r"(?:UBND|Ủy ban nhân dân|Uỷ ban nhân dân)\s+" + re.escape(level)
        + rf"\s+((?:[{_UPPER}]{_LETTERS}*\s?){{1,3}})",
        doc_text))
    if not names:
        return None
    name = names.most_common(1)[0][0]
    return f"UBND {level} {name.strip()}"


def find_units(text: str) -> list[str]:
    """Names of the units ``text`` gives something to do (for tests and the CLI)."""
    c = Context(text, tokenize(text))
    out: list[str] = []
    lead = find_lead(c)
    for u in (lead[0] if lead else []):
        if not u.generic:
            add_name(out, u.name)
    for f in scan_units(c):
        for u in f.units:
            if not u.generic and f.role != "bare":
                add_name(out, u.name)
    for _, full, _ in find_persons(text, 0):
        add_name(out, full)
    return out
