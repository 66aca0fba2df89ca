"""The pipeline stages as plain functions over the typed record.

The Prefect flow only wires these; they are also called directly by tests, `ingest reprocess`
and the benchmarks. Nothing here writes to the database: loading is the single writer's job.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from .clock import VN_TZ
from .config import Source, resolve_hook
from .crawl.archive import WarcArchive
from .crawl.asyncrun import run as run_async
from .crawl.discover import Discoverer, DiscoveryReport
from .crawl.fetch import Fetcher
from .crawl.politeness import HostState
from .crawl.urls import canonicalize, in_scope
from .models import ArticleRecord, Classification, Discovered, Extracted, FetchResult


@dataclass(frozen=True)
class RunSettings:
    """Everything a worker needs; small and picklable so tasks can run on Dask workers."""

    user_agent: str
    raw_dir: str
    taxonomy_path: str
    global_concurrency: int = 8
    backoff_base: float = 1.0
    retry_after_cap: float = 120.0
    run_id: str | None = None  # written into each WARC file's warcinfo, for offline replay


@dataclass
class FetchedBatch:
    """A batch of article URLs fetched and archived, not yet parsed; `hosts` is the politeness
    state handed to the next task of the host's lane."""

    source_id: str
    found: list[Discovered]
    results: list[FetchResult]
    requests: int = 0
    warc_file: str | None = None
    hosts: HostState = field(default_factory=dict)


@dataclass
class ProcessedBatch:
    source_id: str
    records: list[ArticleRecord] = field(default_factory=list)
    requests: int = 0
    warc_file: str | None = None
    hosts: HostState = field(default_factory=dict)


@lru_cache(maxsize=8)
def _taxonomy(path: str, mtime: float):
    from .tag.taxonomy import load_taxonomy

    return load_taxonomy(path)


def taxonomy_for(path: str):
    return _taxonomy(path, Path(path).stat().st_mtime)


def _archive(source: Source, settings: RunSettings, task: str) -> WarcArchive:
    """A WARC file for one task: `<source>-…` for articles, `discovery-<source>-…` for
    robots.txt, feeds, sitemaps and listings (the warcinfo names run, source and task)."""
    info = {"source": source.id, "task": task}
    if settings.run_id:
        info["run"] = settings.run_id
    prefix = source.id if task == "articles" else f"{task}-{source.id}"
    return WarcArchive(settings.raw_dir, prefix=prefix, info=info)


def _fetcher(settings: RunSettings, archive: WarcArchive | None, hosts: HostState | None):
    return Fetcher(
        settings.user_agent,
        global_concurrency=settings.global_concurrency,
        archive=archive,
        backoff_base=settings.backoff_base,
        retry_after_cap=settings.retry_after_cap,
        hosts=hosts,
    )


def discover(
    source: Source,
    settings: RunSettings,
    cache: dict[str, dict],
    *,
    backfill: bool = False,
    since: date | None = None,
    progress: dict[str, dict] | None = None,
    budget: int | None = None,
    hosts: HostState | None = None,
) -> tuple[DiscoveryReport, HostState, int]:
    """Discovery for one source; returns the report, the hosts' politeness state (robots.txt
    included) for the next task of the lane, and the request count. Every response (robots.txt,
    feeds, sitemaps, listings) is archived. A backfill passes the saved walker positions and a
    page budget for this round."""
    archive = _archive(source, settings, "discovery")

    async def go():
        async with _fetcher(settings, archive, hosts) as f:
            report = await Discoverer(
                f, source, cache, since=since, progress=progress, budget=budget
            ).run(backfill=backfill)
            return report, f.host_state(), f.stats.requests

    try:
        return run_async(go())
    finally:
        archive.discard_if_empty()  # fsync: the cache rows saved next point at these records


def extract_and_tag(record: ArticleRecord, source: Source, taxonomy) -> ArticleRecord:
    """Extraction then classification of one fetched page; pure apart from the record it fills."""
    from .extract.article import extract
    from .tag.classify import classify

    assert record.fetch is not None
    ex = extract(
        record.fetch.body,
        url=record.fetch.final_url,
        overrides=source.extract,
        encoding=header_charset(record.fetch.headers.get("content-type")),
    )
    if source.hook:  # it sees failed pages too: rescuing those is what a hook is for
        ex = apply_site_hook(source.hook, ex, record.fetch.body, record.fetch.final_url)
    record.extracted = ex
    if ex.ok:
        record.classification = classify(ex.title, ex.text, taxonomy, lead=ex.lead)
    date_from_discovery(record)
    return record


