"""One monitoring dossier build, as a picklable job for a report worker process.

The dossier (`/-/report?monitoring=1`) reads every activity, fact and coverage figure of its
period; built on Datasette's SQL threads it was the one public route left unbounded after
the report page moved to worker processes. It now runs exactly like a report
(`report_budget`): in a worker of the same pool, on a private read-only connection, within the
report's time budget and article limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlite_utils

from ..evidence.monitoring import build_dossier
from ..evidence.monitoring_render import (
    charts_for,
    render_csv,
    render_docx,
    render_html,
    render_markdown,
)
from .report_budget import Budget, run_bounded


@dataclass(frozen=True)
class ArchiveLinks:
    """An article's archived copy on this server: `prefix` + id (picklable, unlike a closure)."""

    prefix: str

    def __call__(self, article_id: int) -> str:
        return f"{self.prefix}{article_id}"


@dataclass(frozen=True)
class DossierJob:
    db_path: str
    date_from: date
    date_to: date
    fmt: str  # html | md | csv | docx
    archive_prefix: str
    nav_html: str
    max_articles: int
    time_limit_s: float


def build(db: sqlite_utils.Database, job: DossierJob, budget: Budget) -> str | bytes:
    dossier = build_dossier(
        db, job.date_from, job.date_to, max_articles=job.max_articles, check=budget.check
    )
    link = ArchiveLinks(job.archive_prefix)
    if job.fmt == "csv":
        return render_csv(dossier, link)
    if job.fmt == "md":
        return render_markdown(dossier, None, link)
    charts = charts_for(dossier)
    budget.check()
    if job.fmt == "docx":
        return render_docx(dossier, charts, link)
    return render_html(dossier, charts, link, nav_html=job.nav_html)


def run_dossier_job(job: DossierJob) -> str | bytes:
    """In the worker: the whole build on a private read-only connection, within the budget."""
    budget = Budget(job.time_limit_s)
    return run_bounded(job.db_path, budget, lambda db: build(db, job, budget))
