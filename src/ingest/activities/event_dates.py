"""When an activity happened, read off the text: "Tối 17/11", "ngày 13/12", "từ 9 đến 17/11/2024".

Why not the publication date: the press reports an opening the next morning, a plan a week
after it was signed, a festival's figures after it closed; the monitoring report needs the day
of the event. News text names it day-first and usually without a year ("sáng 2-10" is 2
October), so the year is completed from the article's date: the candidate year nearest the
publication (an article of 2 January about "tối 31/12" means the year before).

Not every date in a sentence is the event's. A mention is given a role from the words before
it, so the chooser can skip what is not the event:
- `event`: the day it happened (or starts): "Tối 9/11", "Ngày 1/4/2022,", "từ ngày 3/3";
- `end`: "kéo dài đến 17/11", "until November 17";
- `deadline`: "hạn nhận hồ sơ là ngày 31/10", "gửi trước ngày 30/11";
- `reference`: "kể từ ngày 31/10/2019" and any explicit date more than a year from publication;
- `stamp`: the page's own timestamp copied into the text ("Cập nhật lúc 22:15 ngày 11/11/2023",
  "Thứ Hai, 13/11/2023 09:00 (GMT+7)"): that is the publication date, not the event's.
A day and month with no year count only after a cue (ngày, sáng, tối, đêm, từ, đến, a weekday,
or in brackets), so "9/10 đội thi" (a fraction) and "phố 19 Tháng 12" (a street) are not dates.

Explicit dates are parsed with `ingest.extract.dates.parse_vn_date`, the extractor's own
day-first reader, so both stages agree on what "08/06/2023" means. Works on the folded
sentence, whose offsets are those of the NFC original.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ..clock import VN_TZ
from ..extract.dates import parse_vn_date
from ..text.textnorm import fold, nfc

REFERENCE_DAYS = 366  # an explicit date further than this from publication is a back-reference
ROLES = ("event", "end", "deadline", "reference", "stamp")

_EN_MONTHS = {
    name: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for name in names
}
_MON = r"(?:" + "|".join(sorted(_EN_MONTHS, key=len, reverse=True)) + r")\.?"
_ORD = r"(?:st|nd|rd|th)?"

# Vietnamese ranges: "từ 9 đến 17/11/2024", "từ ngày 9/11 đến ngày 17/11", "9-17/11".
_VN_RANGE = re.compile(
    r"(?<![\w/])(?P<tu>tu\s+)?(?:ngay\s+)?(?P<d1>\d{1,2})(?:/(?P<m1>\d{1,2})(?:/(?P<y1>\d{4}))?)?"
    r"\s*(?:den|toi|-|–|va)\s*(?:het\s+)?(?:ngay\s+)?(?P<d2>\d{1,2})/(?P<m2>\d{1,2})"
    r"(?:/(?P<y2>\d{4}))?(?![\d/])"
)
# "ngày 8 tháng 6 năm 2023", "8 tháng 6, 2023", "ngày 8 tháng 6".
_VN_WORDS = re.compile(
    r"(?<![\w])(?:ngay\s+)?(?P<d>\d{1,2})\s+thang\s+(?P<m>\d{1,2})"
    r"(?:\s*(?:,|nam)\s*(?:nam\s+)?(?P<y>\d{4}))?(?![\d])"
)
# 17/11, 17/11/2024, 2-10, 02-10-2023, 17.11.2024 (a dot only with a year: 9.11 is a decimal).
_VN_NUM = re.compile(
    r"(?<![\w/.,\-])(?P<d>\d{1,2})(?P<sep>[/\-.])(?P<m>\d{1,2})"
    r"(?:(?P=sep)(?P<y>\d{4}|\d{2}))?(?![\w/]|[.,\-]\d)"
)
_EN_RANGE = re.compile(
    rf"(?<![\w])(?:from\s+)?(?P<d1>\d{{1,2}}){_ORD}\s*(?:to|until|-|–|and)\s*(?P<d2>\d{{1,2}}){_ORD}"
    rf"\s+(?:of\s+)?(?P<mon>{_MON})(?:,?\s+(?P<y>\d{{4}}))?(?![\w])"
    rf"|(?<![\w])(?:from\s+)?(?P<mon_b>{_MON})\s+(?P<d1b>\d{{1,2}}){_ORD}\s*(?:to|until|-|–|and)\s*"
    rf"(?P<d2b>\d{{1,2}}){_ORD}(?:,?\s+(?P<yb>\d{{4}}))?(?![\w])"
)
_EN_DMY = re.compile(
    rf"(?<![\w])(?P<d>\d{{1,2}}){_ORD}\s+(?:of\s+)?(?P<mon>{_MON})(?:,?\s+(?P<y>\d{{4}}))?(?![\w])"
)
_EN_MDY = re.compile(
    rf"(?<![\w])(?P<mon>{_MON})\s+(?P<d>\d{{1,2}}){_ORD}(?:,?\s+(?P<y>\d{{4}}))?(?![\w])"
)

# The words around a mention are read on the lowercased original, not the folded text: folded,
# "tối" (evening) reads as "tới" (until) and "lễ hội" (festival) as "hồi" (back then).
_PART = re.compile(r"(sáng|trưa|chiều|tối|đêm|khuya|morning|afternoon|evening|night)\b")
# Words right before a bare day/month that make it a date.
_CUE_BEFORE = re.compile(
    r"(?:ngày|hôm|sáng|trưa|chiều|tối|đêm|khuya|từ|đến|tới|hết|nay|qua|on|from|until"
    r"|thứ (?:hai|ba|tư|năm|sáu|bảy)|chủ nhật|lúc|vào)\s*,?\s*$|\(\s*$"
)
_STRICT_CUE = re.compile(r"(?:ngày|sáng|trưa|chiều|tối|đêm|khuya)\s*$")
_NOT_DATE_BEFORE = re.compile(r"(?:phố|đường|ngõ|số|quảng trường|kỳ họp|khóa|tức|tỷ lệ)\s*$")
_STAMP_BEFORE = re.compile(
    r"(?:cập nhật|ngày đăng|đăng lúc|đăng ngày|xuất bản|published|updated|posted)[^.]{0,20}$"
)
_STAMP_AFTER = re.compile(r"^\s*[,|\-–]?\s*(?:lúc\s+)?\d{1,2}[:h]\d{2}|^\s*\(?gmt")
_DEADLINE_BEFORE = re.compile(
    r"(?:\bhạn\b(?: chót)?(?: cuối)?(?: nhận| nộp| gửi| đăng ký)?[^.]{0,25}|trước ngày"
    r"|chậm nhất|before|deadline[^.]{0,12}|no later than|\bby)\s*(?:là\s+)?(?:ngày\s+)?$"
)
_REFERENCE_BEFORE = re.compile(r"(?:kể từ|từ khi|since|hồi|năm ngoái|last year)[^.]{0,12}$")
_END_BEFORE = re.compile(
    r"(?:đến|tới|hết|until|till|through)\s*(?:hết\s+)?(?:ngày\s+)?(?:\d{1,2}[:h]\d{2}\s+)?$"
)


@dataclass(frozen=True)
class DateMention:
    """One date in a sentence, with what it is the date of."""

    start: int  # offsets in the sentence
    end: int
    date: date
    end_date: date | None  # the last day of a range
    role: str  # one of ROLES
    year_given: bool
    part_of_day: str | None
    text: str  # the words as written


def complete_year(day: int, month: int, published: date | None) -> date | None:
    """The day and month in the year nearest the publication (or None if no such day)."""
    if published is None:
        return None
    best = None
    for year in (published.year - 1, published.year, published.year + 1):
        try:
            d = date(year, month, day)
        except ValueError:
            continue
        if best is None or abs((d - published).days) < abs((best - published).days):
            best = d
    return best


def _explicit(text: str, published: date | None) -> date | None:
    """An explicit dd/mm/yyyy or words date through the extractor's parser."""
    base = published or datetime.now(VN_TZ).date()
    ref = datetime.combine(base + timedelta(days=800), datetime.min.time(), tzinfo=VN_TZ)
    dt = parse_vn_date(text, now=ref)
    return dt.date() if dt else None


