"""Unit tests for the query folding and passage functions of the Datasette plugin."""

from __future__ import annotations

import sqlite3

import pytest
from markupsafe import Markup

from ingest.publish.pages import warc_path
from ingest.publish.passages import (
    highlight,
    highlight_field,
    match_spans,
    passage_window,
    vn_passage,
)
from ingest.publish.plugin import prepare_connection
from ingest.publish.search_query import vn_fts_query, vn_fts_tiers
from ingest.store.db import folded_document


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("le hoi thiet ke", '("le hoi thiet ke" OR ("le" "hoi" "thiet" "ke"))'),
        ("Lễ hội Thiết kế", '("le hoi thiet ke" OR ("le" "hoi" "thiet" "ke"))'),
        ('"Đài Phát thanh"', '"dai phat thanh"'),
        ("ĐÀI", '"dai"'),
        ("09-NQ/TU", '"09 nq tu"'),
        ("design_festival", '"design festival"'),  # "_" separates tokens, as in FTS5
        ("thiết*", '"thiet"*'),
        ("Đài OR festival", '"dai" OR "festival"'),
        ('"sáng tạo" -thiết', '"sang tao" NOT "thiet"'),
        ('lễ hội "sáng tạo', '("le" "hoi" "sang tao")'),
        ("", '""'),
        ("NEAR( AND OR *", '"near"'),  # operators typed by a user are just words
        ("AND OR * ()", '""'),
    ],
)
def test_vn_fts_query(query: str, expected: str) -> None:
    assert vn_fts_query(query) == expected


@pytest.mark.parametrize(
    ("query", "phrases", "rest"),
    [
        ("dai phat thanh", '"dai phat thanh"', '(("dai" "phat" "thanh")) NOT ("dai phat thanh")'),
        ('"dai phat thanh"', '"dai phat thanh"', '""'),  # already a phrase: one tier
        ("festival", '"festival"', '""'),
        ("sang tao* ha noi", '("sang" "tao"* "ha" "noi")', '""'),  # a prefix: no phrase run
        (
            "le hoi OR thiet ke -abc",
            '("le hoi" OR "thiet ke") NOT "abc"',
            '(("le" "hoi") OR ("thiet" "ke")) NOT ("le hoi" OR "thiet ke") NOT "abc"',
        ),
        ("", '""', '""'),
    ],
)
def test_vn_fts_tiers(query: str, phrases: str, rest: str) -> None:
    assert vn_fts_tiers(query) == (phrases, rest)


def test_unranked_filter_drops_only_the_phrase_boost() -> None:
    assert vn_fts_query("le hoi thiet ke", ranked=False) == '("le" "hoi" "thiet" "ke")'
    assert vn_fts_query('"sang tao" -thiet', ranked=False) == '"sang tao" NOT "thiet"'


def test_decomposed_input_folds_like_composed() -> None:
    # "Lễ" typed on a keyboard that sends e + combining marks (NFD)
    assert vn_fts_query("Le\u0302\u0303 ho\u0302\u0323i") == vn_fts_query("Lễ hội")


DOCS = {
    1: (
        "Khai mạc Lễ hội Thiết kế sáng tạo Hà Nội",
        "",
        "Đài Phát thanh và Truyền hình Hà Nội đưa tin.",
    ),
    2: ("Hội thảo về lễ tết", "", "Nhiều lễ hội truyền thống và ngành thiết kế được bàn tới."),
    3: ("Đại hội", "", "Dai dẳng mưa phùn."),
}


@pytest.fixture()
def fts() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    prepare_connection(conn)
    conn.execute(
        'create virtual table f using fts5(title, lead, text, folded, tokenize="unicode61 remove_diacritics 2")'
    )
    for rowid, (t, lead, x) in DOCS.items():
        conn.execute(
            "insert into f(rowid, title, lead, text, folded) values (?, ?, ?, ?, ?)",
            (rowid, t, lead, x, folded_document(t, lead, x)),
        )
    return conn


def _ids(conn: sqlite3.Connection, q: str) -> list[int]:
    sql = "select rowid from f where f match vn_fts_query(?) order by bm25(f, 10, 4, 1, 1), rowid"
    return [r[0] for r in conn.execute(sql, (q,))]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("le hoi thiet ke", [1, 2]),  # the phrase ranks first; loose syllables still match
        ("Lễ hội Thiết kế", [1, 2]),
        ('"le hoi thiet ke"', [1]),  # quoted: a phrase only
        ("dai phat thanh", [1]),
        ("Đài Phát thanh", [1]),
        # folding trades tone precision for recall: "Đài ... hội" also matches "đại hội"
        ("đại hội", [3, 1]),
        ("dai", [3, 1]),  # the title hit ranks first
        ('NEAR( "', []),
    ],
)
def test_sql_match(fts: sqlite3.Connection, query: str, expected: list[int]) -> None:
    assert _ids(fts, query) == expected


