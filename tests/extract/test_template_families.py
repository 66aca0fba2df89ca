"""Template families (issue 19): each fixture reproduces one CMS family's markup with our own text.

The gate (`test_extraction_gate.py`) scores every fixture against gold; these tests pin the rule
each family exercises and where each field came from, with template families on (the fast path)
and off (the general rules alone must reach the same fields).
"""

import json
from pathlib import Path

import pytest

from ingest.extract.article import extract

FIX = Path(__file__).parents[1] / "fixtures" / "extract"
GOLD = {
    g["file"]: g
    for g in (json.loads(x) for x in (FIX / "gold.jsonl").read_text("utf-8").splitlines() if x)
}
# One fixture per template family (docs/extraction.md lists what each reproduces).
FAMILY_FILES = [
    "vccorp-kbwc-2018.html",
    "vccorp-detail-2024.html",
    "fck-detail-2024.html",
    "split-body-inread.html",
    "content-detail-2026.html",
    "zce-article-2024.html",
    "singular-2023.html",
    "liferay-asset-2017.html",
    "sharepoint-publishing-2024.html",
    "wordpress-entry-2025.html",
    "div-paragraphs-2019.html",
    "photo-story-2022.html",
    "amp-mobile-2025.html",
    "article-lead-bold-2017.html",
    "district-portal-2021.html",
    # held out: written after the rules were done
    "the-article-2024.html",
    "article-body-split-2023.html",
    "views-detail-2020.html",
    "details-chapeau-2020.html",
    "headline-byline-dateline-2019.html",
    "c-detail-head-2023.html",
    "table-layout-br-2014.html",
]


def page(name: str, templates: bool = True):
    return extract((FIX / name).read_bytes(), GOLD[name]["url"], templates=templates)


def test_at_least_fifteen_families_and_the_held_out_ones_are_marked():
    assert len(FAMILY_FILES) >= 15 and set(FAMILY_FILES) <= set(GOLD)
    assert [f for f in FAMILY_FILES if GOLD[f].get("holdout")] == FAMILY_FILES[15:]


@pytest.mark.parametrize("templates", [True, False], ids=["fast-path", "general-rules"])
@pytest.mark.parametrize("name", FAMILY_FILES)
def test_family_fields_match_gold(name, templates):
    g = GOLD[name]
    r = page(name, templates)
    assert r.title == g["title"]
    assert (r.published or "")[:10] == g["published"][:10]
    assert r.author is not None and g["author"].casefold() in r.author.casefold()
    text = " ".join((r.lead + " " + r.text).split())
    assert [s for s in g["must_contain"] if s not in text] == []
    assert [s for s in g["must_not_contain"] if s in text] == []


def test_kbwc_meta_line_names_the_reporter_not_the_outlet_credit():
    r = page("vccorp-kbwc-2018.html")
    assert r.author == "Thu Trang"  # "Thu Trang, " + "Theo Thời Báo Mẫu"
    assert r.field_sources["author"] == "byline-class"
    assert r.field_sources["text"] == "template:vccorp-kbwc"
    assert r.published == "2018-09-14T10:30:00+07:00"
    assert "Làng nghề ven đô" not in r.text  # the read-more title after the body
    assert "Một nhóm bạn trẻ hướng dẫn du khách vẽ lên quạt giấy." in r.text  # caption kept


def test_outlet_account_in_meta_author_is_rejected_for_the_byline():
    r = page("vccorp-detail-2024.html")
    assert r.author == "Minh Khuê"  # <meta name=author content="THANH MAU ONLINE"> is an account
    assert r.lead.startswith("Lễ hội Thiết kế sáng tạo Hà Nội năm nay")  # "TTM - " dropped
    assert "Năm ngoái lễ hội thu hút" not in r.text  # RelatedOneNews box inside the body


def test_dash_joined_signature_keeps_the_printed_separator():
    r = page("fck-detail-2024.html")
    assert r.author == "Phương Linh - Đức Minh"
    assert r.field_sources["author"] == "byline-end"
    assert not r.text.endswith("Đức Minh")  # the signature line moved to `author`
    assert "hoanganh1989" not in r.text


@pytest.mark.parametrize("templates", [True, False])
def test_body_split_around_an_ad_slot_is_read_in_full(templates):
    r = page("split-body-inread.html", templates)
    assert r.text.startswith("Lớp học do một nhóm nghệ nhân trẻ")
    assert r.text.endswith("thành hoạt động ngoại khóa thường xuyên từ năm học tới.")
    assert r.author == "Lan Hương"  # signature before the "Theo Báo …" credit
    assert "Theo Báo Kinh tế Mẫu" not in r.text
    assert r.published == "2023-06-05T06:30:00+07:00"  # visible text only


def test_video_slot_between_two_text_containers():
    r = page("article-body-split-2023.html", templates=False)
    assert "Các sản phẩm đoạt giải gồm bộ ấm chén men lam" in r.text
    assert r.author == "PV/VOV.VN"  # initials with the outlet, as the last line
    assert r.lead.startswith("Mười hai sản phẩm")  # "VOV.VN - " dropped


def test_foreign_json_ld_offset_loses_to_the_visible_clock():
    r = page("zce-article-2024.html")
    assert (
        r.published == "2024-05-10T00:30:00+07:00"
    )  # JSON-LD says 00:30+08:00 (23:30 the day before)
    assert r.field_sources["published"] == "visible"
    assert r.author == "THANH HẢI"  # "BÀI VÀ ẢNH: THANH HẢI" under the body


