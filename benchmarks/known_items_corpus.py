"""A known-item corpus rendered from the Official Gazette metadata, and the queries that look for its documents.

The 4,036 Công báo records in ``../shared/corpus/congbao/congbao_metadata.jsonl`` carry a document's
number, type, issuer, date, subject (trích yếu) and signer, but no body. Each chosen record is rendered
as a plain-text document laid out like the real thing (issuing body, "Số:", place and date, type line,
subject, a short generic body, signature, "Nơi nhận"); the body's wording is ours and says nothing a
record does not. The choice is deterministic: every record whose title names another record's number,
every record so named, every record sharing a number with a chosen one, then a seeded sample up to
the target size.

Queries ask for a sampled document the ways people type a number or a title (see ``FORMS``). A query
that several documents answer equally (two documents with one number; "thông tư 12 năm 2016" from two
ministries; one subject used by many decisions) accepts any of them: ``KnownItemQuery.gold``.

Nothing here reads the product's own number parsing: the benchmark judges it.
"""

from __future__ import annotations

import json
import random
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from corpus.vietnamese import fold

DEFAULT_SIZE = 1500
SEED = 13
FORMS = ("printed", "lower", "spoken_year", "type_number", "title_unaccented")

# A number as written in a title: "124/2011/TT-BTC", "61/NĐ-CP", "184/ 2010/TT-BTC", "45/2014/ NĐ-CP".
REFERENCE_RX = re.compile(
    r"(?<![\w/.:])(?P<seq>\d{1,5}[A-Za-z]?)\s*/\s*(?:(?P<year>(?:19|20)\d\d)\s*/\s*)?"
    r"(?P<sym>[A-ZĐ][A-Za-zĐđ0-9&]*(?:\s*-\s*[A-Za-zĐđ0-9&]+)*)"
)
# The type word written before a cited number ("Thông tư số 124/2011/TT-BTC").
CITED_TYPE_RX = re.compile(
    r"(Thông tư liên tịch|Nghị quyết liên tịch|Văn bản hợp nhất|Thông tư|Nghị định|Quyết định|Nghị quyết|Chỉ thị|"
    r"Bộ luật|Luật|Pháp lệnh|Lệnh|Công văn|Thông báo|Hướng dẫn|Kế hoạch|Công điện)\s+(?:số\s*)?$",
    re.IGNORECASE,
)
# Type codes people type before a number ("TT 12/2016", "NĐ 15/2020"); other symbols are not typed that way.
TYPED_CODES = {"TT", "TTLT", "NĐ", "QĐ", "NQ", "CT", "TB", "HD", "KH", "BC", "CĐ", "VBHN"}
LEGAL_TYPES = {"Thông tư", "Thông tư liên tịch", "Nghị định", "Quyết định", "Nghị quyết", "Nghị quyết liên tịch",
               "Luật", "Pháp lệnh", "Chỉ thị", "Lệnh", "Văn bản hợp nhất"}


def number_key(number: str) -> str:
    """Two numbers are the same number when they differ only in spacing, case and leading zeros."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFC", number)).upper().lstrip("0")


def load_records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def doc_id(record: dict) -> str:
    """The file name the record is rendered to, which is also the indexer's doc_id."""
    return record["file"]


def cited_numbers(title: str, own: str) -> list[str]:
    """Numbers written in ``title`` other than the record's own, spaces tidied, in order."""
    title = unicodedata.normalize("NFC", title)
    # The record's own number, blanked first: "72/2025/NQLT/UBTVQH15-CP-…" must not yield "72/2025/NQLT".
    title = title.replace(own, " " * len(own), 1)
    out = []
    for m in REFERENCE_RX.finditer(title):
        sym = re.sub(r"\s*-\s*", "-", m.group("sym"))
        number = "/".join(p for p in (m.group("seq"), m.group("year"), sym) if p)
        if number_key(number) != number_key(own) and number not in out:
            out.append(number)
    return out


def select_records(records: list[dict], size: int = DEFAULT_SIZE, seed: int = SEED) -> list[dict]:
    """The records to render, in metadata order: those whose titles cite another record's number and those
    cited, the other records bearing any chosen number, and a seeded sample up to ``size``."""
    by_key: dict[str, list[int]] = {}
    for i, r in enumerate(records):
        by_key.setdefault(number_key(r["so_ky_hieu"]), []).append(i)
    chosen: set[int] = set()
    for i, r in enumerate(records):
        for number in cited_numbers(r["title"], r["so_ky_hieu"]):
            targets = by_key.get(number_key(number))
            if targets:
                chosen.add(i)
                chosen.update(targets)
    rest = [i for i in range(len(records)) if i not in chosen]
    random.Random(seed).shuffle(rest)
    for i in rest:
        if len(chosen) >= size:
            break
        chosen.add(i)
    # Documents that share a number are all kept: a search for it may rightly return either.
    for i in list(chosen):
        chosen.update(by_key[number_key(records[i]["so_ky_hieu"])])
    return [records[i] for i in sorted(chosen)]


# ---------------------------------------------------------------- rendering


