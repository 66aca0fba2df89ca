"""Incremental cost: a second night over unchanged sample sites against the first.

The bundled sample sites (43 articles, four outlets with feeds, sitemaps and listings, ETags
and Last-Modified) are crawled into a fresh database, then crawled again with nothing changed;
each round does both nights on a database of its own. Through the `nightly` flow (the API
already up, the settings `ingest run` uses against its temporary local API) and through the same
night without Prefect (`pipelines.night` with thread tasks), rounds alternating. Prints the time
and the requests of both nights, the per-round ratio second/first (median, min..max, spread)
and how many article pages the second night fetched. Targets: no article fetched again; second
night <= 0.2 of the first in time, through the flow. The Datasette smoke check is off (a
constant cost of each night, not crawling): pass --publish to include it.

    .venv/bin/python benchmarks/bench_incremental.py [--rounds 5] [--publish] [--generated 1000]
    BENCH_QUICK=1 .venv/bin/python benchmarks/bench_incremental.py
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path

from bench_prefect_overhead import direct_night, flow_night
from benchlib import Stats, quick, ratio_of_pairs, verdict


def ledger_body(db: str) -> list[float]:
    conn = sqlite3.connect(db)
    try:
        return [r[0] for r in conn.execute("select duration_s from runs order by started_at")]
    finally:
        conn.close()


def two_nights(run, sources: Path, db: str, requests, articles, publish: bool) -> list[dict]:
    """First and second night on one fresh database: time, requests, article pages, counts."""
    out = []
    for _ in range(2):
        n0 = len(requests())
        t0 = time.perf_counter()
        totals = run(str(sources), db, publish)
        elapsed = time.perf_counter() - t0
        served = requests()[n0:]
        out.append(
            {
                "s": elapsed,
                "requests": len(served),
                "articles": sum(1 for p in served if p in articles),
                "new": totals["new"],
            }
        )
    for night, body in zip(out, ledger_body(db), strict=True):
        night["body"] = body
    return out


def report(label: str, rounds: list[list[dict]]) -> None:
    first = [r[0] for r in rounds]
    second = [r[1] for r in rounds]
    print(f"[{label}] first night : {Stats([n['s'] for n in first])}, "
          f"{first[0]['requests']} requests, new={first[0]['new']}")  # fmt: skip
    print(f"[{label}] second night: {Stats([n['s'] for n in second])}, "
          f"{second[0]['requests']} requests, {max(n['articles'] for n in second)} article"
          f" pages fetched again, new={second[0]['new']}")  # fmt: skip
    ratio = ratio_of_pairs([n["s"] for n in second], [n["s"] for n in first])
    body = ratio_of_pairs([n["body"] for n in second], [n["body"] for n in first])
    print(f"[{label}] per-round second/first: {ratio.fmt('', 3)}")
    print(f"[{label}] inside the night's function alone: {body.fmt('', 3)}")
    if label.startswith("sample sites, flow"):
        verdict(f"[{label}] second / first night in time", ratio.median, 0.2)
        verdict(f"[{label}] article pages fetched again", max(n["articles"] for n in second), 0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--publish", action="store_true", help="include the Datasette smoke check")
    ap.add_argument("--rounds", type=int, help="rounds of two nights (default 5)")
    ap.add_argument(
        "--generated", type=int, default=0, help="also a generated site with this many pages"
    )
    args = ap.parse_args()
    rounds = args.rounds or (2 if quick() else 5)

    from prefect.testing.utilities import prefect_test_harness

    from ingest.commands.pipeline import local_run_settings
    from ingest.testing.samplesites import expected_labels, serve

    runners = {"sample sites, flow": flow_night, "sample sites, direct": direct_night}
    with (
        prefect_test_harness(server_startup_timeout=120),
        local_run_settings(True),
        tempfile.TemporaryDirectory() as tmp,
    ):
        with serve(ports={}) as sites:
            sources = Path(tmp) / "sources.yaml"
            sources.write_text(sites.sources_yaml(), encoding="utf-8")
            articles = {lab["url"] for lab in expected_labels()}

            def paths() -> list[str]:
                return [r.path.split("?")[0] for r in sites.requests]

            for name, run in runners.items():  # warm-up: imports, the API's first requests
                run(str(sources), f"{tmp}/warm-{len(name)}/kb.db", args.publish)
            results: dict[str, list] = {name: [] for name in runners}
            for i in range(rounds):
                order = list(runners) if i % 2 == 0 else list(runners)[::-1]
                for name in order:
                    db = f"{tmp}/{name.split()[-1]}-{i}/kb.db"
                    results[name].append(
                        two_nights(runners[name], sources, db, paths, articles, args.publish)
                    )
            for name, rows in results.items():
                report(name, rows)
        if args.generated:
            from ingest.testing.generate import GeneratedSite

            with GeneratedSite(args.generated) as site:
                sources = Path(tmp) / "gen.yaml"
                sources.write_text(site.sources_yaml(), encoding="utf-8")
                pages = {a.path for a in site.articles}

                def site_paths() -> list[str]:
                    return [h.path.split("?")[0] for h in site.server.hits]

                rows = [two_nights(flow_night, sources, f"{tmp}/gen/kb.db", site_paths, pages,
                                   args.publish)]  # fmt: skip
                report(f"generated {args.generated}, flow", rows)


if __name__ == "__main__":
    main()
