"""The bundled sample sites: data counts and labels, served pages, feeds, sitemaps, conditional
GET, search, the generated sources.yaml and the offline gold set."""

from __future__ import annotations

import gzip
import json
import re
import unicodedata
from datetime import datetime
from email.utils import parsedate_to_datetime

import feedparser
import httpx
import pytest
from protego import Protego

from ingest.config import load_sources
from ingest.testing.samplesites import (
    build_sites,
    default_base_urls,
    expected_labels,
    load_articles,
    render_all,
    serve,
)
from ingest.testing.samplesites.gold import visible_text

SIX = {
    "design_center",
    "creative_spaces",
    "talent_tv",
    "design_festival",
    "sea_forum",
    "young_designers",
}
FESTIVAL_2023_TITLE = "Lễ hội Thiết kế sáng tạo Hà Nội 2023 khai mạc với chủ đề kết nối di sản"


@pytest.fixture(scope="module")
def sites():
    with serve({}) as s:  # every outlet on an ephemeral port
        yield s


@pytest.fixture(scope="module")
def client():
    with httpx.Client(timeout=5) as c:
        yield c


def article(article_id: str):
    return next(a for a in load_articles() if a.id == article_id)


# ---- data --------------------------------------------------------------------------------------


def test_data_meets_the_counts():
    arts = load_articles()
    relevant = [a for a in arts if a.relevant]
    assert len(arts) == 43
    assert len(relevant) == 27
    assert len(arts) - len(relevant) == 16
    assert {a.outlet for a in arts} == {"thudo", "dothi", "sovhtt", "tonghop"}
    initiatives = {lb.id for a in relevant for lb in a.initiatives}
    assert initiatives == SIX | {"uccn_membership", "cultural_industry"}
    agencies = {lb.id for a in relevant for lb in a.agencies}
    assert len(agencies) == 17
    assert {"hanoi_pc", "doc_sports", "hanoi_tv", "hanoi_museum", "unesco_office"} <= agencies
    assert min(a.published for a in arts) >= datetime.fromisoformat("2019-07-01T00:00:00+07:00")
    assert max(a.published for a in arts) < datetime.fromisoformat("2026-11-01T00:00:00+07:00")


def test_every_evidence_occurs_verbatim_in_its_article():
    checked = 0
    for a in load_articles():
        fields = [a.title, a.lead, *a.body]
        for lb in (*a.initiatives, *a.agencies):
            assert any(lb.evidence in f for f in fields), (a.id, lb.id)
            checked += 1
        if not a.relevant:
            assert not a.initiatives, a.id
    # 119 since issue 14: the issuer of a cited resolution is an actor (labelling guide), so
    # sv-2025-cultural-centres also names hanoi_party
    assert checked == 119


def test_text_is_nfc_and_uses_varied_agency_spellings():
    arts = load_articles()
    for a in arts:
        assert unicodedata.normalize("NFC", a.text) == a.text, a.id
    corpus = "\n".join(a.text for a in arts)
    for spelling in (
        "UBND TP Hà Nội",
        "Ủy ban nhân dân thành phố Hà Nội",
        "Uỷ ban nhân dân",
        "Sở VH&TT",
        "Sở VHTT",
        "Thành uỷ Hà Nội",
        "Ban Tuyên giáo Thành ủy",
        "HĐND TP",
        "Đài Phát thanh và Truyền hình Hà Nội",
        "Lễ hội Thiết kế sáng tạo Hà Nội",
    ):
        assert spelling in corpus, spelling


def test_syndicated_copies_share_a_story_key():
    arts = load_articles()
    wire = [a for a in arts if a.story == "festival-2023-opening"]
    assert {a.id: a.outlet for a in wire} == {
        "td-2023-festival-open": "thudo",
        "dt-2023-festival-open-copy": "dothi",
        "sv-2023-festival-open-copy": "sovhtt",
        "th-2023-festival-short": "tonghop",
    }
    original = article("td-2023-festival-open")
    assert len({a.title for a in wire}) == 4 and len({a.lead for a in wire}) == 4
    assert article("dt-2023-festival-open-copy").body == original.body
    assert article("th-2023-festival-short").body == original.body[:4]
    assert article("th-2023-festival-short").via == "Thủ Đô Ngày Nay"
    # look-alike openings of different years are different stories
    assert article("td-2022-festival-open").story != article("td-2024-festival-open").story


