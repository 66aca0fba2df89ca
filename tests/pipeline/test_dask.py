"""Scale-out: the nightly flow's per-source and per-batch tasks on a local multi-process Dask
cluster, with the flow itself the single writer; the result must equal the thread-runner run."""

from __future__ import annotations

import sqlite3
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
