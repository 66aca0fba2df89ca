"""Stories: the same event across outlets, so a wire story republished five times counts once.

The pair rule (near-duplicate text, or the same event reported within days) is in
`story_match`; the index that finds the candidates is `story_index`. This module clusters a
batch of documents (`cluster`) and keeps the stories of the database (`assign_stories`).

Incremental: every article's MinHash is stored in `story_signatures`, so tonight's articles are
matched against the stored signatures of the articles published near them instead of
reclustering everything. A `StoryAssigner` keeps its index between batches: the nightly flow
holds one for the whole run, so a batch costs its own articles, whatever the size of the
archive; it loads stored signatures the first time a batch needs them (those published within
`MAX_COPY_GAP_DAYS` of it, and the undated ones; all of them once an undated article has to be
matched). The earliest publication is the story's original (`stories.first_article_id`).
`stories.outlets` is a JSON array of source ids (stable ids, not display names, so Datasette's
`_facet_array` and saved queries keep working after a rename), in order of first publication.
A story row is updated from what changed (its count, and each outlet's first article looked up
in the index on `articles(story_id, source_id, published)`), never by reading all its articles:
templated pages can make one story of thousands.

Known limit: when an updated article leaves its story, the story is not split again even if
that article was the only link between two groups; `ingest stories --rebuild` reclusters all.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import numpy as np
import sqlite_utils

from .story_index import StoryIndex
from .story_match import (
    DUPLICATE_CONTAINMENT,
    DUPLICATE_JACCARD,
    EVENT_BODY_JACCARD,
    EVENT_TITLE_SIM,
    LSH_THRESHOLD,
    MAX_COPY_GAP_DAYS,
    MAX_EVENT_GAP_DAYS,
    MIN_SHINGLES,
    NUM_PERM,
    SCHEME,
    SHINGLE_SIZE,
    PairScore,
    StoryDoc,
    containment,
    gap_days,
    minhash_from_blob,
    minhash_to_blob,
    pair_metrics,
    parse_published,
    publication_order,
    score_pair,
    shingles,
    signature,
    timestamp,
    title_similarity,
    values_from_blob,
    words,
)

__all__ = [
    "DUPLICATE_CONTAINMENT",
    "DUPLICATE_JACCARD",
    "EVENT_BODY_JACCARD",
    "EVENT_TITLE_SIM",
    "LSH_THRESHOLD",
    "MAX_COPY_GAP_DAYS",
    "MAX_EVENT_GAP_DAYS",
    "MIN_SHINGLES",
    "NUM_PERM",
    "SCHEME",
    "SHINGLE_SIZE",
    "PairScore",
    "StoryAssigner",
    "StoryDoc",
    "StoryIndex",
    "assign_stories",
    "cluster",
    "containment",
    "gap_days",
    "minhash_from_blob",
    "minhash_to_blob",
    "pair_metrics",
    "parse_published",
    "pending_articles",
    "rebuild_stories",
    "refresh_story",
    "score_pair",
    "shingles",
    "signature",
    "title_similarity",
    "words",
]

SIGNATURES_SQL = """create table if not exists story_signatures (
    article_id integer primary key references articles(id),
    story_id integer references stories(id),
    minhash blob not null,        -- num_perm little-endian hash values (uint32 for affine32)
    shingle_count integer not null,
    published text,
    num_perm integer not null,
    scheme text not null,         -- datasketch permutation scheme
    content_sha256 text)          -- articles.content_sha256 when signed: a change re-matches"""
SIGNATURES_INDEX_SQL = (
    "create index if not exists idx_story_signatures_published on story_signatures(published)",
    "create index if not exists idx_story_signatures_story_id on story_signatures(story_id)",
)

# Columns added after the first version of the table; rows without them count as stale.
_LATER_COLUMNS = {"scheme": "text not null default ''", "content_sha256": "text"}


def cluster(docs: Iterable[StoryDoc]) -> dict[Any, Any]:
    """Pure clustering of a batch: key → the key of its story's original (earliest) document."""
    ordered = sorted(docs, key=publication_order)
    by_key = {d.key: d for d in ordered}
    parent: dict[Any, Any] = {}

    def find(k: Any) -> Any:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    index = StoryIndex()
    for doc in ordered:
        parent[doc.key] = doc.key
        for other in index.match(doc):
            ra, rb = find(doc.key), find(other)
            if ra != rb:
                # the root is always the earlier document: `ordered` is in publication order
                first, second = sorted((ra, rb), key=lambda k: publication_order(by_key[k]))
                parent[second] = first
        index.add(doc)
    return {k: find(k) for k in parent}


