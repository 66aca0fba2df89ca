"""Issue 13, findings 6 and 7: state that heals itself on the next run.

6. A run killed between loading a batch and assigning its stories left articles without a
   story for good (the next run had nothing new, so story assignment never ran).
7. A page whose extraction failed was never tried again, even once its cause was fixed.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from conftest import REPO, TAXONOMY, run_nightly
from outlet import Outlet

from ingest.cli import main
from ingest.testing.generate import GeneratedSite

KILLED_CHILD = """
import os, signal, sys
from ingest.evidence import stories
def killed(db, *a, **kw):
    os.kill(os.getpid(), signal.SIGKILL)  # the batch is loaded, its stories not yet assigned
stories.assign_stories = killed
from pipelines.nightly import nightly
nightly(sources_path=sys.argv[1], taxonomy_path=sys.argv[2], db_path=sys.argv[3],
        batch_size=100, publish=False)
"""


def child_env(tmp: Path) -> dict[str, str]:
    """The child talks to this session's Prefect API (no server of its own to orphan)."""
    from prefect.settings import PREFECT_API_URL

    return {
        **os.environ,
        "PREFECT_API_URL": PREFECT_API_URL.value(),
        "PREFECT_HOME": str(tmp / "prefect-home"),
        "PREFECT_LOGGING_LEVEL": "ERROR",
        "PYTHONPATH": f"{REPO / 'src'}{os.pathsep}{REPO}",
    }


def q(db: Path, sql: str, params=()):
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def test_a_kill_before_story_assignment_is_healed_by_a_run_with_nothing_new(
    prefect_harness, tmp_path
):
    db = tmp_path / "kb.db"
    with GeneratedSite(12, seed=61) as site:
        sources = tmp_path / "sources.yaml"
        sources.write_text(site.sources_yaml(), encoding="utf-8")
        log = tmp_path / "child.log"
        with open(log, "wb") as err:
            child = subprocess.run(
                [sys.executable, "-c", KILLED_CHILD, str(sources), str(TAXONOMY), str(db)],
                cwd=REPO, stdout=err, stderr=err, timeout=300, env=child_env(tmp_path),
            )  # fmt: skip
        assert child.returncode == -9, log.read_text()[-2000:]
        # the kill left every article loaded and none in a story
        assert q(db, "select count(*), count(story_id) from articles") == [(12, 0)]
        hits = site.article_hits()
        state = run_nightly(sources, db, publish=False)
        assert site.article_hits() == hits  # nothing new to fetch: the frontier has it all
    assert state.is_completed(), state.message
    assert q(db, "select count(*) from articles where story_id is null") == [(0,)]
    runs = q(db, "select status, new from runs order by started_at")
    assert runs == [("aborted", 0), ("ok", 0)]  # the killed run is marked when the next starts
    assert q(db, "select count(*) from stories")[0][0] >= 1
    assert q(db, "select sum(article_count) from stories") == [(12,)]


def json_page(a, base: str) -> bytes:
    """A page rendered with JavaScript: the article is only in a JSON blob."""
    blob = json.dumps(
        {"title": a.title, "body": [a.lead, *a.paragraphs], "published": a.published.isoformat()},
        ensure_ascii=False,
    )
    return (
        '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>Báo Thủ Đô</title>'
        '</head><body><div id="app"></div><script type="application/json" id="du-lieu">'
        f"{blob}</script></body></html>"
    ).encode()


