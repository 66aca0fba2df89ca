"""Find candidate article URLs: feeds, sitemaps, listing pages and site search.

Parsing is pure (bytes in, URLs out) and tolerant of what real sites serve: malformed XML,
wrong encoding declarations, raw `&` in URLs, unclosed elements, gzipped sitemaps. Fetching goes
through the shared `Fetcher`, with conditional requests so an unchanged feed costs a 304, and
every response is archived (`kind="discovery"`) so a night's discovery can be replayed offline.

Child sitemaps are part of the frontier: each keeps its validators and the lastmod its index
gave it (`http_cache` rows with a `parent`), so an index that answers 304 still leads to the
children that changed, and a long index is walked newest first.

A URL that cannot be requested (control characters, 70,000 characters, a broken IPv6 host, a
non-HTTP scheme) is refused with a reason (`report.refused`) instead of stopping the source, and
a walker that fails unexpectedly costs that walker, recorded with the URL it was reading.
"""

from __future__ import annotations

import calendar
import email.utils
import gzip
import html as htmllib
import io
import re
import string
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from urllib.parse import quote_plus

import feedparser
from lxml import etree, html

from ..clock import VN_TZ
from ..config import Source
from ..models import Discovered
from .fetch import Fetcher
from .lastmod import later_date
from .urls import canonicalize, in_scope, is_http, netloc_of, printable, resolve

MAX_SITEMAP_URLS = 200_000
MAX_CHILD_SITEMAPS = 500


@dataclass
class SitemapParse:
    urls: list[tuple[str, str | None]] = field(default_factory=list)  # (loc, lastmod)
    children: list[tuple[str, str | None]] = field(default_factory=list)
    published: dict[str, str] = field(default_factory=dict)  # loc -> news:publication_date


def maybe_gunzip(body: bytes, limit: int = 200_000_000) -> bytes:
    if body[:2] == b"\x1f\x8b":
        with gzip.GzipFile(fileobj=io.BytesIO(body)) as fh:
            data = fh.read(limit + 1)
        if len(data) > limit:
            raise ValueError("gzipped sitemap too large")
        return data
    return body


_LOC_RE = re.compile(rb"<(?:\w+:)?loc>\s*(.*?)\s*</(?:\w+:)?loc>", re.S | re.I)
# an `&` that does not start an entity: real sitemaps write query strings unescaped
_RAW_AMP = re.compile(rb"&(?!(?:[A-Za-z][A-Za-z0-9]{0,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});)")
_XML_PARSER = etree.XMLParser(recover=True, huge_tree=True, resolve_entities=False, no_network=True)


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname.lower() if isinstance(el.tag, str) else ""


def parse_sitemap(body: bytes) -> SitemapParse:
    """urlset, sitemapindex and Google News sitemaps, keeping every `<loc>` intact.

    Raw `&` is escaped before parsing (lxml's recovery would otherwise drop `&y` from
    `?x=1&y=2`), each `<loc>` takes the lastmod of its own parent element (an unclosed `<url>`
    nests the next one inside it), and any `<loc>` the recovered tree lost is added back from a
    plain scan of the bytes."""
    data = _RAW_AMP.sub(b"&amp;", maybe_gunzip(body))
    out = SitemapParse()
    try:
        root = etree.fromstring(data, _XML_PARSER)
    except (etree.XMLSyntaxError, ValueError):
        root = None
    seen: set[str] = set()
    is_index = root is not None and _local(root) == "sitemapindex"
    if root is not None:
        for loc_el in root.iter("{*}loc", "loc"):
            loc = (loc_el.text or "").strip()
            if not loc or loc in seen:
                continue
            seen.add(loc)
            parent = loc_el.getparent()
            lastmod = pub = None
            for sib in parent.iter() if parent is not None else ():
                name = _local(sib)
                if sib is not loc_el and name == "loc":
                    break  # the next entry, nested by an unclosed element
                if name == "lastmod" and sib.text and lastmod is None:
                    lastmod = sib.text.strip()
                elif name == "publication_date" and sib.text and pub is None:
                    pub = sib.text.strip()
            child = (_local(parent) == "sitemap") if parent is not None else is_index
            (out.children if child or is_index else out.urls).append((loc, lastmod or pub))
            if pub:
                out.published[loc] = pub
    for m in _LOC_RE.finditer(data):
        loc = htmllib.unescape(m.group(1).decode("utf-8", "replace")).strip()
        if loc and loc not in seen:
            seen.add(loc)
            (out.children if is_index else out.urls).append((loc, None))
    return out


