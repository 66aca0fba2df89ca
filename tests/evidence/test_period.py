"""The one date convention: four forms accepted, anything else refused with a message."""

from __future__ import annotations

from datetime import date

import pytest

from ingest.evidence.period import DateError, optional_bound, parse_bound, parse_period


@pytest.mark.parametrize(
    ("value", "start", "end"),
    [
        ("2023", date(2023, 1, 1), date(2023, 12, 31)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2023-11-11", date(2023, 11, 11), date(2023, 11, 11)),
        ("11/11/2023", date(2023, 11, 11), date(2023, 11, 11)),
        ("01/01/2023", date(2023, 1, 1), date(2023, 1, 1)),
        ("8/6/2023", date(2023, 6, 8), date(2023, 6, 8)),  # day first, as Vietnamese write it
        (" 2023-3 ", date(2023, 3, 1), date(2023, 3, 31)),
    ],
)
def test_the_four_forms(value, start, end):
    assert parse_bound(value, "start") == start
    assert parse_bound(value, "end") == end


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("31/31/2023", "there is no month 31"),
        ("30/02/2023", "2023-02 has no day 30"),
        ("2023-13", "there is no month 13"),
        ("2023-02-29", "2023-02 has no day 29"),
        ("1", "not a recognised form"),
        ("9999", "the year must be between 1990 and 2100"),
        ("2023/11/01", "not a recognised form"),
        ("11-11-2023", "not a recognised form"),
        ("2023-11-11T10:00", "not a recognised form"),
        ("hôm qua", "not a recognised form"),
        ("", "empty"),
    ],
)
def test_anything_else_is_refused_with_a_bilingual_message(value, why):
    with pytest.raises(DateError) as err:
        parse_bound(value, "start", "date_from")
    message = str(err.value)
    assert message.startswith(f"date_from: ngày «{value}» không hợp lệ")
    assert why in message
    assert "2023, 2023-11, 2023-11-11 or 11/11/2023" in message  # what would work
    assert "2023, 2023-11, 2023-11-11 hoặc 11/11/2023" in message


def test_periods():
    assert parse_period("01/01/2023", "31/12/2023") == (date(2023, 1, 1), date(2023, 12, 31))
    assert parse_period("2023", "2023") == (date(2023, 1, 1), date(2023, 12, 31))
    with pytest.raises(ValueError, match="the period ends \\(2023-01-01\\) before it starts"):
        parse_period("2024", "01/01/2023")
    with pytest.raises(DateError, match="^to: "):
        parse_period("2023", "31/31/2023")


def test_blank_means_no_bound_where_blank_is_allowed():
    assert optional_bound("", "start") is None
    assert optional_bound(None, "end") is None
    assert optional_bound("2023-11", "end") == date(2023, 11, 30)
    with pytest.raises(DateError):
        optional_bound("31/31/2023", "end")
