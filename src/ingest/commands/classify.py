"""`ingest classify` (tag JSON lines) and `ingest eval-tags` (the tagging quality gate)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported where used: `ingest --help` must not load the tagger
    from ..models import Classification, Tag
    from ..quality.tagging import LabelledSet, Report

# The defaults of quality.tagging (DEFAULT_FLOORS, DEV_SET), named here for the help text only.
FLOORS_HELP = "quality/tagging_floors.json"
DEV_HELP = "../shared/tagging-dev/dev.jsonl"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "classify",
        help="tag JSON lines {id, title, text[, lead]} read from FILE or stdin",
        description="Read JSON lines {id, title, text, lead?}; write JSON lines "
        "{id, relevant, score, initiatives: [{id, evidence}], agencies: [{id, evidence}]}.",
    )
    p.add_argument("file", nargs="?", default="-", help="input JSON lines, '-' for stdin")
    p.add_argument("--taxonomy", type=Path, default=None, help="taxonomy.yaml to use")
    p.add_argument(
        "--details",
        action="store_true",
        help="also write field, start, end and rule for each tag, and the tagger version",
    )
    p.set_defaults(func=run_classify)

    e = subparsers.add_parser(
        "eval-tags",
        help="score the tagger on every labelled set side by side, checked against floors",
        description="Score the tagger on the labelled set, the blind batches, the sample sites "
        "and ../shared/tagging-dev (when present), side by side, with the English subset of "
        "each, per-label precision/recall and the errors; exit 1 when a set falls under its "
        "floor in quality/tagging_floors.json.",
    )
    e.add_argument(
        "--set",
        dest="set_path",
        type=Path,
        default=None,
        help="score only this labelled file, in full (either labelled-set format)",
    )
    e.add_argument("--taxonomy", type=Path, default=None)
    e.add_argument("--floors", type=Path, default=None, help=f"floors file (default {FLOORS_HELP})")
    e.add_argument("--quiet", action="store_true", help="do not list individual errors")
    e.add_argument(
        "--samplesites",
        action="store_true",
        help="score only the bundled sample sites' expected labels, in full",
    )
    e.add_argument(
        "--detail",
        metavar="SET",
        action="append",
        default=[],
        help="also print the full per-label report of this set (repeatable; 'all' for every set)",
    )
    e.add_argument(
        "--dev",
        type=Path,
        default=None,
        help=f"the development set (default {DEV_HELP}, skipped if absent)",
    )
    e.add_argument("--folds", type=int, default=5, help="k for the cross-validation (default 5)")
    e.set_defaults(func=run_eval)


def _tag_json(tag: Tag, details: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"id": tag.label_id, "evidence": tag.evidence}
    if details:
        out.update(field=tag.field, start=tag.start, end=tag.end, rule=tag.rule)
    return out


def result_json(item_id: Any, result: Classification, *, details: bool = False) -> dict[str, Any]:
    """The output record of `ingest classify` for one input line."""
    out: dict[str, Any] = {
        "id": item_id,
        "relevant": result.relevant,
        "score": result.score,
        "initiatives": [_tag_json(t, details) for t in result.initiatives],
        "agencies": [_tag_json(t, details) for t in result.agencies],
    }
    if details:
        out["tagger_version"] = result.tagger_version
    return out


def _lines(stream: IO[str]) -> Iterator[tuple[int, str]]:
    for n, line in enumerate(stream, 1):
        if line.strip():
            yield n, line


def run_classify(args: argparse.Namespace) -> int:
    from ..tag.classify import classify
    from ..tag.taxonomy import default_taxonomy_path, load_taxonomy

    taxonomy = load_taxonomy(args.taxonomy or default_taxonomy_path())
    stream = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")  # noqa: SIM115
    bad = 0
    try:
        for n, line in _lines(stream):
            try:
                item = json.loads(line)
                if not isinstance(item, dict):
                    raise ValueError("not a JSON object")
            except ValueError as exc:
                print(f"line {n}: invalid JSON: {exc}", file=sys.stderr)
                bad += 1
                continue
            result = classify(
                str(item.get("title") or ""),
                str(item.get("text") or ""),
                taxonomy,
                lead=str(item.get("lead") or ""),
            )
            out = result_json(item.get("id"), result, details=args.details)
            sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    finally:
        if stream is not sys.stdin:
            stream.close()
    return 1 if bad else 0


def _one_set(args: argparse.Namespace) -> LabelledSet:
    from ..quality.tagging import DEFAULT_SET, LabelledSet, load_set, samplesite_items

    if args.samplesites:
        return LabelledSet("samplesites", "second", samplesite_items())
    path = Path(args.set_path)
    name = "labelled" if path.resolve() == DEFAULT_SET.resolve() else path.stem
    return LabelledSet(name, "tuning", load_set(path), path)


def _check_floors(args: argparse.Namespace, scored: dict[str, Report]) -> int:
    from ..quality.tagging import below_floors, load_floors

    if not args.floors or not Path(args.floors).exists():
        return 0
    try:
        floors = load_floors(args.floors)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    failed = []
    for name, report in scored.items():
        for problem in below_floors(report.figures(), floors.get(name, {})):
            failed.append(f"{problem} ({name})")
    if failed:
        print("BELOW FLOOR: " + "; ".join(failed), file=sys.stderr)
        return 1
    checked = sorted(set(floors) & set(scored))
    print(f"all figures at or above the floors in {args.floors} ({', '.join(checked)})")
    return 0


def run_eval(args: argparse.Namespace) -> int:
    from ..quality.tagging import (
        DEFAULT_FLOORS,
        DEV_SET,
        TUNED_GRID,
        cross_validate,
        default_sets,
        evaluate,
        format_labels,
        format_report,
        format_table,
    )
    from ..tag.taxonomy import default_taxonomy_path, load_taxonomy

    args.floors = DEFAULT_FLOORS if args.floors is None else args.floors
    args.dev = DEV_SET if args.dev is None else args.dev
    taxonomy = load_taxonomy(args.taxonomy or default_taxonomy_path())
    if args.samplesites or args.set_path is not None:
        one = _one_set(args)
        report = evaluate(one.items, taxonomy)
        print(format_report(report, show_errors=not args.quiet))
        print("\nfigures: " + json.dumps(report.figures()))
        return 0 if args.samplesites else _check_floors(args, {one.name: report})
    sets = default_sets(dev_path=args.dev)
    scored: dict[str, Report] = {}
    rows: list[tuple[str, Report, int]] = []
    english_rows: list[tuple[str, Report, int]] = []
    for ls in sets:
        report = evaluate(ls.items, taxonomy)
        scored[ls.name] = report
        n_en = sum(1 for it in ls.items if it["english"])
        rows.append((f"{ls.name} ({ls.kind})", report, n_en))
        if n_en:
            en_items = [it for it in ls.items if it["english"]]
            english_rows.append((f"{ls.name} English", evaluate(en_items, taxonomy), n_en))
    tuning = [ls for ls in sets if ls.kind in ("tuning", "dev")]
    if tuning and args.folds >= 2:
        cv = cross_validate(tuning, taxonomy, args.folds)
        for name, report in cv.reports.items():
            cv_name = f"cv:{name}"
            scored[cv_name] = report
            n_en = sum(
                1 for it in next(ls for ls in tuning if ls.name == name).items if it["english"]
            )
            rows.append((f"{cv_name} ({args.folds}-fold)", report, n_en))
            if name in cv.english:
                english_rows.append((f"{cv_name} English", cv.english[name], n_en))
    print(format_table(rows))
    if english_rows:
        print("\nEnglish subsets")
        print(format_table(english_rows))
    if tuning and args.folds >= 2:
        print(
            f"\ncv: {args.folds}-fold cross-validation over the sets used for tuning "
            f"({', '.join(ls.name for ls in tuning)}): the relevance parameters "
            f"({', '.join(TUNED_GRID)}) refit on k-1 folds, the held-out fold classified; "
            "chosen per fold:"
        )
        for i, chosen in enumerate(cv.chosen):
            print(f"  fold {i}: " + ", ".join(f"{k}={v:g}" for k, v in chosen.items()))
        shipped = {k: getattr(taxonomy.relevance, k) for k in TUNED_GRID}
        print("  shipped: " + ", ".join(f"{k}={v:g}" for k, v in shipped.items()))
    print("\nper label, precision/recall (gold support)")
    print(format_labels([(name, rep) for name, rep in scored.items()]))
    details = set(args.detail)
    for name, report in scored.items():
        if "all" in details or name in details:
            print(f"\n== {name}")
            print(format_report(report, show_errors=False))
        if report.errors and not args.quiet:
            print(f"\nerrors in {name} ({len(report.errors)}):")
            print("\n".join("  " + e for e in report.errors))
    print("\nfigures: " + json.dumps({n: r.figures() for n, r in scored.items()}))
    return _check_floors(args, scored)
