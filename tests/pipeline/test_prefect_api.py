"""Prefect's fixed cost: a configured server is used as it is (no temporary API started), the
temporary local one is started in the background while the run prepares, and flow runs on it
skip heartbeats (the second Prefect's heartbeat thread cost at the end of every run)."""

from __future__ import annotations

import threading
import time

from ingest.commands import pipeline


def test_a_configured_server_is_used_without_starting_one(prefect_harness, monkeypatch):
    from prefect.server.api.server import SubprocessASGIServer

    started = []
    monkeypatch.setattr(SubprocessASGIServer, "start", lambda self, timeout=None: started.append(1))
    api = pipeline.PrefectAPI(30.0)  # the session harness set PREFECT_API_URL
    assert api.result() == (None, False)
    assert started == []


def test_the_local_api_starts_in_the_background(monkeypatch):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    release = threading.Event()
    calls = []

    def slow_start(timeout: float) -> None:
        calls.append(timeout)
        release.wait(5)
        return None

    monkeypatch.setattr(pipeline, "ensure_prefect_api", slow_start)
    with temporary_settings(updates={PREFECT_API_URL: None}):
        t0 = time.monotonic()
        api = pipeline.PrefectAPI(12.0)
        assert time.monotonic() - t0 < 1.0  # the caller goes on while the server boots
        release.set()
        assert api.result() == (None, True)
    assert calls == [12.0]


def test_a_failed_start_is_reported_like_before(monkeypatch):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    monkeypatch.setattr(pipeline, "ensure_prefect_api", lambda timeout: "did not start")
    with temporary_settings(updates={PREFECT_API_URL: None}):
        assert pipeline.PrefectAPI(1.0).result() == ("did not start", True)


def test_flow_runs_on_the_temporary_api_have_no_heartbeat():
    from prefect.settings import get_current_settings

    assert get_current_settings().flows.heartbeat_frequency is not None
    with pipeline.local_run_settings(True):
        assert get_current_settings().flows.heartbeat_frequency is None
    with pipeline.local_run_settings(False):  # a real server: it watches them
        assert get_current_settings().flows.heartbeat_frequency is not None
