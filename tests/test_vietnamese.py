"""Tests for corpus.vietnamese: normalisation, folding, tokens, abbreviations."""

from __future__ import annotations

import re
import unicodedata
from importlib import resources
from pathlib import Path

import pytest

from corpus.vietnamese import (
    SCOPES,
    Abbreviations,
    bigrams,
    canonical_tones,
    fold,
    fold_key,
    has_diacritics,
    load_abbreviations,
    match_key,
    nfc,
    syllables,
)

SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "seeds"

# Every Vietnamese letter with a diacritic (lower and upper), and what it folds to.
_BASES = {
    "a": "aàáảãạăằắẳẵặâầấẩẫậ",
    "e": "eèéẻẽẹêềếểễệ",
    "i": "iìíỉĩị",
    "o": "oòóỏõọôồốổỗộơờớởỡợ",
    "u": "uùúủũụưừứửữự",
    "y": "yỳýỷỹỵ",
    "d": "dđ",
}
VIETNAMESE_LETTERS = {c: b for b, cs in _BASES.items() for c in cs} | {
    c.upper(): b.upper() for b, cs in _BASES.items() for c in cs
}


def _seed_texts() -> list[tuple[str, str]]:
    if not SEEDS.is_dir():  # like conftest.shared_path: CI always has ../shared
        pytest.fail(f"{SEEDS} is missing: the tests need ../shared beside the checkout")
    paths = sorted(SEEDS.glob("*.txt"))
    assert paths, "no seed documents"
    return [(p.name, p.read_text(encoding="utf-8")) for p in paths]


@pytest.fixture(scope="module")
def abbr() -> Abbreviations:
    return load_abbreviations()


# ---------------------------------------------------------------- NFC / fold


def test_nfc_composes_decomposed_text():
    composed = "Bệnh viện đa khoa"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    assert nfc(decomposed) == composed
    assert nfc(composed) is composed  # already NFC: returned as is


def test_fold_nfd_equals_fold_nfc():
    composed = "Bệnh viện đa khoa"
    decomposed = unicodedata.normalize("NFD", composed)
    assert fold(decomposed) == fold(composed) == "Benh vien da khoa"
    assert fold_key(decomposed) == fold_key(composed) == "benh vien da khoa"


def test_fold_maps_d_with_stroke_and_keeps_case():
    assert fold("Đường đi Đà Nẵng") == "Duong di Da Nang"
    assert fold("ĐẢNG ỦY") == "DANG UY"
    assert fold_key("ĐẢNG ỦY") == "dang uy"
    # Legacy converters wrote Icelandic eth for Đ: "Ðiều", "QÐ-BTS".
    assert fold("Ðiều 5") == "Dieu 5"


def test_fold_every_vietnamese_letter_to_its_ascii_base():
    letters = "".join(VIETNAMESE_LETTERS)
    folded = fold(letters)
    assert folded == "".join(VIETNAMESE_LETTERS.values())
    assert folded.isascii()
    # Long inputs take the vectorised path: same answer.
    long = letters * 50
    assert fold(long) == folded * 50
    assert long.translate({}) == long  # sanity: nothing mutated


def test_fold_is_length_preserving_even_with_a_stray_combining_mark():
    # A combining mark with no base survives NFC; it must not vanish in fold.
    text = nfc("\u0301abc q\u0303 xã")
    assert len(fold(text)) == len(text)
    assert len(fold_key(text)) == len(text)
    assert fold(text) == " abc q  xa"


def test_fold_long_text_with_characters_outside_the_bmp():
    text = "Cơn bão số 3 😀 𝐀 đã qua. " * 40  # long enough for the vectorised path
    folded = fold(text)
    assert len(folded) == len(text)
    assert folded == "Con bao so 3 😀 𝐀 da qua. " * 40


def test_has_diacritics():
    assert has_diacritics("bão số 3")
    assert has_diacritics(unicodedata.normalize("NFD", "bão số 3"))
    assert has_diacritics("Dinh Đ")
    assert not has_diacritics("bao so 3")
    assert not has_diacritics("UBND huyen Thuong Xuan 163/TB-UBND")
    assert not has_diacritics("")


# ---------------------------------------------------------------- tone placement

