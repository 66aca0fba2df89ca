"""The report page in Debian's headless Chromium, on the knowledge base the pipeline builds
from the sample sites: the festival 2023 dossier three clicks from the home page, the form with
day-first dates and every download, exports equal to the screen, a phone-sized screen.

Skipped only when /usr/bin/chromium is missing and REQUIRE_BROWSER is unset (as
tests/publish/test_browser.py). Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import html as lhtml

from ingest.testing.report_load import served

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
FESTIVAL_2023 = {"stories": 3, "articles": 7, "numbers": [["1", "2"], ["1"], ["1", "2", "3", "4"]]}


@pytest.fixture(scope="module")
def server(sample_db: Path) -> Iterator[str]:
    if not CHROMIUM.exists():
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(f"REQUIRE_BROWSER is set but {CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} not installed (scripts/install-browser.sh)")
    with served(sample_db) as (base, _):
        yield base


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def _page(browser: Any, width: int = 1280) -> tuple[Any, list[str]]:
    page = browser.new_page(viewport={"width": width, "height": 900}, accept_downloads=True)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    return page, errors


def _download(page: Any, selector: str, dest: Path) -> Path:
    with page.expect_download() as info:
        page.click(selector)
    path = dest / info.value.suggested_filename
    info.value.save_as(path)
    return path


def _docx(path: Path) -> dict[str, Any]:
    from docx import Document
    from docx.oxml.ns import qn

    doc = Document(str(path))
    sec = doc.sections[0]
    tables = [t for t in doc.tables if t.rows[0].cells[0].text == "STT (No.)"]
    links = [
        doc.part.rels[h.get(qn("r:id"))].target_ref
        for h in doc.element.body.iter(qn("w:hyperlink"))
        if h.get(qn("r:id"))
    ]
    return {
        "a4": (round(sec.page_width / 360000, 1), round(sec.page_height / 360000, 1)),
        "numbers": [[r.cells[0].text for r in t.rows[1:]] for t in tables],
        "links": links,
    }


def _shown(page: Any) -> list[int]:
    return [int(x) for x in page.locator("li[data-article]").evaluate_all(
        "els => els.map(e => e.dataset.article)")]  # fmt: skip


def test_festival_2023_dossier_is_three_clicks_from_home(browser: Any, server: str, tmp_path):
    page, errors = _page(browser)
    page.goto(server + "/", wait_until="networkidle")
    clicks = 0
    page.click("#kb-report-home-link")  # 1: the report page
    clicks += 1
    page.wait_for_load_state("networkidle")
    page.click("li[data-initiative='design_festival'] a.kb-quick-year[data-year='2023']")  # 2
    clicks += 1
    page.wait_for_selector(".kb-report-preview")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "report-festival-2023.png"), full_page=False)
    assert page.locator("article.story").count() == FESTIVAL_2023["stories"]
    shown = _shown(page)
    assert len(shown) == FESTIVAL_2023["articles"]
    docx = _download(page, "a.kb-download[data-format='docx']", tmp_path)  # 3: the DOCX
    clicks += 1
    assert clicks == 3
    facts = _docx(docx)
    assert facts["a4"] == (21.0, 29.7)
    assert facts["numbers"] == FESTIVAL_2023["numbers"]  # numbered within each story
    archive = page.locator("a.archive").evaluate_all("els => els.map(e => e.href)")
    assert len(archive) == len(shown) and set(archive) <= set(facts["links"])
    for href, article in zip(archive, shown, strict=True):  # every archive link works
        assert href == f"{server}/-/archive/{article}"
        r = httpx.get(href, timeout=10)
        assert r.status_code == 200 and "Bản lưu trữ" in r.text
    assert errors == []
    page.close()


def test_form_with_day_first_dates_and_every_download(browser: Any, server: str, tmp_path):
    page, errors = _page(browser)
    page.goto(server + "/-/report", wait_until="networkidle")
    page.check("input[name='initiative'][value='design_festival']")
    page.fill("#kb-from", "01/01/2023")
    page.fill("#kb-to", "31/12/2023")
    page.click("#kb-preview")
    page.wait_for_selector(".kb-report-preview")
    assert "from=01%2F01%2F2023" in page.url
    shown = _shown(page)
    assert len(shown) == FESTIVAL_2023["articles"]
    got = {}
    for fmt in ("docx", "html", "csv", "md", "json"):
        got[fmt] = _download(page, f"a.kb-download[data-format='{fmt}']", tmp_path)
    assert got["docx"].name == "evidence-design_festival-2023-01-01-2023-12-31.docx"
    facts = _docx(got["docx"])
    assert facts["a4"] == (21.0, 29.7) and facts["numbers"] == FESTIVAL_2023["numbers"]
    tree = lhtml.fromstring(got["html"].read_text(encoding="utf-8"))
    assert [int(x) for x in tree.xpath("//li[@data-article]/@data-article")] == shown
    assert "@page { size: A4" in tree.xpath("string(//style)")
    raw = got["csv"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [int(r["Mã bài / Article id"]) for r in rows] == shown  # exactly the rows shown
    data = json.loads(got["json"].read_text(encoding="utf-8"))
    assert [
        a["id"] for s in data["sections"] for st in s["stories"] for a in st["articles"]
    ] == shown
    md = got["md"].read_text(encoding="utf-8")
    assert md.count("Loại bài (Kind):") == len(shown)
    assert errors == []
    page.close()


def test_bad_date_in_the_form_says_why(browser: Any, server: str):
    page, _ = _page(browser)
    page.goto(server + "/-/report", wait_until="networkidle")
    page.fill("#kb-from", "31/31/2023")
    page.fill("#kb-to", "2023")
    with page.expect_navigation() as nav:
        page.click("#kb-preview")
    assert nav.value.status == 400
    message = page.locator(".kb-errors").inner_text()
    assert "không có tháng 31" in message and "there is no month 31" in message
    assert page.input_value("#kb-from") == "31/31/2023"  # kept, to be corrected
    page.close()


def test_report_fits_a_phone(browser: Any, server: str):
    page, errors = _page(browser, width=390)
    page.goto(
        server + "/-/report?initiative=design_festival&from=2023&to=2023", wait_until="networkidle"
    )
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    page.screenshot(path=str(SCREENSHOTS / "report-phone.png"), full_page=False)
    assert overflow == 0 and errors == []
    page.close()


def test_search_exports_in_the_browser_hold_the_rows_shown(browser: Any, server: str, tmp_path):
    page, errors = _page(browser)
    page.goto(server + "/-/search?q=thiet+ke&relevant=1", wait_until="networkidle")
    shown = [int(x) for x in page.locator("li.kb-result").evaluate_all(
        "els => els.map(e => e.dataset.articleId)")]  # fmt: skip
    assert shown
    path = _download(page, "a.kb-export[data-format='csv']", tmp_path)
    rows = list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))
    assert [int(r["article_id"]) for r in rows] == shown
    page.click("a.kb-export[data-format='json']")
    page.wait_for_load_state("networkidle")
    data = json.loads(page.locator("body").inner_text())
    assert [r["article_id"] for r in data] == shown
    assert errors == []
    page.close()
