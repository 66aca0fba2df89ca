"""The run ledger (`runs`, `source_runs`) and source-health flags.

A nightly job nobody watches must say loudly when a source breaks: health is computed from this
run's counts plus the recent history of the source, and stored where Datasette shows it.
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from ..clock import now_vn
from ..config import Source
from ..crawl.discover import DiscoveryReport
from ..crawl.urls import printable
from ..models import ArticleRecord

NO_NEW_NIGHTS = 3
EXTRACT_FAIL_SHARE = 0.3
FETCH_FAIL_SHARE = 0.5  # more than half of a night's article fetches failed: broken
MISSING_DATE_SHARE = 0.5
LAYOUT_MISSING_SHARE = 0.5
MIN_ARTICLE_CHARS = 200  # shortest sample article: 306; a JS shell's menu text: under 100
PAGE_DATED_HISTORY = 50  # earlier articles looked at to tell "dates vanished" from "never had"
NAMED_URLS = 8  # refused URLs named in a health flag (the rest are counted)

STATUS_RANK = {"ok": 0, "warning": 1, "degraded": 2, "broken": 3}


@dataclass
class SourceRun:
    source_id: str
    discovered: int = 0
    fetched: int = 0
    not_modified: int = 0
    new: int = 0
    updated: int = 0
    relevant: int = 0
    failed: int = 0
    extract_failed: int = 0
    missing_date: int = 0  # extracted pages with no date from anywhere
    dated_from_feed: int = 0  # pages without a date of their own, dated by feed or sitemap
    layout_missing: int = 0
    skipped_robots: int = 0
    out_of_scope: int = 0
    refused: int = 0
    deferred: int = 0
    attempted: int = 0  # article URLs this run tried (deferred ones excluded)
    requests: int = 0
    duration_s: float = 0.0
    errors: list[str] = field(default_factory=list)
    robots_blocked: bool = False
    host_down: bool = False
    robots_error: str | None = None
    crawl_delay: float | None = None
    max_crawl_delay: float | None = None
    causes: Counter = field(default_factory=Counter)
    refused_urls: list[str] = field(default_factory=list)  # "URL (reason)", for the flag
    deferred_why: list[str] = field(default_factory=list)
    crashed: list[str] = field(default_factory=list)
    canonical_refused: list[str] = field(default_factory=list)  # "URL → canonical (why)"
    extract_retried: int = 0  # pages retried after a failed extraction that failed again

    def add(self, counts: dict[str, int]) -> None:
        """A loaded batch's counts. `failed` is the loader's own count of failed URLs, once
        (its per-outcome counts are not added again)."""
        for key in (
            "fetched",
            "new",
            "updated",
            "relevant",
            "failed",
            "extract_failed",
            "missing_date",
            "dated_from_feed",
            "layout_missing",
            "refused",
            "deferred",
        ):
            setattr(self, key, getattr(self, key) + counts.get(key, 0))
        self.skipped_robots += counts.get("robots", 0)
        self.out_of_scope += counts.get("out_of_scope", 0)

    def add_discovery(self, report: DiscoveryReport, requests: int) -> None:
        """What one discovery round of this source found, and whether its host or robots.txt
        stood in the way."""
        self.requests += requests
        self.discovered += len(report.found)
        self.not_modified += report.not_modified
        self.errors += report.errors
        self.out_of_scope += len(report.out_of_scope)
        self.robots_blocked |= bool(report.robots_blocked) and report.robots_state == "ok"
        self.host_down |= report.robots_state == "unreachable"
        if report.robots_state == "error":
            self.robots_error = report.robots_error or "robots.txt answered a server error"
        self.crawl_delay = report.crawl_delay or self.crawl_delay
        self.refused += len(report.refused)
        self.refused_urls += [f"{printable(url, 120)} ({why})" for url, why in report.refused]
        self.deferred_why += [why for _, _, why in report.deferred]
        self.crashed += report.crashed

    def add_batch(
        self,
        counts: dict[str, int],
        records: Iterable[ArticleRecord],
        source: Source,
        requests: int,
    ) -> None:
        """A loaded batch: the loader's counts plus the layout signals and failure causes
        read off its records."""
        records = list(records)
        self.add({**counts, **layout_counts(records, source)})
        # pages retried after an earlier failed extraction that failed again: known failures,
        # kept out of tonight's shares (they would call a healthy source broken)
        again = counts.get("extract_retry_failed", 0)
        self.extract_retried += again
        self.requests += requests
        self.max_crawl_delay = source.politeness.max_crawl_delay
        for rec in records:
            res = rec.fetch
            if res is None or res.outcome == "deferred":
                if res is not None and res.error and res.error not in self.deferred_why:
                    self.deferred_why.append(res.error)
                continue
            cause = failure_cause(rec)
            if cause == "extraction failed" and again > 0:
                again -= 1
                continue
            self.attempted += 1
            if cause:
                self.causes[cause] += 1
            if res.outcome in ("invalid_url", "unsafe_redirect"):
                self.refused_urls.append(f"{printable(rec.url, 120)} ({res.error})")
            if rec.canonical_refused and rec.extracted is not None:
                canon = printable(rec.extracted.canonical_url or "", 120)
                self.canonical_refused.append(
                    f"{printable(rec.url, 120)} → {canon} ({rec.canonical_refused})"
                )

    def crash(self, message: str) -> None:
        """An unexpected failure of this source's discovery or of one of its batches."""
        self.crashed.append(message)


