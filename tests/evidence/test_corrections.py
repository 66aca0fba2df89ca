"""Reviewers' corrections: parsed and validated with clear errors, applied to the tags, shown
everywhere the evidence goes (report, canned query, Atom feed, article page), and lasting
through `ingest reprocess` and a nightly load.

The mistake corrected is the one the monitoring team found: the 2023 Talent-TV final tagged
`design_festival` because its winners exhibit at the festival (in the sample sites, the Đô Thị
Mới article and the aggregator's copy of it).
"""

from __future__ import annotations

import argparse
import sqlite3
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest

from ingest.evidence import corrections as cx
from ingest.evidence.report import ReportQuery, build_report

TALENT_TITLE = "Chung kết Tài năng sáng tạo Hà Nội tôn vinh những thiết kế từ chất liệu tái chế"
YEAR_2023 = ReportQuery(date(2023, 1, 1), date(2023, 12, 31), ("design_festival",))
ATOM = "{http://www.w3.org/2005/Atom}"


def _talent(db_path: Path) -> tuple[int, str, int, str]:
    """(id, url) of the Talent-TV final and (id, url) of the aggregator's copy of it."""
    conn = sqlite3.connect(db_path)
    a_id, a_url, story = conn.execute(
        "select id, url, story_id from articles where title = ?", [TALENT_TITLE]
    ).fetchone()
    b_id, b_url = conn.execute(
        "select id, url from articles where story_id = ? and id != ?", [story, a_id]
    ).fetchone()
    conn.close()
    return a_id, a_url, b_id, b_url


def _yaml(*entries: str) -> str:
    return "corrections:\n" + "".join(entries)


def _exclude(url: str, initiative: str = "design_festival") -> str:
    return (
        f"  - url: {url}\n    action: exclude_initiative\n    initiative: {initiative}\n"
        "    reason: Bài về chung kết Tài năng sáng tạo; lễ hội chỉ là nơi trưng bày.\n"
        "    reviewer: Nhóm giám sát\n    date: 2024-05-02\n"
    )


def _tags(db_path: Path, article_id: int) -> dict[str, list]:
    """An article's initiative and agency ids, and its facet arrays and relevance."""
    conn = sqlite3.connect(db_path)
    out: dict[str, list] = {}
    for key, table, column in (
        ("initiatives", "article_initiatives", "initiative_id"),
        ("agencies", "article_agencies", "agency_id"),
    ):
        sql = f"select {column} from {table} where article_id = ? order by 1"
        out[key] = [r[0] for r in conn.execute(sql, [article_id])]
    out["ids"] = list(
        conn.execute(
            "select initiative_ids, agency_ids, relevant from articles where id = ?", [article_id]
        ).fetchone()
    )
    conn.close()
    return out


# ---------------------------------------------------------------------------------------------
# Parsing and validation (pure)
# ---------------------------------------------------------------------------------------------


def test_repository_file_parses():
    path = Path(__file__).resolve().parents[2] / "corrections.yaml"
    assert cx.load_file(path) == []  # no corrections yet; the file documents the format


def test_every_problem_is_reported_with_its_line():
    text = """corrections:
  - url: https://a.example/1.html
    action: exlude_initiative
    initiative: design_festival
    reason: x
    reviewer: y
  - url: ftp://a.example/2.html
    action: exclude_article
    reason: x
    reviewer: y
  - url: https://a.example/3.html
    action: add_agency
    agency: doc_sports
    reason: x
    reviewer: y
  - url: https://a.example/4.html
    action: exclude_agency
    agency: doc_sports
    agency: hanoi_pc
    reason: x
  - url: https://a.example/5.html
    action: exclude_article
    initiative: design_festival
    reason: x
    reviewer: y
    note: extra
"""
    with pytest.raises(cx.CorrectionsError) as err:
        cx.parse(text, "corrections.yaml")
    assert err.value.problems == [
        "line 2: unknown action 'exlude_initiative' (choose exclude_initiative, exclude_agency,"
        " exclude_article, add_initiative, add_agency)",
        "line 7: url must be an http(s) address, not 'ftp://a.example/2.html'",
        "line 11: evidence is required",
        "line 16: key 'agency' given twice (YAML keeps only the last one)",
        "line 16: reviewer is required",
        "line 21: unknown key(s) note (allowed: url, action, initiative, agency, evidence, reason,"
        " reviewer, date)",
    ]
    assert str(err.value).startswith("corrections.yaml: line 2: unknown action")


