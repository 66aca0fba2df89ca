"""SQL functions registered on every Datasette connection, so canned queries, the table search
box and the pages all fold, match and cut passages the same way.

- ``vn_fold(text)``: the pipeline's folding (`ingest.text.textnorm.fold`).
- ``vn_fts_query(q [, form])``: a safe FTS5 MATCH expression from what a person typed.
- ``vn_passage(text, q [, width [, folded]])``: the passage of the original text that best
  matches the query.
- ``vn_exact_score(text, q)``: how many of the terms typed with diacritics occur in `text` with
  them (`passages.exact_score`); the search ranks those articles first (`search_rank`).
- ``vn_date_from(d)`` / ``vn_date_to(d)``: the first / last day of a typed date (2023, 2023-11,
  2023-11-11 or 11/11/2023) as ISO, NULL when blank (`dates`).
- ``vn_search_ids(q [, fts_table])``: the ids matching ``q``, as a JSON array, computed once per
  query and database state (`search_ids`: the table's ``?_search=`` reads it).
- ``escape_fts(q)``: replaced by the unranked form of ``vn_fts_query`` so the table search box
  (``?_search=``) finds exactly what the search page finds.

Bounded work. SQLite's time limit (Datasette's progress handler) stops a query between
virtual-machine steps, never inside one call of a Python function, and Python work holds the
GIL the whole server shares: one `vn_passage` over 8 MB of text ran 17 s and took 3.7 GB. So
every function refuses an input past its cap (`MAX_TEXT_CHARS` of text, `MAX_QUERY_CHARS` of
query; `search_query.MAX_QUERY_WORDS` words), raising OverflowError, which SQLite reports as
"string or blob too big" and the plugin answers 400 naming the caps (`guard`). Under the caps
one call costs well under a second (benchmarks/bench_sql_dos.py), so the time limit,
checked between calls, holds. Each connection also caps any value SQLite itself builds
(`SQLITE_LIMIT_LENGTH`, `MAX_VALUE_BYTES`): `hex(zeroblob(1e9))` fails at once instead of
taking gigabytes.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

from ..text.textnorm import fold
from . import search_ids
from .dates import sql_date_from, sql_date_to
from .passages import exact_score, vn_passage
from .search_query import vn_fts_query, vn_fts_tiers

# SQLite caps this at its compile-time maximum (2 GiB in the usual builds); pages are mapped
# only when read, so a small database costs no more memory than it would in the page cache.
MMAP_BYTES = 2**31
# The longest article body seen in any outlet is under 100,000 characters; ten times that is a
# book, and a passage over it still takes a fraction of a second.
MAX_TEXT_CHARS = 1_000_000
MAX_QUERY_CHARS = 2_000
MAX_VALUE_BYTES = 64 * 2**20  # any string or blob a query builds (SQLite's default: 1 GB)
FUNCTIONS = (
    "vn_fold",
    "vn_fts_query",
    "vn_passage",
    "vn_exact_score",
    "vn_date_from",
    "vn_date_to",
    "escape_fts",
    "vn_search_ids",
)


# Fair share of the GIL. SQLite calls a Python function once per row, releasing the GIL for
# an instant between calls and taking it straight back, and CPython's GIL never forces a
# switch away from a thread that keeps doing that: a query calling vn_passage on every row
# starved the event loop, and `select 1` waited two seconds. So a thread that has spent
# `BUSY_S` in these functions sleeps `YIELD_S` (10% of its time), and the server answers.
BUSY_S = 0.02
YIELD_S = 0.002
_turn = threading.local()


def _fair(fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return fn(*args)
        finally:
            busy = getattr(_turn, "busy", 0.0) + time.perf_counter() - t0
            if busy >= BUSY_S:
                time.sleep(YIELD_S)
                busy = 0.0
            _turn.busy = busy

    call.__name__ = fn.__name__
    return call


class InputTooLarge(OverflowError):
    """An argument past a function's cap; SQLite turns OverflowError into SQLITE_TOOBIG."""


def _capped(value: Any, limit: int, what: str) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    if len(text) > limit:
        raise InputTooLarge(f"{what}: {len(text):,} characters, more than {limit:,}")
    return text


def _sql_fold(value: Any) -> str | None:
    text = _capped(value, MAX_TEXT_CHARS, "vn_fold text")
    return None if text is None else fold(text)


def _sql_fts_form(value: Any, form: Any = "ranked") -> str:
    """``vn_fts_query(q [, form])``: 'ranked' (default), 'filter', 'phrases' or 'rest'."""
    q = _capped(value, MAX_QUERY_CHARS, "vn_fts_query query")
    if form == "filter":
        return vn_fts_query(q, ranked=False)
    if form in ("phrases", "rest"):
        return vn_fts_tiers(q)[form == "rest"]
    if form in (None, "", "ranked"):
        return vn_fts_query(q)
    raise ValueError(f"vn_fts_query: unknown form {form!r} (ranked, filter, phrases, rest)")


def _sql_fts_filter(value: Any) -> str:
    return _sql_fts_form(value, "filter")


def _sql_passage(text: Any, q: Any, width: Any = None, folded: Any = None) -> str | None:
    body = _capped(text, MAX_TEXT_CHARS, "vn_passage text")
    if body is None:
        return None
    query = _capped(q, MAX_QUERY_CHARS, "vn_passage query")
    folded = folded if isinstance(folded, str) and len(folded) == len(body) else None
    try:
        size = int(width) if width is not None else None
    except (TypeError, ValueError):
        raise ValueError(f"vn_passage: width {width!r} is not a number") from None
    if size is not None and not 1 <= size <= 10_000:
        raise InputTooLarge(f"vn_passage width: {size}, not within 1-10,000")
    return vn_passage(body, query, size, folded)


def _sql_exact(text: Any, q: Any) -> int:
    body = _capped(text, MAX_TEXT_CHARS, "vn_exact_score text")
    query = _capped(q, MAX_QUERY_CHARS, "vn_exact_score query")
    return 0 if body is None or query is None else exact_score(body, query)


def register_functions(conn: Any) -> None:
    """Register the SQL functions on one connection, and memory-map the database for reading.

    A search with facets looks up every matching article once per facet, and through mmap those
    lookups skip a read() system call per page (about a third less time per facet at 100,000
    articles; benchmarks/bench_search.py). Writers are unaffected: WAL frames are still read the
    normal way.
    """
    for name, nargs, fn in (
        ("vn_fold", 1, _sql_fold),
        ("vn_fts_query", 1, _sql_fts_form),
        ("vn_fts_query", 2, _sql_fts_form),
        ("vn_passage", 2, _sql_passage),
        ("vn_passage", 3, _sql_passage),
        ("vn_passage", 4, _sql_passage),
        ("vn_exact_score", 2, _sql_exact),
        ("vn_date_from", 1, sql_date_from),
        ("vn_date_to", 1, sql_date_to),
        # the table's ?_search= filters and sorts by date: the unranked form, same matches
        ("escape_fts", 1, _sql_fts_filter),
    ):
        conn.create_function(name, nargs, _fair(fn), deterministic=True)

    def ids(q: Any, fts_table: Any = "articles_fts") -> str:
        return search_ids.search_ids(
            conn, _capped(q, MAX_QUERY_CHARS, "vn_search_ids query"), fts_table
        )

    for nargs in (1, 2):  # not deterministic: the ids follow the data
        conn.create_function("vn_search_ids", nargs, _fair(ids))
    conn.execute(f"pragma mmap_size = {MMAP_BYTES}")
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
