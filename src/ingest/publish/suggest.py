"""An English query, tried against the taxonomy's English names and aliases, suggests the
Vietnamese terms the articles use.

The knowledge base is mostly Vietnamese: "Hanoi Creative Design Festival" finds the few
English pages and misses the hundreds that say "Lễ hội Thiết kế sáng tạo Hà Nội". Every
initiative and agency has an English name (the `initiatives` / `agencies` tables) and often
English aliases (`taxonomy.yaml`); a query whose words cover most of one of them suggests that
label's Vietnamese name, as a phrase search and as the articles tagged with it.

Matching is on folded, lower-case words without the small words ("the", "of"…). Words nearly
every name shares ("Hanoi", "creative") cannot carry a suggestion alone.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..paths import REPO_ROOT
from ..text.textnorm import fold
from . import labels

TAXONOMY_PATH = REPO_ROOT / "taxonomy.yaml"
MAX_SUGGESTIONS = 3
MIN_COVERAGE = 0.6  # share of the query's words the English name must contain
STOPWORDS = frozenset("a an and at for in of on or the to s".split())
_WORD = re.compile(r"[a-z0-9]+")
_OPTIONAL = re.compile(r"[\[\]]")
TAGGED_SQL = {
    "initiatives": "select count(distinct article_id) from article_initiatives where initiative_id = :id",
    "agencies": "select count(distinct article_id) from article_agencies where agency_id = :id",
}
FILTERS = {"initiatives": "_has_initiative_ids", "agencies": "_has_agency_ids"}


def words(text: str) -> frozenset[str]:
    return frozenset(w for w in _WORD.findall(fold(_OPTIONAL.sub("", text))) if w not in STOPWORDS)


def is_english(text: str) -> bool:
    """No Vietnamese letter: folding leaves it as it is (but for case)."""
    return fold(text) == text.lower()


@lru_cache(maxsize=4)
def _aliases(path: Path, mtime: float) -> dict[tuple[str, str], tuple[str, ...]]:
    """(table, id) -> the English aliases of that label in taxonomy.yaml."""
    import yaml

    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out = {}
    for table in ("initiatives", "agencies"):
        for entry in raw.get(table) or []:
            if not isinstance(entry, dict) or "id" not in entry:
                continue
            found = [*entry.get("aliases", []), *entry.get("context_aliases", [])]
            out[(table, str(entry["id"]))] = tuple(a for a in found if isinstance(a, str))
    return out


def english_aliases(path: Path = TAXONOMY_PATH) -> dict[tuple[str, str], tuple[str, ...]]:
    """Empty when the taxonomy is not beside the database (a published copy): names only."""
    try:
        return _aliases(path, path.stat().st_mtime)
    except (OSError, ValueError):
        return {}


def rank(
    q: str, candidates: dict[tuple[str, str], list[str]]
) -> list[tuple[float, tuple[str, str], str]]:
    """(score, (table, id), the English phrase it matched), best first, one per label."""
    asked = words(q)
    if not asked:
        return []
    common = _common_words(candidates)
    best: dict[tuple[str, str], tuple[float, str]] = {}
    for key, phrases in candidates.items():
        for phrase in phrases:
            have = words(phrase)
            shared = asked & have
            if not shared or len(shared) / len(asked) < MIN_COVERAGE or shared <= common:
                continue
            score = len(shared) / len(asked | have)
            if score > best.get(key, (0.0, ""))[0]:
                best[key] = (score, phrase)
    ordered = sorted(best.items(), key=lambda kv: (-kv[1][0], kv[0]))
    return [(score, key, phrase) for key, (score, phrase) in ordered[:MAX_SUGGESTIONS]]


def _common_words(candidates: dict[tuple[str, str], list[str]]) -> frozenset[str]:
    """Words in the English names of a quarter or more of the labels."""
    counts: dict[str, int] = {}
    for phrases in candidates.values():
        label_words: set[str] = set()
        for phrase in phrases:
            label_words |= words(phrase)
        for w in label_words:
            counts[w] = counts.get(w, 0) + 1
    floor = max(2, len(candidates) // 4)
    return frozenset(w for w, n in counts.items() if n >= floor)


async def suggestions(db: Any, q: str) -> list[dict[str, Any]]:
    """The Vietnamese terms for an English query, with links; [] for anything else."""
    if not is_english(q):
        return []
    aliases = english_aliases()
    candidates: dict[tuple[str, str], list[str]] = {}
    vi: dict[tuple[str, str], str] = {}
    for table in ("initiatives", "agencies"):
        english = await labels.english(db, table)
        for label_id, name_vi in (await labels.names(db, table)).items():
            key = (table, label_id)
            vi[key] = name_vi
            phrases = [english.get(label_id, ""), *aliases.get(key, ())]
            candidates[key] = [p for p in phrases if p and is_english(p)]
    out = []
    for _, (table, label_id), phrase in rank(q, candidates):
        tagged = (await db.execute(TAGGED_SQL[table], {"id": label_id})).first()[0]
        out.append(
            {
                "table": table,
                "id": label_id,
                "name_vi": vi[(table, label_id)],
                "name_en": (await labels.english(db, table)).get(label_id, ""),
                "matched": phrase,
                "tagged": tagged,
                "filter": FILTERS[table],
            }
        )
    return out
