"""The article text: our own block reading of the container, trafilatura's, and how they combine.

On a known template the blocks read by `blocks` are the text (the fast path). Elsewhere
trafilatura's fast mode reads the page (its full mode with fallback extractors only when the
fast result is short), and its lines are then checked against the container's blocks: when the
blocks hold nearly everything trafilatura kept, the blocks are the text, minus the short
non-prose lines trafilatura dropped. That keeps what trafilatura loses on these templates
(`<div>` paragraphs, photo captions, the last paragraph before the signature) without taking its
boilerplate back. Either way the same cleaning follows: box headings, menu rows, the repeated
lead and headline, and the credit and signature lines at the end.
"""

from __future__ import annotations

import html as html_lib
import re

import trafilatura
from lxml import etree
from lxml.html import HtmlElement, document_fromstring

from ..text.fastfold import fast_fold as fold
from ..text.textnorm import collapse_ws
from . import byline
from .authors import is_credit_line, is_photo_credit
from .blocks import Block
from .boilerplate import is_boiler_heading, looks_like_menu_row
from .dates import parse_date_parts
from .lead import strip_source_prefix
from .tree import _PARSER

_NON_WORD = re.compile(r"\W+")
PROSE_MIN = 40  # characters a line trafilatura dropped needs to be put back as prose
COVERAGE = 0.9  # share of trafilatura's text the blocks must hold to replace it


def squash(text: str) -> str:
    """Letters and digits only, folded: for comparing one reading of the page with another."""
    return _NON_WORD.sub("", fold(html_lib.unescape(text)))


def trafilatura_text(tree: HtmlElement, url: str | None, *, fast: bool = False) -> str:
    doc = trafilatura.bare_extraction(
        tree,
        url=url,
        fast=fast,
        with_metadata=False,
        include_comments=False,
        include_tables=True,
        include_images=False,
        deduplicate=False,
    )
    return (doc.text if doc is not None and doc.text else "") or ""


def body_text(root: HtmlElement, url: str | None, wanted: int) -> str:
    """trafilatura's fast mode first; its full mode (with fallback extractors) only when the fast
    result is short or misses much of the container's prose (`wanted` characters).

    On well-formed news pages both modes agree and the fallbacks cost a fifth of the run time.
    """
    raw = trafilatura_text(root, url, fast=True)
    size = len(collapse_ws(raw))
    if size < 200 or size < 0.5 * wanted:
        full = trafilatura_text(root, url)
        if len(collapse_ws(full)) > size:
            return full
    return raw


def wrap(el: etree._Element) -> HtmlElement:
    """A minimal document around one element (moved into it), for trafilatura to read alone."""
    html = etree.Element("html")
    body = etree.SubElement(html, "body")
    art = etree.SubElement(body, "article")
    art.append(el)
    return document_fromstring(etree.tostring(html, encoding="utf-8"), parser=_PARSER)


def _is_date_line(line: str) -> bool:
    return len(line) <= 80 and parse_date_parts(line) is not None and len(line.split()) <= 10


def clean_paragraphs(
    lines: list[str],
    lead: str,
    title: str,
    drop_phrases: tuple[str, ...],
) -> list[str]:
    """Drop the repeated lead and headline, box headings, menu rows and the drop phrases, then
    the metadata lines at either end: dates, bylines, photo and source credits."""
    lines = [x for x in (collapse_ws(x) for x in lines) if x]
    lead_key = fold(lead)
    title_key = fold(title)
    folded_drops = tuple(fold(p) for p in drop_phrases if p.strip())
    out = []
    for ln in lines:
        f = fold(ln)
        g = fold(strip_source_prefix(ln)) if lead_key else f
        if lead_key and any(
            x == lead_key or (len(x) > 40 and lead_key.startswith(x)) for x in (f, g)
        ):
            continue
        if is_boiler_heading(ln) or (folded_drops and f.startswith(folded_drops)):
            continue
        out.append(ln)
    while out and (
        (title_key and fold(out[0]) == title_key)
        or looks_like_menu_row(out[0])
        or _is_date_line(out[0])
        or (len(out[0]) <= 80 and byline.has_byline_prefix(out[0]))
    ):
        out.pop(0)  # "Bài và ảnh: X", a date line or a menu row above the first paragraph
    while (
        out
        and len(out[-1]) <= 90
        and (
            byline.is_account_name(out[-1])
            or byline.has_byline_prefix(out[-1])
            or is_photo_credit(out[-1])
            or is_credit_line(out[-1])
        )
    ):
        out.pop()
    return out


def trim_to_container(paragraphs: list[str], container_text: str, title: str) -> list[str]:
    """Cut leading and trailing lines that lie outside the article container.

    trafilatura sometimes starts with the breadcrumb or section name and ends with a sidebar
    widget; lines between the first and last one found in the container are kept as they are.
    When the container holds under 60% of the text it is probably only part of the article, and
    nothing is cut.
    """
    if not paragraphs:
        return paragraphs
    # compare letters and digits only: trafilatura unescapes entities the page double-escaped
    hay = squash(container_text)
    inside = [squash(p) in hay for p in paragraphs]
    total = sum(len(p) for p in paragraphs)
    covered = sum(len(p) for p, ok in zip(paragraphs, inside, strict=True) if ok)
    if not any(inside) or covered < 0.6 * total:
        return paragraphs
    first = inside.index(True)
    last = len(inside) - 1 - inside[::-1].index(True)
    kept = paragraphs[first : last + 1]
    title_key = fold(title)
    while kept and title_key and fold(kept[0]) == title_key:
        kept.pop(0)
    return kept


def is_prose(b: Block) -> bool:
    """A line of article text rather than a label: long enough, not a link, not a heading."""
    return len(b.text) >= PROSE_MIN and b.link_share < 0.3 and not is_boiler_heading(b.text)


def block_lines(blocks: list[Block]) -> list[str]:
    """The blocks as text lines, without link-only teasers (a title linking to another story)."""
    return [b.text for b in blocks if not (b.link_share >= 0.8 and len(b.text) <= 200)]


def merge(blocks: list[Block], traf: list[str]) -> list[str] | None:
    """The container's blocks in place of trafilatura's lines, when they hold nearly all of
    them; blocks trafilatura dropped stay only if they are prose. None when the blocks do not
    cover trafilatura's text (the container is not the whole article)."""
    if not blocks or not traf:
        return None
    have = squash(" ".join(b.text for b in blocks))
    total = sum(len(t) for t in traf)
    covered = sum(len(t) for t in traf if squash(t) in have)
    if total == 0 or covered < COVERAGE * total:
        return None
    kept_keys = squash(" ".join(traf))
    out = []
    for b in blocks:
        key = squash(b.text)
        if not key:
            continue
        if key in kept_keys or is_prose(b):
            if b.link_share >= 0.8 and len(b.text) <= 200:
                continue
            out.append(b.text)
    return out
