"""The evidence report as HTML: a self-contained page that prints cleanly on A4 (save it as
PDF from the browser), and the same markup as a fragment for the Datasette report page.

Every value is escaped (`html.escape`); links are only the report's own http(s) URLs. Links are
written out in full as their own text, so the printed page still shows where each one goes.
"""

from __future__ import annotations

import base64
from html import escape

from .labels import (
    L,
    agencies_of,
    agency_names,
    coverage_text,
    extras_text,
    heading,
    kind_label,
    period_text,
    published_text,
    role_text,
)
from .period import format_date_vi
from .report import ArticleEntry, InitiativeSection, Report, StoryEntry

PRINT_CSS = """
@page { size: A4; margin: 20mm 20mm 20mm 30mm; }
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
ol.articles > li { margin-bottom: 0.6rem; }
dl.cite { display: grid; grid-template-columns: minmax(9rem, max-content) 1fr; gap: 0 0.6rem;
  margin: 0.2rem 0; font-size: 9.5pt; }
dl.cite dt { color: #444; } dl.cite dd { margin: 0; overflow-wrap: anywhere; }
.citation { font-size: 9.5pt; background: #f4f4f4; padding: 0.2rem 0.4rem; margin: 0.2rem 0; }
.chart img { max-width: 100%; height: auto; }
.meta { color: #333; }
@media print {
  body { margin: 0; max-width: none; }
  a { color: inherit; text-decoration: none; }
  h2 { break-before: page; } h2.first { break-before: avoid; }
  h2, h3, h4 { break-after: avoid; }
  .story > ul, table, .chart, blockquote, ol.articles > li { break-inside: avoid; }
  .no-print { display: none; }
}
"""


def _e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def _link(url: str | None, cls: str = "url") -> str:
    if not url or not url.lower().startswith(("http://", "https://")):
        return _e(url)
    return f"<a class='{cls}' href='{_e(url)}'><span class='url'>{_e(url)}</span></a>"


def _table(header: list[str], rows: list[list[object]]) -> str:
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


def render_html(report: Report, charts: dict[str, bytes] | None = None, nav_html: str = "") -> str:
    """A self-contained page (charts inlined as data: URIs) that prints cleanly on A4.

    `nav_html` is trusted markup from the caller, shown on screen only.
    """
    parts = [
        '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(L['title'])}</title><style>{PRINT_CSS}</style></head><body>",
    ]
    if nav_html:
        parts.append(f'<nav class="no-print">{nav_html}</nav>')
    parts.append(render_html_body(report, charts))
    parts.append("</body></html>")
    return "\n".join(parts)


def render_html_body(report: Report, charts: dict[str, bytes] | None = None) -> str:
    """The report's markup without the page around it (the Datasette page embeds it)."""
    parts = [f"<h1>{_e(L['title'])}</h1><p class='meta'>{_e(L['subtitle'])}</p><ul class='meta'>"]
    parts.append(f"<li>{_e(L['period'])}: {_e(period_text(report))}</li>")
    parts.append(f"<li>{_e(L['generated'])}: {_e(report.generated_at)}</li>")
    parts.append(f"<li>{_e(L['kb_version'])}: {_e(report.kb_version)}</li>")
    parts.append(f"<li class='coverage'>{_e(L['coverage'])}: {_e(coverage_text(report))}</li>")
    if report.agency_filter:
        names = agency_names(report.agency_filter)
        parts.append(f"<li>{_e(L['agency_filter'])}: {_e(names)}</li>")
    parts.append("</ul>")
    for i, sec in enumerate(report.sections):
        parts.append(_section(report, sec, charts, first=i == 0))
    return "\n".join(parts)


