"""`textnorm.fold` as one `str.translate` call, for hot loops over NFC text.

`textnorm.fold` maps each character on its own (that is what keeps offsets aligned), so the
mapping can be tabulated and applied in C. Profiling the extractor showed the per-character
Python loop as its largest single cost; the search plugin folds every result's body for its
passage. The table is filled ahead of time for the ranges Vietnamese and Western pages use and
learns any other character the first time it is seen, so the result is `fold()`'s for every
character. Input must already be NFC (the extractor normalises the whole page once, at
decoding; stored article text is NFC).
"""

from __future__ import annotations

from .textnorm import fold as _slow_fold


class _FoldTable(dict[int, str]):
    """`str.translate` table that learns `textnorm.fold` one character at a time."""

    def __missing__(self, code: int) -> str:
        folded = _slow_fold(chr(code))
        if len(folded) != 1:  # keep offsets aligned whatever the character
            folded = chr(code).lower()[:1] or chr(code)
        self[code] = folded
        return folded


_TABLE = _FoldTable()
for _cp in (*range(0x41, 0x2000), *range(0x1E00, 0x1F00)):
    _TABLE[_cp]  # noqa: B018 - fills the entry


def fast_fold(text: str) -> str:
    """Same result as `textnorm.fold` for NFC text, one character out per character in."""
    return text.translate(_TABLE)
