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

from corpus.chunker import ChunkSettings, TokenCounter, approx_tokens
from corpus.models import ReadProblem
from corpus.pipeline import ParsedFile, parse_paths
from search_api.settings import Settings

SAMPLES_DIR = Path(__file__).resolve().parents[1] / "corpus" / "samples"


def token_counter(settings: Settings, err: TextIO) -> TokenCounter:
    """The model's own tokenizer, so passages fit its budget; a rough estimate if it
    cannot be loaded (said on stderr, never silently)."""
    try:
        from embeddings.tokenizer import TokenCounter as ModelTokens

        return ModelTokens(settings.model_dir).count
    except Exception as exc:  # missing package or unreadable weights file
        print(f"Cảnh báo: không nạp được bộ tách token của mô hình ({exc}); dùng ước lượng.", file=err)
        return approx_tokens


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
    count = token_counter(settings, err)
    chunking = ChunkSettings(max_tokens=settings.chunk_max_tokens, min_tokens=settings.chunk_min_tokens)
    for item in parse_paths([path], count, chunking):
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
    count = token_counter(settings, err)
    chunking = ChunkSettings(max_tokens=settings.chunk_max_tokens, min_tokens=settings.chunk_min_tokens)
    docs = chunks = errors = 0
    print(f"{'Văn bản':48} {'Loại':10} {'Số':14} {'Ngày':10} {'Mục':>4} {'Đoạn':>5}", file=out)
    for item in parse_paths(paths, count, chunking):
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vanban", description="Tìm kiếm văn bản hành chính tiếng Việt, có trích dẫn nguồn.")
    parser.add_argument("--home", help="thư mục dữ liệu của vanban (mặc định: $VANBAN_HOME hoặc ~/.cache/vanban)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("parse", help="đọc một văn bản, in siêu dữ liệu, mục lục và các đoạn trích")
    p.add_argument("file", help="tệp .txt, .md, .pdf, .docx, .jsonl hoặc .jsonl.gz")
    p.add_argument("--json", action="store_true", help="in một đối tượng JSON cho mỗi văn bản")
    p.set_defaults(func=cmd_parse)

    p = sub.add_parser("inspect", help="đọc các tệp hoặc thư mục và in bảng tóm tắt (mặc định: văn bản mẫu)")
    p.add_argument("paths", nargs="*", help="tệp hoặc thư mục; mặc định là corpus/samples")
    p.set_defaults(func=cmd_inspect)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env(home=Path(args.home).expanduser() if args.home else None)
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
