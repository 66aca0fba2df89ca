"""The Datasette knowledge base on the database the real pipeline builds from the sample sites.

Expected values are computed straight from the database with plain SQL and Python, then
compared with what Datasette serves, so these tests follow the sample sites as they grow.
"""

from __future__ import annotations

import json
import re
import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from datasette_fixtures import SyncClient, make_datasette

from ingest.text.textnorm import fold

ATOM = {"a": "http://www.w3.org/2005/Atom"}


@pytest.fixture(scope="module")
def sample_client(sample_db: Path) -> Iterator[SyncClient]:
    c = SyncClient(make_datasette(sample_db))
    yield c
    c.close()


@pytest.fixture(scope="module")
def conn(sample_db: Path) -> Iterator[sqlite3.Connection]:
    c = sqlite3.connect(f"file:{sample_db}?mode=ro", uri=True)
    c.row_factory = sqlite3.Row
    yield c
    c.close()


def ids(client: SyncClient, search: str) -> set[int]:
    rows = client.json(f"/kb/articles.json?_shape=array&_col=id&_size=max&_search={search}")
    return {r["id"] for r in rows}


def test_sample_database_has_tagged_articles(conn: sqlite3.Connection) -> None:
    relevant = conn.execute("select count(*) from articles where relevant = 1").fetchone()[0]
    tags = conn.execute("select count(*) from article_initiatives").fetchone()[0]
    assert relevant > 0 and tags > 0


def test_stored_folded_copy_lines_up_with_the_passage_body(conn: sqlite3.Connection) -> None:
    """Passages reuse the FTS table's folded copy only if it is the body folded char for char."""
    from ingest.publish.pages import BODY_SQL
    from ingest.publish.passages import passage_window
    from ingest.text.textnorm import fold

    rows = conn.execute(
        f"select {BODY_SQL} as body, f.folded from articles a join articles_fts f on f.rowid = a.id"
    ).fetchall()
    assert len(rows) == conn.execute("select count(*) from articles").fetchone()[0] > 40
    for row in rows:
        assert row["folded"] == fold(row["body"])
        for q in ("le hoi thiet ke", "dai phat thanh", "sang tao"):
            fast = passage_window(row["body"], q, folded=row["folded"])
            assert fast == passage_window(row["body"], q)


@pytest.mark.parametrize(
    ("plain", "marked", "needle"),
    [
        ("le+hoi+thiet+ke", "L%E1%BB%85+h%E1%BB%99i+Thi%E1%BA%BFt+k%E1%BA%BF", "le hoi thiet ke"),
        ("dai+phat+thanh", "%C4%90%C3%A0i+Ph%C3%A1t+thanh", "dai phat thanh"),
    ],
)
def test_folded_search_matches_python_scan(
    sample_client: SyncClient, conn: sqlite3.Connection, plain: str, marked: str, needle: str
) -> None:
    found = ids(sample_client, plain)
    assert found == ids(sample_client, marked)
    # every article whose folded text has the phrase is found (words may also match apart)
    scanned = {
        r["id"]
        for r in conn.execute("select id, title, lead, text from articles")
        if needle in " ".join(fold(r[k] or "") for k in ("title", "lead", "text"))
    }
    assert scanned and scanned <= found


def test_coverage_by_month_matches_sql(sample_client: SyncClient, conn: sqlite3.Connection) -> None:
    expected = [
        tuple(r)
        for r in conn.execute(
            """select a.published_month, ai.initiative_id, count(distinct a.id)
               from article_initiatives ai join articles a on a.id = ai.article_id
               where a.relevant = 1 and a.published_month is not null
               group by 1, 2 order by 1, 2"""
        )
    ]
    rows = sample_client.json("/kb/coverage_by_month.json?_shape=array&_size=max")
    assert [(r["month"], r["initiative"], r["articles"]) for r in rows] == expected


def test_initiative_evidence_quotes_are_in_the_articles(
    sample_client: SyncClient, conn: sqlite3.Connection
) -> None:
    initiative = conn.execute(
        "select initiative_id from article_initiatives group by 1 order by count(*) desc limit 1"
    ).fetchone()[0]
    rows = sample_client.json(
        f"/kb/initiative_evidence.json?_shape=array&_size=max&initiative={initiative}"
    )
    assert (
        len(rows)
        == conn.execute(
            "select count(*) from article_initiatives where initiative_id = ?", [initiative]
        ).fetchone()[0]
    )
    for r in rows:
        a = conn.execute("select title, lead, text from articles where id = ?", [r["article_id"]])
        title, lead, text = a.fetchone()
        assert r["quote"] in {"title": title, "lead": lead, "text": text}[r["field"]]


def test_facets_label_sources_by_name(sample_client: SyncClient, conn: sqlite3.Connection) -> None:
    facets = sample_client.json("/kb/articles.json?_size=0")["facet_results"]
    names = dict(conn.execute("select id, name from sources").fetchall())
    for r in facets["source_id"]["results"]:
        assert r["label"] == names[r["value"]]
    counted = dict(conn.execute("select source_id, count(*) from articles group by 1").fetchall())
    assert {r["value"]: r["count"] for r in facets["source_id"]["results"]} == counted