def test_local_time_labelled_utc_is_read_as_hanoi_time():
    r = page("wordpress-entry-2025.html")
    assert r.published == "2025-12-19T21:40:00+07:00"  # meta says 21:40+00:00
    assert r.field_sources["published"] == "visible"
    assert r.author == "Hoàng Yến"  # not the "admin" account of the meta and the byline
    assert "Triển lãm rất đẹp" not in r.text and "Liên quan" not in r.text


def test_utc_labelled_json_ld_without_a_visible_clock_is_reinterpreted():
    r = page("c-detail-head-2023.html")
    assert r.published == "2023-11-20T00:15:00+07:00"  # visible day 20/11, JSON-LD 00:15+08:00


def test_us_format_metadata_date():
    r = page("sharepoint-publishing-2024.html")
    assert r.published == "2024-03-24T07:12:35+07:00"  # "3/24/2024 7:12:35 AM"
    assert r.field_sources["published"] == "meta"
    assert r.author == "TP"
    assert r.lead.startswith("Diễn đàn quy tụ đại diện")
    assert "Tin đã đưa" not in r.text and "Tìm kiếm tin bài" not in r.text


def test_portal_bold_first_div_is_the_lead_and_initials_sign():
    r = page("liferay-asset-2017.html")
    assert r.lead.startswith("Trong hai ngày 19 và 20/4")
    assert r.field_sources["lead"] == "lead-bold"
    assert r.author == "PV"
    assert r.published == "2017-04-21T08:15:00+07:00"
    assert r.text.startswith("Nội dung tập huấn tập trung")  # search label, menu row gone
    assert "Lịch công tác" not in r.text and "Quay lại" not in r.text


def test_div_paragraphs_and_the_last_paragraph_before_the_signature():
    r = page("div-paragraphs-2019.html")
    assert r.field_sources["text"] in ("container", "trafilatura")  # no template: general rules
    paras = r.text.split("\n\n")
    assert paras[0].startswith("Theo kế hoạch, việc cải tạo giữ nguyên kết cấu")
    assert (
        paras[-1]
        == "Dự kiến công trình đầu tiên trên phố Hàng Gai sẽ hoàn thành trong quý III năm nay."
    )
    assert r.author == "Minh Anh"


@pytest.mark.parametrize("templates", [True, False])
def test_story_told_in_captions_keeps_them(templates):
    r = page("photo-story-2022.html", templates)
    assert "Cửa bức bàn bằng gỗ lim của một ngôi nhà ống trên phố Hàng Buồm" in r.text
    assert r.text.endswith("mỗi dịp cuối tuần.")
    assert r.author == "Minh Đức"  # "Thực hiện: Minh Đức"


def test_unlabelled_meta_line_under_the_headline():
    r = page("amp-mobile-2025.html")
    assert r.author == "Quỳnh Anh"  # "Quỳnh Anh - Theo Tạp chí … | 05/06/2025 14:20"
    assert r.field_sources["author"] == "meta-line"
    assert r.published == "2025-06-05T14:20:00+07:00"
    assert r.field_sources["published"] == "visible"
    assert r.lead.startswith("Một căn hộ tầng trệt bỏ trống")  # bold first paragraph


def test_name_then_date_meta_line():
    r = page("details-chapeau-2020.html", templates=False)
    assert r.author == "Ngọc Diệp"  # "Ngọc Diệp • 09:05 - 18/06/2020"
    assert r.lead.startswith("Một nhóm sinh viên thiết kế công nghiệp")  # id="chapeau"


def test_camel_case_lead_class_inside_the_body():
    r = page("article-lead-bold-2017.html")
    assert r.lead.startswith("Từ tháng 4, các nhóm nhạc trẻ")
    assert r.field_sources["lead"] == "lead-class"
    assert not r.text.startswith("Từ tháng 4")


def test_reporter_credited_with_her_outlet():
    r = page("district-portal-2021.html")
    assert r.author == "Thu Hằng"  # "Theo Thu Hằng (Báo Hà Nội Mẫu)"
    assert r.field_sources["author"] == "byline-end"
    assert "Theo Thu Hằng" not in r.text


def test_old_table_layout_with_br_paragraphs():
    r = page("table-layout-br-2014.html")
    assert r.title == "Làng nghề mây tre đan đưa sản phẩm mới tới hội chợ mùa thu"
    assert r.published == "2014-09-22T15:40:00+07:00"  # "Cập nhật lúc 15:40 ngày 22/09/2014"
    assert r.author == "Hoàng Lan"
    assert len(r.text.split("\n\n")) == 4  # four paragraphs split at <br><br>


def test_a_title_case_line_without_date_or_credit_is_not_a_meta_line_byline():
    html = (
        "<html><head><title>t</title></head><body><div class='main'>"
        "<h1>Những con phố mang tên nghề thủ công ở Hà Nội</h1>"
        "<div class='cat'><a href='/di-san'>Hoan Kiem Lake</a></div>"
        "<div class='content'>"
        + "<p>Một đoạn văn đủ dài về những con phố nghề của khu phố cổ Hà Nội xưa và nay.</p>" * 4
        + "</div></div></body></html>"
    )
    r = extract(html)
    assert r.author is None
