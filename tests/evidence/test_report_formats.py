"""Every format cites every article the same way, and none of them lets crawled text through.

On a private copy of the sample knowledge base: the citation fields in md, html, csv, json and
docx; undated articles in "date unknown"; Markdown rendered by two Markdown libraries with a
hostile title; CSV formula injection; control characters in the DOCX; the DOCX's page setup,
links and numbering (and, with LibreOffice, as a PDF with a page kept as PNG under
test-artifacts/); `ingest report --out report`; `ingest archive --save`.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import shutil
import sqlite3
import subprocess
from datetime import date
from pathlib import Path

import pytest

from ingest.evidence.chart import charts_for
from ingest.evidence.render import (
    render_csv,
    render_docx,
    render_html,
    render_json,
    render_markdown,
)
from ingest.evidence.report import ReportQuery, build_report

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
YEAR_2023 = ReportQuery(date(2023, 1, 1), date(2023, 12, 31), ("design_festival",))
HOSTILE_TITLE = (
    '<script>alert("x")</script> <img src=x onerror=alert(1)> [bấm](javascript:alert(2))'
    " **đậm** `mã` | ô"
)
HOSTILE_CELLS = {
    "title": '=HYPERLINK("http://evil.example","bấm")',
    "author": "+cmd|' /C calc'!A0",
}


def _db(path: Path):
    from ingest.store.db import connect

    return connect(path)


@pytest.fixture
def festival_db(sample_db_copy) -> Path:
    return sample_db_copy


def _opening(db_path: Path) -> int:
    """The 2023 festival opening's original (Thủ Đô), by its story's first article."""
    conn = sqlite3.connect(db_path)
    (aid,) = conn.execute(
        "select id from articles where title like 'Lễ hội Thiết kế sáng tạo Hà Nội 2023 khai mạc%'"
    ).fetchone()
    conn.close()
    return aid


def test_every_format_cites_the_article_the_same_way(festival_db):
    from docx import Document
    from lxml import html as lhtml

    report = build_report(_db(festival_db), YEAR_2023, base_url="https://kb.example.org/")
    [sec] = report.sections
    opening = next(a for st in sec.stories for a in st.articles if a.id == _opening(festival_db))
    assert opening.archive_url == f"https://kb.example.org/-/archive/{opening.id}"
    assert opening.role == "original" and opening.published_source == "json-ld"
    assert opening.author == "Phương Linh"
    vi = (
        "Báo Thủ Đô Ngày Nay, «Lễ hội Thiết kế sáng tạo Hà Nội 2023 khai mạc với chủ đề kết nối"
        f" di sản», 11/11/2023, {opening.url} (lưu trữ ngày"
        f" {opening.fetched_at[8:10]}/{opening.fetched_at[5:7]}/{opening.fetched_at[:4]}:"
        f" https://kb.example.org/-/archive/{opening.id})"
    )
    assert opening.citation("vi") == vi
    en = opening.citation("en")
    assert en == vi.replace("(lưu trữ ngày", "(archived")

    md = render_markdown(report)
    assert f"<{opening.url}>" in md and f"<{opening.archive_url}>" in md
    assert "Ngày đăng (Published): 11/11/2023 (nguồn ngày / date from: dữ liệu JSON\\-LD" not in md
    assert "nguồn ngày / date from: dữ liệu JSON-LD của trang / the page's JSON-LD" in md
    assert "Tác giả (Author): Phương Linh" in md
    tree = lhtml.fromstring(render_html(report))
    [li] = tree.xpath(f"//li[@data-article='{opening.id}']")
    assert li.xpath(".//a[@class='url']/@href") == [opening.url]
    assert li.xpath(".//a[@class='archive']/@href") == [opening.archive_url]
    assert [p.text_content() for p in li.xpath(".//p[@class='citation']")] == [vi, en]
    rows = list(csv.DictReader(io.StringIO(render_csv(report))))
    [row] = [r for r in rows if r["Mã bài / Article id"] == str(opening.id)]
    assert row["Trích dẫn / Citation (vi)"] == vi and row["Citation (en)"] == en
    assert row["Bản lưu trữ / Archive URL"] == opening.archive_url
    assert row["Tác giả / Author"] == "Phương Linh" and row["Ngày đăng / Published"] == "11/11/2023"
    assert "Sở Văn hóa và Thể thao Hà Nội (doc_sports)" in rows[0]["Cơ quan / Agencies"] or any(
        "(doc_sports)" in r["Cơ quan / Agencies"] for r in rows
    )  # names beside ids
    data = json.loads(render_json(report))
    [art] = [
        a for st in data["sections"][0]["stories"] for a in st["articles"] if a["id"] == opening.id
    ]
    assert (art["citation_vi"], art["archive_url"], art["author"]) == (
        vi,
        opening.archive_url,
        "Phương Linh",
    )
    doc = Document(io.BytesIO(render_docx(report)))
    texts = [p.text for t in doc.tables for r in t.rows for c in r.cells for p in c.paragraphs]
    assert f"Trích dẫn (Citation, tiếng Việt): {vi}" in texts
    assert f"Bản lưu trữ (Archived copy): {opening.archive_url}" in texts


def test_roles_tell_a_copy_from_an_agencys_own_page(festival_db):
    report = build_report(_db(festival_db), YEAR_2023)
    opening = next(st for st in report.sections[0].stories if st.date == "2023-11-11")
    assert [(a.outlet, a.role) for a in opening.articles] == [
        ("Báo Thủ Đô Ngày Nay", "original"),
        ("Đô Thị Mới", "copy"),
        ("Cổng thông tin điện tử Sở Văn hóa và Thể thao Hà Nội", "agency"),
        ("Tin Tổng Hợp 24h", "copy"),
    ]
    md = render_markdown(report)
    assert "Loại bài (Kind): thông tin của cơ quan / agency's own publication" in md
    assert "(bản gốc (original))" not in md and "(bản đăng lại (copy))" not in md


def test_undated_article_is_in_date_unknown_and_counted(festival_db):
    conn = sqlite3.connect(festival_db)
    aid = _opening(festival_db)
    # the department portal's page lost its date (no date on the page, feed or sitemap)
    portal = conn.execute(
        "select id from articles where source_id = 'sovhtt' and story_id ="
        " (select story_id from articles where id = ?)",
        [aid],
    ).fetchone()[0]
    # and an undated festival article with no story of its own, fetched inside 2023
    conn.execute(
        "update articles set published = null, published_date = null, published_month = null,"
        " published_year = null where id = ?",
        [portal],
    )
    lone = conn.execute(
        "select a.id from articles a join article_initiatives ai on ai.article_id = a.id"
        " where ai.initiative_id = 'design_festival' and a.published_date like '2022-%' limit 1"
    ).fetchone()[0]
    conn.execute(
        "update articles set published = null, published_date = null, published_month = null,"
        " published_year = null, story_id = null, fetched_at = '2023-05-01T08:00:00+07:00'"
        " where id = ?",
        [lone],
    )
    conn.commit()
    conn.close()
    report = build_report(_db(festival_db), YEAR_2023)
    [sec] = report.sections
    opening = next(st for st in sec.stories if st.date == "2023-11-11")
    assert portal in [a.id for a in opening.articles]  # stays in its dated story
    assert [[a.id for a in st.articles] for st in sec.undated] == [[lone]]
    assert sec.undated_count == 2 and sec.article_count == 8 and report.undated_total == 2
    md = render_markdown(report)
    assert "### Ngày không rõ (Date unknown)" in md
    assert "2 bài không rõ ngày (undated)" in md
    html = render_html(report)
    assert "<h3 class='undated'>Ngày không rõ (Date unknown)</h3>" in html
    assert "ngày không rõ / date unknown" in html
    rows = list(csv.DictReader(io.StringIO(render_csv(report))))
    assert [r["Mã bài / Article id"] for r in rows if r["Phần / Part"].startswith("ngày")] == [
        str(lone)
    ]
    # fetched before the period began: it was published before it too, so it is not counted
    later = build_report(_db(festival_db), ReportQuery(date(2023, 6, 1), date(2023, 12, 31)))
    assert lone not in {a.id for s in later.sections for st in s.undated for a in st.articles}


def _poison(db_path: Path) -> int:
    """Give the 2023 opening hostile text in every crawled field the report shows."""
    aid = _opening(db_path)
    conn = sqlite3.connect(db_path)
    conn.execute(
        "update articles set title = ?, author = ? where id = ?",
        [HOSTILE_TITLE, "<b onmouseover=alert(3)>Tác giả</b>", aid],
    )
    conn.execute(
        "update article_initiatives set evidence = ? where article_id = ?",
        ["<script>alert('quote')</script> ![x](javascript:alert(4))", aid],
    )
    conn.execute(
        "update sources set name = ? where id = (select source_id from articles where id = ?)",
        ["<iframe src=//evil.example></iframe>Thủ Đô", aid],
    )
    conn.commit()
    conn.close()
    return aid


def _live_html(html_text: str) -> list[str]:
    """Elements, attributes and links a browser would act on."""
    from lxml import html as lhtml

    tree = lhtml.fromstring(f"<div>{html_text}</div>")
    found = [e.tag for e in tree.iter() if e.tag in ("script", "iframe", "b")]
    found += [e.get("src") for e in tree.iter("img") if e.get("src") != "chart.png"]
    found += [f"{e.tag}@{a}" for e in tree.iter() for a in e.attrib if a.startswith("on")]
    found += [h for h in tree.xpath("//@href | //@src") if not h.startswith(("http", "chart"))]
    return found


def test_markdown_escapes_crawled_text_for_any_renderer(festival_db):
    import markdown
    from markdown_it import MarkdownIt

    _poison(festival_db)
    report = build_report(_db(festival_db), YEAR_2023)
    md = render_markdown(report, {"design_festival": "chart.png"})
    for rendered in (
        MarkdownIt("commonmark", {"html": True}).enable("table").render(md),
        markdown.markdown(md, extensions=["tables"]),
    ):
        assert _live_html(rendered) == []
        assert "<script" not in rendered and "javascript:" not in re.sub(r">[^<]*<", "><", rendered)
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in rendered  # shown as text
        assert "**đậm**" in rendered  # no emphasis made from a crawled title


def test_csv_neutralises_formulas(festival_db):
    aid = _opening(festival_db)
    conn = sqlite3.connect(festival_db)
    conn.execute(
        "update articles set title = ?, author = ? where id = ?",
        [HOSTILE_CELLS["title"], HOSTILE_CELLS["author"], aid],
    )
    conn.execute(
        "update article_initiatives set evidence = '@SUM(A1:A9)' where article_id = ?", [aid]
    )
    conn.commit()
    conn.close()
    report = build_report(_db(festival_db), YEAR_2023)
    rows = list(csv.DictReader(io.StringIO(render_csv(report))))
    [row] = [r for r in rows if r["Mã bài / Article id"] == str(aid)]
    assert row["Tiêu đề / Title"] == "'" + HOSTILE_CELLS["title"]
    assert row["Tác giả / Author"] == "'" + HOSTILE_CELLS["author"]
    assert row["Trích dẫn bằng chứng / Evidence quote"] == "'@SUM(A1:A9)"
    for r in rows:
        for value in r.values():
            assert not value.startswith(("=", "+", "@", "\t", "\r")), value
            assert not value.startswith("-") or re.fullmatch(r"-\d+(\.\d+)?", value)


def test_docx_tolerates_control_characters(festival_db):
    from docx import Document

    aid = _opening(festival_db)
    conn = sqlite3.connect(festival_db)
    conn.execute(
        "update articles set title = ? where id = ?",
        ["Khai mạc\x0b lễ hội\x0c \x1b[31mđỏ\x1b[0m &#1;\x01 xong", aid],
    )
    conn.commit()
    conn.close()
    report = build_report(_db(festival_db), YEAR_2023)
    doc = Document(io.BytesIO(render_docx(report, charts_for(report))))
    titles = [p.text for t in doc.tables for r in t.rows for c in r.cells for p in c.paragraphs[:1]]
    assert "Khai mạc lễ hội đỏ &#1; xong — Báo Thủ Đô Ngày Nay" in titles


def _docx_facts(data: bytes) -> dict:
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Cm

    doc = Document(io.BytesIO(data))
    sec = doc.sections[0]
    cm = Cm(1)
    body = doc.element.body
    links = body.findall(".//" + qn("w:hyperlink"))
    external = [h for h in links if h.get(qn("r:id"))]
    rels = doc.part.rels
    story_tables = [t for t in doc.tables if t.rows[0].cells[0].text == "STT (No.)"]
    return {
        "a4": (round(sec.page_width / cm, 1), round(sec.page_height / cm, 1)) == (21.0, 29.7),
        "margins_cm": tuple(
            round(m / 360000, 1)
            for m in (sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin)
        ),
        "urls": [rels[h.get(qn("r:id"))].target_ref for h in external],
        "internal_links": len(links) - len(external),
        "numbers": [[r.cells[0].text for r in t.rows[1:]] for t in story_tables],
        "widths_cm": {round(c.width / 360000, 1) for t in story_tables for c in t.rows[1].cells},
        "toc": [i.text for i in body.iter(qn("w:instrText")) if "TOC" in i.text],
        "title": [p.text for p in doc.paragraphs if p.style.name == "Title"],
        "facts": [p.text for p in doc.paragraphs[:20]],
        "footer": doc.sections[0].footer.paragraphs[0].text,
    }


def test_docx_is_an_official_document(festival_db):
    report = build_report(_db(festival_db), YEAR_2023, base_url="https://kb.example.org")
    facts = _docx_facts(render_docx(report, charts_for(report)))
    [sec] = report.sections
    assert facts["a4"] and facts["margins_cm"] == (2.0, 2.0, 3.0, 2.0)
    articles = [a for st in sec.stories for a in st.articles]
    expected = [u for a in articles for u in (a.url, a.archive_url)]
    assert [u for u in facts["urls"] if u in expected] == expected  # every link clickable
    assert facts["numbers"] == [
        [str(i) for i in range(1, len(st.articles) + 1)] for st in sec.stories
    ]
    assert facts["numbers"] == [["1", "2"], ["1"], ["1", "2", "3", "4"]]  # per story
    assert facts["widths_cm"] == {1.8, 14.2}
    assert facts["toc"] == [' TOC \\o "1-3" \\h \\z \\u ']
    assert facts["internal_links"] == 3 + 3  # section, summary, stories + three stories
    assert facts["title"] == ["Báo cáo bằng chứng (Evidence report)"]
    title_page = "\n".join(facts["facts"])
    assert "Kỳ báo cáo (Period): 01/01/2023 – 31/12/2023" in title_page
    assert (
        "Sáng kiến và chủ đề (Initiatives and topics): Lễ hội Thiết kế sáng tạo Hà Nội"
        in title_page
    )
    assert "Phiên bản kho dữ liệu (Knowledge-base version): hanoi-creative-kb" in title_page
    assert "Thời điểm lập (Generated): " in title_page
    assert "Phạm vi (Coverage): 7 bài được trích dẫn (articles cited)" in title_page
    assert facts["footer"].startswith("Trang (Page) ")


def test_docx_as_pdf_with_libreoffice(festival_db, tmp_path):
    """A4 pages once printed, contents linked, every URL printed in full; the title page and
    the first page of an article table kept as PNGs under test-artifacts/ to look at."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice not installed (the python-docx checks above still ran)")
    report = build_report(_db(festival_db), YEAR_2023)
    docx = tmp_path / "festival-2023.docx"
    docx.write_bytes(render_docx(report, charts_for(report)))
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{tmp_path}/lo", "--headless",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(docx)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    pdf = tmp_path / "festival-2023.pdf"
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", data)
    assert boxes and all(abs(float(w) - 595.3) < 1 and abs(float(h) - 841.9) < 1 for w, h in boxes)
    # the contents' links to each heading survive; LibreOffice 7.4 (Debian 12) writes no URL
    # annotations at all, even for a plain HTML link, so the external links are checked in
    # the DOCX itself (test_docx_is_an_official_document) and here as printed text
    assert len(re.findall(rb"/Subtype\s*/Link", data)) >= 6
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        flat = re.sub(r"[\s-]+", "", text)  # pdftotext joins a URL broken at a hyphen
        for a in (a for st in report.sections[0].stories for a in st.articles):
            for url in (a.url, a.archive_url or ""):
                assert url.replace("-", "") in flat
        assert "Mục lục (Contents)" in text
    if shutil.which("pdftoppm") and shutil.which("pdftotext"):
        ARTIFACTS.mkdir(exist_ok=True)
        first_story_table = next(
            n
            for n in range(1, 40)
            if "Bài (Article)"
            in subprocess.run(
                ["pdftotext", "-f", str(n), "-l", str(n), str(pdf), "-"],
                capture_output=True, text=True, check=True,
            ).stdout
        )  # fmt: skip
        for name, page in (("title", 1), ("articles", first_story_table)):
            out = ARTIFACTS / f"report-docx-{name}"
            subprocess.run(
                ["pdftoppm", "-png", "-r", "80", "-f", str(page), "-l", str(page),
                 "-singlefile", str(pdf), str(out)],
                check=True, timeout=60,
            )  # fmt: skip
            assert out.with_suffix(".png").read_bytes().startswith(b"\x89PNG")


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------


