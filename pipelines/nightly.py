"""The `nightly` Prefect flow: a thin layer wiring the stage functions of `ingest.stages`.

Work is batched per source (one discovery task per source, one task per batch of URLs), never
one task per article, and all database writes happen here in the flow: a single writer, so
tasks can run on threads or on Dask workers without sharing a SQLite connection.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.states import Completed, Failed
from prefect.task_runners import ThreadPoolTaskRunner

from ingest import stages
from ingest.config import load_sources
from ingest.evidence import activity_store, corrections, stories
from ingest.store import db as kbdb
from ingest.store import load, runs
from ingest.store.lock import WriterLock
from ingest.tag.taxonomy import load_taxonomy, sync_taxonomy


@task(name="discover-source", task_run_name="discover-{source.id}")
def discover_source(
    source,
    settings: stages.RunSettings,
    cache: dict,
    backfill: bool = False,
    since: date | None = None,
    progress: dict | None = None,
    budget: int | None = None,
):
    return stages.discover(
        source, settings, cache, backfill=backfill, since=since, progress=progress, budget=budget
    )


@task(name="fetch-batch", task_run_name="fetch-{source.id}-{batch_no}")
def fetch_batch(source, found, settings: stages.RunSettings, robots: dict, batch_no: int):
    return stages.process(source, found, settings, robots)


def _batches(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _task_runner():
    """Threads by default; INGEST_DASK_ADDRESS sends the tasks to a Dask scheduler. Scheduled
    runs (served or on a worker) import this module afresh in a subprocess, so the environment
    is how `ingest schedule --dask` and a work pool's job variables reach them."""
    if address := os.environ.get("INGEST_DASK_ADDRESS"):
        from prefect_dask import DaskTaskRunner

        return DaskTaskRunner(address=address)
    return ThreadPoolTaskRunner(max_workers=4)


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
) -> Any:
    """Discover → fetch batches → load → stories → ledger → publish, for every enabled source."""
    t0 = time.monotonic()
    # Config errors stop the run here, before any network or database work.
    cfg, taxonomy, sources = _configure(sources_path, taxonomy_path, only)
    settings = stages.RunSettings(
        user_agent=cfg.user_agent,
        raw_dir=raw_dir or str(Path(db_path).parent / "raw"),
        taxonomy_path=str(taxonomy_path),
        global_concurrency=cfg.defaults.global_concurrency,
        backoff_base=backoff_base,
    )
    with WriterLock(db_path):
        db = kbdb.connect(db_path)
        with db.atomic():
            kbdb.sync_sources(db, cfg.sources)
        sync_taxonomy(db, taxonomy)  # its own transaction
        corrections.sync_file(db, Path(sources_path).with_name("corrections.yaml"))
        ledger = runs.Ledger.open(db, [s.id for s in sources])
        walk = _Walk(settings, batch_size, backfill, since, backfill_round_pages)
        walk.load_progress(db, sources)
        pending = list(sources)
        while pending:  # one round for a nightly run; rounds of `budget` pages for a backfill
            fetches, pending = _discover_round(db, pending, walk, ledger)
            for s, fut in fetches:
                batch = fut.result()
                counts = load.load_batch(db, batch.records, s)
                ledger[s.id].add_batch(counts, batch.records, s, batch.requests)
                stories.assign_stories(db)  # new and changed articles join or start stories
        activity_store.update_activities(db)  # the activities of the stories that changed
        broken, warnings = ledger.record_sources(db)
        problems = stages_publish(db_path) if publish else []
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


def _discover_round(db, pending: list, walk: _Walk, ledger: runs.Ledger):
    """Discover every pending source in parallel, record what was found, and submit the due
    URLs in batches; returns the submitted batches and the sources a backfill must revisit."""
    disc = {
        s.id: discover_source.submit(
            s,
            walk.settings,
            load.http_cache(db, s.feeds + s.sitemaps + [lst.url for lst in s.listings]),
            walk.backfill,
            walk.since,
            walk.progress[s.id],
            walk.budget,
        )
        for s in pending
    }
    fetches, again = [], []
    for s in pending:
        report, robots, requests = disc[s.id].result()
        ledger[s.id].add_discovery(report, requests)
        load.record_discovery(db, report, walk.since_key)
        limit = s.politeness.max_articles_per_run
        due = load.due_urls(db, s, limit)
        found = [stages.Discovered(r["url"], s.id, r["found_via"] or "", r["lastmod"]) for r in due]
        for n, batch in enumerate(_batches(found, walk.batch_size)):
            fetches.append((s, fetch_batch.submit(s, batch, walk.settings, robots, n)))
        if not walk.backfill:
            continue
        if not ledger[s.id].host_down and (not report.complete or len(due) == limit):
            walk.progress[s.id] = report.progress
            again.append(s)
        else:
            load.clear_backfill(db, s.id)
    return fetches, again


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
