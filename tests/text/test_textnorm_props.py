"""Properties of the Vietnamese text normaliser that extraction and tagging rely on."""

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.text.textnorm import collapse_ws, fold, modern_tones, nfc, normalise, search_key

# Vietnamese letters in both cases, digits, punctuation and assorted whitespace.
_VI = "aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
_ALPHABET = _VI + _VI.upper() + "0123456789 .,;:-–()\"'\t\n\u00a0"
vi_text = st.text(alphabet=_ALPHABET, max_size=120)
any_text = st.text(max_size=120)


@given(vi_text)
@settings(max_examples=300)
def test_fold_keeps_length_of_nfc_text(s):
    s = nfc(s)
    assert len(fold(s)) == len(s)


@given(vi_text)
@settings(max_examples=300)
def test_fold_is_ascii_for_vietnamese_and_idempotent(s):
    f = fold(s)
    assert all(ord(c) < 128 for c in f if c.isalpha())
    assert fold(f) == f


@given(vi_text)
@settings(max_examples=300)
def test_fold_ignores_composition_form(s):
    assert fold(unicodedata.normalize("NFD", s)) == fold(nfc(s))


@given(any_text)
@settings(max_examples=300)
def test_nfc_is_idempotent_and_equals_nfc_of_nfd(s):
    assert nfc(nfc(s)) == nfc(s)
    assert nfc(unicodedata.normalize("NFD", s)) == nfc(s)


@given(any_text)
@settings(max_examples=300)
def test_collapse_ws_leaves_single_inner_spaces(s):
    c = collapse_ws(s)
    assert c == c.strip()
    assert "  " not in c
    assert collapse_ws(c) == c
    assert c.split() == s.split()


@given(any_text)
@settings(max_examples=300)
def test_normalise_is_idempotent(s):
    assert normalise(normalise(s)) == normalise(s)


@given(vi_text)
@settings(max_examples=300)
def test_search_key_matches_across_forms(s):
    """Composed, decomposed and old-tone spellings of a text share one search key."""
    key = search_key(s)
    assert search_key(unicodedata.normalize("NFD", s)) == key
    assert search_key(modern_tones(nfc(s))) == key


def test_concrete_values():
    assert fold("Đường Hoàng Diệu") == "duong hoang dieu"
    assert search_key("  Thành  phố\u00a0SÁNG TẠO ") == "thanh pho sang tao"
    assert modern_tones("Uỷ ban, hoà nhạc") == "Ủy ban, hòa nhạc"


@given(st.one_of(vi_text, any_text))
@settings(max_examples=300)
def test_fast_fold_is_fold_on_nfc_text(s):
    """The translate table (extractor, search passages) gives `fold`'s result for any NFC text."""
    from ingest.text.fastfold import fast_fold

    s = nfc(s)
    assert fast_fold(s) == fold(s)