@lru_cache(maxsize=32)
def _site_hook(spec: str):
    return resolve_hook(spec)


def apply_site_hook(spec: str, ex: Extracted, body: bytes, url: str) -> Extracted:
    """A source's optional hook (`hook: package.module:function` in sources.yaml) sees every
    page the generic extraction read, with the page's bytes and URL, and returns the fields
    corrected (an `Extracted`) or None to keep them. It is for what no selector reaches (a
    body held in a JSON blob); a hook that fails costs its page only, named."""
    try:
        out = _site_hook(spec)(ex, body, url)
    except Exception as exc:
        return Extracted(error=f"site hook {spec} failed: {type(exc).__name__}: {exc}"[:500])
    if out is None:
        return ex
    if not isinstance(out, Extracted):
        return Extracted(error=f"site hook {spec} returned {type(out).__name__}, not Extracted")
    out.extractor_version = out.extractor_version or ex.extractor_version
    return out


def header_charset(content_type: str | None) -> str | None:
    """The charset named by a Content-Type header, if Python knows it (header beats <meta>)."""
    import codecs
    import re

    m = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type or "", re.I)
    if not m:
        return None
    try:
        return codecs.lookup(m.group(1)).name
    except LookupError:
        return None


@dataclass(frozen=True)
class ArticleKey:
    """The URL an article is stored under, the fetched URL it falls back to, and why the page's
    rel=canonical was not used (None when it was, or when there was none)."""

    url: str
    fetched: str
    refused: str | None = None

    @property
    def from_canonical(self) -> bool:
        return self.url != self.fetched


def article_key(record: ArticleRecord, source: Source) -> ArticleKey:
    """rel=canonical when it is plausible for this page, else the fetched URL.

    A canonical is a claim the page makes, and CMS templates get it wrong: every article of a
    site pointing at the home page, or at its section, would collapse into one row. So it is
    used only when it stays on the source's hosts and names neither the home page, nor a page
    discovery reads (a feed, sitemap or listing), nor a path above the article's own (its
    section), and, when the source has an `article_pattern` the fetched URL matches, only
    when it matches too. Whether another page already holds it with different content is the
    loader's check (it needs the database)."""
    fetched = canonicalize(record.fetch.final_url if record.fetch else record.url)
    ex = record.extracted
    if not (ex and ex.canonical_url):
        return ArticleKey(fetched, fetched)
    try:
        canon = canonicalize(ex.canonical_url, fetched)
    except ValueError:
        return ArticleKey(fetched, fetched, "unparsable")
    if canon == fetched:
        return ArticleKey(fetched, fetched)
    problem = canonical_problem(canon, fetched, source)
    return ArticleKey(fetched, fetched, problem) if problem else ArticleKey(canon, fetched)


def canonical_problem(canon: str, fetched: str, source: Source) -> str | None:
    """Why `canon` cannot be the key of the page fetched at `fetched` (None: it can)."""
    if not in_scope(canon, source.scope_hosts()):
        return "off the source's hosts"
    parts, own = urlsplit(canon), urlsplit(fetched)
    if parts.path in ("", "/") and not parts.query:
        return "the home page"
    discovery = {canonicalize(u) for u in _discovery_urls(source)}
    if canon in discovery:
        return "a feed, sitemap or listing page"
    if _section_above(parts.path, own.path) and not parts.query:
        return "a section page above the article"
    pattern = source.article_pattern
    if pattern and re.search(pattern, fetched) and not re.search(pattern, canon):
        return "not an article URL (article_pattern)"
    return None


_DIGIT = re.compile(r"\d")


def _section_above(path: str, own: str) -> bool:
    """`path` is a directory above `own` and names no article: its last segment has no digit.
    (News article URLs carry an id or a date; sections do not. A print or AMP copy's canonical
    is the article above it, with its id, and stays usable.)"""
    section = path.rstrip("/")
    if not section or own.rstrip("/") == section or not own.startswith(section + "/"):
        return False
    return not _DIGIT.search(section.rsplit("/", 1)[-1])


