"""Render an evidence report (`ingest.evidence.report.Report`) as Markdown, HTML, CSV or DOCX.

Headings are Vietnamese with the English in brackets, because the report goes into a
Vietnamese document for UNESCO and is read by both audiences. URLs are written out in full
(a printed report has no links to click), and every article carries the SHA-256 of its archived
copy so a reader can ask for the archive and check it. Nothing crawled is emitted unescaped.

The coverage chart is drawn with matplotlib's object API on the Agg canvas (no pyplot global
state), so the Datasette page can render charts from several threads.
"""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Callable
from html import escape
from pathlib import Path

from .report import InitiativeSection, Report, StoryEntry, format_date_vi

FORMATS = ("md", "html", "csv", "docx")

L = {
    "title": "Báo cáo bằng chứng (Evidence report)",
    "subtitle": "Hà Nội – Thành phố sáng tạo UNESCO (Hanoi, UNESCO Creative City of Design)",
    "period": "Kỳ báo cáo (Period)",
    "generated": "Thời điểm lập (Generated)",
    "agency_filter": "Lọc theo cơ quan (Agency filter)",
    "initiative": "Sáng kiến (Initiative)",
    "topic": "Chủ đề (Topic)",
    "summary": "Tóm tắt (Summary)",
    "totals": "Tổng số (Totals)",
    "per_year": "Số tin và bài theo năm (Stories and articles per year)",
    "per_outlet": "Theo cơ quan báo chí (Per outlet)",
    "agencies_involved": "Cơ quan tham gia (Agencies involved)",
    "chart": "Độ phủ theo thời gian (Coverage over time)",
    "stories": "Các tin (Stories)",
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
    "original": "bản gốc (original)",
    "copy": "bản đăng lại (copy)",
    "url": "Địa chỉ (URL)",
    "canonical": "Địa chỉ chuẩn (Canonical URL)",
    "sha256": "Mã băm bản lưu trữ (Archive SHA-256)",
    "warc": "Bản ghi WARC (WARC record)",
    "archived": "Xem bản lưu trữ (View the archived copy)",
    "none": "Không có tin nào trong kỳ (No stories in this period)",
    "none_agency": "Không có (None)",
}

CSV_COLUMNS = (
    "initiative_id",
    "initiative_vi",
    "story_key",
    "story_title",
    "story_first_published",
    "story_outlets",
    "article_id",
    "is_original",
    "outlet",
    "published",
    "title",
    "url",
    "canonical_url",
    "quotes",
    "agencies",
    "raw_sha256",
    "warc_file",
    "warc_record_id",
    "fetched_at",
)


def _period(report: Report) -> str:
    q = report.query
    return f"{format_date_vi(q.date_from.isoformat())} – {format_date_vi(q.date_to.isoformat())}"


def _kind(section: InitiativeSection) -> str:
    return L["topic"] if section.kind == "topic" else L["initiative"]


def _heading(section: InitiativeSection) -> str:
    return f"{section.name_vi} ({section.name_en})"


# ---------------------------------------------------------------------------------------------
# Chart
# ---------------------------------------------------------------------------------------------


