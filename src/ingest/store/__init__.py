"""Stage 4, load: the SQLite knowledge base and the single writer that fills it.

Takes whole `ArticleRecord`s (discovered, fetched, extracted, classified) in batches, and gives
rows: `articles` and its full-text index, `article_initiatives` / `article_agencies` (tags with
their evidence), the crawl state (`frontier`, `quarantine`, `http_cache`) and the run ledger
(`runs`, `source_runs`). Only the flow (or one command) writes, under the writer lock.

- `db`: schema and migrations, the folded full-text document.
- `load`: discovery reports and fetched batches into rows, one transaction per batch.
- `runs`: the ledger: per-source counters, health flags, a run's totals and status.
- `lock`: the writer lock (one writer per database file).
"""

from .db import connect, folded_document, index_article, sync_sources, table_counts
from .load import (
    backfill_progress,
    clear_backfill,
    due_urls,
    http_cache,
    load_batch,
    record_discovery,
    save_article,
)
from .lock import RunLocked, WriterLock
from .runs import SourceRun, finish_run, health, record_source_run, start_run

__all__ = [
    "RunLocked",
    "SourceRun",
    "WriterLock",
    "backfill_progress",
    "clear_backfill",
    "connect",
    "due_urls",
    "finish_run",
    "folded_document",
    "health",
    "http_cache",
    "index_article",
    "load_batch",
    "record_discovery",
    "record_source_run",
    "save_article",
    "start_run",
    "sync_sources",
    "table_counts",
]
