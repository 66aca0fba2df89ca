"""`ingest report | stories | archive | verify-archive | correct`: evidence for the UNESCO report.

- `report`: the evidence report per initiative and period, as md, html, csv, json or docx.
- `stories`: cluster articles into stories (only those without one; `--rebuild` for all).
- `archive ID`: the archived response of one article, printed as text (never rendered);
  `--save DIR` writes it as files for a dossier (HTML as fetched, PDF, provenance).
- `verify-archive`: check every archived body against its recorded SHA-256; exit 1 on mismatch.
- `correct`: add a reviewer's correction to corrections.yaml and apply it; `--check` validates
  the file against the knowledge base.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..clock import now_vn

DEFAULT_DB = "data/kb.db"
DEFAULT_CORRECTIONS = "corrections.yaml"
REPORT_FORMATS = ("md", "html", "csv", "json", "docx")


def _db_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", default=DEFAULT_DB, help="SQLite database (default %(default)s)")


def _open(path: str, *, write: bool = False):
    from ..store.db import connect

    if not Path(path).exists():
        print(f"error: database {path} does not exist", file=sys.stderr)
        return None
    return connect(path, migrate=write)


def _fail(message: str, code: int = 2) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def report_format(fmt: str | None, out: str) -> str:
    """--format, else --out's extension; a clear error when neither says."""
    if fmt:
        return fmt
    suffix = Path(out).suffix.lstrip(".").lower()
    if not suffix:
        raise ValueError(
            f"cannot tell the format of {out!r}: give --format ({', '.join(REPORT_FORMATS)})"
            " or an extension, e.g. --out report.docx"
        )
    if suffix not in REPORT_FORMATS:
        raise ValueError(
            f"unknown format {suffix!r} from {out!r}; choose one of {', '.join(REPORT_FORMATS)}"
        )
    return suffix


def cmd_report(args: argparse.Namespace) -> int:
    if args.monitoring:  # the activity dossier in the monitoring report's order (issue 18)
        from .activities import cmd_monitoring_report

        args.site_url = args.base_url  # its archive links absolute too
        return cmd_monitoring_report(args)
    from ..evidence.citation import check_base_url
    from ..evidence.period import parse_period
    from ..evidence.render import write_report
    from ..evidence.report import ReportQuery, build_report, unassigned_articles

    try:
        fmt = report_format(args.format, args.out)
        base = check_base_url(args.base_url)
        start, end = parse_period(args.date_from, args.date_to, ("--from", "--to"))
    except ValueError as exc:
        return _fail(str(exc))
    db = _open(args.db, write=args.assign_stories)
    if db is None:
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
        report = build_report(db, q, base_url=base)
        paths = write_report(report, fmt, args.out)
    except (ValueError, OSError) as exc:
        return _fail(str(exc))
    for sec in report.sections:
        print(
            f"{sec.id}: {sec.story_count} stories, {sec.article_count} articles"
            f" ({sec.undated_count} undated, {len(sec.excluded)} excluded by reviewers)"
        )
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
    from ..evidence.citation import check_base_url
    from ..evidence.provenance import archive_text, default_raw_dir

    db = _open(args.db)
    if db is None:
        return 2
    raw = args.raw_dir or default_raw_dir(args.db)
    if args.save:
        from ..evidence.snapshot import save_archived_copy

        try:
            saved = save_archived_copy(
                db,
                args.article_id,
                raw,
                args.save,
                base_url=check_base_url(args.base_url),
                pdf=not args.no_pdf,
            )
        except (LookupError, OSError, ValueError) as exc:
            return _fail(str(exc), 1)
        for path in (saved.html, saved.pdf, saved.provenance):
            if path is not None:
                print("wrote", path)
        if saved.pdf_problem and not args.no_pdf:
            print(f"warning: {saved.pdf_problem}", file=sys.stderr)
        return 0
    try:
        text = archive_text(db, args.article_id, raw)
    except (LookupError, OSError, ValueError) as exc:
        return _fail(str(exc), 1)
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


