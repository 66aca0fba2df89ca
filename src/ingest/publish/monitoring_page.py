"""The monitoring dossier from the report page: `/-/report?monitoring=1&from=…&to=…`.

The same `build_dossier` and renderers as `ingest report --monitoring`; `&format=md|csv|docx`
downloads the other formats. Archive links are absolute (this server's own address), so a
downloaded dossier still points at the archived copies.

Bounded like the report (`report_budget`): built in a worker process of the report pool
(`monitoring_job`), within the report's time budget and article limit, answering 503 when
every worker is busy or the budget ran out and 400 when the period holds too much.
"""

from __future__ import annotations

from html import escape
from typing import Any

from datasette.utils.asgi import Response

from ..evidence.report import ReportTooLarge, parse_period
from .monitoring_job import DossierJob, build, run_dossier_job
from .report_budget import Busy, Limits, OutOfTime, run_report_job
from .settings import kb_database_name

RETRY_AFTER_S = 30

CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def _error(message: str, status: int = 400) -> Response:
    response = Response.html(
        f"<!DOCTYPE html><html lang='vi'><meta charset='utf-8'><p>{escape(message)}</p></html>",
        status=status,
    )
    if status == 503:
        response.headers["retry-after"] = str(RETRY_AFTER_S)
    return response


async def dossier_response(
    request: Any, datasette: Any, args: dict[str, str], form: str, limits: Limits | None = None
) -> Response:
    fmt = args.get("format") or "html"
    if fmt not in CONTENT_TYPES:
        return _error(f"unknown format {fmt!r}")
    try:
        start, end = parse_period(args["from"], args["to"])
    except ValueError as exc:
        return _error(f"bad period: {exc}")
    db = datasette.get_database(kb_database_name(datasette))
    if "activities" not in await db.table_names():
        return _error("the knowledge base has no activity tables yet (run `ingest activities`)")
    limits = limits or Limits.from_config(None)
    origin = f"{request.scheme}://{request.host}"
    job = DossierJob(
        db_path=db.path or "",
        date_from=start,
        date_to=end,
        fmt=fmt,
        archive_prefix=origin + datasette.urls.path("/-/archive/"),
        nav_html=form,
        max_articles=limits.max_articles,
        time_limit_s=limits.time_limit_s,
    )
    try:
        body = await run_report_job(db, limits, job, run_dossier_job, build)
    except Busy:
        return _error(
            "máy chủ đang lập báo cáo khác, hãy thử lại sau / the server is busy with other"
            " reports, try again later",
            503,
        )
    except OutOfTime:
        return _error(
            "hồ sơ cần quá nhiều thời gian; hãy thu hẹp kỳ báo cáo / the dossier took too long;"
            " narrow the period",
            503,
        )
    except ReportTooLarge as exc:
        return _error(str(exc))
    headers = {}
    if fmt != "html":
        name = f"monitoring-{start.isoformat()}-{end.isoformat()}.{fmt}"
        headers["content-disposition"] = f'attachment; filename="{name}"'
    return Response(body, content_type=CONTENT_TYPES[fmt], headers=headers)
