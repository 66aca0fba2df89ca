"""`ingest classify` (tag JSON lines) and `ingest eval-tags` (the tagging quality gate)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from ..models import Classification, Tag
from ..quality.tagging import (
    DEFAULT_FLOORS,
    DEFAULT_SET,
    below_floors,
    evaluate,
    format_report,
    load_floors,
    load_set,
    samplesite_items,
)
from ..tag.classify import classify
from ..tag.taxonomy import default_taxonomy_path, load_taxonomy


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
        help="precision, recall and F1 of the tagger on the labelled set, checked against floors",
    )
    e.add_argument("--set", dest="set_path", type=Path, default=DEFAULT_SET)
    e.add_argument("--taxonomy", type=Path, default=None)
    e.add_argument("--floors", type=Path, default=DEFAULT_FLOORS)
    e.add_argument("--quiet", action="store_true", help="do not list individual errors")
    e.add_argument(
        "--samplesites",
        action="store_true",
        help="score the bundled sample sites' expected labels instead (no floors applied)",
    )
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


def run_eval(args: argparse.Namespace) -> int:
    taxonomy = load_taxonomy(args.taxonomy or default_taxonomy_path())
    items = samplesite_items() if args.samplesites else load_set(args.set_path)
    report = evaluate(items, taxonomy)
    print(format_report(report, show_errors=not args.quiet))
    figures = report.figures()
    print("\nfigures: " + json.dumps(figures))
    if not args.samplesites and args.floors and Path(args.floors).exists():
        try:
            floors = load_floors(args.floors)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        failed = below_floors(figures, floors)
        if failed:
            print("BELOW FLOOR: " + "; ".join(failed), file=sys.stderr)
            return 1
        print(f"all figures at or above the floors in {args.floors}")
    return 0
