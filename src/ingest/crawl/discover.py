"""Find candidate article URLs: feeds, sitemaps, listing pages and site search.

Parsing is pure (bytes in, URLs out) and tolerant of what real sites serve: malformed XML,
wrong encoding declarations, raw `&` in URLs, gzipped sitemaps. Fetching goes through the
shared `Fetcher`, with conditional requests so an unchanged feed costs a 304.
"""

from __future__ import annotations

import gzip
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from urllib.parse import quote_plus

import feedparser
from lxml import etree, html

from ..config import Source
from ..models import Discovered
from .fetch import Fetcher
from .lastmod import later_date
from .urls import canonicalize, in_scope, is_http, netloc_of

MAX_SITEMAP_URLS = 200_000
MAX_CHILD_SITEMAPS = 500


@dataclass
class SitemapParse:
    urls: list[tuple[str, str | None]] = field(default_factory=list)  # (loc, lastmod)
    children: list[tuple[str, str | None]] = field(default_factory=list)


def maybe_gunzip(body: bytes, limit: int = 200_000_000) -> bytes:
    if body[:2] == b"\x1f\x8b":
        with gzip.GzipFile(fileobj=io.BytesIO(body)) as fh:
            data = fh.read(limit + 1)
        if len(data) > limit:
            raise ValueError("gzipped sitemap too large")
        return data
    return body


_LOC_RE = re.compile(rb"<(?:\w+:)?loc>\s*(.*?)\s*</(?:\w+:)?loc>", re.S | re.I)


def parse_sitemap(body: bytes) -> SitemapParse:
    """urlset, sitemapindex and Google News sitemaps; falls back to a <loc> scan when XML is broken."""
    data = maybe_gunzip(body)
    out = SitemapParse()
    try:
        parser = etree.XMLParser(
            recover=True, huge_tree=True, resolve_entities=False, no_network=True
        )
        root = etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, ValueError):
        root = None
    if root is None:
        for m in _LOC_RE.finditer(data):
            out.urls.append((m.group(1).decode("utf-8", "replace").replace("&amp;", "&"), None))
        return out
    is_index = etree.QName(root).localname.lower() == "sitemapindex"
    for el in root:
        if not isinstance(el.tag, str):
            continue
        loc = lastmod = None
        for child in el.iter():
            if not isinstance(child.tag, str):
                continue
            name = etree.QName(child).localname.lower()
            if name == "loc" and loc is None and child.text:
                loc = child.text.strip()
            elif name in ("lastmod", "publication_date") and child.text and lastmod is None:
                lastmod = child.text.strip()
        if loc:
            (out.children if is_index else out.urls).append((loc, lastmod))
    return out


def parse_feed(body: bytes, base_url: str) -> list[tuple[str, str | None, str | None]]:
    """RSS/Atom entries as (link, published ISO date or None, title); tolerant of bozo feeds."""
    parsed = feedparser.parse(body, response_headers={"content-location": base_url})
    entries = []
    for e in parsed.entries:
        link = e.get("link") or next(
            (lnk.get("href") for lnk in e.get("links", []) if lnk.get("href")), None
        )
        if not link:
            guid = e.get("id", "")
            link = guid if guid.startswith("http") else None
        if not link:
            continue
        published = None
        tm = e.get("published_parsed") or e.get("updated_parsed")
        if tm:
            published = date(tm.tm_year, tm.tm_mon, tm.tm_mday).isoformat()
        title = re.sub(r"<[^>]+>", "", e.get("title", "") or "").strip() or None
        entries.append((link.strip(), published, title))
    return entries


def parse_links(body: bytes, base_url: str) -> list[str]:
    try:
        doc = html.fromstring(body, base_url=base_url)
    except (etree.ParserError, ValueError):
        return []
    doc.make_links_absolute(base_url, resolve_base_href=True, handle_failures="discard")
    return [href for _, attr, href, _ in doc.iterlinks() if attr == "href"]


def article_links(body: bytes, base_url: str, pattern: str | None) -> list[str]:
    rx = re.compile(pattern) if pattern else None
    out = []
    for href in parse_links(body, base_url):
        canon = canonicalize(href)
        if rx is None or rx.search(canon):
            out.append(canon)
    return list(dict.fromkeys(out))


