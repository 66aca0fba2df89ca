"""Load and validate `sources.yaml` into typed models.

Validation happens before any network or database work, and every error names the file, the
entry and the problem, because the people editing the file are not the people who wrote the code.
"""

from __future__ import annotations

import importlib
import re
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .css_select import css_to_xpath

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


_CONTROL = re.compile(r"[\x00-\x20\x7f-\x9f]")


def _check_url(value: str) -> str:
    """An absolute http(s) URL the fetcher can request: a host, a port in range, nothing that
    httpx refuses or a server misreads (spaces, control characters)."""
    try:
        parts = urlsplit(value)
        port = parts.port  # raises on a port that is not a number in 0-65535
    except ValueError as exc:
        raise ValueError(f"invalid URL {value!r} ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"invalid URL {value!r} (needs http:// or https:// and a host)")
    if port == 0:
        raise ValueError(f"invalid URL {value!r} (port 0)")
    if m := _CONTROL.search(value):
        raise ValueError(
            f"invalid URL {value!r} (contains {'a space' if m.group() == ' ' else 'a control character'};"
            " percent-encode it)"
        )
    return value


_FORMATTER = string.Formatter()


def check_template(
    value: str, field: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> str:
    """A URL template: exactly the placeholders discovery fills (`{page}`, `{query}`), each bare,
    and a valid URL once they are filled. Discovery would refuse a `{pg}` typo at night, one
    walker at a time; here it stops the file before the night."""
    allowed = required + optional
    use = ", ".join("{" + n + "}" for n in allowed)
    try:
        fields = [
            (name, spec, conv)
            for _, name, spec, conv in _FORMATTER.parse(value)
            if name is not None
        ]
    except ValueError as exc:
        raise ValueError(
            f"{field} {value!r}: {exc} (write a literal brace as {{{{ or }}}})"
        ) from None
    for name, spec, conv in fields:
        if name not in allowed:
            raise ValueError(f"{field} {value!r}: unknown placeholder {{{name}}} (use {use})")
        if spec or conv:
            raise ValueError(f"{field} {value!r}: write the placeholder as {{{name}}}, bare")
    missing = [n for n in required if n not in {f[0] for f in fields}]
    if missing:
        raise ValueError(f"{field} {value!r}: needs the placeholder {{{missing[0]}}}")
    _check_url(value.format(**{n: "1" for n in allowed}))
    return value


def _check_regex(v: str | None) -> str | None:
    if v is not None:
        try:
            re.compile(v)
        except re.error as exc:
            raise ValueError(f"invalid regular expression {v!r}: {exc}") from None
    return v


def _check_selector(v: str) -> str:
    """Compiled with the extractor's own translator: what it cannot read fails here."""
    try:
        css_to_xpath(v)
    except Exception as exc:  # ValueError from the translator, lxml's XPathSyntaxError
        raise ValueError(f"invalid CSS selector {v!r}: {exc}") from None
    return v


_HOST = re.compile(
    r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$"
)


def check_host(value: str) -> str:
    """A host as `scope_hosts` compares it with a URL's netloc: `name` or `name:port`."""
    v = value.strip().lower()
    if not v:
        raise ValueError("empty host")
    host, sep, port = v.partition(":")
    if any(c in v for c in "/@?# ") or not _HOST.match(host):
        raise ValueError(
            f"host {value!r} must be a bare host name or host:port (no scheme, path or user)"
        )
    if sep and not (port.isdigit() and 0 < int(port) < 65536):
        raise ValueError(f"host {value!r}: port must be 1-65535")
    return v


_HEADER_SAFE = re.compile(r"^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$")


def check_header_value(value: str, field: str) -> str:
    """Sent in every request's User-Agent: printable ASCII, no CR/LF (header injection), no
    leading or trailing space."""
    if not _HEADER_SAFE.match(value):
        bad = next((c for c in value if not 0x20 <= ord(c) <= 0x7E), None)
        why = f"character {bad!r}" if bad else "leading or trailing space, or empty"
        raise ValueError(
            f"{field} {value!r} cannot be sent as an HTTP header ({why}; printable ASCII only)"
        )
    return value


def resolve_hook(spec: str) -> Callable[..., Any]:
    """The site hook named `package.module:function`, imported (see docs/sources.md)."""
    module, sep, name = spec.partition(":")
    if not sep or not module or not name.isidentifier():
        raise ValueError(f"hook {spec!r} must be 'package.module:function'")
    try:
        fn = getattr(importlib.import_module(module), name)
    except ImportError as exc:
        raise ValueError(f"hook {spec!r}: cannot import {module!r} ({exc})") from None
    except AttributeError:
        raise ValueError(f"hook {spec!r}: module {module!r} has no {name!r}") from None
    if not callable(fn):
        raise ValueError(f"hook {spec!r}: {name!r} is not a function")
    return fn


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Politeness(Strict):
    """Per-source crawl manners; defaults are deliberately slow for real sites (the README's
    promise: two seconds between requests and one connection per host). No infinity or NaN:
    `timeout: .inf` would let one stalled host hold its lane for ever."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

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
        return _check_regex(v)

    @field_validator("page_url")
    @classmethod
    def _page_url(cls, v: str | None) -> str | None:
        return None if v is None else check_template(v, "page_url", ("page",))


class Search(Strict):
    url: str  # template with {query} and optionally {page}
    queries: list[str] = Field(["thành phố sáng tạo"], min_length=1)
    article_pattern: str | None = None
    max_pages: int = Field(5, ge=1, le=10_000)

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        return check_template(v, "url", ("query",), ("page",))

    @field_validator("queries")
    @classmethod
    def _queries(cls, v: list[str]) -> list[str]:
        if any(not q.strip() for q in v):
            raise ValueError("empty query")
        return v

    @field_validator("article_pattern")
    @classmethod
    def _regex(cls, v: str | None) -> str | None:
        return _check_regex(v)


class ExtractOverrides(Strict):
    """CSS selectors for a site that generic rules get wrong; every field optional."""

    title: str | None = None
    lead: str | None = None
    body: str | None = None
    date: str | None = None
    author: str | None = None
    drop: list[str] = []  # selectors removed before extraction
    drop_phrases: list[str] = []  # paragraphs starting with these are boilerplate

    @field_validator("title", "lead", "body", "date", "author")
    @classmethod
    def _selector(cls, v: str | None) -> str | None:
        return None if v is None else _check_selector(v)

    @field_validator("drop")
    @classmethod
    def _selectors(cls, v: list[str]) -> list[str]:
        return [_check_selector(x) for x in v]

    @field_validator("drop_phrases")
    @classmethod
    def _phrases(cls, v: list[str]) -> list[str]:
        if any(not p.strip() for p in v):
            raise ValueError("empty phrase (it would drop every paragraph)")
        return v


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
    language: str = Field("vi", pattern=r"^[a-z]{2,3}$")
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
    # optional site hook, "package.module:function": called on every extracted page of this
    # source, to fill what no selector can reach (docs/sources.md, "A site hook")
    hook: str | None = None
    notes: str | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("empty name")
        return v

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
        return _check_regex(v)

    @field_validator("hosts")
    @classmethod
    def _hosts(cls, v: list[str]) -> list[str]:
        return [check_host(h) for h in v]

    @field_validator("hook")
    @classmethod
    def _hook(cls, v: str | None) -> str | None:
        if v is not None:
            resolve_hook(v)
        return v

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

    @field_validator("contact")
    @classmethod
    def _contact(cls, v: str) -> str:
        return check_header_value(v, "contact")

    @model_validator(mode="after")
    def _user_agent(self) -> Defaults:
        """`{contact}` is the only placeholder, and the filled value must be a header."""
        try:
            names = [n for _, n, _, _ in _FORMATTER.parse(self.user_agent) if n is not None]
        except ValueError as exc:
            raise ValueError(f"user_agent {self.user_agent!r}: {exc}") from None
        if bad := [n for n in names if n != "contact"]:
            raise ValueError(
                f"user_agent {self.user_agent!r}: unknown placeholder {{{bad[0]}}} (only {{contact}})"
            )
        check_header_value(self.user_agent.format(contact=self.contact), "user_agent")
        return self


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
_BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class DuplicateKey(yaml.constructor.ConstructorError):
    """A mapping names one key twice: YAML's loaders keep the last silently."""


class SafeLoader(_BASE_LOADER):  # type: ignore[misc, valid-type]
    """The safe loader, refusing a key given twice in one mapping (`feeds:` written twice
    would otherwise drop the first list without a word)."""

    def construct_mapping(self, node, deep=False):  # type: ignore[override]
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, Any] = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.setdefault(key, key_node)
                except TypeError:  # an unhashable key: the base loader reports it
                    continue
                if first is not key_node:
                    raise DuplicateKey(
                        None,
                        None,
                        f"duplicate key {key!r} (first at line {first.start_mark.line + 1})",
                        key_node.start_mark,
                    )
        return super().construct_mapping(node, deep=deep)


SAFE_LOADER = SafeLoader


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
    """One line per problem, in the file's words; the same line is never given twice."""
    problems: list[str] = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = f"unknown key {loc[-1]!r}"
            loc = loc[:-1]
        elif err["type"] == "missing":
            msg = f"missing required field {loc[-1]!r}"
            loc = loc[:-1]
        line = f"{_entry_name(raw, loc)}: {msg.removeprefix('Value error, ')}"
        if line not in problems:
            problems.append(line)
    return problems


def _inherit_politeness(raw: dict) -> dict:
    """Each source takes `defaults.politeness` field by field unless it sets its own value.

    Only valid defaults are handed down: a bad default is reported once, under `defaults`,
    not once more for every source that inherited it."""
    defaults = raw.get("defaults") or {}
    base = defaults.get("politeness") if isinstance(defaults, dict) else None
    if not isinstance(base, dict) or not base:
        return raw
    try:
        Politeness.model_validate(base)
    except ValidationError:
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
