"""Header and closing metadata on header layouts the seeds do not show."""

from __future__ import annotations

from corpus.header import parse_number
from corpus.models import RawDocument
from corpus.parser import parse_document


def _parse(text: str, **kw):
    return parse_document(RawDocument(doc_id="x.txt", source="x.txt", format="txt", text=text, **kw))


FULL = """ỦY BAN NHÂN DÂN
HUYỆN SÔNG MÂY

CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc

Số: 45/TB-UBND

Sông Mây, ngày 28 tháng 6 năm 2023

THÔNG BÁO
Kết luận của Chủ tịch UBND huyện
tại hội nghị sơ kết 6 tháng đầu năm 2023

Ngày 26/6/2023, UBND huyện Sông Mây tổ chức hội nghị sơ kết. Chủ tịch UBND huyện kết luận như sau:

1. Về kết quả đạt được

Kinh tế tiếp tục tăng trưởng.

2. Về nhiệm vụ

Phòng Tài chính - Kế hoạch tham mưu giải ngân vốn đầu tư công./.

KT. CHỦ TỊCH
PHÓ CHỦ TỊCH
(Đã ký)

Trần Minh Khoa

Nơi nhận:
- Thường trực Huyện ủy;
- Các phòng, ban;
- Lưu: VT.
"""


def test_full_header_two_line_issuer_and_wrapped_subject():
    doc = _parse(FULL)
    m = doc.metadata
    assert m.issuer == "UBND huyện Sông Mây"
    assert (m.number, m.type_code, m.doc_type) == ("45/TB-UBND", "TB", "Thông báo")
    assert (m.place, m.issued_date, m.event_date) == ("Sông Mây", "2023-06-28", "2023-06-26")
    assert m.subject == "Kết luận của Chủ tịch UBND huyện tại hội nghị sơ kết 6 tháng đầu năm 2023"
    # The name comes before "Nơi nhận" here; "(Đã ký)" is not part of the title.
    assert (m.signer_name, m.signer_title) == ("Trần Minh Khoa", "KT. CHỦ TỊCH PHÓ CHỦ TỊCH")
    assert m.recipients == ["Thường trực Huyện ủy", "Các phòng, ban", "Lưu: VT"]
    assert [s.label for s in doc.sections] == ["1", "2"]
    body = doc.raw.text[doc.body_span[0]:doc.body_span[1]]
    assert body.startswith("Ngày 26/6/2023") and body.rstrip().endswith("./.")


def test_a_note_above_the_header_is_skipped():
    # A line or two above the header (a note, "Bản sao") must not hide the header.
    doc = _parse("Bản sao từ hệ thống quản lý văn bản, lưu hành nội bộ.\nTrang 1/3\n\n" + FULL)
    m = doc.metadata
    assert (m.number, m.doc_type, m.issuer, m.issued_date) == ("45/TB-UBND", "Thông báo", "UBND huyện Sông Mây", "2023-06-28")
    assert doc.raw.text[doc.body_span[0]:].startswith("Ngày 26/6/2023")
    # Without a header soon after, the first lines are body, not a preamble.
    text = "Quy định chung\n\nQUY ĐỊNH CHUNG VỀ HỒ SƠ\n\nĐiều 1. Phạm vi điều chỉnh\n\nQuy chế này quy định về hồ sơ.\n"
    doc = _parse(text)
    assert doc.body_span[0] == 0 and doc.metadata.doc_type is None


def test_pdf_style_header_with_columns_on_one_line():
    text = (
        "UBND HUYỆN SÔNG MÂY CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "PHÒNG NÔNG NGHIỆP VÀ PTNT Độc lập - Tự do - Hạnh phúc\n"
        "Số: 17/BC-NN Sông Mây, ngày 3 tháng 10 năm 2024\n"
        "BÁO CÁO\nKết quả khắc phục hậu quả bão số 3\n\n"
        "I. Tình hình thiệt hại\n\nBão gây thiệt hại lớn.\n"
    )
    m = _parse(text).metadata
    assert m.issuer == "Phòng Nông nghiệp và PTNT"
    assert (m.number, m.type_code, m.doc_type) == ("17/BC-NN", "BC", "Báo cáo")
    assert (m.place, m.issued_date) == ("Sông Mây", "2024-10-03")
    assert m.subject == "Kết quả khắc phục hậu quả bão số 3"


