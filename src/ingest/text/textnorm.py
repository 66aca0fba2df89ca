"""Vietnamese text normalisation and diacritic folding.

Unicode decomposition strips tone marks but leaves đ/Đ alone (it is a separate letter, not d
plus a mark), so folding handles it explicitly. Folding keeps string length 1:1 for NFC input,
which lets matchers map offsets in folded text back to the original.
"""

from __future__ import annotations

import re
import unicodedata

_WS = re.compile(r"\s+")

# Old-style tone placement ("hoà", "uỷ") → the modern form used by most outlets.
_OLD_TONES = {
    "oà": "òa",
    "oá": "óa",
    "oả": "ỏa",
    "oã": "õa",
    "oạ": "ọa",
    "oè": "òe",
    "oé": "óe",
    "oẻ": "ỏe",
    "oẽ": "õe",
    "oẹ": "ọe",
    "uỳ": "ùy",
    "uý": "úy",
    "uỷ": "ủy",
    "uỹ": "ũy",
    "uỵ": "ụy",
}
_OLD_TONE_RE = re.compile(
    "(" + "|".join(sorted(_OLD_TONES, key=len, reverse=True)) + r")(?![a-zà-ỹđ])", re.IGNORECASE
)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def collapse_ws(text: str) -> str:
    return _WS.sub(" ", text).strip()


def modern_tones(text: str) -> str:
    """Rewrite old tone placement (hoà → hòa, Uỷ → Ủy) at the end of a syllable."""

    def repl(m: re.Match[str]) -> str:
        src = m.group(0)
        out = _OLD_TONES[src.lower()]
        return "".join(o.upper() if s.isupper() else o for s, o in zip(src, out, strict=True))

    return _OLD_TONE_RE.sub(repl, text)


def _fold_char(ch: str) -> str:
    if ch in "đĐ":
        return "d"
    base = unicodedata.normalize("NFD", ch)[0]
    return base.lower() if len(base) == 1 else ch.lower()


_FOLD_CACHE: dict[str, str] = {}


def fold(text: str) -> str:
    """Lowercase, strip diacritics and fold đ→d, one output char per input char of NFC text."""
    out = []
    cache = _FOLD_CACHE
    for ch in nfc(text):
        f = cache.get(ch)
        if f is None:
            f = _fold_char(ch)
            if len(f) != 1:
                f = ch.lower()[:1] or ch
            cache[ch] = f
        out.append(f)
    return "".join(out)


def normalise(text: str) -> str:
    """Text as stored: NFC, modern tone placement kept as written, whitespace collapsed."""
    return collapse_ws(nfc(text))


def search_key(text: str) -> str:
    """Fully folded form used for matching and search: fold + collapsed whitespace."""
    return collapse_ws(fold(text))
