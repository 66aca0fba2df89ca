"""The report page and the canned queries through Datasette's own client.

One date convention on every date parameter (four forms accepted, anything else a 400 that
says why); the report page's messages, limits and downloads; CSV exports for Excel (BOM,
download header, formulas neutralised); the search page's exports carrying its filters.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from datasette_fixtures import SyncClient, build_kb, make_datasette
from lxml import html as lhtml

from ingest.publish.csv_export import RecordGuard
from ingest.publish.report_budget import Busy, OutOfTime, ReportPool
from ingest.publish.settings import load_metadata, settings_dict

FOUR_FORMS = ("2023", "2023-11", "2023-11-11", "11/11/2023")
DATE_PARAM = re.compile(r"date|month|year|^from$|^to$")
FILLERS = {"initiative": "design_festival", "agency": "doc_sports", "q": "le hoi", "source": ""}


@pytest.fixture(scope="module")
def kb_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_kb(tmp_path_factory.mktemp("kb") / "kb.db")


@pytest.fixture(scope="module")
def client(kb_path: Path) -> Iterator[SyncClient]:
    c = SyncClient(make_datasette(kb_path))
    yield c
    c.close()


def _client_with(db: Path, **plugin: Any) -> SyncClient:
    from datasette.app import Datasette

    metadata = load_metadata()
    metadata["plugins"]["ingest_vn"].update(plugin)
    return SyncClient(Datasette([str(db)], metadata=metadata, settings=settings_dict()))


def _date_params() -> list[tuple[str, str, list[str]]]:
    out = []
    for name, q in load_metadata()["databases"]["kb"]["queries"].items():
        for p in q.get("params", []):
            if DATE_PARAM.search(p):
                out.append((name, p, q["params"]))
    return out


def test_every_date_parameter_is_checked_never_compared_as_text():
    queries = load_metadata()["databases"]["kb"]["queries"]
    found = _date_params()
    assert {(n, p) for n, p, _ in found} >= {
        ("evidence_report", "date_from"),
        ("evidence_report", "date_to"),
        ("initiative_evidence", "date_from"),
        ("initiative_evidence", "date_to"),
        ("coverage_by_month", "from_month"),
        ("coverage_by_month", "to_month"),
        ("articles_per_outlet_year", "year"),
    }
    for name, p, _ in found:
        sql = queries[name]["sql"]
        assert f":_since_{p}" in sql or f":_until_{p}" in sql, (name, p)
        # the typed value itself is never compared with a date
        assert not re.search(rf"[<>=]\s*:{p}\b|:{p}\s*[<>]", sql), (name, p)


@pytest.mark.parametrize(("query", "param", "params"), _date_params())
def test_date_parameter_rejects_31_31_2023_and_accepts_four_forms(
    client: SyncClient, query: str, param: str, params: list[str]
) -> None:
    def url(value: str, fmt: str = "json") -> str:
        args = {p: FILLERS.get(p, "") for p in params}
        args[param] = value
        qs = "&".join(f"{k}={v}" for k, v in args.items())
        return f"/kb/{query}.{fmt}?{qs}" if fmt else f"/kb/{query}?{qs}"

    bad = client.get(url("31/31/2023"))
    assert bad.status_code == 400
    error = bad.json()["error"]
    assert error.startswith(f"{param}: ngày «31/31/2023» không hợp lệ (không có tháng 31)")
    assert "invalid date «31/31/2023» (there is no month 31)" in error
    page = client.get(url("31/31/2023", fmt=""))
    assert page.status_code == 400 and "there is no month 31" in page.text  # shown on the page
    as_csv = client.get(url("31/31/2023", fmt="csv"))
    assert as_csv.status_code == 400 and "there is no month 31" in as_csv.text
    for value in FOUR_FORMS:
        assert client.get(url(value)).status_code == 200, (query, param, value)


def test_the_four_forms_select_the_same_rows(client: SyncClient) -> None:
    def ids(date_from: str, date_to: str) -> list[int]:
        rows = client.json(
            "/kb/initiative_evidence.json?_shape=array&initiative=design_festival"
            f"&date_from={date_from}&date_to={date_to}"
        )
        return [r["article_id"] for r in rows]

    assert ids("2023-11-01", "2023-11-30") == [1, 2]
    assert ids("2023", "2023") == [1, 2]  # used to answer nothing
    assert ids("01/11/2023", "30/11/2023") == [1, 2]  # used to compare as text
    assert ids("2023-11", "11/11/2023") == [1]
    assert ids("", "") == [1, 2]
    months = client.json(
        "/kb/coverage_by_month.json?_shape=array&initiative=&from_month=01/11/2023&to_month=2023"
    )
    assert {(r["month"], r["initiative"]) for r in months} >= {("2023-11", "design_festival")}
    per_year = client.json(
        "/kb/articles_per_outlet_year.json?_shape=array&year=11/2023".replace("11/2023", "2023-11")
    )
    assert sum(r["articles"] for r in per_year) == 3  # articles 1, 2 and 5 are from November


def test_evidence_report_quotes_each_storys_first_article(client: SyncClient) -> None:
    rows = client.json(
        "/kb/evidence_report.json?_shape=array&initiative=design_festival&date_from=2023"
        "&date_to=2023"
    )
    assert [(r["story"], r["articles"], r["quote_article_id"]) for r in rows] == [(1, 2, 1)]
    assert rows[0]["quote"].startswith("Tối 11/11, Lễ hội Thiết kế sáng tạo Hà Nội 2023 khai mạc")
    assert rows[0]["quote_outlet"] == "Hà Nội Mới"
    assert (
        rows[0]["report_url"]
        == "/-/report?initiative=design_festival&from=2023-01-01&to=2023-12-31"
    )


def test_names_beside_ids(client: SyncClient) -> None:
    [row, _] = client.json(
        "/kb/initiative_evidence.json?_shape=array&initiative=design_festival"
        "&date_from=2023&date_to=2023"
    )
    assert row["initiative_name"] == "Lễ hội Thiết kế sáng tạo Hà Nội"
    assert row["agencies"] == "Sở Văn hóa và Thể thao Hà Nội (doc_sports)"
    newest = client.json("/kb/newest_relevant.json?_shape=array&source=&initiative=")
    first = next(r for r in newest if r["article_id"] == 1)
    assert (
        first["initiatives"]
        == "Lễ hội Thiết kế sáng tạo Hà Nội; Mạng lưới nhà thiết kế sáng tạo trẻ"
    )
    activity = client.json("/kb/agency_activity.json?_shape=array&agency=doc_sports")
    assert {r["agency_name"] for r in activity} == {"Sở Văn hóa và Thể thao Hà Nội"}


# ---------------------------------------------------------------------------------------------
# CSV exports
# ---------------------------------------------------------------------------------------------


def test_record_guard_keeps_records_whole_across_any_chunking():
    rows = [
        ["id", "title", "n"],
        ["1", '=HYPERLINK("http://x","y")', "-3.5"],
        ["2", 'hai\ndòng, "ngoặc"\n+cmd', "@SUM(A1)"],
        ["3", "bình thường", "\tTAB"],
    ]
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    text = buf.getvalue()
    expected = [
        rows[0],
        ["1", "'" + rows[1][1], "-3.5"],
        ["2", rows[2][1], "'@SUM(A1)"],
        ["3", "bình thường", "'\tTAB"],
    ]
    for cut in range(len(text) + 1):
        for step in (1, 7, len(text) + 1):
            g = RecordGuard()
            pieces = [text[:cut]] + [text[i : i + step] for i in range(cut, len(text), step)]
            out = "".join(g.feed(p) for p in pieces) + g.close()
            assert list(csv.reader(io.StringIO(out))) == expected, (cut, step)


def test_csv_downloads_open_in_excel_and_run_no_formula(kb_path: Path, tmp_path: Path) -> None:
    db = tmp_path / "kb.db"
    shutil.copytree(kb_path.parent, tmp_path, dirs_exist_ok=True)
    conn = sqlite3.connect(db)
    conn.execute("update articles set title = '=cmd|'' /C calc''!A0' where id = 5")
    conn.commit()
    conn.close()
    c = SyncClient(make_datasette(db))
    try:
        r = c.get("/kb/articles.csv?_col=title&_sort=id&_dl=1&_stream=on")
        assert r.headers["content-type"] == "text/csv; charset=utf-8"
        assert r.headers["content-disposition"] == 'attachment; filename="articles.csv"'
        assert r.content.startswith(b"\xef\xbb\xbf")
        rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert rows[4]["title"] == "'=cmd|' /C calc'!A0"
        assert rows[0]["title"] == "Khai mạc Lễ hội Thiết kế sáng tạo Hà Nội 2023"
        shown = c.get("/kb/articles.csv?_col=title&_sort=id")  # viewed, not downloaded
        assert not shown.content.startswith(b"\xef\xbb\xbf")
        assert "'=cmd|" in shown.text
    finally:
        c.close()


# ---------------------------------------------------------------------------------------------
# The report page
# ---------------------------------------------------------------------------------------------


def _errors(response: Any) -> list[str]:
    return [
        e.text_content() for e in lhtml.fromstring(response.text).xpath("//li[@class='kb-error']")
    ]


def test_report_page_messages(client: SyncClient) -> None:
    ok = client.get("/-/report?initiative=design_festival&from=01/01/2023&to=31/12/2023")
    assert ok.status_code == 200
    tree = lhtml.fromstring(ok.text)
    assert [int(x) for x in tree.xpath("//li[@data-article]/@data-article")] == [1, 2]
    assert tree.xpath("//input[@name='initiative'][@value='design_festival']/@checked")
    unknown = client.get("/-/report?initiative=festival&from=2023&to=2023")
    assert unknown.status_code == 400
    assert _errors(unknown) == [
        "không có sáng kiến / unknown initiative «festival». Mã hợp lệ / valid ids: design_center,"
        " creative_spaces, talent_tv, design_festival, sea_forum, young_designers,"
        " uccn_membership, cultural_industry"
    ]
    bad = client.get("/-/report?initiative=design_festival&from=31/31/2023&to=2023")
    assert bad.status_code == 400 and "Từ / From: ngày «31/31/2023» không hợp lệ" in _errors(bad)[0]
    blank = client.get("/-/report?initiative=design_festival&from=&to=")
    assert blank.status_code == 400
    assert _errors(blank)[0].startswith("hãy nhập cả ngày bắt đầu và ngày kết thúc / enter both")
    hostile = client.get("/-/report?initiative=design_festival&from=1&to=9999")
    assert hostile.status_code == 400 and len(_errors(hostile)) == 2
    assert "invalid date «9999» (the year must be between 1990 and 2100)" in _errors(hostile)[1]
    fmt = client.get("/-/report?initiative=design_festival&from=2023&to=2023&format=pdf")
    assert fmt.status_code == 400 and "unknown format «pdf»" in _errors(fmt)[0]
    agency = client.get("/-/report?agency=nobody&from=2023&to=2023")
    assert agency.status_code == 400 and "Mã hợp lệ / valid ids: doc_sports" in _errors(agency)[0]


def test_report_page_is_a_page_of_the_site(client: SyncClient) -> None:
    page = lhtml.fromstring(client.get("/-/report").text)
    assert page.xpath("//meta[@name='viewport']")
    assert page.xpath("//details[@class='nav-menu']//a[@href='/-/report']")  # in the menu
    assert page.xpath("//footer")
    labels = [
        " ".join(x.text_content().split()) for x in page.xpath("//div[@class='kb-choices']/label")
    ]
    assert "Lễ hội Thiết kế sáng tạo Hà Nội (Hanoi Creative Design Festival)" in labels
    assert page.xpath("//select[@name='agency'][@multiple]/option[@value='doc_sports']/text()") == [
        "Sở Văn hóa và Thể thao Hà Nội (Hanoi Department of Culture and Sports)"
    ]
    assert "11/11/2023" in page.xpath("string(//p[@id='kb-date-hint'])")
    quick = page.xpath("//li[@data-initiative='design_festival']/a[@class='kb-quick-year']/@href")
    assert quick == ["/-/report?initiative=design_festival&from=2023&to=2023"]
    home = lhtml.fromstring(client.get("/").text)
    assert home.xpath("//a[@id='kb-report-home-link']/@href") == ["/-/report"]


def test_several_initiatives_an_agency_and_the_downloads(client: SyncClient) -> None:
    url = (
        "/-/report?initiative=design_festival&initiative=talent_tv&agency=doc_sports"
        "&agency=hanoi_tv&from=2022&to=2023"
    )
    tree = lhtml.fromstring(client.get(url).text)
    assert tree.xpath("//section[@id]/@id") == ["talent_tv", "design_festival"]
    # article 2 names neither agency but reports the same story as article 1: it stays
    assert [int(x) for x in tree.xpath("//li[@data-article]/@data-article")] == [3, 1, 2]
    hrefs = dict(zip(tree.xpath("//a[@class and contains(@class, 'kb-download')]/@data-format"),
                     tree.xpath("//a[@class and contains(@class, 'kb-download')]/@href"), strict=True))  # fmt: skip
    assert set(hrefs) == {"docx", "html", "csv", "md", "json"}
    for fmt, href in hrefs.items():
        assert href == f"{url}&format={fmt}"  # every filter carried
        r = client.get(href)
        assert r.status_code == 200 and "attachment" in r.headers["content-disposition"], fmt
    data = client.get(hrefs["json"]).json()
    ids = [a["id"] for s in data["sections"] for st in s["stories"] for a in st["articles"]]
    assert ids == [3, 1, 2]
    rows = list(csv.DictReader(io.StringIO(client.get(hrefs["csv"]).content.decode("utf-8-sig"))))
    assert [r["Mã bài / Article id"] for r in rows] == ["3", "1", "2"]


def test_base_url_setting_makes_archive_links_public(kb_path: Path) -> None:
    c = _client_with(kb_path, base_url="https://kb.example.org/")
    try:
        tree = lhtml.fromstring(
            c.get("/-/report?initiative=design_festival&from=2023&to=2023").text
        )
        assert tree.xpath("//a[@class='archive']/@href") == ["https://kb.example.org/-/archive/1"]
    finally:
        c.close()


def test_report_limits_answer_400_and_503(kb_path: Path) -> None:
    c = _client_with(kb_path, report_max_articles=1)
    try:
        big = c.get("/-/report?initiative=design_festival&from=2023&to=2023")
        assert big.status_code == 400
        assert "2 articles, more than 1 for one report; narrow the period" in _errors(big)[0]
    finally:
        c.close()
    c = _client_with(kb_path, report_time_limit_ms=1)
    try:
        slow = c.get("/-/report?from=1990&to=2100&format=docx")
        assert slow.status_code == 503 and slow.headers["retry-after"] == "30"
        assert "the report took too long; narrow the period" in _errors(slow)[0]
    finally:
        c.close()


def test_report_pool_refuses_rather_than_queues():
    """Work runs in a worker process; a request finding all busy is refused at once."""
    import asyncio
    import os

    pool = ReportPool(1)

    async def main() -> tuple[Any, str, float]:
        slow = asyncio.ensure_future(pool.run(time.sleep, 1.0))
        await asyncio.sleep(0.05)  # the slow job holds the only worker
        t0 = time.monotonic()
        try:
            await pool.run(time.sleep, 0)
            third = "ran"
        except Busy:
            third = "busy"
        refused_in = time.monotonic() - t0
        await slow
        return await pool.run(os.getpid), third, refused_in

    try:
        pid, third, refused_in = asyncio.run(main())
        assert pid != os.getpid()  # not on the server's own threads
        assert third == "busy" and refused_in < 0.5
        with pytest.raises(OutOfTime):
            asyncio.run(pool.run(time.sleep, 3, timeout=0.2))
    finally:
        pool.executor.shutdown(wait=True, cancel_futures=True)


# ---------------------------------------------------------------------------------------------
# Exports equal the screen (search page)
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_client(sample_db: Path) -> Iterator[SyncClient]:
    c = SyncClient(make_datasette(sample_db))
    yield c
    c.close()


@pytest.mark.parametrize("relevant", ["", "1", "0"])
def test_search_exports_hold_exactly_the_rows_shown(sample_client: SyncClient, relevant: str):
    page = sample_client.get(f"/-/search?q=thiet+ke&relevant={relevant}")
    tree = lhtml.fromstring(page.text)
    shown = [int(x) for x in tree.xpath("//li[@class='kb-result']/@data-article-id")]
    total = int(tree.xpath("string(//p[@class='kb-count']/@data-total)"))
    assert shown and total == len(shown) < 50  # one page holds them all
    links = {a.get("data-format"): a.get("href") for a in tree.xpath("//a[@class='kb-export']")}
    csv_rows = list(
        csv.DictReader(io.StringIO(sample_client.get(links["csv"]).content.decode("utf-8-sig")))
    )
    assert [int(r["article_id"]) for r in csv_rows] == shown
    assert [r["article_id"] for r in sample_client.get(links["json"]).json()] == shown
    table = sample_client.json(
        links["table"].replace("/kb/articles?", "/kb/articles.json?_shape=array&_size=max&_col=id&")
    )
    assert sorted(r["id"] for r in table) == sorted(shown)
    if relevant:
        assert f"relevant={relevant}" in links["table"]
    relevant_all = json.loads(
        json.dumps(
            sample_client.json("/kb/articles.json?_shape=array&_size=max&_col=relevant&_col=id")
        )
    )
    flags = {r["id"]: r["relevant"] for r in relevant_all}
    if relevant:
        assert {flags[i] for i in shown} == {int(relevant)}
