"""read -> parse -> chunk with error capture (corpus.pipeline), shared by `vanban parse`
/ `inspect` and the indexer."""

from __future__ import annotations

from pathlib import Path

import pytest

import corpus.pipeline as pipeline
from corpus.chunker import approx_tokens
from corpus.models import RawDocument, ReadProblem
from corpus.pipeline import ParsedFile, parse_item, parse_paths
from fakes import HashEncoder
from indexer.build import Indexer, IndexSettings

GOOD = "THÔNG BÁO\nKết luận\n\n1. Nhiệm vụ\n\nPhòng Nông nghiệp và PTNT hướng dẫn nhân dân khôi phục sản xuất.\n"
BAD = "BÁO CÁO\nTiến độ\n\n1. Kết quả\n\nVăn bản này làm hỏng bộ phân tích.\n"


@pytest.fixture
def folder(tmp_path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text(GOOD, encoding="utf-8")
    (docs / "b.txt").write_text(BAD, encoding="utf-8")
    return docs


@pytest.fixture
def broken_parser(monkeypatch):
    real = pipeline.parse_document

    def parse(raw: RawDocument):
        if "làm hỏng" in raw.text:
            raise ValueError("lỗi thử")
        return real(raw)

    monkeypatch.setattr(pipeline, "parse_document", parse)


def test_read_problem_passes_through():
    problem = ReadProblem("x.pdf", "corrupt_pdf", "Tệp PDF hỏng")
    assert parse_item(problem, approx_tokens) is problem


def test_parsed_document_comes_back_with_its_chunks():
    raw = RawDocument(doc_id="a.txt", source="/tmp/a.txt", format="txt", text=GOOD)
    done = parse_item(raw, approx_tokens)
    assert isinstance(done, ParsedFile)
    assert done.parsed.raw is raw and done.chunks


def test_parser_failure_becomes_one_problem(broken_parser):
    raw = RawDocument(doc_id="b.txt", source="/tmp/b.txt", format="txt", text=BAD)
    problem = parse_item(raw, approx_tokens)
    assert isinstance(problem, ReadProblem)
    assert (problem.path, problem.code, problem.level) == ("/tmp/b.txt", "parse_failed", "error")
    assert problem.message == "Không phân tích được văn bản b.txt: ValueError: lỗi thử"
    assert parse_item(raw, approx_tokens, path="/elsewhere/b.txt").path == "/elsewhere/b.txt"


def test_parse_paths_goes_on_after_a_failure(folder, broken_parser):
    items = list(parse_paths([folder], approx_tokens))
    assert [type(i) for i in items] == [ParsedFile, ReadProblem]
    assert items[0].parsed.raw.doc_id == "a.txt"
    assert items[1].code == "parse_failed" and items[1].path.endswith("b.txt")


def test_indexer_reports_the_same_failure_and_indexes_the_rest(tmp_path, folder, broken_parser):
    from_cli = [i for i in parse_paths([folder], approx_tokens) if isinstance(i, ReadProblem)]
    report = Indexer(tmp_path / "data", HashEncoder(), approx_tokens, IndexSettings()).run([folder])
    assert report.documents_indexed == 1
    failed = [p for p in report.problems if p.code == "parse_failed"]
    assert len(failed) == 1
    assert failed[0].message == from_cli[0].message
    assert failed[0].path == str((folder / "b.txt").resolve())  # the indexer's key for the file