def _build(d: int, m: int, y: str | None, published: date | None) -> tuple[date | None, bool]:
    if y:
        year = int(y)
        if year < 100:
            year += 2000
        try:
            return date(year, m, d), True
        except ValueError:
            return None, True
    return complete_year(d, m, published), False


def find_dates(sentence: str, published: date | None) -> list[DateMention]:
    """Every date in one sentence, in order, each with its role (see the module docstring)."""
    sentence = nfc(sentence)
    folded = fold(sentence)
    lower = sentence.lower()
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []

    def free(s: int, e: int) -> bool:
        return all(e <= a or s >= b for a, b in taken)

    def add(s: int, e: int, start: date | None, end: date | None, given: bool, bare: bool) -> None:
        if start is None or not free(s, e):
            return
        if end is not None and end < start:
            end = None
        role = _role(lower, s, e, start, published, given)
        before = lower[max(0, s - 25) : s]
        if bare and role not in ("stamp",) and not _CUE_BEFORE.search(before):
            return
        if _NOT_DATE_BEFORE.search(before):
            return
        part = _PART.search(before[-10:])
        found.append(
            DateMention(
                s, e, start, end, role, given, part.group(1) if part else None, sentence[s:e]
            )
        )
        taken.append((s, e))

    for m in _VN_RANGE.finditer(folded):
        from_word = m.group("tu") and lower[m.start("tu") : m.end("tu")].startswith("từ")
        two_days = re.search(r"\d\s+va\s+\d", m.group(0)) and not m.group("m1")
        if two_days and int(m.group("d2")) - int(m.group("d1")) != 1:
            continue  # "12 và 13/5" is a two-day span; "1 và 15/5" two separate days
        if not (from_word or two_days or m.group("m1") or re.search(r"[-–]", m.group(0))):
            continue
        d2, m2 = int(m.group("d2")), int(m.group("m2"))
        end, given = _build(d2, m2, m.group("y2"), published)
        if end is None:
            continue
        m1 = int(m.group("m1") or m2)
        y1 = m.group("y1") or (
            str(end.year) if not m.group("m1") or int(m.group("m1")) <= m2 else str(end.year - 1)
        )
        start, _ = _build(int(m.group("d1")), m1, y1, published)
        add(m.start("d1"), m.end(), start, end, given, bare=False)
    for m in _VN_WORDS.finditer(folded):
        start, given = _build(int(m.group("d")), int(m.group("m")), m.group("y"), published)
        if given:
            start = _explicit(sentence[m.start() : m.end()], published) or start
        add(m.start(), m.end(), start, None, given, bare=False)
    for m in _EN_RANGE.finditer(folded):
        if not _ascii_month(sentence, m, "mon", "mon_b"):
            continue
        mon = _EN_MONTHS[(m.group("mon") or m.group("mon_b")).rstrip(".")]
        d1, d2 = m.group("d1") or m.group("d1b"), m.group("d2") or m.group("d2b")
        y = m.group("y") or m.group("yb")
        end, given = _build(int(d2), mon, y, published)
        start, _ = _build(int(d1), mon, str(end.year) if end else y, published)
        add(m.start(), m.end(), start, end, given, bare=False)
    for rx in (_EN_DMY, _EN_MDY):
        for m in rx.finditer(folded):
            if not _ascii_month(sentence, m, "mon"):
                continue
            mon = _EN_MONTHS[m.group("mon").rstrip(".")]
            start, given = _build(int(m.group("d")), mon, m.group("y"), published)
            add(m.start(), m.end(), start, None, given, bare=False)
    for m in _VN_NUM.finditer(folded):
        sep, y = m.group("sep"), m.group("y")
        if sep == "." and not y:
            continue
        d, mo = int(m.group("d")), int(m.group("m"))
        if not (1 <= d <= 31 and 1 <= mo <= 12):
            continue
        if (
            sep == "-"
            and not y
            and not _STRICT_CUE.search(lower[max(0, m.start() - 12) : m.start()])
        ):
            continue
        if y and len(y) == 4 and sep == "/":
            start = _explicit(sentence[m.start() : m.end()], published)
            given = True
        else:
            start, given = _build(d, mo, y, published)
        add(m.start(), m.end(), start, None, given, bare=not y)
    found.sort(key=lambda x: x.start)
    return found


def _ascii_month(sentence: str, m: re.Match[str], *groups: str) -> bool:
    """An English date is written in English: folded "máy" and "Mây" read as "may", and
    "5 may mắn" (lucky) is not 5 May; the words around the match must be unmarked too."""
    around = sentence[max(0, m.start() - 8) : m.end() + 8]
    return any(m.group(g) for g in groups) and around.isascii()


def _role(lower: str, s: int, e: int, d: date, published: date | None, given: bool) -> str:
    before = lower[max(0, s - 40) : s]
    after = lower[e : e + 14]
    if _STAMP_BEFORE.search(before) or (given and _STAMP_AFTER.search(after)):
        return "stamp"
    if _DEADLINE_BEFORE.search(before):
        return "deadline"
    if _REFERENCE_BEFORE.search(before):
        return "reference"
    if given and published is not None and abs((d - published).days) > REFERENCE_DAYS:
        return "reference"
    if _END_BEFORE.search(before[-22:]):
        return "end"
    return "event"
