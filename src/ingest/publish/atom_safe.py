"""Atom feeds that survive what older rows hold.

Extraction now strips control characters (issue 13), but rows stored before it may still
carry `\\x0b`, `\\x1b` or `\\x01` in a title or a quote, and one such character made lxml (under
datasette-atom's feedgen) refuse the whole feed: both initiatives' feeds answered 500. This
renderer replaces datasette-atom's for the `.atom` extension: it drops the characters XML 1.0
cannot hold from every value of every row, then hands the rows to datasette-atom unchanged
otherwise, so any query with `atom_*` columns (canned or custom) renders.
"""

from __future__ import annotations

import re
from typing import Any

import datasette_atom

# Not allowed anywhere in an XML 1.0 document: C0 controls but tab, LF and CR; lone
# surrogates; U+FFFE and U+FFFF.
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: Any) -> Any:
    """A string with the XML-invalid characters removed; any other value as it is."""
    return XML_INVALID.sub("", value) if isinstance(value, str) else value


def render(
    datasette: Any,
    request: Any,
    sql: str,
    columns: list[str],
    rows: list[Any],
    database: str,
    table: str | None,
    query_name: str | None,
    view_name: str,
    data: dict,
) -> Any:
    clean = [{c: xml_text(row[c]) for c in columns} for row in rows]
    return datasette_atom.render_atom(
        datasette, request, sql, columns, clean, database, table, query_name, view_name, data
    )


def renderer() -> dict[str, Any]:
    return {"extension": "atom", "render": render, "can_render": datasette_atom.can_render_atom}
