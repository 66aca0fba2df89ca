"""Issue 16 in a real headless browser, on the database the real pipeline builds from the sample
sites (what `ingest demo` serves): the home page and its menu, the articles table's first
screen, the dashboard's yearly charts (integer axes, Vietnamese legends, English tooltips,
"no data", no outbound editor link), a search with diacritics, the article page on a phone,
and the archive's monospace font.

Screenshots for people to look at: test-artifacts/screenshots/{home, articles-table, dashboard,
search-diacritics, search-tiers, article-phone, home-menu, archive-source, database, query-form}.png.
Uses Debian's chromium as tests/publish/test_browser.py does.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_browser import SCREENSHOTS, _require_browser, browser, visit

from ingest.testing.report_load import served

pytestmark = pytest.mark.browser
__all__ = ["browser"]  # test_browser's fixture, over this module's server

# For each word of each facet label: how many line boxes it spans (1 unless cut inside it).
WORDS_SPLIT_JS = """
els => els.flatMap(el => {
  const out = [];
  for (const node of el.childNodes) {
    if (node.nodeType !== Node.TEXT_NODE) continue;
    const re = /\\S+/g; let m;
    while ((m = re.exec(node.textContent))) {
      const r = document.createRange();
      r.setStart(node, m.index); r.setEnd(node, m.index + m[0].length);
      const lines = new Set([...r.getClientRects()].map(x => Math.round(x.top)));
      if (lines.size > 1) out.push(m[0]);
    }
  }
  return out;
})
"""


TEXTS = "els => els.map(e => e.textContent)"  # SVG text has no innerText


@pytest.fixture(scope="module")
def server(sample_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _require_browser()
    log = tmp_path_factory.getbasetemp() / "datasette-researchers.log"
    with served(sample_db, log) as (base, _):
        yield base


@pytest.fixture(scope="module")
def kb(sample_db: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(f"file:{sample_db}?mode=ro", uri=True)
    yield conn
    conn.close()


def _charts_drawn(page: Any) -> None:
    page.wait_for_function(
        "[...document.querySelectorAll('.dashboard-card-chart')]"
        ".every(el => ['ready', 'no-data'].includes(el.dataset.state))",
        timeout=30_000,
    )


def test_home_page_and_menu(browser: Any, server: str) -> None:
    page, errors = visit(browser, server + "/", "home")
    page.click("details.nav-menu summary")
    menu = page.locator(".nav-menu-inner a:visible").all_inner_texts()
    assert menu[:6] == [
        "Tìm kiếm / Search",
        "Bài viết / Articles",
        "Báo cáo bằng chứng / Evidence report",
        "Bảng điều khiển / Dashboard",
        "Dòng thời gian hoạt động / Activity timeline",
        "Truy vấn có sẵn / Saved queries",
    ]
    assert "Dashboards" not in menu  # datasette-dashboards' English duplicate is hidden
    page.screenshot(path=str(SCREENSHOTS / "home-menu.png"), full_page=True)
    page.click("#kb-queries-link")
    page.wait_for_load_state("networkidle")
    assert page.locator("#queries").is_visible()
    assert errors == []
    page.close()


def test_articles_table_first_screen(browser: Any, server: str, kb: sqlite3.Connection) -> None:
    page, errors = visit(browser, server + "/kb/articles", "articles-table")
    first = page.locator("table.rows-and-columns tbody tr").first.bounding_box()
    assert first is not None and first["y"] < 900  # the data starts on the first screen
    heads = page.locator("table.rows-and-columns th").evaluate_all(
        "ths => ths.map(th => th.dataset.column)"
    )
    assert heads == ["published_date", "source_id", "title", "initiative_ids", "relevant"]
    assert not page.locator("#kb-columns").evaluate("d => d.open")
    assert not page.locator("dl.column-descriptions").is_visible()
    page.click("#kb-columns summary")
    assert page.locator("dl.kb-column-descriptions dt").first.is_visible()
    # facet labels wrap between words only ("Hà Nộ|i" was Datasette's break-all)
    links = page.locator(".facet-info li a:not(.cross)")
    assert links.count() > 10
    assert links.first.evaluate("a => getComputedStyle(a.parentElement).wordBreak") == "normal"
    assert links.evaluate_all(WORDS_SPLIT_JS) == []
    years = page.locator("#facet-published_year li a").all_inner_texts()
    expected = [
        str(y)
        for (y,) in kb.execute(
            "select distinct published_year from articles where published_year is not null order by 1"
        )
    ]
    assert years == expected  # in time order
    assert page.locator("#facet-relevant li a").all_inner_texts() == ["có / yes", "không / no"]
    assert errors == []
    page.close()


def test_dashboard_yearly_charts(browser: Any, server: str, kb: sqlite3.Connection) -> None:
    page, errors = visit(browser, server + "/-/dashboards/tong-quan", "dashboard")
    _charts_drawn(page)
    page.screenshot(path=str(SCREENSHOTS / "dashboard.png"), full_page=True)
    relevant = kb.execute("select count(*) from articles where relevant = 1").fetchone()[0]
    assert page.locator("#chart-relevant-total").inner_text().strip() == str(relevant)
    for slug in ("coverage-per-year", "initiative-year", "outlet-year", "top-agencies"):
        assert page.locator(f"#chart-{slug} svg.marks").count() == 1, slug
    # count axes are integers
    for slug in ("coverage-per-year", "coverage-over-time", "top-agencies"):
        labels = page.locator(f"#chart-{slug} g.role-axis-label text").evaluate_all(TEXTS)
        numbers = [t for t in labels if re.fullmatch(r"[\d.,]+", t)]
        assert numbers and all(re.fullmatch(r"\d+", t) for t in numbers), (slug, numbers)
    # the stacked bars add up to the relevant articles (one per article, not one per tag)
    legend = page.locator("#chart-coverage-per-year g.role-legend-label text").evaluate_all(TEXTS)
    names = {n for (n,) in kb.execute("select name_vi from initiatives")}
    assert legend and set(legend) - {"(chưa gắn sáng kiến / no initiative)"} <= names
    assert not any(t.endswith("…") for t in legend)  # never cut
    # English in the tooltip
    page.locator("#chart-coverage-per-year g.role-mark path").first.hover()
    tooltip = page.locator("#vg-tooltip-element")
    tooltip.wait_for(state="visible", timeout=5_000)
    english = {n for (n,) in kb.execute("select name_en from initiatives")} | {"no initiative"}
    assert "Initiative" in tooltip.inner_text()
    assert any(e in tooltip.inner_text() for e in english)
    # no outbound editor link in the charts' menus
    page.locator("#chart-top-agencies details summary").click()
    actions = page.locator("#chart-top-agencies .vega-actions a").all_inner_texts()
    assert actions and not any("Editor" in a or "Source" in a for a in actions)
    assert page.locator("a[href*='vega.github.io']").count() == 0
    # every chart has its CSV
    csv = page.locator("#card-top-agencies a.kb-chart-csv").get_attribute("href")
    response = httpx.get(server + csv, timeout=10)
    assert response.status_code == 200 and response.text.lstrip("\ufeff").startswith("agency,")
    assert errors == []
    page.close()


def test_dashboard_says_no_data(browser: Any, server: str) -> None:
    page, errors = visit(
        browser, server + "/-/dashboards/tong-quan?date_from=2099-01-01", "dashboard-no-data"
    )
    _charts_drawn(page)
    for slug in ("coverage-per-year", "initiative-year", "outlet-year", "top-agencies"):
        assert page.locator(f"#chart-{slug} .kb-no-data").inner_text() == (
            "Không có dữ liệu cho bộ lọc này / No data for these filters"
        )
    assert page.locator("#chart-relevant-total").inner_text().strip() == "0"
    assert page.locator("#date_from").input_value() == "2099-01-01"
    assert errors == []
    page.close()


def test_search_with_diacritics(browser: Any, server: str) -> None:
    page, errors = visit(browser, server + "/-/search?q=Đài", "search-diacritics")
    exact = page.locator("li.kb-result").evaluate_all(
        "els => els.map(e => !!e.querySelector('.kb-exact'))"
    )
    assert exact and exact[0] and exact == sorted(exact, reverse=True)  # exact ones first
    marked = page.locator("li.kb-result").first.locator("mark").all_inner_texts()
    assert marked and all(m.lower() == "đài" for m in marked)
    page.close()
    page, more = visit(browser, server + "/-/search?q=dai+phat+thanh", "search-tiers")
    tiers = page.locator("h2.kb-tier").all_inner_texts()
    assert tiers[0].startswith("Đúng cụm từ / Exact phrase (")
    phrase = page.locator("li.kb-result[data-tier='1'] .kb-passage mark").all_inner_texts()
    assert phrase and all(re.fullmatch(r"(?i)đài phát thanh", m) for m in phrase)
    assert errors + more == []
    page.close()


def test_article_page_on_a_phone(browser: Any, server: str, kb: sqlite3.Connection) -> None:
    article_id, published = kb.execute(
        "select a.id, a.published from articles a join article_initiatives ai on ai.article_id = a.id"
        " where a.warc_file is not null group by a.id order by count(*) desc, a.id limit 1"
    ).fetchone()
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{server}/-/article/{article_id}", wait_until="networkidle")
    page.screenshot(path=str(SCREENSHOTS / "article-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    day = f"{published[8:10]}/{published[5:7]}/{published[:4]}"
    assert page.locator("time.kb-published").inner_text().startswith(day)
    cite = page.locator("#kb-citation-vi").inner_text()
    assert f", {day}, " in cite and f"/-/archive/{article_id})" in cite
    assert page.locator("#kb-citation-en").is_visible()
    assert errors == []
    page.close()


def test_archive_source_in_a_monospace_font_with_vietnamese(
    browser: Any, server: str, kb: sqlite3.Connection
) -> None:
    (article_id,) = kb.execute(
        "select min(id) from articles where warc_file is not null"
    ).fetchone()
    page, errors = visit(browser, f"{server}/-/archive/{article_id}", "archive-source")
    pre = page.locator("pre.kb-archive-source")
    assert pre.evaluate("el => getComputedStyle(el).fontFamily").startswith('"KB Mono"')
    page.evaluate("document.fonts.ready")
    assert page.evaluate("document.fonts.check('16px \"KB Mono\"', 'ẩặễ')")
    # every Vietnamese letter from the one monospace face: as wide as plain ASCII
    widths = pre.evaluate(
        """el => ['aaaaaaaaaa', 'ẩặễỡựđĐơưỷ'].map(t => {
            const s = document.createElement('span'); s.textContent = t; el.appendChild(s);
            const w = s.getBoundingClientRect().width; s.remove(); return Math.round(w * 10); })"""
    )
    assert widths[0] == widths[1], widths
    assert errors == []
    page.close()


def test_database_page_and_a_query_form(browser: Any, server: str) -> None:
    page, errors = visit(browser, server + "/kb", "database")
    assert page.locator("#tables").bounding_box()["y"] < 400
    assert not page.locator("#sql-editor").is_visible()  # folded, at the end
    page.close()
    page, more = visit(browser, server + "/kb/initiative_evidence", "query-form")
    page.select_option("select[name=initiative]", "design_festival")
    page.click("form.kb-query-form input[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "initiative=design_festival" in page.url
    assert int(page.locator("p.kb-result-count").get_attribute("data-rows")) >= 1
    assert page.title() == (
        "Bằng chứng cho một sáng kiến trong khoảng ngày / Evidence for an initiative between two dates"
    )
    page.screenshot(path=str(SCREENSHOTS / "query-form.png"), full_page=True)
    assert errors + more == []
    page.close()
