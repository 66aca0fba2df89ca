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
"""

from __future__ import annotations

from typing import Any

from ..text.textnorm import fold
from . import search_ids
from .dates import sql_date_from, sql_date_to
from .passages import exact_score, vn_passage
from .search_query import vn_fts_query, vn_fts_tiers

# SQLite caps this at its compile-time maximum (2 GiB in the usual builds); pages are mapped
# only when read, so a small database costs no more memory than it would in the page cache.
MMAP_BYTES = 2**31


def _sql_fold(value: Any) -> str | None:
    return None if value is None else fold(str(value))


def _sql_fts_form(value: Any, form: Any = "ranked") -> str:
    """``vn_fts_query(q [, form])``: 'ranked' (default), 'filter', 'phrases' or 'rest'."""
    q = None if value is None else str(value)
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
    if text is None:
        return None
    folded = folded if isinstance(folded, str) else None
    return vn_passage(str(text), None if q is None else str(q), width, folded)


def _sql_exact(text: Any, q: Any) -> int:
    return 0 if text is None or q is None else exact_score(str(text), str(q))


def register_functions(conn: Any) -> None:
    """Register the SQL functions on one connection, and memory-map the database for reading.

    A search with facets looks up every matching article once per facet, and through mmap those
    lookups skip a read() system call per page (about a third less time per facet at 100,000
    articles; benchmarks/bench_search.py). Writers are unaffected: WAL frames are still read the
    normal way.
    """
    conn.create_function("vn_fold", 1, _sql_fold, deterministic=True)
    conn.create_function("vn_fts_query", 1, _sql_fts_form, deterministic=True)
    conn.create_function("vn_fts_query", 2, _sql_fts_form, deterministic=True)
    conn.create_function("vn_passage", 2, _sql_passage, deterministic=True)
    conn.create_function("vn_passage", 3, _sql_passage, deterministic=True)
    conn.create_function("vn_passage", 4, _sql_passage, deterministic=True)
    conn.create_function("vn_exact_score", 2, _sql_exact, deterministic=True)
    conn.create_function("vn_date_from", 1, sql_date_from, deterministic=True)
    conn.create_function("vn_date_to", 1, sql_date_to, deterministic=True)
    # the table's ?_search= filters and sorts by date: the unranked form, same matches
    conn.create_function("escape_fts", 1, _sql_fts_filter, deterministic=True)
    search_ids.register(conn)
    conn.execute(f"pragma mmap_size = {MMAP_BYTES}")