# ---------------------------------------------------------------------------------------------
# Database side: incremental assignment
# ---------------------------------------------------------------------------------------------


def ensure_tables(db: sqlite_utils.Database) -> None:
    """Until `ingest.store.db` has the migration, create the signatures table on first use."""
    db.execute(SIGNATURES_SQL)
    have = {r[1] for r in db.execute("pragma table_info(story_signatures)").fetchall()}
    for column, decl in _LATER_COLUMNS.items():
        if column not in have:  # a table created by an earlier version: signatures re-made
            db.execute(f"alter table story_signatures add column {column} {decl}")
    for sql in SIGNATURES_INDEX_SQL:
        db.execute(sql)


def _doc_from_row(row: dict[str, Any]) -> StoryDoc:
    body = "\n".join(p for p in (row.get("lead") or "", row.get("text") or "") if p)
    return StoryDoc(
        key=row["id"],
        title=row.get("title") or "",
        body=body,
        published=parse_published(row.get("published")),
        source_id=row.get("source_id") or "",
    )


def _window(docs: list[StoryDoc]) -> tuple[str | None, str | None]:
    """Publication dates (ISO text, as stored) a batch can match; None: it needs everything."""
    dates = [d.published for d in docs if d.published is not None]
    if not dates or len(dates) < len(docs):
        return None, None  # an undated article may match anything: load everything
    pad = timedelta(days=MAX_COPY_GAP_DAYS + 1)
    return (min(dates) - pad).isoformat(), (max(dates) + pad).isoformat()


_PENDING_WHERE = (
    "(a.story_id is null or s.article_id is null or s.scheme != ? or s.num_perm != ?"
    " or coalesce(s.content_sha256, '') != coalesce(a.content_sha256, ''))"
)


def pending_articles(db: sqlite_utils.Database) -> list[int]:
    """Articles that need a story: none yet, no usable signature, or text changed since."""
    return [
        r[0]
        for r in db.execute(
            "select a.id from articles a left join story_signatures s on s.article_id = a.id"
            f" where {_PENDING_WHERE} order by a.published, a.id",
            [SCHEME, NUM_PERM],
        ).fetchall()
    ]


def _pending_among(db: sqlite_utils.Database, ids: list[int]) -> list[int]:
    """`pending_articles` restricted to these ids (a batch's articles: no scan of the table)."""
    out: list[int] = []
    for chunk in _chunks(sorted(set(ids))):
        marks = ",".join("?" for _ in chunk)
        out += [
            r[0]
            for r in db.execute(
                "select a.id from articles a left join story_signatures s on s.article_id = a.id"
                f" where a.id in ({marks}) and {_PENDING_WHERE}",
                [*chunk, SCHEME, NUM_PERM],
            )
        ]
    return out


def _chunks(ids: list[int], size: int = 500) -> list[list[int]]:
    """SQLite limits bound parameters per statement; a rebuild lists every article."""
    return [ids[i : i + size] for i in range(0, len(ids), size)]


