"""The monitoring dossier (`evidence.monitoring.Dossier`) as Markdown, HTML, CSV and DOCX.

Laid out like the evidence report (Vietnamese headings with the English in brackets, URLs in
full, the SHA-256 of each archived copy) and sharing its coverage chart (`render.coverage_chart`),
so a section of the dossier reads like a section of the report with the activities first.
Per initiative: a table of its activities (date, kind, venue, organisers, figures), then each
activity with its facts and their quotes, its citations, and the coverage figures.
Nothing crawled is emitted unescaped.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from html import escape
from pathlib import Path

from .chart import coverage_chart, write_charts_beside
from .monitoring import LEVEL_TITLES, Dossier, DossierActivity, DossierSection

FORMATS = ("md", "html", "csv", "docx")
ArchiveLink = Callable[[int], str]

T = {
    "title": "Hồ sơ giám sát: các hoạt động theo sáng kiến (Monitoring dossier: activities per"
    " initiative)",
    "subtitle": "Hà Nội – Thành phố sáng tạo UNESCO (Hanoi, UNESCO Creative City of Design)",
    "period": "Kỳ báo cáo (Period)",
    "generated": "Thời điểm lập (Generated)",
    "activities": "Các hoạt động (Activities)",
    "none": "Không có hoạt động nào trong kỳ (No activities in this period)",
    "coverage": "Số liệu đưa tin (Coverage figures)",
    "date": "Ngày (Date)",
    "kind": "Loại (Kind)",
    "venue": "Địa điểm (Venue)",
    "organisers": "Đơn vị tổ chức (Organisers)",
    "partners": "Đơn vị phối hợp (Partners)",
    "figures": "Số liệu (Figures)",
    "facts": "Dữ kiện và trích dẫn (Facts and quotes)",
    "citations": "Nguồn (Citations)",
    "year": "Năm (Year)",
    "stories": "Số tin (Stories)",
    "articles": "Số bài (Articles)",
    "outlet": "Cơ quan báo chí (Outlet)",
    "archive": "Bản lưu trữ (Archived copy)",
    "sha": "SHA-256",
    "disagree": "Các báo nêu khác nhau (Outlets disagree)",
}
FIELD_LABELS = {
    "date": "Ngày diễn ra (Event date)",
    "date_end": "Ngày kết thúc (Last day)",
    "venue": "Địa điểm (Venue)",
    "organiser": "Tổ chức (Organiser)",
    "partner": "Phối hợp (Partner)",
    "figure": "Số liệu (Figure)",
    "document": "Văn bản (Document)",
    "edition": "Lần thứ (Edition)",
}
CSV_COLUMNS = (
    "level", "initiative_id", "initiative_vi", "activity_id", "event_date", "event_end",
    "date_source", "kind", "title", "field", "value", "label", "quote", "article_id", "outlet",
    "published", "url", "archive", "raw_sha256",
)  # fmt: skip


def _e(v: object) -> str:
    return escape("" if v is None else str(v))


def _period(d: Dossier) -> str:
    return f"{d.date_from.isoformat()} – {d.date_to.isoformat()}"


def _when(a: DossierActivity) -> str:
    s = a.event_date or "?"
    if a.event_end:
        s += f" – {a.event_end}"
    if a.date_source == "publication":
        s += " (ngày đăng / publication date)"
    return s


def _figures(a: DossierActivity) -> str:
    return "; ".join(
        f"{f.label} ({f.citation.outlet})" if f.citation else f.label
        for f in a.facts
        if f.field == "figure"
    )


def _archive(c, archive_link: ArchiveLink | None) -> str:
    if not c.archived:
        return ""
    return archive_link(c.article_id) if archive_link else f"/-/archive/{c.article_id}"


# --------------------------------------------------------------------------------- Markdown


def _md(v: object) -> str:
    return str(v or "").replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render_markdown(
    d: Dossier, charts: dict[str, str] | None = None, archive_link: ArchiveLink | None = None
) -> str:
    out = [f"# {T['title']}", "", T["subtitle"], "", f"- {T['period']}: {_period(d)}",
           f"- {T['generated']}: {d.generated_at}", ""]  # fmt: skip
    for level, sections in d.levels:
        if not sections:
            continue
        vi, en = LEVEL_TITLES[level]
        out += [f"## {vi} ({en})", ""]
        for sec in sections:
            out += _md_section(sec, (charts or {}).get(sec.id), archive_link)
    return "\n".join(out) + "\n"


def _md_section(sec: DossierSection, chart: str | None, link: ArchiveLink | None) -> list[str]:
    out = [f"### {_md(sec.name_vi)} ({_md(sec.name_en)})", "", f"#### {T['activities']}", ""]
    if not sec.activities:
        out += [T["none"], ""]
    else:
        out += [
            f"| {T['date']} | {T['kind']} | {T['activities']} | {T['venue']} | {T['organisers']}"
            f" | {T['figures']} |",
            "|---|---|---|---|---|---|",
        ]
        for a in sec.activities:
            out.append(
                f"| {_md(_when(a))} | {_md(a.kind_vi)} | {_md(a.title)} | {_md(a.venue)} | "
                f"{_md('; '.join(a.organisers))} | {_md(_figures(a))} |"
            )
        out.append("")
        for n, a in enumerate(sec.activities, 1):
            out += [f"##### {n}. {_md(a.title)}", "", f"- {T['date']}: {_md(_when(a))}",
                    f"- {T['kind']}: {a.kind_vi} ({a.kind_en})"]  # fmt: skip
            if a.conflicts:
                out.append(f"- {T['disagree']}: {', '.join(a.conflicts)}")
            for f in a.facts:
                cite = f" — {f.citation.outlet}, {(f.citation.published or '')[:10]}" if (
                    f.citation
                ) else ""  # fmt: skip
                note = f" [{f.note}]" if f.note else ""
                quote = f": “{_md(f.quote)}”" if f.quote else ""
                out.append(f"- {FIELD_LABELS[f.field]}: **{_md(f.label)}**{note}{quote}{cite}")
            out += ["", f"{T['citations']}:", ""]
            for c in a.citations:
                arch = _archive(c, link)
                out.append(
                    f"- {_md(c.outlet)}, {(c.published or '')[:10]}: {_md(c.title)} — <{c.url}>"
                    + (f"; {T['archive']}: <{arch}>" if arch else "")
                    + (f"; {T['sha']} `{c.raw_sha256}`" if c.raw_sha256 else "")
                )
            out.append("")
    out += _md_coverage(sec, chart)
    return out


def _md_coverage(sec: DossierSection, chart: str | None) -> list[str]:
    cov = sec.coverage
    out = [f"#### {T['coverage']}", ""]
    if cov is None:
        return out + [T["none"], ""]
    out += [f"| {T['year']} | {T['stories']} | {T['articles']} |", "|---|---|---|"]
    out += [f"| {y} | {s} | {a} |" for y, (s, a) in sorted(cov.per_year.items())]
    out += ["", f"| {T['outlet']} | {T['stories']} | {T['articles']} |", "|---|---|---|"]
    out += [f"| {_md(o.name)} | {o.stories} | {o.articles} |" for o in cov.per_outlet]
    if chart:
        out += ["", f"![{T['coverage']}]({chart})"]
    return out + [""]


# --------------------------------------------------------------------------------- HTML


def render_html(
    d: Dossier,
    charts: dict[str, bytes] | None = None,
    archive_link: ArchiveLink | None = None,
    nav_html: str = "",
) -> str:
    import base64

    parts = [
        "<!DOCTYPE html><html lang='vi'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{_e(T['title'])}</title><style>{_CSS}</style></head><body>",
        f"<div class='no-print'>{nav_html}</div>" if nav_html else "",
        f"<h1>{_e(T['title'])}</h1><p>{_e(T['subtitle'])}</p>",
        f"<p>{_e(T['period'])}: {_e(_period(d))}<br>{_e(T['generated'])}: {_e(d.generated_at)}</p>",
    ]
    for level, sections in d.levels:
        if not sections:
            continue
        vi, en = LEVEL_TITLES[level]
        parts.append(f"<h2 class='kb-level' id='level-{_e(level)}'>{_e(vi)} ({_e(en)})</h2>")
        for sec in sections:
            parts.append(f"<section class='kb-dossier-section' id='sec-{_e(sec.id)}'>")
            parts.append(f"<h3>{_e(sec.name_vi)} ({_e(sec.name_en)})</h3>")
            parts.append(f"<h4>{_e(T['activities'])}</h4>")
            if not sec.activities:
                parts.append(f"<p>{_e(T['none'])}</p>")
            else:
                parts.append(_html_table(sec))
                for n, a in enumerate(sec.activities, 1):
                    parts.append(_html_activity(n, a, archive_link, sec.id))
            parts.append(_html_coverage(sec, (charts or {}).get(sec.id), base64))
            parts.append("</section>")
    parts.append("</body></html>")
    return "".join(parts)


def _html_table(sec: DossierSection) -> str:
    head = "".join(
        f"<th>{_e(T[k])}</th>" for k in ("date", "kind", "activities", "venue", "organisers",
                                          "figures")
    )  # fmt: skip
    rows = "".join(
        f"<tr><td>{_e(_when(a))}</td><td>{_e(a.kind_vi)}</td><td><a href='#act-{sec.id}-{a.id}'>"
        f"{_e(a.title)}</a></td><td>{_e(a.venue)}</td><td>{_e('; '.join(a.organisers))}</td>"
        f"<td>{_e(_figures(a))}</td></tr>"
        for a in sec.activities
    )
    return f"<table class='kb-dossier-table'><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _html_activity(n: int, a: DossierActivity, link: ArchiveLink | None, sec_id: str) -> str:
    items = []
    for f in a.facts:
        cite = f" <span class='cite'>— {_e(f.citation.outlet)}, {_e((f.citation.published or '')[:10])}</span>" if (
            f.citation
        ) else ""  # fmt: skip
        note = f" <em>[{_e(f.note)}]</em>" if f.note else ""
        quote = f"<blockquote>“{_e(f.quote)}”</blockquote>" if f.quote else ""
        items.append(
            f"<li>{_e(FIELD_LABELS[f.field])}: <strong>{_e(f.label)}</strong>{note}{cite}{quote}</li>"
        )
    cites = []
    for c in a.citations:
        arch = _archive(c, link)
        cites.append(
            f"<li>{_e(c.outlet)}, {_e((c.published or '')[:10])}: {_e(c.title)}<br>"
            f"<span class='url'>{_e(c.url)}</span>"
            + (f"<br>{_e(T['archive'])}: <a href='{_e(arch)}'>{_e(arch)}</a>" if arch else "")
            + (f"<br>{_e(T['sha'])}: <code>{_e(c.raw_sha256)}</code>" if c.raw_sha256 else "")
            + "</li>"
        )
    conflict = f"<p class='disagree'>{_e(T['disagree'])}: {_e(', '.join(a.conflicts))}</p>" if (
        a.conflicts
    ) else ""  # fmt: skip
    return (
        f"<article class='kb-dossier-activity' id='act-{_e(sec_id)}-{a.id}'><h5>{n}. {_e(a.title)}</h5>"
        f"<p>{_e(T['date'])}: {_e(_when(a))} · {_e(a.kind_vi)} ({_e(a.kind_en)})</p>{conflict}"
        f"<ul class='facts'>{''.join(items)}</ul><p>{_e(T['citations'])}:</p>"
        f"<ol class='cites'>{''.join(cites)}</ol></article>"
    )


def _html_coverage(sec: DossierSection, chart: bytes | None, base64) -> str:
    cov = sec.coverage
    if cov is None:
        return f"<h4>{_e(T['coverage'])}</h4><p>{_e(T['none'])}</p>"
    years = "".join(f"<tr><td>{y}</td><td>{s}</td><td>{a}</td></tr>"
                    for y, (s, a) in sorted(cov.per_year.items()))  # fmt: skip
    outlets = "".join(f"<tr><td>{_e(o.name)}</td><td>{o.stories}</td><td>{o.articles}</td></tr>"
                      for o in cov.per_outlet)  # fmt: skip
    img = ""
    if chart:
        img = f"<img alt='{_e(T['coverage'])}' src='data:image/png;base64,{base64.b64encode(chart).decode()}'>"
    return (
        f"<h4>{_e(T['coverage'])}</h4><table><tr><th>{_e(T['year'])}</th><th>{_e(T['stories'])}"
        f"</th><th>{_e(T['articles'])}</th></tr>{years}</table><table><tr><th>{_e(T['outlet'])}"
        f"</th><th>{_e(T['stories'])}</th><th>{_e(T['articles'])}</th></tr>{outlets}</table>{img}"
    )


_CSS = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;line-height:1.4}
table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid #bbb;padding:.2rem .4rem;
vertical-align:top;font-size:.9rem}blockquote{margin:.2rem 0 .4rem 1rem;color:#333;
border-left:2px solid #ccc;padding-left:.5rem}.cite{color:#555;font-size:.85rem}.url{word-break:break-all;
font-size:.85rem}img{max-width:100%}h2.kb-level{border-bottom:2px solid #2b6cb0;margin-top:2rem}
.disagree{color:#a30000}@media print{.no-print{display:none}a{color:inherit}}
@page{size:A4;margin:2cm}
"""


