"""The pipeline stages as plain functions over the typed record.

The Prefect flow only wires these; they are also called directly by tests, `ingest reprocess`
and the benchmarks. Nothing here writes to the database: loading is the single writer's job.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

from .config import Source
from .crawl.archive import WarcArchive
from .crawl.asyncrun import run as run_async
from .crawl.discover import Discoverer, DiscoveryReport
from .crawl.fetch import Fetcher
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


@dataclass
class ProcessedBatch:
    source_id: str
    records: list[ArticleRecord] = field(default_factory=list)
    requests: int = 0
    warc_file: str | None = None


@lru_cache(maxsize=8)
def _taxonomy(path: str, mtime: float):
    from .tag.taxonomy import load_taxonomy

    return load_taxonomy(path)


def taxonomy_for(path: str):
    return _taxonomy(path, Path(path).stat().st_mtime)


def discover(
    source: Source,
    settings: RunSettings,
    cache: dict[str, dict],
    *,
    backfill: bool = False,
    since: date | None = None,
    progress: dict[str, dict] | None = None,
    budget: int | None = None,
) -> tuple[DiscoveryReport, dict[str, tuple[str, str | None]], int]:
    """Discovery for one source; returns the report, the robots cache and the request count.

    A backfill passes the saved walker positions and a page budget for this round."""

    async def go():
        async with Fetcher(
            settings.user_agent,
            global_concurrency=settings.global_concurrency,
            backoff_base=settings.backoff_base,
            retry_after_cap=settings.retry_after_cap,
        ) as f:
            report = await Discoverer(
                f, source, cache, since=since, progress=progress, budget=budget
            ).run(backfill=backfill)
            return report, f.robots_cache(), f.stats.requests

    return run_async(go())


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


def process(
    source: Source,
    found: list[Discovered],
    settings: RunSettings,
    robots_cache: dict[str, tuple[str, str | None]] | None = None,
) -> ProcessedBatch:
    """Fetch a batch of article URLs politely, archive every response, extract and tag them."""
    archive = WarcArchive(settings.raw_dir, prefix=source.id)
    batch = ProcessedBatch(source.id, warc_file=archive.name)
    scope = source.scope_hosts()

    async def go() -> list[FetchResult]:
        async with Fetcher(
            settings.user_agent,
            global_concurrency=settings.global_concurrency,
            archive=archive,
            backoff_base=settings.backoff_base,
            retry_after_cap=settings.retry_after_cap,
            robots_cache=robots_cache,
        ) as f:
            results = await asyncio.gather(
                *(f.fetch(d.url, source.politeness, scope) for d in found)
            )
            batch.requests = f.stats.requests
            return list(results)

    try:
        fetched = run_async(go())
    finally:
        archive.close()  # fsync before the database points at any record
    taxonomy = taxonomy_for(settings.taxonomy_path)
    for d, res in zip(found, fetched, strict=True):
        rec = ArticleRecord(source_id=source.id, url=d.url, discovered=d, fetch=res)
        if res.outcome == "ok":
            try:
                extract_and_tag(rec, source, taxonomy)
            except Exception as exc:  # a hostile page must never stop the batch
                rec.extracted = Extracted(error=f"extraction crashed: {type(exc).__name__}: {exc}")
        batch.records.append(rec)
    if not any(r.fetch and r.fetch.warc_file for r in batch.records):
        Path(archive.path).unlink(missing_ok=True)
        batch.warc_file = None
    return batch


def content_sha256(ex: Extracted) -> str:
    return hashlib.sha256("\n\n".join((ex.title, ex.lead, ex.text)).encode("utf-8")).hexdigest()


def classification_summary(c: Classification | None) -> tuple[list[str], list[str]]:
    if c is None:
        return [], []
    return (sorted({t.label_id for t in c.initiatives}), sorted({t.label_id for t in c.agencies}))
