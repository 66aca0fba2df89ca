"""Crash safety: SIGKILL the running nightly pipeline at random points, rerun, check the damage.

A reference run (never interrupted) over the same generated site says what the knowledge base
must contain. Then a child process runs the real `nightly` flow against a fresh database and is
killed at a random moment, again and again; after every kill the database must be consistent
(no duplicate article, no article without its tags or search entry, no frontier URL lost, every
archive pointer valid) and a final uninterrupted rerun must converge to the reference. Small
batches (10 pages) make many load transactions, so kills land inside, between and outside them.
While the child writes, this process keeps reading the database (WAL: readers never wait).

Set KILL_SEED to replay a failing sequence; the seed is in every assertion message.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, TAXONOMY, run_nightly

from ingest.crawl.archive import verify_record

PAGES = 120
BATCH = 10

CHILD = """
import sys
print("imported", flush=True)
from pipelines.nightly import nightly
state = nightly(sources_path=sys.argv[1], taxonomy_path=sys.argv[2], db_path=sys.argv[3],
                batch_size=int(sys.argv[4]), publish=False, return_state=True)
sys.exit(0 if state.is_completed() else 1)
"""


def q(db: Path, sql: str, params: tuple = (), timeout: float = 10) -> list[tuple]:
    """Read-only, with a busy timeout like Datasette's connections (switching a new database
    to WAL, or recovering the WAL after a kill, briefly takes an exclusive lock)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=timeout)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def snapshot(db: Path) -> dict:
    """What the knowledge base says, keyed by URL, in a form two databases can be compared by."""
    arts = {
        url: (sha, json.loads(inits), json.loads(agencies))
        for url, sha, inits, agencies in q(
            db, "select url, content_sha256, initiative_ids, agency_ids from articles"
        )
    }
    tags = {}
    for url, table, label in q(
        db,
        """
            select a.url, 'i', t.initiative_id from article_initiatives t
              join articles a on a.id = t.article_id
            union all
            select a.url, 'a', t.agency_id from article_agencies t
              join articles a on a.id = t.article_id""",
    ):
        tags.setdefault(url, {"i": set(), "a": set()})[table].add(label)
    return {
        "articles": arts,
        "tags": tags,
        "frontier": dict(q(db, "select url, state from frontier")),
    }


def count_articles(db: Path) -> int:
    """Articles stored so far; 0 before the database or its schema exists."""
    if not db.exists():
        return 0
    try:
        return q(db, "select count(*) from articles")[0][0]
    except sqlite3.OperationalError as exc:
        assert "no such table" in str(exc), exc
        return 0


def check_consistent(db: Path, reference: dict, frontier_before: set[str], why: str) -> set[str]:
    """Every invariant a half-written database would break; returns the frontier's URLs."""
    assert q(db, "pragma integrity_check") == [("ok",)], why
    snap = snapshot(db)
    arts = snap["articles"]
    # no duplicates: one row per URL (unique index) and one per distinct article text
    assert (
        q(db, "select count(*), count(distinct url), count(distinct content_sha256) from articles")[
            0
        ]
        == (len(arts),) * 3
    ), why
    # every stored article is exactly the reference's, with its tags, search entry and archive
    for url, (sha, inits, agencies) in arts.items():
        ref_sha, ref_inits, ref_agencies = reference["articles"][url]
        assert sha == ref_sha, (why, url)
        assert (inits, agencies) == (ref_inits, ref_agencies), (why, url)
        got = snap["tags"].get(url, {"i": set(), "a": set()})
        assert got == reference["tags"][url], (why, url, got)
    assert sorted(r[0] for r in q(db, "select rowid from articles_fts")) == sorted(
        r[0] for r in q(db, "select id from articles")
    ), why
    raw = db.parent / "raw"
    for url, warc, offset, sha in q(
        db, "select url, warc_file, warc_offset, raw_sha256 from articles"
    ):
        assert verify_record(raw, warc, offset, sha), (why, url, warc, offset)
    # the frontier only grows, and every article is recorded there as fetched
    frontier = set(snap["frontier"])
    assert frontier_before <= frontier, (why, frontier_before - frontier)
    fetched = {u for u, state in snap["frontier"].items() if state == "fetched"}
    assert set(arts) == fetched, (why, set(arts) ^ fetched)
    return frontier


@pytest.fixture(scope="module")
def site():
    from ingest.testing.generate import GeneratedSite

    with GeneratedSite(PAGES, seed=7) as s:
        yield s


@pytest.fixture(scope="module")
def reference(prefect_harness, site, tmp_path_factory) -> tuple[Path, dict, float]:
    """(sources.yaml, what a clean run stores, how long a clean run takes)."""
    d = tmp_path_factory.mktemp("crash-ref")
    sources = d / "sources.yaml"
    sources.write_text(site.sources_yaml(), encoding="utf-8")
    t0 = time.monotonic()
    state = run_nightly(sources, d / "kb.db", batch_size=BATCH, publish=False)
    elapsed = time.monotonic() - t0
    assert state.is_completed(), state.message
    snap = snapshot(d / "kb.db")
    assert len(snap["articles"]) == PAGES
    assert all(t["i"] and t["a"] for t in snap["tags"].values())
    return sources, snap, elapsed


def child_env(tmp: Path) -> dict[str, str]:
    """The child talks to this session's Prefect API (no ephemeral server of its own to orphan)."""
    from prefect.settings import PREFECT_API_URL

    return {
        **os.environ,
        "PREFECT_API_URL": PREFECT_API_URL.value(),
        "PREFECT_HOME": str(tmp / "prefect-home"),
        "PREFECT_LOGGING_LEVEL": "ERROR",
        "PYTHONPATH": f"{REPO / 'src'}{os.pathsep}{REPO}",
    }


