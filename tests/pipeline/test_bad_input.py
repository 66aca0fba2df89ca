"""Bad input ends with a clear message and no damage: broken sources or taxonomy files, an
unreadable database, a disk that fills up during a run. (A second concurrent run is refused by
the writer lock: tests/pipeline/test_crash_safety.py::test_second_run_is_refused_while_one_writes.)"""

from __future__ import annotations

import errno
import hashlib
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, TAXONOMY, run_nightly

from ingest.testing.generate import GeneratedSite


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ingest(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ingest.cli", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


BAD_SOURCES = """\
sources:
  - id: thudo
    name: Báo Thủ Đô
    kind: newspaper
    home: ftp://example.vn/
    feeds: [https://example.vn/rss]
  - id: thudo
    name: Again
    kind: news
    home: https://example.vn/
    sitemaps: [https://example.vn/sitemap.xml]
    article_patern: x
"""


def test_broken_sources_file_names_every_problem_and_leaves_the_db_alone(sample_db_copy, tmp_path):
    sources = tmp_path / "sources.yaml"
    sources.write_text(BAD_SOURCES, encoding="utf-8")
    before = digest(sample_db_copy)
    out = ingest("run", "--sources", str(sources), "--db", str(sample_db_copy))
    assert out.returncode == 2, out.stderr
    err = out.stderr
    assert f"{sources}:" in err
    assert "sources[0] (id: thudo) field kind" in err
    assert "sources[0] (id: thudo) field home: invalid URL 'ftp://example.vn/'" in err
    assert "sources[1] (id: thudo): unknown key 'article_patern'" in err
    assert "Traceback" not in err
    assert digest(sample_db_copy) == before


@pytest.mark.parametrize(
    "text, needle",
    [
        ("initiatives: [\n", "invalid YAML at line 2"),
        ("version: 1\ninitiatives:\n  - id: x\n", "initiatives"),
    ],
)
def test_broken_taxonomy_stops_before_the_db(
    sample_db_copy, sample_sources, tmp_path, text, needle
):
    taxonomy = tmp_path / "taxonomy.yaml"
    taxonomy.write_text(text, encoding="utf-8")
    before = digest(sample_db_copy)
    out = ingest(
        "run",
        "--sources",
        str(sample_sources),
        "--taxonomy",
        str(taxonomy),
        "--db",
        str(sample_db_copy),
    )
    assert out.returncode == 2, out.stderr
    assert str(taxonomy) in out.stderr and needle in out.stderr
    assert "Traceback" not in out.stderr
    assert digest(sample_db_copy) == before


def test_unreadable_database_is_reported_and_left_as_is(prefect_harness, tmp_path, capsys):
    """A file that is not SQLite (a bad copy, a disk error): the run stops and says so."""
    from ingest.cli import main

    with GeneratedSite(3, seed=21) as site:
        sources = tmp_path / "sources.yaml"
        sources.write_text(site.sources_yaml(), encoding="utf-8")
        db = tmp_path / "kb.db"
        db.write_bytes(b"this is not a database\x00" * 400)
        before = digest(db)
        code = main(
            [
                "run",
                "--sources",
                str(sources),
                "--taxonomy",
                str(TAXONOMY),
                "--db",
                str(db),
                "--no-publish",
            ]
        )
        hits = site.article_hits()
    assert code == 2
    err = capsys.readouterr().err
    assert f"cannot use database {db}: file is not a database" in err
    assert digest(db) == before
    assert hits == 0  # stopped before fetching anything it could not store


def check_intact(db: Path) -> tuple[int, int]:
    """(articles, tags); and every article has its tags, its search row and a fetched frontier."""
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("pragma integrity_check").fetchall() == [("ok",)]
        arts = conn.execute("select count(*) from articles").fetchone()[0]
        untagged = conn.execute(
            "select count(*) from articles a where not exists (select 1 from article_initiatives"
            " t where t.article_id = a.id)"
        ).fetchone()[0]
        assert untagged == 0
        assert conn.execute("select count(*) from articles_fts").fetchone()[0] == arts
        assert (
            conn.execute("select count(*) from frontier where state = 'fetched'").fetchone()[0]
            == arts
        )
        tags = conn.execute("select count(*) from article_initiatives").fetchone()[0]
        return arts, tags
    finally:
        conn.close()


def test_database_disk_full_mid_run_rolls_back_then_recovers(
    prefect_harness, tmp_path, monkeypatch
):
    """SQLite's 'database or disk is full' in the middle of loading: the batch being written
    rolls back whole, the run fails naming the cause, and the next run completes."""
    import ingest.store.db as kbdb

    real_connect = kbdb.connect

    def small_disk(path, **kw):
        db = real_connect(path, **kw)
        pages = db.execute("pragma page_count").fetchone()[0]
        db.execute(f"pragma max_page_count = {pages + 40}")  # ~160 KiB more, then "full"
        return db

    with GeneratedSite(60, seed=22) as site:
        sources = tmp_path / "sources.yaml"
        sources.write_text(site.sources_yaml(), encoding="utf-8")
        db = tmp_path / "kb.db"
        monkeypatch.setattr(kbdb, "connect", small_disk)
        state = run_nightly(sources, db, batch_size=5, publish=False)
        assert state.is_failed()
        assert "database or disk is full" in state.message
        partial, _ = check_intact(db)
        assert 0 < partial < 60
        monkeypatch.setattr(kbdb, "connect", real_connect)  # space freed
        state = run_nightly(sources, db, batch_size=5, publish=False)
    assert state.is_completed(), state.message
    assert check_intact(db) == (60, 60)


def test_archive_disk_full_fails_the_run_without_pointing_at_missing_records(
    prefect_harness, tmp_path, monkeypatch
):
    """ENOSPC while writing the raw archive: nothing is stored that the archive lacks."""
    from ingest.crawl.archive import WarcArchive, verify_record

    real_write = WarcArchive.write_response
    written = []

    def enospc_after_ten(self, *a, **kw):
        if len(written) >= 10:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(1)
        return real_write(self, *a, **kw)

    with GeneratedSite(30, seed=23) as site:
        sources = tmp_path / "sources.yaml"
        sources.write_text(site.sources_yaml(), encoding="utf-8")
        db = tmp_path / "kb.db"
        monkeypatch.setattr(WarcArchive, "write_response", enospc_after_ten)
        state = run_nightly(sources, db, batch_size=5, publish=False)
        assert state.is_failed()
        assert "OSError: [Errno 28] No space left on device" in state.message
        first, _ = check_intact(db)
        conn = sqlite3.connect(db)
        rows = conn.execute("select warc_file, warc_offset, raw_sha256 from articles").fetchall()
        conn.close()
        assert all(verify_record(tmp_path / "raw", *r) for r in rows)
        assert first <= 10
        monkeypatch.setattr(WarcArchive, "write_response", real_write)
        state = run_nightly(sources, db, batch_size=5, publish=False)
    assert check_intact(db) == (30, 30)