def test_official_letter_has_no_type_code():
    text = (
        "UBND HUYỆN SÔNG MÂY\n\nSố: 812/UBND-NN\nV/v khắc phục sự cố cổng thông tin điện tử\n\n"
        "Sông Mây, ngày 5 tháng 3 năm 2024\n\nKính gửi: Các phòng, ban, ngành huyện.\n\n"
        "Ngày 01/3/2024, cổng thông tin điện tử huyện bị tấn công.\n"
    )
    m = _parse(text).metadata
    assert (m.number, m.type_code, m.doc_type) == ("812/UBND-NN", None, "Công văn")
    assert m.subject == "khắc phục sự cố cổng thông tin điện tử"
    assert m.issued_date == "2024-03-05"


def test_draft_blanks_are_null_not_guessed():
    text = (
        "ỦY BAN NHÂN DÂN\nHUYỆN SÔNG MÂY\n\nSố:      /KH-UBND\n\nSông Mây, ngày    tháng 5 năm 2024\n\n"
        "KẾ HOẠCH\nTriển khai công tác giải phóng mặt bằng năm 2024\n\nI. Mục đích, yêu cầu\n\nBảo đảm tiến độ.\n"
    )
    m = _parse(text).metadata
    assert m.number is None and m.type_code == "KH" and m.doc_type == "Kế hoạch"
    assert m.place == "Sông Mây" and m.issued_date is None
    assert m.signer_name is None and m.recipients is None


def test_issuer_case_from_capitals():
    from corpus.header import _org_case

    assert _org_case("SỞ Y TẾ") == "Sở Y tế"
    assert _org_case("TRUNG TÂM Y TẾ HUYỆN SÔNG MÂY") == "Trung tâm Y tế huyện Sông Mây"
    assert _org_case("PHÒNG GIÁO DỤC VÀ ĐÀO TẠO") == "Phòng Giáo dục và Đào tạo"
    assert _org_case("SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH") == "Sở Văn hóa, Thể thao và Du lịch"
    assert _org_case("PHÒNG TÀI CHÍNH - KẾ HOẠCH") == "Phòng Tài chính - Kế hoạch"


def test_party_numbers_and_year_numbers():
    assert parse_number("218-TB/HU") == ("218-TB/HU", "TB")
    assert parse_number("06-NQ/HU, ngày 12/12/2022") == ("06-NQ/HU", "NQ")
    assert parse_number("18/2012/TTLT-BTC-BTTTT") == ("18/2012/TTLT-BTC-BTTTT", "TTLT")
    assert parse_number("309 /BC-UBND") == ("309/BC-UBND", "BC")
    assert parse_number("15/UBND-VP") == ("15/UBND-VP", None)
    assert parse_number("/TB-UBND") == (None, "TB")
    assert parse_number("không rõ") == (None, None)


def test_text_without_header_is_all_body():
    text = "Phạm vi điều chỉnh\n\nLuật này quy định về hoạt động bảo vệ an ninh quốc gia.\n"
    doc = _parse(text)
    assert doc.body_span == (0, len(text.rstrip("\n")))
    m = doc.metadata
    assert (m.number, m.doc_type, m.issuer, m.issued_date, m.signer_name) == (None,) * 5


def test_export_fields_fill_what_text_does_not_state():
    raw = RawDocument(
        doc_id="00212a5b",
        source="x.jsonl",
        format="jsonl",
        text="Đính chính ngày, tháng trích dẫn văn bản.",
        title="Công văn số 2103/BNN-VP về việc đính chính",
        extra={"so_ky_hieu": "2103/BNN-VP", "loai_van_ban": "Công văn", "ngay_ban_hanh": "19/04/2011", "nguoi_ky": "TRẦN QUỐC TUẤN"},
    )
    m = parse_document(raw).metadata
    assert (m.number, m.doc_type, m.type_code, m.issued_date) == ("2103/BNN-VP", "Công văn", None, "2011-04-19")
    assert m.signer_name == "TRẦN QUỐC TUẤN"
    assert m.subject == "Công văn số 2103/BNN-VP về việc đính chính"


def test_empty_and_degenerate_texts_do_not_crash():
    for text in ["", "\n\n", "Nơi nhận:", "Số:", "THÔNG BÁO", "1.", "- ", "**", "Ngày 99/99/2024, họp."]:
        doc = _parse(text)
        assert doc.body_span[0] <= doc.body_span[1]
