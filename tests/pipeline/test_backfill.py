"""Backfill walks sitemaps, listings and search back to a date, in rounds that can resume."""

from __future__ import annotations

import sqlite3
from datetime import date
from urllib.parse import urlsplit

from conftest import run_nightly

from ingest import stages
from ingest.config import load_sources
from ingest.store import load
from ingest.store.db import connect


def test_round_stopped_on_budget_resumes_without_refetching(sample_sites, sample_sources, tmp_path):
    from ingest.testing.samplesites import expected_labels

    source = load_sources(sample_sources).get("thudo")
    settings = stages.RunSettings(
        user_agent="TestBot/1", raw_dir=str(tmp_path / "raw"), taxonomy_path="taxonomy.yaml"
    )
    n0 = len(sample_sites.requests)
    first, _, _ = stages.discover(source, settings, {}, backfill=True, budget=3, progress={})
    round1 = {r.path for r in sample_sites.requests[n0:] if r.outlet == "thudo"}
    assert not first.complete

    # the position survives a restart: it is stored with the URLs, in one transaction
    db = connect(tmp_path / "kb.db")
    load.record_discovery(db, first, "2019-10-01")
    saved = load.backfill_progress(db, "thudo", "2019-10-01")
    assert saved == first.progress
    assert load.backfill_progress(db, "thudo", "2020-01-01") == {}  # another backfill starts over

    n1 = len(sample_sites.requests)
    second, _, _ = stages.discover(source, settings, {}, backfill=True, budget=1000, progress=saved)
    round2 = {r.path for r in sample_sites.requests[n1:] if r.outlet == "thudo"}
    assert second.complete
    assert (round1 & round2) <= {"/robots.txt"}  # nothing walked twice
    found = {urlsplit(d.url).path for d in first.found + second.found}
    expected = {lab["url"] for lab in expected_labels() if lab["outlet"] == "thudo"}
    assert found == expected


def test_backfill_through_the_flow_reaches_every_article(prefect_harness, sample_sources, tmp_path):
    from ingest.testing.samplesites import expected_labels

    db = tmp_path / "kb.db"
    state = run_nightly(
        sample_sources,
        db,
        backfill=True,
        since=date(2019, 10, 1),
        backfill_round_pages=4,
        publish=False,
    )
    assert state.is_completed(), state.message
    conn = sqlite3.connect(db)
    urls = {urlsplit(u).path for (u,) in conn.execute("select url from articles")}
    assert urls == {lab["url"] for lab in expected_labels()}
    assert conn.execute("select count(*) from backfill_progress").fetchone()[0] == 0
