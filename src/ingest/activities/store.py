"""The activity step of the nightly run: recompute the activities of the stories that changed.

Incremental by a signature per story: a hash of its articles (ids, content hashes, tagger
versions, relevance) and of the rules (extractor version, gazetteer version). Tonight only the
stories whose signature moved are read again — a new article joined, a text or a tag changed,
the gazetteer was edited — together with the other stories of the activities they belong to
(a festival edition gathers several stories), and the activities of vanished stories (merged
or emptied by the clustering) are rebuilt or dropped. Activity ids are kept by key, so links
to `/-/timeline#activity-<id>` stay valid. One transaction: a run killed half-way leaves the
previous activities in place and the next run redoes the work.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from ..clock import now_vn
from .story_activity import (
    EXTRACTOR_VERSION,
    Activity,
    ArticleInput,
    Fact,
    Lexicon,
    TagRef,
    activity_for_story,
    merge,
)
from .venues import Gazetteer, load_gazetteer

FACT_COLUMNS = (
    "activity_id", "field", "value", "unit", "number", "counts", "qualifier", "label", "quote",
    "article_id", "source_id", "text_field", "start", "end", "mention_start", "mention_end",
    "is_primary",
)  # fmt: skip


@dataclass
class ActivityCounts:
    stories_checked: int = 0
    stories_changed: int = 0
    stories_read: int = 0
    activities_written: int = 0
    activities_dropped: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def lexicon_from_db(db: sqlite_utils.Database, gazetteer: Gazetteer) -> Lexicon:
    rows = list(db.query("select id, kind, level from initiatives order by rowid"))
    return Lexicon(
        gazetteer,
        {r["id"]: r["kind"] for r in rows},
        {r["id"]: r["level"] or "" for r in rows},
        {r["id"]: n for n, r in enumerate(rows)},
    )


def _rules_version(gazetteer: Gazetteer) -> str:
    return f"{EXTRACTOR_VERSION}+{gazetteer.version}"


def story_signatures(db: sqlite_utils.Database, rules: str) -> dict[int, str]:
    """Every story's current signature, from one ordered scan of its articles."""
    out: dict[int, str] = {}
    cur_id: int | None = None
    h = None
    for sid, aid, sha, tv, rel in db.execute(
        "select story_id, id, coalesce(content_sha256, ''), coalesce(tagger_version, ''), relevant"
        " from articles where story_id is not null order by story_id, id"
    ):
        if sid != cur_id:
            if cur_id is not None and h is not None:
                out[cur_id] = h.hexdigest()[:24]
            cur_id, h = sid, hashlib.sha256(rules.encode())
        assert h is not None
        h.update(f"|{aid}:{sha}:{tv}:{rel}".encode())
    if cur_id is not None and h is not None:
        out[cur_id] = h.hexdigest()[:24]
    return out