def cmd_correct(args: argparse.Namespace) -> int:
    from ..evidence import corrections as cx
    from ..store.lock import WriterLock

    path = Path(args.file)
    db = _open(args.db, write=True)
    if db is None:
        return 2
    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        entries = cx.parse(text, str(path)) if text.strip() else []
    except cx.CorrectionsError as exc:
        return _fail(str(exc))
    if args.check:
        problems = cx.check_against(db, entries)
        for p in problems:
            print(f"{path}: {p}", file=sys.stderr)
        print(f"{path}: {len(entries)} correction(s), {len(problems)} problem(s)")
        return 2 if problems else 0
    action, label = _action(args)
    if action is None:
        return _fail(
            "say what to change: --exclude-initiative ID, --exclude-agency ID,"
            " --exclude-article, --add-initiative ID or --add-agency ID"
        )
    url = args.url
    if args.article is not None:
        row = db.execute("select url from articles where id = ?", [args.article]).fetchone()
        if row is None:
            return _fail(f"no article {args.article} in {args.db}")
        url = row[0]
    if not url:
        return _fail("give the article: --url URL or --article ID")
    if action.startswith("add_") and not args.evidence:
        return _fail("--evidence is required: the exact sentence of the article proving the tag")
    if not action.startswith("add_") and args.evidence:
        return _fail("--evidence is only for --add-initiative and --add-agency")
    try:
        entry = cx.parse(
            cx.append_entry(
                "",
                cx.Correction(
                    url=url,
                    action=action,
                    label_id=label,
                    reason=args.reason,
                    reviewer=args.reviewer,
                    evidence=args.evidence,
                    reviewed_on=(args.date or now_vn().date().isoformat()),
                ),
            )
        )[0]
        problems = cx.check_against(db, [entry])
        if problems:
            return _fail("; ".join(problems))
        new_text = cx.append_entry(text, entry)
    except (cx.CorrectionsError, ValueError) as exc:
        return _fail(str(exc))
    cx.write_atomically(path, new_text)
    what = " ".join(x for x in (entry.action, entry.label_id, entry.url) if x)
    print(f"added to {path}: {what}")
    if args.no_apply:
        return 0
    with WriterLock(args.db):
        result = cx.sync(db, cx.parse(new_text, str(path)))
    print(
        f"applied: {result.applied}; pending (not crawled yet): {len(result.pending)};"
        f" invalid: {len(result.invalid)}"
    )
    for problem in result.invalid:
        print(f"warning: {problem}", file=sys.stderr)
    return 0


def _action(args: argparse.Namespace) -> tuple[str | None, str]:
    for attr, action in (
        ("exclude_initiative", "exclude_initiative"),
        ("exclude_agency", "exclude_agency"),
        ("add_initiative", "add_initiative"),
        ("add_agency", "add_agency"),
    ):
        value = getattr(args, attr)
        if value:
            return action, value
    if args.exclude_article:
        return "exclude_article", ""
    return None, ""


def register(sub: argparse._SubParsersAction) -> None:
    from ..evidence.citation import DEFAULT_BASE_URL
    from ..evidence.period import FORMS_EN

    p = sub.add_parser(
        "report",
        help="evidence report per initiative and period (md, html, csv, json, docx)",
        description="Write the evidence report: per initiative a summary with a coverage chart,"
        " then every story with its outlets, evidence quotes, agencies, and per article the"
        " URL, archive link, SHA-256 and a ready-to-paste citation; undated articles and those"
        " reviewers excluded are listed and counted.",
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
    p.add_argument("--from", dest="date_from", required=True, metavar="DATE", help=FORMS_EN)
    p.add_argument("--to", dest="date_to", required=True, metavar="DATE", help=FORMS_EN)
    p.add_argument("--format", choices=REPORT_FORMATS, help="default: from --out's extension")
    p.add_argument("--out", required=True, metavar="PATH", help="output file")
    p.add_argument(
        "--base-url",
        default=DEFAULT_BASE_URL,
        metavar="URL",
        help="public address of the knowledge base, for archive links (default %(default)s)",
    )
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
        help="print one article's archived response as text, or save it (--save DIR)",
        description="Print the archived HTTP response of one article as plain text (headers and"
        " HTML source; control characters removed), with its provenance. With --save DIR, write"
        " the page as fetched (HTML), a PDF of it made with headless Chromium when installed,"
        " and its provenance (JSON), to attach to a dossier.",
    )
    p.add_argument("article_id", type=int, metavar="ARTICLE_ID")
    _db_arg(p)
    p.add_argument("--raw-dir", help="WARC archive dir (default: <db dir>/raw)")
    p.add_argument("--save", metavar="DIR", help="write article-ID.html, .pdf and .json here")
    p.add_argument("--no-pdf", action="store_true", help="with --save: skip the PDF")
    p.add_argument(
        "--base-url", default=DEFAULT_BASE_URL, metavar="URL", help="public address, for the link"
    )
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

    p = sub.add_parser(
        "correct",
        help="add a reviewer's correction to corrections.yaml and apply it",
        description="Exclude an article from an initiative, an agency or the whole knowledge"
        " base, or add a tag with the sentence proving it; the entry is validated against the"
        " knowledge base, appended to corrections.yaml (comments kept) and applied. --check"
        " validates the whole file instead.",
    )
    _db_arg(p)
    p.add_argument("--file", default=DEFAULT_CORRECTIONS, help="(default %(default)s)")
    p.add_argument("--check", action="store_true", help="validate the file, change nothing")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--url", help="the article's URL")
    which.add_argument("--article", type=int, metavar="ID", help="the article's id")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--exclude-initiative", metavar="ID")
    what.add_argument("--exclude-agency", metavar="ID")
    what.add_argument("--exclude-article", action="store_true", help="from the whole base")
    what.add_argument("--add-initiative", metavar="ID")
    what.add_argument("--add-agency", metavar="ID")
    p.add_argument("--evidence", help="add-*: the exact sentence of the article proving the tag")
    p.add_argument("--reason", help="why (required)")
    p.add_argument("--reviewer", help="who decided (required)")
    p.add_argument("--date", help="when it was decided, YYYY-MM-DD (default today)")
    p.add_argument("--no-apply", action="store_true", help="only write corrections.yaml")
    p.set_defaults(func=cmd_correct)
