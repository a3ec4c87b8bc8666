"""The ``vanban`` command line.

Messages for people are in Vietnamese; ``--json`` output is for programs and
keeps the field names of the data model.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Sequence, TextIO

from corpus.models import ReadProblem
from corpus.pipeline import ParsedFile, parse_paths
from indexer.store import Filters
from search_api.services import chunk_settings, token_counter
from search_api.settings import Settings

SAMPLES_DIR = Path(__file__).resolve().parents[1] / "corpus" / "samples"


def _print_problem(problem: ReadProblem, err: TextIO) -> None:
    label = "Lỗi" if problem.level == "error" else "Cảnh báo"
    print(f"{label} [{problem.code}] {problem.path}: {problem.message}", file=err)


def _document_json(item: ParsedFile) -> dict:
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


def _print_document(item: ParsedFile, out: TextIO) -> None:
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
        preview = " ".join(c.text.split())[:90]
        print(f"   #{c.index} [{c.n_tokens} token{pages}] {path[:100]}", file=out)
        print(f"        {preview}…", file=out)


def cmd_parse(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    path = Path(args.file)
    if not path.exists():
        print(f"Lỗi: không tìm thấy tệp {path}", file=err)
        return 2
    if path.is_dir():
        print(f"Lỗi: {path} là thư mục; lệnh parse nhận một tệp (dùng 'vanban inspect' cho thư mục)", file=err)
        return 2
    failed = False
    for item in parse_paths([path], token_counter(settings, err), chunk_settings(settings)):
        if isinstance(item, ReadProblem):
            _print_problem(item, err)
            failed = failed or item.level == "error"
            continue
        if args.json:
            out.write(json.dumps(_document_json(item), ensure_ascii=False) + "\n")
        else:
            _print_document(item, out)
    return 1 if failed else 0


def cmd_inspect(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    paths = [Path(p) for p in args.paths] or [SAMPLES_DIR]
    missing = [p for p in paths if not p.exists()]
    for p in missing:
        print(f"Lỗi: không tìm thấy {p}", file=err)
    if missing:
        return 2
    docs = chunks = errors = 0
    print(f"{'Văn bản':48} {'Loại':10} {'Số':14} {'Ngày':10} {'Mục':>4} {'Đoạn':>5}", file=out)
    for item in parse_paths(paths, token_counter(settings, err), chunk_settings(settings)):
        if isinstance(item, ReadProblem):
            _print_problem(item, err)
            errors += item.level == "error"
            continue
        meta = item.parsed.metadata
        docs += 1
        chunks += len(item.chunks)
        print(
            f"{item.parsed.raw.doc_id[:48]:48} {(meta.doc_type or '-')[:10]:10} {(meta.number or '-')[:14]:14} "
            f"{meta.issued_date or '-':10} {len(item.parsed.sections):>4} {len(item.chunks):>5}",
            file=out,
        )
    print(f"\nTổng: {docs} văn bản, {chunks} đoạn trích, {errors} tệp lỗi.", file=out)
    return 1 if errors and not docs else 0


FILTER_FIELDS = ("issuer", "doc_type", "type_code", "number", "date_from", "date_to", "year", "kind")
KINDS = ("result", "shortcoming", "cause", "task", "proposal", "other")


def parse_filters(items: Sequence[str] | None) -> Filters:
    """``--filter field=value`` options -> Filters; ``year=2024`` is a date range."""
    filters = Filters()
    for item in items or []:
        name, sep, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or name not in FILTER_FIELDS or not value:
            raise ValueError(f"bộ lọc không hợp lệ: {item!r} (dạng trường=giá_trị, trường là một trong {', '.join(FILTER_FIELDS)})")
        if name == "year":
            if not (value.isdigit() and len(value) == 4):
                raise ValueError(f"năm không hợp lệ: {value!r}")
            filters.date_from, filters.date_to = f"{value}-01-01", f"{value}-12-31"
        elif name == "kind":
            if value not in KINDS:
                raise ValueError(f"loại đoạn không hợp lệ: {value!r} (một trong {', '.join(KINDS)})")
            filters.kind = value
        elif name in ("date_from", "date_to"):
            iso = _iso_or_none(value)
            if iso is None:
                raise ValueError(f"ngày không hợp lệ: {value!r} (dạng YYYY-MM-DD hoặc DD/MM/YYYY)")
            setattr(filters, name, iso)
        else:
            setattr(filters, name, value)
    return filters


def _iso_or_none(value: str) -> str | None:
    import re

    from corpus.dates import find_dates, iso_date

    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", value)
    if m:
        return iso_date(m.group(3), m.group(2), m.group(1))
    found = find_dates(value)
    return found[0][2] if found and found[0][0] == 0 and found[0][1] == len(value) else None


def _progress(err: TextIO):
    def report(message: str) -> None:
        print(f"  … {message}", file=err, flush=True)

    return report


def cmd_index(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    from indexer.build import Indexer, ModelMismatchError
    from indexer.snapshot import IndexLockedError
    from search_api.services import embedder, index_settings

    paths = [Path(p) for p in args.paths]
    missing = [p for p in paths if not p.exists()]
    for p in missing:
        print(f"Lỗi: không tìm thấy {p}", file=err)
    if missing:
        return 2
    print(f"Lập chỉ mục vào {settings.index_dir}", file=err)
    encoder = embedder(settings, settings.index_threads)
    indexer = Indexer(settings.index_dir, encoder, token_counter(settings, err), index_settings(settings), _progress(err))
    try:
        report = indexer.run(paths, prune=args.prune, rebuild=args.rebuild)
    except (IndexLockedError, ModelMismatchError) as exc:
        print(f"Lỗi: {exc}", file=err)
        return 2
    for problem in report.problems:
        _print_problem(problem, err)
    if args.json:
        from dataclasses import asdict as _asdict

        data = _asdict(report)
        data["problems"] = [_asdict(p) for p in report.problems]
        out.write(json.dumps(data, ensure_ascii=False) + "\n")
    else:
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
    errors = [p for p in report.problems if p.level == "error"]
    return 1 if errors and not report.documents_indexed and not report.files_unchanged else 0


def _result_line(i: int, r, out: TextIO) -> None:
    c = r.citation
    head = " ".join(x for x in (c.doc_type, f"số {c.number}" if c.number else None) if x) or r.doc_id
    date = f" ngày {c.issued_date}" if c.issued_date else ""
    issuer = f" — {c.issuer}" if c.issuer else ""
    where = " › ".join(c.heading_path)
    pages = f" — trang {c.pages[0]}" + (f"–{c.pages[1]}" if c.pages[1] != c.pages[0] else "") if c.pages else ""
    print(f"{i}. {head}{date}{issuer}{pages}  [{r.doc_id}, điểm {r.score:.4f}]", file=out)
    if where:
        print(f"   mục: {where[:160]}", file=out)
    text = r.text
    marked = []
    last = 0
    for a, b in r.highlights:
        marked.append(text[last:a])
        marked.append(f"«{text[a:b]}»")
        last = b
    marked.append(text[last:])
    print("   " + " ".join("".join(marked).split())[:400], file=out)


def cmd_search(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    from indexer.snapshot import NoIndexError
    from search_api.retrieval import QueryError
    from search_api.services import open_searcher

    if bool(args.query) == bool(args.queries):
        print("Lỗi: cần đúng một trong hai: câu truy vấn, hoặc --queries TỆP.jsonl", file=err)
        return 2
    try:
        filters = parse_filters(args.filter)
    except ValueError as exc:
        print(f"Lỗi: {exc}", file=err)
        return 2
    try:
        searcher = open_searcher(settings, with_model=args.mode != "lexical")
    except NoIndexError as exc:
        print(f"Lỗi: {exc}", file=err)
        return 2
    if args.queries:
        return _batch_search(args, searcher, filters, out, err)
    try:
        response = searcher.search(args.query, k=args.k, filters=filters, mode=args.mode)
    except QueryError as exc:
        print(f"Lỗi [{exc.code}]: {exc.message}", file=err)
        return 2
    if args.json:
        out.write(json.dumps({"query": response.query, "results": [r.to_json() for r in response.results],
                              "total": response.total, "timings_ms": response.timings_ms}, ensure_ascii=False) + "\n")
        return 0
    if not response.results:
        print("Không tìm thấy kết quả.", file=out)
    if response.dense_query:
        print(f"(tìm theo ngữ nghĩa với: {response.dense_query})", file=out)
    for i, r in enumerate(response.results, 1):
        _result_line(i, r, out)
    return 0


def _batch_search(args, searcher, filters, out: TextIO, err: TextIO) -> int:
    from search_api.retrieval import QueryError

    path = Path(args.queries)
    try:
        fh = open(path, encoding="utf-8")
    except OSError as exc:
        print(f"Lỗi: không mở được {path}: {exc}", file=err)
        return 2
    bad = 0
    with fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                qid = str(item.get("id", item.get("_id")))
                text = item.get("query", item.get("text"))
                if qid == "None" or not isinstance(text, str):
                    raise ValueError("thiếu id/_id hoặc query/text")
            except (ValueError, AttributeError) as exc:
                print(f"Cảnh báo: {path} dòng {n}: {exc}", file=err)
                bad += 1
                continue
            try:
                response = searcher.search(text, k=args.k, filters=filters, mode=args.mode)
                results = [r.to_json() for r in response.results]
            except QueryError as exc:
                print(f"Cảnh báo: {path} dòng {n}: {exc.message}", file=err)
                results = []
            out.write(json.dumps({"id": qid, "results": results}, ensure_ascii=False) + "\n")
    return 0 if not bad else 1


def cmd_eval(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    from search_api.benchmark import run_beir

    folder = Path(args.dataset)
    if not (folder / "corpus.jsonl").exists() or not (folder / "qrels.tsv").exists():
        print(f"Lỗi: {folder} không có dạng BEIR (cần corpus.jsonl, queries.jsonl, qrels.tsv)", file=err)
        return 2
    data_dir = settings.data_dir or settings.home / "eval" / folder.name
    report = run_beir(folder, data_dir, settings, queries_file=args.queries_file, modes=args.modes,
                      progress=_progress(err))
    if args.json:
        out.write(json.dumps(report, ensure_ascii=False) + "\n")
        return 0
    print(f"Bộ đánh giá {folder.name}: {report['queries']} câu hỏi, {report['index']['chunks']} đoạn "
          f"(lập chỉ mục {report['index']['seconds']} giây)", file=out)
    header = f"{'chế độ':8} " + " ".join(f"{m:>9}" for m in report["metric_names"]) + "   p50 ms   p95 ms   p99 ms"
    print(header, file=out)
    for mode, row in report["modes"].items():
        metrics = " ".join(f"{row['metrics'].get(m, 0):>9.4f}" for m in report["metric_names"])
        lat = row["latency_ms"]
        print(f"{mode:8} {metrics}   {lat.get('p50', 0):>6}   {lat.get('p95', 0):>6}   {lat.get('p99', 0):>6}", file=out)
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    from search_api.api import serve

    url = f"http://{args.host}:{args.port}/"
    print(f"vanban đang chạy tại {url}  (chỉ mục: {settings.index_dir}; Ctrl+C để dừng)", file=out, flush=True)
    if not settings.admin_token:
        print("Ghi chú: chưa đặt VANBAN_ADMIN_TOKEN, chức năng tải lên/xóa văn bản bị tắt.", file=out, flush=True)
    serve(settings, args.host, args.port)
    return 0


def _open(settings: Settings, err: TextIO):
    from indexer.snapshot import NoIndexError
    from search_api.services import open_searcher

    try:
        return open_searcher(settings)
    except NoIndexError as exc:
        print(f"Lỗi: {exc}", file=err)
        return None


def _cite_line(c: dict) -> str:
    head = " ".join(x for x in (c.get("doc_type"), f"số {c['number']}" if c.get("number") else None) if x)
    date = f" ngày {c['issued_date']}" if c.get("issued_date") else (f" (họp ngày {c['event_date']})" if c.get("event_date") else "")
    issuer = f" — {c['issuer']}" if c.get("issuer") else ""
    where = " › ".join(c.get("heading_path") or [])
    return f"{head or '(không rõ loại)'}{date}{issuer}" + (f" — mục {where[:120]}" if where else "")


def cmd_tasks(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    from search_api.directives import find_tasks

    due_before = _iso_or_none(args.due_before) if args.due_before else None
    if args.due_before and due_before is None:
        print(f"Lỗi: ngày không hợp lệ: {args.due_before!r}", file=err)
        return 2
    searcher = _open(settings, err)
    if searcher is None:
        return 2
    page = find_tasks(searcher, args.query or None, args.assignee, None, due_before, args.k)
    tasks = page.tasks
    if args.json:
        out.write(json.dumps({"tasks": tasks, "total": page.total}, ensure_ascii=False) + "\n")
        return 0
    if not tasks:
        print("Không tìm thấy nhiệm vụ nào.", file=out)
    elif page.total > len(tasks):
        print(f"{len(tasks)} trên {page.total} nhiệm vụ (tăng --k để xem thêm):", file=out)
    for i, t in enumerate(tasks, 1):
        due = t["deadline"] or "không nêu hạn"
        print(f"{i}. [{', '.join(t['assignees']) or '(không rõ đơn vị)'}] hạn: {due}"
              + (f" — chỉ đạo: {t['lead_person']}" if t["lead_person"] else ""), file=out)
        print(f"   {' '.join(t['action'].split())[:300]}", file=out)
        print(f"   nguồn: {_cite_line(t['citation'])} [{t['doc_id']}]", file=out)
    return 0


def cmd_shortcomings(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    from dataclasses import asdict as _asdict

    from search_api.directives import recurring_shortcomings

    searcher = _open(settings, err)
    if searcher is None:
        return 2
    groups = recurring_shortcomings(searcher, query=args.query)
    if args.json:
        out.write(json.dumps({"groups": [{"label": g.label, "documents": g.documents,
                                          "occurrences": [_asdict(o) for o in g.occurrences]} for g in groups]},
                             ensure_ascii=False) + "\n")
        return 0
    if not groups:
        print("Không tìm thấy tồn tại, hạn chế nào khớp.", file=out)
    for i, g in enumerate(groups, 1):
        print(f"{i}. {g.label[:160]}  — {g.documents} văn bản", file=out)
        for o in g.occurrences:
            when = o.date or "không rõ ngày"
            if o.date_kind == "event":
                when += " (ngày họp)"
            print(f"   {when}: {' '.join(o.passage.split())[:200]}", file=out)
            print(f"      nguồn: {_cite_line(o.citation)} [{o.doc_id}]", file=out)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vanban", description="Tìm kiếm văn bản hành chính tiếng Việt, có trích dẫn nguồn.")
    parser.add_argument("--home", help="thư mục dữ liệu của vanban (mặc định: $VANBAN_HOME hoặc ~/.cache/vanban)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("parse", help="đọc một văn bản, in siêu dữ liệu, mục lục và các đoạn trích")
    p.add_argument("file", help="tệp .txt, .md, .pdf, .docx, .jsonl hoặc .jsonl.gz")
    p.add_argument("--json", action="store_true", help="in một đối tượng JSON cho mỗi văn bản")
    p.set_defaults(func=cmd_parse)

    p = sub.add_parser("index", help="lập chỉ mục (tăng dần) các tệp và thư mục")
    p.add_argument("paths", nargs="+", help="tệp hoặc thư mục")
    p.add_argument("--data-dir", help="thư mục chỉ mục (mặc định: $VANBAN_DATA_DIR hoặc $VANBAN_HOME/data)")
    p.add_argument("--prune", action="store_true", help="gỡ khỏi chỉ mục các văn bản mà tệp đã bị xóa")
    p.add_argument("--rebuild", action="store_true", help="lập chỉ mục lại từ đầu")
    p.add_argument("--json", action="store_true", help="in báo cáo dạng JSON")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("search", help="tìm các đoạn văn bản, có trích dẫn nguồn")
    p.add_argument("query", nargs="?", help="câu truy vấn")
    p.add_argument("--queries", help="tệp JSONL, mỗi dòng {\"id\", \"query\"} hoặc {\"_id\", \"text\"}")
    p.add_argument("--data-dir", help="thư mục chỉ mục")
    p.add_argument("--k", type=int, default=10, help="số kết quả (mặc định 10)")
    p.add_argument("--mode", choices=["hybrid", "dense", "lexical"], default="hybrid")
    p.add_argument("--filter", action="append", metavar="TRƯỜNG=GIÁ_TRỊ",
                   help=f"lọc theo {', '.join(FILTER_FIELDS)}; lặp lại được")
    p.add_argument("--json", action="store_true", help="in JSON")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("tasks", help="các nhiệm vụ được giao: đơn vị, nội dung, thời hạn, nguồn")
    p.add_argument("query", nargs="?", help="chủ đề, ví dụ: bão số 3 (bỏ trống: mọi nhiệm vụ)")
    p.add_argument("--assignee", help="đơn vị được giao (một phần tên cũng được)")
    p.add_argument("--due-before", help="hạn chót không muộn hơn ngày này (YYYY-MM-DD hoặc DD/MM/YYYY)")
    p.add_argument("--k", type=int, default=20)
    p.add_argument("--data-dir", help="thư mục chỉ mục")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_tasks)

    p = sub.add_parser("shortcomings", help="các tồn tại, hạn chế lặp lại qua nhiều văn bản, theo thời gian")
    p.add_argument("query", help="chủ đề, ví dụ: giải phóng mặt bằng chậm")
    p.add_argument("--data-dir", help="thư mục chỉ mục")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_shortcomings)

    p = sub.add_parser("serve", help="chạy máy chủ API và trang tìm kiếm")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--data-dir", help="thư mục chỉ mục")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("eval", help="đánh giá chất lượng tìm kiếm trên một bộ dữ liệu dạng BEIR")
    p.add_argument("dataset", help="thư mục có corpus.jsonl, queries.jsonl, qrels.tsv")
    p.add_argument("--data-dir", help="thư mục chỉ mục cho bộ đánh giá (mặc định: $VANBAN_HOME/eval/TÊN)")
    p.add_argument("--queries-file", default="queries.jsonl", help="tệp câu hỏi trong thư mục (mặc định queries.jsonl)")
    p.add_argument("--modes", nargs="+", choices=["lexical", "dense", "hybrid"], default=["lexical", "dense", "hybrid"])
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("inspect", help="đọc các tệp hoặc thư mục và in bảng tóm tắt (mặc định: văn bản mẫu)")
    p.add_argument("paths", nargs="*", help="tệp hoặc thư mục; mặc định là corpus/samples")
    p.set_defaults(func=cmd_inspect)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    args = build_parser().parse_args(argv)
    try:
        data_dir = getattr(args, "data_dir", None)
        settings = Settings.from_env(
            home=Path(args.home).expanduser() if args.home else None,
            data_dir=Path(data_dir).expanduser() if data_dir else None,
        )
    except ValueError as exc:
        print(f"Lỗi cấu hình: {exc}", file=err)
        return 2
    try:
        return args.func(args, settings, out, err)
    except KeyboardInterrupt:
        print("Đã dừng.", file=err)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
