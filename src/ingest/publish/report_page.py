"""The evidence report as a page of the site: `/-/report`.

The page uses Datasette's layout and menu (`kb_report.html` extends `base.html`): a form to
choose initiatives and agencies by name and a period in any of the four date forms, quick
links to each initiative's years, and, once asked, a preview of the report with download
buttons (DOCX, PDF-ready HTML, CSV, Markdown, JSON) that carry every filter of the preview.
The preview and each download come from the same `build_report` as `ingest report`, so the
numbers agree everywhere.

Work is bounded (`report_budget`, `report_job`): reports build in worker processes with a
private read-only connection, within a time budget and a size limit, answering 400 for a
request that asks too much and 503 when busy or out of time, so no report request can hold up
the rest of the site. The archive links are absolute, from the plugin setting `base_url` (the public
address) or else the address the page was requested at.

From a canned query, a column named `report_url` holding a `/-/report?...` path renders as a
link to the page (`report_link`; the `evidence_report` query in metadata.yml does this).
"""

from __future__ import annotations

from html import escape
from typing import Any

from datasette.utils.asgi import Response
from markupsafe import Markup

from ..evidence.citation import check_base_url
from ..evidence.period import HINT
from ..evidence.render import MEDIA_TYPES
from ..evidence.report import ReportTooLarge
from . import monitoring_page
from .report_budget import Busy, Limits, OutOfTime, run_report_job
from .report_form import (
    ROUTE,
    ReportArgs,
    download_links,
    file_name,
    load_choices,
    quick_picks,
    validate,
)
from .report_job import Job, build, run_job
from .settings import PLUGIN_NAME, kb_database_name

LINK_LABEL = "Báo cáo bằng chứng / Evidence report"
REPORT_URL_COLUMN = "report_url"
RETRY_AFTER_S = 30


def base_url(datasette: Any, request: Any) -> str:
    """The public address archive links start with: the `base_url` setting, else this server."""
    configured = (datasette.plugin_config(PLUGIN_NAME) or {}).get("base_url")
    if configured:
        return check_base_url(configured)
    return check_base_url(datasette.absolute_url(request, datasette.urls.path("/")))


async def report_page(request: Any, datasette: Any) -> Response:
    dbname = kb_database_name(datasette)
    db = datasette.get_database(dbname)
    limits = Limits.from_config(datasette.plugin_config(PLUGIN_NAME))
    choices = await load_choices(db)
    args = ReportArgs.from_request(request)
    path = datasette.urls.path(ROUTE)
    context: dict[str, Any] = {
        "args": args,
        "choices": choices,
        "quick": quick_picks(choices, path),
        "hint": HINT,
        "action": path,
        "database": dbname,
        "errors": [],
        "report_html": None,
        "articles": None,
        "downloads": [],
    }
    if not args.submitted:
        return await _page(datasette, request, context)
    problems, period = validate(args, choices)
    if problems or period is None:
        return await _page(datasette, request, {**context, "errors": problems}, 400)
    if request.args.get("monitoring"):  # the activity dossier instead (issue 18)
        return await monitoring_page.dossier_response(
            request,
            datasette,
            {
                "from": period[0].isoformat(),
                "to": period[1].isoformat(),
                "format": "html" if args.fmt == "preview" else args.fmt,
            },
            f'<p><a href="{escape(path)}">← {escape(LINK_LABEL)}</a></p>',
            limits,
        )
    job = Job(
        db_path=db.path or "",
        date_from=period[0],
        date_to=period[1],
        initiatives=tuple(args.initiatives),
        agencies=tuple(args.agencies),
        fmt=args.fmt,
        base_url=base_url(datasette, request),
        max_articles=limits.max_articles,
        time_limit_s=limits.time_limit_s,
    )
    try:
        result = await run_report_job(db, limits, job, run_job, build)
    except Busy:
        return await _unavailable(
            datasette,
            request,
            context,
            "máy chủ đang lập báo cáo khác / the server is busy with other reports",
        )
    except OutOfTime:
        return await _unavailable(
            datasette,
            request,
            context,
            "báo cáo cần quá nhiều thời gian; hãy thu hẹp kỳ báo cáo hoặc chọn ít sáng kiến"
            " hơn / the report took too long; narrow the period or choose fewer initiatives",
        )
    except (ReportTooLarge, ValueError) as exc:
        return await _page(datasette, request, {**context, "errors": [str(exc)]}, 400)
    fmt, body = args.fmt, result.body
    if fmt != "preview":
        name = file_name(args, period, fmt)
        return Response(
            body,
            content_type=MEDIA_TYPES[fmt],
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )
    context.update(
        articles=result.articles,
        report_html=Markup(body),  # built by render_html_body, which escapes every value
        downloads=download_links(args, path),
    )
    return await _page(datasette, request, context)


async def _page(
    datasette: Any, request: Any, context: dict[str, Any], status: int = 200
) -> Response:
    html = await datasette.render_template("kb_report.html", context, request=request)
    return Response.html(html, status=status)


async def _unavailable(datasette: Any, request: Any, context: dict[str, Any], why: str) -> Response:
    response = await _page(
        datasette,
        request,
        {**context, "errors": [f"{why}. Hãy thử lại sau / try again later."]},
        503,
    )
    response.headers["retry-after"] = str(RETRY_AFTER_S)
    return response


def report_link(value: Any, column: str, datasette: Any) -> Markup | None:
    """A `report_url` column (e.g. from the `evidence_report` canned query) becomes a link."""
    if column == REPORT_URL_COLUMN and isinstance(value, str) and value.startswith(ROUTE + "?"):
        href = datasette.urls.path(value)
        return Markup(f'<a class="kb-report-link" href="{escape(href)}">{escape(LINK_LABEL)}</a>')
    return None


def menu_link(datasette: Any) -> dict[str, str]:
    return {"href": datasette.urls.path(ROUTE), "label": LINK_LABEL}
