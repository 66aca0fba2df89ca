"""Discovery parsing on the feeds and sitemaps real sites serve, including broken ones."""

from __future__ import annotations

import asyncio
import gzip

from ingest.config import Source
from ingest.crawl.discover import Discoverer, article_links, parse_feed, parse_sitemap
from ingest.crawl.fetch import Fetcher
from ingest.testing.loopback import LoopbackServer, send

MALFORMED_RSS = """<?xml version="1.0" encoding="iso-8859-1"?>
<rss version="2.0"><channel><title>Văn hóa</title>
<item><title><![CDATA[<b>Lễ hội</b> Thiết kế sáng tạo]]></title>
<link>https://bao.test/le-hoi-thiet-ke-123.htm?utm_source=rss&a=1</link>
<pubDate>Fri, 11 Nov 2022 08:00:00 +0700</pubDate>
<enclosure url="https://img.test/a.jpg?w=1&h=2" type="image/jpeg"/></item>
<item><title>Hai</title><link>https://bao.test/hai-124.htm</link></item>
</channel></rss>""".encode()


def test_malformed_feed_still_yields_entries():
    entries = parse_feed(MALFORMED_RSS, "https://bao.test/rss.xml")
    assert [e[0] for e in entries] == [
        "https://bao.test/le-hoi-thiet-ke-123.htm?utm_source=rss&a=1",
        "https://bao.test/hai-124.htm",
    ]
    assert entries[0][1] == "2022-11-11"
    assert entries[0][2] == "Lễ hội Thiết kế sáng tạo"  # HTML stripped from the title


def test_sitemap_index_urlset_and_google_news():
    index = b"""<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
    <sitemap><loc>https://bao.test/sitemaps/news-2023-11.xml.gz</loc><lastmod>2023-11-30</lastmod></sitemap>
    </sitemapindex>"""
    parsed = parse_sitemap(index)
    assert parsed.children == [("https://bao.test/sitemaps/news-2023-11.xml.gz", "2023-11-30")]
    news = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
      xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url>
      <loc>https://bao.test/a-1.htm</loc><news:news><news:publication_date>2024-11-09T08:00:00+07:00
      </news:publication_date><news:title>A</news:title></news:news></url></urlset>"""
    assert parse_sitemap(gzip.compress(news)).urls == [
        ("https://bao.test/a-1.htm", "2024-11-09T08:00:00+07:00")
    ]


def test_broken_sitemap_falls_back_to_loc_scan():
    broken = b"<urlset><url><loc>https://bao.test/a-1.htm</loc></url><url><loc>https://bao.test/b-2.htm?x=1&amp;y=2</loc>"
    assert [u for u, _ in parse_sitemap(broken).urls] == [
        "https://bao.test/a-1.htm",
        "https://bao.test/b-2.htm?x=1&y=2",
    ]


def test_article_links_resolve_and_canonicalise():
    html = b"""<html><body><a href="/van-hoa/a-123.htm#binh-luan">A</a>
    <a href="https://bao.test/van-hoa/a-123.htm?utm_medium=x">A again</a>
    <a href="/lien-he">contact</a></body></html>"""
    assert article_links(html, "https://bao.test/van-hoa", r"-\d+\.htm$") == [
        "https://bao.test/van-hoa/a-123.htm"
    ]


def test_sitemap_with_50000_urls_and_robots_sitemap_line():
    urls = "".join(f"<url><loc>http://127.0.0.1/x/a-{i}.htm</loc></url>" for i in range(50_000))
    big = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'

    with LoopbackServer() as srv:
        big_local = big.replace("http://127.0.0.1/", f"{srv.base}/").encode()
        srv.routes.update(
            {
                "/robots.txt": lambda h: send(
                    h, 200, f"Sitemap: {srv.base}/big.xml\n".encode(), "text/plain"
                ),
                "/big.xml": lambda h: send(h, 200, gzip.compress(big_local), "application/x-gzip"),
            }
        )
        src = Source(
            id="t",
            name="T",
            kind="news",
            home=srv.base + "/",
            feeds=[srv.base + "/missing.rss"],
            politeness={"min_delay": 0},
        )

        async def go():
            async with Fetcher("TestBot/1") as f:
                return await Discoverer(f, src).run()

        report = asyncio.run(go())
    assert len(report.found) == 50_000
    assert report.found[0].found_via.endswith("/big.xml")
    assert any("missing.rss" in e and "HTTP 404" in e for e in report.errors)
