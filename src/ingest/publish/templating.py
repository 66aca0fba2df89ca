"""The plugin's templates and the values they read beyond Datasette's own.

Our templates come first in the loader (the plugin is a module, so Datasette cannot find
them itself); `default:<name>` still reaches Datasette's, which ours extend. Filters:
`kb_date` writes an ISO date day-first as Vietnamese readers do (11/11/2023), `kb_datetime`
with the time when there is one (11/11/2023 20:00).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, FileSystemLoader

from ..evidence.period import format_date_vi
from . import dashboard_vars, query_form, table_vars
from .settings import PLUGIN_NAME, kb_database_name

TEMPLATES_DIR = Path(__file__).parent / "templates"
UNKNOWN_DATE = "không rõ ngày / undated"


def display_date(value: Any) -> str:
    return format_date_vi(str(value)) if value else UNKNOWN_DATE


def display_datetime(value: Any) -> str:
    """11/11/2023 20:00 for an ISO time with its hour (publication, fetch), else the date."""
    if not value:
        return UNKNOWN_DATE
    text = str(value)
    day = format_date_vi(text)
    time = text[11:16] if len(text) >= 16 and text[10] in "T " else ""
    return f"{day} {time}" if time and time != "00:00" else day


def configure(env: Any) -> None:
    env.loader = ChoiceLoader([FileSystemLoader(str(TEMPLATES_DIR)), env.loader])
    env.filters["kb_date"] = display_date
    env.filters["kb_datetime"] = display_datetime


def _query_name(template: str, request: Any) -> str | None:
    if not template.startswith("query") or request is None:
        return None
    return (request.url_vars or {}).get("table")


async def template_vars(
    template: str, database: str | None, table: str | None, request: Any, datasette: Any
) -> dict[str, Any]:
    """What every page may use (the served database, the column and value labels of
    metadata.yml) and what one kind of page needs (a canned query's choices, a dashboard's
    filter labels)."""
    config = datasette.plugin_config(PLUGIN_NAME) or {}
    out: dict[str, Any] = {
        "kb_database": kb_database_name(datasette),
        "kb_column_labels": config.get("column_labels") or {},
        "kb_value_labels": {
            column: {str(k): v for k, v in values.items()}
            for column, values in (config.get("value_labels") or {}).items()
        },
    }
    if template.startswith("database"):
        out["kb_table_order"] = config.get("table_order") or []
    if template.startswith("table") and database and request is not None:
        out["kb_filters"] = await table_vars.filter_descriptions(
            datasette, database, request, config
        )
        out["kb_table_columns"] = config.get("table_columns") or {}
        out["kb_facet_order"] = table_vars.facet_order(datasette, database, table)
    name = _query_name(template, request)
    if name and database:
        out["kb_query_fields"] = await query_form.query_fields(datasette, database, name, request)
    if template.startswith("dashboard") and request is not None:
        out["kb_dashboard"] = await dashboard_vars.dashboard_vars(datasette, request)
    return out
