"""One report build, as a picklable job that runs in a worker process of its own.

`run_job` is what a report worker does: open the knowledge base read-only, build the report
within the time budget and the size limit, render it (the preview's HTML fragment or a
download) and hand back the bytes. It imports no Datasette, so a worker stays small; the page
(`report_page`) turns the result into a response.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlite_utils

from ..evidence.chart import charts_for
from ..evidence.render import render
from ..evidence.render_html import render_html_body
from ..evidence.report import ReportQuery, build_report
from .report_budget import Budget, run_bounded


@dataclass(frozen=True)
class Job:
    db_path: str
    date_from: date
    date_to: date
    initiatives: tuple[str, ...]
    agencies: tuple[str, ...]
    fmt: str  # preview | html | docx | csv | md | json
    base_url: str
    max_articles: int
    time_limit_s: float


@dataclass(frozen=True)
class JobResult:
    body: bytes | str
    articles: int  # articles cited, for the preview's summary


def build(db: sqlite_utils.Database, job: Job, budget: Budget) -> JobResult:
    query = ReportQuery(job.date_from, job.date_to, job.initiatives, job.agencies)
    report = build_report(
        db, query, base_url=job.base_url, max_articles=job.max_articles, check=budget.check
    )
    budget.check()
    charts = charts_for(report)
    budget.check()
    if job.fmt == "preview":
        body: bytes | str = render_html_body(report, charts)
    else:
        body = render(report, job.fmt, charts, check=budget.check)
    return JobResult(body, report.article_total)


def run_job(job: Job) -> JobResult:
    """In the worker: the whole build on a private read-only connection, within the budget."""
    budget = Budget(job.time_limit_s)
    return run_bounded(job.db_path, budget, lambda db: build(db, job, budget))
