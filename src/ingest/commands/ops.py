"""`ingest schedule | health`: running the crawl every night and seeing how the sources are.

`schedule` serves the `nightly` flow with a cron schedule in Hanoi time (pipelines/deploy.py);
`health` prints the latest run's per-source ledger and health flags from the database, for the
person on call who would rather not open Datasette at 7 in the morning.
"""

from __future__ import annotations

import argparse
import os
import re
import sqlite3
import sys
from pathlib import Path

DEFAULT_DB = "data/kb.db"
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")
HEALTH_COLUMNS = (
    "source_id",
    "status",
    "discovered",
    "fetched",
    "not_modified",
    "new",
    "relevant",
    "failed",
    "skipped_robots",
    "duration_s",
    "health",
)


def cmd_schedule(args: argparse.Namespace) -> int:
    """Validate everything first (a bad cron or config must not start a server that runs
    nothing but errors at 02:00), then serve until interrupted."""
    from pipelines.deploy import nightly_schedule, serve_nightly

    from .pipeline import validate

    try:
        nightly_schedule(args.cron, args.timezone)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    validate(args.sources, args.taxonomy)  # ConfigError → exit 2 with the file's problems
    if args.dask:
        # the served runs execute in subprocesses that import pipelines.nightly afresh; the
        # environment is how the address reaches them (see docs/operations.md)
        os.environ["INGEST_DASK_ADDRESS"] = args.dask
    params = {
        "sources_path": str(Path(args.sources).resolve()),
        "taxonomy_path": str(Path(args.taxonomy).resolve()),
        "db_path": str(Path(args.db).resolve()),
    }
    if args.raw_dir:
        params["raw_dir"] = str(Path(args.raw_dir).resolve())
    print(
        f"serving deployment nightly/{args.name}: cron {args.cron!r} in {args.timezone}; "
        f"database {params['db_path']} (Ctrl-C to stop)"
    )
    serve_nightly(args.cron, args.timezone, name=args.name, **params)
    return 0


def latest_health(db_path: str | Path) -> tuple[dict, list[dict]]:
    """(the latest run row, its source_runs rows); read-only, so it works during a run."""
    uri = f"file:{Path(db_path)}?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=10)
    conn.row_factory = sqlite3.Row
    try:
        run = conn.execute("select * from runs order by started_at desc limit 1").fetchone()
        if run is None:
            return {}, []
        rows = conn.execute(
            "select * from source_runs where run_id = ? order by status = 'ok', source_id",
            [run["id"]],
        ).fetchall()
        return dict(run), [dict(r) for r in rows]
    finally:
        conn.close()


def _cell(row: dict, column: str) -> str:
    """A healthy source's `health` is stored as NULL (no flag raised): the on-call reader
    should see `ok` there, not a blank that looks like a missing value."""
    value = row.get(column)
    if column == "health" and value is None:
        return "ok" if row.get("status") in (None, "ok") else ""
    return "" if value is None else str(value)


def format_table(rows: list[dict], columns: tuple[str, ...] = HEALTH_COLUMNS) -> str:
    cells = [[_cell(r, c) for c in columns] for r in rows]
    widths = [max([len(c), *(len(row[i]) for row in cells)]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(line.rstrip() for line in lines)


def format_errors(rows: list[dict], per_source: int = 5) -> str:
    """Each source's error summary (the first lines of `source_runs.error_summary`)."""
    lines = []
    for r in rows:
        text = _CONTROL.sub("", r.get("error_summary") or "")  # no terminal escapes from a site
        errors = [e for e in text.splitlines() if e.strip()]
        if not errors:
            continue
        lines.append(f"{r['source_id']}: {len(errors)} error(s)")
        lines += [f"  {e}" for e in errors[:per_source]]
        if len(errors) > per_source:
            lines.append(f"  … {len(errors) - per_source} more (see source_runs.error_summary)")
    return ("errors:\n" + "\n".join("  " + line for line in lines)) if lines else ""


def cmd_health(args: argparse.Namespace) -> int:
    """Exit 0 when every source is ok, 1 when any is broken or warning (usable from cron/CI)."""
    if not Path(args.db).exists():
        print(f"error: database {args.db} does not exist", file=sys.stderr)
        return 2
    try:
        run, rows = latest_health(args.db)
    except sqlite3.DatabaseError as exc:
        print(f"error: cannot read {args.db}: {exc}", file=sys.stderr)
        return 2
    if not run:
        print("no run recorded yet")
        return 0
    print(
        f"run {run['id']} started {run['started_at']}: {run['status']}"
        + (f" — {run['message']}" if run.get("message") else "")
    )
    print(format_table(rows))
    errors = format_errors(rows)
    if errors:
        print(errors)
    return 0 if all(r["status"] == "ok" for r in rows) and run["status"] == "ok" else 1


def register(sub: argparse._SubParsersAction) -> None:
    from pipelines.deploy import DEFAULT_CRON, DEFAULT_TZ, SERVED_NAME

    p = sub.add_parser("schedule", help="serve the nightly flow on a cron schedule (Prefect)")
    p.add_argument("--cron", default=DEFAULT_CRON, help="cron expression (default %(default)r)")
    p.add_argument("--timezone", default=DEFAULT_TZ, help="IANA time zone (default %(default)s)")
    p.add_argument("--sources", default="sources.yaml", help="sources file")
    p.add_argument("--taxonomy", default="taxonomy.yaml", help="taxonomy file")
    p.add_argument("--db", default=DEFAULT_DB, help="SQLite database (default %(default)s)")
    p.add_argument("--raw-dir", default=None, help="WARC archive dir (default: <db dir>/raw)")
    p.add_argument("--name", default=SERVED_NAME, help="deployment name (default %(default)s)")
    p.add_argument("--dask", metavar="ADDRESS", help="run tasks on this Dask scheduler")
    p.set_defaults(func=cmd_schedule)

    p = sub.add_parser("health", help="print the latest run's source health table")
    p.add_argument("--db", default=DEFAULT_DB, help="SQLite database (default %(default)s)")
    p.set_defaults(func=cmd_health)
