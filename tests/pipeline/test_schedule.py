"""Scheduling against a real local Prefect server started here (not the in-process harness).

Both ways of running nightly are checked the way an operator would use them: `ingest schedule`
(flow.serve) registers a deployment with a 02:00 Asia/Ho_Chi_Minh cron and actually runs a flow
run it is handed; `prefect deploy` with the repo's prefect.yaml creates the work-pool deployment
with the same schedule. The API is queried over HTTP so this process's Prefect settings (the
session harness) are never touched.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from conftest import REPO, TAXONOMY

from ingest.testing.loopback import free_port

VENV_BIN = Path(sys.executable).parent
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")

OPS_MAIN = (
    "import argparse, sys\n"
    "from ingest.commands import ops\n"
    "p = argparse.ArgumentParser(prog='ingest'); sub = p.add_subparsers()\n"
    "ops.register(sub)\n"
    "a = p.parse_args(sys.argv[1:]); sys.exit(a.func(a))\n"
)


class PrefectServer:
    """`prefect server start` on a free loopback port with its own PREFECT_HOME."""

    def __init__(self, home: Path):
        self.home = home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/api"
        self.env = {
            **os.environ,
            "PREFECT_HOME": str(home),
            "PREFECT_API_URL": self.url,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_UI_ENABLED": "false",
            "PREFECT_RUNNER_POLL_FREQUENCY": "2",
            "PREFECT_WORKER_QUERY_SECONDS": "2",
            "PREFECT_LOGGING_LEVEL": "WARNING",
            # the scheduler service turns schedules into runs every 60 s by default
            "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "2",
        }
        self.env.pop("PREFECT_API_KEY", None)
        self.log = open(home / "server.log", "wb")
        self.proc = subprocess.Popen(
            [
                str(VENV_BIN / "prefect"),
                "server",
                "start",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"prefect server exited: {(self.home / 'server.log').read_text()}"
                )
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise TimeoutError("prefect server did not start")

    def api(self, method: str, path: str, **kw) -> httpx.Response:
        """One API call, retried the way Prefect's own client retries.

        The server answers 503 when its SQLite database is busy (the scheduler service, the
        serving process and this test all write to it); that is a "try again", not a failure.
        """
        for attempt in range(8):
            r = httpx.request(method, f"{self.url}{path}", timeout=30, **kw)
            if r.status_code not in (429, 503):
                break
            time.sleep(0.25 * 2**attempt)
        r.raise_for_status()
        return r

    def deployments(self) -> list[dict]:
        return self.api("POST", "/deployments/filter", json={}).json()

    def stop(self) -> None:
        stop_process(self.proc)
        self.log.close()


def stop_process(proc: subprocess.Popen, timeout: float = 20) -> None:
    """SIGTERM the process group we started (the server's own children included), then KILL."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout)


def wait_for(fn, timeout: float, what: str, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory) -> Iterator[PrefectServer]:
    server = PrefectServer(tmp_path_factory.mktemp("prefect-home"))
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def next_runs(server: PrefectServer, deployment_id: str) -> list[datetime]:
    runs = server.api(
        "POST",
        "/flow_runs/filter",
        json={
            "deployments": {"id": {"any_": [deployment_id]}},
            "flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}},
        },
    ).json()
    return sorted(datetime.fromisoformat(r["expected_start_time"]) for r in runs)


def wait_flow_run(server: PrefectServer, run_id: str, timeout: float = 180) -> dict:
    def final():
        run = server.api("GET", f"/flow_runs/{run_id}").json()
        return run if run["state_type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") else None

    return wait_for(final, timeout, f"flow run {run_id}", interval=1)


def assert_hanoi_0200(dep: dict) -> None:
    """The schedule as stored on the server: 02:00 every night, Hanoi time (19:00 UTC)."""
    from prefect.server.schemas.schedules import CronSchedule

    (sched,) = dep["schedules"]
    assert sched["schedule"]["cron"] == "0 2 * * *"
    assert sched["schedule"]["timezone"] == "Asia/Ho_Chi_Minh"
    assert sched["active"] is True and dep["paused"] is False
    stored = CronSchedule(**sched["schedule"])
    start = datetime(2026, 3, 8, 12, 0, tzinfo=ZoneInfo("UTC"))  # a US DST switch: no effect
    dates = asyncio.run(stored.get_dates(n=3, start=start))
    assert [d.astimezone(ZoneInfo("UTC")).isoformat() for d in dates] == [
        "2026-03-08T19:00:00+00:00",
        "2026-03-09T19:00:00+00:00",
        "2026-03-10T19:00:00+00:00",
    ]


def assert_scheduler_made_0200_runs(server: PrefectServer, dep: dict) -> None:
    """The server's scheduler service turns the schedule into upcoming runs at 02:00 Hanoi."""
    log = server.home / "server.log"

    def runs_or_scheduler_error():
        if "Can't evaluate bulk DML statement" in log.read_text(errors="replace"):
            raise TimeoutError("the scheduler service failed (see server.log): no runs")
        return next_runs(server, dep["id"])

    runs = wait_for(runs_or_scheduler_error, 30, "scheduled runs")
    for when in runs:
        assert (when.astimezone(HANOI).hour, when.astimezone(HANOI).minute) == (2, 0), when
    days = [r.astimezone(HANOI).date() for r in runs]
    assert len(set(days)) == len(days) >= 2


def _sqlalchemy_21() -> bool:
    import sqlalchemy

    return tuple(int(x) for x in sqlalchemy.__version__.split(".")[:2]) >= (2, 1)


# Prefect 3.8.8's scheduler service bulk-inserts runs in a way SQLAlchemy 2.1 rejects
# ("Can't evaluate bulk DML statement"); with SQLAlchemy 2.0.x it works. See docs/operations.md.
needs_sqlalchemy_20 = pytest.mark.xfail(
    _sqlalchemy_21(),
    strict=True,
    raises=TimeoutError,
    reason="Prefect 3.8.8 scheduler service fails under SQLAlchemy 2.1; pin SQLAlchemy 2.0.x",
)


def test_schedule_rejects_bad_cron_and_timezone_before_serving(capsys):
    from ingest.commands import ops

    parser = __import__("argparse").ArgumentParser()
    ops.register(parser.add_subparsers())
    for argv, needle in (
        (["schedule", "--cron", "0 2 * *"], "invalid cron string"),
        (["schedule", "--timezone", "Asia/Hanoi"], "invalid timezone"),
    ):
        args = parser.parse_args(argv)
        assert args.func(args) == 2
        assert needle in capsys.readouterr().err.lower()


def test_served_deployment_has_hanoi_schedule_and_runs(prefect_server, tmp_path):
    """`ingest schedule` registers nightly/nightly-served and executes a run it is given."""
    from ingest.testing.generate import GeneratedSite

    with GeneratedSite(12) as site:
        sources = tmp_path / "sources.yaml"
        sources.write_text(site.sources_yaml(), encoding="utf-8")
        db = tmp_path / "kb.db"
        log = open(tmp_path / "serve.log", "wb")
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                OPS_MAIN,
                "schedule",
                "--sources",
                str(sources),
                "--taxonomy",
                str(TAXONOMY),
                "--db",
                str(db),
            ],
            cwd=REPO,
            env=prefect_server.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            dep = wait_for(
                lambda: [d for d in prefect_server.deployments() if d["name"] == "nightly-served"],
                120,
                "served deployment",
            )[0]
            assert dep["parameters"] == {
                "sources_path": str(sources),
                "taxonomy_path": str(TAXONOMY),
                "db_path": str(db),
            }
            assert dep["entrypoint"] == "pipelines/nightly.py:nightly"
            assert dep["global_concurrency_limit"]["limit"] == 1
            assert_hanoi_0200(dep)
            # run it now rather than at 02:00: the serving process picks the run up and crawls
            run = prefect_server.api(
                "POST",
                f"/deployments/{dep['id']}/create_flow_run",
                # a retried 503 must not create a second run
                json={"state": {"type": "SCHEDULED"}, "idempotency_key": f"test-{tmp_path.name}"},
            ).json()
            done = wait_flow_run(prefect_server, run["id"])
            assert done["state_type"] == "COMPLETED", (tmp_path / "serve.log").read_text()
        finally:
            stop_process(proc)
            log.close()
        import sqlite3

        conn = sqlite3.connect(db)
        try:
            assert conn.execute("select count(*) from articles").fetchone()[0] == 12
            assert conn.execute("select status from runs").fetchall() == [("ok",)]
        finally:
            conn.close()