def _discovery_urls(source: Source) -> list[str]:
    return [
        source.home,
        *source.feeds,
        *source.sitemaps,
        *source.backfill_sitemaps,
        *(lst.url for lst in source.listings),
    ]


def fetch_batch(
    source: Source,
    found: list[Discovered],
    settings: RunSettings,
    hosts: HostState | None = None,
) -> FetchedBatch:
    """Fetch a batch of article URLs politely and archive every response (fsynced on return,
    before the database may point at it). Only the network: parsing runs apart, so the host's
    lane can go on to its next batch while this one is extracted."""
    archive = _archive(source, settings, "articles")
    scope = source.scope_hosts()

    async def go() -> FetchedBatch:
        async with _fetcher(settings, archive, hosts) as f:
            results = await asyncio.gather(
                *(f.fetch(d.url, source.politeness, scope) for d in found)
            )
            return FetchedBatch(
                source.id, list(found), list(results), f.stats.requests, hosts=f.host_state()
            )

    try:
        batch = run_async(go())
    finally:
        empty = archive.discard_if_empty()
    batch.warc_file = None if empty else archive.name
    return batch


def extract_batch(source: Source, fetched: FetchedBatch, settings: RunSettings) -> ProcessedBatch:
    """Extract and tag the pages of a fetched batch; a hostile page costs its own record only."""
    batch = ProcessedBatch(
        source.id, requests=fetched.requests, warc_file=fetched.warc_file, hosts=fetched.hosts
    )
    taxonomy = taxonomy_for(settings.taxonomy_path)
    for d, res in zip(fetched.found, fetched.results, strict=True):
        rec = ArticleRecord(source_id=source.id, url=d.url, discovered=d, fetch=res)
        if res.outcome == "ok":
            try:
                extract_and_tag(rec, source, taxonomy)
            except Exception as exc:  # a hostile page must never stop the batch
                rec.extracted = Extracted(error=f"extraction crashed: {type(exc).__name__}: {exc}")
        batch.records.append(rec)
    return batch


def process(
    source: Source,
    found: list[Discovered],
    settings: RunSettings,
    hosts: HostState | None = None,
) -> ProcessedBatch:
    """Fetch a batch of article URLs politely, archive every response, extract and tag them."""
    return extract_batch(source, fetch_batch(source, found, settings, hosts), settings)


PAGE_DATE_SOURCES = {"json-ld": "json-ld", "meta": "meta"}


def date_from_discovery(record: ArticleRecord) -> None:
    """A page that shows no date takes its feed item's time, else its sitemap entry's: an
    undated article would drop out of every date range the monitoring team asks for."""
    ex, d = record.extracted, record.discovered
    if ex is None or not ex.ok or ex.published or d is None or not d.published_hint:
        return
    when = hanoi_iso(d.published_hint)
    if when:
        ex.published = when
        ex.field_sources["published"] = d.published_via or "feed"


def hanoi_iso(value: str) -> str | None:
    """A feed or sitemap date as ISO 8601 in +07:00 (a bare date is taken as Hanoi's day)."""
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=VN_TZ)
    return when.astimezone(VN_TZ).replace(microsecond=0).isoformat()


def published_source(ex: Extracted) -> str | None:
    """Where an article's date came from: page | json-ld | meta | feed | sitemap (None: no
    date). Extraction names its signals in `field_sources`; every visible one is `page`."""
    if not ex.published:
        return None
    got = (ex.field_sources or {}).get("published") or ""
    if got in ("feed", "sitemap"):
        return got
    return PAGE_DATE_SOURCES.get(got, "page")


def content_sha256(ex: Extracted) -> str:
    return hashlib.sha256("\n\n".join((ex.title, ex.lead, ex.text)).encode("utf-8")).hexdigest()


def classification_summary(c: Classification | None) -> tuple[list[str], list[str]]:
    if c is None:
        return [], []
    return (sorted({t.label_id for t in c.initiatives}), sorted({t.label_id for t in c.agencies}))
