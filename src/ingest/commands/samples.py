"""`ingest samples`: serve the bundled sample sites on loopback until Ctrl-C.

Useful for trying the crawler by hand: `ingest samples --write-sources /tmp/sources.yaml` and then
`ingest run --sources /tmp/sources.yaml` in another terminal. `--render DIR` writes the article
pages and their gold.jsonl instead of serving.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path


def ports_from_base(base: int) -> dict[str, int]:
    """Consecutive ports from `base` in DEFAULT_PORTS order; 0 means ephemeral for every outlet."""
    from ..testing.samplesites import DEFAULT_PORTS

    return {oid: (base + i if base else 0) for i, oid in enumerate(DEFAULT_PORTS)}


def cmd_samples(args: argparse.Namespace) -> int:
    from ..testing.samplesites import render_all, serve

    if args.render:
        pages = render_all(args.render)
        print(f"wrote {len(pages)} pages and {Path(args.render) / 'gold.jsonl'}")
        return 0
    with serve(ports_from_base(args.port_base), host=args.host, now=args.now) as sites:
        for oid, url in sites.base_urls.items():
            print(f"{oid:10} {url}/")
        if args.write_sources:
            Path(args.write_sources).write_text(sites.sources_yaml(), encoding="utf-8")
            print(f"sources written to {args.write_sources}")
        print("serving sample sites (Ctrl-C to stop)", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print(f"stopped after {len(sites.requests)} requests", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "samples",
        help="serve the bundled sample sites on loopback",
        description="Serve the bundled sample news sites and government portal on 127.0.0.1.",
    )
    p.add_argument(
        "--port-base",
        type=int,
        default=8101,
        help="first port; outlets get consecutive ports (0 = ephemeral) [8101]",
    )
    p.add_argument("--host", default="127.0.0.1", help="bind address [127.0.0.1]")
    p.add_argument(
        "--write-sources", metavar="PATH", help="also write a sources.yaml for the running sites"
    )
    p.add_argument(
        "--now",
        metavar="ISO_DATE",
        help="only show articles published by this date, e.g. 2023-12-31",
    )
    p.add_argument(
        "--render",
        metavar="DIR",
        help="write every article page and gold.jsonl to DIR instead of serving",
    )
    p.set_defaults(func=cmd_samples)
