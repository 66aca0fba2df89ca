"""Benchmark: hostile `/-/report` requests against a real `datasette serve` (issue 13, finding 3).

Builds a knowledge base of N tagged articles (ingest.testing.report_load), serves it exactly as
`ingest serve` does, fires four concurrent "everything, 1990–2100, as DOCX" requests and the
original `from=1&to=9999` one, and times `select 1` every 20 ms until they have all answered.
Prints each request's status and time, the probe latencies and the server's peak memory.
Asserts nothing about time.

    .venv/bin/python benchmarks/bench_report_dos.py [--articles 4000]
    BENCH_QUICK=1 .venv/bin/python benchmarks/bench_report_dos.py   # 1,000 articles
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from benchlib import quick

from ingest.testing.report_load import build_report_kb, hostile_load, served


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=1000 if quick() else 4000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.monotonic()
        db = build_report_kb(Path(tmp) / "kb.db", articles=args.articles)
        print(f"knowledge base: {args.articles} articles in {time.monotonic() - t0:.1f}s")
        with served(db) as (base, proc):
            result = hostile_load(base, proc.pid)
    for path, status in sorted(result.statuses.items(), key=lambda kv: result.seconds[kv[0]]):
        print(f"{status}  {result.seconds[path]:6.1f}s  {path}")
    print(f"select 1 while under attack: {result.probe_summary()}")
    if result.rss_mib is not None:
        print(f"datasette peak memory (VmHWM): {result.rss_mib:.0f} MiB (reports run in workers)")


if __name__ == "__main__":
    main()
