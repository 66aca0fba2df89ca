"""What an evidence report holds: plain dataclasses, filled by `report.build_report` and read
by every renderer (`render_*`), so the formats cannot disagree about what a report says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .citation import DEFAULT_BASE_URL, citation


class ReportTooLarge(ValueError):
    """The request would cite more articles than one report is allowed to."""


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
    reviewer_note: str | None = None  # set when a reviewer added this tag


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
    author: str | None = None
    published_source: str | None = None
    source_kind: str | None = None
    archive_url: str | None = None
    is_original: bool = False
    role: str = "separate"
    tagged: bool = False  # carries the initiative's tag itself
    quotes: list[Quote] = field(default_factory=list)
    agencies: list[str] = field(default_factory=list)  # agency ids
    reviewed: list[str] = field(default_factory=list)  # what reviewers changed, and why

    @property
    def date_known(self) -> bool:
        return bool(self.published)

    def citation(self, lang: str) -> str:
        return citation(
            outlet=self.outlet,
            title=self.title,
            published=self.published,
            url=self.url,
            fetched_at=self.fetched_at,
            archive=self.archive_url,
            lang=lang,
        )


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
class ExcludedEntry:
    """An article a reviewer took out of this section, with the reason."""

    id: int
    outlet: str
    published: str | None
    title: str
    url: str
    reason: str
    reviewer: str
    whole_article: bool  # excluded from the whole knowledge base, not only this initiative


@dataclass
class InitiativeSection:
    id: str
    name_vi: str
    name_en: str
    kind: str
    stories: list[StoryEntry]  # dated stories, in date order
    per_year: dict[int, tuple[int, int]]  # year → (stories, articles), every year of the period
    per_outlet: list[OutletCount]
    agencies: list[AgencyCount]
    undated: list[StoryEntry] = field(default_factory=list)  # the "date unknown" section
    excluded: list[ExcludedEntry] = field(default_factory=list)

    @property
    def all_stories(self) -> list[StoryEntry]:
        return self.stories + self.undated

    @property
    def story_count(self) -> int:
        return len(self.stories) + len(self.undated)

    @property
    def article_count(self) -> int:
        return sum(len(s.articles) for s in self.all_stories)

    @property
    def undated_count(self) -> int:
        return sum(1 for s in self.all_stories for a in s.articles if not a.date_known)


@dataclass
class Report:
    query: ReportQuery
    generated_at: str
    sections: list[InitiativeSection]
    agency_filter: list[Agency] = field(default_factory=list)
    base_url: str = DEFAULT_BASE_URL
    kb_version: str = ""
    agency_names: dict[str, Agency] = field(default_factory=dict)

    @property
    def article_total(self) -> int:
        return len({a.id for s in self.sections for st in s.all_stories for a in st.articles})

    @property
    def excluded_total(self) -> int:
        return len({e.id for s in self.sections for e in s.excluded})

    @property
    def undated_total(self) -> int:
        return len(
            {
                a.id
                for s in self.sections
                for st in s.all_stories
                for a in st.articles
                if not a.date_known
            }
        )
