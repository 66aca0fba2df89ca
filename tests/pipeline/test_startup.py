"""The night survives a busy machine: Prefect's temporary API gets a longer, configurable
start-up timeout and one retry; if it still does not come up, `ingest run` prints one line
naming the cause and the remedy (no traceback) and the lost run is in the ledger."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

from conftest import REPO, TAXONOMY

from ingest.commands import pipeline

SOURCES = """\
sources:
  - id: thudo
    name: Báo Thủ Đô
    kind: news
    home: http://127.0.0.1:9/
    feeds: [http://127.0.0.1:9/rss.xml]
  - id: dothi
    name: Báo Đô Thị
    kind: news
    home: http://127.0.0.1:9/do-thi/
    feeds: [http://127.0.0.1:9/do-thi/rss.xml]
"""


def test_prefect_that_never_starts_gives_one_line_and_a_ledger_row(tmp_path):
    sources = tmp_path / "sources.yaml"
    sources.write_text(SOURCES, encoding="utf-8")
    db = tmp_path / "kb.db"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PREFECT_API") and k != "PREFECT_HOME"
    }
    env.update(
        {
            "PREFECT_HOME": str(tmp_path / "prefect-home"),
            pipeline.PREFECT_STARTUP_ENV: "0.01",  # no machine starts it that fast
        }
    )
    done = subprocess.run(
        [sys.executable, "-m", "ingest.cli", "run", "--db", str(db), "--sources", str(sources),
         "--taxonomy", str(TAXONOMY), "--no-publish"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    line = lines[0]
    assert line.startswith(
        "error: Prefect's temporary API server did not start within 0.01 s, twice ("
    )
    assert "PREFECT_API_URL=http://127.0.0.1:4200/api" in line and "prefect server start" in line
    conn = sqlite3.connect(db)
    runs = conn.execute("select status, message, finished_at from runs").fetchall()
    rows = conn.execute("select source_id, status, health from source_runs order by 1").fetchall()
    conn.close()
    assert [(r[0], r[1]) for r in runs] == [("failed", line.removeprefix("error: "))]
    assert runs[0][2]  # finished, not left running
    assert [(r[0], r[1]) for r in rows] == [("dothi", "broken"), ("thudo", "broken")]
    assert all(r[2].startswith("not crawled: Prefect's temporary API server") for r in rows)


def test_one_retry_when_the_first_start_times_out(monkeypatch):
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_API_URL, temporary_settings

    calls = []

    def start(self, timeout=None):
        calls.append(timeout)
        if len(calls) == 1:
            raise RuntimeError("Timed out while attempting to connect to ephemeral Prefect API.")
        self.running = True

    # the session's test harness server is the singleton for "no port": set it aside, so this
    # test's failed start (and the stop that follows it) touches a fresh instance only
    harness = SubprocessASGIServer._instances.pop(None, None)
    monkeypatch.setattr(SubprocessASGIServer, "start", start)
    try:
        with temporary_settings(updates={PREFECT_API_URL: None}):
            assert pipeline.ensure_prefect_api(45.0) is None
    finally:
        SubprocessASGIServer._instances.pop(None, None)  # leave no half-started singleton
        if harness is not None:
            SubprocessASGIServer._instances[None] = harness
    assert calls == [45.0, 45.0]


def test_startup_timeout_comes_from_the_flag_then_the_environment(monkeypatch):
    class Args:
        prefect_timeout = None

    monkeypatch.delenv(pipeline.PREFECT_STARTUP_ENV, raising=False)
    assert pipeline.prefect_startup_timeout(Args) == pipeline.DEFAULT_PREFECT_STARTUP == 90.0
    monkeypatch.setenv(pipeline.PREFECT_STARTUP_ENV, "150")
    assert pipeline.prefect_startup_timeout(Args) == 150.0
    Args.prefect_timeout = 30.0
    assert pipeline.prefect_startup_timeout(Args) == 30.0
