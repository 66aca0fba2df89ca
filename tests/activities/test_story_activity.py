"""The activity rules on strings: event dates, venues, figures, kinds, roles, and a story's
activity with facts, disagreements and merging. Every sentence here is our own writing."""

from __future__ import annotations

from datetime import date

import pytest

from ingest.activities.event_dates import complete_year, find_dates
from ingest.activities.figures import find_figures, parse_number
from ingest.activities.kinds import classify_kind
from ingest.activities.roles import find_name, role_in_sentence
from ingest.activities.story_activity import (
    ArticleInput,
    TagRef,
    activity_for_story,
    lexicon,
    merge,
    read_passage,
)
from ingest.activities.venues import GazetteerError, find_venues, load_gazetteer
from ingest.tag.taxonomy import load_taxonomy

GAZ = load_gazetteer()


@pytest.fixture(scope="module")
def lex():
    from conftest import TAXONOMY

    return lexicon(load_taxonomy(TAXONOMY), GAZ)


def events(sentence: str, published: date) -> list[tuple[str, str, str | None]]:
    return [
        (m.role, m.date.isoformat(), m.end_date.isoformat() if m.end_date else None)
        for m in find_dates(sentence, published)
    ]


# --- event dates -----------------------------------------------------------------------------


def test_the_issue_date_forms() -> None:
    pub = date(2024, 11, 18)
    assert events("Tối 17/11, lễ bế mạc diễn ra.", pub) == [("event", "2024-11-17", None)]
    assert events("Ngày 13/12, hội thảo khai mạc.", date(2023, 12, 14)) == [
        ("event", "2023-12-13", None)
    ]
    assert events("Lễ hội diễn ra từ 9 đến 17/11/2024.", pub) == [
        ("event", "2024-11-09", "2024-11-17")
    ]
    assert events("Sáng 2-10, diễn đàn được tổ chức.", date(2024, 10, 3)) == [
        ("event", "2024-10-02", None)
    ]
    assert events("Ngày 8 tháng 6 năm 2023, thành phố tổ chức lễ tôn vinh.", date(2023, 6, 9)) == [
        ("event", "2023-06-08", None)
    ]
    assert events("The festival opened on 9 November and runs until November 17.", pub) == [
        ("event", "2024-11-09", None),
        ("end", "2024-11-17", None),
    ]


def test_year_is_completed_nearest_the_publication() -> None:
    assert complete_year(31, 12, date(2024, 1, 2)) == date(2023, 12, 31)
    assert complete_year(9, 11, date(2024, 10, 29)) == date(2024, 11, 9)
    assert complete_year(30, 2, date(2024, 3, 1)) is None


def test_dates_that_are_not_the_event() -> None:
    pub = date(2023, 11, 12)
    assert events("Cập nhật lúc 22:15 ngày 11/11/2023.", pub) == [("stamp", "2023-11-11", None)]
    assert events("Thứ Hai, 13/11/2023 09:00 (GMT+7).", pub)[0][0] == "stamp"
    assert events("Hạn nhận bài dự thi là ngày 31/10.", pub)[0][0] == "deadline"
    assert events("Kể từ ngày 31/10/2019 khi Hà Nội gia nhập mạng lưới.", pub)[0][0] == "reference"
    assert events("Phố Sách trên phố 19 Tháng 12 mở cửa.", pub) == []
    assert events("Chín trên mười đội, tức 9/10 đội thi, hoàn thành.", pub) == []
    assert events("Kế hoạch 102/KH-UBND và Nghị quyết 09-NQ/TU.", pub) == []
    assert events("Chiếc máy 5 may mắn.", pub) == []  # folded "máy"/"may" is not May


# --- venues ----------------------------------------------------------------------------------


def venues(sentence: str) -> list[tuple[str, str]]:
    return [(v.value, v.kind) for v in find_venues(sentence, GAZ)]


