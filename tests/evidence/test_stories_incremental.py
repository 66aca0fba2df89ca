"""Stories assigned batch after batch from one kept index give what a fresh assignment per batch
gives, and every story row equals a recount from its articles (`refresh_story`).

The articles are written here: syndicated copies of earlier ones (new headline, boilerplate,
sometimes cut in half), a few undated ones, and templated notices that all share most of
their text (the shape that once made every article a candidate of every other).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from ingest.evidence.stories import (
    StoryAssigner,
    StoryDoc,
    StoryIndex,
    assign_stories,
    kept_index,
    refresh_story,
    score_pair,
)
from ingest.store.db import connect

VN = timezone(timedelta(hours=7))
WORDS = (
    "phố nghề gốm sứ làng cổ sông hồng triển lãm họa sĩ kiến trúc sư sinh viên du khách "
    "không gian xưởng nhà máy cũ chợ phiên đêm nhạc ánh sáng bảo tàng thư viện tọa đàm "
    "thiết kế nội thất thời trang thủ công mỹ nghệ quảng trường vườn hoa cầu gỗ mái ngói"
).split()
NOTICE = (
    "Ủy ban nhân dân quận thông báo lịch tiếp công dân định kỳ của lãnh đạo quận trong tuần"
    " tới tại trụ sở tiếp công dân số một phố Lý Thái Tổ, đề nghị công dân mang theo giấy tờ."
)


def _sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(10, 18))).capitalize() + "."


def _articles(n: int, seed: int = 5) -> list[dict]:
    rng = random.Random(seed)
    start = datetime(2022, 3, 1, 8, tzinfo=VN)
    rows: list[dict] = []
    for i in range(1, n + 1):
        when: datetime | None = start + timedelta(hours=9 * i)
        if rows and rng.random() < 0.25:  # a copy of a recent article
            orig = rng.choice(rows[-40:])
            paras = orig["text"].split("\n")
            if rng.random() < 0.3:
                paras = paras[: (len(paras) + 1) // 2]
            text = "\n".join([*paras, "Tin liên quan", "Chia sẻ"])
            if orig["published"]:
                when = datetime.fromisoformat(orig["published"]) + timedelta(
                    hours=rng.randint(1, 90)
                )
        elif rng.random() < 0.15:  # a templated notice: shares most of its text with the others
            text = f"{NOTICE}\nLịch tuần số {i}: thứ hai và thứ năm, từ 8 giờ."
        else:
            text = "\n".join(_sentence(rng) for _ in range(rng.randint(3, 6)))
        if rng.random() < 0.05:
            when = None
        rows.append(
            {
                "id": i,
                "url": f"https://vi.example/{i}",
                "source_id": f"s{rng.randrange(4)}",
                "title": _sentence(rng)[:70],
                "lead": "",
                "text": text,
                "published": when.isoformat() if when else None,
                "content_sha256": f"v1-{i}",
            }
        )
    return rows


def _fresh_db(tmp_path, name: str):
    db = connect(tmp_path / name / "kb.db")
    db["sources"].insert_all(
        {"id": f"s{i}", "name": f"Báo {i}", "kind": "news", "home": "https://vi.example/"}
        for i in range(4)
    )
    return db


def _snapshot(db) -> tuple[dict, list]:
    stories = db.execute(
        "select id, title, first_published, first_article_id, outlets, outlet_count,"
        " article_count from stories order by id"
    ).fetchall()
    return dict(db.execute("select id, story_id from articles").fetchall()), stories


def _recounted(db) -> list:
    """Every story row as `refresh_story` computes it from all its articles."""
    for (sid,) in db.execute("select id from stories").fetchall():
        refresh_story(db, sid)
    return _snapshot(db)[1]


@pytest.mark.parametrize("order", ["newest first", "shuffled"])
def test_kept_index_gives_the_same_stories_as_fresh_assignment(tmp_path, order):
    rows = _articles(420)
    if order == "newest first":  # as the frontier hands them out
        rows = rows[::-1]
    else:  # a backfill: every batch spans the archive
        random.Random(9).shuffle(rows)
    kept_db, fresh_db = _fresh_db(tmp_path, "kept"), _fresh_db(tmp_path, "fresh")
    with kept_index(kept_db) as kept:
        for i in range(0, len(rows), 35):
            batch = rows[i : i + 35]
            for db in (kept_db, fresh_db):
                db["articles"].insert_all(batch, pk="id")
            kept.expect(r["id"] for r in batch)
            assign_stories(kept_db)  # inside kept_index: the batch, from the kept index
            assign_stories(fresh_db)  # outside: every pending article, index built afresh
            assert _snapshot(kept_db) == _snapshot(fresh_db)
    articles, stories = _snapshot(kept_db)
    assert None not in articles.values()
    assert stories == _recounted(kept_db)
    assert len(stories) < len(rows) - 60  # copies and notices did join stories


def test_updated_articles_leave_and_join_with_rows_kept_exact(tmp_path):
    rows = _articles(300, seed=11)
    db = _fresh_db(tmp_path, "kb")
    assigner = StoryAssigner(db)
    db["articles"].insert_all(rows, pk="id")
    assigner.assign()
    rng = random.Random(4)
    for _ in range(6):  # a night's corrections: some articles get another article's text
        changed = rng.sample(range(1, 301), 12)
        for aid in changed:
            other = rng.randrange(1, 301)
            db.execute(
                "update articles set text = (select text from articles where id = ?),"
                " content_sha256 = ? where id = ?",
                [other, f"v2-{aid}-{other}", aid],
            )
        counts = assigner.assign(changed, only_pending=True)
        assert counts["assigned"] == 12
        assert _snapshot(db)[1] == _recounted(db)
    assert assign_stories(db)["assigned"] == 0  # nothing left pending


def test_story_ids_retired_by_a_merge_are_not_handed_out_again(tmp_path):
    """A merge deletes the later story; SQLite would give its id to the next new story, and an
    index that remembers the merge would read that new story as the one it was merged into."""
    db = _fresh_db(tmp_path, "kb")
    body = "\n".join([NOTICE, "Lịch tuần: thứ hai, thứ năm."])
    rng = random.Random(1)
    other = "\n".join(_sentence(rng) for _ in range(4))
    base = datetime(2024, 5, 1, 8, tzinfo=VN)
    art = [
        {"id": 1, "url": "u1", "source_id": "s0", "title": "Một", "text": body,
         "published": base.isoformat()},
        {"id": 2, "url": "u2", "source_id": "s1", "title": "Hai", "text": other,
         "published": (base + timedelta(days=1)).isoformat()},
    ]  # fmt: skip
    db["articles"].insert_all(art, pk="id")
    assigner = StoryAssigner(db)
    assigner.assign()
    # article 3 carries both texts: it bridges stories 1 and 2, story 2 is merged away
    bridge = {"id": 3, "url": "u3", "source_id": "s2", "title": "Ba", "text": body + "\n" + other, "published": (base + timedelta(days=1)).isoformat()}  # fmt: skip
    db["articles"].insert(bridge, pk="id")
    counts = assigner.assign([3])
    assert counts["merged"] == 1
    db["articles"].insert(
        {"id": 4, "url": "u4", "source_id": "s3", "title": "Bốn", "text": "\n".join(_sentence(rng) for _ in range(4)),
         "published": (base + timedelta(days=90)).isoformat()},
        pk="id",
    )  # fmt: skip
    assigner.assign([4])
    sids = dict(db.execute("select id, story_id from articles").fetchall())
    assert sids[1] == sids[2] == sids[3] != sids[4]
    assert sids[4] != 2  # the id the merge retired stays retired
    assert _snapshot(db)[1] == _recounted(db)


def test_index_match_is_the_pair_rule():
    """`StoryIndex.match` decides in arrays; it must accept exactly the pairs `score_pair` does."""
    rows = _articles(160, seed=2)
    docs = [
        StoryDoc(r["id"], r["title"], r["text"],
                 datetime.fromisoformat(r["published"]) if r["published"] else None, r["source_id"])
        for r in rows
    ]  # fmt: skip
    index = StoryIndex()
    for d in docs:
        index.add(d)
    for d in docs[::7]:
        expected = sorted(
            (o.key for o in docs if o.key != d.key and o.key in index.candidates(d)
             and score_pair(d, o).same),
            key=str,
        )  # fmt: skip
        assert index.match(d) == expected


def test_a_crowded_bucket_returns_a_bounded_number_of_candidates():
    """Hundreds of notices built from one template: a lookup returns those published near the
    query and a bounded number of others, not all of them."""
    docs = []
    base = datetime(2020, 1, 1, 8, tzinfo=VN)
    for i in range(900):
        text = f"{NOTICE}\nLịch tuần số {i}."
        docs.append(StoryDoc(i, f"Lịch tiếp công dân {i}", text, base + timedelta(days=3 * i)))
    index = StoryIndex()
    for d in docs:
        index.add(d)
    probe = StoryDoc(
        "probe", "Lịch tiếp công dân", f"{NOTICE}\nLịch tuần số x.", base + timedelta(days=1500)
    )
    found = index.candidates(probe)
    near = {d.key for d in docs if abs((d.published - probe.published).days) <= 31}
    assert near <= found
    assert len(found) < 200 < len(docs)
    assert np.all([score_pair(probe.prepare(), docs[k]).same for k in index.match(probe)])
