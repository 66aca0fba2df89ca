"""Date parameters of the canned queries: the four forms everywhere, a clear error otherwise.

A canned query names the bound it wants as a Datasette *magic parameter*:
`:_since_date_from` is the first day of what the `date_from` field says, `:_until_date_to` the
last day of `date_to` (NULL when the field is blank, for "either may be blank"). Both go through
`ingest.evidence.period`, like the report page, so `2023`, `2023-11`, `2023-11-11` and
`11/11/2023` mean the same thing in every query, and the SQL compares ISO dates, never what
was typed.

Why magic parameters rather than only a SQL function: SQLite replaces any error raised inside
a Python function with "user-defined function raised exception", so the person who typed
`31/31/2023` would never learn what was wrong. A magic parameter is resolved while the query's
parameters are bound, and the `sqlite3.OperationalError` it raises carries our message to
Datasette's error box (HTTP 400, the form still there to correct the value; in JSON as
`error`). For CSV, which would swallow it, the same message comes as Datasette's 400 page.

`vn_date_from(value)` / `vn_date_to(value)` do the same in SQL for ad-hoc queries and charts.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from datasette.utils.asgi import BadRequest

from ..evidence.period import DateError, Side, optional_bound

MAGIC_PREFIXES = {"since": "start", "until": "end"}


def bound_or_null(value: Any, side: Side, name: str | None = None) -> str | None:
    """ISO date of the bound, None when blank; `sqlite3.OperationalError` with our message."""
    try:
        d = optional_bound(None if value is None else str(value), side, name)
    except DateError as exc:
        raise sqlite3.OperationalError(str(exc)) from None
    return d.isoformat() if d else None


def _magic(side: str) -> Callable[[str, Any], str | None]:
    def resolve(name: str, request: Any) -> str | None:
        try:
            return bound_or_null(
                request.args.get(name), "start" if side == "start" else "end", name
            )
        except sqlite3.OperationalError as exc:
            if request.path.endswith(".csv"):
                # Datasette's CSV view drops query errors and streams an empty 200 file;
                # an exception it does not catch becomes its 400 page with the message
                raise BadRequest(str(exc)) from None
            raise

    return resolve


def magic_parameters() -> list[tuple[str, Callable[[str, Any], str | None]]]:
    """(prefix, resolver) pairs for Datasette's `register_magic_parameters` hook."""
    return [(prefix, _magic(side)) for prefix, side in MAGIC_PREFIXES.items()]


def sql_date_from(value: Any) -> str | None:
    return bound_or_null(value, "start")


def sql_date_to(value: Any) -> str | None:
    return bound_or_null(value, "end")
