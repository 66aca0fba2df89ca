"""The run ledger (`runs`, `source_runs`) and source-health flags.

A nightly job nobody watches must say loudly when a source breaks: health is computed from this
run's counts plus the recent history of the source, and stored where Datasette shows it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlite_utils

from ..clock import now_vn
from ..config import Source
from ..crawl.discover import DiscoveryReport
from ..models import ArticleRecord

NO_NEW_NIGHTS = 3
EXTRACT_FAIL_SHARE = 0.3
MISSING_DATE_SHARE = 0.5
LAYOUT_MISSING_SHARE = 0.5
MIN_ARTICLE_CHARS = 200  # shortest sample article: 306; a JS shell's menu text: under 100


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
    missing_date: int = 0
    layout_missing: int = 0
    skipped_robots: int = 0
    out_of_scope: int = 0
    requests: int = 0
    duration_s: float = 0.0
    errors: list[str] = field(default_factory=list)
    robots_blocked: bool = False
    host_down: bool = False

    def add(self, counts: dict[str, int]) -> None:
        for key in (
            "fetched",
            "new",
            "updated",
            "relevant",
            "failed",
            "extract_failed",
            "missing_date",
            "layout_missing",
        ):
            setattr(self, key, getattr(self, key) + counts.get(key, 0))
        self.failed += (
            counts.get("too_large", 0) + counts.get("transient", 0) + counts.get("permanent", 0)
        )
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

    def add_batch(
        self,
        counts: dict[str, int],
        records: Iterable[ArticleRecord],
        source: Source,
        requests: int,
    ) -> None:
        """A loaded batch: the loader's counts plus the layout signals read off its records."""
        self.add({**counts, **layout_counts(records, source)})
        self.requests += requests


def layout_counts(records: Iterable[ArticleRecord], source: Source) -> dict[str, int]:
    """Extracted pages with no date, and pages whose article element is missing."""
    extracted = [r.extracted for r in records if r.extracted and r.extracted.ok]
    return {
        "missing_date": sum(1 for ex in extracted if not ex.published),
        "layout_missing": sum(1 for ex in extracted if layout_missing(ex, source)),
    }


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


def health(sr: SourceRun, recent_new: list[int]) -> tuple[str, list[str]]:
    """(status, flags): status is ok, warning or broken; flags name what is wrong."""
    broken, warn = [], []
    if sr.host_down:
        broken.append("host down: no response from the site")
    if sr.robots_blocked:
        broken.append("robots.txt blocks the crawler")
    processed = sr.new + sr.updated + sr.extract_failed
    if processed >= 3 and sr.extract_failed / processed > EXTRACT_FAIL_SHARE:
        broken.append(
            f"extraction failed on {sr.extract_failed}/{processed} pages (layout change?)"
        )
    extracted = sr.new + sr.updated
    if extracted >= 3 and sr.missing_date / extracted > MISSING_DATE_SHARE:
        broken.append(f"no date found on {sr.missing_date}/{extracted} pages (layout change?)")
    if extracted >= 3 and sr.layout_missing / extracted > LAYOUT_MISSING_SHARE:
        broken.append(
            f"article body or date element missing on {sr.layout_missing}/{extracted}"
            " pages (layout change?)"
        )
    if sr.discovered == 0 and not sr.not_modified and not sr.host_down:
        broken.append("discovery found no article URL (feed or sitemap broken?)")
    history = [*recent_new, sr.new]
    if len(history) >= NO_NEW_NIGHTS and not any(history[-NO_NEW_NIGHTS:]):
        warn.append(f"no new article for {NO_NEW_NIGHTS} nights")
    if sr.errors:
        warn.append(f"{len(sr.errors)} discovery errors")
    status = "broken" if broken else "warning" if warn else "ok"
    return status, broken + warn


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
    db: sqlite_utils.Database, run_id: str, started_at: str, sr: SourceRun
) -> tuple[str, list[str]]:
    status, flags = health(sr, recent_new_counts(db, sr.source_id, NO_NEW_NIGHTS - 1))
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
                "duration_s": round(sr.duration_s, 3),
                "status": status,
                "health": "; ".join(flags) or None,
                "error_summary": "\n".join(sr.errors[:20]) or None,
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

    @classmethod
    def open(cls, db: sqlite_utils.Database, source_ids: Iterable[str]) -> Ledger:
        """Start the run in the `runs` table (marking any killed run aborted)."""
        ids = list(source_ids)
        ledger = cls(new_run_id(), now_vn().isoformat(), {i: SourceRun(i) for i in ids})
        start_run(db, ledger.run_id, ledger.started_at, len(ids))
        return ledger

    def __getitem__(self, source_id: str) -> SourceRun:
        return self.sources[source_id]

    def record_sources(self, db: sqlite_utils.Database) -> tuple[list[str], list[str]]:
        """Write every source's row with its health; return the broken and the warned ones."""
        broken, warnings = [], []
        self.finished_at = now_vn().isoformat()
        for sr in self.sources.values():
            sr.duration_s = time.monotonic() - self.begun
            status, flags = record_source_run(db, self.run_id, self.started_at, sr)
            if status == "broken":
                broken.append(f"{sr.source_id} ({'; '.join(flags)})")
            elif status == "warning":
                warnings.append(f"{sr.source_id} ({'; '.join(flags)})")
        return broken, warnings

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