def _section(
    report: Report, sec: InitiativeSection, charts: dict[str, bytes] | None, first: bool
) -> str:
    cls = ' class="first"' if first else ""
    parts = [f'<section id="{_e(sec.id)}"><h2{cls}>{_e(heading(sec))}</h2>']
    parts.append(f"<p class='meta'><em>{_e(kind_label(sec))}: <code>{_e(sec.id)}</code></em></p>")
    parts.append(f"<h3>{_e(L['summary'])}</h3>")
    parts.append(
        f"<p>{_e(L['totals'])}: <strong class='stories'>{sec.story_count}</strong> tin "
        f"(stories), <strong class='articles'>{sec.article_count}</strong> bài (articles), "
        f"{len(sec.per_outlet)} cơ quan báo chí (outlets); "
        f"<span class='extras'>{_e(extras_text(sec))}</span>.</p>"
    )
    parts.append(f"<h4>{_e(L['per_year'])}</h4>")
    parts.append(
        _table(
            [L["year"], L["n_stories"], L["n_articles"]],
            [[str(y), s, a] for y, (s, a) in sorted(sec.per_year.items())],
        )
    )
    parts.append(f"<h4>{_e(L['per_outlet'])}</h4>")
    parts.append(
        _table(
            [L["outlet"], L["n_stories"], L["n_articles"]],
            [[o.name, o.stories, o.articles] for o in sec.per_outlet],
        )
    )
    parts.append(f"<h4>{_e(L['agencies_involved'])}</h4>")
    parts.append(
        _table(
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
        parts.append(_story(report, n, st))
    if sec.undated:
        parts.append(f"<h3 class='undated'>{_e(L['undated'])}</h3><p>{_e(L['undated_note'])}</p>")
        for n, st in enumerate(sec.undated, 1):
            parts.append(_story(report, n, st, undated=True))
    if sec.excluded:
        parts.append(f"<h3 class='excluded'>{_e(L['excluded'])}</h3><ul class='excluded'>")
        for e in sec.excluded:
            whole = f" ({_e(L['whole'])})" if e.whole_article else ""
            parts.append(
                f"<li data-article='{e.id}'>{_e(e.outlet)}, «{_e(e.title)}»,"
                f" {_e(format_date_vi(e.published) or L['date_unknown'])}, {_link(e.url)}<br>"
                f"{_e(L['reason'])}: {_e(e.reason)}; {_e(L['reviewer'])}: {_e(e.reviewer)}{whole}"
                "</li>"
            )
        parts.append("</ul>")
    parts.append("</section>")
    return "\n".join(parts)


def _story(report: Report, n: int, st: StoryEntry, undated: bool = False) -> str:
    when = format_date_vi(st.first_published) or L["date_unknown"]
    cls = "story undated" if undated else "story"
    out = [
        f'<article class="{cls}" data-story="{_e(st.key)}">',
        f"<h4>{n}. {_e(when)} — {_e(st.title)}</h4>",
        "<ul>",
        f"<li>{_e(L['date'])}: {_e(when)}</li>",
        f"<li>{_e(L['outlets'])}: {_e(', '.join(st.outlets))}</li>",
        f"<li>{_e(L['agencies'])}: {_e(agency_names(st.agencies))}</li>",
        "</ul>",
        f"<p><strong>{_e(L['quotes'])}</strong></p>",
    ]
    for qt in st.quotes:
        note = f" ({_e(qt.reviewer_note)})" if qt.reviewer_note else ""
        out.append(
            f'<blockquote lang="vi" class="quote">{_e(qt.text)}'
            f'<span class="by">— {_e(qt.outlet)}{note}</span></blockquote>'
        )
    out.append(f"<p><strong>{_e(L['articles'])}</strong></p><ol class='articles'>")
    out += [_article(report, a) for a in st.articles]
    out.append("</ol></article>")
    return "\n".join(out)


def _article(report: Report, a: ArticleEntry) -> str:
    rows = [
        (L["role"], _e(role_text(a))),
        (L["author"], _e(a.author or "—")),
        (L["published"], _e(published_text(a))),
        (L["url"], _link(a.url)),
    ]
    if a.canonical_url and a.canonical_url != a.url:
        rows.append((L["canonical"], _link(a.canonical_url)))
    rows += [
        (L["fetched"], _e(format_date_vi(a.fetched_at) or "—")),
        (L["archive"], _link(a.archive_url, "archive") if a.archive_url else _e(L["not_archived"])),
        (L["sha256"], f"<code class='sha'>{_e(a.raw_sha256)}</code>"),
        (L["warc"], f"<code>{_e(a.warc_file)} {_e(a.warc_record_id)}</code>"),
        (L["agencies"], _e(agencies_of(a, report.agency_names) or "—")),
    ]
    rows += [(L["reviewed"], f"<span class='reviewed'>{_e(note)}</span>") for note in a.reviewed]
    fields = "".join(f"<dt>{_e(k)}</dt><dd>{v}</dd>" for k, v in rows)
    return (
        f"<li data-article='{a.id}' data-role='{_e(a.role)}'>"
        f"<strong class='title'>{_e(a.title)}</strong> — {_e(a.outlet)}"
        f"<dl class='cite'>{fields}</dl>"
        f"<p class='citation' lang='vi'>{_e(a.citation('vi'))}</p>"
        f"<p class='citation' lang='en'>{_e(a.citation('en'))}</p></li>"
    )