def test_expected_labels_answer_key():
    labels = {rec["id"]: rec for rec in expected_labels()}
    assert len(labels) == 43
    plan = labels["sv-2022-plan-102"]
    assert plan["outlet"] == "sovhtt" and plan["relevant"] is True
    assert {i["id"] for i in plan["initiatives"]} == SIX | {"uccn_membership"}
    assert plan["url"].startswith("/tin-tuc-su-kien/-/view_content/")
    talent = labels["dt-2023-talent-final"]
    assert talent["agencies"] == [
        {
            "id": "hanoi_tv",
            "evidence": "Chương trình do Đài Phát thanh và Truyền hình Hà Nội sản "
            "xuất, được phát sóng vào tối thứ bảy hằng tuần trong suốt ba tháng.",
        },
        {
            "id": "vn_architects",
            "evidence": "Ban giám khảo gồm đại diện Hội Kiến trúc sư Việt Nam, "
            "các nhà thiết kế thời trang và một nghệ nhân sơn mài.",
        },
    ]
    assert labels["th-2023-talent-copy"]["story"] == "talent-2023-final"
    assert labels["td-2024-startup-office"]["relevant"] is False


# ---- served pages ------------------------------------------------------------------------------


def test_serves_a_known_article_with_its_title(sites, client):
    a = article("td-2023-festival-open")
    r = client.get(sites.base_urls["thudo"] + a.path)
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert f'<h1 class="title-page detail">{FESTIVAL_2023_TITLE}</h1>' in r.text
    assert f'<link rel="canonical" href="{sites.base_urls["thudo"]}{a.path}">' in r.text
    assert "(Thủ Đô Ngày Nay) - Tối 11/11" in r.text
    assert "Thứ bảy, 11/11/2023 - 21:00 (GMT+7)" in r.text
    ld = json.loads(re.search(r'ld\+json">(.*?)</script>', r.text).group(1))
    assert ld["headline"] == FESTIVAL_2023_TITLE
    assert ld["datePublished"] == "2023-11-11T21:00:00+07:00"
    assert ld["author"]["name"] == "Phương Linh"


def test_portal_page_has_section_title_and_cms_account_line(sites, client):
    a = article("sv-2022-talent-tv")
    html = client.get(sites.base_urls["sovhtt"] + a.path).text
    assert "<title>Tin tức - Sự kiện</title>" in html
    assert (
        "<h3>Phát động chương trình truyền hình Tài năng sáng tạo Hà Nội mùa đầu tiên</h3>" in html
    )
    assert "Ngày đăng: 15/09/2022 10:20" in html
    assert "Người đăng: admin" in html and "<strong>Bài: Thanh Tùng</strong>" in html


def test_tracking_params_serve_the_same_page_and_unknown_paths_404(sites, client):
    a = article("dt-2023-talent-final")
    base = sites.base_urls["dothi"]
    plain = client.get(base + a.path)
    tracked = client.get(base + a.path + "?utm_source=facebook&utm_medium=social")
    assert plain.content == tracked.content
    assert (
        "<title>Chung kết Tài năng sáng tạo Hà Nội tôn vinh những thiết kế từ chất liệu tái chế - Đô Thị Mới</title>"
        in plain.text
    )
    missing = client.get(base + "/khong-co-trang-nay.html")
    assert missing.status_code == 404
    assert "Không tìm thấy trang" in missing.text


