"""The single writer: frontier, articles, tags and the search index, one transaction per batch.

Loads are idempotent (upsert by the article's canonical URL), so a run killed half-way and
started again converges to the same rows; a batch either lands whole or not at all.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlite_utils

from ..clock import now_vn
from ..config import Source
from ..crawl.discover import DiscoveryReport
from ..crawl.lastmod import changed_since, later_date
from ..crawl.urls import canonicalize
from ..models import ArticleRecord, Tag
from ..stages import (
    ArticleKey,
    article_key,
    classification_summary,
    content_sha256,
    published_source,
)
from .corrections import apply_corrections
from .db import index_article

QUARANTINE_STATUSES = {401, 403, 404, 410, 451}
MAX_TRANSIENT_ATTEMPTS = 5
# A page that was fetched but gave no article is tried again after 3 days, then 6, 12, ...
# up to 90: slow, because the usual causes (a selector, an extractor gap, a broken page) take
# days to fix, and a page that never yields costs one request a quarter.
EXTRACT_RETRY_DAYS = 3
EXTRACT_RETRY_MAX_DAYS = 90


def extract_retry_delay(failures: int) -> timedelta:
    """How long after its `failures`-th failed extraction a page is due again."""
    return timedelta(
        days=min(EXTRACT_RETRY_MAX_DAYS, EXTRACT_RETRY_DAYS * 2 ** max(0, failures - 1))
    )


def _iso(dt: datetime) -> str:
    return dt.replace(microsecond=0).isoformat()


def http_cache(db: sqlite_utils.Database, urls: Iterable[str]) -> dict[str, dict]:
    urls = list(urls)
    if not urls:
        return {}
    marks = ",".join("?" for _ in urls)
    return {r["url"]: r for r in db.query(f"select * from http_cache where url in ({marks})", urls)}


def source_cache(db: sqlite_utils.Database, source: Source) -> dict[str, dict]:
    """Validators of every discovery page of a source: its configured feeds, sitemaps and
    listings, and the child sitemaps its indexes listed (with the lastmod they gave)."""
    rows = http_cache(
        db,
        source.feeds
        + source.sitemaps
        + source.backfill_sitemaps
        + [lst.url for lst in source.listings],
    )
    rows.update(
        (r["url"], r) for r in db.query("select * from http_cache where source_id = ?", [source.id])
    )
    return rows


def backfill_progress(db: sqlite_utils.Database, source_id: str, since: str) -> dict[str, dict]:
    """Saved walker positions of an unfinished backfill to the same date (empty: start over)."""
    return {
        r["walker"]: json.loads(r["state"])
        for r in db.query(
            "select walker, state from backfill_progress where source_id = ? and since = ?",
            [source_id, since],
        )
    }


def clear_backfill(db: sqlite_utils.Database, source_id: str) -> None:
    with db.atomic():
        db.execute("delete from backfill_progress where source_id = ?", [source_id])


def record_discovery(
    db: sqlite_utils.Database, report: DiscoveryReport, backfill_since: str | None = None
) -> int:
    """Save every URL seen (and the HTTP cache validators, and a backfill's position) in one
    transaction, so a run killed at any point neither loses URLs nor skips pages; returns the
    number of new URLs."""
    now = _iso(now_vn())
    new = 0
    with db.atomic():
        if backfill_since is not None:
            db.execute(
                "delete from backfill_progress where source_id = ? and since != ?",
                [report.source_id, backfill_since],
            )
            for walker, state in report.progress.items():
                db["backfill_progress"].upsert(
                    {
                        "source_id": report.source_id,
                        "walker": walker,
                        "since": backfill_since,
                        "state": json.dumps(state, ensure_ascii=False),
                        "updated_at": now,
                    },
                    pk=("source_id", "walker"),
                )
        for d in report.found:
            known = db.execute(
                "select f.state, f.lastmod, a.fetched_at, f.published_hint, f.published_via"
                " from frontier f left join articles a on a.id = f.article_id where f.url = ?",
                [d.url],
            ).fetchone()
            if known:
                state, lastmod, fetched_at, hint, via = known
                if state in ("fetched", "not_modified") and changed_since(
                    d.lastmod, fetched_at, now_vn()
                ):
                    state = "changed"
                if d.published_hint and via != "feed":  # a feed's date is never replaced
                    hint, via = d.published_hint, d.published_via
                db.execute(
                    "update frontier set last_seen = ?, lastmod = ?, state = ?,"
                    " published_hint = ?, published_via = ? where url = ?",
                    [now, later_date(lastmod, d.lastmod), state, hint, via, d.url],
                )
                continue
            db["frontier"].insert(
                {
                    "url": d.url,
                    "source_id": d.source_id,
                    "first_seen": now,
                    "last_seen": now,
                    "found_via": d.found_via,
                    "state": "new",
                    "lastmod": d.lastmod,
                    "published_hint": d.published_hint,
                    "published_via": d.published_via,
                }
            )
            new += 1
        for url, reason in report.refused:
            _refuse(db, url, report.source_id, reason, None, now)
        for url in report.out_of_scope:
            db.execute(
                "insert into frontier (url, source_id, first_seen, last_seen, state, last_error)"
                " values (?, ?, ?, ?, 'out_of_scope', 'host not in the source''s scope')"
                " on conflict(url) do update set last_seen = excluded.last_seen",
                [url, report.source_id, now, now],
            )
        for row in report.cache_updates:
            db["http_cache"].upsert(row, pk="url")
    return new


def due_urls(db: sqlite_utils.Database, source: Source, limit: int) -> list[dict]:
    """URLs to fetch now: new ones, failed or quarantined ones whose retry time has come, then
    up to `max_refetch_per_run` articles whose sitemap or feed date moved past our copy, then
    as many pages whose extraction failed and whose back-off is over."""
    now = _iso(now_vn())
    cols = "url, found_via, lastmod, published_hint, published_via"
    due = list(
        db.query(
            f"select {cols} from frontier where source_id = ? and ("
            " state = 'new' or (state in ('failed', 'quarantined') and coalesce(next_try, '') <= ?))"
            " order by coalesce(lastmod, '') desc, first_seen limit ?",
            [source.id, now, limit],
        )
    )
    room = min(limit - len(due), source.politeness.max_refetch_per_run)
    if room > 0:
        due += db.query(
            f"select {cols} from frontier where source_id = ? and state = 'changed'"
            " order by coalesce(lastmod, '') desc limit ?",
            [source.id, room],
        )
    # pages that gave no article, once their back-off is over (after the new and the changed:
    # they have failed before); rows from before the back-off existed are due once now
    room = min(limit - len(due), source.politeness.max_refetch_per_run)
    if room > 0:
        due += db.query(
            f"select {cols} from frontier where source_id = ? and state = 'extract_failed'"
            " and coalesce(next_try, '') <= ? order by coalesce(next_try, ''), first_seen limit ?",
            [source.id, now, room],
        )
    return due


def _tag_rows(article_id: int, tags: list[Tag], key: str, version: str) -> list[dict]:
    return [
        {
            "article_id": article_id,
            key: t.label_id,
            "evidence": t.evidence,
            "field": t.field,
            "start": t.start,
            "end": t.end,
            "rule": t.rule,
            "tagger_version": version,
        }
        for t in tags
    ]


def _claim(db: sqlite_utils.Database, rec: ArticleRecord, source: Source, digest: str) -> str:
    """The row this page may write: one row per article, whatever the pages claim.

    The key is rel=canonical when plausible (`stages.article_key`). A row already under that
    key is this page's when the page wrote it before (its frontier entry points at it) or it
    holds the same text (one article under two URLs); otherwise another article holds it, and
    two contents never share a row: a canonical key falls back to the fetched URL, and a page
    taking back its own URL from a page that had claimed it moves that row to the URL it was
    fetched from."""
    key = article_key(rec, source)
    rec.canonical_refused = key.refused
    holder = _holder(db, key.url, rec.url, digest)
    if holder is None:
        return key.url
    if key.from_canonical:
        rec.canonical_refused = "another article's, with different content"
        key = ArticleKey(key.fetched, key.fetched, rec.canonical_refused)
        holder = _holder(db, key.url, rec.url, digest)
        if holder is None:
            return key.url
    _move_aside(db, holder, key.url)
    return key.url


def _holder(db: sqlite_utils.Database, url: str, page: str, digest: str) -> int | None:
    """The id of another article stored under `url` (None: free, or this page's own row)."""
    row = db.execute("select id, content_sha256 from articles where url = ?", [url]).fetchone()
    if row is None or row[1] == digest:
        return None
    mine = db.execute(
        "select 1 from frontier where url = ? and article_id = ?", [page, row[0]]
    ).fetchone()
    return None if mine else row[0]


def _move_aside(db: sqlite_utils.Database, article_id: int, url: str) -> None:
    """Give a row that had claimed another page's URL the URL it was itself fetched from."""
    own = [
        canonicalize(u)
        for (u,) in db.execute(
            "select url from frontier where article_id = ? order by first_seen", [article_id]
        ).fetchall()
    ]
    taken = {u for (u,) in db.execute("select url from articles where url in (select value"
                                      " from json_each(?))", [json.dumps(own)]).fetchall()}  # fmt: skip
    free = [u for u in own if u != url and u not in taken]
    new_url = free[0] if free else f"{url}#article-{article_id}"  # nowhere to go: keep both
    db.execute("update articles set url = ? where id = ?", [new_url, article_id])


def save_article(
    db: sqlite_utils.Database, rec: ArticleRecord, source: Source, article_id: int | None = None
) -> tuple[int, str]:
    """Upsert one extracted article with its tags and search entry; returns (id, new|updated|same).

    `article_id`: the row this record is known to be (reprocessing one stored article), kept
    under its URL; otherwise the row is found by the article's key (`_claim`)."""
    ex, res, cls = rec.extracted, rec.fetch, rec.classification
    assert ex is not None and res is not None
    digest = content_sha256(ex)
    if article_id is not None:
        url = db.execute("select url from articles where id = ?", [article_id]).fetchone()[0]
    else:
        url = _claim(db, rec, source, digest)
    now = _iso(now_vn())
    inits, agencies = classification_summary(cls)
    published = ex.published
    row = {
        "url": url,
        "canonical_url": ex.canonical_url,
        "source_id": source.id,
        "source_kind": source.kind,
        "title": ex.title,
        "lead": ex.lead,
        "text": ex.text,
        "author": ex.author,
        "published": published,
        "published_date": published[:10] if published else None,
        "published_month": published[:7] if published else None,
        "published_year": int(published[:4]) if published else None,
        "published_source": published_source(ex),
        "fetched_at": res.fetched_at,
        "language": ex.language,
        "relevant": int(bool(cls and cls.relevant)),
        "relevance_score": cls.score if cls else None,
        "content_sha256": digest,
        "http_status": res.status,
        "raw_sha256": res.raw_sha256,
        "warc_file": res.warc_file,
        "warc_offset": res.warc_offset,
        "warc_record_id": res.warc_record_id,
        "extractor_version": ex.extractor_version,
        "tagger_version": cls.tagger_version if cls else None,
        "field_sources": json.dumps(ex.field_sources, ensure_ascii=False),
        "initiative_ids": json.dumps(inits),
        "agency_ids": json.dumps(agencies),
        "updated_at": now,
    }
    existing = db.execute(
        "select id, content_sha256, tagger_version from articles where url = ?", [url]
    ).fetchone()
    if existing is None:
        row["first_seen"] = now
        article_id = db["articles"].insert(row).last_pk
        status = "new"
    else:
        article_id = existing[0]
        status = (
            "same" if (existing[1], existing[2]) == (digest, row["tagger_version"]) else "updated"
        )
        db["articles"].update(article_id, row)
    write_tags(db, article_id, cls)
    apply_corrections(db, article_id, fresh=True)  # reviewers' corrections outlast re-tagging
    index_article(db, article_id, row)
    return article_id, status


def write_tags(db: sqlite_utils.Database, article_id: int, cls) -> None:
    db.execute("delete from article_initiatives where article_id = ?", [article_id])
    db.execute("delete from article_agencies where article_id = ?", [article_id])
    if cls is None:
        return
    if cls.initiatives:
        db["article_initiatives"].insert_all(
            _tag_rows(article_id, cls.initiatives, "initiative_id", cls.tagger_version)
        )
    if cls.agencies:
        db["article_agencies"].insert_all(
            _tag_rows(article_id, cls.agencies, "agency_id", cls.tagger_version)
        )


def _frontier_update(db: sqlite_utils.Database, url: str, **cols) -> None:
    sets = ", ".join(f"{k} = ?" for k in cols)
    db.execute(f"update frontier set {sets} where url = ?", [*cols.values(), url])


def _refuse(
    db: sqlite_utils.Database,
    url: str,
    source_id: str,
    reason: str,
    status: int | None,
    now: str,
) -> None:
    """A URL that cannot be requested (`invalid_url`, `unsafe_redirect`): quarantined with its
    reason and never due again, so the same bad link cannot cost another night."""
    db.execute(
        "insert into quarantine (url, source_id, reason, status, first_failed, last_failed,"
        " failures, retry_after) values (?, ?, ?, ?, ?, ?, 1, null) on conflict(url) do update"
        " set reason = excluded.reason, last_failed = excluded.last_failed,"
        " failures = failures + 1, retry_after = null",
        [url, source_id, reason, status, now, now],
    )


def _quarantine(db: sqlite_utils.Database, rec: ArticleRecord, reason: str, now: datetime) -> str:
    row = db.execute("select failures from quarantine where url = ?", [rec.url]).fetchone()
    failures = (row[0] + 1) if row else 1
    retry = _iso(now + timedelta(days=7 * 2 ** min(failures - 1, 4)))
    db.execute(
        "insert into quarantine (url, source_id, reason, status, first_failed, last_failed, failures,"
        " retry_after) values (?, ?, ?, ?, ?, ?, 1, ?) on conflict(url) do update set"
        " reason = excluded.reason, status = excluded.status, last_failed = excluded.last_failed,"
        " failures = failures + 1, retry_after = excluded.retry_after",
        [
            rec.url,
            rec.source_id,
            reason,
            rec.fetch.status if rec.fetch else None,
            _iso(now),
            _iso(now),
            retry,
        ],
    )
    return retry


def load_batch(db: sqlite_utils.Database, records: list[ArticleRecord], source: Source) -> Counter:
    """Write one fetched batch atomically; returns counts by outcome (new, updated, failed...)."""
    counts: Counter = Counter()
    now = now_vn()
    with db.atomic():
        for rec in records:
            res = rec.fetch
            assert res is not None
            counts["fetched" if res.outcome in ("ok", "not_modified") else res.outcome] += 1
            if res.outcome in ("invalid_url", "unsafe_redirect"):
                counts["refused"] += 1
            attempts = (
                db.execute("select attempts from frontier where url = ?", [rec.url]).fetchone()
                or [0]
            )[0] or 0
            base = {"attempts": attempts + 1, "last_status": res.status, "last_seen": _iso(now)}
            if res.outcome == "ok" and rec.extracted is not None and rec.extracted.ok:
                article_id, status = save_article(db, rec, source)
                counts[status] += 1
                if rec.classification and rec.classification.relevant:
                    counts["relevant"] += 1
                _frontier_update(
                    db,
                    rec.url,
                    state="fetched",
                    article_id=article_id,
                    last_error=None,
                    next_try=None,
                    **base,
                )
                db.execute("delete from quarantine where url = ?", [rec.url])
            elif res.outcome == "ok":
                reason = (rec.extracted.error if rec.extracted else None) or "no article text found"
                failures = (
                    db.execute(
                        "select extract_failures from frontier where url = ?", [rec.url]
                    ).fetchone()
                    or [0]
                )[0] or 0
                # a retry that fails again is a known failure, not tonight's layout signal
                counts["extract_retry_failed" if failures else "extract_failed"] += 1
                _frontier_update(
                    db,
                    rec.url,
                    state="extract_failed",
                    last_error=reason,
                    next_try=_iso(now + extract_retry_delay(failures + 1)),
                    extract_failures=failures + 1,
                    **base,
                )
            elif res.outcome == "not_modified":
                _frontier_update(db, rec.url, state="not_modified", **base)
            elif res.outcome in ("robots", "out_of_scope"):
                _frontier_update(db, rec.url, state=res.outcome, last_error=res.error, **base)
            elif res.outcome in ("invalid_url", "unsafe_redirect"):
                reason = res.error or res.outcome
                _refuse(db, rec.url, rec.source_id, reason, res.status, _iso(now))
                _frontier_update(
                    db, rec.url, state="refused", last_error=reason, next_try=None, **base
                )
            elif res.outcome == "deferred":  # the site named its time: come back then, not before
                base["attempts"] = attempts
                _frontier_update(
                    db, rec.url, state="failed", last_error=res.error, next_try=res.retry_at, **base
                )
            elif res.outcome == "transient" and attempts + 1 < MAX_TRANSIENT_ATTEMPTS:
                counts["failed"] += 1
                _frontier_update(
                    db,
                    rec.url,
                    state="failed",
                    last_error=res.error,
                    next_try=_iso(now + timedelta(hours=6)),
                    **base,
                )
            else:
                counts["failed"] += 1
                reason = res.error or res.outcome
                retry = _quarantine(db, rec, reason, now)
                _frontier_update(
                    db, rec.url, state="quarantined", last_error=reason, next_try=retry, **base
                )
    return counts
