"""Where an activity took place: "tại …", "ở …", "at …", resolved against the gazetteer.

Why a gazetteer and not free text: the timeline filters and counts by venue, and the press names
one place many ways ("phố đi bộ Hồ Gươm", "phố đi bộ Hoàn Kiếm", "Hoan Kiem walking street").
`gazetteer.yaml` (at the repository root) holds those facts; this module only reads a sentence.

A venue is a phrase introduced by a place preposition and ended by a clause boundary. Within it
the longest gazetteer spelling wins, and a named venue wins over the district or city in the
same phrase ("Bảo tàng Hà Nội, quận Nam Từ Liêm" is the museum). A phrase that names no
gazetteer place still counts when it is a place noun with a proper name ("tại khách sạn Melia
Hà Nội"): it is kept as written, marked `unlisted`. What is rejected, because the press writes
it with the same prepositions:
- events: "phát biểu tại hội nghị", "tại lễ khai mạc", "tại kỳ họp";
- offices: "Văn phòng UNESCO tại Hà Nội", "Đại sứ Pháp tại Việt Nam", "phóng viên … tại";
- publishers and channels: "đăng tải tại Báo Hà Nội Mới", "phát sóng trên kênh H1";
- anaphora and generic places: "tại đây", "tại chỗ", "tại các quận", "tại khu vực trung tâm".
Everything runs on the folded sentence, which has the same length as the NFC original, so the
offsets of each mention point into the stored text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from ..paths import REPO_ROOT
from ..text.textnorm import fold, nfc

DEFAULT_GAZETTEER = REPO_ROOT / "gazetteer.yaml"
KINDS = ("venue", "area", "district", "ward", "city", "elsewhere")
# A named place beats an area, which beats a district or ward, which beats the city.
_SPECIFICITY = {"venue": 0, "area": 1, "elsewhere": 1, "ward": 2, "district": 3, "city": 4}


class GazetteerError(ValueError):
    """gazetteer.yaml is malformed; the message names the entry."""


@dataclass(frozen=True)
class Place:
    id: str
    kind: str
    name_vi: str
    name_en: str
    district: str | None = None


@dataclass(frozen=True)
class VenueMention:
    """One venue in a sentence: a gazetteer id, or an unlisted name as written."""

    value: str  # gazetteer id, or the name as written when unlisted
    kind: str  # a gazetteer kind, or "unlisted"
    name: str  # display name (gazetteer name_vi, or the text)
    start: int  # offsets of the place's words in the sentence
    end: int
    district: str | None = None  # the district the phrase or gazetteer puts it in

    @property
    def in_hanoi(self) -> bool:
        return self.kind != "elsewhere"


class Gazetteer:
    """The places of gazetteer.yaml with one compiled matcher over all their spellings."""

    def __init__(self, places: list[Place], spellings: dict[str, str], version: str) -> None:
        self.places = {p.id: p for p in places}
        self.version = version
        self._spelling_to_id = spellings
        ordered = sorted(spellings, key=len, reverse=True)
        self._rx = re.compile(
            r"(?<![\w])(?:" + "|".join(_alias_regex(s) for s in ordered) + r")(?![\w])"
        )
        self._norm = {_norm_key(s): pid for s, pid in spellings.items()}

    def find(self, folded: str) -> list[tuple[int, int, Place]]:
        """Non-overlapping gazetteer matches in a folded text, longest spelling first."""
        out = []
        for m in self._rx.finditer(folded):
            pid = self._norm.get(_norm_key(m.group(0)))
            if pid is not None:
                out.append((m.start(), m.end(), self.places[pid]))
        return out

    def hanoi_in(self, folded: str) -> bool:
        return any(p.kind != "elsewhere" for _, _, p in self.find(folded))

    def elsewhere_in(self, folded: str) -> bool:
        return any(p.kind == "elsewhere" for _, _, p in self.find(folded))


def _norm_key(s: str) -> str:
    """Spacing, dashes and dots do not tell two spellings apart."""
    return re.sub(r"[\s.\-–—']+", " ", fold(s)).strip()


def _alias_regex(folded_alias: str) -> str:
    parts = re.split(r"([\s.\-–—']+)", folded_alias)
    out = []
    for part in parts:
        if not part:
            continue
        if re.fullmatch(r"[\s.\-–—']+", part):
            out.append(r"[\s.\-–—']*" if part.strip() else r"\s+")
        else:
            out.append(re.escape(part))
    return "".join(out)


def load_gazetteer(path: str | Path | None = None) -> Gazetteer:
    """Read and validate gazetteer.yaml; errors name the file and the entry."""
    path = Path(path) if path else DEFAULT_GAZETTEER
    try:
        raw_text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise GazetteerError(f"{path}: cannot read the gazetteer: {exc}") from exc
    return _cached(str(path), raw_text)


@lru_cache(maxsize=8)
def _cached(path: str, raw_text: str) -> Gazetteer:
    """Parsed and compiled once per content: the nightly step reads the file every run."""
    import hashlib

    try:
        raw = yaml.safe_load(raw_text)
    except yaml.YAMLError as exc:
        raise GazetteerError(f"{path}: cannot read the gazetteer: {exc}") from exc
    if not isinstance(raw, dict):
        raise GazetteerError(f"{path}: not a mapping")
    places: list[Place] = []
    spellings: dict[str, str] = {}
    for n, entry in enumerate(raw.get("places") or []):
        where = f"{path}: places[{n}]"
        if not isinstance(entry, dict):
            raise GazetteerError(f"{where}: not a mapping")
        pid, kind = entry.get("id"), entry.get("kind")
        if not isinstance(pid, str) or not re.fullmatch(r"[a-z0-9_]+", pid):
            raise GazetteerError(f"{where}: id must be lower_snake_case, got {pid!r}")
        if kind not in KINDS:
            raise GazetteerError(f"{where} ({pid}): kind must be one of {KINDS}, got {kind!r}")
        if any(p.id == pid for p in places):
            raise GazetteerError(f"{where}: duplicate id {pid!r}")
        names = [entry.get("name_vi"), entry.get("name_en")]
        if not all(isinstance(x, str) and x.strip() for x in names):
            raise GazetteerError(f"{where} ({pid}): name_vi and name_en are required")
        aliases = entry.get("aliases") or []
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise GazetteerError(f"{where} ({pid}): aliases must be a list of strings")
        places.append(Place(pid, kind, nfc(names[0]), nfc(names[1]), entry.get("district")))
        for spelling in [*aliases, names[0], names[1]]:
            folded = " ".join(fold(nfc(spelling)).split())
            owner = spellings.get(folded)
            if owner is not None and owner != pid:
                raise GazetteerError(f"{where} ({pid}): spelling {spelling!r} also names {owner}")
            spellings[folded] = pid
    known = {p.id for p in places}
    for p in places:
        if p.district is not None and p.district not in known:
            raise GazetteerError(f"{path}: {p.id}: unknown district {p.district!r}")
    if not places:
        raise GazetteerError(f"{path}: no places")
    version = hashlib.sha256(raw_text.encode("utf-8")).hexdigest()[:12]
    return Gazetteer(places, spellings, version)


# --------------------------------------------------------------------------------- phrases

# Place prepositions, matched on the original text so "ở" is not confused with "ô" or "ó".
_CUE = re.compile(
    r"(?<![\w])(trong khuôn viên(?: của)?|khuôn viên|trong không gian(?: của)?|xung quanh|quanh"
    r"|tại|ở|bên|trên|dọc|phát từ|đổ về|at|in|on|around|inside)\s+",
    re.IGNORECASE,
)
# Where the place phrase ends: punctuation, or a lowercase word that starts the next clause.
# Matched on the original text: folded, "chợ" would read as "cho" and "Từ Liêm" as "từ"; names
# are capitalised, so a lowercase word cannot be part of one.
_PHRASE_END = re.compile(
    r"[,;:!?()\[\]\n“”\"]|\.(?=\s|$)|\s(?:với|vào|từ|để|nhằm|do|cho|khi|sau|trước|thu hút|mở đầu|cùng"
    r"|kéo dài|dành|nơi|giới thiệu|trưng bày|phục vụ|là|được|đã|sẽ|đang|diễn ra|khai mạc"
    r"|with|on|from|for|and runs|to|during|which|where|offering|attended|gathered|in its)(?=\s)"
)
# A phrase starting with one of these is an event, an office, a medium or no place at all.
# Matched on the lowercased original: folded, "chợ" would read as "chỗ" and "bảo" as "báo".
_NOT_A_PLACE = re.compile(
    r"(?:hội nghị|hội thảo|lễ |buổi|kỳ họp|kì họp|sự kiện|diễn đàn|tọa đàm|toạ đàm|chương trình"
    r"|cuộc thi|phiên|vòng|mùa|dịp|khuôn khổ|đây|chỗ|địa phương|các|nhiều|mỗi|những|cơ sở\b"
    r"|kế hoạch|quyết định|nghị quyết|văn bản|thời điểm|khu vực trung tâm|địa bàn|báo |tạp chí"
    r"|trung tâm (?:thủ đô|thành phố|hà nội)"
    r"|đài (?!tưởng)|cổng thông tin|trang |website|kênh|fanpage|chuyên mục|ấn phẩm|số báo"
    r"|mặt tiền|\d|the (?:event|opening|conference|forum|ceremony|festival|meeting)"
    r"|its |their |a |an |this |that )"
)
# Offices and correspondents: "Văn phòng UNESCO tại Hà Nội", "phóng viên … tại Hà Nội".
_OFFICE_BEFORE = re.compile(
    r"(?:van phong|dai dien (?:van phong|unesco)|dai su|lanh su|phong vien|thuong tru|office"
    r"|embassy|ambassador|representative|correspondent)\b[^,.;]{0,30}$"
)
_MEDIUM_BEFORE = re.compile(r"(?:dang tai|dang|phat song|phat|in|published|aired)\s*$")
_PLACE_NOUN = re.compile(
    r"(?:nha hat|nha van hoa|nha trien lam|nha may|nha kho|ngoi nha|nha co|nha khach|trung tam"
    r"|bao tang|khach san|cung|cong vien|vuon hoa|quang truong|pho|duong|lang|ho|chua|dinh"
    r"|den|khu|toa nha|truong|hoc vien|thu vien|khong gian|xuong|phong tranh|gallery|museum"
    r"|hotel|theatre|theater|centre|center|park|square|street|house|hall|studio|cafe|so \d+)"
    r"\b"
)
_ADDRESS = re.compile(r"(?:so \d+\w*\s+)?(?:pho|duong|ngo)\s")
_QUALIFIER = re.compile(r"(?:quan|huyen|phuong|xa|thi xa|district|ward)\b")
_ARTICLE = re.compile(r"(?:the|a)\s+")
# "tại 47 Hàng Dầu": a house number and a capitalised street name is an address.
_STREET_NUMBER = re.compile(r"\d{1,4}[A-Za-z]?\s+(?=[A-ZÀ-ỸĐ])")


def _phrase_end(sentence: str, start: int) -> int:
    m = _PHRASE_END.search(sentence, start)
    return m.start() if m else len(sentence)


def _proper_name(sentence: str, start: int, end: int) -> int:
    """End of a named place: the phrase less its trailing lowercase words, when a word after
    the first is capitalised ("Trung tâm Văn hóa Pháp L'Espace", "khách sạn Melia Hà Nội")."""
    words = list(re.finditer(r"[\w'’&]+", sentence[start:end]))
    if not any(w.group(0)[0].isupper() for w in words[1:]):
        return start
    last = len(words) - 1
    while last > 0 and not (words[last].group(0)[0].isupper() or words[last].group(0)[0].isdigit()):
        last -= 1
    return start + words[last].end()


def find_venues(sentence: str, gazetteer: Gazetteer) -> list[VenueMention]:
    """Venues named in one sentence, in order; see the module docstring for what is rejected."""
    sentence = nfc(sentence)
    folded = fold(sentence)
    out: list[VenueMention] = []
    taken: list[tuple[int, int]] = []
    for cue in _CUE.finditer(sentence):
        start = cue.end()
        if any(s <= start < e for s, e in taken):
            continue
        before = folded[max(0, cue.start() - 45) : cue.start()]
        if _OFFICE_BEFORE.search(before) or _MEDIUM_BEFORE.search(before):
            continue
        if (art := _ARTICLE.match(folded, start)) and cue.group(1).lower() in (
            "at",
            "in",
            "on",
            "around",
        ):
            start = art.end()
        english = cue.group(1).isascii()
        numbered = not english and bool(_STREET_NUMBER.match(sentence, start))
        if _NOT_A_PLACE.match(sentence[start:].lower()) and not numbered:
            continue
        end = _phrase_end(sentence, start)
        # ", quận Nam Từ Liêm" or "(quận Y)" after a venue locates it; it is not a second venue
        tail = re.match(r"\s*[,(]\s*", folded[end:])
        district_end = end
        if tail and _QUALIFIER.match(folded, end + tail.end()):
            district_end = _phrase_end(sentence, end + tail.end())
        found = _resolve(sentence, folded, start, end, district_end, gazetteer, numbered)
        for v in found:
            out.append(v)
        if found:
            taken.append((start, max(v.end for v in found)))
    return out


def _resolve(
    sentence: str,
    folded: str,
    start: int,
    end: int,
    district_end: int,
    gaz: Gazetteer,
    numbered: bool = False,
) -> list[VenueMention]:
    """The places of one phrase: its most specific gazetteer places (all items of a list), an
    address's district, or a named place the gazetteer does not list."""
    phrase = folded[start:end]
    hits = gaz.find(phrase)
    qualifier = next(
        (p.id for _, _, p in gaz.find(folded[end:district_end]) if p.kind in ("district", "ward")),
        None,
    )
    named = bool(_PLACE_NOUN.match(phrase) or numbered) and not _ADDRESS.match(phrase)
    if hits:
        best = min(_SPECIFICITY[p.kind] for _, _, p in hits)
        if best >= _SPECIFICITY["ward"] and hits[0][0] > 0 and named:
            # only a district or the city inside a named place: the place itself is the venue
            unl = _unlisted(sentence, start, end, qualifier or _district_of(hits))
            if unl is not None:
                return [unl]
        if best <= _SPECIFICITY["area"]:
            keep = [h for h in hits if _SPECIFICITY[h[2].kind] <= _SPECIFICITY["area"]]
        else:
            keep = [h for h in hits if _SPECIFICITY[h[2].kind] == best]
        return [
            VenueMention(p.id, p.kind, p.name_vi, start + s, start + e, p.district or qualifier)
            for s, e, p in keep
        ]
    if _ADDRESS.match(phrase) and qualifier:
        for s, e, p in gaz.find(folded[end:district_end]):
            if p.id == qualifier:
                return [VenueMention(p.id, p.kind, p.name_vi, end + s, end + e, None)]
    if named:
        unl = _unlisted(sentence, start, end, qualifier)
        if unl is not None:
            return [unl]
    return []


def _district_of(hits: list[tuple[int, int, Place]]) -> str | None:
    for _, _, p in hits:
        if p.kind in ("district", "ward"):
            return p.id
    return None


def _unlisted(sentence: str, start: int, end: int, district: str | None) -> VenueMention | None:
    stop = _proper_name(sentence, start, end)
    if stop <= start:
        return None
    name = sentence[start:stop].strip()
    return VenueMention(name, "unlisted", name, start, stop, district)
