"""What the dashboard pages need beyond datasette-dashboards: names for the filters' values.

datasette-dashboards fills a select filter with the first column of its query, so the
initiative filter offered `creative_spaces`, `design_center`… A filter with `labels:
initiatives` in metadata.yml keeps those ids as values and shows the names
(`templates/dashboard_view.html`).
"""

from __future__ import annotations

from typing import Any

from . import labels

PLUGIN = "datasette-dashboards"


async def dashboard_vars(datasette: Any, request: Any) -> dict[str, Any]:
    slug = (request.url_vars or {}).get("slug")
    config = datasette.plugin_config(PLUGIN) or {}
    dashboard = config.get(slug) if slug else None
    filter_labels: dict[str, dict[str, str]] = {}
    for key, flt in ((dashboard or {}).get("filters") or {}).items():
        table = flt.get("labels")
        if not table or table not in labels.NAME_COLUMNS:
            continue
        try:
            db = datasette.get_database(flt.get("db"))
        except KeyError:
            continue
        english = await labels.english(db, table)
        filter_labels[key] = {
            value: f"{name} / {english[value]}" if english.get(value) else name
            for value, name in (await labels.names(db, table)).items()
        }
    return {"filter_labels": filter_labels}
