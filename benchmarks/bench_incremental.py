"""Incremental cost: a second nightly run over unchanged sample sites against the first run.

The bundled sample sites (43 articles, four outlets with feeds, sitemaps and listings, ETags
and Last-Modified) are crawled into a fresh database, then crawled again with nothing changed.
Prints the time and the requests of both runs, their ratios, and how many article pages the
second run fetched. Targets: no article fetched again; second run time <= 0.2 of the first.
Both runs go through the `nightly` flow with the Prefect API already running (one test harness,
started before timing), then through the stage functions directly (to separate the crawl's
own cost from Prefect's fixed cost per flow run), and without the Datasette smoke check (a constant cost of each run, not
crawling: pass --publish to include it).

    .venv/bin/python benchmarks/bench_incremental.py [--publish] [--generated 1000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TAXONOMY = str(REPO / "taxonomy.yaml")


def run(sources: Path, db: str, publish: bool) -> tuple[float, dict]:
    from pipelines.nightly import nightly

    t0 = time.perf_counter()
    state = nightly(
        sources_path=str(sources),
        taxonomy_path=TAXONOMY,
        db_path=db,
        publish=publish,
        return_state=True,
    )
    elapsed = time.perf_counter() - t0
    assert state.is_completed(), state.message
    return elapsed, state.result()


def flow_body_seconds(db: str) -> list[float]:
    """The flow function's own time per run, as the run ledger recorded it."""
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        return [r[0] for r in conn.execute("select duration_s from runs order by started_at")]
    finally:
        conn.close()


def report(
    label: str, first: tuple[float, dict, int, int], second: tuple[float, dict, int, int]
) -> None:
    (t1, s1, r1, a1), (t2, s2, r2, a2) = first, second
    print(
        f"[{label}] first run : {t1:6.2f} s  {r1:5d} requests  {a1:5d} article pages  "
        f"new={s1['new']}"
    )
    print(
        f"[{label}] second run: {t2:6.2f} s  {r2:5d} requests  {a2:5d} article pages  "
        f"new={s2['new']} not_modified={s2['not_modified']}"
    )
    print(
        f"[{label}] time ratio second/first: {t2 / t1:.3f} (target <= 0.2); requests ratio: "
        f"{r2 / r1:.3f}; articles fetched again: {a2} (target 0)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--publish", action="store_true", help="include the Datasette smoke check")
    ap.add_argument(
        "--generated",
        type=int,
        default=0,
        help="also measure a generated site with this many pages",
    )
    args = ap.parse_args()

    from prefect.testing.utilities import prefect_test_harness

    from ingest.testing.samplesites import expected_labels, serve

    with prefect_test_harness(server_startup_timeout=120), tempfile.TemporaryDirectory() as tmp:
        with serve(ports={}) as sites:
            sources = Path(tmp) / "sources.yaml"
            sources.write_text(sites.sources_yaml(), encoding="utf-8")
            articles = {lab["url"] for lab in expected_labels()}
            # warm-up on a throwaway database: imports and the flow's first API round trips
            run(sources, f"{tmp}/warm/kb.db", args.publish)
            results = []
            for _ in range(2):
                n0 = len(sites.requests)
                elapsed, summary = run(sources, f"{tmp}/kb/kb.db", args.publish)
                served = sites.requests[n0:]
                results.append(
                    (
                        elapsed,
                        summary,
                        len(served),
                        sum(1 for r in served if r.path.split("?")[0] in articles),
                    )
                )
            report("sample sites, flow", *results)
            body = flow_body_seconds(f"{tmp}/kb/kb.db")
            if len(body) == 2:
                (t1, *_), (t2, *_) = results
                print(
                    f"[sample sites, flow] inside the flow function: {body[0]:.2f} s then "
                    f"{body[1]:.2f} s (ratio {body[1] / body[0]:.3f}); Prefect's engine around "
                    f"it: {t1 - body[0]:.2f} s then {t2 - body[1]:.2f} s (flow-run start and "
                    "end, the heartbeat thread's join)"
                )
            # the same two nights through the stage functions directly: what the crawl itself
            # costs, without Prefect's fixed per-run cost (flow and task runs on the API)
            sys.path.insert(0, str(Path(__file__).parent))
            from bench_prefect_overhead import direct_run

            direct_run(str(sources), f"{tmp}/warm-direct/kb.db")
            results = []
            for _ in range(2):
                n0 = len(sites.requests)
                t0 = time.perf_counter()
                totals = direct_run(str(sources), f"{tmp}/direct/kb.db")
                elapsed = time.perf_counter() - t0
                served = sites.requests[n0:]
                results.append(
                    (
                        elapsed,
                        {"new": totals["new"], "not_modified": "-"},
                        len(served),
                        sum(1 for r in served if r.path.split("?")[0] in articles),
                    )
                )
            report("sample sites, direct", *results)
        if args.generated:
            from ingest.testing.generate import GeneratedSite

            with GeneratedSite(args.generated) as site:
                sources = Path(tmp) / "gen.yaml"
                sources.write_text(site.sources_yaml(), encoding="utf-8")
                results = []
                for _ in range(2):
                    h0, a0 = len(site.server.hits), site.article_hits()
                    elapsed, summary = run(sources, f"{tmp}/gen/kb.db", args.publish)
                    results.append(
                        (elapsed, summary, len(site.server.hits) - h0, site.article_hits() - a0)
                    )
                report(f"generated {args.generated}", *results)


if __name__ == "__main__":
    main()