_DAY_FIRST = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})(?:\D{1,3}(\d{1,2}):(\d{2}))?")


@dataclass(frozen=True)
class FeedItem:
    link: str
    published: str | None  # ISO 8601 in +07:00, to the second
    title: str | None


def feed_datetime(entry: dict) -> str | None:
    """An entry's publication time in Hanoi time. The raw string is read first, so a time
    written without a zone is taken as Hanoi's (what Vietnamese feeds mean) and one with a
    zone is converted: 01:30 +07:00 stays on its day instead of becoming yesterday in UTC."""
    for key in ("published", "updated", "created"):
        raw = entry.get(key)
        if not isinstance(raw, str) or not raw.strip():
            continue
        raw = raw.strip()
        when = None
        try:
            when = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            try:
                when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
            except ValueError:
                when = None
        if when is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=VN_TZ)
            return when.astimezone(VN_TZ).replace(microsecond=0).isoformat()
        if m := _DAY_FIRST.search(raw):  # 08/06/2023 is 8 June, whatever dateutil thinks
            d, mo, y, hh, mm = (int(g) if g else 0 for g in m.groups())
            try:
                return datetime(y, mo, d, hh, mm, tzinfo=VN_TZ).isoformat()
            except ValueError:
                pass
    tm = entry.get("published_parsed") or entry.get("updated_parsed")
    if tm:  # feedparser's struct_time is UTC
        when = datetime.fromtimestamp(calendar.timegm(tm), UTC)
        return when.astimezone(VN_TZ).isoformat()
    return None


def feed_items(body: bytes, base_url: str) -> list[FeedItem]:
    """RSS/Atom entries with their links, Hanoi-time dates and titles; tolerant of bozo feeds."""
    parsed = feedparser.parse(body, response_headers={"content-location": base_url})
    items = []
    for e in parsed.entries:
        link = e.get("link") or next(
            (lnk.get("href") for lnk in e.get("links", []) if lnk.get("href")), None
        )
        if not link:
            guid = e.get("id", "")
            link = guid if guid.startswith("http") else None
        if not link:
            continue
        title = re.sub(r"<[^>]+>", "", e.get("title", "") or "").strip() or None
        items.append(FeedItem(link.strip(), feed_datetime(e), title))
    return items


def parse_feed(body: bytes, base_url: str) -> list[tuple[str, str | None, str | None]]:
    """RSS/Atom entries as (link, publication day in Hanoi time or None, title)."""
    return [
        (i.link, i.published[:10] if i.published else None, i.title)
        for i in feed_items(body, base_url)
    ]


def parse_links(body: bytes, base_url: str) -> list[str]:
    try:
        doc = html.fromstring(body, base_url=base_url)
    except (etree.ParserError, ValueError):
        return []
    try:
        doc.make_links_absolute(base_url, resolve_base_href=True, handle_failures="discard")
    except ValueError:
        pass
    return [href for _, attr, href, _ in doc.iterlinks() if attr == "href"]


def article_links(body: bytes, base_url: str, pattern: str | None) -> list[str]:
    return [u for u, problem in page_links(body, base_url, pattern) if problem is None]


def page_links(body: bytes, base_url: str, pattern: str | None) -> list[tuple[str, str | None]]:
    """Links of a listing or search page as (canonical URL, None), or (raw link, why it was
    refused) for an http(s) link that cannot be requested."""
    rx = re.compile(pattern) if pattern else None
    out: dict[str, str | None] = {}
    for href in parse_links(body, base_url):
        if not is_http(href) and not href.lower().startswith(("http:", "https:")):
            continue  # mailto:, javascript:, tel: in menus are not article links
        url, problem = resolve(href)
        if problem:
            out.setdefault(href, problem)
            continue
        canon = canonicalize(url)
        if rx is None or rx.search(canon):
            out.setdefault(canon, None)
    return list(out.items())


class TemplateError(ValueError):
    """A `page_url` or `search.url` with a placeholder we cannot fill."""


_FORMATTER = string.Formatter()


def fill(template: str, **values: str | int) -> str:
    """`template.format(**values)`, with an unknown or malformed placeholder reported by name
    (a `{pg}` typo costs that walker tonight, with a message, not the run)."""
    try:
        names = {name for _, name, _, _ in _FORMATTER.parse(template) if name is not None}
    except ValueError as exc:
        raise TemplateError(f"{template!r}: {exc}") from None
    unknown = sorted(n for n in names if n.split(".")[0].split("[")[0] not in values)
    if unknown or "" in names:
        bad = ", ".join("{" + n + "}" for n in unknown) or "{}"
        known = ", ".join("{" + k + "}" for k in values)
        raise TemplateError(f"{template!r}: unknown placeholder {bad} (use {known})")
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError, AttributeError) as exc:
        raise TemplateError(f"{template!r}: {exc}") from None


