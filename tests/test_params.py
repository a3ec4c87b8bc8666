"""Search parameters: one set of names, date forms and error codes for the CLI and the API."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus.kinds import KINDS
from search_api.params import (
    FILTER_FIELDS,
    Limits,
    ParamError,
    build_filters,
    check_query,
    page_offset,
    parse_date,
    parse_filter_options,
)
from search_api.settings import Settings


@pytest.mark.parametrize("value, iso", [
    ("2024-07-01", "2024-07-01"), ("2024-7-1", "2024-07-01"), ("1/7/2024", "2024-07-01"),
    ("01/07/2024", "2024-07-01"), ("1-7-2024", "2024-07-01"), ("1.7.2024", "2024-07-01"), (" 29/2/2024 ", "2024-02-29"),
])
def test_date_forms(value, iso):
    assert parse_date(value, "date_from") == iso


@pytest.mark.parametrize("value", ["2024-02-30", "2024-13-45", "2024-99-99", "30/2/2024", "45/13/2024", "2023-02-29",
                                   "hôm qua", "2024", "1/7/2024 thêm", ""])
def test_impossible_or_malformed_dates_are_refused(value):
    with pytest.raises(ParamError) as err:
        parse_date(value, "date_to")
    assert err.value.code == "invalid_parameter" and err.value.field == "date_to" and "date_to" in err.value.message


def test_filters_from_values():
    f = build_filters({"issuer": " UBND huyện Sông Mây ", "type_code": "TB", "number": "236/TB-UBND",
                       "date_from": "1/7/2024", "kind": "task", "doc_type": ""})
    assert (f.issuer, f.type_code, f.number, f.date_from, f.date_to, f.kind, f.doc_type) == \
        ("UBND huyện Sông Mây", "TB", "236/TB-UBND", "2024-07-01", None, "task", None)
    # a year is a range, narrowed by the dates given with it
    f = build_filters({"year": "2024", "date_from": "2024-03-01"})
    assert (f.date_from, f.date_to) == ("2024-03-01", "2024-12-31")
    f = build_filters({"year": "2024", "date_to": "2025-06-01"})
    assert (f.date_from, f.date_to) == ("2024-01-01", "2024-12-31")
    assert build_filters({}).is_empty()


@pytest.mark.parametrize("values", [{"year": "24"}, {"year": "năm 2024"}, {"kind": "rumour"}, {"color": "red"},
                                    {"date_from": "2024-02-30"}])
def test_bad_filters_are_refused_with_one_code(values):
    with pytest.raises(ParamError) as err:
        build_filters(values)
    assert err.value.code == "invalid_parameter" and err.value.message


def test_cli_filter_options_follow_the_same_rules():
    f = parse_filter_options(["type_code=TB", "year=2024", "date_from=1/7/2024", "kind=shortcoming"])
    assert (f.type_code, f.date_from, f.date_to, f.kind) == ("TB", "2024-07-01", "2024-12-31", "shortcoming")
    for bad in (["type_code"], ["year="], ["color=red"], ["date_to=2024-13-45"]):
        with pytest.raises(ParamError) as err:
            parse_filter_options(bad)
        assert err.value.code == "invalid_parameter"


def test_one_list_of_kinds_and_filters():
    assert set(FILTER_FIELDS) == {"issuer", "doc_type", "type_code", "number", "date_from", "date_to", "year", "kind", "status"}
    for kind in KINDS:
        assert build_filters({"kind": kind}).kind == kind


def test_query_and_paging_limits():
    limits = Limits(max_query_chars=50, max_results=100, max_page_size=20)
    assert check_query("  bão\x00số   3 ", limits) == "bão số 3"
    for q, code in [("x" * 51, "query_too_long"), ("  \t", "empty_query"), (None, "empty_query")]:
        with pytest.raises(ParamError) as err:
            check_query(q, limits)
        assert err.value.code == code
    assert page_offset(5, 20, limits) == 80
    with pytest.raises(ParamError) as err:
        page_offset(6, 20, limits)
    assert err.value.code == "bad_page"


def test_every_setting_comes_from_the_environment(tmp_path):
    env = {"VANBAN_HOME": str(tmp_path), "VANBAN_DATA_DIR": str(tmp_path / "d"), "VANBAN_MAX_QUERY_CHARS": "5000",
           "VANBAN_MAX_RESULTS": "300", "VANBAN_MAX_PAGE_SIZE": "80", "VANBAN_HNSW_THRESHOLD": "1000",
           "VANBAN_CHUNK_MAX_TOKENS": "256", "VANBAN_QUERY_ENGINE": "torch", "VANBAN_ADMIN_TOKEN": "t"}
    s = Settings.from_env(env)
    assert (s.home, s.data_dir, s.max_query_chars, s.max_results, s.max_page_size, s.hnsw_threshold,
            s.chunk_max_tokens, s.query_engine, s.admin_token) == \
        (Path(tmp_path), tmp_path / "d", 5000, 300, 80, 1000, 256, "torch", "t")
    assert Settings.from_env(env, max_query_chars=7).max_query_chars == 7  # a flag wins
    for bad in ("abc", "0", "-3"):
        with pytest.raises(ValueError, match="VANBAN_MAX_RESULTS"):
            Settings.from_env({**env, "VANBAN_MAX_RESULTS": bad})
    # A word from a fixed list: refused at start-up, not after the work it would spoil.
    assert Settings.from_env({**env, "VANBAN_VECTOR_KIND": "flat-fp16"}).vector_kind == "flat-fp16"
    with pytest.raises(ValueError, match="VANBAN_VECTOR_KIND='ivf'.*auto, flat, flat-fp16, hnsw"):
        Settings.from_env({**env, "VANBAN_VECTOR_KIND": "ivf"})


def test_settings_reach_the_code_they_configure(tmp_path):
    from search_api.services import chunk_settings, index_settings, retrieval_settings

    s = Settings(home=tmp_path, max_query_chars=5000, max_results=300, max_page_size=80, hnsw_threshold=77,
                 chunk_max_tokens=200, chunk_min_tokens=20, vector_kind="flat")
    limits = retrieval_settings(s).limits
    assert (limits.max_query_chars, limits.max_results, limits.max_page_size) == (5000, 300, 80)
    assert (chunk_settings(s).max_tokens, chunk_settings(s).min_tokens) == (200, 20)
    vectors = index_settings(s).vectors
    assert (vectors.hnsw_threshold, vectors.kind) == (77, "flat")
