"""What kind of activity a story reports, from its headline and lead.

The kinds are those of the monitoring report's tables: a festival edition, an opening or a
closing, a forum, a conference or workshop, an exhibition, a competition, a TV programme
episode or final, a plan or resolution issued, a membership milestone, or something else.

Why the headline first: it names the event the story is about ("Khai mạc triển lãm … trong
khuôn khổ Lễ hội" is an exhibition, "Hà Nội lên kế hoạch tổ chức lễ hội" is a plan), while the
body mentions every other event in passing. The rules, in order of precedence:
1. a document issued or announced (kế hoạch, nghị quyết, đề án; "ban hành", "phê duyệt",
   "công bố kế hoạch") is a plan, even when it is the plan of a festival;
2. joining the network, the dossier, the monitoring report are membership milestones;
3. a closing ("bế mạc", "khép lại") is a closing;
4. otherwise the event noun that comes first in the headline decides (festival, forum,
   conference, exhibition, competition, TV programme); a festival named only as the frame
   ("trong lễ hội", "của lễ hội") does not make the story an edition;
5. an opening with no other event noun ("khai trương", "ra mắt", "mở cửa") is an opening.
The lead is read the same way when the headline names no kind. Opinion pieces ("Góc nhìn",
"Bình luận") are `other`.
"""

from __future__ import annotations

import re

from ..text.textnorm import fold

KINDS = (
    "festival_edition",
    "opening",
    "closing",
    "forum",
    "conference",
    "exhibition",
    "competition",
    "tv_programme",
    "plan",
    "membership",
    "other",
)
KIND_LABELS = {
    "festival_edition": ("Kỳ lễ hội", "Festival edition"),
    "opening": ("Khai trương, ra mắt", "Opening or launch"),
    "closing": ("Bế mạc", "Closing"),
    "forum": ("Diễn đàn", "Forum"),
    "conference": ("Hội nghị, hội thảo", "Conference or workshop"),
    "exhibition": ("Triển lãm", "Exhibition"),
    "competition": ("Cuộc thi, giải thưởng", "Competition"),
    "tv_programme": ("Chương trình truyền hình", "TV programme"),
    "plan": ("Kế hoạch, nghị quyết", "Plan or resolution issued"),
    "membership": ("Mốc thành viên UNESCO", "Membership milestone"),
    "other": ("Hoạt động khác", "Other"),
}


def _rx(*words: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w])(?:" + "|".join(words) + r")(?![\w])")