def failure_cause(rec: ArticleRecord) -> str | None:
    """Why an article URL gave no article tonight, in the words on-call uses; None if it did
    (or answered 304)."""
    res = rec.fetch
    if res is None or res.outcome in ("not_modified", "deferred"):
        return None
    if res.outcome == "ok":
        return None if rec.extracted is not None and rec.extracted.ok else "extraction failed"
    if res.outcome == "too_large":
        return "size cap"
    if res.outcome == "robots" or res.status in (401, 403, 451):
        return "403/robots"
    if res.status is not None and 500 <= res.status < 600:
        return "5xx"
    if res.outcome in ("invalid_url", "unsafe_redirect"):
        return res.outcome
    if res.outcome == "out_of_scope":
        return "redirect off the site"
    if res.outcome == "transient":
        return "timeout" if "timeout" in (res.error or "").lower() else "connection"
    if res.status in (404, 410):
        return "404/410"
    if "redirect" in (res.error or ""):
        return "redirects"
    return "other"


def layout_counts(records: Iterable[ArticleRecord], source: Source) -> dict[str, int]:
    """Extracted pages with no date at all, pages dated only by their feed or sitemap, and
    pages whose article element is missing."""
    extracted = [r.extracted for r in records if r.extracted and r.extracted.ok]
    borrowed = [ex for ex in extracted if (ex.field_sources or {}).get("published") in BORROWED]
    return {
        "missing_date": sum(1 for ex in extracted if not ex.published),
        "dated_from_feed": len(borrowed),
        "layout_missing": sum(1 for ex in extracted if layout_missing(ex, source)),
    }


BORROWED = ("feed", "sitemap")


def layout_missing(ex, source) -> bool:
    """The page lost its article: a body or date selector the source declares matched nothing
    (extraction fell back to generic rules), or the "text" is too short to be an article (the
    menu and a loader left by a redesign that renders the story with JavaScript)."""
    got = ex.field_sources or {}
    if source.extract.body and got.get("text") != "override":
        return True
    if source.extract.date and got.get("published") != "override":
        return True
    return len(ex.text) < MIN_ARTICLE_CHARS


def _causes(counter: Counter) -> str:
    return ", ".join(f"{cause}: {n}" for cause, n in counter.most_common())