def test_venues_resolve_to_the_gazetteer() -> None:
    assert venues("Lễ hội khai mạc tại vườn hoa tượng đài Lý Thái Tổ, mở đầu chuỗi hoạt động.") == [
        ("ly_thai_to_garden", "venue")
    ]
    assert venues("Khai mạc ở khu vực phố đi bộ Hồ Gươm.") == [
        ("hoan_kiem_walking_street", "venue")
    ]
    assert venues("Hoạt động thí điểm trong khuôn viên Bảo tàng Hà Nội, quận Nam Từ Liêm.") == [
        ("hanoi_museum", "venue")
    ]
    assert venues("The forum opened at the National Convention Center on December 12.") == [
        ("national_convention_center", "venue")
    ]
    assert venues("Trại sáng tác diễn ra ở huyện Ba Vì từ ngày 5.") == [("ba_vi", "district")]
    assert venues("Các trung tâm tại khu vực chợ Đồng Xuân và khu vực Cửa Nam.") == [
        ("dong_xuan_market", "venue"),
        ("cua_nam", "area"),
    ]
    assert venues("Không gian mới mở tại số 12 phố Quảng An, quận Tây Hồ, cho nghệ sĩ.") == [
        ("tay_ho", "district")
    ]
    assert venues("Hội nghị tổ chức tại khách sạn Melia Hà Nội.") == [
        ("khách sạn Melia Hà Nội", "unlisted")
    ]
    assert venues("Đoàn công tác tới TP.HCM, làm việc tại TP.HCM hai ngày.") == [
        ("hcmc", "elsewhere")
    ]


def test_phrases_that_are_not_venues() -> None:
    assert venues("Phát biểu tại hội nghị, lãnh đạo thành phố nhấn mạnh vai trò thiết kế.") == []
    assert venues("Văn phòng UNESCO tại Hà Nội cũng phối hợp tổ chức chuỗi tọa đàm.") == []
    assert venues("Đại sứ Pháp tại Việt Nam tới thăm.") == []
    assert venues("Bài viết được đăng tải tại Báo Hà Nội Mới.") == []
    assert venues("Phóng viên Báo Kinh tế & Đô thị tại Hà Nội ghi nhận.") == []
    assert venues("Chương trình phát sóng trên kênh H1 và tại đây có 200 tác phẩm.") == []
    assert venues("Hàng nghìn người đổ về trung tâm Thủ đô tối qua.") == []


def test_gazetteer_errors_name_the_entry(tmp_path) -> None:
    bad = tmp_path / "g.yaml"
    bad.write_text("places:\n  - {id: Bad Id, kind: venue, name_vi: A, name_en: A}\n", "utf-8")
    with pytest.raises(GazetteerError, match=r"places\[0\].*lower_snake_case"):
        load_gazetteer(bad)
    bad.write_text("places:\n  - {id: a, kind: palace, name_vi: A, name_en: A}\n", "utf-8")
    with pytest.raises(GazetteerError, match="kind must be one of"):
        load_gazetteer(bad)
    bad.write_text("places: [\n", "utf-8")
    with pytest.raises(GazetteerError, match="cannot read"):
        load_gazetteer(bad)


# --- figures ---------------------------------------------------------------------------------


def figures(sentence: str) -> list[tuple[float, str, str | None]]:
    return [(f.number, f.counts, f.qualifier) for f in find_figures(sentence)]


def test_the_issue_figure_forms() -> None:
    assert figures("Lễ hội có hơn 60 hoạt động.") == [(60, "activities", "more than")]
    assert figures("Dự kiến đón gần 30 vạn lượt khách.") == [(300_000, "visits", "nearly")]
    assert figures("Kế hoạch với 22 hoạt động.") == [(22, "activities", None)]
    assert figures("Sự tham gia của 5.000 nhà thiết kế.") == [(5000, "designers", None)]
    assert figures("Với sự tham dự của đại diện 20 quốc gia.") == [(20, "countries", None)]
    assert figures("Lễ hội đón khoảng 1,2 triệu lượt khách tham quan.") == [
        (1_200_000, "visits", "about")
    ]
    assert figures("Kéo dài chín ngày với mười hai khóa tập huấn.") == [
        (9, "days", None),
        (12, "courses", None),
    ]
    assert figures("It welcomed more than 5,000 visitors and 20 young designers.") == [
        (5000, "visitors", "more than"),
        (20, "designers", None),
    ]
    assert figures("Nâng tổng số thành viên lên 246.") == [(246, "members", None)]
    assert figures("Kinh phí 12,5 tỷ đồng.") == [(12_500_000_000, "vnd", None)]