def worded_date(ddmmyyyy: str) -> str:
    """"05/01/2011" -> "ngày 05 tháng 01 năm 2011": Decree 30 pads days below 10 and the months 1 and 2."""
    d, m, y = (int(x) for x in ddmmyyyy.split("/"))
    day = f"{d:02d}" if d < 10 else str(d)
    month = f"{m:02d}" if m < 3 else str(m)
    return f"ngày {day} tháng {month} năm {y}"


def _sentence(text: str) -> str:
    text = " ".join(text.split()).rstrip(" .;")
    return text[:1].upper() + text[1:]


def _lower_first(text: str) -> str:
    text = " ".join(text.split()).rstrip(" .;")
    return text[:1].lower() + text[1:]


# Body names that contain " - " themselves; the metadata joins joint issuers with the same dash.
CONTINUATIONS = ("THƯƠNG BINH VÀ XÃ HỘI", "AN NINH TRUNG ƯƠNG")


def _issuers(record: dict) -> list[str]:
    """The issuing bodies of the header, one per joint issuer; the Gazette's own "VĂN BẢN HỢP NHẤT" label is no body."""
    parts: list[str] = []
    for part in (p.strip() for p in re.split(r"\s+-\s+", record["co_quan_ban_hanh"]) if p.strip()):
        if parts and part.startswith(CONTINUATIONS):
            parts[-1] = f"{parts[-1]} - {part}"  # "BỘ LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI" is one body
        elif part != "VĂN BẢN HỢP NHẤT":
            parts.append(part)
    return parts


def _signer_title(body: str, doc_type: str) -> list[str]:
    if body == "CHÍNH PHỦ":
        return ["TM. CHÍNH PHỦ", "THỦ TƯỚNG"]
    if body == "THỦ TƯỚNG CHÍNH PHỦ":
        return ["THỦ TƯỚNG"]
    if body == "QUỐC HỘI" or doc_type == "Luật":
        return ["CHỦ TỊCH QUỐC HỘI"]
    if body == "ỦY BAN THƯỜNG VỤ QUỐC HỘI":
        return ["TM. ỦY BAN THƯỜNG VỤ QUỐC HỘI", "CHỦ TỊCH"]
    if body == "CHỦ TỊCH NƯỚC":
        return ["CHỦ TỊCH NƯỚC"]
    if body.startswith("BỘ "):
        return ["BỘ TRƯỞNG"]
    if body.startswith("NGÂN HÀNG NHÀ NƯỚC"):
        return ["THỐNG ĐỐC"]
    if body.startswith("VĂN PHÒNG"):
        return ["CHỦ NHIỆM"]
    return [f"TM. {body}", "THỦ TRƯỞNG"]


def _person(name: str) -> str:
    """"TRẦN QUỐC TUẤN" -> "Trần Quốc Tuấn"; a rank written before the name ("ĐẠI TƯỚNG") stays in it."""
    return " ".join(w[:1].upper() + w[1:].lower() for w in name.split())


def _basis_lines(record: dict) -> list[str]:
    lines = ["Căn cứ chức năng, nhiệm vụ, quyền hạn được giao;"]
    title = unicodedata.normalize("NFC", record["title"])
    for number in cited_numbers(title, record["so_ky_hieu"]):
        m = next((m for m in REFERENCE_RX.finditer(title) if re.sub(r"\s", "", m.group(0)) == re.sub(r"\s", "", number)), None)
        kind = CITED_TYPE_RX.search(title[: m.start()]) if m else None
        lines.append(f"Căn cứ {_sentence(kind.group(1)) if kind else 'Văn bản'} số {number};")
    return lines


def render(record: dict) -> str:
    """The record as a plain-text document (NFC, lines separated by blank lines where a paper document has space)."""
    doc_type = record["loai_van_ban"]
    issuers = _issuers(record)
    subject = record["trich_yeu"]
    out: list[str] = []
    out += [" - ".join(issuers), "-------", ""] if issuers else []
    out += ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "---------------", ""]
    out += [f"Số: {record['so_ky_hieu']}", "", f"Hà Nội, {worded_date(record['ngay_ban_hanh'])}", ""]
    if doc_type == "Công văn":
        about = re.sub(r"^\s*về việc\s+", "", subject, flags=re.IGNORECASE)
        out += [f"V/v {_lower_first(about)}", "", "Kính gửi: Các cơ quan, đơn vị có liên quan.", ""]
        out += [
            f"Về việc {_lower_first(about)}, đề nghị các cơ quan, đơn vị có liên quan nghiên cứu, triển khai thực hiện "
            "theo đúng quy định và phản ánh kịp thời những vướng mắc phát sinh (nếu có) để được hướng dẫn.",
            "",
        ]
    else:
        out += [doc_type.upper(), "", _sentence(subject), ""]
        if doc_type in LEGAL_TYPES:
            out += [*_basis_lines(record), ""]
        what = doc_type.lower() if doc_type not in ("Luật", "Lệnh") else "văn bản"
        # The Gazette's effective date is sometimes a note ("Công báo 313", "Đang cập nhật").
        effective = record.get("ngay_hieu_luc") or ""
        effective = effective if re.fullmatch(r"\d\d/\d\d/\d{4}", effective) else record["ngay_ban_hanh"]
        out += [
            f"{_sentence(what)} này được ban hành với nội dung: {_lower_first(subject)}. {_sentence(what)} này có hiệu lực "
            f"kể từ {worded_date(effective)}; các cơ quan, tổ chức và cá nhân "
            f"có liên quan chịu trách nhiệm thi hành {what} này.",
            "",
        ]
    out += ["Nơi nhận:", "- Như trên;", "- Văn phòng Chính phủ;", "- Công báo;", "- Lưu: VT.", ""]
    signers = [s for s in re.split(r"\s+-\s+", record["nguoi_ky"]) if s.strip()]
    for i, signer in enumerate(signers):
        body = issuers[i] if len(issuers) == len(signers) else (issuers[0] if issuers else "")
        out += [*_signer_title(body, doc_type), "", _person(signer), ""]
    return unicodedata.normalize("NFC", "\n".join(out).rstrip() + "\n")


