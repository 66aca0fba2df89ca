"""The evidence report as Markdown, safe to render with any Markdown library.

Crawled text (titles, outlets, quotes, authors, reasons) is escaped twice over: HTML
metacharacters become entities, so a crawled `<script>` is text after rendering, and Markdown
metacharacters get a backslash, so a crawled `[x](javascript:…)` or `**` cannot make a link or
change the emphasis. Links are only the report's own: http(s) URLs, percent-encoded where a
character could end the link early.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from .labels import (
    L,
    agencies_of,
    agency_names,
    coverage_text,
    heading,
    kind_label,
    period_text,
    published_text,
    role_text,
    totals_text,
)
from .period import format_date_vi
from .report import InitiativeSection, Report, StoryEntry

# "(", ")" and "!" make nothing without "[" and "]", which are escaped
_MD_META = re.compile(r"([\\`*_\[\]#|~])")
_LINE_START = re.compile(r"^(\d*)([-+=.)])")
_HTML_META = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}


def md_text(value: object) -> str:
    """Crawled text as inert Markdown: one line, HTML and Markdown metacharacters escaped."""
    text = " ".join(str("" if value is None else value).split())
    text = "".join(_HTML_META.get(ch, ch) for ch in text)
    text = _MD_META.sub(r"\\\1", text)
    # no list or heading where a line starts ("- x", "1. x", "=== "): escape the marker
    m = _LINE_START.match(text)
    if m and (m.group(1) or m.group(2) in "-+="):
        text = f"{m.group(1)}\\{text[len(m.group(1)) :]}"
    return text


def md_url(url: str | None) -> str | None:
    """An http(s) URL fit for `[text](url)`; None for anything else (javascript:, data:, …)."""
    if not url or not url.lower().startswith(("http://", "https://")):
        return None
    return quote(url.strip(), safe=":/?#@!$&*+,;=%~-._")


def md_link(url: str | None) -> str:
    """An autolink `<https://…>`: readable as plain text, clickable when rendered."""
    target = md_url(url)
    return f"<{target}>" if target else md_text(url)


def _table(header: list[str], rows: list[list[object]]) -> list[str]:
    out = ["| " + " | ".join(md_text(h) for h in header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(md_text(c) for c in r) + " |" for r in rows]
    return out + [""]


def render_markdown(report: Report, chart_files: dict[str, str] | None = None) -> str:
    """Markdown; `chart_files` maps initiative id → the PNG's path relative to the .md file."""
    lines = [f"# {L['title']}", "", L["subtitle"], ""]
    lines.append(f"- {L['period']}: {period_text(report)}")
    lines.append(f"- {L['generated']}: {report.generated_at}")
    lines.append(f"- {L['kb_version']}: {md_text(report.kb_version)}")
    lines.append(f"- {L['coverage']}: {coverage_text(report)}")
    if report.agency_filter:
        lines.append(f"- {L['agency_filter']}: {md_text(agency_names(report.agency_filter))}")
    lines.append("")
    for sec in report.sections:
        lines += _section(report, sec, chart_files)
    return "\n".join(lines).rstrip() + "\n"


def _section(
    report: Report, sec: InitiativeSection, chart_files: dict[str, str] | None
) -> list[str]:
    lines = [f"## {md_text(heading(sec))}", "", f"*{kind_label(sec)}: `{sec.id}`*", ""]
    lines += [f"### {L['summary']}", "", f"{L['totals']}: {totals_text(sec)}", ""]
    lines += [f"#### {L['per_year']}", ""]
    lines += _table(
        [L["year"], L["n_stories"], L["n_articles"]],
        [[y, s, a] for y, (s, a) in sorted(sec.per_year.items())],
    )
    lines += [f"#### {L['per_outlet']}", ""]
    lines += _table(
        [L["outlet"], L["n_stories"], L["n_articles"]],
        [[o.name, o.stories, o.articles] for o in sec.per_outlet],
    )
    lines += [f"#### {L['agencies_involved']}", ""]
    if sec.agencies:
        lines += _table(
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
        lines += _story(report, n, st)
    if sec.undated:
        lines += [f"### {L['undated']}", "", L["undated_note"], ""]
        for n, st in enumerate(sec.undated, 1):
            lines += _story(report, n, st)
    if sec.excluded:
        lines += [f"### {L['excluded']}", ""]
        for e in sec.excluded:
            when = format_date_vi(e.published) or L["date_unknown"]
            whole = f" ({L['whole']})" if e.whole_article else ""
            lines.append(
                f"- {md_text(e.outlet)}, «{md_text(e.title)}», {when}, {md_link(e.url)}"
                f" — {L['reason']}: {md_text(e.reason)}; {L['reviewer']}: {md_text(e.reviewer)}"
                f"{whole}"
            )
        lines.append("")
    return lines


def _story(report: Report, n: int, st: StoryEntry) -> list[str]:
    when = format_date_vi(st.first_published) or L["date_unknown"]
    out = [f"#### {n}. {when} — {md_text(st.title)}", ""]
    out.append(f"- {L['date']}: {when}")
    out.append(f"- {L['outlets']}: {md_text(', '.join(st.outlets))}")
    out.append(f"- {L['agencies']}: {md_text(agency_names(st.agencies))}")
    out += ["", f"{L['quotes']}:", ""]
    for qt in st.quotes:
        out.append(f"> {md_text(qt.text)}")
        by = f"> — {md_text(qt.outlet)}"
        out += [by + (f" ({md_text(qt.reviewer_note)})" if qt.reviewer_note else ""), ""]
    out += [f"{L['articles']}:", ""]
    for i, a in enumerate(st.articles, 1):  # numbered within the story
        out.append(f"{i}. **{md_text(a.title)}** — {md_text(a.outlet)}")
        rows = [
            (L["role"], role_text(a)),
            (L["author"], md_text(a.author) if a.author else "—"),
            (L["published"], md_text(published_text(a))),
            (L["url"], md_link(a.url)),
        ]
        if a.canonical_url and a.canonical_url != a.url:
            rows.append((L["canonical"], md_link(a.canonical_url)))
        rows += [
            (L["fetched"], format_date_vi(a.fetched_at) or "—"),
            (L["archive"], md_link(a.archive_url) if a.archive_url else L["not_archived"]),
            (L["sha256"], f"`{a.raw_sha256 or ''}`"),
            (L["agencies"], md_text(agencies_of(a, report.agency_names)) or "—"),
            (L["cite_vi"], md_text(a.citation("vi"))),
            (L["cite_en"], md_text(a.citation("en"))),
        ]
        rows += [(L["reviewed"], md_text(note)) for note in a.reviewed]
        out += [f"   - {k}: {v}" for k, v in rows]
    return out + [""]
