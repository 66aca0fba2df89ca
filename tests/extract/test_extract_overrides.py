"""Per-source overrides from sources.yaml: CSS selectors replace a field only where they match."""

from pathlib import Path

import pytest

from ingest.config import ExtractOverrides
from ingest.css_select import css_to_xpath, select
from ingest.extract.article import extract

PAGE = (Path(__file__).parents[1] / "fixtures" / "extract" / "needs-overrides.html").read_bytes()
OV = ExtractOverrides(
    title="div.ten-bai",
    lead=".mo-dau",
    body="div.noi-dung",
    date="div.thoi-diem",
    author="span.nguoi-viet",
    drop=[".qc-giua-bai"],
    drop_phrases=["Mời quý độc giả"],
)


def test_generic_rules_alone_miss_this_layout():
    r = extract(PAGE)
    assert r.title == "Tạp chí Kiến Trúc Mẫu"  # only the site name in <title>
    assert r.lead == "" and r.author is None and r.published is None


def test_overrides_fill_every_field():
    r = extract(PAGE, overrides=OV)
    assert r.title == "Những ngôi nhà ống được cải tạo thành xưởng thiết kế"
    assert r.lead.startswith("Nhiều căn nhà ống trong phố cổ")
    assert r.published == "2025-09-15T16:20:00+07:00"
    assert r.author == "Vương Thảo Linh"
    assert r.text.split("\n\n") == [
        "Phần lớn các xưởng giữ nguyên mặt tiền cũ, chỉ thay đổi không gian bên trong để lấy thêm "
        "ánh sáng tự nhiên.",
        "Các chủ xưởng cho biết họ muốn người qua đường có thể ghé vào xem cách một món đồ được "
        "phác thảo và làm mẫu.",
    ]
    assert {k: r.field_sources[k] for k in ("title", "lead", "published", "author", "text")} == {
        k: "override" for k in ("title", "lead", "published", "author", "text")
    }


def test_override_that_matches_nothing_leaves_generic_result():
    r = extract(PAGE, overrides=ExtractOverrides(title="h1.khong-co"))
    assert r.title == "Tạp chí Kiến Trúc Mẫu"
    assert r.field_sources["title"] == "title-tag"


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("p.a", ["1"]),
        ("div#x > p", ["1", "3"]),
        ("div p", ["1", "3"]),
        ("#x span.b", ["2"]),
        ("div > span", []),
        ("[data-role=sapo]", ["3"]),
        ("p[class^=a], span", ["1", "2"]),
        ("section .b", ["2"]),
    ],
)
def test_css_subset(selector, expected):
    import lxml.html

    root = lxml.html.fromstring(
        "<div id='x'><p class='a b'>1</p><section><span class='b'>2</span></section>"
        "<p data-role='sapo'>3</p></div>"
    )
    assert [e.text for e in select(root, selector)] == expected


@pytest.mark.parametrize("bad", ["p:first-child", "div >", "a::after", ""])
def test_unsupported_selectors_fail_loudly(bad):
    with pytest.raises(ValueError):
        css_to_xpath(bad)
