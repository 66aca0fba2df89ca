"""The programme's activity timeline at `/-/timeline` (and `.json`, `.csv` of the same rows).

What happened, when, where, who and how many, each with the sentence that proves it: one
entry per activity (`ingest.activities.story_activity`), newest last, with its date (marked when it is
only the publication date), venue, organisers and partners, figures grouped by what they count
(two outlets giving 60 and 70 activities both show, each with its outlet), and the quotes with
links to the article page (`/-/article/<id>`) and the archived copy (`/-/archive/<id>`).
Filters: initiative, level (local / international / umbrella, from the taxonomy), year, agency
and kind, all as query parameters, so a filtered view is a link and its `.csv` is the same rows.
Above the list, an initiative × year chart of the activities shown.

Read-only and escaped: every crawled value reaches the page through Jinja's autoescape (the
template) or `markupsafe.escape`, and the chart is an inline SVG built in the template.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from typing import Any
from urllib.parse import urlencode

from datasette.utils.asgi import Response

from ..activities.kinds import KIND_LABELS, KINDS
from ..activities.roles import ROLE_LABELS
from .settings import kb_database_name

ROUTE = "/-/timeline"
LINK_LABEL = "Dòng thời gian hoạt động / Activity timeline"
FILTERS = ("initiative", "level", "year", "agency", "kind")
LEVEL_LABELS = {
    "local": ("Cấp địa phương", "Local level"),
    "international": ("Cấp quốc tế", "International level"),
    "umbrella": ("Chủ đề chung", "Umbrella topics"),
}
ACTIVITIES_SQL = """
select a.* from activities a
where (:kind = '' or a.kind = :kind)
  and (:year = '' or a.year = cast(:year as integer))
  and (:initiative = '' or exists (select 1 from json_each(a.initiative_ids) where value = :initiative))
  and (:level = '' or exists (select 1 from json_each(a.levels) where value = :level))
  and (:agency = '' or exists (select 1 from json_each(a.agency_ids) where value = :agency))
order by coalesce(a.event_date, '9999'), a.id
"""
FACTS_SQL = """
select f.*, s.name as outlet, ar.url as article_url, ar.published_date as article_date,
  ar.warc_file is not null as archived
