"""Passage kinds, deadlines and directive items (corpus.kinds, corpus.deadlines, corpus.tasks).

The synthetic documents below are written for these tests (a fictional district,
"huyện Bản Lề"); the seed facts come from ../shared/corpus/seeds.
"""

from __future__ import annotations

import pytest

from benchmarks.tasks_gold import evaluate
from conftest import shared_path
from corpus.deadlines import find_deadline, find_deadlines
from corpus.kinds import KINDS, heading_kind, passage_kind, section_kinds, wording_kind
from corpus.parser import parse_document
from corpus.readers import read_file
from corpus.tasks import extract_tasks
from corpus.units import assignee_key, find_units, strip_item_label

# --------------------------------------------------------------------------
# Deadlines


@pytest.mark.parametrize(
    "text, reference, value, kind",
    [
        ("hoàn thành báo cáo UBND huyện, trước ngày 15/8/2024.", None, "2024-08-15", "date"),
        ("trình UBND huyện trước ngày 30 tháng 11 năm 2024", None, "2024-11-30", "date"),
        ("hoàn thành trong tháng 9/2023", None, "2023-09", "month"),
        ("kết thúc giám sát trong tháng 9 năm 2023", None, "2023-09", "month"),
        ("tổ chức kiểm tra trong Quý III/2024", None, "2024-Q3", "quarter"),
        ("hoàn thành trong quý 3 năm 2024", None, "2024-Q3", "quarter"),
        ("phấn đấu đến hết Quý IV/2023 giải ngân 100%", None, "2023-Q4", "quarter"),
        ("tập trung thực hiện trong 6 tháng cuối năm 2024", None, "2024-H2", "half"),
        ("hoàn thành trong năm 2024", None, "2024", "year"),
        ("thi công trước mùa mưa lũ, chậm nhất trước ngày 30/6/2024", None, "2024-06-30", "date"),
        ("gửi Phòng Nông nghiệp và PTNT trước 17 giờ ngày 13/9/2024", None, "2024-09-13", "date"),
        ("báo cáo kết quả đến hết ngày 31/12/2024", None, "2024-12-31", "date"),
        # A date without its year: the next one on or after the document's date.
        ("nộp hồ sơ trước ngày 15/8", "2024-07-19", "2024-08-15", "date"),
        ("nộp hồ sơ trước ngày 15/8", "2024-09-01", "2025-08-15", "date"),
        ("hoàn thành trong tháng 10", "2024-09-24", "2024-10", "month"),
        ("để đến cuối năm đạt tỷ lệ giải ngân trên 95%", "2023-09-12", "2023", "year"),
        # Tone style and missing diacritics do not matter.
        ("hoàn thành trong Quý II/2024", None, "2024-Q2", "quarter"),
        ("bao cao truoc ngay 15/8/2024", None, "2024-08-15", "date"),
    ],
)
def test_deadline_forms(text, reference, value, kind):
    d = find_deadline(text, reference)
    assert d is not None, text
    assert (d.value, d.kind) == (value, kind)
    assert text[d.start:d.end] == d.text  # offsets point into the text as written


@pytest.mark.parametrize(
    "text, reference",
    [
        ("thực hiện thường xuyên", None),
        ("tổng hợp, báo cáo hằng tháng", None),
        ("giải quyết kịp thời các kiến nghị", None),
        ("theo Quyết định số 03/QĐ-UBND ngày 02/01/2024 của UBND huyện", None),
        ("báo cáo tình hình 9 tháng đầu năm 2024", None),
        ("Ngày 17/7/2024, UBND huyện Thường Xuân đã tổ chức hội nghị", None),
        ("báo cáo UBND huyện trước ngày 25 hằng tháng", None),
        ("tổng hợp báo cáo trước ngày 15 tháng 12 hằng năm", None),
        ("báo cáo vào thứ Sáu hằng tuần", None),
        ("hoàn thành trước ngày 31/2/2024", None),  # no such day
        ("kỷ niệm 60 năm ngày thành lập huyện (16/12/1964 - 16/12/2024)", None),
        ("trước ngày 15/8", None),  # no year and nothing to take it from
        ("không để dồn vào cuối năm", "2023-06-28"),
        # A period already over on the document's date is being reported on.
        ("Trong 6 tháng đầu năm 2024, mặc dù còn nhiều khó khăn", "2024-07-19"),
        ("chưa hoàn thành theo thời hạn (trước ngày 15/8/2024)", "2024-10-08"),
    ],
)
def test_not_deadlines(text, reference):
    assert find_deadline(text, reference) is None


