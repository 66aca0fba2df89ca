"""Byline rules: real reporters in, publishers, CMS accounts and credits out."""

import pytest

from ingest.extract.byline import (
    byline_from_lines,
    clean_name,
    is_account_name,
    is_publisher_name,
    valid_authors,
)

SITE = ("Báo điện tử Mẫu", "baomau.vn")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Bài: Phạm Thu", ["Phạm Thu"]),
        ("Bài và ảnh: Lê Văn Tám", ["Lê Văn Tám"]),
        ("Tin, ảnh: Ngô Lan", ["Ngô Lan"]),
        ("Trịnh Hà  (tổng hợp)", ["Trịnh Hà"]),
        ("Theo Đào Hạnh", ["Đào Hạnh"]),  # in JSON-LD "Theo X" still names a person
        ("MINH KHÔI;TÚ ANH", ["MINH KHÔI", "TÚ ANH"]),
        ("MINH KHÔI - TÚ ANH", ["MINH KHÔI", "TÚ ANH"]),
        ("Hải Yến và Quốc Bảo", ["Hải Yến", "Quốc Bảo"]),
        ("Bảo Ngọc", ["Bảo Ngọc"]),  # "Bảo" is a name, "Báo" is a newspaper
        ("Minh Thu", ["Minh Thu"]),  # no diacritics, still a name
    ],
)
def test_valid_authors(raw, expected):
    assert valid_authors(raw, SITE) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "admin admin",
        "Ad Min",
        "Pho Ban bien tap",
        "Ban Biên Tập",
        "Báo Mẫu",
        "baomau.vn",
        "BAO MAU VN",
        "TIN MOI ONLINE",
        "Ảnh: Hoàng Nam",
        "Quang cảnh buổi lễ khai mạc",  # a caption, not a name
        "Theo Báo Kinh tế Mẫu",
        "",
    ],
)
def test_rejected(raw):
    assert valid_authors(raw, SITE) == []


def test_account_and_publisher_predicates():
    assert is_account_name("Quản trị viên")
    assert not is_account_name("Phạm Văn Linh")
    assert is_publisher_name("Báo điện tử Mẫu", SITE)
    assert not is_publisher_name("Bảo Anh", SITE)
    assert clean_name("Bài và ảnh: Phạm Linh (tổng hợp).") == "Phạm Linh"


def test_signature_lines_prefer_explicit_byline():
    lines = [
        "Khách tham quan xếp hàng trước cổng",
        "Bài: Đỗ Mai",
        "Ảnh: Vũ Khoa",
        "Pho Ban bien tap",
    ]
    assert byline_from_lines(lines) == "Đỗ Mai"


def test_signature_lines_take_first_bare_name_before_cms_account():
    assert byline_from_lines(["Xem văn bản chi tiết tại đây./.", "Thu Phạm", "Trần Văn Quản"]) == (
        "Thu Phạm"
    )


def test_source_credit_at_the_end_is_not_an_author():
    assert byline_from_lines(["Theo Sài Thành Ngày Nay"]) is None
    assert byline_from_lines(["Nguồn: Cổng thông tin Mẫu"]) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Hoàng Sơn/VOV.VN", ["Hoàng Sơn"]),
        ("Thu Hằng (TTXVN/Vietnam+)", ["Thu Hằng"]),
        ("Minh Anh - TTXVN", ["Minh Anh"]),
    ],
)
def test_outlet_suffixes_are_stripped(raw, expected):
    assert valid_authors(raw, SITE) == expected


