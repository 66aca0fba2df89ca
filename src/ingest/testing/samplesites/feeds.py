"""RSS 2.0 feeds, sitemaps (index + monthly children, Google News, plain urlset) and robots.txt.

All timestamps come from the articles themselves, never from the clock, so the same data always
yields the same bytes and a second crawl can be answered with 304 Not Modified.
"""

from __future__ import annotations

import gzip
from collections import defaultdict
from datetime import datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape as xml_escape

from .data import Article, Outlet

RSS_ITEMS = 20


def x(text: str) -> str:
    return xml_escape(text, {'"': "&quot;"})


def rss(outlet: Outlet, base_url: str, feed_path: str, articles: list[Article]) -> str:
    """The newest RSS_ITEMS articles, newest first, with RFC 822 pubDate in +0700."""
    items = sorted(articles, key=lambda a: a.published, reverse=True)[:RSS_ITEMS]
    build = format_datetime(items[0].published) if items else "Mon, 01 Jul 2019 00:00:00 +0700"
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">',
        "<channel>",
        f"<title>{x(outlet.name)} - Tin mới nhất</title>",
        f"<link>{base_url}/</link>",
        f"<description>Tin mới nhất của {x(outlet.name)}</description>",
        "<language>vi</language>",
        f"<lastBuildDate>{build}</lastBuildDate>",
        f'<atom:link href="{base_url}{feed_path}" rel="self" type="application/rss+xml"/>',
    ]
    for a in items:
        url = base_url + a.path
        out += [
            "<item>",
            f"<title>{x(a.title)}</title>",
            f"<link>{x(url)}</link>",
            f'<guid isPermaLink="true">{x(url)}</guid>',
            f"<description>{x(a.lead)}</description>",
            f"<category>{x(outlet.categories[a.category])}</category>",
            f"<pubDate>{format_datetime(a.published)}</pubDate>",
            "</item>",
        ]
    out += ["</channel>", "</rss>", ""]
    return "\n".join(out)


def urlset(base_url: str, articles: list[Article]) -> str:
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    for a in sorted(articles, key=lambda a: a.published, reverse=True):
        out.append(
            f"<url><loc>{x(base_url + a.path)}</loc><lastmod>{a.published.isoformat()}</lastmod></url>"
        )
    out += ["</urlset>", ""]
    return "\n".join(out)


def news_sitemap(outlet: Outlet, base_url: str, articles: list[Article]) -> str:
    """A Google News sitemap (news:publication_date and news:title on every entry)."""
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
        ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">',
    ]
    for a in sorted(articles, key=lambda a: a.published, reverse=True):
        out.append(
            f"<url><loc>{x(base_url + a.path)}</loc><news:news><news:publication>"
            f"<news:name>{x(outlet.short)}</news:name><news:language>vi</news:language>"
            f"</news:publication><news:publication_date>{a.published.isoformat()}"
            f"</news:publication_date><news:title>{x(a.title)}</news:title></news:news></url>"
        )
    out += ["</urlset>", ""]
    return "\n".join(out)


def monthly(articles: list[Article]) -> dict[str, list[Article]]:
    """Articles grouped by "YYYY-MM", oldest month first."""
    groups: dict[str, list[Article]] = defaultdict(list)
    for a in articles:
        groups[f"{a.published:%Y-%m}"].append(a)
    return dict(sorted(groups.items()))


def child_path(month: str, gzipped: bool) -> str:
    return f"/sitemaps/sitemap-{month}.xml" + (".gz" if gzipped else "")


def sitemap_index(base_url: str, months: dict[str, list[Article]], gzipped: set[str]) -> str:
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    for month, arts in sorted(months.items(), reverse=True):
        newest = max(a.published for a in arts)
        out.append(
            f"<sitemap><loc>{base_url}{child_path(month, month in gzipped)}</loc>"
            f"<lastmod>{newest.isoformat()}</lastmod></sitemap>"
        )
    out += ["</sitemapindex>", ""]
    return "\n".join(out)


def gzip_bytes(data: bytes) -> bytes:
    """gzip with a zero mtime so the compressed bytes are stable."""
    return gzip.compress(data, mtime=0)


def robots(base_url: str, sitemap_paths: list[str], disallow: list[str]) -> str:
    lines = ["User-agent: *", *(f"Disallow: {d}" for d in disallow), ""]
    lines += ["User-agent: BadBot", "Disallow: /", ""]
    lines += [f"Sitemap: {base_url}{p}" for p in sitemap_paths]
    return "\n".join(lines) + "\n"


def newest(articles: list[Article], default: datetime) -> datetime:
    return max((a.published for a in articles), default=default)
