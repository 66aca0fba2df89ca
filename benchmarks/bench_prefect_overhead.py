"""Prefect's cost: the `nightly` flow against the same night run without Prefect.

Two comparisons, each of the same work done both ways, in interleaved pairs (who goes first
alternates), reported as the median of the per-pair ratios with min..max and spread:

1. A night in this process: the flow (`pipelines.nightly`, Prefect tasks on the flow's thread
   runner, the API already up) against `pipelines.night.night` with `lanes.ThreadTasks` (the
   same lane driver, loading, stories, activities and ledger; the stage functions on a thread
   pool). 1,000 generated pages on loopback, the smoke check off. Target <= 1.3.
2. The demo as a person runs it, whole process: `ingest demo --no-serve` (command start, the
   temporary local Prefect API, the flow over the bundled sample sites, the Datasette smoke
   check) against a process doing the same night with ThreadTasks. Target <= 1.5. The split
   of the demo's time comes from its own report and the ledger: before the crawl (interpreter,
   imports, sample sites), the Prefect API (start-up not hidden behind the flow's imports),
   Prefect around the flow function (flow run start and end), and task bookkeeping (the flow
   function against the same function without Prefect).

Pairs: a ratio's spread on this 2-core machine is ~10-20% per pair; 6 pairs put the median
within a few percent, enough to see a 30% effect.

    .venv/bin/python benchmarks/bench_prefect_overhead.py [--pages 1000] [--pairs 6]
    BENCH_QUICK=1 .venv/bin/python benchmarks/bench_prefect_overhead.py
"""

from __future__ import annotations

import argparse
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import REPO, TAXONOMY, Stats, quick, ratio_of_pairs, verdict


def direct_night(sources_path: str, db_path: str, publish: bool = False) -> dict:
    """The night without Prefect: the baseline (also used by bench_incremental)."""
    from pipelines.lanes import ThreadTasks
    from pipelines.night import night

    tasks = ThreadTasks()
    try:
        _, status, message, totals = night(
            tasks, sources_path=sources_path, taxonomy_path=TAXONOMY, db_path=db_path,
            publish=publish,
        )  # fmt: skip
    finally:
        tasks.close()
    assert status != "failed", message
    return totals


def flow_night(sources_path: str, db_path: str, publish: bool = False) -> dict:
    """The night through the flow, with the settings `ingest run` uses on a local API."""
    from ingest.commands.pipeline import local_run_settings
    from pipelines.nightly import nightly

    with local_run_settings(True):
        state = nightly(
            sources_path=sources_path, taxonomy_path=TAXONOMY, db_path=db_path,
            publish=publish, return_state=True,
        )  # fmt: skip
    assert state.is_completed(), state.message
    return state.result()


def ledger_seconds(db_path: str) -> float:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute("select duration_s from runs order by started_at desc").fetchone()[0]
    finally:
        conn.close()


def in_process(pages: int, pairs: int) -> None:
    from prefect.testing.utilities import prefect_test_harness

    from ingest.commands.pipeline import local_run_settings
    from ingest.testing.generate import GeneratedSite

    times: dict[str, list[float]] = {"direct": [], "flow": []}
    with (
        prefect_test_harness(server_startup_timeout=120),
        local_run_settings(True),
        GeneratedSite(pages) as site,
        tempfile.TemporaryDirectory() as tmp,
    ):
        sources = Path(tmp) / "sources.yaml"
        sources.write_text(site.sources_yaml(), encoding="utf-8")
        with GeneratedSite(10, seed=99) as warm:  # imports, caches, the API's first requests
            (Path(tmp) / "warm.yaml").write_text(warm.sources_yaml(), encoding="utf-8")
            direct_night(str(Path(tmp) / "warm.yaml"), f"{tmp}/warm-d/kb.db")
            flow_night(str(Path(tmp) / "warm.yaml"), f"{tmp}/warm-f/kb.db")
        runs = {"direct": direct_night, "flow": flow_night}
        for i in range(pairs):
            for name in ("direct", "flow") if i % 2 == 0 else ("flow", "direct"):
                t0 = time.perf_counter()
                totals = runs[name](str(sources), f"{tmp}/{name}-{i}/kb.db")
                times[name].append(time.perf_counter() - t0)
                assert totals["new"] == pages, totals
    print(f"1. a night of {pages:,} generated pages in this process, {pairs} pairs:")
    for name, values in times.items():
        print(f"   {name:<7} {Stats(values)}")
    ratio = ratio_of_pairs(times["flow"], times["direct"])
    print(f"   per-pair ratio flow/direct: {ratio.fmt('', 3)}")
    verdict("   flow / direct, API already up", ratio.median, 1.3)


