"""Re-run extraction and tagging from the raw archive, with no network.

Used after a taxonomy edit or an extractor fix: every stored article is read back from its WARC
record and goes through the same stage functions as a fresh crawl. `replay` goes further and
rebuilds a knowledge base from the archive alone, discovery included: each archived run's
robots.txt, feeds, sitemaps and listings are read again (so the frontier, and the dates feeds
gave undated pages, come back), then the article responses of that run are loaded.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import sqlite_utils

from .config import Source, SourcesFile
from .crawl.archive import read_record
from .crawl.asyncrun import run as run_async
from .crawl.discover import Discoverer
from .crawl.replay import ArchiveIndex, ReplayFetcher
from .evidence.corrections import sync_file
from .models import ArticleRecord, Discovered, FetchResult
from .stages import FetchedBatch, RunSettings, extract_and_tag, extract_batch, taxonomy_for
from .store.load import load_batch, record_discovery, save_article


def reprocess(
    db: sqlite_utils.Database,
    cfg: SourcesFile,
    taxonomy_path: str,
    raw_dir: str | Path,
    *,
    source_id: str | None = None,
    article_ids: list[int] | None = None,
    batch: int = 200,
    corrections_path: str | Path | None = None,
) -> Counter:
    """Re-extract and re-tag the stored articles; the reviewers' corrections (synced from
    `corrections_path` first, when given) are re-applied to each one as it is saved."""
    if corrections_path is not None:
        sync_file(db, corrections_path)
    taxonomy = taxonomy_for(str(taxonomy_path))
    where, params = ["warc_file is not null"], []
    if source_id:
        where.append("source_id = ?")
        params.append(source_id)
    if article_ids:
        where.append(f"id in ({','.join('?' for _ in article_ids)})")
        params += article_ids
    rows = list(
        db.query(
            f"select id, url, source_id, fetched_at, http_status, raw_sha256, warc_file, warc_offset,"
            f" warc_record_id from articles where {' and '.join(where)} order by id",
            params,
        )
    )
    counts: Counter = Counter()
    sources = {s.id: s for s in cfg.sources}
    for i in range(0, len(rows), batch):
        with db.atomic():
            for row in rows[i : i + batch]:
                source = sources.get(row["source_id"])
                if source is None:
                    counts["unknown_source"] += 1
                    continue
                try:
                    stored = read_record(raw_dir, row["warc_file"], row["warc_offset"])
                except (OSError, ValueError) as exc:
                    counts["archive_missing"] += 1
                    print(f"article {row['id']}: archive unreadable ({exc})")
                    continue
                fetch = FetchResult(
                    url=row["url"],
                    final_url=stored.url or row["url"],
                    status=row["http_status"],
                    body=stored.body,
                    fetched_at=row["fetched_at"],
                    raw_sha256=row["raw_sha256"],
                    warc_file=row["warc_file"],
                    warc_offset=row["warc_offset"],
                    warc_record_id=row["warc_record_id"],
                )
                rec = ArticleRecord(source_id=source.id, url=row["url"], fetch=fetch)
                extract_and_tag(rec, source, taxonomy)
                if rec.extracted is None or not rec.extracted.ok:
                    counts["extract_failed"] += 1
                    continue
                _, status = save_article(db, rec, source, article_id=row["id"])
                counts[status] += 1
    return counts


def replay(
    db: sqlite_utils.Database,
    cfg: SourcesFile,
    taxonomy_path: str,
    raw_dir: str | Path,
    *,
    source_id: str | None = None,
    batch: int = 200,
) -> Counter:
    """Rebuild frontier and articles from the archive, run by run, as the crawl built them."""
    index = ArchiveIndex(raw_dir)
    settings = RunSettings(user_agent="replay", raw_dir=str(raw_dir), taxonomy_path=taxonomy_path)
    sources = [s for s in cfg.sources if not source_id or s.id == source_id]
    counts: Counter = Counter()
    for run in index.runs:
        fetcher = ReplayFetcher(index, run, cfg.user_agent)
        present = index.sources_of(run)
        for source in (s for s in sources if s.id in present):
            report = run_async(Discoverer(fetcher, source, {}).run())
            record_discovery(db, report)
            counts["discovered"] += len(report.found)
            urls = index.article_requests(run, source.id)
            for i in range(0, len(urls), batch):
                counts += _replay_articles(db, fetcher, source, urls[i : i + batch], settings)
        counts["runs"] += 1
    return counts


def reprocess_failed(
    db: sqlite_utils.Database,
    cfg: SourcesFile,
    taxonomy_path: str,
    raw_dir: str | Path,
    *,
    source_id: str | None = None,
    batch: int = 200,
) -> Counter:
    """Extract again, from the archive, every page whose extraction failed (`extract_failed`
    in the frontier): after a selector, a taxonomy or the extractor is fixed, the pages come
    back tonight instead of at their next retry. Each URL is answered with its latest
    archived response (its redirects too), then loaded as a crawl would load it: the ones
    that now yield an article are stored, the others keep their back-off."""
    sources = {s.id: s for s in cfg.sources if not source_id or s.id == source_id}
    rows = db.execute(
        "select url, source_id from frontier where state = 'extract_failed' order by first_seen"
    ).fetchall()
    wanted: dict[str, list[str]] = {}
    for url, sid in rows:
        if sid in sources:
            wanted.setdefault(sid, []).append(url)
    counts: Counter = Counter()
    if not wanted:
        return counts
    index = ArchiveIndex(raw_dir)
    if not index.runs:
        counts["archive_missing"] += sum(len(u) for u in wanted.values())
        return counts
    fetcher = ReplayFetcher(index, index.runs[-1], cfg.user_agent)  # the latest of every URL
    settings = RunSettings(user_agent="replay", raw_dir=str(raw_dir), taxonomy_path=taxonomy_path)
    for sid, urls in wanted.items():
        for i in range(0, len(urls), batch):
            got = _replay_articles(db, fetcher, sources[sid], urls[i : i + batch], settings)
            counts["retried"] += len(urls[i : i + batch])
            counts += got
    return counts


def _replay_articles(
    db: sqlite_utils.Database,
    fetcher: ReplayFetcher,
    source: Source,
    urls: list[str],
    settings: RunSettings,
) -> Counter:
    found = []
    for url in urls:
        row = db.execute(
            "select found_via, lastmod, published_hint, published_via from frontier where url = ?",
            [url],
        ).fetchone()
        via, lastmod, hint, hint_via = row or ("", None, None, None)
        found.append(Discovered(url, source.id, via or "", lastmod, None, hint, hint_via))
    scope = source.scope_hosts()

    async def go():
        return [await fetcher.fetch(d.url, source.politeness, scope) for d in found]

    fetched = FetchedBatch(source.id, found, run_async(go()))
    processed = extract_batch(source, fetched, settings)
    return Counter(load_batch(db, processed.records, source))