# --------------------------------------------------------------------------------- CSV


def render_csv(d: Dossier, archive_link: ArchiveLink | None = None) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CSV_COLUMNS)
    for level, sections in d.levels:
        for sec in sections:
            for a in sec.activities:
                for f in a.facts:
                    c = f.citation
                    w.writerow(
                        [
                            level, sec.id, sec.name_vi, a.id, a.event_date or "",
                            a.event_end or "", a.date_source, a.kind, a.title, f.field, f.value,
                            f.label, f.quote, c.article_id if c else "", c.outlet if c else "",
                            c.published if c else "", c.url if c else "",
                            _archive(c, archive_link) if c else "", (c.raw_sha256 or "") if c else "",
                        ]
                    )  # fmt: skip
    return buf.getvalue()


# --------------------------------------------------------------------------------- DOCX


def render_docx(
    d: Dossier, charts: dict[str, bytes] | None = None, archive_link: ArchiveLink | None = None
) -> bytes:
    """A Word document on A4 with the same structure as the HTML."""
    from docx import Document
    from docx.shared import Cm, Pt

    doc = Document()
    for s in doc.sections:
        s.page_width, s.page_height = Cm(21.0), Cm(29.7)
        s.left_margin = s.right_margin = s.top_margin = s.bottom_margin = Cm(2.0)
    doc.styles["Normal"].font.size = Pt(10.5)
    doc.add_heading(T["title"], level=0)
    doc.add_paragraph(T["subtitle"])
    doc.add_paragraph(f"{T['period']}: {_period(d)}")
    doc.add_paragraph(f"{T['generated']}: {d.generated_at}")
    for level, sections in d.levels:
        if not sections:
            continue
        vi, en = LEVEL_TITLES[level]
        doc.add_heading(f"{vi} ({en})", level=1)
        for sec in sections:
            doc.add_heading(f"{sec.name_vi} ({sec.name_en})", level=2)
            doc.add_heading(T["activities"], level=3)
            if not sec.activities:
                doc.add_paragraph(T["none"])
            for n, a in enumerate(sec.activities, 1):
                doc.add_heading(f"{n}. {a.title}", level=4)
                doc.add_paragraph(f"{T['date']}: {_when(a)} · {a.kind_vi} ({a.kind_en})")
                for f in a.facts:
                    p = doc.add_paragraph(style="List Bullet")
                    p.add_run(f"{FIELD_LABELS[f.field]}: ")
                    p.add_run(f.label).bold = True
                    if f.note:
                        p.add_run(f" [{f.note}]")
                    if f.citation:
                        p.add_run(f" — {f.citation.outlet}, {(f.citation.published or '')[:10]}")
                    if f.quote:
                        q = doc.add_paragraph(f"“{f.quote}”")
                        q.paragraph_format.left_indent = Cm(1.0)
                doc.add_paragraph(f"{T['citations']}:")
                for c in a.citations:
                    arch = _archive(c, archive_link)
                    text = f"{c.outlet}, {(c.published or '')[:10]}: {c.title} — {c.url}"
                    if arch:
                        text += f"; {T['archive']}: {arch}"
                    if c.raw_sha256:
                        text += f"; {T['sha']} {c.raw_sha256}"
                    doc.add_paragraph(text, style="List Number")
            doc.add_heading(T["coverage"], level=3)
            cov = sec.coverage
            if cov is not None:
                t = doc.add_table(rows=1, cols=3)
                t.style = "Table Grid"
                for cell, h in zip(t.rows[0].cells, (T["year"], T["stories"], T["articles"]),
                                   strict=True):  # fmt: skip
                    cell.text = h
                for y, (s_, a_) in sorted(cov.per_year.items()):
                    cells = t.add_row().cells
                    cells[0].text, cells[1].text, cells[2].text = str(y), str(s_), str(a_)
                png = (charts or {}).get(sec.id)
                if png:
                    doc.add_picture(io.BytesIO(png), width=Cm(15))
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------------- files


def charts_for(d: Dossier) -> dict[str, bytes]:
    return {s.id: coverage_chart(s.coverage) for s in d.sections if s.coverage is not None}


def write_dossier(
    d: Dossier, fmt: str, out: str | Path, archive_link: ArchiveLink | None = None
) -> list[Path]:
    """Write the dossier to `out` (md gets its chart PNGs beside it); returns every path."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    if fmt == "csv":
        out.write_text(render_csv(d, archive_link), encoding="utf-8-sig")
        return [out]
    charts = charts_for(d)
    if fmt == "md":
        paths = write_charts_beside(out, charts)
        written = list(paths.values())
        names = {sid: p.name for sid, p in paths.items()}
        out.write_text(render_markdown(d, names, archive_link), encoding="utf-8")
    elif fmt == "html":
        out.write_text(render_html(d, charts, archive_link), encoding="utf-8")
    else:
        out.write_bytes(render_docx(d, charts, archive_link))
    return [out, *written]
