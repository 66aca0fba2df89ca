"""Deployments of the `nightly` flow: served from one machine, or through a work pool.

Two ways to run the crawl every night, with the same flow and the same schedule:

* **One machine** (`ingest schedule`, `serve_nightly()`): `flow.serve` registers the deployment
  with the Prefect API and runs each scheduled flow run in a subprocess of this long-lived
  process. No work pool, no worker; the simplest thing that works on a single server.
* **Prefect server + work pool + workers** (`prefect.yaml` at the repo root, `prefect deploy`):
  the schedule lives on the server and any worker polling the pool picks the run up.

The schedule is a cron in Asia/Ho_Chi_Minh (02:00 by default, when Vietnamese news sites are
quiet and the overnight articles are already published). `global_limit=1` on the served
deployment and `concurrency_limit: 1` in prefect.yaml keep a late run from overlapping the
next one; the writer lock (`ingest.store.lock`) is the last line of defence if they ever do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # Prefect is imported when a schedule is built, not for `ingest --help`
    from prefect.schedules import Cron

DEFAULT_CRON = "0 2 * * *"
DEFAULT_TZ = "Asia/Ho_Chi_Minh"
SERVED_NAME = "nightly-served"
DESCRIPTION = (
    "Crawl the Vietnamese news sites and government portals in sources.yaml, keep the articles "
    "about Hanoi's UNESCO Creative City of Design programme, tag them and publish with Datasette."
)


def nightly_schedule(cron: str = DEFAULT_CRON, tz: str = DEFAULT_TZ) -> Cron:
    """The nightly cron in Hanoi time; validated here so a typo fails before anything starts."""
    from prefect.client.schemas.schedules import CronSchedule
    from prefect.schedules import Cron
    from pydantic import ValidationError

    try:
        CronSchedule(cron=cron, timezone=tz)
    except ValidationError as exc:
        problem = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise ValueError(f"invalid schedule (cron {cron!r}, time zone {tz!r}): {problem}") from None
    return Cron(cron, timezone=tz)


def nightly_deployment(
    cron: str = DEFAULT_CRON, tz: str = DEFAULT_TZ, name: str = SERVED_NAME, **flow_params: Any
):
    """The RunnerDeployment `serve_nightly` serves; built separately so tests can inspect it."""
    from pipelines.nightly import nightly

    return nightly.to_deployment(
        name=name,
        schedules=[nightly_schedule(cron, tz)],
        parameters=flow_params,
        description=DESCRIPTION,
        tags=["nightly", "hanoi-kb"],
        concurrency_limit=1,
    )


def serve_nightly(
    cron: str = DEFAULT_CRON,
    tz: str = DEFAULT_TZ,
    name: str = SERVED_NAME,
    **flow_params: Any,
) -> None:
    """Register the scheduled deployment and run its flow runs here until interrupted.

    `flow_params` are the `nightly` flow's parameters (sources_path, db_path, ...), stored on
    the deployment so every scheduled run uses them. Blocks; Ctrl-C or SIGTERM stops serving
    (and pauses the schedule, Prefect's default, so no run is queued without a runner).
    """
    from prefect import serve

    deployment = nightly_deployment(cron, tz, name, **flow_params)
    serve(deployment, limit=1)


if __name__ == "__main__":  # python pipelines/deploy.py: serve with the defaults
    serve_nightly()