TONE_VARIANTS = [
    ("Lục Đăng Hỏa", "Lục Đăng Hoả"),
    ("Lâm Thái Hòa", "Lâm Thái Hoà"),
    ("thủy lợi", "thuỷ lợi"),
    ("khỏe mạnh", "khoẻ mạnh"),
    ("HÒA", "HOÀ"),
    ("văn hóa", "văn hoá"),
    ("Ủy ban nhân dân", "Uỷ ban nhân dân"),
    ("ỦY BAN", "UỶ BAN"),
    ("tùy theo", "tuỳ theo"),
    ("xóa bỏ", "xoá bỏ"),
    ("thỏa thuận", "thoả thuận"),
    ("Tòa án", "Toà án"),
    ("ngụy trang", "nguỵ trang"),
    ("hòe", "hoè"),
    ("quý", "qúy"),
    ("quá hạn", "qúa hạn"),
]


@pytest.mark.parametrize("old,new", TONE_VARIANTS)
def test_tone_styles_get_one_canonical_form(old, new):
    assert old != new
    assert canonical_tones(old) == canonical_tones(new) == old  # old style is canonical
    assert match_key(old) == match_key(new)
    assert fold_key(old) == fold_key(new)
    assert len(canonical_tones(new)) == len(new)


def test_canonical_tones_accepts_decomposed_input():
    assert canonical_tones(unicodedata.normalize("NFD", "thuỷ lợi")) == "thủy lợi"


UNCHANGED = [
    "quả", "quý", "quỳnh", "quyết", "quốc", "gia", "giữa", "già", "khuya", "thuở", "hoàn",
    "hoạch", "khoảng", "ngoài", "xoáy", "khuỷu", "thuyền", "Nguyễn", "huyện", "của", "mùa",
    "thuế", "tuệ", "qua", "quy", "hòa", "thủy", "Ủy", "ủy",
]


@pytest.mark.parametrize("word", UNCHANGED)
def test_canonical_tones_leaves_other_words_alone(word):
    assert canonical_tones(word) == word
    assert canonical_tones(word.upper()) == word.upper()


def test_match_key_is_case_and_style_insensitive_but_keeps_diacritics():
    assert match_key("UỶ BAN Nhân Dân") == "ủy ban nhân dân"
    assert match_key("bão") != match_key("bao")
    assert match_key("Ðiều") == match_key("Điều")
    # "İ".lower() would be two code points: keys keep the 1:1 offsets.
    assert len(match_key("İstanbul hoà")) == len("İstanbul hoà")


_PAIR = re.compile(r"oa|oe|uy")


def test_seeds_tones_only_change_oa_oe_uy_words_and_keep_length():
    changed = 0
    for name, raw in _seed_texts():
        text = nfc(raw)
        canon = canonical_tones(text)
        assert len(canon) == len(text), name
        assert canonical_tones(canon) == canon, name  # idempotent
        assert fold_key(canon) == fold_key(text), name  # only tone marks moved
        for start, end, tok in syllables(text):
            new = canon[start:end]
            key = fold_key(tok)
            if new != tok:
                changed += 1
                assert _PAIR.search(key) or key.startswith("qu"), (name, tok, new)
        for fn in (fold, fold_key, match_key):
            assert len(fn(text)) == len(text), (name, fn.__name__)
    assert changed > 0  # the seeds do mix styles ("Hoả"/"Hòa")


def test_fold_of_seeds_is_ascii_where_source_had_vietnamese_letters():
    for name, raw in _seed_texts():
        text = nfc(raw)
        folded = fold(text)
        assert len(folded) == len(text)
        for i, (src, dst) in enumerate(zip(text, folded)):
            if src in VIETNAMESE_LETTERS:
                assert dst == VIETNAMESE_LETTERS[src], (name, i, src, dst)
            elif src.isascii():
                assert dst == src, (name, i, src)
        # The decomposed form of a seed folds the same way.
        assert fold(unicodedata.normalize("NFD", text)) == folded, name


# ---------------------------------------------------------------- tokens


def test_syllables_offsets_and_number_rules():
    text = "Số:163/TB-UBND, chi 177.135 triệu đồng (13,4%) ngày 24/9/2024 QH14."
    toks = syllables(text)
    assert all(text[s:e] == t for s, e, t in toks)
    assert [t for _, _, t in toks] == [
        "Số", "163", "TB", "UBND", "chi", "177.135", "triệu", "đồng", "13,4",
        "ngày", "24", "9", "2024", "QH14",
    ]


