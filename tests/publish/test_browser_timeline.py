"""The timeline page and the monitoring dossier in a real headless browser, on the database the
real pipeline builds from the sample sites. Screenshots go to test-artifacts/screenshots/.

Uses Debian's chromium as tests/publish/test_browser.py does (skipped when it is missing unless
REQUIRE_BROWSER is set)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, _require_browser, visit

from ingest.testing.report_load import served

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(sample_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _require_browser()
    with served(sample_db, tmp_path_factory.getbasetemp() / "datasette-timeline.log") as (base, _):
        yield base


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def test_timeline_page(browser: Any, server: str) -> None:
    page, errors = visit(browser, server + "/-/timeline", "timeline")
    assert page.locator(".kb-tl-entry").count() > 15
    assert page.locator("#kb-tl-chart circle").count() > 5
    first = page.locator(".kb-tl-entry").first
    assert first.locator(".kb-tl-date").inner_text().startswith("2019-07-16")
    # the site's own layout: Datasette's header and the menu with our links
    assert page.locator("header").count() == 1
    assert page.locator("a[href='/-/timeline']").count() >= 1
    assert errors == []
    page.close()


def test_timeline_filtered_and_on_a_phone(browser: Any, server: str) -> None:
    page, errors = visit(
        browser, server + "/-/timeline?initiative=design_festival&kind=festival_edition",
        "timeline-festival-editions",
    )  # fmt: skip
    dates = [d.split()[0] for d in page.locator(".kb-tl-date").all_inner_texts()]
    assert dates == ["2022-11-11", "2023-11-11", "2024-11-09", "2025-11-15"]
    assert "hơn 70 hoạt động" in page.locator(".kb-tl-entry").nth(1).inner_text()
    page.close()
    page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
    errors2: list[str] = []
    page.on("console", lambda m: errors2.append(m.text) if m.type == "error" else None)
    page.goto(server + "/-/timeline?level=international", wait_until="networkidle")
    page.screenshot(path=str(SCREENSHOTS / "timeline-phone.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400  # nothing forces a phone to scroll sideways (the chart scrolls itself)
    assert errors == [] and errors2 == []
    page.close()


def test_monitoring_dossier_page(browser: Any, server: str) -> None:
    page, errors = visit(
        browser,
        server + "/-/report?monitoring=1&from=2019-10-31&to=2023-10-31",
        "monitoring-dossier",
    )
    levels = page.locator("h2.kb-level").all_inner_texts()
    assert levels == [
        "Các sáng kiến cấp địa phương (Local-level initiatives)",
        "Các sáng kiến cấp quốc tế (International-level initiatives)",
        "Các chủ đề chung (Umbrella topics)",
    ]
    assert page.locator(".kb-dossier-activity").count() > 10
    assert errors == []
    page.close()
