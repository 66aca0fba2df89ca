"""The sapo (lead paragraph): where templates put it and how to tell it from the first paragraph.

Vietnamese templates print the sapo in three ways: a block classed sapo/lead/summary/chapeau/
description after the headline, outside the body container (most news sites) or as its first
child (old portals, "bold ArticleLead"); an `<h2>` right under the headline; or simply the body's
first paragraph set in bold. A leading "(Dân trí) - " / "TTO - " credit is not part of it.
"""

from __future__ import annotations

import re

from lxml import etree

from .blocks import Block
from .boilerplate import NOISE, link_len
from .meta import LEAD_HINT, text_of

MIN_BOLD_LEAD = 60  # a bold first paragraph shorter than this is a subheading, not a sapo


def in_noise(el: etree._Element, layout: set[etree._Element]) -> bool:
    """Inside a related/share/comment box? Ancestors of the body (`layout`) do not count."""
    for a in (el, *el.iterancestors()):
        if a in layout:
            return False
        hint = (a.get("class") or "") + " " + (a.get("id") or "")
        if NOISE.search(hint):
            return True
    return False


def lead_hinted(el: etree._Element) -> bool:
    hint = " ".join(el.get(k) or "" for k in ("class", "id", "data-role", "data-slot", "itemprop"))
    return bool(LEAD_HINT.search(hint))


def find_lead(
    root: etree._Element,
    heading: etree._Element | None,
    body_el: etree._Element | None,
    first_paragraph: etree._Element | None = None,
) -> tuple[etree._Element | None, str]:
    """The sapo: a lead-classed block after the headline, else an h2 right after it.

    The search stops at the first paragraph of the article (`first_paragraph`, or the body
    container's first child): a sapo classed as such may sit inside the container, but never
    after the text has begun.
    """
    body = root.find("body")
    if body is None:
        return None, "none"
    after = heading is None
    body_ancestors = set(body_el.iterancestors()) | {body_el} if body_el is not None else set()
    stop_at = first_paragraph
    fallback = None
    for el in body.iter():
        if el is heading:
            after = True
            continue
        if stop_at is not None and el is stop_at and not lead_hinted(el):
            break
        if not after or not isinstance(el.tag, str) or el in body_ancestors:
            continue
        if el.tag in ("script", "style", "a", "img", "meta", "figure", "figcaption"):
            continue
        if any(a.tag in ("figure", "figcaption", "nav", "footer") for a in el.iterancestors()):
            continue  # an image caption or a menu blurb, not the sapo
        if lead_hinted(el):
            t = text_of(el)
            if (
                30 <= len(t) <= 1500
                and len(el.findall(".//p")) <= 3
                and link_len(el) < 0.3 * len(t)
                and not in_noise(el, body_ancestors)
            ):
                return el, "lead-class"
        elif (
            fallback is None
            and heading is not None
            and el.tag == "h2"
            and body_el is not None
            and not in_noise(el, body_ancestors)
        ):
            t = text_of(el)
            if len(t) >= 60 and _link_share(el, t) < 0.3:
                fallback = el
        if stop_at is None and body_el is not None and el.getparent() is body_el:
            break  # reached the body paragraphs: the lead comes before them
    return (fallback, "h2-after-title") if fallback is not None else (None, "none")


def _link_share(el: etree._Element, t: str) -> float:
    return link_len(el) / len(t) if t else 0.0


def bold_lead(blocks: list[Block]) -> Block | None:
    """The body's first paragraph when it is set entirely in bold and more text follows."""
    prose = [b for b in blocks if not b.caption]
    if len(prose) < 2:
        return None
    first = prose[0]
    if first.all_bold and len(first.text) >= MIN_BOLD_LEAD and first.link_share < 0.3:
        return first
    return None


def strip_source_prefix(text: str) -> str:
    """Drop "(Dân trí) - ", "(NLĐO)- ", "(Chinhphu.vn) - ", "TTO - " at the start of a lead."""
    m = re.match(r"^\s*\(([^()]{2,40})\)\s*[-–—:]?\s*", text)
    if m and (m.group(0).rstrip().endswith(("-", "–", "—", ":")) or len(m.group(1)) <= 20):
        return text[m.end() :]
    m = re.match(r"^\s*([^\s\-–—]{2,12}(?:\s[^\s\-–—]{2,12})?)\s*[-–—]\s+", text)
    if m and m.group(1) == m.group(1).upper() and any(c.isalpha() for c in m.group(1)):
        return text[m.end() :]  # "TTO - ", "KTĐT - ", "VOV.VN - "
    m = re.match(r"^\s*([A-Za-z][A-Za-z0-9.]{2,20})\s*[-–—]\s+", text)
    if m:
        return text[m.end() :]  # "Kinhtedothi - ": an ASCII site name (Vietnamese words have marks)
    m = re.match(r"^\s*([A-ZĐ][A-ZĐ0-9]{2,9})\.\s+(?=\w)", text)
    if m and m.group(1) not in _NOT_SOURCE_TAGS:
        return text[m.end() :]  # "TGVN. "
    return text


_NOT_SOURCE_TAGS = frozenset({"PGS", "UBND", "HĐND", "TAND", "VKSND", "THPT", "THCS", "BCH"})
