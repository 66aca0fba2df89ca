"""Stories: the same event across outlets, so a wire story republished five times counts once.

Two articles belong to one story when either
- their bodies are near-duplicates (syndicated copies, shortened copies, aggregator copies
  under a different headline and boilerplate): MinHash over word 3-shingles of the `fold`ed
  lead and text, compared by Jaccard *and* containment (a shortened copy holds only half of
  the original's shingles, so Jaccard alone misses it), published within `MAX_COPY_GAP_DAYS`;
- or they report the same event: published within `MAX_EVENT_GAP_DAYS`, similar headlines and
  some shared body text.
Look-alike events (the 2022, 2023 and 2024 festival openings) are kept apart by the date gap
and by a guard on explicit years in the headlines ("... năm 2023" vs "... năm 2024").

Incremental: every article's MinHash is stored in `story_signatures`, so tonight's articles are
matched against an LSH index rebuilt from the stored signatures of the articles published near
them, instead of reclustering everything. The earliest publication is the story's original
(`stories.first_article_id`). `stories.outlets` is a JSON array of source ids (stable ids, not
display names, so Datasette's `_facet_array` and saved queries keep working after a rename),
in order of first publication.

Known limit: when an updated article leaves its story, the story is not split again even if
that article was the only link between two groups; `ingest stories --rebuild` reclusters all.
"""

from __future__ import annotations

import bisect
import itertools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
import sqlite_utils
from datasketch import MinHash, MinHashLSH

from ..text.textnorm import fold

NUM_PERM = 128
# datasketch 2 needs the permutation scheme named when a MinHash is rebuilt from stored values;
# signatures of another scheme cannot be compared, so they are recomputed (see assign_stories).
SCHEME = "affine32"
_DTYPES = {"affine32": "<u4", "affine64": "<u8", "legacy": "<u8"}
SHINGLE_SIZE = 3
LSH_THRESHOLD = 0.2  # recall-oriented: every candidate is then checked by `score_pair`
MAX_COPY_GAP_DAYS = 30  # an aggregator can republish weeks later
MAX_EVENT_GAP_DAYS = 3  # same event, different reporting: the press covers it within days
DUPLICATE_JACCARD = 0.5
DUPLICATE_CONTAINMENT = 0.6
EVENT_TITLE_SIM = 0.5
EVENT_BODY_JACCARD = 0.1
MIN_SHINGLES = 5

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

_WORD = re.compile(r"\w+")
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")


# ---------------------------------------------------------------------------------------------
# Pure parts: documents, signatures, the pair rule and an in-memory index
# ---------------------------------------------------------------------------------------------


@dataclass
class StoryDoc:
    """What clustering needs from one article."""

    key: int | str
    title: str
    body: str  # lead + text
    published: datetime | None
    source_id: str = ""
    minhash: MinHash | None = None
    shingle_count: int = 0
    title_words: frozenset[str] = field(default_factory=frozenset)
    title_years: frozenset[str] = field(default_factory=frozenset)

    def prepare(self) -> StoryDoc:
        """Fill in the signature and headline features (idempotent)."""
        if self.minhash is None:
            sh = shingles(self.body)
            self.minhash = signature(sh)
            self.shingle_count = len(sh)
        folded_title = fold(self.title or "")
        self.title_words = frozenset(_WORD.findall(folded_title))
        self.title_years = frozenset(_YEAR.findall(folded_title))
        return self


def words(text: str) -> list[str]:
    """Folded syllables: copies differ in NFC/NFD, tone placement and case, never in words."""
    return _WORD.findall(fold(text or ""))


def shingles(text: str, k: int = SHINGLE_SIZE) -> set[str]:
    """Word k-shingles of the folded text (the words themselves for very short texts)."""
    w = words(text)
    if len(w) < k:
        return set(w)
    return {" ".join(w[i : i + k]) for i in range(len(w) - k + 1)}


