"""The Datasette knowledge base through Datasette's own test client, on the fixture database.

Checks what researchers rely on: folded search in the table and on the search page, canned
queries with their exact rows, facets and foreign-key labels, exports, feeds, the article and
archive pages, and that nothing crawled is rendered as live HTML.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from datasette_dashboards import replace_opts_in_query
from datasette_fixtures import SyncClient, build_kb, make_datasette

from ingest.publish.settings import datasette_args, load_metadata

FESTIVAL_1 = "Khai mạc Lễ hội Thiết kế sáng tạo Hà Nội 2023"
FESTIVAL_2 = "Lễ hội thiết kế sáng tạo kéo dài chín ngày"
TALENT = "Ra mắt chương trình Tài năng sáng tạo Hà Nội"


@pytest.fixture(scope="module")
def kb_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_kb(tmp_path_factory.mktemp("kb") / "kb.db")


@pytest.fixture(scope="module")
def client(kb_path: Path) -> Iterator[SyncClient]:
    c = SyncClient(make_datasette(kb_path))
    yield c
    c.close()


def table_ids(client: SyncClient, query: str) -> list[int]:
    rows = client.json(f"/kb/articles.json?_shape=array&_col=id&_sort=id&{query}")
    return [r["id"] for r in rows]


# --- search --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("le+hoi+thiet+ke", [1, 2, 6]),
        ("L%E1%BB%85+h%E1%BB%99i+Thi%E1%BA%BFt+k%E1%BA%BF", [1, 2, 6]),  # Lễ hội Thiết kế
        ("%22le+hoi+thiet+ke%22", [1, 2]),  # quoted: phrase only, not article 6's loose words
        ("dai+phat+thanh", [3]),
        ("%C4%90%C3%A0i+Ph%C3%A1t+thanh", [3]),  # Đài Phát thanh
        ("%22truyen+hinh%22", [3]),  # the article spells it without marks
        ("09-NQ%2FTU", [6]),
        ("gia+vang", [5]),
        ("%22", []),
    ],
)
def test_table_search_box_is_folded(client: SyncClient, search: str, expected: list[int]) -> None:
    assert table_ids(client, f"_search={search}") == expected


def test_table_search_offers_ranked_view(client: SyncClient) -> None:
    html = client.get("/kb/articles?_search=dai+phat+thanh").text
    assert '<a href="/-/search?q=dai%20phat%20thanh">' in html
    assert "kb-ranked-link" not in client.get("/kb/articles").text


def test_search_page_ranks_and_highlights(client: SyncClient) -> None:
    html = client.get("/-/search?q=le+hoi+thiet+ke").text
    assert 'data-total="3"' in html
    order = [int(i) for i in re.findall(r'data-article-id="(\d+)"', html)]
    assert sorted(order[:2]) == [1, 2] and order[2] == 6  # phrase hits before loose syllables
    assert "<mark>Lễ hội Thiết kế</mark> sáng tạo Hà Nội 2023" in html


@pytest.mark.parametrize(
    ("limit", "offset"),
    [
        (2, 0),  # the page is all phrase matches: the rest is never ranked
        (2, 1),  # the phrase tier ends on this page; the rest fills it
        (2, 2),  # past the phrase tier: its size decides where the rest starts
        (5, 3),  # past the end
    ],
)
def test_ranked_pages_cross_the_phrase_tier(client: SyncClient, limit: int, offset: int) -> None:
    """Pages of `/-/search`: phrase matches first, then the rest, no article twice or lost."""
    from ingest.publish.pages import ranked_ids

    db = client.ds.get_database("kb")
    run = client.loop.run_until_complete
    whole = run(ranked_ids(db, "le hoi thiet ke", "", 10, 0))
    assert sorted(whole[:2]) == [1, 2] and whole[2:] == [6]
    assert run(ranked_ids(db, "le hoi thiet ke", "", limit, offset)) == whole[offset:][:limit]


def test_search_page_without_diacritics_finds_the_broadcaster(client: SyncClient) -> None:
    html = client.get("/-/search?q=dai+phat+thanh").text
    assert re.findall(r'data-article-id="(\d+)"', html) == ["3"]
    # a phrase match marks the phrase, not the same syllable elsewhere (issue 16: was
    # "… vừa <mark>phát</mark> sóng")
    assert "<mark>Đài Phát thanh</mark> và Truyen hinh Hà Nội vừa phát sóng" in html


def test_search_page_relevant_filter_and_empty_query(client: SyncClient) -> None:
    html = client.get("/-/search?q=gia+vang&relevant=1").text
    assert 'data-total="0"' in html
    assert client.get("/-/search").status_code == 200


def test_search_canned_query_returns_passage(client: SyncClient) -> None:
    rows = client.json("/kb/search_articles.json?_shape=array&q=%22dai+phat+thanh%22")
    assert [(r["article_id"], r["title"], r["outlet"]) for r in rows] == [
        (3, TALENT, "Cổng TTĐT Hà Nội")
    ]
    assert rows[0]["passage"].startswith("… Đài Phát thanh và Truyen hinh Hà Nội vừa phát sóng")


# --- canned queries ------------------------------------------------------------------------


def test_coverage_by_month(client: SyncClient) -> None:
    rows = client.json("/kb/coverage_by_month.json?_shape=array")
    assert [(r["month"], r["initiative"], r["articles"], r["outlets"]) for r in rows] == [
        ("2019-10", "uccn_membership", 1, 1),
        ("2022-05", "talent_tv", 1, 1),
        ("2022-08", "cultural_industry", 1, 1),
        ("2023-03", "creative_spaces", 1, 1),
        ("2023-11", "design_festival", 2, 2),
        ("2023-11", "young_designers", 1, 1),
    ]
    rows = client.json(
        "/kb/coverage_by_month.json?_shape=array&initiative=design_festival&from_month=2023-01"
    )
    assert [(r["month"], r["initiative_name"], r["articles"]) for r in rows] == [
        ("2023-11", "Lễ hội Thiết kế sáng tạo Hà Nội", 2)
    ]


def test_articles_per_outlet_year(client: SyncClient) -> None:
    rows = client.json("/kb/articles_per_outlet_year.json?_shape=array&year=2023")
    assert [(r["outlet"], r["year"], r["articles"], r["relevant_articles"]) for r in rows] == [
        ("Hà Nội Mới", 2023, 2, 2),
        ("VnExpress", 2023, 2, 1),
    ]
    all_years = client.json("/kb/articles_per_outlet_year.json?_shape=array")
    assert sum(r["articles"] for r in all_years) == 7


def test_initiative_evidence_between_dates(client: SyncClient) -> None:
    rows = client.json(
        "/kb/initiative_evidence.json?_shape=array&initiative=design_festival"
        "&date_from=2023-11-01&date_to=2023-11-30"
    )
    assert [(r["article_id"], r["outlet"], r["date"], r["url"]) for r in rows] == [
        (1, "Hà Nội Mới", "2023-11-11", "https://hanoimoi.example/bai-1.html"),
        (2, "VnExpress", "2023-11-12", "https://vnexpress.example/bai-2.html"),
    ]
    assert rows[0]["quote"] == (
        "Tối 11/11, Lễ hội Thiết kế sáng tạo Hà Nội 2023 khai mạc tại vườn hoa tượng đài Lý Thái Tổ."
    )
    narrow = client.json(
        "/kb/initiative_evidence.json?_shape=array&initiative=design_festival&date_to=2023-11-11"
    )
    assert [r["article_id"] for r in narrow] == [1]


def test_agency_activity_by_initiative(client: SyncClient) -> None:
    rows = client.json("/kb/agency_activity.json?_shape=array&agency=doc_sports")
    assert [(r["initiative_id"], r["article_id"], r["outlet"]) for r in rows] == [
        ("design_festival", 1, "Hà Nội Mới"),
        ("young_designers", 1, "Hà Nội Mới"),
    ]
    assert rows[0]["quote"].startswith("Sở Văn hóa và Thể thao Hà Nội cho biết")
    mofa = client.json("/kb/agency_activity.json?_shape=array&agency=mofa")
    assert [(r["initiative_id"], r["title"]) for r in mofa] == [
        ("uccn_membership", "Hà Nội gia nhập Mạng lưới các Thành phố sáng tạo UNESCO")
    ]


def test_newest_relevant(client: SyncClient) -> None:
    rows = client.json("/kb/newest_relevant.json?_shape=array")
    assert [r["article_id"] for r in rows] == [2, 1, 7, 6, 3, 4]  # 5 is not relevant
    by_source = client.json("/kb/newest_relevant.json?_shape=array&source=hanoimoi")
    assert [r["article_id"] for r in by_source] == [1, 7, 4]
    by_initiative = client.json("/kb/newest_relevant.json?_shape=array&initiative=talent_tv")
    assert [r["title"] for r in by_initiative] == [TALENT]


def test_multi_outlet_stories(client: SyncClient) -> None:
    rows = client.json("/kb/multi_outlet_stories.json?_shape=array")
    assert [(r["story_id"], r["outlets"], r["articles"], r["outlet_names"]) for r in rows] == [
        (1, 2, 2, "Hà Nội Mới, VnExpress")
    ]
    ones = client.json("/kb/multi_outlet_stories.json?_shape=array&min_outlets=1")
    assert [r["story_id"] for r in ones] == [1, 2]


def test_run_ledger(client: SyncClient) -> None:
    rows = client.json("/kb/run_ledger.json?_shape=array&source=vnexpress")
    assert [(r["run_id"], r["outlet"], r["new"]) for r in rows] == [
        ("run-2", "VnExpress", 2),
        ("run-1", "VnExpress", 1),
    ]
    assert len(client.json("/kb/run_ledger.json?_shape=array")) == 6


def test_atom_feed_per_initiative(client: SyncClient) -> None:
    response = client.get("/kb/initiative_feed.atom?initiative=design_festival")
    assert response.status_code == 200
    ns = {"a": "http://www.w3.org/2005/Atom"}
    feed = ET.fromstring(response.content)
    entries = feed.findall("a:entry", ns)
    assert [e.find("a:title", ns).text for e in entries] == [FESTIVAL_2, FESTIVAL_1]
    assert entries[0].find("a:link", ns).get("href") == "https://vnexpress.example/bai-2.html"
    # an initiative nobody has written about yet still gives a valid feed
    empty = ET.fromstring(client.get("/kb/initiative_feed.atom?initiative=sea_forum").content)
    assert [e.find("a:title", ns).text for e in empty.findall("a:entry", ns)] == [
        "Chưa có bài / No articles yet"
    ]


# --- facets, labels, metadata, exports ------------------------------------------------------


def test_configured_facets_with_labels(client: SyncClient) -> None:
    data = client.json("/kb/articles.json?_size=0")
    facets = data["facet_results"]
    assert set(facets) == {
        "source_id",
        "source_kind",
        "initiative_ids",
        "agency_ids",
        "published_year",
        "published_month",
        "relevant",
    }
    assert [(r["label"], r["count"]) for r in facets["source_id"]["results"]] == [
        ("Hà Nội Mới", 3),
        ("Cổng TTĐT Hà Nội", 2),
        ("VnExpress", 2),
    ]
    initiatives = {
        r["value"]: (r["label"], r["count"]) for r in facets["initiative_ids"]["results"]
    }
    assert initiatives["design_festival"] == ("Lễ hội Thiết kế sáng tạo Hà Nội", 2)
    assert len(initiatives) == 6
    agencies = {r["label"]: r["count"] for r in facets["agency_ids"]["results"]}
    assert agencies == {
        "Sở Văn hóa và Thể thao Hà Nội": 1,
        "UBND thành phố Hà Nội": 1,
        "Đài Phát thanh và Truyền hình Hà Nội": 1,
        "Văn phòng UNESCO tại Việt Nam": 1,
        "Bộ Ngoại giao": 1,
    }
    toggle = facets["initiative_ids"]["results"][0]["toggle_url"]
    assert toggle == "http://localhost/kb/articles.json?_size=0&_has_initiative_ids=design_festival"
    for arg in ("_has_initiative_ids", "initiative_ids__arraycontains"):
        selected = client.json(f"/kb/articles.json?_size=0&{arg}=talent_tv")
        by_value = {r["value"]: r for r in selected["facet_results"]["initiative_ids"]["results"]}
        assert by_value == {"talent_tv": by_value["talent_tv"]}
        assert by_value["talent_tv"]["selected"] is True and by_value["talent_tv"]["count"] == 1
        assert by_value["talent_tv"]["toggle_url"] == "http://localhost/kb/articles.json?_size=0"
    assert {r["value"]: r["count"] for r in facets["relevant"]["results"]} == {1: 6, 0: 1}
    html = client.get("/kb/articles").text
    assert "Hà Nội Mới" in html and "design_festival" in html and "published_month" in html


def test_facet_selection_narrows(client: SyncClient) -> None:
    assert table_ids(client, "source_id=hanoimoi&published_year=2023") == [1, 7]
    assert table_ids(client, "initiative_ids__arraycontains=design_festival") == [1, 2]
    assert table_ids(client, "_has_initiative_ids=design_festival") == [1, 2]
    assert table_ids(client, "_has_agency_ids=mofa&_has_initiative_ids=uccn_membership") == [4]
    assert table_ids(client, "_has_agency_ids=mofa&_has_initiative_ids=design_festival") == []


def test_arraycontains_on_an_id_list_is_answered_from_its_link_table(client: SyncClient) -> None:
    # Datasette's own arraycontains reads every row's JSON (json_each): slow at 100k articles
    page = client.json("/kb/articles.json?_size=0&initiative_ids__arraycontains=design_festival")
    assert "json_each" not in page["query"]["sql"]
    assert "article_initiatives" in page["query"]["sql"]
    assert page["filtered_table_rows_count"] == 2


def test_foreign_keys_show_names(client: SyncClient) -> None:
    rows = client.json("/kb/article_agencies.json?_shape=array&_labels=on&agency_id=hanoi_tv")
    assert rows[0]["agency_id"] == {
        "value": "hanoi_tv",
        "label": "Đài Phát thanh và Truyền hình Hà Nội",
    }
    assert rows[0]["article_id"] == {"value": 3, "label": TALENT}
    html = client.get("/kb/article_initiatives?initiative_id=talent_tv").text
    assert ">Tài năng sáng tạo Hà Nội</a>" in html


def test_metadata_describes_every_table_and_column(kb_path: Path) -> None:
    import sqlite3

    meta = load_metadata()
    assert meta["title"].startswith("Kho dữ liệu Hà Nội") and "knowledge base" in meta["title"]
    assert meta["license"] and meta["source"]
    described_tables = meta["databases"]["kb"]["tables"]
    conn = sqlite3.connect(kb_path)
    tables = [
        r[0]
        for r in conn.execute("select name from sqlite_master where type = 'table'")
        if not r[0].startswith(("articles_fts", "_sqlite", "sqlite_"))
    ]
    assert {"articles", "sources", "runs", "source_runs", "article_agencies"} <= set(tables)
    for table in tables:
        columns = [r[1] for r in conn.execute(f"pragma table_info({table})")]
        assert " / " in described_tables[table]["description"], table  # Vietnamese / English
        missing = [c for c in columns if c not in described_tables[table].get("columns", {})]
        assert missing == [], (table, missing)


def test_csv_export_streams_all_rows(client: SyncClient) -> None:
    response = client.get("/kb/articles.csv?_stream=on&_size=max&_col=title")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 7
    facet = client.get("/kb/articles.csv?_stream=on&source_id=vnexpress&_col=title&_sort=id")
    assert [r["title"] for r in csv.DictReader(io.StringIO(facet.text))] == [
        FESTIVAL_2,
        "Giá vàng hôm nay tăng mạnh",
    ]
    canned = client.get("/kb/coverage_by_month.csv?_stream=on&initiative=design_festival")
    assert list(csv.reader(io.StringIO(canned.text)))[1] == [
        "2023-11",
        "design_festival",
        "Lễ hội Thiết kế sáng tạo Hà Nội",
        "2",
        "2",
    ]


# --- pages ----------------------------------------------------------------------------------


def test_home_links_dashboard_and_search(client: SyncClient) -> None:
    html = client.get("/").text
    assert 'href="/-/dashboards/tong-quan"' in html
    assert 'action="/-/search"' in html


def test_article_page_highlights_evidence(client: SyncClient) -> None:
    html = client.get("/-/article/1").text
    assert (
        '<mark class="evidence" title="design_festival" data-labels="design_festival">'
        "Tối 11/11, Lễ hội Thiết kế sáng tạo Hà Nội 2023 khai mạc" in html
    )
    assert 'data-labels="doc_sports">Sở Văn hóa và Thể thao Hà Nội cho biết' in html
    assert 'href="https://hanoimoi.example/bai-1.html"' in html
    assert 'href="/-/archive/1"' in html
    assert html.count('class="kb-tag kb-tag-') == 3
    assert client.get("/-/article/999").status_code == 404


def test_article_page_escapes_crawled_markup(client: SyncClient) -> None:
    html = client.get("/-/article/7").text
    assert "&lt;b&gt;mới&lt;/b&gt;" in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "<script>alert" not in html and "<b>mới" not in html
    assert 'id="kb-archive"' not in html  # no archived copy for this one


def test_table_title_links_to_article_page(client: SyncClient) -> None:
    html = client.get("/kb/articles?id=7").text
    assert '<a class="kb-article-link" href="/-/article/7">Không gian sáng tạo &lt;b&gt;mới' in html


def test_archive_page_shows_raw_html_escaped(client: SyncClient) -> None:
    html = client.get("/-/archive/1").text
    assert "&lt;script&gt;document.title=&#34;pwned&#34;&lt;/script&gt;" in html
    assert '<script>document.title="pwned"' not in html
    rendered = client.get("/-/archive/1?view=rendered").text
    assert '<iframe class="kb-archive-frame" sandbox=""' in rendered
    assert 'srcdoc="&lt;meta http-equiv=&#34;Content-Security-Policy&#34;' in rendered
    assert client.get("/-/archive/7").status_code == 404


def test_dashboard_page_and_every_chart_query(client: SyncClient) -> None:
    html = client.get("/-/dashboards/tong-quan").text
    assert "Tỷ trọng theo báo / Share by outlet" in html
    # issue 16: the crawl's nights moved to their own dashboard (van-hanh), so each date filter
    # has one meaning; the publication-date filters are date_from/date_to (were date_start)
    dashboards = load_metadata()["plugins"]["datasette-dashboards"]
    charts = {**dashboards["tong-quan"]["charts"], **dashboards["van-hanh"]["charts"]}
    results = {}
    for slug, chart in charts.items():
        from urllib.parse import quote

        sql = replace_opts_in_query(chart["query"], {})
        results[slug] = client.json(f"/kb.json?_shape=array&sql={quote(sql)}")
    assert results["relevant-total"] == [{"n": 6}]
    assert results["share-by-outlet"] == [
        {"outlet": "Hà Nội Mới", "articles": 3},
        {"outlet": "Cổng TTĐT Hà Nội", "articles": 2},
        {"outlet": "VnExpress", "articles": 1},
    ]
    assert results["top-agencies"][0]["articles"] == 1 and len(results["top-agencies"]) == 5
    assert results["new-per-night"] == [
        {"night": "2023-11-12", "source": "Cổng TTĐT Hà Nội", "new_articles": 0},
        {"night": "2023-11-12", "source": "Hà Nội Mới", "new_articles": 1},
        {"night": "2023-11-12", "source": "VnExpress", "new_articles": 1},
        {"night": "2023-11-13", "source": "Cổng TTĐT Hà Nội", "new_articles": 1},
        {"night": "2023-11-13", "source": "Hà Nội Mới", "new_articles": 0},
        {"night": "2023-11-13", "source": "VnExpress", "new_articles": 2},
    ]
    # issue 16: each article once, under its main initiative (was one row per tag: article 1,
    # tagged design_festival and young_designers, counted twice in 2023-11)
    assert [
        (r["month"], r["initiative_en"], r["articles"]) for r in results["coverage-over-time"]
    ] == [
        ("2019-10-01", "UCCN membership", 1),
        ("2022-05-01", "Hanoi Creative Talent (TV)", 1),
        ("2022-08-01", "Cultural industries", 1),
        ("2023-03-01", "Creative spaces", 1),
        ("2023-11-01", "Hanoi Creative Design Festival", 2),
    ]
    assert sum(r["articles"] for r in results["coverage-over-time"]) == 6  # the relevant articles
    filtered = replace_opts_in_query(
        charts["share-by-outlet"]["query"], {"date_from": "2023-01-01", "initiative": "x"}
    )
    rows = client.json(
        f"/kb.json?_shape=array&date_from=2023-01-01&initiative=design_festival&sql={quote(filtered)}"
    )
    assert rows == [{"outlet": "Hà Nội Mới", "articles": 1}, {"outlet": "VnExpress", "articles": 1}]


# --- safe to publish ------------------------------------------------------------------------


def test_read_only_and_time_limited(client: SyncClient) -> None:
    response = client.get("/kb.json?sql=delete+from+articles")
    assert response.status_code == 400
    settings = client.json("/-/settings.json")
    assert settings["sql_time_limit_ms"] == 3000
    assert settings["allow_csv_stream"] is True
    plugins = {p["name"] for p in client.json("/-/plugins.json")}
    assert plugins <= {
        "datasette-atom",
        "datasette-dashboards",
        "datasette-leaflet",
        "datasette-render-markdown",
        "hanoi-creative-kb",
    }, plugins
    assert table_ids(client, "") == [1, 2, 3, 4, 5, 6, 7]


def test_datasette_args() -> None:
    args = datasette_args("data/kb.db", 8123)
    assert args[:6] == ["serve", "data/kb.db", "--host", "127.0.0.1", "--port", "8123"]
    assert args[args.index("--metadata") + 1].endswith("metadata.yml")
    pairs = {args[i + 1]: args[i + 2] for i, a in enumerate(args) if a == "--setting"}
    assert pairs["sql_time_limit_ms"] == "3000"
    assert pairs["allow_csv_stream"] == "on"
