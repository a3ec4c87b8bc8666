"""Section tree and chunker on small texts built for the purpose."""

from __future__ import annotations

from corpus.chunker import ChunkSettings, approx_tokens, chunk_document, embedding_text
from corpus.models import PageSpan, RawDocument
from corpus.parser import parse_document
from corpus.structure import short_heading

LEGAL = """Chương I
QUY ĐỊNH CHUNG

Điều 1. Phạm vi điều chỉnh

Quy chế này quy định việc tiếp nhận, xử lý văn bản đến.

Điều 2. Đối tượng áp dụng

1. Các phòng, ban chuyên môn thuộc UBND huyện.

2. UBND các xã, thị trấn, gồm:

a) Chủ tịch UBND xã;

b) Công chức văn phòng - thống kê.

Chương II
TIẾP NHẬN VĂN BẢN

Điều 3. Tiếp nhận

Văn thư tiếp nhận văn bản trong ngày.
"""


def _doc(text: str, **kw):
    return parse_document(RawDocument(doc_id="d.txt", source="d.txt", format="txt", text=text, **kw))


def test_legal_hierarchy_chapter_article_clause_point():
    doc = _doc(LEGAL)
    secs = doc.sections
    kinds = [(s.kind, s.label, s.level) for s in secs]
    assert kinds == [
        ("chapter", "Chương I", 1),
        ("article", "Điều 1", 2),
        ("article", "Điều 2", 2),
        ("numbered", "1", 3),
        ("numbered", "2", 3),
        ("letter", "a", 4),
        ("letter", "b", 4),
        ("chapter", "Chương II", 1),
        ("article", "Điều 3", 2),
    ]
    # Each section's span ends where the next one of its rank or above begins.
    text = doc.raw.text
    dieu2 = secs[2]
    assert text[dieu2.span[0]:dieu2.span[1]].rstrip().endswith("Công chức văn phòng - thống kê.")


def test_lines_that_only_look_numbered_are_text():
    text = (
        "1. Kết quả\n\n6 tháng đầu năm 2023, huyện đề ra 42 nhiệm vụ.\n\n"
        "177.135 triệu đồng đã được giải ngân.\n\nChương trình MTQG xây dựng NTM tiếp tục được quan tâm.\n\n"
        "CV. Nguyễn Văn A ký.\n"
    )
    doc = _doc(text)
    assert [s.label for s in doc.sections] == ["1"]


def test_bold_heading_after_bullet_marker_and_lead_in():
    text = "1. Nhiệm vụ\n\n* Phòng Tài chính - Kế hoạch\n\nChủ trì giải ngân vốn.\n\n- Công an huyện: Bảo đảm an ninh.\n"
    start = text.index("Phòng Tài")
    doc = _doc(text, bold=[(start, start + len("Phòng Tài chính - Kế hoạch"))])
    units = [(s.kind, s.heading) for s in doc.sections[1:]]
    assert units == [("unit", "Phòng Tài chính - Kế hoạch"), ("item", "Công an huyện")]
    # The lead-in item is a sibling of the unit heading? No: it nests under it, being lower-ranked.
    assert doc.sections[2].parent == doc.sections[1].id


def test_short_heading_cuts_long_paragraph_headings():
    long = "4. Về nhiệm vụ trọng tâm 6 tháng cuối năm 2024: " + "đề nghị các phòng, ban " * 20
    assert short_heading(long) == "4. Về nhiệm vụ trọng tâm 6 tháng cuối năm 2024"
    assert short_heading("a) Lĩnh vực kinh tế") == "a) Lĩnh vực kinh tế"
    assert short_heading("x " * 40).endswith("…")


SEPARATE = ChunkSettings(merge_below=0)


def test_heading_alone_is_not_a_chunk_and_paths_are_kept():
    doc = _doc(LEGAL)
    chunks = chunk_document(doc, approx_tokens, SEPARATE)
    assert all(c.text.strip() not in ("Chương I\nQUY ĐỊNH CHUNG", "Chương II") for c in chunks)
    first = chunks[0]
    assert first.heading_path == ["Chương I. QUY ĐỊNH CHUNG", "Điều 1. Phạm vi điều chỉnh"]
    assert first.text.startswith("Chương I")  # the carried heading opens the passage
    point = next(c for c in chunks if "Chủ tịch UBND xã" in c.text)
    assert point.heading_path[:3] == ["Chương I. QUY ĐỊNH CHUNG", "Điều 2. Đối tượng áp dụng", "2. UBND các xã, thị trấn, gồm"]
    assert embedding_text(point).startswith("Chương I. QUY ĐỊNH CHUNG › Điều 2. Đối tượng áp dụng")


