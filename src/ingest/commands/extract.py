"""`ingest extract` (debug one or more saved pages) and `ingest eval-extract` (score vs gold)."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..config import ExtractOverrides

DEFAULT_SOURCES = Path("sources.yaml")  # relative to the working directory, like other commands


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("extract", help="extract saved HTML pages and print the records")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("--url", help="the page's URL (resolves the canonical link; picks overrides)")
    p.add_argument("--encoding", help="force a character encoding instead of detecting it")
    p.add_argument("--source", help="apply this source's extract overrides from sources.yaml")
    p.add_argument("--sources", type=Path, default=DEFAULT_SOURCES, help="path to sources.yaml")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(func=cmd_extract)

    e = sub.add_parser("eval-extract", help="score extraction against gold, beside trafilatura")
    e.add_argument("--gold", action="append", type=Path, default=[], help="gold.jsonl (repeatable)")
    e.add_argument(
        "--html-dir", action="append", type=Path, default=[], help="pages of the matching --gold"
    )
    e.add_argument("--no-overrides", action="store_true", help="generic rules only")
    e.add_argument("--sources", type=Path, default=DEFAULT_SOURCES, help="path to sources.yaml")
    e.add_argument("--repeat", type=int, default=3, help="passes for the pages/s figure")
    e.add_argument(
        "--details", action="store_true", help="also list the pages the baseline gets wrong"
    )
    e.add_argument("--check-floors", action="store_true", help="exit 1 below the pinned floors")
    e.set_defaults(func=cmd_eval)


def _overrides(args: argparse.Namespace) -> ExtractOverrides | None:
    if not args.source:
        return None
    from ..config import load_sources

    return load_sources(args.sources).get(args.source).extract


def cmd_extract(args: argparse.Namespace) -> int:
    from ..extract.article import extract
    from ..quality.extraction import overrides_from_sources

    fixed = _overrides(args)
    by_url = overrides_from_sources(args.sources) if args.url and fixed is None else None
    status = 0
    for path in args.files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            print(f"{path}: cannot read: {exc}", file=sys.stderr)
            status = 1
            continue
        ov = fixed or (by_url(args.url) if by_url else None)
        r = extract(data, args.url, ov, encoding=args.encoding)
        if r.error:
            status = 1
        if args.json:
            rec = {
                "file": str(path),
                "title": r.title,
                "lead": r.lead,
                "text": r.text,
                "published": r.published,
                "author": r.author,
                "language": r.language,
                "canonical_url": r.canonical_url,
                "field_sources": r.field_sources,
                "error": r.error,
            }
            print(json.dumps(rec, ensure_ascii=False))
        else:
            print(f"== {path}")
            if r.error:
                print(f"error:     {r.error}")
            print(f"title:     {r.title}")
            print(f"published: {r.published}")
            print(f"author:    {r.author}")
            print(f"language:  {r.language}")
            print(f"sources:   {r.field_sources}")
            print(f"lead:      {r.lead}")
            print(r.text)
    return status


def cmd_eval(args: argparse.Namespace) -> int:
    from ..quality import extraction as ev

    if args.gold:
        sets = []
        for i, gold in enumerate(args.gold):
            if i < len(args.html_dir):
                html_dir = args.html_dir[i]
            else:
                html_dir = gold.parent / "html" if (gold.parent / "html").is_dir() else gold.parent
            sets.append(ev.GoldSet(ev.set_name(gold), gold, html_dir, args.sources))
        tmp = None
    else:
        tmp = tempfile.TemporaryDirectory(prefix="samplesites-")
        sets = ev.default_sets(Path(tmp.name))
    if not sets:
        print("no gold sets found (pass --gold FILE)", file=sys.stderr)
        return 2
    floors = ev.load_floors()
    failures: list[str] = []
    print("overrides: " + ("off (generic rules only)" if args.no_overrides else "on"))
    print("baseline: trafilatura fast mode with metadata (what the extractor calls first)")
    for gs in sets:
        lookup = ev.no_overrides if args.no_overrides else ev.overrides_from_sources(gs.sources)
        ours, bare = ev.compare_set(gs, ev.run_ours(lookup), ev.run_bare, repeat=args.repeat)
        held = ev.holdout_part(ours)
        if held is not None:  # the figure that counts comes first
            print(ev.format_table([(held, ev.holdout_part(bare))], failures=True))
        print(ev.format_table([(ours, bare)], failures=True, all_bare=args.details))
        failures += ev.below_floor(ours, floors.get(gs.name, {}))
    if tmp is not None:
        tmp.cleanup()
    if args.check_floors and failures:
        print("below floor:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    return 0
