"""Facets and filters over the articles' JSON id lists (initiatives, agencies), by name.

Registered by `ingest.publish.plugin`; configured in metadata.yml (see `IdListFacet`).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode

from datasette.database import QueryInterrupted
from datasette.facets import ArrayFacet
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args

from . import facet_counts
from .settings import PLUGIN_NAME


class IdListFacet(ArrayFacet):
    """Facet over a JSON array of ids (articles.initiative_ids / agency_ids), labelled by name.

    Why not Datasette's own array facet: it de-duplicates on ``distinct value, inner.*``, i.e.
    on every column including the article text, and its ``__arraycontains`` filter parses the
    JSON of every row; at 100,000 articles the facet ran past the time limit and silently
    disappeared. When the config names a link table (``article_initiatives``), this facet counts
    and filters through it and its index instead; otherwise it counts ``json_each`` over the
    one column. Values are labelled from a lookup table, so researchers see initiative and
    agency names, not ids. Selecting a value adds ``?_has_<column>=<id>`` (see
    `idlist_filters`); ``<column>__arraycontains=<id>`` keeps working too.

    metadata.yml::

        facets:
          - idlist: {column: initiative_ids, labels: initiatives, label_column: name_vi,
                     link_table: article_initiatives, link_key: article_id,
                     link_value: initiative_id}
    """

    type = "idlist"

    async def suggest(self) -> list[dict[str, Any]]:
        return []

    async def _labels(self, config: dict[str, Any]) -> dict[str, str]:
        return await _label_map(self.ds.get_database(self.database), config)

    def _unfiltered(self) -> bool:
        """True when the facet counts over the whole table (Datasette adds no WHERE then)."""
        return not self.params and re.search(r"\bwhere\b", self.sql, re.IGNORECASE) is None

    def _count_sql(self, config: dict[str, Any], column: str, limit: int) -> str:
        if config.get("link_table"):
            link = escape_sqlite(config["link_table"])
            key = escape_sqlite(config.get("link_key", "article_id"))
            value = escape_sqlite(config["link_value"])
            pk = escape_sqlite(config.get("pk", "id"))
            # The whole table (no filter, no search): every link row belongs to an article
            # (a foreign key), so count the link table on its own, 3 ms instead of 80 ms for
            # checking 100,000 article ids.
            where = (
                "" if self._unfiltered() else f"where t.{key} in (select {pk} from ({self.sql})) "
            )
            return (
                f"select t.{value} as value, count(*) as count from {link} t {where}"
                f"group by t.{value} order by count(*) desc, t.{value} limit {limit}"
            )
        return (
            f"select j.value as value, count(*) as count "
            f"from (select {escape_sqlite(column)} as ids from ({self.sql})) as inner_rows, "
            f"json_each(inner_rows.ids) j "
            f"group by j.value order by count(*) desc, j.value limit {limit}"
        )

    async def _counts(self, config: dict[str, Any], column: str, limit: int) -> list[tuple]:
        """(value, count) pairs, most first: a link table is counted in memory over the
        page's ids (`facet_counts`), a JSON column by SQL."""
        if config.get("link_table"):
            found = await facet_counts.link_counts(
                self.ds,
                self.database,
                config["link_table"],
                config.get("link_key", "article_id"),
                config["link_value"],
                self.sql,
                self.params,
                config.get("pk", "id"),
            )
            return found[:limit]
        rows = await self.ds.execute(
            self.database,
            self._count_sql(config, column, limit),
            self.params,
            truncate=False,
            custom_time_limit=self.ds.setting("facet_time_limit_ms"),
        )
        return [(r["value"], r["count"]) for r in rows.rows]

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        results: list[dict[str, Any]] = []
        timed_out: list[str] = []
        facet_size = self.get_facet_size()
        pairs = self.get_querystring_pairs()
        for source_and_config in self.get_configs():
            config = source_and_config["config"]
            column = config.get("column") or config["simple"]
            try:
                found = await self._counts(config, column, facet_size + 1)
            except QueryInterrupted:
                timed_out.append(column)
                continue
            labels = await self._labels(config)
            arg = f"_has_{column}" if config.get("link_table") else f"{column}__arraycontains"
            values = []
            for raw, count in found[:facet_size]:
                value = str(raw)
                selected = (arg, value) in pairs or (f"{column}__arraycontains", value) in pairs
                if selected:
                    toggle = path_with_removed_args(
                        self.request, {arg: value, f"{column}__arraycontains": value}
                    )
                else:
                    toggle = path_with_added_args(self.request, {arg: value})
                values.append(
                    {
                        "value": value,
                        "label": labels.get(value, value),
                        "count": count,
                        "toggle_url": self.ds.absolute_url(self.request, toggle),
                        "selected": selected,
                    }
                )
            results.append(
                {
                    "name": column,
                    "type": self.type,
                    "results": values,
                    "hideable": source_and_config["source"] != "metadata",
                    "toggle_url": self.ds.urls.path(
                        path_with_removed_args(self.request, {f"_facet_{self.type}": column})
                    ),
                    "truncated": len(found) > facet_size,
                }
            )
        return results, timed_out


