"""The monitoring dossier from the report page: `/-/report?monitoring=1&from=…&to=…`.

The same `build_dossier` and renderers as `ingest report --monitoring`, run in Datasette's read
thread on the read-only connection; `&format=md|csv|docx` downloads the other formats. Archive
links are absolute (this server's own address), so a downloaded dossier still points at the
archived copies.
"""

from __future__ import annotations

from html import escape
from typing import Any

import sqlite_utils
from datasette.utils.asgi import Response

from ..evidence.monitoring import build_dossier
from ..evidence.monitoring_render import (
    charts_for,
    render_csv,
    render_docx,
    render_html,
    render_markdown,
)
from ..evidence.report import parse_period
from .settings import kb_database_name

CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def _error(message: str) -> Response:
    return Response.html(
        f"<!DOCTYPE html><html lang='vi'><meta charset='utf-8'><p>{escape(message)}</p></html>",
        status=400,
    )


async def dossier_response(
    request: Any, datasette: Any, args: dict[str, str], form: str
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
    origin = f"{request.scheme}://{request.host}"

    def link(article_id: int) -> str:
        return origin + datasette.urls.path(f"/-/archive/{article_id}")

    def build(conn: Any) -> str | bytes:
        dossier = build_dossier(sqlite_utils.Database(conn), start, end)
        if fmt == "csv":
            return render_csv(dossier, link)
        if fmt == "md":
            return render_markdown(dossier, None, link)
        charts = charts_for(dossier)
        if fmt == "docx":
            return render_docx(dossier, charts, link)
        return render_html(dossier, charts, link, nav_html=form)

    body = await db.execute_fn(build)
    headers = {}
    if fmt != "html":
        name = f"monitoring-{start.isoformat()}-{end.isoformat()}.{fmt}"
        headers["content-disposition"] = f'attachment; filename="{name}"'
    return Response(body, content_type=CONTENT_TYPES[fmt], headers=headers)
