"""The evidence report for Hanoi's UNESCO monitoring report: what was done, who did it, proof.

`build_report` reads the knowledge base and returns plain dataclasses; `ingest.evidence.render`
turns them into Markdown, HTML (prints cleanly), CSV, JSON or DOCX, with a coverage chart. The
same function serves the `ingest report` command and the Datasette page `/-/report`, so both
show identical numbers.

What counts, per initiative (or topic) and period:
- a *story* is in the report when at least one of its articles published in the period carries
  the initiative's tag (and, with `--agency`, one of those agencies' tags);
- its *articles* are all of the story's articles published in the period, tagged or not: a
  shortened copy that lost the proving sentence is still coverage of the same event, and the
  researcher needs its URL;
- stories are counted in the year of their first article in the period; articles in their own.
Articles without a story yet (clustering not run) count as stories of their own.

Nothing is dropped without a word. An article whose date is unknown (no date on the page, in
the feed or in the sitemap) cannot be placed in a year, but it may belong to the period: it is
reported in a "date unknown" section and counted, unless it was fetched before the period began
(it was then published before it too), or its story is dated outside the period. Articles a
reviewer excluded (`corrections.yaml`) are left out and listed with the reason, and counted.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable
from importlib import metadata
from typing import Any

import sqlite_utils

from ..clock import now_vn
from .citation import DEFAULT_BASE_URL, archive_url, role_of
from .corrections import applied_for
from .period import format_date_vi, parse_period
from .provenance import safe_text
from .report_model import (
    Agency,
    AgencyCount,
    ArticleEntry,
    ExcludedEntry,
    InitiativeSection,
    OutletCount,
    Quote,
    Report,
    ReportQuery,
    ReportTooLarge,
    StoryEntry,
)
from .stories import DUPLICATE_CONTAINMENT, DUPLICATE_JACCARD, MIN_SHINGLES, shingles

__all__ = [
    "Agency",
    "ArticleEntry",
    "InitiativeSection",
    "Report",
    "ReportQuery",
    "ReportTooLarge",
    "StoryEntry",
    "build_report",
    "format_date_vi",
    "parse_period",
]


def _marks(values: Any) -> str:
    return ", ".join("?" for _ in values)


def _rows(db: sqlite_utils.Database, sql: str, params: Any) -> list[dict[str, Any]]:
    cur = db.execute(sql, params)
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def _columns(db: sqlite_utils.Database, table: str) -> set[str]:
    return {r[1] for r in db.execute(f"pragma table_info({table})").fetchall()}


def _initiatives(db: sqlite_utils.Database, q: ReportQuery) -> list[dict[str, Any]]:
    order = "order by case kind when 'initiative' then 0 else 1 end, rowid"
    rows = _rows(db, f"select id, name_vi, name_en, kind from initiatives {order}", [])
    if not q.initiatives:
        return rows
    unknown = sorted(set(q.initiatives) - {r["id"] for r in rows})
    if unknown:
        raise ValueError(
            f"không có sáng kiến / unknown initiative id(s): {', '.join(unknown)}."
            f" Mã hợp lệ / valid ids: {', '.join(r['id'] for r in rows)}"
        )
    return [r for r in rows if r["id"] in q.initiatives]


def _agency_names(db: sqlite_utils.Database) -> dict[str, Agency]:
    return {
        r["id"]: Agency(r["id"], safe_text(r["name_vi"]), safe_text(r["name_en"]))
        for r in _rows(db, "select id, name_vi, name_en from agencies order by id", [])
    }


def _in_period(alias: str = "a") -> str:
    """Dated in the period, or undated but fetched on or after its first day."""
    return (
        f"({alias}.published_date between :start and :end or ({alias}.published_date is null"
        f" and coalesce(substr({alias}.fetched_at, 1, 10), '9999') >= :start))"
    )


class _Section:
    """The queries and grouping behind one initiative's section."""

    def __init__(
        self,
        db: sqlite_utils.Database,
        init: dict[str, Any],
        q: ReportQuery,
        agency_names: dict[str, Agency],
        base_url: str,
        max_articles: int | None,
        check: Callable[[], None],
        report_limit: int | None = None,
    ) -> None:
        self.db, self.init, self.q = db, init, q
        self.agency_names, self.base_url = agency_names, base_url
        self.max_articles, self.check = max_articles, check
        # what is left (`max_articles`) and the whole report's limit, which the reader set
        self.report_limit = max_articles if report_limit is None else report_limit
        self.params: dict[str, Any] = {
            "init": init["id"],
            "start": q.date_from.isoformat(),
            "end": q.date_to.isoformat(),
        }
        cols = _columns(db, "articles")
        self.date_source_sql = (
            "a.published_source" if "published_source" in cols else "null as published_source"
        )

    def excluded(self) -> tuple[list[ExcludedEntry], set[int]]:
        """Articles reviewers took out of this initiative or the whole base (in the period)."""
        sql = f"""
            select a.id, s.name as outlet, a.published, a.title, a.url, c.reason, c.reviewer,
              c.action, c.removed
            from corrections c join articles a on a.id = c.article_id
            join sources s on s.id = a.source_id
            where c.status = 'applied' and {_in_period()}
              and ((c.action = 'exclude_initiative' and c.label_id = :init)
                   or c.action = 'exclude_article')
            order by a.published_date is null, a.published_date, a.id"""
        try:
            rows = _rows(self.db, sql, self.params)
        except Exception as exc:  # a knowledge base from before the corrections table
            if "no such table" not in str(exc):
                raise
            return [], set()
        out: list[ExcludedEntry] = []
        whole: set[int] = set()
        for r in rows:
            if r["action"] == "exclude_article":
                whole.add(r["id"])
                removed = json.loads(r["removed"] or "{}")
                had = {t.get("initiative_id") for t in removed.get("initiative", [])}
                if self.init["id"] not in had:
                    continue
            out.append(
                ExcludedEntry(
                    r["id"],
                    safe_text(r["outlet"]),
                    r["published"],
                    safe_text(r["title"] or ""),
                    r["url"],
                    safe_text(r["reason"]),
                    safe_text(r["reviewer"]),
                    r["action"] == "exclude_article",
                )
            )
        return out, whole | {e.id for e in out}

    def tagged(self) -> list[dict[str, Any]]:
        params = dict(self.params)
        agency_clause = ""
        if self.q.agencies:
            params.update({f"g{n}": g for n, g in enumerate(self.q.agencies)})
            agency_clause = (
                " and exists (select 1 from article_agencies g where g.article_id = a.id"
                f" and g.agency_id in ({', '.join(f':g{n}' for n in range(len(self.q.agencies)))}))"
            )
        return _rows(
            self.db,
            "select a.id, a.story_id, a.published_date, ai.evidence, ai.field, ai.rule"
            " from article_initiatives ai join articles a on a.id = ai.article_id"
            f" where ai.initiative_id = :init and {_in_period()}{agency_clause}",
            params,
        )

    def build(self) -> InitiativeSection:
        excluded, skip = self.excluded()
        tagged = [t for t in self.tagged() if t["id"] not in skip]
        tag_of = {r["id"]: r for r in tagged}
        story_ids = sorted({r["story_id"] for r in tagged if r["story_id"] is not None})
        article_ids = set(tag_of)
        dated_stories: set[int] = set()
        if story_ids:
            for r in _rows(
                self.db,
                f"select id, story_id, published_date from articles where story_id in"
                f" ({_marks(story_ids)}) and (published_date between ? and ?"
                " or (published_date is null and coalesce(substr(fetched_at, 1, 10), '9999') >= ?))",
                [*story_ids, self.params["start"], self.params["end"], self.params["start"]],
            ):
                if r["id"] not in skip:
                    article_ids.add(r["id"])
                    if r["published_date"]:
                        dated_stories.add(r["story_id"])
            # an undated article whose story is dated, but not in this period, belongs elsewhere
            elsewhere = {
                r["story_id"]
                for r in _rows(
                    self.db,
                    f"select distinct story_id from articles where story_id in ({_marks(story_ids)})"
                    " and published_date is not null",
                    story_ids,
                )
            } - dated_stories
            if elsewhere:
                article_ids -= {
                    r["id"]
                    for r in _rows(
                        self.db,
                        f"select id from articles where story_id in ({_marks(elsewhere)})",
                        sorted(elsewhere),
                    )
                }
        if self.max_articles is not None and len(article_ids) > self.max_articles:
            # the count of the whole report so far, against the limit people set (not what
            # the earlier sections left: "1 article, more than 0" would make no sense)
            total = len(article_ids) + (self.report_limit or 0) - self.max_articles
            raise ReportTooLarge(
                f"{self.init['id']}: {total} bài, quá {self.report_limit} bài cho một báo cáo"
                f" (tính đến sáng kiến này); hãy thu hẹp kỳ báo cáo / {total} articles, more"
                f" than {self.report_limit} for one report; narrow the period"
            )
        if self.max_articles is not None:  # what is left for the report's other sections
            self.max_articles -= len(article_ids)
        self.check()
        tag_of = {i: t for i, t in tag_of.items() if i in article_ids}
        arts = self.articles(sorted(article_ids))
        reviewed = applied_for(self.db, sorted(article_ids))
        agencies_of: dict[int, list[str]] = defaultdict(list)
        if article_ids:
            for r in _rows(
                self.db,
                f"select article_id, agency_id from article_agencies where article_id in"
                f" ({_marks(article_ids)}) order by agency_id",
                sorted(article_ids),
            ):
                agencies_of[r["article_id"]].append(r["agency_id"])
        groups: dict[str, list[tuple[ArticleEntry, str]]] = defaultdict(list)
        for a in arts:
            key = str(a["story_id"]) if a["story_id"] is not None else f"a{a['id']}"
            entry = self.entry(a, tag_of.get(a["id"]), agencies_of.get(a["id"], []))
            entry.reviewed = [self.note(c) for c in reviewed.get(a["id"], [])]
            groups[key].append((entry, (a["lead"] or "") + "\n" + (a["text"] or "")))
        stories = [self.story(key, members) for key, members in groups.items()]
        self.check()
        dated = sorted((s for s in stories if s.first_published), key=_story_order)
        undated = sorted((s for s in stories if not s.first_published), key=_story_order)
        return self.section(dated, undated, excluded)

    def articles(self, ids: list[int]) -> list[dict[str, Any]]:
        if not ids:
            return []
        return _rows(
            self.db,
            "select a.id, a.story_id, a.source_id, s.name as outlet, s.kind as source_kind,"
            " a.published, a.title, a.url, a.canonical_url, a.raw_sha256, a.warc_file,"
            " a.warc_offset, a.warc_record_id, a.fetched_at, a.author, a.field_sources,"
            f" a.lead, a.text, {self.date_source_sql}"
            f" from articles a join sources s on s.id = a.source_id where a.id in ({_marks(ids)})"
            " order by a.published is null, a.published, a.id",
            ids,
        )

    def entry(
        self, a: dict[str, Any], tag: dict[str, Any] | None, agencies: list[str]
    ) -> ArticleEntry:
        source = a.get("published_source")
        if not source and a["published"]:
            try:
                source = json.loads(a["field_sources"] or "{}").get("published")
            except (ValueError, AttributeError):
                source = None
        archived = bool(a["warc_file"]) and a["warc_offset"] is not None
        entry = ArticleEntry(
            id=a["id"],
            source_id=a["source_id"],
            outlet=safe_text(a["outlet"]),
            published=a["published"],
            title=safe_text(a["title"] or ""),
            url=a["url"],
            canonical_url=a["canonical_url"],
            raw_sha256=a["raw_sha256"],
            warc_file=a["warc_file"],
            warc_record_id=a["warc_record_id"],
            fetched_at=a["fetched_at"],
            author=safe_text(a["author"]) if a["author"] else None,
            published_source=source if a["published"] else None,
            source_kind=a["source_kind"],
            archive_url=archive_url(self.base_url, a["id"]) if archived else None,
            tagged=tag is not None,
            agencies=agencies,
        )
        if tag is not None:
            note = "thêm khi rà soát / added by a reviewer" if tag["rule"] == "correction" else None
            entry.quotes.append(
                Quote(safe_text(tag["evidence"]), tag["field"], a["id"], entry.outlet, note)
            )
        return entry

    @staticmethod
    def note(c: dict[str, Any]) -> str:
        what = {
            "exclude_initiative": f"bỏ nhãn / tag removed: {c['label_id']}",
            "exclude_agency": f"bỏ cơ quan / agency removed: {c['label_id']}",
            "add_initiative": f"thêm nhãn / tag added: {c['label_id']}",
            "add_agency": f"thêm cơ quan / agency added: {c['label_id']}",
            "exclude_article": "loại khỏi kho / excluded",
        }[c["action"]]
        return safe_text(f"{what} — {c['reason']} ({c['reviewer']})")

    def story(self, key: str, members: list[tuple[ArticleEntry, str]]) -> StoryEntry:
        outlets: list[str] = []
        quotes: list[Quote] = []
        seen_quotes: set[str] = set()
        agency_ids: list[str] = []
        earlier: list[set[str]] = []
        for n, (m, body) in enumerate(members):
            m.is_original = n == 0  # ordered by publication: the earliest is the original
            sh = shingles(body)
            m.role = role_of(
                is_original=m.is_original, source_kind=m.source_kind, is_copy=_is_copy(sh, earlier)
            )
            earlier.append(sh)
            if m.outlet not in outlets:
                outlets.append(m.outlet)
            for qt in m.quotes:
                if qt.text not in seen_quotes:
                    seen_quotes.add(qt.text)
                    quotes.append(qt)
            for g in m.agencies:
                if g not in agency_ids:
                    agency_ids.append(g)
        articles = [m for m, _ in members]
        first = next((a.published for a in articles if a.published), None)
        return StoryEntry(
            key=key,
            title=articles[0].title,
            first_published=first,
            outlets=outlets,
            articles=articles,
            quotes=quotes,
            agencies=[self.agency_names.get(g, Agency(g, g, g)) for g in sorted(agency_ids)],
        )

    def section(
        self, stories: list[StoryEntry], undated: list[StoryEntry], excluded: list[ExcludedEntry]
    ) -> InitiativeSection:
        q = self.q
        everything = stories + undated
        per_year = {y: (0, 0) for y in range(q.date_from.year, q.date_to.year + 1)}
        story_years = Counter(int(s.date[:4]) for s in stories if s.date)
        article_years = Counter(
            int(a.published[:4]) for s in everything for a in s.articles if a.published
        )
        for y in per_year:
            per_year[y] = (story_years.get(y, 0), article_years.get(y, 0))

        outlet_articles: Counter = Counter()
        outlet_stories: Counter = Counter()
        outlet_names: dict[str, str] = {}
        for s in everything:
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
        for s in everything:
            for g in s.agencies:
                agency_stories[g.id] += 1
            for a in s.articles:
                for g in a.agencies:
                    agency_articles[g] += 1
        names = self.agency_names
        agency_counts = sorted(
            (
                AgencyCount(names.get(g, Agency(g, g, g)), agency_articles[g], agency_stories[g])
                for g in agency_articles
            ),
            key=lambda c: (-c.articles, -c.stories, c.agency.id),
        )
        return InitiativeSection(
            id=self.init["id"],
            name_vi=safe_text(self.init["name_vi"]),
            name_en=safe_text(self.init["name_en"]),
            kind=self.init["kind"],
            stories=stories,
            per_year=per_year,
            per_outlet=per_outlet,
            agencies=agency_counts,
            undated=undated,
            excluded=excluded,
        )


