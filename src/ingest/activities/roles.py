"""Who organised an activity and who partnered in it, from the sentence that names the agency.

The tagger already says which agencies a story names, with the proving sentence; the monitoring
report also needs their role. Read from the words around the agency's name:
- organiser: it organises, chairs, produces, hosts or issues ("Sở VH&TT chủ trì", "do Đài …
  sản xuất", "đơn vị thường trực của ban tổ chức", "UBND TP ban hành Kế hoạch", "organised by");
- partner: it works with the organiser ("phối hợp với Văn phòng UNESCO", "Văn phòng UNESCO cũng
  phối hợp tổ chức", "với sự tham gia của", "đồng hành", "tài trợ", "in partnership with");
- participant: named otherwise (a speech, a comment, attendance).
"A phối hợp với B tổ chức" makes A the organiser and B the partner: "phối hợp với" after the
name leads, before it follows. Works on the folded sentence.
"""

from __future__ import annotations

import re

from ..text.textnorm import fold

ROLES = ("organiser", "partner", "participant")
ROLE_LABELS = {
    "organiser": ("Đơn vị tổ chức", "Organiser"),
    "partner": ("Đơn vị phối hợp", "Partner"),
    "participant": ("Tham gia", "Participant"),
}
_RANK = {"organiser": 0, "partner": 1, "participant": 2}

_PARTNER_BEFORE = re.compile(
    r"(?:phoi hop voi|cung voi|voi su (?:tham gia|phoi hop|ho tro|dong hanh|tai tro|bao tro)"
    r" cua|dong hanh cua|tai tro boi|ho tro cua|in partnership with|with support from"
    r"|supported by|sponsored by|in cooperation with|together with|co-organi[sz]ed by)"
    r"(?:\s+[\w&,.\-]+){0,2}\s*$"
)
_ORGANISER_BEFORE = re.compile(
    r"(?:\bdo\s*$|ban to chuc\s*$|organi[sz]ed by\s*$|hosted by\s*$|issued by\s*$|chu tri\s*$"
    r"|chi dao\s*$)"
)
# The verb right after the name (a few auxiliaries allowed): "Sở VH&TT chủ trì", "UBND TP vừa
# ban hành", ", đơn vị thường trực"; not a verb further on ("… cho rằng lễ hội tổ chức tốt").
_AUX = r"^\s*,?\s*(?:(?:da|se|cung|vua|dang|chinh thuc|duoc giao(?: lam)?|la|tiep tuc|has|have|will|also)\s+)*"
_PARTNER_AFTER = re.compile(
    _AUX + r"(?:phoi hop(?! voi)|dong hanh|tai tro|ho tro|bao tro|tu van|dong to chuc"
    r"|co-organi[sz]ed|supported|sponsored|partnered)"
)
_ORGANISER_AFTER = re.compile(
    _AUX + r"(?:to chuc|chu tri|thuc hien|san xuat|phat dong|khai truong|ban hanh|phe duyet"
    r"|dang cai|(?:co quan|don vi) thuong truc|thuong truc|ban to chuc|chi dao|phoi hop voi"
    r"|organi[sz]ed|organi[sz]es|hosted|hosts|issued|launched|produced)\b"
)


def role_in_sentence(sentence: str, name_start: int, name_end: int) -> str:
    """The role of the agency named at [name_start, name_end) in the sentence."""
    f = fold(sentence)
    before, after = f[max(0, name_start - 60) : name_start], f[name_end : name_end + 70]
    if _PARTNER_BEFORE.search(before):
        return "partner"
    if _ORGANISER_BEFORE.search(before):
        return "organiser"
    m_org, m_par = _ORGANISER_AFTER.search(after), _PARTNER_AFTER.search(after)
    if m_org:
        return "organiser"
    if m_par:
        return "partner"
    return "participant"


def find_name(sentence: str, spelling: str) -> list[tuple[int, int]]:
    """Where a spelling (the alias that fired) occurs in the sentence, folded."""
    f, s = fold(sentence), " ".join(fold(spelling).split())
    if not s:
        return []
    rx = re.compile(r"(?<![\w])" + r"\s+".join(re.escape(w) for w in s.split()) + r"(?![\w])")
    return [(m.start(), m.end()) for m in rx.finditer(f)]


def best_role(roles: list[str]) -> str:
    """The strongest role an agency has across the sentences naming it."""
    return min(roles, key=_RANK.__getitem__) if roles else "participant"
