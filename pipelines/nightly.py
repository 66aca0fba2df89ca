"""The `nightly` Prefect flow: a thin layer wiring the stage functions of `ingest.stages`.

Work is batched per source (one discovery task per source, one fetch task and one extraction
task per batch of URLs), never one task per article, and all database writes happen here in
the flow: a single writer, so tasks can run on threads or on Dask workers without sharing a
SQLite connection.

Politeness is kept by construction: every task that sends requests to a host runs in that
host's *lane*, one task at a time, and hands the host's state (next allowed request, robots.txt,
Crawl-delay, Retry-After) to the next (see `ingest.crawl.politeness` and docs/choices.md).
Extraction is not in a lane, so it runs beside the next fetch.
"""

from __future__ import annotations

import os
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.futures import as_completed
from prefect.states import Completed, Failed
from prefect.task_runners import ThreadPoolTaskRunner

from ingest import stages
from ingest.activities import store as activity_store
from ingest.config import load_sources
from ingest.crawl.politeness import host_groups, merge_hosts
from ingest.crawl.urls import printable
from ingest.evidence import corrections, stories
from ingest.store import db as kbdb
from ingest.store import load, runs
from ingest.store.lock import WriterLock
from ingest.tag.taxonomy import load_taxonomy, sync_taxonomy

# Lanes spend most of their time waiting on per-host delays, so more threads than cores
THREAD_WORKERS = 16


@task(name="discover-source", task_run_name="discover-{source.id}")
def discover_source(
    source,
    settings: stages.RunSettings,
    cache: dict,
    backfill: bool = False,
    since: date | None = None,
    progress: dict | None = None,
    budget: int | None = None,
    hosts: dict | None = None,
):
    return stages.discover(
        source,
        settings,
        cache,
        backfill=backfill,
        since=since,
        progress=progress,
        budget=budget,
        hosts=hosts,
    )


@task(name="fetch-batch", task_run_name="fetch-{source.id}-{batch_no}")
def fetch_batch(source, found, settings: stages.RunSettings, hosts: dict, batch_no: int):
    return stages.fetch_batch(source, found, settings, hosts)


@task(name="extract-batch", task_run_name="extract-{source.id}-{batch_no}")
def extract_batch(source, fetched, settings: stages.RunSettings, batch_no: int):
    return stages.extract_batch(source, fetched, settings)


