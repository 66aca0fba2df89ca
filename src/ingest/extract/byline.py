"""Recognise a reporter's name in a byline, and reject what only looks like one.

Vietnamese pages name the author in many places: JSON-LD, meta tags, a bold right-aligned line at
the end of the body, a "Bài:" / "Bài và ảnh:" line. They also put names there that are not the
author: the publisher ("Dân Trí", "TUOI TRE ONLINE", "baodautu.vn"), the CMS account that pressed
publish ("Pho Ban bien tap", "Ad Min", "admin admin"), photo credits ("Ảnh: ..."). These
functions are pure string tests so the same rules apply whichever signal the name came from.
"""

from __future__ import annotations

import re

from ..text.fastfold import fast_fold as fold
from ..text.textnorm import collapse_ws, nfc

# "Bài:", "Bài và ảnh:", "Tin, ảnh:", "Tác giả:", "Theo", "Nhóm PV" ... (matched on folded text).
_PREFIX = re.compile(
    r"^(?:(?:bai|tin|ghi chep|thuc hien|tac gia|phong vien|pv|nhom pv|nhom phong vien|by|author)"
    r"(?:\s*(?:,|va|&|-)\s*(?:anh|video|clip|do hoa))*\s*[:\-–]\s*|theo\s+|by\s+)",
)
_PHOTO = re.compile(r"^(?:anh|video|clip|do hoa|photo)\s*[:\-–]")
_TRAILER = re.compile(r"\s*[\(\[][^()\[\]]{0,40}[\)\]]\s*$")  # "(tổng hợp)", "(TTXVN)"
_SLASH_OUTLET = re.compile(r"\s*/\s*[^/()\s][^/()]{0,30}$")
_SPLIT = re.compile(r"\s*(?:;|,|\s[-–—]\s|\s+va\s+|\s+&\s+|\s+and\s+)\s*")
_ACCOUNT_WORDS = ("admin", "bien tap", "quan tri", "webmaster", "editor", "bbt", "btv", "ctv")
# Compared on lowercased NFC, not folded: "Báo" is a publisher but "Bảo Anh" is a reporter.
_PUBLISHER_START = (
    "báo ",
    "tạp chí",
    "đài ",
    "cổng thông tin",
    "cổng ttđt",
    "trang thông tin",
    "thông tấn xã",
    "sở ",
    "ủy ban",
    "uỷ ban",
    "ban biên tập",
    "tòa soạn",
    "toà soạn",
    "nguồn",
    "ttxvn",
    "vov",
    "vtv",
    "ubnd",
    "vnexpress",
    "vietnamplus",
    "tuoi tre",
    "tuổi trẻ",
)
_PUBLISHER_HAS = (".vn", ".com", ".net", ".org", "http", "www")
_PUBLISHER_WORDS = frozenset({"online", "news", "tv", "media", "corp", "jsc", "newspaper"})
_NAME_WORD = re.compile(r"^[^\W\d_][^\W\d_'’.\-]*\.?$")
# Vietnamese outlets whose names read like a person's ("Thanh Niên", "Tiền Phong", "Dân Trí"):
# a byline "Theo Thanh Niên" credits a newspaper. Compared folded and letters-only.
OUTLET_NAMES = (
    "Dân Trí",
    "Thanh Niên",
    "Tuổi Trẻ",
    "Nhân Dân",
    "Tiền Phong",
    "Lao Động",
    "Hà Nội Mới",
    "Người Lao Động",
    "Công An Nhân Dân",
    "Quân Đội Nhân Dân",
    "Tin Tức",
    "Pháp Luật",
    "Đại Đoàn Kết",
    "Sài Gòn Giải Phóng",
    "Kinh Tế Đô Thị",
    "Kinh Tế Và Đô Thị",
    "Thể Thao Văn Hóa",
    "Giáo Dục Thời Đại",
    "Đời Sống Pháp Luật",
    "Công Thương",
    "Thời Nay",
    "An Ninh Thủ Đô",
    "Phụ Nữ",
    "Phụ Nữ Thủ Đô",
    "Văn Nghệ",
    "Văn Hóa",
    "Đầu Tư",
    "Nông Nghiệp",
    "Xây Dựng",
    "Giao Thông",
    "Dân Việt",
    "Vietnam Plus",
    "VietnamPlus",
    "VnExpress",
    "Zing",
    "Znews",
    "VietNamNet",
    "Kênh 14",
    "Kenh14",
    "Soha",
    "CafeF",
    "CafeBiz",
    "Genk",
    "Afamily",
    "Lao Động Thủ Đô",
    "Sức Khỏe Đời Sống",
    "Thế Giới Và Việt Nam",
    "Chính Phủ",
)
# Provinces, cities and the words that stand for them: the location stamp opening a sapo or a
# caption ("Hà Nội", "TP.HCM") is not a byline.
PLACE_NAMES = (  # only places that are not also common given names ("Thái Bình", "Hải Dương")
    "Việt Nam",
    "Hà Nội",
    "Thủ Đô",
    "TP.HCM",
    "TPHCM",
    "TP HCM",
    "TP Hồ Chí Minh",
    "Sài Gòn",
    "Đà Nẵng",
    "Hải Phòng",
    "Cần Thơ",
    "Thừa Thiên Huế",
    "Quảng Ninh",
    "Hạ Long",
    "Bắc Ninh",
    "Thanh Hóa",
    "Nghệ An",
    "Hà Tĩnh",
    "Quảng Bình",
    "Quảng Trị",
    "Quảng Nam",
    "Quảng Ngãi",
    "Bình Định",
    "Khánh Hòa",
    "Nha Trang",
    "Lâm Đồng",
    "Đà Lạt",
    "Bình Dương",
    "Đồng Nai",
    "Vũng Tàu",
    "Bà Rịa Vũng Tàu",
    "Lào Cai",
    "Điện Biên",
    "Sơn La",
    "Hà Giang",
    "Cao Bằng",
    "Lạng Sơn",
    "Bắc Giang",
    "Hoàn Kiếm",
    "Ba Đình",
    "Đống Đa",
    "Hai Bà Trưng",
    "Tây Hồ",
    "Cầu Giấy",
    "Long Biên",
    "Hà Đông",
    "Bát Tràng",
    "Đông Anh",
    "Gia Lâm",
    "Sóc Sơn",
)
_NOT_BYLINE_ACRONYMS = frozenset(
    "TTXVN VNA VOV VTV TTO NLĐO TPO SGGP QĐND CAND AFP AP BBC CNN UBND HĐND TW".split()
    + ["TP.HCM", "TPHCM"]
)
# "PV", "TP", "H.A", "PV/VOV.VN", "NHÓM PV": the initials some outlets sign short news with.
_INITIALS = re.compile(
    r"^(?:nhóm\s+)?(?:[A-ZĐ]{2,4}|(?:[A-ZĐ]\.){1,3}[A-ZĐ]?)(?:\s*/\s*[A-Za-z][\w.+]{1,20})?$", re.I
)


