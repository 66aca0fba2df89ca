"""Poison pills (issue 13, finding 1): a URL that cannot be requested or parsed costs that URL,
never the night; an unexpected failure costs its own source, never the others.

One loopback outlet serves every kind of bad link next to good articles: robots.txt and
articles redirecting to `javascript:` and `data:` URLs, a redirect off the site, a sitemap
`<loc>http://[oops/broken</loc>`, DEL and \\x01 in links, a 70,000-character URL. A healthy
outlet runs beside it. (Placeholder typos in `page_url`/`search.url` are refused by config
validation; the run surviving one anyway is tests/crawl/test_discovery_robustness.py.)
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from conftest import run_nightly

from ingest.testing.generate import GeneratedSite, generate, render_page, sources_yaml
from ingest.testing.loopback import LoopbackServer, send

GOOD = generate(4, seed=77)
LONG = "/bai/" + "x" * 70_000 + ".htm"


def poison_routes(srv: LoopbackServer, other: LoopbackServer) -> None:
    base = srv.base
    items = [base + a.path for a in GOOD] + [
        base + "/bai/js-7.htm",
        base + "/bai/data-8.htm",
        base + "/bai/xa-9.htm",
        base + "/bai/del\x7f-5.htm",
        base + LONG,
    ]
    feed = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Độc</title>'
        + "".join(
            f"<item><title>Bài {i}</title><link>{u}</link></item>" for i, u in enumerate(items)
        )
        + "</channel></rss>"
    ).encode()
    sitemap = (
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{base}{GOOD[0].path}</loc></url>"
        "<url><loc>http://[oops/broken</loc></url>"
        f"<url><loc>{base}/bai/ctl\x01-6.htm</loc></url></urlset>"
    ).encode()
    listing = (
        f'<html><body><a href="{base}{GOOD[1].path}">Tốt</a>'
        f'<a href="{base}/bai/lien\x01ket-10.htm">Hỏng</a><a href="javascript:void(0)">x</a>'
        "</body></html>"
    ).encode()
    pages = {a.path: render_page(a, base) for a in GOOD}

    def article(h):
        path = h.path.split("?", 1)[0]
        if path in pages:
            return send(h, 200, pages[path])
        target = {
            "/bai/js-7.htm": "javascript:alert(1)",
            "/bai/data-8.htm": "data:text/html,<script>alert(1)</script>",
            "/bai/xa-9.htm": other.base + "/x.htm",
        }.get(path)
        if target:
            return send(h, 301, headers={"Location": target})
        return send(h, 404, b"not found")

    srv.routes.update(
        {
            "/robots.txt": lambda h: send(h, 301, headers={"Location": "javascript:alert(1)"}),
            "/rss.xml": lambda h: send(h, 200, feed, "application/rss+xml"),
            "/sitemap.xml": lambda h: send(h, 200, sitemap, "application/xml"),
            "/chuyen-muc": lambda h: send(h, 200, listing),
            "*": article,
        }
    )


def poison_source(srv: LoopbackServer) -> dict:
    return {
        "id": "docdia",
        "name": "Báo Độc Địa (poison)",
        "kind": "news",
        "home": srv.base + "/",
        "feeds": [srv.base + "/rss.xml"],
        "sitemaps": [srv.base + "/sitemap.xml"],
        "listings": [{"url": srv.base + "/chuyen-muc"}],
        "politeness": {"min_delay": 0, "concurrency": 4, "timeout": 3, "retries": 0},
    }


def db_rows(db: Path, sql: str, params=()) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def test_poison_urls_of_every_kind_cost_only_themselves(prefect_harness, tmp_path):
    db = tmp_path / "kb.db"
    with (
        GeneratedSite(6, seed=78) as healthy,
        LoopbackServer() as other,
        LoopbackServer() as srv,
    ):
        poison_routes(srv, other)
        sources = tmp_path / "sources.yaml"
        sources.write_text(
            sources_yaml([healthy.source_entry(), poison_source(srv)]), encoding="utf-8"
        )
        state = run_nightly(sources, db, publish=False)
        first_hits = {p: srv.count(p) for p in ("/bai/js-7.htm", "/bai/data-8.htm")}
        again = run_nightly(sources, db, publish=False)  # the next night does not crash either
        second_hits = {p: srv.count(p) for p in ("/bai/js-7.htm", "/bai/data-8.htm")}
        assert other.count("/x.htm") == 0

    assert state.name == "CompletedWithWarnings", state.message
    assert again.is_completed(), again.message
    # the healthy source lost nothing, the poisoned one kept all of its good articles
    stored = dict(db_rows(db, "select source_id, count(*) from articles group by source_id"))
    assert stored == {"sinhtao": 6, "docdia": 4}
    runs = db_rows(db, "select status, message from runs order by started_at")
    assert [r[0] for r in runs] == ["warning", "warning"]
    message = runs[0][1]
    assert message.startswith("warnings: docdia (") and "sinhtao" not in message
    for named in ("http://[oops/broken", "javascript:alert(1)", "\\x01", "\\x7f"):
        assert named in message, named
    health = dict(db_rows(db, "select source_id, status from source_runs where run_id = ("
                          "select id from runs order by started_at limit 1)"))  # fmt: skip
    assert health == {"sinhtao": "ok", "docdia": "warning"}

    reasons = dict(db_rows(db, "select url, reason from quarantine where source_id = 'docdia'"))
    base = srv.base
    assert reasons["http://[oops/broken"] == "invalid_url: unparsable URL (Invalid IPv6 URL)"
    assert reasons[f"{base}/bai/ctl\\x01-6.htm"] == (
        f"invalid_url: control character U+0001 at position {len(base + '/bai/ctl')}"
    )
    assert reasons[f"{base}/bai/del\\x7f-5.htm"].startswith("invalid_url: control character U+007F")
    assert reasons[f"{base}/bai/lien\\x01ket-10.htm"].startswith("invalid_url: control character")
    long_key = next(u for u in reasons if "(70" in u)
    assert reasons[long_key] == f"invalid_url: URL of {len(base + LONG)} characters (limit 2048)"
    assert reasons[f"{base}/bai/js-7.htm"] == (
        f"unsafe_redirect: {base}/bai/js-7.htm -> javascript:alert(1)"
    )
    assert reasons[f"{base}/bai/data-8.htm"].startswith("unsafe_redirect: ")
    # refused URLs never enter the frontier as work; redirects refused once are not retried
    states = dict(db_rows(db, "select url, state from frontier where source_id = 'docdia'"))
    assert states[f"{base}/bai/js-7.htm"] == states[f"{base}/bai/data-8.htm"] == "refused"
    assert states[f"{base}/bai/xa-9.htm"] == "out_of_scope"
    assert all("[" not in u and "\x01" not in u and len(u) < 2048 for u in states)
    assert first_hits == second_hits == {"/bai/js-7.htm": 1, "/bai/data-8.htm": 1}
    # robots.txt redirecting to javascript: counts as no robots.txt (RFC 9309), said aloud
    errors = db_rows(db, "select error_summary from source_runs where source_id = 'docdia'")
    assert "robots.txt redirects to an unusable URL" in errors[0][0]


def test_an_unexpected_failure_breaks_its_source_only(prefect_harness, tmp_path, monkeypatch):
    """A crash in one source's discovery and one in another's batch: those two are broken
    with the error and the URL, the third source stores everything, the ledger has every
    row, and the next run (the cause fixed) completes."""
    from ingest import stages

    real_discover, real_extract = stages.discover, stages.extract_batch

    def discover(source, *a, **kw):
        if source.id == "gay_kham_pha":
            raise RuntimeError("discovery blew up")
        return real_discover(source, *a, **kw)

    def extract_batch(source, fetched, settings):
        if source.id == "gay_lo":
            raise MemoryError("batch blew up")
        return real_extract(source, fetched, settings)

    db = tmp_path / "kb.db"
    with (
        GeneratedSite(5, seed=81) as ok_site,
        GeneratedSite(4, seed=82, source_id="gay_lo") as batch_site,
        GeneratedSite(3, seed=83, source_id="gay_kham_pha") as disc_site,
    ):
        sources = tmp_path / "sources.yaml"
        entries = [s.source_entry() for s in (ok_site, batch_site, disc_site)]
        sources.write_text(sources_yaml(entries), encoding="utf-8")
        monkeypatch.setattr(stages, "discover", discover)
        monkeypatch.setattr(stages, "extract_batch", extract_batch)
        state = run_nightly(sources, db, publish=False)
        monkeypatch.setattr(stages, "discover", real_discover)
        monkeypatch.setattr(stages, "extract_batch", real_extract)
        fixed = run_nightly(sources, db, publish=False)
        first_url = batch_site.url(sorted(batch_site.articles, key=lambda a: -a.n)[0])

    assert state.is_failed()
    rows = {
        r[0]: r[1:]
        for r in db_rows(
            db,
            "select s.source_id, s.status, s.health, s.new from source_runs s join runs r"
            " on r.id = s.run_id order by r.started_at limit 3",
        )
    }
    assert rows["sinhtao"] == ("ok", None, 5)
    assert rows["gay_kham_pha"] == (
        "broken",
        "failed: discovery failed: RuntimeError: discovery blew up",
        0,
    )
    assert rows["gay_lo"][0] == "broken"
    assert rows["gay_lo"][1] == (
        f"failed: extract batch (batch starting {first_url}) failed: MemoryError: batch blew up"
    )
    assert db_rows(db, "select status from runs order by started_at") == [("failed",), ("ok",)]
    assert fixed.is_completed(), fixed.message
    stored = dict(db_rows(db, "select source_id, count(*) from articles group by source_id"))
    assert stored == {"sinhtao": 5, "gay_lo": 4, "gay_kham_pha": 3}


def test_a_run_stopped_by_an_error_still_ends_in_the_ledger(prefect_harness, tmp_path, monkeypatch):
    """An error nothing below catches (here: story assignment) stops the run, but its `runs`
    row ends `failed` with the cause and every source has its row: nothing stays `running`."""
    from ingest.evidence import stories

    def broken(db):
        raise RuntimeError("stories blew up")

    db = tmp_path / "kb.db"
    with GeneratedSite(3, seed=84) as site, GeneratedSite(2, seed=85, source_id="hai") as two:
        sources = tmp_path / "sources.yaml"
        sources.write_text(sources_yaml([site.source_entry(), two.source_entry()]), "utf-8")
        monkeypatch.setattr(stories, "assign_stories", broken)
        state = run_nightly(sources, db, publish=False)
    assert state.is_failed()
    ((status, message, finished),) = db_rows(db, "select status, message, finished_at from runs")
    assert (status, message) == ("failed", "run stopped: RuntimeError: stories blew up")
    assert finished
    rows = db_rows(db, "select source_id, status, health from source_runs order by 1")
    assert [(r[0], r[1]) for r in rows] == [("hai", "broken"), ("sinhtao", "broken")]
    assert all("failed: run stopped: RuntimeError: stories blew up" in r[2] for r in rows)
