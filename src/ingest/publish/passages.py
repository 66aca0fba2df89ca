"""Passages and highlighting: where the searched terms or the evidence sit in an article.

Matching runs on the folded text, which has one character per character of the NFC original,
so every span indexes straight into what the reader sees. `highlight` and `highlight_field`
are the only places that put HTML around crawled text: everything else is escaped first.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from markupsafe import Markup, escape

from ..text.fastfold import fast_fold
from ..text.textnorm import modern_tones, nfc
from .search_query import Term, parse_query, phrase_terms

_WORD = re.compile(r"[^\W_]+")  # as the query language splits words (search_query)

PASSAGE_WIDTH = 240


@lru_cache(maxsize=1024)
def _term_pattern(term: Term) -> re.Pattern[str]:
    """The term as whole words of folded text: not preceded or followed by a letter or digit.

    The pattern starts with the first word as a literal and checks the character before it
    with a look-behind placed after it: `re` then jumps between occurrences of the literal
    instead of trying the look-behind at every position (17x faster on article bodies).
    """
    sep = r"[\W_]+"
    first = re.escape(term.words[0])
    rest = "".join(sep + re.escape(w) for w in term.words[1:])
    tail = r"[^\W_]*" if term.prefix else r"(?![^\W_])"
    return re.compile(first + rf"(?<![^\W_]{first})" + rest + tail)


def _marked_word(typed: str, folded: str) -> bool:
    return typed != folded


def agrees_with_marks(text: str, span: tuple[int, int], term: Term) -> bool:
    """Whether the match of `term` at `span` of `text` (NFC) carries every diacritic the person
    typed: "Đài" agrees with "Đài Phát thanh" and not with "kéo dài"; a word typed without
    marks ("phat") agrees with any spelling. Case and old tone placement do not count."""
    found = _WORD.findall(modern_tones(text[span[0] : span[1]]).lower())
    if len(found) != len(term.words):
        return False
    for i, (typed, folded, seen) in enumerate(zip(term.typed, term.words, found, strict=False)):
        if not _marked_word(typed, folded):
            continue
        last_prefix = term.prefix and i == len(term.words) - 1
        if not (seen.startswith(typed) if last_prefix else seen == typed):
            return False
    return True


def _term_spans(text: str, folded: str, term: Term, exact: bool) -> list[tuple[int, int]]:
    spans = [m.span() for m in _term_pattern(term).finditer(folded)]
    if exact and term.marked:
        agreeing = [sp for sp in spans if agrees_with_marks(text, sp, term)]
        return agreeing or spans  # the marks typed are not in this text: show the folded hits
    return spans


def match_spans(
    text: str,
    q: str | None,
    folded: str | None = None,
    *,
    phrase_only: bool = False,
    exact: bool = True,
) -> list[tuple[int, int]]:
    """Character spans in `text` (NFC) where any searched term occurs, sorted, non-overlapping.

    Matching runs on the folded copy, which has one character per character of NFC text, so
    the spans index straight into the original. `phrase_only` marks what a phrase match
    matched (the words standing together), not the same syllables elsewhere ("kế" of "Kế
    hoạch" for "thiết kế"). With `exact`, a term typed with diacritics marks only the
    occurrences that carry them, when the text has any.
    """
    if folded is None:
        folded = fast_fold(nfc(text))
    if phrase_only:
        terms = phrase_terms(q)
    else:
        terms = []
        for group in parse_query(q).groups:
            words = [t for t, _ in group]
            terms += words
            if len(words) > 1 and not any(quoted or t.prefix for t, quoted in group):
                # the run as a whole phrase, so "Lễ hội Thiết kế" is marked as one passage
                typed = tuple(w for t in words for w in t.typed)
                terms.append(Term(tuple(w for t in words for w in t.words), typed=typed))
    spans = []
    for term in terms:
        spans.extend(_term_spans(text, folded, term, exact))
    return merge_spans(spans)


def exact_score(text: str, q: str | None, folded: str | None = None) -> int:
    """How many of the terms typed with diacritics occur in `text` with those diacritics.

    Ranks the articles that say "Đài" above those that only fold to it ("dài", "đại").
    """
    terms = [t for t in phrase_terms(q) if t.marked]
    if not terms:
        return 0
    text = nfc(text or "")
    if folded is None or len(folded) != len(text):
        folded = fast_fold(text)
    return sum(
        any(agrees_with_marks(text, m.span(), t) for m in _term_pattern(t).finditer(folded))
        for t in terms
    )


def merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def passage_window(
    text: str,
    q: str | None,
    width: int = PASSAGE_WIDTH,
    folded: str | None = None,
    phrase_only: bool = False,
) -> tuple[str, list[tuple[int, int]]]:
    """The best window of about `width` characters, and the match spans relative to it.

    "Best" is the window covering the most distinct terms, then the most hits; ties go to the
    earliest. The window is widened to whole words and marked with … where it was cut.
    `folded` may be the stored folded copy of `text` (the FTS table's ``folded`` column, read
    with `BODY_SQL`), which saves normalising and folding every result again; it is used only
    when it lines up with `text` character for character.
    """
    text = text or ""
    if folded is None or len(folded) != len(text):
        text = nfc(text)
        folded = fast_fold(text)
    spans = match_spans(text, q, folded, phrase_only=phrase_only)
    if not spans:
        if len(text) <= width:
            return text, []
        head = text[:width] if text[width].isspace() else text[:width].rsplit(" ", 1)[0]
        return head.rstrip() + " …", []
    best: tuple[int, int, int] | None = None  # (-distinct, -hits, start)
    for s, _ in spans[:50]:  # enough candidates for one passage
        lo = max(0, s - width // 3)
        # start at the sentence or line holding the hit when it begins inside the window
        lo = max(lo, text.rfind("\n", lo, s) + 1, text.rfind(". ", lo, s) + 2)
        inside = [(a, b) for a, b in spans if a >= lo and b <= lo + width]
        key = (-len({folded[a:b] for a, b in inside}), -len(inside), lo)
        if best is None or key < best:
            best = key
    assert best is not None
    lo = best[2]
    hi = min(len(text), lo + width)
    while lo > 0 and not text[lo - 1].isspace():
        lo -= 1
    while hi < len(text) and not text[hi].isspace():
        hi += 1
    prefix = "… " if lo > 0 else ""
    suffix = " …" if hi < len(text) else ""
    off = len(prefix) - lo
    rel = [(a + off, b + off) for a, b in spans if a >= lo and b <= hi]
    return prefix + text[lo:hi].strip("\n") + suffix, rel


def vn_passage(
    text: str | None, q: str | None, width: int | None = None, folded: str | None = None
) -> str:
    """SQL function: the matching passage of the original (unfolded) text, as plain text."""
    return passage_window(text or "", q, int(width or PASSAGE_WIDTH), folded)[0]


def highlight(text: str, spans: list[tuple[int, int]], title: str | None = None) -> Markup:
    """Escape `text` and wrap each span in <mark>; the only HTML we emit around crawled text."""
    out: list[str] = []
    pos = 0
    attr = f' title="{escape(title)}"' if title else ""
    for s, e in spans:
        out.append(str(escape(text[pos:s])))
        out.append(f"<mark{attr}>{escape(text[s:e])}</mark>")
        pos = e
    out.append(str(escape(text[pos:])))
    return Markup("".join(out))


def evidence_span(field_text: str, tag: dict[str, Any]) -> tuple[int, int] | None:
    """Where the evidence sits in the field: the stored offsets, or a search if they drifted."""
    evidence = tag.get("evidence") or ""
    start, end = tag.get("start"), tag.get("end")
    if isinstance(start, int) and isinstance(end, int) and field_text[start:end] == evidence:
        return start, end
    if evidence:
        found = field_text.find(evidence)
        if found >= 0:
            return found, found + len(evidence)
    return None


def highlight_field(field_text: str, tags: list[dict[str, Any]]) -> Markup:
    """The field's text with every evidence sentence wrapped in <mark>, labels in the title."""
    spans: list[tuple[int, int, str]] = []
    for tag in tags:
        span = evidence_span(field_text, tag)
        if span:
            spans.append((span[0], span[1], tag["label_id"]))
    merged: list[tuple[int, int, list[str]]] = []
    for s, e, label in sorted(spans):
        if merged and s < merged[-1][1]:
            ps, pe, labels = merged[-1]
            merged[-1] = (ps, max(pe, e), labels + [label])
        else:
            merged.append((s, e, [label]))
    out: list[str] = []
    pos = 0
    for s, e, labels in merged:
        out.append(str(escape(field_text[pos:s])))
        names = escape(", ".join(dict.fromkeys(labels)))
        out.append(
            f'<mark class="evidence" title="{names}" data-labels="{names}">'
            f"{escape(field_text[s:e])}</mark>"
        )
        pos = e
    out.append(str(escape(field_text[pos:])))
    return Markup("".join(out))