def health(
    sr: SourceRun, recent_new: list[int], page_dated_before: float | None = None
) -> tuple[str, list[str]]:
    """(status, flags): status is ok, warning, degraded or broken; flags name what is wrong.

    `page_dated_before`: the share of this source's earlier articles whose page showed its
    own date (None without history), so a site that never shows dates is not mistaken for
    one whose dates just vanished."""
    broken, degraded, warn = [], [], []
    if sr.crashed:
        broken.append("failed: " + "; ".join(sr.crashed[:3]))
    if sr.host_down:
        broken.append("host down: no response from the site")
    if sr.robots_error:
        broken.append(sr.robots_error)
    if sr.robots_blocked:
        broken.append("robots.txt blocks the crawler")
    failures = sum(sr.causes.values())
    fetches_failed = sr.attempted >= 3 and failures / sr.attempted > FETCH_FAIL_SHARE
    if fetches_failed:
        broken.append(
            f"article fetches failed on {failures}/{sr.attempted} URLs ({_causes(sr.causes)})"
        )
    processed = sr.new + sr.updated + sr.extract_failed
    if not fetches_failed and processed >= 3 and sr.extract_failed / processed > EXTRACT_FAIL_SHARE:
        broken.append(
            f"extraction failed on {sr.extract_failed}/{processed} pages (layout change?)"
        )
    extracted = sr.new + sr.updated
    if extracted >= 3 and sr.missing_date / extracted > MISSING_DATE_SHARE:
        broken.append(f"no date found on {sr.missing_date}/{extracted} pages (layout change?)")
    if (
        extracted >= 3
        and sr.dated_from_feed / extracted > MISSING_DATE_SHARE
        and page_dated_before is not None
        and page_dated_before > 1 - MISSING_DATE_SHARE
    ):
        warn.append(
            f"page dates missing on {sr.dated_from_feed}/{extracted} pages, dated from the feed"
            " or sitemap instead (layout change?)"
        )
    if extracted >= 3 and sr.layout_missing / extracted > LAYOUT_MISSING_SHARE:
        broken.append(
            f"article body or date element missing on {sr.layout_missing}/{extracted}"
            " pages (layout change?)"
        )
    quiet = sr.host_down or sr.robots_error or sr.crashed or sr.deferred_why
    if sr.discovered == 0 and not sr.not_modified and not quiet:
        broken.append("discovery found no article URL (feed or sitemap broken?)")
    if sr.deferred_why:
        degraded.append(
            f"site asked us to wait: {sr.deferred_why[0]}"
            + (f" ({sr.deferred} URLs rescheduled)" if sr.deferred else "")
        )
    history = [*recent_new, sr.new]
    if len(history) >= NO_NEW_NIGHTS and not any(history[-NO_NEW_NIGHTS:]):
        warn.append(f"no new article for {NO_NEW_NIGHTS} nights")
    if sr.errors:
        warn.append(f"{len(sr.errors)} discovery errors (first: {sr.errors[0][:200]})")
    if sr.refused_urls:
        more = len(sr.refused_urls) - NAMED_URLS
        warn.append(
            f"{len(sr.refused_urls)} URLs refused: "
            + "; ".join(sr.refused_urls[:NAMED_URLS])
            + (f"; and {more} more" if more > 0 else "")
        )
    if sr.canonical_refused:
        n = len(sr.canonical_refused)
        warn.append(
            f"rel=canonical not used on {n} page{'s' * (n != 1)}, stored under the fetched URL: "
            + "; ".join(sr.canonical_refused[:NAMED_URLS])
            + (f"; and {n - NAMED_URLS} more" if n > NAMED_URLS else "")
        )
    if sr.crawl_delay and sr.max_crawl_delay is not None and sr.crawl_delay > sr.max_crawl_delay:
        warn.append(
            f"robots.txt asks Crawl-delay {sr.crawl_delay:g} s; honoured at max_crawl_delay"
            f" {sr.max_crawl_delay:g} s"
        )
    status = "broken" if broken else "degraded" if degraded else "warning" if warn else "ok"
    return status, broken + degraded + warn


