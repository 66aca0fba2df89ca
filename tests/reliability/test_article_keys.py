"""Issue 13, finding 2: one row per article, always.

Pages of a source's own host may claim any canonical URL. Three articles whose rel=canonical
points at the home page became one row on the attacked main, and the run said "all sources
healthy". Now a canonical is the key only when it is plausible for the page, two contents
never share a row, and the run names every refused canonical.
"""

from __future__ import annotations

import sqlite3

import pytest
from conftest import run_nightly
from outlet import Outlet, with_canonical

from ingest.config import Source
from ingest.models import ArticleRecord, Extracted, FetchResult
from ingest.stages import article_key


def rows(db, sql, params=()):
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


SOURCE = Source.model_validate(
    {
        "id": "thudo",
        "name": "Thủ đô",
        "kind": "news",
        "home": "https://thudo.example/",
        "feeds": ["https://thudo.example/rss/van-hoa.rss"],
        "listings": [{"url": "https://thudo.example/van-hoa"}],
        "hosts": ["thudo.example", "m.thudo.example"],
    }
)


def key_for(fetched: str, canonical: str | None, source: Source = SOURCE):
    rec = ArticleRecord(
        "thudo",
        fetched,
        fetch=FetchResult(fetched, fetched, 200),
        extracted=Extracted(title="t", text="x", canonical_url=canonical),
    )
    return article_key(rec, source)


ART = "https://thudo.example/van-hoa/pho-di-bo-mo-rong-123456.html"


@pytest.mark.parametrize(
    "canonical, key, refused",
    [
        (None, ART, None),
        (ART + "?utm_source=fb", ART, None),  # the same page, tracking stripped
        ("https://thudo.example/van-hoa/pho-di-bo-123456.html",
         "https://thudo.example/van-hoa/pho-di-bo-123456.html", None),  # the site's own choice
        ("https://thudo.example/", ART, "the home page"),
        ("/", ART, "the home page"),
        ("https://thudo.example/van-hoa", ART, "a feed, sitemap or listing page"),
        ("https://thudo.example/rss/van-hoa.rss", ART, "a feed, sitemap or listing page"),
        ("https://thudo.example/van-hoa/", ART, "a section page above the article"),
        ("https://khac.example/bai-1.html", ART, "off the source's hosts"),
        ("javascript:alert(1)", ART, "off the source's hosts"),
    ],
)  # fmt: skip
def test_a_canonical_is_the_key_only_when_plausible(canonical, key, refused):
    got = key_for(ART, canonical)
    assert (got.url, got.refused) == (key, refused)
    assert got.fetched == ART


def test_sections_are_refused_but_the_article_above_a_print_copy_is_not():
    section = key_for("https://thudo.example/le-hoi/thiet-ke/bai-99.html",
                      "https://thudo.example/le-hoi")  # fmt: skip
    assert section.refused == "a section page above the article"
    printed = key_for(ART.replace(".html", "/in"), ART)
    assert (printed.url, printed.refused) == (ART, None)


def test_an_article_pattern_decides_when_the_fetched_url_matches_it():
    source = SOURCE.model_copy(update={"article_pattern": r"-\d{6}\.html$"})
    got = key_for(ART, "https://thudo.example/tag/le-hoi.html", source)
    assert got.refused == "not an article URL (article_pattern)"
    assert key_for(ART, ART.replace("123456", "654321"), source).refused is None


def test_three_pages_with_a_home_page_canonical_are_three_rows(prefect_harness, tmp_path):
    db = tmp_path / "kb.db"
    with Outlet(3, seed=131) as site:
        for a in site.articles:
            site.pages[a.path] = with_canonical(lambda a, base: base + "/")
        sources = tmp_path / "sources.yaml"
        sources.write_text(site.sources_yaml(), encoding="utf-8")
        state = run_nightly(sources, db, publish=False)
        urls = {site.base + a.path: a.title for a in site.articles}
    stored = dict(rows(db, "select url, title from articles"))
    assert stored == urls  # each under the URL it was fetched from, with its own title
    assert len({sha for (sha,) in rows(db, "select content_sha256 from articles")}) == 3
    assert state.name == "CompletedWithWarnings"
    ((status, health, refused),) = rows(
        db, "select status, health, canonical_refused from source_runs"
    )
    assert (status, refused) == ("warning", 3)
    assert health.startswith("rel=canonical not used on 3 pages, stored under the fetched URL: ")
    for url in urls:
        assert f"{url} → {site.base}/ (the home page)" in health
    ((message,),) = rows(db, "select message from runs")
    assert "rel=canonical not used on 3 pages" in message and "all sources healthy" not in message


def test_a_page_claiming_another_articles_url_never_overwrites_it(prefect_harness, tmp_path):
    """Night 1: a page (X) claims an article's URL (V) before V is crawled; it is stored under
    V's URL, the only one it names. Night 2: V appears; X's row moves to X's own URL, V gets
    its own, and a third page claiming V again is refused. Nothing is lost, nothing merged."""
    db = tmp_path / "kb.db"
    with Outlet(3, seed=132) as site:
        x, v, z = site.articles
        site.pages[x.path] = with_canonical(lambda a, base: base + v.path)
        site.pages[z.path] = with_canonical(lambda a, base: base + v.path)
        site.published = [x.path]
        sources = tmp_path / "sources.yaml"
        sources.write_text(site.sources_yaml(), encoding="utf-8")
        run_nightly(sources, db, publish=False)
        first = dict(rows(db, "select url, title from articles"))
        site.published = [x.path, v.path, z.path]
        state = run_nightly(sources, db, publish=False)
        base = site.base
    assert first == {base + v.path: x.title}  # X's canonical was plausible on night 1
    stored = dict(rows(db, "select url, title from articles"))
    assert stored == {base + x.path: x.title, base + v.path: v.title, base + z.path: z.title}
    (health,) = rows(
        db, "select health from source_runs order by started_at desc, rowid desc limit 1"
    )[0]
    assert f"{base}{z.path} → {base}{v.path} (another article's, with different content)" in (
        health
    )
    assert state.name == "CompletedWithWarnings"
    # X kept its id (its tags, story and search entry follow it)
    assert rows(db, "select count(*) from articles_fts")[0][0] == 3


def test_the_same_article_under_two_urls_is_still_one_row(prefect_harness, tmp_path):
    """What canonicals are for: a second URL of the same text (here a print copy) joins the
    article's row."""
    db = tmp_path / "kb.db"
    with Outlet(2, seed=133) as site:
        a, b = site.articles
        copy = a.__class__(**{**a.__dict__, "path": a.path.replace(".html", "/in")})
        site.articles.append(copy)
        site.pages[copy.path] = with_canonical(lambda _, base: base + a.path)
        site.published = [a.path, b.path, copy.path]
        sources = tmp_path / "sources.yaml"
        sources.write_text(site.sources_yaml(), encoding="utf-8")
        state = run_nightly(sources, db, publish=False)
        base = site.base
    stored = dict(rows(db, "select url, title from articles"))
    assert stored == {base + a.path: a.title, base + b.path: b.title}
    assert state.is_completed() and state.name == "Completed", state.message
    fetched = dict(rows(db, "select url, article_id from frontier"))
    assert fetched[base + copy.path] == fetched[base + a.path]
