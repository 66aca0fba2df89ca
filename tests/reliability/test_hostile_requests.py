"""Issue 13, findings 3, 5 and 9 through Datasette's own client: every hostile request the
attack sent (and more) answers with a clear 4xx, or is clamped, never a 500; Atom feeds survive
control characters in older rows; the monitoring dossier is bounded like the report.

`HOSTILE` is the list the closing note counts: each entry is a request and the status it must
get (a 200 only where the request is clamped to something sensible by design).
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from datasette.app import Datasette
from datasette_fixtures import SyncClient, build_kb

from ingest.publish.settings import load_metadata, settings_dict

WORDS_1500 = quote(" ".join(f"tu{i}" for i in range(1500)))
ZEROS = "replace(hex(zeroblob(2000000)),'0','a ')"


def sql(query: str) -> str:
    return "/kb.json?sql=" + quote(query)


# (method, path, status, a fragment of the answer or None)
HOSTILE: list[tuple[str, str, int, str | None]] = [
    # finding 9: ids and pages out of range
    ("GET", "/-/article/99999999999999999999", 404, "not found"),
    ("GET", "/-/archive/99999999999999999999", 404, "not found"),
    ("GET", "/-/article/0", 404, "not found"),
    ("GET", "/-/article/abc", 404, None),
    ("GET", "/kb/articles/99999999999999999999", 404, None),
    ("GET", "/-/search?q=le&page=999999999999999999999", 200, "kb-search"),  # the last page
    ("GET", "/-/search?relevant=2&page=-5", 200, None),
    ("GET", "/kb/articles.json?id__gt=99999999999999999999999", 400, "out of range"),
    ("GET", "/kb/articles.json?published_date__gt=99999999999999999999999", 400, "out of range"),
    ("GET", "/kb/articles?_size=99999999999999999999", 400, None),
    ("GET", "/kb/articles.json?_size=-1", 400, None),
    # finding 9: a query too long, an unknown sort, other bad parameters
    ("GET", f"/-/search?q={WORDS_1500}", 400, "at most 100 words"),
    ("GET", f"/kb/articles?_search={WORDS_1500}", 400, None),
    ("GET", f"/kb/search_articles?relevant=&q={WORDS_1500}", 400, None),
    ("GET", "/kb/articles?_sort=nonexistent", 400, "Cannot sort table by nonexistent"),
    ("GET", "/kb/articles.json?_sort_desc=nonexistent", 400, "Cannot sort table by nonexistent"),
    ("GET", "/kb/articles?_facet=nonexistent", 400, None),
    ("GET", "/kb/articles.json?_facet_array=nonexistent", 400, None),
    ("GET", "/kb/articles.json?_col=nonexistent", 400, None),
    ("GET", "/kb/articles.json?_shape=bogus", 400, None),
    ("GET", "/kb/articles?_where=1%3D1)+union+select+1", 400, None),
    ("GET", "/kb/articles.atom", 400, None),
    ("GET", "/kb/nosuchtable", 404, None),
    ("GET", "/nosuchdb", 404, None),
    # finding 9: writes
    ("POST", "/kb/articles", 405, "read-only"),
    ("POST", "/kb/search_articles", 405, "read-only"),
    ("POST", "/kb/initiative_feed", 405, "read-only"),
    ("POST", "/kb", 405, "read-only"),
    ("POST", "/kb.json", 405, "read-only"),
    ("POST", "/kb/articles/-/insert", 405, "read-only"),
    ("PUT", "/kb/articles/1", 405, "read-only"),
    ("DELETE", "/-/article/1", 405, "read-only"),
    ("PATCH", "/-/report", 405, "read-only"),
    ("POST", "/-/search", 405, "read-only"),
    # finding 3: Python functions and values past their caps
    # (SQLite's own words for an input past a cap: "string or blob too big")
    ("GET", sql(f"select length(vn_passage({ZEROS}, 'a a a'))"), 400, "string or blob too big"),
    ("GET", sql(f"select length(vn_fold({ZEROS}))"), 400, "string or blob too big"),
    ("GET", sql("select vn_fts_query('" + "x " * 1500 + "')"), 400, "string or blob too big"),
    ("GET", sql("select vn_passage('a', 'b', 99999999)"), 400, "string or blob too big"),
    ("GET", sql("select vn_passage('a b c', '" + " ".join(["a"] * 150) + "')"), 400, "too big"),
    ("GET", sql("select hex(zeroblob(100000000))"), 400, "string or blob too big"),
    ("GET", sql("select length(randomblob(200000000))"), 400, "string or blob too big"),
    (
        "GET",
        sql(
            "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c"
        ),
        400,
        "SQL query took too long",
    ),
    (
        "GET",
        sql(
            "select count(vn_passage(a.text, 'a')) from articles a, articles, articles, articles,"
            " articles, articles, articles"
        ),
        400,
        "SQL query took too long",
    ),
    ("GET", sql("attach database '/tmp/evil.db' as evil"), 400, None),
    ("GET", sql("select load_extension('/tmp/evil')"), 400, None),
    ("GET", sql("delete from articles"), 400, None),
    # the report and the dossier: absurd periods, unknown labels
    ("GET", "/-/report?initiative=design_festival&from=1&to=9999", 400, None),
    ("GET", "/-/report?initiative=nosuch&from=2020&to=2021", 400, None),
    ("GET", "/-/report?monitoring=1&from=1&to=9999", 400, None),
    ("GET", "/-/report?from=31/02/2023&to=2023", 400, None),
    # the timeline page (new) with hostile parameters: ignored or clamped, never a 500
    ("GET", "/-/timeline?year=99999999999999999999", 200, None),
    ("GET", "/-/timeline?year=" + "9" * 400, 200, None),
    ("GET", "/-/timeline?from=9999-99-99&to=-1", 200, None),
    ("GET", "/-/timeline.json?initiative=%3Cscript%3E&kind=" + "x" * 5000, 200, None),
    ("GET", "/-/timeline.csv?year=abc&initiative=%00", 200, None),
    ("GET", "/-/timeline?initiative=%00&kind=%E2%80%AE", 200, None),
    # main's researcher pages (issue 16): dashboards, canned-query forms, facets and filters by
    # name, search with English suggestions
    ("GET", "/-/dashboards/tong-quan?date_from=99999999999999999999&initiative=%00", 200, None),
    ("GET", "/-/dashboards/van-hanh?night_from=9999-99-99&night_to=" + "9" * 400, 200, None),
    ("GET", "/-/dashboards/tong-quan/coverage-per-year?date_from=" + "x" * 5000, 200, None),
    ("GET", "/-/dashboards/nosuch", 404, None),
    ("GET", "/-/monitoring", 404, None),
    (
        "GET",
        "/kb/coverage_by_month?from_month=99999999999999999999&to_month=31/02/2023",
        400,
        "99999999999999999999",
    ),
    ("GET", "/kb/coverage_by_month.json?from_month=" + "9" * 400, 400, None),
    ("GET", "/kb/articles_per_outlet_year?year=-99999999999999999999", 400, None),
    ("GET", "/kb/activity_timeline.csv?year=abc&kind=" + "x" * 5000, 400, None),
    ("GET", "/kb/articles?_has_initiative_ids=99999999999999999999", 200, None),
    ("GET", "/kb/articles?_has_initiative_ids=" + "x" * 5000 + "&_has_agency_ids=%00", 200, None),
    ("GET", "/kb/articles?_facet=published_date&_facet_chrono=nonexistent", 400, None),
    ("GET", "/kb/articles.json?_facet_chrono=" + "x" * 3000, 400, "no such column"),
    ("GET", "/-/search?q=" + quote(" ".join(["festival"] * 99)), 200, "kb-search"),
    (
        "GET",
        "/-/search?q=" + quote("Hanoi creative design festival " * 3) + "&page=9" * 30,
        200,
        None,
    ),
    ("GET", "/-/search?q=" + "a" * 60_000, 200, None),  # one word: the result is what it is
    ("GET", "/-/search?q=" + quote("đ" * 1999), 200, None),
    ("GET", "/kb/search_articles?relevant=&q=" + "a" * 60_000, 400, "too big"),
    # other routes
    ("GET", "/-/ingest-static/..%2F..%2Fetc%2Fpasswd", 302, None),  # Datasette normalises it
    ("GET", "/-/ingest-static/passwd", 404, None),
    ("GET", "/-/ingest-static/.kb.css", 404, None),
    ("GET", "/-/search?q=" + quote('"' * 500), 200, None),
    ("GET", "/-/search?q=%00%01%1b%5B31m", 200, None),
    ("GET", "/kb/initiative_feed.atom?initiative=" + "x" * 3000, 200, None),
]


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_kb(tmp_path_factory.mktemp("hostile") / "kb.db")


def datasette(db: Path, settings: dict | None = None, plugin: dict | None = None) -> Datasette:
    metadata = load_metadata()
    if plugin:
        metadata["plugins"]["ingest_vn"] = {**metadata["plugins"].get("ingest_vn", {}), **plugin}
    return Datasette([str(db)], metadata=metadata, settings={**settings_dict(), **(settings or {})})


@pytest.fixture(scope="module")
def client(kb: Path) -> Iterator[SyncClient]:
    c = SyncClient(datasette(kb))
    yield c
    c.close()


def request(client: SyncClient, method: str, path: str):
    return client.loop.run_until_complete(client.ds.client.request(method, path))


@pytest.mark.parametrize("method, path, status, fragment", HOSTILE, ids=[
    f"{m}-{p[:60]}" for m, p, _, _ in HOSTILE])  # fmt: skip
def test_hostile_request_answers_4xx_or_is_clamped(client, method, path, status, fragment):
    response = request(client, method, path)
    assert response.status_code == status, response.text[:500]
    if fragment:
        assert fragment in response.text, response.text[:800]


def test_the_list_is_long_and_mostly_refusals():
    refused = [h for h in HOSTILE if 400 <= h[2] < 500]
    assert len(HOSTILE) >= 60 and len(refused) >= 45
    assert not [h for h in HOSTILE if h[2] >= 500]


READS_A_DATE = re.compile(r"vn_date_(?:from|to)\(:")


def fill_blocks(query: str, params: dict[str, str]) -> str:
    """As datasette-dashboards does: a `[[ … ]]` block is kept when its parameters are set."""

    def block(m: re.Match[str]) -> str:
        names = re.findall(r":(\w+)", m.group(1))
        return m.group(1) if all(n in params for n in names) else ""

    return re.sub(r"\[\[(.*?)\]\]", block, query, flags=re.S)


def dashboard_charts() -> list[tuple[str, str, str, dict[str, str]]]:
    """Every chart of main's dashboards as the browser asks for it, hostile filter values."""
    from ingest.publish.settings import load_metadata

    out = []
    for slug, board in load_metadata()["plugins"]["datasette-dashboards"].items():
        hostile = {
            f: "9" * 400 if f.endswith("from") else "%00\x1b[31m" if f == "initiative" else "31/02"
            for f in board.get("filters", {})
        }
        for name, chart in board["charts"].items():
            if "query" not in chart:
                continue
            params = {f: v for f, v in hostile.items() if f":{f}" in chart["query"]}
            if READS_A_DATE.search(chart["query"]):  # dates alone: an initiative may match none
                params.pop("initiative", None)
            out.append((slug, name, fill_blocks(chart["query"], params), params))
    return out


