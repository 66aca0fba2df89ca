"""The publication date: structured candidates (JSON-LD, meta, <time>) weighed against the page.

Structured dates are preferred because they carry seconds and an offset, but Vietnamese sites
get the offset wrong in two recurring ways: a CMS that stores Hanoi time and labels it UTC
("…T21:40:00Z" for a story the page dates 21:40), and a template that stamps every JSON-LD date
with another zone (+08:00). Both leave the printed clock unchanged and move the instant, often
across midnight. So when the visible date line shows the same clock time as a structured date
whose offset is not +07:00, the visible reading (Hanoi time) wins; and a structured date whose
Hanoi day disagrees with the visible day, while its own printed day agrees, is read as Hanoi
time. A page with no structured date at all is dated from its visible date line: a date-classed
element, a "Ngày đăng:"/"Cập nhật:" prefix, or a short line just under the headline.
"""

from __future__ import annotations

import re
from datetime import timedelta

from lxml import etree

from ..clock import VN_TZ
from .dates import DateParts, parse_date_parts, to_iso
from .meta import PageMeta, in_chrome, in_other_area, text_of
from .pageindex import PageIndex, index_page

DATE_META = (
    "article:published_time",
    "og:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "dc.date.issued",
    "dc.date",
    "date",
    "sailthru.date",
    "parsely-pub-date",
    "article.published",
    "published_time",
    "created",
)
_DATE_SKIP = re.compile(
    r"now|today|clock|weather|thoitiet|ago|update-?time|modified|expire|updated", re.I
)
_DATE_PREFIX = re.compile(
    r"^\s*(ngày đăng|đăng ngày|ngày xuất bản|cập nhật|đăng lúc|thời gian đăng|ngày|posted|published)",
    re.I,
)
_HINT_WORDS = ("date", "time", "publish", "ngay", "thoigian")
_PREFIXES = (
    "Ngày",
    "ngày",
    "NGÀY",
    "Đăng",
    "đăng",
    "Cập nhật",
    "cập nhật",
    "CẬP NHẬT",
    "Thời gian",
    "thời gian",
    "Posted",
    "posted",
    "Published",
    "published",
)
# Short text nodes outside scripts that contain a prefix's telltale letters, found in C (a
# normalize-space() per prefix over every text node, script blobs included, costs milliseconds).
_PREFIX_TEXT_XP = etree.XPath(
    ".//text()[not(parent::script or parent::style)][string-length(.) < 200]["
    + " or ".join(f"contains(., '{p[1:5]}')" for p in _PREFIXES)
    + "]"
)
NEAR_HEADLINE = 40  # elements after the headline searched for an unlabelled date line
_SAME_CLOCK = timedelta(minutes=2)


def _structured(root: etree._Element, pm: PageMeta) -> tuple[DateParts | None, str]:
    for obj in pm.jsonld:
        v = obj.get("datePublished") or obj.get("dateCreated")
        if isinstance(v, str):
            p = parse_date_parts(v, us=True)
            if p:
                return p, "json-ld"
    for key in DATE_META:
        for v in pm.meta.get(key, []):
            p = parse_date_parts(v, us=True)
            if p:
                return p, "meta"
    for el in root.iter("time"):
        v = el.get("datetime")
        p = parse_date_parts(v, us=True) if v else None
        if p and not in_chrome(el) and not in_other_area(el):
            return p, "time-tag"
    return None, "none"


def _element_date(el: etree._Element) -> DateParts | None:
    """A date element's reading: its text, else the machine value it carries as an attribute."""
    t = text_of(el)
    p = parse_date_parts(t) if t and len(t) <= 120 else None
    if p is None or not p.has_time:
        for attr in ("datetime", "title", "content", "data-date"):
            v = el.get(attr)
            q = parse_date_parts(v) if v else None
            if q and (p is None or q.dt.date() == p.dt.date()):
                return q
    return p


