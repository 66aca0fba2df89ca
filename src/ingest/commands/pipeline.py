"""`ingest run | demo | serve | reprocess | backfill`: the pipeline's own commands."""

from __future__ import annotations

import argparse
import os
import signal
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


def _prefect_timeout(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--prefect-timeout",
        type=float,
        metavar="SECONDS",
        help="wait this long for Prefect's temporary API to start, then retry once (default"
        f" ${PREFECT_STARTUP_ENV} or {DEFAULT_PREFECT_STARTUP:g}); ignored with PREFECT_API_URL",
    )


def validate(sources: str, taxonomy: str) -> None:
    """Fail on a broken config before Prefect, the network or the database are touched."""
    from ..config import load_sources
    from ..tag.taxonomy import load_taxonomy

    load_sources(sources)
    load_taxonomy(taxonomy)


# Prefect's own default is 20 s: a busy machine (a backfill, other jobs) misses it.
DEFAULT_PREFECT_STARTUP = 90.0
PREFECT_STARTUP_ENV = "INGEST_PREFECT_STARTUP_TIMEOUT"


def prefect_startup_timeout(args: argparse.Namespace) -> float:
    value = getattr(args, "prefect_timeout", None) or os.environ.get(PREFECT_STARTUP_ENV)
    try:
        return float(value) if value else DEFAULT_PREFECT_STARTUP
    except ValueError:
        return DEFAULT_PREFECT_STARTUP


def ensure_prefect_api(timeout: float) -> str | None:
    """Start Prefect's temporary local API ourselves (unless PREFECT_API_URL names a server),
    with a longer timeout and one retry; None when it is up, else a one-line error naming the
    cause and the remedy. The flow then finds the server already running."""
    from prefect.settings import PREFECT_API_URL

    if PREFECT_API_URL.value():
        return None
    import logging

    from prefect.server.api.server import SubprocessASGIServer

    quiet = logging.getLogger("prefect")
    level = quiet.level
    quiet.setLevel(logging.WARNING)  # its "Starting temporary server" lines are not ours
    cause = ""
    try:
        for _ in range(2):
            server = SubprocessASGIServer()
            try:
                server.start(timeout=timeout)  # type: ignore[arg-type]
                return None
            except Exception as exc:
                cause = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
                server.stop()
    finally:
        quiet.setLevel(level)
    return (
        f"Prefect's temporary API server did not start within {timeout:g} s, twice ({cause});"
        " the machine is probably busy: start one with `prefect server start` and set"
        " PREFECT_API_URL=http://127.0.0.1:4200/api (docs/operations.md), or raise"
        f" --prefect-timeout / {PREFECT_STARTUP_ENV}"
    )


class PrefectAPI:
    """Prefect's API for this run: the configured server (PREFECT_API_URL), or the temporary
    local one, started in a thread so its process boots (a second Python process: ~5 s of
    imports and database checks) while this one imports the flow and prepares the run.

    `result()` gives (problem, local): the one-line error of `ensure_prefect_api` or None, and
    whether the API is the temporary local one (which stops with this process)."""

    def __init__(self, timeout: float) -> None:
        import contextvars
        import threading

        self.timeout = timeout
        self._done = threading.Event()
        self._outcome: tuple[str | None, bool] = (None, False)
        # the caller's context: Prefect keeps its settings (PREFECT_API_URL) in a context variable
        context = contextvars.copy_context()
        self._thread = threading.Thread(
            target=context.run, args=(self._start,), name="prefect-api", daemon=True
        )
        self._thread.start()

    def _start(self) -> None:
        try:
            from prefect.settings import PREFECT_API_URL

            if PREFECT_API_URL.value():
                self._outcome = (None, False)
            else:
                self._outcome = (ensure_prefect_api(self.timeout), True)
        except Exception as exc:  # reported by the caller, like a failed start
            self._outcome = (f"Prefect could not be set up: {type(exc).__name__}: {exc}", True)
        finally:
            self._done.set()

    def result(self) -> tuple[str | None, bool]:
        self._done.wait()
        return self._outcome


def local_run_settings(local: bool):
    """Settings for a flow run on the temporary local API: no heartbeats. They let a server
    notice a crashed run; the temporary server stops with the run, and Prefect's heartbeat
    thread costs a second at the end of every flow run (it sleeps in one-second steps and is
    joined on exit). Against a real server they stay on."""
    from contextlib import nullcontext

    if not local:
        return nullcontext()
    import prefect.settings
    from prefect.settings import temporary_settings

    return temporary_settings(updates={prefect.settings.PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})


