"""The evidence report on the sample knowledge base: stories, quotes, counts, and every format
parsed back (HTML with lxml, DOCX with python-docx, CSV with csv)."""

from __future__ import annotations

import argparse
import csv
import io
import shutil
import sqlite3
from datetime import date
from pathlib import Path
from urllib.parse import urlparse

import pytest

from ingest.evidence.render import (
    charts_for,
    coverage_chart,
    render_csv,
    render_docx,
    render_html,
    render_markdown,
    write_report,
)
from ingest.evidence.report import ReportQuery, build_report, format_date_vi, parse_period
from ingest.testing.samplesites import expected_labels

PNG = b"\x89PNG\r\n\x1a\n"
PERIOD = (date(2019, 1, 1), date(2026, 12, 31))


@pytest.fixture(scope="module")
def story_db(sample_db, tmp_path_factory) -> Path:
    """A private copy of the sample knowledge base with stories clustered."""
    from ingest.evidence.stories import rebuild_stories
    from ingest.store.db import connect

    dest = tmp_path_factory.mktemp("report") / "kb"
    shutil.copytree(sample_db.parent, dest)
    path = dest / sample_db.name
    db = connect(path)
    rebuild_stories(db)
    db.conn.close()
    return path


@pytest.fixture(scope="module")
def festival(story_db):
    from ingest.store.db import connect

    db = connect(story_db, migrate=False)
    return build_report(db, ReportQuery(*PERIOD, ("design_festival",)))


def _gold_festival() -> tuple[set[str], set[str]]:
    """(story keys, article paths) the design-festival report must contain, from the gold labels."""
    gold = expected_labels()
    stories = {
        g["story"] for g in gold if any(i["id"] == "design_festival" for i in g["initiatives"])
    }
    return stories, {g["url"] for g in gold if g["story"] in stories}


def _db_evidence(story_db: Path) -> dict[str, str]:
    """url → design_festival evidence sentence, as stored by the tagger."""
    conn = sqlite3.connect(story_db)
    rows = conn.execute(
        "select a.url, ai.evidence from article_initiatives ai join articles a on a.id = ai.article_id"
        " where ai.initiative_id = 'design_festival'"
    ).fetchall()
    conn.close()
    return dict(rows)


