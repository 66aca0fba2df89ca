"""The monitoring dossier: the activity timeline in the order of Hanoi's UNESCO monitoring report.

The four-yearly Membership Monitoring Report lists what the city did per initiative: first the
local-level initiatives, then the international-level ones, then the umbrella topics (the
membership itself, the cultural-industries policy), in the taxonomy's order within each level.
For each initiative the dossier gives its activities in date order — kind, date (marked when it
is only a publication date), venue, organisers and partners, figures — each fact with its quote
and a citation (outlet, date, title, URL, archived copy and its SHA-256), then the coverage
figures of the evidence report (`evidence.report.build_report`: stories and articles per year,
per outlet), so both documents give the same numbers.

`build_dossier` reads the database and returns plain dataclasses; `monitoring_render` writes
them as Markdown, HTML, CSV and DOCX. An activity belongs to the period by its event date.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlite_utils

from ..activities.kinds import KIND_LABELS
from ..clock import now_vn
from .report import InitiativeSection, ReportQuery, build_report

LEVEL_ORDER = ("local", "international", "umbrella")
LEVEL_TITLES = {
    "local": ("Các sáng kiến cấp địa phương", "Local-level initiatives"),
    "international": ("Các sáng kiến cấp quốc tế", "International-level initiatives"),
    "umbrella": ("Các chủ đề chung", "Umbrella topics"),
}
FACT_ORDER = ("date", "date_end", "venue", "organiser", "partner", "figure", "document", "edition")


@dataclass(frozen=True)
class Citation:
    article_id: int
    outlet: str
    published: str | None
    title: str
    url: str
    raw_sha256: str | None
    archived: bool


@dataclass(frozen=True)
class DossierFact:
    field: str
    value: str
    label: str  # what the report prints: "hơn 70 hoạt động", a venue or agency name, a date
    quote: str
    citation: Citation | None
    primary: bool
    note: str = ""  # e.g. "ngày đăng bài (publication date)"


@dataclass
class DossierActivity:
    id: int
    kind: str
    kind_vi: str
    kind_en: str
    title: str
    event_date: str | None
    event_end: str | None
    date_source: str
    venue: str | None
    organisers: list[str]
    partners: list[str]
    facts: list[DossierFact]
    citations: list[Citation]
    conflicts: list[str]


@dataclass
class DossierSection:
    id: str
    name_vi: str
    name_en: str
    level: str
    kind: str
    activities: list[DossierActivity]
    coverage: InitiativeSection | None


@dataclass
class Dossier:
    date_from: date
    date_to: date
    generated_at: str
    sections: list[DossierSection] = field(default_factory=list)

    @property
    def levels(self) -> list[tuple[str, list[DossierSection]]]:
        return [(lv, [s for s in self.sections if s.level == lv]) for lv in LEVEL_ORDER]


def _rows(db: sqlite_utils.Database, sql: str, params: list[Any] | dict) -> list[dict]:
    cur = db.execute(sql, params)
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def build_dossier(
    db: sqlite_utils.Database,
    date_from: date,
    date_to: date,
    *,
    max_articles: int | None = None,
    check: Callable[[], None] | None = None,
) -> Dossier:
    """The dossier for a period (inclusive), every initiative and topic in report order.

    `max_articles` and `check` bound the work as for the evidence report (`build_report`):
    the web page passes its size limit and a time budget; the command line neither."""
    step = check or (lambda: None)
    inits = _rows(
        db, "select id, name_vi, name_en, kind, level from initiatives order by rowid", []
    )
    agencies = {r["id"]: r for r in _rows(db, "select id, name_vi, name_en from agencies", [])}
    acts = _rows(
        db,
        "select * from activities where event_date between ? and ? order by event_date, id",
        [date_from.isoformat(), date_to.isoformat()],
    )
    facts = _rows(
        db,
        "select f.*, s.name as outlet, a.title as article_title, a.url, a.published,"
        " a.raw_sha256, a.warc_file is not null as archived from activity_facts f"
        " left join articles a on a.id = f.article_id left join sources s on s.id = f.source_id"
        " where f.activity_id in (select value from json_each(?)) order by f.activity_id, f.id",
        [json.dumps([a["id"] for a in acts])],
    )
    step()
    by_act: dict[int, list[dict]] = {}
    for f in facts:
        by_act.setdefault(f["activity_id"], []).append(f)
    report = build_report(
        db, ReportQuery(date_from, date_to), max_articles=max_articles, check=check
    )
    step()
    coverage = {s.id: s for s in report.sections}
    dossier = Dossier(date_from, date_to, now_vn().replace(microsecond=0).isoformat())
    ordered = sorted(
        enumerate(inits),
        key=lambda p: (LEVEL_ORDER.index(p[1]["level"]) if p[1]["level"] in LEVEL_ORDER else 9,
                       p[0]),
    )  # fmt: skip
    for _, init in ordered:
        mine = [a for a in acts if init["id"] in json.loads(a["initiative_ids"] or "[]")]
        dossier.sections.append(
            DossierSection(
                init["id"],
                init["name_vi"],
                init["name_en"],
                init["level"] or "umbrella",
                init["kind"],
                [_activity(a, by_act.get(a["id"], []), agencies) for a in mine],
                coverage.get(init["id"]),
            )
        )
    return dossier


def _citation(f: dict) -> Citation | None:
    if f["article_id"] is None:
        return None
    return Citation(
        f["article_id"],
        f["outlet"] or f["source_id"] or "",
        f["published"],
        f["article_title"] or "",
        f["url"] or "",
        f["raw_sha256"],
        bool(f["archived"]),
    )


def _label(f: dict, agencies: dict[str, dict]) -> str:
    if f["field"] in ("organiser", "partner", "participant"):
        a = agencies.get(f["value"])
        return f"{a['name_vi']} ({a['name_en']})" if a else f["value"]
    if f["field"] in ("date", "date_end"):
        return f["value"]
    return f["label"] or f["value"]


def _activity(a: dict, facts: list[dict], agencies: dict[str, dict]) -> DossierActivity:
    kept = [f for f in facts if f["field"] in FACT_ORDER]
    kept.sort(key=lambda f: (FACT_ORDER.index(f["field"]), not f["is_primary"], f["id"]))
    out_facts = []
    citations: dict[int, Citation] = {}
    for f in kept:
        c = _citation(f)
        if c is not None:
            citations.setdefault(c.article_id, c)
        note = ""
        if f["field"] == "date" and f["qualifier"] == "publication":
            note = "ngày đăng bài, bài không nêu ngày (publication date: the articles name no day)"
        out_facts.append(
            DossierFact(
                f["field"],
                f["value"],
                _label(f, agencies),
                f["quote"] or "",
                c,
                bool(f["is_primary"]),
                note,
            )  # fmt: skip
        )
    for f in facts:  # every article of the activity is cited, even with no fact of its own
        c = _citation(f)
        if c is not None:
            citations.setdefault(c.article_id, c)
    kind_vi, kind_en = KIND_LABELS.get(a["kind"], (a["kind"], a["kind"]))

    def names(col: str) -> list[str]:
        return [
            f"{agencies[i]['name_vi']} ({agencies[i]['name_en']})" if i in agencies else i
            for i in json.loads(a[col] or "[]")
        ]

    return DossierActivity(
        a["id"], a["kind"], kind_vi, kind_en, a["title"] or "", a["event_date"], a["event_end"],
        a["date_source"], a["venue_name"], names("organiser_ids"), names("partner_ids"),
        out_facts, sorted(citations.values(), key=lambda c: (c.published or "", c.article_id)),
        json.loads(a["conflicts"] or "[]"),
    )  # fmt: skip
