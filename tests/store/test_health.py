"""Source health end to end: each flag raised by a real nightly run against a loopback site.

The flow must end Failed (broken source) or CompletedWithWarnings (warning) and name the
source in its message; the ledger row in `source_runs` carries the flag for Datasette and for
`ingest health`. Healthy sources next to a broken one stay ok.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from conftest import run_nightly

from ingest.testing.generate import GeneratedSite, down_source
from ingest.testing.loopback import free_port


def ledger(db: Path) -> list[dict]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [
            dict(r)
            for r in conn.execute(
                "select s.* from source_runs s join runs r on r.id = s.run_id"
                " where r.started_at = (select max(started_at) from runs) order by s.source_id"
            )
        ]
    finally:
        conn.close()


def night(site: GeneratedSite, tmp: Path, extra: list[dict] | None = None):
    sources = tmp / "sources.yaml"
    sources.write_text(site.sources_yaml(extra), encoding="utf-8")
    state = run_nightly(sources, tmp / "kb.db", publish=False)
    return state, {r["source_id"]: r for r in ledger(tmp / "kb.db")}


def test_host_down_fails_the_run_and_names_the_source(prefect_harness, tmp_path, capsys):
    with GeneratedSite(6, seed=11) as site:
        state, rows = night(site, tmp_path, [down_source(free_port())])
    assert state.is_failed()
    assert "broken sources: matmang (host down: no response from the site" in state.message
    assert "sinhtao" not in state.message
    assert rows["matmang"]["status"] == "broken"
    assert rows["matmang"]["health"].startswith("host down")
    assert (rows["sinhtao"]["status"], rows["sinhtao"]["new"]) == ("ok", 6)
    # the on-call view: `ingest health` prints the same and exits 1
    from ingest.commands.ops import cmd_health

    class Args:
        db = str(tmp_path / "kb.db")

    assert cmd_health(Args) == 1
    out = capsys.readouterr().out
    matmang = next(line for line in out.splitlines() if line.startswith("matmang"))
    assert "broken" in matmang and "host down" in matmang
    assert out.splitlines()[1].split()[:2] == ["source_id", "status"]


def test_robots_newly_blocking_is_broken(prefect_harness, tmp_path):
    with GeneratedSite(6, seed=12) as site:
        state, rows = night(site, tmp_path)
        assert state.is_completed() and rows["sinhtao"]["status"] == "ok"
        site.set_count(9)  # three new articles the crawler may no longer fetch
        site.robots = "User-agent: *\nDisallow: /\n"
        state, rows = night(site, tmp_path)
        blocked_hits = site.article_hits()
    assert state.is_failed()
    assert "sinhtao (robots.txt blocks the crawler" in state.message
    assert rows["sinhtao"]["status"] == "broken"
    assert rows["sinhtao"]["new"] == 0
    assert blocked_hits == 6  # only the first night's fetches: nothing fetched against robots


def test_missing_dates_after_a_layout_change_warns_and_the_feed_dates_them(
    prefect_harness, tmp_path
):
    """The pages lose every date signal, but the feed still dates each item: nothing is
    undated (issue 12 changed this from `broken`), and the change of layout is still flagged
    because this source's earlier pages carried their own dates."""
    with GeneratedSite(5, seed=13) as site:
        state, _ = night(site, tmp_path)
        assert state.is_completed()
        site.set_count(11)
        site.layout = "no_date"
        state, rows = night(site, tmp_path)
        feed_dates = {site.url(a): a.published.isoformat() for a in site.articles[5:]}
    assert state.name == "CompletedWithWarnings"
    assert (
        "sinhtao (page dates missing on 6/6 pages, dated from the feed or sitemap instead"
        " (layout change?))" in state.message
    )
    assert (rows["sinhtao"]["status"], rows["sinhtao"]["new"]) == ("warning", 6)
    assert (rows["sinhtao"]["dated_from_feed"], rows["sinhtao"]["no_date"]) == (6, 0)
    conn = sqlite3.connect(tmp_path / "kb.db")
    got = {
        url: (published, src)
        for url, published, src in conn.execute(
            "select url, published, published_source from articles"
        )
    }
    conn.close()
    assert {u: got[u] for u in feed_dates} == {u: (d, "feed") for u, d in feed_dates.items()}
    assert {src for _, src in got.values()} == {"feed", "meta"}


def test_missing_body_after_a_layout_change_is_broken(prefect_harness, tmp_path):
    with GeneratedSite(5, seed=14) as site:
        state, _ = night(site, tmp_path)
        assert state.is_completed()
        site.set_count(11)
        site.layout = "no_body"
        state, rows = night(site, tmp_path)
    assert rows["sinhtao"]["status"] == "broken", rows["sinhtao"]
    assert state.is_failed()
    assert (
        "sinhtao (article body or date element missing on 6/6 pages (layout change?))"
        in state.message
    )


def test_no_new_article_for_three_nights_warns(prefect_harness, tmp_path):
    with GeneratedSite(4, seed=15) as site:
        statuses = []
        for _ in range(4):
            state, rows = night(site, tmp_path)
            statuses.append((state.name, rows["sinhtao"]["status"], rows["sinhtao"]["new"]))
    assert statuses[:3] == [("Completed", "ok", 4), ("Completed", "ok", 0), ("Completed", "ok", 0)]
    assert statuses[3] == ("CompletedWithWarnings", "warning", 0)
    assert "sinhtao (no new article for 3 nights)" in state.message
    assert rows["sinhtao"]["health"] == "no new article for 3 nights"
