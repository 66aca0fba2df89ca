"""Every source's `article_pattern` against real URLs: the article and non-article links of the
saved listing pages in ../shared/corpus, and the URL shapes ../shared/SOURCES-FACTS.md gives
(articles match; menus, sections, topics, tags, pagination and feeds do not).

The corpus part is skipped when ../shared is absent. What counts as an article link there is
decided by each site's article shape as SOURCES-FACTS describes it, written here on its own
and deliberately loose (any number of id digits), so a pattern too strict for real ids (the
Báo Chính phủ one rejected 4 of 34) fails here, and so does one loose enough to take a menu.
"""

from __future__ import annotations

import csv
import re

import pytest
from conftest import REPO, SHARED_CORPUS

from ingest.config import Source, load_sources
from ingest.crawl.discover import page_links
from ingest.crawl.urls import canonicalize, in_scope

SOURCES = load_sources(REPO / "sources.yaml")

# site -> (source id, the article shape from SOURCES-FACTS / the corpus manifest, loosely)
ARTICLE_SHAPES = {
    "baochinhphu.vn": ("baochinhphu", r"^https://baochinhphu\.vn/[a-z0-9-]+-102\d+\.htm$"),
    "dantri.com.vn": ("dantri", r"^https?://dantri\.com\.vn/[a-z0-9-]+/[a-z0-9-]+-\d{17}\.htm$"),
    "nld.com.vn": ("nguoilaodong", r"^https://nld\.com\.vn/[a-z0-9-]+-\d{12,}\.htm$"),
    "sotttt.hanoi.gov.vn": ("sotttt_hanoi", r"/-/view_content/\d+-[a-z0-9-]+\.html$"),
    "tuoitre.vn": ("tuoitre", r"^https://tuoitre\.vn/[a-z0-9-]+-\d{12,}\.htm$"),
    "vietnamnet.vn": ("vietnamnet", r"^https://vietnamnet\.vn/[a-z0-9-]+-\d{6,}\.html$"),
    "vnexpress.net": ("vnexpress", r"^https://vnexpress\.net/[a-z0-9-]+-\d{6,}\.html$"),
}

# URL shapes SOURCES-FACTS gives, as full URLs (the slugs are ours): (source, url, is article)
FACT_URLS = [
    ("hanoimoi", "https://hanoimoi.vn/le-hoi-thiet-ke-sang-tao-mo-man-538828.html", True),
    ("hanoimoi", "https://hanoimoi.vn/khong-gian-sang-tao-ben-ho-1212418.html", True),
    ("hanoimoi", "https://hanoimoi.vn/van-hoa/cong-nghiep-van-hoa", False),
    ("hanoimoi", "https://hanoimoi.vn/van-hoa/cong-nghiep-van-hoa/trang-2", False),
    ("hanoimoi", "https://hanoimoi.vn/ha-noi-ket-noi", False),
    ("nhandan", "https://nhandan.vn/ha-noi-thanh-pho-sang-tao-post812345.html", True),
    ("nhandan", "https://nhandan.vn/vanhoa/", False),
    ("nhandan", "https://nhandan.vn/rss/vanhoa-1251.rss", False),
    ("vietnamplus", "https://www.vietnamplus.vn/ha-noi-sang-tao-post1137474.vnp", True),
    ("vietnamplus", "https://www.vietnamplus.vn/tag/thiet-ke-tag12345.vnp", False),
    ("vietnamplus", "https://www.vietnamplus.vn/tags/Ha-Noi.vnp", False),
    ("dantri", "https://dantri.com.vn/van-hoa/le-hoi-thiet-ke-20241109080000123.htm", True),
    ("dantri", "https://dantri.com.vn/van-hoa.htm", False),
    ("dantri", "https://dantri.com.vn/van-hoa/trang-2.htm", False),
    ("vnexpress", "https://vnexpress.net/ha-noi-sang-tao-4426992.html", True),
    ("vnexpress", "https://vnexpress.net/chu-de/ha-noi-1234", False),
    ("tuoitre", "https://tuoitre.vn/ha-noi-thiet-ke-sang-tao-20241109080000123.htm", True),
    ("tuoitre", "https://tuoitre.vn/trang-2.htm", False),
    ("tuoitre", "https://tuoitre.vn/nld/bai-cua-nguoi-lao-dong-196241109080000123.htm", False),
    ("nguoilaodong", "https://tuoitre.vn/nld/bai-cua-nguoi-lao-dong-196241109080000123.htm", True),
    ("nguoilaodong", "https://tuoitre.vn/ha-noi-thiet-ke-sang-tao-20241109080000123.htm", False),
    ("thanhnien", "https://thanhnien.vn/ha-noi-sang-tao-185241109080000123.htm", True),
    ("thanhnien", "https://thanhnien.vn/van-hoa.htm", False),
    ("vietnamnet", "https://vietnamnet.vn/ha-noi-sang-tao-2495349.html", True),
    ("vietnamnet", "https://vietnamnet.vn/gia-vang-tag14642850852768478603.html", False),
    ("baochinhphu", "https://baochinhphu.vn/ha-noi-sang-tao-102260903170016698.htm", True),
    ("baochinhphu", "https://baochinhphu.vn/ha-noi-sang-tao-10226090317001669.htm", True),
    ("baochinhphu", "https://baochinhphu.vn/chu-de/thanh-pho-sang-tao-276.htm", False),
    ("vov", "https://vov.vn/van-hoa/le-hoi-thiet-ke-post1120000.vov", True),
    ("vov", "https://vov.vn/van-hoa/le-hoi-thiet-ke-912345.vov", True),
    ("vov", "https://vov.vn/van-hoa/nghe-si/trang2", False),
    ("tienphong", "https://tienphong.vn/ha-noi-sang-tao-post1690000.tpo", True),
    ("tienphong", "https://tienphong.vn/van-hoa/", False),
    (
        "hanoi_portal",
        "https://hanoi.gov.vn/tin-so-nganh/ha-noi-sang-tao-4250808215021297.htm",
        True,
    ),
    ("hanoi_portal", "https://hanoi.gov.vn/tin-so-nganh", False),
    ("hanoi_portal", "https://hanoi.gov.vn/infographics", False),
    ("bvhttdl", "https://bvhttdl.gov.vn/ha-noi-thanh-pho-sang-tao-20240417151437044.htm", True),
    ("bvhttdl", "https://bvhttdl.gov.vn/tin-tuc-va-su-kien.htm", False),
    ("sovhtt_hanoi", "https://sovhtt.hanoi.gov.vn/le-hoi-thiet-ke-sang-tao-ha-noi-2024/", True),
    ("sovhtt_hanoi", "https://sovhtt.hanoi.gov.vn/quan-ly/ke-hoach-to-chuc-le-hoi-thiet-ke/", True),
    ("sovhtt_hanoi", "https://sovhtt.hanoi.gov.vn/lien-he/", False),
    ("sovhtt_hanoi", "https://sovhtt.hanoi.gov.vn/page/2/", False),
    ("sovhtt_hanoi", "https://sovhtt.hanoi.gov.vn/category/tin-tuc-su-kien-noi-bat-moi/", False),
    ("sovhtt_hanoi", "https://sovhtt.hanoi.gov.vn/wp-login.php", False),
    ("sovhtt_hanoi", "https://sovhtt.hanoi.gov.vn/en/", False),
    ("baotintuc", "https://baotintuc.vn/van-hoa/ha-noi-sang-tao-20241109080000123.htm", True),
    ("baotintuc", "https://baotintuc.vn/van-hoa-158ct0/trang-2.htm", False),
    ("baotintuc", "https://baotintuc.vn/van-hoa.rss", False),
    ("laodongthudo", "https://laodongthudo.vn/le-hoi-thiet-ke-sang-tao-184703.html", True),
    ("laodongthudo", "https://laodongthudo.vn/van-hoa/tin-tuc", False),
    ("laodongthudo", "https://laodongthudo.vn/van-hoa", False),
]