def test_numbers_that_are_not_figures() -> None:
    assert figures("Năm 2025, Hội nghị lần thứ 20 diễn ra.") == []
    assert figures("Gần 300 nhà thiết kế dưới 35 tuổi tham gia.") == [(300, "designers", "nearly")]
    assert figures("Đóng góp khoảng 5% GRDP, rộng 3.000 m2.") == []
    assert figures("Hàng nghìn người và hàng trăm nhà thiết kế.") == []
    assert figures("Thí sinh dự thi theo nhóm tối đa bốn người.") == []
    assert figures("Mỗi quận xây dựng ít nhất 1 không gian sáng tạo.") == []
    assert figures("Chín trên mười đội hoàn thành; sau ngày khai mạc.") == []
    assert figures("Tổng kết một năm hoạt động của mạng lưới.") == []


def test_parse_number_forms() -> None:
    assert parse_number("150.000") == 150_000
    assert parse_number("1,5") == 1.5
    assert parse_number("1,500", english=True) == 1500
    assert parse_number("hai muoi lam") == 25
    assert parse_number("12a") is None


# --- kinds and roles -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "lead", "kind"),
    [
        ("Khai mạc Lễ hội Thiết kế sáng tạo Hà Nội năm 2024", "", "festival_edition"),
        ("Bế mạc Lễ hội Thiết kế sáng tạo Hà Nội 2024", "", "closing"),
        ("Diễn đàn thành phố sáng tạo Đông Nam Á khép lại", "", "forum"),
        ("Hà Nội lên kế hoạch tổ chức lễ hội thiết kế", "", "plan"),
        ("Lễ hội Thiết kế sáng tạo 2026 sẽ kéo dài", "Hà Nội đã công bố kế hoạch tổ chức.", "plan"),
        ("Triển lãm gốm trong khuôn khổ lễ hội thiết kế", "", "exhibition"),
        ("Đêm nhạc trong lễ hội thiết kế", "", "other"),
        ("Chung kết Tài năng sáng tạo Hà Nội mùa hai", "", "tv_programme"),
        ("Trao giải cuộc thi thiết kế biểu tượng", "", "competition"),
        ("Ra mắt Mạng lưới các nhà thiết kế sáng tạo trẻ", "", "opening"),
        ("Hà Nội gửi hồ sơ xin gia nhập Mạng lưới các Thành phố sáng tạo", "", "membership"),
        ("Tin tổng hợp", "Sáng 2/10, hội thảo về thiết kế diễn ra.", "conference"),
    ],
)
def test_kinds(title: str, lead: str, kind: str) -> None:
    assert classify_kind(title, lead) == kind


def role(sentence: str, name: str) -> str:
    s, e = find_name(sentence, name)[0]
    return role_in_sentence(sentence, s, e)


def test_roles() -> None:
    s = "Chương trình do Sở Văn hóa và Thể thao Hà Nội phối hợp với Đài Phát thanh và Truyền hình Hà Nội thực hiện."
    assert role(s, "Sở Văn hóa và Thể thao Hà Nội") == "organiser"
    assert role(s, "Đài Phát thanh và Truyền hình Hà Nội") == "partner"
    assert (
        role(
            "Văn phòng UNESCO tại Hà Nội cũng phối hợp tổ chức tọa đàm.",
            "Văn phòng UNESCO tại Hà Nội",
        )
        == "partner"
    )
    assert (
        role("UBND TP Hà Nội vừa ban hành Kế hoạch 229/KH-UBND.", "UBND TP Hà Nội") == "organiser"
    )
    assert (
        role("Phó Chủ tịch UBND TP Hà Nội cho rằng lễ hội tổ chức tốt.", "UBND TP Hà Nội")
        == "participant"
    )


# --- a story's activity ----------------------------------------------------------------------


def art(
    i: int, source: str, title: str, lead: str, text: str, published: str, **kw
) -> ArticleInput:
    return ArticleInput(i, source, title, lead, text, published, True, **kw)


FEST_TITLE = "Khai mạc Lễ hội Thiết kế sáng tạo Hà Nội 2023"
FEST_LEAD = "Tối 11/11, Lễ hội Thiết kế sáng tạo Hà Nội 2023 khai mạc tại phố đi bộ Hồ Gươm."


