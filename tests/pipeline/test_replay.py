"""Every response of a run is archived, and `ingest reprocess --replay` rebuilds the same
knowledge base from the archive alone, with the network switched off."""

from __future__ import annotations

import socket
import sqlite3
from collections import Counter
from pathlib import Path

from conftest import TAXONOMY, run_nightly

from ingest.crawl.replay import ArchiveIndex


def knowledge(db: Path) -> dict:
    conn = sqlite3.connect(db)
    try:
        articles = sorted(
            conn.execute(
                "select url, title, content_sha256, published, published_source, author,"
                " initiative_ids, agency_ids, relevant, warc_file, warc_offset from articles"
            )
        )
        tags = sorted(
            conn.execute(
                "select a.url, t.initiative_id, t.evidence, t.field, t.start from"
                " article_initiatives t join articles a on a.id = t.article_id"
            )
        )
        agencies = sorted(
            conn.execute(
                "select a.url, t.agency_id, t.evidence from article_agencies t"
                " join articles a on a.id = t.article_id"
            )
        )
        frontier = sorted(
            conn.execute(
                "select url, state, found_via, published_hint, published_via from frontier"
            )
        )
        return {"articles": articles, "tags": tags, "agencies": agencies, "frontier": frontier}
    finally:
        conn.close()


def test_every_response_is_archived_and_replay_rebuilds_the_kb_offline(
    prefect_harness, sample_sites, sample_sources, tmp_path, monkeypatch
):
    from ingest.cli import main

    db = tmp_path / "crawl" / "kb.db"
    before = len(sample_sites.requests)
    first = run_nightly(sample_sources, db, publish=False)
    second = run_nightly(sample_sources, db, publish=False)  # mostly 304s
    served = sample_sites.requests[before:]
    assert first.is_completed() and second.is_completed()

    index = ArchiveIndex(db.parent / "raw")
    archived = Counter(e.url for f in index.files for e in f.entries)
    requested = Counter(sample_sites.base_urls[r.outlet] + r.path for r in served)
    assert archived == requested  # robots.txt, feeds, sitemaps, listings, articles, 304s
    kinds = Counter(e.kind for f in index.files for e in f.entries)
    assert set(kinds) == {"robots", "discovery", "article"}
    assert len(index.runs) == 2

    def offline(*a, **kw):
        raise OSError("network is off in this test")

    monkeypatch.setattr(socket.socket, "connect", offline)
    monkeypatch.setattr(socket, "create_connection", offline)
    rebuilt = tmp_path / "rebuilt" / "kb.db"
    code = main(
        [
            "reprocess",
            "--replay",
            "--db",
            str(rebuilt),
            "--raw-dir",
            str(db.parent / "raw"),
            "--sources",
            str(sample_sources),
            "--taxonomy",
            str(TAXONOMY),
        ]
    )
    assert code == 0
    want, got = knowledge(db), knowledge(rebuilt)
    assert len(want["articles"]) == 43
    for part in ("articles", "tags", "agencies", "frontier"):
        assert got[part] == want[part], part
