"""Issue 16, through Datasette's test client on the fixture database: names where people read
ids, a readable articles table, honest search, the yearly charts' queries, navigation.

Every expected value comes from the rows of `tests/datasette_fixtures.py`.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from datasette_dashboards import replace_opts_in_query
from datasette_fixtures import SyncClient, build_kb, make_datasette
from lxml import html as lhtml

from ingest.evidence.citation import citation
from ingest.publish.settings import load_metadata

FESTIVAL = "Lễ hội Thiết kế sáng tạo Hà Nội"
DAI = "%C4%90%C3%A0i"  # Đài


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SyncClient]:
    c = SyncClient(make_datasette(build_kb(tmp_path_factory.mktemp("kb16") / "kb.db")))
    yield c
    c.close()


def tree(client: SyncClient, path: str) -> lhtml.HtmlElement:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return lhtml.fromstring(response.text)


def results(page: lhtml.HtmlElement) -> list[tuple[int, int]]:
    return [
        (int(li.get("data-article-id")), int(li.get("data-tier")))
        for li in page.xpath("//li[@class='kb-result']")
    ]


def chart_rows(client: SyncClient, slug: str, **filters: str) -> list[dict]:
    dashboards = load_metadata()["plugins"]["datasette-dashboards"]
    charts = {**dashboards["tong-quan"]["charts"], **dashboards["van-hanh"]["charts"]}
    sql = replace_opts_in_query(charts[slug]["query"], filters)
    qs = "".join(f"&{k}={quote(v)}" for k, v in filters.items())
    return client.json(f"/kb.json?_shape=array&sql={quote(sql)}{qs}")


# --- honest search ---------------------------------------------------------------------------


def test_typed_diacritics_rank_exact_matches_first(client: SyncClient) -> None:
    """q=Đài: articles 1 ("tượng đài") and 3 ("Đài Phát thanh") say it; 2 only folds to it
    ("kéo dài"), whatever bm25 thinks."""
    page = tree(client, f"/-/search?q={DAI}")
    order = [i for i, _ in results(page)]
    assert sorted(order[:2]) == [1, 3] and order[2:] == [2]
    exact = [li.get("data-article-id") for li in page.xpath("//li[.//span[@class='kb-exact']]")]
    assert sorted(exact) == ["1", "3"]
    # only the occurrences with the marks typed are marked, where the article has them
    marks_3 = page.xpath("//li[@data-article-id='3']//p[@class='kb-passage']/mark/text()")
    assert marks_3 == ["Đài"]
    marks_2 = page.xpath("//li[@data-article-id='2']//p[@class='kb-passage']/mark/text()")
    assert set(marks_2) == {"dài"}  # no exact match there: the folded ones are shown
    # the canned query (and so the CSV/JSON exports of the page) orders the same way
    rows = client.json(f"/kb/search_articles.json?_shape=array&q={DAI}")
    assert [r["article_id"] for r in rows] == order


def test_without_diacritics_the_order_is_bm25s(client: SyncClient) -> None:
    from ingest.publish.search_rank import reranks

    assert not reranks("dai") and reranks("Đài") and reranks("dai Phát")
    assert not reranks('"ha noi"')


def test_phrase_and_all_words_tiers_are_counted_and_separated(client: SyncClient) -> None:
    page = tree(client, "/-/search?q=le+hoi+thiet+ke")
    count = page.xpath("//p[@class='kb-count']")[0]
    assert (count.get("data-total"), count.get("data-phrase"), count.get("data-words")) == (
        "3",
        "2",
        "1",
    )
    assert "2 đúng cụm từ / exact phrase" in count.text_content()
    assert "1 đủ các từ / all the words" in count.text_content()
    assert sorted(i for i, t in results(page) if t == 1) == [1, 2]
    assert [i for i, t in results(page) if t == 2] == [6]
    headings = [h.text_content() for h in page.xpath("//h2[@class='kb-tier']")]
    assert headings == [
        "Đúng cụm từ / Exact phrase (2)",
        "Đủ các từ, không liền nhau / All the words, not as a phrase (1)",
    ]
    # the all-words tier is its own list, numbered on from the phrase tier
    lists = page.xpath("//ol[contains(@class, 'kb-results')]")
    assert [ol.get("start") for ol in lists] == ["1", "3"]


def test_phrase_matches_mark_the_phrase_not_stray_syllables(client: SyncClient) -> None:
    page = tree(client, "/-/search?q=le+hoi+thiet+ke")
    passage = page.xpath("//li[@data-article-id='1']//p[@class='kb-passage']")[0]
    assert [m.text for m in passage.findall("mark")] == ["Lễ hội Thiết kế", "Lễ hội Thiết kế"]
    # "lễ hội có gần 50 hoạt động" is in the passage, unmarked
    assert "cho biết lễ hội" in passage.text_content()
    title = page.xpath("//li[@data-article-id='1']//h2//mark/text()")
    assert title == ["Lễ hội Thiết kế"]
    # an all-words match marks the words it has, one by one
    loose = page.xpath("//li[@data-article-id='6']//p[@class='kb-passage']/mark/text()")
    assert loose == ["lễ", "hội", "thiết", "kế"]


def test_search_results_name_initiatives(client: SyncClient) -> None:
    page = tree(client, "/-/search?q=le+hoi+thiet+ke")
    names = page.xpath("//li[@data-article-id='1']//span[@class='kb-result-initiatives']/text()")
    assert names == [f"{FESTIVAL}; Mạng lưới nhà thiết kế sáng tạo trẻ"]
    assert "design_festival" not in page.xpath("string(//ol)")


def test_an_english_query_suggests_the_vietnamese_terms(client: SyncClient) -> None:
    page = tree(client, "/-/search?q=Hanoi+Creative+Design+Festival")
    assert page.xpath("//p[@class='kb-count']/@data-total") == ["0"]
    items = page.xpath("//li[@class='kb-suggestion']")
    assert [li.get("data-id") for li in items] == ["design_festival"]
    search = items[0].xpath(".//a[@class='kb-suggest-search']")[0]
    assert search.text == FESTIVAL
    assert search.get("href") == "/-/search?q=" + quote(f'"{FESTIVAL}"', safe="")
    tagged = items[0].xpath(".//a[@class='kb-suggest-tagged']")[0]
    assert tagged.get("href") == "/kb/articles?_has_initiative_ids=design_festival"
    assert tagged.text.startswith("2 bài")
    # the suggestion's own search finds the two festival articles
    assert sorted(i for i, _ in results(tree(client, search.get("href")))) == [1, 2]
    # an agency too, and a Vietnamese query suggests nothing
    agency = tree(client, "/-/search?q=department+of+culture+and+sports")
    assert agency.xpath("//li[@class='kb-suggestion']/@data-id") == ["doc_sports"]
    assert tree(client, "/-/search?q=l%E1%BB%85+h%E1%BB%99i").xpath("//aside") == []


def test_suggestions_need_more_than_the_words_every_name_shares() -> None:
    from ingest.publish.suggest import rank

    candidates = {
        ("initiatives", "design_festival"): ["Hanoi Creative Design Festival"],
        ("initiatives", "design_center"): ["Hanoi Creative Design Centre"],
        ("initiatives", "talent_tv"): ["Hanoi Creative Talent"],
        ("agencies", "hanoi_pc"): ["Hanoi People's Committee"],
        ("agencies", "doc_sports"): ["Hanoi Department of Culture and Sports"],
        ("agencies", "tourism"): ["Hanoi Department of Tourism"],
        ("initiatives", "spaces"): ["Creative spaces"],
        ("initiatives", "young"): ["Young creative designers network"],
    }
    assert rank("Hanoi", candidates) == []  # in every name: no suggestion
    assert rank("hanoi creative", candidates) == []
    best = rank("the Hanoi Creative Design Festival", candidates)
    assert best[0][1:] == (("initiatives", "design_festival"), "Hanoi Creative Design Festival")
    assert best[0][0] == 1.0  # "the" is a small word
    # "Hanoi Creative Design Centre" shares only words most names have here
    assert ("initiatives", "design_center") not in [key for _, key, _ in best]
    assert [key for _, key, _ in rank("tourism", candidates)] == [("agencies", "tourism")]


# --- names where people read ids -------------------------------------------------------------


def test_facets_are_headed_and_valued_by_name(client: SyncClient) -> None:
    page = tree(client, "/kb/articles")
    heads = {
        div.get("data-column"): div.xpath("string(.//p[@class='facet-info-name']/strong)").split(
            "\n"
        )[0]
        for div in page.xpath("//div[contains(@class, 'facet-info')]")
    }
    assert heads == {
        "source_id": "Báo / Outlet",
        "initiative_ids": "Sáng kiến / Initiatives",
        "agency_ids": "Cơ quan / Agencies",
        "published_year": "Năm đăng / Year published",
        "published_month": "Tháng đăng / Month published",
        "relevant": "Liên quan / Relevant",
        "source_kind": "Loại nguồn / Kind of source",
    }
    # in metadata.yml's order, not by how many values each has
    assert list(heads) == [
        "source_id",
        "initiative_ids",
        "agency_ids",
        "published_year",
        "published_month",
        "relevant",
        "source_kind",
    ]
    relevant = page.xpath("//div[@data-column='relevant']//li/a/text()")
    assert relevant == ["có / yes", "không / no"]
    assert "(idlist)" not in page.text_content() and "(chrono)" not in page.text_content()


def test_year_and_month_facets_are_in_time_order(client: SyncClient) -> None:
    facets = client.json("/kb/articles.json?_size=0")["facet_results"]
    assert [r["value"] for r in facets["published_year"]["results"]] == [2019, 2022, 2023]
    months = [r["value"] for r in facets["published_month"]["results"]]
    assert months == ["2019-10", "2022-05", "2022-08", "2023-03", "2023-11"]
    assert facets["published_month"]["truncated"] is False


def test_filters_are_described_by_name(client: SyncClient) -> None:
    page = tree(client, "/kb/articles?source_id=hanoimoi&_has_initiative_ids=design_festival")
    count = page.xpath("//p[@class='kb-row-count']")[0]
    assert count.get("data-count") == "1"
    assert [s.text for s in count.xpath(".//span[@class='kb-filter']")] == [
        "Báo / Outlet: Hà Nội Mới",
        f"Sáng kiến / Initiatives: {FESTIVAL}",
    ]
    data = client.json("/kb/articles.json?_has_agency_ids=mofa")
    assert data["human_description_en"].startswith("where Cơ quan / Agencies: Bộ Ngoại giao")
    yearly = tree(client, "/kb/articles?published_year__gte=2023&relevant=1")
    assert yearly.xpath("//span[@class='kb-filter']/text()") == [
        "Năm đăng / Year published ≥ 2023",
        "Liên quan / Relevant: có / yes",
    ]


def test_id_lists_read_as_names_in_tables_and_csv(client: SyncClient) -> None:
    page = tree(client, "/kb/articles?id=1")
    cell = page.xpath("//td[contains(@class, 'col-initiative_ids')]")[0]
    assert [s.text for s in cell.xpath(".//span[@class='kb-name']")] == [
        FESTIVAL,
        "Mạng lưới nhà thiết kế sáng tạo trẻ",
    ]
    assert [s.get("title") for s in cell.xpath(".//span[@class='kb-name']")] == [
        "design_festival",
        "young_designers",
    ]
    stories = tree(client, "/kb/stories?id=1")
    outlets = stories.xpath("//td[contains(@class, 'col-outlets')]//span[@class='kb-name']/text()")
    assert outlets == ["Hà Nội Mới", "VnExpress"]
    rows = list(csv.DictReader(io.StringIO(client.get("/kb/stories.csv?_sort=id").text)))
    assert [(r["outlets"], r["outlets_names"]) for r in rows] == [
        ('["hanoimoi", "vnexpress"]', "Hà Nội Mới; VnExpress"),
        ('["hanoi_gov"]', "Cổng TTĐT Hà Nội"),
    ]
    articles = client.get("/kb/articles.csv?_col=initiative_ids&_col=agency_ids&_sort=id&_size=2")
    header, first = list(csv.reader(io.StringIO(articles.text)))[:2]
    assert header == [
        "id",
        "initiative_ids",
        "initiative_ids_names",
        "agency_ids",
        "agency_ids_names",
    ]
    assert first[2] == f"{FESTIVAL}; Mạng lưới nhà thiết kế sáng tạo trẻ"
    assert first[4] == "Sở Văn hóa và Thể thao Hà Nội"
    # a count that happens to be called "outlets" gets no name column; JSON keeps the ids
    multi = list(csv.reader(io.StringIO(client.get("/kb/multi_outlet_stories.csv").text)))
    assert multi[0] == [
        "story_id",
        "title",
        "first_published",
        "outlets",
        "articles",
        "outlet_names",
    ]
    assert client.json("/kb/articles.json?_shape=array&id=1")[0]["initiative_ids"] == (
        '["design_festival", "young_designers"]'
    )


def test_canned_query_parameters_are_lists_of_names(client: SyncClient) -> None:
    page = tree(client, "/kb/agency_activity?agency=doc_sports")
    select = page.xpath("//select[@name='agency']")[0]
    options = {o.get("value"): o.text for o in select.findall("option")}
    assert (
        options["doc_sports"]
        == "Sở Văn hóa và Thể thao Hà Nội / Hanoi Department of Culture and Sports"
    )
    assert options[""] == "— chọn / choose —"  # required: no "all"
    assert select.xpath("option[@selected]/@value") == ["doc_sports"]
    assert page.xpath("//p[@class='kb-result-count']/@data-rows") == ["2"]
    newest = tree(client, "/kb/newest_relevant")
    assert newest.xpath("//select[@name='initiative']/option[1]/text()") == ["tất cả / all"]
    assert newest.xpath("//select[@name='source']/option[@value='hanoimoi']/text()") == [
        "Hà Nội Mới"
    ]
    relevant = tree(client, "/kb/search_articles?q=x").xpath("//select[@name='relevant']/option")
    assert [(o.get("value"), o.text) for o in relevant] == [
        ("", "mọi bài / all articles"),
        ("1", "chỉ bài liên quan / relevant only"),
        ("0", "bài không liên quan / not relevant"),
    ]
    kinds = tree(client, "/kb/activity_timeline").xpath("//select[@name='kind']/option/@value")
    assert kinds[:3] == ["", "festival_edition", "opening"]
    # the JSON API still takes and returns ids
    rows = client.json("/kb/agency_activity.json?_shape=array&agency=doc_sports")
    assert {r["initiative_id"] for r in rows} == {"design_festival", "young_designers"}


def test_an_unknown_id_is_named_as_unknown(client: SyncClient) -> None:
    page = tree(client, "/kb/agency_activity?agency=doc_sport")
    assert page.xpath("//select[@name='agency']/option[@selected]/@value") == ["doc_sport"]
    warning = page.xpath("string(//span[@class='kb-unknown'])")
    assert "«doc_sport» không phải mã cơ quan / agency id nào" in warning
    empty = page.xpath("string(//p[@class='zero-results'])")
    assert "Không có kết quả / No results" in empty and "«doc_sport»" in empty
    blank = tree(client, "/kb/initiative_evidence").xpath("string(//p[@class='zero-results'])")
    assert "hãy chọn / choose: Sáng kiến / Initiative" in blank


def test_feeds_are_titled_with_the_initiative(client: SyncClient) -> None:
    ns = {"a": "http://www.w3.org/2005/Atom"}
    feed = ET.fromstring(client.get("/kb/initiative_feed.atom?initiative=design_festival").content)
    assert feed.find("a:title", ns).text == (
        f"{FESTIVAL} / Hanoi Creative Design Festival — bài mới / new articles"
    )
    talent = ET.fromstring(client.get("/kb/initiative_feed.atom?initiative=talent_tv").content)
    assert talent.find("a:title", ns).text.startswith("Tài năng sáng tạo Hà Nội / Hanoi Creative")
    # entries keep their own titles
    assert talent.find("a:entry/a:title", ns).text == "Ra mắt chương trình Tài năng sáng tạo Hà Nội"
    unknown = ET.fromstring(client.get("/kb/initiative_feed.atom?initiative=nope").content)
    assert unknown.find("a:title", ns).text.startswith("«nope» (không có mã này / no such id)")


# --- the articles table ----------------------------------------------------------------------


def test_articles_table_opens_on_the_columns_people_read(client: SyncClient) -> None:
    page = tree(client, "/kb/articles?_sort=id")
    heads = page.xpath("//table[@class='rows-and-columns']//th/@data-column")
    assert heads == ["published_date", "source_id", "title", "initiative_ids", "relevant"]
    labels = [th.text_content().strip() for th in page.xpath("//table//th")]
    assert labels[:3] == ["Ngày đăng / Date", "Báo / Outlet", "Tiêu đề / Title"]
    first = page.xpath("//table[@class='rows-and-columns']/tbody/tr[1]/td")
    assert first[0].text == "2023-11-11"
    assert first[1].xpath("string(./a)") == "Hà Nội Mới"
    assert first[2].xpath("./a/@href") == ["/-/article/1"]
    assert first[4].text_content() == "có / yes"
    # the column dictionary is folded behind a summary, Datasette's list hidden by kb.css
    details = page.xpath("//details[@id='kb-columns']")[0]
    assert details.get("open") is None
    assert len(details.xpath(".//dt")) == len(
        load_metadata()["databases"]["kb"]["tables"]["articles"]["columns"]
    )
    every = tree(client, "/kb/articles?_sort=id&_allcols=1")
    assert len(every.xpath("//table//th")) > 25
    picked = tree(client, "/kb/articles?_col=title&_col=url")
    assert picked.xpath("//table//th/@data-column") == ["id", "title", "url"]
    # JSON and CSV hold every column whatever the page shows
    assert "lead" in client.json("/kb/articles.json?_shape=array&_size=1")[0]


# --- dashboards -----------------------------------------------------------------------------


def test_coverage_per_year_counts_each_article_once(client: SyncClient) -> None:
    rows = chart_rows(client, "coverage-per-year")
    assert [(r["year"], r["initiative_id"], r["articles"]) for r in rows] == [
        ("2019", "uccn_membership", 1),
        ("2022", "cultural_industry", 1),
        ("2022", "talent_tv", 1),
        ("2023", "creative_spaces", 1),
        ("2023", "design_festival", 2),
    ]
    assert sum(r["articles"] for r in rows) == chart_rows(client, "relevant-total")[0]["n"] == 6
    # Vietnamese name for the legend, English for the tooltip
    assert rows[-1]["initiative"] == FESTIVAL
    assert rows[-1]["initiative_en"] == "Hanoi Creative Design Festival"
    # filtered by an initiative, its articles count under it even when it is not their main one
    young = chart_rows(client, "coverage-per-year", initiative="young_designers")
    assert [(r["year"], r["initiative_id"], r["articles"]) for r in young] == [
        ("2023", "young_designers", 1)
    ]


def test_initiative_and_outlet_per_year(client: SyncClient) -> None:
    rows = chart_rows(client, "initiative-year")
    festival = [(r["year"], r["articles"]) for r in rows if r["initiative_id"] == "design_festival"]
    assert festival == [("2023", 2)]
    assert {r["initiative_id"] for r in rows} == {
        "uccn_membership",
        "talent_tv",
        "cultural_industry",
        "creative_spaces",
        "design_festival",
        "young_designers",
    }
    outlets = chart_rows(client, "outlet-year")
    assert [(r["outlet"], r["year"], r["articles"]) for r in outlets] == [
        ("Cổng TTĐT Hà Nội", "2022", 2),
        ("Hà Nội Mới", "2019", 1),
        ("Hà Nội Mới", "2023", 2),
        ("VnExpress", "2023", 1),
    ]


def test_date_filters_mean_publication_date_in_every_overview_chart(client: SyncClient) -> None:
    assert chart_rows(client, "relevant-total", date_from="2023")[0]["n"] == 3
    assert chart_rows(client, "relevant-total", date_from="2022", date_to="2022")[0]["n"] == 2
    for slug in ("coverage-per-year", "initiative-year", "outlet-year", "top-agencies"):
        years = {r.get("year") for r in chart_rows(client, slug, date_from="2023-01-01")}
        assert years <= {"2023", None}, slug
    overview = load_metadata()["plugins"]["datasette-dashboards"]["tong-quan"]
    assert set(overview["filters"]) == {"date_from", "date_to", "initiative"}
    for chart in overview["charts"].values():
        assert "vn_date_from(:date_from)" in chart["query"]
        assert "started_at" not in chart["query"]  # the crawl's nights are elsewhere
    ops = load_metadata()["plugins"]["datasette-dashboards"]["van-hanh"]
    assert set(ops["filters"]) == {"night_from", "night_to"}
    nights = chart_rows(client, "new-per-night", night_from="2023-11-13")
    assert {r["night"] for r in nights} == {"2023-11-13"}


def test_agency_ranking_csv_holds_every_agency(client: SyncClient) -> None:
    rows = chart_rows(client, "top-agencies")
    assert len(rows) == 5 and "limit" not in rows[0]
    overview = load_metadata()["plugins"]["datasette-dashboards"]["tong-quan"]
    assert "limit" not in overview["charts"]["top-agencies"]["query"].lower()
    assert {"filter": "datum.rank <= 15"} in overview["charts"]["top-agencies"]["display"][
        "transform"
    ]


def test_dashboard_page_names_filters_and_links_every_chart_to_its_csv(client: SyncClient) -> None:
    page = tree(client, "/-/dashboards/tong-quan?initiative=talent_tv")
    options = {o.get("value"): o.text for o in page.xpath("//select[@name='initiative']/option")}
    assert options["design_festival"] == f"{FESTIVAL} / Hanoi Creative Design Festival"
    assert page.xpath("//select[@name='initiative']/option[@selected]/@value") == ["talent_tv"]
    legends = [x.text_content() for x in page.xpath("//form//legend")]
    assert legends[:2] == ["Ngày đăng từ / Published from", "Ngày đăng đến / Published to"]
    charts = load_metadata()["plugins"]["datasette-dashboards"]["tong-quan"]["charts"]
    links = page.xpath("//a[@class='kb-chart-csv']/@href")
    assert len(links) == len(charts)
    agencies = next(h for h in links if "article_agencies" in h)
    rows = list(csv.DictReader(io.StringIO(client.get(agencies).content.decode("utf-8-sig"))))
    assert [(r["agency_id"], r["articles"]) for r in rows] == [("hanoi_tv", "1")]
    assert "vega.github.io/editor" not in page.text_content()
    listing = tree(client, "/-/dashboards")
    assert listing.xpath("//h1/text()") == ["Bảng điều khiển / Dashboards"]
    assert listing.xpath("//ul[@class='kb-dashboard-list']//h2/a/@href") == [
        "/-/dashboards/tong-quan",
        "/-/dashboards/van-hanh",
    ]


# --- navigation ------------------------------------------------------------------------------


def test_menu_and_home_link_every_starting_point(client: SyncClient) -> None:
    page = tree(client, "/")
    menu = {a.text: a.get("href") for a in page.xpath("//div[@class='nav-menu-inner']//a")}
    assert menu["Tìm kiếm / Search"] == "/-/search"
    assert menu["Bài viết / Articles"] == "/kb/articles"
    assert menu["Báo cáo bằng chứng / Evidence report"] == "/-/report"
    assert menu["Bảng điều khiển / Dashboard"] == "/-/dashboards/tong-quan"
    assert menu["Truy vấn có sẵn / Saved queries"] == "/kb#queries"
    home = {a.get("id"): a.get("href") for a in page.xpath("//ul[@id='kb-home-links']/li/a[@id]")}
    assert home == {
        "kb-search-home-link": "/-/search",
        "kb-articles-link": "/kb/articles",
        "kb-report-home-link": "/-/report",
        "kb-dashboard-link": "/-/dashboards/tong-quan",
        "kb-timeline-link": "/-/timeline",
        "kb-queries-link": "/kb#queries",
    }


def test_database_page_opens_on_tables_and_queries(client: SyncClient) -> None:
    html = client.get("/kb").text
    page = lhtml.fromstring(html)
    assert html.index('id="tables"') < html.index('id="queries"') < html.index('id="sql-editor"')
    assert page.xpath("//textarea[@id='sql-editor']/ancestor::details[@id='sql']")
    main = page.xpath("//h2[@id='tables']/following-sibling::ul[1]/li/@data-table")
    assert main[:3] == ["articles", "stories", "activities"]
    titles = page.xpath("//ul[@class='kb-queries']/li[@data-query='agency_activity']/a/text()")
    assert titles == ["Một cơ quan đã làm gì / What an agency did"]


def test_canned_queries_read_as_pages_of_their_own(client: SyncClient) -> None:
    html = client.get("/kb/coverage_by_month").text
    page = lhtml.fromstring(html)
    assert (
        page.findtext(".//title")
        == "Độ phủ theo tháng và sáng kiến / Coverage per month per initiative"
    )
    assert "Custom SQL query" not in html
    assert page.xpath("//p[@class='kb-result-count']/strong/text()") == ["6 dòng / rows"]
    assert page.xpath("//details[@class='kb-sql']/pre[@id='sql-query']")
    # arbitrary SQL keeps Datasette's own page
    assert "Custom SQL query" in client.get("/kb?sql=select+1").text


def test_article_and_story_ids_are_links(client: SyncClient) -> None:
    multi = tree(client, "/kb/multi_outlet_stories")
    assert multi.xpath("//td[contains(@class, 'col-story_id')]/a/@href") == ["/kb/stories/1"]
    stories = tree(client, "/kb/stories?_sort=id")
    assert stories.xpath("//td[contains(@class, 'col-first_article_id')]/a/@href") == [
        "/-/article/1",
        "/-/article/3",
    ]
    newest = tree(client, "/kb/newest_relevant")
    assert newest.xpath("//td[contains(@class, 'col-article_id')]/a/@href")[0] == "/-/article/2"
    story = tree(client, "/kb/stories/1")
    assert story.xpath("//a[@id='kb-story-articles']/@href") == ["/kb/articles?story_id=1"]


def test_run_ledger_shows_health_first_and_ok(client: SyncClient) -> None:
    rows = client.json("/kb/run_ledger.json?_shape=array&source=vnexpress")
    assert list(rows[0])[:3] == ["health", "error_summary", "outlet"]
    assert [r["health"] for r in rows] == ["ok", "ok"]


def test_article_page_dates_day_first_and_citation_line(client: SyncClient) -> None:
    page = tree(client, "/-/article/1")
    assert page.xpath("//time[@class='kb-published']/text()") == ["11/11/2023 20:00"]
    expected = citation(
        outlet="Hà Nội Mới",
        title="Khai mạc Lễ hội Thiết kế sáng tạo Hà Nội 2023",
        published="2023-11-11T20:00:00+07:00",
        url="https://hanoimoi.example/bai-1.html",
        fetched_at="2023-11-11T20:00:00+07:00",
        archive="http://localhost/-/archive/1",
        lang="vi",
    )
    assert page.xpath("//p[@id='kb-citation-vi']/text()") == [expected]
    assert expected == (
        "Hà Nội Mới, «Khai mạc Lễ hội Thiết kế sáng tạo Hà Nội 2023», 11/11/2023, "
        "https://hanoimoi.example/bai-1.html (lưu trữ ngày 11/11/2023: http://localhost/-/archive/1)"
    )
    english = page.xpath("string(//p[@id='kb-citation-en'])")
    assert english.endswith("(archived 11/11/2023: http://localhost/-/archive/1)")
    unarchived = tree(client, "/-/article/7").xpath("string(//p[@id='kb-citation-en'])")
    assert unarchived.endswith("(no archived copy)")


def test_not_found_pages_are_bilingual(client: SyncClient) -> None:
    response = client.get("/kb/no_such_table")
    assert response.status_code == 404
    page = lhtml.fromstring(response.text)
    assert page.findtext(".//h1") == "Không tìm thấy / Not found"
    assert page.xpath("//a[text()='Tìm kiếm / Search']/@href") == ["/-/search"]


def test_static_font_is_served(client: SyncClient) -> None:
    response = client.get("/-/ingest-static/kb-mono.woff")
    assert response.status_code == 200
    assert response.headers["content-type"] == "font/woff"
    assert response.content[:4] == b"wOFF"
    assert "@font-face" in client.get("/-/ingest-static/kb.css").text
    assert (
        Path(__file__)
        .parents[2]
        .joinpath("src/ingest/publish/static/kb-mono.LICENSE.txt")
        .read_text(encoding="utf-8")
        .startswith("kb-mono.woff: Noto Mono")
    )
    assert re.search(
        r"SIL Open Font License", client.get("/-/ingest-static/kb-mono.LICENSE.txt").text
    )
