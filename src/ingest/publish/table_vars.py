"""What a table page says about its filters, by name: "Báo / Outlet: Hà Nội Mới · Sáng kiến /
Initiatives: Lễ hội Thiết kế sáng tạo Hà Nội", not 'where source_id = "hanoimoi" and
initiative_ids has "design_festival"'.

Datasette's description names columns and ids; the table template shows this one instead
(`templates/table.html`). Column names come from `column_labels` in metadata.yml, values from
the lookup tables (`labels`) or `value_labels`.
"""

from __future__ import annotations

from typing import Any

from . import labels
from .cells import ID_LISTS

# columns holding one id of a lookup table
ID_COLUMNS = {
    "source_id": "sources",
    "initiative_id": "initiatives",
    "agency_id": "agencies",
    "primary_initiative": "initiatives",
}
OPERATORS = {
    "not": "≠",
    "gt": ">",
    "gte": "≥",
    "lt": "<",
    "lte": "≤",
    "contains": "chứa / contains",
    "startswith": "bắt đầu bằng / starts with",
    "isnull": "trống / is empty",
    "notnull": "không trống / is not empty",
}


async def filter_descriptions(
    datasette: Any, database: str, request: Any, config: dict[str, Any]
) -> list[str]:
    """One phrase per filter of the request, in the order the URL gives them."""
    db = datasette.get_database(database)
    column_labels = config.get("column_labels") or {}
    value_labels = {
        c: {str(k): v for k, v in values.items()}
        for c, values in (config.get("value_labels") or {}).items()
    }

    async def shown(column: str, value: str) -> str:
        table = ID_COLUMNS.get(column) or ID_LISTS.get(column)
        if table:
            return (await labels.names(db, table)).get(value, value)
        return value_labels.get(column, {}).get(value, value)

    out = []
    for key in request.args.keys():
        for value in request.args.getlist(key):
            if key == "_search" and value:
                out.append(f"Tìm / Search: «{value}»")
                continue
            if key.startswith("_has_"):
                column, op = key.removeprefix("_has_"), "exact"
            elif key.startswith("_"):
                continue
            else:
                column, _, op = key.partition("__")
                op = op or "exact"
            label = column_labels.get(column, column)
            if op in ("exact", "arraycontains"):
                out.append(f"{label}: {await shown(column, value)}")
            elif op in ("isnull", "notnull"):
                out.append(f"{label} {OPERATORS[op]}")
            else:
                out.append(f"{label} {OPERATORS.get(op, op)} {await shown(column, value)}")
    return out


def facet_order(datasette: Any, database: str, table: str | None) -> list[str]:
    """The facets' columns in the order metadata.yml lists them (Datasette orders facets by
    how many values they have, which put the month list first)."""
    if not table:
        return []
    out = []
    for facet in (datasette.table_metadata(database, table) or {}).get("facets") or []:
        if isinstance(facet, str):
            out.append(facet)
        elif isinstance(facet, dict) and facet:
            config = next(iter(facet.values()))
            out.append(config.get("column") if isinstance(config, dict) else config)
    return [c for c in out if c]