@pytest.mark.parametrize("slug, name, query, params", dashboard_charts(), ids=lambda v: str(v)[:20])
def test_dashboard_charts_with_hostile_filters_answer_400(client, slug, name, query, params):
    """A chart whose query reads a date filter answers 400 for a date that is not one (SQLite
    words it "user-defined function raised exception": a Python function's message does not
    reach it, `dates`); an initiative that is no id is a filter that matches nothing."""
    from urllib.parse import urlencode

    r = client.get("/kb.json?" + urlencode({"sql": query, **params, "_shape": "objects"}))
    if READS_A_DATE.search(query):
        assert r.status_code == 400, r.text[:300]
        assert r.json()["error"] == "user-defined function raised exception"
    else:
        assert r.status_code == 200 and r.json()["rows"] is not None, r.text[:300]


def test_a_huge_page_number_shows_the_last_page(client):
    last = client.get("/-/search?q=le+hoi&page=999999999999999999999").text
    first = client.get("/-/search?q=le+hoi").text
    assert "Khai mạc Lễ hội Thiết kế sáng tạo Hà Nội 2023" in last == first or last == first


def test_a_query_that_runs_out_of_time_is_too_broad_not_a_500(kb):
    """The attack's 1,500-word query hit the time limit and answered 500 (QueryInterrupted):
    with a 1 ms limit any search runs out of time, and says so."""
    c = SyncClient(datasette(kb, {"sql_time_limit_ms": 1}))
    letters = "abcdeghiklmnopqrstuvxy"
    q = quote(" OR ".join(f"{a}*" for a in letters) + " "
              + " ".join(f"{a}{b}*" for a in letters[:5] for b in letters[:10]))  # fmt: skip
    try:
        page = c.get(f"/-/search?q={q}")
        assert page.status_code == 400
        assert "query too broad" in page.text and "<title>Query too broad</title>" in page.text
        assert "QueryInterrupted" not in page.text
        data = c.get(f"/kb/articles.json?_search={q}")
        assert data.status_code == 400 and data.json()["title"] == "SQL Interrupted"
    finally:
        c.close()