def _visible(
    root: etree._Element,
    after: etree._Element | None,
    template_el: etree._Element | None,
    index: PageIndex,
) -> DateParts | None:
    """The page's own date line: the template's date element, a date-classed element or a
    "Ngày đăng" prefix (after the headline first), else a short dated line near the headline.

    Dates after the headline are preferred: headers carry today's date and sidebars carry the
    dates of other stories.
    """
    if template_el is not None:
        p = _element_date(template_el)
        if p:
            return p
    body = root.find("body")
    if body is None:
        return None
    by_class: list[etree._Element] = []
    for value in index.attrs:  # class and id values, matched in Python (faster than XPath)
        low = value.lower()
        if any(w in low for w in _HINT_WORDS):
            el = value.getparent()
            if not _DATE_SKIP.search((el.get("class") or "") + " " + (el.get("id") or "")):
                by_class.append(el)
    heading_at = _position(after) if after is not None else -1.0
    found_after: list[tuple[float, DateParts]] = []
    found_before: list[tuple[float, DateParts, bool]] = []

    def first_of(candidates: list[etree._Element]) -> None:
        first_before = None
        for el in dict.fromkeys(candidates):  # in document order
            p = _candidate_date(el)
            if p is None:
                continue
            at = _position(el)
            if at > heading_at:
                found_after.append((at, p))
                break  # the first after the headline is this list's answer
            first_before = first_before or (at, p, _in_article_head(el, after))
        if first_before:
            found_before.append(first_before)

    first_of(by_class)
    if not found_after and found_before and found_before[0][2]:
        return found_before[0][1]  # a date line just above the headline, in its own header
    if not found_after:  # "Ngày đăng:" lines, looked for only when no date element answered
        first_of(
            [
                node.getparent()
                for node in _PREFIX_TEXT_XP(body)
                if node.is_text and _DATE_PREFIX.match(node)
            ]
        )
    if found_after:
        return min(found_after, key=lambda x: x[0])[1]
    near = _near_headline(after)
    if near:
        return near
    return min(found_before, key=lambda x: x[0])[1] if found_before else None


def _in_article_head(el: etree._Element, heading: etree._Element | None) -> bool:
    """Inside the block that holds the headline (its parent or grandparent): the article's own
    header, where templates print the date line above the title, not the site's header."""
    if heading is None:
        return False
    for level, anc in enumerate(heading.iterancestors()):
        if level >= 2 or anc.tag in ("body", "html"):
            return False
        if anc in set(el.iterancestors()):
            return True
    return False


def _candidate_date(el: etree._Element) -> DateParts | None:
    if not isinstance(el.tag, str) or el.tag in ("script", "style"):
        return None
    t = text_of(el)
    if not t or len(t) > 120:
        return None
    p = _element_date(el)
    if not p or in_other_area(el) or in_chrome(el):
        return None
    return p


def _position(el: etree._Element) -> float:
    """Document order, counted in C (only a handful of candidates are ever placed)."""
    return el.xpath("count(preceding::*) + count(ancestor::*)")


_FOLLOWING_XP = etree.XPath(f"following::*[position() <= {NEAR_HEADLINE}]")


def _near_headline(after: etree._Element | None) -> DateParts | None:
    """An unlabelled "Name | 05/06/2025 14:20" line among the elements just after the headline."""
    if after is None:
        return None
    for el in _FOLLOWING_XP(after):
        if el.tag in ("script", "style") or len(el) > 4:
            continue
        t = text_of(el)
        if not t or len(t) > 120:
            continue
        p = parse_date_parts(t)
        if p and p.has_time and not in_other_area(el) and not in_chrome(el):
            return p
    return None


def _agrees_on_clock(s: DateParts, v: DateParts) -> bool:
    return v.has_time and abs(s.wall - v.wall) <= _SAME_CLOCK


def reconcile(s: DateParts | None, v: DateParts | None) -> tuple[DateParts | None, bool]:
    """(the date to keep, whether it is the visible one)."""
    if s is None:
        return v, v is not None
    if v is None or s.offset is None or s.offset.utcoffset(None) == VN_TZ.utcoffset(None):
        return s, False
    if _agrees_on_clock(s, v) and s.dt != v.dt:
        return v, True  # the clock matches the page but the offset moves it: a mislabelled zone
    if not v.has_time and s.dt.date() != v.dt.date() and s.wall.date() == v.dt.date():
        local = s.wall.replace(tzinfo=VN_TZ)
        return DateParts(local, s.wall, True, None), True
    return s, False


def pick_published(
    root: etree._Element,
    pm: PageMeta,
    heading: etree._Element | None = None,
    template_el: etree._Element | None = None,
    index: PageIndex | None = None,
) -> tuple[str | None, str]:
    """(ISO date in +07:00, source): "json-ld", "meta", "time-tag" or "visible"."""
    s, src = _structured(root, pm)
    v = _visible(root, heading, template_el, index or index_page(root))
    if s is not None and v is None:
        return to_iso(s.dt), src
    chosen, visible = reconcile(s, v)
    if chosen is None:
        return None, "none"
    return to_iso(chosen.dt), "visible" if visible else src
