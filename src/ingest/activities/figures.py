"""The figures an article states: "hơn 60 hoạt động", "gần 30 vạn lượt khách", "5.000 nhà thiết kế".

A figure is a number, an optional multiplier and a count noun from `UNITS`, so "22 hoạt động"
counts activities and "đại diện 20 quốc gia" counts countries, while "năm 2025" (a year),
"lần thứ 20" (an ordinal), "dưới 35 tuổi" (an age), "5% GRDP" (a share), "số 8 Chả Cá" (a house
number) and "3.000 m2" (an area) name no count noun and are not figures. Vague amounts
("hàng nghìn người", "hàng trăm nhà thiết kế") state no number and are skipped, and so are
limits and norms ("tối đa bốn người", "mỗi quận ít nhất 1 không gian").

Vietnamese number forms: "." groups thousands ("5.000", "150.000") and "," is the decimal
mark ("1,2 triệu"); "vạn" is 10,000, "nghìn"/"ngàn" 1,000, "triệu" a million, "tỷ" a billion;
small numbers are often words ("chín ngày", "mười hai khóa", "năm không gian" — "năm" is five
only before a count noun). English passages use "," for thousands and "." for decimals. The
qualifier ("hơn" more than, "gần" nearly, "khoảng" about, "ít nhất" at least, "lên tới" up to)
is kept: the monitoring report quotes it as written.

Works on the folded sentence; offsets are those of the NFC original.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..text.textnorm import fold, nfc

# Count nouns (folded) → what they count. Longer phrases first wins ("luot khach" before
# "khach"); the key is what the timeline and the CSV call the figure.
UNITS: dict[str, str] = {
    "hoat dong": "activities",
    "su kien": "events",
    "chuong trinh": "programmes",
    "luot khach tham quan": "visits",
    "luot khach": "visits",
    "luot du khach": "visits",
    "luot nguoi tham du": "visits",
    "luot nguoi": "visits",
    "luot tham quan": "visits",
    "luot xem": "views",
    "luot truy cap": "views",
    "khach tham quan": "visitors",
    "du khach": "visitors",
    "khach": "visitors",
    "nguoi": "people",
    "nha thiet ke": "designers",
    "kien truc su": "architects",
    "nghe si": "artists",
    "nghe nhan": "artisans",
    "quoc gia va vung lanh tho": "countries",
    "quoc gia": "countries",
    "nuoc": "countries",
    "thanh pho": "cities",
    "dai bieu": "delegates",
    "chuyen gia": "experts",
    "can bo": "officials",
    "thi sinh": "contestants",
    "doi thi": "teams",
    "doi": "teams",
    "bai du thi": "entries",
    "ho so du thi": "entries",
    "tac pham": "works",
    "ap phich": "works",
    "tac gia": "authors",
    "san pham": "products",
    "gian hang": "booths",
    "trien lam": "exhibitions",
    "hoi thao": "workshops",
    "toa dam": "talks",
    "tham luan": "papers",
    "khoa tap huan": "courses",
    "khoa hoc": "courses",
    "trai sang tac": "camps",
    "hoc vien": "trainees",
    "khong gian sang tao": "spaces",
    "khong gian": "spaces",
    "diem trung bay": "sites",
    "diem den": "sites",
    "dia diem": "sites",
    "thanh vien": "members",
    "du an": "projects",
    "sang kien": "initiatives",
    "nhiem vu": "tasks",
    "ngay": "days",
    "tap": "episodes",
    "doanh nghiep": "businesses",
    "thuong hieu": "brands",
    "xuong thiet ke": "studios",
    "xuong": "studios",
    "dien gia": "speakers",
    "tinh nguyen vien": "volunteers",
    "ty dong": "vnd",
    "trieu dong": "vnd",
    "dong": "vnd",
    # English
    "activities": "activities",
    "events": "events",
    "visitors": "visitors",
    "visits": "visits",
    "people": "people",
    "designers": "designers",
    "architects": "architects",
    "artists": "artists",
    "artisans": "artisans",
    "countries": "countries",
    "cities": "cities",
    "delegates": "delegates",
    "participants": "participants",
    "contestants": "contestants",
    "teams": "teams",
    "entries": "entries",
    "works": "works",
    "artworks": "works",
    "posters": "works",
    "products": "products",
    "booths": "booths",
    "exhibitions": "exhibitions",
    "workshops": "workshops",
    "talks": "talks",
    "speakers": "speakers",
    "members": "members",
    "projects": "projects",
    "tasks": "tasks",
    "days": "days",
    "episodes": "episodes",
    "studios": "studios",
    "officials": "officials",
    "experts": "experts",
    "views": "views",
    "brands": "brands",
    "billion vnd": "vnd",
    "million vnd": "vnd",
    "vnd": "vnd",
}
ENGLISH_UNITS = {u for u in UNITS if u.isascii() and " " not in u and u.endswith("s")} | {
    "people",
    "billion vnd",
    "million vnd",
    "vnd",
}
# Number words (folded): one to ten. "mot" (one, "a") is left out: "một sự kiện thường niên" is
# "a yearly event", not a count.
_WORD_DIGITS = {
    "hai": 2,
    "ba": 3,
    "bon": 4,
    "tu": 4,
    "nam": 5,
    "lam": 5,
    "sau": 6,
    "bay": 7,
    "tam": 8,
    "chin": 9,
    "muoi": 10,
}
_WORD_UNITS_OK = {
    "activities", "events", "days", "initiatives", "tasks", "courses", "camps", "countries",
    "cities", "spaces", "episodes", "programmes", "exhibitions", "workshops", "talks", "teams",
    "members", "sites", "projects",
}  # fmt: skip
_MULT = {"van": 10_000, "nghin": 1_000, "ngan": 1_000, "trieu": 1_000_000, "ty": 1_000_000_000}
_EN_MULT = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_QUAL = [
    ("hon", "more than"),
    ("tren", "more than"),
    ("ngoai", "more than"),
    ("gan", "nearly"),
    ("khoang", "about"),
    ("chung", "about"),
    ("xap xi", "about"),
    ("uoc", "about"),
    ("it nhat", "at least"),
    ("toi thieu", "at least"),
    ("len toi", "up to"),
    ("len den", "up to"),
    ("more than", "more than"),
    ("over", "more than"),
    ("nearly", "nearly"),
    ("almost", "nearly"),
    ("about", "about"),
    ("around", "about"),
    ("some", "about"),
    ("at least", "at least"),
    ("up to", "up to"),
]
_QUAL_RX = re.compile(r"(?:" + "|".join(re.escape(q) for q, _ in _QUAL) + r")\s+$")
_NUMBER_WORDS = "|".join(sorted(_WORD_DIGITS, key=len, reverse=True))
_WORDS_RX = (
    rf"(?:(?:{_NUMBER_WORDS})\s+muoi(?:\s+(?:mot|{_NUMBER_WORDS}))?"
    rf"|muoi(?:\s+(?:mot|{_NUMBER_WORDS}))?|{_NUMBER_WORDS})"
)
# One English word may stand between a number and its noun ("20 young designers", "6 design
# workshops"); Vietnamese puts adjectives after the noun, so nothing is allowed there.
_EN_ADJ = r"young|international|foreign|local|new|domestic|vietnamese|design|creative|art"
_UNITS_RX = "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))
_FIGURE = re.compile(
    rf"(?<![\w.,/%:\-])(?P<num>\d{{1,3}}(?:[.,]\d{{3}})+|\d+(?:[.,]\d+)?|{_WORDS_RX})"
    rf"(?:\s+(?P<mult>van|nghin|ngan|trieu|ty|thousand|million|billion))?"
    rf"(?:\s+(?P<adj>{_EN_ADJ}))?\s+(?P<unit>{_UNITS_RX})(?![\w])"
)
# "nâng tổng số thành viên lên 246": the count noun before the number.
_REVERSED = re.compile(
    rf"(?<![\w])(?:tong so|so luong)\s+(?P<unit>{_UNITS_RX})\s+(?:(?:da\s+)?(?:len|la|dat))"
    rf"(?:\s+(?:toi|den))?\s+(?P<num>\d{{1,3}}(?:[.,]\d{{3}})+|\d+)(?![\w/%]|[.,]\d)"
)
# Words before a number that make it a limit, a norm or not a count of the activity.
_NOT_A_COUNT_BEFORE = re.compile(
    r"(?:toi da|moi|tung|duoi|hang|(?<!tong )so|lan thu|thu|nam|ngay|thang|top|no\.|up to the"
    r"|hang chuc|hang tram|hang nghin|ty le)\s+$"
)
# "Chín trên mười đội" is a fraction; "mỗi quận … ít nhất 1 không gian" is a norm.
_FRACTION_BEFORE = re.compile(rf"(?:\d+|{_NUMBER_WORDS})\s+tren\s+$")
_NORM_BEFORE = re.compile(r"(?<![\w])(?:mỗi|each|per)\s")
# Number words as spelled (lowercase original): folded "sau" is also "sau" (after), "ba" also
# "bà", "nam" also "Nam" (south), "bay" also "bay" (fly).
_SPELLED = {
    "hai", "ba", "bốn", "tư", "năm", "lăm", "sáu", "bảy", "tám", "chín", "mười", "mươi", "mốt",
}  # fmt: skip
# …and words after the count noun that make it something else ("2 ngày nữa", "5 ngày trước").
_NOT_A_COUNT_AFTER = re.compile(
    r"^\s*(?:nua|truoc|qua|toi|sau|old|ago|moi (?:luot|ngay|nguoi|tuan|thang|buoi)|each|per)\b"
)


@dataclass(frozen=True)
class Figure:
    """One stated figure: the number as a value, what it counts, and the words as written."""

    number: float
    counts: str  # a UNITS value
    unit: str  # the count noun as written ("lượt khách")
    qualifier: str | None  # more than | nearly | about | at least | up to
    start: int  # offsets in the sentence, qualifier included
    end: int
    text: str

    @property
    def value(self) -> str:
        """The number as text: an integer without a decimal point."""
        return str(int(self.number)) if float(self.number).is_integer() else f"{self.number:g}"


def parse_number(raw: str, *, english: bool = False) -> float | None:
    """A number as Vietnamese (or English) text writes it; None when it is not one."""
    raw = raw.strip()
    if not raw:
        return None
    if raw[0].isdigit():
        thousands, decimal = (",", ".") if english else (".", ",")
        if re.fullmatch(rf"\d{{1,3}}(?:{re.escape(thousands)}\d{{3}})+", raw):
            return float(raw.replace(thousands, ""))
        if re.fullmatch(rf"\d+(?:{re.escape(decimal)}\d+)?", raw):
            return float(raw.replace(decimal, "."))
        return None
    return _words_value(raw)


def _words_value(raw: str) -> float | None:
    words = raw.split()
    if not words:
        return None
    if words[0] == "muoi":
        tens, rest = 10, words[1:]
    elif len(words) >= 2 and words[1] == "muoi" and words[0] in _WORD_DIGITS:
        tens, rest = _WORD_DIGITS[words[0]] * 10, words[2:]
    elif len(words) == 1 and words[0] in _WORD_DIGITS:
        return float(_WORD_DIGITS[words[0]])
    else:
        return None
    if not rest:
        return float(tens)
    unit = {"mot": 1, "lam": 5, "tu": 4}.get(rest[0], _WORD_DIGITS.get(rest[0]))
    return float(tens + unit) if unit is not None and unit < 10 else None


def find_figures(sentence: str) -> list[Figure]:
    """Every stated figure in one sentence, in order (see the module docstring)."""
    sentence = nfc(sentence)
    folded = fold(sentence)
    out: list[Figure] = []
    for m in _FIGURE.finditer(folded):
        raw, unit = m.group("num"), m.group("unit")
        counts = UNITS[unit]
        if m.group("adj") and (unit not in ENGLISH_UNITS or not _ascii(sentence, m)):
            continue  # an English adjective before a Vietnamese noun is a misreading
        is_word = not raw[0].isdigit()
        if is_word and (counts not in _WORD_UNITS_OK or m.group("mult")):
            continue
        before = folded[max(0, m.start() - 16) : m.start()]
        if _NOT_A_COUNT_BEFORE.search(before) and not _QUAL_RX.search(before):
            continue
        if _NOT_A_COUNT_AFTER.match(folded[m.end() :]) or _FRACTION_BEFORE.search(before):
            continue
        if _NORM_BEFORE.search(sentence[max(0, m.start() - 40) : m.start()].lower()):
            continue
        if is_word and not _is_word_number(sentence, m.start("num"), m.end("num")):
            continue
        if is_word and (raw == "nam" and counts == "activities" or before.endswith("mot ")):
            continue  # "một năm hoạt động" is a year of activity, not five activities
        english = unit in ENGLISH_UNITS
        number = parse_number(raw, english=english)
        if number is None:
            continue
        mult = m.group("mult")
        if mult:
            number *= _MULT.get(mult) or _EN_MULT[mult]
        if unit in ("ty dong", "billion vnd"):
            number *= 1_000_000_000
        elif unit in ("trieu dong", "million vnd"):
            number *= 1_000_000
        qual, start = _qualifier(folded, m.start())
        out.append(
            Figure(
                number,
                counts,
                sentence[m.start("unit") : m.end("unit")],
                qual,
                start,
                m.end(),
                sentence[start : m.end()],
            )
        )
    for m in _REVERSED.finditer(folded):
        number = parse_number(m.group("num"))
        if number is not None and all(f.end <= m.start() or f.start >= m.end() for f in out):
            unit = sentence[m.start("unit") : m.end("unit")]
            out.append(
                Figure(
                    number,
                    UNITS[m.group("unit")],
                    unit,
                    None,
                    m.start(),
                    m.end(),
                    sentence[m.start() : m.end()],
                )
            )
    out.sort(key=lambda f: f.start)
    return out


def _ascii(sentence: str, m: re.Match[str]) -> bool:
    return sentence[m.start() : m.end()].isascii()


def _qualifier(folded: str, at: int) -> tuple[str | None, int]:
    before = folded[max(0, at - 12) : at]
    for q, label in sorted(_QUAL, key=lambda x: len(x[0]), reverse=True):
        if re.search(rf"(?<![\w]){re.escape(q)}\s+$", before):
            return label, at - len(before) + before.rfind(q)
    return None, at


def _is_word_number(sentence: str, start: int, end: int) -> bool:
    """Number words spelled as numbers, lowercase unless they open the sentence ("Nam" is the
    south, "sau" is "after")."""
    words = sentence[start:end].split()
    if not (sentence[start].islower() or start == 0):
        return False
    return all(w.lower() in _SPELLED for w in words)