def test_article_pages_highlight_every_tag(
    sample_client: SyncClient, conn: sqlite3.Connection
) -> None:
    tagged = conn.execute(
        """select article_id, count(*) from (
             select article_id, evidence from article_initiatives
             union select article_id, evidence from article_agencies)
           group by 1 order by 2 desc limit 5"""
    ).fetchall()
    assert tagged
    for article_id, _ in tagged:
        html = sample_client.get(f"/-/article/{article_id}").text
        evidences = {
            e
            for (e,) in conn.execute(
                "select evidence from article_initiatives where article_id = ?1 "
                "union select evidence from article_agencies where article_id = ?1",
                [article_id],
            )
        }
        marked = {
            re.sub(r"<[^>]+>", "", m)
            for m in re.findall(r'<mark class="evidence"[^>]*>(.*?)</mark>', html, re.S)
        }
        from markupsafe import escape

        for e in evidences:
            assert any(str(escape(e)) in m for m in marked), (article_id, e)


def test_archive_pages_open(sample_client: SyncClient, conn: sqlite3.Connection) -> None:
    row = conn.execute(
        "select id from articles where warc_file is not null and warc_offset is not null limit 1"
    ).fetchone()
    assert row is not None
    html = sample_client.get(f"/-/archive/{row[0]}").text
    assert '<pre class="kb-archive-source">' in html and "&lt;" in html


def test_feed_per_initiative(sample_client: SyncClient, conn: sqlite3.Connection) -> None:
    for (initiative,) in conn.execute("select id from initiatives"):
        response = sample_client.get(f"/kb/initiative_feed.atom?initiative={initiative}")
        assert response.status_code == 200, initiative
        entries = ET.fromstring(response.content).findall("a:entry", ATOM)
        tagged = conn.execute(
            """select count(*) from article_initiatives ai join articles a on a.id = ai.article_id
               where ai.initiative_id = ? and a.relevant = 1""",
            [initiative],
        ).fetchone()[0]
        assert len(entries) == (min(tagged, 50) if tagged else 1), initiative


def test_dashboard_and_runs(sample_client: SyncClient, conn: sqlite3.Connection) -> None:
    assert sample_client.get("/-/dashboards/tong-quan").status_code == 200
    rows = sample_client.json("/kb/run_ledger.json?_shape=array&_size=max")
    assert len(rows) == conn.execute("select count(*) from source_runs").fetchone()[0] > 0
    newest = sample_client.json("/kb/newest_relevant.json?_shape=array")
    assert all(json.loads(r["initiative_ids"]) is not None for r in newest)


def test_outlet_year_agency_newest_and_stories(
    sample_client: SyncClient, conn: sqlite3.Connection
) -> None:
    per_outlet = sample_client.json("/kb/articles_per_outlet_year.json?_shape=array&_size=max")
    expected = {
        (r[0], r[1]): r[2]
        for r in conn.execute(
            "select s.name, a.published_year, count(*) from articles a "
            "join sources s on s.id = a.source_id group by s.id, a.published_year"
        )
    }
    assert {(r["outlet"], r["year"]): r["articles"] for r in per_outlet} == expected

    agency, named = conn.execute(
        "select agency_id, count(*) from article_agencies group by 1 order by 2 desc limit 1"
    ).fetchone()
    rows = sample_client.json(f"/kb/agency_activity.json?_shape=array&_size=max&agency={agency}")
    assert len({r["article_id"] for r in rows}) == named

    newest = sample_client.json("/kb/newest_relevant.json?_shape=array")
    assert [r["article_id"] for r in newest] == [
        r[0]
        for r in conn.execute(
            "select id from articles where relevant = 1 order by published desc, id desc limit 100"
        )
    ]

    stories = sample_client.json("/kb/multi_outlet_stories.json?_shape=array&_size=max")
    assert {r["story_id"] for r in stories} == {
        r[0]
        for r in conn.execute(
            "select story_id from articles where story_id is not null "
            "group by story_id having count(distinct source_id) >= 2"
        )
    }


def test_run_ledger_says_ok_for_healthy_sources(
    sample_client: SyncClient, conn: sqlite3.Connection
) -> None:
    """The ledger stores no flag for a healthy source (health is NULL): the query says ok."""
    assert {r[0] for r in conn.execute("select health from source_runs")} == {None}
    rows = sample_client.json("/kb/run_ledger.json?_shape=array")
    assert rows and {r["health"] for r in rows} == {"ok"}
    assert list(rows[0])[:2] == ["health", "error_summary"]


def test_yearly_charts_count_every_relevant_article_once(
    sample_client: SyncClient, conn: sqlite3.Connection
) -> None:
    from urllib.parse import quote

    from datasette_dashboards import replace_opts_in_query

    from ingest.publish.settings import load_metadata

    charts = load_metadata()["plugins"]["datasette-dashboards"]["tong-quan"]["charts"]
    sql = replace_opts_in_query(charts["coverage-per-year"]["query"], {})
    rows = sample_client.json(f"/kb.json?_shape=array&sql={quote(sql)}")
    per_year = {}
    for r in rows:
        per_year[r["year"]] = per_year.get(r["year"], 0) + r["articles"]
    expected = dict(
        conn.execute(
            "select cast(published_year as text), count(*) from articles"
            " where relevant = 1 and published_year is not null group by 1"
        ).fetchall()
    )
    assert per_year == expected