@dataclass
class DiscoveryReport:
    """What discovery found for one source, plus the HTTP cache updates to save with it."""

    source_id: str
    found: list[Discovered] = field(default_factory=list)
    cache_updates: list[dict] = field(default_factory=list)  # rows for http_cache
    not_modified: int = 0
    errors: list[str] = field(default_factory=list)
    out_of_scope: list[str] = field(default_factory=list)
    robots_blocked: list[str] = field(default_factory=list)
    robots_state: str | None = None
    progress: dict[str, dict] = field(default_factory=dict)  # walker positions (backfill)
    complete: bool = True  # False when a backfill round stopped on its page budget


class Discoverer:
    """Runs discovery for one source through a shared Fetcher."""

    def __init__(
        self,
        fetcher: Fetcher,
        source: Source,
        cache: dict[str, dict] | None = None,
        since: date | None = None,
        progress: dict[str, dict] | None = None,
        budget: int | None = None,
    ):
        self.f = fetcher
        self.s = source
        self.scope = source.scope_hosts()
        self.cache = cache or {}
        self.since = since
        self.report = DiscoveryReport(source.id)
        self.progress: dict[str, dict] = progress if progress is not None else {}
        self.budget = budget  # pages this round may fetch (None: unlimited)
        self.exhausted = False
        self._seen: set[str] = set()
        self._found_at: dict[str, int] = {}  # canonical URL -> its index in report.found
        self._pattern = re.compile(source.article_pattern) if source.article_pattern else None

    def _add(
        self,
        url: str,
        via: str,
        lastmod: str | None = None,
        title: str | None = None,
        pattern: re.Pattern[str] | None = None,
    ) -> None:
        if not is_http(url):
            return
        canon = canonicalize(url)
        if canon in self._seen:
            # a feed gives the publication day, a sitemap the time of the last edit: keep the
            # later one, which is what tells the loader the page changed since our copy
            i = self._found_at.get(canon)
            if i is not None and lastmod:
                d = self.report.found[i]
                self.report.found[i] = replace(d, lastmod=later_date(d.lastmod, lastmod))
            return
        if not in_scope(canon, self.scope):
            self.report.out_of_scope.append(canon)
            self._seen.add(canon)
            return
        rx = pattern or self._pattern
        if rx is not None and not rx.search(canon):
            return
        if self.since and lastmod and lastmod[:10] < self.since.isoformat():
            return
        self._seen.add(canon)
        self._found_at[canon] = len(self.report.found)
        self.report.found.append(Discovered(canon, self.s.id, via, lastmod, title))

    async def _get(
        self, url: str, conditional: bool = True, end_of_pages: bool = False
    ) -> bytes | None:
        """Body of a discovery page, or None (recording why). `end_of_pages`: a 404/410 is the
        natural end of a paginated listing, not an error."""
        cached = self.cache.get(url, {}) if conditional else {}
        res = await self.f.fetch(
            url,
            self.s.politeness,
            self.scope,
            etag=cached.get("etag"),
            last_modified=cached.get("last_modified"),
        )
        if res.outcome == "not_modified":
            self.report.not_modified += 1
            return None
        if res.outcome == "robots":
            self.report.robots_blocked.append(url)
            return None
        if end_of_pages and res.status in (404, 410):
            return None
        if res.outcome != "ok":
            self.report.errors.append(f"{url}: {res.outcome} ({res.error})")
            return None
        if conditional:
            self.report.cache_updates.append(
                {
                    "url": url,
                    "etag": res.headers.get("etag"),
                    "last_modified": res.headers.get("last-modified"),
                    "body_sha256": res.raw_sha256,
                    "checked_at": res.fetched_at,
                }
            )
            if cached.get("body_sha256") and cached["body_sha256"] == res.raw_sha256:
                self.report.not_modified += 1
                return None
        return res.body

    async def feeds(self) -> None:
        for url in self.s.feeds:
            body = await self._get(url)
            if body is None:
                continue
            entries = parse_feed(body, url)
            if not entries:
                self.report.errors.append(f"{url}: feed has no entries")
            for link, published, title in entries:
                self._add(link, url, published, title)

    # --- walkers -------------------------------------------------------------------------
    # Sitemaps, listings and search are "walkers" whose position is kept in `self.progress`
    # (walker key -> state). A nightly run starts every walker from the top; a backfill hands in
    # the saved positions and a page budget, so a killed backfill resumes where it stopped.

    def _spend(self) -> bool:
        """Take one page from this round's budget; False when the round is used up."""
        if self.budget is None:
            return True
        if self.budget <= 0:
            self.exhausted = True
            return False
        self.budget -= 1
        return True

    async def sitemaps(self, urls: Iterable[str]) -> None:
        state = self.progress.setdefault("sitemaps", {"done": [], "queue": []})
        if state.get("complete"):
            return
        done = set(state["done"])
        queue = [tuple(q) for q in state["queue"]] or [(u, None) for u in urls]
        total = 0
        while queue and len(done) < MAX_CHILD_SITEMAPS:
            url, lastmod = queue[0]
            if url in done or (self.since and lastmod and lastmod[:7] < self.since.isoformat()[:7]):
                queue.pop(0)
                done.add(url)
                continue
            if not self._spend():
                break
            queue.pop(0)
            done.add(url)
            body = await self._get(url)
            if body is None:
                continue
            try:
                parsed = parse_sitemap(body)
            except (ValueError, OSError, EOFError) as exc:
                self.report.errors.append(f"{url}: unreadable sitemap ({exc})")
                continue
            for child, child_lastmod in parsed.children:
                child = canonicalize(child, url)
                if in_scope(child, self.scope) and child not in done:
                    queue.append((child, child_lastmod))
            for loc, loc_lastmod in parsed.urls[: MAX_SITEMAP_URLS - total]:
                self._add(loc, url, loc_lastmod)
            total += len(parsed.urls)
        state.update(done=sorted(done), queue=[list(q) for q in queue], complete=not queue)

    async def listings(self, max_pages: int | None = None) -> None:
        for lst in self.s.listings:
            state = self.progress.setdefault(f"listing:{lst.url}", {"page": 1, "next": lst.url})
            rx = re.compile(lst.article_pattern) if lst.article_pattern else None
            pages = max_pages or lst.max_pages
            while not state.get("complete"):
                url, page = state["next"], state["page"]
                if url is None or page > pages:
                    state["complete"] = True
                    break
                if not self._spend():
                    break
                body = await self._get(
                    url, conditional=(page == 1 and self.budget is None), end_of_pages=page > 1
                )
                if body is None:
                    state["complete"] = True
                    break
                links = article_links(body, url, None)
                for link in links:
                    self._add(link, url, pattern=rx)
                nxt = self._next_page(lst, body, url, page) if links else None
                state.update(next=nxt, page=page + 1, complete=nxt is None)

    @staticmethod
    def _next_page(lst, body: bytes, url: str, page: int) -> str | None:
        if lst.page_url:
            return canonicalize(lst.page_url.format(page=page + 1), url)
        if lst.next_pattern:
            rx = re.compile(lst.next_pattern)
            for href in parse_links(body, url):
                if rx.search(href) and canonicalize(href) != canonicalize(url):
                    return canonicalize(href)
        return None

    async def search(self, max_pages: int | None = None) -> None:
        if self.s.search is None:
            return
        srch = self.s.search
        rx = re.compile(srch.article_pattern) if srch.article_pattern else None
        for q in srch.queries:
            state = self.progress.setdefault(f"search:{q}", {"page": 1})
            while not state.get("complete"):
                page = state["page"]
                if page > (max_pages or srch.max_pages) or not self._spend():
                    state["complete"] = page > (max_pages or srch.max_pages)
                    break
                url = srch.url.format(query=quote_plus(q), page=page)
                body = await self._get(url, conditional=False, end_of_pages=page > 1)
                before = len(self.report.found)
                if body is not None:
                    for link in article_links(body, url, None):
                        self._add(link, url, pattern=rx)
                new = len(self.report.found) - before
                state.update(page=page + 1, complete=body is None or new == 0)

    async def run(self, *, backfill: bool = False) -> DiscoveryReport:
        if not backfill or not self.progress:
            await self.feeds()
        sitemaps = list(self.s.sitemaps)
        home_netloc = netloc_of(self.s.home)
        allowed, _ = await self.f.robots_allows(self.s.home, self.s.politeness)
        self.report.robots_state = self.f.robots_state(home_netloc)
        if not allowed and self.report.robots_state == "ok":
            self.report.robots_blocked.append(self.s.home)
        for sm in self.f.robots_sitemaps(home_netloc):
            if sm not in sitemaps and in_scope(sm, self.scope):
                sitemaps.append(sm)
        await self.sitemaps(sitemaps)
        await self.listings(max_pages=10_000 if backfill else None)
        if backfill:
            await self.search()
        self.report.progress = self.progress
        self.report.complete = not self.exhausted and all(
            st.get("complete", True) for st in self.progress.values()
        )
        return self.report