from activity_facts f
left join sources s on s.id = f.source_id
left join articles ar on ar.id = f.article_id
where f.activity_id in (select value from json_each(:ids))
order by f.activity_id, f.is_primary desc, f.id
"""
CSV_COLUMNS = [
    "id", "event_date", "event_end", "date_source", "kind", "title", "initiatives", "levels",
    "venue", "organisers", "partners", "figures", "outlets", "articles", "quotes",
]  # fmt: skip


def _filters(request: Any) -> dict[str, str]:
    out = {k: (request.args.get(k) or "").strip() for k in FILTERS}
    if out["year"] and not out["year"].isdigit():
        out["year"] = ""
    if out["kind"] and out["kind"] not in KINDS:
        out["kind"] = ""
    return out


async def _names(db: Any) -> dict[str, dict[str, Any]]:
    inits = {
        r["id"]: dict(r)
        for r in await db.execute(
            "select id, name_vi, name_en, kind, level from initiatives order by rowid"
        )
    }
    agencies = {
        r["id"]: dict(r) for r in await db.execute("select id, name_vi, name_en from agencies")
    }
    return {"initiatives": inits, "agencies": agencies}


def build_entries(
    rows: list[dict[str, Any]], facts: list[dict[str, Any]], names: dict[str, dict]
) -> list[dict[str, Any]]:
    """Timeline entries from activity rows and their facts (plain dicts, for the template,
    the JSON and the CSV alike)."""
    by_activity: dict[int, list[dict]] = defaultdict(list)
    for f in facts:
        by_activity[f["activity_id"]].append(f)
    inits, agencies = names["initiatives"], names["agencies"]
    out = []
    for r in rows:
        fs = by_activity.get(r["id"], [])
        figures: dict[str, list[dict]] = defaultdict(list)
        for f in fs:
            if f["field"] == "figure":
                figures[f["counts"] or ""].append(f)
        quotes: list[dict] = []
        seen: set[tuple[int, str]] = set()
        for f in fs:
            if not f["quote"] or (f["article_id"], f["quote"]) in seen:
                continue
            seen.add((f["article_id"], f["quote"]))
            quotes.append(
                {
                    "text": f["quote"],
                    "fields": sorted({x["field"] for x in fs if x["quote"] == f["quote"]}),
                    "article_id": f["article_id"],
                    "outlet": f["outlet"] or f["source_id"],
                    "url": f["article_url"],
                    "date": f["article_date"],
                    "archived": bool(f["archived"]),
                }
            )
        init_ids = json.loads(r["initiative_ids"] or "[]")
        out.append(
            {
                "id": r["id"],
                "key": r["key"],
                "kind": r["kind"],
                "kind_label": KIND_LABELS.get(r["kind"], (r["kind"], r["kind"])),
                "title": r["title"],
                "event_date": r["event_date"],
                "event_end": r["event_end"],
                "date_source": r["date_source"],
                "year": r["year"],
                "venue_id": r["venue_id"],
                "venue": r["venue_name"],
                "initiatives": [
                    {
                        "id": i,
                        "name_vi": inits.get(i, {}).get("name_vi", i),
                        "name_en": inits.get(i, {}).get("name_en", i),
                    }
                    for i in init_ids
                ],  # fmt: skip
                "levels": json.loads(r["levels"] or "[]"),
                "organisers": [_agency(a, agencies) for a in json.loads(r["organiser_ids"])],
                "partners": [_agency(a, agencies) for a in json.loads(r["partner_ids"])],
                "figures": [
                    {
                        "counts": counts,
                        "values": [
                            {
                                "label": f["label"],
                                "number": f["number"],
                                "outlet": f["outlet"] or f["source_id"],
                                "article_id": f["article_id"],
                            }
                            for f in group
                        ],  # fmt: skip
                        "disagree": len({f["value"] for f in group}) > 1,
                    }
                    for counts, group in figures.items()
                ],
                "document": r["document"],
                "edition": r["edition"],
                "outlets": json.loads(r["source_ids"] or "[]"),
                "story_count": r["story_count"],
                "article_count": r["article_count"],
                "conflicts": json.loads(r["conflicts"] or "[]"),
                "quotes": quotes,
                "facts": [
                    {
                        k: f[k]
                        for k in (
                            "field",
                            "value",
                            "unit",
                            "number",
                            "counts",
                            "qualifier",
                            "label",
                            "quote",
                            "article_id",
                            "source_id",
                            "text_field",
                            "start",
                            "end",
                            "mention_start",
                            "mention_end",
                        )
                    }
                    | {"primary": bool(f["is_primary"])}
                    for f in fs
                ],  # fmt: skip
            }
        )
    return out


def _agency(aid: str, agencies: dict[str, dict]) -> dict[str, str]:
    a = agencies.get(aid, {})
    return {"id": aid, "name_vi": a.get("name_vi", aid), "name_en": a.get("name_en", aid)}


def chart(
    entries: list[dict[str, Any]], inits: dict[str, dict], filters: dict[str, str] | None = None
) -> dict[str, Any]:
    """Initiative × year counts of the entries shown, for the template's SVG; with an initiative
    or level filter, only the rows that filter chose."""
    f = filters or {}
    counts: Counter[tuple[str, int]] = Counter()
    for e in entries:
        if e["year"] is None:
            continue
        for i in e["initiatives"]:
            if f.get("initiative") and i["id"] != f["initiative"]:
                continue
            if f.get("level") and inits.get(i["id"], {}).get("level") != f["level"]:
                continue
            counts[(i["id"], e["year"])] += 1
    years = sorted({y for _, y in counts})
    rows = [i for i in inits if any(k[0] == i for k in counts)]
    peak = max(counts.values(), default=1)
    return {
        "years": years,
        "rows": [
            {
                "id": i,
                "name_vi": inits[i]["name_vi"],
                "name_en": inits[i]["name_en"],
                "cells": [{"year": y, "n": counts.get((i, y), 0)} for y in years],
            }
            for i in rows
        ],
        "peak": peak,
    }


def to_csv(entries: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CSV_COLUMNS)
    for e in entries:
        w.writerow(
            [
                e["id"],
                e["event_date"] or "",
                e["event_end"] or "",
                e["date_source"],
                e["kind"],
                e["title"],
                ";".join(i["id"] for i in e["initiatives"]),
                ";".join(e["levels"]),
                e["venue"] or "",
                ";".join(a["id"] for a in e["organisers"]),
                ";".join(a["id"] for a in e["partners"]),
                "; ".join(
                    f"{v['label']} ({v['outlet']})" for g in e["figures"] for v in g["values"]
                ),
                ";".join(e["outlets"]),
                ";".join(sorted({str(q["article_id"]) for q in e["quotes"] if q["article_id"]})),
                " | ".join(q["text"] for q in e["quotes"]),
            ]
        )
    return buf.getvalue()


async def timeline_page(request: Any, datasette: Any) -> Response:
    dbname = kb_database_name(datasette)
    db = datasette.get_database(dbname)
    fmt = (request.url_vars.get("format") or "").lstrip(".")
    filters = _filters(request)
    if "activities" not in await db.table_names():
        return Response.text("the knowledge base has no activity tables yet", status=404)
    names = await _names(db)
    rows = [dict(r) for r in await db.execute(ACTIVITIES_SQL, filters)]
    facts = [
        dict(r) for r in await db.execute(FACTS_SQL, {"ids": json.dumps([r["id"] for r in rows])})
    ]
    entries = build_entries(rows, facts, names)
    if fmt == "json":
        return Response.json({"filters": filters, "count": len(entries), "activities": entries})
    if fmt == "csv":
        return Response(
            to_csv(entries),
            content_type="text/csv; charset=utf-8",
            headers={"content-disposition": 'attachment; filename="timeline.csv"'},
        )
    years = [r[0] for r in await db.execute("select distinct year from activities where year"
                                             " is not null order by year")]  # fmt: skip
    used_agencies = sorted(
        {a for r in await db.execute("select agency_ids from activities")
         for a in json.loads(r[0] or "[]")}
    )  # fmt: skip
    query = urlencode({k: v for k, v in filters.items() if v})
    return Response.html(
        await datasette.render_template(
            "kb_timeline.html",
            {
                "entries": entries,
                "filters": filters,
                "initiatives": list(names["initiatives"].values()),
                "agencies": [
                    names["agencies"].get(a, {"id": a, "name_vi": a}) for a in used_agencies
                ],
                "years": years,
                "kinds": [(k, KIND_LABELS[k]) for k in KINDS],
                "levels": LEVEL_LABELS,
                "role_labels": ROLE_LABELS,
                "chart": chart(entries, names["initiatives"], filters),
                "query": query,
                "database": dbname,
            },
            request=request,
        )
    )


def menu_link(datasette: Any) -> dict[str, str]:
    return {"href": datasette.urls.path(ROUTE), "label": LINK_LABEL}
