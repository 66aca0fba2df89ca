"""Tell Vietnamese pages from the English editions several outlets and portals also publish.

The text decides, the markup only breaks ties: portals often leave `lang="vi"` on their English
edition, and some Vietnamese pages declare `en-US`. Vietnamese is unmistakable from its letters
(ă â đ ê ô ơ ư and the tone marks); English from its function words. No model or dictionary is
needed for a two-way decision, and the check costs one pass over the text.
"""

from __future__ import annotations

import re

_VI_LETTERS = frozenset("ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ")
_WORD = re.compile(r"[^\W\d_]+")
_VI_RE = re.compile("[" + "".join(sorted(_VI_LETTERS)) + "]")
_EN_WORDS = frozenset(
    "the of and to in is for on that with as by was are from at this be has have it an will".split()
)
_VI_WORDS = frozenset("của và các là được cho trong những với không này đã có người một".split())


def detect_language(text: str, declared: str | None = None) -> str | None:
    """ "vi", "en", or the declared primary language when the text is too short to tell.

    `declared` is the page's `<html lang>` (e.g. "vi-VN"); only its primary subtag is used.
    """
    sample = text[:3000].lower()
    words = _WORD.findall(sample)
    primary = (declared or "").strip().lower().replace("_", "-").split("-")[0] or None
    if len(words) < 8:
        return primary
    letters = sum(len(w) for w in words)
    vi_chars = len(_VI_RE.findall(sample))
    vi_words = sum(1 for w in words if w in _VI_WORDS)
    en_words = sum(1 for w in words if w in _EN_WORDS)
    if letters and vi_chars / letters > 0.04 or vi_words > en_words:
        return "vi"
    if en_words / len(words) > 0.05:
        return "en"
    return primary
