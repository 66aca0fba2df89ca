"""The evidence report as CSV (one row per initiative and article) and as JSON.

The CSV is for a spreadsheet: bilingual headers, names beside ids, dates as the team writes
them, the citation ready to paste. Written with a UTF-8 BOM (`write_report`, the web page), so
Excel reads the diacritics, and with formula injection neutralised: a crawled title starting
with `=`, `+`, `-`, `@`, a tab or a carriage return would be run by Excel as a formula
(`=HYPERLINK(…)`, `=cmd|…`), so such a cell gets a leading apostrophe (the OWASP rule). Plain
numbers (`-3.5`) are left alone: they cannot be formulas.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from .citation import date_source_label, role_label
from .labels import agencies_of
from .period import format_date_vi
from .report import Report

BOM = "\ufeff"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)?(?:[eE][-+]?\d+)?")

CSV_COLUMNS = (
    "Mã sáng kiến / Initiative id",
    "Sáng kiến / Initiative",
    "Phần / Part",
    "Tin số / Story no.",
    "Bài số / Article no.",
    "Mã tin / Story key",
    "Tin / Story",
    "Mã bài / Article id",
    "Loại bài / Kind",
    "Bản gốc / Original",
    "Báo / Outlet",
    "Mã nguồn / Source id",
    "Tác giả / Author",
    "Ngày đăng / Published",
    "Ngày đăng ISO / Published ISO",
    "Nguồn ngày / Date from",
    "Tiêu đề / Title",
    "Địa chỉ / URL",
    "Địa chỉ chuẩn / Canonical URL",
    "Trích dẫn bằng chứng / Evidence quote",
    "Cơ quan / Agencies",
    "Ngày thu thập / Fetched",
    "Bản lưu trữ / Archive URL",
    "SHA-256",
    "Bản ghi WARC / WARC record",
    "Trích dẫn / Citation (vi)",
    "Citation (en)",
    "Rà soát / Reviewed",
)


def neutralise(value: Any) -> Any:
    """A cell a spreadsheet will not run as a formula (OWASP CSV injection rule)."""
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    if _NUMBER.fullmatch(value):
        return value
    return "'" + value


def report_rows(report: Report) -> list[list[Any]]:
    """The CSV's rows (without the header), in the order the report shows them."""
    rows: list[list[Any]] = []
    for sec in report.sections:
        for part, stories in (("dated", sec.stories), ("date unknown", sec.undated)):
            label = "có ngày / dated" if part == "dated" else "ngày không rõ / date unknown"
            for n, st in enumerate(stories, 1):
                for i, a in enumerate(st.articles, 1):
                    rows.append(
                        [
                            sec.id,
                            sec.name_vi,
                            label,
                            n,
                            i,
                            st.key,
                            st.title,
                            a.id,
                            role_label(a.role),
                            int(a.is_original),
                            a.outlet,
                            a.source_id,
                            a.author or "",
                            format_date_vi(a.published),
                            a.published or "",
                            date_source_label(a.published_source) if a.published else "",
                            a.title,
                            a.url,
                            a.canonical_url or "",
                            " | ".join(q.text for q in a.quotes),
                            agencies_of(a, report.agency_names),
                            format_date_vi(a.fetched_at),
                            a.archive_url or "",
                            a.raw_sha256 or "",
                            f"{a.warc_file or ''} {a.warc_record_id or ''}".strip(),
                            a.citation("vi"),
                            a.citation("en"),
                            " | ".join(a.reviewed),
                        ]
                    )
    return rows


def render_csv(report: Report, bom: bool = False) -> str:
    """One row per (initiative, article), numbered per story; `bom` for a file Excel opens."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for row in report_rows(report):
        w.writerow([neutralise(c) for c in row])
    return (BOM if bom else "") + buf.getvalue()


def report_json(report: Report) -> dict[str, Any]:
    """The report as data: every section, story and article with its citation lines."""

    def article(a: Any) -> dict[str, Any]:
        return {
            "id": a.id,
            "title": a.title,
            "outlet": a.outlet,
            "source_id": a.source_id,
            "author": a.author,
            "published": a.published,
            "published_source": a.published_source,
            "role": a.role,
            "is_original": a.is_original,
            "url": a.url,
            "canonical_url": a.canonical_url,
            "fetched_at": a.fetched_at,
            "archive_url": a.archive_url,
            "raw_sha256": a.raw_sha256,
            "warc_file": a.warc_file,
            "warc_record_id": a.warc_record_id,
            "quotes": [q.text for q in a.quotes],
            "agencies": [
                {"id": g, "name_vi": report.agency_names[g].name_vi}
                if g in report.agency_names
                else {"id": g}
                for g in a.agencies
            ],
            "citation_vi": a.citation("vi"),
            "citation_en": a.citation("en"),
            "reviewed": a.reviewed,
        }

    def story(s: Any) -> dict[str, Any]:
        return {
            "key": s.key,
            "title": s.title,
            "first_published": s.first_published,
            "outlets": s.outlets,
            "quotes": [q.text for q in s.quotes],
            "articles": [article(a) for a in s.articles],
        }

    q = report.query
    return {
        "title": "Báo cáo bằng chứng / Evidence report",
        "period": {"from": q.date_from.isoformat(), "to": q.date_to.isoformat()},
        "generated_at": report.generated_at,
        "kb_version": report.kb_version,
        "articles": report.article_total,
        "undated": report.undated_total,
        "excluded_by_reviewers": report.excluded_total,
        "agency_filter": [a.id for a in report.agency_filter],
        "sections": [
            {
                "id": sec.id,
                "name_vi": sec.name_vi,
                "name_en": sec.name_en,
                "kind": sec.kind,
                "stories": [story(s) for s in sec.stories],
                "date_unknown": [story(s) for s in sec.undated],
                "excluded": [e.__dict__ for e in sec.excluded],
                "per_year": {str(y): list(v) for y, v in sorted(sec.per_year.items())},
            }
            for sec in report.sections
        ],
    }


def render_json(report: Report) -> str:
    return json.dumps(report_json(report), ensure_ascii=False, indent=1)