def _story_order(s: StoryEntry) -> tuple[str, str]:
    return (s.first_published or "9999", s.key)


def _is_copy(sh: set[str], earlier: list[set[str]]) -> bool:
    """Near-duplicate text of an earlier member (the rule `stories` clusters copies by)."""
    if len(sh) < MIN_SHINGLES:
        return False
    for other in earlier:
        if len(other) < MIN_SHINGLES:
            continue
        inter = len(sh & other)
        if inter / len(sh | other) >= DUPLICATE_JACCARD:
            return True
        if inter / min(len(sh), len(other)) >= DUPLICATE_CONTAINMENT:
            return True
    return False


def kb_version(db: sqlite_utils.Database) -> str:
    """What the report was built from: package version, last run, articles, tagger version."""
    try:
        package = metadata.version("hanoi-creative-kb")
    except metadata.PackageNotFoundError:
        package = "?"
    parts = [f"hanoi-creative-kb {package}"]
    run = db.execute(
        "select id, coalesce(finished_at, started_at) from runs order by started_at desc limit 1"
    ).fetchone()
    if run:
        parts.append(f"lần chạy / run {run[0]} ({format_date_vi(run[1])})")
    n, tagger = db.execute("select count(*), max(tagger_version) from articles").fetchone()
    parts.append(f"{n} bài / articles")
    if tagger:
        parts.append(f"tagger {tagger}")
    return " · ".join(parts)


