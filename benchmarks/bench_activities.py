"""Benchmark: what computing activities adds to a nightly run (target: at most 10 %).

A night is measured as the flow's own work without Prefect (`bench_prefect_overhead.direct_night`:
discover, fetch, extract, tag, load and stories over sites on loopback, with the night's own
activity step left out), then the activity step
(`ingest.activities.store.update_activities`) is timed on the same database. Two nights
per site: the first loads everything (every story is new, every activity is read), the second
finds nothing changed (the step only scans the story signatures). A third measurement edits a
few articles' text and recomputes only their stories. Network time is on loopback, so a real
night (a polite crawl of real sites) is far longer and the real ratio smaller: the printed
ratios are an upper bound. Asserts nothing about time.

    .venv/bin/python benchmarks/bench_activities.py [--generated 1000]
    BENCH_QUICK=1 .venv/bin/python benchmarks/bench_activities.py      # sample sites only
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_prefect_overhead import direct_night  # noqa: E402

import pipelines.night  # noqa: E402
from ingest.activities.store import update_activities  # noqa: E402
from ingest.store.db import connect  # noqa: E402

TARGET = 0.10


class _NoActivities:
    """Stands in for `activities.store` inside the night, so the night is timed without its
    activity step and the step is timed on its own, on the same database."""

    @staticmethod
    def update_activities(db, **kw) -> dict:
        return {}


def direct_run(sources: str, db: str) -> None:
    real = pipelines.night.activity_store
    pipelines.night.activity_store = _NoActivities
    try:
        direct_night(sources, db)
    finally:
        pipelines.night.activity_store = real


def night(sources: Path, db: str) -> tuple[float, float, dict]:
    """(crawl seconds, activity seconds, activity counts) for one night."""
    t0 = time.perf_counter()
    direct_run(str(sources), db)
    crawl = time.perf_counter() - t0
    kb = connect(db)
    t0 = time.perf_counter()
    counts = update_activities(kb)
    act = time.perf_counter() - t0
    kb.conn.close()
    return crawl, act, counts


def edit_some(db: str, n: int) -> int:
    """Change the text of n relevant articles, as a site's correction would; returns n."""
    conn = sqlite3.connect(db)
    ids = [r[0] for r in conn.execute("select id from articles where relevant = 1 limit ?", [n])]
    for i in ids:
        conn.execute(
            "update articles set text = text || ' (cập nhật)', content_sha256 = 'edited-' || id"
            " where id = ?",
            [i],
        )
    conn.commit()
    conn.close()
    return len(ids)


def measure(label: str, sources: Path, db: str) -> list[float]:
    ratios = []
    for n in (1, 2):
        crawl, act, counts = night(sources, db)
        ratio = act / crawl
        ratios.append(ratio)
        print(
            f"[{label}] night {n}: crawl {crawl:6.2f} s, activities {act * 1000:7.1f} ms "
            f"(ratio {ratio:.3f}, target <= {TARGET}); {counts}"
        )
    edited = edit_some(db, 5)
    kb = connect(db)
    t0 = time.perf_counter()
    counts = update_activities(kb)
    act = time.perf_counter() - t0
    n_act = kb.execute("select count(*) from activities").fetchone()[0]
    kb.conn.close()
    print(
        f"[{label}] {edited} articles edited: activities {act * 1000:.1f} ms; {counts};"
        f" {n_act} activities in the knowledge base"
    )
    return ratios


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--generated", type=int, default=600, help="pages of the generated site")
    args = ap.parse_args()
    quick = bool(os.environ.get("BENCH_QUICK"))

    from ingest.testing.samplesites import serve

    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        with serve(ports={}) as sites:
            sources = Path(tmp) / "sources.yaml"
            sources.write_text(sites.sources_yaml(), encoding="utf-8")
            direct_run(str(sources), f"{tmp}/warm/kb.db")  # imports, first connections
            worst = max(worst, *measure("sample sites", sources, f"{tmp}/kb/kb.db"))
        if not quick and args.generated:
            from ingest.testing.generate import GeneratedSite

            with GeneratedSite(args.generated) as site:
                sources = Path(tmp) / "gen.yaml"
                sources.write_text(site.sources_yaml(), encoding="utf-8")
                label = f"generated {args.generated}"
                worst = max(worst, *measure(label, sources, f"{tmp}/gen/kb.db"))
    verdict = "meets" if worst <= TARGET else "MISSES"
    print(f"worst ratio activities/night: {worst:.3f} ({verdict} the target <= {TARGET})")


if __name__ == "__main__":
    main()
