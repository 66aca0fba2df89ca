"""Offline outputs of the sample sites: rendered pages with a gold file, and expected labels.

`render_all` writes the pages and a gold.jsonl in exactly the format of the shared real-page corpus
(/work/shared/corpus/gold.jsonl), so the extraction evaluation runs unchanged on both.
`expected_labels` is the answer key for the tagging and story-clustering evaluations.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from html import unescape
from pathlib import Path
from typing import Any

from .data import Article, load_articles, split_sentences
from .server import DEFAULT_PORTS, build_sites

MAX_LEN = 300
_TAGS = re.compile(r"<[^>]+>")


def default_base_urls(host: str = "127.0.0.1") -> dict[str, str]:
    return {oid: f"http://{host}:{port}" for oid, port in DEFAULT_PORTS.items()}


def _clip(sentence: str) -> str:
    """Cut a long sentence at the last clause boundary before MAX_LEN, like the corpus does."""
    if len(sentence) <= MAX_LEN:
        return sentence
    cut = sentence.rfind(",", 0, MAX_LEN)
    return sentence[:cut] if cut > 0 else sentence[:MAX_LEN]


def must_contain(a: Article) -> list[str]:
    """Four sentences of the article text: the lead's first, then from the start, middle, end."""
    picks = [split_sentences(a.lead)[0]]
    paras = list(a.body)
    for idx in (0, len(paras) // 2, len(paras) - 1):
        for s in split_sentences(paras[idx]):
            if s not in picks:
                picks.append(s)
                break
    for para in paras:  # short bodies: top up from any paragraph
        for s in split_sentences(para):
            if len(picks) < 4 and s not in picks:
                picks.append(s)
    return [_clip(s) for s in picks[:4]]


def visible_text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(_TAGS.sub(" ", html)))


def gold_record(
    file: str, url: str, a: Article, html: str, boilerplate: list[str]
) -> dict[str, Any]:
    text = a.text
    page = visible_text(html)
    bad: list[str] = []
    for s in boilerplate:
        if s and s not in text and s in page and s not in bad:
            bad.append(s)
    return {
        "file": file,
        "url": url,
        "title": a.title,
        "published": a.published.isoformat(),
        "author": a.author,
        "must_contain": must_contain(a),
        "must_not_contain": bad[:4],
    }


def render_all(out_dir: str | Path, base_urls: Mapping[str, str] | None = None) -> list[Path]:
    """Write every article page as <outlet>-<id>.html plus gold.jsonl; return the page paths.

    Pages link to the default ports unless `base_urls` says otherwise; gold.jsonl lists the pages
    in the returned order.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    bases = dict(base_urls or default_base_urls())
    sites = build_sites(bases)
    paths: list[Path] = []
    records = []
    for oid, site in sites.items():
        for a in sorted(site.articles, key=lambda a: (a.published, a.id)):
            html = site.article_html(a)
            name = f"{oid}-{a.id}.html"
            (out / name).write_text(html, encoding="utf-8")
            paths.append(out / name)
            boiler = site.layout.boilerplate(site.context(a))
            records.append(gold_record(name, site.base_url + a.path, a, html, boiler))
    with (out / "gold.jsonl").open("w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return paths


def expected_labels() -> list[dict[str, Any]]:
    """The answer key per article: relevance, initiatives and agencies with evidence, story key."""
    return [
        {
            "id": a.id,
            "url": a.path,
            "outlet": a.outlet,
            "title": a.title,
            "published": a.published.isoformat(),
            "relevant": a.relevant,
            "initiatives": [{"id": lb.id, "evidence": lb.evidence} for lb in a.initiatives],
            "agencies": [{"id": lb.id, "evidence": lb.evidence} for lb in a.agencies],
            "story": a.story,
            "copy_of": a.copy_of,
        }
        for a in load_articles()
    ]
