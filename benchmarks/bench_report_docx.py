"""Benchmark: building and writing the evidence report for one initiative with N articles.

Prints the time to build the report from the database and to write each format (the DOCX is
the slow one: python-docx). Asserts nothing about time.

    .venv/bin/python benchmarks/bench_report_docx.py [--articles 4000]
    BENCH_QUICK=1 .venv/bin/python benchmarks/bench_report_docx.py   # 1,000 articles
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

from benchlib import quick

from ingest.evidence.chart import charts_for
from ingest.evidence.render import render
from ingest.evidence.report import ReportQuery, build_report
from ingest.store.db import connect
from ingest.testing.report_load import build_report_kb


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=1000 if quick() else 4000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = build_report_kb(Path(tmp) / "kb.db", articles=args.articles)
        db = connect(path, migrate=False)
        query = ReportQuery(date(1990, 1, 1), date(2100, 12, 31), ("design_festival",))
        t0 = time.monotonic()
        report = build_report(db, query)
        n = report.article_total
        print(f"build_report: {n} articles in {time.monotonic() - t0:.2f}s")
        charts = charts_for(report)
        for fmt in ("md", "html", "csv", "json", "docx"):
            t0 = time.monotonic()
            body = render(report, fmt, charts)
            took = time.monotonic() - t0
            print(
                f"{fmt:5s} {len(body) / 1e6:6.1f} MB in {took:5.2f}s ({took / n * 1000:.2f} ms/article)"
            )


if __name__ == "__main__":
    main()
