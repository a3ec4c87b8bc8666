"""What the command line prints for people: the citation line, results,
tasks, recurring shortcomings, a parsed document, reports. ``--json`` output
is not made here: it keeps the data model's field names.

The citation line is the one the page shows (``web/static/citation.js``):
"Thông báo số 163/TB-UBND ngày 19/7/2024 — UBND huyện … — mục 4.2 › … — trang 3".
"""

from __future__ import annotations

import re
from dataclasses import asdict, is_dataclass
from typing import Any, Mapping, TextIO

from corpus.models import ReadProblem


def format_date(value: str | None) -> str | None:
    """"2024-07-19" -> "19/7/2024"; "2024-07" -> "7/2024"; anything else unchanged."""
    if not value:
        return None
    m = re.match(r"(\d{4})-(\d{1,2})-(\d{1,2})", value)
    if m:
        return f"{int(m[3])}/{int(m[2])}/{m[1]}"
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", value)
    return f"{int(m[2])}/{m[1]}" if m else value


def format_pages(pages: Any) -> str | None:
    if not pages or pages[0] is None:
        return None
    first, last = pages[0], pages[-1] if pages[-1] is not None else pages[0]
    return f"trang {first}–{last}" if last != first else f"trang {first}"


def doc_label(c: Mapping[str, Any], fallback: str | None = None) -> str:
    """"Thông báo số 163/TB-UBND"; just the type when there is no number."""
    doc_type, number = c.get("doc_type"), c.get("number")
    if doc_type and number:
        return f"{doc_type} số {number}"
    if doc_type:
        return doc_type
    if number:
        return f"Văn bản số {number}"
    return c.get("title") or fallback or "Văn bản"


def short_heading(heading: str, limit: int = 90) -> str:
    h = " ".join(heading.split())
    if len(h) <= limit:
        return h
    cut = h.rfind(" ", 0, limit - 5)
    return h[: cut if cut > 40 else limit - 5] + "…"


def citation_line(citation: Any, doc_id: str | None = None, with_date: bool = True) -> str:
    """The citation of a passage, from its citation fields (a dict or a Citation)."""
    c = asdict(citation) if is_dataclass(citation) else dict(citation or {})
    head = doc_label(c, doc_id) + (_dated(c) if with_date else "")
    parts = [head]
    if c.get("issuer"):
        parts.append(c["issuer"])
    path = [h for h in c.get("heading_path") or [] if h]
    if path:
        parts.append("mục " + " › ".join(short_heading(h) for h in path))
    pages = format_pages(c.get("pages"))
    if c.get("ocr"):  # the same mark as the page's (web/static/citation.js)
        sure = f" {round(c['ocr_confidence'])}%" if c.get("ocr_confidence") is not None else ""
        pages = f"{pages or ''} (bản quét, OCR{sure})".strip()
    if pages:
        parts.append(pages)
    return " — ".join(parts)


def marked(text: str, spans: list[list[int]]) -> str:
    """The text with its highlights between « »."""
    out, last = [], 0
    for a, b in spans:
        out.append(text[last:a])
        out.append(f"«{text[a:b]}»")
        last = b
    out.append(text[last:])
    return "".join(out)


def one_line(text: str, limit: int) -> str:
    return " ".join(text.split())[:limit]


def print_problem(problem: ReadProblem, err: TextIO) -> None:
    label = "Lỗi" if problem.level == "error" else "Cảnh báo"
    print(f"{label} [{problem.code}] {problem.path}: {problem.message}", file=err)


def _results_head(found_any: bool, dense_query: str | None, out: TextIO) -> None:
    if not found_any:
        print("Không tìm thấy kết quả.", file=out)
    if dense_query:
        print(f"(tìm theo ngữ nghĩa với: {dense_query})", file=out)


def match_note(match: str | None) -> str:
    """Why a hit is there beyond its words: "  (đúng số văn bản)", "  (văn bản này thay thế văn bản đó)"."""
    if match == "number":
        return "  (đúng số văn bản)"
    if match and match.startswith("cites:"):
        return f"  (văn bản này {RELATION_LABELS.get(match[6:], match[6:])} văn bản đó)"
    return ""


def print_results(response, out: TextIO) -> None:
    _results_head(bool(response.results), response.dense_query, out)
    for i, r in enumerate(response.results, 1):
        print(f"{i}. {citation_line(r.citation, r.doc_id)}  [{r.doc_id}, điểm {r.score:.4f}]{match_note(r.match)}", file=out)
        for st in r.status:
            print(f"   ⚠ {status_line(st)}", file=out)
        print("   " + one_line(marked(r.text, r.highlights), 400), file=out)


