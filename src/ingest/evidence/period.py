"""One date convention for every date a person types: the report, its page, the canned queries.

The monitoring team writes dates the Vietnamese way (`11/11/2023`), researchers write ISO
(`2023-11-11`) or just a year or a month. All four forms are accepted everywhere and mean a
whole day, month or year; anything else is refused with a message in both languages, never
compared as a string (`'01/01/2023' > '2023-06-01'` is true as text, which is how a canned query
used to return the wrong rows).

A bound is resolved to a calendar date: the first day of what was written for a period's start,
the last day for its end. Years outside 1990–2100 are refused: the programme began in 2019, and
an unbounded period (`from=1&to=9999`) only makes work.
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

MIN_YEAR = 1990
MAX_YEAR = 2100
FORMS_VI = "2023, 2023-11, 2023-11-11 hoặc 11/11/2023"
FORMS_EN = "2023, 2023-11, 2023-11-11 or 11/11/2023"
HINT = f"Dạng ngày / Date forms: {FORMS_VI.replace(' hoặc ', ', ')}"

Side = Literal["start", "end"]

_YEAR = re.compile(r"(\d{4})")
_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


class DateError(ValueError):
    """A date a person typed that is not one of the four forms, or not a real day."""

    def __init__(self, value: str, why_vi: str, why_en: str, name: str | None = None) -> None:
        self.value, self.name = value, name
        self.why_vi, self.why_en = why_vi, why_en
        where = f"{name}: " if name else ""
        super().__init__(
            f"{where}ngày «{value}» không hợp lệ ({why_vi}); dùng {FORMS_VI}. / "
            f"invalid date «{value}» ({why_en}); use {FORMS_EN}."
        )

    def named(self, name: str) -> DateError:
        """The same error, saying which field it came from."""
        return DateError(self.value, self.why_vi, self.why_en, name)


@dataclass(frozen=True)
class Span:
    """What one typed value covers: a day, a month or a year, as first and last day."""

    first: date
    last: date


def parse_span(value: str) -> Span:
    """The day, month or year written in `value`, in one of the four forms."""
    v = (value or "").strip()
    if not v:
        raise DateError(value, "trống", "empty")
    if m := _DMY.fullmatch(v):
        d, mo, y = (int(g) for g in m.groups())
        day = _day(value, y, mo, d)
        return Span(day, day)
    if m := _ISO.fullmatch(v):
        y, mo, d = (int(g) for g in m.groups())
        day = _day(value, y, mo, d)
        return Span(day, day)
    if m := _MONTH.fullmatch(v):
        y, mo = (int(g) for g in m.groups())
        _check_year(value, y)
        _check_month(value, mo)
        return Span(date(y, mo, 1), date(y, mo, monthrange(y, mo)[1]))
    if m := _YEAR.fullmatch(v):
        y = int(m.group(1))
        _check_year(value, y)
        return Span(date(y, 1, 1), date(y, 12, 31))
    raise DateError(value, "không đúng dạng", "not a recognised form")


def parse_bound(value: str, side: Side, name: str | None = None) -> date:
    """First day of what `value` covers for a start, its last day for an end."""
    try:
        span = parse_span(value)
    except DateError as exc:
        if name:
            raise exc.named(name) from None
        raise
    return span.first if side == "start" else span.last


def optional_bound(value: str | None, side: Side, name: str | None = None) -> date | None:
    """Like `parse_bound`, but a blank value means no bound (the canned queries' convention)."""
    if value is None or not str(value).strip():
        return None
    return parse_bound(str(value), side, name)


def parse_period(
    date_from: str, date_to: str, names: tuple[str, str] = ("from", "to")
) -> tuple[date, date]:
    """A period from two typed bounds; the end may not come before the start."""
    start = parse_bound(date_from, "start", names[0])
    end = parse_bound(date_to, "end", names[1])
    if end < start:
        raise ValueError(
            f"kỳ báo cáo kết thúc ({format_date_vi(end.isoformat())}) trước khi bắt đầu"
            f" ({format_date_vi(start.isoformat())}) / the period ends ({end}) before it starts"
            f" ({start})"
        )
    return start, end


def format_date_vi(iso: str | None) -> str:
    """Day-first, as Vietnamese readers write it: 11/11/2023 (empty when unknown)."""
    if not iso:
        return ""
    try:
        d = datetime.fromisoformat(iso)
    except ValueError:
        return iso[:10]
    return f"{d.day:02d}/{d.month:02d}/{d.year}"


def _check_year(value: str, y: int) -> None:
    if not MIN_YEAR <= y <= MAX_YEAR:
        raise DateError(
            value,
            f"năm phải từ {MIN_YEAR} đến {MAX_YEAR}",
            f"the year must be between {MIN_YEAR} and {MAX_YEAR}",
        )


def _check_month(value: str, mo: int) -> None:
    if not 1 <= mo <= 12:
        raise DateError(value, f"không có tháng {mo}", f"there is no month {mo}")


def _day(value: str, y: int, mo: int, d: int) -> date:
    _check_year(value, y)
    _check_month(value, mo)
    last = monthrange(y, mo)[1]
    if not 1 <= d <= last:
        raise DateError(value, f"tháng {mo}/{y} không có ngày {d}", f"{y}-{mo:02d} has no day {d}")
    return date(y, mo, d)
