"""How one article is cited in the UNESCO report: its archive link, role and citation lines.

Pure functions on plain values, shared by the report builder and every renderer, so the DOCX,
the web page, the CSV and the Markdown cite an article in exactly the same words.

The archive link is absolute (`<base>/-/archive/<id>`): a dossier is read away from the
server, so a relative link would lead nowhere. The base is the public address of the
knowledge base (`--base-url`, or the Datasette plugin setting `base_url`); by default the local
server `ingest serve` starts.
"""

from __future__ import annotations

import re

from .period import format_date_vi

DEFAULT_BASE_URL = "http://127.0.0.1:8001"
AGENCY_KINDS = ("government", "party", "international")

# A story member's role, told apart as the report's reader needs it: an outlet reprinting a
# story is not a second source, but a department's own page about its event is.
ROLES = {
    "original": ("bản gốc", "original"),
    "copy": ("bản đăng lại", "republished copy"),
    "separate": ("bài viết riêng", "separate report"),
    "agency": ("thông tin của cơ quan", "agency's own publication"),
}

# Where an article's date came from (articles.published_source, or field_sources.published).
DATE_SOURCES = {
    "json-ld": ("dữ liệu JSON-LD của trang", "the page's JSON-LD"),
    "meta": ("thẻ meta của trang", "the page's meta tags"),
    "time-tag": ("thẻ <time> của trang", "the page's <time> element"),
    "visible": ("dòng ngày đăng trên trang", "the date line on the page"),
    "override": ("bộ chọn riêng của nguồn", "the source's own selector"),
    "feed": ("RSS/Atom của nguồn", "the source's RSS/Atom feed"),
    "sitemap": ("sitemap của nguồn", "the source's sitemap"),
    "url": ("địa chỉ bài", "the article's URL"),
    "none": ("không rõ", "unknown"),
}

_BASE = re.compile(r"^https?://[^\s/?#]+(/[^\s?#]*)?$")


def check_base_url(base_url: str) -> str:
    """The public base without a trailing slash; an http(s) address with no query or fragment."""
    base = (base_url or "").strip().rstrip("/")
    if not _BASE.match(base):
        raise ValueError(
            f"base URL must be an http(s) address like https://kb.example.org: {base!r}"
        )
    return base


def archive_url(base_url: str, article_id: int) -> str:
    return f"{base_url.rstrip('/')}/-/archive/{article_id}"


def role_of(*, is_original: bool, source_kind: str | None, is_copy: bool) -> str:
    if source_kind in AGENCY_KINDS:
        return "agency"
    if is_original:
        return "original"
    return "copy" if is_copy else "separate"


def role_label(role: str) -> str:
    vi, en = ROLES[role]
    return f"{vi} / {en}"


def date_source_label(source: str | None) -> str:
    if not source:
        return "không rõ / unknown"
    vi, en = DATE_SOURCES.get(source, (source, source))
    return f"{vi} / {en}"


def citation(
    *,
    outlet: str,
    title: str,
    published: str | None,
    url: str,
    fetched_at: str | None,
    archive: str | None,
    lang: str,
) -> str:
    """Outlet, «Title», dd/mm/yyyy, URL (lưu trữ ngày dd/mm/yyyy: ARCHIVE-URL)."""
    vi = lang == "vi"
    day = format_date_vi(published) or ("không rõ ngày" if vi else "undated")
    if archive:
        when = format_date_vi(fetched_at)
        kept = (
            (f"lưu trữ ngày {when}" if vi else f"archived {when}")
            if when
            else ("lưu trữ" if vi else "archived")
        )
        tail = f" ({kept}: {archive})"
    else:
        tail = " (chưa có bản lưu trữ)" if vi else " (no archived copy)"
    return f"{outlet}, «{title}», {day}, {url}{tail}"