def print_documents(found, out: TextIO) -> None:
    """Search results by document: the document, then its best passages."""
    _results_head(bool(found.documents), found.dense_query, out)
    for i, d in enumerate(found.documents, 1):
        print(f"{i}. {doc_label(asdict(d.citation), d.doc_id)}{_dated(d.citation)}  [{d.doc_id}]{match_note(d.match)}",
              file=out)
        for st in d.status:
            print(f"   ⚠ {status_line(st)}", file=out)
        if d.citation.subject:
            print(f"   {one_line(d.citation.subject, 200)}", file=out)
        for r in d.passages:
            where = " › ".join(short_heading(h) for h in r.citation.heading_path) or "(mở đầu)"
            print(f"   – {where}: {one_line(marked(r.text, r.highlights), 300)}", file=out)
        if d.more:
            print(f"   … và {d.more} đoạn khác", file=out)


def _dated(citation) -> str:
    c = asdict(citation) if is_dataclass(citation) else citation
    if c.get("issued_date"):
        return f" ngày {format_date(c['issued_date'])}"
    return f" (họp ngày {format_date(c['event_date'])})" if c.get("event_date") else ""


def print_tasks(page, out: TextIO) -> None:
    tasks = page.tasks
    if not tasks:
        print("Không tìm thấy nhiệm vụ nào.", file=out)
    elif page.total > len(tasks):
        print(f"{len(tasks)} trên {page.total} nhiệm vụ (tăng --k để xem thêm):", file=out)
    for i, t in enumerate(tasks, 1):
        due = t["deadline"] or "không nêu hạn"
        lead = f" — chỉ đạo: {t['lead_person']}" if t["lead_person"] else ""
        print(f"{i}. [{', '.join(t['assignees']) or '(không rõ đơn vị)'}] hạn: {due}{lead}", file=out)
        print(f"   {one_line(t['action'], 300)}", file=out)
        print(f"   nguồn: {citation_line(t['citation'], t['doc_id'])} [{t['doc_id']}]", file=out)


def print_shortcomings(groups, out: TextIO) -> None:
    if not groups:
        print("Không tìm thấy tồn tại, hạn chế nào khớp.", file=out)
    for i, g in enumerate(groups, 1):
        print(f"{i}. {g.label[:160]}  — {g.documents} văn bản", file=out)
        for o in g.occurrences:
            when = format_date(o.date) or "không rõ ngày"
            if o.date_kind == "event":
                when += " (ngày họp)"
            print(f"   {when}: {one_line(o.passage, 200)}", file=out)
            print(f"      nguồn: {citation_line(o.citation, o.doc_id, with_date=False)} [{o.doc_id}]", file=out)


def print_document(item, out: TextIO) -> None:
    """``vanban parse``: metadata, section tree and passages of one document."""
    doc = item.parsed
    meta = doc.metadata
    labels = [
        ("Số, ký hiệu", meta.number),
        ("Loại văn bản", meta.doc_type),
        ("Mã loại", meta.type_code),
        ("Cơ quan ban hành", meta.issuer),
        ("Địa danh", meta.place),
        ("Ngày ban hành", meta.issued_date),
        ("Ngày họp / sự kiện", meta.event_date),
        ("Trích yếu", meta.subject),
        ("Người ký", meta.signer_name),
        ("Chức vụ ký", meta.signer_title),
        ("Nơi nhận", "; ".join(meta.recipients) if meta.recipients else None),
    ]
    print(f"== {doc.raw.doc_id} ({doc.raw.format})", file=out)
    for warning in doc.raw.warnings:
        print(f"   Cảnh báo: {warning}", file=out)
    for label, value in labels:
        print(f"   {label}: {value if value is not None else '(không ghi)'}", file=out)
    print(f"\n   Mục lục ({len(doc.sections)} mục):", file=out)
    for sec in doc.sections:
        pages = f"  [trang {sec.pages[0]}–{sec.pages[1]}]" if sec.pages else ""
        print(f"   {'  ' * sec.level}{sec.heading[:100]}{pages}", file=out)
    print(f"\n   Đoạn trích ({len(item.chunks)}):", file=out)
    for c in item.chunks:
        path = " › ".join(c.heading_path) or "(mở đầu)"
        pages = f" trang {c.pages[0]}–{c.pages[1]}" if c.pages else ""
        print(f"   #{c.index} [{c.n_tokens} token{pages}] {path[:100]}", file=out)
        print(f"        {one_line(c.text, 90)}…", file=out)


