"""The typed record each pipeline stage fills in.

One section per stage (discovery → fetch → extraction → classification), so any stage can be
rerun from the output of the one before it, e.g. reprocessing from the raw archive.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

FieldName = Literal["title", "lead", "text"]


@dataclass
class Discovered:
    """A candidate article URL and where it was found."""

    url: str
    source_id: str
    found_via: str  # the feed, sitemap or listing URL that named it
    lastmod: str | None = None  # ISO date from the feed/sitemap, when given
    title_hint: str | None = None
    # the publication time the feed item (or else the sitemap entry) gives, +07:00, and which:
    # the date of an article whose page shows none
    published_hint: str | None = None
    published_via: str | None = None  # feed | sitemap


@dataclass
class FetchResult:
    """The HTTP side of one fetch; `body` is the raw bytes exactly as received."""

    url: str
    final_url: str
    status: int | None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    fetched_at: str = ""  # ISO 8601, +07:00
    error: str | None = None  # set when no usable response was obtained
    # ok | not_modified | robots | out_of_scope | transient | permanent | too_large
    # | deferred (the site's Retry-After is beyond our cap) | invalid_url | unsafe_redirect
    # | error (an unexpected failure isolated to this URL)
    outcome: str = "ok"
    attempts: int = 0
    raw_body: bytes = b""  # as received on the wire (maybe content-encoded); what the WARC holds
    redirects: list[str] = field(default_factory=list)
    raw_sha256: str | None = None
    warc_file: str | None = None
    warc_offset: int | None = None
    warc_record_id: str | None = None
    retry_at: str | None = None  # when the site said we may come back (outcome "deferred")

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300


@dataclass
class Extracted:
    """What the extractor read off one page. Empty strings, never None, for text fields."""

    title: str = ""
    lead: str = ""
    text: str = ""
    author: str | None = None
    published: str | None = None  # ISO 8601 with +07:00
    language: str | None = None
    canonical_url: str | None = None
    # which signal each field came from, e.g. {"title": "h1", "published": "json-ld"}
    field_sources: dict[str, str] = field(default_factory=dict)
    extractor_version: str = ""
    error: str | None = None  # set when the page could not be extracted

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.text.strip())


@dataclass
class Tag:
    """One label on an article with the exact sentence that proves it."""

    label_id: str
    evidence: str  # exact substring of the article's `field`
    field: FieldName
    start: int  # character offsets of `evidence` within that field
    end: int
    rule: str  # the alias or rule that fired


@dataclass
class Classification:
    relevant: bool
    score: float
    initiatives: list[Tag] = field(default_factory=list)
    agencies: list[Tag] = field(default_factory=list)
    tagger_version: str = ""


@dataclass
class ArticleRecord:
    """Everything known about one article URL, stage by stage."""

    source_id: str
    url: str
    discovered: Discovered | None = None
    fetch: FetchResult | None = None
    extracted: Extracted | None = None
    classification: Classification | None = None
    # why the page's rel=canonical was not used as its key (set by the loader): the home or a
    # section page, off the source's hosts, or already another article's with other content
    canonical_refused: str | None = None
