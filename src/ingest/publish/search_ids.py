"""The table's `?_search=`: one full-text pass per search, reused by the rows, count and facets.

Datasette's own search filter puts `rowid in (select rowid from <fts> where <fts> match ...)`
into the table's SQL, and Datasette runs that SQL once for the rows, once for the count and
once per facet: with seven facets, nine full-text passes over the same query (at 100,000
articles about 35 ms each). Here the filter is
`id in (select value from json_each(vn_search_ids(:search, '<fts>')))`: the SQL function runs
the match once and keeps the matching ids (a JSON array) for as long as the database file is
unchanged, so the other statements of the page, on whichever connection Datasette runs them,
only read the ids. The match expression is `vn_fts_query(q, ranked=False)`, what `escape_fts`
gives Datasette's filter, so the same articles are found.

Configured per table in metadata.yml (instead of Datasette's `fts_table`, which would add its
own clause as well)::

    tables:
      articles:
        vn_search: {fts_table: articles_fts, fts_pk: id}
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
from collections import OrderedDict
from typing import Any

from datasette.utils import escape_sqlite

from .search_query import vn_fts_query

CACHE_ENTRIES = 32
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class _Cache:
    """Least recently used id lists, keyed by the database file's state and the query."""

    def __init__(self, size: int = CACHE_ENTRIES) -> None:
        self.size = size
        self._items: OrderedDict[tuple, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> str | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: tuple, value: str) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


CACHE = _Cache()


def file_state(conn: Any) -> tuple:
    """The main database file and its write-ahead log, as (path, mtime, size) pairs: any commit
    changes one of them, so a cached id list never outlives the data it was read from. An
    in-memory database has no file: its lists are not cached."""
    row = conn.execute("pragma database_list").fetchone()
    path = row[2] if row else ""
    if not path:
        return ()
    state: list[Any] = [path]
    for name in (path, path + "-wal"):
        try:
            st = os.stat(name)
        except OSError:
            state.append(None)
        else:
            state.append((st.st_mtime_ns, st.st_size))
    return tuple(state)


def search_ids(conn: Any, q: Any, fts_table: Any = "articles_fts") -> str:
    """SQL function `vn_search_ids(q [, fts_table])`: the ids matching `q`, as a JSON array."""
    table = str(fts_table)
    if not _IDENT.match(table):
        raise ValueError(f"vn_search_ids: not a table name: {table!r}")
    expr = vn_fts_query(None if q is None else str(q), ranked=False)
    state = file_state(conn)
    key = (state, table, expr)
    if state and (hit := CACHE.get(key)) is not None:
        return hit
    name = escape_sqlite(table)
    try:
        ids = [
            r[0]
            for r in conn.execute(
                f"select rowid from {name} where {name} match ? order by rowid", [expr]
            )
        ]
    except sqlite3.OperationalError as exc:
        if "interrupted" not in str(exc):
            raise
        # The time limit stopped the match. An exception leaving a function reaches SQLite as
        # "user-defined function raised exception" (Datasette: "Invalid SQL"); interrupting
        # the calling statement as well lets it end as the time limit's own "interrupted".
        conn.interrupt()
        return "[]"
    value = json.dumps(ids, separators=(",", ":"))
    if state:
        CACHE.put(key, value)
    return value


def search_filter(request: Any, database: str, table: str, datasette: Any) -> Any:
    """`?_search=` on a table whose metadata has `vn_search`: the clause above, with the search
    box and Datasette's 'search matches' description as its own filter would give them."""
    config = (datasette.table_metadata(database, table) or {}).get("vn_search") if table else None
    if not isinstance(config, dict) or not config.get("fts_table"):
        return None
    fts = str(config["fts_table"])
    if not _IDENT.match(fts):
        return None
    pk = escape_sqlite(str(config.get("fts_pk", "rowid")))

    async def arguments() -> Any:
        from datasette.filters import FilterArguments

        extra: dict[str, Any] = {"supports_search": True}
        q = request.args.get("_search")
        if not q:
            return FilterArguments([], {}, [], extra)
        extra["search"] = q
        where = f"{pk} in (select value from json_each(vn_search_ids(:search, '{fts}')))"
        return FilterArguments([where], {"search": q}, [f'search matches "{q}"'], extra)

    return arguments
