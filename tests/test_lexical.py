"""Lexical index (indexer.analysis, indexer.lexical) and highlighting (search_api.highlight)."""

from __future__ import annotations

import hashlib
import json
import os
import unicodedata
from pathlib import Path

import pytest

from indexer.analysis import analyze_passage, analyze_query
from indexer.lexical import LexicalDoc, LexicalIndex
from search_api.highlight import highlight_spans

# Passages written for these tests, in the phrasing of district documents.
PASSAGES = [
    LexicalDoc(1, "kh-bao", "UBND huyện chỉ đạo khắc phục hậu quả bão số 3 (Yagi), hỗ trợ người dân sửa chữa nhà ở.",
               "Kế hoạch khắc phục hậu quả thiên tai"),
    LexicalDoc(2, "kh-bao", "Đẩy nhanh tiến độ GPMB dự án đường tránh quốc lộ, hoàn thành trong quý III.",
               "Kế hoạch khắc phục hậu quả thiên tai"),
    LexicalDoc(3, "tb-ban-ql", "Ban quản lý dự án phối hợp thực hiện công tác giải phóng mặt bằng khu tái định cư.",
               "Thông báo kết luận giao ban"),
    LexicalDoc(4, "bc-thiet-hai", "Báo cáo thiệt hại do bão số 03 gây ra tại các xã ven biển.", "Báo cáo nhanh"),
    # As many words, all shared but one: "bạo" and "bão" both fold to "bao". The
    # collision has the lower id, so a tie would put it first.
    LexicalDoc(5, "ct-bao-luc", "Công tác phòng chống bạo lực trên địa bàn tỉnh triển khai.", ""),
    LexicalDoc(6, "ct-bao", "Công tác phòng chống bão trên địa bàn tỉnh được triển khai.", ""),
    LexicalDoc(7, "tb-so", "Số: 163/TB-UBND ngày 12 tháng 4 năm 2024 về lịch tiếp công dân.", ""),
    LexicalDoc(8, "dt-di-tich", "Sửa chữa, tu bổ di tích đình làng bằng nguồn vốn xã hội hóa.", ""),
    LexicalDoc(9, "tu-chi-dao", "Thực hiện ý kiến chỉ đạo của Thường trực TU về công tác cán bộ.", ""),
    LexicalDoc(10, "kh-pctt", "Chủ động ứng phó thiên tai, bảo đảm an toàn cho nhân dân.", ""),
    LexicalDoc(11, "kh-cau", "Lập danh sách các hộ dân bị ảnh hưởng.", "Kế hoạch GPMB dự án cầu Hòa Bình"),
]


def ids(results: list[tuple[int, float]]) -> list[int]:
    return [cid for cid, _ in results]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> LexicalIndex:
    ix = LexicalIndex(tmp_path_factory.mktemp("lexical") / "idx")
    assert ix.add(PASSAGES) == len(PASSAGES)
    ix.commit()
    ix.close()
    return ix


# -- analysis -------------------------------------------------------------------


def test_analysis_terms_numbers_and_bigrams():
    q = analyze_query("Bão số 03")
    assert q.has_diacritics
    assert q.exact == ("bão", "số", "3")
    assert q.folded == ("bao", "so", "3")
    assert q.exact_bigrams == ("bão_số", "số_3")
    assert q.folded_bigrams == ("bao_so", "so_3")
    assert not analyze_query("bao so 3").has_diacritics


def test_analysis_expands_abbreviations_both_ways():
    short = analyze_passage("Đẩy nhanh GPMB")
    assert "giải phóng mặt bằng" in short.exact
    assert "giai_phong" in short.folded_bigrams
    assert short.abbreviations.split() == ["gpmb"]
    long = analyze_passage("công tác giải phóng mặt bằng")
    assert "gpmb" in long.exact.split()
    assert long.abbreviations.split() == ["gpmb"]
    # number_only codes are never expanded; upper_only ones only when written exactly
    assert "thông báo" not in analyze_passage("Số: 163/TB-UBND").exact
    assert "tỉnh" not in analyze_passage("tu bổ di tích").exact.split()
    assert "tỉnh ủy" in analyze_passage("Thường trực TU").exact


def test_query_abbreviation_forms():
    q = analyze_query("gpmb")
    assert q.abbreviations == ("gpmb",)
    assert "giải phóng mặt bằng" in q.forms
    assert {"giải", "phóng", "mặt", "bằng"} <= set(q.alt_exact)
    assert analyze_query("giai phong mat bang").abbreviations == ("gpmb",)