def festival_articles() -> list[ArticleInput]:
    tag = [TagRef("design_festival", FEST_LEAD, "lead", 0, len(FEST_LEAD), "alias:x")]
    sv_text = "Sở Văn hóa và Thể thao Hà Nội chủ trì tổ chức lễ hội với hơn 60 hoạt động."
    return [
        art(1, "thudo", FEST_TITLE, FEST_LEAD, "Lễ hội có hơn 70 hoạt động trong chín ngày.",
            "2023-11-11T21:00:00+07:00", initiatives=tag),
        art(2, "sovhtt", FEST_TITLE, FEST_LEAD, sv_text, "2023-11-12T08:00:00+07:00",
            initiatives=tag,
            agencies=[TagRef("doc_sports", sv_text, "text", 0, len(sv_text),
                             "alias:Sở Văn hóa và Thể thao Hà Nội")]),
    ]  # fmt: skip


def test_story_activity_keeps_both_figures_with_their_outlets(lex) -> None:
    a = activity_for_story(7, festival_articles(), lex)
    assert a is not None
    assert (a.kind, a.event_date, a.date_source) == ("festival_edition", "2023-11-11", "text")
    assert (a.venue_id, a.key) == (
        "hoan_kiem_walking_street",
        "festival_edition:design_festival:2023",
    )
    figs = sorted((f.value, f.counts, f.source_id) for f in a.facts if f.field == "figure")
    assert figs == [
        ("60", "activities", "sovhtt"),
        ("70", "activities", "thudo"),
        ("9", "days", "thudo"),
    ]
    assert a.conflicts == ["figure:activities"]
    assert a.organiser_ids == ["doc_sports"] and a.source_ids == ["thudo", "sovhtt"]
    date_fact = next(f for f in a.facts if f.field == "date" and f.primary)
    # the quote is the whole sentence and the offsets point at the mention in the stored field
    assert date_fact.quote == FEST_LEAD and date_fact.text_field == "lead"
    assert FEST_LEAD[date_fact.mention_start : date_fact.mention_end] == "11/11"


def test_publication_date_is_only_a_fallback_and_says_so(lex) -> None:
    a = activity_for_story(
        3, [art(1, "dothi", "Hà Nội công bố mạng lưới không gian sáng tạo", "",
                "Mạng lưới không gian sáng tạo vừa ra mắt với 20 thành viên.",
                "2025-07-02T10:00:00+07:00")], lex)  # fmt: skip
    assert a is not None and (a.event_date, a.date_source) == ("2025-07-02", "publication")
    fact = next(f for f in a.facts if f.field == "date")
    assert fact.qualifier == "publication" and fact.quote == ""


def test_stories_of_one_edition_merge_into_one_activity(lex) -> None:
    first = activity_for_story(1, festival_articles()[:1], lex)
    later = activity_for_story(
        2, [art(5, "dothi", "Lễ hội Thiết kế sáng tạo Hà Nội 2023 đón 30 vạn lượt khách",
                "Sau chín ngày, lễ hội đã đón gần 30 vạn lượt khách.", "",
                "2023-11-20T09:00:00+07:00",
                initiatives=[TagRef("design_festival", "x", "title", 0, 1)])], lex)  # fmt: skip
    assert first is not None and later is not None and first.key == later.key
    (merged,) = merge([later, first])
    assert merged.story_ids == [1, 2] and merged.event_date == "2023-11-11"
    assert {(f.value, f.counts) for f in merged.facts if f.field == "figure"} >= {
        ("70", "activities"),
        ("300000", "visits"),
    }


def test_a_story_with_no_relevant_article_has_no_activity(lex) -> None:
    a = art(1, "thudo", "Hội sách mùa thu", "", "Tối 17/11 hội sách mở cửa.", "2019-11-18")
    a.relevant = False
    assert activity_for_story(1, [a], lex) is None


def test_figure_about_another_city_is_dropped(lex) -> None:
    r = read_passage("Tuần lễ thiết kế", "", "TP.HCM dự kiến tổ chức hơn 200 hoạt động vào tháng 12. "
                     "Hà Nội có 60 hoạt động.", "2024-10-16", lex)  # fmt: skip
    assert r.figures == [(60.0, "activities")]