DIRECT_DEMO = """
import sys, time
sys.path.insert(0, {bench!r})
t0 = time.perf_counter()
from pathlib import Path
from bench_prefect_overhead import direct_night
from ingest.testing.samplesites import serve
db = Path({db!r})
db.parent.mkdir(parents=True, exist_ok=True)
with serve(ports={{}}) as sites:
    sources = db.parent / "demo-sources.yaml"
    sources.write_text(sites.sources_yaml(), encoding="utf-8")
    direct_night(str(sources), str(db), publish=True)
"""


def demo_once(mode: str, tmp: Path, i: int, env: dict) -> dict[str, float]:
    db = tmp / f"{mode}-{i}" / "kb.db"
    if mode == "flow":
        cmd = [sys.executable, "-m", "ingest.cli", "demo", "--no-serve", "--db", str(db)]
    else:
        code = DIRECT_DEMO.format(bench=str(Path(__file__).parent), db=str(db))
        cmd = [sys.executable, "-c", code]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    total = time.perf_counter() - t0
    assert done.returncode == 0, done.stderr[-2000:]
    out = {"total": total, "body": ledger_seconds(str(db))}
    if mode == "flow":
        flow = re.search(r"Completed in ([\d.]+)s", done.stdout)
        crawl = re.search(r"demo crawl finished in ([\d.]+)s", done.stdout)
        assert flow and crawl, done.stdout
        out["flow"], out["crawl"] = float(flow.group(1)), float(crawl.group(1))
    return out


def whole_demo(pairs: int) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    results: dict[str, list[dict[str, float]]] = {"direct": [], "flow": []}
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        env["PREFECT_HOME"] = str(tmp / "prefect-home")
        demo_once("flow", tmp, 99, env)  # the Prefect database is created once, not per run
        for i in range(pairs):
            for mode in ("direct", "flow") if i % 2 == 0 else ("flow", "direct"):
                results[mode].append(demo_once(mode, tmp, i, env))
    flow, direct = results["flow"], results["direct"]
    print(f"\n2. the demo, whole process (ingest demo --no-serve), {pairs} pairs:")
    print(f"   direct  {Stats([r['total'] for r in direct])}")
    print(f"   flow    {Stats([r['total'] for r in flow])}")

    def med(rows, f) -> float:
        return Stats([f(r) for r in rows]).median

    print("   where the demo's time goes (medians):")
    print(
        f"     before the crawl (interpreter, imports, sample sites) {med(flow, lambda r: r['total'] - r['crawl']):5.2f} s"
    )  # noqa: E501
    print(
        f"     Prefect API start-up not hidden by the flow's import   {med(flow, lambda r: r['crawl'] - r['flow']):5.2f} s"
    )  # noqa: E501
    print(
        f"     Prefect around the flow function (run start and end)   {med(flow, lambda r: r['flow'] - r['body']):5.2f} s"
    )  # noqa: E501
    print(
        f"     the flow function (the night)                          {med(flow, lambda r: r['body']):5.2f} s"
    )  # noqa: E501
    print(
        f"       of which task bookkeeping (vs the same night direct) {med(flow, lambda r: r['body']) - med(direct, lambda r: r['body']):5.2f} s"
    )  # noqa: E501
    print(
        f"     direct: before the night {med(direct, lambda r: r['total'] - r['body']):5.2f} s, the night {med(direct, lambda r: r['body']):5.2f} s"
    )  # noqa: E501
    ratio = ratio_of_pairs([r["total"] for r in flow], [r["total"] for r in direct])
    print(f"   per-pair ratio demo/direct: {ratio.fmt('', 3)}")
    verdict("   demo whole process / the same work without Prefect", ratio.median, 1.5)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, help="generated pages for part 1 (default 1000)")
    ap.add_argument("--pairs", type=int, help="pairs of runs (default 6)")
    ap.add_argument("--part", choices=("1", "2"), help="only this part")
    args = ap.parse_args()
    pages = args.pages or (200 if quick() else 1000)
    pairs = args.pairs or (2 if quick() else 6)
    if args.part in (None, "1"):
        in_process(pages, pairs)
    if args.part in (None, "2"):
        whole_demo(pairs)


if __name__ == "__main__":
    main()