def test_conflicting_entries_are_refused():
    both = _yaml(
        _exclude("https://a.example/1.html"),
        "  - url: https://a.example/1.html\n    action: add_initiative\n"
        "    initiative: design_festival\n    evidence: một câu\n    reason: r\n    reviewer: v\n",
        _exclude("https://a.example/1.html"),
    )
    with pytest.raises(cx.CorrectionsError) as err:
        cx.parse(both)
    assert "line 14: same correction as line 2" in err.value.problems
    assert any("both excludes and adds design_festival" in p for p in err.value.problems)
    with pytest.raises(cx.CorrectionsError, match="not valid YAML"):
        cx.parse("corrections: [\n")
    with pytest.raises(cx.CorrectionsError, match="one key, corrections"):
        cx.parse("fixes: []\n")


def test_append_entry_keeps_the_comments_and_the_other_entries():
    text = "# reviewed like code\ncorrections: []\n"
    first = cx.Correction(
        url="https://a.example/1.html",
        action="exclude_initiative",
        label_id="design_festival",
        reason="Sai nhãn: «chung kết» không phải lễ hội",
        reviewer="Nhóm giám sát",
        reviewed_on="2024-05-02",
    )
    once = cx.append_entry(text, first)
    assert once.startswith("# reviewed like code\ncorrections:\n  - url: https://a.example/1.html")
    second = cx.Correction(
        url="https://a.example/2.html",
        action="add_agency",
        label_id="doc_sports",
        reason="r",
        reviewer="v",
        evidence='Câu có dấu "ngoặc" và: hai chấm',
    )
    twice = cx.append_entry(once, second)
    assert [c.key for c in cx.parse(twice)] == [first.key, second.key]
    assert cx.parse(twice)[1].evidence == 'Câu có dấu "ngoặc" và: hai chấm'
    with pytest.raises(cx.CorrectionsError, match="already exists"):
        cx.append_entry(twice, first)


# ---------------------------------------------------------------------------------------------
# Applied to a knowledge base
# ---------------------------------------------------------------------------------------------


def _open(path: Path):
    from ingest.store.db import connect

    return connect(path)


def test_validation_against_the_knowledge_base(sample_db_copy):
    db = _open(sample_db_copy)
    a_id, a_url, _, _ = _talent(sample_db_copy)
    entries = cx.parse(
        _yaml(
            _exclude("https://nowhere.example/bai.html"),
            _exclude(a_url, "no_such_initiative"),
            f"  - url: {a_url}\n    action: add_agency\n    agency: doc_sports\n"
            "    evidence: Câu này không có trong bài.\n    reason: r\n    reviewer: v\n",
        )
    )
    problems = cx.check_against(db, entries)
    assert problems[0].startswith("line 8: unknown initiative 'no_such_initiative' (known: ")
    assert problems[1:] == [
        "line 2: unknown article URL https://nowhere.example/bai.html (not in the knowledge base)",
        f"line 14: quote not in the text of article {a_id}: 'Câu này không có trong bài.'",
    ]
    with pytest.raises(cx.CorrectionsError, match="unknown initiative 'no_such_initiative'"):
        cx.sync(db, entries)  # nothing written when a taxonomy id is wrong
    assert db.execute("select count(*) from corrections").fetchone()[0] == 0