def _chunks(ids: list[int], size: int = 500) -> list[list[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


# Bounds on what the activity step holds at once. A story is read from its first
# `MAX_STORY_ARTICLES` relevant articles (by publication): the originals are among them, and the
# hundredth copy of a wire story states the same facts as the first (a generated outlet of
# near-duplicates made one story of 98,000 articles, all read at once: 1.1 GiB). Stories are
# read in batches of about `BATCH_ARTICLES` articles, so a first night over a whole archive
# never holds every text in memory.
MAX_STORY_ARTICLES = 200
BATCH_ARTICLES = 2000


def story_batches(db: sqlite_utils.Database, story_ids: list[int]) -> list[list[int]]:
    """`story_ids` in batches of about `BATCH_ARTICLES` articles read (a story is never split)."""
    sizes: dict[int, int] = {}
    for chunk in _chunks(sorted(story_ids)):
        marks = ",".join("?" for _ in chunk)
        sizes.update(
            db.execute(
                f"select story_id, count(*) from articles where story_id in ({marks})"
                " and relevant = 1 group by story_id",
                chunk,
            ).fetchall()
        )
    batches: list[list[int]] = []
    current: list[int] = []
    weight = 0
    for sid in sorted(story_ids):
        n = min(sizes.get(sid, 0), MAX_STORY_ARTICLES)
        if current and weight + n > BATCH_ARTICLES:
            batches.append(current)
            current, weight = [], 0
        current.append(sid)
        weight += n
    if current:
        batches.append(current)
    return batches


def load_story_articles(db: sqlite_utils.Database, story_ids: list[int]) -> dict[int, list]:
    """The articles of the given stories, with their tags, as `ArticleInput`s.

    An activity is read from relevant articles only, the first `MAX_STORY_ARTICLES` of each
    story by publication: only those come with their text (and stay `relevant`); the others
    count as the story's members (its articles and outlets) without being read."""
    out: dict[int, list[ArticleInput]] = defaultdict(list)
    by_id: dict[int, ArticleInput] = {}
    for chunk in _chunks(sorted(story_ids)):
        marks = ",".join("?" for _ in chunk)
        for r in db.query(
            "select id, story_id, source_id, published, read,"
            " case when read then title end as title, case when read then lead end as lead,"
            " case when read then text end as text from"
            " (select *, relevant = 1 and row_number() over"
            "  (partition by story_id, relevant = 1 order by published, id) <= ? as read"
            f"  from articles where story_id in ({marks}))"
            " order by published, id",
            [MAX_STORY_ARTICLES, *chunk],
        ):
            art = ArticleInput(
                r["id"], r["source_id"], r["title"] or "", r["lead"] or "", r["text"] or "",
                r["published"], bool(r["read"]),
            )  # fmt: skip
            out[r["story_id"]].append(art)
            if art.relevant:
                by_id[art.id] = art
        for table, label, attr in (
            ("article_initiatives", "initiative_id", "initiatives"),
            ("article_agencies", "agency_id", "agencies"),
        ):
            for r in db.query(
                f'select t.article_id, t.{label} as label, t.evidence, t.field, t.start, t."end",'
                f" t.rule from {table} t join articles a on a.id = t.article_id"
                f" where a.story_id in ({marks}) and a.relevant = 1"
                " order by t.article_id, t.field, t.start",
                chunk,
            ):
                art = by_id.get(r["article_id"])
                if art is not None:
                    getattr(art, attr).append(
                        TagRef(
                            r["label"],
                            r["evidence"],
                            r["field"],
                            r["start"],
                            r["end"],
                            r["rule"] or "",
                        )  # fmt: skip
                    )
    return out


def update_activities(
    db: sqlite_utils.Database,
    *,
    gazetteer: Gazetteer | None = None,
    rebuild: bool = False,
) -> dict[str, int]:
    """Recompute the activities of the stories that changed since the last run (all of them
    with `rebuild`); returns counts for the ledger and the command line."""
    gazetteer = gazetteer or load_gazetteer()
    rules = _rules_version(gazetteer)
    counts = ActivityCounts()
    with db.atomic():
        if rebuild:
            for t in ("activity_facts", "activity_stories", "activities"):
                db.execute(f"delete from {t}")
        current = story_signatures(db, rules)
        stored = {
            r[0]: (r[1], r[2])
            for r in db.execute("select story_id, signature, activity_id from activity_stories")
        }
        counts.stories_checked = len(current)
        changed = {sid for sid, sig in current.items() if stored.get(sid, ("",))[0] != sig}
        gone = set(stored) - set(current)
        counts.stories_changed = len(changed) + len(gone)
        if not changed and not gone:
            return counts.as_dict()
        lex = lexicon_from_db(db, gazetteer)
        affected = {stored[s][1] for s in changed | gone if s in stored and stored[s][1]}
        to_read = set(changed)
        keys_done: set[str] = set()
        drafts: dict[int, Activity | None] = {}
        while True:  # close over activities: a story joining an edition brings its siblings
            to_read |= _stories_of(db, affected) - gone
            pending = sorted(s for s in to_read if s not in drafts)
            if not pending:
                break
            for part in story_batches(db, pending):
                arts = load_story_articles(db, part)
                for sid in part:
                    drafts[sid] = activity_for_story(sid, arts.get(sid, []), lex)
            new_keys = {a.key for a in drafts.values() if a is not None} - keys_done
            keys_done |= new_keys
            affected |= _activities_with_keys(db, new_keys)
        counts.stories_read = len(drafts)
        keep_ids = _write(db, [a for a in drafts.values() if a is not None], affected, lex)
        counts.activities_written = len(keep_ids)
        counts.activities_dropped = len(affected - set(keep_ids.values()))
        now = now_vn().replace(microsecond=0).isoformat()
        if gone:
            _delete_in(db, "activity_stories", "story_id", sorted(gone))
        for sid, act in drafts.items():
            db.execute(
                "insert or replace into activity_stories (story_id, activity_id, signature,"
                " computed_at) values (?, ?, ?, ?)",
                [sid, keep_ids.get(act.key) if act else None, current[sid], now],
            )
    return counts.as_dict()


def _delete_in(db: sqlite_utils.Database, table: str, column: str, ids: list) -> None:
    for chunk in _chunks(ids):
        marks = ",".join("?" for _ in chunk)
        db.execute(f"delete from {table} where {column} in ({marks})", chunk)


def _stories_of(db: sqlite_utils.Database, activity_ids: set[int]) -> set[int]:
    out: set[int] = set()
    for chunk in _chunks(sorted(activity_ids)):
        marks = ",".join("?" for _ in chunk)
        out |= {
            r[0]
            for r in db.execute(
                f"select story_id from activity_stories where activity_id in ({marks})", chunk
            )
        }
    return out


def _activities_with_keys(db: sqlite_utils.Database, keys: set[str]) -> set[int]:
    out: set[int] = set()
    keys_l = sorted(keys)
    for i in range(0, len(keys_l), 500):
        chunk = keys_l[i : i + 500]
        marks = ",".join("?" for _ in chunk)
        out |= {
            r[0] for r in db.execute(f"select id from activities where key in ({marks})", chunk)
        }
    return out


def _write(
    db: sqlite_utils.Database, drafts: list[Activity], affected: set[int], lex: Lexicon
) -> dict[str, int]:
    """Replace the affected activities with the merged drafts; keep ids by key."""
    merged = merge(drafts)
    old_ids = {
        r[1]: r[0]
        for r in db.execute("select id, key from activities")
        if r[0] in affected or r[1] in {a.key for a in merged}
    }
    ids = sorted(affected | set(old_ids.values()))
    _delete_in(db, "activity_facts", "activity_id", ids)
    db.execute("update activity_stories set activity_id = null where activity_id in (select value"
               " from json_each(?))", [json.dumps(ids)])  # fmt: skip
    _delete_in(db, "activities", "id", ids)
    now = now_vn().replace(microsecond=0).isoformat()
    out: dict[str, int] = {}
    for act in merged:
        row = activity_row(act, lex)
        row.update(extractor_version=EXTRACTOR_VERSION, computed_at=now)
        if act.key in old_ids:
            row["id"] = old_ids[act.key]
        aid = db["activities"].insert(row).last_pk
        out[act.key] = int(aid)
        db["activity_facts"].insert_all(fact_rows(aid, act.facts), columns=None)
    return out


def activity_row(act: Activity, lex: Lexicon) -> dict[str, Any]:
    levels = list(dict.fromkeys(lex.initiative_level.get(i, "") for i in act.initiative_ids))
    return {
        "key": act.key,
        "kind": act.kind,
        "title": act.title,
        "event_date": act.event_date,
        "event_end": act.event_end,
        "date_source": act.date_source,
        "year": act.year,
        "venue_id": act.venue_id,
        "venue_name": act.venue_name,
        "primary_initiative": act.primary_initiative,
        "initiative_ids": json.dumps(act.initiative_ids),
        "levels": json.dumps([lv for lv in levels if lv]),
        "organiser_ids": json.dumps(act.organiser_ids),
        "partner_ids": json.dumps(act.partner_ids),
        "agency_ids": json.dumps(act.agency_ids),
        "source_ids": json.dumps(act.source_ids),
        "story_count": len(act.story_ids),
        "article_count": len(act.article_ids),
        "outlet_count": len(act.source_ids),
        "first_article_id": act.first_article_id,
        "document": act.document,
        "edition": act.edition,
        "conflicts": json.dumps(act.conflicts),
    }


def fact_rows(activity_id: int, facts: list[Fact]) -> list[dict[str, Any]]:
    return [
        {
            "activity_id": activity_id,
            "field": f.field,
            "value": f.value,
            "unit": f.unit,
            "number": f.number,
            "counts": f.counts,
            "qualifier": f.qualifier,
            "label": f.label,
            "quote": f.quote,
            "article_id": f.article_id,
            "source_id": f.source_id,
            "text_field": f.text_field,
            "start": f.start,
            "end": f.end,
            "mention_start": f.mention_start,
            "mention_end": f.mention_end,
            "is_primary": int(f.primary),
        }
        for f in facts
    ]