def record_failed_start(args: argparse.Namespace, sources_path: str, run_id: str, message: str):
    """Put a run that never reached its first stage in the ledger, so `ingest health` and the
    run-ledger chart show the lost night (best effort: never raises)."""
    from ..config import load_sources
    from ..store import db as kbdb
    from ..store.lock import WriterLock
    from ..store.runs import record_unstarted

    try:
        cfg = load_sources(sources_path)
        only = getattr(args, "only", None) or None
        ids = [s.id for s in cfg.sources if s.enabled and (not only or s.id in only)]
        with WriterLock(args.db):
            db = kbdb.connect(args.db)
            with db.atomic():
                kbdb.sync_sources(db, cfg.sources)
            record_unstarted(db, run_id, ids, message)
            db.conn.close()
    except Exception as exc:  # the ledger itself is unusable: the message above still stands
        print(f"warning: could not record the failed run in {args.db}: {exc}", file=sys.stderr)


def run_flow(
    args: argparse.Namespace,
    *,
    backfill: bool = False,
    since: date | None = None,
    sources_path: str | None = None,
) -> int:
    from ..config import ConfigError
    from ..store.lock import RunLocked
    from ..store.runs import new_run_id

    sources_path = sources_path or args.sources
    validate(sources_path, args.taxonomy)
    run_id = new_run_id()
    api = PrefectAPI(prefect_startup_timeout(args))  # boots while the flow is imported
    from pipelines.nightly import nightly

    problem, local = api.result()
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        record_failed_start(args, sources_path, run_id, problem)
        return 2
    flow = nightly
    if getattr(args, "dask", None):
        from prefect_dask import DaskTaskRunner

        flow = nightly.with_options(task_runner=DaskTaskRunner(address=args.dask))
    t0 = time.monotonic()
    try:
        with local_run_settings(local):
            state = flow(
                sources_path=sources_path,
                taxonomy_path=args.taxonomy,
                db_path=args.db,
                raw_dir=args.raw_dir,
                only=getattr(args, "only", None) or None,
                publish=not getattr(args, "no_publish", False),
                backfill=backfill,
                since=since,
                run_id=run_id,
                return_state=True,
            )
    except RunLocked as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    except Exception as exc:  # Prefect itself failed around the flow: one line, on the ledger
        message = f"the flow could not run: {type(exc).__name__}: {str(exc)[:300]}"
        print(f"error: {message}", file=sys.stderr)
        record_failed_start(args, sources_path, run_id, message)
        return 2
    summary = state.result(raise_on_failure=False)
    if isinstance(summary, BaseException):
        if isinstance(summary, RunLocked):
            print(f"error: {summary}", file=sys.stderr)
            return 3
        from ..store.runs import disk_full_report, is_disk_full

        if is_disk_full(summary):
            print(f"error: {disk_full_report(args.db, run_id, summary)}", file=sys.stderr)
            return 1
        if isinstance(summary, sqlite3.DatabaseError):
            print(
                f"error: cannot use database {args.db}: {summary} (left untouched)", file=sys.stderr
            )
            return 2
        message = f"{type(summary).__name__}: {summary}"
        print(f"error: {message}", file=sys.stderr)
        if not isinstance(summary, ConfigError | OSError):
            record_failed_start(args, sources_path, run_id, message)  # no-op if it had begun
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


def datasette_command(
    db: str, port: int, host: str = "127.0.0.1", *, immutable: bool = False
) -> list[str]:
    from ..publish.settings import datasette_args

    return [
        sys.executable,
        "-m",
        "datasette",
        *datasette_args(db, port, host=host, immutable=immutable),
    ]


LOOPBACK_HOSTS = {"127.0.0.1", "::1", "localhost"}


def exposure_warning(host: str) -> str | None:
    """What binding beyond loopback means, said before it happens."""
    if host in LOOPBACK_HOSTS or host.startswith("127."):
        return None
    where = "every network interface" if host in ("0.0.0.0", "::", "") else host
    return (
        f"warning: serving on {where}: anyone who can reach this machine can run SQL on the"
        " knowledge base (read-only, time-limited). For a public site put a reverse proxy in"
        " front (docs/operations.md); for yourself use --host 127.0.0.1."
    )


