"""One sample outlet as a table of pre-rendered responses plus a server-rendered search.

Kept free of any HTTP machinery so the same pages can be written to disk (render_all) or served
(server.py). Tracking parameters and fragments are added to some internal links on purpose: the
crawler has to canonicalise URLs to avoid fetching the same article twice.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlencode

from ...text.textnorm import search_key
from . import feeds
from .data import Article, Outlet
from .layouts import LAYOUTS, Layout, PageContext, Pager, e

ICT = timezone(timedelta(hours=7))
EPOCH = datetime(2019, 7, 1, tzinfo=ICT)  # Last-Modified of pages that carry no article date
PAGE_SIZE = 4
SEARCH_PAGE_SIZE = 5


@dataclass(frozen=True)
class Resource:
    status: int
    content_type: str
    body: bytes
    last_modified: datetime


HTML = "text/html; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"
XML = "application/xml; charset=utf-8"
TEXT = "text/plain; charset=utf-8"
GZIP = "application/x-gzip"

# per layout: (search path, query parameter, page parameter); None = no search page
SEARCH = {
    "daily": ("/tim-kiem", "q", "page"),
    "express": ("/tim-kiem", "q", "p"),
    "portal": ("/tim-kiem", "keyword", "page"),
    "aggregator": ("/", "s", "paged"),
}
DISALLOW = {
    "daily": ["/admin/", "/binh-luan/"],
    "express": ["/api/", "/admin/"],
    "portal": ["/c/portal/", "/group/control_panel"],
    "aggregator": ["/wp-admin/", "/?s=", "/tag/"],
}


def _crc(a: Article) -> int:
    return zlib.crc32(a.id.encode("utf-8"))


class Site:
    """The pages of one outlet for the given (visible) articles."""

    def __init__(
        self,
        outlet: Outlet,
        base_url: str,
        articles: list[Article],
        all_base_urls: dict[str, str] | None = None,
        all_articles: dict[str, Article] | None = None,
    ):
        self.outlet = outlet
        self.base_url = base_url.rstrip("/")
        self.layout: Layout = LAYOUTS[outlet.layout]
        self.articles = sorted(articles, key=lambda a: (a.published, a.id), reverse=True)
        self.all_base_urls = all_base_urls or {outlet.id: self.base_url}
        self.all_articles = all_articles or {a.id: a for a in articles}
        self.routes: dict[str, Resource] = {}
        self.listing_paths: set[str] = set()  # first pages of paginated listings
        self._build()

    # ---- links -------------------------------------------------------------------------------
    def link(self, a: Article, where: str) -> str:
        """The href used on this outlet's pages; some carry tracking params or fragments."""
        layout = self.outlet.layout
        n = _crc(a)
        if layout == "daily":
            if where == "most-read":
                return f"{a.path}?utm_source=xemnhieu&utm_medium=box"
            if where == "listing" and n % 3 == 0:
                return f"{a.path}?utm_source=chuyenmuc&utm_campaign=listing"
        elif layout == "express":
            if where == "listing" and n % 2 == 0:
                return f"{a.path}#box_comment"
            if where == "same-category":
                return f"{a.path}?utm_source=samecat"
        elif layout == "portal":
            return self.base_url + a.path + ("#content" if where == "listing" and n % 2 else "")
        elif layout == "aggregator" and where in ("listing", "search") and n % 2:
            return f"{self.base_url}{a.path}?utm_source=rss&utm_medium=feed#respond"
        return a.path

    def original_url(self, a: Article) -> str | None:
        orig = self.all_articles.get(a.copy_of or "")
        if orig is None or orig.outlet not in self.all_base_urls:
            return None
        return self.all_base_urls[orig.outlet] + orig.path

    def context(self, a: Article | None = None) -> PageContext:
        """Neighbouring articles for the boxes around `a` (deterministic, never `a` itself)."""
        others = [x for x in self.articles if a is None or (x.id != a.id and x.story != a.story)]
        related = None
        same: list[Article] = []
        if a is not None:
            text = a.text
            cands = [x for x in others if x.category == a.category and x.title not in text]
            cands.sort(key=lambda x: abs((x.published - a.published).total_seconds()))
            related = cands[0] if cands else next((x for x in others if x.title not in text), None)
            same = [x for x in others if x.category == a.category and x is not related][:4]
        most = sorted(others, key=lambda x: (_crc(x), x.id))[:3]
        return PageContext(
            self.outlet,
            self.base_url,
            self.link,
            self.original_url,
            related=related,
            same_category=same,
            most_read=most,
        )

    # ---- pages -------------------------------------------------------------------------------
    def article_html(self, a: Article) -> str:
        return self.layout.article_page(self.context(a), a)

    def _html(self, html: str, when: datetime, status: int = 200) -> Resource:
        return Resource(status, HTML, html.encode("utf-8"), when)

    def _listing(self, heading: str, items: list[Article], href) -> None:
        pages = max(1, math.ceil(len(items) / PAGE_SIZE))
        self.listing_paths.add(href(1))
        ctx = self.context()
        for n in range(1, pages + 1):
            chunk = items[(n - 1) * PAGE_SIZE : n * PAGE_SIZE]
            html = self.layout.listing_page(
                ctx, heading, self.base_url + href(n), chunk, Pager(n, pages, href)
            )
            self.routes[href(n)] = self._html(html, feeds.newest(chunk, EPOCH))

    def _build(self) -> None:
        lay, arts, base = self.layout, self.articles, self.base_url
        top = feeds.newest(arts, EPOCH)
        for a in arts:
            self.routes[a.path] = self._html(self.article_html(a), a.published)
        ctx = self.context()
        home = lay.listing_page(ctx, "Tin mới nhất", base + "/", arts[:8], None)
        self.routes["/"] = self._html(home, top)
        for slug, name in self.outlet.categories.items():
            items = [a for a in arts if a.category == slug]
            self._listing(name, items, lambda n, s=slug: lay.category_href(s, n))
        if self.outlet.layout == "portal":
            self._listing(
                "Tin tức - Sự kiện",
                arts,
                lambda n: "/tin-tuc-su-kien" + ("" if n == 1 else f"?page={n}"),
            )
        self.routes[lay.rss_path] = Resource(
            200, RSS, feeds.rss(self.outlet, base, lay.rss_path, arts).encode("utf-8"), top
        )
        sitemap_paths = self._sitemaps(top)
        robots = feeds.robots(base, sitemap_paths, DISALLOW[self.outlet.layout])
        self.routes["/robots.txt"] = Resource(200, TEXT, robots.encode("utf-8"), EPOCH)

    def _sitemaps(self, top: datetime) -> list[str]:
        arts, base = self.articles, self.base_url
        if self.outlet.layout == "daily":
            months = feeds.monthly(arts)
            gz = set(list(months)[:1])  # the oldest month is served gzipped
            self.routes["/sitemap.xml"] = Resource(
                200, XML, feeds.sitemap_index(base, months, gz).encode("utf-8"), top
            )
            for month, items in months.items():
                data = feeds.urlset(base, items).encode("utf-8")
                when = feeds.newest(items, EPOCH)
                if month in gz:
                    data, ctype = feeds.gzip_bytes(data), GZIP
                else:
                    ctype = XML
                self.routes[feeds.child_path(month, month in gz)] = Resource(200, ctype, data, when)
            return ["/sitemap.xml"]
        if self.outlet.layout == "express":
            body = feeds.news_sitemap(self.outlet, base, arts)
            self.routes["/sitemap-news.xml"] = Resource(200, XML, body.encode("utf-8"), top)
            return ["/sitemap-news.xml"]
        self.routes["/sitemap.xml"] = Resource(
            200, XML, feeds.urlset(base, arts).encode("utf-8"), top
        )
        return ["/sitemap.xml"]

    # ---- dynamic -----------------------------------------------------------------------------
    def search(self, query: str) -> list[Article]:
        """Articles whose folded title/lead/body contain the folded query as a phrase."""
        key = search_key(query)
        if not key:
            return []
        return [a for a in self.articles if key in search_key(" ".join([a.title, a.lead, *a.body]))]

    def search_page(self, query: str, page: int) -> Resource:
        path, qp, pp = SEARCH[self.outlet.layout]
        hits = self.search(query)
        pages = max(1, math.ceil(len(hits) / SEARCH_PAGE_SIZE))
        page = max(page, 1)  # past the last page: an empty result list, like real sites
        chunk = hits[(page - 1) * SEARCH_PAGE_SIZE : page * SEARCH_PAGE_SIZE]

        def href(n: int) -> str:
            return f"{path}?{urlencode({qp: query, pp: n})}"

        note = self.layout.search_form(query)
        if query:
            note += f'<p class="search-count">Tìm thấy {len(hits)} kết quả cho “{e(query)}”</p>'
        html = self.layout.listing_page(
            self.context(),
            "Kết quả tìm kiếm",
            self.base_url + href(page),
            chunk,
            Pager(page, pages, href),
            note=note,
            where="search",
        )
        return self._html(html, feeds.newest(chunk, EPOCH))

    def not_found(self, path: str) -> Resource:
        return self._html(self.layout.not_found(self.context(), path), EPOCH, status=404)

    def resolve(self, path: str, query: str) -> Resource:
        """The response for a request target (fragment already stripped by the client)."""
        spath, qp, pp = SEARCH[self.outlet.layout]
        params = parse_qs(query, keep_blank_values=True)
        if path == spath and qp in params:
            try:
                page = int(params.get(pp, ["1"])[0])
            except ValueError:
                page = 1
            return self.search_page(params[qp][0], page)
        if query and f"{path}?{query}" in self.routes:
            return self.routes[f"{path}?{query}"]
        if "page" in params and path in self.listing_paths:
            # paginated listings keyed by ?page=N: other params are ignored and a page past the
            # end is a 404, never page 1 again (that would send a paginating crawler in circles)
            n = params["page"][0]
            key = path if n == "1" else f"{path}?page={n}"
            return self.routes[key] if key in self.routes else self.not_found(f"{path}?{query}")
        if path in self.routes:
            return self.routes[path]
        if path == spath:
            return self.search_page("", 1)
        return self.not_found(path)
