"""Issue 13, finding 11: a full disk stops the night, says what was written, and the run ends
`failed` in the ledger; once space is freed the next run carries on and nothing is lost.

On a real full filesystem: a 3 MB tmpfs holding the database and the archive (needs root, as
in CI's container; skipped elsewhere, where tests/pipeline/test_bad_input.py's injected
ENOSPC and SQLITE_FULL still run).
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
from pathlib import Path

import pytest
from conftest import TAXONOMY

from ingest.cli import main
from ingest.crawl.archive import verify_record
from ingest.store import runs as runs_mod
from ingest.testing.generate import GeneratedSite, sources_yaml


@pytest.fixture
def small_disk(tmp_path: Path):
    mnt = tmp_path / "disk"
    mnt.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mnt)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def q(db: Path, sql: str, params=()):
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def run(sources: Path, db: Path) -> int:
    return main(["run", "--sources", str(sources), "--taxonomy", str(TAXONOMY),
                 "--db", str(db), "--no-publish"])  # fmt: skip


def test_a_full_disk_stops_the_run_and_says_what_was_written(
    prefect_harness, small_disk, tmp_path, capsys
):
    db = small_disk / "kb.db"
    with GeneratedSite(400, seed=111) as big, GeneratedSite(30, seed=112, source_id="hai") as two:
        sources = tmp_path / "sources.yaml"
        sources.write_text(sources_yaml([big.source_entry(), two.source_entry()]), "utf-8")
        code = run(sources, db)
        err = capsys.readouterr().err
        lines = [line for line in err.splitlines() if line.startswith("error:")]
        stored = q(db, "select count(*) from articles")[0][0]
        runs = q(db, "select status, message from runs")
        subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
        again = run(sources, db)
    assert code == 1
    (line,) = lines
    assert line.startswith(f"error: disk full while the run wrote {db} or its archive (")
    m = re.search(r"it stored (\d+) new articles before it stopped, each batch whole", line)
    assert m and int(m.group(1)) == stored and 0 < stored < 430, line
    assert "is marked failed in the ledger. Free some space and run again" in line
    assert "left untouched" not in err
    ((status, message),) = runs
    assert status == "failed" and ("disk is full" in message or "No space left" in message)
    # space freed: the next run completes, and every article is there with its archive
    assert again == 0
    # the ledger's reserve, freed when the disk filled, is kept again by the run that followed
    assert runs_mod.reserve_path(db).stat().st_size == runs_mod.RESERVE_BYTES
    assert q(db, "select count(*) from articles") == [(430,)]
    assert q(db, "select status from runs order by started_at") == [("failed",), ("ok",)]
    raw = small_disk / "raw"
    for warc, offset, sha in q(db, "select warc_file, warc_offset, raw_sha256 from articles"):
        assert verify_record(raw, warc, offset, sha)
    assert q(db, "pragma integrity_check") == [("ok",)]