def test_all_deadlines_in_order():
    text = "Xây dựng kế hoạch trong tháng 10/2024; tổ chức thực hiện, hoàn thành trước ngày 20/12/2024."
    assert [d.value for d in find_deadlines(text)] == ["2024-10", "2024-12-20"]


# --------------------------------------------------------------------------
# Kinds


def test_kinds_tuple():
    assert KINDS == ("result", "shortcoming", "cause", "task", "proposal", "other")


@pytest.mark.parametrize(
    "path, kind",
    [
        (["1. Về kết quả đạt được"], "result"),
        (["III. Đánh giá chung", "1. Mặt được."], "result"),
        (["2. Về tồn tại, hạn chế"], "shortcoming"),
        (["II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN", "1. Tồn tại, hạn chế"], "shortcoming"),
        (["II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN", "2. Nguyên nhân", "a) Nguyên nhân khách quan"], "cause"),
        (["3. Nguyên nhân của tồn tại, hạn chế", "Về chủ quan"], "cause"),
        (["II. NHIỆM VỤ TRỌNG TÂM QUÝ IV NĂM 2024"], "task"),
        (["IV. Phương hướng, nhiệm vụ 6 tháng cuối năm"], "task"),
        (["III. MỤC TIÊU, NHIỆM VỤ VÀ GIẢI PHÁP CHỦ YẾU NĂM 2024", "3.1. Về nông nghiệp"], "task"),
        (["V. TỔ CHỨC THỰC HIỆN", "Phòng Tài chính - Kế hoạch"], "task"),
        (["Chương IV. TRÁCH NHIỆM CỦA CÁC CƠ QUAN, ĐƠN VỊ", "Điều 9. Trách nhiệm của Văn phòng"], "task"),
        (["IV. KIẾN NGHỊ, ĐỀ XUẤT"], "proposal"),
        (["III. VỀ MỘT SỐ ĐỀ XUẤT, KIẾN NGHỊ"], "proposal"),
        (["I. MỤC ĐÍCH, YÊU CẦU", "2. Yêu cầu"], "other"),
        # Tone style and diacritics.
        (["2. Ton tai, han che"], "shortcoming"),
        (["2. Tồn tại, hạn chế"], "shortcoming"),
    ],
)
def test_kind_from_headings(path, kind):
    # The text is neutral: the heading path alone decides.
    assert passage_kind(path, "Nội dung chi tiết như sau.") == kind


def test_headings_beat_words():
    # Task words under a shortcoming heading, shortcoming words under a task heading.
    assert passage_kind(["2. Tồn tại, hạn chế"], "Giao Phòng Nội vụ khắc phục ngay, hoàn thành trước ngày 15/8/2024.") \
        == "shortcoming"
    text = "Tập trung khắc phục các tồn tại, hạn chế, tháo gỡ khó khăn, vướng mắc trong giải phóng mặt bằng."
    assert passage_kind(["II. NHIỆM VỤ TRỌNG TÂM"], text) == "task"
    assert passage_kind(["3. Nguyên nhân"], "Công tác phối hợp còn chậm, chưa chặt chẽ.") == "cause"