def _cli(*argv: str) -> int:
    from ingest.commands import evidence

    parser = argparse.ArgumentParser(prog="ingest")
    evidence.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(list(argv))
    return args.func(args)


def test_report_out_without_extension_is_a_clear_error(festival_db, tmp_path, capsys):
    common = ("report", "--db", str(festival_db), "--from", "01/01/2023", "--to", "2023")
    assert _cli(*common, "--out", str(tmp_path / "report")) == 2
    assert "cannot tell the format of" in capsys.readouterr().err
    assert _cli(*common, "--out", str(tmp_path / "report.pdf")) == 2
    assert "unknown format 'pdf'" in capsys.readouterr().err
    assert _cli(*common[:-4], "--from", "31/31/2023", "--to", "2023", "--out", "r.md") == 2
    assert "--from: ngày «31/31/2023» không hợp lệ" in capsys.readouterr().err
    assert _cli(*common, "--out", str(tmp_path / "report"), "--format", "docx",
                "--initiative", "design_festival", "--base-url", "https://kb.example.org") == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "design_festival: 3 stories, 7 articles (0 undated, 0 excluded by reviewers)" in out
    assert (tmp_path / "report").read_bytes().startswith(b"PK")


def test_archive_save_writes_the_page_a_pdf_and_its_provenance(tmp_path, capsys):
    """The fixture page has a script retitling it and a tracker image: neither runs."""
    import hashlib

    from datasette_fixtures import build_kb

    db = build_kb(tmp_path / "kb" / "kb.db")
    out = tmp_path / "dossier"
    assert _cli("archive", "1", "--db", str(db), "--save", str(out),
                "--base-url", "https://kb.example.org") == 0  # fmt: skip
    html = (out / "article-1.html").read_bytes()
    assert html.startswith(b"<html><head><title>Khai m") and b'document.title="pwned"' in html
    meta = json.loads((out / "article-1.json").read_text(encoding="utf-8"))
    assert meta["archive_url"] == "https://kb.example.org/-/archive/1"
    assert meta["matches_recorded_sha256"] is True
    assert meta["html_file_sha256"] == hashlib.sha256(html).hexdigest()
    if not shutil.which("chromium"):
        assert meta["pdf_problem"].startswith("chromium not installed")
        return
    pdf = (out / "article-1.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and meta["pdf_file"] == "article-1.pdf"
    if shutil.which("pdfinfo"):
        info = subprocess.run(
            ["pdfinfo", str(out / "article-1.pdf")], capture_output=True, text=True, check=True
        ).stdout
        assert "pwned" not in info  # the archived script did not run
        assert "Khai mạc Lễ hội" in info
    assert _cli("archive", "99", "--db", str(db), "--save", str(out)) == 1
    assert "article 99 not found" in capsys.readouterr().err
