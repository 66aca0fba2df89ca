"""The evidence report page for one initiative and period at `/-/report`.

`/-/report?initiative=design_festival&from=2019&to=2026` returns the same HTML as
`ingest report --format html` (same `build_report`, same renderer), so a researcher can open it
from the browser and print it. `&format=md|csv|docx` downloads the other formats. Without
parameters the page shows a small form. `agency=ID` (repeatable) filters by agency.

The route, the menu link and the `report_url` cell link are registered by `plugin`. The work
runs in Datasette's read thread (`execute_fn`), on the read-only connection, so the page never
writes.

From a canned query, select a column named `report_url` holding
`'/-/report?initiative=' || :initiative || '&from=' || :date_from || '&to=' || :date_to`
and `report_link` renders it as a link to the page (see docs/evidence-report.md).
"""

from __future__ import annotations

from html import escape
from typing import Any

import sqlite_utils
from datasette.utils.asgi import Response
from markupsafe import Markup

from ..evidence.render import (
    L,
    charts_for,
    render_csv,
    render_docx,
    render_html,
    render_markdown,
)
from ..evidence.report import ReportQuery, build_report, parse_period
from . import monitoring_page
from .settings import kb_database_name

ROUTE = "/-/report"
LINK_LABEL = "Báo cáo bằng chứng / Evidence report"
REPORT_URL_COLUMN = "report_url"
# The canned query for metadata.yml (databases.kb.queries.evidence_report): one row per story
# with a `report_url` that `render_cell` below turns into a link to the full report.
CANNED_QUERY_NAME = "evidence_report"
CANNED_QUERY: dict[str, Any] = {
    "title": "Báo cáo bằng chứng cho một sáng kiến / Evidence report for an initiative",
    "description": (
        "Các câu chuyện về một sáng kiến trong khoảng thời gian, kèm liên kết tới báo cáo đầy đủ"
        " để in hoặc tải về (md, csv, docx). Ngày dạng YYYY, YYYY-MM hoặc YYYY-MM-DD. /"
        " Stories about one initiative in a period, with a link to the full report to print or"
        " download. Dates as YYYY, YYYY-MM or YYYY-MM-DD."
    ),
    "params": ["initiative", "date_from", "date_to"],
    "sql": """select '/-/report?initiative=' || :initiative || '&from=' || :date_from
    || '&to=' || :date_to as report_url,
  coalesce(st.id, 'a' || a.id) as story, min(a.published_date) as first_published,
  coalesce(st.title, min(a.title)) as title, count(distinct a.source_id) as outlets,
  count(distinct a.id) as articles, min(ai.evidence) as quote
from article_initiatives ai
join articles a on a.id = ai.article_id
left join stories st on st.id = a.story_id
where ai.initiative_id = :initiative
  and a.published_date >= :date_from
  and substr(a.published_date, 1, length(:date_to)) <= :date_to
group by coalesce(st.id, 'a' || a.id)
order by first_published""",
}
CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def report_url(initiative: str, date_from: str, date_to: str, fmt: str = "html") -> str:
    """The page's path for one initiative and period (for links from canned queries and docs)."""
    from urllib.parse import urlencode

    params = {"initiative": initiative, "from": date_from, "to": date_to}
    if fmt != "html":
        params["format"] = fmt
    return f"{ROUTE}?{urlencode(params)}"


