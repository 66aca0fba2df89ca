"""/-/timeline on the sample database: entries, filters, chart, exports, escaping."""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from datasette_fixtures import SyncClient, make_datasette

from ingest.activities.store import update_activities
from ingest.store.db import connect


@pytest.fixture(scope="module")
def client(sample_db: Path) -> Iterator[SyncClient]:
    c = SyncClient(make_datasette(sample_db))
    yield c
    c.close()


def count(db: Path, sql: str) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def test_timeline_lists_every_activity_in_date_order(client: SyncClient, sample_db: Path) -> None:
    r = client.get("/-/timeline")
    assert r.status_code == 200
    html = r.text
    n = count(sample_db, "select count(*) from activities")
    assert html.count('class="kb-tl-entry"') == n > 15
    assert "Dòng thời gian hoạt động / Activity timeline" in html
    assert 'id="kb-tl-chart"' in html and "Lễ hội Thiết kế sáng tạo Hà Nội" in html
    assert "/-/archive/" in html and "/-/article/" in html
    assert 'href="/-/timeline"' in client.get("/").text  # the menu link
    data = client.json("/-/timeline.json")
    dates = [a["event_date"] for a in data["activities"]]
    assert data["count"] == n and dates == sorted(dates)


def test_filters_and_exports_give_the_same_rows(client: SyncClient) -> None:
    fest = client.json("/-/timeline.json?initiative=design_festival&kind=festival_edition")
    assert [a["event_date"] for a in fest["activities"]] == [
        "2022-11-11", "2023-11-11", "2024-11-09", "2025-11-15",
    ]  # fmt: skip
    e2023 = fest["activities"][1]
    assert e2023["venue"] == "Phố đi bộ Hồ Gươm"
    assert {v["outlet"] for g in e2023["figures"] for v in g["values"] if g["counts"] == "activities"} == {
        "Báo Thủ Đô Ngày Nay", "Đô Thị Mới", "Cổng thông tin điện tử Sở Văn hóa và Thể thao Hà Nội",
        "Tin Tổng Hợp 24h",
    }  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(
        client.get("/-/timeline.csv?initiative=design_festival&kind=festival_edition").text)))  # fmt: skip
    assert [r["event_date"] for r in rows] == [a["event_date"] for a in fest["activities"]]
    local = client.json("/-/timeline.json?level=local")["activities"]
    assert local and all("local" in a["levels"] for a in local)
    year = client.json("/-/timeline.json?year=2023")["activities"]
    assert year and all(a["year"] == 2023 for a in year)
    agency = client.json("/-/timeline.json?agency=hanoi_pc")["activities"]
    assert agency and all(
        "hanoi_pc" in {f["value"] for f in a["facts"] if f["field"] in ("organiser", "partner", "participant")}
        for a in agency
    )  # fmt: skip
    assert client.json("/-/timeline.json?kind=nonsense")["filters"]["kind"] == ""
    canned = client.json("/kb/activity_timeline.json?_shape=array&initiative=sea_forum&year=&kind=")
    assert sorted(r["kind"] for r in canned) == ["forum", "plan"]  # the forum and plan 102


def test_crawled_text_is_escaped(sample_db_copy: Path) -> None:
    db = connect(sample_db_copy)
    db.execute(
        "update articles set title = '<script>alert(1)</script> Lễ hội', content_sha256 = 'x'"
        " where id = (select first_article_id from activities where kind = 'festival_edition'"
        " order by event_date limit 1)"
    )
    update_activities(db)
    db.conn.close()
    c = SyncClient(make_datasette(sample_db_copy))
    html = c.get("/-/timeline").text
    c.close()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Lễ hội" in html


def test_report_page_builds_the_dossier(client: SyncClient) -> None:
    r = client.get("/-/report?monitoring=1&from=2019-10-31&to=2023-10-31")
    assert r.status_code == 200
    assert "Monitoring dossier" in r.text and "Local-level initiatives" in r.text
    docx = client.get("/-/report?monitoring=1&from=2019-10-31&to=2023-10-31&format=docx")
    assert docx.status_code == 200 and docx.content[:2] == b"PK"
    assert client.get("/-/report").status_code == 200  # the plain form still works
