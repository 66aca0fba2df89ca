"""Scale-out: the nightly flow's per-source and per-batch tasks on a local multi-process Dask
cluster, with the flow itself the single writer; the result must equal the thread-runner run."""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from conftest import TAXONOMY


def kb(db: Path) -> dict:
    conn = sqlite3.connect(db)
    try:
        arts = {
            url: (sha, inits, agencies)
            for url, sha, inits, agencies in conn.execute(
                "select url, content_sha256, initiative_ids, agency_ids from articles"
            )
        }
        tags = sorted(
            conn.execute(
                "select a.url, t.initiative_id, t.evidence from article_initiatives t"
                " join articles a on a.id = t.article_id"
            )
        )
        return {"articles": arts, "tags": tags}
    finally:
        conn.close()


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
    ) as c:
        yield c


def test_ingest_run_on_a_dask_cluster_matches_the_thread_run(
    prefect_harness, cluster, sample_db, sample_sources, tmp_path
):
    from distributed import Client

    from ingest.cli import main

    db = tmp_path / "kb.db"
    code = main(
        [
            "run",
            "--sources",
            str(sample_sources),
            "--taxonomy",
            str(TAXONOMY),
            "--db",
            str(db),
            "--dask",
            cluster.scheduler_address,
            "--no-publish",
        ]
    )
    assert code == 0
    assert kb(db) == kb(sample_db)
    assert len(kb(db)["articles"]) == 43
    # the work ran in the worker processes: one discovery task per source, batches of fetches
    with Client(cluster.scheduler_address) as client:
        # seconds of compute per task prefix, as recorded by the scheduler from its workers
        prefixes = client.run_on_scheduler(
            lambda dask_scheduler: {
                p: dict(tp.all_durations).get("compute", 0.0)
                for p, tp in dask_scheduler.task_prefixes.items()
            }
        )
        worker_pids = set(client.run(__import__("os").getpid).values())
    assert __import__("os").getpid() not in worker_pids and len(worker_pids) == 2
    assert prefixes.get("discover_source", 0) > 0, prefixes
    assert prefixes.get("fetch_batch", 0) > 0, prefixes


def test_two_dask_workers_share_one_politeness_authority_per_host(
    prefect_harness, cluster, tmp_path
):
    """Batches of one host spread over two worker processes still reach the host one at a
    time, each request at least `min_delay` after the previous one ended."""
    from distributed import Client
    from politeness_helpers import DELAY, polite_entries, timed_site
    from prefect_dask import DaskTaskRunner

    from ingest.testing.generate import sources_yaml
    from pipelines.nightly import nightly

    site, timeline = timed_site(10, seed=41)
    with site, Client(cluster.scheduler_address) as client:
        sources = tmp_path / "sources.yaml"
        sources.write_text(sources_yaml(polite_entries(site)), encoding="utf-8")
        # The property needs batches on both workers, which Dask's scheduling decides: a
        # night whose fetches all landed on one worker proves nothing either way, and is
        # run again (from an empty database, so the host sees the same ten pages).
        for attempt in range(4):
            timeline.spans.clear()
            before = client.run(_fetch_tasks_run)
            # other work on the cluster, as on a shared one: without it Dask's round robin
            # puts every other task (all the fetches, between extractions) on one worker
            stop = threading.Event()
            noise = threading.Thread(target=_other_work, args=(client, stop), daemon=True)
            noise.start()
            try:
                runner = DaskTaskRunner(address=cluster.scheduler_address)
                state = nightly.with_options(task_runner=runner)(
                    sources_path=str(sources),
                    taxonomy_path=str(TAXONOMY),
                    db_path=str(tmp_path / f"kb{attempt}.db"),
                    batch_size=1,
                    publish=False,
                    return_state=True,
                )
            finally:
                stop.set()
                noise.join()
            after = client.run(_fetch_tasks_run)
            ran = {w: len(after[w] - before.get(w, set())) for w in after}
            if all(ran.values()):
                break
    assert state.is_completed(), state.message
    assert sum(ran.values()) == 10 and all(ran.values()), ran  # both processes fetched
    paths = [p for _, _, p in sorted(timeline.spans)]
    assert sum(p.startswith("/van-hoa/") for p in paths) == 10
    assert min(timeline.gaps()) >= DELAY, sorted(timeline.gaps())[:3]


def _fetch_tasks_run(dask_worker) -> set[str]:
    """Keys of the fetch-batch tasks this worker has computed (from its transition log)."""
    return {
        str(entry[0])
        for entry in dask_worker.state.log
        if "fetch_batch" in str(entry[0]) and "memory" in entry[1:4]
    }


def _other_work(client, stop: threading.Event) -> None:
    while not stop.wait(0.1):
        client.submit(time.sleep, random.random() / 10, pure=False)
