"""The evidence report for Hanoi's UNESCO monitoring report: what was done, who did it, proof.

`build_report` reads the knowledge base and returns plain dataclasses; `ingest.evidence.render`
turns them into Markdown, HTML (prints cleanly), CSV or DOCX, with a coverage chart as PNG.
The same function serves the `ingest report` command and the Datasette page `/-/report`, so
both show identical numbers.

What counts, per initiative (or topic) and period:
- a *story* is in the report when at least one of its articles published in the period carries
  the initiative's tag (and, with `--agency`, one of those agencies' tags);
- its *articles* are all of the story's articles published in the period, tagged or not: a
  shortened copy that lost the proving sentence is still coverage of the same event, and the
  researcher needs its URL;
- stories are counted in the year of their first article in the period; articles in their own.
Articles without a story yet (clustering not run) count as stories of their own.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlite_utils

from ..clock import now_vn


@dataclass(frozen=True)
class ReportQuery:
    date_from: date
    date_to: date
    initiatives: tuple[str, ...] = ()  # empty: every initiative and topic with coverage
    agencies: tuple[str, ...] = ()  # empty: no agency filter


@dataclass(frozen=True)
class Quote:
    text: str
    field: str
    article_id: int
    outlet: str


@dataclass(frozen=True)
class Agency:
    id: str
    name_vi: str
    name_en: str


@dataclass
class ArticleEntry:
    id: int
    source_id: str
    outlet: str
    published: str | None
    title: str
    url: str
    canonical_url: str | None
    raw_sha256: str | None
    warc_file: str | None
    warc_record_id: str | None
    fetched_at: str | None
    is_original: bool = False
    tagged: bool = False  # carries the initiative's tag itself
    quotes: list[Quote] = field(default_factory=list)
    agencies: list[str] = field(default_factory=list)  # agency ids


@dataclass
class StoryEntry:
    key: str  # story id, or "a<article id>" when the article has no story yet
    title: str
    first_published: str | None
    outlets: list[str]  # outlet names, in order of publication
    articles: list[ArticleEntry]
    quotes: list[Quote]  # distinct sentences
    agencies: list[Agency]

    @property
    def date(self) -> str:
        return (self.first_published or "")[:10]


@dataclass
class OutletCount:
    source_id: str
    name: str
    stories: int
    articles: int


@dataclass
class AgencyCount:
    agency: Agency
    articles: int
    stories: int


@dataclass
class InitiativeSection:
    id: str
    name_vi: str
    name_en: str
    kind: str
    stories: list[StoryEntry]
    per_year: dict[int, tuple[int, int]]  # year → (stories, articles), every year of the period
    per_outlet: list[OutletCount]
    agencies: list[AgencyCount]

    @property
    def story_count(self) -> int:
        return len(self.stories)

    @property
    def article_count(self) -> int:
        return sum(len(s.articles) for s in self.stories)


@dataclass
class Report:
    query: ReportQuery
    generated_at: str
    sections: list[InitiativeSection]
    agency_filter: list[Agency] = field(default_factory=list)


def parse_period(date_from: str, date_to: str) -> tuple[date, date]:
    """Accept YYYY, YYYY-MM or YYYY-MM-DD on either end; a bare year/month covers it whole."""

    def lo(v: str) -> date:
        parts = v.split("-")
        if len(parts) == 1:
            return date(int(parts[0]), 1, 1)
        if len(parts) == 2:
            return date(int(parts[0]), int(parts[1]), 1)
        return date.fromisoformat(v)

    def hi(v: str) -> date:
        parts = v.split("-")
        if len(parts) == 1:
            return date(int(parts[0]), 12, 31)
        if len(parts) == 2:
            y, m = int(parts[0]), int(parts[1])
            nxt = date(y + (m == 12), m % 12 + 1, 1)
            return date.fromordinal(nxt.toordinal() - 1)
        return date.fromisoformat(v)

    start, end = lo(date_from), hi(date_to)
    if end < start:
        raise ValueError(f"period ends ({end}) before it starts ({start})")
    return start, end


def _marks(values: Any) -> str:
    return ", ".join("?" for _ in values)


def _rows(db: sqlite_utils.Database, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cur = db.execute(sql, params)
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def _initiatives(db: sqlite_utils.Database, q: ReportQuery) -> list[dict[str, Any]]:
    order = "order by case kind when 'initiative' then 0 else 1 end, rowid"
    if q.initiatives:
        rows = _rows(
            db,
            f"select id, name_vi, name_en, kind from initiatives where id in"
            f" ({_marks(q.initiatives)}) {order}",
            list(q.initiatives),
        )
        unknown = set(q.initiatives) - {r["id"] for r in rows}
        if unknown:
            raise ValueError(f"unknown initiative id(s): {', '.join(sorted(unknown))}")
        return rows
    return _rows(db, f"select id, name_vi, name_en, kind from initiatives {order}", [])


def _agency_names(db: sqlite_utils.Database) -> dict[str, Agency]:
    return {
        r["id"]: Agency(r["id"], r["name_vi"], r["name_en"])
        for r in _rows(db, "select id, name_vi, name_en from agencies", [])
    }


def build_section(
    db: sqlite_utils.Database,
    init: dict[str, Any],
    q: ReportQuery,
    agency_names: dict[str, Agency],
) -> InitiativeSection:
    start, end = q.date_from.isoformat(), q.date_to.isoformat()
    agency_clause, params = "", [init["id"], start, end]
    if q.agencies:
        agency_clause = (
            " and exists (select 1 from article_agencies g where g.article_id = a.id"
            f" and g.agency_id in ({_marks(q.agencies)}))"
        )
        params += list(q.agencies)
    tagged = _rows(
        db,
        "select a.id, a.story_id, ai.evidence, ai.field from article_initiatives ai"
        " join articles a on a.id = ai.article_id"
        " where ai.initiative_id = ? and a.published_date between ? and ?" + agency_clause,
        params,
    )
    tag_of = {r["id"]: r for r in tagged}
    story_ids = sorted({r["story_id"] for r in tagged if r["story_id"] is not None})
    article_ids = set(tag_of)
    if story_ids:
        for r in _rows(
            db,
            f"select id from articles where story_id in ({_marks(story_ids)})"
            " and published_date between ? and ?",
            [*story_ids, start, end],
        ):
            article_ids.add(r["id"])
    ids = sorted(article_ids)
    arts = (
        _rows(
            db,
            "select a.id, a.story_id, a.source_id, s.name as outlet, a.published, a.title, a.url,"
            " a.canonical_url, a.raw_sha256, a.warc_file, a.warc_record_id, a.fetched_at"
            f" from articles a join sources s on s.id = a.source_id where a.id in ({_marks(ids)})"
            " order by coalesce(a.published, '9999'), a.id",
            ids,
        )
        if ids
        else []
    )
    agencies_of: dict[int, list[str]] = defaultdict(list)
    if ids:
        for r in _rows(
            db,
            f"select article_id, agency_id from article_agencies where article_id in"
            f" ({_marks(ids)}) order by agency_id",
            ids,
        ):
            agencies_of[r["article_id"]].append(r["agency_id"])

    groups: dict[str, list[ArticleEntry]] = defaultdict(list)
    for a in arts:
        key = str(a["story_id"]) if a["story_id"] is not None else f"a{a['id']}"
        entry = ArticleEntry(
            id=a["id"],
            source_id=a["source_id"],
            outlet=a["outlet"],
            published=a["published"],
            title=a["title"] or "",
            url=a["url"],
            canonical_url=a["canonical_url"],
            raw_sha256=a["raw_sha256"],
            warc_file=a["warc_file"],
            warc_record_id=a["warc_record_id"],
            fetched_at=a["fetched_at"],
            tagged=a["id"] in tag_of,
            agencies=agencies_of.get(a["id"], []),
        )
        if entry.tagged:
            t = tag_of[a["id"]]
            entry.quotes.append(Quote(t["evidence"], t["field"], a["id"], a["outlet"]))
        groups[key].append(entry)

    stories: list[StoryEntry] = []
    for key, members in groups.items():
        members[0].is_original = True  # ordered by publication: the earliest is the original
        outlets: list[str] = []
        quotes: list[Quote] = []
        seen_quotes: set[str] = set()
        agency_ids: list[str] = []
        for m in members:
            if m.outlet not in outlets:
                outlets.append(m.outlet)
            for qt in m.quotes:
                if qt.text not in seen_quotes:
                    seen_quotes.add(qt.text)
                    quotes.append(qt)
            for g in m.agencies:
                if g not in agency_ids:
                    agency_ids.append(g)
        stories.append(
            StoryEntry(
                key=key,
                title=members[0].title,
                first_published=members[0].published,
                outlets=outlets,
                articles=members,
                quotes=quotes,
                agencies=[agency_names.get(g, Agency(g, g, g)) for g in sorted(agency_ids)],
            )
        )
    stories.sort(key=lambda s: (s.first_published or "9999", s.key))

    per_year = {y: (0, 0) for y in range(q.date_from.year, q.date_to.year + 1)}
    story_years = Counter(int(s.date[:4]) for s in stories if s.date)
    article_years = Counter(
        int(a.published[:4]) for s in stories for a in s.articles if a.published
    )
    for y in per_year:
        per_year[y] = (story_years.get(y, 0), article_years.get(y, 0))

    outlet_articles: Counter = Counter()
    outlet_stories: Counter = Counter()
    outlet_names: dict[str, str] = {}
    for s in stories:
        for sid in {a.source_id for a in s.articles}:
            outlet_stories[sid] += 1
        for a in s.articles:
            outlet_articles[a.source_id] += 1
            outlet_names[a.source_id] = a.outlet
    per_outlet = sorted(
        (
            OutletCount(sid, outlet_names[sid], outlet_stories[sid], outlet_articles[sid])
            for sid in outlet_articles
        ),
        key=lambda o: (-o.articles, -o.stories, o.name),
    )

    agency_articles: Counter = Counter()
    agency_stories: Counter = Counter()
    for s in stories:
        for g in s.agencies:
            agency_stories[g.id] += 1
        for a in s.articles:
            for g in a.agencies:
                agency_articles[g] += 1
    agency_counts = sorted(
        (
            AgencyCount(agency_names.get(g, Agency(g, g, g)), agency_articles[g], agency_stories[g])
            for g in agency_articles
        ),
        key=lambda c: (-c.articles, -c.stories, c.agency.id),
    )
    return InitiativeSection(
        id=init["id"],
        name_vi=init["name_vi"],
        name_en=init["name_en"],
        kind=init["kind"],
        stories=stories,
        per_year=per_year,
        per_outlet=per_outlet,
        agencies=agency_counts,
    )


def build_report(db: sqlite_utils.Database, q: ReportQuery) -> Report:
    """Every requested initiative's section; with no initiative given, those with coverage."""
    names = _agency_names(db)
    unknown = set(q.agencies) - set(names)
    if unknown:
        raise ValueError(f"unknown agency id(s): {', '.join(sorted(unknown))}")
    sections = [build_section(db, init, q, names) for init in _initiatives(db, q)]
    if not q.initiatives:
        sections = [s for s in sections if s.stories]
    return Report(
        query=q,
        generated_at=now_vn().replace(microsecond=0).isoformat(),
        sections=sections,
        agency_filter=[names[a] for a in q.agencies],
    )


def unassigned_articles(db: sqlite_utils.Database) -> int:
    """Articles no clustering has seen yet (the report then counts each as its own story)."""
    return db.execute("select count(*) from articles where story_id is null").fetchone()[0]


def format_date_vi(iso: str | None) -> str:
    """Day-first, as Vietnamese readers write it: 11/11/2023."""
    if not iso:
        return ""
    try:
        d = datetime.fromisoformat(iso)
    except ValueError:
        return iso[:10]
    return f"{d.day:02d}/{d.month:02d}/{d.year}"
