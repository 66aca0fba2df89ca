"""The search query language: what a person types, turned into safe FTS5 MATCH expressions.

Why it is ours and not Datasette's `escape_fts()`: researchers type with or without diacritics,
and đ/Đ does not decompose in Unicode, so neither FTS5's `remove_diacritics` nor Datasette's
escaping can match "dai phat thanh" to "Đài Phát thanh". The FTS table holds a folded copy of
every article (`ingest.store.db.folded_document`); the query is folded here the same way.
Supported: bare words, "quoted phrases", prefix*, OR, -excluded, NOT.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..text.textnorm import fold, modern_tones, nfc

_QUERY_TOKEN = re.compile(r'"([^"]*)"?(\*?)|(\S+)')
# FTS5's unicode61 tokenizer keeps letters and digits and splits on everything else, "_" too.
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Term:
    """One thing the user asked for: a phrase of folded syllables, maybe a prefix.

    `typed` holds the same words as typed (lowercase NFC, modern tone placement), one per
    folded word: the index matches `words`, and `typed` tells which matches carry the marks
    the person typed (`passages.agrees_with_marks`).
    """

    words: tuple[str, ...]
    prefix: bool = False
    negated: bool = False
    typed: tuple[str, ...] = ()

    @property
    def marked(self) -> bool:
        """True when a word was typed with diacritics (or đ): then exact matches rank first."""
        return any(t != w for t, w in zip(self.typed, self.words, strict=False))

    def fts(self) -> str:
        # Tokens are \w+ only, so they never contain a double quote: quoting is enough.
        return '"' + " ".join(self.words) + '"' + ("*" if self.prefix else "")


@dataclass
class ParsedQuery:
    """Groups of terms joined by OR; terms inside a group are all required."""

    groups: list[list[tuple[Term, bool]]]  # (term, came from a quoted phrase)
    negated: list[Term]

    def positive_terms(self) -> list[Term]:
        return [t for g in self.groups for t, _ in g]


def _words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(fold(text)))


def _typed(text: str) -> tuple[str, ...]:
    """The words as typed; folding keeps one character per character, so they pair with
    `_words(text)` one to one."""
    return tuple(_WORD.findall(modern_tones(nfc(text)).lower()))


@lru_cache(maxsize=512)
def parse_query(q: str | None) -> ParsedQuery:
    """Split a raw query into quoted phrases, bare words, ``OR`` and ``-excluded`` words.

    An unbalanced quote runs to the end of the query, as people expect when they forget it.
    """
    groups: list[list[tuple[Term, bool]]] = [[]]
    negated: list[Term] = []
    negate_next = False
    for m in _QUERY_TOKEN.finditer(nfc(q or "")):
        phrase, star, bare = m.group(1), m.group(2), m.group(3)
        if bare is not None:
            if bare == "OR":
                if groups[-1]:
                    groups.append([])
                continue
            if bare in ("AND", "NOT"):
                negate_next = bare == "NOT"
                continue
            neg = bare.startswith("-") and len(bare) > 1
            text = bare[1:] if neg else bare
            prefix = text.endswith("*")
            words, typed = _words(text), _typed(text)
            quoted = False
        else:
            neg, prefix, quoted = False, bool(star), True
            words, typed = _words(phrase), _typed(phrase)
        if not words:
            continue
        if len(typed) != len(words):  # a character folding could not pair: compare folded
            typed = words
        term = Term(words, prefix=prefix, negated=neg or negate_next, typed=typed)
        negate_next = False
        if term.negated:
            negated.append(term)
        else:
            groups[-1].append((term, quoted))
    groups = [g for g in groups if g]
    return ParsedQuery(groups, negated)


def phrase_terms(q: str | None) -> list[Term]:
    """What a phrase match of `q` matched: per OR group, its run of bare words as one phrase,
    or the group's own terms when it has no such run (quoted phrases, prefixes, one word)."""
    out: list[Term] = []
    for group in parse_query(q).groups:
        joined = _phrase_run(group)
        out += [joined] if joined else [t for t, _ in group]
    return out


def _phrase_run(group: list[tuple[Term, bool]]) -> Term | None:
    """The group's bare words as one phrase, when the group is two or more bare words."""
    bare_run = [t for t, quoted in group if not quoted and not t.prefix]
    if len(group) > 1 and len(bare_run) == len(group):
        words = tuple(w for t in bare_run for w in t.words)
        return Term(words, typed=tuple(w for t in bare_run for w in t.typed))
    return None


def _group_expression(group: list[tuple[Term, bool]], ranked: bool = True) -> str:
    """All terms required; for ranking, a run of bare words also scores as one phrase.

    "le hoi thiet ke" must find every article that has those four syllables, but the ones where
    they stand together as the phrase "lễ hội thiết kế" should rank first. bm25 sums the score of
    every phrase in the expression, so adding the joined phrase on an OR branch only changes the
    ranking, never the set of matches (a phrase match implies all its words match). A filter
    that is not ranked (the table's ``?_search=``, sorted by date) leaves the branch out: it
    would only make FTS5 read every position list twice.
    """
    required = " ".join(t.fts() for t, _ in group)
    joined = _phrase_run(group)
    if ranked and joined:
        return f"({joined.fts()} OR ({required}))"
    if len(group) == 1:
        return required
    return f"({required})"


def _combine(alternatives: list[str], negated: list[Term]) -> str:
    expr = " OR ".join(alternatives)
    if len(alternatives) > 1 and negated:
        expr = f"({expr})"
    for term in negated:
        expr += f" NOT {term.fts()}"
    return expr


def vn_fts_query(q: str | None, ranked: bool = True) -> str:
    """An FTS5 MATCH expression for a raw user query, with or without diacritics.

    Every term is folded (đ→d, no tone marks) and quoted, so FTS5 operators and punctuation
    typed by the user can never cause a syntax error; ``"quoted phrases"`` stay phrases.
    A query with no searchable word yields ``""``, which matches nothing. ``ranked=False``
    gives the same set of matches without the phrase-boost branches (for filters).
    """
    parsed = parse_query(q)
    if not parsed.groups:
        return '""'
    return _combine([_group_expression(g, ranked) for g in parsed.groups], parsed.negated)


def vn_fts_tiers(q: str | None) -> tuple[str, str]:
    """Phrase-first ranking: (the matches where each run of bare words stands as a phrase, the
    other matches). Together they are exactly the matches of `vn_fts_query`.

    Vietnamese words are several syllables, so "dai phat thanh" asks for "Đài Phát thanh"; folded,
    its syllables alone occur in a third of all articles ("đại", "dài", "phát", "thành"). Ranking
    the phrase matches first, and the rest only when a page reaches past them, puts the articles
    people mean on top and lets bm25 score thousands of rows instead of tens of thousands.
    The second expression is ``""`` (no match) when the query has no run of bare words.
    """
    parsed = parse_query(q)
    if not parsed.groups or not any(_phrase_run(g) for g in parsed.groups):
        return vn_fts_query(q), '""'
    phrases = []
    for group in parsed.groups:
        joined = _phrase_run(group)
        phrases.append(joined.fts() if joined else _group_expression(group, ranked=False))
    every = " OR ".join(_group_expression(g, ranked=False) for g in parsed.groups)
    rest = f"({every}) NOT ({' OR '.join(phrases)})"
    return _combine(phrases, parsed.negated), _combine([rest], parsed.negated)
