"""The pipeline stages as plain functions over the typed record.

The Prefect flow only wires these; they are also called directly by tests, `ingest reprocess`
and the benchmarks. Nothing here writes to the database: loading is the single writer's job.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from .clock import VN_TZ
from .config import Source
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
    record.extracted = ex
    if ex.ok:
        record.classification = classify(ex.title, ex.text, taxonomy, lead=ex.lead)
    date_from_discovery(record)
    return record


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


def article_key(record: ArticleRecord, source: Source) -> str:
    """The URL an article is stored under: rel=canonical when it stays on the source's hosts."""
    ex = record.extracted
    if ex and ex.canonical_url:
        canon = canonicalize(ex.canonical_url, record.fetch.final_url if record.fetch else None)
        if in_scope(canon, source.scope_hosts()):
            return canon
    return canonicalize(record.fetch.final_url if record.fetch else record.url)


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
