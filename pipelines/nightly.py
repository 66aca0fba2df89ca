"""The `nightly` Prefect flow: a thin layer running one night's work (`pipelines.night`) with
Prefect tasks.

Work is batched per source (one discovery task per source, one fetch task and one extraction
task per batch of URLs), never one task per article; the lane driver (`pipelines.lanes`)
decides which task runs next, keeps each host's requests in one lane at a time and does all
database writes in the flow: a single writer, so tasks can run on threads or on Dask workers
without sharing a SQLite connection.

Tasks declare no cache policy (`NO_CACHE`): their results are never persisted or reused, and
Prefect's default policy would hash every task's inputs (an extraction task's are a batch of
fetched pages) only to compute a key nobody reads.
"""

from __future__ import annotations

import os
from datetime import date
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed
from prefect.states import Completed, Failed
from prefect.task_runners import ThreadPoolTaskRunner

from ingest import stages
from pipelines.lanes import THREAD_WORKERS, first_finished
from pipelines.night import night


@task(name="discover-source", task_run_name="discover-{source.id}", cache_policy=NO_CACHE)
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
        source, settings, cache, backfill=backfill, since=since, progress=progress,
        budget=budget, hosts=hosts,
    )  # fmt: skip


@task(name="fetch-batch", task_run_name="fetch-{source.id}-{batch_no}", cache_policy=NO_CACHE)
def fetch_batch(source, found, settings: stages.RunSettings, hosts: dict, batch_no: int):
    return stages.fetch_batch(source, found, settings, hosts)


@task(name="extract-batch", task_run_name="extract-{source.id}-{batch_no}", cache_policy=NO_CACHE)
def extract_batch(source, fetched, settings: stages.RunSettings, batch_no: int):
    return stages.extract_batch(source, fetched, settings)


class PrefectTasks:
    """The lane driver's tasks as Prefect task runs on the flow's task runner."""

    def discover(self, source, settings, cache, backfill, since, progress, budget, hosts):
        return discover_source.submit(
            source, settings, cache, backfill, since, progress, budget, hosts
        )

    def fetch(self, source, found, settings, hosts, batch_no: int):
        return fetch_batch.submit(source, found, settings, hosts, batch_no)

    def extract(self, source, fetched, settings, batch_no: int):
        return extract_batch.submit(source, fetched, settings, batch_no)

    def finished(self, futures: list) -> list:
        return first_finished(futures, as_completed)


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
    return _final_state(
        *night(
            PrefectTasks(), sources_path, taxonomy_path, db_path, raw_dir, only, batch_size,
            publish, backfill, since, backoff_base, backfill_round_pages, run_id,
        )
    )  # fmt: skip


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
