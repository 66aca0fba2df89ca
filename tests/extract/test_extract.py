"""Extraction of hand-written pages that reproduce the layouts of Vietnamese news and portals.

One test per concern: exact fields, what must and must not appear, and where each field came from.
"""

import unicodedata
from pathlib import Path

import pytest

from ingest.extract.article import EXTRACTOR_VERSION, extract

FIX = Path(__file__).parents[1] / "fixtures" / "extract"


def page(name: str, url: str | None = None):
    return extract((FIX / name).read_bytes(), url)


@pytest.fixture(scope="module")
def news():
    return page("news-sapo-h2.html", "https://thudo.example/van-hoa/bai-12345.html")


@pytest.fixture(scope="module")
def portal():
    return page("portal-section-title.html")


def test_news_headline_is_the_visible_h1_without_site_suffix(news):
    assert news.title == "Hà Nội mở rộng mạng lưới không gian sáng tạo ven hồ"
    assert news.field_sources["title"] == "h1"


def test_news_sapo_h2_outside_the_body_is_the_lead_without_source_prefix(news):
    assert news.lead.startswith("Ba điểm sinh hoạt nghệ thuật mới quanh hồ Tây")
    assert "(TĐNM)" not in news.lead
    assert news.field_sources["lead"] == "lead-class"
    assert "Ba điểm sinh hoạt" not in news.text  # text excludes the lead


def test_news_body_paragraphs_in_order(news):
    paras = news.text.split("\n\n")
    assert paras[0].startswith("Theo kế hoạch do Sở Văn hóa và Thể thao Hà Nội soạn thảo")
    assert paras[-1] == (
        "Chương trình nằm trong chuỗi hoạt động hướng tới Lễ hội Thiết kế sáng tạo Hà Nội, "
        "dự kiến kéo dài chín ngày vào giữa tháng 11."
    )


@pytest.mark.parametrize(
    "boiler",
    [
        "Tin liên quan",
        "Khởi động tuần lễ thiết kế mùa đông ở phố cổ",  # inline related box inside the body
        "Tin cùng chuyên mục",
        "Xem nhiều nhất",
        "Chia sẻ",
        "Cơ quan chủ quản",
        "Bài và ảnh",  # the signature line is metadata, not text
    ],
)
def test_news_boilerplate_is_dropped(news, boiler):
    assert boiler not in news.text


def test_news_author_from_signature_not_publisher(news):
    # JSON-LD and meta name the outlet; the bold line at the end names the reporter
    assert news.author == "Trần Minh Anh"
    assert news.field_sources["author"] == "byline-end"


def test_news_date_from_jsonld_despite_trailing_comma(news):
    assert news.published == "2024-11-10T07:45:00+07:00"
    assert news.field_sources["published"] == "json-ld"


def test_news_canonical_is_absolute_and_metadata_recorded(news):
    assert news.canonical_url == (
        "https://thudo.example/van-hoa/ha-noi-mo-rong-mang-luoi-khong-gian-sang-tao-ven-ho-12345.html"
    )
    assert news.language == "vi"
    assert news.extractor_version == EXTRACTOR_VERSION
    assert news.error is None and news.ok


def test_portal_title_is_the_story_not_the_section_h1(portal):
    assert portal.title == "Quận Hoàn Kiếm tập huấn cho nghệ nhân về thiết kế bao bì"
    assert portal.field_sources["title"] == "title-block"


def test_portal_date_12_hour_clock_with_prefix_and_weekday(portal):
    assert portal.published == "2023-11-13T15:15:00+07:00"
    assert portal.field_sources["published"] == "visible"


def test_portal_author_from_bai_line_not_cms_account(portal):
    assert portal.author == "Lê Thu Hà"


def test_portal_text_and_boilerplate(portal):
    assert portal.lead == ""  # the summary exists only in <meta description>
    assert portal.text.startswith("Trong hai ngày cuối tuần, Ủy ban nhân dân quận Hoàn Kiếm")
    for boiler in ("Các tin khác", "Thông báo lịch tiếp công dân", "In bài viết", "admin", "Ảnh:"):
        assert boiler not in portal.text


