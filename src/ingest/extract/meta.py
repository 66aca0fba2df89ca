"""Read title, date, author and canonical URL off a parsed page, recording where each came from.

Signals are trusted in the order JSON-LD → meta tags → visible text, with two exceptions the
Vietnamese press forces on us: the headline is the *visible* one whenever a visible heading
agrees with the metadata (NOTES: the on-page H1 is the gold title, and portals put a section name
in `<title>` or in their first `<h1>`), and a byline printed in the body beats a CMS account.
All functions take the lxml tree built once by `extract` and never modify it.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from lxml import etree

from ..text.fastfold import fast_fold as fold
from ..text.textnorm import collapse_ws, nfc
from . import byline

_ARTICLE_TYPES = {
    "newsarticle",
    "article",
    "blogposting",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "backgroundnewsarticle",
    "report",
    "webpage",
    "liveblogposting",
}
_TITLE_SEP = re.compile(r"\s+[-|–—:»]\s+|\s*\|\s*|\s+::\s+")
_AUTHOR_META = ("article:author", "author", "dable:author", "dc.creator", "byl", "sailthru.author")
_AUTHOR_HINT = re.compile(r"author|byline|tac-?gia|writer|reporter", re.I)
_TITLE_HINT = re.compile(r"title|headline|tieu-?de", re.I)
# Class names of the sapo: never the headline, and not article paragraphs for the body vote.
LEAD_HINT = re.compile(
    r"sapo|(?:^|[\s_-])lead(?:$|[\s_-]|text|in)|summary|description|chapeau|excerpt|intro\b|"
    r"intro[-_]|abstract|teaser|standfirst|tom-?tat|(?-i:[a-z](?:Lead|Sapo|Summary|Intro)\b)",
    re.I,
)
# Areas whose names and dates belong to other people or other stories (commenters, teasers).
_OTHER_AREA = re.compile(
    r"comment|binh-?luan|related|relate-|relation|lien-?quan|most-?read|popular|other-?news|"
    r"news-?other|tin-?khac|same-?category|cung-?chuyen-?muc|insert-?news|da-?dua|jp-relatedposts",
    re.I,
)


def in_other_area(el: etree._Element) -> bool:
    for a in (el, *el.iterancestors()):
        if _OTHER_AREA.search((a.get("class") or "") + " " + (a.get("id") or "")):
            return True
    return False


@dataclass
class PageMeta:
    """Everything machine-readable on the page, gathered in one pass."""

    jsonld: list[dict] = field(default_factory=list)  # article-like objects first
    meta: dict[str, list[str]] = field(default_factory=dict)  # lowercased key → contents
    title_tag: str = ""
    html_lang: str | None = None
    canonical: str | None = None
    canonical_source: str = "none"
    site_names: tuple[str, ...] = ()


def text_of(el: etree._Element) -> str:
    """Visible text of an element, whitespace collapsed (the page was made NFC when decoded)."""
    try:
        return collapse_ws(el.text_content())
    except (ValueError, AttributeError):
        return ""


def _unescape(s: str) -> str:
    """Undo entity escaping, twice if needed (tuoitre-style "Chi&amp;#7871;n" in JSON-LD)."""
    for _ in range(3):
        u = html.unescape(s)
        if u == s:
            break
        s = u
    return collapse_ws(nfc(s))


def _flatten_ld(obj: object, out: list[dict], depth: int = 0) -> None:
    if depth > 6:
        return
    if isinstance(obj, list):
        for o in obj:
            _flatten_ld(o, out, depth + 1)
    elif isinstance(obj, dict):
        out.append(obj)
        if "@graph" in obj:
            _flatten_ld(obj["@graph"], out, depth + 1)


def _ld_types(obj: dict) -> set[str]:
    t = obj.get("@type", "")
    types = t if isinstance(t, list) else [t]
    return {str(x).lower() for x in types}


def read_jsonld(root: etree._Element) -> list[dict]:
    """All JSON-LD objects, article types first; malformed blocks are skipped, not fatal."""
    found: list[dict] = []
    for script in root.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        raw = (script.text or "").strip()
        if not raw or len(raw) > 500_000:
            continue
        try:
            data = json.loads(raw, strict=False)
        except ValueError:
            try:  # trailing commas are the usual hand-written-template mistake
                data = json.loads(re.sub(r",\s*([}\]])", r"\1", raw), strict=False)
            except ValueError:
                continue
        _flatten_ld(data, found)
    return sorted(found, key=_ld_rank)


def _ld_rank(obj: dict) -> int:
    """Articles first, then the WebPage wrapper (its dates and name are the page's), then the rest."""
    types = _ld_types(obj)
    if types & (_ARTICLE_TYPES - {"webpage"}):
        return 0
    return 1 if "webpage" in types else 2


def read_meta(root: etree._Element, url: str | None) -> PageMeta:
    """Collect meta tags, <title>, <html lang>, canonical link and the publisher's names."""
    pm = PageMeta(jsonld=read_jsonld(root), html_lang=root.get("lang") or root.get("xml:lang"))
    for m in root.iter("meta"):
        key = (m.get("property") or m.get("name") or m.get("itemprop") or "").strip().lower()
        content = m.get("content")
        if key and content and content.strip():
            pm.meta.setdefault(key, []).append(_unescape(content))
    titles = root.xpath("//head/title|//title")
    pm.title_tag = text_of(titles[0]) if titles else ""
    pm.canonical, pm.canonical_source = _canonical(root, pm, url)
    names = []
    for key in ("og:site_name", "application-name", "apple-mobile-web-app-title", "twitter:site"):
        names += pm.meta.get(key, [])
    for obj in pm.jsonld:
        pub = obj.get("publisher")
        if isinstance(pub, dict) and isinstance(pub.get("name"), str):
            names.append(_unescape(pub["name"]))
    for u in (url, pm.canonical):
        host = urlsplit(u).hostname if u else None
        if host:
            names.append(host.removeprefix("www."))
    pm.site_names = tuple(dict.fromkeys(n for n in names if n))
    return pm


def _canonical(root: etree._Element, pm: PageMeta, url: str | None) -> tuple[str | None, str]:
    """(absolute canonical URL, source): rel=canonical, og:url, the URL given. A relative link
    with no page URL to resolve it against (mirrored pages) is no canonical at all."""
    found, src = None, "none"
    for link in root.iter("link"):
        if (link.get("rel") or "").strip().lower() == "canonical" and link.get("href"):
            found, src = link.get("href").strip(), "link"
            break
    if not found and pm.meta.get("og:url"):
        found, src = pm.meta["og:url"][0], "meta"
    if found and url:
        found = urljoin(url, found)
    if found and urlsplit(found).scheme in ("http", "https") and urlsplit(found).netloc:
        return found, src
    return (url, "url") if url else (None, "none")


# ---------------------------------------------------------------- title


def _tokens(s: str) -> set[str]:
    return set(re.findall(r"\w+", fold(s)))


def _squash(s: str) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(s))


