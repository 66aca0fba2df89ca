"""The Datasette plugin `ingest_vn`: hook registrations only, each handing off to its module.

Registered through the package entry point (`[project.entry-points.datasette]`). What each hook
does lives where its job is: the SQL functions in `sql_functions`, the id-list and time-ordered
facets and filters in `facets` (counted in memory by `facet_counts`), the table's `?_search=`
in `search_ids`, the search, article and archive pages in `pages`, the evidence report in
`report_page`, the canned queries' date parameters in `dates` and their lists of values in
`query_form`, the CSV exports' BOM, formula guard and name columns in `csv_export`, the feeds'
titles in `feeds` and their tolerance of control characters in `atom_safe`, cells in `cells`,
templates and their values in `templating`, the menu in `navigation`, quiet 4xx in `errors`,
bounded work and clear 4xx for a visitor's mistakes in `guard`, and the served database's name
in `settings`.
"""

from __future__ import annotations

from typing import Any

from datasette import hookimpl

from . import (
    atom_safe,
    cells,
    csv_export,
    dates,
    errors,
    facet_counts,
    facets,
    feeds,
    guard,
    navigation,
    pages,
    report_budget,
    report_page,
    search_ids,
    sql_functions,
    templating,
    timeline_page,
)


@hookimpl(trylast=True)
def prepare_connection(conn: Any) -> None:
    """trylast, so our escape_fts replaces Datasette's own."""
    sql_functions.register_functions(conn)


@hookimpl
def startup(datasette: Any) -> None:
    """An error must not hold up other requests: 4xx answered without printing a traceback
    (`errors`; a rich one took half a second of the event loop), a failed query's cursor
    closed in its own thread (`guard`). At startup, once Datasette has loaded
    its own plugins."""
    errors.quiet_client_errors()
    guard.close_failed_cursors()


@hookimpl
def register_magic_parameters(datasette: Any) -> list[tuple[str, Any]]:
    """:_since_<field> / :_until_<field>: a canned query's date bounds, checked (`dates`)."""
    return dates.magic_parameters()


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    """Writes refused and SQL threads shared between kinds of request (`guard`), outermost;
    ``__arraycontains`` on an id list answered from its link table (`facets`); CSV downloads
    with a BOM, formula injection neutralised and names beside id lists (`csv_export`); Atom
    feeds titled with the initiative's name (`feeds`); the report workers shut down when the
    server stops (`report_budget`)."""
    gated = guard.wrap(datasette)

    def wrap(app: Any) -> Any:
        inner = feeds.wrap(csv_export.wrap(app, datasette), datasette)
        return report_budget.stop_with_server(
            gated(facets.arraycontains_via_links(inner, datasette))
        )

    return wrap


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
    templating.configure(env)


@hookimpl
def extra_css_urls(datasette: Any) -> list[str]:
    return [datasette.urls.path("/-/ingest-static/kb.css")]


@hookimpl
def extra_template_vars(
    template: str, database: str | None, table: str | None, request: Any, datasette: Any
) -> Any:
    async def inner() -> dict[str, Any]:
        return await templating.template_vars(template, database, table, request, datasette)

    return inner


@hookimpl
def menu_links(datasette: Any) -> list[dict[str, str]]:
    return navigation.menu_links(datasette)


@hookimpl
def database_actions(datasette: Any, database: str) -> list[dict[str, str]]:
    return [report_page.menu_link(datasette)]


@hookimpl
def render_cell(
    row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any
) -> Any:
    """A `report_url` column links to the report; ids read as names, article and story ids
    as links, `relevant` as yes/no (`cells`). Everything escaped."""
    link = report_page.report_link(value, column, datasette)
    if link is not None:
        return link
    return cells.render(row, value, column, table, database, datasette)


@hookimpl
def register_facet_classes() -> list[type]:
    return [facets.IdListFacet, facets.ChronoFacet, facet_counts.CountedFacet]


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
        *guard.ROUTES,  # /-/databases without file paths, no /-/threads
    ]