def test_rss_feeds_parse_with_expected_items(sites, client):
    expected = {
        "thudo": ("/rss/home.rss", 15),
        "dothi": ("/rss/tin-moi-nhat.rss", 12),
        "sovhtt": ("/rss", 10),
        "tonghop": ("/feed/", 6),
    }
    for oid, (path, count) in expected.items():
        r = client.get(sites.base_urls[oid] + path)
        assert r.headers["content-type"] == "application/rss+xml; charset=utf-8"
        feed = feedparser.parse(r.content)
        assert not feed.bozo, oid
        assert len(feed.entries) == count, oid
    feed = feedparser.parse(client.get(sites.base_urls["thudo"] + "/rss/home.rss").content)
    newest = feed.entries[0]
    assert newest.title == "Festival Huế 2026 hút khách với các chương trình nghệ thuật đường phố"
    assert newest.published == "Mon, 08 Jun 2026 07:30:00 +0700"


def test_sitemap_index_and_gzipped_child(sites, client):
    base = sites.base_urls["thudo"]
    index = client.get(base + "/sitemap.xml").text
    children = re.findall(r"<loc>([^<]+)</loc>", index)
    assert len(children) == 14
    gz = [c for c in children if c.endswith(".gz")]
    assert gz == [base + "/sitemaps/sitemap-2019-07.xml.gz"]
    child = client.get(gz[0])
    assert child.status_code == 200
    xml = gzip.decompress(child.content).decode("utf-8")
    assert re.findall(r"<loc>([^<]+)</loc>", xml) == [base + article("td-2019-dossier").path]
    plain = client.get(base + "/sitemaps/sitemap-2023-11.xml").text
    assert plain.count("<url>") == 2


def test_google_news_sitemap(sites, client):
    xml = client.get(sites.base_urls["dothi"] + "/sitemap-news.xml").text
    assert xml.count("<news:news>") == 12
    assert "<news:publication_date>2023-06-08T14:05:00+07:00</news:publication_date>" in xml


def test_robots_names_sitemap_and_disallows(sites, client):
    base = sites.base_urls["tonghop"]
    text = client.get(base + "/robots.txt").text
    rp = Protego.parse(text)
    assert list(rp.sitemaps) == [base + "/sitemap.xml"]
    assert not rp.can_fetch(base + "/?s=ha+noi", "HanoiCreativeKB")
    assert rp.can_fetch(base + article("th-2025-halong").path, "HanoiCreativeKB")


def test_conditional_get_returns_304(sites, client):
    url = sites.base_urls["sovhtt"] + "/rss"
    first = client.get(url)
    etag, lastmod = first.headers["etag"], first.headers["last-modified"]
    assert parsedate_to_datetime(lastmod) == datetime.fromisoformat("2025-10-06T11:00:00+07:00")
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": lastmod}).status_code == 304
    stale = "Mon, 01 Jan 2024 00:00:00 GMT"
    assert client.get(url, headers={"If-Modified-Since": stale}).status_code == 200
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    served = [r for r in sites.requests if r.outlet == "sovhtt" and r.path == "/rss"]
    assert [r.status for r in served][-4:] == [304, 304, 200, 200]


def test_search_matches_folded_phrases_and_paginates(sites, client):
    base = sites.base_urls["thudo"]
    r = client.get(base + "/tim-kiem", params={"q": "le hoi thiet ke sang tao ha noi"})
    assert "Tìm thấy 4 kết quả" in r.text
    p1 = client.get(base + "/tim-kiem", params={"q": "thành phố sáng tạo", "page": 1}).text
    p2 = client.get(base + "/tim-kiem", params={"q": "thành phố sáng tạo", "page": 2}).text
    assert "Tìm thấy 6 kết quả" in p1
    assert p1.count('class="story"') == 5 and p2.count('class="story"') == 1
    dothi = client.get(
        sites.base_urls["dothi"] + "/tim-kiem", params={"q": "Đài Phát thanh và Truyền hình Hà Nội"}
    ).text
    assert article("dt-2023-talent-final").path in dothi


def test_listing_pagination_and_tracking_links(sites, client):
    base = sites.base_urls["thudo"]
    page1 = client.get(base + "/van-hoa.htm").text
    assert page1.count('class="story"') == 4
    assert 'href="/van-hoa/trang-2.htm">Trang sau' in page1
    assert "utm_source=chuyenmuc" in page1
    assert client.get(base + "/van-hoa/trang-3.htm").text.count('class="story"') == 1
    assert client.get(base + "/van-hoa/trang-4.htm").status_code == 404