def is_account_name(name: str) -> bool:
    """A CMS account rather than a person: "admin admin", "Ad Min", "Pho Ban bien tap"."""
    f = fold(name)
    squashed = f.replace(" ", "")
    return any(w in f or w.replace(" ", "") in squashed for w in _ACCOUNT_WORDS)


def _key(s: str) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(s))


_OUTLET_KEYS = frozenset(_key(n) for n in OUTLET_NAMES)
_PLACE_KEYS = frozenset(_key(n) for n in PLACE_NAMES)


def is_place_name(name: str) -> bool:
    """A province, city or district rather than a person: "Hà Nội", "TP.HCM", "Đà Nẵng"."""
    return _key(name) in _PLACE_KEYS


def is_publisher_name(name: str, site_names: tuple[str, ...] = ()) -> bool:
    """The outlet or agency rather than a reporter: "Dân Trí", "baodautu.vn", "TUOI TRE ONLINE"."""
    f = fold(name)
    low = nfc(name).lower()
    squashed = re.sub(r"[^a-z0-9]", "", f)
    if not squashed:
        return True
    if squashed in _OUTLET_KEYS:
        return True
    if low.startswith(_PUBLISHER_START) or any(h in f for h in _PUBLISHER_HAS):
        return True
    if _PUBLISHER_WORDS.intersection(f.split()):
        return True
    for site in site_names:
        s = re.sub(r"[^a-z0-9]", "", fold(site))
        if s and (s == squashed or (len(squashed) >= 4 and (squashed in s or s in squashed))):
            return True
    return False


def looks_like_name(name: str) -> bool:
    """Two to six capitalised words, no digits or sentence punctuation: "Phạm Linh", "NGHI VŨ"."""
    words = name.split()
    if not 2 <= len(words) <= 6 or len(name) > 60:
        return False
    return all(_NAME_WORD.match(w) and w[0].isupper() for w in words)


def clean_name(raw: str) -> str:
    """Strip byline furniture: prefixes ("Bài và ảnh:", "Theo"), trailing "(tổng hợp)", dots."""
    s = collapse_ws(nfc(raw)).strip(" .-–—|:")
    for _ in range(3):
        m = _PREFIX.match(fold(s))
        if not m:
            break
        s = s[m.end() :].strip(" .-–—|:")
    while True:  # "(tổng hợp)", "(TTXVN/Vietnam+)", then "/VOV.VN" as in "Hoàng Sơn/VOV.VN"
        t = _TRAILER.sub("", s)
        if t == s:
            t = _SLASH_OUTLET.sub("", s)
        if t == s:
            break
        s = t.strip(" .-–—|:")
    return s