def start_child(sources: Path, db: Path, env: dict, log: Path) -> subprocess.Popen:
    with open(log, "ab") as err:  # the child's own messages, for a failure's post-mortem
        return subprocess.Popen(
            [sys.executable, "-c", CHILD, str(sources), str(TAXONOMY), str(db), str(BATCH)],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=err,
        )


def read_while_running(db: Path, proc: subprocess.Popen, until: float) -> int:
    """Read the database as Datasette would while the child writes; returns reads done."""
    reads = 0
    while time.monotonic() < until and proc.poll() is None:
        if db.exists():
            try:
                n = q(db, "select count(*) from articles")[0][0]
            except sqlite3.OperationalError as exc:  # schema not created yet is fine
                assert "no such table" in str(exc), exc
            else:
                assert 0 <= n <= PAGES
                reads += 1
        time.sleep(0.05)
    return reads


def running_runs(db: Path) -> set[str]:
    """Ids of the runs the ledger shows as in progress (none before the schema exists)."""
    if not db.exists():
        return set()
    try:
        return {r for (r,) in q(db, "select id from runs where status = 'running'")}
    except sqlite3.OperationalError as exc:
        assert "no such table" in str(exc), exc
        return set()


def kill_loop(kills: int, reference, tmp_path: Path) -> None:
    sources, ref, ref_seconds = reference
    seed = int(os.environ.get("KILL_SEED", time.time_ns() % 2**32))
    rnd = random.Random(seed)
    db = tmp_path / "kb" / "kb.db"
    env = child_env(tmp_path)
    frontier: set[str] = set()
    history = []
    mid_run: set[str] = set()  # runs a kill left marked as in progress in the ledger
    for i in range(kills):
        have = count_articles(db)
        proc = start_child(sources, db, env, tmp_path / f"child-{len(history)}.log")
        assert proc.stdout.readline().strip() == b"imported"
        if rnd.random() < 0.3 or have >= PAGES - 1:
            # early: while Prefect starts, the schema migrates, discovery runs, or at the end
            point = ("time", round(rnd.uniform(0.0, 4.0), 2))
            read_while_running(db, proc, time.monotonic() + point[1])
        else:
            # during loading: once the k-th article is in, plus a jitter inside the next batch
            point = ("articles", rnd.randint(have + 1, PAGES - 1), round(rnd.uniform(0, 0.3), 2))
            while proc.poll() is None and count_articles(db) < point[1]:
                time.sleep(0.02)
            read_while_running(db, proc, time.monotonic() + point[2])
        ended_alone = proc.poll() is not None
        if not ended_alone:
            proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        if ended_alone:
            log = (tmp_path / f"child-{len(history)}.log").read_text(errors="replace")
            assert proc.returncode == 0, f"child died on its own ({proc.returncode}): {log[-3000:]}"
        n = count_articles(db)
        if proc.returncode == -9:
            mid_run |= running_runs(db)
        history.append((point, proc.returncode, n))
        why = f"KILL_SEED={seed} kill {i}: history {history}"
        if db.exists():
            frontier = check_consistent(db, ref, frontier, why)
    # the rerun after the last kill completes and converges to the reference
    proc = start_child(sources, db, env, tmp_path / f"child-{len(history)}.log")
    reads = read_while_running(db, proc, time.monotonic() + 300)
    assert proc.wait(60) == 0, f"KILL_SEED={seed}: final rerun failed; history {history}"
    why = f"KILL_SEED={seed} final: history {history}"
    check_consistent(db, ref, frontier, why)
    final = snapshot(db)
    assert final["articles"] == ref["articles"], why
    assert final["tags"] == ref["tags"], why
    assert set(final["frontier"]) == set(ref["frontier"]), why
    assert set(final["frontier"].values()) == {"fetched"}, why
    assert reads > 0
    # killed runs stay visible in the ledger as never finished ("running", or "aborted" once a
    # later run has noticed); the last one finished cleanly
    statuses = [s for (s,) in q(db, "select status from runs order by started_at")]
    assert statuses[-1] in ("ok", "warning"), (why, statuses)  # warning: nothing new for nights
    killed = sum(1 for *_, code, _n in history if code == -9)
    unfinished = [s for s in statuses[:-1] if s in ("running", "aborted")]
    assert set(statuses[:-1]) <= {"running", "aborted", "ok", "warning"}, (why, statuses)
    # a kill before the run's row is committed, or after it is finished, leaves nothing unfinished
    assert len(unfinished) == len(mid_run) <= killed, (why, statuses, mid_run)


def test_sigkill_at_random_points_leaves_no_damage(reference, tmp_path):
    kill_loop(5, reference, tmp_path)


@pytest.mark.slow
def test_sigkill_many_times(reference, tmp_path):
    kill_loop(int(os.environ.get("KILLS", "40")), reference, tmp_path)


def test_second_run_is_refused_while_one_writes(reference, tmp_path):
    """A second writer on the same database gets a clear message and changes nothing."""
    from ingest.cli import main
    from ingest.store.lock import WriterLock

    sources, _, _ = reference
    db = tmp_path / "kb.db"
    with WriterLock(db):  # what a running nightly holds (flock on kb.db.lock)
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "ingest.cli",
                "run",
                "--sources",
                str(sources),
                "--taxonomy",
                str(TAXONOMY),
                "--db",
                str(db),
                "--no-publish",
            ],
            cwd=REPO,
            env=child_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert proc.returncode == 3, proc.stderr
    assert "another pipeline run is writing" in proc.stderr
    assert f"pid {os.getpid()}" in proc.stderr
    assert main is not None
    if db.exists():  # nothing but the empty schema, at most
        assert q(db, "select count(*) from articles") == [(0,)]
