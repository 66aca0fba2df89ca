"""Throughput of `ingest.extract.article.extract` (with metadata) against bare trafilatura.

Prints pages per CPU-second (one core) for both on the same pages, and their ratio. CPU time
rather than wall time, and rounds alternating between the two extractors with the median
reported, keep background load on a shared machine out of the figure. Not a test: speed is a figure to watch, not to assert.

    .venv/bin/python benchmarks/bench_extract.py [--rounds 7] [--set corpus|samplesites|fixtures]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import trafilatura

from ingest.extract.article import extract
from ingest.quality import extraction as ev


def load_pages(name: str | None, tmp: Path) -> dict[str, list[tuple[bytes, str | None]]]:
    out = {}
    for gs in ev.default_sets(tmp):
        if name and gs.name != name:
            continue
        rows = ev.load_gold(gs.gold)
        out[gs.name] = [((gs.html_dir / r["file"]).read_bytes(), r.get("url")) for r in rows]
    return out


def rate(fn, pages) -> float:
    """Pages per CPU-second of this process: other jobs on a shared machine do not count."""
    start = time.process_time()
    for html, url in pages:
        fn(html, url)
    return len(pages) / max(time.process_time() - start, 1e-9)


def ours(html: bytes, url: str | None) -> None:
    extract(html, url)


def bare(html: bytes, url: str | None) -> None:
    trafilatura.bare_extraction(html, url=url, with_metadata=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--set", dest="name", help="only this gold set")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sets = load_pages(args.name, Path(tmp))
    print(
        f"{'set':<12}{'pages':>6}{'ours p/s':>10}{'bare p/s':>10}{'ratio':>8}   (median of {args.rounds})"
    )
    for name, pages in sets.items():
        ours(*pages[0]), bare(*pages[0])  # warm-up: imports and caches
        r_ours, r_bare = [], []
        for _ in range(args.rounds):
            r_ours.append(rate(ours, pages))
            r_bare.append(rate(bare, pages))
        o, b = statistics.median(r_ours), statistics.median(r_bare)
        ratios = sorted(x / y for x, y in zip(r_ours, r_bare, strict=True))
        print(
            f"{name:<12}{len(pages):>6}{o:>10.1f}{b:>10.1f}{o / b:>8.2f}"
            f"   per-round ratio min {ratios[0]:.2f} max {ratios[-1]:.2f}"
        )


if __name__ == "__main__":
    main()
