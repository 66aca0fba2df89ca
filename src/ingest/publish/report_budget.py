"""Bounded work for the report page: its own threads, a time budget, a size limit.

A report is the one public request whose cost grows with what is asked (a DOCX of every
initiative over a century). Left on Datasette's SQL threads, four such requests took all of
them and froze even `select 1` for minutes. So a report is built:
- on threads of its own (`concurrency` of them, default 2), never Datasette's, with its own
  read-only connection; a request finding them all busy is answered 503 at once, not queued;
- within a time budget: SQLite's progress handler interrupts a query once the budget is spent,
  and the builder checks it between steps; the request is answered 503;
- up to `max_articles` per initiative (400 beyond: narrow the period).

The limits are plugin settings (`plugins: ingest_vn:` in metadata.yml): `report_time_limit_ms`,
`report_max_articles`, `report_concurrency`.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlite_utils

T = TypeVar("T")

DEFAULTS = {"report_time_limit_ms": 30_000, "report_max_articles": 5000, "report_concurrency": 2}
PROGRESS_OPCODES = 20_000  # how often SQLite asks whether to stop (cheap at this rate)


class Busy(RuntimeError):
    """Every report thread is in use."""


class OutOfTime(RuntimeError):
    """The report's time budget is spent."""


@dataclass(frozen=True)
class Limits:
    time_limit_s: float
    max_articles: int
    concurrency: int

    @classmethod
    def from_config(cls, config: dict[str, Any] | None) -> Limits:
        c = {**DEFAULTS, **{k: v for k, v in (config or {}).items() if k in DEFAULTS}}
        return cls(
            time_limit_s=max(0.001, float(c["report_time_limit_ms"]) / 1000),
            max_articles=max(1, int(c["report_max_articles"])),
            concurrency=max(1, int(c["report_concurrency"])),
        )


class Budget:
    """A deadline; `check()` raises `OutOfTime` once it has passed."""

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds

    def expired(self) -> bool:
        return time.monotonic() > self.deadline

    def check(self) -> None:
        if self.expired():
            raise OutOfTime("time budget spent")


class ReportPool:
    """The report threads and the count of builds in flight."""

    def __init__(self, concurrency: int) -> None:
        self.concurrency = concurrency
        self.executor = ThreadPoolExecutor(concurrency, thread_name_prefix="kb-report")
        self.slots = threading.BoundedSemaphore(concurrency)

    async def run(self, fn: Callable[[], T]) -> T:
        if not self.slots.acquire(blocking=False):
            raise Busy("every report thread is busy")
        try:
            return await asyncio.wrap_future(self.executor.submit(fn))
        finally:
            self.slots.release()


_POOLS: dict[int, ReportPool] = {}
_POOLS_LOCK = threading.Lock()


def pool(concurrency: int) -> ReportPool:
    with _POOLS_LOCK:
        if concurrency not in _POOLS:
            _POOLS[concurrency] = ReportPool(concurrency)
        return _POOLS[concurrency]


def open_read_only(path: str, budget: Budget) -> sqlite_utils.Database:
    """A private read-only connection whose queries stop when the budget is spent."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    conn.set_progress_handler(lambda: 1 if budget.expired() else 0, PROGRESS_OPCODES)
    return sqlite_utils.Database(conn)


def run_bounded(path: str, budget: Budget, work: Callable[[sqlite_utils.Database], T]) -> T:
    """`work(db)` on a private connection; an interrupted query becomes `OutOfTime`."""
    db = open_read_only(path, budget)
    try:
        return work(db)
    except sqlite3.OperationalError as exc:
        if "interrupted" in str(exc) and budget.expired():
            raise OutOfTime("time budget spent") from None
        raise
    finally:
        db.conn.close()
