"""The Vietnamese date parser: the formats the press and portals print, and properties."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.extract.dates import VN_TZ, parse_vn_date, to_iso

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=VN_TZ)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-07T00:05:00+07:00", "2026-03-07T00:05:00+07:00"),
        ("2026-03-07T08:52:11.000 +07:00", "2026-03-07T08:52:11+07:00"),
        ("2026-03-07T00:01:00", "2026-03-07T00:01:00+07:00"),  # no offset: Hanoi time
        ("2026-03-06T17:05:00Z", "2026-03-07T00:05:00+07:00"),  # UTC shifted to the next day
        ("Thứ bảy, 7/3/2026, 00:05 (GMT+7)", "2026-03-07T00:05:00+07:00"),
        ("Thứ hai, 13/12/2021, 10:30 (GMT+7)", "2021-12-13T10:30:00+07:00"),
        ("08/06/2023", "2023-06-08T00:00:00+07:00"),  # day first: 8 June
        ("07-03-2026 - 09:40 AM", "2026-03-07T09:40:00+07:00"),
        ("07-03-2026 - 00:01 AM", "2026-03-07T00:01:00+07:00"),
        ("Ngày đăng 06/10/2016 | 2:29 PM | View count: 811", "2016-10-06T14:29:00+07:00"),
        ("17/08/2015 | 12:00 AM", "2015-08-17T00:00:00+07:00"),
        ("Cập nhật: 23:02 , 06/03/2026", "2026-03-06T23:02:00+07:00"),
        ("Cập nhật ngày 8 tháng 6 năm 2023 lúc 14h05", "2023-06-08T14:05:00+07:00"),
        ("ngày 8 tháng 6 năm 2023", "2023-06-08T00:00:00+07:00"),
        ("05.12.2022 - 20h15", "2022-12-05T20:15:00+07:00"),
        ("2:29 CH 06/10/2016", "2016-10-06T14:29:00+07:00"),  # CH = chiều (afternoon)
        ("(GMT+07:00) 07/03/2026", "2026-03-07T00:00:00+07:00"),  # offset is not a clock
        ("07/03/2026 08:52 (GMT+07:00)", "2026-03-07T08:52:00+07:00"),
        ("10:30 08/06/2023 (GMT+9)", "2023-06-08T08:30:00+07:00"),  # stated offset converted
        ("November 9, 2024", "2024-11-09T00:00:00+07:00"),
        ("9 November 2024 3:05 pm", "2024-11-09T15:05:00+07:00"),
    ],
)
def test_formats(text, expected):
    assert to_iso(parse_vn_date(text, now=NOW)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "không có ngày nào ở đây",
        "31/02/2020",  # no such day
        "13/13/2020",
        "01/01/1989",  # before 1990: a template default or a document number
        "01/12/2026",  # after `now` + 1 day: in the future
        "2026-11-24T00:00:00+07:00",
        "Số 102/KH-UBND",
    ],
)
def test_rejects(text):
    assert parse_vn_date(text, now=NOW) is None


def test_tomorrow_is_tolerated_for_clock_skew():
    assert parse_vn_date("23/11/2026 08:00", now=NOW) is not None


def test_result_is_hanoi_time():
    dt = parse_vn_date("2024-11-09T12:30:00Z", now=NOW)
    assert dt.utcoffset() == timedelta(hours=7)
    assert dt.hour == 19


# ---------------------------------------------------------------- properties

_dates = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2026, 11, 21, 23, 59)).map(
    lambda d: d.replace(second=0, microsecond=0)
)
_WEEKDAYS = ["Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy", "Chủ nhật"]


def _render(d: datetime, style: int) -> str:
    wd = _WEEKDAYS[d.weekday()]
    h12 = d.hour % 12 or 12
    ampm = "AM" if d.hour < 12 else "PM"
    return [
        f"{wd}, {d.day}/{d.month}/{d.year}, {d.hour:02d}:{d.minute:02d} (GMT+7)",
        f"Cập nhật {d.day:02d}/{d.month:02d}/{d.year} | {h12}:{d.minute:02d} {ampm}",
        f"Ngày đăng: {d.hour}h{d.minute:02d} ngày {d.day} tháng {d.month} năm {d.year}",
        d.replace(tzinfo=VN_TZ).astimezone(UTC).isoformat(),
        f"{d.day:02d}-{d.month:02d}-{d.year} - {d.hour:02d}:{d.minute:02d}",
    ][style]


@given(_dates, st.integers(min_value=0, max_value=4))
@settings(max_examples=300, deadline=None)
def test_round_trip_every_style(d, style):
    assert parse_vn_date(_render(d, style), now=NOW) == d.replace(tzinfo=VN_TZ)


@given(st.text(max_size=200))
@settings(max_examples=300, deadline=None)
def test_never_raises_and_stays_in_bounds(text):
    dt = parse_vn_date(text, now=NOW)
    if dt is not None:
        assert dt.utcoffset() == timedelta(hours=7)
        assert datetime(1990, 1, 1, tzinfo=VN_TZ) <= dt <= NOW + timedelta(days=1)


@given(_dates, st.integers(min_value=0, max_value=4), st.text(alphabet="ĐđÂâ |,-–()", max_size=10))
@settings(max_examples=200, deadline=None)
def test_noise_around_the_date_does_not_change_it(d, style, noise):
    text = noise + " " + _render(d, style) + " " + noise
    assert parse_vn_date(text, now=NOW) == d.replace(tzinfo=VN_TZ)


# ---------------------------------------------------------------- issue 19: what a date string says


def test_parts_keep_the_printed_clock_and_the_offset():
    from datetime import datetime

    from ingest.extract.dates import parse_date_parts

    p = parse_date_parts("2025-12-19T21:40:00+00:00")
    assert to_iso(p.dt) == "2025-12-20T04:40:00+07:00"
    assert p.wall == datetime(2025, 12, 19, 21, 40) and p.has_time
    assert p.offset is not None and p.offset.utcoffset(None).total_seconds() == 0
    q = parse_date_parts("Thứ Sáu, 10-05-2024")
    assert not q.has_time and q.offset is None


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        ("3/24/2024 7:12:35 AM", "2024-03-24T07:12:35+07:00"),
        ("3/4/2024 7:12:35 PM", "2024-03-04T19:12:35+07:00"),  # month first: .NET en-US
        ("12/1/2023 12:05:00 AM", "2023-12-01T00:05:00+07:00"),
    ],
)
def test_us_format_in_metadata(meta, expected):
    from ingest.extract.dates import parse_date_parts

    assert to_iso(parse_date_parts(meta, us=True).dt) == expected


def test_day_first_stays_day_first_outside_metadata_unless_impossible():
    assert to_iso(parse_vn_date("3/4/2024 7:12:35 PM")) == "2024-04-03T19:12:35+07:00"
    assert to_iso(parse_vn_date("3/24/2024")) == "2024-03-24T00:00:00+07:00"  # no 24th month


def test_reconcile_prefers_the_visible_clock_over_a_foreign_offset():
    from ingest.extract.dates import parse_date_parts
    from ingest.extract.published import reconcile

    visible = parse_date_parts("10-05-2024, 00:30")
    for structured in ("2024-05-10T00:30:00+08:00", "2024-05-10T00:30:00Z"):
        kept, from_page = reconcile(parse_date_parts(structured), visible)
        assert (to_iso(kept.dt), from_page) == ("2024-05-10T00:30:00+07:00", True)
    right_utc = parse_date_parts("2024-05-09T17:30:00Z")  # the same instant, honestly labelled
    kept, from_page = reconcile(right_utc, visible)
    assert (to_iso(kept.dt), from_page) == ("2024-05-10T00:30:00+07:00", False)
    other = parse_date_parts("2024-05-09T10:00:00+08:00")  # a different time: keep metadata
    assert reconcile(other, visible) == (other, False)


def test_reconcile_with_a_visible_day_only():
    from ingest.extract.dates import parse_date_parts
    from ingest.extract.published import reconcile

    kept, from_page = reconcile(
        parse_date_parts("2023-11-20T00:15:00+08:00"), parse_date_parts("Thứ Hai, 20/11/2023")
    )
    assert (to_iso(kept.dt), from_page) == ("2023-11-20T00:15:00+07:00", True)