def test_a_failed_extraction_is_retried_after_its_back_off(prefect_harness, tmp_path, monkeypatch):
    import ingest.store.load as load

    db = tmp_path / "kb.db"
    with Outlet(3, seed=62) as site:
        broken = site.articles[0]
        site.pages[broken.path] = json_page
        sources = tmp_path / "sources.yaml"
        sources.write_text(site.sources_yaml(), encoding="utf-8")
        run_nightly(sources, db, publish=False)
        ((state, error, next_try, failures),) = q(
            db, "select state, last_error, next_try, extract_failures from frontier where url = ?",
            [site.base + broken.path],
        )  # fmt: skip
        assert (state, error, failures) == ("extract_failed", "no article text found", 1)
        run_nightly(sources, db, publish=False)  # the next night: not due yet, not asked
        assert site.hits(broken.path) == 1
        del site.pages[broken.path]  # the site fixes its page
        real_now = load.now_vn
        monkeypatch.setattr(load, "now_vn", lambda: real_now() + timedelta(days=3, minutes=1))
        run_nightly(sources, db, publish=False)
        assert site.hits(broken.path) == 2
    assert q(db, "select title from articles where url = ?", [site.base + broken.path]) == [
        (broken.title,)
    ]
    assert q(db, "select state from frontier where url = ?", [site.base + broken.path]) == [
        ("fetched",)
    ]
    # the back-off that was due: 3 days after the first failure
    assert next_try[:10] >= (real_now() + timedelta(days=2)).isoformat()[:10]


def test_retried_failures_do_not_call_a_healthy_source_broken(
    prefect_harness, tmp_path, monkeypatch
):
    """Three pages that never yield, retried on a night with one good new article: the
    source is not 'broken: extraction failed on 3/4 pages' (those are known failures)."""
    import ingest.store.load as load

    db = tmp_path / "kb.db"
    with Outlet(4, seed=63) as site:
        for a in site.articles[:3]:
            site.pages[a.path] = json_page
        site.published = [a.path for a in site.articles[:3]]
        sources = tmp_path / "sources.yaml"
        sources.write_text(site.sources_yaml(), encoding="utf-8")
        run_nightly(sources, db, publish=False)
        site.published = [a.path for a in site.articles]
        real_now = load.now_vn
        monkeypatch.setattr(load, "now_vn", lambda: real_now() + timedelta(days=4))
        state = run_nightly(sources, db, publish=False)
        assert all(site.hits(a.path) == 2 for a in site.articles[:3])
    rows = q(db, "select status, health, new, extract_failed from source_runs order by rowid")
    assert rows[0][:2] == ("broken", "article fetches failed on 3/3 URLs (extraction failed: 3)")
    assert rows[1][0] != "broken", rows[1]
    assert rows[1][2:] == (1, 0)
    assert not state.is_failed(), state.message
    assert (
        q(db, "select extract_failures from frontier where state = 'extract_failed'") == [(2,)] * 3
    )


def test_reprocess_failed_extracts_again_from_the_archive(prefect_harness, tmp_path, capsys):
    """The cause is ours (no selector could reach the text): after adding a site hook, `ingest
    reprocess --failed` stores the pages from the archive, without asking the site again."""
    db = tmp_path / "kb.db"
    with Outlet(3, seed=64) as site:
        for a in site.articles[:2]:
            site.pages[a.path] = json_page
        sources = tmp_path / "sources.yaml"
        sources.write_text(site.sources_yaml(), encoding="utf-8")
        run_nightly(sources, db, publish=False)
        assert q(db, "select count(*) from frontier where state = 'extract_failed'") == [(2,)]
        hits = len(site.server.hits)
        sources.write_text(site.sources_yaml(hook="site_hooks:json_article"), encoding="utf-8")
        code = main(
            ["reprocess", "--failed", "--sources", str(sources), "--taxonomy", str(TAXONOMY),
             "--db", str(db)]
        )  # fmt: skip
        assert len(site.server.hits) == hits  # the archive answered, not the site
        titles = {a.path: a.title for a in site.articles}
        base = site.base
    assert code == 0
    out = capsys.readouterr().out
    assert "'retried': 2" in out and "'new': 2" in out
    stored = dict(q(db, "select url, title from articles"))
    assert stored == {base + p: t for p, t in titles.items()}
    assert q(db, "select count(*) from frontier where state = 'extract_failed'") == [(0,)]
    fields = q(db, "select field_sources from articles where url = ?",
               [base + site.articles[0].path])  # fmt: skip
    assert json.loads(fields[0][0])["text"] == "hook"
    tagged = q(db, "select count(*) from article_initiatives t join articles a on a.id ="
                   " t.article_id where a.url = ?", [base + site.articles[0].path])  # fmt: skip
    assert tagged == [(1,)]
    assert q(db, "select count(*) from articles where story_id is null") == [(0,)]