def write_corpus(records: list[dict], folder: Path) -> list[Path]:
    """Render ``records`` into ``folder``; a file whose text has not changed is left untouched (so a re-run
    indexes nothing), and files of records no longer chosen are removed."""
    folder.mkdir(parents=True, exist_ok=True)
    wanted = {doc_id(r): render(r) for r in records}
    for stale in folder.glob("*.txt"):
        if stale.name not in wanted:
            stale.unlink()
    paths = []
    for name, text in wanted.items():
        path = folder / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


# ---------------------------------------------------------------- queries


@dataclass(frozen=True)
class KnownItemQuery:
    form: str
    text: str
    doc_id: str  # the sampled document
    gold: frozenset[str]  # every document the query names equally (doc_id included)

    @property
    def ambiguous(self) -> bool:
        return len(self.gold) > 1


def number_parts(record: dict) -> tuple[str, str, str]:
    """(sequence without leading zeros, year, type code) of the record's number; the year is the number's own,
    or the year of issue for a number without one ("1743/QĐ-TTg")."""
    parts = [p.strip() for p in record["so_ky_hieu"].split("/")]
    seq = parts[0].lstrip("0") or "0"
    year = parts[1] if len(parts) > 2 and re.fullmatch(r"\d{4}", parts[1]) else record["ngay_ban_hanh"][-4:]
    code = re.split(r"[-/]", parts[-1])[0]
    return seq, year, code


def title_query(record: dict) -> str:
    return fold(" ".join(record["trich_yeu"].split())).lower().rstrip(" .;")


def _spoken_key(record: dict) -> tuple[str, str, str]:
    seq, year, _ = number_parts(record)
    return record["loai_van_ban"].lower(), seq, year


def _code_key(record: dict) -> tuple[str, str, str]:
    seq, year, code = number_parts(record)
    return code.upper(), seq, year


def make_queries(records: list[dict], n: int = 300, seed: int = SEED, max_chars: int = 1000) -> list[KnownItemQuery]:
    """Five queries for each of ``n`` documents sampled from ``records`` (the rendered set)."""
    groups: dict[tuple[str, object], set[str]] = {}

    def index(kind: str, key: object, record: dict) -> None:
        groups.setdefault((kind, key), set()).add(doc_id(record))

    for r in records:
        index("number", number_key(r["so_ky_hieu"]), r)
        index("spoken", _spoken_key(r), r)
        index("code", _code_key(r), r)
        index("title", title_query(r), r)

    sample = random.Random(seed).sample(records, min(n, len(records)))
    out = []
    for i, r in enumerate(sample):
        seq, year, code = number_parts(r)
        type_name = r["loai_van_ban"].lower()
        number_gold = frozenset(groups[("number", number_key(r["so_ky_hieu"]))])
        out.append(KnownItemQuery("printed", r["so_ky_hieu"], doc_id(r), number_gold))
        out.append(KnownItemQuery("lower", r["so_ky_hieu"].lower(), doc_id(r), number_gold))
        out.append(KnownItemQuery("spoken_year", f"{type_name} {seq} năm {year}", doc_id(r),
                                  frozenset(groups[("spoken", _spoken_key(r))])))
        # "thông tư 12/2016" and "TT 12/2016" alternate; a symbol that is no type code is typed as the type's name.
        if i % 2 and code.upper() in TYPED_CODES:
            typed = KnownItemQuery("type_number", f"{code} {seq}/{year}", doc_id(r), frozenset(groups[("code", _code_key(r))]))
        else:
            typed = KnownItemQuery("type_number", f"{type_name} {seq}/{year}", doc_id(r),
                                   frozenset(groups[("spoken", _spoken_key(r))]))
        out.append(typed)
        title = title_query(r)
        if len(title) > max_chars:
            title = title[:max_chars].rsplit(" ", 1)[0]
        out.append(KnownItemQuery("title_unaccented", title, doc_id(r), frozenset(groups[("title", title_query(r))])))
    return out
