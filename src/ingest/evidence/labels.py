"""The report's words, in Vietnamese with the English after it, shared by every format.

The report goes into a Vietnamese document for UNESCO and is read by both audiences, so each
label is "Vietnamese (English)", never nested: a value that is itself bilingual (an article's
role, where its date came from) is written "tiếng Việt / English" beside its label, not in
another pair of brackets.
"""

from __future__ import annotations

from .citation import date_source_label, role_label
from .period import format_date_vi
from .report import Agency, ArticleEntry, InitiativeSection, Report

L = {
    "title": "Báo cáo bằng chứng (Evidence report)",
    "subtitle": "Hà Nội – Thành phố sáng tạo UNESCO (Hanoi, UNESCO Creative City of Design)",
    "period": "Kỳ báo cáo (Period)",
    "generated": "Thời điểm lập (Generated)",
    "kb_version": "Phiên bản kho dữ liệu (Knowledge-base version)",
    "initiatives": "Sáng kiến và chủ đề (Initiatives and topics)",
    "coverage": "Phạm vi (Coverage)",
    "agency_filter": "Lọc theo cơ quan (Agency filter)",
    "contents": "Mục lục (Contents)",
    "initiative": "Sáng kiến (Initiative)",
    "topic": "Chủ đề (Topic)",
    "summary": "Tóm tắt (Summary)",
    "totals": "Tổng số (Totals)",
    "per_year": "Số tin và bài theo năm (Stories and articles per year)",
    "per_outlet": "Theo cơ quan báo chí (Per outlet)",
    "agencies_involved": "Cơ quan tham gia (Agencies involved)",
    "chart": "Độ phủ theo thời gian (Coverage over time)",
    "stories": "Các tin (Stories)",
    "undated": "Ngày không rõ (Date unknown)",
    "undated_note": (
        "Các bài không xác định được ngày đăng (trang, RSS và sitemap đều không ghi ngày) nhưng"
        " có thể thuộc kỳ báo cáo. (Articles whose publication date could not be found on the"
        " page, in the feed or in the sitemap, but which may belong to the period.)"
    ),
    "excluded": "Đã loại khi rà soát (Excluded by reviewers)",
    "year": "Năm (Year)",
    "n_stories": "Số tin (Stories)",
    "n_articles": "Số bài (Articles)",
    "outlet": "Cơ quan báo chí (Outlet)",
    "agency": "Cơ quan (Agency)",
    "date": "Ngày (Date)",
    "outlets": "Báo đưa tin (Outlets)",
    "quotes": "Trích dẫn làm bằng chứng (Evidence quotes)",
    "agencies": "Cơ quan liên quan (Agencies)",
    "articles": "Các bài (Articles)",
    "no": "STT (No.)",
    "article": "Bài (Article)",
    "role": "Loại bài (Kind)",
    "author": "Tác giả (Author)",
    "published": "Ngày đăng (Published)",
    "date_source": "nguồn ngày / date from",
    "date_unknown": "ngày không rõ / date unknown",
    "url": "Địa chỉ (URL)",
    "canonical": "Địa chỉ chuẩn (Canonical URL)",
    "fetched": "Ngày thu thập (Fetched)",
    "archive": "Bản lưu trữ (Archived copy)",
    "not_archived": "chưa có bản lưu trữ / no archived copy",
    "sha256": "Mã băm bản lưu trữ (Archive SHA-256)",
    "warc": "Bản ghi WARC (WARC record)",
    "cite_vi": "Trích dẫn (Citation, tiếng Việt)",
    "cite_en": "Trích dẫn (Citation, English)",
    "reviewed": "Đã rà soát (Reviewed)",
    "reason": "Lý do (Reason)",
    "reviewer": "Người rà soát (Reviewer)",
    "whole": "loại khỏi toàn bộ kho / excluded from the whole knowledge base",
    "none": "Không có tin nào trong kỳ (No stories in this period)",
    "none_agency": "Không có (None)",
}


def period_text(report: Report) -> str:
    q = report.query
    return f"{format_date_vi(q.date_from.isoformat())} – {format_date_vi(q.date_to.isoformat())}"


def kind_label(section: InitiativeSection) -> str:
    return L["topic"] if section.kind == "topic" else L["initiative"]


def heading(section: InitiativeSection) -> str:
    return f"{section.name_vi} ({section.name_en})"


def agency_names(agencies: list[Agency]) -> str:
    return ", ".join(f"{a.name_vi} ({a.name_en})" for a in agencies) or L["none_agency"]


def extras_text(section: InitiativeSection) -> str:
    """What else the totals include or leave out: undated articles, reviewers' exclusions."""
    extra = []
    if section.undated_count:
        extra.append(f"{section.undated_count} bài không rõ ngày (undated)")
    extra.append(f"{len(section.excluded)} bài bị loại khi rà soát (excluded by reviewers)")
    return "; ".join(extra)


def totals_text(section: InitiativeSection) -> str:
    """The section's counts in one sentence, undated and excluded articles included."""
    return (
        f"{section.story_count} tin (stories), {section.article_count} bài (articles), "
        f"{len(section.per_outlet)} cơ quan báo chí (outlets); {extras_text(section)}."
    )


def coverage_text(report: Report) -> str:
    """The report-wide count the title page states."""
    return (
        f"{report.article_total} bài được trích dẫn (articles cited), trong đó"
        f" {report.undated_total} bài không rõ ngày (undated);"
        f" {report.excluded_total} bài bị loại khi rà soát (excluded by reviewers)"
    )


def published_text(a: ArticleEntry) -> str:
    """dd/mm/yyyy and where the date came from, or 'date unknown'."""
    if not a.published:
        return L["date_unknown"]
    return f"{format_date_vi(a.published)} ({L['date_source']}: {date_source_label(a.published_source)})"


def role_text(a: ArticleEntry) -> str:
    return role_label(a.role)


def agencies_of(a: ArticleEntry, names: dict[str, Agency]) -> str:
    """An article's agencies, names beside ids."""
    out = []
    for g in a.agencies:
        agency = names.get(g)
        out.append(f"{agency.name_vi} ({g})" if agency else g)
    return ", ".join(out)
