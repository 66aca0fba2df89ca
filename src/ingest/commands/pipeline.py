"""`ingest run | demo | serve | reprocess | backfill`: the pipeline's own commands."""

from __future__ import annotations

import argparse
import socket
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


def busy_port(host: str, port: int) -> str | None:
    """Why `host:port` cannot be served on, or None when it is free.

    Checked before anything else starts, so a port another server holds is the first thing
    the person reads, not an error after the crawl or under a URL that leads elsewhere. The
    probe binds as uvicorn does (SO_REUSEADDR), so a port left in TIME_WAIT counts as free.
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        return f"cannot resolve {host!r}: {exc.strerror}"
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            return exc.strerror or str(exc)
    return None


def _port_error(what: str, host: str, port: int, hint: str) -> int:
    problem = busy_port(host, port)
    if problem is None:
        return 0
    print(f"error: {what} {host}:{port}: {problem}; {hint}", file=sys.stderr)
    return 2


def cmd_serve(args: argparse.Namespace) -> int:
    if not Path(args.db).exists():
        print(
            f"error: database {args.db} does not exist; run `ingest run` or `ingest demo` first",
            file=sys.stderr,
        )
        return 2
    if _port_error("cannot serve on", args.host, args.port, "choose another with --port"):
        return 2
    cmd = datasette_command(args.db, args.port, args.host)
    print(f"Datasette on http://{args.host}:{args.port}/  (Ctrl-C to stop)")
    return subprocess.call(cmd)


def crawl_command(args: argparse.Namespace, sources_path: str) -> list[str]:
    """`ingest run` for the demo, as a child process: Prefect's temporary API server belongs to
    that process and stops with it, so nothing of Prefect stays up while Datasette serves."""
    cmd = [sys.executable, "-m", "ingest.cli", "run", "--db", args.db, "--sources", sources_path]
    cmd += ["--taxonomy", args.taxonomy]
    return cmd + (["--raw-dir", args.raw_dir] if args.raw_dir else [])


def cmd_demo(args: argparse.Namespace) -> int:
    """Serve the sample sites on loopback, crawl them with the nightly flow, then serve Datasette
    while the sample sites stay up (the articles' "Original" links point at them)."""
    from ..testing.samplesites import serve as serve_samples
    from .samples import ports_from_base

    hint = "choose another with --port"
    if not args.no_serve and _port_error("cannot serve Datasette on", args.host, args.port, hint):
        return 2
    ports = ports_from_base(args.sites_port)
    hint = "choose other ports with --sites-port (0 picks free ones)"
    for port in sorted(p for p in ports.values() if p):
        if _port_error("cannot serve a sample site on", "127.0.0.1", port, hint):
            return 2
    Path(args.db).parent.mkdir(parents=True, exist_ok=True)
    sources_path = str(Path(args.db).parent / "demo-sources.yaml")
    with serve_samples(ports) as sites:
        Path(sources_path).write_text(sites.sources_yaml(), encoding="utf-8")
        print("sample sites:", ", ".join(f"{k}={v}" for k, v in sites.base_urls.items()))
        t0 = time.monotonic()
        code = subprocess.call(crawl_command(args, sources_path))
        print(f"demo crawl finished in {time.monotonic() - t0:.1f}s (Prefect's server stopped)")
        if code != 0 or args.no_serve:
            return code
        print("the sample sites stay up while Datasette serves (the articles' Original links)")
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
    p.add_argument(
        "--sites-port",
        type=int,
        default=8101,
        metavar="PORT",
        help="first of the four sample sites' consecutive ports (default %(default)s; 0 = free"
        " ports, new URLs for the same articles)",
    )
    p.add_argument("--no-serve", action="store_true", help="stop after the crawl")
    p.set_defaults(func=cmd_demo, only=None, no_publish=False)

    p = sub.add_parser("reprocess", help="re-extract and re-tag from the raw archive (no network)")
    _common(p)
    p.add_argument("--source", help="only this source")
    p.add_argument("--id", type=int, action="append", help="only these article ids")
    p.set_defaults(func=cmd_reprocess)