@pytest.mark.parametrize(
    "query",
    [
        "le hoi thiet ke",
        "dai phat thanh",
        "dai",
        "le hoi OR dai",
        "hoi -tet",
        "đại hội",
        '"le hoi"',
    ],
)
def test_tiers_and_filter_partition_the_matches(fts: sqlite3.Connection, query: str) -> None:
    """Phrase tier + rest = every match of the ranked form = the filter form; no overlap."""

    def ids(form: str) -> list[int]:
        sql = "select rowid from f where f match vn_fts_query(?, ?) order by rowid"
        return [r[0] for r in fts.execute(sql, (query, form))]

    everything = ids("ranked")
    assert everything and ids("filter") == everything
    phrases, rest = ids("phrases"), ids("rest")
    assert sorted(phrases + rest) == everything


def test_sql_functions_registered(fts: sqlite3.Connection) -> None:
    row = fts.execute(
        "select vn_fold('Đài Phát thanh'), escape_fts('Đài'), vn_passage('Đài Phát thanh', 'dai')"
    ).fetchone()
    assert row == ("dai phat thanh", '"dai"', "Đài Phát thanh")


def test_match_spans_index_the_original_text() -> None:
    text = "Ông nói: Đài Phát thanh và Truyền hình Hà Nội."
    spans = match_spans(text, "dai phat thanh")
    assert [text[s:e] for s, e in spans] == ["Đài Phát thanh"]
    # syllables must be whole words: "hà" does not match inside "Hàng"
    assert match_spans("Hàng Đào", "ha") == []
    assert match_spans("x_đào", "dao") == [(2, 5)]
    # the word must stand alone on both sides, also when it recurs right after a longer word
    assert match_spans("xkhong khong, khongx", "khong") == [(7, 12)]
    assert match_spans("khong gian; xkhong gian", "khong gian") == [(0, 10), (19, 23)]
    assert match_spans("Sáng tạo, sángtạo", "sang*") == [(0, 4), (10, 17)]


def test_passage_is_original_text_around_the_hit() -> None:
    text = "Mở đầu không liên quan. " * 20 + "Lễ hội Thiết kế sáng tạo Hà Nội khai mạc tối nay."
    passage, spans = passage_window(text, "le hoi thiet ke", width=80)
    assert passage == "… Lễ hội Thiết kế sáng tạo Hà Nội khai mạc tối nay."
    assert [passage[s:e] for s, e in spans] == ["Lễ hội Thiết kế"]
    assert vn_passage(text, "le hoi thiet ke", 80) == passage


def test_passage_without_hit_is_the_beginning() -> None:
    assert vn_passage("Một hai ba bốn năm sáu", "xyz", 10) == "Một hai ba …"


def test_highlight_escapes_crawled_html() -> None:
    html = highlight('<script>alert("Đài")</script>', [(15, 18)])
    assert isinstance(html, Markup)
    assert str(html) == "&lt;script&gt;alert(&#34;<mark>Đài</mark>&#34;)&lt;/script&gt;"


def test_highlight_field_uses_offsets_and_falls_back_to_search() -> None:
    text = "Câu một. Câu <hai> có bằng chứng. Câu ba."
    tags = [
        {"label_id": "doc_sports", "evidence": "Câu <hai> có bằng chứng.", "start": 9, "end": 33},
        {"label_id": "hanoi_pc", "evidence": "Câu ba.", "start": 0, "end": 7},  # stale offsets
    ]
    assert str(highlight_field(text, tags)) == (
        "Câu một. "
        '<mark class="evidence" title="doc_sports" data-labels="doc_sports">'
        "Câu &lt;hai&gt; có bằng chứng.</mark> "
        '<mark class="evidence" title="hanoi_pc" data-labels="hanoi_pc">Câu ba.</mark>'
    )


def test_warc_path_stays_inside_raw_dir(tmp_path) -> None:
    db = tmp_path / "kb.db"
    assert warc_path(db, "2023/a.warc.gz") == (tmp_path / "raw/2023/a.warc.gz").resolve()
    assert warc_path(db, "raw/2023/a.warc.gz") == (tmp_path / "raw/2023/a.warc.gz").resolve()
    from datasette.utils.asgi import NotFound

    with pytest.raises(NotFound):
        warc_path(db, "../kb.db")
    with pytest.raises(NotFound):
        warc_path(db, "/etc/passwd")
