"""Bounded work for the report page: worker processes, a time budget, a size limit.

A report is the one public request whose cost grows with what is asked (a DOCX of every
initiative over a century). Left on Datasette's SQL threads, four such requests took all of
them and froze even `select 1` for minutes, and the memory they took was never given back. So
a report is built:
- in a worker process (`concurrency` of them at most, default 2), never on Datasette's
  threads: its Python work cannot hold the server's GIL, and its memory goes back to the system
  when it ends (a fresh worker per report, forked from a preloaded server so it starts fast);
  a request finding every worker busy is answered 503 at once, not queued;
- within a time budget: SQLite's progress handler interrupts a query once it is spent, and the
  builder and the DOCX writer check it between steps; the request is answered 503;
- up to `max_articles` for the whole report (400 beyond: narrow the period).

The workers stop with the server. uvicorn ends a SIGTERM by re-raising it, so no `atexit`
runs and the executor never shuts its workers down; an idle worker holds its own queue open and
waits for ever, and the fork server and multiprocessing's resource tracker live as long as any
worker does (and keep the server's stdout open: a `communicate()` or a journal never ends).
So the pool is shut down when Datasette's lifespan ends (`stop_with_server`), and each worker
watches the server's process and leaves once it is gone, even after a SIGKILL
(`_exit_with_server`, checked every `WATCH_S`).

The limits are plugin settings (`plugins: ingest_vn:` in metadata.yml): `report_time_limit_ms`,
`report_max_articles`, `report_concurrency`.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlite_utils

T = TypeVar("T")

DEFAULTS = {"report_time_limit_ms": 30_000, "report_max_articles": 5000, "report_concurrency": 2}
PROGRESS_OPCODES = 20_000  # how often SQLite asks whether to stop (cheap at this rate)
WATCH_S = 0.5  # how often a worker looks whether the server is still there


class Busy(RuntimeError):
    """Every report worker is in use."""


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
    """Worker processes for reports, and the count of builds in flight."""

    def __init__(self, concurrency: int) -> None:
        import multiprocessing

        context = multiprocessing.get_context("forkserver")
        # the fork server imports the report code once; each worker is a fork of it
        context.set_forkserver_preload(
            ["ingest.publish.report_job", "ingest.publish.monitoring_job"]
        )
        self.concurrency = concurrency
        self.executor = ProcessPoolExecutor(
            concurrency,
            mp_context=context,
            max_tasks_per_child=1,
            initializer=_exit_with_server,
            initargs=(os.getpid(),),
        )
        self.slots = threading.BoundedSemaphore(concurrency)

    def close(self) -> None:
        """Idle workers leave now, busy ones when their report is done or the server gone."""
        self.executor.shutdown(wait=False, cancel_futures=True)

    async def run(self, fn: Callable[..., T], *args: Any, timeout: float | None = None) -> T:
        """`fn(*args)` in a worker; `Busy` at once when all are in use, `OutOfTime` after
        `timeout` seconds (the worker's own budget should have stopped it before)."""
        if not self.slots.acquire(blocking=False):
            raise Busy("every report worker is busy")
        try:
            # submit may start the fork server or a worker: not on the event loop's thread
            future = await asyncio.to_thread(self.executor.submit, fn, *args)
            try:
                return await asyncio.wait_for(asyncio.wrap_future(future), timeout)
            except TimeoutError:
                raise OutOfTime("time budget spent") from None
        finally:
            self.slots.release()


_POOLS: dict[int, ReportPool] = {}
_POOLS_LOCK = threading.Lock()


def pool(concurrency: int) -> ReportPool:
    """The process's report pool for this concurrency (made on first use)."""
    with _POOLS_LOCK:
        if concurrency not in _POOLS:
            _POOLS[concurrency] = ReportPool(concurrency)
        return _POOLS[concurrency]


GRACE_S = 10  # beyond the worker's own budget, before a page gives up waiting


async def run_report_job(
    db: Any,
    limits: Limits,
    job: Any,
    in_worker: Callable[[Any], T],
    build: Callable[[sqlite_utils.Database, Any, Budget], T],
) -> T:
    """One report or dossier build for a page: in a worker process of the pool (`in_worker`
    opens the file itself); a database held in memory has no file for a worker to open, so it
    is built on Datasette's own thread (`build`), under the same budget. Raises `Busy` and
    `OutOfTime` as the pool does."""
    if db.path:
        return await pool(limits.concurrency).run(
            in_worker, job, timeout=limits.time_limit_s + GRACE_S
        )
    budget = Budget(limits.time_limit_s)
    return await db.execute_fn(lambda conn: build(sqlite_utils.Database(conn), job, budget))


def close_pools() -> None:
    with _POOLS_LOCK:
        for made in _POOLS.values():
            made.close()
        _POOLS.clear()


def stop_with_server(app: Callable[..., Any]) -> Callable[..., Any]:
    """ASGI middleware: the report pools are shut down when the server's lifespan ends."""

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") != "lifespan":
            return await app(scope, receive, send)

        async def receiving() -> dict[str, Any]:
            message = await receive()
            if message.get("type") == "lifespan.shutdown":
                await asyncio.to_thread(close_pools)
            return message

        return await app(scope, receiving, send)

    return wrapped


def _server_gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:  # a zombie is gone too
            return stat.read().rsplit(b")", 1)[1].split()[0] in (b"Z", b"X")
    except FileNotFoundError:
        return True
    except OSError:  # no /proc: ask the kernel whether the pid exists
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False


def _exit_with_server(server_pid: int) -> None:
    """In each worker: leave as soon as the server that made the pool is gone."""

    def watch() -> None:
        while not _server_gone(server_pid):
            time.sleep(WATCH_S)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-server", daemon=True).start()


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
