"""Story clustering: syndicated copies join one story, look-alike events stay apart.

Two test sets: the bundled sample articles (copies written with `copy_of`: new headline and
lead, a shortened aggregator copy) and a hand-written wire story below, republished by five
outlets with their own headlines and page boilerplate plus an aggregator copy, next to the same
kind of announcement one year earlier and a different exhibition opening the same week.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from urllib.parse import urlparse

import pytest

from ingest.evidence.stories import (
    StoryDoc,
    assign_stories,
    cluster,
    containment,
    minhash_from_blob,
    minhash_to_blob,
    pair_metrics,
    rebuild_stories,
    score_pair,
    shingles,
    signature,
)
from ingest.testing.samplesites import expected_labels, load_articles

WIRE_BODY = [
    "Sáng 5/9, Sở Văn hóa và Thể thao Hà Nội đã họp báo giới thiệu chương trình của Lễ hội "
    "Thiết kế sáng tạo Hà Nội 2024 với hơn 80 hoạt động trải dài ở bốn quận trung tâm.",
    "Theo ban tổ chức, điểm nhấn năm nay là chuỗi triển lãm trong các nhà máy cũ ven sông Hồng, "
    "nơi các nhóm kiến trúc sư trẻ sẽ thử nghiệm cách cải tạo không gian công nghiệp thành "
    "điểm sinh hoạt văn hóa cho cư dân.",
    "Lễ hội cũng dành một tuần cho các xưởng thủ công mở cửa, cho phép khách tham quan tự tay "
    "làm gốm, in tranh khắc gỗ và nhuộm vải bằng lá chàm dưới sự hướng dẫn của nghệ nhân.",
    "Đại diện Văn phòng UNESCO tại Hà Nội cho biết tổ chức này sẽ mời chuyên gia từ các thành "
    "phố thành viên trong khu vực tham gia hội thảo về quản lý di sản đô thị.",
    "Ban tổ chức dự kiến công bố bản đồ điểm đến bằng tiếng Việt và tiếng Anh vào cuối tháng 10 "
    "để người dân chủ động lên lịch tham quan.",
    "Các doanh nghiệp muốn đặt gian trưng bày có thể đăng ký trực tuyến đến hết ngày 30/9.",
]

EARLIER_BODY = [
    "Chiều 7/9, Sở Văn hóa và Thể thao Hà Nội công bố kế hoạch tổ chức Lễ hội Thiết kế sáng tạo "
    "Hà Nội 2023 với khoảng 70 hoạt động xoay quanh khu vực hồ Hoàn Kiếm.",
    "Năm nay, lễ hội chọn cảm hứng từ những con phố nghề và các biệt thự cũ, mời các nhà thiết "
    "kế nội thất biến chúng thành phòng trưng bày tạm thời.",
    "Một khu chợ phiên cuối tuần sẽ quy tụ các thương hiệu thời trang nhỏ và người làm đồ thủ "
    "công từ các làng nghề ngoại thành.",
    "Ban tổ chức khuyến khích các trường đại học gửi đồ án của sinh viên để trưng bày miễn phí.",
]

OTHER_EXHIBITION = [
    "Tối 6/9, triển lãm ảnh về những ngôi nhà ống của Hà Nội xưa đã khai mạc tại một không gian "
    "nghệ thuật trên phố Hàng Bông.",
    "Gần một trăm bức ảnh đen trắng do một nhiếp ảnh gia nghiệp dư chụp trong ba thập kỷ cho "
    "thấy sự đổi thay của mặt tiền, mái ngói và những khoảng sân trong.",
    "Người xem có thể để lại ký ức về ngôi nhà cũ của gia đình mình trên một bức tường dành "
    "riêng cho khách tham quan.",
]

BOILERPLATE = {
    "a": "Tin liên quan\nChia sẻ\nÝ kiến của bạn",
    "b": "Xem nhiều nhất\nTin cùng chuyên mục\nCác tin khác",
    "c": "Tin nổi bật\nChia sẻ bài viết",
}


def _doc(key: str, title: str, lead: str, body: list[str], when: str, outlet: str) -> StoryDoc:
    return StoryDoc(key, title, "\n".join([lead, *body]), datetime.fromisoformat(when), outlet)


def wire_set() -> tuple[list[StoryDoc], dict[str, str]]:
    """(documents, gold story per key) for the hand-written wire story and its look-alikes."""
    docs = [
        _doc(
            "wire-ttx",
            "Lễ hội Thiết kế sáng tạo Hà Nội 2024 có hơn 80 hoạt động",
            "Chương trình lễ hội năm nay mở rộng ra bốn quận trung tâm.",
            WIRE_BODY,
            "2024-09-05T11:00:00+07:00",
            "ttxvn",
        ),
        _doc(
            "wire-a",
            "Hà Nội công bố chương trình lễ hội thiết kế năm 2024",
            "Nhà máy cũ ven sông Hồng sẽ thành nơi trưng bày trong dịp lễ hội.",
            [*WIRE_BODY, BOILERPLATE["a"]],
            "2024-09-05T13:20:00+07:00",
            "outlet_a",
        ),
        _doc(
            "wire-b",
            "Hơn 80 hoạt động tại Lễ hội Thiết kế sáng tạo 2024",
            "",
            [BOILERPLATE["b"], *WIRE_BODY[:4], BOILERPLATE["c"]],
            "2024-09-05T15:05:00+07:00",
            "outlet_b",
        ),
        _doc(
            "wire-c",
            "Nhà máy cũ ven sông Hồng hóa không gian sáng tạo",
            "Người dân có thể tự tay làm gốm và in tranh trong tuần lễ xưởng mở.",
            WIRE_BODY,
            "2024-09-06T08:00:00+07:00",
            "outlet_c",
        ),
        _doc(
            "wire-d",
            "Lễ hội thiết kế Hà Nội: bản đồ điểm đến song ngữ ra mắt cuối tháng 10",
            "",
            WIRE_BODY[:3],  # a shortened copy: the first half only
            "2024-09-06T10:30:00+07:00",
            "outlet_d",
        ),
        _doc(
            "wire-agg",
            "Hà Nội: lễ hội thiết kế 2024 hé lộ chương trình",
            "",
            [*WIRE_BODY, "Theo TTXVN", BOILERPLATE["a"]],
            "2024-09-12T07:00:00+07:00",  # an aggregator a week later
            "aggregator",
        ),
        _doc(
            "earlier",
            "Lễ hội Thiết kế sáng tạo Hà Nội 2023 có khoảng 70 hoạt động",
            "Chương trình lễ hội năm nay xoay quanh hồ Hoàn Kiếm.",
            EARLIER_BODY,
            "2023-09-07T16:00:00+07:00",
            "ttxvn",
        ),
        _doc(
            "earlier-copy",
            "Hà Nội công bố kế hoạch lễ hội thiết kế năm 2023",
            "",
            [*EARLIER_BODY, BOILERPLATE["b"]],
            "2023-09-07T19:00:00+07:00",
            "outlet_a",
        ),
        _doc(
            "photo-show",
            "Khai mạc triển lãm ảnh nhà ống Hà Nội xưa",
            "",
            OTHER_EXHIBITION,
            "2024-09-06T21:00:00+07:00",
            "outlet_b",
        ),
    ]
    gold = {d.key: "wire" for d in docs if str(d.key).startswith("wire")}
    gold.update({"earlier": "earlier", "earlier-copy": "earlier", "photo-show": "photo"})
    return docs, gold


def sample_set() -> tuple[list[StoryDoc], dict[str, str]]:
    arts = load_articles()
    docs = [
        StoryDoc(a.id, a.title, "\n".join([a.lead, *a.body]), a.published, a.outlet) for a in arts
    ]
    return docs, {a.id: a.story for a in arts}


def test_shingles_fold_marks_and_case():
    assert (
        shingles("Lễ hội Thiết kế")
        == shingles("LE HOI thiet ke")
        == {"le hoi thiet", "hoi thiet ke"}
    )
    assert shingles("Đà Lạt") == {"da", "lat"}


def test_minhash_blob_round_trip():
    m = signature(shingles(WIRE_BODY[0]))
    back = minhash_from_blob(minhash_to_blob(m))
    assert back.jaccard(m) == 1.0
    assert len(minhash_to_blob(m)) == 128 * 4  # affine32: uint32 values


def test_containment_of_a_half_copy():
    # |A| = 100, |B| = 50 ⊂ A → Jaccard 0.5, containment 1
    assert containment(0.5, 100, 50) == pytest.approx(1.0)
    assert containment(0.0, 100, 50) == 0.0


def test_sample_articles_cluster_by_story():
    docs, gold = sample_set()
    pred = cluster(docs)
    m = pair_metrics(pred, gold)
    print(f"\nsample articles: precision {m['precision']:.3f} recall {m['recall']:.3f} {m}")
    assert m["precision"] >= 0.95 and m["recall"] >= 0.95
    # the 2023 opening: four outlets, the earliest is the original
    opening = {k for k, v in gold.items() if v == "festival-2023-opening"}
    assert {pred[k] for k in opening} == {"td-2023-festival-open"}
    # look-alike openings of other years stay apart
    assert pred["td-2022-festival-open"] == "td-2022-festival-open"
    assert pred["td-2024-festival-open"] == "td-2024-festival-open"


def test_wire_story_and_lookalikes():
    docs, gold = wire_set()
    pred = cluster(docs)
    m = pair_metrics(pred, gold)
    print(f"\nwire set: precision {m['precision']:.3f} recall {m['recall']:.3f} {m}")
    assert m == {"precision": 1.0, "recall": 1.0, "tp": 16, "fp": 0, "fn": 0}
    assert {pred[k] for k in gold if gold[k] == "wire"} == {"wire-ttx"}
    assert pred["earlier"] != pred["wire-ttx"]
    assert pred["photo-show"] == "photo-show"


def test_combined_precision_recall_floor():
    d1, g1 = sample_set()
    d2, g2 = wire_set()
    m = pair_metrics(cluster(d1 + d2), {**g1, **g2})
    print(f"\ncombined: precision {m['precision']:.3f} recall {m['recall']:.3f}")
    assert m["precision"] >= 0.95 and m["recall"] >= 0.95


def test_pair_reasons():
    docs, _ = wire_set()
    by = {d.key: d.prepare() for d in docs}
    assert score_pair(by["wire-ttx"], by["wire-d"]).reason == "near-duplicate text"
    assert score_pair(by["wire-ttx"], by["earlier"]).reason == "different years in the headlines"
    assert not score_pair(by["wire-c"], by["photo-show"]).same


# ---------------------------------------------------------------------------------------------
# Database: the sample knowledge base built by the real flow
# ---------------------------------------------------------------------------------------------


def _gold_by_id(conn: sqlite3.Connection) -> dict[int, dict]:
    by_path = {lab["url"]: lab for lab in expected_labels()}
    return {
        aid: by_path[urlparse(url).path]
        for aid, url in conn.execute("select id, url from articles")
    }


def _story_map(conn: sqlite3.Connection) -> dict[int, int]:
    return dict(conn.execute("select id, story_id from articles"))


def test_rebuild_on_sample_db(sample_db_copy):
    from ingest.store.db import connect

    db = connect(sample_db_copy)
    counts = rebuild_stories(db)
    conn = db.conn
    gold = _gold_by_id(conn)
    assert counts["assigned"] == len(gold) == 43
    m = pair_metrics(_story_map(conn), {k: v["story"] for k, v in gold.items()})
    print(f"\nsample db: precision {m['precision']:.3f} recall {m['recall']:.3f}")
    assert m["precision"] == 1.0 and m["recall"] == 1.0
    assert conn.execute("select count(*) from stories").fetchone()[0] == 38
    assert conn.execute("select count(*) from articles where story_id is null").fetchone()[0] == 0
    original = next(k for k, v in gold.items() if v["id"] == "td-2023-festival-open")
    row = conn.execute(
        "select s.first_article_id, s.first_published, s.outlets, s.outlet_count,"
        " s.article_count, s.title from stories s join articles a on a.story_id = s.id"
        " where a.id = ?",
        [original],
    ).fetchone()
    assert row == (
        original,
        "2023-11-11T21:00:00+07:00",
        '["thudo", "dothi", "sovhtt", "tonghop"]',
        4,
        4,
        "Lễ hội Thiết kế sáng tạo Hà Nội 2023 khai mạc với chủ đề kết nối di sản",
    )


def test_incremental_assignment_matches_full_rebuild(sample_db_copy):
    from ingest.store.db import connect

    db = connect(sample_db_copy)
    conn = db.conn
    rebuild_stories(db)
    full = _story_map(conn)
    # start again: first the articles up to the evening of 11 Nov 2023, then "tonight's" batch
    conn.execute("update articles set story_id = null")
    conn.execute("delete from story_signatures")
    conn.execute("delete from stories")
    early = [
        r[0] for r in conn.execute("select id from articles where published < '2023-11-11T22'")
    ]
    late = [
        r[0] for r in conn.execute("select id from articles where published >= '2023-11-11T22'")
    ]
    assign_stories(db, early)
    before = _story_map(conn)
    counts = assign_stories(db, late)
    after = _story_map(conn)
    # three copies of the opening join the story created the night before
    gold = _gold_by_id(conn)
    original = next(k for k, v in gold.items() if v["id"] == "td-2023-festival-open")
    copies = [k for k, v in gold.items() if v["copy_of"] == "td-2023-festival-open"]
    assert {after[k] for k in copies} == {before[original]}
    assert counts["joined"] == 3
    assert all(after[k] == before[k] for k in early)  # existing stories keep their ids
    assert pair_metrics(after, full) == {"precision": 1.0, "recall": 1.0, "tp": 8, "fp": 0, "fn": 0}


def test_reassigning_an_updated_article_keeps_its_story(sample_db_copy):
    from ingest.store.db import connect

    db = connect(sample_db_copy)
    rebuild_stories(db)
    conn = db.conn
    gold = _gold_by_id(conn)
    copy = next(k for k, v in gold.items() if v["id"] == "th-2023-festival-short")
    story = conn.execute("select story_id from articles where id = ?", [copy]).fetchone()[0]
    n_stories = conn.execute("select count(*) from stories").fetchone()[0]
    counts = assign_stories(db, [copy])
    assert counts["joined"] == 1 and counts["new_stories"] == 0
    assert conn.execute("select story_id from articles where id = ?", [copy]).fetchone()[0] == story
    assert conn.execute("select count(*) from stories").fetchone()[0] == n_stories
    assert (
        conn.execute("select article_count from stories where id = ?", [story]).fetchone()[0] == 4
    )
    # nothing left to do
    assert assign_stories(db)["assigned"] == 0


def test_index_readd_moves_a_document_in_time():
    from ingest.evidence.stories import StoryIndex

    docs, _ = wire_set()
    by = {d.key: d for d in docs}
    index = StoryIndex()
    index.add(by["wire-ttx"])
    probe = by["photo-show"]  # published the next day: inside the same-event window
    assert index.candidates(probe) == {"wire-ttx"}
    moved = StoryDoc("wire-ttx", by["wire-ttx"].title, "\n".join(WIRE_BODY), datetime(2020, 1, 1))
    index.add(moved)
    assert "wire-ttx" not in index.candidates(probe)
    assert index.candidates(by["wire-a"]) == {"wire-ttx"}  # still found by text (LSH)


def test_changed_text_is_matched_again_without_listing_ids(sample_db_copy):
    from ingest.evidence.stories import pending_articles
    from ingest.store.db import connect

    db = connect(sample_db_copy)
    rebuild_stories(db)
    conn = db.conn
    assert pending_articles(db) == []
    gold = _gold_by_id(conn)
    copy = next(k for k, v in gold.items() if v["id"] == "th-2023-festival-short")
    other = next(k for k, v in gold.items() if v["id"] == "sv-2023-sea-forum")
    story = conn.execute("select story_id from articles where id = ?", [copy]).fetchone()[0]
    # the aggregator reused the URL for the forum story a week later (new content hash)
    conn.execute(
        "update articles set text = (select text from articles where id = ?),"
        " content_sha256 = 'changed' where id = ?",
        [other, copy],
    )
    assert pending_articles(db) == [copy]
    counts = assign_stories(db)
    assert counts["assigned"] == 1
    new_story = conn.execute("select story_id from articles where id = ?", [copy]).fetchone()[0]
    forum_story = conn.execute("select story_id from articles where id = ?", [other]).fetchone()[0]
    assert new_story == forum_story != story
    assert (
        conn.execute("select article_count from stories where id = ?", [story]).fetchone()[0] == 3
    )
    assert pending_articles(db) == []


def test_signatures_table_from_an_earlier_version_is_upgraded(sample_db_copy):
    from ingest.store.db import connect

    db = connect(sample_db_copy)
    db.execute("drop table story_signatures")  # as a build from before the migration left it
    db.execute(
        "create table story_signatures (article_id integer primary key, story_id integer,"
        " minhash blob not null, shingle_count integer not null, published text,"
        " num_perm integer not null)"
    )
    counts = assign_stories(db)
    assert counts["assigned"] == 43 and counts["new_stories"] == 38
    cols = {r[1] for r in db.execute("pragma table_info(story_signatures)").fetchall()}
    assert {"scheme", "content_sha256"} <= cols
    assert assign_stories(db)["assigned"] == 0