_PLAN = _rx(
    r"ban hanh",
    r"phe duyet",
    r"cong bo ke hoach",
    r"len ke hoach",
    r"ke hoach (?:so )?\d+",
    r"ke hoach (?:to chuc|thuc hien|trien khai|hanh dong)",
    r"issued? (?:a |the )?(?:plan|resolution|decision)",
    r"approved? (?:a |the )?(?:plan|scheme|project)",
    r"action plan",
)
_MEMBERSHIP = _rx(
    r"gia nhap mang luoi",
    r"xin gia nhap",
    r"ket nap",
    r"ghi danh",
    r"chinh thuc (?:la|tro thanh) thanh pho sang tao",
    r"tro thanh thanh vien",
    r"ho so (?:de cu|ung cu)",
    r"(?:don )?nhan danh hieu",
    r"bao cao (?:giam sat|dinh ky)",
    r"bao cao bon nam",
    r"bao cao 4 nam",
    r"designated",
    r"joins?",
    r"joined",
    r"membership monitoring report",
    r"monitoring report",
)
# "bế mạc" is a closing ceremony; "khép lại" and "tổng kết" close a festival, but a forum that
# "khép lại" is simply the forum.
_CEREMONY_CLOSING = _rx(r"be mac", r"closing ceremony", r"closing")
_ENDED = _rx(r"khep lai", r"tong ket", r"closes", r"closed", r"wraps? up")
_OPINION = _rx(r"goc nhin", r"binh luan", r"phong van", r"opinion", r"interview")
# Event nouns; the first one in the headline decides (rule 4).
_EVENTS: list[tuple[str, re.Pattern[str]]] = [
    (
        "festival_edition",
        _rx(
            r"le hoi thiet ke",
            r"le hoi",
            r"festival",
            r"tuan le khoi nguon",
            r"khoi nguon sang tao",
            r"design festival",
        ),
    ),
    ("forum", _rx(r"dien dan", r"forum")),
    (
        "conference",
        _rx(
            r"hoi nghi",
            r"hoi thao",
            r"toa dam",
            r"tham van",
            r"tap huan",
            r"workshops?",
            r"conferences?",
            r"seminars?",
            r"talks?",
            r"symposium",
            r"training",
        ),
    ),
    # "trưng bày" (to display) names an exhibition only as a headline's first words
    ("exhibition", _rx(r"trien lam", r"^trung bay", r"exhibitions?", r"exhibits?", r"showcase")),
    (
        "competition",
        _rx(
            r"cuoc thi",
            r"trao giai",
            r"giai thuong",
            r"chung ket cuoc thi",
            r"competitions?",
            r"contests?",
            r"awards?",
            r"winners?",
            r"prizes?",
        ),
    ),
    (
        "tv_programme",
        _rx(
            r"chuong trinh truyen hinh",
            r"truyen hinh",
            r"phat song",
            r"len song",
            r"ghi hinh",
            r"gameshow",
            r"tai nang sang tao",
            r"television",
            r"tv (?:show|programme|program)",
            r"episodes?",
        ),
    ),
]
_OPENING = _rx(
    r"khai truong",
    r"ra mat",
    r"mo cua",
    r"chinh thuc hoat dong",
    r"khanh thanh",
    r"khai mac",
    r"opens?",
    r"opened",
    r"launch(?:es|ed)?",
    r"inaugurat\w*",
    r"unveil\w*",
)
# A festival named as the frame of another event: "trong lễ hội", "của lễ hội", "tại lễ hội".
_FRAME_BEFORE = re.compile(r"(?:trong(?: khuon kho)?|cua|tai|at|during|of the)\s+$")
_FUTURE = _rx(r"se", r"du kien", r"chuan bi", r"will", r"to be held")


def kind_of_text(text: str) -> str | None:
    """The kind one headline (or lead sentence) names, or None when it names none."""
    f = fold(text or "")
    if not f.strip():
        return None
    if _OPINION.search(f):
        return "other"
    if _PLAN.search(f):
        return "plan"
    if _MEMBERSHIP.search(f):
        return "membership"
    first: tuple[int, str] | None = None
    for kind, rx in _EVENTS:
        for m in rx.finditer(f):
            if kind == "festival_edition" and _FRAME_BEFORE.search(f[: m.start()]):
                continue
            if first is None or m.start() < first[0]:
                first = (m.start(), kind)
            break
    head = first[1] if first is not None else None
    if _CEREMONY_CLOSING.search(f) and head in (None, "festival_edition"):
        return "closing"
    if _ENDED.search(f) and head == "festival_edition":
        return "closing"
    if head is not None:
        return head
    if _OPENING.search(f):
        return "opening"
    return None


def classify_kind(title: str, lead: str) -> str:
    """The story's kind from its headline, then its lead's first sentences; `other` if none.

    A headline in the future tense ("Lễ hội … 2026 sẽ kéo dài") announces: when its lead says a
    plan was issued or announced, the story is the plan."""
    leads = _first_sentences(lead)
    kind = kind_of_text(title)
    if kind is not None and kind != "plan" and _FUTURE.search(fold(title or "")):
        if any(kind_of_text(s) == "plan" for s in leads):
            return "plan"
    if kind is not None:
        return kind
    for text in leads:
        kind = kind_of_text(text)
        if kind is not None:
            return kind
    return "other"


def _first_sentences(lead: str, n: int = 2) -> list[str]:
    parts = re.split(r"(?<=[.!?])\s+", (lead or "").strip())
    return [p for p in parts[:n] if p]
