"""The monitoring dossier on the sample database: the report's order, activities in date order
with quotes and citations, the coverage figures of the evidence report, and every format."""

from __future__ import annotations

import csv
import io
import sqlite3
from datetime import date
from pathlib import Path

from ingest.cli import main
from ingest.evidence.monitoring import build_dossier
from ingest.evidence.monitoring_render import render_csv, render_html, render_markdown
from ingest.store.db import connect

PERIOD = (date(2019, 10, 31), date(2023, 10, 31))


def test_sections_follow_the_monitoring_report_order(sample_db: Path) -> None:
    d = build_dossier(connect(sample_db, migrate=False), *PERIOD)
    assert [s.id for s in d.sections] == [
        "design_center", "creative_spaces", "talent_tv",  # local
        "design_festival", "sea_forum", "young_designers",  # international
        "uccn_membership", "cultural_industry",  # umbrella topics
    ]  # fmt: skip
    assert [lv for lv, secs in d.levels] == ["local", "international", "umbrella"]
    fest = next(s for s in d.sections if s.id == "design_festival")
    dates = [a.event_date for a in fest.activities]
    assert dates == sorted(dates) and all("2019-10-31" <= x <= "2023-10-31" for x in dates)
    assert [a.kind for a in fest.activities].count("festival_edition") == 1  # 2022 (2023 is later)
    edition = next(a for a in fest.activities if a.kind == "festival_edition")
    assert edition.event_date == "2022-11-11" and edition.venue == "Vườn hoa Lý Thái Tổ"
    fig = next(f for f in edition.facts if f.field == "figure" and f.label == "khoảng 50 hoạt động")
    assert (
        "khoảng 50 hoạt động" in fig.quote and fig.citation and fig.citation.url.startswith("http")
    )
    assert fest.coverage is not None and sum(s for s, _ in fest.coverage.per_year.values()) >= 3


def test_renderings_escape_and_cite(sample_db: Path) -> None:
    db = connect(sample_db, migrate=False)
    d = build_dossier(db, *PERIOD)
    d.sections[0].activities[0].title = "<script>alert(1)</script>"
    html = render_html(d, archive_link=lambda i: f"https://kb.example/-/archive/{i}")
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert "https://kb.example/-/archive/" in html and "SHA-256" in html
    assert (
        html.index("Local-level initiatives")
        < html.index("International-level")
        < html.index("Umbrella topics")
    )
    md = render_markdown(d)
    assert "## Các sáng kiến cấp địa phương (Local-level initiatives)" in md
    rows = list(csv.DictReader(io.StringIO(render_csv(d))))
    assert {r["level"] for r in rows} == {"local", "international", "umbrella"}
    dated = [r for r in rows if r["field"] == "date" and r["initiative_id"] == "sea_forum"]
    assert dated == [] or dated[0]["date_source"] in ("text", "publication")


def test_cli_writes_every_format(sample_db: Path, tmp_path: Path) -> None:
    for fmt in ("md", "html", "csv", "docx"):
        out = tmp_path / f"dossier.{fmt}"
        code = main(["report", "--monitoring", "--db", str(sample_db), "--from", "2019-10-31",
                     "--to", "2023-10-31", "--out", str(out)])  # fmt: skip
        assert code == 0 and out.stat().st_size > 1000
    from docx import Document

    doc = Document(str(tmp_path / "dossier.docx"))
    assert abs(doc.sections[0].page_width.cm - 21.0) < 0.01
    texts = [p.text for p in doc.paragraphs]
    assert "Các sáng kiến cấp quốc tế (International-level initiatives)" in texts
    assert (tmp_path / "dossier-design_festival.png").exists()  # md gets its charts beside it


def test_cli_bad_period_and_missing_tables(sample_db: Path, tmp_path: Path) -> None:
    out = str(tmp_path / "x.md")
    assert main(["report", "--monitoring", "--db", str(sample_db), "--from", "2023",
                 "--to", "2019", "--out", out]) == 2  # fmt: skip
    bare = tmp_path / "bare.db"
    sqlite3.connect(bare).execute("create table t (x)").connection.close()
    assert main(["report", "--monitoring", "--db", str(bare), "--from", "2019",
                 "--to", "2023", "--out", out]) == 2  # fmt: skip
