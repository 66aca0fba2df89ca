"""`ingest activities | eval-activities`: the programme's activity timeline.

- `activities`: recompute the activities of the stories that changed (`--rebuild`: all).
- `eval-activities`: precision and recall per field on the labelled passages (the held-out
  batch first), the sample sites' expected activities, and the floors in quality/.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..paths import REPO_ROOT

DEFAULT_DB = "data/kb.db"
DEFAULT_HELDOUT = REPO_ROOT / "eval" / "activities_heldout.jsonl"


def cmd_activities(args: argparse.Namespace) -> int:
    from ..evidence.activity_store import update_activities
    from ..evidence.venues import GazetteerError, load_gazetteer
    from ..store.db import connect
    from ..store.lock import WriterLock

    if not Path(args.db).exists():
        print(f"error: database {args.db} does not exist", file=sys.stderr)
        return 2
    try:
        gazetteer = load_gazetteer(args.gazetteer)
    except GazetteerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    db = connect(args.db)
    with WriterLock(args.db):
        counts = update_activities(db, gazetteer=gazetteer, rebuild=args.rebuild)
    n = db.execute("select count(*) from activities").fetchone()[0]
    print(f"activities: {json.dumps(counts)}; {n} activities")
    return 0


def cmd_monitoring_report(args: argparse.Namespace) -> int:
    """`ingest report --monitoring --from … --to … --out dossier.docx`."""
    from ..evidence.monitoring import build_dossier
    from ..evidence.monitoring_render import write_dossier
    from ..evidence.report import parse_period
    from ..store.db import connect

    if not Path(args.db).exists():
        print(f"error: database {args.db} does not exist", file=sys.stderr)
        return 2
    try:
        start, end = parse_period(args.date_from, args.date_to)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    db = connect(args.db, migrate=False)
    if "activities" not in db.table_names():
        print("error: no activity tables; run `ingest activities` first", file=sys.stderr)
        return 2
    fmt = args.format or Path(args.out).suffix.lstrip(".").lower()
    base = getattr(args, "site_url", None)
    link = (lambda i: f"{base.rstrip('/')}/-/archive/{i}") if base else None
    dossier = build_dossier(db, start, end)
    try:
        paths = write_dossier(dossier, fmt, args.out, link)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for level, sections in dossier.levels:
        for sec in sections:
            print(f"{level} {sec.id}: {len(sec.activities)} activities")
    print("wrote", ", ".join(str(p) for p in paths))
    return 0


def _print_scores(title: str, scores) -> None:
    print(f"{title} ({scores.passages} passages)")
    print(f"  {'field':<10} {'precision':>9} {'recall':>7} {'tp':>4} {'fp':>4} {'fn':>4}")
    for fld, c in scores.counts.items():
        print(f"  {fld:<10} {c.precision:>9.3f} {c.recall:>7.3f} {c.tp:>4} {c.fp:>4} {c.fn:>4}")


def cmd_eval(args: argparse.Namespace) -> int:
    from ..evidence.activities import lexicon
    from ..evidence.venues import GazetteerError, load_gazetteer
    from ..quality.activities import (
        DEFAULT_FLOORS,
        DEFAULT_SET,
        LabelledSetError,
        below_floors,
        check_sample_sites,
        load_floors,
        load_passages,
        sample_site_activities,
        score,
    )
    from ..tag.taxonomy import load_taxonomy

    args.set_path = DEFAULT_SET if args.set_path is None else args.set_path
    args.floors = DEFAULT_FLOORS if args.floors is None else args.floors
    try:
        taxonomy = load_taxonomy(args.taxonomy)
        lex = lexicon(taxonomy, load_gazetteer(args.gazetteer))
        sets = [(p, load_passages(p)) for p in (args.heldout, args.set_path) if p and p.exists()]
    except (GazetteerError, LabelledSetError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    code = 0
    dev_scores = None
    for path, passages in sets:
        scores = score(passages, lex)
        held = path == args.heldout
        _print_scores(f"{'held-out' if held else 'labelled set'} {path.name}", scores)
        if args.verbose:
            for m in scores.misses:
                print(f"    {m.passage} {m.field}: expected {m.expected!r}, got {m.got!r}")
        if path == args.set_path:
            dev_scores = scores
    checks = check_sample_sites(sample_site_activities(taxonomy, lex))
    good = sum(c.ok for c in checks)
    print(f"sample sites: {good}/{len(checks)} festival editions, forums and plans as expected")
    for c in checks:
        mark = "ok " if c.ok else "BAD"
        print(f"  {mark} {c.expected.describe()}{'' if c.ok else ': ' + c.problem}")
    if good < len(checks):
        code = 1
    if dev_scores is not None and args.floors.exists():
        failed = below_floors(dev_scores, load_floors(args.floors))
        for f in failed:
            print(f"BELOW FLOOR {f}")
        if failed:
            code = 1
        else:
            print(f"floors ({args.floors.name}): all met")
    return code


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "activities",
        help="recompute the activity timeline for stories that changed",
        description="Read the activities (kind, date, venue, organisers, figures, with quotes)"
        " of every story whose articles or tags changed; --rebuild reads every story again.",
    )
    p.add_argument("--db", default=DEFAULT_DB, help="SQLite database (default %(default)s)")
    p.add_argument("--gazetteer", default=None, help="gazetteer.yaml (default: the checkout's)")
    p.add_argument("--rebuild", action="store_true", help="recompute every activity")
    p.set_defaults(func=cmd_activities)

    e = sub.add_parser(
        "eval-activities",
        help="precision and recall of the activity rules per field (labelled set, sample sites)",
    )
    # None = quality.activities' DEFAULT_SET / DEFAULT_FLOORS, resolved when the command runs
    # (importing the evaluation for `ingest --help` costs most of a second)
    e.add_argument("--set", dest="set_path", type=Path, default=None, help="eval/activities.jsonl")
    e.add_argument("--heldout", type=Path, default=DEFAULT_HELDOUT)
    e.add_argument("--taxonomy", default=str(REPO_ROOT / "taxonomy.yaml"))
    e.add_argument("--gazetteer", default=None)
    e.add_argument("--floors", type=Path, default=None, help="quality/activities_floors.json")
    e.add_argument("--verbose", "-v", action="store_true", help="list every miss")
    e.set_defaults(func=cmd_eval)
