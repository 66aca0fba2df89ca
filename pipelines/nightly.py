"""The `nightly` Prefect flow: a thin layer wiring the stage functions of `ingest.stages`.

Work is batched per source (one discovery task per source, one task per batch of URLs), never
one task per article, and all database writes happen here in the flow: a single writer, so
tasks can run on threads or on Dask workers without sharing a SQLite connection.
"""

from __future__ import annotations

import os
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.states import Completed, Failed
from prefect.task_runners import ThreadPoolTaskRunner

from ingest import db as kbdb
from ingest import load, runs, stages, stories
from ingest.config import load_sources
from ingest.fetch import now_vn
from ingest.lock import WriterLock
from ingest.taxonomy import load_taxonomy, sync_taxonomy


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
    """Discover → fetch → extract → tag → load → publish, for every enabled source."""
    log = get_run_logger()
    t0 = time.monotonic()
    # Config errors stop the run here, before any network or database work.
    cfg = load_sources(sources_path)
    taxonomy = load_taxonomy(taxonomy_path)
    sources = [s for s in cfg.sources if s.enabled and (not only or s.id in only)]
    if only and (unknown := set(only) - {s.id for s in cfg.sources}):
        raise ValueError(f"unknown source id(s) {sorted(unknown)} in {sources_path}")
    raw = raw_dir or str(Path(db_path).parent / "raw")
    settings = stages.RunSettings(
        user_agent=cfg.user_agent,
        raw_dir=raw,
        taxonomy_path=str(taxonomy_path),
        global_concurrency=cfg.defaults.global_concurrency,
        backoff_base=backoff_base,
    )
    run_id = f"{now_vn():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    started = now_vn().isoformat()
    with WriterLock(db_path):
        db = kbdb.connect(db_path)
        with db.atomic():
            kbdb.sync_sources(db, cfg.sources)
        sync_taxonomy(db, taxonomy)  # its own transaction
        runs.start_run(db, run_id, started, len(sources))
        ledger = {s.id: runs.SourceRun(s.id) for s in sources}
        begun = {s.id: time.monotonic() for s in sources}

        urls_by_source = {
            s.id: s.feeds + s.sitemaps + [lst.url for lst in s.listings] for s in sources
        }
        since_key = since.isoformat() if backfill and since else ("all" if backfill else None)
        progress = {
            s.id: load.backfill_progress(db, s.id, since_key) if backfill else None for s in sources
        }
        budget = backfill_round_pages if backfill else None
        pending = list(sources)
        while pending:  # one round for a nightly run; rounds of `budget` pages for a backfill
            disc = {
                s.id: discover_source.submit(
                    s,
                    settings,
                    load.http_cache(db, urls_by_source[s.id]),
                    backfill,
                    since,
                    progress[s.id],
                    budget,
                )
                for s in pending
            }
            fetches, again = [], []
            for s in pending:
                sr = ledger[s.id]
                report, robots, requests = disc[s.id].result()
                sr.requests += requests
                sr.discovered += len(report.found)
                sr.not_modified += report.not_modified
                sr.errors += report.errors
                sr.out_of_scope += len(report.out_of_scope)
                sr.robots_blocked |= bool(report.robots_blocked) and report.robots_state == "ok"
                sr.host_down |= report.robots_state == "unreachable"
                load.record_discovery(db, report, since_key)
                limit = s.politeness.max_articles_per_run
                due = load.due_urls(db, s, limit)
                found = [
                    stages.Discovered(r["url"], s.id, r["found_via"] or "", r["lastmod"])
                    for r in due
                ]
                for n, batch in enumerate(_batches(found, batch_size)):
                    fetches.append((s, fetch_batch.submit(s, batch, settings, robots, n)))
                if backfill and not sr.host_down and (not report.complete or len(due) == limit):
                    progress[s.id] = report.progress
                    again.append(s)
                elif backfill:
                    load.clear_backfill(db, s.id)

            for s, fut in fetches:
                batch = fut.result()
                counts = load.load_batch(db, batch.records, s)
                counts["missing_date"] = sum(
                    1
                    for r in batch.records
                    if r.extracted and r.extracted.ok and not r.extracted.published
                )
                counts["layout_missing"] = sum(
                    1
                    for r in batch.records
                    if r.extracted and r.extracted.ok and runs.layout_missing(r.extracted, s)
                )
                ledger[s.id].add(counts)
                ledger[s.id].requests += batch.requests
                stories.assign_stories(db)  # new and changed articles join or start stories
            pending = again

        broken, warnings = [], []
        finished = now_vn().isoformat()
        for s in sources:
            sr = ledger[s.id]
            sr.duration_s = time.monotonic() - begun[s.id]
            status, flags = runs.record_source_run(db, run_id, started, sr)
            if status == "broken":
                broken.append(f"{s.id} ({'; '.join(flags)})")
            elif status == "warning":
                warnings.append(f"{s.id} ({'; '.join(flags)})")
        totals = {
            k: sum(getattr(sr, k) for sr in ledger.values())
            for k in (
                "discovered",
                "fetched",
                "not_modified",
                "new",
                "updated",
                "relevant",
                "failed",
                "skipped_robots",
            )
        }
        totals["extracted"] = totals["new"] + totals["updated"]
        problems = stages_publish(db_path) if publish else []
        status = "failed" if broken or problems else "warning" if warnings else "ok"
        message = (
            "; ".join(
                [f"broken sources: {', '.join(broken)}"] * bool(broken)
                + [f"warnings: {', '.join(warnings)}"] * bool(warnings)
                + [f"publish check: {', '.join(problems)}"] * bool(problems)
            )
            or "all sources healthy"
        )
        runs.finish_run(db, run_id, finished, status, totals, time.monotonic() - t0, message)
        db.conn.close()
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
    from ingest.publish import smoke_check

    return smoke_check(db_path)