def test_exclusion_reaches_report_query_feed_and_page_and_is_withdrawn(sample_db_copy):
    from datasette_fixtures import SyncClient, make_datasette

    db = _open(sample_db_copy)
    a_id, a_url, b_id, b_url = _talent(sample_db_copy)
    before = build_report(db, YEAR_2023).sections[0]
    assert (before.story_count, before.article_count) == (3, 7)
    classifier = _tags(sample_db_copy, a_id)
    assert "design_festival" in classifier["initiatives"]

    result = cx.sync(db, cx.parse(_yaml(_exclude(a_url))))
    assert (result.applied, result.pending, result.invalid) == (1, [], [])
    tags = _tags(sample_db_copy, a_id)
    assert "design_festival" not in tags["initiatives"] and "talent_tv" in tags["initiatives"]
    assert '"design_festival"' not in tags["ids"][0]  # the facet array agrees

    after = build_report(db, YEAR_2023).sections[0]
    assert (after.story_count, after.article_count) == (3, 6)  # the copy still carries the tag
    assert [(e.id, e.reviewer, e.whole_article) for e in after.excluded] == [
        (a_id, "Nhóm giám sát", False)
    ]
    assert a_id not in {a.id for st in after.all_stories for a in st.articles}

    client = SyncClient(make_datasette(sample_db_copy))
    try:
        rows = client.json(
            "/kb/initiative_evidence.json?_shape=array&_size=max&initiative=design_festival"
            "&date_from=01/01/2023&date_to=31/12/2023"
        )
        assert a_id not in {r["article_id"] for r in rows} and b_id in {
            r["article_id"] for r in rows
        }
        feed = ET.fromstring(client.get("/kb/initiative_feed.atom?initiative=design_festival").text)
        ids = [e.findtext(f"{ATOM}id") for e in feed.iter(f"{ATOM}entry")]
        assert f"tag:hanoi-creative-kb:article:{a_id}:design_festival" not in ids
        assert f"tag:hanoi-creative-kb:article:{b_id}:design_festival" in ids
        page = client.get(f"/-/article/{a_id}").text
        assert 'id="kb-reviewed"' in page and "lễ hội chỉ là nơi trưng bày" in page
        assert "Nhóm giám sát" in page
    finally:
        client.close()

    # both articles excluded: the story leaves the report, both are listed and counted
    cx.sync(db, cx.parse(_yaml(_exclude(a_url), _exclude(b_url))))
    gone = build_report(db, YEAR_2023).sections[0]
    assert (gone.story_count, gone.article_count, len(gone.excluded)) == (2, 5, 2)
    assert TALENT_TITLE not in {st.title for st in gone.all_stories}

    # withdrawn from the file: the tagger's own rows come back exactly
    result = cx.sync(db, [])
    assert result.withdrawn == 2
    assert _tags(sample_db_copy, a_id) == classifier
    assert build_report(db, YEAR_2023).sections[0].article_count == 7


def test_add_a_tag_with_its_evidence_and_exclude_a_whole_article(sample_db_copy):
    db = _open(sample_db_copy)
    a_id, a_url, b_id, b_url = _talent(sample_db_copy)
    text = db.execute("select text from articles where id = ?", [a_id]).fetchone()[0]
    sentence = text.split("\n")[0].strip()
    add = (
        f"  - url: {a_url}\n    action: add_agency\n    agency: doc_sports\n"
        f"    evidence: {sentence!r}\n    reason: Sở là đơn vị chủ trì.\n    reviewer: Lan\n"
    )
    whole = (
        f"  - url: {b_url}\n    action: exclude_article\n    reason: Bản sao.\n    reviewer: Lan\n"
    )
    result = cx.sync(db, cx.parse(_yaml(add, whole)))
    assert result.applied == 2
    row = db.execute(
        "select evidence, field, start, rule from article_agencies"
        " where article_id = ? and agency_id = 'doc_sports'",
        [a_id],
    ).fetchone()
    assert row[0] == sentence and row[1] == "text" and row[3] == "correction"
    assert text[row[2] : row[2] + len(sentence)] == sentence
    assert _tags(sample_db_copy, b_id) == {
        "initiatives": [],
        "agencies": [],
        "ids": ["[]", "[]", 0],
    }
    sec = build_report(db, YEAR_2023).sections[0]
    assert [(e.id, e.whole_article) for e in sec.excluded] == [(b_id, True)]
    [entry] = [a for st in sec.all_stories for a in st.articles if a.id == a_id]
    assert "doc_sports" in entry.agencies
    assert entry.reviewed == [
        "thêm cơ quan / agency added: doc_sports — Sở là đơn vị chủ trì. (Lan)"
    ]


def test_pending_until_crawled_and_invalid_quote_is_reported(sample_db_copy):
    db = _open(sample_db_copy)
    a_id, a_url, _, _ = _talent(sample_db_copy)
    bad_quote = (
        f"  - url: {a_url}\n    action: add_initiative\n    initiative: design_center\n"
        "    evidence: Câu không có.\n    reason: r\n    reviewer: v\n"
    )
    result = cx.sync(db, cx.parse(_yaml(_exclude("https://later.example/bai.html"), bad_quote)))
    assert result.pending == ["https://later.example/bai.html"]
    assert result.invalid == [f"{a_url} add_initiative: quote not in the article text"]
    assert "design_center" not in _tags(sample_db_copy, a_id)["initiatives"]


