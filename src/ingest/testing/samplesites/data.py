"""Load the bundled sample articles and outlets from the YAML files in `data/`.

The YAML is written for people: labels name a short snippet and the loader expands it to the whole
sentence that contains it, syndicated copies (`copy_of`) borrow another article's body, and URL
paths are derived from the outlet's layout. Everything is validated on load so a typo in the data
fails the test suite instead of silently producing a wrong gold label.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from ...text.textnorm import fold, nfc

DATA_DIR = Path(__file__).parent / "data"
LABEL_KINDS = ("initiatives", "agencies")

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[\"“'(A-ZÀ-ỸĐ0-9])")


class SampleDataError(ValueError):
    """The sample data is inconsistent; the message names the article and the problem."""


@dataclass(frozen=True)
class Outlet:
    id: str
    name: str
    short: str
    domain: str
    kind: str
    layout: str
    categories: dict[str, str]
    address: str
    licence: str


@dataclass(frozen=True)
class Label:
    id: str
    evidence: str  # a whole sentence of the article's title, lead or body


@dataclass(frozen=True)
class Article:
    id: str
    outlet: str
    path: str
    title: str
    lead: str
    body: tuple[str, ...]
    author: str | None
    published: datetime
    category: str
    relevant: bool
    initiatives: tuple[Label, ...] = ()
    agencies: tuple[Label, ...] = ()
    story: str = ""  # clustering key: copies share their original's key
    copy_of: str | None = None
    via: str | None = None  # "Theo <via>" source line on aggregator copies
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def text(self) -> str:
        """Title, lead and body joined: the article text a perfect extractor would return."""
        return "\n".join([self.title, self.lead, *self.body])

    def sentences(self) -> list[str]:
        out = [self.title]
        for para in (self.lead, *self.body):
            out.extend(split_sentences(para))
        return out


def split_sentences(paragraph: str) -> list[str]:
    """Split on sentence-final punctuation followed by a capital letter or digit."""
    return [s.strip() for s in _SENTENCE_END.split(paragraph) if s.strip()]


def slugify(text: str, max_words: int = 12) -> str:
    words = re.sub(r"[^a-z0-9]+", " ", fold(text)).split()
    return "-".join(words[:max_words])


def _num(article_id: str, modulo: int) -> int:
    return zlib.crc32(article_id.encode("utf-8")) % modulo


def make_path(
    outlet: Outlet, article_id: str, title: str, category: str, published: datetime
) -> str:
    """The article's URL path in the outlet's own style (stable: derived from id and date)."""
    slug = slugify(title)
    if outlet.layout == "daily":
        return f"/{category}/{slug}-{published:%Y%m%d%H%M}{_num(article_id, 100):02d}.htm"
    if outlet.layout == "express":
        return f"/{slug}-{4_000_000 + _num(article_id, 900_000)}.html"
    if outlet.layout == "portal":
        return f"/tin-tuc-su-kien/-/view_content/{1_200_000 + _num(article_id, 90_000)}-{slug}.html"
    return f"/{published:%Y/%m}/{slug}/"


@cache
def load_outlets() -> dict[str, Outlet]:
    raw = yaml.safe_load((DATA_DIR / "outlets.yaml").read_text(encoding="utf-8"))
    return {o["id"]: Outlet(**o) for o in raw}


def _expand(article_id: str, kind: str, label: str, snippet: str, sentences: list[str]) -> Label:
    snippet = nfc(snippet)
    for sent in sentences:
        if snippet in sent:
            return Label(label, sent)
    raise SampleDataError(f"{article_id}: {kind}.{label}: snippet {snippet!r} not in the article")


def _labels(
    article_id: str, rec: dict[str, Any], kind: str, sentences: list[str]
) -> dict[str, Label]:
    raw = rec.get(kind) or {}
    if not isinstance(raw, dict):
        raise SampleDataError(f"{article_id}: {kind} must map label ids to snippets")
    return {k: _expand(article_id, kind, k, v, sentences) for k, v in raw.items()}


def _build(rec: dict[str, Any], outlet: Outlet, originals: dict[str, Article]) -> Article:
    aid = rec["id"]
    orig = originals.get(rec["copy_of"]) if rec.get("copy_of") else None
    if rec.get("copy_of") and orig is None:
        raise SampleDataError(f"{aid}: copy_of {rec['copy_of']!r} is not an earlier article")
    if orig is not None:
        body = list(orig.body)
        if rec.get("shorten"):
            body = body[: (len(body) + 1) // 2]
    else:
        body = list(rec["body"])
    title, lead = nfc(rec["title"]), nfc(rec["lead"])
    body = [nfc(p) for p in body]
    published = datetime.fromisoformat(rec["published"])
    if published.utcoffset() is None or published.utcoffset().total_seconds() != 7 * 3600:
        raise SampleDataError(f"{aid}: published must carry +07:00")
    if outlet.categories.get(rec["category"]) is None:
        raise SampleDataError(f"{aid}: unknown category {rec['category']!r} for {outlet.id}")
    probe = Article(aid, outlet.id, "", title, lead, tuple(body), None, published, "", False)
    sentences = probe.sentences()
    labels: dict[str, tuple[Label, ...]] = {}
    for kind in LABEL_KINDS:
        own = _labels(aid, rec, kind, sentences)
        inherited = {}
        if orig is not None:
            # a copy keeps its original's labels whose proving sentence it still carries
            inherited = {lb.id: lb for lb in getattr(orig, kind) if lb.evidence in sentences}
        labels[kind] = tuple({**inherited, **own}.values())
    relevant = (
        orig.relevant if orig is not None and "relevant" not in rec else bool(rec["relevant"])
    )
    path = rec.get("path") or make_path(outlet, aid, title, rec["category"], published)
    return Article(
        id=aid,
        outlet=outlet.id,
        path=path,
        title=title,
        lead=lead,
        body=tuple(body),
        author=nfc(rec["author"]) if rec.get("author") else None,
        published=published,
        category=rec["category"],
        relevant=relevant,
        initiatives=labels["initiatives"],
        agencies=labels["agencies"],
        story=rec.get("story") or (orig.story if orig is not None else aid),
        copy_of=orig.id if orig is not None else None,
        via=rec.get("via"),
    )


@cache
def load_articles() -> tuple[Article, ...]:
    """Every sample article, originals before copies, validated."""
    outlets = load_outlets()
    records: list[tuple[dict[str, Any], Outlet]] = []
    for f in sorted((DATA_DIR / "articles").glob("*.yaml")):
        outlet = outlets[f.stem]
        for rec in yaml.safe_load(f.read_text(encoding="utf-8")) or []:
            records.append((rec, outlet))
    built: dict[str, Article] = {}
    # originals first so copies can refer to articles in any file
    for rec, outlet in sorted(records, key=lambda r: bool(r[0].get("copy_of"))):
        if rec["id"] in built:
            raise SampleDataError(f"{rec['id']}: duplicate article id")
        built[rec["id"]] = _build(rec, outlet, built)
    paths: dict[tuple[str, str], str] = {}
    for a in built.values():
        key = (a.outlet, a.path)
        if key in paths:
            raise SampleDataError(f"{a.id}: path {a.path} already used by {paths[key]}")
        paths[key] = a.id
    return tuple(sorted(built.values(), key=lambda a: (a.published, a.id)))


def articles_for(outlet_id: str) -> list[Article]:
    return [a for a in load_articles() if a.outlet == outlet_id]
