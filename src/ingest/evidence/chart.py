"""The report's coverage chart: stories and articles per year of the period, as PNG.

Drawn with matplotlib's object API on the Agg canvas (no pyplot global state), so the Datasette
page can render charts from several threads.
"""

from __future__ import annotations

import io
from pathlib import Path

from .report import InitiativeSection, Report


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
    step = max(1, len(years) // 12)  # a long period keeps readable tick labels
    ax.set_xticks(list(xs)[::step], [str(y) for y in years][::step])
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title(f"{section.name_vi}: độ phủ theo năm (coverage per year)", fontsize=10)
    ax.legend(fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def charts_for(report: Report) -> dict[str, bytes]:
    return {sec.id: coverage_chart(sec) for sec in report.sections}


def write_charts_beside(out: Path, charts: dict[str, bytes]) -> dict[str, Path]:
    """Write each chart as `<out stem>-<section id>.png` next to `out`.

    Markdown and CSV cannot embed images, so their charts travel as sibling files that the
    document names; returns the path of each section's chart.
    """
    paths: dict[str, Path] = {}
    for sid, png in charts.items():
        p = out.with_name(f"{out.stem}-{sid}.png")
        p.write_bytes(png)
        paths[sid] = p
    return paths
