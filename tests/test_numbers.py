"""Document numbers: as printed, as typed, as cited."""

from __future__ import annotations

import pytest

from corpus.numbers import find_numbers, number_key, parse_number, parse_number_query


@pytest.mark.parametrize("query, seq, year, code, key", [
    ("163/TB-UBND", "163", None, "TB", "163/TB-UBND"),
    ("163/tb-ubnd", "163", None, "TB", "163/TB-UBND"),
    ("163 TB-UBND", "163", None, "TB", "163/TB-UBND"),
    ("163 / TB - UBND", "163", None, "TB", "163/TB-UBND"),
    ("thông báo số 163/TB-UBND", "163", None, "TB", "163/TB-UBND"),
    ("TB 163", "163", None, "TB", None),
    ("tb 163", "163", None, "TB", None),
    ("số 163", "163", None, None, None),
    ("thông báo 163", "163", None, "TB", None),
    ("thong bao so 163", "163", None, "TB", None),
    ("12/2016/TT-BTC", "12", "2016", "TT", "12/2016/TT-BTC"),
    ("TT 12/2016", "12", "2016", "TT", None),
    ("thông tư 12/2016", "12", "2016", "TT", None),
    ("nghị định 15/2020", "15", "2020", "NĐ", None),
    ("nghi dinh 15/2020", "15", "2020", "NĐ", None),
    ("thông tư 12 năm 2016", "12", "2016", "TT", None),
    ("Thông tư liên tịch 18/2012", "18", "2012", "TTLT", None),
    ("218-TB/HU", "218", None, "TB", "218-TB/HU"),
    ("Quyết định 03/QĐ-UBND", "3", None, "QĐ", "3/QD-UBND"),
    ("812/UBND-NN", "812", None, None, "812/UBND-NN"),
])
def test_number_queries(query, seq, year, code, key):
    q = parse_number_query(query)
    assert q is not None and (q.seq, q.year, q.type_code, q.key) == (seq, year, code, key)


def test_a_type_without_a_code_is_kept_by_name():
    q = parse_number_query("công văn 812")
    assert (q.seq, q.type_code, q.doc_type) == ("812", None, "Công văn")
    q = parse_number_query("nghị quyết 66.20 năm 2026")
    assert (q.seq, q.year, q.type_code, q.doc_type) == ("66.20", "2026", "NQ", "Nghị quyết")


@pytest.mark.parametrize("query", ["bão số 3 gây thiệt hại", "163", "GPMB 2024", "thông báo kết luận", "", "12/2016 thông tư về"])
def test_other_queries_are_not_numbers(query):
    assert parse_number_query(query) is None


def test_keys_compare_numbers_as_written():
    assert number_key("163 / tb - ubnd") == number_key("163/TB-UBND") == "163/TB-UBND"
    assert number_key("03/QĐ-UBND") == "3/QD-UBND"
    assert parse_number("18/2012/TTLT-BTC-BTTTT").key == "18/2012/TTLT-BTC-BTTTT"
    assert parse_number("nothing here") is None


def test_numbers_in_running_text():
    text = ("Căn cứ Nghị định số 30/2020/NĐ-CP ngày 5/3/2020; thực hiện Thông báo số 163/TB-UBND và "
            "Kết luận 218-TB/HU, Công văn 812/UBND-NN.")
    found = [(text[a:b], n.key, n.type_code) for a, b, n in find_numbers(text)]
    assert found == [("30/2020/NĐ-CP", "30/2020/ND-CP", "NĐ"), ("163/TB-UBND", "163/TB-UBND", "TB"),
                     ("218-TB/HU", "218-TB/HU", "TB"), ("812/UBND-NN", "812/UBND-NN", None)]
    assert find_numbers("ngày 19/7/2024, 50/50, tỷ lệ 3/4") == []
    odd = "Nghị quyết 66.11/2026/NQ-CP và Nghị quyết liên tịch 01/2012/NQLT/CP-BCHTWĐTN"
    assert [n.key for _, _, n in find_numbers(odd)] == ["66.11/2026/NQ-CP", "1/2012/NQLT/CP-BCHTWDTN"]


def test_a_full_stop_after_a_number_ends_the_sentence():
    text = "Theo Luật số 45/2029/QH15. Thực hiện Kết luận số 06-KL/TU. Xem Quyết định số 5/QĐ."
    found = [(text[a:b], n.key, n.type_code) for a, b, n in find_numbers(text)]
    assert found == [("45/2029/QH15", "45/2029/QH15", None), ("06-KL/TU", "6-KL/TU", "KL"), ("5/QĐ", "5/QD", "QĐ")]
    assert find_numbers("số 12/TT.BTC hôm nay")[0][2].key == "12/TT.BTC"