def split_names(raw: str) -> list[str]:
    """Several authors in one string ("NHẬT XUÂN;NGHI VŨ", "A - B", "A và B") → each name."""
    s = clean_name(raw)
    f = fold(s)
    parts, last = [], 0
    for m in _SPLIT.finditer(f):  # fold() keeps offsets, so split the original at folded matches
        parts.append(s[last : m.start()])
        last = m.end()
    parts.append(s[last:])
    return [c for c in (clean_name(p) for p in parts) if c]


def valid_authors(raw: str, site_names: tuple[str, ...] = ()) -> list[str]:
    """The person names in a byline string, in order, without publishers or CMS accounts."""
    if not raw or len(raw) > 200 or _PHOTO.match(fold(raw.strip())):
        return []
    out: list[str] = []
    for name in split_names(raw):
        if is_account_name(name) or is_publisher_name(name, site_names) or is_place_name(name):
            continue
        if looks_like_name(name) and name not in out:
            out.append(name)
    return out


def has_byline_prefix(line: str) -> bool:
    """True for "Bài: ...", "Bài và ảnh: ...", "Tác giả: ..." lines (not "Theo ...")."""
    m = _PREFIX.match(fold(collapse_ws(line)))
    return bool(m) and not m.group(0).startswith(("theo", "by "))


def join_names(line: str, names: list[str]) -> str:
    """The names as the page printed them when one line holds only them, joined by one kind of
    word or dash ("Phương Linh - Đức Minh", "Hải Yến và Quốc Bảo"); else joined with ", "
    (names from separate elements, ";" lists, lines that also named an outlet)."""
    if len(names) < 2:
        return ", ".join(names)
    body = clean_name(line)
    seps = [body[m.start() : m.end()] for m in _SPLIT.finditer(fold(body))]
    if split_names(body) == names and seps and len({x.strip() for x in seps}) == 1:
        sep = seps[0]
        if sep.strip() not in (",", ";"):
            return sep.join(names) if sep.strip() else ", ".join(names)
    return ", ".join(names)


def initials(line: str) -> str | None:
    """A signature of initials ("PV", "TP", "H.A", "PV/VOV.VN", "Nhóm PV"), or None.

    Only meaningful as the last line of a body: the caller decides where it looked. Agency and
    outlet acronyms ("TTXVN", "VOV") credit a source, not a reporter.
    """
    t = collapse_ws(line).strip(" .")
    if not t or len(t) > 30 or not _INITIALS.match(t):
        return None
    head = re.split(r"\s*/\s*", t)[0].split()[-1]
    if head.upper() != head or head.upper() in _NOT_BYLINE_ACRONYMS:
        return None
    return t


_THEO_PERSON = re.compile(r"^\(?theo\s+(?P<name>[^()/]{3,60}?)\s*(?:\(|/)", re.I)


def theo_person(line: str, site_names: tuple[str, ...] = ()) -> str | None:
    """ "Theo Thu Hằng (Báo X)" / "Theo Minh Anh/VOV.VN": a reporter credited with her outlet.

    A bare "Theo X" names the outlet a story was taken from, and outlets read like names
    ("Theo Sài Thành Ngày Nay"), so the person reading needs the outlet written after the name.
    """
    t = collapse_ws(line)
    if len(t) > 100:
        return None
    m = _THEO_PERSON.match(t)
    if not m:
        return None
    names = valid_authors(m.group("name"), site_names)
    return names[0] if len(names) == 1 else None


def byline_from_lines(lines: list[str], site_names: tuple[str, ...] = ()) -> str | None:
    """The author named in the trailing lines of an article body, or None.

    A line with an explicit byline prefix wins; otherwise the first short line that is nothing
    but a person's name (the bold right-aligned signature) counts. Photo credits, CMS accounts,
    the publisher's own name and source credits ("Theo Báo X") are skipped.
    """
    short = [ln for ln in (collapse_ws(x) for x in lines) if ln and len(ln) <= 80]
    # "Theo X" / "Nguồn: X" at the end of a story credits the outlet it was taken from
    short = [ln for ln in short if not fold(ln).startswith(("theo ", "nguon", "(theo "))]
    for ln in short:
        if has_byline_prefix(ln):
            names = valid_authors(ln, site_names)
            if names:
                return join_names(ln, names)
    for ln in short:
        names = valid_authors(ln, site_names)
        if names:
            return join_names(ln, names)
    return None
