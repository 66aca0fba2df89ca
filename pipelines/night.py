"""One night's work, whatever runs its tasks: the body of the `nightly` flow.

Configuration first (a broken file stops the run before any network or database work), then
under the writer lock: sources and taxonomy synced, corrections, the run ledger opened, the
lanes driven (`pipelines.lanes`), the activities of the stories that changed, source health,
the Datasette smoke check, the ledger closed. `pipelines.nightly` runs it with Prefect tasks;
the benchmarks run it with `lanes.ThreadTasks` to measure what Prefect adds.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

from ingest import stages
from ingest.activities import store as activity_store
from ingest.config import load_sources
from ingest.evidence import corrections
from ingest.store import db as kbdb
from ingest.store import runs
from ingest.store.lock import WriterLock
from ingest.tag.taxonomy import load_taxonomy, sync_taxonomy
from pipelines.lanes import Crawl, Tasks, Walk


def night(
    tasks: Tasks,
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
) -> tuple[str, str, str, dict[str, int]]:
    """Discover → fetch batches → load → stories → ledger → publish, for every enabled source.
    Returns (run id, status, message, totals) as the ledger recorded them."""
    t0 = time.monotonic()
    cfg, taxonomy, sources = configure(sources_path, taxonomy_path, only)
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
        runs.keep_reserve(db_path)  # room for the ledger's last words on a full disk
        db = kbdb.connect(db_path)
        with db.atomic():
            kbdb.sync_sources(db, cfg.sources)
        sync_taxonomy(db, taxonomy)  # its own transaction
        corrections.sync_file(db, Path(sources_path).with_name("corrections.yaml"))
        ledger = runs.Ledger.open(db, [s.id for s in sources], run_id)
        try:
            walk = Walk(settings, batch_size, backfill, since, backfill_round_pages)
            walk.load_progress(db, sources)
            Crawl(db, walk, ledger, tasks).run(sources)
            activity_store.update_activities(db)  # the activities of the stories that changed
            broken, warnings = ledger.record_sources(db)
            problems = publish_check(db_path) if publish else []
        except BaseException as exc:  # the ledger says how the run ended, whatever happened
            _abort(db, ledger, exc, db_path)
            raise
        status, message, totals = ledger.finish(
            db, broken, warnings, problems, time.monotonic() - t0
        )
        db.conn.execute("pragma wal_checkpoint(TRUNCATE)")  # kb.db alone is the database
        db.conn.close()
    return ledger.run_id, status, message, totals


def configure(sources_path: str, taxonomy_path: str, only: list[str] | None):
    """The config, the taxonomy and the sources this run crawls; errors name the file."""
    cfg = load_sources(sources_path)
    taxonomy = load_taxonomy(taxonomy_path)
    if only and (unknown := set(only) - {s.id for s in cfg.sources}):
        raise ValueError(f"unknown source id(s) {sorted(unknown)} in {sources_path}")
    sources = [s for s in cfg.sources if s.enabled and (not only or s.id in only)]
    return cfg, taxonomy, sources


def _abort(db, ledger: runs.Ledger, exc: BaseException, db_path: str) -> None:
    if runs.is_disk_full(exc):
        runs.release_reserve(db_path)  # so that the ledger's write below fits
    try:
        ledger.abort(db, exc)
    except Exception:  # the database itself may be what failed (disk full): keep the cause
        pass


def publish_check(db_path: str) -> list[str]:
    from ingest.publish.smoke import smoke_check

    return smoke_check(db_path)
