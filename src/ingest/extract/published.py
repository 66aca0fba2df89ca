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
from ..text.textnorm import collapse_ws
from .dates import DateParts, parse_date_parts, to_iso
from .meta import PageMeta, in_chrome, in_other_area, text_of

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
_DATE_HINT = re.compile(r"date|time|publish|ngay|ngaydang|post-?time|thoigian", re.I)
_DATE_SKIP = re.compile(
    r"now|today|clock|weather|thoitiet|ago|update-?time|modified|expire|updated", re.I
)
_DATE_PREFIX = re.compile(
    r"^\s*(ngày đăng|đăng ngày|ngày xuất bản|cập nhật|đăng lúc|thời gian đăng|ngày|posted|published)",
    re.I,
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
    root: etree._Element, after: etree._Element | None, template_el: etree._Element | None
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
    seen_heading = after is None
    before: DateParts | None = None
    near: DateParts | None = None
    since_heading = 0
    for el in body.iter():
        if el is after:
            seen_heading = True
            continue
        if not isinstance(el.tag, str) or el.tag in ("script", "style"):
            continue
        if seen_heading:
            since_heading += 1
        hint = (el.get("class") or "") + " " + (el.get("id") or "")
        own = collapse_ws(el.text or "")
        hinted = (_DATE_HINT.search(hint) and not _DATE_SKIP.search(hint)) or _DATE_PREFIX.match(
            own
        )
        if not hinted and not (
            after is not None
            and seen_heading
            and near is None
            and since_heading <= NEAR_HEADLINE
            and len(el) <= 4
        ):
            continue
        t = text_of(el)
        if not t or len(t) > 120:
            continue
        p = _element_date(el) if hinted else parse_date_parts(t)
        if not p or in_other_area(el) or in_chrome(el):
            continue
        if not hinted:
            if p.has_time:
                near = p  # an unlabelled "Name | 05/06/2025 14:20" line under the headline
            continue
        if seen_heading:
            return p
        before = before or p
    return near or before


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
) -> tuple[str | None, str]:
    """(ISO date in +07:00, source): "json-ld", "meta", "time-tag" or "visible"."""
    s, src = _structured(root, pm)
    v = _visible(root, heading, template_el)
    if s is not None and v is None:
        return to_iso(s.dt), src
    chosen, visible = reconcile(s, v)
    if chosen is None:
        return None, "none"
    return to_iso(chosen.dt), "visible" if visible else src