def test_syllables_offsets_on_seeds_and_same_offsets_when_folded():
    for name, raw in _seed_texts():
        text = nfc(raw)
        toks = syllables(text)
        assert len(toks) > 100, name
        assert all(text[s:e] == t for s, e, t in toks), name
        folded = syllables(fold(text))
        assert [(s, e) for s, e, _ in folded] == [(s, e) for s, e, _ in toks], name
        assert [t for _, _, t in folded] == [fold(t) for _, _, t in toks], name


def test_bigrams():
    toks = syllables("giải phóng mặt bằng")
    assert bigrams(toks) == [(0, 10, "giải phóng"), (5, 14, "phóng mặt"), (11, 19, "mặt bằng")]
    assert bigrams(["kinh", "tế", "xã"]) == ["kinh tế", "tế xã"]
    assert bigrams([]) == []
    assert bigrams(["một"]) == []


# ---------------------------------------------------------------- abbreviations

REQUIRED = [
    "UBND", "HĐND", "MTTQ", "NTM", "GPMB", "BT-GPMB", "MTQG", "PTNT", "KT-XH", "KTXH", "NSNN",
    "CCHC", "ATTP", "ANTT", "TTATXH", "QP-AN", "BHXH", "BHYT", "GD&ĐT", "LĐ-TB&XH", "LĐTBXH",
    "TN&MT", "KH&ĐT", "THCS", "THPT", "OCOP", "TTHC", "CNTT", "KHHGĐ", "TW", "TƯ", "UBMTTQVN",
    "CBCCVC", "HU", "TU", "BCĐ", "QĐ", "NQ", "TB", "BC", "KH", "CT",
]


def test_tsv_parses_and_is_nfc(abbr):
    raw = resources.files("corpus").joinpath("data", "abbreviations.tsv").read_text(encoding="utf-8")
    assert nfc(raw) == raw
    assert len(abbr) >= 100
    for e in abbr.entries:
        assert e.scope in SCOPES
        assert unicodedata.is_normalized("NFC", e.abbr)
        assert e.expansions
        for x in e.expansions:
            assert unicodedata.is_normalized("NFC", x), (e.abbr, x)
            assert has_diacritics(x) or x.isascii()
    for a in REQUIRED:
        assert abbr.get(a) is not None, a
    for a in ("TB", "BC", "KH", "CT", "QĐ", "NQ"):
        assert abbr.get(a).scope == "number_only", a


def test_from_tsv_format_rules():
    table = Abbreviations.from_tsv(
        "# comment\nabbr\texpansion\tscope\n\nXYZ\tmột\nXYZ\thai\tquery+index\n"
    )
    assert table.expansions("xyz") == ["một", "hai"]
    with pytest.raises(ValueError):
        Abbreviations.from_tsv("XYZ\tmột\tsometimes\n")
    with pytest.raises(ValueError):
        Abbreviations.from_tsv("XYZ\n")


def test_expansions_case_and_diacritic_insensitive(abbr):
    assert abbr.expansions("GPMB") == ["giải phóng mặt bằng"]
    assert abbr.expansions("UBND") == ["Ủy ban nhân dân"]
    assert abbr.expansions("ubnd") == ["Ủy ban nhân dân"]
    assert abbr.expansions("HDND") == ["Hội đồng nhân dân"]
    assert abbr.expansions("GD&DT") == abbr.expansions("GD&ĐT") == abbr.expansions("GD-ĐT")
    assert abbr.expansions("GD&DT")[0] == "Giáo dục và Đào tạo"
    assert abbr.expansions("kt-xh") == abbr.expansions("KTXH") == ["kinh tế - xã hội"]
    assert abbr.expansions("LDTBXH") == ["Lao động - Thương binh và Xã hội"]
    # Exact spelling beats the folded one: TƯ and TU both fold to "tu".
    assert abbr.expansions("TƯ") == ["Trung ương"]
    assert abbr.expansions("TU") == ["Tỉnh ủy", "Thành ủy"]
    assert abbr.expansions("không có") == []


def test_abbreviations_for_matches_either_tone_style(abbr):
    assert abbr.abbreviations_for("Ủy ban nhân dân") == ["UBND"]
    assert abbr.abbreviations_for("Uỷ ban nhân dân") == ["UBND"]
    assert abbr.abbreviations_for("giai phong mat bang") == ["GPMB"]