def page_dated_share(
    db: sqlite_utils.Database, source_id: str, before_id: int, limit: int = PAGE_DATED_HISTORY
) -> float | None:
    """Share of the source's latest articles stored before this run (ids up to `before_id`)
    that carried their own date."""
    rows = db.execute(
        "select published_source from articles where source_id = ? and id <= ?"
        " and published_source is not null order by id desc limit ?",
        [source_id, before_id, limit],
    ).fetchall()
    if not rows:
        return None
    return sum(1 for (src,) in rows if src not in BORROWED) / len(rows)


def recent_new_counts(db: sqlite_utils.Database, source_id: str, limit: int) -> list[int]:
    rows = db.execute(
        "select new from source_runs where source_id = ? order by started_at desc limit ?",
        [source_id, limit],
    ).fetchall()
    return [r[0] or 0 for r in reversed(rows)]


def start_run(db: sqlite_utils.Database, run_id: str, started_at: str, n_sources: int) -> None:
    with db.atomic():
        # the caller holds the writer lock, so a run still marked running was killed or crashed
        db.execute(
            "update runs set status = 'aborted', message = coalesce(message,"
            " 'did not finish: killed, crashed or out of disk space') where status = 'running'"
        )
        db["runs"].upsert(
            {"id": run_id, "started_at": started_at, "status": "running", "sources": n_sources},
            pk="id",
        )


def record_source_run(
    db: sqlite_utils.Database, run_id: str, started_at: str, sr: SourceRun, before_id: int = 0
) -> tuple[str, list[str]]:
    status, flags = health(
        sr,
        recent_new_counts(db, sr.source_id, NO_NEW_NIGHTS - 1),
        page_dated_share(db, sr.source_id, before_id),
    )
    with db.atomic():
        db["source_runs"].upsert(
            {
                "run_id": run_id,
                "source_id": sr.source_id,
                "started_at": started_at,
                "discovered": sr.discovered,
                "fetched": sr.fetched,
                "not_modified": sr.not_modified,
                "new": sr.new,
                "updated": sr.updated,
                "relevant": sr.relevant,
                "failed": sr.failed,
                "skipped_robots": sr.skipped_robots,
                "out_of_scope": sr.out_of_scope,
                "requests": sr.requests,
                "refused": sr.refused,
                "deferred": sr.deferred,
                "extract_failed": sr.extract_failed,
                "dated_from_feed": sr.dated_from_feed,
                "no_date": sr.missing_date,
                "canonical_refused": len(sr.canonical_refused),
                "failure_causes": json.dumps(dict(sr.causes.most_common())) if sr.causes else None,
                "duration_s": round(sr.duration_s, 3),
                "status": status,
                "health": "; ".join(flags) or None,
                "error_summary": "\n".join([*sr.crashed, *sr.errors][:20]) or None,
            },
            pk=("run_id", "source_id"),
        )
    return status, flags


def finish_run(
    db: sqlite_utils.Database,
    run_id: str,
    finished_at: str,
    status: str,
    totals: dict[str, int],
    duration_s: float,
    message: str,
) -> None:
    with db.atomic():
        db["runs"].update(
            run_id,
            {
                "finished_at": finished_at,
                "status": status,
                "duration_s": round(duration_s, 3),
                "message": message,
                **totals,
            },
        )


TOTAL_KEYS = (
    "discovered",
    "fetched",
    "not_modified",
    "new",
    "updated",
    "relevant",
    "failed",
    "skipped_robots",
)


def new_run_id() -> str:
    """Sortable by start time, unique across machines."""
    return f"{now_vn():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