@pytest.mark.parametrize(
    "text, kind",
    [
        ("Tuy nhiên, tiến độ giải phóng mặt bằng còn chậm; một số chỉ tiêu chưa đạt kế hoạch, còn nhiều hạn chế.",
         "shortcoming"),
        ("Bên cạnh những kết quả đạt được, công tác cải cách hành chính vẫn còn một số hạn chế.", "shortcoming"),
        ("Nguyên nhân chủ yếu là một số hộ dân chưa đồng thuận với phương án bồi thường.", "cause"),
        ("Đề nghị Phòng Tài chính - Kế hoạch chủ trì, phối hợp với các cơ quan liên quan thực hiện.", "task"),
        ("Giao Trung tâm Y tế huyện tăng cường giám sát dịch bệnh, báo cáo trước ngày 10/9/2024.", "task"),
        ("Đối với kiến nghị của UBND xã Nà Ngần về hỗ trợ kinh phí: giao Phòng Tài chính - Kế hoạch xem xét.",
         "proposal"),
        ("Đề nghị UBND tỉnh xem xét bổ sung vốn cho dự án kè chống sạt lở.", "proposal"),
        ("Tổng thu ngân sách trên địa bàn ước đạt 81.450 triệu đồng, tăng 12,6% so với cùng kỳ; "
         "an ninh chính trị được giữ vững.", "result"),
        ("Ngày 12/9/2023, Thường trực Huyện ủy tổ chức hội nghị sơ kết.", "other"),
    ],
)
def test_kind_from_wording(text, kind):
    assert passage_kind([], text) == kind


def test_wording_is_silent_on_plain_text():
    assert wording_kind("Hội nghị có 50 đại biểu tham dự.") is None
    assert passage_kind([], "Hội nghị có 50 đại biểu tham dự.") == "other"


def test_agenda_item_heading_lets_the_wording_speak():
    # "Báo cáo …: Phòng X trình" is an agenda item: what it reports is a result, what is
    # decided about it a task.
    path = ["2. Báo cáo công tác đầu tư xây dựng cơ bản 9 tháng đầu năm: Phòng Tài chính - Kế hoạch trình"]
    assert passage_kind(path, "Qua xem xét, UBND huyện nhất trí, giao Phòng Tài chính - Kế hoạch tiếp thu, "
                              "hoàn thiện dự thảo Báo cáo.") == "task"
    assert passage_kind(path, "Tổng vốn đầu tư công đã giải ngân được 68.455 triệu đồng, đạt 38,7% kế hoạch.") \
        == "result"


def test_heading_kind_strength():
    assert heading_kind("1. Kết quả đạt được") == ("result", 2)
    assert heading_kind("Phòng Nội vụ") == ("task", 1)  # a unit heading only hints
    assert heading_kind("a) Lĩnh vực kinh tế") is None


# --------------------------------------------------------------------------
# Synthetic documents

NOTICE = """ỦY BAN NHÂN DÂN
**HUYỆN BẢN LỀ**

Số: 77/TB-UBND

*Bản Lề, ngày 05 tháng 8 năm 2024*

**THÔNG BÁO**

**Kết luận của Chủ tịch UBND huyện tại phiên họp thường kỳ tháng 7/2024**

Ngày 02/8/2024, UBND huyện Bản Lề họp phiên thường kỳ tháng 7/2024. Đồng chí Chủ tịch UBND huyện kết luận:

1. Kết quả đạt được

Tổng thu ngân sách ước đạt 42.100 triệu đồng, tăng 9,1% so với cùng kỳ; an ninh trật tự được giữ vững.

2. Tồn tại, hạn chế

Tuy nhiên, giải ngân vốn đầu tư công còn chậm; Phòng Tư pháp chưa hoàn thành rà soát văn bản trước ngày 30/6/2024.

3. Nhiệm vụ trọng tâm tháng 8/2024

Đồng chí Lò Văn Phiêng, Phó Chủ tịch UBND huyện trực tiếp chỉ đạo công tác phòng, chống thiên tai.

**Phòng Nông nghiệp và PTNT**

- Hướng dẫn nhân dân chăm sóc lúa mùa, hoàn thành trong tháng 8/2024.

- Phối hợp với Trạm Khuyến nông huyện, UBND xã Nà Ngần kiểm tra hệ thống kênh mương trước ngày 25/8/2024.

**Phòng Tài chính - Kế hoạch**

- Tham mưu UBND huyện điều chuyển vốn, báo cáo UBND tỉnh kết quả trước ngày 20 hằng tháng.

4. Các nội dung khác

- Chi cục Thuế khu vực Bản Lề: Tập trung chống thất thu thuế, hoàn thành dự toán trong Quý III/2024.

- Giao Trung tâm Y tế huyện chủ trì, phối hợp với UBND các xã, thị trấn giám sát dịch sốt xuất huyết.

- Đề nghị Ủy ban MTTQ Việt Nam huyện và các đoàn thể chính trị - xã hội huyện tuyên truyền, vận động nhân dân.

- Công an huyện chỉ đạo Công an các xã, thị trấn tăng cường tuần tra.

- Tăng cường công tác kiểm tra, giám sát trên các lĩnh vực.

Văn phòng HĐND và UBND huyện thông báo để các cơ quan, đơn vị biết, thực hiện./.

Nơi nhận:
- Như trên;
- Lưu: VT.

**TL. CHỦ TỊCH
CHÁNH VĂN PHÒNG**

Hà Thị Mai
"""

