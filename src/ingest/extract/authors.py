"""Find the byline on a page and say where it came from (`Extracted.field_sources["author"]`).

Places looked at, most trusted first: JSON-LD and meta authors that are people ("json-ld",
"meta"); the end of the body: a "Bài và ảnh:"/"Thực hiện:" line, a short bold or right-aligned
name, initials ("PV", "TP", "PV/VOV.VN") as the last line, "Theo Thu Hằng (Báo X)"
("byline-end"); the template's byline element or an author-classed element ("byline-class");
a byline printed above the first paragraph ("byline-top"); the meta line under the headline,
"Name - Theo Outlet | 05/06/2025 14:20" ("meta-line"). Every candidate goes through the same
name tests (`byline`), which reject CMS accounts, the outlet's own names, other outlets and
places.
"""

from __future__ import annotations

import re

from lxml import etree

from ..text.fastfold import fast_fold as fold
from ..text.textnorm import collapse_ws
from . import byline
from .blocks import Block
from .dates import parse_date_parts
from .meta import PageMeta, in_chrome, in_other_area, metadata_authors, text_of, visible_author

_META_LINE_SEP = re.compile(r"\s*(?:\||•|·|–|—|\s-\s|,)\s*")
_CREDIT = re.compile(r"^\(?\s*(?:theo|nguon)\b", re.I)
_PHOTO_CREDIT = re.compile(r"^\(?\s*(?:anh|video|clip|do hoa|photo)\s*[:\-–]", re.I)
META_LINE_MAX = 150
NEAR_HEADLINE = 25  # elements after the headline searched for the meta line


def is_credit_line(line: str) -> bool:
    """ "Theo Báo Kinh tế Mẫu", "(Theo TTXVN)", "Nguồn: Cổng TTĐT …": a source credit line."""
    t = collapse_ws(line)
    if len(t) > 90 or not _CREDIT.match(fold(t)):
        return False
    words = re.sub(r"^\(?\s*\w+\s*:?\s*", "", t).split()
    if not words or "," in t.split("(")[0] or t.rstrip(")").endswith("."):
        return False
    return words[0][:1].isupper() or fold(t).startswith("nguon")


def is_photo_credit(line: str) -> bool:
    return len(line) <= 80 and bool(_PHOTO_CREDIT.match(fold(collapse_ws(line))))


def _tail(lines: list[str]) -> list[str]:
    return lines[-5:] if len(lines) >= 10 else lines[len(lines) // 2 :]


def from_end(lines: list[str], site_names: tuple[str, ...]) -> str | None:
    """The signature at the end of a body: a prefixed byline or a bare name, else the initials
    on the last line, else a reporter credited with her outlet ("Theo Thu Hằng (Báo X)")."""
    tail = _tail(lines)
    found = byline.byline_from_lines(tail, site_names)
    if found:
        return found
    for ln in reversed(tail):
        ln = collapse_ws(ln)
        if not ln or is_photo_credit(ln) or is_credit_line(ln):
            continue
        found = byline.initials(ln)
        if found:
            return found
        break  # initials sign only as the last line
    for ln in reversed(tail):
        name = byline.theo_person(ln, site_names)
        if name:
            return name
    return None


def _meta_line_name(t: str, site_names: tuple[str, ...]) -> str | None:
    """The one person named on a meta line. A line only counts as one when it also carries a
    date or a source credit: a Title-Case line alone under a headline is as often a section
    name, a place or a link ("Hoan Kiem Lake") as a byline."""
    segments = [seg.strip() for seg in _META_LINE_SEP.split(t)]
    if not any(
        parse_date_parts(seg) is not None or _CREDIT.match(fold(seg)) for seg in segments if seg
    ):
        return None
    for seg in segments:
        seg = seg.strip()
        if not seg or len(seg) > 60 or parse_date_parts(seg) is not None:
            continue
        if _CREDIT.match(fold(seg)) or re.search(r"\d", seg):
            continue
        names = byline.valid_authors(seg, site_names)
        if len(names) == 1:
            return names[0]
    return None


def meta_line(
    root: etree._Element,
    heading: etree._Element | None,
    stop: etree._Element | None,
    site_names: tuple[str, ...],
) -> str | None:
    """A name on the short line(s) between the headline and the first paragraph."""
    if heading is None:
        return None
    scopes = [heading]
    if heading.getparent() is not None and heading.getparent().tag != "body":
        scopes.append(heading.getparent())  # the headline wrapped in its own title block
    for scope in scopes:
        seen = 0
        for el in scope.itersiblings():
            if stop is not None and (el is stop or stop in set(el.iterdescendants())):
                break
            seen += 1
            if seen > NEAR_HEADLINE:
                break
            if not isinstance(el.tag, str) or el.tag in ("script", "style", "figure", "img"):
                continue
            if in_other_area(el) or in_chrome(el):
                continue
            for cand in (el, *el.iterdescendants()):
                if not isinstance(cand.tag, str) or len(cand) > 6:
                    continue
                t = text_of(cand)
                if not t or len(t) > META_LINE_MAX:
                    continue
                name = _meta_line_name(t, site_names)
                if name:
                    return name
    return None


def page_candidates(
    root: etree._Element,
    pm: PageMeta,
    *,
    heading: etree._Element | None,
    template_el: etree._Element | None,
    first_paragraph: etree._Element | None,
) -> list[tuple[str, str]]:
    """(name, source) from the page around the body, read before boxes are cut from the tree
    (a byline often shares its row with the share buttons)."""
    out = []
    if template_el is not None:
        t = text_of(template_el)
        names = byline.valid_authors(t, pm.site_names)
        if names:
            out.append((byline.join_names(t, names), "byline-class"))
    found = visible_author(root, pm)
    if found:
        out.append((found, "byline-class"))
    found = meta_line(root, heading, first_paragraph, pm.site_names)
    if found:
        out.append((found, "meta-line"))
    return out


def find_author(
    pm: PageMeta, lines: list[str], page: list[tuple[str, str]]
) -> tuple[str | None, str]:
    """(author, source): metadata, the end of the body, the byline above the first paragraph,
    then the page candidates (template byline, author-classed element, meta line)."""
    author, src = metadata_authors(pm)
    if author:
        return author, src
    if lines:
        found = from_end(lines, pm.site_names)
        if found:
            return found, "byline-end"
    top = [ln for ln in lines[:3] if byline.has_byline_prefix(ln)]
    found = byline.byline_from_lines(top, pm.site_names)
    if found:
        return found, "byline-top"
    if page:
        return page[0]
    return None, "none"


def signature_lines(blocks: list[Block]) -> list[str]:
    """The body's lines as byline candidates: captions and link-only lines left out."""
    return [
        b.text
        for b in blocks
        if not b.caption and not b.in_table and (b.link_share < 0.5 or b.author_link)
    ]