def _idlist_configs(datasette: Any, database: str, table: str) -> list[dict[str, Any]]:
    facets = (datasette.table_metadata(database, table) or {}).get("facets") or []
    return [
        f["idlist"]
        for f in facets
        if isinstance(f, dict)
        and isinstance(f.get("idlist"), dict)
        and f["idlist"].get("link_table")
    ]


_TABLE_PATH = re.compile(r"^/(?P<database>[^/]+)/(?P<table>[^/]+?)(?:\.(?:json|csv|atom))?$")


def arraycontains_via_links(
    app: Callable[..., Awaitable[None]], datasette: Any
) -> Callable[..., Awaitable[None]]:
    """ASGI middleware: ``<column>__arraycontains=<id>`` on a column with a link table is
    answered as ``_has_<column>=<id>`` (`idlist_filters`).

    Datasette's own ``arraycontains`` reads the JSON of every row with ``json_each``: 1.3 s a
    request at 100,000 articles, and a hook can only add conditions, never drop that one. Old
    links and the filter form's "array contains" keep working, through the link table's index.
    """

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        query = scope.get("query_string", b"") if scope.get("type") == "http" else b""
        if b"__arraycontains=" in query and (m := _TABLE_PATH.match(scope.get("path", ""))):
            columns = {c["column"] for c in _idlist_configs(datasette, m["database"], m["table"])}
            pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True, encoding="latin-1")
            moved = [
                (f"_has_{k[: -len('__arraycontains')]}", v)
                if k.endswith("__arraycontains") and k[: -len("__arraycontains")] in columns
                else (k, v)
                for k, v in pairs
            ]
            if moved != pairs:
                query = urlencode(moved, encoding="latin-1").encode("latin-1")
                scope = dict(scope, query_string=query)
        await app(scope, receive, send)

    return wrapped


def idlist_filters(request: Any, database: str, table: str, datasette: Any) -> Any:
    """``?_has_initiative_ids=<id>``: rows linked to that id, through the indexed link table.

    Described by name ("Sáng kiến / Initiatives: Lễ hội Thiết kế sáng tạo Hà Nội"), not as
    'where initiative_ids has "design_festival"'.
    """
    configs = _idlist_configs(datasette, database, table) if table else []
    if not configs:
        return None

    async def arguments() -> Any:
        from datasette.filters import FilterArguments

        where: list[str] = []
        params: dict[str, str] = {}
        human: list[str] = []
        column_labels = (datasette.plugin_config(PLUGIN_NAME) or {}).get("column_labels") or {}
        db = datasette.get_database(database)
        for config in configs:
            column = config["column"]
            values = request.args.getlist(f"_has_{column}")
            if not values:
                continue
            names = await _label_map(db, config)
            for n, value in enumerate(values):
                name = f"has_{column}_{n}"
                where.append(
                    "{pk} in (select {key} from {link} where {value} = :{name})".format(
                        pk=escape_sqlite(config.get("pk", "id")),
                        key=escape_sqlite(config.get("link_key", "article_id")),
                        link=escape_sqlite(config["link_table"]),
                        value=escape_sqlite(config["link_value"]),
                        name=name,
                    )
                )
                params[name] = value
                human.append(f"{column_labels.get(column, column)}: {names.get(value, value)}")
        return FilterArguments(where, params, human)

    return arguments


async def _label_map(db: Any, config: dict[str, Any]) -> dict[str, str]:
    table, column = config.get("labels"), config.get("label_column")
    if not table or not column:
        return {}
    rows = await db.execute(f"select id, {escape_sqlite(column)} from {escape_sqlite(table)}")
    return {str(r[0]): r[1] for r in rows}


class ChronoFacet(facet_counts.CountedFacet):
    """A column facet in time order (years, months): `{chrono: published_year}` in metadata.yml,
    or `{chrono: {column: published_year, size: 20}}` for more values than the table's
    `facet_size`.

    Datasette's column facet orders values by count, so 2021 came before 2019 and May before
    March. This one counts every value (a year or a month has few), keeps the `size` most
    recent and shows them oldest first; "…" still lists them all. Counted in memory over the
    page's ids, like the other column facets (`facet_counts`).
    """

    type = "chrono"
    ALL_VALUES = 1000

    async def suggest(self) -> list[dict[str, Any]]:
        return []

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        sizes = {
            c["config"].get("column"): c["config"].get("size")
            for c in self.get_configs()
            if isinstance(c["config"], dict)
        }
        default = self.get_facet_size()
        self.get_facet_size = lambda: self.ALL_VALUES  # type: ignore[method-assign]
        try:
            results, timed_out = await super().facet_results()
        finally:
            del self.get_facet_size
        for result in results:
            size = (
                default
                if self.request.args.get("_facet_size")
                else (sizes.get(result["name"]) or default)
            )
            values = sorted(result["results"], key=lambda v: str(v["value"]), reverse=True)
            result["truncated"] = result["truncated"] or len(values) > size
            result["results"] = values[:size][::-1]
        return results, timed_out