def signature(items: Iterable[str], num_perm: int = NUM_PERM) -> MinHash:
    m = MinHash(num_perm=num_perm, scheme=SCHEME)
    m.update_batch([s.encode("utf-8") for s in items])
    return m


def minhash_to_blob(m: MinHash) -> bytes:
    return np.asarray(m.hashvalues, dtype=_DTYPES[SCHEME]).tobytes()


def minhash_from_blob(blob: bytes, scheme: str = SCHEME) -> MinHash:
    dtype = np.dtype(_DTYPES[scheme])
    values = np.frombuffer(blob, dtype=dtype).astype(dtype.newbyteorder("="))
    return MinHash(num_perm=len(values), hashvalues=values, scheme=scheme)


def containment(jaccard: float, size_a: int, size_b: int) -> float:
    """|A∩B| / min(|A|,|B|) estimated from Jaccard and the set sizes."""
    if min(size_a, size_b) == 0:
        return 0.0
    inter = jaccard * (size_a + size_b) / (1.0 + jaccard)
    return min(1.0, inter / min(size_a, size_b))


def title_similarity(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def parse_published(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


_VN = timezone(timedelta(hours=7))


def _timestamp(dt: datetime) -> float:
    """Seconds since the epoch; a date without a zone is taken as Hanoi time."""
    return (dt if dt.tzinfo else dt.replace(tzinfo=_VN)).timestamp()


def gap_days(a: datetime | None, b: datetime | None) -> float | None:
    if a is None or b is None:
        return None
    return abs(_timestamp(a) - _timestamp(b)) / 86400.0


@dataclass(frozen=True)
class PairScore:
    jaccard: float
    containment: float
    title_sim: float
    gap_days: float | None
    same: bool
    reason: str


def score_pair(a: StoryDoc, b: StoryDoc) -> PairScore:
    """Decide whether two prepared documents are one story, and say why."""
    assert a.minhash is not None and b.minhash is not None
    j = float(a.minhash.jaccard(b.minhash))
    c = containment(j, a.shingle_count, b.shingle_count)
    t = title_similarity(a.title_words, b.title_words)
    gap = gap_days(a.published, b.published)

    def out(same: bool, reason: str) -> PairScore:
        return PairScore(j, c, t, gap, same, reason)

    if a.title_years and b.title_years and not (a.title_years & b.title_years):
        return out(False, "different years in the headlines")
    if gap is not None and gap > MAX_COPY_GAP_DAYS:
        return out(False, "published too far apart")
    enough = min(a.shingle_count, b.shingle_count) >= MIN_SHINGLES
    if enough and (j >= DUPLICATE_JACCARD or c >= DUPLICATE_CONTAINMENT):
        return out(True, "near-duplicate text")
    if (
        gap is not None
        and gap <= MAX_EVENT_GAP_DAYS
        and t >= EVENT_TITLE_SIM
        and j >= EVENT_BODY_JACCARD
    ):
        return out(True, "same event: close dates, similar headlines")
    return out(False, "different text")


class StoryIndex:
    """Prepared documents with an LSH index; `match` lists the keys of the same story.

    Documents are also kept in publication order, so the same-event window is a bisect, not a
    scan: a full rebuild stays O(n · articles per week) rather than O(n²).
    """

    def __init__(self, threshold: float = LSH_THRESHOLD, num_perm: int = NUM_PERM) -> None:
        self.lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self.docs: dict[Any, StoryDoc] = {}
        self._timeline: list[tuple[float, int]] = []  # (timestamp, sequence number)
        self._seq_key: dict[int, Any] = {}
        self._key_pos: dict[Any, tuple[float, int]] = {}
        self._seq = itertools.count()

    def add(self, doc: StoryDoc) -> None:
        doc.prepare()
        if doc.key in self.docs:
            self.lsh.remove(doc.key)
            old = self._key_pos.pop(doc.key, None)
            if old is not None:
                i = bisect.bisect_left(self._timeline, old)
                del self._timeline[i]
                del self._seq_key[old[1]]
        self.docs[doc.key] = doc
        self.lsh.insert(doc.key, doc.minhash)
        if doc.published is not None:
            entry = (_timestamp(doc.published), next(self._seq))
            bisect.insort(self._timeline, entry)
            self._seq_key[entry[1]] = doc.key
            self._key_pos[doc.key] = entry

    def candidates(self, doc: StoryDoc) -> set[Any]:
        """LSH neighbours plus every document published within the same-event window."""
        doc.prepare()
        found = set(self.lsh.query(doc.minhash))
        if doc.published is not None:
            ts = _timestamp(doc.published)
            span = MAX_EVENT_GAP_DAYS * 86400.0
            lo = bisect.bisect_left(self._timeline, (ts - span, -1))
            hi = bisect.bisect_right(self._timeline, (ts + span, float("inf")))
            found.update(self._seq_key[seq] for _, seq in self._timeline[lo:hi])
        found.discard(doc.key)
        return found

    def match(self, doc: StoryDoc) -> list[Any]:
        return sorted(
            (k for k in self.candidates(doc) if score_pair(doc, self.docs[k]).same), key=str
        )


def cluster(docs: Iterable[StoryDoc]) -> dict[Any, Any]:
    """Pure clustering of a batch: key → the key of its story's original (earliest) document."""
    ordered = sorted(docs, key=_publication_order)
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
                first, second = sorted((ra, rb), key=lambda k: _publication_order(by_key[k]))
                parent[second] = first
        index.add(doc)
    return {k: find(k) for k in parent}


def _publication_order(doc: StoryDoc) -> tuple[str, str]:
    return (doc.published.isoformat() if doc.published else "9999", str(doc.key))


def pair_metrics(predicted: dict[Any, Any], truth: dict[Any, Any]) -> dict[str, float]:
    """Pairwise precision and recall of a clustering against gold story keys."""
    keys = sorted(set(predicted) & set(truth), key=str)
    tp = fp = fn = 0
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            p = predicted[a] == predicted[b]
            t = truth[a] == truth[b]
            tp += p and t
            fp += p and not t
            fn += t and not p
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return {"precision": precision, "recall": recall, "tp": tp, "fp": fp, "fn": fn}


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


def _stored_docs(
    db: sqlite_utils.Database, lo: str | None, hi: str | None, exclude: set[int]
) -> list[tuple[StoryDoc, int]]:
    """Stored signatures published in [lo, hi] (or undated), with their story ids."""
    sql = (
        "select s.article_id, s.story_id, s.minhash, s.shingle_count, s.published, a.title,"
        " a.source_id from story_signatures s join articles a on a.id = s.article_id"
        " where s.story_id is not null and s.scheme = ? and s.num_perm = ?"
    )
    params: list[Any] = [SCHEME, NUM_PERM]
    if lo is not None and hi is not None:
        sql += " and (s.published is null or s.published between ? and ?)"
        params += [lo, hi]
    out = []
    for r in db.query(sql, params):
        if r["article_id"] in exclude:
            continue
        doc = StoryDoc(
            key=r["article_id"],
            title=r["title"] or "",
            body="",
            published=parse_published(r["published"]),
            source_id=r["source_id"] or "",
            minhash=minhash_from_blob(r["minhash"]),
            shingle_count=r["shingle_count"],
        )
        out.append((doc.prepare(), r["story_id"]))
    return out


def _window(docs: list[StoryDoc]) -> tuple[str | None, str | None]:
    dates = [d.published for d in docs if d.published is not None]
    if not dates or len(dates) < len(docs):
        return None, None  # an undated article may match anything: load everything
    pad = timedelta(days=MAX_COPY_GAP_DAYS + 1)
    return (min(dates) - pad).isoformat(), (max(dates) + pad).isoformat()


def pending_articles(db: sqlite_utils.Database) -> list[int]:
    """Articles that need a story: none yet, no usable signature, or text changed since."""
    return [
        r[0]
        for r in db.execute(
            "select a.id from articles a left join story_signatures s on s.article_id = a.id"
            " where a.story_id is null or s.article_id is null or s.scheme != ?"
            " or s.num_perm != ? or coalesce(s.content_sha256, '') != coalesce(a.content_sha256, '')"
            " order by a.published, a.id",
            [SCHEME, NUM_PERM],
        ).fetchall()
    ]


def _chunks(ids: list[int], size: int = 500) -> list[list[int]]:
    """SQLite limits bound parameters per statement; a rebuild lists every article."""
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def assign_stories(db: sqlite_utils.Database, article_ids: list[int] | None = None) -> dict:
    """Give the listed (new or updated) articles a story, joining existing stories when they match.

    `article_ids=None` picks them itself: every article without a story or signature, and every
    article whose text changed since it was signed (its `content_sha256` differs), so the flow
    can simply call `assign_stories(db)` after each batch. Returns counts:
    {"assigned", "new_stories", "joined", "merged", "stories_touched"}.
    """
    ensure_tables(db)
    with db.atomic():
        if article_ids is None:
            article_ids = pending_articles(db)
        ids = sorted(set(int(i) for i in article_ids))
        counts = {"assigned": 0, "new_stories": 0, "joined": 0, "merged": 0}
        if not ids:
            return {**counts, "stories_touched": 0}
        touched: set[int] = set()
        new_docs: list[StoryDoc] = []
        digests: dict[int, str | None] = {}
        for chunk in _chunks(ids):
            marks = ",".join("?" for _ in chunk)
            # detach: an updated article is matched afresh
            for (old,) in db.execute(
                f"select distinct story_id from articles where id in ({marks})"
                " and story_id is not null",
                chunk,
            ).fetchall():
                touched.add(old)
            db.execute(f"update articles set story_id = null where id in ({marks})", chunk)
            db.execute(f"delete from story_signatures where article_id in ({marks})", chunk)
            for r in db.query(
                "select id, title, lead, text, published, source_id, content_sha256"
                f" from articles where id in ({marks})",
                chunk,
            ):
                doc = _doc_from_row(r).prepare()
                doc.body = ""  # only the signature is needed from here on
                new_docs.append(doc)
                digests[r["id"]] = r["content_sha256"]
        new_docs.sort(key=_publication_order)
        lo, hi = _window(new_docs)
        index = StoryIndex()
        story_of: dict[int, int] = {}
        for doc, sid in _stored_docs(db, lo, hi, set(ids)):
            index.add(doc)
            story_of[doc.key] = sid

        for doc in new_docs:
            matches = index.match(doc)
            stories = sorted({story_of[k] for k in matches})
            if not stories:
                sid = db["stories"].insert({"title": doc.title, "article_count": 0}).last_pk
                counts["new_stories"] += 1
            else:
                sid = stories[0]
                counts["joined"] += 1
                for other in stories[1:]:
                    _merge(db, other, sid, story_of)
                    touched.discard(other)
                    counts["merged"] += 1
            story_of[doc.key] = sid
            touched.add(sid)
            index.add(doc)
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
                    digests.get(doc.key),
                ],
            )
            db.execute("update articles set story_id = ? where id = ?", [sid, doc.key])
            counts["assigned"] += 1
        for sid in sorted(touched):
            refresh_story(db, sid)
    return {**counts, "stories_touched": len(touched)}


def _merge(db: sqlite_utils.Database, src: int, dest: int, story_of: dict[int, int]) -> None:
    """Fold story `src` into `dest` (an article bridged them); `src` is deleted."""
    db.execute("update articles set story_id = ? where story_id = ?", [dest, src])
    db.execute("update story_signatures set story_id = ? where story_id = ?", [dest, src])
    db.execute("delete from stories where id = ?", [src])
    for k, v in story_of.items():
        if v == src:
            story_of[k] = dest


def refresh_story(db: sqlite_utils.Database, story_id: int) -> None:
    """Recompute one story row from its articles; delete it when it has none left."""
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
