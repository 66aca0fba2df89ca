"""The Datasette plugin `ingest_vn`: hook registrations only, each handing off to its module.

Registered through the package entry point (`[project.entry-points.datasette]`). What each hook
does lives where its job is: the SQL functions in `sql_functions`, the id-list facets and
filters in `facets`, the search, article and archive pages in `pages`, the evidence report in
`report_page`, the canned queries' date parameters in `dates`, the CSV exports' BOM and
formula guard in `csv_export`, bounded work and clear 4xx in `guard`, Atom output that
tolerates control characters in `atom_safe`, and the served database's name in `settings`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from datasette import hookimpl
from jinja2 import ChoiceLoader, FileSystemLoader
from markupsafe import Markup, escape

from . import (
    atom_safe,
    csv_export,
    dates,
    facets,
    guard,
    pages,
    report_page,
    sql_functions,
    timeline_page,
)
from .settings import kb_database_name

TEMPLATES_DIR = Path(__file__).parent / "templates"


@hookimpl(trylast=True)
def prepare_connection(conn: Any) -> None:
    """trylast, so our escape_fts replaces Datasette's own."""
    sql_functions.register_functions(conn)


@hookimpl
def startup(datasette: Any) -> None:
    """An error must not hold up other requests (`guard`): no rich traceback per error page,
    a failed query's cursor closed in its own thread. At startup, once Datasette has loaded
    its own plugins."""
    guard.quiet_tracebacks()
    guard.close_failed_cursors()


@hookimpl
def register_magic_parameters(datasette: Any) -> list[tuple[str, Any]]:
    """:_since_<field> / :_until_<field>: a canned query's date bounds, checked (`dates`)."""
    return dates.magic_parameters()


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    """Writes refused and SQL threads shared between kinds of request (`guard`), outermost;
    CSV downloads with a BOM and formula injection neutralised (`csv_export`)."""
    gated = guard.wrap(datasette)
    return lambda app: gated(csv_export.wrap(app))


@hookimpl(tryfirst=True)
def handle_exception(datasette: Any, request: Any, exception: BaseException) -> Any:
    """A visitor's mistake (unknown sort, number out of range, too broad) answers 400 (`guard`)."""
    return guard.handle_exception(datasette, request, exception)


@hookimpl(trylast=True)
def register_output_renderer(datasette: Any) -> Any:
    """Atom feeds that tolerate control characters in older rows (`atom_safe`); trylast, so
    it replaces datasette-atom's renderer, which it calls."""
    return atom_safe.renderer()


@hookimpl
def prepare_jinja2_environment(env: Any) -> None:
    """Put our templates first: the plugin is a module, so Datasette cannot find them itself."""
    env.loader = ChoiceLoader([FileSystemLoader(str(TEMPLATES_DIR)), env.loader])


@hookimpl
def extra_css_urls(datasette: Any) -> list[str]:
    return [datasette.urls.path("/-/ingest-static/kb.css")]


@hookimpl
def extra_template_vars(datasette: Any) -> dict[str, Any]:
    return {"kb_database": kb_database_name(datasette)}


@hookimpl
def menu_links(datasette: Any) -> list[dict[str, str]]:
    return [
        {"href": datasette.urls.path("/-/search"), "label": "Tìm kiếm / Search"},
        report_page.menu_link(datasette),
        timeline_page.menu_link(datasette),
    ]


@hookimpl
def database_actions(datasette: Any, database: str) -> list[dict[str, str]]:
    return [report_page.menu_link(datasette)]


@hookimpl
def render_cell(
    row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any
) -> Any:
    """A `report_url` column links to the report; in the articles table the title links to the
    readable article page. Both escaped."""
    link = report_page.report_link(value, column, datasette)
    if link is not None:
        return link
    if table == "articles" and column == "title" and isinstance(value, str):
        try:
            article_id = int(row["id"])
        except (KeyError, IndexError, TypeError, ValueError):
            return None
        href = datasette.urls.path(f"/-/article/{article_id}")
        return Markup(f'<a class="kb-article-link" href="{escape(href)}">{escape(value)}</a>')
    return None


@hookimpl
def register_facet_classes() -> list[type]:
    return [facets.IdListFacet]


@hookimpl
def filters_from_request(request: Any, database: str, table: str, datasette: Any) -> Any:
    return facets.idlist_filters(request, database, table, datasette)


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (r"^/-/search$", pages.search_page),
        (r"^/-/article/(?P<id>\d+)$", pages.article_page),
        (r"^/-/archive/(?P<id>\d+)$", pages.archive_page),
        (r"^/-/ingest-static/(?P<path>[A-Za-z0-9_.-]+)$", pages.static_file),
        (r"^/-/report$", report_page.report_page),
        (r"^/-/timeline(?P<format>\.json|\.csv)?$", timeline_page.timeline_page),
        *guard.ROUTES,  # /-/databases without file paths, no /-/threads
    ]
