"""Render an evidence report (`ingest.evidence.report.Report`) in every format the team uses.

One module per format, each a pure function of the report: `render_md` (Markdown, escaped for
any renderer), `render_html` (a page that prints on A4, and the fragment the Datasette page
embeds), `render_csv` (CSV for Excel, and JSON), `render_docx` (a Word document for the
official report); `chart` draws the coverage chart. This module is the one entry point:
`render(report, fmt)` and `write_report` (files on disk, charts beside them).

Every format carries, per article: title, outlet, author, date and where it came from, the URL
as a link, the fetch date, the absolute archive link, the SHA-256 and a ready-to-paste citation
in Vietnamese and English. Nothing crawled is emitted unescaped.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .chart import charts_for, coverage_chart, write_charts_beside
from .labels import L
from .render_csv import CSV_COLUMNS, neutralise, render_csv, render_json
from .render_docx import render_docx
from .render_html import render_html, render_html_body
from .render_md import render_markdown
from .report import Report

__all__ = [
    "CSV_COLUMNS",
    "FORMATS",
    "L",
    "charts_for",
    "coverage_chart",
    "neutralise",
    "render",
    "render_csv",
    "render_docx",
    "render_html",
    "render_html_body",
    "render_json",
    "render_markdown",
    "write_report",
]

FORMATS = ("md", "html", "csv", "json", "docx")
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValueError(
            f"định dạng không hỗ trợ / unknown format {fmt!r}; chọn / choose {', '.join(FORMATS)}"
        )
    return fmt


def render(
    report: Report,
    fmt: str,
    charts: dict[str, bytes] | None = None,
    check: Callable[[], None] | None = None,
) -> bytes | str:
    """The report in one format, as served for download (CSV with a BOM for Excel).

    `check` is called while a long format is written (the web page's time budget).
    """
    check_format(fmt)
    if fmt == "csv":
        return render_csv(report, bom=True)
    if fmt == "json":
        return render_json(report)
    if fmt == "md":
        return render_markdown(report)
    charts = charts_for(report) if charts is None else charts
    if fmt == "docx":
        return render_docx(report, charts, check)
    return render_html(report, charts)


def write_report(report: Report, fmt: str, out: str | Path) -> list[Path]:
    """Write the report to `out`; md and csv get the chart PNGs beside them. Returns all paths."""
    check_format(fmt)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    charts = charts_for(report)
    written: list[Path] = []
    if fmt in ("md", "csv"):
        paths = write_charts_beside(out, charts)
        written = list(paths.values())
        names = {sid: p.name for sid, p in paths.items()}
        if fmt == "md":
            out.write_text(render_markdown(report, names), encoding="utf-8")
        else:
            # utf-8 with BOM: spreadsheet programs then read Vietnamese correctly
            out.write_text(render_csv(report), encoding="utf-8-sig")
    elif fmt == "docx":
        out.write_bytes(render_docx(report, charts))
    else:
        text = render(report, fmt, charts)
        assert isinstance(text, str)
        out.write_text(text, encoding="utf-8")
    return [out, *written]