def is_site_name(text: str, site_names: tuple[str, ...]) -> bool:
    """The outlet's own name (a logo `<h1>`, a `<title>` suffix), compared letters-only."""
    t = _squash(text)
    if len(t) < 3:
        return False
    for site in site_names:
        s = _squash(site)
        if s and (
            t == s or (len(t) >= 0.6 * len(s) and t in s) or (len(s) >= 0.6 * len(t) and s in t)
        ):
            return True
    return False


def _agrees(visible: str, claimed: str, site_names: tuple[str, ...] = ()) -> bool:
    """Does an on-page heading say the same as a metadata title (maybe with a site suffix)?"""
    v, c = fold(visible), fold(claimed)
    if not v or not c or is_site_name(visible, site_names):
        return False
    if v == c or (c.startswith(v) and len(v) >= 0.4 * len(c)):
        return True
    pieces = [p for p in _TITLE_SEP.split(c) if p and not is_site_name(p, site_names)]
    if pieces and (v == pieces[0] or v == max(pieces, key=len)):
        return True
    tv, tc = _tokens(visible), _tokens(claimed)
    return bool(tv) and len(tv & tc) / len(tv | tc) >= 0.7


def in_chrome(el: etree._Element) -> bool:
    """Inside the site's menus, sidebars, header or footer. An HTML5 <header>/<footer> inside
    an <article> or <main> is the article's own (headline, date line, byline), not chrome."""
    for a in el.iterancestors():
        if a.tag in ("nav", "aside"):
            return True
        if a.tag in ("header", "footer"):
            return not any(x.tag in ("article", "main") for x in a.iterancestors())
    return False


def metadata_titles(pm: PageMeta) -> list[tuple[str, str]]:
    """(title, source) claimed by metadata, most trusted first."""
    out: list[tuple[str, str]] = []
    for obj in pm.jsonld[:3]:
        h = obj.get("headline") or (obj.get("name") if _ld_types(obj) & _ARTICLE_TYPES else None)
        if isinstance(h, str) and h.strip():
            out.append((_unescape(h), "json-ld"))
            break
    for key in ("og:title", "twitter:title", "title", "dc.title"):
        for v in pm.meta.get(key, [])[:1]:
            out.append((v, "meta"))
    if pm.title_tag:
        out.append((pm.title_tag, "title-tag"))
    return out


