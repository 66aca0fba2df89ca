"""Honest ranking for the search page: exact diacritics first, and the two tiers counted.

The index holds folded text only (`đài`, `dài` and `đại` are all `dai` there), so bm25 cannot
prefer the articles that say what was typed: `q=Đài` put "kéo dài" first and the "Đài Phát
thanh" articles eleventh and later. When a searched word carries diacritics, the first
`EXACT_WINDOW` matches of the first tier (by bm25, as before) are re-ranked here, from the
`articles` table's own text: articles holding every marked term as typed first, then those
holding some, then the rest, each group in bm25 order. Beyond the window the order is bm25's.
Only the first tier is re-ranked, so the `search_articles` canned query (its first tier is the
same 500) orders its rows exactly like the page (`vn_exact_score`).

Tiers (`search_query.vn_fts_tiers`): the *phrase* matches, where each run of unquoted words
stands together as typed, then the matches that only have *all the words*. Both are counted,
so the page can say "4 exact phrase, 10 all words" instead of "14".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .passages import exact_score
from .search_query import phrase_terms

EXACT_WINDOW = 500

# title, lead and text laid out as the search page and the canned query lay them out
TEXTS_SQL = """
select a.id, coalesce(a.title, '') || char(10) || coalesce(a.lead, '') || char(10)
  || coalesce(a.text, '') as body
from articles a where a.id in (select value from json_each(:ids))
"""


def reranks(q: str | None) -> bool:
    """True when a searched term was typed with diacritics (or đ)."""
    return any(t.marked for t in phrase_terms(q))


async def exact_first(db: Any, ids: list[int], q: str) -> list[int]:
    """`ids` (bm25 order) with the articles holding the typed diacritics first, stably."""
    if not ids:
        return ids
    rows = await db.execute(TEXTS_SQL, {"ids": json.dumps(ids)})
    score = {r["id"]: exact_score(r["body"], q) for r in rows}
    return sorted(ids, key=lambda i: -score.get(i, 0))


@dataclass(frozen=True)
class TierCounts:
    """How many articles match as a phrase, and how many only have all the words."""

    phrase: int
    words: int
    two_tiers: bool  # the query has a run of bare words, so the two are told apart

    @property
    def total(self) -> int:
        return self.phrase + self.words


async def bm25_page(db: Any, sql: str, params: dict[str, Any], limit: int, offset: int) -> list:
    return [r["id"] for r in await db.execute(sql, {**params, "limit": limit, "offset": offset})]


async def first_tier(db: Any, q: str, sql: str, params: dict[str, Any]) -> list[int]:
    """One page (params' limit and offset) of the first tier, ranked by `sql` (bm25); typed
    diacritics re-rank its first EXACT_WINDOW matches."""
    limit, offset = params["limit"], params["offset"]
    if not reranks(q) or offset >= EXACT_WINDOW:
        return await bm25_page(db, sql, params, limit, offset)
    window = await bm25_page(db, sql, params, EXACT_WINDOW, 0)
    ids = (await exact_first(db, window, q))[offset : offset + limit]
    if len(ids) < limit and len(window) == EXACT_WINDOW:  # the page reaches past the window
        ids += await bm25_page(db, sql, params, limit - len(ids), EXACT_WINDOW)
    return ids


async def tier_counts(db: Any, tiers: tuple[str, str], count_sql: str, relevant: str) -> TierCounts:
    """Both tiers counted (`tiers` from `vn_fts_tiers`; the second is '""' when there is none)."""
    phrases, rest = tiers
    n_phrase = (await db.execute(count_sql, {"expr": phrases, "relevant": relevant})).first()[0]
    n_rest = 0
    if rest != '""':
        n_rest = (await db.execute(count_sql, {"expr": rest, "relevant": relevant})).first()[0]
    return TierCounts(n_phrase, n_rest, rest != '""')


def first_tier_heading(counts: TierCounts) -> str:
    if counts.two_tiers:
        return f"Đúng cụm từ / Exact phrase ({counts.phrase:,})"
    return f"Kết quả / Results ({counts.total:,})"


def second_tier_heading(counts: TierCounts) -> str:
    return f"Đủ các từ, không liền nhau / All the words, not as a phrase ({counts.words:,})"
