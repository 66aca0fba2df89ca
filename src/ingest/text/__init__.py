"""Vietnamese text: Unicode normalisation and diacritic folding, shared by every stage.

Not a stage of its own: extraction, tagging, the full-text index, stories and the search pages
must all fold "Đài Phát thanh" to "dai phat thanh" the same way (đ/Đ does not decompose in
Unicode, so no library or SQLite tokenizer does it), and nothing here imports another package.

- `textnorm`: NFC, whitespace, old-style tone marks, `fold` (the reference definition).
- `fastfold`: the same folding through a translation table, for long texts.
"""

from .fastfold import fast_fold
from .textnorm import collapse_ws, fold, modern_tones, nfc, normalise, search_key

__all__ = ["collapse_ws", "fast_fold", "fold", "modern_tones", "nfc", "normalise", "search_key"]
