"""Sitemaps as part of the frontier: tolerant parsing, child sitemaps with their own validators
and lastmod, an unchanged index still leading to a changed child, newest children first."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from pathlib import Path

from conftest import run_nightly

from ingest.config import Source
from ingest.crawl import discover as disc
from ingest.crawl.discover import Discoverer, parse_sitemap
from ingest.crawl.fetch import Fetcher
from ingest.testing.generate import generate, render_page, sources_yaml
from ingest.testing.loopback import LoopbackServer, send


def test_raw_ampersands_and_an_unclosed_url_keep_every_loc_intact():
    body = (
        b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>https://bao.test/a/1.html?x=1&y=2</loc><lastmod>2024-11-01</lastmod>"
        b"<url><loc>https://bao.test/a/2.html?p=3&amp;q=4&r</loc><lastmod>2024-11-02</lastmod>"
        b"</url><url><loc>https://bao.test/a/3.html?s=&#38;t</loc></url>"
        b"<url><loc>https://bao.test/a/4.html</loc><lastmod>2024-11-04</lastmod></url></urlset>"
    )
    assert parse_sitemap(body).urls == [
        ("https://bao.test/a/1.html?x=1&y=2", "2024-11-01"),
        ("https://bao.test/a/2.html?p=3&q=4&r", "2024-11-02"),
        ("https://bao.test/a/3.html?s=&t", None),
        ("https://bao.test/a/4.html", "2024-11-04"),
    ]


def test_unclosed_sitemap_entries_in_an_index_stay_children():
    body = (
        b"<sitemapindex><sitemap><loc>https://bao.test/sm/1.xml</loc>"
        b"<sitemap><loc>https://bao.test/sm/2.xml</loc><lastmod>2024-02-01</lastmod></sitemap>"
        b"</sitemapindex>"
    )
    parsed = parse_sitemap(body)
    assert parsed.children == [
        ("https://bao.test/sm/1.xml", None),
        ("https://bao.test/sm/2.xml", "2024-02-01"),
    ]
    assert parsed.urls == []


class ShardedSite:
    """A loopback outlet whose articles are listed only in monthly child sitemaps behind an
    index with ETags; the index body never changes while a child gains an article."""

    MONTHS = ["2024-1", "2024-2", "2024-3", "2024-4", "2024-5"]

    def __init__(self, per_month: int = 2, index_lastmod: bool = False):
        self.articles = generate(len(self.MONTHS) * per_month + 1, seed=91)
        self.per_month = per_month
        self.index_lastmod = index_lastmod
        self.extra = False  # the newest month's extra article, published on night 2
        self.server = LoopbackServer(routes={"*": self.route})

    @property
    def base(self) -> str:
        return self.server.base

    def month(self, i: int):
        arts = self.articles[i * self.per_month : (i + 1) * self.per_month]
        if i == len(self.MONTHS) - 1 and self.extra:
            arts = [*arts, self.articles[-1]]
        return arts

    def index(self) -> bytes:
        kids = "".join(
            f"<sitemap><loc>{self.base}/sm/news-{m}.xml</loc>"
            + (f"<lastmod>{m}-28</lastmod>" if self.index_lastmod else "")
            + "</sitemap>"
            for m in self.MONTHS
        )
        return f"<sitemapindex>{kids}</sitemapindex>".encode()

    def child(self, i: int) -> bytes:
        urls = "".join(f"<url><loc>{self.base}{a.path}</loc></url>" for a in self.month(i))
        return f"<urlset>{urls}</urlset>".encode()

    def route(self, h) -> None:
        path = h.path.split("?", 1)[0]
        if path == "/robots.txt":
            return send(h, 404)
        if path == "/sitemap.xml":
            return conditional(h, self.index())
        for i, m in enumerate(self.MONTHS):
            if path == f"/sm/news-{m}.xml":
                return conditional(h, self.child(i))
        for a in self.articles:
            if a.path == path:
                return send(h, 200, render_page(a, self.base))
        return send(h, 404)

    def entry(self) -> dict:
        return {
            "id": "thang",
            "name": "Báo Theo Tháng",
            "kind": "news",
            "home": self.base + "/",
            "sitemaps": [self.base + "/sitemap.xml"],
            "sitemap_recheck": 1,
            "politeness": {"min_delay": 0, "concurrency": 4, "timeout": 3, "retries": 0},
        }

    def __enter__(self):
        self.server.__enter__()
        return self

    def __exit__(self, *exc):
        self.server.__exit__(*exc)


def conditional(h, body: bytes) -> None:
    tag = '"' + hashlib.sha1(body).hexdigest()[:12] + '"'
    if h.headers.get("If-None-Match") == tag:
        h.send_response(304)
        h.send_header("ETag", tag)
        h.send_header("Content-Length", "0")
        h.end_headers()
        return
    send(h, 200, body, "application/xml", {"ETag": tag})


def test_index_304_with_a_changed_child_still_finds_the_new_article(prefect_harness, tmp_path):
    db = tmp_path / "kb.db"
    with ShardedSite() as site:
        sources = tmp_path / "sources.yaml"
        sources.write_text(sources_yaml([site.entry()]), encoding="utf-8")
        first = run_nightly(sources, db, publish=False)
        hits_1 = {p: site.server.count(p) for p in ("/sitemap.xml", "/sm/news-2024-1.xml")}
        site.extra = True  # the current month's shard grows; the index stays byte-identical
        second = run_nightly(sources, db, publish=False)
        index_304 = [h for h in site.server.hits if h.path == "/sitemap.xml"][-1]
        new_url = site.base + site.articles[-1].path
        hits_2 = {p: site.server.count(p) for p in ("/sitemap.xml", "/sm/news-2024-1.xml")}
    assert first.is_completed() and second.is_completed(), second.message
    assert "If-None-Match" in index_304.headers  # the index was asked conditionally (a 304)
    conn = sqlite3.connect(db)
    urls = {r[0] for r in conn.execute("select url from articles")}
    assert len(urls) == 11 and new_url in urls
    via = conn.execute("select found_via from frontier where url = ?", [new_url]).fetchone()[0]
    assert via == site.base + "/sm/news-2024-5.xml"
    children = dict(
        conn.execute("select url, parent from http_cache where source_id = 'thang'")
    )  # every child keeps its own validators, under its index
    conn.close()
    assert {u.rsplit("/", 1)[1]: p for u, p in children.items() if "/sm/" in u} == {
        f"news-{m}.xml": site.base + "/sitemap.xml" for m in ShardedSite.MONTHS
    }
    # night 2 asked the index and the newest child again, not the old months
    assert hits_1 == {"/sitemap.xml": 1, "/sm/news-2024-1.xml": 1}
    assert hits_2 == {"/sitemap.xml": 2, "/sm/news-2024-1.xml": 1}


def test_a_child_whose_lastmod_moved_is_read_again(prefect_harness, tmp_path):
    db = tmp_path / "kb.db"
    with ShardedSite(index_lastmod=True) as site:
        sources = tmp_path / "sources.yaml"
        entry = {**site.entry(), "sitemap_recheck": 0}
        sources.write_text(sources_yaml([entry]), encoding="utf-8")
        run_nightly(sources, db, publish=False)
        site.extra = True
        old_index = site.index

        def moved() -> bytes:  # the index says March changed (a correction in an old shard)
            return old_index().replace(b"<lastmod>2024-3-28<", b"<lastmod>2024-6-01<")

        site.index = moved
        run_nightly(sources, db, publish=False)
        counts = {m: site.server.count(f"/sm/news-{m}.xml") for m in ShardedSite.MONTHS}
    # only the child whose lastmod moved was fetched again (recheck 0: nothing else)
    assert counts == {"2024-1": 1, "2024-2": 1, "2024-3": 2, "2024-4": 1, "2024-5": 1}


def test_more_children_than_the_cap_are_walked_newest_first(monkeypatch):
    months = [f"2023-{m}" for m in range(1, 13)]  # listed oldest first, without lastmod
    with LoopbackServer() as srv:
        kids = "".join(f"<sitemap><loc>{srv.base}/sm/news-{m}.xml</loc></sitemap>" for m in months)
        srv.routes["/sitemap.xml"] = lambda h: send(
            h, 200, f"<sitemapindex>{kids}</sitemapindex>".encode()
        )
        srv.routes["*"] = lambda h: send(h, 200, b"<urlset></urlset>")
        src = Source(
            id="t",
            name="T",
            kind="news",
            home=srv.base + "/",
            sitemaps=[srv.base + "/sitemap.xml"],
            politeness={"min_delay": 0},
        )
        monkeypatch.setattr(disc, "MAX_CHILD_SITEMAPS", 4)  # the index and three children

        async def go():
            async with Fetcher("TestBot/1") as f:
                return await Discoverer(f, src).run()

        asyncio.run(go())
        asked = [h.path for h in srv.hits if h.path.startswith("/sm/")]
    assert asked == ["/sm/news-2023-12.xml", "/sm/news-2023-11.xml", "/sm/news-2023-10.xml"]


def test_child_sitemap_state_is_in_the_cache_rows(tmp_path: Path):
    """What the loader saves for a child: its source, its index and the lastmod it gave."""
    from ingest.crawl.discover import DiscoveryReport
    from ingest.store import db as kbdb
    from ingest.store import load

    db = kbdb.connect(tmp_path / "kb.db")
    report = DiscoveryReport("thang")
    report.cache_updates.append(
        {
            "url": "https://bao.test/sm/1.xml",
            "source_id": "thang",
            "etag": '"a"',
            "last_modified": None,
            "body_sha256": "00",
            "checked_at": "2024-01-01T00:00:00+07:00",
            "parent": "https://bao.test/sitemap.xml",
            "lastmod": "2024-01-31",
        }
    )
    load.record_discovery(db, report)
    src = Source(
        id="thang", name="T", kind="news", home="https://bao.test/",
        sitemaps=["https://bao.test/sitemap.xml"],
    )  # fmt: skip
    rows = load.source_cache(db, src)
    assert rows["https://bao.test/sm/1.xml"]["parent"] == "https://bao.test/sitemap.xml"
    assert rows["https://bao.test/sm/1.xml"]["lastmod"] == "2024-01-31"


def test_backfill_sitemaps_are_walked_by_a_backfill_only_newest_first_down_to_since():
    """VietnamPlus's index of monthly shards: a backfill reads the months back to --since,
    newest first (the months are named in the URLs, the index gives no lastmod); a nightly run
    never touches it."""
    from datetime import date

    months = [f"2019-{m}" for m in range(6, 13)] + [f"2020-{m}" for m in range(1, 4)]
    with LoopbackServer() as srv:
        kids = "".join(
            f"<sitemap><loc>{srv.base}/sitemaps/news-{m}.xml</loc></sitemap>" for m in months
        )
        srv.routes["/sitemap.xml"] = lambda h: send(
            h, 200, f"<sitemapindex>{kids}</sitemapindex>".encode()
        )
        srv.routes["/rss"] = lambda h: send(h, 200, b"<rss><channel></channel></rss>")
        srv.routes["*"] = lambda h: send(
            h,
            200,
            f"<urlset><url><loc>{srv.base}/a{h.path.replace('/', '-')}-post1.vnp</loc></url>"
            "</urlset>".encode(),
        )
        src = Source(
            id="vnp",
            name="VNP",
            kind="news",
            home=srv.base + "/",
            feeds=[srv.base + "/rss"],
            backfill_sitemaps=[srv.base + "/sitemap.xml"],
            politeness={"min_delay": 0},
        )

        async def go(backfill: bool):
            async with Fetcher("TestBot/1") as f:
                d = Discoverer(f, src, since=date(2019, 10, 1) if backfill else None,
                               budget=100 if backfill else None)  # fmt: skip
                return await d.run(backfill=backfill)

        nightly = asyncio.run(go(False))
        assert srv.count("/sitemap.xml") == 0 and nightly.found == []
        asyncio.run(go(True))
        asked = [h.path for h in srv.hits if h.path.startswith("/sitemaps/")]
    assert asked == [f"/sitemaps/news-{m}.xml" for m in
                     ["2020-3", "2020-2", "2020-1", "2019-12", "2019-11", "2019-10"]]  # fmt: skip
