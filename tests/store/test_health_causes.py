"""Health that says why, through the real nightly flow: article fetch failures by cause, each
failed URL counted once, robots.txt errors named, and a Retry-After beyond the cap recorded,
rescheduled for after it and shown as `degraded` instead of retried blindly."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from conftest import run_nightly

from ingest.clock import VN_TZ
from ingest.testing.generate import GeneratedSite
from ingest.testing.loopback import send


def with_articles(site: GeneratedSite, answer) -> GeneratedSite:
    """The site, with every article page answered by `answer(h)` instead."""
    real = site._route

    def route(h):
        if h.path.startswith("/van-hoa/"):
            return answer(h)
        return real(h)

    site.server.routes["*"] = route
    return site


def night(site: GeneratedSite, tmp: Path, **politeness):
    entry = site.source_entry()
    entry["politeness"] = {**entry["politeness"], "retries": 1, **politeness}
    sources = tmp / "sources.yaml"
    from ingest.testing.generate import sources_yaml

    sources.write_text(sources_yaml([entry]), encoding="utf-8")
    state = run_nightly(sources, tmp / "kb.db", publish=False, backoff_base=0.01)
    conn = sqlite3.connect(tmp / "kb.db")
    conn.row_factory = sqlite3.Row
    row = dict(
        conn.execute(
            "select s.* from source_runs s join runs r on r.id = s.run_id"
            " order by r.started_at desc limit 1"
        ).fetchone()
    )
    run = dict(conn.execute("select * from runs order by started_at desc limit 1").fetchone())
    conn.close()
    return state, row, run


def test_every_article_at_500_is_broken_with_the_cause_and_counted_once(prefect_harness, tmp_path):
    site = with_articles(GeneratedSite(3, seed=51), lambda h: send(h, 500, b"boom"))
    with site:
        state, row, run = night(site, tmp_path)
        hits = site.article_hits()
    assert state.is_failed()
    assert row["status"] == "broken"
    assert row["health"] == "article fetches failed on 3/3 URLs (5xx: 3)"
    assert (row["failed"], run["failed"]) == (3, 3)  # not 6: each failed URL once
    assert json.loads(row["failure_causes"]) == {"5xx": 3}
    assert hits == 6  # one try and the one retry allowed, per URL
    assert "sinhtao (article fetches failed on 3/3 URLs (5xx: 3))" in state.message


def test_403_and_size_cap_are_named_causes(prefect_harness, tmp_path):
    def answer(h):
        if h.path.endswith("000000.html"):
            return send(h, 200, b"<p>" + b"x" * 50_000 + b"</p>")  # over the cap below
        return send(h, 403, b"forbidden")

    site = with_articles(GeneratedSite(4, seed=52), answer)
    with site:
        state, row, _ = night(site, tmp_path, max_bytes=20_000)
    assert row["status"] == "broken"
    assert row["health"] == "article fetches failed on 4/4 URLs (403/robots: 3, size cap: 1)"
    assert row["failed"] == 4


def test_robots_txt_server_error_is_named_as_such(prefect_harness, tmp_path):
    site = GeneratedSite(3, seed=53)
    real = site._route
    site.server.routes["*"] = lambda h: send(h, 500, b"") if h.path == "/robots.txt" else real(h)
    with site:
        state, row, _ = night(site, tmp_path)
        hits = site.article_hits()
    assert state.is_failed()
    assert row["status"] == "broken"
    assert row["health"].startswith("robots.txt answered HTTP 500; host not crawled now")
    assert "discovery found no article URL" not in row["health"]
    assert hits == 0


def test_retry_after_beyond_the_cap_is_deferred_not_retried(prefect_harness, tmp_path):
    site = with_articles(
        GeneratedSite(3, seed=54),
        lambda h: send(h, 503, b"maintenance", headers={"Retry-After": "86400"}),
    )
    with site:
        t0 = datetime.now(VN_TZ)
        state, row, run = night(site, tmp_path, concurrency=1)
        hits_first = site.article_hits()
        again, row2, _ = night(site, tmp_path, concurrency=1)  # the next night waits too
        hits_second = site.article_hits()
    assert hits_first == 1  # the first 503 deferred the host: no retry, no other article
    assert hits_second == 1
    assert state.name == "CompletedWithWarnings", state.message
    assert row["status"] == "degraded"
    assert row["health"] == (
        "site asked us to wait: HTTP 503 with Retry-After 86400 s; next try "
        + row["health"].split("next try ")[1]
    )
    assert row["deferred"] == 3 and row["failed"] == 0
    assert "sinhtao (degraded: site asked us to wait: HTTP 503 with Retry-After 86400 s" in (
        state.message
    )
    conn = sqlite3.connect(tmp_path / "kb.db")
    tries = conn.execute("select state, next_try, attempts from frontier").fetchall()
    conn.close()
    for st, next_try, attempts in tries:
        assert st == "failed" and attempts == 0
        when = datetime.fromisoformat(next_try)
        assert t0 + timedelta(hours=23, minutes=59) < when < t0 + timedelta(hours=24, minutes=5)
    assert row2["status"] in ("ok", "warning") and row2["deferred"] == 0