_URL_DATE = re.compile(r"(?<!\d)((?:19|20)\d\d)\D{0,3}(\d{1,2})?(?:\D{1,3}(\d{1,2}))?")


def _newest_key(loc: str, lastmod: str | None) -> str:
    """Sort key for "newest first": the index's lastmod, else a date written in the child's
    URL (`news-2024-5.xml`, `sitemaps-2024-5-1-5.xml`), else nothing."""
    if lastmod:
        return lastmod[:19]
    m = _URL_DATE.search(loc)
    if not m:
        return ""
    y, mo, d = m.group(1), m.group(2) or "0", m.group(3) or "0"
    return f"{y}-{int(mo):02d}-{int(d):02d}"


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
    robots_error: str | None = None  # robots.txt's own failure, named (HTTP 500, unreachable)
    crawl_delay: float | None = None  # what robots.txt asked for, when it did
    refused: list[tuple[str, str]] = field(default_factory=list)  # (URL, reason)
    deferred: list[tuple[str, str, str]] = field(default_factory=list)  # (URL, retry_at, why)
    crashed: list[str] = field(default_factory=list)  # unexpected failures, with their URL
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
        self.current: str | None = None  # the page being read, named if a walker crashes
        self.unchanged = False  # the last `_get` found its page unchanged (304 or same body)
        self._seen: set[str] = set()
        self._found_at: dict[str, int] = {}  # canonical URL -> its index in report.found
        self._pattern = re.compile(source.article_pattern) if source.article_pattern else None

    def _refuse(self, url: str, reason: str) -> None:
        key = printable(url, 2048)
        if key not in self._seen:
            self._seen.add(key)
            self.report.refused.append((key, f"invalid_url: {reason}"))

    def _add(
        self,
        url: str,
        via: str,
        lastmod: str | None = None,
        title: str | None = None,
        pattern: re.Pattern[str] | None = None,
        published: str | None = None,
        published_via: str | None = None,
    ) -> None:
        if not is_http(url) and not url.strip().lower().startswith(("http:", "https:")):
            return
        checked, problem = resolve(url)
        if problem or checked is None:
            self._refuse(url, problem or "unusable URL")
            return
        canon = canonicalize(checked)
        if canon in self._seen:
            # a feed gives the publication day, a sitemap the time of the last edit: keep the
            # later one, which is what tells the loader the page changed since our copy
            i = self._found_at.get(canon)
            if i is not None:
                d = self.report.found[i]
                if lastmod:
                    d = replace(d, lastmod=later_date(d.lastmod, lastmod))
                # the first feed's date beats a sitemap's (a lastmod may be an edit)
                if published and d.published_via != "feed":
                    if published_via == "feed" or d.published_hint is None:
                        d = replace(d, published_hint=published, published_via=published_via)
                self.report.found[i] = d
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
        self.report.found.append(
            Discovered(canon, self.s.id, via, lastmod, title, published, published_via)
        )

    async def _fetch(self, url: str, conditional: bool):
        cached = self.cache.get(url, {}) if conditional else {}
        self.current = url
        res = await self.f.fetch(
            url,
            self.s.politeness,
            self.scope,
            etag=cached.get("etag"),
            last_modified=cached.get("last_modified"),
            kind="discovery",
        )
        return res, cached

    async def _get(
        self,
        url: str,
        conditional: bool = True,
        end_of_pages: bool = False,
        cache_row: dict | None = None,
        save: bool | None = None,
    ) -> bytes | None:
        """Body of a discovery page, or None (recording why; `self.unchanged` tells a 304 or an
        unchanged body from a failure). `end_of_pages`: a 404/410 is the natural end of a
        paginated listing, not an error. `cache_row`: extra columns saved with the validators
        (a child sitemap's parent and lastmod); `save`: keep the validators (default: when
        the request was conditional)."""
        save = conditional if save is None else save
        self.unchanged = False
        res, cached = await self._fetch(url, conditional)
        if res.outcome == "not_modified":
            self.report.not_modified += 1
            self.unchanged = True
            if save:
                self._save_validators(url, res, cached, cache_row)
            return None
        if res.outcome == "robots":
            self.report.robots_blocked.append(url)
            return None
        if res.outcome == "deferred":
            self.report.deferred.append((url, res.retry_at or "", res.error or ""))
            return None
        if res.outcome in ("invalid_url", "unsafe_redirect"):
            self.report.refused.append((printable(url, 2048), res.error or res.outcome))
            return None
        if end_of_pages and res.status in (404, 410):
            return None
        if res.outcome != "ok":
            self.report.errors.append(f"{printable(url)}: {res.outcome} ({res.error})")
            return None
        if save:
            self._save_validators(url, res, cached, cache_row)
        if conditional and cached.get("body_sha256") == res.raw_sha256:
            self.report.not_modified += 1
            self.unchanged = True
            return None
        return res.body

    def _save_validators(self, url: str, res, cached: dict, extra: dict | None) -> None:
        row = {
            "url": url,
            "source_id": self.s.id,
            "etag": res.headers.get("etag") or cached.get("etag"),
            "last_modified": res.headers.get("last-modified") or cached.get("last_modified"),
            "body_sha256": res.raw_sha256 if res.outcome == "ok" else cached.get("body_sha256"),
            "checked_at": res.fetched_at,
            **(extra or {}),
        }
        self.report.cache_updates.append(row)

    async def feeds(self) -> None:
        for url in self.s.feeds:
            body = await self._get(url)
            if body is None:
                continue
            items = feed_items(body, url)
            if not items:
                self.report.errors.append(f"{url}: feed has no entries")
            for it in items:
                day = it.published[:10] if it.published else None
                self._add(it.link, url, day, it.title, published=it.published, published_via="feed")

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

    def _known_children(self, index_url: str) -> list[tuple[str, str | None]]:
        """Children an unchanged index listed when we last read it, with their lastmod."""
        return [
            (url, row.get("lastmod"))
            for url, row in self.cache.items()
            if row.get("parent") == index_url
        ]

    def _due_children(
        self, index_url: str, children: list[tuple[str, str | None]], done: set[str]
    ) -> list[tuple[str, str | None]]:
        """The children to read tonight, newest first: all of them in a backfill; otherwise the
        ones never read, the ones whose lastmod moved, and the `sitemap_recheck` newest (a
        conditional GET: the current shard grows while the index stays the same)."""
        kids = []
        for child, lastmod in children:
            url, problem = resolve(child, index_url)
            if problem or url is None:
                self._refuse(child, problem or "unusable URL")
                continue
            url = canonicalize(url)
            if in_scope(url, self.scope) and url not in done:
                kids.append((url, lastmod))
        kids = list(dict.fromkeys(kids))
        kids.sort(key=lambda c: _newest_key(*c), reverse=True)
        if self.budget is not None:  # a backfill walks every child
            return kids
        due = []
        for i, (url, lastmod) in enumerate(kids):
            known = self.cache.get(url)
            if (
                known is None
                or i < self.s.sitemap_recheck
                or (lastmod or None) != (known.get("lastmod") or None)
            ):
                due.append((url, lastmod))
        return due

    async def sitemaps(self, urls: Iterable[str]) -> None:
        state = self.progress.setdefault("sitemaps", {"done": [], "queue": []})
        if state.get("complete"):
            return
        done = set(state["done"])
        queue = [(*q, None)[:3] for q in state["queue"]] or [(u, None, None) for u in urls]
        total = 0
        while queue and len(done) < MAX_CHILD_SITEMAPS:
            url, lastmod, parent = queue[0]
            month = _newest_key(url, lastmod)[:7] if parent else ""  # a child's month
            if url in done or (self.since and month and month < self.since.isoformat()[:7]):
                queue.pop(0)
                done.add(url)
                continue
            if not self._spend():
                break
            queue.pop(0)
            done.add(url)
            row = {"parent": parent, "lastmod": lastmod} if parent else None
            res_body = await self._get(url, self.budget is None, cache_row=row, save=True)
            if res_body is None:
                children = self._known_children(url) if self.unchanged else []
                parsed = SitemapParse(children=children)
            else:
                try:
                    parsed = parse_sitemap(res_body)
                except (ValueError, OSError, EOFError) as exc:
                    self.report.errors.append(f"{url}: unreadable sitemap ({exc})")
                    continue
            due = self._due_children(url, parsed.children, done)
            queue += [(u, m, url) for u, m in due]
            room = MAX_SITEMAP_URLS - total
            for loc, loc_lastmod in parsed.urls[: max(room, 0)]:
                pub = parsed.published.get(loc) or loc_lastmod
                self._add(loc, url, loc_lastmod, published=pub, published_via="sitemap")
            total += len(parsed.urls)
        state.update(done=sorted(done), queue=[list(q) for q in queue], complete=not queue)

    async def listings(self, max_pages: int | None = None) -> None:
        for lst in self.s.listings:
            await self._walker(f"listing {lst.url}", self._listing(lst, max_pages))

    async def _listing(self, lst, max_pages: int | None) -> None:
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
            links = self._links(body, url, rx)
            nxt = None
            try:
                nxt = self._next_page(lst, body, url, page) if links else None
            finally:
                state.update(next=nxt, page=page + 1, complete=nxt is None)

    def _links(self, body: bytes, url: str, rx: re.Pattern[str] | None) -> list[str]:
        links = []
        for link, problem in page_links(body, url, None):
            if problem:
                self._refuse(link, problem)
                continue
            links.append(link)
            self._add(link, url, pattern=rx)
        return links

    @staticmethod
    def _next_page(lst, body: bytes, url: str, page: int) -> str | None:
        if lst.page_url:
            nxt, problem = resolve(fill(lst.page_url, page=page + 1), url)
            if problem:
                raise TemplateError(f"page_url {lst.page_url!r} gives an unusable URL: {problem}")
            return canonicalize(nxt)
        if lst.next_pattern:
            rx = re.compile(lst.next_pattern)
            for href in parse_links(body, url):
                nxt, problem = resolve(href)
                if (
                    nxt
                    and not problem
                    and rx.search(nxt)
                    and canonicalize(nxt) != canonicalize(url)
                ):
                    return canonicalize(nxt)
        return None

    async def search(self, max_pages: int | None = None) -> None:
        if self.s.search is None:
            return
        for q in self.s.search.queries:
            await self._walker(f"search {q!r}", self._search(q, max_pages))

    async def _search(self, q: str, max_pages: int | None) -> None:
        srch = self.s.search
        assert srch is not None
        rx = re.compile(srch.article_pattern) if srch.article_pattern else None
        state = self.progress.setdefault(f"search:{q}", {"page": 1})
        while not state.get("complete"):
            page = state["page"]
            if page > (max_pages or srch.max_pages) or not self._spend():
                state["complete"] = page > (max_pages or srch.max_pages)
                break
            try:
                url = fill(srch.url, query=quote_plus(q), page=page)
            except TemplateError:
                state["complete"] = True
                raise
            body = await self._get(url, conditional=False, end_of_pages=page > 1)
            before = len(self.report.found)
            if body is not None:
                self._links(body, url, rx)
            new = len(self.report.found) - before
            state.update(page=page + 1, complete=body is None or new == 0)

    async def _walker(self, name: str, walk) -> None:
        """Run one walker; a template typo or an unexpected failure costs this walker only."""
        try:
            await walk
        except TemplateError as exc:
            self.report.errors.append(f"{name}: {exc}")
        except Exception as exc:
            where = printable(self.current or self.s.home, 200)
            self.report.crashed.append(f"{name} failed at {where}: {type(exc).__name__}: {exc}")

    async def _robots(self) -> list[str]:
        """robots.txt of the home host: its state, its own error named, its Sitemap: lines."""
        home_netloc = netloc_of(self.s.home)
        self.current = self.s.home
        allowed, _ = await self.f.robots_allows(self.s.home, self.s.politeness)
        self.report.robots_state = self.f.robots_state(home_netloc)
        self.report.robots_error = self.f.robots_message(home_netloc)
        self.report.crawl_delay = self.f.crawl_delay(home_netloc)
        if not allowed and self.report.robots_state == "ok":
            self.report.robots_blocked.append(self.s.home)
        if self.report.robots_state == "missing" and self.report.robots_error:
            self.report.errors.append(f"{home_netloc}/robots.txt: {self.report.robots_error}")
        return [
            sm
            for sm in self.f.robots_sitemaps(home_netloc)
            if sm not in self.s.sitemaps and in_scope(sm, self.scope)
        ]

    async def run(self, *, backfill: bool = False) -> DiscoveryReport:
        sitemaps = list(self.s.sitemaps) + (list(self.s.backfill_sitemaps) if backfill else [])
        try:
            sitemaps += await self._robots()
        except Exception as exc:
            self.report.crashed.append(f"robots.txt failed: {type(exc).__name__}: {exc}")
        if not backfill or not self.progress:
            await self._walker("feeds", self.feeds())
        await self._walker("sitemaps", self.sitemaps(sitemaps))
        await self.listings(max_pages=10_000 if backfill else None)
        if backfill:
            await self.search()
        self.report.progress = self.progress
        self.report.complete = not self.exhausted and all(
            st.get("complete", True) for st in self.progress.values()
        )
        return self.report