def _form(initiatives: list[tuple[str, str, str]], args: dict[str, str], action: str) -> str:
    """The on-screen form (hidden when printing); every value escaped."""
    chosen = args.get("initiative", "")
    options = "".join(
        f'<option value="{escape(i)}"{" selected" if i == chosen else ""}>'
        f"{escape(vi)} ({escape(en)})</option>"
        for i, vi, en in initiatives
    )
    return (
        f'<form method="get" action="{escape(action)}">'
        f"<label>{escape(L['initiative'])} <select name='initiative'>{options}</select></label> "
        f"<label>Từ (From) <input name='from' size='10' value='{escape(args.get('from', ''))}'>"
        f"</label> <label>Đến (To) <input name='to' size='10' "
        f"value='{escape(args.get('to', ''))}'></label> "
        "<label>Định dạng (Format) <select name='format'>"
        + "".join(
            f"<option{' selected' if args.get('format', 'html') == f else ''}>{f}</option>"
            for f in ("html", "md", "csv", "docx")
        )
        + "</select></label> <label><input type='checkbox' name='monitoring' value='1'"
        + (" checked" if args.get("monitoring") else "")
        + "> Hồ sơ giám sát theo hoạt động (Monitoring dossier)</label>"
        + " <button type='submit'>Lập báo cáo (Build)</button></form>"
    )


def _error(message: str, status: int = 400) -> Response:
    return Response.html(
        f"<!DOCTYPE html><html lang='vi'><meta charset='utf-8'><p>{escape(message)}</p></html>",
        status=status,
    )


async def report_page(request: Any, datasette: Any) -> Response:
    db = datasette.get_database(kb_database_name(datasette))
    initiatives = [
        (r["id"], r["name_vi"], r["name_en"])
        for r in (
            await db.execute(
                "select id, name_vi, name_en from initiatives"
                " order by case kind when 'initiative' then 0 else 1 end, rowid"
            )
        ).rows
    ]
    args = {k: request.args.get(k, "") for k in ("initiative", "from", "to", "format")}
    args["monitoring"] = request.args.get("monitoring", "")
    action = datasette.urls.path(ROUTE)
    form = _form(initiatives, args, action)
    if args["monitoring"] and args["from"] and args["to"]:  # the activity dossier (issue 18)
        return await monitoring_page.dossier_response(request, datasette, args, form)
    if not (args["initiative"] and args["from"] and args["to"]):
        page = (
            "<!DOCTYPE html><html lang='vi'><head><meta charset='utf-8'>"
            f"<title>{escape(L['title'])}</title></head><body><h1>{escape(L['title'])}</h1>"
            f"{form}</body></html>"
        )
        return Response.html(page)
    fmt = args["format"] or "html"
    if fmt not in CONTENT_TYPES:
        return _error(f"unknown format {fmt!r}")
    try:
        start, end = parse_period(args["from"], args["to"])
    except ValueError as exc:
        return _error(f"bad period: {exc}")
    query = ReportQuery(
        start,
        end,
        tuple(request.args.getlist("initiative")),
        tuple(a for a in request.args.getlist("agency") if a),
    )

    def build(conn: Any) -> bytes | str:
        report = build_report(sqlite_utils.Database(conn), query)
        if fmt == "csv":
            return render_csv(report)
        if fmt == "md":
            return render_markdown(report)
        charts = charts_for(report)
        if fmt == "docx":
            return render_docx(report, charts)
        return render_html(
            report,
            charts,
            nav_html=form,
            archive_link=lambda i: datasette.urls.path(f"/-/archive/{i}"),
        )

    try:
        body = await db.execute_fn(build)
    except ValueError as exc:
        return _error(str(exc))
    headers = {}
    if fmt != "html":
        name = f"evidence-{args['initiative']}-{start.isoformat()}-{end.isoformat()}.{fmt}"
        headers["content-disposition"] = f'attachment; filename="{name}"'
    return Response(
        body if isinstance(body, str | bytes) else str(body),
        content_type=CONTENT_TYPES[fmt],
        headers=headers,
    )


def report_link(value: Any, column: str, datasette: Any) -> Markup | None:
    """A `report_url` column (e.g. from the `evidence_report` canned query) becomes a link."""
    if column == REPORT_URL_COLUMN and isinstance(value, str) and value.startswith(ROUTE + "?"):
        href = datasette.urls.path(value)
        return Markup(f'<a class="kb-report-link" href="{escape(href)}">{escape(LINK_LABEL)}</a>')
    return None


def menu_link(datasette: Any) -> dict[str, str]:
    return {"href": datasette.urls.path(ROUTE), "label": LINK_LABEL}
