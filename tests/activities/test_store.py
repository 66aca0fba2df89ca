"""The activity step on the database the real nightly flow builds from the sample sites:
every expected festival edition, forum and plan once, incremental recomputation, stable ids."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from ingest.activities.store import update_activities
from ingest.store.db import connect
from ingest.testing.samplesites.activities_gold import expected_activities


def rows(db: Path, sql: str, params=()) -> list[dict]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def test_nightly_flow_computed_the_expected_activities(sample_db: Path) -> None:
    acts = rows(sample_db, "select * from activities")
    for exp in expected_activities():
        found = [
            a
            for a in acts
            if a["kind"] == exp.kind
            and exp.initiative in json.loads(a["initiative_ids"])
            and (exp.document is None or a["document"] == exp.document)
            and a["year"] == int(exp.date[:4])
        ]
        assert len(found) == 1, exp.describe()
        a = found[0]
        assert (a["event_date"], a["date_source"]) == (exp.date, exp.date_source), exp.describe()
        counts = {
            r["counts"]
            for r in rows(
                sample_db,
                "select counts from activity_facts where activity_id = ? and field = 'figure'",
                [a["id"]],
            )
        }
        assert not exp.figures or counts & set(exp.figures), exp.describe()


def test_festival_2023_has_its_facts_with_quotes_and_offsets(sample_db: Path) -> None:
    (a,) = rows(
        sample_db, "select * from activities where key = 'festival_edition:design_festival:2023'"
    )
    assert a["venue_id"] == "hoan_kiem_walking_street" and a["story_count"] >= 1
    assert set(json.loads(a["source_ids"])) == {"thudo", "dothi", "sovhtt", "tonghop"}
    figs = rows(
        sample_db,
        "select f.*, ar.lead, ar.text, ar.title from activity_facts f"
        " join articles ar on ar.id = f.article_id where f.activity_id = ? and f.field = 'figure'"
        " and f.counts = 'activities'",
        [a["id"]],
    )
    assert {f["label"] for f in figs} == {"hơn 70 hoạt động"}
    assert {f["source_id"] for f in figs} == {"thudo", "dothi", "sovhtt", "tonghop"}
    for f in figs:  # the quote is the stored sentence and the offsets point into the field
        field = f[f["text_field"]]
        assert field[f["start"] : f["end"]] == f["quote"]
        assert field[f["mention_start"] : f["mention_end"]] == f["label"]
    links = rows(sample_db, "select * from activity_stories where activity_id = ?", [a["id"]])
    assert links and all(link["signature"] for link in links)


def test_incremental_only_changed_stories_are_read(sample_db_copy: Path) -> None:
    db = connect(sample_db_copy)
    assert update_activities(db)["stories_read"] == 0  # the flow already computed everything
    key = "festival_edition:design_festival:2024"
    before = db.execute("select id from activities where key = ?", [key]).fetchone()[0]
    art = db.execute(
        "select a.id from articles a join activity_stories s on s.story_id = a.story_id"
        " where s.activity_id = ? limit 1",
        [before],
    ).fetchone()[0]
    db.execute(
        "update articles set text = text || ' Lễ hội có hơn 90 hoạt động.',"
        " content_sha256 = 'changed' where id = ?",
        [art],
    )
    counts = update_activities(db)
    assert counts["stories_changed"] == 1 and counts["stories_read"] == 1
    after = db.execute("select id from activities where key = ?", [key]).fetchone()[0]
    assert after == before  # the id is kept by key, so /-/timeline#activity-<id> stays valid
    labels = [r[0] for r in db.execute(
        "select label from activity_facts where activity_id = ? and field = 'figure'", [after]
    )]  # fmt: skip
    assert "hơn 90 hoạt động" in labels
    total = db.execute("select count(*) from activities").fetchone()[0]
    assert update_activities(db, rebuild=True)["activities_written"] == total


def test_a_vanished_story_drops_its_activity(sample_db_copy: Path) -> None:
    db = connect(sample_db_copy)
    (aid, sid) = db.execute(
        "select a.id, s.story_id from activities a join activity_stories s on s.activity_id = a.id"
        " where a.key like 'plan:97/%'"
    ).fetchone()
    # the clustering empties a story: its articles move to no story and the story row goes
    db.execute("update articles set story_id = null where story_id = ?", [sid])
    db.execute("delete from story_signatures where story_id = ?", [sid])
    db.execute("delete from stories where id = ?", [sid])
    counts = update_activities(db)
    assert counts["activities_dropped"] == 1
    assert db.execute("select count(*) from activities where id = ?", [aid]).fetchone()[0] == 0
    assert (
        db.execute("select count(*) from activity_facts where activity_id = ?", [aid]).fetchone()[0]
        == 0
    )


def _activity_table(db_path: Path) -> list[tuple]:
    """Activities and their facts, without ids or times (what a rebuild must reproduce)."""
    acts = rows(
        db_path,
        "select key, kind, initiative_ids, event_date, date_source, venue_id, venue_name,"
        " article_count, outlet_count, source_ids from activities order by key",
    )
    facts = rows(
        db_path,
        "select a.key, f.field, f.value, f.article_id, f.start, f.is_primary from activity_facts f"
        " join activities a on a.id = f.activity_id order by 1, 2, 3, 4, 5",
    )
    return [tuple(r.values()) for r in acts + facts]


def test_bounded_batches_give_the_same_activities(sample_db_copy: Path, monkeypatch) -> None:
    """Reading the stories a few at a time writes the same activities, facts and counts as
    reading them all at once."""
    from ingest.activities import store

    before = _activity_table(sample_db_copy)
    assert len(before) > 20
    multi = rows(
        sample_db_copy,
        "select story_id from articles where relevant = 1 group by story_id having count(*) > 1",
    )
    assert multi, "the sample has stories of several relevant articles"
    monkeypatch.setattr(store, "BATCH_ARTICLES", 1)
    batches = store.story_batches(connect(sample_db_copy), [r["story_id"] for r in multi])
    assert [len(b) for b in batches] == [1] * len(multi)
    read: list[int] = []
    load = store.load_story_articles
    monkeypatch.setattr(
        store, "load_story_articles", lambda db, ids: read.append(len(ids)) or load(db, ids)
    )
    update_activities(connect(sample_db_copy), rebuild=True)
    assert len(read) >= len(multi)  # a story with relevant articles is a read of its own
    assert _activity_table(sample_db_copy) == before


def test_a_large_story_is_read_from_its_first_articles(sample_db_copy: Path, monkeypatch) -> None:
    """Past `MAX_STORY_ARTICLES` relevant articles a story's activity is read from the first
    ones by publication (the originals), while its article and outlet counts keep them all."""
    from ingest.activities import store

    counts = {
        r["key"]: (r["article_count"], r["outlet_count"])
        for r in rows(sample_db_copy, "select key, article_count, outlet_count from activities")
    }
    monkeypatch.setattr(store, "MAX_STORY_ARTICLES", 1)
    update_activities(connect(sample_db_copy), rebuild=True)
    after = rows(sample_db_copy, "select id, key, article_count, outlet_count from activities")
    assert {r["key"]: (r["article_count"], r["outlet_count"]) for r in after} == counts
    firsts = {
        r["story_id"]: r["id"]
        for r in rows(
            sample_db_copy,
            "select story_id, id from (select story_id, id, row_number() over (partition by"
            " story_id order by published, id) as n from articles where relevant = 1) where n = 1",
        )
    }
    read = rows(
        sample_db_copy,
        "select s.story_id, f.article_id from activity_facts f join activity_stories s"
        " on s.activity_id = f.activity_id join articles a on a.id = f.article_id"
        " and a.story_id = s.story_id",
    )
    assert read and all(r["article_id"] == firsts[r["story_id"]] for r in read)
    assert any(n > 1 for n, _ in counts.values())  # some story was really cut
