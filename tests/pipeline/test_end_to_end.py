"""The whole pipeline: sample sites on loopback → nightly flow → SQLite → Datasette."""

from __future__ import annotations

import asyncio
import json
import sqlite3

import pytest
from conftest import REPO, run_nightly

DOSSIER_TITLE = "Hà Nội gửi hồ sơ xin gia nhập Mạng lưới các Thành phố sáng tạo của UNESCO"
DOSSIER_LEAD = (
    "Bộ hồ sơ đề cử Hà Nội tham gia Mạng lưới các Thành phố sáng tạo của UNESCO ở lĩnh vực thiết"
    " kế đã được hoàn thiện và gửi đi trong tháng 7 này."
)
DOSSIER_EVIDENCE = (
    "Ban Tuyên giáo Thành ủy đã chủ trì nhiều buổi góp ý để thống nhất thông điệp mà Hà Nội muốn"
    " gửi tới cộng đồng quốc tế."
)


def rows(db, sql, params=()):
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def test_first_run_loads_every_sample_article(sample_run):
    from ingest.testing.samplesites import expected_labels

    db, state, _ = sample_run
    assert state.is_completed(), state.message
    labels = expected_labels()
    assert rows(db, "select count(*) n from articles")[0]["n"] == len(labels)
    assert rows(db, "select count(*) n from articles where relevant = 1")[0]["n"] == sum(
        1 for lab in labels if lab["relevant"]
    )
    run = rows(db, "select * from runs")[0]
    assert run["status"] in ("ok", "warning") and run["new"] == len(labels)


def test_known_article_fields_tags_and_evidence(sample_db):
    art = rows(sample_db, "select * from articles where title = ?", [DOSSIER_TITLE])
    assert len(art) == 1
    art = art[0]
    assert art["published"] == "2019-07-16T10:30:00+07:00"
    assert art["published_month"] == "2019-07"
    assert art["author"] == "Minh Châu"
    assert art["source_id"] == "thudo" and art["source_kind"] == "news"
    assert art["relevant"] == 1 and art["relevance_score"] > 0
    inits = rows(sample_db, "select * from article_initiatives where article_id = ?", [art["id"]])
    assert [i["initiative_id"] for i in inits] == ["uccn_membership"]
    assert (inits[0]["evidence"], inits[0]["field"]) == (DOSSIER_LEAD, "lead")
    agencies = {
        a["agency_id"]: a
        for a in rows(sample_db, "select * from article_agencies where article_id = ?", [art["id"]])
    }
    assert set(agencies) == {"doc_sports", "vicas", "unesco_office", "propaganda_dept"}
    prop = agencies["propaganda_dept"]
    assert prop["evidence"] == DOSSIER_EVIDENCE
    # offsets point at the evidence inside the stored field
    assert art[prop["field"]][prop["start"] : prop["end"]] == DOSSIER_EVIDENCE
    # the raw response is in the archive and still matches its hash
    from ingest.crawl.archive import verify_record

    assert verify_record(
        sample_db.parent / "raw", art["warc_file"], art["warc_offset"], art["raw_sha256"]
    )


def test_off_topic_and_near_misses_stored_not_relevant(sample_db):
    from ingest.testing.samplesites import expected_labels

    negatives = [lab["title"] for lab in expected_labels() if not lab["relevant"]]
    assert len(negatives) >= 10
    got = {
        r["title"]: r
        for r in rows(
            sample_db, "select title, relevant, initiative_ids from articles where relevant = 0"
        )
    }
    for title in negatives:
        assert title in got, title
        assert json.loads(got[title]["initiative_ids"]) == []
    assert "Hội An trở thành thành phố sáng tạo về thủ công và nghệ thuật dân gian" in got


def test_every_evidence_is_verbatim_in_its_field(sample_db):
    tags = rows(
        sample_db,
        """
        select a.title, a.lead, a.text, t.evidence, t.field, t.start, t."end"
        from article_initiatives t join articles a on a.id = t.article_id
        union all
        select a.title, a.lead, a.text, t.evidence, t.field, t.start, t."end"
        from article_agencies t join articles a on a.id = t.article_id""",
    )
    assert len(tags) > 50
    for t in tags:
        assert t[t["field"]][t["start"] : t["end"]] == t["evidence"]


def test_second_run_adds_nothing_and_fetches_no_article(
    prefect_harness, sample_sources, sample_sites, sample_db_copy
):
    before = rows(sample_db_copy, "select id, url, content_sha256 from articles order by id")
    tags_before = rows(sample_db_copy, "select count(*) n from article_agencies")[0]["n"]
    n0 = len(sample_sites.requests)
    state = run_nightly(sample_sources, sample_db_copy)
    assert state.is_completed(), state.message
    second = sample_sites.requests[n0:]
    from ingest.testing.samplesites import expected_labels

    article_paths = {lab["url"] for lab in expected_labels()}
    assert not [r for r in second if r.path.split("?")[0] in article_paths]
    assert (
        rows(sample_db_copy, "select id, url, content_sha256 from articles order by id") == before
    )
    assert rows(sample_db_copy, "select count(*) n from article_agencies")[0]["n"] == tags_before
    assert rows(sample_db_copy, "select count(distinct url) n from articles")[0]["n"] == len(before)
    last = rows(sample_db_copy, "select * from runs order by started_at desc limit 1")[0]
    assert last["new"] == 0 and last["fetched"] == 0 and last["not_modified"] > 0


def test_datasette_finds_the_article_by_folded_search(sample_db):
    import yaml
    from datasette.app import Datasette

    meta = yaml.safe_load((REPO / "metadata.yml").read_text(encoding="utf-8"))
    ds = Datasette([str(sample_db)], metadata=meta)

    async def search(q):
        r = await ds.client.get(f"/kb/articles.json?_search={q}&_shape=array&_col=title")
        assert r.status_code == 200
        return [row["title"] for row in r.json()]

    assert DOSSIER_TITLE in asyncio.run(search("ho so gia nhap mang luoi"))
    assert DOSSIER_TITLE in asyncio.run(search("hồ sơ gia nhập"))


@pytest.mark.parametrize("bad", ["sources", "taxonomy"])
def test_broken_config_stops_before_network_and_database(tmp_path, bad, sample_sources):
    from ingest.cli import main

    sources = sample_sources
    taxonomy = REPO / "taxonomy.yaml"
    if bad == "sources":
        sources = tmp_path / "sources.yaml"
        sources.write_text("sources:\n  - id: x\n    name: X\n    kind: news\n", encoding="utf-8")
    else:
        taxonomy = tmp_path / "taxonomy.yaml"
        taxonomy.write_text("initiatives: [\n", encoding="utf-8")
    db = tmp_path / "kb.db"
    code = main(["run", "--sources", str(sources), "--taxonomy", str(taxonomy), "--db", str(db)])
    assert code == 2
    assert not db.exists()


def test_flow_clusters_the_syndicated_festival_opening(sample_db):
    from ingest.testing.samplesites import expected_labels

    copies = [lab["title"] for lab in expected_labels() if lab["story"] == "festival-2023-opening"]
    assert len(copies) == 4
    got = rows(
        sample_db,
        f"""select a.title, a.story_id, s.article_count, s.outlet_count
        from articles a join stories s on s.id = a.story_id
        where a.title in ({",".join("?" * len(copies))})""",
        copies,
    )
    assert len(got) == 4 and len({r["story_id"] for r in got}) == 1
    assert (got[0]["article_count"], got[0]["outlet_count"]) == (4, 4)
    assert rows(sample_db, "select count(*) n from articles where story_id is null")[0]["n"] == 0