class _Book:
    """The touched stories' article counts and outlets as this assignment changes them, from
    their stored rows: what `refresh_story` would read from every member, kept as deltas."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.count: dict[int, int] = {}
        self.outlets: dict[int, set[str]] = {}

    def _open(self, sid: int) -> None:
        if sid in self.count:
            return
        row = self.db.execute(
            "select article_count, outlets from stories where id = ?", [sid]
        ).fetchone()
        self.count[sid] = int(row[0] or 0) if row else 0
        self.outlets[sid] = set(json.loads(row[1] or "[]")) if row else set()

    def add(self, sid: int, n: int, source: str | None = None) -> None:
        self._open(sid)
        self.count[sid] += n
        if source is not None:
            self.outlets[sid].add(source)

    def merge(self, src: int, dest: int) -> None:
        self._open(src)
        self._open(dest)
        self.count[dest] += self.count.pop(src)
        self.outlets[dest] |= self.outlets.pop(src)


class StoryAssigner:
    """The stories of one database, with the index of its stored signatures kept between calls.

    Valid while this process is the only one assigning stories (the nightly flow holds the
    writer lock and one assigner for the run); after a failed assignment it starts afresh.
    """

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.expected: list[int] | None = None  # the next batch's articles (`expect`)
        self._tables = False
        self._reset()

    def expect(self, article_ids: Iterable[int]) -> None:
        """The articles the next `assign_stories(db)` looks at (see `kept_index`)."""
        self.expected = [int(i) for i in article_ids]

    def _reset(self) -> None:
        self.index = StoryIndex()
        self._story: dict[int, int] = {}  # article id -> story id when indexed
        self._alias: dict[int, int] = {}  # merged story -> the story it went into
        self._span: tuple[str, str] | None = None  # dated signatures loaded: [lo, hi]
        self._all_dated = False
        self._undated = False
        self._top_sid = 0  # the highest story id this assigner made or merged away

    def story_of(self, key: int) -> int:
        sid = self._story[key]
        while sid in self._alias:
            sid = self._alias[sid]
        self._story[key] = sid
        return sid

    # --- loading stored signatures ------------------------------------------------------

    def _load(self, docs: list[StoryDoc]) -> None:
        lo, hi = _window(docs)
        where: list[tuple[str, list[Any]]] = []
        if not self._undated:
            where.append(("s.published is null", []))
            self._undated = True
        if not self._all_dated:
            if lo is None or hi is None:
                if self._span is None:
                    where.append(("s.published is not null", []))
                else:
                    where.append(("(s.published < ? or s.published > ?)", list(self._span)))
                self._all_dated = True
            elif self._span is None:
                where.append(("s.published between ? and ?", [lo, hi]))
                self._span = (lo, hi)
            else:
                span_lo, span_hi = self._span
                if lo < span_lo:
                    where.append(("s.published >= ? and s.published < ?", [lo, span_lo]))
                if hi > span_hi:
                    where.append(("s.published > ? and s.published <= ?", [span_hi, hi]))
                self._span = (min(lo, span_lo), max(hi, span_hi))
        for clause, params in where:
            self._load_where(clause, params)

    def _load_where(self, clause: str, params: list[Any]) -> None:
        rows = self.db.execute(
            "select s.article_id, s.story_id, s.minhash, s.shingle_count, s.published, a.title"
            " from story_signatures s join articles a on a.id = s.article_id"
            f" where s.story_id is not null and s.scheme = ? and s.num_perm = ? and {clause}",
            [SCHEME, NUM_PERM, *params],
        ).fetchall()
        if not rows:
            return
        hv = np.stack([values_from_blob(r[2]) for r in rows]).astype(np.uint32)
        stamps = []
        for r in rows:
            when = parse_published(r[4])
            stamps.append(None if when is None else timestamp(when))
        keys = [r[0] for r in rows]
        self._story.update((r[0], r[1]) for r in rows)
        self.index.add_many(keys, hv, [r[5] or "" for r in rows], stamps, [r[3] for r in rows])

    # --- assignment ---------------------------------------------------------------------

    def assign(self, article_ids: list[int] | None = None, *, only_pending: bool = False) -> dict:
        """Give the listed (new or updated) articles a story, joining existing stories when
        they match; see `assign_stories`. `only_pending` skips listed articles whose story and
        signature are up to date (the flow lists a whole batch, unchanged pages included)."""
        if not self._tables:
            ensure_tables(self.db)
            self._tables = True
        try:
            with self.db.atomic():
                if article_ids is None:
                    ids = pending_articles(self.db)
                elif only_pending:
                    ids = _pending_among(self.db, [int(i) for i in article_ids])
                else:
                    ids = sorted({int(i) for i in article_ids})
                return self._assign(ids)
        except BaseException:
            self._reset()  # the transaction rolled back: what the index holds may not be stored
            raise

    def _detach(self, ids: list[int], book: _Book, touched: set[int]) -> list[StoryDoc]:
        """Take the articles out of their stories (an updated article is matched afresh) and
        read what matching needs from them."""
        db = self.db
        docs: list[StoryDoc] = []
        self._digests: dict[int, str | None] = {}
        for chunk in _chunks(ids):
            marks = ",".join("?" for _ in chunk)
            for old, n in db.execute(
                f"select story_id, count(*) from articles where id in ({marks})"
                " and story_id is not null group by story_id",
                chunk,
            ).fetchall():
                touched.add(old)
                book.add(old, -n)
            db.execute(f"update articles set story_id = null where id in ({marks})", chunk)
            db.execute(f"delete from story_signatures where article_id in ({marks})", chunk)
            for r in db.query(
                "select id, title, lead, text, published, source_id, content_sha256"
                f" from articles where id in ({marks})",
                chunk,
            ):
                doc = _doc_from_row(r).prepare()
                doc.body = ""  # only the signature is needed from here on
                docs.append(doc)
                self._digests[r["id"]] = r["content_sha256"]
        for i in ids:
            self.index.remove(i)
            self._story.pop(i, None)
        docs.sort(key=publication_order)
        return docs

    def _assign(self, ids: list[int]) -> dict:
        db = self.db
        counts = {"assigned": 0, "new_stories": 0, "joined": 0, "merged": 0}
        if not ids:
            return {**counts, "stories_touched": 0}
        book = _Book(db)
        touched: set[int] = set()
        new_docs = self._detach(ids, book, touched)
        self._load(new_docs)
        for doc in new_docs:
            stories = sorted({self.story_of(k) for k in self.index.match(doc)})
            if not stories:
                sid = self._new_story(doc.title)
                counts["new_stories"] += 1
            else:
                sid = stories[0]
                counts["joined"] += 1
                for other in stories[1:]:
                    self._merge(other, sid, book)
                    touched.discard(other)
                    counts["merged"] += 1
            self._story[doc.key] = sid
            touched.add(sid)
            book.add(sid, 1, doc.source_id)
            self.index.add(doc)
            assert doc.minhash is not None
            db.execute(
                "insert or replace into story_signatures (article_id, story_id, minhash,"
                " shingle_count, published, num_perm, scheme, content_sha256)"
                " values (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    doc.key,
                    sid,
                    minhash_to_blob(doc.minhash),
                    doc.shingle_count,
                    doc.published.isoformat() if doc.published else None,
                    NUM_PERM,
                    SCHEME,
                    self._digests.get(doc.key),
                ],
            )
            db.execute("update articles set story_id = ? where id = ?", [sid, doc.key])
            counts["assigned"] += 1
        for sid in sorted(touched):
            _update_story(db, sid, book.count.get(sid, 0), book.outlets.get(sid, set()))
        return {**counts, "stories_touched": len(touched)}

    def _new_story(self, title: str) -> int:
        """A new story's id: never one a merge retired while this assigner remembers it (SQLite
        would hand out a deleted highest id again, and the index would read it as the story
        it was merged into)."""
        top = self.db.execute("select max(id) from stories").fetchone()[0] or 0
        sid = max(top, self._top_sid) + 1
        self.db.execute(
            "insert into stories (id, title, article_count) values (?, ?, 0)", [sid, title]
        )
        self._top_sid = sid
        return sid

    def _merge(self, src: int, dest: int, book: _Book) -> None:
        """Fold story `src` into `dest` (an article bridged them); `src` is deleted."""
        book.merge(src, dest)  # before the row goes: its count is read from it
        db = self.db
        db.execute("update articles set story_id = ? where story_id = ?", [dest, src])
        db.execute("update story_signatures set story_id = ? where story_id = ?", [dest, src])
        db.execute("delete from stories where id = ?", [src])
        self._alias[src] = dest
        self._top_sid = max(self._top_sid, src)


_KEPT: dict[int, StoryAssigner] = {}


@contextmanager
def kept_index(db: sqlite_utils.Database) -> Iterator[StoryAssigner]:
    """Within this block, `assign_stories(db)` uses one assigner, so its index is loaded once
    for all of a run's batches; `expect(ids)` on it limits the next call to those articles
    (a batch's), else the call looks for every pending article as usual."""
    assigner = StoryAssigner(db)
    _KEPT[id(db)] = assigner
    try:
        yield assigner
    finally:
        _KEPT.pop(id(db), None)


def assign_stories(db: sqlite_utils.Database, article_ids: list[int] | None = None) -> dict:
    """Give the listed (new or updated) articles a story, joining existing stories when they match.

    `article_ids=None` picks them itself: every article without a story or signature, and every
    article whose text changed since it was signed (its `content_sha256` differs), so the flow
    can simply call `assign_stories(db)` after each batch (inside `kept_index`, only the
    batch's articles are looked at). Returns counts:
    {"assigned", "new_stories", "joined", "merged", "stories_touched"}.
    """
    kept = _KEPT.get(id(db))
    if kept is None or kept.db is not db:
        return StoryAssigner(db).assign(article_ids)
    if article_ids is None and kept.expected is not None:
        expected, kept.expected = kept.expected, None
        return kept.assign(expected, only_pending=True)
    return kept.assign(article_ids)


def _outlet_first(db: sqlite_utils.Database, sid: int, source: str) -> tuple[str, int] | None:
    """The outlet's first article in the story, by (coalesce(published, '9999'), id), through
    the index on (story_id, source_id, published): two lookups, whatever the story's size."""
    row = db.execute(
        "select published, id from articles where story_id = ? and source_id = ?"
        " and published is not null order by published, id limit 1",
        [sid, source],
    ).fetchone()
    if row is not None:
        return row[0], row[1]
    row = db.execute(
        "select id from articles where story_id = ? and source_id = ? and published is null"
        " order by id limit 1",
        [sid, source],
    ).fetchone()
    return None if row is None else ("9999", row[0])


def _update_story(db: sqlite_utils.Database, sid: int, count: int, outlets: set[str]) -> None:
    """The story row as `refresh_story` computes it, from the count and the candidate outlets."""
    firsts = sorted(
        (first, source)
        for source in outlets
        if (first := _outlet_first(db, sid, source)) is not None
    )
    if count <= 0 or not firsts:
        db.execute("delete from stories where id = ?", [sid])
        return
    (_, first_id), _ = firsts[0]
    title, published = db.execute(
        "select title, published from articles where id = ?", [first_id]
    ).fetchone()
    outlet_ids = [source for _, source in firsts]
    db.execute(
        "insert into stories (id, title, first_published, first_article_id, outlets,"
        " outlet_count, article_count) values (?, ?, ?, ?, ?, ?, ?)"
        " on conflict(id) do update set title = excluded.title,"
        " first_published = excluded.first_published,"
        " first_article_id = excluded.first_article_id, outlets = excluded.outlets,"
        " outlet_count = excluded.outlet_count, article_count = excluded.article_count",
        [sid, title, published, first_id, json.dumps(outlet_ids), len(outlet_ids), count],
    )


def refresh_story(db: sqlite_utils.Database, story_id: int) -> None:
    """Recompute one story row from all its articles; delete it when it has none left (the
    reference `_update_story` is checked against)."""
    members = list(
        db.query(
            "select id, title, published, source_id from articles where story_id = ?"
            " order by coalesce(published, '9999'), id",
            [story_id],
        )
    )
    if not members:
        db.execute("delete from stories where id = ?", [story_id])
        return
    first = members[0]
    outlets: list[str] = []
    for m in members:
        if m["source_id"] not in outlets:
            outlets.append(m["source_id"])
    db["stories"].upsert(
        {
            "id": story_id,
            "title": first["title"],
            "first_published": first["published"],
            "first_article_id": first["id"],
            "outlets": json.dumps(outlets),
            "outlet_count": len(outlets),
            "article_count": len(members),
        },
        pk="id",
    )


def rebuild_stories(db: sqlite_utils.Database) -> dict:
    """Forget every story and signature and cluster the whole table again."""
    ensure_tables(db)
    with db.atomic():
        db.execute("update articles set story_id = null")
        db.execute("delete from story_signatures")
        db.execute("delete from stories")
        ids = [r[0] for r in db.execute("select id from articles order by published, id")]
        return assign_stories(db, ids)