@pytest.mark.parametrize(
    ("lead", "expected"),
    [
        ("(Dân trí) - Giá vé giảm", "Giá vé giảm"),
        ("(NLĐO)- Hội chợ mở cửa", "Hội chợ mở cửa"),
        ("TTO - Sáng nay, hội nghị", "Sáng nay, hội nghị"),
        ("KTĐT - Ủy ban ban hành", "Ủy ban ban hành"),
        ("VOV.VN - Chiều qua", "Chiều qua"),
        ("Kinhtedothi - Sáng 2/10", "Sáng 2/10"),
        ("TGVN. Sáng 13/12", "Sáng 13/12"),
        ("TP. Hồ Chí Minh có thêm", "TP. Hồ Chí Minh có thêm"),
        ("Hà Nội - nơi hội tụ", "Hà Nội - nơi hội tụ"),
        ("PGS. Nguyễn Văn A cho biết", "PGS. Nguyễn Văn A cho biết"),
    ],
)
def test_source_prefix_of_lead(lead, expected):
    from ingest.extract.article import _strip_source_prefix

    assert _strip_source_prefix(lead) == expected


# ---------------------------------------------------------------- issue 19: more bylines


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["Phương Linh - Đức Minh"], "Phương Linh - Đức Minh"),  # printed separator kept
        (["Hải Yến và Quốc Bảo"], "Hải Yến và Quốc Bảo"),
        (["NHẬT XUÂN;NGHI VŨ"], "NHẬT XUÂN, NGHI VŨ"),
        (["Minh Anh - TTXVN"], "Minh Anh"),  # the agency dropped, so no printed join
    ],
)
def test_several_names_keep_the_way_the_page_joined_them(lines, expected):
    assert byline_from_lines(lines, SITE) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("PV", "PV"),
        ("TP", "TP"),
        ("PV/VOV.VN", "PV/VOV.VN"),
        ("H.A", "H.A"),
        ("Nhóm PV", "Nhóm PV"),
    ],
)
def test_initials_as_a_signature(line, expected):
    from ingest.extract.byline import initials

    assert initials(line) == expected


@pytest.mark.parametrize("line", ["TTXVN", "VOV", "Hà", "Quang cảnh", "UBND"])
def test_not_initials(line):
    from ingest.extract.byline import initials

    assert initials(line) is None


def test_theo_a_reporter_with_her_outlet():
    from ingest.extract.byline import theo_person

    assert theo_person("Theo Thu Hằng (Báo Hà Nội Mẫu)", SITE) == "Thu Hằng"
    assert theo_person("Theo Minh Anh/VOV.VN", SITE) == "Minh Anh"
    assert theo_person("Theo Sài Thành Ngày Nay", SITE) is None  # a bare "Theo X": an outlet
    assert theo_person("Theo Báo Mẫu (Hà Nội)", SITE) is None


@pytest.mark.parametrize(
    "raw", ["Thanh Niên", "Dân Trí", "Tiền Phong", "Hà Nội", "TP.HCM", "Đà Nẵng"]
)
def test_outlets_and_places_that_read_like_names(raw):
    assert valid_authors(raw, SITE) == []


def test_place_names_that_are_also_given_names_stay_names():
    assert valid_authors("Thái Bình", SITE) == ["Thái Bình"]


def test_end_of_body_signature_order():
    from ingest.extract.authors import from_end

    body = ["Đoạn mở đầu của bài viết khá dài.", "Đoạn cuối của bài viết."]
    assert from_end([*body, "PV", "Theo Báo Mẫu"], SITE) == "PV"  # initials before the credit
    assert from_end([*body, "Lan Hương", "Theo Báo Kinh tế Mẫu"], SITE) == "Lan Hương"
    assert from_end([*body, "Theo Thu Hằng (Báo Mẫu)"], SITE) == "Thu Hằng"
    assert from_end([*body, "Ảnh: Vũ Khoa"], SITE) is None


def test_credit_lines_are_not_sentences():
    from ingest.extract.authors import is_credit_line

    assert is_credit_line("Theo Báo Kinh tế Mẫu")
    assert is_credit_line("(Theo TTXVN)")
    assert is_credit_line("Nguồn: Cổng thông tin Mẫu")
    assert not is_credit_line("Theo kế hoạch, trung tâm sẽ tổ chức bốn cuộc triển lãm.")
    assert not is_credit_line("Theo Sở Văn hóa, lễ hội kéo dài chín ngày.")
