"""The ``vanban`` command line.

Messages for people are in Vietnamese; ``--json`` output is for programs and
keeps the field names of the data model.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, replace
from pathlib import Path
from typing import Sequence, TextIO

from corpus.models import ReadProblem
from corpus.pipeline import parse_paths
from search_api import render
from search_api.params import (
    FILTER_FIELDS,
    MODES,
    ParamError,
    check_k,
    check_query,
    limits_of,
    parse_date,
    parse_filter_options,
)
from search_api.services import chunk_settings, read_settings, token_counter
from search_api.settings import Settings

SAMPLES_DIR = Path(__file__).resolve().parents[1] / "corpus" / "samples"


def cmd_parse(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    path = Path(args.file)
    if not path.exists():
        print(f"Lỗi: không tìm thấy tệp {path}", file=err)
        return 2
    if path.is_dir():
        print(f"Lỗi: {path} là thư mục; lệnh parse nhận một tệp (dùng 'vanban inspect' cho thư mục)", file=err)
        return 2
    failed = False
    for item in parse_paths([path], token_counter(settings, err), chunk_settings(settings), read_settings(settings)):
        if isinstance(item, ReadProblem):
            render.print_problem(item, err)
            failed = failed or item.level == "error"
            continue
        if args.json:
            out.write(json.dumps(render.document_json(item), ensure_ascii=False) + "\n")
        else:
            render.print_document(item, out)
    return 1 if failed else 0


def cmd_inspect(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    paths = [Path(p) for p in args.paths] or [SAMPLES_DIR]
    missing = [p for p in paths if not p.exists()]
    for p in missing:
        print(f"Lỗi: không tìm thấy {p}", file=err)
    if missing:
        return 2
    docs = chunks = errors = 0
    render.inspect_header(out)
    for item in parse_paths(paths, token_counter(settings, err), chunk_settings(settings), read_settings(settings)):
        if isinstance(item, ReadProblem):
            render.print_problem(item, err)
            errors += item.level == "error"
            continue
        docs += 1
        chunks += len(item.chunks)
        render.inspect_row(item, out)
    print(f"\nTổng: {docs} văn bản, {chunks} đoạn trích, {errors} tệp lỗi.", file=out)
    return 1 if errors and not docs else 0


def _access_arg(value: str, err: TextIO):
    """``--access public|G1,G2`` -> indexer.build.Access, or False after saying what is wrong."""
    from indexer.build import Access
    from search_api.accounts import AccountError, access_groups

    try:
        return Access(access_groups(value))
    except AccountError as exc:
        print(f"Lỗi [{exc.code}]: {exc.message}", file=err)
        return False


def cmd_access(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    """``vanban access DOC_ID --set G1,G2|public``: who may read it, without reading it again."""
    from indexer.build import Indexer
    from indexer.snapshot import IndexLockedError, NoIndexError
    from search_api.services import embedder, index_settings

    access = _access_arg(args.set, err)
    if access is False:
        return 2
    indexer = Indexer(settings.index_dir, embedder(settings, settings.index_threads), token_counter(settings, err),
                      index_settings(settings))
    try:
        report = indexer.set_access(args.doc_ids, access)
    except (IndexLockedError, NoIndexError) as exc:
        print(f"Lỗi: {exc}", file=err)
        return 2
    for problem in report.problems:
        render.print_problem(problem, err)
    who = "mọi người" if access.groups is None else "nhóm " + ", ".join(sorted(access.groups))
    changed = "đã đổi" if report.changed else "không đổi (đã như vậy)"
    print(f"Quyền đọc: {who} — {changed}.", file=out)
    return 1 if report.problems else 0


def _progress(err: TextIO):
    def report(message: str) -> None:
        print(f"  … {message}", file=err, flush=True)

    return report


def cmd_index(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    from indexer.build import Indexer, ModelMismatchError
    from indexer.errors import DiskFullError
    from indexer.snapshot import IndexLockedError
    from search_api.services import EngineError, embedder, index_settings

    paths = [Path(p) for p in args.paths]
    missing = [p for p in paths if not p.exists()]
    for p in missing:
        print(f"Lỗi: không tìm thấy {p}", file=err)
    if missing:
        return 2
    access = _access_arg(args.access, err) if args.access is not None else None
    if access is False:
        return 2
    if args.ray_workers is not None and not args.ray:
        print("Lỗi: --ray-workers chỉ dùng cùng --ray", file=err)
        return 2
    print(f"Lập chỉ mục vào {settings.index_dir}", file=err)
    encoder = embedder(settings, settings.index_threads)
    options = index_settings(settings)
    refused: tuple[type[Exception], ...] = (IndexLockedError, ModelMismatchError, EngineError)
    cluster = None
    if args.ray:
        from indexer.ray_embedding import RayError, RayPassageEncoder

        try:
            cluster = RayPassageEncoder(args.ray, settings, workers=args.ray_workers, local=encoder,
                                        progress=_progress(err))
            cluster.connect()  # before anything is read: an unreachable cluster changes nothing
        except RayError as exc:
            print(f"Lỗi: {exc}", file=err)
            return 2
        encoder, refused = cluster, refused + (RayError,)
        options = replace(options, flush_chunks=max(options.flush_chunks, cluster.flush_chunks))
    indexer = Indexer(settings.index_dir, encoder, token_counter(settings, err), options, _progress(err))
    try:
        report = indexer.run(paths, prune=args.prune, rebuild=args.rebuild, access=access)
    except refused as exc:
        print(f"Lỗi: {exc}", file=err)
        return 2
    except DiskFullError as exc:
        print(f"Lỗi [{exc.code}]: {exc}", file=err)
        if args.json:
            error = {"code": exc.code, "message": str(exc), "detail": exc.detail()}
            out.write(json.dumps({"error": error}, ensure_ascii=False) + "\n")
        return 2
    finally:
        if cluster is not None:
            cluster.close()
    for problem in report.problems:
        render.print_problem(problem, err)
    if args.json:
        data = asdict(report)
        data["problems"] = [asdict(p) for p in report.problems]
        out.write(json.dumps(data, ensure_ascii=False) + "\n")
    else:
        render.print_index_report(report, out)
    errors = [p for p in report.problems if p.level == "error"]
    return 1 if errors and not report.documents_indexed and not report.files_unchanged else 0


def cmd_search(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    from indexer.snapshot import NoIndexError
    from search_api.services import open_searcher

    if (args.query is None) == (args.queries is None):
        print("Lỗi: cần đúng một trong hai: câu truy vấn, hoặc --queries TỆP.jsonl", file=err)
        return 2
    limits = limits_of(settings)
    try:
        filters = parse_filter_options(args.filter)
        check_k(args.k, limits.max_results)
        if args.query is not None:
            check_query(args.query, limits)
    except ParamError as exc:
        return _param_error(exc, err)
    try:
        searcher = open_searcher(settings, with_model=args.mode != "lexical")
    except NoIndexError as exc:
        print(f"Lỗi: {exc}", file=err)
        return 2
    if args.queries:
        return _batch_search(args, searcher, filters, out, err)
    if args.by_document:
        from search_api.grouping import search_documents

        try:
            found = search_documents(searcher, args.query, k=args.k, filters=filters, mode=args.mode)
        except ParamError as exc:
            return _param_error(exc, err)
        if args.json:
            out.write(json.dumps({"query": found.query, "documents": [d.to_json() for d in found.documents],
                                  "total": found.total, "timings_ms": found.timings_ms}, ensure_ascii=False) + "\n")
        else:
            render.print_documents(found, out)
        return 0
    try:
        response = searcher.search(args.query, k=args.k, filters=filters, mode=args.mode)
    except ParamError as exc:
        return _param_error(exc, err)
    if args.json:
        out.write(json.dumps({"query": response.query, "results": [r.to_json() for r in response.results],
                              "total": response.total, "timings_ms": response.timings_ms}, ensure_ascii=False) + "\n")
        return 0
    render.print_results(response, out)
    return 0


def _param_error(exc: ParamError, err: TextIO) -> int:
    print(f"Lỗi [{exc.code}]: {exc.message}", file=err)
    return 2


def _batch_search(args, searcher, filters, out: TextIO, err: TextIO) -> int:
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
            except ParamError as exc:
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
    render.print_eval(folder.name, report, out)
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    from search_api.api import serve

    url = f"http://{args.host}:{args.port}/"
    print(f"vanban đang chạy tại {url}  (chỉ mục: {settings.index_dir}; Ctrl+C để dừng)", file=out, flush=True)
    if not settings.admin_token:
        print("Ghi chú: chưa đặt VANBAN_ADMIN_TOKEN, chức năng tải lên/xóa văn bản bị tắt.", file=out, flush=True)
    serve(settings, args.host, args.port)
    return 0


def _open(settings: Settings, err: TextIO, with_model: bool = True):
    from indexer.snapshot import NoIndexError
    from search_api.services import open_searcher

    try:
        return open_searcher(settings, with_model=with_model)
    except NoIndexError as exc:
        print(f"Lỗi: {exc}", file=err)
        return None


def cmd_tasks(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    from search_api.directives import find_tasks

    try:
        due_before = parse_date(args.due_before, "--due-before") if args.due_before else None
        check_k(args.k, limits_of(settings).max_results)
    except ParamError as exc:
        return _param_error(exc, err)
    searcher = _open(settings, err)
    if searcher is None:
        return 2
    try:
        page = find_tasks(searcher, args.query or None, args.assignee, None, due_before, args.k)
    except ParamError as exc:
        return _param_error(exc, err)
    if args.json:
        out.write(json.dumps({"tasks": page.tasks, "total": page.total}, ensure_ascii=False) + "\n")
        return 0
    render.print_tasks(page, out)
    return 0


def cmd_shortcomings(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    from search_api.directives import recurring_shortcomings

    searcher = _open(settings, err)
    if searcher is None:
        return 2
    try:
        groups = recurring_shortcomings(searcher, query=args.query)
    except ParamError as exc:
        return _param_error(exc, err)
    if args.json:
        out.write(json.dumps({"groups": [{"label": g.label, "documents": g.documents,
                                          "occurrences": [asdict(o) for o in g.occurrences]} for g in groups]},
                             ensure_ascii=False) + "\n")
        return 0
    render.print_shortcomings(groups, out)
    return 0


def cmd_lookup(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    from search_api.lookup import lookup_documents

    searcher = _open(settings, err, with_model=False)
    if searcher is None:
        return 2
    try:
        found = lookup_documents(searcher.store, args.query, limits_of(settings), args.k)
    except ParamError as exc:
        return _param_error(exc, err)
    if args.json:
        out.write(json.dumps({"query": args.query, "documents": [asdict(d) for d in found]}, ensure_ascii=False) + "\n")
    else:
        render.print_lookup(found, out)
    return 0


def cmd_relations(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    from search_api.relations import document_relations, link_json

    searcher = _open(settings, err, with_model=False)
    if searcher is None:
        return 2
    store = searcher.store
    if args.doc_id is None:
        if not args.json:
            print("Lỗi: không có mã văn bản thì dùng --json để in mọi liên kết, mỗi dòng một liên kết", file=err)
            return 2
        for ref in store.references():
            out.write(json.dumps(link_json(ref), ensure_ascii=False) + "\n")
        return 0
    if store.document(args.doc_id) is None:
        print(f"Lỗi: không có văn bản {args.doc_id} trong chỉ mục", file=err)
        return 2
    found = document_relations(store, args.doc_id)
    if args.json:
        out.write(json.dumps(found, ensure_ascii=False) + "\n")
    else:
        render.print_relations(found, out)
    return 0


def _accounts(settings: Settings):
    from search_api.accounts import open_accounts

    return open_accounts(settings)


def _audit_users_change(settings: Settings, change: str, name: str, **details: object) -> None:
    """``vanban users …`` changes go to the audit log too, as kind "cli" with the operating-system user."""
    import getpass as _getpass

    from search_api.audit import open_audit

    try:
        os_user = _getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        os_user = None
    log = open_audit(settings)
    try:
        log.record("users_change", user=None, kind="cli", details={"change": change, "name": name, "os_user": os_user,
                                                                   **details})
    finally:
        log.close()


def _account_error(exc, err: TextIO) -> int:
    print(f"Lỗi [{exc.code}]: {exc.message}", file=err)
    return 2


def cmd_users_add(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    from search_api.accounts import AccountError

    accounts = _accounts(settings)
    try:
        token = accounts.add_user(args.name, args.groups, admin=args.admin)
        user = accounts.user(args.name)
    except AccountError as exc:
        return _account_error(exc, err)
    _audit_users_change(settings, "add", user.name, groups=list(user.groups), admin=user.admin)
    if args.json:
        out.write(json.dumps({"name": user.name, "token": token}, ensure_ascii=False) + "\n")
        return 0
    render.print_new_token(user, token, out, err, created=True)
    return 0


def cmd_users_list(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    users = _accounts(settings).list_users()
    if args.json:
        out.write(json.dumps({"users": [asdict(u) for u in users]}, ensure_ascii=False) + "\n")
        return 0
    render.print_users(users, out)
    return 0


def cmd_users_remove(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    from search_api.accounts import AccountError

    accounts = _accounts(settings)
    try:
        name = accounts.user(args.name).name
        accounts.remove_user(name)
    except AccountError as exc:
        return _account_error(exc, err)
    _audit_users_change(settings, "remove", name)
    print(f"Đã xóa người dùng {name}; mã truy cập và các phiên đăng nhập của người này hết hiệu lực.", file=out)
    return 0


def cmd_users_set(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    from search_api.accounts import AccountError, parse_groups

    if args.groups is None and args.admin is None:
        print("Lỗi: cần --groups NHÓM1,NHÓM2 (để trống để bỏ mọi nhóm) và/hoặc --admin/--no-admin", file=err)
        return 2
    accounts = _accounts(settings)
    try:
        accounts.user(args.name)
        if args.groups is not None:
            parse_groups(args.groups)  # a bad group name refuses the whole change, before any of it is made
            accounts.set_groups(args.name, args.groups)
        if args.admin is not None:
            accounts.set_admin(args.name, args.admin)
        user = accounts.user(args.name)
    except AccountError as exc:
        return _account_error(exc, err)
    _audit_users_change(settings, "set", user.name, groups=list(user.groups), admin=user.admin)
    render.print_users([user], out)
    return 0


def cmd_users_token(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    from search_api.accounts import AccountError

    accounts = _accounts(settings)
    try:
        token = accounts.new_token(args.name)
        user = accounts.user(args.name)
    except AccountError as exc:
        return _account_error(exc, err)
    _audit_users_change(settings, "token", user.name, token_id=user.token_id)
    if args.json:
        out.write(json.dumps({"name": user.name, "token": token}, ensure_ascii=False) + "\n")
        return 0
    render.print_new_token(user, token, out, err, created=False)
    return 0


def _read_password(err: TextIO) -> str | None:
    """Twice from the terminal, without echo; from a pipe, its first line (for scripts)."""
    import getpass as _getpass

    if sys.stdin is not None and sys.stdin.isatty():
        first = _getpass.getpass("Mật khẩu mới: ")
        if _getpass.getpass("Nhập lại mật khẩu: ") != first:
            print("Lỗi: hai lần nhập mật khẩu không khớp", file=err)
            return None
        return first
    line = sys.stdin.readline() if sys.stdin is not None else ""
    return line[:-1] if line.endswith("\n") else line


def cmd_users_password(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    from search_api.accounts import AccountError, check_password

    accounts = _accounts(settings)
    try:
        name = accounts.user(args.name).name
    except AccountError as exc:
        return _account_error(exc, err)
    password = _read_password(err)
    if password is None:
        return 2
    password = password.rstrip("\r")
    try:
        check_password(password)
        accounts.set_password(name, password)
    except AccountError as exc:
        return _account_error(exc, err)
    _audit_users_change(settings, "password", name)
    print(f"Đã đặt mật khẩu cho {name}; các phiên đăng nhập cũ của người này đã kết thúc.", file=out)
    return 0


def cmd_audit(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    from search_api.audit import ACTIONS, parse_since, read_audit

    try:
        since = parse_since(args.since) if args.since else None
    except ValueError as exc:
        print(f"Lỗi: {exc}", file=err)
        return 2
    if args.action and args.action not in ACTIONS:
        print(f"Lỗi: hành động không hợp lệ {args.action!r} (một trong {', '.join(sorted(ACTIONS))})", file=err)
        return 2
    if args.limit < 1:
        print("Lỗi: --limit phải lớn hơn 0", file=err)
        return 2
    entries = read_audit(settings.index_dir, user=args.user, since=since, action=args.action, limit=args.limit,
                         oldest_first=args.oldest_first)
    if args.json:
        for entry in entries:
            out.write(json.dumps(entry, ensure_ascii=False) + "\n")
        return 0
    render.print_audit(entries, out)
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
    p.add_argument("--access", metavar="NHÓM1,NHÓM2|public",
                   help="ai được đọc các văn bản của lượt này: public (mọi người) hoặc các nhóm; bỏ trống: giữ như cũ")
    p.add_argument("--ray", metavar="auto|ĐỊA_CHỈ",
                   help="nhúng các đoạn trên một cụm Ray: auto (cụm máy này đã tham gia), HOST:PORT hoặc "
                        "ray://HOST:PORT; cần pip install 'vanban[ray]' trên mọi máy")
    p.add_argument("--ray-workers", type=int, metavar="N",
                   help="số tiến trình nhúng trên cụm Ray (mặc định: một trên mỗi máy)")
    p.add_argument("--json", action="store_true", help="in báo cáo dạng JSON")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("search", help="tìm các đoạn văn bản, có trích dẫn nguồn")
    p.add_argument("query", nargs="?", help="câu truy vấn")
    p.add_argument("--queries", help="tệp JSONL, mỗi dòng {\"id\", \"query\"} hoặc {\"_id\", \"text\"}")
    p.add_argument("--data-dir", help="thư mục chỉ mục")
    p.add_argument("--k", type=int, default=10, help="số kết quả (mặc định 10)")
    p.add_argument("--mode", choices=MODES, default="hybrid")
    p.add_argument("--filter", action="append", metavar="TRƯỜNG=GIÁ_TRỊ",
                   help=f"lọc theo {', '.join(FILTER_FIELDS)}; lặp lại được")
    p.add_argument("--by-document", action="store_true",
                   help="mỗi văn bản một mục, kèm các đoạn khớp nhất của nó (--k là số văn bản)")
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

    p = sub.add_parser("access", help="đổi quyền đọc văn bản (không đọc lại, không nhúng lại)")
    p.add_argument("doc_ids", nargs="+", metavar="DOC_ID", help="mã văn bản")
    p.add_argument("--set", required=True, metavar="NHÓM1,NHÓM2|public", help="public hoặc danh sách nhóm")
    p.add_argument("--data-dir", help="thư mục chỉ mục")
    p.set_defaults(func=cmd_access)

    p = sub.add_parser("lookup", help="tìm văn bản theo số, ký hiệu hoặc theo tên, trích yếu (không tìm trong nội dung)")
    p.add_argument("query", help='ví dụ: "163/TB-UBND", "thông tư 12 năm 2016", "quy che cong thong tin"')
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--data-dir", help="thư mục chỉ mục")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_lookup)

    p = sub.add_parser("relations", help="văn bản này dẫn chiếu, sửa đổi, thay thế… văn bản nào, và ngược lại")
    p.add_argument("doc_id", nargs="?", help="mã văn bản; bỏ trống (với --json): mọi liên kết trong chỉ mục")
    p.add_argument("--data-dir", help="thư mục chỉ mục")
    p.add_argument("--json", action="store_true", help="in JSON (không có mã văn bản: mỗi dòng một liên kết)")
    p.set_defaults(func=cmd_relations)

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

    _add_users_parser(sub)

    p = sub.add_parser("audit", help="nhật ký truy cập: ai tìm gì, mở văn bản nào, thay đổi gì (mới nhất trước)")
    p.add_argument("--user", help="chỉ các mục của (hoặc về) người dùng này")
    p.add_argument("--since", help="từ thời điểm này (YYYY-MM-DD, DD/MM/YYYY hoặc YYYY-MM-DDTHH:MM)")
    p.add_argument("--action", help="chỉ một loại hành động, ví dụ search, sign_in_failed, users_change")
    p.add_argument("--limit", type=int, default=100, help="số mục tối đa (mặc định 100)")
    p.add_argument("--oldest-first", action="store_true", help="cũ nhất trước")
    p.add_argument("--data-dir", help="thư mục dữ liệu")
    p.add_argument("--json", action="store_true", help="mỗi dòng một mục JSON, như trong nhật ký")
    p.set_defaults(func=cmd_audit)
    return parser


def _add_users_parser(sub) -> None:
    users = sub.add_parser("users", help="người dùng, nhóm, mã truy cập và mật khẩu")
    commands = users.add_subparsers(dest="users_command", required=True)

    def leaf(name: str, help_text: str, func) -> argparse.ArgumentParser:
        p = commands.add_parser(name, help=help_text)
        p.add_argument("--data-dir", help="thư mục dữ liệu (mặc định: $VANBAN_DATA_DIR hoặc $VANBAN_HOME/data)")
        p.set_defaults(func=func)
        return p

    p = leaf("add", "thêm người dùng; in mã truy cập một lần duy nhất", cmd_users_add)
    p.add_argument("name")
    p.add_argument("--groups", help="các nhóm, cách nhau bởi dấu phẩy")
    p.add_argument("--admin", action="store_true", help="quản trị viên: được ghi (tải lên, xóa, đổi quyền)")
    p.add_argument("--json", action="store_true", help='in {"name", "token"}')
    p = leaf("list", "liệt kê người dùng (không có bí mật nào)", cmd_users_list)
    p.add_argument("--json", action="store_true")
    p = leaf("remove", "xóa người dùng; mã truy cập và phiên đăng nhập hết hiệu lực ngay", cmd_users_remove)
    p.add_argument("name")
    p = leaf("set", "đổi nhóm hoặc quyền quản trị của người dùng", cmd_users_set)
    p.add_argument("name")
    p.add_argument("--groups", help="các nhóm mới, cách nhau bởi dấu phẩy (chuỗi rỗng: không nhóm nào)")
    p.add_argument("--admin", action=argparse.BooleanOptionalAction, default=None, help="bật/tắt quyền quản trị")
    p = leaf("token", "cấp mã truy cập mới; mã cũ hết hiệu lực ngay", cmd_users_token)
    p.add_argument("name")
    p.add_argument("--json", action="store_true", help='in {"name", "token"}')
    p = leaf("password", "đặt mật khẩu đăng nhập trên trang (đọc từ bàn phím, hoặc dòng đầu của stdin)",
             cmd_users_password)
    p.add_argument("name")


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
