"""`ingest report | stories | archive | verify-archive`: evidence for the monitoring report.

- `report`: the evidence report per initiative and period, as md, html, csv or docx.
- `stories`: cluster articles into stories (only those without one; `--rebuild` for all).
- `archive ID`: the archived response of one article, printed as text (never rendered).
- `verify-archive`: check every archived body against its recorded SHA-256; exit 1 on mismatch.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

DEFAULT_DB = "data/kb.db"


def _db_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", default=DEFAULT_DB, help="SQLite database (default %(default)s)")


def _open(path: str, *, write: bool = False):
    from ..store.db import connect

    if not Path(path).exists():
        print(f"error: database {path} does not exist", file=sys.stderr)
        return None
    return connect(path, migrate=write)


def cmd_report(args: argparse.Namespace) -> int:
    if args.monitoring:  # the activity dossier in the monitoring report's order (issue 18)
        from .activities import cmd_monitoring_report

        return cmd_monitoring_report(args)
    from ..evidence.render import write_report
    from ..evidence.report import ReportQuery, build_report, parse_period, unassigned_articles

    db = _open(args.db, write=args.assign_stories)
    if db is None:
        return 2
    try:
        start, end = parse_period(args.date_from, args.date_to)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    missing = unassigned_articles(db)
    if missing and args.assign_stories:
        from ..evidence.stories import assign_stories
        from ..store.lock import WriterLock

        with WriterLock(args.db):
            assign_stories(db)
    elif missing:
        print(
            f"warning: {missing} article(s) have no story yet and count as stories of their own;"
            " run `ingest stories` first",
            file=sys.stderr,
        )
    q = ReportQuery(start, end, tuple(args.initiative or ()), tuple(args.agency or ()))
    try:
        report = build_report(db, q)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    fmt = args.format or Path(args.out).suffix.lstrip(".").lower()
    paths = write_report(report, fmt, args.out)
    for sec in report.sections:
        print(f"{sec.id}: {sec.story_count} stories, {sec.article_count} articles")
    print("wrote", ", ".join(str(p) for p in paths))
    return 0


def cmd_stories(args: argparse.Namespace) -> int:
    from ..evidence.stories import assign_stories, rebuild_stories
    from ..store.lock import WriterLock

    db = _open(args.db, write=True)
    if db is None:
        return 2
    with WriterLock(args.db):
        counts = rebuild_stories(db) if args.rebuild else assign_stories(db)
    n = db.execute("select count(*) from stories").fetchone()[0]
    multi = db.execute("select count(*) from stories where article_count > 1").fetchone()[0]
    print(f"stories: {json.dumps(counts)}; {n} stories, {multi} with more than one article")
    return 0


def cmd_archive(args: argparse.Namespace) -> int:
    from ..evidence.provenance import archive_text, default_raw_dir

    db = _open(args.db)
    if db is None:
        return 2
    raw = args.raw_dir or default_raw_dir(args.db)
    try:
        text = archive_text(db, args.article_id, raw)
    except (LookupError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def cmd_verify_archive(args: argparse.Namespace) -> int:
    from ..evidence.provenance import default_raw_dir, verify_archive

    db = _open(args.db)
    if db is None:
        return 2
    raw = args.raw_dir or default_raw_dir(args.db)
    mismatches = verify_archive(db, raw, include_unarchived=args.include_unarchived)
    total = db.execute("select count(*) from articles").fetchone()[0]
    for m in mismatches:
        print(
            f"MISMATCH article {m.article_id}: {m.reason} ({m.warc_file}@{m.warc_offset})"
            f" expected {m.expected_sha256} actual {m.actual_sha256 or '-'} {m.url}"
        )
    print(f"checked {total} articles against {raw}: {len(mismatches)} mismatch(es)")
    return 1 if mismatches else 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="evidence report per initiative and period (md, html, csv, docx)",
        description="Write the evidence report: per initiative a summary with a coverage chart,"
        " then every story with its outlets, evidence quotes, agencies, full URLs and archive"
        " hashes.",
    )
    _db_arg(p)
    p.add_argument(
        "--initiative",
        action="append",
        metavar="ID",
        help="initiative or topic id, repeatable (default: every one with coverage)",
    )
    p.add_argument(
        "--agency", action="append", metavar="ID", help="only articles naming this agency"
    )
    p.add_argument("--from", dest="date_from", required=True, metavar="DATE", help="YYYY[-MM[-DD]]")
    p.add_argument("--to", dest="date_to", required=True, metavar="DATE", help="YYYY[-MM[-DD]]")
    p.add_argument(
        "--format", choices=("md", "html", "csv", "docx"), help="default: from --out's suffix"
    )
    p.add_argument("--out", required=True, metavar="PATH", help="output file")
    p.add_argument(
        "--monitoring",
        action="store_true",
        help="the monitoring dossier: activities per initiative, local then international"
        " then umbrella topics, with facts, quotes and coverage (see docs/timeline.md)",
    )
    p.add_argument(
        "--assign-stories",
        action="store_true",
        help="first cluster articles that have no story yet (takes the writer lock)",
    )
    p.set_defaults(func=cmd_report)

    p = sub.add_parser(
        "stories",
        help="cluster articles into stories across outlets",
        description="Assign a story to every article without one (incremental);"
        " --rebuild forgets all stories and clusters everything again.",
    )
    _db_arg(p)
    p.add_argument("--rebuild", action="store_true", help="recluster every article")
    p.set_defaults(func=cmd_stories)

    p = sub.add_parser(
        "archive",
        help="print one article's archived response as text",
        description="Print the archived HTTP response of one article as plain text (headers and"
        " HTML source; control characters removed), with its provenance.",
    )
    p.add_argument("article_id", type=int, metavar="ARTICLE_ID")
    _db_arg(p)
    p.add_argument("--raw-dir", help="WARC archive dir (default: <db dir>/raw)")
    p.set_defaults(func=cmd_archive)

    p = sub.add_parser(
        "verify-archive",
        help="check the WARC archive against the recorded hashes (exit 1 on mismatch)",
    )
    _db_arg(p)
    p.add_argument("--raw-dir", help="WARC archive dir (default: <db dir>/raw)")
    p.add_argument(
        "--include-unarchived",
        action="store_true",
        help="also report articles that have no archive pointer",
    )
    p.set_defaults(func=cmd_verify_archive)
