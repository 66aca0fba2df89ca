"""The knowledge-base schema, its migrations, and idempotent loading.

Researchers rely on table and column names, so the schema only grows through migrations
(sqlite-utils `Migrations`), never by ad-hoc `alter=True` at load time.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import sqlite_utils
from sqlite_utils.migrations import Migrations

from ..text.fastfold import fast_fold
from ..text.textnorm import fold, nfc

migrations = Migrations("hanoi_kb")

FTS_TABLE = "articles_fts"
FTS_TOKENIZE = "unicode61 remove_diacritics 2"
# The one folded copy of each article (title, lead, text folded apart, so the index can weigh
# a title hit above a body hit); `articles_fts` reads it through FOLDED_VIEW.
FOLDED_TABLE = "articles_fts_folded"
FOLDED_VIEW = "articles_fts_docs"


@migrations()
def m001_core(db: sqlite_utils.Database) -> None:
    db.execute(
        """create table sources (
            id text primary key, name text not null, kind text not null, home text not null,
            language text, enabled integer default 1)"""
    )
    db.execute(
        """create table initiatives (
            id text primary key, name_vi text not null, name_en text not null,
            kind text not null,          -- initiative | topic
            level text, parent text, description text)"""
    )
    db.execute(
        """create table agencies (
            id text primary key, name_vi text not null, name_en text not null,
            level text, parent text, description text)"""
    )
    db.execute(
        """create table stories (
            id integer primary key, title text, first_published text, first_article_id integer,
            outlets text, outlet_count integer default 0, article_count integer default 0)"""
    )
    db.execute(
        """create table articles (
            id integer primary key,
            url text not null unique,
            canonical_url text,
            source_id text not null references sources(id),
            source_kind text,            -- copied from sources.kind for faceting
            title text, lead text, text text, author text,
            published text,              -- ISO 8601 with +07:00
            published_date text,         -- YYYY-MM-DD, for date facets and ranges
            published_month text,        -- YYYY-MM
            published_year integer,
            fetched_at text, language text,
            relevant integer not null default 0,
            relevance_score real,
            content_sha256 text,         -- of the extracted title+lead+text
            http_status integer,
            raw_sha256 text,             -- of the raw response body, as archived
            warc_file text, warc_offset integer, warc_record_id text,
            extractor_version text, tagger_version text,
            field_sources text,          -- JSON: which signal each field came from
            initiative_ids text not null default '[]',  -- JSON array, for _facet_array
            agency_ids text not null default '[]',      -- JSON array, for _facet_array
            story_id integer references stories(id),
            first_seen text, updated_at text)"""
    )
    for col in ("source_id", "published_date", "relevant", "story_id", "canonical_url"):
        db.execute(f"create index idx_articles_{col} on articles({col})")
    for table, ref, label in (
        ("article_initiatives", "initiatives", "initiative_id"),
        ("article_agencies", "agencies", "agency_id"),
    ):
        db.execute(
            f"""create table {table} (
                article_id integer not null references articles(id),
                {label} text not null references {ref}(id),
                evidence text not null,      -- exact sentence from the article
                field text not null,         -- title | lead | text
                start integer not null, "end" integer not null,  -- offsets in that field
                rule text, tagger_version text,
                primary key (article_id, {label}))"""
        )
        db.execute(f"create index idx_{table}_{label} on {table}({label})")
    db.execute(
        """create table runs (
            id text primary key, started_at text, finished_at text, status text,
            sources integer, discovered integer default 0, fetched integer default 0,
            not_modified integer default 0, extracted integer default 0, new integer default 0,
            updated integer default 0, relevant integer default 0, failed integer default 0,
            skipped_robots integer default 0, duration_s real, message text)"""
    )
    db.execute(
        """create table source_runs (
            run_id text not null references runs(id), source_id text not null references sources(id),
            started_at text, discovered integer default 0, fetched integer default 0,
            not_modified integer default 0, new integer default 0, updated integer default 0,
            relevant integer default 0, failed integer default 0, skipped_robots integer default 0,
            out_of_scope integer default 0, requests integer default 0,
            duration_s real, status text, health text, error_summary text,
            primary key (run_id, source_id))"""
    )
    db.execute(
        """create table frontier (
            url text primary key, source_id text not null, first_seen text, last_seen text,
            found_via text, state text not null default 'new',
            -- new | fetched | not_modified | failed | quarantined | robots | out_of_scope
            lastmod text, attempts integer default 0, last_status integer, last_error text,
            next_try text, article_id integer)"""
    )
    db.execute("create index idx_frontier_state on frontier(source_id, state)")
    db.execute(
        """create table http_cache (
            url text primary key, etag text, last_modified text, body_sha256 text,
            checked_at text)"""
    )
    db.execute(
        """create table quarantine (
            url text primary key, source_id text, reason text, status integer,
            first_failed text, last_failed text, failures integer default 1, retry_after text)"""
    )
    db.execute(
        f"""create virtual table {FTS_TABLE} using fts5(
            title, lead, text, folded, tokenize = "{FTS_TOKENIZE}")"""
    )


@migrations()
def m002_backfill_progress(db: sqlite_utils.Database) -> None:
    """Where each backfill walker (sitemaps, a listing, a search query) stopped, per source."""
    db.execute(
        """create table backfill_progress (
            source_id text not null, walker text not null, state text not null,
            since text, updated_at text, primary key (source_id, walker))"""
    )


@migrations()
def m003_facet_indexes(db: sqlite_utils.Database) -> None:
    """Facet columns researchers filter on most; halves the articles page at 100k rows."""
    for col in ("source_kind", "published_month", "published_year"):
        db.execute(f"create index if not exists idx_articles_{col} on articles({col})")


@migrations()
def m004_story_signatures(db: sqlite_utils.Database) -> None:
    """MinHash signatures kept per article, so tonight's articles join existing stories without
    reclustering everything (`if not exists`: older builds created it lazily)."""
    db.execute(
        """create table if not exists story_signatures (
            article_id integer primary key references articles(id),
            story_id integer references stories(id),
            minhash blob not null, shingle_count integer not null, published text,
            num_perm integer not null, scheme text not null, content_sha256 text)"""
    )
    db.execute(
        "create index if not exists idx_story_signatures_published on story_signatures(published)"
    )
    db.execute(
        "create index if not exists idx_story_signatures_story_id on story_signatures(story_id)"
    )


@migrations()
def m005_published_source(db: sqlite_utils.Database) -> None:
    """Dates with provenance and a crawl that says why.

    `articles.published_source` (page | json-ld | meta | feed | sitemap) says where an
    article's date came from; the frontier keeps the date its feed item (or sitemap entry)
    gave, for pages that show none. Child sitemaps join the frontier: `http_cache` rows keep
    their source, the index that listed them and the lastmod it gave. `source_runs` counts
    refused and deferred URLs, dates taken from feeds, and failures by cause."""
    db.execute("alter table articles add column published_source text")
    db.execute("alter table frontier add column published_hint text")
    db.execute("alter table frontier add column published_via text")
    for col in ("source_id", "parent", "lastmod"):
        db.execute(f"alter table http_cache add column {col} text")
    db.execute("create index if not exists idx_http_cache_source on http_cache(source_id)")
    for col in ("refused", "deferred", "extract_failed", "dated_from_feed", "no_date"):
        db.execute(f"alter table source_runs add column {col} integer default 0")
    db.execute("alter table source_runs add column failure_causes text")  # JSON: cause -> count


@migrations()
def m006_corrections(db: sqlite_utils.Database) -> None:
    """Reviewers' corrections from corrections.yaml, kept with what each one changed, so they are
    re-applied whenever an article is loaded or reprocessed and can be withdrawn exactly."""
    db.execute(
        """create table if not exists corrections (
            id integer primary key,
            url text not null,           -- the article, as in corrections.yaml (canonicalised)
            action text not null,
            -- exclude_initiative | exclude_agency | exclude_article | add_initiative | add_agency
            label_id text not null default '',  -- initiative or agency id ('' for a whole article)
            evidence text,               -- add_*: the sentence of the article proving the tag
            reason text not null, reviewer text not null, reviewed_on text,
            article_id integer,          -- the article it applies to, once it is in the KB
            status text not null default 'pending',  -- pending | applied | invalid
            problem text,                -- why it could not be applied
            removed text,                -- JSON: what it took away (restored if withdrawn)
            applied_at text,
            unique (url, action, label_id))"""
    )
    db.execute("create index if not exists idx_corrections_article on corrections(article_id)")


@migrations()
def m007_activities(db: sqlite_utils.Database) -> None:
    """The activity timeline (ingest.activities): one row per activity, its facts with
    their quotes and offsets, and which stories it was read from. `activity_stories.story_id`
    has no foreign key on purpose: stories are merged and deleted by the clustering, and the
    activity step notices a vanished story by its missing row and recomputes its activity."""
    db.execute(
        """create table activities (
            id integer primary key,
            key text not null unique,    -- what makes stories one activity (edition, plan number)
            kind text not null,          -- festival_edition | opening | closing | forum | ...
            title text,
            event_date text,             -- YYYY-MM-DD: from the text, else the publication date
            event_end text,              -- YYYY-MM-DD, the last day of a span
            date_source text not null,   -- text | publication | none
            year integer,
            venue_id text,               -- gazetteer.yaml id, or the name as written (unlisted)
            venue_name text,
            primary_initiative text references initiatives(id),
            initiative_ids text not null default '[]',  -- JSON array
            levels text not null default '[]',          -- JSON array: local | international | ...
            organiser_ids text not null default '[]',   -- JSON array of agency ids
            partner_ids text not null default '[]',
            agency_ids text not null default '[]',
            source_ids text not null default '[]',      -- outlets, in order of publication
            story_count integer not null default 0,
            article_count integer not null default 0,
            outlet_count integer not null default 0,
            first_article_id integer references articles(id),
            document text,               -- e.g. 229/KH-UBND
            edition integer,             -- "lần thứ ba" → 3
            conflicts text not null default '[]',       -- JSON: fields the articles disagree on
            extractor_version text, computed_at text)"""
    )
    for col in ("event_date", "kind", "year", "primary_initiative"):
        db.execute(f"create index idx_activities_{col} on activities({col})")
    db.execute(
        """create table activity_facts (
            id integer primary key,
            activity_id integer not null references activities(id),
            field text not null,         -- kind | date | date_end | venue | figure | organiser
                                         -- | partner | participant | edition | document
            value text not null,         -- ISO date, gazetteer id, agency id, number as text
            unit text,                   -- figure: the count noun as written; date: day
            number real,                 -- figure: the value
            counts text,                 -- figure: what it counts (activities, visits, ...)
            qualifier text,              -- figure: more than | nearly | ...; date: text | publication
            label text,                  -- the words as written, or a display name
            quote text not null,         -- the whole sentence ('' for a publication date)
            article_id integer references articles(id),
            source_id text,
            text_field text,             -- title | lead | text
            start integer, "end" integer,                 -- the sentence's offsets in that field
            mention_start integer, mention_end integer,   -- the mention's offsets in that field
            is_primary integer not null default 0)        -- the activity's own value"""
    )
    db.execute("create index idx_activity_facts_activity on activity_facts(activity_id)")
    db.execute("create index idx_activity_facts_field on activity_facts(field, value)")
    db.execute(
        """create table activity_stories (
            story_id integer primary key,
            activity_id integer references activities(id),  -- null: not about the programme
            signature text not null,     -- of the story's articles and the rules, when computed
            computed_at text)"""
    )
    db.execute("create index idx_activity_stories_activity on activity_stories(activity_id)")