def test_windows_1258_page_decodes_to_nfc():
    r = page("windows-1258.html")
    assert r.title == "Làng gốm Bát Tràng đón đoàn nhà thiết kế trẻ"
    assert r.lead.startswith("Hơn hai mươi nhà thiết kế trẻ từ nhiều nước Đông Nam Á")
    assert "nghệ nhân gốm" in r.lead  # cp1258 combining tones recomposed
    assert unicodedata.is_normalized("NFC", r.title + r.lead + r.text)
    assert r.published == "2023-06-08T09:20:00+07:00"  # "ngày 8 tháng 6 năm 2023"
    assert r.author == "Nguyễn Văn Bình"
    assert "Nguyễn Văn Bình" not in r.text  # the signature line moved to `author`


def test_layout_table_page_reads_as_paragraphs_not_a_table_row():
    r = page("windows-1258.html")
    assert "|" not in r.text
    assert r.text.split("\n\n")[0].startswith(
        "Chuyến đi do mạng lưới các nhà thiết kế sáng tạo trẻ"
    )


def test_english_edition_detected_despite_lang_vi():
    r = page("english-edition.html")
    assert r.language == "en"
    assert r.title == "Hanoi design festival opens with lantern parade"
    assert r.published == "2024-11-09T19:30:00+07:00"  # JSON-LD UTC → Hanoi time
    assert r.author == "Laura Chen, Đặng Hoàng Nam"
    assert "Related news" not in r.text and "All rights reserved" not in r.text


def test_decomposed_page_is_normalised_and_account_signature_ignored():
    r = page("decomposed-nfd.html")
    assert unicodedata.is_normalized("NFC", r.title + r.text + (r.author or ""))
    assert r.title == "Phố đi bộ Trịnh Công Sơn thử nghiệm chợ phiên thủ công"
    assert r.published == "2022-12-05T20:15:00+07:00"
    assert r.author == "Hoàng Yến"  # "Phóng viên:" box; the "Ban Biên Tập" line is an account
    assert "Ban Biên Tập" not in r.text
    assert "Uỷ ban nhân dân quận" in r.text  # tone placement kept as written


def test_str_input_gives_the_same_record_as_bytes():
    raw = (FIX / "news-sapo-h2.html").read_bytes()
    assert extract(raw.decode("utf-8")) == extract(raw)


def test_plain_h2_after_headline_is_the_lead_and_top_byline_is_the_author():
    r = page("news-top-byline.html")
    assert r.title == "Bảo tàng thành phố thử nghiệm không gian thiết kế mở"  # "Báo X |" dropped
    assert r.lead.startswith("Một tầng trưng bày của bảo tàng được dọn trống")
    assert r.field_sources["lead"] == "h2-after-title"
    assert r.author == "Nguyễn Thảo"
    assert r.field_sources["author"] == "byline-top"
    assert r.published == "2023-06-08T10:05:00+07:00"
    paras = r.text.split("\n\n")
    assert paras[0].startswith("Không gian mới có bàn làm việc chung")  # byline line removed
    assert "Đọc thêm" not in r.text and "Bảo tàng mở cửa buổi tối" not in r.text


def test_commenter_name_and_comment_time_are_not_author_and_date():
    html = (
        "<html><head><title>Trang mẫu</title></head><body>"
        "<h1>Chợ phiên cuối tuần kéo dài thêm một giờ</h1><div class='content'>"
        "<p>Ban quản lý cho biết các gian hàng sẽ mở cửa đến mười giờ đêm trong suốt mùa lễ hội.</p>"
        "<p>Người bán hàng được yêu cầu thu dọn rác trước khi rời khỏi khu vực chợ phiên.</p></div>"
        "<div class='comment-list'><span class='comment-author'>Lý Thị Mai</span>"
        "<span class='comment-time'>12/10/2024 08:00</span><p>Rất hay, mong mở cả ngày thường.</p>"
        "</div></body></html>"
    )
    r = extract(html)
    assert r.title == "Chợ phiên cuối tuần kéo dài thêm một giờ"
    assert r.author is None and r.published is None
    assert "Rất hay" not in r.text


