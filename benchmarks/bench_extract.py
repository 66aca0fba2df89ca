"""Throughput of `ingest.extract.article.extract` against trafilatura's fast mode with metadata.

Prints pages per CPU-second (one core) on the gold sets' pages for:

- as shipped: the extractor with its template families and the sources.yaml overrides;
- general rules: template families off (`templates=False`), every page through the generic
  container vote and trafilatura where that is unsure;
- fast path: only the pages a template family or a `body` override reads directly with lxml
  (timed as shipped), against trafilatura on the same pages;

each beside `trafilatura.bare_extraction(html, fast=True, with_metadata=True)`, the mode the
extractor itself calls first. CPU time rather than wall time, the variants timed in turn on each
page (interleaved, so background load on a shared machine falls on all alike), several rounds,
the median reported with the spread of the per-round ratios. Not a test: speed is a figure to
watch, not to assert.

    .venv/bin/python benchmarks/bench_extract.py [--rounds 7] [--set corpus|fixtures|samplesites]
    BENCH_QUICK=1 .venv/bin/python benchmarks/bench_extract.py   # 3 rounds, well under a minute
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import trafilatura

from ingest.extract.article import extract
from ingest.quality import extraction as ev

Page = tuple[bytes, str | None, object]  # html, url, overrides
VARIANTS = ("shipped", "general", "bare")


def load_pages(name: str | None, tmp: Path) -> dict[str, list[Page]]:
    out = {}
    for gs in ev.default_sets(tmp):
        if name and gs.name != name:
            continue
        lookup = ev.overrides_from_sources(gs.sources)
        rows = ev.load_gold(gs.gold)
        out[gs.name] = [
            ((gs.html_dir / r["file"]).read_bytes(), r.get("url"), lookup(r.get("url")))
            for r in rows
        ]
    return out


def run_variant(name: str) -> Callable[[Page], object]:
    if name == "shipped":
        return lambda p: extract(p[0], p[1], p[2])
    if name == "general":
        return lambda p: extract(p[0], p[1], p[2], templates=False)
    return lambda p: trafilatura.bare_extraction(p[0], url=p[1], fast=True, with_metadata=True)


def fast_path_pages(pages: list[Page]) -> list[bool]:
    """Which pages the shipped extractor reads without trafilatura (template or override)."""
    flags = []
    for html, url, ov in pages:
        src = extract(html, url, ov).field_sources.get("text", "")
        flags.append(src.startswith("template:") or src == "override")
    return flags


def measure(pages: list[Page], rounds: int) -> list[dict[str, list[float]]]:
    """Per round, per variant, the CPU seconds spent on each page (variants interleaved)."""
    fns = {v: run_variant(v) for v in VARIANTS}
    for p in pages:  # an untimed round: imports, caches, compiled XPaths are not per-page cost
        for fn in fns.values():
            fn(p)
    out = []
    for _ in range(rounds):
        spent: dict[str, list[float]] = {v: [] for v in VARIANTS}
        for p in pages:
            for v, fn in fns.items():
                start = time.process_time()
                fn(p)
                spent[v].append(time.process_time() - start)
        out.append(spent)
    return out


def summary(rounds: list[dict[str, list[float]]], ours: str, keep: list[bool]) -> str:
    """Median pages/s of `ours` and of trafilatura over the kept pages, ratio and its spread."""
    n = sum(keep)
    if n == 0:
        return "   (no page)"
    o_rates, b_rates, ratios = [], [], []
    for spent in rounds:
        o = sum(t for t, k in zip(spent[ours], keep, strict=True) if k)
        b = sum(t for t, k in zip(spent["bare"], keep, strict=True) if k)
        o_rates.append(n / max(o, 1e-9))
        b_rates.append(n / max(b, 1e-9))
        ratios.append(o_rates[-1] / b_rates[-1])
    med = statistics.median(ratios)
    return (
        f"{n:>6}{statistics.median(o_rates):>10.1f}{statistics.median(b_rates):>10.1f}"
        f"{med:>8.2f}   spread {min(ratios):.2f}-{max(ratios):.2f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    quick = os.environ.get("BENCH_QUICK") == "1"
    ap.add_argument("--rounds", type=int, default=3 if quick else 7)
    ap.add_argument("--set", dest="name", help="only this gold set")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sets = load_pages(args.name, Path(tmp))
    print(
        "baseline: trafilatura.bare_extraction(fast=True, with_metadata=True); pages per "
        f"CPU-second, median of {args.rounds} interleaved rounds"
    )
    print(f"{'set':<12}{'variant':<16}{'pages':>6}{'ours p/s':>10}{'bare p/s':>10}{'ratio':>8}")
    for name, pages in sets.items():
        rounds = measure(pages, args.rounds)
        every = [True] * len(pages)
        print(f"{name:<12}{'as shipped':<16}" + summary(rounds, "shipped", every))
        print(f"{'':<12}{'general rules':<16}" + summary(rounds, "general", every))
        print(f"{'':<12}{'fast path':<16}" + summary(rounds, "shipped", fast_path_pages(pages)))


if __name__ == "__main__":
    main()