def document_json(item) -> dict:
    """``vanban parse --json``: one object per document."""
    doc = item.parsed
    raw = doc.raw
    return {
        "document": {
            "doc_id": raw.doc_id,
            "source": raw.source,
            "format": raw.format,
            "encoding": raw.encoding,
            "pages": len(raw.pages) or None,
            "chars": len(raw.text),
            "warnings": raw.warnings,
        },
        "metadata": asdict(doc.metadata),
        "sections": [asdict(s) for s in doc.sections],
        "chunks": [asdict(c) for c in item.chunks],
    }


def inspect_header(out: TextIO) -> None:
    print(f"{'Văn bản':48} {'Loại':10} {'Số':14} {'Ngày':10} {'Mục':>4} {'Đoạn':>5}", file=out)


def inspect_row(item, out: TextIO) -> None:
    meta = item.parsed.metadata
    print(
        f"{item.parsed.raw.doc_id[:48]:48} {(meta.doc_type or '-')[:10]:10} {(meta.number or '-')[:14]:14} "
        f"{meta.issued_date or '-':10} {len(item.parsed.sections):>4} {len(item.chunks):>5}",
        file=out,
    )


def print_index_report(report, out: TextIO) -> None:
    rate = report.chunks_embedded / report.embed_seconds if report.embed_seconds else 0.0
    print(
        f"Xong trong {report.seconds:.1f} giây: {report.files_read} tệp đọc, {report.files_unchanged} tệp không đổi; "
        f"{report.documents_indexed} văn bản, {report.chunks_indexed} đoạn được lập chỉ mục "
        f"({report.chunks_embedded} đoạn nhúng mới, {rate:.1f} đoạn/giây; {report.chunks_reused} đoạn dùng lại); "
        f"{report.documents_removed} văn bản bị gỡ.",
        file=out,
    )
    totals = report.totals
    if totals:
        print(f"Chỉ mục hiện có {totals['documents']} văn bản, {totals['chunks']} đoạn ({report.snapshot}).", file=out)


def print_eval(folder_name: str, report: dict, out: TextIO) -> None:
    print(f"Bộ đánh giá {folder_name}: {report['queries']} câu hỏi, {report['index']['chunks']} đoạn "
          f"(lập chỉ mục {report['index']['seconds']} giây)", file=out)
    header = f"{'chế độ':8} " + " ".join(f"{m:>9}" for m in report["metric_names"]) + "   p50 ms   p95 ms   p99 ms"
    print(header, file=out)
    for mode, row in report["modes"].items():
        metrics = " ".join(f"{row['metrics'].get(m, 0):>9.4f}" for m in report["metric_names"])
        lat = row["latency_ms"]
        print(f"{mode:8} {metrics}   {lat.get('p50', 0):>6}   {lat.get('p95', 0):>6}   {lat.get('p99', 0):>6}", file=out)


RELATION_LABELS = {
    "amends": "sửa đổi, bổ sung", "replaces": "thay thế", "repeals": "bãi bỏ", "guides": "hướng dẫn",
    "corrects": "đính chính", "consolidates": "hợp nhất", "implements": "thực hiện", "basis": "căn cứ vào",
    "cites": "dẫn chiếu",
}
STATUS_LABELS = {"amended_by": "được sửa đổi, bổ sung bởi", "replaced_by": "bị thay thế bởi",
                 "repealed_by": "bị bãi bỏ bởi", "corrected_by": "được đính chính bởi"}


def status_line(status: dict) -> str:
    """"bị thay thế bởi 45/2024/TT-BTC ngày 1/7/2024"."""
    date = f" ngày {format_date(status['issued_date'])}" if status.get("issued_date") else ""
    return f"{STATUS_LABELS.get(status['status'], status['status'])} {status.get('number') or status['doc_id']}{date}"


