"""Prefect overhead: the `nightly` flow against the same stage functions called directly.

Both crawl the same generated site (1,000 Vietnamese article pages with a feed and a sitemap, on
loopback) into a fresh database: discovery, fetch + archive + extract + tag in batches of 50 on
4 threads, one loading transaction per batch in the calling thread followed by story assignment, the
source-health ledger. Both are polite the same way: one host's batches are fetched one after
another (the flow's lane), extraction beside them.
The Datasette smoke check is off in both (it is not orchestration). The Prefect API is already
running (one `prefect_test_harness` started before any timing; its start-up is a one-off cost
of a few seconds that a served deployment or a real server pays once, not per run). Runs
alternate (direct, flow, direct, flow, ...) and the best of each is compared.
Target: flow / direct <= 1.3.

    .venv/bin/python benchmarks/bench_prefect_overhead.py [--pages 1000] [--repeat 2]
"""

from __future__ import annotations

import argparse
import queue
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TAXONOMY = str(REPO / "taxonomy.yaml")


def direct_run(sources_path: str, db_path: str, batch_size: int = 50, workers: int = 4) -> dict:
    """What the flow does for a nightly run, without Prefect: the baseline."""
    from ingest import stages
    from ingest.clock import now_vn
    from ingest.config import load_sources
    from ingest.evidence import stories
    from ingest.store import db as kbdb
    from ingest.store import load, runs
    from ingest.store.lock import WriterLock
    from ingest.tag.taxonomy import load_taxonomy, sync_taxonomy

    cfg = load_sources(sources_path)
    taxonomy = load_taxonomy(TAXONOMY)
    settings = stages.RunSettings(
        user_agent=cfg.user_agent,
        raw_dir=str(Path(db_path).parent / "raw"),
        taxonomy_path=TAXONOMY,
        global_concurrency=cfg.defaults.global_concurrency,
    )
    run_id, started = f"direct-{time.time_ns()}", now_vn().isoformat()
    with WriterLock(db_path), ThreadPoolExecutor(workers) as pool:
        db = kbdb.connect(db_path)
        with db.atomic():
            kbdb.sync_sources(db, cfg.sources)
        sync_taxonomy(db, taxonomy)
        runs.start_run(db, run_id, started, len(cfg.sources))
        totals = {"new": 0}
        for s in cfg.sources:
            sr = runs.SourceRun(s.id)
            urls = s.feeds + s.sitemaps + [lst.url for lst in s.listings]
            report, robots, requests = pool.submit(
                stages.discover, s, settings, load.http_cache(db, urls)
            ).result()
            sr.discovered, sr.requests = len(report.found), requests
            load.record_discovery(db, report)
            due = load.due_urls(db, s, s.politeness.max_articles_per_run)
            found = [
                stages.Discovered(r["url"], s.id, r["found_via"] or "", r["lastmod"]) for r in due
            ]
            # as polite as the flow: the host's batches are fetched one after another, each
            # handing the host's state to the next; extraction runs beside them on the pool
            extracted: queue.Queue = queue.Queue()

            def lane(s=s, found=found, hosts=robots, extracted=extracted):
                for i in range(0, len(found), batch_size):
                    fetched = stages.fetch_batch(s, found[i : i + batch_size], settings, hosts)
                    hosts = fetched.hosts
                    extracted.put(pool.submit(stages.extract_batch, s, fetched, settings))
                extracted.put(None)

            pool.submit(lane)
            while (fut := extracted.get()) is not None:
                batch = fut.result()
                sr.add(load.load_batch(db, batch.records, s))
                stories.assign_stories(db)  # as the flow does after each batch
            runs.record_source_run(db, run_id, started, sr)
            totals["new"] += sr.new
        runs.finish_run(db, run_id, now_vn().isoformat(), "ok", totals, 0.0, "")
        db.conn.close()
    return totals


def flow_run(sources_path: str, db_path: str, batch_size: int = 50) -> dict:
    from pipelines.nightly import nightly

    state = nightly(
        sources_path=sources_path,
        taxonomy_path=TAXONOMY,
        db_path=db_path,
        batch_size=batch_size,
        publish=False,
        return_state=True,
    )
    assert state.is_completed(), state.message
    return {"new": state.result()["new"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()

    from prefect.testing.utilities import prefect_test_harness

    from ingest.testing.generate import GeneratedSite

    best = {"direct": float("inf"), "flow": float("inf")}
    with (
        prefect_test_harness(server_startup_timeout=120),
        GeneratedSite(args.pages) as site,
        tempfile.TemporaryDirectory() as tmp,
    ):
        sources = Path(tmp) / "sources.yaml"
        sources.write_text(site.sources_yaml(), encoding="utf-8")
        # warm-up: imports, taxonomy cache, the flow's first API round trips
        with GeneratedSite(10, seed=99) as warm:
            (Path(tmp) / "warm.yaml").write_text(warm.sources_yaml(), encoding="utf-8")
            direct_run(str(Path(tmp) / "warm.yaml"), f"{tmp}/warm-d/kb.db")
            flow_run(str(Path(tmp) / "warm.yaml"), f"{tmp}/warm-f/kb.db")
        for i in range(args.repeat):
            for name, fn in (("direct", direct_run), ("flow", flow_run)):
                db = f"{tmp}/{name}-{i}/kb.db"
                t0 = time.perf_counter()
                totals = fn(str(sources), db)
                elapsed = time.perf_counter() - t0
                assert totals["new"] == args.pages, totals
                best[name] = min(best[name], elapsed)
                print(
                    f"{name:<7} run {i + 1}: {elapsed:6.2f} s  "
                    f"({args.pages / elapsed:6.1f} pages/s)",
                    flush=True,
                )
    ratio = best["flow"] / best["direct"]
    print(f"best: direct {best['direct']:.2f} s, flow {best['flow']:.2f} s")
    print(f"Prefect overhead ratio flow/direct: {ratio:.3f} (target <= 1.3; API already running)")


if __name__ == "__main__":
    main()