def test_long_paragraph_splits_at_sentences_within_budget():
    sentence = "Phòng Nông nghiệp và PTNT tiếp tục hướng dẫn nhân dân khôi phục sản xuất sau bão số 3. "
    text = "1. Nhiệm vụ\n\n" + sentence * 60
    doc = _doc(text)
    settings = ChunkSettings(max_tokens=120, min_tokens=20)
    chunks = chunk_document(doc, approx_tokens, settings)
    assert len(chunks) > 3
    for c in chunks:
        assert c.n_tokens <= 120
        assert c.text.endswith("bão số 3.")  # cut at sentence ends only
        assert doc.raw.text[c.char_span[0]:c.char_span[1]] == c.text


def test_one_huge_word_run_still_splits_between_words():
    text = "1. Danh sách\n\n" + " ".join(f"xã{i}" for i in range(2000))
    doc = _doc(text)
    chunks = chunk_document(doc, approx_tokens, ChunkSettings(max_tokens=100))
    assert all(c.n_tokens <= 100 for c in chunks)
    assert " ".join(c.text for c in chunks).split() == text.split()


def test_pages_of_chunks_and_sections():
    text = "1. Trang một\n\nNội dung trang một.\n\n2. Trang hai\n\nNội dung trang hai.\n"
    p2 = text.index("2. Trang hai")
    doc = _doc(text, pages=[PageSpan(0, p2, 1), PageSpan(p2, len(text), 2)])
    assert [s.pages for s in doc.sections] == [(1, 1), (2, 2)]
    chunks = chunk_document(doc, approx_tokens, SEPARATE)
    assert [c.pages for c in chunks] == [(1, 1), (2, 2)]
    [joined] = chunk_document(doc, approx_tokens)  # small siblings make one passage
    assert joined.pages == (1, 2) and joined.heading_path == []


def test_small_clauses_join_but_not_across_parts():
    clause = "Cơ quan, đơn vị thực hiện báo cáo định kỳ theo quy định."
    text = (
        "I. Phần một\n\n1. Khoản một\n\n" + clause + "\n\n2. Khoản hai\n\n" + clause + "\n\n"
        "II. Phần hai\n\n1. Khoản ba\n\n" + clause + "\n"
    )
    chunks = chunk_document(_doc(text), approx_tokens)
    assert [c.heading_path for c in chunks] == [["I. Phần một"], ["II. Phần hai", "1. Khoản ba"]]
    assert chunks[0].text.count(clause) == 2


def test_numbered_headings_naming_units_keep_their_own_passages():
    # A letter's "1. Phòng …", "2. Trung tâm …": small, but each is one unit's duty,
    # and a passage covering two would cite neither heading.
    text = (
        "1. Phòng Kinh tế và Hạ tầng\n\nKiểm tra các công trình cấp nước, sửa chữa ngay công trình hư hỏng.\n\n"
        "2. Trung tâm Văn hóa, Thông tin và Thể thao huyện\n\nTuyên truyền để nhân dân sử dụng nước tiết kiệm.\n\n"
        "3. Về kết quả đạt được\n\nSản xuất vụ Đông Xuân được mùa.\n\n"
        "4. Về tồn tại\n\nTiến độ giải ngân còn chậm.\n"
    )
    chunks = chunk_document(_doc(text), approx_tokens)
    assert [c.heading_path for c in chunks] == [
        ["1. Phòng Kinh tế và Hạ tầng"],
        ["2. Trung tâm Văn hóa, Thông tin và Thể thao huyện"],
        [],  # small siblings that name no unit are still joined
    ]
    assert "Sản xuất vụ Đông Xuân" in chunks[2].text and "Tiến độ giải ngân" in chunks[2].text


def test_content_hash_changes_with_text_and_path():
    a = chunk_document(_doc("1. A\n\nMột nội dung.\n"), approx_tokens, SEPARATE)[0]
    b = chunk_document(_doc("1. A\n\nMột nội dung khác.\n"), approx_tokens, SEPARATE)[0]
    c = chunk_document(_doc("2. A\n\nMột nội dung.\n"), approx_tokens, SEPARATE)[0]
    assert len({a.content_hash, b.content_hash, c.content_hash}) == 3


def test_numbered_list_restarting_under_a_numbered_heading_nests():
    text = (
        "1. Kết quả\n\nĐạt nhiều kết quả.\n\n2. Tồn tại, hạn chế\n\n1. Giải ngân chậm.\n\n2. GPMB chậm.\n\n"
        "3. Nguyên nhân\n\nKhách quan và chủ quan.\n"
    )
    doc = _doc(text)
    tree = [(s.label, s.parent) for s in doc.sections]
    assert tree == [("1", None), ("2", None), ("1", 1), ("2", 1), ("3", None)]
