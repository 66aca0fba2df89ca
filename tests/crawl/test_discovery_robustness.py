"""Discovery survives what a config or a site gets wrong at run time: a placeholder typo in a
listing's `page_url` or in `search.url`, a walker failing unexpectedly, bad links. Each costs
its own walker or link, with a message naming it; everything else is still found.

The sources are built with `model_construct` (no validation), as a config that slipped past the
checks would arrive: validating the file is not this test's concern."""

from __future__ import annotations

import asyncio

import pytest

from ingest.config import Listing, Politeness, Search, Source
from ingest.crawl.discover import Discoverer, TemplateError, fill
from ingest.crawl.fetch import Fetcher
from ingest.testing.loopback import LoopbackServer, send

FAST = Politeness(min_delay=0, concurrency=4, timeout=3, retries=0)


def source(base: str, **kw) -> Source:
    fields = {
        "id": "thu",
        "name": "Báo Thử",
        "kind": "news",
        "home": base + "/",
        "politeness": FAST,
        **kw,
    }
    return Source.model_construct(**fields)


def listing_page(base: str, *paths: str) -> bytes:
    return "".join(f'<a href="{base}{p}">bài</a>' for p in paths).encode()


def discover(src: Source, **kw):
    async def go():
        async with Fetcher("TestBot/1") as f:
            return await Discoverer(f, src, **kw).run(backfill=kw.get("budget") is not None)

    return asyncio.run(go())


def test_fill_names_the_unknown_placeholder():
    assert fill("https://bao.vn/trang-{page}.htm", page=2) == "https://bao.vn/trang-2.htm"
    with pytest.raises(TemplateError, match=r"unknown placeholder \{pg\} \(use \{page\}\)"):
        fill("https://bao.vn/trang-{pg}.htm", page=2)
    with pytest.raises(TemplateError, match=r"unknown placeholder \{querry\}"):
        fill("https://bao.vn/?q={querry}&p={page}", query="x", page=1)
    with pytest.raises(TemplateError, match="Single '}'"):
        fill("https://bao.vn/}{page}", page=1)


def test_listing_page_url_typo_keeps_page_one_and_names_the_typo():
    with LoopbackServer() as srv:
        srv.routes["/van-hoa"] = lambda h: send(
            h, 200, listing_page(srv.base, "/van-hoa/a-1.htm", "/van-hoa/b-2.htm")
        )
        src = source(
            srv.base,
            listings=[
                Listing.model_construct(
                    url=srv.base + "/van-hoa",
                    page_url=srv.base + "/van-hoa/trang-{pg}",
                    article_pattern=r"-\d+\.htm$",
                    next_pattern=None,
                    max_pages=3,
                )
            ],
        )
        report = discover(src)
    assert [d.url for d in report.found] == [
        srv.base + "/van-hoa/a-1.htm",
        srv.base + "/van-hoa/b-2.htm",
    ]
    assert report.errors == [
        f"listing {srv.base}/van-hoa: '{srv.base}/van-hoa/trang-{{pg}}':"
        " unknown placeholder {pg} (use {page})"
    ]
    assert not report.crashed


def test_search_url_typo_costs_the_search_only():
    with LoopbackServer() as srv:
        srv.routes["/rss"] = lambda h: send(
            h,
            200,
            f"<rss><channel><item><link>{srv.base}/a-1.htm</link></item></channel></rss>".encode(),
            "application/rss+xml",
        )
        src = source(
            srv.base,
            feeds=[srv.base + "/rss"],
            search=Search.model_construct(
                url=srv.base + "/tim?q={querry}&p={page}",
                queries=["thiết kế"],
                article_pattern=None,
                max_pages=2,
            ),
        )
        report = discover(src, budget=10)
    assert [d.url for d in report.found] == [srv.base + "/a-1.htm"]
    assert len(report.errors) == 1
    assert report.errors[0].startswith("search 'thiết kế': ")
    assert "unknown placeholder {querry} (use {query}, {page})" in report.errors[0]


def test_a_walker_failing_unexpectedly_is_recorded_with_its_url(monkeypatch):
    """A bug in one walker (here: listings) costs that walker; the feed's URLs are kept and
    the failure names the page being read."""
    from ingest.crawl import discover as disc

    def boom(*a, **kw):
        raise RuntimeError("parser exploded")

    with LoopbackServer() as srv:
        srv.routes["/rss"] = lambda h: send(
            h,
            200,
            f"<rss><channel><item><link>{srv.base}/a-1.htm</link></item></channel></rss>".encode(),
        )
        srv.routes["/muc"] = lambda h: send(h, 200, listing_page(srv.base, "/b-2.htm"))
        src = source(
            srv.base,
            feeds=[srv.base + "/rss"],
            listings=[Listing(url=srv.base + "/muc")],
        )
        monkeypatch.setattr(disc, "page_links", boom)
        report = discover(src)
    assert [d.url for d in report.found] == [srv.base + "/a-1.htm"]
    assert report.crashed == [
        f"listing {srv.base}/muc failed at {srv.base}/muc: RuntimeError: parser exploded"
    ]