def test_agency_layout_author_with_agency_suffix_and_photo_table():
    r = page("agency-style.html")
    assert r.author == "Thu Hằng"  # "(TTXVN/…)" suffix removed; meta author is the outlet
    assert r.field_sources["author"] == "byline-class"
    assert r.published == "2023-11-13T10:15:00+07:00"
    assert "|" not in r.text  # the photo table is not rendered as a table row
    assert "Tin liên quan" not in r.text and "Thành phố ven biển" not in r.text


def test_city_portal_section_h1_dateline_prefix_and_source_credit():
    r = page("city-portal.html")
    assert r.title == "Thành phố ban hành kế hoạch hỗ trợ trung tâm thiết kế sáng tạo năm 2025"
    assert r.published == "2025-03-21T10:30:00+07:00"  # "10:30 | 21/03/2025": time first
    assert r.author == "Thu Hà"  # not the "Nguồn:" credit
    # the bold first paragraph is the page's sapo (issue 19): it is the lead, "KTĐT - " dropped
    assert r.lead.startswith("Ủy ban nhân dân Thành phố vừa ban hành")
    assert r.field_sources["lead"] == "lead-bold"
    assert r.text.startswith("Theo kế hoạch, trung tâm sẽ tổ chức")
    assert "KTĐT" not in r.lead + r.text
    assert "Nguồn:" not in r.text and "Thu Hà" not in r.text


def test_logo_h1_with_the_site_name_is_not_the_headline():
    html = (
        "<html><head><title>Mở lớp múa rối dịp hè - Báo điện tử Phố Hội "
        "Online</title><meta property='og:site_name' content='Báo điện tử Phố Hội Online'></head>"
        "<body><header><h1 class='logo'>Báo điện tử Phố Hội Online</h1></header><div class='main'>"
        "<div class='title'>Mở lớp múa rối dịp hè</div><div class='content'>"
        "<p>Lớp học kéo dài bốn tuần, mỗi tuần ba buổi, do các nghệ sĩ của nhà hát trực tiếp dạy.</p>"
        "<p>Phụ huynh có thể đăng ký tại quầy vé hoặc qua số điện thoại đường dây nóng của nhà hát.</p>"
        "</div></div></body></html>"
    )
    r = extract(html)
    # the site-name part of <title> is longer than the headline: it must not make the logo win
    assert r.title == "Mở lớp múa rối dịp hè"
    assert r.field_sources["title"] == "title-block"


def test_relative_canonical_without_page_url_is_dropped():
    raw = (FIX / "news-sapo-h2.html").read_bytes()
    r = extract(raw)  # no URL to resolve "/van-hoa/…" against
    assert r.canonical_url is None
    assert "canonical_url" not in r.field_sources
    with_url = extract(raw, "https://thudo.example/x.html")
    assert with_url.field_sources["canonical_url"] == "link"


def test_jsonld_article_beats_the_webpage_wrapper_listed_first():
    html = (
        "<html><head><script type='application/ld+json'>"
        '[{"@type": "WebPage", "name": "Chuyên mục Văn hóa", "datePublished": "2020-01-01"},'
        ' {"@type": "NewsArticle", "headline": "Phố sách mở thêm quầy đọc miễn phí",'
        ' "datePublished": "2024-05-06T09:00:00+07:00"}]'
        "</script></head><body><div class='content'>"
        "<p>Từ tuần này, phố sách bố trí thêm ba quầy đọc miễn phí cho học sinh vào buổi chiều.</p>"
        "<p>Các quầy mở cửa đến tám giờ tối và có người hướng dẫn chọn sách theo độ tuổi.</p>"
        "</div></body></html>"
    )
    r = extract(html)
    assert r.title == "Phố sách mở thêm quầy đọc miễn phí"
    assert r.published == "2024-05-06T09:00:00+07:00"
