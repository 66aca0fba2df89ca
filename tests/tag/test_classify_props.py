"""Properties that must hold for any text: evidence is always an exact sentence of its field."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.tag.classify import classify, split_sentences
from ingest.tag.taxonomy import load_taxonomy

TAX = load_taxonomy(Path(__file__).resolve().parents[2] / "taxonomy.yaml")

PIECES = [
    "Lễ hội Thiết kế sáng tạo Hà Nội",
    "UBND TP. Hà Nội",
    "Sở VH&TT",
    "không gian sáng tạo",
    "Thủ đô",
    "Hội An",
    "khởi nghiệp",
    "Tin liên quan",
    "Ảnh:",
    "Q. Hoàn Kiếm",
    "09-NQ/TU",
    "31/10/2019",
    "Uỷ ban",
    "thành phố sáng tạo",
    "UNESCO",
    "Bảo tàng Hà Nội",
    "và",
    "các",
    ".",
    ". ",
    "\n",
    ", ",
    "? ",
    " ",
    "“",
    "”",
    "đ",
    "Đ",
    "x",
]

texts = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)
forms = st.sampled_from(["NFC", "NFD"])


@settings(max_examples=150, deadline=None)
@given(title=texts, lead=texts, text=texts, form=forms)
def test_evidence_is_a_whole_sentence_of_its_field(title, lead, text, form):
    fields = {
        k: unicodedata.normalize(form, v)
        for k, v in {"title": title, "lead": lead, "text": text}.items()
    }
    r = classify(fields["title"], fields["text"], TAX, lead=fields["lead"])
    again = classify(fields["title"], fields["text"], TAX, lead=fields["lead"])
    assert r == again
    for tag in r.initiatives + r.agencies:
        value = fields[tag.field]
        assert value[tag.start : tag.end] == tag.evidence
        assert (tag.start, tag.end) in split_sentences(value)
    assert r.relevant == (r.score >= TAX.relevance.threshold)
