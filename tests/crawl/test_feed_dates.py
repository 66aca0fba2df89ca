"""Dates with provenance: feed dates read in Hanoi time, and a page that shows no date takes
its feed item's date (else its sitemap entry's), recorded in `published_source`."""

from __future__ import annotations

import dataclasses
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
from conftest import run_nightly

from ingest.crawl.discover import feed_items, parse_feed
from ingest.models import ArticleRecord, Discovered, Extracted
from ingest.stages import date_from_discovery, published_source
from ingest.testing.generate import make_article, render_page, sources_yaml
from ingest.testing.loopback import LoopbackServer, send

ICT = timezone(timedelta(hours=7))


def rss(*items: tuple[str, str]) -> bytes:
    body = "".join(
        f"<item><title>Tin</title><link>{link}</link><pubDate>{when}</pubDate></item>"
        for link, when in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel>{body}</channel></rss>'.encode()


@pytest.mark.parametrize(
    ("written", "hanoi"),
    [
        ("Sun, 10 Nov 2024 01:30:00 +0700", "2024-11-10T01:30:00+07:00"),  # keeps its day
        ("Sat, 09 Nov 2024 18:30:00 GMT", "2024-11-10T01:30:00+07:00"),  # UTC: the next day
        ("2024-11-10T01:30:00+07:00", "2024-11-10T01:30:00+07:00"),  # Atom style
        ("2024-11-09T18:30:00Z", "2024-11-10T01:30:00+07:00"),
        ("Sun, 10 Nov 2024 01:30:00", "2024-11-10T01:30:00+07:00"),  # no zone: Hanoi's
        ("10/11/2024 01:30", "2024-11-10T01:30:00+07:00"),  # day first, as Vietnamese sites
    ],
)
def test_feed_dates_are_read_in_hanoi_time(written: str, hanoi: str):
    items = feed_items(rss(("https://bao.test/a-1.htm", written)), "https://bao.test/rss")
    assert [i.published for i in items] == [hanoi]
    assert parse_feed(rss(("https://bao.test/a-1.htm", written)), "https://bao.test/rss")[0][1] == (
        "2024-11-10"
    )


def test_the_page_date_wins_and_a_borrowed_date_says_where_from():
    d = Discovered(
        "https://bao.test/a", "t", "feed", None, None, "2024-11-10T01:30:00+07:00", "feed"
    )
    page = ArticleRecord("t", d.url, discovered=d, extracted=Extracted(text="x", published=None))
    date_from_discovery(page)
    assert page.extracted.published == "2024-11-10T01:30:00+07:00"
    assert published_source(page.extracted) == "feed"
    dated = Extracted(
        text="x", published="2024-11-09T08:00:00+07:00", field_sources={"published": "visible"}
    )
    own = ArticleRecord("t", d.url, discovered=d, extracted=dated)
    date_from_discovery(own)
    assert own.extracted.published == "2024-11-09T08:00:00+07:00"
    assert published_source(own.extracted) == "page"
    for signal, expected in (("json-ld", "json-ld"), ("meta", "meta"), ("time-tag", "page")):
        ex = Extracted(text="x", published="2024-01-01T00:00:00+07:00")
        ex.field_sources["published"] = signal
        assert published_source(ex) == expected
    assert published_source(Extracted(text="x")) is None


def test_undated_pages_take_the_feed_date_else_the_sitemap_date(prefect_harness, tmp_path):
    """Through the real flow: the page that shows no date and whose feed item says 01:30 on
    10 Nov keeps that day; the one only in the sitemap takes its publication date; a page
    with its own date keeps it whatever the feed says."""
    night = datetime(2024, 11, 10, 1, 30, tzinfo=ICT)
    undated = dataclasses.replace(make_article(1, seed=61), published=night)
    sitemap_only = dataclasses.replace(make_article(2, seed=61), published=night)
    dated = make_article(3, seed=61)
    with LoopbackServer() as srv:
        base = srv.base
        feed = rss(
            (base + undated.path, "Sun, 10 Nov 2024 01:30:00 +0700"),
            (base + dated.path, "Mon, 11 Nov 2024 09:00:00 +0700"),  # the page says otherwise
        )
        sitemap = (
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
            ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
            f"<url><loc>{base}{sitemap_only.path}</loc><lastmod>2024-11-12T10:00:00+07:00"
            "</lastmod><news:news><news:publication_date>2024-11-09T22:15:00+07:00"
            "</news:publication_date></news:news></url></urlset>"
        ).encode()
        pages = {
            undated.path: render_page(undated, base, "no_date"),
            sitemap_only.path: render_page(sitemap_only, base, "no_date"),
            dated.path: render_page(dated, base),
        }
        srv.routes.update(
            {
                "/rss.xml": lambda h: send(h, 200, feed, "application/rss+xml"),
                "/sitemap.xml": lambda h: send(h, 200, sitemap, "application/xml"),
                "*": lambda h: send(h, 200, pages[h.path]) if h.path in pages else send(h, 404),
            }
        )
        entry = {
            "id": "ngay",
            "name": "Báo Ngày Tháng",
            "kind": "news",
            "home": base + "/",
            "feeds": [base + "/rss.xml"],
            "sitemaps": [base + "/sitemap.xml"],
            "politeness": {"min_delay": 0, "concurrency": 4, "timeout": 3, "retries": 0},
        }
        sources = tmp_path / "sources.yaml"
        sources.write_text(sources_yaml([entry]), encoding="utf-8")
        state = run_nightly(sources, tmp_path / "kb.db", publish=False)
    assert state.is_completed(), state.message
    conn = sqlite3.connect(tmp_path / "kb.db")
    got = {
        url.removeprefix(base): row
        for url, *row in conn.execute(
            "select url, published, published_date, published_source from articles"
        )
    }
    counts = conn.execute("select dated_from_feed, no_date from source_runs").fetchone()
    conn.close()
    assert got == {
        undated.path: ["2024-11-10T01:30:00+07:00", "2024-11-10", "feed"],
        sitemap_only.path: ["2024-11-09T22:15:00+07:00", "2024-11-09", "sitemap"],
        dated.path: [dated.published.isoformat(), dated.published.date().isoformat(), "meta"],
    }
    assert counts == (2, 0)  # dated from feed or sitemap, counted apart from "no date"
