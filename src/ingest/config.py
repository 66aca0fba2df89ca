"""Load and validate `sources.yaml` into typed models.

Validation happens before any network or database work, and every error names the file, the
entry and the problem, because the people editing the file are not the people who wrote the code.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

SourceKind = Literal["news", "government", "party", "international"]
DEFAULT_USER_AGENT = "HanoiCreativeKB/0.1 (+{contact})"
MAX_RECHECK = 500


class ConfigError(Exception):
    """A configuration file is unusable; the message is meant for the person editing it."""

    def __init__(self, file: str | Path, problems: list[str]):
        self.file = str(file)
        self.problems = problems
        super().__init__(
            f"{self.file}: " + "; ".join(problems)
            if len(problems) == 1
            else f"{self.file}:\n  - " + "\n  - ".join(problems)
        )


def _check_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"invalid URL {value!r} (needs http:// or https:// and a host)")
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Politeness(Strict):
    """Per-source crawl manners; defaults are deliberately slow for real sites (the README's
    promise: two seconds between requests and one connection per host)."""

    min_delay: float = Field(2.0, ge=0, description="seconds between requests to one host")
    concurrency: int = Field(1, ge=1, le=16, description="parallel requests to one host")
    max_crawl_delay: float = Field(
        60.0,
        ge=0,
        description="robots.txt Crawl-delay is honoured up to this many seconds (a larger value"
        " is honoured at this value and flagged)",
    )
    timeout: float = Field(20.0, gt=0)
    max_bytes: int = Field(10_000_000, gt=0, description="abort a response past this size")
    max_redirects: int = Field(5, ge=0, le=20)
    retries: int = Field(3, ge=0, le=10)
    max_articles_per_run: int = Field(500, ge=1)
    max_refetch_per_run: int = Field(
        50,
        ge=0,
        description="articles fetched again per run because a sitemap or feed dates them after"
        " our copy (corrections, updates); 0 = never",
    )


class Listing(Strict):
    url: str
    article_pattern: str | None = None  # regex an article URL must match
    next_pattern: str | None = None  # regex for pagination links; or use `page_url`
    page_url: str | None = None  # template with {page}, e.g. /van-hoa/trang-{page}.htm
    max_pages: int = Field(3, ge=1, le=10_000)

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        return _check_url(v)

    @field_validator("article_pattern", "next_pattern")
    @classmethod
    def _regex(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {v!r}: {exc}") from exc
        return v


class Search(Strict):
    url: str  # template with {query} and optionally {page}
    queries: list[str] = ["thành phố sáng tạo"]
    article_pattern: str | None = None
    max_pages: int = Field(5, ge=1, le=10_000)


class ExtractOverrides(Strict):
    """CSS selectors for a site that generic rules get wrong; every field optional."""

    title: str | None = None
    lead: str | None = None
    body: str | None = None
    date: str | None = None
    author: str | None = None
    drop: list[str] = []  # selectors removed before extraction
    drop_phrases: list[str] = []  # paragraphs starting with these are boilerplate


class Source(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$")
    name: str
    kind: SourceKind
    home: str
    feeds: list[str] = []
    sitemaps: list[str] = []
    # sitemaps walked only by `ingest backfill` (e.g. an index of monthly shards back to 2010,
    # too big to read every night), newest first, down to the backfill's --since month
    backfill_sitemaps: list[str] = []
    listings: list[Listing] = []
    search: Search | None = None
    hosts: list[str] = []  # hosts in scope; defaults to the hosts of home, feeds and sitemaps
    article_pattern: str | None = None  # regex every article URL must match
    language: str = "vi"
    enabled: bool = True
    politeness: Politeness = Politeness()
    extract: ExtractOverrides = ExtractOverrides()
    sitemap_recheck: int = Field(
        3,
        ge=0,
        le=MAX_RECHECK,
        description="newest child sitemaps asked again every night (a conditional GET) even"
        " when their index is unchanged: the current shard grows while the index stays the same",
    )
    hook: str | None = None  # optional "module:function" site hook
    notes: str | None = None

    @field_validator("home")
    @classmethod
    def _home(cls, v: str) -> str:
        return _check_url(v)

    @field_validator("feeds", "sitemaps", "backfill_sitemaps")
    @classmethod
    def _urls(cls, v: list[str]) -> list[str]:
        return [_check_url(u) for u in v]

    @field_validator("article_pattern")
    @classmethod
    def _pattern(cls, v: str | None) -> str | None:
        return Listing._regex(v)

    @model_validator(mode="after")
    def _needs_discovery(self) -> Source:
        if not (self.feeds or self.sitemaps or self.listings or self.search):
            raise ValueError("needs at least one of feeds, sitemaps, listings or search")
        return self

    def scope_hosts(self) -> set[str]:
        """Hosts (with port when not default) this source may fetch from."""
        if self.hosts:
            return {h.lower() for h in self.hosts}
        urls = [
            self.home,
            *self.feeds,
            *self.sitemaps,
            *self.backfill_sitemaps,
            *(lst.url for lst in self.listings),
        ]
        return {urlsplit(u).netloc.lower() for u in urls}


class Defaults(Strict):
    user_agent: str = DEFAULT_USER_AGENT
    contact: str = "https://github.com/hanoi-creative-kb"
    global_concurrency: int = Field(8, ge=1, le=256)
    politeness: Politeness = Politeness()


class SourcesFile(Strict):
    defaults: Defaults = Defaults()
    sources: list[Source]

    @property
    def user_agent(self) -> str:
        return self.defaults.user_agent.format(contact=self.defaults.contact)

    def get(self, source_id: str) -> Source:
        for s in self.sources:
            if s.id == source_id:
                return s
        raise KeyError(source_id)


def _entry_name(raw: Any, loc: tuple[Any, ...]) -> str:
    """Describe which entry a pydantic error location points at, e.g. "sources[2] (id: dantri)"."""
    if len(loc) >= 2 and loc[0] == "sources" and isinstance(loc[1], int):
        idx = loc[1]
        sid = None
        try:
            sid = raw["sources"][idx].get("id")
        except Exception:
            pass
        head = f"sources[{idx}]" + (f" (id: {sid})" if sid else "")
        rest = ".".join(str(p) for p in loc[2:])
        return f"{head}{' field ' + rest if rest else ''}"
    return ".".join(str(p) for p in loc) or "top level"


# libyaml's safe loader parses the taxonomy ~10x faster than the pure-Python one; every run and
# every Datasette start reads it, so the difference is most of an unchanged night's own time.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: str | Path) -> Any:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, ["file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, [f"cannot read file: {exc}"]) from None
    try:
        return yaml.load(text, Loader=SAFE_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(path, [f"invalid YAML{where}: {problem}"]) from None


def pydantic_problems(raw: Any, exc: ValidationError) -> list[str]:
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = f"unknown key {loc[-1]!r}"
            loc = loc[:-1]
        elif err["type"] == "missing":
            msg = f"missing required field {loc[-1]!r}"
            loc = loc[:-1]
        problems.append(f"{_entry_name(raw, loc)}: {msg.removeprefix('Value error, ')}")
    return problems


def _inherit_politeness(raw: dict) -> dict:
    """Each source takes `defaults.politeness` field by field unless it sets its own value."""
    defaults = raw.get("defaults") or {}
    base = defaults.get("politeness") if isinstance(defaults, dict) else None
    if not isinstance(base, dict) or not base:
        return raw
    sources = []
    for src in raw["sources"]:
        if isinstance(src, dict):
            own = src.get("politeness")
            merged = {**base, **own} if isinstance(own, dict) else (own or dict(base))
            src = {**src, "politeness": merged}
        sources.append(src)
    return {**raw, "sources": sources}


def load_sources(path: str | Path) -> SourcesFile:
    raw = read_yaml(path)
    if not isinstance(raw, dict) or "sources" not in raw:
        raise ConfigError(path, ["top level must be a mapping with a 'sources:' list"])
    if not isinstance(raw["sources"], list) or not raw["sources"]:
        raise ConfigError(path, ["'sources' must be a non-empty list"])
    raw = _inherit_politeness(raw)
    try:
        cfg = SourcesFile.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(path, pydantic_problems(raw, exc)) from None
    seen: dict[str, int] = {}
    problems = []
    for i, s in enumerate(cfg.sources):
        if s.id in seen:
            problems.append(
                f"sources[{i}] (id: {s.id}): duplicate id, first used by sources[{seen[s.id]}]"
            )
        seen.setdefault(s.id, i)
    if problems:
        raise ConfigError(path, problems)
    return cfg