@dataclass
class Ledger:
    """One run's per-source counters, filled as discovery reports and loaded batches arrive,
    then written as `source_runs` rows and the run's totals, status and message."""

    run_id: str
    started_at: str
    sources: dict[str, SourceRun]
    begun: float = field(default_factory=time.monotonic)
    finished_at: str | None = None
    articles_before: int = 0  # the last article id stored before this run began

    @classmethod
    def open(
        cls, db: sqlite_utils.Database, source_ids: Iterable[str], run_id: str | None = None
    ) -> Ledger:
        """Start the run in the `runs` table (marking any killed run aborted)."""
        ids = list(source_ids)
        ledger = cls(run_id or new_run_id(), now_vn().isoformat(), {i: SourceRun(i) for i in ids})
        start_run(db, ledger.run_id, ledger.started_at, len(ids))
        ledger.articles_before = db.execute("select coalesce(max(id), 0) from articles").fetchone()[
            0
        ]
        return ledger

    def __getitem__(self, source_id: str) -> SourceRun:
        return self.sources[source_id]

    def record_sources(self, db: sqlite_utils.Database) -> tuple[list[str], list[str]]:
        """Write every source's row with its health; return the broken and the warned ones."""
        broken, warnings = [], []
        self.finished_at = now_vn().isoformat()
        for sr in self.sources.values():
            sr.duration_s = time.monotonic() - self.begun
            status, flags = record_source_run(
                db, self.run_id, self.started_at, sr, self.articles_before
            )
            if status == "broken":
                broken.append(f"{sr.source_id} ({'; '.join(flags)})")
            elif status == "degraded":
                warnings.append(f"{sr.source_id} (degraded: {'; '.join(flags)})")
            elif status == "warning":
                warnings.append(f"{sr.source_id} ({'; '.join(flags)})")
        return broken, warnings

    def abort(self, db: sqlite_utils.Database, exc: BaseException) -> None:
        """The run stopped on an error nothing below caught (or was interrupted): every source
        still gets its row, and the run ends `failed` (`aborted` when interrupted) with the
        cause, instead of staying `running` until the next night."""
        interrupted = not isinstance(exc, Exception)
        what = "interrupted" if interrupted else "stopped"
        message = f"run {what}: {type(exc).__name__}: {str(exc)[:500]}".rstrip(": ")
        for sr in self.sources.values():
            sr.crash(message)
        broken, warnings = self.record_sources(db)
        status = "aborted" if interrupted else "failed"
        finish_run(
            db, self.run_id, self.finished_at or now_vn().isoformat(), status, self.totals(),
            time.monotonic() - self.begun, message,
        )  # fmt: skip

    def totals(self) -> dict[str, int]:
        totals = {k: sum(getattr(sr, k) for sr in self.sources.values()) for k in TOTAL_KEYS}
        totals["extracted"] = totals["new"] + totals["updated"]
        return totals

    def finish(
        self,
        db: sqlite_utils.Database,
        broken: list[str],
        warnings: list[str],
        problems: list[str],
        duration_s: float,
    ) -> tuple[str, str, dict[str, int]]:
        """Close the run: (status, message, totals), as written to the `runs` row."""
        status, message = run_outcome(broken, warnings, problems)
        totals = self.totals()
        finished = self.finished_at or now_vn().isoformat()
        finish_run(db, self.run_id, finished, status, totals, duration_s, message)
        return status, message, totals


def run_outcome(broken: list[str], warnings: list[str], problems: list[str]) -> tuple[str, str]:
    """A run fails when a source is broken or the publish check failed; it warns otherwise."""
    status = "failed" if broken or problems else "warning" if warnings else "ok"
    message = (
        "; ".join(
            [f"broken sources: {', '.join(broken)}"] * bool(broken)
            + [f"warnings: {', '.join(warnings)}"] * bool(warnings)
            + [f"publish check: {', '.join(problems)}"] * bool(problems)
        )
        or "all sources healthy"
    )
    return status, message


def record_unstarted(
    db: sqlite_utils.Database, run_id: str, source_ids: Iterable[str], message: str
) -> bool:
    """A run that died before its first stage (Prefect's API never came up, the flow failed
    before opening its ledger) still gets its `runs` row, `failed` with the cause, and a
    row per source saying it was not crawled. False when the run had opened its ledger."""
    if db["runs"].exists() and db.execute("select 1 from runs where id = ?", [run_id]).fetchone():
        return False
    ids = list(source_ids)
    now = now_vn().isoformat()
    start_run(db, run_id, now, len(ids))
    with db.atomic():
        for sid in ids:
            db["source_runs"].upsert(
                {
                    "run_id": run_id,
                    "source_id": sid,
                    "started_at": now,
                    "status": "broken",
                    "health": f"not crawled: {message}"[:1000],
                },
                pk=("run_id", "source_id"),
            )
    finish_run(db, run_id, now, "failed", {}, 0.0, message)
    return True


DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}


def is_disk_full(exc: BaseException) -> bool:
    """No space left, for the archive (ENOSPC, a quota) or for SQLite (SQLITE_FULL)."""
    if isinstance(exc, OSError) and exc.errno in DISK_FULL_ERRNOS:
        return True
    return isinstance(exc, sqlite3.OperationalError) and "database or disk is full" in str(exc)


# Room kept for the ledger. When the disk fills, the run's last words (the run `failed`, its
# counts) are themselves writes, which a full disk refuses. A run keeps this much space in a
# file beside the database and frees it the moment the disk is full, so they always fit.
RESERVE_BYTES = 1 << 20


def reserve_path(db_path: str | Path) -> Path:
    p = Path(db_path)
    return p.with_name(p.name + ".reserve")


def keep_reserve(db_path: str | Path) -> None:
    """Make sure the ledger's reserve exists (written, not sparse: a sparse file holds no
    space). On a disk already too full for it the run goes on without one."""
    path = reserve_path(db_path)
    try:
        if path.exists() and path.stat().st_size >= RESERVE_BYTES:
            return
        with open(path, "wb") as f:
            f.write(b"\0" * RESERVE_BYTES)
            f.flush()
            os.fsync(f.fileno())
    except OSError:
        release_reserve(db_path)


def release_reserve(db_path: str | Path) -> None:
    """Free the ledger's reserve: called when the disk is full, before the ledger is written."""
    try:
        reserve_path(db_path).unlink(missing_ok=True)
    except OSError:  # a read-only directory: there was no reserve to free
        pass


def disk_full_report(db_path: str, run_id: str, exc: BaseException) -> str:
    """What a run stopped by a full disk wrote, for the person reading the error: the
    batches it loaded are stored whole (the one being written was rolled back), and the run
    is `failed` in the ledger; when the disk was too full even for that, it says so (the next
    run marks it aborted)."""
    release_reserve(db_path)
    what = f"{type(exc).__name__}: {exc}"
    head = f"disk full while the run wrote {db_path} or its archive ({what})"
    try:
        conn = sqlite3.connect(db_path, timeout=10, isolation_level=None)
    except sqlite3.Error as err:
        return f"{head}; the database cannot be opened to say more ({err})"
    try:
        row = conn.execute(
            "select status, started_at, new, updated from runs where id = ?", [run_id]
        ).fetchone()
        if row is None:
            return f"{head}; nothing of this run was stored"
        status, started, new, updated = row
        stored = conn.execute(
            "select count(*) from articles where first_seen >= ?", [started]
        ).fetchone()[0]
        if status == "running":
            try:
                conn.execute(
                    "update runs set status = 'failed', finished_at = ?, message = ? where id = ?",
                    [now_vn().isoformat(), f"run stopped: {what}"[:600], run_id],
                )
                status = "failed"
            except sqlite3.Error:
                pass
        ledger = (
            f"run {run_id} is marked failed in the ledger"
            if status == "failed"
            else f"run {run_id} could not even be marked failed (the disk is still full);"
            " the next run marks it aborted"
        )
        return (
            f"{head}; it stored {stored} new article{'s' * (stored != 1)}"
            f"{f' and updated {updated}' if updated else ''} before it stopped, each batch"
            " whole (the one being written was rolled back, nothing is half-written);"
            f" {ledger}. Free some space and run again: it carries on where it stopped."
        )
    except sqlite3.Error as err:
        return f"{head}; the database cannot be read to say more ({err})"
    finally:
        conn.close()