def coverage_chart(section: InitiativeSection) -> bytes:
    """PNG bar chart: stories and articles per year of the period."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    years = sorted(section.per_year)
    stories = [section.per_year[y][0] for y in years]
    articles = [section.per_year[y][1] for y in years]
    fig = Figure(figsize=(7.0, 2.8), dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    xs = range(len(years))
    width = 0.38
    ax.bar([x - width / 2 for x in xs], stories, width, label="Số tin (stories)", color="#2b6cb0")
    ax.bar([x + width / 2 for x in xs], articles, width, label="Số bài (articles)", color="#9ac1e8")
    ax.set_xticks(list(xs), [str(y) for y in years])
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title(f"{section.name_vi}: độ phủ theo năm (coverage per year)", fontsize=10)
    ax.legend(fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------------------------


def _md_cell(value: object) -> str:
    return str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _md_table(header: list[str], rows: list[list[object]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(_md_cell(c) for c in r) + " |" for r in rows]
    return out + [""]


def render_markdown(report: Report, chart_files: dict[str, str] | None = None) -> str:
    """Markdown; `chart_files` maps initiative id → the PNG's path relative to the .md file."""
    lines = [f"# {L['title']}", "", L["subtitle"], ""]
    lines.append(f"- {L['period']}: {_period(report)}")
    lines.append(f"- {L['generated']}: {report.generated_at}")
    if report.agency_filter:
        names = ", ".join(f"{a.name_vi} ({a.name_en})" for a in report.agency_filter)
        lines.append(f"- {L['agency_filter']}: {names}")
    lines.append("")
    for sec in report.sections:
        lines += [f"## {_heading(sec)}", "", f"*{_kind(sec)}: `{sec.id}`*", ""]
        lines += [f"### {L['summary']}", ""]
        lines.append(
            f"{L['totals']}: {sec.story_count} tin (stories), {sec.article_count} bài (articles), "
            f"{len(sec.per_outlet)} cơ quan báo chí (outlets)."
        )
        lines += ["", f"#### {L['per_year']}", ""]
        lines += _md_table(
            [L["year"], L["n_stories"], L["n_articles"]],
            [[y, s, a] for y, (s, a) in sorted(sec.per_year.items())],
        )
        lines += [f"#### {L['per_outlet']}", ""]
        lines += _md_table(
            [L["outlet"], L["n_stories"], L["n_articles"]],
            [[o.name, o.stories, o.articles] for o in sec.per_outlet],
        )
        lines += [f"#### {L['agencies_involved']}", ""]
        if sec.agencies:
            lines += _md_table(
                [L["agency"], L["n_stories"], L["n_articles"]],
                [
                    [f"{c.agency.name_vi} ({c.agency.name_en})", c.stories, c.articles]
                    for c in sec.agencies
                ],
            )
        else:
            lines += [L["none_agency"], ""]
        if chart_files and sec.id in chart_files:
            lines += [f"#### {L['chart']}", "", f"![{L['chart']}]({chart_files[sec.id]})", ""]
        lines += [f"### {L['stories']}", ""]
        if not sec.stories:
            lines += [L["none"], ""]
        for n, st in enumerate(sec.stories, 1):
            lines += _md_story(n, st)
    return "\n".join(lines).rstrip() + "\n"


def _md_story(n: int, st: StoryEntry) -> list[str]:
    out = [f"#### {n}. {format_date_vi(st.first_published)} — {_md_cell(st.title)}", ""]
    out.append(f"- {L['date']}: {format_date_vi(st.first_published)}")
    out.append(f"- {L['outlets']}: {', '.join(st.outlets)}")
    out.append(
        f"- {L['agencies']}: "
        + (", ".join(f"{a.name_vi} ({a.name_en})" for a in st.agencies) or L["none_agency"])
    )
    out += ["", f"{L['quotes']}:", ""]
    for qt in st.quotes:
        out += [f"> {_md_cell(qt.text)}", f"> — {qt.outlet}", ""]
    out += [f"{L['articles']}:", ""]
    for a in st.articles:
        role = L["original"] if a.is_original else L["copy"]
        out.append(f"- {format_date_vi(a.published)}, {a.outlet} ({role}): {_md_cell(a.title)}")
        out.append(f"  - {L['url']}: <{a.url}>")
        if a.canonical_url and a.canonical_url != a.url:
            out.append(f"  - {L['canonical']}: <{a.canonical_url}>")
        out.append(f"  - {L['sha256']}: `{a.raw_sha256 or ''}`")
        out.append(f"  - {L['warc']}: `{a.warc_file or ''}` {a.warc_record_id or ''}")
    return out + [""]


# ---------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------

PRINT_CSS = """
@page { size: A4; margin: 16mm 14mm 18mm 14mm; }
body { font-family: "Noto Serif", "DejaVu Serif", Georgia, serif; font-size: 11pt;
  line-height: 1.4; color: #111; max-width: 60rem; margin: 1.5rem auto; padding: 0 1rem; }
h1 { font-size: 20pt; margin-bottom: 0.2rem; } h2 { font-size: 16pt; border-bottom: 2px solid #333;
  padding-bottom: 0.2rem; margin-top: 2rem; } h3 { font-size: 13pt; } h4 { font-size: 11.5pt; }
table { border-collapse: collapse; margin: 0.4rem 0 1rem; }
th, td { border: 1px solid #999; padding: 0.15rem 0.5rem; text-align: left; vertical-align: top; }
td.n { text-align: right; }
.url, code { font-family: "DejaVu Sans Mono", monospace; font-size: 8.5pt;
  overflow-wrap: anywhere; word-break: break-all; }
blockquote { margin: 0.3rem 0 0.3rem 1rem; padding-left: 0.6rem; border-left: 3px solid #888; }
blockquote .by { display: block; font-size: 9pt; color: #444; }
.story { border-top: 1px solid #ccc; padding-top: 0.4rem; }
.chart img { max-width: 100%; height: auto; }
.meta { color: #333; }
@media print {
  body { margin: 0; max-width: none; }
  a { color: inherit; text-decoration: none; }
  h2 { break-before: page; } h2.first { break-before: avoid; }
  h2, h3, h4 { break-after: avoid; }
  .story, table, .chart, blockquote { break-inside: avoid; }
  .no-print { display: none; }
}
"""


