"""Issue 13, finding 10: `ingest serve` as systemd and a terminal use it.

SIGTERM (what systemd sends) or SIGINT (Ctrl-C) to `ingest serve` stops Datasette too, and
`ingest serve` exits with it: no orphan left listening. Binding beyond loopback is warned
about; `/-/databases.json` does not tell where the file is; a database the nightly run writes
to is served mutable (read-only all the same), so what a run loads shows up while serving,
and `--immutable` is there for a published copy.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest
from conftest import REPO
from datasette_fixtures import build_kb

from ingest.testing.loopback import free_port


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_kb(tmp_path_factory.mktemp("serve") / "kb.db")


class Served:
    def __init__(self, db: Path, *extra: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ingest.cli", "serve", "--db", str(db),
             "--port", str(self.port), *extra],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        for _ in range(200):
            try:
                if httpx.get(self.base + "/-/versions.json", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert self.proc.poll() is None, self.proc.communicate()
            time.sleep(0.1)
        else:
            raise AssertionError("ingest serve did not start")
        (self.child,) = psutil.Process(self.proc.pid).children()

    def stop(self, signum: int) -> tuple[int, str, str]:
        self.proc.send_signal(signum)
        out, err = self.proc.communicate(timeout=30)
        return self.proc.returncode, out, err

    def listening(self) -> bool:
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_to_ingest_serve_stops_datasette_too(kb, signum):
    served = Served(kb)
    child = served.child
    code, out, _ = served.stop(signum)
    assert code == 0
    assert "Datasette on http://127.0.0.1:" in out
    child.wait(timeout=10)  # raises if the child is still alive
    assert not psutil.pid_exists(child.pid) or child.status() == psutil.STATUS_ZOMBIE
    assert not served.listening()


def test_killing_ingest_serve_takes_datasette_with_it(kb):
    """Even SIGKILL, which cannot be forwarded: the child asked to die with its parent."""
    served = Served(kb)
    os.kill(served.proc.pid, signal.SIGKILL)
    served.proc.wait(timeout=10)
    served.child.wait(timeout=20)
    assert not served.listening()


def test_binding_beyond_loopback_is_warned_about(kb):
    served = Served(kb, "--host", "0.0.0.0")
    try:
        assert httpx.get(served.base + "/kb.json", timeout=5).status_code == 200
    finally:
        _, _, err = served.stop(signal.SIGTERM)
    assert "warning: serving on every network interface: anyone who can reach this machine" in err


def test_databases_json_does_not_show_the_path_and_writes_show_up(kb, tmp_path):
    db = tmp_path / "kb.db"
    db.write_bytes(kb.read_bytes())
    served = Served(db)
    try:
        listed = httpx.get(served.base + "/-/databases.json").json()
        assert listed == [
            {"name": "kb", "route": "kb", "size": db.stat().st_size, "is_mutable": True,
             "is_memory": False, "hash": None}
        ]  # fmt: skip
        page = httpx.get(served.base + "/-/databases").text
        assert str(tmp_path) not in page and "&#34;name&#34;: &#34;kb&#34;" in page
        assert httpx.get(served.base + "/-/threads.json").status_code == 404
        # the nightly run writes while Datasette serves (WAL): the new row is seen at once
        before = httpx.get(served.base + "/kb/sources.json?_shape=array").json()
        conn = sqlite3.connect(db, isolation_level=None)
        conn.execute("pragma journal_mode = wal")
        conn.execute(
            "insert into sources (id, name, kind, home) values ('moi', 'Báo Mới', 'news',"
            " 'https://moi.example/')"
        )
        conn.close()
        after = httpx.get(served.base + "/kb/sources.json?_shape=array").json()
        assert len(after) == len(before) + 1 and "Báo Mới" in {r["name"] for r in after}
    finally:
        served.stop(signal.SIGTERM)


def test_immutable_serves_a_published_copy(kb, tmp_path):
    copy = tmp_path / "kb.db"
    copy.write_bytes(kb.read_bytes())
    served = Served(copy, "--immutable")
    try:
        (listed,) = httpx.get(served.base + "/-/databases.json").json()
        assert listed["is_mutable"] is False and listed["name"] == "kb"
        assert httpx.get(served.base + "/kb/articles.json?_shape=array&_size=1").status_code == 200
        assert "-i" in served.child.cmdline()
    finally:
        code, out, _ = served.stop(signal.SIGTERM)
    assert code == 0 and "(immutable; Ctrl-C to stop)" in out


@pytest.mark.parametrize("how", ["SIGTERM to ingest serve", "SIGKILL to Datasette"])
def test_report_workers_stop_with_the_server(kb, how):
    """The report page builds in worker processes of its own (`report_budget`: a fork server,
    a worker per report, multiprocessing's resource tracker). After a SIGTERM to `ingest serve`
    none of them is left, nor after a SIGKILL to Datasette itself (no code of its own runs:
    the workers see it gone)."""
    served = Served(kb)
    try:
        docx = httpx.get(
            served.base + "/-/report?initiative=design_festival&from=2023&to=2023&format=docx",
            timeout=60,
        )
        assert docx.status_code == 200 and docx.content[:2] == b"PK"
        dossier = httpx.get(served.base + "/-/report?monitoring=1&from=2019&to=2023", timeout=60)
        assert dossier.status_code == 200
        family = psutil.Process(served.proc.pid).children(recursive=True)
        # Datasette, the resource tracker, the fork server and the idle worker made in advance
        assert len(family) >= 4, [p.cmdline()[-1][:60] for p in family]
        if how == "SIGKILL to Datasette":
            served.child.kill()
    finally:
        code, _, err = served.stop(signal.SIGTERM)
    assert code == (0 if how.startswith("SIGTERM") else 128 + signal.SIGKILL), err
    _, alive = psutil.wait_procs(family, timeout=15)
    assert [p.pid for p in alive if p.status() != psutil.STATUS_ZOMBIE] == []
    assert not served.listening()
