"""The Datasette plugin `ingest_vn`: hook registrations only, each handing off to its module.

Registered through the package entry point (`[project.entry-points.datasette]`). What each hook
does lives where its job is: the SQL functions in `sql_functions`, the id-list facets and
filters in `facets`, the table's `?_search=` in `search_ids`, the search, article and archive pages in `pages`, the evidence report in
`report_page`, the canned queries' date parameters in `dates`, the CSV exports' BOM and
formula guard in `csv_export`, and the served database's name in `settings`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from datasette import hookimpl
from jinja2 import ChoiceLoader, FileSystemLoader
from markupsafe import Markup, escape

from . import (
    csv_export,
    dates,
    facet_counts,
    facets,
    pages,
    report_page,
    search_ids,
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
def register_magic_parameters(datasette: Any) -> list[tuple[str, Any]]:
    """:_since_<field> / :_until_<field>: a canned query's date bounds, checked (`dates`)."""
    return dates.magic_parameters()


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    """CSV downloads with a BOM and formula injection neutralised (`csv_export`)."""
    return csv_export.wrap


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
    return [facets.IdListFacet, facet_counts.CountedFacet]


@hookimpl
def filters_from_request(request: Any, database: str, table: str, datasette: Any) -> Any:
    return facets.idlist_filters(request, database, table, datasette)


@hookimpl(specname="filters_from_request", trylast=True)
def search_filter(request: Any, database: str, table: str, datasette: Any) -> Any:
    """`?_search=` in one full-text pass (`search_ids`); trylast, so its search box context
    comes after Datasette's own filter, which has no `fts_table` for the table."""
    return search_ids.search_filter(request, database, table, datasette)


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (r"^/-/search$", pages.search_page),
        (r"^/-/article/(?P<id>\d+)$", pages.article_page),
        (r"^/-/archive/(?P<id>\d+)$", pages.archive_page),
        (r"^/-/ingest-static/(?P<path>[A-Za-z0-9_.-]+)$", pages.static_file),
        (r"^/-/report$", report_page.report_page),
        (r"^/-/timeline(?P<format>\.json|\.csv)?$", timeline_page.timeline_page),
    ]