# -- search ---------------------------------------------------------------------


def test_num_docs(index: LexicalIndex):
    assert index.num_docs == len(PASSAGES)


def test_query_without_diacritics_finds_accented_passage(index: LexicalIndex):
    assert ids(index.search("khac phuc hau qua bao so 3"))[0] == 1
    assert ids(index.search("tai dinh cu"))[0] == 3


def test_exact_spelling_outranks_folded_collision(index: LexicalIndex):
    res = ids(index.search("phòng chống bão"))
    assert res.index(6) < res.index(5)
    res = ids(index.search("phòng chống bạo lực"))
    assert res[0] == 5
    # without diacritics both spellings are candidates
    assert {5, 6} <= set(ids(index.search("phong chong bao")))


def test_abbreviation_finds_long_form_and_back(index: LexicalIndex):
    assert {2, 3} <= set(ids(index.search("GPMB")[:2]))
    assert {2, 3} <= set(ids(index.search("giải phóng mặt bằng")[:2]))
    assert {2, 3} <= set(ids(index.search("giai phong mat bang")[:2]))
    assert 1 in ids(index.search("Ủy ban nhân dân huyện"))


def test_abbreviation_scopes(index: LexicalIndex):
    # "TB" in a document number is not "thông báo"; lower-case "tu" is not "Tỉnh ủy"
    assert 7 not in ids(index.search("thông báo"))
    res = ids(index.search("Tỉnh ủy chỉ đạo"))
    assert res[0] == 9
    assert 8 not in res


def test_leading_zeros_in_numbers(index: LexicalIndex):
    top = set(ids(index.search("bão số 3")[:2]))
    assert top == {1, 4}
    assert set(ids(index.search("bão số 03")[:2])) == {1, 4}
    assert 1 in ids(index.search("03"))  # passage 1 writes "3"
    assert 4 in ids(index.search("3"))  # passage 4 writes "03"


def test_allowed_restricts_results(index: LexicalIndex):
    assert ids(index.search("bão số 3", allowed={4})) == [4]
    assert ids(index.search("bão số 3", allowed=[8, 9])) == []
    assert index.search("bão số 3", allowed=set()) == []
    assert len(index.search("bão", k=1)) == 1
    assert index.search("bão", k=0) == []


def test_context_is_searched_with_lower_weight(index: LexicalIndex):
    # "thiên tai" is in the text of passage 10, and only in the context of 1 and 2
    res = ids(index.search("thiên tai"))
    assert res[0] == 10
    assert set(res[1:3]) == {1, 2}
    # an abbreviation in the context (11) counts, below one in the text (2, 3)
    res = ids(index.search("giải phóng mặt bằng"))
    assert set(res[:2]) == {2, 3}
    assert res[2] == 11
    assert ids(index.search("cầu hoà bình"))[0] == 11
    assert analyze_query("cầu hoà bình").exact == ("cầu", "hòa", "bình")  # one tone placement


def test_nfd_query_behaves_like_nfc(index: LexicalIndex):
    for q in ("khắc phục hậu quả bão số 3", "giải phóng mặt bằng", "Ủy ban nhân dân"):
        nfd = unicodedata.normalize("NFD", q)
        assert nfd != q
        assert index.search(nfd) == index.search(q)
        assert highlight_spans(nfd, PASSAGES[0].text) == highlight_spans(q, PASSAGES[0].text)


def test_nfd_passage_is_found(tmp_path: Path):
    ix = LexicalIndex(tmp_path / "idx")
    ix.add([LexicalDoc(1, "d", unicodedata.normalize("NFD", "Hội đồng nhân dân xã thông qua nghị quyết"), "")])
    ix.commit()
    assert ids(ix.search("hội đồng nhân dân")) == [1]
    assert ids(ix.search("HĐND")) == [1]
    ix.close()


