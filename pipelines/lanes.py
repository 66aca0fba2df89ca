"""The crawl's lane driver: which task runs next, and loading each result as it arrives.

Politeness is kept by construction: every task that sends requests to a host runs in that
host's *lane*, one task at a time, and hands the host's state (next allowed request, robots.txt,
Crawl-delay, Retry-After) to the next (see `ingest.crawl.politeness` and docs/choices.md).
Extraction is not in a lane, so it runs beside the next fetch. All database writes happen here,
in the caller's thread: a single writer, so tasks can run on threads or on Dask workers without
sharing a SQLite connection.

What runs a task is a `Tasks` object: the nightly flow's submits Prefect tasks
(`pipelines.nightly`), `ThreadTasks` calls the same stage functions on a thread pool (no
Prefect at all: what the benchmarks compare the flow with). The driver is the same either way.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from ingest import stages
from ingest.crawl.politeness import host_groups, merge_hosts
from ingest.crawl.urls import printable
from ingest.evidence import stories
from ingest.store import load, runs

# Lanes spend most of their time waiting on per-host delays, so more threads than cores
THREAD_WORKERS = 16


class Tasks(Protocol):
    """Runs the stage functions somewhere and gives futures (`.result()`) for them."""

    def discover(self, source, settings, cache, backfill, since, progress, budget, hosts): ...

    def fetch(self, source, found, settings, hosts, batch_no: int): ...

    def extract(self, source, fetched, settings, batch_no: int): ...

    def finished(self, futures: list) -> list:
        """At least one of `futures`, finished (waits for the first), plus any others done."""
        ...


class ThreadTasks:
    """The stage functions on a thread pool: the flow's work without Prefect."""

    def __init__(self, workers: int = THREAD_WORKERS) -> None:
        self.pool = ThreadPoolExecutor(workers)

    def discover(self, source, settings, cache, backfill, since, progress, budget, hosts):
        return self.pool.submit(
            stages.discover, source, settings, cache, backfill=backfill, since=since,
            progress=progress, budget=budget, hosts=hosts,
        )  # fmt: skip

    def fetch(self, source, found, settings, hosts, batch_no: int) -> Future:
        return self.pool.submit(stages.fetch_batch, source, found, settings, hosts)

    def extract(self, source, fetched, settings, batch_no: int) -> Future:
        return self.pool.submit(stages.extract_batch, source, fetched, settings)

    def finished(self, futures: list) -> list:
        done, _ = wait(futures, return_when=FIRST_COMPLETED)
        return [f for f in futures if f in done]

    def close(self) -> None:
        self.pool.shutdown(wait=True)


@dataclass
class Walk:
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
class Lane:
    """The tasks that send requests to one group of hosts, run one at a time in order."""

    steps: deque = field(default_factory=deque)  # ("discover", source, None) | ("fetch", ...)
    hosts: dict = field(default_factory=dict)  # politeness state handed from task to task
    busy: bool = False


class Crawl:
    """Drives the lanes: submits each lane's next task when its previous one finishes, runs
    extraction beside them, and loads every result as it arrives (the caller is the writer).

    Stories are assigned after each loaded batch, for that batch's articles, from one index
    kept for the whole run (`stories.kept_index`); the run's last call catches any article an
    earlier run left without a story."""

    def __init__(self, db, walk: Walk, ledger: runs.Ledger, tasks: Tasks):
        self.db, self.walk, self.ledger, self.tasks = db, walk, ledger, tasks
        self.running: dict = {}  # future -> (lane or None, kind, source, payload, batch no)
        self.pending: dict[str, int] = {}  # source id -> its batches not loaded yet
        self.again: dict[str, Lane] = {}  # backfill sources due another round when loaded
        self.stopped: set[str] = set()  # sources whose discovery or a batch failed
        self.batch_no: dict[str, int] = {}
        self.stories: stories.StoryAssigner | None = None

    def run(self, sources: list) -> None:
        with stories.kept_index(self.db) as self.stories:
            lanes = [Lane(deque(("discover", s, None) for s in g)) for g in host_groups(sources)]
            for lane in lanes:
                self._pump(lane)
            while self.running:
                done = self.tasks.finished(list(self.running))
                # lanes first: a finished fetch hands its host to the next fetch before the
                # flow spends time loading an extracted batch, so the host never waits on us
                done.sort(key=lambda f: self.running[f][0] is None)
                for fut in done:
                    self._handle(fut)
            stories.assign_stories(self.db)  # anything still without a story

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

    def _pump(self, lane: Lane) -> None:
        while lane.steps and not lane.busy:
            kind, s, payload = lane.steps.popleft()
            if s.id in self.stopped:
                continue
            w, n = self.walk, None
            if kind == "discover":
                fut = self.tasks.discover(
                    s, w.settings, load.source_cache(self.db, s), w.backfill, w.since,
                    w.progress[s.id], w.budget, lane.hosts,
                )  # fmt: skip
            else:
                n = self.batch_no[s.id] = self.batch_no.get(s.id, -1) + 1
                fut = self.tasks.fetch(s, payload, w.settings, lane.hosts, n)
            self.running[fut] = (lane, kind, s, payload, n)
            lane.busy = True

    def _on_discover(self, lane: Lane, s, payload, n, result) -> None:
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
        batches = [
            found[i : i + self.walk.batch_size] for i in range(0, len(found), self.walk.batch_size)
        ]
        lane.steps.extend(("fetch", s, b) for b in batches)
        self.pending[s.id] = self.pending.get(s.id, 0) + len(batches)
        if self.walk.backfill:
            if not sr.host_down and (not report.complete or len(due) == limit):
                self.walk.progress[s.id] = report.progress
                self.again[s.id] = lane
            else:
                load.clear_backfill(self.db, s.id)
        self._next_round(s)

    def _on_fetch(self, lane: Lane, s, payload, n, fetched) -> None:
        lane.hosts = merge_hosts(lane.hosts, fetched.hosts)
        fut = self.tasks.extract(s, fetched, self.walk.settings, n)
        self.running[fut] = (None, "extract", s, payload, n)

    def _on_extract(self, lane, s, payload, n, batch) -> None:
        counts = load.load_batch(self.db, batch.records, s)
        self.ledger[s.id].add_batch(counts, batch.records, s, batch.requests)
        assert self.stories is not None
        self.stories.expect(_article_ids(self.db, batch.records))
        stories.assign_stories(self.db)  # the batch's new and changed articles
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


def _article_ids(db, records: list) -> list[int]:
    """The ids of a loaded batch's articles, as the frontier links each fetched page to its row
    (the key an article is stored under is decided by the loader: `store.load`)."""
    urls = [
        r.url
        for r in records
        if r.fetch is not None and r.fetch.outcome == "ok" and r.extracted and r.extracted.ok
    ]
    ids: list[int] = []
    for i in range(0, len(urls), 500):
        chunk = urls[i : i + 500]
        marks = ",".join("?" for _ in chunk)
        ids += [
            r[0]
            for r in db.execute(
                f"select article_id from frontier where url in ({marks})"
                " and article_id is not null",
                chunk,
            )
        ]
    return ids


def first_finished(futures: list, as_completed: Any) -> list:
    """`Tasks.finished` for Prefect futures: wait for one with `as_completed`, then take the
    others that are done already, asked without waiting (threads or Dask)."""
    first = next(as_completed(futures))
    return [f for f in futures if f is first or _done(f)]


def _done(fut) -> bool:
    wrapped = getattr(fut, "wrapped_future", None)
    return bool(wrapped is not None and wrapped.done())