def _e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def _html_table(header: list[str], rows: list[list[object]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{_e(c)}</td>' if isinstance(c, int) else f"<td>{_e(c)}</td>" for c in r
        )
        + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(
    report: Report,
    charts: dict[str, bytes] | None = None,
    nav_html: str = "",
    archive_link: Callable[[int], str] | None = None,
) -> str:
    """A self-contained page (charts inlined as data: URIs) that prints cleanly on A4.

    `nav_html` is trusted markup from the caller (the Datasette page's form), shown on screen
    only. `archive_link(article_id)` gives the path of the archived copy when served (Datasette's
    `/-/archive/<id>`); a file on disk has no server to link to.
    """
    parts = [
        '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">',
        f"<title>{_e(L['title'])}</title><style>{PRINT_CSS}</style></head><body>",
    ]
    if nav_html:
        parts.append(f'<nav class="no-print">{nav_html}</nav>')
    parts.append(
        f"<h1>{_e(L['title'])}</h1><p class='meta'>{_e(L['subtitle'])}</p><ul class='meta'>"
    )
    parts.append(f"<li>{_e(L['period'])}: {_e(_period(report))}</li>")
    parts.append(f"<li>{_e(L['generated'])}: {_e(report.generated_at)}</li>")
    if report.agency_filter:
        names = ", ".join(f"{a.name_vi} ({a.name_en})" for a in report.agency_filter)
        parts.append(f"<li>{_e(L['agency_filter'])}: {_e(names)}</li>")
    parts.append("</ul>")
    for i, sec in enumerate(report.sections):
        cls = ' class="first"' if i == 0 else ""
        parts.append(f'<section id="{_e(sec.id)}"><h2{cls}>{_e(_heading(sec))}</h2>')
        parts.append(f"<p class='meta'><em>{_e(_kind(sec))}: <code>{_e(sec.id)}</code></em></p>")
        parts.append(f"<h3>{_e(L['summary'])}</h3>")
        parts.append(
            f"<p>{_e(L['totals'])}: <strong class='stories'>{sec.story_count}</strong> tin "
            f"(stories), <strong class='articles'>{sec.article_count}</strong> bài (articles), "
            f"{len(sec.per_outlet)} cơ quan báo chí (outlets).</p>"
        )
        parts.append(f"<h4>{_e(L['per_year'])}</h4>")
        parts.append(
            _html_table(
                [L["year"], L["n_stories"], L["n_articles"]],
                [[str(y), s, a] for y, (s, a) in sorted(sec.per_year.items())],
            )
        )
        parts.append(f"<h4>{_e(L['per_outlet'])}</h4>")
        parts.append(
            _html_table(
                [L["outlet"], L["n_stories"], L["n_articles"]],
                [[o.name, o.stories, o.articles] for o in sec.per_outlet],
            )
        )
        parts.append(f"<h4>{_e(L['agencies_involved'])}</h4>")
        parts.append(
            _html_table(
                [L["agency"], L["n_stories"], L["n_articles"]],
                [
                    [f"{c.agency.name_vi} ({c.agency.name_en})", c.stories, c.articles]
                    for c in sec.agencies
                ],
            )
            if sec.agencies
            else f"<p>{_e(L['none_agency'])}</p>"
        )
        if charts and sec.id in charts:
            data = base64.b64encode(charts[sec.id]).decode("ascii")
            parts.append(
                f"<figure class='chart'><img alt='{_e(L['chart'])}' "
                f"src='data:image/png;base64,{data}'><figcaption>{_e(L['chart'])}</figcaption>"
                "</figure>"
            )
        parts.append(f"<h3>{_e(L['stories'])}</h3>")
        if not sec.stories:
            parts.append(f"<p>{_e(L['none'])}</p>")
        for n, st in enumerate(sec.stories, 1):
            parts.append(_html_story(n, st, archive_link))
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _html_story(n: int, st: StoryEntry, archive_link: Callable[[int], str] | None = None) -> str:
    agencies = ", ".join(f"{a.name_vi} ({a.name_en})" for a in st.agencies) or L["none_agency"]
    out = [
        f'<article class="story" data-story="{_e(st.key)}">',
        f"<h4>{n}. {_e(format_date_vi(st.first_published))} — {_e(st.title)}</h4>",
        "<ul>",
        f"<li>{_e(L['date'])}: {_e(format_date_vi(st.first_published))}</li>",
        f"<li>{_e(L['outlets'])}: {_e(', '.join(st.outlets))}</li>",
        f"<li>{_e(L['agencies'])}: {_e(agencies)}</li>",
        "</ul>",
        f"<p><strong>{_e(L['quotes'])}</strong></p>",
    ]
    for qt in st.quotes:
        out.append(
            f'<blockquote lang="vi" class="quote">{_e(qt.text)}'
            f'<span class="by">— {_e(qt.outlet)}</span></blockquote>'
        )
    out.append(f"<p><strong>{_e(L['articles'])}</strong></p><ol class='articles'>")
    for a in st.articles:
        role = L["original"] if a.is_original else L["copy"]
        out.append(
            f"<li data-article='{a.id}'>{_e(format_date_vi(a.published))}, {_e(a.outlet)} "
            f"({_e(role)}): {_e(a.title)}<br>{_e(L['url'])}: <span class='url'>{_e(a.url)}</span>"
        )
        if a.canonical_url and a.canonical_url != a.url:
            out.append(f"<br>{_e(L['canonical'])}: <span class='url'>{_e(a.canonical_url)}</span>")
        out.append(
            f"<br>{_e(L['sha256'])}: <code class='sha'>{_e(a.raw_sha256)}</code>"
            f"<br>{_e(L['warc'])}: <code>{_e(a.warc_file)} {_e(a.warc_record_id)}</code>"
        )
        if archive_link is not None and a.warc_file:
            out.append(
                f" <a class='archive no-print' href='{_e(archive_link(a.id))}'>"
                f"{_e(L['archived'])}</a>"
            )
        out.append("</li>")
    out.append("</ol></article>")
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------------


def render_csv(report: Report) -> str:
    """One row per (initiative, article); quotes and agencies joined with ' | '."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for sec in report.sections:
        for st in sec.stories:
            for a in st.articles:
                w.writerow(
                    [
                        sec.id,
                        sec.name_vi,
                        st.key,
                        st.title,
                        st.first_published or "",
                        " | ".join(st.outlets),
                        a.id,
                        int(a.is_original),
                        a.outlet,
                        a.published or "",
                        a.title,
                        a.url,
                        a.canonical_url or "",
                        " | ".join(q.text for q in a.quotes),
                        " | ".join(a.agencies),
                        a.raw_sha256 or "",
                        a.warc_file or "",
                        a.warc_record_id or "",
                        a.fetched_at or "",
                    ]
                )
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# DOCX
# ---------------------------------------------------------------------------------------------


def render_docx(report: Report, charts: dict[str, bytes] | None = None) -> bytes:
    """A Word document (python-docx) with the same structure as the HTML."""
    from docx import Document
    from docx.shared import Cm, Pt

    doc = Document()
    doc.styles["Normal"].font.size = Pt(10.5)
    doc.add_heading(L["title"], level=0)
    doc.add_paragraph(L["subtitle"])
    doc.add_paragraph(f"{L['period']}: {_period(report)}")
    doc.add_paragraph(f"{L['generated']}: {report.generated_at}")
    if report.agency_filter:
        names = ", ".join(f"{a.name_vi} ({a.name_en})" for a in report.agency_filter)
        doc.add_paragraph(f"{L['agency_filter']}: {names}")

    def table(header: list[str], rows: list[list[object]]) -> None:
        t = doc.add_table(rows=1, cols=len(header))
        t.style = "Table Grid"
        for cell, h in zip(t.rows[0].cells, header, strict=True):
            cell.text = h
            for run in cell.paragraphs[0].runs:
                run.bold = True
        for r in rows:
            cells = t.add_row().cells
            for cell, v in zip(cells, r, strict=True):
                cell.text = str(v)
        doc.add_paragraph()

    for sec in report.sections:
        doc.add_heading(_heading(sec), level=1)
        doc.add_paragraph(f"{_kind(sec)}: {sec.id}")
        doc.add_heading(L["summary"], level=2)
        doc.add_paragraph(
            f"{L['totals']}: {sec.story_count} tin (stories), {sec.article_count} bài (articles), "
            f"{len(sec.per_outlet)} cơ quan báo chí (outlets)."
        )
        doc.add_heading(L["per_year"], level=3)
        table(
            [L["year"], L["n_stories"], L["n_articles"]],
            [[y, s, a] for y, (s, a) in sorted(sec.per_year.items())],
        )
        doc.add_heading(L["per_outlet"], level=3)
        table(
            [L["outlet"], L["n_stories"], L["n_articles"]],
            [[o.name, o.stories, o.articles] for o in sec.per_outlet],
        )
        doc.add_heading(L["agencies_involved"], level=3)
        if sec.agencies:
            table(
                [L["agency"], L["n_stories"], L["n_articles"]],
                [
                    [f"{c.agency.name_vi} ({c.agency.name_en})", c.stories, c.articles]
                    for c in sec.agencies
                ],
            )
        else:
            doc.add_paragraph(L["none_agency"])
        if charts and sec.id in charts:
            doc.add_heading(L["chart"], level=3)
            doc.add_picture(io.BytesIO(charts[sec.id]), width=Cm(16))
        doc.add_heading(L["stories"], level=2)
        if not sec.stories:
            doc.add_paragraph(L["none"])
        for n, st in enumerate(sec.stories, 1):
            doc.add_heading(f"{n}. {format_date_vi(st.first_published)} — {st.title}", level=3)
            doc.add_paragraph(f"{L['date']}: {format_date_vi(st.first_published)}")
            doc.add_paragraph(f"{L['outlets']}: {', '.join(st.outlets)}")
            agencies = ", ".join(f"{a.name_vi} ({a.name_en})" for a in st.agencies)
            doc.add_paragraph(f"{L['agencies']}: {agencies or L['none_agency']}")
            doc.add_paragraph(f"{L['quotes']}:")
            for qt in st.quotes:
                doc.add_paragraph(f"{qt.text} — {qt.outlet}", style="Quote")
            doc.add_paragraph(f"{L['articles']}:")
            for a in st.articles:
                role = L["original"] if a.is_original else L["copy"]
                p = doc.add_paragraph(style="List Number")
                p.add_run(f"{format_date_vi(a.published)}, {a.outlet} ({role}): {a.title}")
                p.add_run().add_break()
                p.add_run(f"{L['url']}: {a.url}")
                if a.canonical_url and a.canonical_url != a.url:
                    p.add_run().add_break()
                    p.add_run(f"{L['canonical']}: {a.canonical_url}")
                p.add_run().add_break()
                p.add_run(f"{L['sha256']}: {a.raw_sha256 or ''}")
                p.add_run().add_break()
                p.add_run(f"{L['warc']}: {a.warc_file or ''} {a.warc_record_id or ''}")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------


def charts_for(report: Report) -> dict[str, bytes]:
    return {sec.id: coverage_chart(sec) for sec in report.sections}


def write_report(report: Report, fmt: str, out: str | Path) -> list[Path]:
    """Write the report to `out`; md and csv get the chart PNGs beside them. Returns all paths."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    charts = charts_for(report)
    written: list[Path] = []
    if fmt in ("md", "csv"):
        names = {}
        for sid, png in charts.items():
            p = out.with_name(f"{out.stem}-{sid}.png")
            p.write_bytes(png)
            written.append(p)
            names[sid] = p.name
        if fmt == "md":
            out.write_text(render_markdown(report, names), encoding="utf-8")
        else:
            # utf-8 with BOM: spreadsheet programs then read Vietnamese correctly
            out.write_text(render_csv(report), encoding="utf-8-sig")
    elif fmt == "html":
        out.write_text(render_html(report, charts), encoding="utf-8")
    else:
        out.write_bytes(render_docx(report, charts))
    return [out, *written]