@migrations()
def m008_reliability(db: sqlite_utils.Database) -> None:
    """Self-healing state (issue 13). `source_runs.canonical_refused`: pages whose
    rel=canonical was not used as their key (the home page, a section, another article's).
    `frontier.extract_failures`: how often a page fetched fine but gave no article, so
    `extract_failed` pages come back on a slow back-off (`next_try`) instead of never."""
    db.execute("alter table source_runs add column canonical_refused integer default 0")
    db.execute("alter table frontier add column extract_failures integer default 0")


# The folded body as `folded_document` lays it out: non-empty parts joined by " \n".
_FOLDED_BODY_SQL = (
    "substr(coalesce(' ' || char(10) || nullif(title, ''), '')"
    " || coalesce(' ' || char(10) || nullif(lead, ''), '')"
    " || coalesce(' ' || char(10) || nullif(text, ''), ''), 3)"
)


@migrations()
def m009_lean_search_index(db: sqlite_utils.Database) -> None:
    """The full-text index keeps no copy of its own (7.05 KiB per article at 100k → ~4.2).

    Before: `articles_fts` stored title, lead and text again plus their folded copy, and
    indexed both. Now its index holds the folded title, lead and text (each its own column, so
    bm25 still weighs a title hit above a body hit, for words with đ too) and nothing else; it is
    an external-content table reading `articles_fts_folded` (the one folded copy) through the
    view `articles_fts_docs`, whose `folded` column is the folded body, char for char the body
    `publish.pages.BODY_SQL` lays out (`folded` is UNINDEXED: read, never matched). Rebuilt
    here from the articles, in this migration's transaction. Also: the index on
    `articles(story_id, source_id, published)` that lets a story's row be updated without
    reading its articles (`evidence.stories`) replaces the one on `story_id` alone."""
    db.execute(f"drop table if exists {FTS_TABLE}")
    db.execute(
        f"""create table {FOLDED_TABLE} (
            id integer primary key references articles(id),
            title text not null default '', lead text not null default '',
            text text not null default '')"""
    )
    db.execute(
        f"create view {FOLDED_VIEW} as select id, title, lead, text,"
        f" {_FOLDED_BODY_SQL} as folded from {FOLDED_TABLE}"
    )
    db.execute(
        f"""create virtual table {FTS_TABLE} using fts5(
            title, lead, text, folded unindexed, content='{FOLDED_VIEW}', content_rowid='id',
            tokenize = "{FTS_TOKENIZE}")"""
    )
    rebuild_search_index(db)
    db.execute(
        "create index if not exists idx_articles_story_outlet"
        " on articles(story_id, source_id, published)"
    )
    db.execute("drop index if exists idx_articles_story_id")