def test_sources_yaml_validates_and_patterns_match(sites, tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text(sites.sources_yaml(), encoding="utf-8")
    cfg = load_sources(path)
    assert [s.id for s in cfg.sources] == ["thudo", "dothi", "sovhtt", "tonghop"]
    assert [s.kind for s in cfg.sources] == ["news", "news", "government", "news"]
    for src in cfg.sources:
        assert src.politeness.min_delay == 0 and src.politeness.concurrency == 4
        assert src.feeds and src.sitemaps and src.listings
        rx = re.compile(src.article_pattern)
        for a in load_articles():
            url = sites.base_urls[a.outlet] + a.path
            assert bool(rx.search(url)) == (a.outlet == src.id), (src.id, url)
    assert cfg.get("sovhtt").search.url.endswith("/tim-kiem?keyword={query}&page={page}")
    assert cfg.get("tonghop").search is None


def test_now_hides_later_articles_and_feeds_are_stable():
    early = build_sites(default_base_urls(), now="2020-01-01")
    assert [a.id for a in early["thudo"].articles] == ["td-2019-book-fair", "td-2019-dossier"]
    again = build_sites(default_base_urls(), now="2020-01-01")
    assert (
        early["thudo"].routes["/rss/home.rss"].body == again["thudo"].routes["/rss/home.rss"].body
    )


# ---- offline gold ------------------------------------------------------------------------------


def test_render_all_writes_pages_and_gold(tmp_path):
    pages = render_all(tmp_path)
    assert len(pages) == 43
    golds = [json.loads(line) for line in (tmp_path / "gold.jsonl").read_text("utf-8").splitlines()]
    assert len(golds) == 43
    assert [g["file"] for g in golds] == [p.name for p in pages]
    for g in golds:
        assert list(g) == [
            "file",
            "url",
            "title",
            "published",
            "author",
            "must_contain",
            "must_not_contain",
        ]
        assert len(g["must_contain"]) == 4 and len(g["must_not_contain"]) == 4
        page = visible_text((tmp_path / g["file"]).read_text("utf-8"))
        for s in g["must_contain"] + g["must_not_contain"]:
            assert s in page, (g["file"], s)
    by_file = {g["file"]: g for g in golds}
    g = by_file["thudo-td-2023-festival-open.html"]
    assert g["title"] == FESTIVAL_2023_TITLE
    assert g["published"] == "2023-11-11T21:00:00+07:00" and g["author"] == "Phương Linh"
    assert g["url"] == "http://127.0.0.1:8101" + article("td-2023-festival-open").path
    assert g["must_contain"][0].startswith("Tối 11/11, tại khu vực phố đi bộ Hoàn Kiếm")
    # the first must_not_contain is the inline related box inside the body container
    html = (tmp_path / g["file"]).read_text("utf-8")
    body = html[
        html.index('<div class="singular-content">') : html.index('<div class="tags-wrap">')
    ]
    assert g["must_not_contain"][0] in body
    assert by_file["tonghop-th-2023-talent-copy.html"]["author"] is None
    assert by_file["sovhtt-sv-2022-plan-102.html"]["must_not_contain"][2] == "Người đăng: admin"


def test_portal_pages_past_the_end_are_404_not_page_one(sites, client):
    base = sites.base_urls["sovhtt"]
    assert client.get(base + "/tin-tuc-su-kien?page=3").text.count('class="story"') == 2
    assert client.get(base + "/tin-tuc-su-kien?page=4").status_code == 404
    assert client.get(base + "/tin-tuc-su-kien/di-san?page=2").status_code == 404
    first = client.get(base + "/tin-tuc-su-kien?page=1&utm_source=zalo")
    assert first.content == client.get(base + "/tin-tuc-su-kien").content
    a = article("sv-2024-creative-spaces")
    assert client.get(base + a.path + "?page=2").status_code == 200