CONTROL_TITLE = "Khai mạc\x0b lễ hội\x0c \x1b[31mđỏ\x1b[0m &#1;\x01 xong"


def test_atom_feeds_tolerate_control_characters_in_older_rows(kb, tmp_path):
    """Finding 5: rows stored before extraction stripped control characters made both
    initiatives' feeds answer 500."""
    db = tmp_path / "kb.db"
    shutil.copy(kb, db)
    conn = sqlite3.connect(db)
    with conn:
        tagged = conn.execute(
            "select distinct ai.initiative_id, a.id from article_initiatives ai join articles a"
            " on a.id = ai.article_id where a.relevant = 1 order by 1, 2"
        ).fetchall()
        ids = {i for _, i in tagged}
        conn.execute(
            f"update articles set title = ? where id in ({','.join('?' * len(ids))})",
            [CONTROL_TITLE, *ids],
        )
        conn.execute("update article_initiatives set evidence = evidence || ' \x1b[0m\x02'")
        conn.execute("update sources set name = name || '\x07'")
    conn.close()
    initiatives = sorted({i for i, _ in tagged})
    assert len(initiatives) >= 2
    c = SyncClient(datasette(db))
    try:
        for initiative in initiatives:
            r = c.get(f"/kb/initiative_feed.atom?initiative={initiative}")
            assert r.status_code == 200, r.text[:300]
            feed = ET.fromstring(r.content)
            ns = {"a": "http://www.w3.org/2005/Atom"}
            titles = [e.findtext("a:title", namespaces=ns) for e in feed.findall("a:entry", ns)]
            assert titles and set(titles) == {"Khai mạc lễ hội [31mđỏ[0m &#1; xong"}
            content = feed.find("a:entry/a:content", ns).text
            assert content.endswith(")") and "\x1b" not in content and "\x02" not in content
        custom = c.get(
            "/kb.atom?sql=" + quote(
                "select id as atom_id, title as atom_title, '2024-01-01T00:00:00+07:00'"
                " as atom_updated, url as atom_link from articles"
            )
        )  # fmt: skip
        assert custom.status_code == 200 and b"\x0b" not in custom.content
    finally:
        c.close()


def test_the_monitoring_dossier_is_bounded_like_the_report(sample_db):
    """Finding 3 for the dossier: it was built on Datasette's SQL thread with no bound. It now
    builds in a report worker, within the report's article limit and time budget."""
    period = "/-/report?monitoring=1&from=2019-10-31&to=2023-10-31"
    small = SyncClient(datasette(sample_db, plugin={"report_max_articles": 1}))
    slow = SyncClient(datasette(sample_db, plugin={"report_time_limit_ms": 1}))
    try:
        too_large = small.get(period)
        assert too_large.status_code == 400
        assert "more than 1 for one report; narrow the period" in too_large.text
        too_slow = slow.get(period + "&format=docx")
        assert too_slow.status_code == 503 and too_slow.headers["retry-after"] == "30"
        assert "the dossier took too long; narrow the period" in too_slow.text
    finally:
        small.close()
        slow.close()