HOSTILE = [
    "",
    "   ",
    "?!.,;:()[]{}",
    "title:x AND (",
    'chunk_id:1 OR "unterminated',
    "exact:* NOT folded:[a TO z]",
    "\x00\x00bão\x00",
    "😀🙏🏽 ✅",
    "\ud800 lone surrogate",
    "bão " * 2500,  # 10,000 characters
    "x" * 10_000,
    "0" * 500,
    "-" * 100,
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_never_raise(index: LexicalIndex, query: str):
    res = index.search(query)
    assert isinstance(res, list)
    assert all(isinstance(c, int) and isinstance(s, float) for c, s in res)
    assert isinstance(highlight_spans(query, PASSAGES[0].text), list)


def test_hostile_query_results(index: LexicalIndex):
    assert index.search("") == []
    assert index.search("?!.,;:()[]{}") == []
    assert 1 in ids(index.search("\x00\x00bão\x00"))
    assert set(ids(index.search("bão " * 2500)[:3])) >= {1, 4}


# -- writing ----------------------------------------------------------------------


def test_delete_doc_removes_its_chunks(tmp_path: Path):
    ix = LexicalIndex(tmp_path / "idx")
    ix.add(PASSAGES)
    ix.commit()
    ix.delete_doc("kh-bao")
    assert 1 in ids(ix.search("bão số 3"))  # not visible before commit
    ix.commit()
    assert ix.num_docs == len(PASSAGES) - 2
    assert 1 not in ids(ix.search("bão số 3"))
    res = ids(ix.search("GPMB"))
    assert res[0] == 3
    assert 2 not in res
    # delete then re-add under the same key in one batch: the new chunks stay
    ix.delete_doc("bc-thiet-hai")
    ix.add([LexicalDoc(40, "bc-thiet-hai", "Báo cáo bổ sung thiệt hại do bão số 3.", "")])
    ix.commit()
    assert 4 not in ids(ix.search("thiệt hại"))
    assert 40 in ids(ix.search("thiệt hại"))
    ix.close()


def test_uncommitted_changes_are_dropped_on_close(tmp_path: Path):
    ix = LexicalIndex(tmp_path / "idx")
    ix.add(PASSAGES[:2])
    ix.commit()
    ix.add(PASSAGES[2:])
    ix.close()
    assert LexicalIndex(tmp_path / "idx").num_docs == 2


def test_one_run_writes_one_segment(tmp_path: Path):
    """A search pays for every segment, term by term: a run's passages go into one
    segment however many cores there are (tantivy's default writer splits them
    across a thread per core), and the result does not depend on how they were split."""
    docs = [LexicalDoc(100 + i, f"doc-{i % 37}", f"{p.text} Mục {i}.", p.context)
            for i, p in enumerate(PASSAGES * 60)]
    ix = LexicalIndex(tmp_path / "one")
    ix.add(docs)
    ix.commit()
    ix.close()
    assert ix.num_segments == 1
    split = LexicalIndex(tmp_path / "split", writer_threads=4)
    for start in range(0, len(docs), 150):  # four commits: four segments at least
        split.add(docs[start:start + 150])
        split.commit()
    split.close()
    assert split.num_segments >= 4
    for query in ("GPMB", "bão số 3", "giai phong mat bang", "thiên tai"):
        assert ix.search(query, len(docs)) == split.search(query, len(docs))


def test_reopen_and_version_marker(tmp_path: Path):
    path = tmp_path / "idx"
    with LexicalIndex(path) as ix:
        ix.add(PASSAGES)
        ix.commit()
    assert ids(LexicalIndex(path).search("GPMB"))[:2] in ([2, 3], [3, 2])
    (path / "vanban-lexical.json").write_text(json.dumps({"analysis_version": -1}), encoding="utf-8")
    with pytest.raises(RuntimeError, match="lập lại chỉ mục"):
        LexicalIndex(path)


def test_one_writer_per_directory(tmp_path: Path):
    a = LexicalIndex(tmp_path / "idx")
    a.add(PASSAGES[:1])
    b = LexicalIndex(tmp_path / "idx")
    with pytest.raises(RuntimeError):
        b.add(PASSAGES[1:2])
    a.close()


def _files(path: Path) -> dict[str, tuple[int, str]]:
    return {
        f.name: (f.stat().st_ino, hashlib.sha256(f.read_bytes()).hexdigest())
        for f in path.iterdir()
        if f.is_file()
    }


def _hardlink_clone(src: Path, dst: Path) -> None:
    # As indexer.snapshot does it: link every file, but not the writer's lock files.
    dst.mkdir()
    for f in src.iterdir():
        if not f.name.endswith(".lock"):
            os.link(f, dst / f.name)


@pytest.mark.parametrize("merges", [False, True], ids=["deletes-only", "many-commits"])
def test_hardlink_clone_leaves_original_untouched(tmp_path: Path, merges: bool):
    orig = tmp_path / "orig"
    ix = LexicalIndex(orig)
    for i, d in enumerate(PASSAGES):
        ix.add([d])
        if i % 3 == 2:
            ix.commit()  # several segments, so deletes write .del files and merges can happen
    ix.commit()
    ix.close()
    before = _files(orig)
    reader = LexicalIndex(orig)
    expected = reader.search("bão số 3")
    assert expected

    clone = tmp_path / "clone"
    _hardlink_clone(orig, clone)
    c = LexicalIndex(clone)
    c.delete_doc("kh-bao")
    c.delete_doc("bc-thiet-hai")
    c.commit()
    if merges:
        for n in range(12):
            c.add([LexicalDoc(100 + n, f"moi-{n}", f"Thông báo mới số {n} về bão số 3 và GPMB.", "")])
            c.commit()
    c.close()

    assert _files(orig) == before  # same files, same inodes, same bytes
    assert reader.search("bão số 3") == expected  # a reader open during the writes
    fresh = LexicalIndex(orig)
    assert fresh.num_docs == len(PASSAGES)
    assert fresh.search("bão số 3") == expected
    cl = LexicalIndex(clone)
    assert cl.num_docs == len(PASSAGES) - 3 + (12 if merges else 0)
    assert not {1, 4} & set(ids(cl.search("bão số 3", k=100)))


# -- highlighting -----------------------------------------------------------------------

HL_TEXT = ("Sau cơn bão số 3 (Yagi), UBND huyện đã chỉ đạo công tác giải phóng mặt bằng "
           "của dự án; thể thức văn bản thế nào.")


def spans_text(query: str, text: str = HL_TEXT) -> list[str]:
    spans = highlight_spans(query, text)
    assert spans == sorted(spans)
    assert all(0 <= s < e <= len(text) for s, e in spans)
    return [text[s:e] for s, e in spans]


def test_highlight_accented_and_unaccented():
    assert spans_text("bão số 3") == ["bão số 3"]
    assert spans_text("bao so 3") == ["bão số 3"]
    assert spans_text("bão số 03") == ["bão số 3"]
    assert spans_text("BÃO SỐ 3") == ["bão số 3"]


def test_highlight_abbreviations_both_ways():
    assert spans_text("GPMB") == ["giải phóng mặt bằng"]
    assert spans_text("gpmb") == ["giải phóng mặt bằng"]
    assert spans_text("Ủy ban nhân dân huyện") == ["UBND huyện"]
    text = "Tiến độ GPMB dự án đường tránh."
    assert spans_text("giải phóng mặt bằng", text) == ["GPMB"]
    assert spans_text("giai phong mat bang", text) == ["GPMB"]


def test_highlight_stop_words_only_inside_runs():
    assert spans_text("giải phóng mặt bằng của dự án") == ["giải phóng mặt bằng của dự án"]
    assert spans_text("chỉ đạo của huyện") == ["huyện", "chỉ đạo"]
    assert spans_text("của") == ["của"]  # a query of function words alone still shows them


def test_highlight_diacritics_decide_collisions():
    assert spans_text("thế nào") == ["thế nào"]  # not "thể"
    assert spans_text("the nao") == ["thể", "thế nào"]
    assert spans_text("bão so 3") == ["bão số 3"]  # a mistyped word still joins its run
    assert spans_text("ban hành") == []  # "ban" alone does not light up "bản"


def test_highlight_offsets_for_nfd_text_are_nfc_offsets():
    nfd = unicodedata.normalize("NFD", HL_TEXT)
    spans = highlight_spans("bao so 3", nfd)
    nfc_text = unicodedata.normalize("NFC", nfd)
    assert [nfc_text[s:e] for s, e in spans] == ["bão số 3"]


def test_highlight_nothing_to_match():
    assert highlight_spans("", HL_TEXT) == []
    assert highlight_spans("bão", "") == []
    assert highlight_spans("hợp đồng lao động", HL_TEXT) == []


def test_bare_numbers_light_up_only_inside_a_match():
    from search_api.highlight import highlight_spans

    text = "3. Nguyên nhân: bão số 3 gây thiệt hại; 3 xã bị ngập."
    marked = [text[a:b] for a, b in highlight_spans("bao so 3", text)]
    assert marked == ["bão số 3"]
    assert [text[a:b] for a, b in highlight_spans("3", text)] == ["3", "3", "3"]
