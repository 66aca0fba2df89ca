"""Issue 16, operations: the database in one file after a run, light commands that import
nothing heavy, quiet 404s, a busy port reported first, `ingest health` saying ok and the
errors, and `ingest demo` keeping the sample sites up (and Prefect down) while Datasette
serves. Timings are in benchmarks/bench_cli.py, not here."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from datasette_fixtures import build_kb

from ingest.commands import ops, pipeline
from ingest.testing.loopback import free_port
from ingest.testing.report_load import served, wait_for

REPO = Path(__file__).resolve().parents[2]


def test_a_run_leaves_the_whole_database_in_kb_db(sample_db: Path, tmp_path: Path) -> None:
    """wal_checkpoint(TRUNCATE) at the end of the run: kb.db copied alone is the database,
    even though the run's publish check still has connections open in this process."""
    wal = Path(f"{sample_db}-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    alone = tmp_path / "copy.db"
    shutil.copyfile(sample_db, alone)  # the file people copy, without -wal and -shm
    uri = f"file:{sample_db}?mode=ro"
    with sqlite3.connect(uri, uri=True) as conn:
        expected = conn.execute("select count(*), max(id) from articles").fetchone()
    with sqlite3.connect(alone) as conn:
        assert conn.execute("select count(*), max(id) from articles").fetchone() == expected
    assert expected[0] >= 40


def test_help_and_light_commands_import_no_framework() -> None:
    """`ingest --help`, `ingest health --help` and building every subcommand's parser load
    neither Prefect, Datasette, matplotlib nor the tagger: they were 2–4 s of every call."""
    code = (
        "import sys; from ingest.cli import build_parser; build_parser();"
        "import ingest.commands.ops;"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & "
        "{'prefect', 'datasette', 'matplotlib', 'datasketch', 'trafilatura', 'pydantic'});"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    help_out = subprocess.run(
        [sys.executable, "-m", "ingest.cli", "--help"], capture_output=True, text=True, check=True
    )
    for command in ("run", "demo", "serve", "health", "report", "eval-tags", "activities"):
        assert command in help_out.stdout


def test_health_prints_ok_and_the_error_summary(tmp_path: Path, capsys) -> None:
    db = tmp_path / "kb.db"
    from ingest.store.db import connect

    kb = connect(db)
    with kb.conn:
        kb["sources"].insert_all(
            [
                {"id": s, "name": s, "kind": "news", "home": f"https://{s}.example/", "enabled": 1}
                for s in ("aaa", "bbb")
            ]
        )
        kb["runs"].insert({"id": "r1", "started_at": "2024-01-02T02:00:00+07:00", "status": "ok"})
        kb["source_runs"].insert_all(
            [
                {"run_id": "r1", "source_id": "aaa", "status": "ok", "health": None, "new": 3},
                {
                    "run_id": "r1",
                    "source_id": "bbb",
                    "status": "ok",
                    "health": None,
                    "new": 1,
                    "error_summary": "sitemap https://b.example/s.xml: 503\nfeed: timeout\x1b[31m",
                },
            ]
        )
    kb.conn.close()
    assert ops.cmd_health(argparse.Namespace(db=str(db))) == 0
    out = capsys.readouterr().out.splitlines()
    table = {line.split()[0]: line.split() for line in out[2:4]}
    assert table["aaa"][1] == "ok" and table["aaa"][-1] == "ok"  # status and health
    assert table["bbb"][-1] == "ok"
    assert out[4:] == [
        "errors:",
        "  bbb: 2 error(s)",
        "    sitemap https://b.example/s.xml: 503",
        "    feed: timeout[31m",  # the escape character itself is gone
    ]


def test_serve_reports_a_busy_port_before_anything_else(tmp_path: Path, capsys) -> None:
    db = build_kb(tmp_path / "kb.db")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        args = argparse.Namespace(db=str(db), port=port, host="127.0.0.1")
        assert pipeline.cmd_serve(args) == 2
        out, err = capsys.readouterr()
        assert out == ""  # no "Datasette on http://…" for a server that will not start
        assert f"error: cannot serve on 127.0.0.1:{port}: Address already in use" in err
        demo = argparse.Namespace(
            db=str(tmp_path / "demo" / "kb.db"), port=port, host="127.0.0.1", no_serve=False,
            sites_port=0, sources="sources.yaml", taxonomy="taxonomy.yaml", raw_dir=None,
        )  # fmt: skip
        assert pipeline.cmd_demo(demo) == 2
        assert not (tmp_path / "demo").exists()  # nothing crawled, nothing written
    assert pipeline.busy_port("127.0.0.1", port) is None


def test_not_found_is_fast_and_prints_no_traceback(tmp_path: Path) -> None:
    db = build_kb(tmp_path / "kb.db")
    log = tmp_path / "datasette.log"
    with served(db, log) as (base, _):
        for path in ("/kb/no_such_table", "/wp-admin/setup.php", "/-/article/999"):
            response = httpx.get(base + path, timeout=10)
            assert response.status_code == 404, path
            assert "Không tìm thấy / Not found" in response.text
        assert httpx.get(f"{base}/kb/no_such_table.json", timeout=10).json()["status"] == 404
    text = log.read_text(encoding="utf-8")
    assert "Traceback" not in text and "locals" not in text
    assert len(text.splitlines()) < 20, text


@pytest.mark.timeout(600)
def test_demo_keeps_the_sample_sites_up_and_prefect_down(tmp_path: Path) -> None:
    """`ingest demo` end to end: free ports for the sites, the crawl in a child process (its
    Prefect server stops with it), Datasette serving while the articles' originals answer."""
    port = free_port()
    home = tmp_path / "prefect-home"
    env = {**os.environ, "PREFECT_HOME": str(home)}
    db = tmp_path / "data" / "kb.db"
    log = tmp_path / "demo.log"
    cmd = [sys.executable, "-m", "ingest.cli", "demo", "--db", str(db), "--port", str(port)]
    with log.open("w") as fh:
        proc = subprocess.Popen(
            [*cmd, "--sites-port", "0"],
            cwd=REPO,
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/-/versions.json", proc, seconds=300)
        text = log.read_text(encoding="utf-8")
        assert "demo crawl finished" in text and "Datasette on" in text
        # the articles' originals answer: the sample sites are still up
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            urls = [r[0] for r in conn.execute("select url from articles order by id limit 3")]
        assert urls and all(httpx.get(u, timeout=5).status_code == 200 for u in urls)
        page = httpx.get(f"{base}/-/article/1", timeout=10).text
        assert f'href="{urls[0]}"' in page
        # nothing of Prefect is left running for this PREFECT_HOME
        assert _processes_with_env("PREFECT_HOME", str(home), but=(proc.pid,)) == sorted(
            pid for pid in _children(proc.pid) if "datasette" in _cmdline(pid)
        )
        # the crawl's process is gone, so kb.db alone holds everything
        wal = Path(f"{db}-wal")
        assert not wal.exists() or wal.stat().st_size == 0
        count = f"{base}/kb.json?sql=select+count(*)+as+n+from+articles&_shape=array"
        assert json.loads(httpx.get(count, timeout=10).text)[0]["n"] >= 40
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            child = int(stat.parent.name)
            out += [child, *_children(child)]
    return out


def _processes_with_env(name: str, value: str, but: tuple[int, ...]) -> list[int]:
    """Processes whose environment has name=value (ours only: the test set it)."""
    wanted = f"{name}={value}".encode()
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        pid = int(environ.parent.name)
        if pid in but:
            continue
        try:
            if wanted in environ.read_bytes().split(b"\0"):
                found.append(pid)
        except OSError:
            continue
    return sorted(found)