DIRECTIVE = """ỦY BAN NHÂN DÂN
HUYỆN BẢN LỀ

Số: 09/CT-UBND

Bản Lề, ngày 10 tháng 9 năm 2024

CHỈ THỊ

Về tăng cường phòng, chống dịch bệnh trên gia súc

Chủ tịch UBND huyện yêu cầu các cơ quan, đơn vị, địa phương thực hiện tốt các nội dung sau:

1. Phòng Nông nghiệp và PTNT

a) Chủ trì, phối hợp với Trạm Chăn nuôi và Thú y huyện kiểm tra các cơ sở giết mổ, báo cáo trước ngày 30/9.

b) Hướng dẫn UBND các xã lập hồ sơ hỗ trợ cho các hộ bị thiệt hại.

2. UBND các xã, thị trấn

a) Chủ tịch UBND các xã, thị trấn trực tiếp chỉ đạo công tác phòng, chống dịch trên địa bàn.

b) Tổ chức tiêu độc, khử trùng, hoàn thành trong tháng 10/2024.

Chủ tịch UBND huyện yêu cầu Thủ trưởng các cơ quan, đơn vị, Chủ tịch UBND các xã, thị trấn nghiêm túc triển khai thực hiện Chỉ thị này./.

KT. CHỦ TỊCH
PHÓ CHỦ TỊCH

Lò Văn Phiêng
"""

REPORT = """ỦY BAN NHÂN DÂN
HUYỆN BẢN LỀ

Số: 120/BC-UBND

Bản Lề, ngày 12 tháng 12 năm 2024

BÁO CÁO

Tình hình thực hiện nhiệm vụ năm 2024

I. KẾT QUẢ ĐẠT ĐƯỢC

Thu ngân sách đạt 104% dự toán; UBND huyện đã chỉ đạo các phòng chuyên môn triển khai kế hoạch.

II. NHIỆM VỤ NĂM 2025

1. Phòng Tài nguyên và Môi trường chủ trì lập kế hoạch sử dụng đất năm 2025, trình UBND huyện trong tháng 01/2025.

III. KIẾN NGHỊ, ĐỀ XUẤT

1. Đề nghị Sở Xây dựng sớm thẩm định dự án đường liên xã.

Trên đây là báo cáo tình hình thực hiện nhiệm vụ năm 2024 của UBND huyện Bản Lề./.

TM. ỦY BAN NHÂN DÂN
CHỦ TỊCH

Lương Văn Tâm
"""


