"""`ingest run | demo | serve | reprocess | backfill`: the pipeline's own commands."""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

DEFAULT_DB = "data/kb.db"


def _common(p: argparse.ArgumentParser, *, sources: bool = True) -> None:
    p.add_argument("--db", default=DEFAULT_DB, help="SQLite database (default %(default)s)")
    if sources:
        p.add_argument("--sources", default="sources.yaml", help="sources file")
        p.add_argument("--taxonomy", default="taxonomy.yaml", help="taxonomy file")
        p.add_argument("--raw-dir", default=None, help="WARC archive dir (default: <db dir>/raw)")


def validate(sources: str, taxonomy: str) -> None:
    """Fail on a broken config before Prefect, the network or the database are touched."""
    from ..config import load_sources
    from ..tag.taxonomy import load_taxonomy

    load_sources(sources)
    load_taxonomy(taxonomy)


def run_flow(
    args: argparse.Namespace,
    *,
    backfill: bool = False,
    since: date | None = None,
    sources_path: str | None = None,
) -> int:
    from pipelines.nightly import nightly

    from ..config import ConfigError
    from ..store.lock import RunLocked

    sources_path = sources_path or args.sources
    validate(sources_path, args.taxonomy)
    flow = nightly
    if getattr(args, "dask", None):
        from prefect_dask import DaskTaskRunner

        flow = nightly.with_options(task_runner=DaskTaskRunner(address=args.dask))
    t0 = time.monotonic()
    try:
        state = flow(
            sources_path=sources_path,
            taxonomy_path=args.taxonomy,
            db_path=args.db,
            raw_dir=args.raw_dir,
            only=getattr(args, "only", None) or None,
            publish=not getattr(args, "no_publish", False),
            backfill=backfill,
            since=since,
            return_state=True,
        )
    except RunLocked as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    summary = state.result(raise_on_failure=False)
    if isinstance(summary, BaseException):
        if isinstance(summary, RunLocked):
            print(f"error: {summary}", file=sys.stderr)
            return 3
        if isinstance(summary, sqlite3.DatabaseError):
            print(
                f"error: cannot use database {args.db}: {summary} (left untouched)", file=sys.stderr
            )
            return 2
        print(f"error: {type(summary).__name__}: {summary}", file=sys.stderr)
        return 2 if isinstance(summary, ConfigError | ValueError | OSError) else 1
    summary = summary if isinstance(summary, dict) else {}
    print(
        f"run {summary.get('run_id', '?')}: {state.name} in {time.monotonic() - t0:.1f}s — "
        + ", ".join(
            f"{k}={v}" for k, v in summary.items() if k not in ("run_id", "status", "message")
        )
    )
    if state.message:
        print(state.message)
    return 1 if state.is_failed() else 0


def cmd_run(args: argparse.Namespace) -> int:
    return run_flow(args)


def cmd_backfill(args: argparse.Namespace) -> int:
    since = date.fromisoformat(args.since)
    return run_flow(args, backfill=True, since=since)


def datasette_command(db: str, port: int, host: str = "127.0.0.1") -> list[str]:
    from ..publish.settings import datasette_args

    return [sys.executable, "-m", "datasette", *datasette_args(db, port, host=host)]


def cmd_serve(args: argparse.Namespace) -> int:
    if not Path(args.db).exists():
        print(
            f"error: database {args.db} does not exist; run `ingest run` or `ingest demo` first",
            file=sys.stderr,
        )
        return 2
    cmd = datasette_command(args.db, args.port, args.host)
    print(f"Datasette on http://{args.host}:{args.port}/  (Ctrl-C to stop)")
    return subprocess.call(cmd)


def cmd_demo(args: argparse.Namespace) -> int:
    """Serve the sample sites on loopback, crawl them with the nightly flow, then serve Datasette."""
    from ..testing.samplesites import serve as serve_samples

    Path(args.db).parent.mkdir(parents=True, exist_ok=True)
    sources_path = str(Path(args.db).parent / "demo-sources.yaml")
    with serve_samples() as sites:
        Path(sources_path).write_text(sites.sources_yaml(), encoding="utf-8")
        print("sample sites:", ", ".join(f"{k}={v}" for k, v in sites.base_urls.items()))
        args.sources = sources_path
        t0 = time.monotonic()
        code = run_flow(args, sources_path=sources_path)
        print(f"demo crawl finished in {time.monotonic() - t0:.1f}s")
        if code != 0:
            return code
    if args.no_serve:
        return 0
    return cmd_serve(args)


def cmd_reprocess(args: argparse.Namespace) -> int:
    from ..config import load_sources
    from ..reprocess import reprocess
    from ..store.db import connect

    validate(args.sources, args.taxonomy)
    cfg = load_sources(args.sources)
    db = connect(args.db)
    raw = args.raw_dir or str(Path(args.db).parent / "raw")
    from ..store.lock import WriterLock

    with WriterLock(args.db):
        from ..tag.taxonomy import load_taxonomy, sync_taxonomy

        sync_taxonomy(db, load_taxonomy(args.taxonomy))
        counts = reprocess(
            db,
            cfg,
            args.taxonomy,
            raw,
            source_id=args.source,
            article_ids=args.id or None,
            corrections_path=Path(args.sources).with_name("corrections.yaml"),
        )
        from ..evidence.stories import assign_stories

        assign_stories(db)  # re-extracted text may join or leave stories
        from ..evidence.activity_store import update_activities

        print("activities:", update_activities(db))  # stories whose text or tags changed
    print("reprocessed:", dict(counts))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run the nightly flow once")
    _common(p)
    p.add_argument("--only", action="append", metavar="SOURCE_ID", help="limit to these sources")
    p.add_argument("--dask", metavar="ADDRESS", help="run tasks on this Dask scheduler")
    p.add_argument("--no-publish", action="store_true", help="skip the Datasette smoke check")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("backfill", help="walk sitemaps, listings and search back to a date")
    _common(p)
    p.add_argument("--since", required=True, help="YYYY-MM-DD, e.g. 2019-10-01")
    p.add_argument("--source", dest="only", action="append", metavar="SOURCE_ID")
    p.add_argument("--no-publish", action="store_true")
    p.set_defaults(func=cmd_backfill)

    p = sub.add_parser("serve", help="serve the knowledge base with Datasette")
    _common(p, sources=False)
    p.add_argument("--port", type=int, default=8001)
    p.add_argument("--host", default="127.0.0.1")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("demo", help="crawl the bundled sample sites on loopback, then serve")
    _common(p)
    p.add_argument("--port", type=int, default=8001)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--no-serve", action="store_true", help="stop after the crawl")
    p.set_defaults(func=cmd_demo, only=None, no_publish=False)

    p = sub.add_parser("reprocess", help="re-extract and re-tag from the raw archive (no network)")
    _common(p)
    p.add_argument("--source", help="only this source")
    p.add_argument("--id", type=int, action="append", help="only these article ids")
    p.set_defaults(func=cmd_reprocess)