def connect(path: str | Path, *, migrate: bool = True) -> sqlite_utils.Database:
    """Open the knowledge base in WAL mode so Datasette can read while the pipeline writes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=30, isolation_level=None)
    db = sqlite_utils.Database(conn)
    db.execute("pragma journal_mode = wal")
    db.execute("pragma synchronous = normal")
    db.execute("pragma foreign_keys = on")
    # 32 MiB of page cache instead of SQLite's 2 MiB: a night's lookups (frontier, stories,
    # the search index) stay in memory once a knowledge base outgrows a few thousand articles
    db.execute("pragma cache_size = -32768")
    if migrate:
        migrations.apply(db)
    return db


def folded_document(title: str, lead: str, text: str) -> str:
    """The đ-folded body (non-empty parts joined by " \n"), as `articles_fts.folded` reads it."""
    return fold(" \n".join(p for p in (title, lead, text) if p))


def folded_fields(title: str | None, lead: str | None, text: str | None) -> tuple[str, str, str]:
    """Title, lead and text folded one character for one (what the index holds)."""
    a, b, c = fold_many([title or "", lead or "", text or ""])
    return a, b, c


_TABLE_SIZE = 0x2000  # Latin, Vietnamese, Greek, Cyrillic...: everything else is looked up


@lru_cache(maxsize=1)
def _fold_table() -> np.ndarray:
    return np.array([ord(fast_fold(chr(c))) for c in range(_TABLE_SIZE)], dtype=np.uint32)


def fold_many(texts: list[str]) -> list[str]:
    """`fast_fold(nfc(t))` of every text, as one array lookup over all of them.

    `str.translate` with a mapping costs ~70 ns a character on non-ASCII text (a dictionary
    lookup each): folding 100,000 articles for the index took longer than indexing them. Here
    the texts are joined, read as UTF-32 code points, mapped through a table of
    `fast_fold`'s own answers for the first 8,192 code points (the rare others are asked one by
    one), and split again: the same characters, ~10x faster.
    """
    normal = [nfc(t) for t in texts]
    if any("\x00" in t for t in normal):  # the separator: not in stored text (control chars
        return [fast_fold(t) for t in normal]  # are removed at extraction), but be exact
    codes = np.frombuffer("\x00".join(normal).encode("utf-32-le"), dtype="<u4")
    table = _fold_table()
    # fancy indexing, not np.take(mode="clip"), which is ~10x slower on 10M code points
    out = table[np.minimum(codes, _TABLE_SIZE - 1)]  # the rare ones are answered below
    rare = codes >= _TABLE_SIZE
    if rare.any():
        for code in np.unique(codes[rare]).tolist():
            out[codes == code] = ord(fast_fold(chr(code)))
    return out.astype("<u4").tobytes().decode("utf-32-le").split("\x00")


def index_article(db: sqlite_utils.Database, article_id: int, row: dict[str, Any]) -> None:
    """Keep the article's folded copy and its index entry in step with its text.

    External content: the index forgets an entry only when told the exact values it indexed,
    which are the stored folded copy, so they are read before it is replaced. Unchanged text
    (a page fetched again) costs one read."""
    new = folded_fields(row.get("title"), row.get("lead"), row.get("text"))
    old = db.execute(
        f"select title, lead, text from {FOLDED_TABLE} where id = ?", [article_id]
    ).fetchone()
    if old is not None:
        if tuple(old) == new:
            return
        db.execute(
            f"insert into {FTS_TABLE} ({FTS_TABLE}, rowid, title, lead, text)"
            " values ('delete', ?, ?, ?, ?)",
            [article_id, *old],
        )
    db.execute(
        f"insert or replace into {FOLDED_TABLE} (id, title, lead, text) values (?, ?, ?, ?)",
        [article_id, *new],
    )
    db.execute(
        f"insert into {FTS_TABLE} (rowid, title, lead, text) values (?, ?, ?, ?)",
        [article_id, *new],
    )


def rebuild_search_index(db: sqlite_utils.Database) -> int:
    """Fold every article and index them all: one pass over the articles, one statement that
    fills the index (FTS5's own bulk path), in the caller's transaction. Returns the count."""
    db.execute(f"delete from {FOLDED_TABLE}")
    db.execute(f"insert into {FTS_TABLE} ({FTS_TABLE}) values ('delete-all')")
    articles = db.conn.execute("select id, title, lead, text from articles")
    while rows := articles.fetchmany(2000):  # streamed, folded 2,000 at a time
        folded = fold_many([v or "" for r in rows for v in r[1:]])
        db.conn.executemany(
            f"insert into {FOLDED_TABLE} (id, title, lead, text) values (?, ?, ?, ?)",
            ((r[0], *folded[3 * i : 3 * i + 3]) for i, r in enumerate(rows)),
        )
    db.execute(
        f"insert into {FTS_TABLE} (rowid, title, lead, text)"
        f" select id, title, lead, text from {FOLDED_TABLE}"
    )
    return db.execute(f"select count(*) from {FOLDED_TABLE}").fetchone()[0]


def sync_sources(db: sqlite_utils.Database, sources: Iterable[Any]) -> None:
    db["sources"].upsert_all(
        (
            {
                "id": s.id,
                "name": s.name,
                "kind": s.kind,
                "home": s.home,
                "language": s.language,
                "enabled": int(s.enabled),
            }
            for s in sources
        ),
        pk="id",
    )


def table_counts(db: sqlite_utils.Database) -> dict[str, int]:
    return {t: db[t].count for t in db.table_names() if not t.startswith(FTS_TABLE)}