def source(sid: str) -> Source:
    return SOURCES.get(sid)


def accepts(src: Source, url: str) -> bool:
    """What discovery keeps from a source's pages: in scope and matching its pattern (and the
    listing's own pattern, when the URL came from a listing)."""
    canon = canonicalize(url)
    if not in_scope(canon, src.scope_hosts()):
        return False
    return src.article_pattern is None or re.search(src.article_pattern, canon) is not None


@pytest.mark.parametrize(("sid", "url", "is_article"), FACT_URLS)
def test_patterns_follow_the_url_shapes_of_the_facts(sid: str, url: str, is_article: bool):
    assert accepts(source(sid), url) is is_article


def test_every_enabled_source_with_discovery_beyond_feeds_has_a_pattern():
    """Sitemaps, listings and search hand discovery every link of a page: without a pattern a
    menu or a login page would be stored as an article. (kinhtedothi and baoquocte have no
    known article shape: their sitemap/feed lists only articles.)"""
    missing = [
        s.id
        for s in SOURCES.sources
        if s.enabled
        and (s.listings or s.search)
        and not s.article_pattern
        and not all(lst.article_pattern for lst in s.listings)
    ]
    assert missing == []


def corpus_listings() -> list[dict]:
    manifest = SHARED_CORPUS / "MANIFEST.tsv"
    if not manifest.exists():
        pytest.skip("../shared/corpus is not here")
    with open(manifest, encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh, delimiter="\t") if r["kind"] == "listing"]


def test_patterns_take_every_article_and_no_menu_of_the_real_listings():
    checked: dict[str, tuple[int, int]] = {}
    for row in corpus_listings():
        if row["site"] not in ARTICLE_SHAPES:
            continue  # an outlet we do not crawl (cafef, baodautu)
        sid, shape = ARTICLE_SHAPES[row["site"]]
        src = source(sid)
        body = (SHARED_CORPUS / row["file"]).read_bytes()
        links = {u for u, problem in page_links(body, row["original_url"], None) if not problem}
        own = sorted(u for u in links if in_scope(u, src.scope_hosts()))
        articles = [u for u in own if re.search(shape, u)]
        others = [u for u in own if u not in articles]
        assert [u for u in articles if not accepts(src, u)] == [], row["file"]
        assert [u for u in others if accepts(src, u)] == [], row["file"]
        checked[row["file"]] = (len(articles), len(others))
    assert checked["html/baochinhphu-listing-1.html"][0] == 34  # the count
    assert all(n_articles > 0 and n_others > 0 for n_articles, n_others in checked.values())
    assert len(checked) == 10


def test_corpus_article_pages_match_their_source():
    manifest = SHARED_CORPUS / "MANIFEST.tsv"
    if not manifest.exists():
        pytest.skip("../shared/corpus is not here")
    with open(manifest, encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh, delimiter="\t") if r["kind"] == "article"]
    matched = 0
    for row in rows:
        if row["site"] not in ARTICLE_SHAPES:
            continue
        sid, _ = ARTICLE_SHAPES[row["site"]]
        assert accepts(source(sid), row["original_url"]), row["original_url"]
        matched += 1
    assert matched == 23  # the 26 article pages but cafef's and baodautu's
