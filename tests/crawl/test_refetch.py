"""Corrected articles: a sitemap date past our copy brings the page back, once, and nothing else.

Unit tests for the two date rules, then real nightly runs against a loopback site whose
article is edited between nights (new headline, sitemap lastmod moved to the edit time).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import run_nightly

from ingest.crawl.lastmod import changed_since, later_date
from ingest.extract.dates import VN_TZ
from ingest.testing.generate import GeneratedSite, sources_yaml

NOW = datetime(2026, 11, 22, 2, 0, tzinfo=VN_TZ)
FETCHED = "2026-11-20T02:05:00+07:00"


@pytest.mark.parametrize(
    ("lastmod", "expected"),
    [
        ("2026-11-21T09:30:00+07:00", True),  # edited after our fetch
        ("2026-11-21T02:30:00Z", True),  # the same instant written in UTC
        ("2026-11-20T01:00:00+07:00", False),  # before our fetch: we have that version
        ("2026-11-20", False),  # a feed's publication day is midnight, not an edit
        ("2026-11-21T09:30:00", True),  # naive: Hanoi time
        ("2026-11-22T05:00:00+07:00", False),  # in the future: a clock or time-zone error
        ("hôm qua", False),  # unreadable
        (None, False),
    ],
)
def test_changed_since(lastmod: str | None, expected: bool) -> None:
    assert changed_since(lastmod, FETCHED, NOW) is expected


def test_changed_since_needs_our_fetch_time() -> None:
    assert changed_since("2026-11-21T09:30:00+07:00", None, NOW) is False


@pytest.mark.parametrize(
    ("stored", "seen", "expected"),
    [
        ("2026-11-21T09:30:00+07:00", "2026-11-21", "2026-11-21T09:30:00+07:00"),  # feed day
        ("2026-11-21", "2026-11-21T09:30:00+07:00", "2026-11-21T09:30:00+07:00"),
        (None, "2026-11-21", "2026-11-21"),
        ("2026-11-21", None, "2026-11-21"),
        ("2026-11-21", "rubbish", "2026-11-21"),
    ],
)
def test_later_date_only_moves_forward(stored, seen, expected) -> None:
    assert later_date(stored, seen) == expected


def _night(site: GeneratedSite, tmp: Path) -> tuple[int, dict]:
    sources = tmp / "sources.yaml"
    sources.write_text(site.sources_yaml(), encoding="utf-8")
    hits = site.article_hits()
    state = run_nightly(sources, tmp / "kb.db", publish=False)
    assert state.is_completed(), state.message
    return site.article_hits() - hits, state.result()


def test_edited_article_is_fetched_again_once(prefect_harness, tmp_path: Path) -> None:
    with GeneratedSite(8, seed=31) as site:
        fetched, first = _night(site, tmp_path)
        assert (fetched, first["new"]) == (8, 8)
        old = site.articles[3]
        edited = site.edit(3, "Đính chính: " + old.title, datetime.now(VN_TZ))
        # a date in the future is not trusted, whatever it claims
        site.edit(5, site.articles[5].title, datetime.now(VN_TZ) + timedelta(days=2))
        fetched, second = _night(site, tmp_path)
        assert fetched == 1  # only the corrected page; article 5's future date is ignored
        assert (second["new"], second["updated"]) == (0, 1)
        fetched, third = _night(site, tmp_path)
        assert (fetched, third["updated"]) == (0, 0)  # fetched again once, not every night
        url = site.url(edited)
    conn = sqlite3.connect(tmp_path / "kb.db")
    try:
        assert conn.execute("select title from articles where url = ?", [url]).fetchone() == (
            edited.title,
        )
        assert conn.execute("select count(*) from articles").fetchone() == (8,)
        state, lastmod = conn.execute(
            "select state, lastmod from frontier where url = ?", [url]
        ).fetchone()
        assert state == "fetched" and lastmod == edited.modified.isoformat()
    finally:
        conn.close()


def test_refetch_can_be_switched_off(prefect_harness, tmp_path: Path) -> None:
    with GeneratedSite(4, seed=32) as site:
        _night(site, tmp_path)
        site.edit(1, "Đính chính", datetime.now(VN_TZ))
        entry = site.source_entry()
        entry["politeness"]["max_refetch_per_run"] = 0
        (tmp_path / "sources.yaml").write_text(sources_yaml([entry]), encoding="utf-8")
        hits = site.article_hits()
        state = run_nightly(tmp_path / "sources.yaml", tmp_path / "kb.db", publish=False)
        assert state.is_completed() and site.article_hits() == hits
