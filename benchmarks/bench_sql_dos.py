"""Benchmark: hostile SQL against a real `datasette serve` (issue 13, finding 3, beyond /-/report).

1. The cost of one call of each Python SQL function at its caps (the worst inputs we know:
   1,000,000 characters of text, 100 query words all present, every line a hit), so the time
   limit, checked between calls, holds.
2. Against a knowledge base of N articles served as `ingest serve` does, groups of hostile
   requests fired at once (the attack's 8 MB `vn_passage`; Python functions kept busy until the
   time limit; pure SQL until the time limit; all twelve together), while `select 1` is asked
   every 20 ms. Prints each group's statuses, the probe latencies and peak memory.
Asserts nothing about time.

    .venv/bin/python benchmarks/bench_sql_dos.py [--articles 2000] [--groups attack,all]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "reliability"))

from test_sql_dos import ATTACK, PURE, PYTHON  # noqa: E402

from ingest.publish.sql_functions import (  # noqa: E402
    MAX_TEXT_CHARS,
    _sql_fold,
    _sql_fts_form,
    _sql_passage,
)
from ingest.testing.report_load import build_report_kb, hostile_load, served  # noqa: E402

GROUPS = {
    "attack": ATTACK,
    "python": PYTHON,
    "pure": PURE,
    "all": [*ATTACK, *PYTHON, *PURE],
}


def worst_calls() -> None:
    words = [f"t{i}" for i in range(100)]
    text = " ".join(words * 4000)[:MAX_TEXT_CHARS]
    cases = [
        ("vn_passage, 100 words all present", lambda: _sql_passage(text, " ".join(words))),
        ("vn_passage, 100 words OR-ed", lambda: _sql_passage(text, " OR ".join(words))),
        ("vn_passage, one word on every line", lambda: _sql_passage("a " * 500_000, "a a a")),
        ("vn_fold", lambda: _sql_fold(text)),
        ("vn_fts_query, 100 words", lambda: _sql_fts_form(" ".join(words))),
    ]
    for name, call in cases:
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            call()
            times.append(time.perf_counter() - t0)
        print(f"  {name:38s} {min(times) * 1000:7.1f} ms (best of 3, 1,000,000 characters)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--groups", default="attack,python,pure,all")
    args = parser.parse_args()
    print("one call at the caps:")
    worst_calls()
    with tempfile.TemporaryDirectory() as tmp:
        db = build_report_kb(Path(tmp) / "kb.db", articles=args.articles)
        with served(db) as (base, proc):
            for name in args.groups.split(","):
                group = GROUPS[name]
                t0 = time.monotonic()
                result = hostile_load(base, proc.pid, hostile=group)
                statuses = sorted(result.statuses[p] for p in group)
                print(
                    f"{name:7s} {len(group):2d} requests, statuses {statuses}, all answered in"
                    f" {time.monotonic() - t0:5.1f}s; select 1: {result.probe_summary()}"
                )
            if result.rss_mib is not None:
                print(f"datasette peak memory (VmHWM): {result.rss_mib:.0f} MiB")


if __name__ == "__main__":
    main()