def test_parse_period_accepts_years_and_months():
    assert parse_period("2019", "2026") == PERIOD
    assert parse_period("2024-02", "2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    assert parse_period("2023-11-11", "2023-12") == (date(2023, 11, 11), date(2023, 12, 31))
    with pytest.raises(ValueError):
        parse_period("2024", "2023")


def test_festival_report_stories_and_counts(festival):
    gold_stories, gold_paths = _gold_festival()
    assert len(gold_stories) == 9 and len(gold_paths) == 13
    [sec] = festival.sections
    assert (sec.id, sec.name_vi) == ("design_festival", "Lễ hội Thiết kế sáng tạo Hà Nội")
    assert sec.story_count == 9 and sec.article_count == 13
    paths = {urlparse(a.url).path for s in sec.stories for a in s.articles}
    assert paths == gold_paths
    assert sec.per_year == {
        2019: (0, 0), 2020: (0, 0), 2021: (0, 0), 2022: (3, 3),
        2023: (3, 7), 2024: (1, 1), 2025: (2, 2), 2026: (0, 0),
    }  # fmt: skip
    outlets = {o.source_id: (o.stories, o.articles) for o in sec.per_outlet}
    assert outlets == {"thudo": (5, 5), "dothi": (4, 4), "sovhtt": (2, 2), "tonghop": (2, 2)}
    agencies = {c.agency.id: (c.stories, c.articles) for c in sec.agencies}
    assert agencies["doc_sports"] == (8, 11)
    assert agencies["mocst"] == (1, 4)
    # stories in date order, each dated by its original
    assert [s.date for s in sec.stories] == [
        "2022-04-05", "2022-08-26", "2022-11-11", "2023-06-08", "2023-09-14",
        "2023-11-11", "2024-11-09", "2025-11-15", "2025-12-20",
    ]  # fmt: skip


def test_festival_opening_story_has_all_copies_and_quotes(festival, story_db):
    [sec] = festival.sections
    opening = next(s for s in sec.stories if s.date == "2023-11-11")
    assert (
        opening.title == "Lễ hội Thiết kế sáng tạo Hà Nội 2023 khai mạc với chủ đề kết nối di sản"
    )
    assert opening.outlets == [
        "Báo Thủ Đô Ngày Nay",
        "Đô Thị Mới",
        "Cổng thông tin điện tử Sở Văn hóa và Thể thao Hà Nội",
        "Tin Tổng Hợp 24h",
    ]
    assert [a.is_original for a in opening.articles] == [True, False, False, False]
    evidence = _db_evidence(story_db)
    assert [q.text for q in opening.quotes] == [evidence[a.url] for a in opening.articles]
    assert {a.id for a in opening.agencies} == {"hanoi_pc", "mocst", "doc_sports", "unesco_office"}
    assert all(len(a.raw_sha256 or "") == 64 and a.warc_record_id for a in opening.articles)
    report_quote = next(s for s in sec.stories if s.date == "2023-09-14").quotes[0].text
    assert report_quote == (
        "Theo dự thảo, thành phố sẽ giới thiệu lễ hội thiết kế, các chương trình đào tạo cho"
        " nhà thiết kế trẻ và những không gian sáng tạo mới hình thành."
    )


def test_agency_and_period_filters(story_db):
    from ingest.store.db import connect

    db = connect(story_db, migrate=False)
    by_agency = build_report(db, ReportQuery(*PERIOD, ("design_festival",), ("mocst",)))
    [sec] = by_agency.sections
    assert (sec.story_count, sec.article_count) == (1, 4)
    assert [a.id for a in by_agency.agency_filter] == ["mocst"]
    november = build_report(
        db, ReportQuery(date(2023, 11, 1), date(2023, 11, 30), ("design_festival",))
    )
    assert [(s.date, len(s.articles)) for s in november.sections[0].stories] == [("2023-11-11", 4)]
    assert november.sections[0].per_year == {2023: (1, 4)}
    with pytest.raises(ValueError, match="unknown initiative"):
        build_report(db, ReportQuery(*PERIOD, ("no_such_thing",)))
    with pytest.raises(ValueError, match="unknown agency"):
        build_report(db, ReportQuery(*PERIOD, (), ("no_such_agency",)))
    everything = build_report(db, ReportQuery(*PERIOD))
    ids = [s.id for s in everything.sections]
    assert ids[:6] == [
        "design_center", "creative_spaces", "talent_tv", "design_festival", "sea_forum",
        "young_designers",
    ]  # fmt: skip
    assert set(ids[6:]) == {"uccn_membership", "cultural_industry"}


def test_chart_is_a_png(festival):
    png = coverage_chart(festival.sections[0])
    assert png.startswith(PNG)
    import matplotlib.image as mpimg

    img = mpimg.imread(io.BytesIO(png), format="png")
    assert img.shape[0] == 336 and img.shape[1] == 840  # 7 x 2.8 in at 120 dpi


def test_html_parses_back(festival):
    from lxml import html as lhtml

    page = render_html(festival, charts_for(festival))
    tree = lhtml.fromstring(page)
    assert tree.xpath("string(//h1)") == "Báo cáo bằng chứng (Evidence report)"
    assert (
        tree.xpath("string(//h2)")
        == "Lễ hội Thiết kế sáng tạo Hà Nội (Hanoi Creative Design Festival)"
    )
    h3 = [h.text_content() for h in tree.xpath("//h3")]
    assert h3 == ["Tóm tắt (Summary)", "Các tin (Stories)"]
    assert len(tree.xpath("//article[@class='story']")) == 9
    urls = [u.text_content() for u in tree.xpath("//a[@class='url']/span[@class='url']")]
    assert len(urls) == 13 and all(u.startswith("http://127.0.0.1:") for u in urls)
    assert tree.xpath("//a[@class='url']/@href") == urls  # clickable, to where it says
    assert len(tree.xpath("//code[@class='sha']")) == 13
    [img] = tree.xpath("//figure[@class='chart']/img")
    assert img.get("src").startswith("data:image/png;base64,")
    assert tree.xpath("string(//strong[@class='stories'])") == "9"
    assert tree.xpath("string(//strong[@class='articles'])") == "13"
    year_rows = tree.xpath("//section/table[1]/tbody/tr")
    assert [[td.text_content() for td in tr] for tr in year_rows][4] == ["2023", "3", "7"]
    style = tree.xpath("string(//style)")
    assert "@media print" in style and "@page" in style and "break-inside: avoid" in style
    assert "Tin Tổng Hợp 24h" in tree.text_content()
    # issue 15: a file links to the archive too, absolutely, from the public base URL
    archive = tree.xpath("//a[contains(@class, 'archive')]/@href")
    ids = [a.id for st in festival.sections[0].stories for a in st.articles]
    assert archive == [f"http://127.0.0.1:8001/-/archive/{i}" for i in ids]


def test_html_escapes_crawled_text(story_db, tmp_path):
    from lxml import html as lhtml

    from ingest.store.db import connect

    path = tmp_path / "kb.db"
    shutil.copy(story_db, path)
    db = connect(path, migrate=False)
    db.execute(
        "update articles set title = '<script>alert(1)</script> <img src=x onerror=alert(2)>'"
        " where id = (select first_article_id from stories order by article_count desc limit 1)"
    )
    db.execute(
        "update stories set title = (select title from articles where id = first_article_id)"
    )
    report = build_report(db, ReportQuery(*PERIOD, ("design_festival",)))
    tree = lhtml.fromstring(render_html(report))
    assert tree.xpath("//script") == [] and tree.xpath("//img[@onerror]") == []
    assert "<script>alert(1)</script>" in tree.text_content()


def test_docx_parses_back(festival):
    from docx import Document

    doc = Document(io.BytesIO(render_docx(festival, charts_for(festival))))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert headings[0] == "Báo cáo bằng chứng (Evidence report)"
    assert "Tóm tắt (Summary)" in headings and "Các tin (Stories)" in headings
    assert "Độ phủ theo thời gian (Coverage over time)" in headings
    assert (
        "6. 11/11/2023 — Lễ hội Thiết kế sáng tạo Hà Nội 2023 khai mạc với chủ đề kết nối di sản"
        in headings
    )
    assert len(doc.inline_shapes) == 1  # the chart
    year_table = doc.tables[0]
    assert [c.text for c in year_table.rows[0].cells] == [
        "Năm (Year)",
        "Số tin (Stories)",
        "Số bài (Articles)",
    ]
    assert [c.text for c in year_table.rows[5].cells] == ["2023", "3", "7"]
    cells = [p for t in doc.tables for row in t.rows for c in row.cells for p in c.paragraphs]
    text = "\n".join(p.text for p in [*doc.paragraphs, *cells])  # articles are in story tables
    for s in festival.sections[0].stories:
        for a in s.articles:
            assert f"Địa chỉ (URL): {a.url}" in text
            assert a.raw_sha256 in text
    quotes = [p.text for p in doc.paragraphs if p.style.name == "Quote"]
    assert len(quotes) == sum(len(s.quotes) for s in festival.sections[0].stories)


def test_csv_parses_back(festival):
    # issue 15 changed the headers to bilingual ones a spreadsheet reader understands
    rows = list(csv.DictReader(io.StringIO(render_csv(festival))))
    assert len(rows) == 13
    assert sum(r["Bản gốc / Original"] == "1" for r in rows) == 9
    assert {r["Mã sáng kiến / Initiative id"] for r in rows} == {"design_festival"}
    opening = [r for r in rows if r["Tin số / Story no."] == "6"]
    assert [r["Báo / Outlet"] for r in opening] == [
        "Báo Thủ Đô Ngày Nay",
        "Đô Thị Mới",
        "Cổng thông tin điện tử Sở Văn hóa và Thể thao Hà Nội",
        "Tin Tổng Hợp 24h",
    ]
    assert [r["Bài số / Article no."] for r in opening] == ["1", "2", "3", "4"]
    assert {r["Ngày đăng / Published"] for r in opening} == {"11/11/2023", "12/11/2023"}
    assert all(len(r["SHA-256"]) == 64 for r in rows)


def test_markdown_has_headings_quotes_and_chart(festival):
    md = render_markdown(festival, {"design_festival": "chart.png"})
    assert md.startswith("# Báo cáo bằng chứng (Evidence report)\n")
    assert "## Lễ hội Thiết kế sáng tạo Hà Nội (Hanoi Creative Design Festival)" in md
    assert "| 2023 | 3 | 7 |" in md
    assert "![Độ phủ theo thời gian (Coverage over time)](chart.png)" in md
    # issue 15: the role is its own field ("bản gốc / original"), not nested in brackets
    assert "(bản gốc (original))" not in md
    roles = [a.role for st in festival.sections[0].stories for a in st.articles]
    assert md.count("Loại bài (Kind): bản gốc / original") == roles.count("original")
    assert md.count("Loại bài (Kind): thông tin của cơ quan / agency's own publication") == (
        roles.count("agency")
    )
    assert sum(a.is_original for st in festival.sections[0].stories for a in st.articles) == 9
    assert md.count("- Địa chỉ (URL): <http://127.0.0.1:") == 13


def test_write_report_every_format(festival, tmp_path):
    for fmt in ("md", "html", "csv", "docx"):
        paths = write_report(festival, fmt, tmp_path / f"r.{fmt}")
        assert paths[0] == tmp_path / f"r.{fmt}" and paths[0].stat().st_size > 1000
        if fmt in ("md", "csv"):
            assert paths[1] == tmp_path / "r-design_festival.png"
            assert paths[1].read_bytes().startswith(PNG)
    assert (tmp_path / "r.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    with pytest.raises(ValueError):
        write_report(festival, "pdf", tmp_path / "r.pdf")


def test_format_date_vi():
    assert format_date_vi("2023-11-11T21:00:00+07:00") == "11/11/2023"
    assert format_date_vi(None) == ""


# ---------------------------------------------------------------------------------------------
# Command line and Datasette
# ---------------------------------------------------------------------------------------------


def _run(*argv: str) -> int:
    from ingest.commands import evidence

    parser = argparse.ArgumentParser(prog="ingest")
    evidence.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(list(argv))
    return args.func(args)


def test_cli_report_stories_archive_verify(sample_db_copy, tmp_path, capsys):
    db = str(sample_db_copy)
    assert _run("stories", "--db", db) == 0
    assert "3 with more than one article" in capsys.readouterr().out
    out = tmp_path / "festival.docx"
    assert _run(
        "report", "--db", db, "--initiative", "design_festival",
        "--from", "2019", "--to", "2026", "--out", str(out),
    ) == 0  # fmt: skip
    assert "design_festival: 9 stories, 13 articles" in capsys.readouterr().out
    assert out.read_bytes().startswith(b"PK")
    assert _run("archive", "7", "--db", db) == 0
    assert "(matches the archive)" in capsys.readouterr().out
    assert _run("verify-archive", "--db", db) == 0
    assert "43 articles" in capsys.readouterr().out
    warc = next((sample_db_copy.parent / "raw").glob("tonghop-*.warc.gz"))
    warc.write_bytes(warc.read_bytes()[:-40])
    assert _run("verify-archive", "--db", db) == 1
    assert "MISMATCH" in capsys.readouterr().out


def test_cli_report_warns_without_stories(sample_db_copy, tmp_path, capsys):
    import sqlite3

    # the nightly flow clusters as it loads; undo that to see the report without stories
    with sqlite3.connect(sample_db_copy) as conn:
        conn.execute("update articles set story_id = null")
    assert _run(
        "report", "--db", str(sample_db_copy), "--initiative", "design_festival",
        "--from", "2023-11", "--to", "2023-11", "--out", str(tmp_path / "r.md"),
    ) == 0  # fmt: skip
    captured = capsys.readouterr()
    assert "have no story yet" in captured.err
    assert "design_festival: 4 stories, 4 articles" in captured.out  # unclustered: one per article


@pytest.fixture
def report_client(story_db):
    from datasette.plugins import pm
    from datasette_fixtures import SyncClient, make_datasette

    import ingest.publish.plugin as plugin

    registered = not pm.is_registered(plugin)
    if registered:
        pm.register(plugin, name="ingest_vn")
    client = SyncClient(make_datasette(story_db))
    yield client
    client.close()
    if registered:
        pm.unregister(plugin)


def test_datasette_report_page(report_client):
    from lxml import html as lhtml

    form = report_client.get("/-/report")
    assert form.status_code == 200
    assert 'value="design_festival"' in form.text
    assert "Lễ hội Thiết kế sáng tạo Hà Nội" in form.text  # initiatives chosen by name
    page = report_client.get("/-/report?initiative=design_festival&from=2019&to=2026")
    assert page.status_code == 200
    tree = lhtml.fromstring(page.text)
    assert len(tree.xpath("//article[@class='story']")) == 9
    # issue 15: the site's layout (Datasette's menu) around the preview and its form
    assert tree.xpath("//details[@class='nav-menu']")
    assert tree.xpath("//form[@class='kb-report-form']//input[@name='initiative']")
    links = tree.xpath("//a[contains(@class, 'archive')]/@href")
    assert len(links) == 13 and all(h.startswith("http://localhost/-/archive/") for h in links)
    archived = report_client.get(links[0].removeprefix("http://localhost"))
    assert archived.status_code == 200 and "sandbox" in archived.text
    docx = report_client.get("/-/report?initiative=design_festival&from=2019&to=2026&format=docx")
    assert docx.status_code == 200 and docx.content.startswith(b"PK")
    assert "attachment" in docx.headers["content-disposition"]
    csv_page = report_client.get(
        "/-/report?initiative=design_festival&from=2023-11&to=2023-11&format=csv"
    )
    assert csv_page.content.startswith(b"\xef\xbb\xbf")  # Excel reads the diacritics
    rows = list(csv.DictReader(io.StringIO(csv_page.content.decode("utf-8-sig"))))
    assert len(rows) == 4
    assert report_client.get("/-/report?initiative=nope&from=2019&to=2026").status_code == 400
    assert (
        report_client.get("/-/report?initiative=design_festival&from=2026&to=2019").status_code
        == 400
    )
    home = report_client.get("/")
    assert "/-/report" in home.text


def test_canned_query_links_to_the_report(story_db):
    """metadata.yml's evidence_report: one row per story, report_url rendered as a link."""
    from datasette.plugins import pm
    from datasette_fixtures import SyncClient, make_datasette

    import ingest.publish.plugin as plugin

    registered = not pm.is_registered(plugin)
    if registered:
        pm.register(plugin, name="ingest_vn")
    client = SyncClient(make_datasette(story_db))
    try:
        params = "initiative=design_festival&date_from=2019&date_to=2026"
        data = client.json(f"/kb/evidence_report.json?{params}&_shape=array")
        assert len(data) == 9
        assert sum(r["articles"] for r in data) == 13
        # the bounds are normalised to days (issue 15: one date convention)
        assert {r["report_url"] for r in data} == {
            "/-/report?initiative=design_festival&from=2019-01-01&to=2026-12-31"
        }
        page = client.get(f"/kb/evidence_report?{params}")
        assert (
            'class="kb-report-link" href="/-/report?initiative=design_festival&amp;from=2019'
            in page.text
        )
    finally:
        client.close()
        if registered:
            pm.unregister(plugin)


@pytest.mark.browser
def test_html_prints_cleanly_in_chromium(festival, tmp_path):
    """Print media in Debian's chromium: form hidden, page breaks set, nothing wider than A4."""
    import os

    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(f"REQUIRE_BROWSER is set but {chromium} is missing")
        pytest.skip(f"{chromium} not installed")
    from playwright.sync_api import sync_playwright

    page_html = render_html(festival, charts_for(festival), nav_html="<form>form</form>")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(chromium), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 794, "height": 1123})  # A4 at 96 dpi
            page.set_content(page_html)
            page.emulate_media(media="print")
            style = page.evaluate(
                """() => ({
                  nav: getComputedStyle(document.querySelector('nav')).display,
                  article: getComputedStyle(document.querySelector('ol.articles > li')).breakInside,
                  overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
                  chart: document.querySelector('figure.chart img').naturalWidth,
                })"""
            )
            pdf = page.pdf(format="A4", print_background=False)
        finally:
            browser.close()
    # a story now holds every article's citation block and runs over a page; each article
    # (one list item) is kept whole instead
    assert style == {"nav": "none", "article": "avoid", "overflow": 0, "chart": 840}
    (tmp_path / "report.pdf").write_bytes(pdf)
    import re

    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pdf.startswith(b"%PDF") and 5 <= pages <= 20