def build_report(
    db: sqlite_utils.Database,
    q: ReportQuery,
    *,
    base_url: str = DEFAULT_BASE_URL,
    max_articles: int | None = None,
    check: Callable[[], None] | None = None,
) -> Report:
    """Every requested initiative's section; with no initiative given, those with coverage.

    `check` is called between steps (the web page passes one that raises when its time budget
    is spent); `max_articles` bounds the whole report (every section together; the web page
    passes its limit, the command line has none).
    """
    names = _agency_names(db)
    unknown = sorted(set(q.agencies) - set(names))
    if unknown:
        raise ValueError(
            f"không có cơ quan / unknown agency id(s): {', '.join(unknown)}."
            f" Mã hợp lệ / valid ids: {', '.join(names)}"
        )
    step = check or (lambda: None)
    sections = []
    left = max_articles  # for the whole report, every section together
    for init in _initiatives(db, q):
        section = _Section(db, init, q, names, base_url, left, step, max_articles)
        sections.append(section.build())
        left = section.max_articles
    if not q.initiatives:
        sections = [s for s in sections if s.all_stories or s.excluded]
    return Report(
        query=q,
        generated_at=now_vn().replace(microsecond=0).isoformat(),
        sections=sections,
        agency_filter=[names[a] for a in q.agencies],
        base_url=base_url,
        kb_version=kb_version(db),
        agency_names=names,
    )


def unassigned_articles(db: sqlite_utils.Database) -> int:
    """Articles no clustering has seen yet (the report then counts each as its own story)."""
    return db.execute("select count(*) from articles where story_id is null").fetchone()[0]
