"""The knowledge base in a real headless browser: pages render with no console errors.

Uses Debian's chromium (scripts/install-browser.sh), never a browser downloaded by Playwright.
Skipped only when /usr/bin/chromium is missing and REQUIRE_BROWSER is unset; with
REQUIRE_BROWSER=1 (CI) a missing browser is a failure. Screenshots are saved under
test-artifacts/screenshots/ for people to look at.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from datasette_fixtures import build_kb

from ingest.testing.report_load import served

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def _require_browser() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("REQUIRE_BROWSER"):
        pytest.fail(
            f"REQUIRE_BROWSER is set but {CHROMIUM} is missing: run scripts/install-browser.sh"
        )
    pytest.skip(
        f"{CHROMIUM} not installed (scripts/install-browser.sh); set REQUIRE_BROWSER=1 to fail"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`datasette serve` with exactly the command line `ingest serve` uses."""
    _require_browser()
    db = build_kb(tmp_path_factory.mktemp("browser") / "kb.db")
    with served(db, tmp_path_factory.getbasetemp() / "datasette.log") as (base, _):
        yield base


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def visit(browser: Any, url: str, name: str, wait_for: str | None = None) -> tuple[Any, list[str]]:
    """Open `url`, wait until the network is idle, screenshot it; return the console errors."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.on("requestfailed", lambda r: errors.append(f"requestfailed: {r.url}"))
    response = page.goto(url, wait_until="networkidle")
    assert response is not None and response.status == 200, url
    if wait_for:
        page.wait_for_selector(wait_for, timeout=15_000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    return page, errors


def test_home_page(browser: Any, server: str) -> None:
    page, errors = visit(browser, server + "/", "home")
    assert errors == []
    assert page.locator("#kb-dashboard-link").get_attribute("href") == "/-/dashboards/tong-quan"
    page.close()


def test_search_without_diacritics(browser: Any, server: str) -> None:
    page, errors = visit(browser, server + "/", "search-form")
    page.fill("#kb-q", "le hoi thiet ke")
    page.click(".kb-search-form input[type=submit]")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(SCREENSHOTS / "search-le-hoi-thiet-ke.png"), full_page=True)
    titles = page.locator(".kb-result h2").all_inner_texts()
    assert sorted(titles[:2]) == [
        "Khai mạc Lễ hội Thiết kế sáng tạo Hà Nội 2023",
        "Lễ hội thiết kế sáng tạo kéo dài chín ngày",
    ]
    assert page.locator(".kb-result mark").first.inner_text() == "Lễ hội thiết kế"
    assert errors == []
    page.close()


def test_table_search_with_facets(browser: Any, server: str) -> None:
    page, errors = visit(browser, server + "/kb/articles?_search=le+hoi+thiet+ke", "table-facets")
    assert page.locator("tbody tr").count() == 3
    facet = page.locator("#facet-initiative_ids")
    assert "Lễ hội Thiết kế sáng tạo Hà Nội" in facet.inner_text()
    assert "Hà Nội Mới" in page.locator("#facet-source_id").inner_text()
    assert errors == []
    page.close()


def test_article_page_highlights_evidence(browser: Any, server: str) -> None:
    page, errors = visit(browser, server + "/-/article/1", "article-evidence")
    marks = page.locator("mark.evidence").all_inner_texts()
    assert marks == [
        "Tối 11/11, Lễ hội Thiết kế sáng tạo Hà Nội 2023 khai mạc tại vườn hoa tượng đài Lý Thái Tổ.",
        "Sở Văn hóa và Thể thao Hà Nội cho biết lễ hội có gần 50 hoạt động quanh hồ Hoàn Kiếm.",
        "Các nhà thiết kế trẻ mang đến nhiều sản phẩm lấy cảm hứng từ phố cổ.",
    ]
    background = page.locator("mark.evidence").first.evaluate(
        "el => getComputedStyle(el).backgroundColor"
    )
    assert background == "rgb(184, 242, 198)"  # the evidence colour from kb.css
    assert errors == []
    page.close()


def test_crawled_script_never_runs(browser: Any, server: str) -> None:
    page, errors = visit(browser, server + "/-/archive/1?view=rendered", "archive-sandboxed")
    assert page.title().startswith("Bản lưu trữ")  # the archived <script> did not retitle it
    assert page.locator("iframe.kb-archive-frame").get_attribute("sandbox") == ""
    page.close()
    page, _ = visit(browser, server + "/-/article/7", "article-escaped")
    assert "<script>" in page.locator(".kb-text").inner_text()  # shown as text
    page.close()


def test_dashboard_renders_charts(browser: Any, server: str) -> None:
    # issue 16: the nightly chart moved to the operations dashboard (one date meaning per filter)
    page, errors = visit(
        browser,
        server + "/-/dashboards/tong-quan",
        "dashboard-fixture",
        wait_for="#chart-coverage-per-year.vega-embed",
    )
    page.wait_for_function("document.querySelectorAll('.vega-embed').length >= 4", timeout=15_000)
    assert page.locator("#chart-relevant-total").inner_text().strip() == "6"
    page.screenshot(path=str(SCREENSHOTS / "dashboard-fixture.png"), full_page=True)
    assert errors == []
    page.close()
    page, errors = visit(
        browser,
        server + "/-/dashboards/van-hanh",
        "operations",
        wait_for="#chart-new-per-night.vega-embed",
    )
    assert errors == []
    page.close()


def test_sample_database_pages(browser: Any, sample_db: Path, tmp_path_factory: Any) -> None:
    """The same pages on the database the real pipeline builds from the sample sites."""
    import sqlite3

    conn = sqlite3.connect(f"file:{sample_db}?mode=ro", uri=True)
    article_id = conn.execute(
        "select article_id from article_initiatives group by 1 order by count(*) desc limit 1"
    ).fetchone()[0]
    conn.close()
    with served(sample_db) as (base, _):
        page, errors = visit(browser, f"{base}/-/article/{article_id}", "sample-article")
        assert page.locator("mark.evidence").count() >= 1
        page.close()
        page, more = visit(browser, f"{base}/-/search?q=le+hoi+thiet+ke", "sample-search")
        assert page.locator(".kb-result").count() >= 1
        page.close()
        page, dash = visit(
            browser,
            f"{base}/-/dashboards/tong-quan",
            "sample-dashboard",
            wait_for="#chart-coverage-over-time.vega-embed",
        )
        page.wait_for_function(
            "document.querySelectorAll('.vega-embed').length >= 4", timeout=15_000
        )
        page.screenshot(path=str(SCREENSHOTS / "sample-dashboard.png"), full_page=True)
        page.close()
        assert errors + more + dash == []


def test_missing_browser_skips_unless_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules[__name__], "CHROMIUM", Path("/nonexistent/chromium"))
    monkeypatch.delenv("REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not installed"):
        _require_browser()
    monkeypatch.setenv("REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="REQUIRE_BROWSER is set"):
        _require_browser()