def test_contract_finds_expansions(abbr):
    for text in ("Ủy ban nhân dân huyện", "Uỷ ban nhân dân huyện", "UỶ BAN NHÂN DÂN huyện",
                 "uy ban nhan dan huyen", unicodedata.normalize("NFD", "Ủy ban nhân dân huyện")):
        hits = abbr.contract(text)
        assert [(s, e, a) for s, e, a in hits] == [(0, 15, "UBND")], text
    text = "công tác bồi thường, giải phóng mặt bằng và giải phóng mặt bằng"
    hits = abbr.contract(text)
    assert [a for _, _, a in hits] == ["BT-GPMB", "GPMB"]  # longest expansion wins
    assert [text[s:e] for s, e, _ in hits] == ["bồi thường, giải phóng mặt bằng", "giải phóng mặt bằng"]
    assert [a for _, _, a in abbr.contract("Sở Giáo dục - Đào tạo; kinh tế xã hội")] == ["GD&ĐT", "KT-XH"]
    # Never a document-type code: "thông báo" is an ordinary phrase.
    assert abbr.contract("thông báo kết luận") == []
    # Whole words only.
    assert abbr.contract("giải phóng mặt bằngxx") == []


def test_find_whole_upper_case_tokens_only(abbr):
    text = "Ngày 17/7/2024, UBND huyện và Thường trực HĐND, Ủy ban MTTQ; BT-GPMB; HDND-UBND; GD-ĐT"
    hits = abbr.find(text)
    assert [a for _, _, a in hits] == ["UBND", "HĐND", "MTTQ", "BT-GPMB", "HĐND", "UBND", "GD&ĐT"]
    assert [text[s:e] for s, e, _ in hits][-3:] == ["HDND", "UBND", "GD-ĐT"]
    # Ordinary lower-case words and all-capitals headings are not abbreviations.
    assert abbr.find("tu sửa đường, hu hỏng, kh tb bc ct qđ ubnd") == []
    assert abbr.find("BỘ TƯ PHÁP; ĐẦU TƯ XÂY DỰNG, TU BỔ") == []
    assert [a for _, _, a in abbr.find("Ban Bí thư TƯ Đảng")] == ["TƯ"]


def test_find_type_codes_only_inside_document_numbers(abbr):
    assert [a for _, _, a in abbr.find("Số: 163/TB-UBND")] == ["TB", "UBND"]
    assert [a for _, _, a in abbr.find("Quyết định 1556-QĐ/TU")] == ["QĐ", "TU"]
    assert [a for _, _, a in abbr.find("18/2002/QÐ-BTS")] == ["QĐ"]  # legacy Ð
    assert abbr.find("TB năm nay, KH sản xuất, CT công ty") == []


def test_find_on_seeds(abbr):
    total = 0
    for name, raw in _seed_texts():
        text = nfc(raw)
        for s, e, a in abbr.find(text):
            assert abbr.get(a) is not None
            assert fold(text[s:e]).replace("-", "").replace("&", "") == fold(a).replace("-", "").replace("&", "")
            total += 1
    assert total > 50


def test_query_safe_abbreviations_are_not_ordinary_syllables(abbr):
    # A query+index abbreviation is expanded whatever the case: its folded form
    # must not be a lower-case word of real documents.
    keys = {
        re.sub(r"[\-&]", "", fold_key(e.abbr)): e.abbr for e in abbr.entries if e.scope == "query+index"
    }
    for name, raw in _seed_texts():
        for _, _, tok in syllables(nfc(raw)):
            if tok.islower():
                assert fold_key(tok) not in keys, (name, tok, keys.get(fold_key(tok)))


def test_expand_query_both_ways(abbr):
    forms = abbr.expand_query("GPMB huyện Thường Xuân")
    assert forms[0] == "GPMB huyện Thường Xuân"
    assert "giải phóng mặt bằng huyện Thường Xuân" in forms
    assert "GPMB" in abbr.expand_query("giai phong mat bang")
    assert "UBND huyện" in abbr.expand_query("Uỷ ban nhân dân huyện")
    assert "Hội đồng nhân dân tỉnh" in abbr.expand_query("hdnd tỉnh")
    assert "Sở Giáo dục và Đào tạo" in abbr.expand_query("Sở GD&DT")
    tu = abbr.expand_query("Ban Thường vụ TU")
    assert "Ban Thường vụ Tỉnh ủy" in tu and "Ban Thường vụ Thành ủy" in tu


def test_expand_query_leaves_ordinary_words_and_numbers_alone(abbr):
    assert abbr.expand_query("tu sua duong") == ["tu sua duong"]
    assert abbr.expand_query("tb kh ct") == ["tb kh ct"]
    assert abbr.expand_query("thông báo 163/TB-UBND") == ["thông báo 163/TB-UBND"]