def _doc(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    [raw] = list(read_file(path, tmp_path))
    return parse_document(raw)


def _by_start(doc, tasks):
    return {strip_item_label(doc.raw.text[t.char_span[0]:t.char_span[1]])[:30]: t for t in tasks}


def test_tasks_under_bold_unit_headings_and_lead_ins(tmp_path):
    doc = _doc(tmp_path, "tb-77.md", NOTICE)
    tasks = _by_start(doc, extract_tasks(doc))
    # Nothing from the results, the shortcomings, the closing formula or an item naming nobody.
    assert set(tasks) == {
        "Đồng chí Lò Văn Phiêng, Phó Ch",
        "Hướng dẫn nhân dân chăm sóc lú",
        "Phối hợp với Trạm Khuyến nông ",
        "Tham mưu UBND huyện điều chuyể",
        "Chi cục Thuế khu vực Bản Lề: T",
        "Giao Trung tâm Y tế huyện chủ ",
        "Đề nghị Ủy ban MTTQ Việt Nam h",
        "Công an huyện chỉ đạo Công an ",
    }
    person = tasks["Đồng chí Lò Văn Phiêng, Phó Ch"]
    assert person.assignees == ["Phó Chủ tịch UBND huyện Lò Văn Phiêng"]
    assert person.lead_person == "Lò Văn Phiêng"

    # A bullet under a bold unit heading belongs to that unit.
    rice = tasks["Hướng dẫn nhân dân chăm sóc lú"]
    assert rice.assignees == ["Phòng Nông nghiệp và PTNT"]
    assert (rice.deadline, rice.deadline_text) == ("2024-08", "hoàn thành trong tháng 8/2024")
    assert rice.heading_path[-1] == "Phòng Nông nghiệp và PTNT"
    canals = tasks["Phối hợp với Trạm Khuyến nông "]
    assert canals.assignees == ["Phòng Nông nghiệp và PTNT", "Trạm Khuyến nông huyện", "UBND xã Nà Ngần"]
    assert canals.deadline == "2024-08-25"
    # The unit reported to and advised is not an assignee; a monthly limit is no deadline.
    budget = tasks["Tham mưu UBND huyện điều chuyể"]
    assert budget.assignees == ["Phòng Tài chính - Kế hoạch"]
    assert budget.deadline is None

    # The item's own lead-in names the unit; the action is what follows it.
    tax = tasks["Chi cục Thuế khu vực Bản Lề: T"]
    assert tax.assignees == ["Chi cục Thuế khu vực Bản Lề"]
    assert tax.action.startswith("Tập trung chống thất thu thuế")
    assert tax.deadline == "2024-Q3"
    assert tasks["Giao Trung tâm Y tế huyện chủ "].assignees == ["Trung tâm Y tế huyện", "UBND các xã, thị trấn"]
    assert tasks["Đề nghị Ủy ban MTTQ Việt Nam h"].assignees == [
        "Ủy ban MTTQ Việt Nam huyện", "Các đoàn thể chính trị - xã hội huyện"]
    assert tasks["Công an huyện chỉ đạo Công an "].assignees == ["Công an huyện", "Công an các xã, thị trấn"]


def test_numbered_unit_headings_and_closing_formula(tmp_path):
    doc = _doc(tmp_path, "ct-09.txt", DIRECTIVE)
    tasks = extract_tasks(doc)
    assert [t.assignees for t in tasks] == [
        ["Phòng Nông nghiệp và PTNT", "Trạm Chăn nuôi và Thú y huyện"],
        ["Phòng Nông nghiệp và PTNT"],  # "hướng dẫn UBND các xã lập hồ sơ" gives the communes nothing
        ["Chủ tịch UBND các xã, thị trấn"],  # the item's own lead-in replaces its heading's unit
        ["UBND các xã, thị trấn"],
    ]
    # "trước ngày 30/9" takes its year from the document's date.
    assert [t.deadline for t in tasks] == ["2024-09-30", None, None, "2024-10"]
    kinds = section_kinds(doc)
    assert {kinds[t.section_id] for t in tasks} == {"task"}


def test_report_proposals_are_not_tasks(tmp_path):
    doc = _doc(tmp_path, "bc-120.txt", REPORT)
    tasks = extract_tasks(doc)
    # The results' "đã chỉ đạo các phòng chuyên môn" and the request to the province are not tasks.
    assert [(t.assignees, t.deadline) for t in tasks] == [(["Phòng Tài nguyên và Môi trường"], "2025-01")]
    kinds = section_kinds(doc)
    assert [kinds[s.id] for s in doc.sections if s.parent is None] == ["result", "task", "proposal"]


def test_section_kinds_inherit_down_the_tree(tmp_path):
    doc = _doc(tmp_path, "tb-77.md", NOTICE)
    kinds = section_kinds(doc)
    by_heading = {s.heading: kinds[s.id] for s in doc.sections}
    assert by_heading["1. Kết quả đạt được"] == "result"
    assert by_heading["2. Tồn tại, hạn chế"] == "shortcoming"
    assert by_heading["Phòng Tài chính - Kế hoạch"] == "task"  # a unit heading under the task section


@pytest.mark.parametrize(
    "text, units",
    [
        ("Phòng Kinh tế và Hạ tầng: Tiếp tục kiểm tra các điểm sạt lở.", ["Phòng Kinh tế và Hạ tầng"]),
        ("Giao Phòng Tài chính - Kế hoạch chủ trì, phối hợp với Phòng Nội vụ rà soát biên chế.",
         ["Phòng Tài chính - Kế hoạch", "Phòng Nội vụ"]),
        ("Đề nghị Ủy ban MTTQ và các đoàn thể huyện tuyên truyền.", ["Ủy ban MTTQ", "Các đoàn thể huyện"]),
        ("UBND các xã, thị trấn rà soát các hộ dân ở vùng sạt lở.", ["UBND các xã, thị trấn"]),
        ("Công an huyện xây dựng phương án bảo đảm an ninh.", ["Công an huyện"]),
        ("Phòng Kinh tế - Hạ tầng phối hợp với Ban quản lý dự án đầu tư xây dựng, các phòng, ban liên quan "
         "thực hiện kiểm tra, hoàn thành báo cáo UBND huyện, trước ngày 15/8/2024.",
         ["Phòng Kinh tế - Hạ tầng", "Ban quản lý dự án đầu tư xây dựng"]),
        ("Chủ trì, phối hợp với UBND thị trấn Nà Ngần, xã Pác Nặm hoàn thành kiểm đếm.",
         ["UBND thị trấn Nà Ngần", "UBND xã Pác Nặm"]),
        ("Đảng ủy các xã Nà Ngần, Pác Nặm lãnh đạo chính quyền.", ["Đảng ủy xã Nà Ngần", "Đảng ủy xã Pác Nặm"]),
        ("Các cơ quan chuyên môn, đơn vị sự nghiệp thuộc UBND huyện, UBND các xã, thị trấn: kích hoạt xác thực.",
         ["Các cơ quan chuyên môn thuộc UBND huyện", "Các đơn vị sự nghiệp thuộc UBND huyện", "UBND các xã, thị trấn"]),
        ("Huyện ủy, HĐND, UBND, Ủy ban MTTQ huyện Bản Lề tập trung chỉ đạo.",
         ["Huyện ủy Bản Lề", "HĐND huyện Bản Lề", "UBND huyện Bản Lề", "Ủy ban MTTQ huyện Bản Lề"]),
        ("Yêu cầu các cơ quan chủ quản (Sở Y tế, Sở Giáo dục và Đào tạo) ban hành hướng dẫn.",
         ["Sở Y tế", "Sở Giáo dục và Đào tạo"]),
        ("Điện lực Bản Lề khôi phục cấp điện cho các thôn.", ["Điện lực Bản Lề"]),
        ("Đề nghị UBND các huyện, thành phố chỉ đạo các cơ quan chuyên môn rà soát.",
         ["UBND các huyện, thành phố", "Các cơ quan chuyên môn"]),
        ("Phòng Giáo dục và Đào tạo chỉ đạo các trường mầm non, tiểu học, THCS trên địa bàn bảo đảm an toàn.",
         ["Phòng Giáo dục và Đào tạo", "Các trường mầm non, tiểu học, THCS trên địa bàn"]),
        ("Kho bạc Nhà nước tỉnh chỉ đạo Kho bạc Nhà nước khu vực Bản Lề kiểm soát chi.",
         ["Kho bạc Nhà nước tỉnh", "Kho bạc Nhà nước khu vực Bản Lề"]),
        # Named only as the receiver, the adviser's principal, the inspected or the proposer: nobody.
        ("Tham mưu UBND huyện ban hành kế hoạch; báo cáo Sở Nông nghiệp và PTNT kết quả.", []),
        ("Kiểm tra việc lãnh đạo đối với Đảng ủy xã Nà Ngần.", []),
        ("Đối với kiến nghị của UBND xã Pác Nặm về hỗ trợ giống: sẽ xem xét theo quy định.", []),
        # Addressees that cover everybody.
        ("Yêu cầu các cơ quan, đơn vị, địa phương nghiêm túc thực hiện.", []),
        ("Phối hợp với các sở, ngành liên quan rà soát.", []),
    ],
)
def test_units_named_as_assignees(text, units):
    assert find_units(text) == units


def test_assignee_key():
    assert assignee_key("Ủy ban nhân dân huyện Bản Lề") == assignee_key("UBND huyện Bản Lề")
    assert assignee_key("Uỷ ban MTTQ") == assignee_key("ỦY BAN MTTQ")
    assert assignee_key("Phòng Tài chính-Kế hoạch") == assignee_key("Phòng  Tài chính – Kế hoạch")
    assert assignee_key("Các xã, thị trấn") == assignee_key("các xã, thị trấn")
    # Different offices stay different.
    assert assignee_key("Phòng Kinh tế - Hạ tầng") != assignee_key("Phòng Kinh tế và Hạ tầng")


# --------------------------------------------------------------------------
# The seeds


def _seed(name):
    path = shared_path("corpus", "seeds", name)
    [raw] = list(read_file(path, path.parent))
    return parse_document(raw)


def test_seed_000_inspection_report_deadline():
    doc = _seed("000_032d8215efb2c131.txt")
    [task] = [t for t in extract_tasks(doc) if "Phòng Kinh tế - Hạ tầng" in t.assignees]
    assert task.assignees[0] == "Phòng Kinh tế - Hạ tầng"  # not the UBND huyện it reports to
    assert "UBND huyện" not in task.assignees
    assert (task.deadline, task.deadline_text) == ("2024-08-15", "trước ngày 15/8/2024")


def test_seed_001_storm_assignments():
    doc = _seed("001_c2a1555fca01a86f.txt")
    tasks = extract_tasks(doc)
    storm = next(t for t in tasks if "khắc phục hậu quả sau cơn bão số 03" in t.action)
    assert storm.assignees == ["Phòng Nông nghiệp và PTNT"]
    landslides = next(t for t in tasks if "nguy cơ sạt lở do ảnh hưởng của bão số 3" in t.action)
    assert landslides.assignees == ["Phòng Kinh tế và Hạ tầng"]
    investors = next(t for t in tasks if t.action.startswith("Tiếp tục khẩn trương thẩm định"))
    assert investors.assignees == ["Phòng Kinh tế và Hạ tầng", "Phòng Nông nghiệp và PTNT",
                                   "Phòng Lao động, Thương binh, Xã hội - Dân tộc", "Ban Quản lý dự án ĐTXD huyện"]
    communes = [t for t in tasks if t.heading_path[-1] == "d) UBND các xã, thị trấn"]
    assert len(communes) == 7
    assert all(t.assignees == ["UBND các xã, thị trấn"] for t in communes)
    assert any("khắc phục thiệt hại" in t.action and "bão số 3" in t.action for t in communes)
    culture = next(t for t in tasks if t.lead_person)
    assert culture.lead_person == "Triệu Đức Dũng"


def test_seed_002_report_has_no_tasks():
    assert extract_tasks(_seed("002_30f601d2edcf8a83.txt")) == []


# --------------------------------------------------------------------------
# The gold benchmark: regressions fail here


@pytest.fixture(scope="module")
def scores():
    return evaluate()


@pytest.mark.parametrize("corpus", ["samples", "seeds", "overall"])
def test_gold_targets(scores, corpus):
    r = scores[corpus]
    assert r["assignee_precision"] >= 0.9, r
    assert r["assignee_recall"] >= 0.85, r
    assert r["item_recall"] >= 0.9, r
    assert r["deadline_exact_rate"] == 1.0, r  # deadlines exact wherever the gold states one
    assert r["deadlines_spurious"] == 0, r


def test_gold_kind_accuracy(scores):
    assert scores["seeds"]["kind_passages"] >= 50
    assert scores["seeds"]["kind_accuracy"] >= 0.9, scores["seeds"]["differences"]