def _batches(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _task_runner():
    """Threads by default; INGEST_DASK_ADDRESS sends the tasks to a Dask scheduler. Scheduled
    runs (served or on a worker) import this module afresh in a subprocess, so the environment
    is how `ingest schedule --dask` and a work pool's job variables reach them."""
    if address := os.environ.get("INGEST_DASK_ADDRESS"):
        from prefect_dask import DaskTaskRunner

        return DaskTaskRunner(address=address)
    return ThreadPoolTaskRunner(max_workers=THREAD_WORKERS)


@flow(name="nightly", task_runner=_task_runner(), log_prints=False)
def nightly(
    sources_path: str = "sources.yaml",
    taxonomy_path: str = "taxonomy.yaml",
    db_path: str = "data/kb.db",
    raw_dir: str | None = None,
    only: list[str] | None = None,
    batch_size: int = 50,
    publish: bool = True,
    backfill: bool = False,
    since: date | None = None,
    backoff_base: float = 1.0,
    backfill_round_pages: int = 25,
    run_id: str | None = None,
) -> Any:
    """Discover → fetch batches → load → stories → ledger → publish, for every enabled source."""
    t0 = time.monotonic()
    # Config errors stop the run here, before any network or database work.
    cfg, taxonomy, sources = _configure(sources_path, taxonomy_path, only)
    run_id = run_id or runs.new_run_id()
    settings = stages.RunSettings(
        user_agent=cfg.user_agent,
        raw_dir=raw_dir or str(Path(db_path).parent / "raw"),
        taxonomy_path=str(taxonomy_path),
        global_concurrency=cfg.defaults.global_concurrency,
        backoff_base=backoff_base,
        run_id=run_id,
    )
    with WriterLock(db_path):
        db = kbdb.connect(db_path)
        with db.atomic():
            kbdb.sync_sources(db, cfg.sources)
        sync_taxonomy(db, taxonomy)  # its own transaction
        corrections.sync_file(db, Path(sources_path).with_name("corrections.yaml"))
        ledger = runs.Ledger.open(db, [s.id for s in sources], run_id)
        try:
            walk = _Walk(settings, batch_size, backfill, since, backfill_round_pages)
            walk.load_progress(db, sources)
            _Crawl(db, walk, ledger).run(sources)
            # every article without a story gets one, even on a night with nothing new: a run
            # killed between loading a batch and its story assignment is healed by the next
            stories.assign_stories(db)
            activity_store.update_activities(db)  # the activities of the stories that changed
            broken, warnings = ledger.record_sources(db)
            problems = stages_publish(db_path) if publish else []
        except BaseException as exc:  # the ledger says how the run ended, whatever happened
            _abort(db, ledger, exc)
            raise
        status, message, totals = ledger.finish(
            db, broken, warnings, problems, time.monotonic() - t0
        )
        db.conn.execute("pragma wal_checkpoint(TRUNCATE)")  # kb.db alone is the database
        db.conn.close()
    return _final_state(ledger.run_id, status, message, totals)


def _configure(sources_path: str, taxonomy_path: str, only: list[str] | None):
    """The config, the taxonomy and the sources this run crawls; errors name the file."""
    cfg = load_sources(sources_path)
    taxonomy = load_taxonomy(taxonomy_path)
    if only and (unknown := set(only) - {s.id for s in cfg.sources}):
        raise ValueError(f"unknown source id(s) {sorted(unknown)} in {sources_path}")
    sources = [s for s in cfg.sources if s.enabled and (not only or s.id in only)]
    return cfg, taxonomy, sources


def _abort(db, ledger: runs.Ledger, exc: BaseException) -> None:
    try:
        ledger.abort(db, exc)
    except Exception:  # the database itself may be what failed (disk full): keep the cause
        pass


@dataclass
class _Walk:
    """How this run walks the sources: a nightly pass, or a backfill in rounds of pages."""

    settings: stages.RunSettings
    batch_size: int
    backfill: bool
    since: date | None
    round_pages: int
    progress: dict[str, dict | None] = field(default_factory=dict)

    @property
    def since_key(self) -> str | None:
        if not self.backfill:
            return None
        return self.since.isoformat() if self.since else "all"

    @property
    def budget(self) -> int | None:
        return self.round_pages if self.backfill else None

    def load_progress(self, db, sources) -> None:
        for s in sources:
            self.progress[s.id] = (
                load.backfill_progress(db, s.id, self.since_key) if self.backfill else None
            )


@dataclass
class _Lane:
    """The tasks that send requests to one group of hosts, run one at a time in order."""

    steps: deque = field(default_factory=deque)  # ("discover", source, None) | ("fetch", ...)
    hosts: dict = field(default_factory=dict)  # politeness state handed from task to task
    busy: bool = False


class _Crawl:
    """Drives the lanes: submits each lane's next task when its previous one finishes, runs
    extraction beside them, and loads every result as it arrives (the flow is the writer)."""

    def __init__(self, db, walk: _Walk, ledger: runs.Ledger):
        self.db, self.walk, self.ledger = db, walk, ledger
        self.running: dict = {}  # future -> (lane or None, kind, source, payload, batch no)
        self.pending: dict[str, int] = {}  # source id -> its batches not loaded yet
        self.again: dict[str, _Lane] = {}  # backfill sources due another round when loaded
        self.stopped: set[str] = set()  # sources whose discovery or a batch failed
        self.batch_no: dict[str, int] = {}

    def run(self, sources: list) -> None:
        lanes = [_Lane(deque(("discover", s, None) for s in g)) for g in host_groups(sources)]
        for lane in lanes:
            self._pump(lane)
        while self.running:
            first = next(as_completed(list(self.running)))
            # lanes first: a finished fetch hands its host to the next fetch before the flow
            # spends time loading an extracted batch, so the host is never left waiting on us
            done = [f for f in self.running if f is first or _finished(f)]
            done.sort(key=lambda f: self.running[f][0] is None)
            for fut in done:
                self._handle(fut)

    def _handle(self, fut) -> None:
        lane, kind, s, payload, n = self.running.pop(fut)
        if lane is not None:
            lane.busy = False
        try:
            result = fut.result()
        except Exception as exc:  # this source only; the others finish
            if runs.is_disk_full(exc):  # but a full disk fails them all: stop the night
                raise
            self._failed(s, kind, payload, exc)
        else:
            getattr(self, f"_on_{kind}")(lane, s, payload, n, result)
        if lane is not None:
            self._pump(lane)

    def _pump(self, lane: _Lane) -> None:
        while lane.steps and not lane.busy:
            kind, s, payload = lane.steps.popleft()
            if s.id in self.stopped:
                continue
            w, n = self.walk, None
            if kind == "discover":
                fut = discover_source.submit(
                    s, w.settings, load.source_cache(self.db, s), w.backfill, w.since,
                    w.progress[s.id], w.budget, lane.hosts,
                )  # fmt: skip
            else:
                n = self.batch_no[s.id] = self.batch_no.get(s.id, -1) + 1
                fut = fetch_batch.submit(s, payload, w.settings, lane.hosts, n)
            self.running[fut] = (lane, kind, s, payload, n)
            lane.busy = True

    def _on_discover(self, lane: _Lane, s, payload, n, result) -> None:
        report, hosts, requests = result
        lane.hosts = merge_hosts(lane.hosts, hosts)
        sr = self.ledger[s.id]
        sr.add_discovery(report, requests)
        load.record_discovery(self.db, report, self.walk.since_key)
        limit = s.politeness.max_articles_per_run
        due = load.due_urls(self.db, s, limit)
        found = [
            stages.Discovered(
                r["url"],
                s.id,
                r["found_via"] or "",
                r["lastmod"],
                published_hint=r["published_hint"],
                published_via=r["published_via"],
            )  # fmt: skip
            for r in due
        ]
        batches = _batches(found, self.walk.batch_size)
        lane.steps.extend(("fetch", s, b) for b in batches)
        self.pending[s.id] = self.pending.get(s.id, 0) + len(batches)
        if self.walk.backfill:
            if not sr.host_down and (not report.complete or len(due) == limit):
                self.walk.progress[s.id] = report.progress
                self.again[s.id] = lane
            else:
                load.clear_backfill(self.db, s.id)
        self._next_round(s)

    def _on_fetch(self, lane: _Lane, s, payload, n, fetched) -> None:
        lane.hosts = merge_hosts(lane.hosts, fetched.hosts)
        fut = extract_batch.submit(s, fetched, self.walk.settings, n)
        self.running[fut] = (None, "extract", s, payload, n)

    def _on_extract(self, lane, s, payload, n, batch) -> None:
        counts = load.load_batch(self.db, batch.records, s)
        self.ledger[s.id].add_batch(counts, batch.records, s, batch.requests)
        stories.assign_stories(self.db)  # new and changed articles join or start stories
        self._loaded(s)

    def _loaded(self, s) -> None:
        self.pending[s.id] = self.pending.get(s.id, 1) - 1
        self._next_round(s)

    def _next_round(self, s) -> None:
        """A backfill's next round of a source starts once its last batch is loaded, so the
        frontier it reads has every URL of the round marked."""
        if self.pending.get(s.id, 0) == 0 and (lane := self.again.pop(s.id, None)) is not None:
            lane.steps.append(("discover", s, None))
            self._pump(lane)

    def _failed(self, s, kind: str, payload, exc: Exception) -> None:
        """An unexpected error in one source's task: that source is broken with the error (and
        the batch's first URL); its other work stops; what was loaded stays."""
        where = f" (batch starting {printable(payload[0].url, 200)})" if payload else ""
        what = "discovery" if kind == "discover" else f"{kind} batch{where}"
        self.ledger[s.id].crash(f"{what} failed: {type(exc).__name__}: {str(exc)[:300]}")
        self.stopped.add(s.id)
        self.again.pop(s.id, None)
        if kind != "discover":
            self._loaded(s)


def _finished(fut) -> bool:
    """A task future that has finished, asked without waiting (threads or Dask)."""
    wrapped = getattr(fut, "wrapped_future", None)
    return bool(wrapped is not None and wrapped.done())


def _final_state(run_id: str, status: str, message: str, totals: dict[str, int]):
    """The flow's state: Failed for a broken source or publish check, a warning otherwise."""
    log = get_run_logger()
    summary = {"run_id": run_id, "status": status, "message": message, **totals}
    log.info("nightly run %s: %s; %s", run_id, status, totals)
    if status == "failed":
        log.error(message)
        return Failed(message=message, data=summary)
    if status == "warning":
        log.warning(message)
        return Completed(message=message, data=summary, name="CompletedWithWarnings")
    return Completed(message=message, data=summary)


def stages_publish(db_path: str) -> list[str]:
    from ingest.publish.smoke import smoke_check

    return smoke_check(db_path)