def test_correction_survives_reprocess(sample_db_copy, sample_sources, tmp_path):
    """`ingest reprocess` re-tags every article from the archive; the exclusion holds."""
    from ingest.config import load_sources
    from ingest.reprocess import reprocess

    db = _open(sample_db_copy)
    a_id, a_url, b_id, _ = _talent(sample_db_copy)
    path = tmp_path / "corrections.yaml"
    path.write_text(_yaml(_exclude(a_url)), encoding="utf-8")
    taxonomy = Path(__file__).resolve().parents[2] / "taxonomy.yaml"
    counts = reprocess(
        db,
        load_sources(sample_sources),
        str(taxonomy),
        sample_db_copy.parent / "raw",
        corrections_path=path,
    )
    assert counts["same"] + counts["updated"] == 43
    assert "design_festival" not in _tags(sample_db_copy, a_id)["initiatives"]
    assert "design_festival" in _tags(sample_db_copy, b_id)["initiatives"]  # re-tagged as before
    status = db.execute("select status, removed from corrections").fetchone()
    assert status[0] == "applied" and '"initiative_id": "design_festival"' in status[1]
    sec = build_report(db, YEAR_2023).sections[0]
    assert [e.id for e in sec.excluded] == [a_id] and sec.article_count == 6


def test_correction_applies_at_the_first_load(
    prefect_harness, sample_sites, sample_sources, sample_db, tmp_path
):
    """A nightly run reads corrections.yaml beside sources.yaml before it crawls."""
    from conftest import run_nightly

    _, a_url, _, _ = _talent(sample_db)
    sources = tmp_path / "sources.yaml"
    sources.write_text(sample_sources.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "corrections.yaml").write_text(_yaml(_exclude(a_url)), encoding="utf-8")
    db_path = tmp_path / "kb" / "kb.db"
    state = run_nightly(sources, db_path)
    assert state.is_completed()
    conn = sqlite3.connect(db_path)
    a_id = conn.execute("select id from articles where url = ?", [a_url]).fetchone()[0]
    assert conn.execute("select status, article_id from corrections").fetchone() == (
        "applied",
        a_id,
    )
    conn.close()
    assert "design_festival" not in _tags(db_path, a_id)["initiatives"]
    (tmp_path / "corrections.yaml").write_text("corrections:\n  - url: nope\n", encoding="utf-8")
    broken = run_nightly(sources, db_path)  # a broken file stops the run before any crawling
    assert broken.is_failed()
    with pytest.raises(cx.CorrectionsError, match="line 2: url must be an http"):
        broken.result()


# ---------------------------------------------------------------------------------------------
# `ingest correct`
# ---------------------------------------------------------------------------------------------


def _cli(*argv: str) -> int:
    from ingest.commands import evidence

    parser = argparse.ArgumentParser(prog="ingest")
    evidence.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(list(argv))
    return args.func(args)


def test_ingest_correct_writes_validates_and_applies(sample_db_copy, tmp_path, capsys):
    a_id, a_url, _, _ = _talent(sample_db_copy)
    path = tmp_path / "corrections.yaml"
    path.write_text("# ours\ncorrections: []\n", encoding="utf-8")
    db = str(sample_db_copy)
    base = ("correct", "--db", db, "--file", str(path))
    assert _cli(*base, "--article", str(a_id), "--exclude-initiative", "design_festival",
                "--reason", "Không phải lễ hội", "--reviewer", "Lan", "--date", "2024-05-02") == 0  # fmt: skip
    out = capsys.readouterr().out
    assert f"added to {path}: exclude_initiative design_festival {a_url}" in out
    assert "applied: 1; pending (not crawled yet): 0; invalid: 0" in out
    [entry] = cx.load_file(path)
    assert (entry.url, entry.reviewer, entry.reviewed_on) == (a_url, "Lan", "2024-05-02")
    assert path.read_text(encoding="utf-8").startswith("# ours\ncorrections:\n")
    assert "design_festival" not in _tags(sample_db_copy, a_id)["initiatives"]

    # refused with a clear message, the file untouched
    before = path.read_text(encoding="utf-8")
    assert _cli(*base, "--url", "https://nowhere.example/x.html", "--exclude-article",
                "--reason", "r", "--reviewer", "v") == 2  # fmt: skip
    assert "unknown article URL https://nowhere.example/x.html" in capsys.readouterr().err
    assert _cli(*base, "--article", str(a_id), "--add-agency", "doc_sports",
                "--evidence", "Không có câu này.", "--reason", "r", "--reviewer", "v") == 2  # fmt: skip
    assert f"quote not in the text of article {a_id}" in capsys.readouterr().err
    assert _cli(*base, "--article", str(a_id), "--exclude-article", "--reviewer", "v") == 2
    assert "reason is required" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == before

    assert _cli(*base, "--check") == 0
    assert "1 correction(s), 0 problem(s)" in capsys.readouterr().out
    path.write_text(before + _exclude("https://nowhere.example/y.html")[0:], encoding="utf-8")
    assert _cli(*base, "--check") == 2
    assert "unknown article URL https://nowhere.example/y.html" in capsys.readouterr().err