def print_relations(found: dict, out: TextIO) -> None:
    """``vanban relations DOC_ID``: the document's status, then its links both ways."""
    print(f"== {found['doc_id']}", file=out)
    for st in found["status"]:
        print(f"   Hiệu lực: {status_line(st)} [{st['doc_id']}]", file=out)
    print(f"\n   Văn bản này dẫn chiếu ({len(found['outgoing'])}):", file=out)
    for link in found["outgoing"]:
        target = f" → [{link['target']}]" if link["target"] else " (chưa có trong chỉ mục)"
        print(f"   - {RELATION_LABELS.get(link['relation'], link['relation'])}: {one_line(link['text'], 160)}{target}", file=out)
    print(f"\n   Văn bản dẫn chiếu đến văn bản này ({len(found['incoming'])}):", file=out)
    for link in found["incoming"]:
        print(f"   - [{link['source']}] {RELATION_LABELS.get(link['relation'], link['relation'])}: "
              f"{one_line(link['text'], 160)}", file=out)


def print_lookup(found, out: TextIO) -> None:
    """``vanban lookup``: the documents a query names, one line each."""
    if not found:
        print("Không tìm thấy văn bản nào.", file=out)
    for i, d in enumerate(found, 1):
        m = d.metadata
        print(f"{i}. {doc_label(m, d.doc_id)}{_dated(m)}{' — ' + m['issuer'] if m.get('issuer') else ''}  [{d.doc_id}]"
              f"{match_note(d.match)}", file=out)
        if m.get("subject"):
            print(f"   {one_line(m['subject'], 200)}", file=out)
        for st in d.status:
            print(f"   ⚠ {status_line(st)}", file=out)


def print_new_token(user, token: str, out: TextIO, err: TextIO, created: bool) -> None:
    """The token alone on stdout (``TOKEN=$(vanban users add …)`` works); the explanation on stderr."""
    groups = ", ".join(user.groups) or "không nhóm nào"
    what = f"Đã tạo người dùng {user.name}" if created else f"Đã cấp mã truy cập mới cho {user.name} (mã cũ hết hiệu lực)"
    print(f"{what} — nhóm: {groups}{'; quản trị viên' if user.admin else ''}.", file=err)
    print("Mã truy cập dưới đây chỉ hiện một lần; hãy lưu lại (gửi kèm tiêu đề Authorization: Bearer …):", file=err)
    print(token, file=out)


def print_users(users, out: TextIO) -> None:
    """``vanban users list``: one user a line; no secret, only the token's public id."""
    if not users:
        print("Chưa có người dùng nào (thêm bằng: vanban users add TÊN --groups NHÓM).", file=out)
        return
    print(f"{'Tên':24} {'Quản trị':8} {'Mật khẩu':8} {'Mã (id)':12} {'Cập nhật':20} Nhóm", file=out)
    for u in users:
        print(f"{u.name[:24]:24} {'có' if u.admin else '-':8} {'có' if u.has_password else '-':8} {u.token_id:12} "
              f"{u.updated:20} {', '.join(u.groups) or '-'}", file=out)


AUDIT_ACTION_LABELS = {
    "search": "tìm kiếm", "open_document": "mở văn bản", "download": "tải tệp gốc", "upload": "tải lên",
    "delete": "xóa văn bản", "access_change": "đổi quyền đọc", "sign_in": "đăng nhập", "sign_in_failed": "đăng nhập sai",
    "sign_out": "đăng xuất", "users_change": "đổi người dùng", "refused": "bị từ chối",
}


def audit_line(entry: Mapping[str, Any]) -> str:
    """"2025-03-01 08:15:02Z  lan  tìm kiếm  query=bão số 3  (10.0.0.7)"."""
    when = str(entry.get("ts", "")).replace("T", " ")
    when = re.sub(r"\.\d+Z$", "Z", when)
    who = entry.get("user") or {"anonymous": "(ẩn danh)", "admin_token": "(mã quản trị)", "cli": "(dòng lệnh)"}.get(
        entry.get("kind"), f"({entry.get('kind')})")
    action = AUDIT_ACTION_LABELS.get(entry.get("action"), entry.get("action"))
    details = entry.get("details") or {}
    shown = "; ".join(f"{k}={one_line(v if isinstance(v, str) else _compact(v), 160)}" for k, v in details.items()
                      if v not in (None, "", [], {}))
    address = f"  ({entry['address']})" if entry.get("address") else ""
    return f"{when}  {who}  {action}{'  ' + shown if shown else ''}{address}"


def _compact(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def print_audit(entries, out: TextIO) -> None:
    if not entries:
        print("Không có mục nào trong nhật ký.", file=out)
    for entry in entries:
        print(audit_line(entry), file=out)