def _die_with_parent() -> None:
    """In the Datasette child (Linux): SIGTERM when `ingest serve` dies, even by SIGKILL, so
    no server is left listening."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def serve_child(cmd: list[str]) -> int:
    """Run Datasette as our child until it exits; SIGTERM, SIGINT and SIGHUP sent to us (what
    systemd, a terminal's Ctrl-C and a closed session send) are passed on, and we exit with
    its status (0 after a stop we were asked for). The child has a session of its own, so a
    Ctrl-C reaches it once, from us."""
    proc = subprocess.Popen(cmd, start_new_session=True, preexec_fn=_die_with_parent)
    asked: set[int] = set()

    def forward(signum: int, _frame: object) -> None:
        if proc.poll() is None:
            asked.add(signum)
            proc.send_signal(signum)

    forwarded = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
    previous = {s: signal.signal(s, forward) for s in forwarded}
    try:
        code = proc.wait()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if proc.poll() is None:  # we are leaving on an error of our own: take it with us
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    # uvicorn shuts down cleanly, then dies of the signal it was sent: a stop we were asked for
    if -code in asked or code - 128 in asked:
        return 0
    return code if code >= 0 else 128 - code


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
    if warning := exposure_warning(args.host):
        print(warning, file=sys.stderr)
    immutable = getattr(args, "immutable", False)
    cmd = datasette_command(args.db, args.port, args.host, immutable=immutable)
    mode = "immutable" if immutable else "read-only; new runs show up as they load"
    print(f"Datasette on http://{args.host}:{args.port}/  ({mode}; Ctrl-C to stop)", flush=True)
    return serve_child(cmd)


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
    from ..reprocess import replay, reprocess, reprocess_failed
    from ..store.db import connect, sync_sources

    validate(args.sources, args.taxonomy)
    cfg = load_sources(args.sources)
    raw = args.raw_dir or str(Path(args.db).parent / "raw")
    if args.replay and args.failed:
        print(
            "error: --replay rebuilds everything; --failed only the failed pages", file=sys.stderr
        )
        return 2
    if (args.replay or args.failed) and not Path(raw).is_dir():
        print(f"error: no archive at {raw} (give --raw-dir)", file=sys.stderr)
        return 2
    db = connect(args.db)
    from ..store.lock import WriterLock

    with WriterLock(args.db):
        from ..tag.taxonomy import load_taxonomy, sync_taxonomy

        sync_taxonomy(db, load_taxonomy(args.taxonomy))
        corrections_path = Path(args.sources).with_name("corrections.yaml")
        if args.replay:
            from ..evidence.corrections import sync_file

            with db.atomic():
                sync_sources(db, cfg.sources)
            sync_file(db, corrections_path)  # pending until replay loads each article
            counts = replay(db, cfg, args.taxonomy, raw, source_id=args.source)
        elif args.failed:
            counts = reprocess_failed(db, cfg, args.taxonomy, raw, source_id=args.source)
        else:
            counts = reprocess(
                db,
                cfg,
                args.taxonomy,
                raw,
                source_id=args.source,
                article_ids=args.id or None,
                corrections_path=corrections_path,
            )
        from ..evidence.stories import assign_stories

        assign_stories(db)  # re-extracted text may join or leave stories
        from ..activities.store import update_activities

        print("activities:", update_activities(db))  # stories whose text or tags changed
    print("reprocessed:", dict(counts))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run the nightly flow once")
    _common(p)
    _prefect_timeout(p)
    p.add_argument("--only", action="append", metavar="SOURCE_ID", help="limit to these sources")
    p.add_argument("--dask", metavar="ADDRESS", help="run tasks on this Dask scheduler")
    p.add_argument("--no-publish", action="store_true", help="skip the Datasette smoke check")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("backfill", help="walk sitemaps, listings and search back to a date")
    _common(p)
    _prefect_timeout(p)
    p.add_argument("--since", required=True, help="YYYY-MM-DD, e.g. 2019-10-01")
    p.add_argument("--source", dest="only", action="append", metavar="SOURCE_ID")
    p.add_argument("--no-publish", action="store_true")
    p.set_defaults(func=cmd_backfill)

    p = sub.add_parser("serve", help="serve the knowledge base with Datasette")
    _common(p, sources=False)
    p.add_argument("--port", type=int, default=8001)
    p.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default loopback; others warn)"
    )
    p.add_argument(
        "--immutable",
        action="store_true",
        help="serve a copy nothing writes to any more (a published snapshot) as immutable;"
        " never the database a nightly run writes to",
    )
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
    _prefect_timeout(p)
    p.set_defaults(func=cmd_demo, only=None, no_publish=False, immutable=False)

    p = sub.add_parser("reprocess", help="re-extract and re-tag from the raw archive (no network)")
    _common(p)
    p.add_argument("--source", help="only this source")
    p.add_argument("--id", type=int, action="append", help="only these article ids")
    p.add_argument(
        "--replay",
        action="store_true",
        help="rebuild from the archive alone, discovery included (robots.txt, feeds, sitemaps,"
        " listings, then articles, run by run); --db may be a new file",
    )
    p.add_argument(
        "--failed",
        action="store_true",
        help="extract again, from the archive, the pages whose extraction failed (after fixing"
        " a selector or the extractor); those that now give an article are stored",
    )
    p.set_defaults(func=cmd_reprocess)