def heading_candidates(root: etree._Element) -> Iterable[tuple[etree._Element, str]]:
    """On-page headings in order of preference: every h1, then title-classed blocks."""
    body = root.find("body")
    if body is None:
        return
    for el in body.iter("h1"):
        yield el, "h1"
    for el in body.iter("div", "h2", "h3", "p", "span", "header", "section", "td", "strong"):
        cls = (el.get("class") or "") + " " + (el.get("id") or "")
        if _TITLE_HINT.search(cls) and len(el) < 6:
            yield el, "title-block"


def _strip_site_parts(title: str, site_names: tuple[str, ...]) -> str:
    """Drop " - Báo X" / "X | " parts that name the site, keeping the longest remaining part."""
    pieces = [p for p in _TITLE_SEP.split(title) if p.strip()]
    if len(pieces) < 2:
        return title
    keep = [
        p
        for p in pieces
        if not is_site_name(p, site_names)
        and not (byline.is_publisher_name(p, site_names) and len(p.split()) <= 6)
    ]
    return max(keep or pieces, key=len).strip()


def _heading_before(root: etree._Element, body_el: etree._Element | None) -> etree._Element | None:
    """The last headline-like element before the article body: portals print the section name
    in an earlier `<h1>` and the story's headline just above the text."""
    if body_el is None:
        return None
    body = root.find("body")
    if body is None:
        return None
    last = None
    for el in body.iter():
        if el is body_el:
            break
        if not isinstance(el.tag, str):
            continue
        cls = (el.get("class") or "") + " " + (el.get("id") or "")
        if LEAD_HINT.search(cls):
            continue  # the sapo under the headline, not the headline
        if el.tag in ("h1", "h2", "h3") or (_TITLE_HINT.search(cls) and len(el) < 6):
            t = text_of(el)
            if len(t.split()) >= 4 and len(t) <= 400 and not in_chrome(el):
                last = el
    return last


def pick_title(
    root: etree._Element, pm: PageMeta, body_el: etree._Element | None = None
) -> tuple[str, str, etree._Element | None]:
    """(title, source, heading element or None).

    A visible heading that agrees with the metadata wins (it is what readers see). Otherwise
    JSON-LD / og:title are trusted; a bare `<title>` is not, because portals put the section
    name there, so the heading just above the body is preferred to it.
    """
    claimed = metadata_titles(pm)
    first_h1 = None
    for el, kind in heading_candidates(root):
        t = text_of(el)
        if not 4 <= len(t) <= 400:
            continue
        if kind == "h1" and first_h1 is None and not in_chrome(el):
            first_h1 = (el, t)
        if any(_agrees(t, c, pm.site_names) for c, _ in claimed):
            return t, kind, el
    for c, src in claimed:
        if src == "title-tag":
            continue
        cleaned = _strip_site_parts(c, pm.site_names)
        if cleaned:
            return cleaned, src, None
    near = _heading_before(root, body_el)
    if near is not None:
        return text_of(near), "heading-before-body", near
    if first_h1:
        return first_h1[1], "h1", first_h1[0]
    for c, _src in claimed:
        cleaned = _strip_site_parts(c, pm.site_names)
        if cleaned:
            return cleaned, "title-tag", None
    return "", "none", None


# ---------------------------------------------------------------- author


def metadata_authors(pm: PageMeta) -> tuple[str | None, str]:
    """Author from JSON-LD Person entries, then meta tags; publishers and accounts rejected."""
    for obj in pm.jsonld[:3]:
        a = obj.get("author")
        entries = a if isinstance(a, list) else [a]
        names: list[str] = []
        for e in entries:
            raw = e.get("name") if isinstance(e, dict) else e
            if isinstance(e, dict) and "organization" in _ld_types(e):
                continue
            if isinstance(raw, str):
                for n in byline.valid_authors(_unescape(raw), pm.site_names):
                    if n not in names:
                        names.append(n)
        if names:
            return ", ".join(names), "json-ld"
    for key in _AUTHOR_META:
        for v in pm.meta.get(key, []):
            names = byline.valid_authors(v, pm.site_names)
            if names:
                return ", ".join(names), "meta"
    return None, "none"


def visible_author(root: etree._Element, pm: PageMeta) -> str | None:
    """A name in an author/byline-classed element (tuoitre, nld, vietnamnet style)."""
    body = root.find("body")
    if body is None:
        return None
    for el in body.iter("p", "div", "li", "span", "a", "strong", "b", "address"):
        hint = (el.get("class") or "") + " " + (el.get("id") or "") + " " + (el.get("rel") or "")
        if not _AUTHOR_HINT.search(hint):
            continue
        t = text_of(el)
        if not t or len(t) > 100 or in_other_area(el):
            continue
        names = byline.valid_authors(t, pm.site_names)
        if names:
            return byline.join_names(t, names)
    return None
