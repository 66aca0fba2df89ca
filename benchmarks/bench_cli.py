"""Benchmark: how long the light commands and a 404 take (issue 16's targets: under 0.5 s).

Each command runs as a fresh process, as a person types it; the 404 is timed against a
running `datasette serve` with the served settings, on the test fixture database. Prints the
median and the slowest of `--repeat` runs; asserts nothing about time.

    .venv/bin/python benchmarks/bench_cli.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from datasette_fixtures import build_kb  # noqa: E402

from ingest.testing.report_load import served  # noqa: E402

INGEST = [sys.executable, "-m", "ingest.cli"]


def timed(cmd: list[str], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=REPO, capture_output=True, check=False)
        out.append(time.perf_counter() - t0)
    return out


def report(name: str, seconds: list[float]) -> None:
    print(f"{name:44} {statistics.median(seconds) * 1000:9.0f} {max(seconds) * 1000:9.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-cli-"))
    db = build_kb(tmp / "kb.db")
    print(f"{'what':44} {'median ms':>9} {'max ms':>9}")
    report("python -c pass (interpreter start)", timed([sys.executable, "-c", "pass"], args.repeat))
    for argv in (
        ["--help"],
        ["health", "--db", str(db)],
        ["report", "--help"],
        ["serve", "--help"],
    ):
        report(
            "ingest " + " ".join(a if a != str(db) else "kb.db" for a in argv),
            timed(INGEST + argv, args.repeat),
        )
    out = tmp / "r.md"
    report_cmd = ["report", "--db", str(db), "--initiative", "design_festival"]
    report_cmd += ["--from", "2023", "--to", "2023", "--out", str(out)]
    report("ingest report (7 articles, Markdown)", timed(INGEST + report_cmd, args.repeat))
    with served(db, tmp / "datasette.log") as (base, _), httpx.Client() as client:
        for path in ("/kb/no_such_table", "/-/article/999", "/kb/articles"):
            seconds = []
            for _ in range(args.repeat * 4):
                t0 = time.perf_counter()
                status = client.get(base + path).status_code
                seconds.append(time.perf_counter() - t0)
            report(f"GET {path} ({status})", seconds)
    lines = (tmp / "datasette.log").read_text().splitlines()
    print(f"server console: {len(lines)} lines, tracebacks: {sum('Traceback' in x for x in lines)}")


if __name__ == "__main__":
    main()