# After creating the deployment, `prefect deploy` (3.8.8) asks the server for the pool's online
# workers to print a hint, with limit=None, which the server's FastAPI 0.154 rejects (422). The
# deployment is already saved by then; any other failure is a real one.
KNOWN_DEPLOY_HINT_ERROR = "/workers/filter' - Response: {'exception_message': 'Invalid request"


def _prefect(
    server: PrefectServer, *args: str, env: dict | None = None, tolerate: str | None = None
) -> str:
    out = subprocess.run(
        [str(VENV_BIN / "prefect"), "--no-prompt", *args],
        cwd=REPO,
        env=env or server.env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    text = out.stdout + out.stderr
    assert out.returncode == 0 or (tolerate and tolerate in text.replace("\n", "")), text
    return text


@pytest.fixture(scope="module")
def pool_deployment(prefect_server) -> dict:
    """prefect.yaml deployed the documented way: create the pool, `prefect deploy --all`."""
    env = {**prefect_server.env, "HANOI_KB_HOME": str(REPO)}
    _prefect(prefect_server, "work-pool", "create", "kb-nightly", "--type", "process", env=env)
    _prefect(prefect_server, "deploy", "--all", env=env, tolerate=KNOWN_DEPLOY_HINT_ERROR)
    return next(d for d in prefect_server.deployments() if d["name"] == "nightly")


def test_prefect_yaml_deployment_on_work_pool(prefect_server, pool_deployment):
    dep = pool_deployment
    assert dep["work_pool_name"] == "kb-nightly"
    assert dep["entrypoint"] == "pipelines/nightly.py:nightly"
    assert dep["parameters"] == {
        "sources_path": "sources.yaml",
        "taxonomy_path": "taxonomy.yaml",
        "db_path": "data/kb.db",
    }
    assert dep["global_concurrency_limit"]["limit"] == 1
    assert dep["pull_steps"] == [
        {"prefect.deployments.steps.set_working_directory": {"directory": str(REPO)}}
    ]
    assert_hanoi_0200(dep)


@needs_sqlalchemy_20
def test_server_scheduler_creates_runs_at_0200_hanoi(prefect_server, pool_deployment):
    assert_scheduler_made_0200_runs(prefect_server, pool_deployment)


@pytest.mark.slow
def test_worker_runs_the_pool_deployment(prefect_server, pool_deployment, tmp_path):
    """A process worker on the pool picks a run of the prefect.yaml deployment and crawls."""
    from ingest.testing.generate import GeneratedSite

    with GeneratedSite(8) as site:
        sources = tmp_path / "sources.yaml"
        sources.write_text(site.sources_yaml(), encoding="utf-8")
        db = tmp_path / "kb.db"
        env = {**prefect_server.env, "HANOI_KB_HOME": str(REPO)}
        log = open(tmp_path / "worker.log", "wb")
        worker = subprocess.Popen(
            [str(VENV_BIN / "prefect"), "worker", "start", "--pool", "kb-nightly"],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            run = prefect_server.api(
                "POST",
                f"/deployments/{pool_deployment['id']}/create_flow_run",
                json={
                    "state": {"type": "SCHEDULED"},
                    "parameters": {
                        "sources_path": str(sources),
                        "db_path": str(db),
                        "taxonomy_path": str(TAXONOMY),
                    },
                },
            ).json()
            done = wait_flow_run(prefect_server, run["id"], timeout=240)
            assert done["state_type"] == "COMPLETED", (tmp_path / "worker.log").read_text()
        finally:
            stop_process(worker)
            log.close()
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        assert conn.execute("select count(*) from articles").fetchone()[0] == 8
    finally:
        conn.close()
