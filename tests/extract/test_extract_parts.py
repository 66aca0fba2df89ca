"""The extractor's parts on small strings: the block reader, the container vote, boilerplate
rules, template recognition and decoding (issue 19)."""

import lxml.html
import pytest

from ingest.extract.blocks import read_blocks
from ingest.extract.boilerplate import NOISE, is_boiler_heading, looks_like_menu_row
from ingest.extract.container import find_body
from ingest.extract.decode import decode_html, nfc_utf8, sniff_utf16, strip_controls
from ingest.extract.templates import recognise

P = "Một đoạn văn đủ dài để được coi là nội dung của bài viết về phố cổ Hà Nội."


def tree(body: str):
    return lxml.html.document_fromstring(f"<html><body>{body}</body></html>")


def test_blocks_read_div_paragraphs_br_runs_and_captions_in_order():
    root = tree(
        f"<div id='c'><div>{P}</div><div>Hai<br><br>Ba <b>đậm</b></div>"
        "<figure><img src='a.jpg'><figcaption>Chú thích ảnh.</figcaption></figure>"
        "<script>var x = 'không phải chữ';</script><div class='box-related'>Tin liên quan</div>"
        "<p style='text-align:right'><strong>Minh Anh</strong></p></div>"
    )
    blocks = read_blocks([root.get_element_by_id("c")])
    assert [b.text for b in blocks] == [P, "Hai", "Ba đậm", "Chú thích ảnh.", "Minh Anh"]
    assert blocks[3].caption and blocks[-1].right and blocks[-1].all_bold


def test_blocks_measure_links_and_author_links():
    root = tree(
        "<div id='c'><p><a href='/x'>Đọc thêm một bài khác</a></p>"
        "<p><a href='/tac-gia/minh-anh'>Minh Anh</a></p></div>"
    )
    teaser, byline = read_blocks([root.get_element_by_id("c")])
    assert teaser.link_share == pytest.approx(1.0, abs=0.05) and not teaser.author_link
    assert byline.author_link


def test_container_vote_joins_text_split_around_an_ad_slot():
    root = tree(
        "<div id='col'><h1>Tiêu đề bài</h1>"
        f"<div class='text'><p>{P}</p><p>{P}</p></div>"
        "<div class='ads'><div id='slot'></div></div>"
        f"<div class='text'><p>{P}</p><p>{P}</p></div></div>"
        f"<div class='side'><p>{P[:40]}</p></div>"
    )
    body = find_body(root)
    assert [c.get("class") for c in body.containers] == ["text", "text"]
    assert body.share == pytest.approx(4 * len(P) / (4 * len(P) + 40), abs=0.01)


def test_container_vote_counts_div_and_br_paragraphs():
    root = tree(f"<table><tr><td id='cell'>{P}<br><br>{P}<br><br>{P}</td></tr></table>")
    assert find_body(root).main.get("id") == "cell"


@pytest.mark.parametrize(
    ("hint", "noise"),
    [
        ("box-related", True),
        ("comment-list", True),
        ("ads-slot", True),
        ("the-article-tags", True),
        ("detail__head", False),
        ("leads", False),
        ("tagdiv-type", False),
        ("detail-content afcbc-body", False),
    ],
)
def test_noise_class_names(hint, noise):
    assert NOISE.search(hint) is noise


def test_box_headings_and_menu_rows():
    assert is_boiler_heading("Ý kiến (2)") and is_boiler_heading("Tin đã đưa:")
    assert not is_boiler_heading("Tin liên quan đến lễ hội năm nay rất nhiều")
    assert looks_like_menu_row("Giới thiệu | Tin tức | Văn bản | Hỏi đáp")
    assert not looks_like_menu_row("Hà Nội | Ông A cho biết lễ hội sẽ kéo dài. | Tin")


def test_template_family_needs_an_articles_worth_of_text():
    body = "<div class='fck_detail'>" + "".join(f"<p>{P}</p>" for _ in range(4)) + "</div>"
    assert recognise(tree(body)).family.name == "fck-detail"
    assert recognise(tree("<div class='fck_detail'><p>Ngắn.</p></div>")) is None


def test_utf16_sniffing_and_binary():
    html = "<html><body><p>Hà Nội sáng tạo</p></body></html>"
    assert sniff_utf16(html.encode("utf-16-le")) == "utf-16-le"
    assert sniff_utf16(html.encode("utf-16-be")) == "utf-16-be"
    assert sniff_utf16(html.encode("utf-8")) is None
    assert sniff_utf16(bytes(range(256)) * 8) is None
    assert decode_html(html.encode("utf-16-le"), "utf-16") == html


def test_nfc_from_utf8_bytes_matches_full_normalisation():
    import unicodedata

    text = "Ha\u0300 No\u0302\u0323i va\u0300 " + "phố cổ " * 50 + "Tho\u031b\u0300i"
    assert nfc_utf8(text.encode(), text) == unicodedata.normalize("NFC", text)
    assert nfc_utf8(b"plain", "plain") == "plain"


def test_strip_controls():
    assert strip_controls("a\x0bb\x0cc\x1bd\x01e\x7ff\x85g\tok\n") == "a b cdefg\tok\n"
