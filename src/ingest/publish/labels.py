"""Names for the ids people read: initiatives, agencies and outlets, looked up by id.

Ids stay in the data, the URLs and the JSON API (they are the public contract); pages, facets,
cells and CSV exports show the names beside them. The lookup tables are small (tens of rows)
and change only when the nightly run syncs the taxonomy, so each is read at most once a
minute per database.
"""

from __future__ import annotations

import time
from typing import Any

from datasette.utils import escape_sqlite

# table -> its name column; the English name where the table has one
NAME_COLUMNS = {"initiatives": "name_vi", "agencies": "name_vi", "sources": "name"}
ENGLISH_COLUMNS = {"initiatives": "name_en", "agencies": "name_en"}
TTL_S = 60.0

_cache: dict[tuple[str, str, str], tuple[float, dict[str, str]]] = {}


async def _lookup(db: Any, table: str, column: str) -> dict[str, str]:
    key = (db.name, str(db.path or ""), f"{table}.{column}")
    hit = _cache.get(key)
    if hit and time.monotonic() - hit[0] < TTL_S:
        return hit[1]
    if table not in await db.table_names():
        found: dict[str, str] = {}
    else:
        rows = await db.execute(f"select id, {escape_sqlite(column)} from {escape_sqlite(table)}")
        found = {str(r[0]): r[1] for r in rows if r[1]}
    _cache[key] = (time.monotonic(), found)
    return found


async def names(db: Any, table: str) -> dict[str, str]:
    """id -> Vietnamese name (outlet name for `sources`)."""
    return await _lookup(db, table, NAME_COLUMNS[table])


async def english(db: Any, table: str) -> dict[str, str]:
    """id -> English name (empty for tables without one)."""
    column = ENGLISH_COLUMNS.get(table)
    return await _lookup(db, table, column) if column else {}


def clear() -> None:
    """Forget every lookup (tests that rewrite a database in place)."""
    _cache.clear()
