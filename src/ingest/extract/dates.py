"""Parse the dates Vietnamese news and government pages print, into Hanoi time.

Vietnamese pages write dates day-first (`08/06/2023` is 8 June), wrap them in weekday names
("Thứ hai, 13/12/2021, 10:30 (GMT+7)"), prefixes ("Cập nhật", "Ngày đăng") or words
("ngày 8 tháng 6 năm 2023"), and portals still print 12-hour clocks ("2:29 PM", "2:29 CH").
Machine-readable metadata uses ISO 8601, sometimes with a space before the offset or no offset
at all; a missing offset means Hanoi time, because that is what these sites mean by it.

Everything returns a tz-aware datetime in +07:00, or None: a date before 1990 or more than a
day in the future is a parsing accident (a phone number, a document number, a template default)
and is rejected rather than stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from ..clock import VN_TZ
from ..text.textnorm import fold

MIN_YEAR = 1990
FUTURE_SLACK = timedelta(days=1)

_ISO = re.compile(
    r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[T ](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,]\d+)?)?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?(?![\d])",
    re.IGNORECASE,
)
# Day-first numeric dates: 8/6/2023, 08-06-2023, 08.06.2023; two-digit years are accepted.
_DMY = re.compile(
    r"(?<![\d/.\-])(?P<d>\d{1,2})[/.\-](?P<m>\d{1,2})[/.\-](?P<y>\d{4}|\d{2})(?![\d/])"
)
# Dates in words, on folded text: "ngay 8 thang 6 nam 2023", "8 thang 6, 2023".
_WORDS = re.compile(
    r"(?:ngay\s+)?(?P<d>\d{1,2})\s+thang\s+(?P<m>\d{1,2})\s*(?:,|nam|/)?\s*(?:nam\s+)?(?P<y>\d{4})"
)
_EN_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
_EN_MDY = re.compile(
    r"\b(?P<mon>[a-z]{3})[a-z]*\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>\d{4})"
)
_EN_DMY = re.compile(
    r"\b(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?P<mon>[a-z]{3})[a-z]*\.?,?\s+(?P<y>\d{4})"
)
# Clock times on folded text: 10:30, 10:30:15, 10h30, 10 gio 30, with AM/PM or SA/CH (sáng/chiều).
_TIME = re.compile(
    r"(?<![\d:+\-])(?P<H>\d{1,2})(?:\s*(?::|h|gio)\s*(?P<M>\d{2})(?::(?P<S>\d{2}))?)"
    r"(?:\s*(?P<ampm>am|pm|a\.m\.|p\.m\.|sa|ch)\b)?",
)
# The .NET en-US general format ASP.NET and SharePoint portals put in their metadata:
# "3/24/2024 7:12:35 AM". A Vietnamese culture would print "24/03/2024 7:12:35 SA".
_US_NET = re.compile(
    r"^\s*(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})\s+(?P<H>\d{1,2}):(?P<M>\d{2})"
    r"(?::(?P<S>\d{2}))?\s*(?P<ampm>AM|PM)\s*$",
    re.I,
)
_OFFSET = re.compile(r"(?:gmt|utc)\s*(?P<sign>[+-])\s*(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?")


def _offset(folded: str) -> timezone | None:
    m = _OFFSET.search(folded)
    if not m:
        return None
    minutes = int(m.group("h")) * 60 + int(m.group("m") or 0)
    if minutes > 14 * 60:
        return None
    sign = -1 if m.group("sign") == "-" else 1
    return timezone(timedelta(minutes=sign * minutes))


def _plausible(dt: datetime, now: datetime | None) -> datetime | None:
    dt = dt.astimezone(VN_TZ)
    ref = (now or datetime.now(VN_TZ)).astimezone(VN_TZ)
    if dt.year < MIN_YEAR or dt > ref + FUTURE_SLACK:
        return None
    return dt


def _build(
    y: int, mo: int, d: int, hh: int = 0, mi: int = 0, ss: int = 0, tz: timezone | None = None
) -> datetime | None:
    if y < 100:
        y += 2000 if y < 70 else 1900
    try:
        return datetime(y, mo, d, hh, mi, ss, tzinfo=tz or VN_TZ)
    except ValueError:
        return None


def _iso_tz(raw: str | None) -> timezone | None:
    if not raw:
        return None
    if raw.upper() == "Z":
        return UTC
    sign = -1 if raw[0] == "-" else 1
    digits = raw[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4])
    if hours > 14 or minutes > 59:
        return None
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


@dataclass(frozen=True)
class DateParts:
    """A parsed date with what the string said about it, for weighing one source against another.

    `wall` is the clock time as written (no conversion); `offset` the offset the string gave, or
    None when it gave none (then Hanoi time is assumed).
    """

    dt: datetime  # aware, in +07:00
    wall: datetime  # naive, as printed
    has_time: bool
    offset: timezone | None


def _parts(dt: datetime | None, has_time: bool, offset: timezone | None) -> DateParts | None:
    if dt is None:
        return None
    return DateParts(dt, dt.replace(tzinfo=None), has_time, offset)


def _parse_iso(text: str) -> DateParts | None:
    m = _ISO.search(text)
    if not m:
        return None
    g = m.groupdict()
    h, mi, s = int(g["H"] or 0), int(g["M"] or 0), int(g["S"] or 0)
    if h > 23 or mi > 59 or s > 59:
        return None
    tz = _iso_tz(g["tz"])
    return _parts(_build(int(g["y"]), int(g["m"]), int(g["d"]), h, mi, s, tz), bool(g["H"]), tz)


def _parse_us(text: str) -> DateParts | None:
    m = _US_NET.match(text)
    if not m:
        return None
    h = int(m.group("H"))
    if not 1 <= h <= 12:
        return None
    if m.group("ampm").lower() == "pm" and h != 12:
        h += 12
    elif m.group("ampm").lower() == "am" and h == 12:
        h = 0
    dt = _build(
        int(m.group("y")),
        int(m.group("m")),
        int(m.group("d")),
        h,
        int(m.group("M")),
        int(m.group("S") or 0),
    )
    return _parts(dt, True, None)


def _clock(folded: str, exclude: tuple[int, int]) -> tuple[int, int, int] | None:
    """The first clock time outside the matched date span, converted to 24-hour."""
    for m in _TIME.finditer(folded):
        if m.start() < exclude[1] and m.end() > exclude[0]:
            continue
        h, mi, s = int(m.group("H")), int(m.group("M") or 0), int(m.group("S") or 0)
        ampm = (m.group("ampm") or "").replace(".", "")
        if ampm and 1 <= h <= 12:  # "00:01 AM" and "14:00 PM" occur; read them as 24-hour
            if ampm in ("pm", "ch") and h != 12:
                h += 12
            elif ampm in ("am", "sa") and h == 12:
                h = 0
        if h > 23 or mi > 59 or s > 59:
            continue
        return h, mi, s
    return None


def _parse_human(text: str) -> DateParts | None:
    folded = fold(text)
    found = None
    for rx in (_WORDS, _DMY):
        m = rx.search(folded)
        if m:
            d, mo = int(m.group("d")), int(m.group("m"))
            if rx is _DMY and mo > 12 >= d:
                d, mo = mo, d  # "3/24/2024" cannot be day-first: a US date
            found = (int(m.group("y")), mo, d, m.span())
            break
    if found is None:
        for rx in (_EN_MDY, _EN_DMY):
            m = rx.search(folded)
            if m and m.group("mon") in _EN_MONTHS:
                found = (int(m.group("y")), _EN_MONTHS[m.group("mon")], int(m.group("d")), m.span())
                break
    if found is None:
        return None
    y, mo, d, span = found
    clock = _clock(folded, span)
    tz = _offset(folded)
    return _parts(_build(y, mo, d, *(clock or (0, 0, 0)), tz=tz), clock is not None, tz)


def parse_vn_date(text: str, *, now: datetime | None = None) -> datetime | None:
    """Parse one date as printed on a Vietnamese page or in its metadata; never raises.

    ISO 8601 is tried first (metadata), then day-first numeric dates and dates in words, with
    an optional clock and GMT offset anywhere in the string. Returns a datetime in +07:00, or
    None when nothing plausible (1990 ≤ date ≤ now + 1 day) is found.
    """
    p = parse_date_parts(text, now=now)
    return p.dt if p else None


def parse_date_parts(
    text: str, *, now: datetime | None = None, us: bool = False
) -> DateParts | None:
    """`parse_vn_date` keeping what the string said: the clock as printed, whether it had a
    time, and its offset. `us=True` (metadata only) reads the .NET en-US format month-first."""
    if not isinstance(text, str) or not text.strip():
        return None
    text = text[:500]
    try:
        p = (_parse_us(text) if us else None) or _parse_iso(text) or _parse_human(text)
    except (ValueError, OverflowError):
        return None
    if p is None:
        return None
    dt = _plausible(p.dt, now)
    return DateParts(dt, p.wall, p.has_time, p.offset) if dt else None


def to_iso(dt: datetime | None) -> str | None:
    """ISO 8601 in Hanoi time with seconds, e.g. 2023-06-08T10:30:00+07:00."""
    return dt.astimezone(VN_TZ).isoformat(timespec="seconds") if dt else None
