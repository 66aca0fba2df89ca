"""Canned-query parameters as lists of names: a person picks "Lễ hội Thiết kế sáng tạo Hà
Nội", the query gets `design_festival`.

A free-text box asking for "an initiative id, e.g. doc_sports" made every researcher learn
the ids, and a mistyped one answered "0 results" as if nothing had been written. Each
parameter named in metadata.yml (`plugins: ingest_vn: query_parameters:`) gets a label and,
when it has a list of values, a select of names with the ids as values; the URL, the JSON and
CSV exports keep the ids. A value that is not in the list (typed into the URL) is kept, shown
as unknown, and explained beside the empty result.

A parameter's values come from a lookup table (`table: initiatives`, labelled by name), a
query (`sql: ...`, one or two columns: value, label), inline `choices`, or `kinds: activity`
(the activity kinds of `ingest.evidence.activity_kinds`).
"""

from __future__ import annotations

from typing import Any

from ..evidence.activity_kinds import KIND_LABELS
from . import labels
from .settings import PLUGIN_NAME

Choice = tuple[str, str]


def _config(datasette: Any) -> dict[str, Any]:
    return (datasette.plugin_config(PLUGIN_NAME) or {}).get("query_parameters") or {}


async def _choices(db: Any, spec: dict[str, Any]) -> list[Choice] | None:
    """The (value, label) pairs of one parameter, or None for a free-text parameter."""
    if spec.get("table"):
        table = spec["table"]
        english = await labels.english(db, table)
        out = []
        for value, name in (await labels.names(db, table)).items():
            en = english.get(value)
            out.append((value, f"{name} / {en}" if en and en != name else name))
        return sorted(out, key=lambda c: c[1].lower())
    if spec.get("sql"):
        rows = await db.execute(spec["sql"])
        return [(str(r[0]), str(r[1] if len(r) > 1 else r[0])) for r in rows if r[0] is not None]
    if spec.get("choices"):
        return [(str(k), str(v)) for k, v in spec["choices"].items()]
    if spec.get("kinds") == "activity":
        return [(k, f"{vi} / {en}") for k, (vi, en) in KIND_LABELS.items()]
    return None


async def query_fields(datasette: Any, database: str, query_name: str, request: Any) -> dict:
    """name -> {label, hint, choices, required, blank, unknown} for the query's parameters."""
    canned = await datasette.get_canned_query(database, query_name, request.actor)
    if not canned:
        return {}
    config = _config(datasette)
    required = set((config.get("required") or {}).get(query_name) or [])
    db = datasette.get_database(database)
    fields = {}
    for name in canned.get("params") or []:
        spec = config.get(name) or {}
        choices = await _choices(db, spec)
        value = request.args.get(name, "")
        unknown = bool(value) and choices is not None and value not in {v for v, _ in choices}
        fields[name] = {
            "label": spec.get("label") or name,
            "hint": spec.get("hint", ""),
            "choices": choices,
            "required": name in required,
            "blank": (
                "— chọn / choose —" if name in required else spec.get("blank", "tất cả / all")
            ),
            "unknown": unknown,
            "what": spec.get("what", "giá trị / value"),
        }
    return fields
