"""Activities from stories: what happened, when, where, who and how many, each with its quote.

A story (`evidence.stories`) is one event across outlets; its activity is the record the
monitoring report lists: the kind, the initiatives, the event date, the venue, the organisers
and partners, and the figures the articles state. Pure functions over plain rows, so the same
code reads a labelled passage in `ingest eval-activities` and a story in the nightly run; the
database side is `activities.store`.

Every field is a `Fact` with the sentence that proves it, the article, and the offsets of the
sentence and of the mention in that article's field (title, lead or text), as tags carry
theirs. When the articles of a story disagree ("hơn 60 hoạt động" in one outlet, "hơn 70" in
another) both facts are kept, each with its article's outlet; the activity's own value is the
one most articles give, else the original's (the earliest article). The event date comes from
the text; the publication date is used only when no article names the day, and that fact says
so (`qualifier = "publication"`).

Stories about the same festival edition, the same forum year, or the same plan (by its
document number, "229/KH-UBND") are one activity: `activity_key` names what makes them one, so
a festival reported as an opening story and a figures story appears once in the timeline.
Sentences about another city ("TP.HCM dự kiến tổ chức hơn 200 hoạt động") give no dates and
no figures: they describe someone else's activity.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from ..tag.classify import split_sentences
from ..tag.taxonomy import Taxonomy
from ..text.textnorm import fold, nfc
from .event_dates import DateMention, find_dates
from .figures import find_figures
from .kinds import classify_kind
from .roles import best_role, find_name, role_in_sentence
from .venues import Gazetteer, VenueMention, find_venues

EXTRACTOR_VERSION = "activities-1"
FIELD_ORDER = ("title", "lead", "text")
DATE_WINDOW = (timedelta(days=-60), timedelta(days=200))  # around publication
MAX_SPAN_DAYS = 62  # an end date further than this after the start is another event's

_EVENT_VERB = re.compile(
    r"(?<![\w])(?:khai mac|be mac|dien ra|to chuc|ban hanh|phe duyet|ky|cong bo|ra mat"
    r"|khai truong|phat song|len song|ghi hinh|trao giai|phat dong|mo cua|tong ket|ket nap"
    r"|ghi danh|chinh thuc|trung bay|opened|opens|held|took place|issued|announced|launched"
    r"|designated|gathered|attended|aired|closed|welcomed)(?![\w])"
)
_DOCUMENT = re.compile(
    r"(?<![\w/])(?P<n>\d{1,4})\s*(?:/\s*(?P<a>kh|qd|nq|ct|tb)\s*[-–]\s*(?P<b>ubnd|tu|hdnd|bvhttdl)"
    r"|[-–]\s*(?P<c>nq|ct|kl)\s*/\s*(?P<d>tu|tw))(?![\w])"
)
_EDITION = re.compile(
    r"(?:lan|mua|ky)\s+(?:to chuc\s+)?(?:thu\s+(?P<n>\d{1,2}|nhat|hai|ba|tu|nam|sau|bay|tam|chin"
    r"|muoi)|(?P<first>dau tien))(?![\w])"
)
_EDITION_WORDS = {
    "nhat": 1, "hai": 2, "ba": 3, "tu": 4, "nam": 5, "sau": 6, "bay": 7, "tam": 8, "chin": 9,
    "muoi": 10,
}  # fmt: skip
_ORIGIN_BEFORE = re.compile(r"(?:tu|den tu|nhu|gom|from|including|such as)\s+[^.;]{0,40}$")
# Kinds keyed by initiative and year: one festival edition, one forum a year.
YEARLY_KINDS = ("festival_edition", "forum")


@dataclass(frozen=True)
class TagRef:
    """An initiative or agency tag as stored (`article_initiatives`, `article_agencies`)."""

    label_id: str
    evidence: str
    field: str
    start: int
    end: int
    rule: str = ""


@dataclass
class ArticleInput:
    id: int
    source_id: str
    title: str
    lead: str
    text: str
    published: str | None  # ISO 8601
    relevant: bool = True
    initiatives: list[TagRef] = field(default_factory=list)
    agencies: list[TagRef] = field(default_factory=list)

    @property
    def published_date(self) -> date | None:
        try:
            return date.fromisoformat((self.published or "")[:10])
        except ValueError:
            return None


@dataclass(frozen=True)
class Fact:
    """One field of an activity with its proof: the sentence, the article, the offsets."""

    field: str  # kind | date | date_end | venue | figure | organiser | partner | participant
    #             | edition | document
    value: str
    article_id: int | None
    source_id: str
    quote: str  # the whole sentence ("" for a publication-date fallback)
    text_field: str  # title | lead | text
    start: int  # the sentence's offsets in that field
    end: int
    mention_start: int  # the mention's offsets in that field
    mention_end: int
    unit: str | None = None  # figure: the count noun as written; date: "day"; venue: its kind
    number: float | None = None  # figure: the value
    counts: str | None = None  # figure: what it counts (figures.UNITS)
    qualifier: str | None = None  # figure: more than/…; date: text/publication
    label: str | None = None  # the words as written, or a display name
    primary: bool = False  # the activity's own value for this field


@dataclass
class Activity:
    key: str
    kind: str
    title: str
    event_date: str | None
    event_end: str | None
    date_source: str  # text | publication | none
    venue_id: str | None
    venue_name: str | None
    initiative_ids: list[str]
    primary_initiative: str | None
    organiser_ids: list[str]
    partner_ids: list[str]
    agency_ids: list[str]
    story_ids: list[int]
    article_ids: list[int]
    source_ids: list[str]  # outlets, in order of first publication
    first_article_id: int | None
    facts: list[Fact]
    document: str | None = None
    edition: int | None = None

    @property
    def year(self) -> int | None:
        return int(self.event_date[:4]) if self.event_date else None

    @property
    def conflicts(self) -> list[str]:
        """The figures (by what they count) and dates on which the articles disagree."""
        values: dict[str, set[str]] = {}
        for f in self.facts:
            if f.field == "figure":
                values.setdefault(f"figure:{f.counts}", set()).add(f.value)
            elif f.field == "date" and f.qualifier == "text":
                values.setdefault("date", set()).add(f.value)
        return sorted(k for k, v in values.items() if len(v) > 1)


@dataclass(frozen=True)
class Lexicon:
    """What the rules need besides the text: the gazetteer and the taxonomy's initiatives."""

    gazetteer: Gazetteer
    initiative_kind: dict[str, str]  # id → initiative | topic
    initiative_level: dict[str, str]  # id → local | international | umbrella
    initiative_order: dict[str, int]  # taxonomy order, for stable ties


def lexicon(taxonomy: Taxonomy, gazetteer: Gazetteer) -> Lexicon:
    """The rules' lexicon from a loaded taxonomy (tag.taxonomy) and gazetteer."""
    inits = taxonomy.initiatives
    return Lexicon(
        gazetteer,
        {i.id: i.kind for i in inits},
        {i.id: i.level for i in inits},
        {i.id: n for n, i in enumerate(inits)},
    )


@dataclass(frozen=True)
class Sentence:
    field: str
    start: int
    end: int
    text: str
    index: int  # position in the article, title first

    def fact(self, fld: str, value: str, art: ArticleInput, ms: int, me: int, **kw) -> Fact:
        return Fact(
            fld, value, art.id, art.source_id, self.text, self.field, self.start, self.end,
            self.start + ms, self.start + me, **kw,
        )  # fmt: skip


def sentences(art: ArticleInput) -> list[Sentence]:
    """The article's sentences, title first, with offsets in their field."""
    out: list[Sentence] = []
    for name in FIELD_ORDER:
        value = nfc(getattr(art, name) or "")
        spans = [(0, len(value))] if name == "title" and value.strip() else split_sentences(value)
        for s, e in spans:
            out.append(Sentence(name, s, e, value[s:e], len(out)))
    return out


@dataclass
class ArticleReading:
    """What one article says about its activity."""

    article: ArticleInput
    kind: str
    date: Fact | None
    date_end: Fact | None
    venues: list[Fact]
    figures: list[Fact]
    roles: dict[str, Fact]  # agency id → its role fact
    document: Fact | None
    edition: Fact | None


def _about_elsewhere(sent: Sentence, at: int, gaz: Gazetteer) -> bool:
    """Is the sentence about another city? The first place it names decides (its subject:
    "Bangkok vừa khép lại … hơn 500 sự kiện, đoàn Hà Nội không tham dự"), places of origin
    ("đại biểu đến từ Bangkok") aside."""
    folded = fold(sent.text)
    for s, _e, p in gaz.find(folded):
        if p.kind == "elsewhere" and _ORIGIN_BEFORE.search(folded[:s]):
            continue
        return p.kind == "elsewhere"
    return False


def read_article(art: ArticleInput, lex: Lexicon) -> ArticleReading:
    """Dates, venues, figures, roles, document number and edition of one article."""
    sents = sentences(art)
    pub = art.published_date
    kind = classify_kind(art.title, art.lead or _first_text(art))
    gaz = lex.gazetteer
    date_cands: list[tuple[tuple, Sentence, DateMention]] = []
    ends: list[tuple[Sentence, DateMention]] = []
    venues: list[Fact] = []
    figures: list[Fact] = []
    seen_fig: set[tuple[float, str]] = set()
    seen_venue: set[str] = set()
    document = edition = None
    for sent in sents:
        folded = fold(sent.text)
        has_verb = bool(_EVENT_VERB.search(folded))
        for m in find_dates(sent.text, pub):
            if _about_elsewhere(sent, m.start, gaz):
                continue
            if m.role == "event":
                outside = pub is not None and not (
                    pub + DATE_WINDOW[0] <= m.date <= pub + DATE_WINDOW[1]
                )
                rank = (outside, FIELD_ORDER.index(sent.field), not has_verb, sent.index, m.start)
                date_cands.append((rank, sent, m))
            elif m.role == "end":
                ends.append((sent, m))
        for v in find_venues(sent.text, gaz):
            if v.value in seen_venue:
                continue
            seen_venue.add(v.value)
            venues.append(_venue_fact(sent, v, art))
        for fig in find_figures(sent.text):
            if _about_elsewhere(sent, fig.start, gaz) or (fig.number, fig.counts) in seen_fig:
                continue
            seen_fig.add((fig.number, fig.counts))
            figures.append(
                sent.fact(
                    "figure",
                    fig.value,
                    art,
                    fig.start,
                    fig.end,
                    unit=fig.unit,
                    number=fig.number,
                    counts=fig.counts,
                    qualifier=fig.qualifier,
                    label=fig.text,
                )  # fmt: skip
            )
        if sent.field != "text" or sent.index <= 2:
            if document is None and (d := _DOCUMENT.search(folded)):
                document = sent.fact("document", _doc_id(d), art, d.start(), d.end(),
                                     label=sent.text[d.start() : d.end()])  # fmt: skip
            if edition is None and (e := _EDITION.search(folded)):
                n = 1 if e.group("first") else _edition_number(e.group("n"))
                if n:
                    edition = sent.fact("edition", str(n), art, e.start(), e.end(),
                                        label=sent.text[e.start() : e.end()])  # fmt: skip
    date_fact = end_fact = None
    if date_cands:
        _, sent, m = min(date_cands, key=lambda c: c[0])
        date_fact = _date_fact(sent, m, m.date, art)
        # the span: this mention's own, another mention of a span from the same day
        # ("Tối 9/11 … khai mạc" then "diễn ra từ 9 đến 17/11"), or a later "đến 17/11"
        spans = [(s, c) for _, s, c in date_cands if c.end_date and c.date == m.date]
        if m.end_date is None and spans:
            sent, m = spans[0]
        if m.end_date is not None:
            end_fact = _date_fact(sent, m, m.end_date, art, field_name="date_end")
        elif (end := _end_after(m, sent, ends)) is not None:
            end_sent, end_m = next((s, e) for s, e in ends if e.date == end)
            end_fact = _date_fact(end_sent, end_m, end, art, field_name="date_end")
    roles = _roles(art, sents)
    venues = _drop_implied_city(venues)
    return ArticleReading(art, kind, date_fact, end_fact, venues, figures, roles, document, edition)


def _first_text(art: ArticleInput) -> str:
    """The text's first sentence, standing in for a lead the extractor left empty."""
    spans = split_sentences(art.text or "")
    return art.text[spans[0][0] : spans[0][1]] if spans else ""


def _venue_fact(sent: Sentence, v: VenueMention, art: ArticleInput) -> Fact:
    return sent.fact("venue", v.value, art, v.start, v.end, unit=v.kind, label=v.name,
                     qualifier=v.district)  # fmt: skip


def _drop_implied_city(venues: list[Fact]) -> list[Fact]:
    """The city adds nothing to a named Hanoi venue in the same article, nor a district to a
    venue inside it (the gazetteer or the phrase says which district a venue is in)."""
    if any(v.unit not in ("city", "elsewhere") for v in venues):
        venues = [v for v in venues if v.unit != "city"]
    within = {v.qualifier for v in venues if v.unit not in ("district", "ward") and v.qualifier}
    return [v for v in venues if not (v.unit in ("district", "ward") and v.value in within)]


def _date_fact(
    sent: Sentence, m: DateMention, d: date, art: ArticleInput, field_name: str = "date"
) -> Fact:
    return sent.fact(field_name, d.isoformat(), art, m.start, m.end, unit="day",
                     qualifier="text", label=m.text)  # fmt: skip


def _end_after(start: DateMention, sent: Sentence, ends: list[tuple[Sentence, DateMention]]):
    for s, e in ends:
        if (s.index, e.start) < (sent.index, start.start):
            continue
        if start.date < e.date <= start.date + timedelta(days=MAX_SPAN_DAYS):
            return e.date
    return None


def _doc_id(m: re.Match[str]) -> str:
    n = m.group("n")
    if m.group("a"):
        return f"{n}/{m.group('a').upper().replace('QD', 'QĐ')}-{_org(m.group('b'))}"
    return f"{n}-{m.group('c').upper()}/{m.group('d').upper()}"


def _org(s: str) -> str:
    return {"hdnd": "HĐND", "bvhttdl": "BVHTTDL"}.get(s, s.upper())


def _edition_number(raw: str | None) -> int | None:
    if raw is None:
        return None
    return int(raw) if raw.isdigit() else _EDITION_WORDS.get(raw)


def _roles(art: ArticleInput, sents: list[Sentence]) -> dict[str, Fact]:
    """Each tagged agency's strongest role over the sentences that name it."""
    out: dict[str, Fact] = {}
    for tag in art.agencies:
        spelling = tag.rule.split(":", 1)[1] if ":" in tag.rule else ""
        found: list[tuple[str, Sentence, int, int]] = []
        for sent in sents:
            for form in _name_forms(spelling):
                spans = find_name(sent.text, form)
                for s, e in spans:
                    found.append((role_in_sentence(sent.text, s, e), sent, s, e))
                if spans:
                    break
        if not found:  # the spelling is not in the text as written: the tag's own sentence
            sent = _tag_sentence(tag, sents)
            if sent is None:
                continue
            found.append(("participant", sent, 0, len(sent.text)))
        role = best_role([r for r, *_ in found])
        _, sent, s, e = next(f for f in found if f[0] == role)
        out[tag.label_id] = sent.fact(role, tag.label_id, art, s, e, label=sent.text[s:e])
    return out


_CITY_SUFFIX = re.compile(r"\s+(?:thành phố|TP\.?|Thành phố)?\s*Hà Nội$")


def _name_forms(spelling: str) -> list[str]:
    """The alias that fired, and the same name without "Hà Nội" ("do Sở Văn hóa và Thể thao
    chủ trì" names the same department as the alias "Sở Văn hóa và Thể thao Hà Nội")."""
    if not spelling:
        return []
    short = _CITY_SUFFIX.sub("", spelling)
    return [spelling, short] if short != spelling and len(short.split()) >= 3 else [spelling]


def _tag_sentence(tag: TagRef, sents: list[Sentence]) -> Sentence | None:
    for sent in sents:
        if sent.field == tag.field and sent.start <= tag.start < sent.end:
            return sent
    return None


# ---------------------------------------------------------------------------------------------
# A story's activity
# ---------------------------------------------------------------------------------------------


def _initiatives(arts: list[ArticleInput], kind: str, lex: Lexicon) -> tuple[str | None, list[str]]:
    """The primary initiative (most weight in headlines and leads) and the activity's list."""
    weight: Counter[str] = Counter()
    first_at: dict[str, tuple[int, int]] = {}  # (field, offset) of its earliest evidence
    prominent: set[str] = set()
    tagged: list[str] = []
    for a in arts:
        for t in a.initiatives:
            weight[t.label_id] += {"title": 3, "lead": 2}.get(t.field, 1)
            at = (FIELD_ORDER.index(t.field) if t.field in FIELD_ORDER else 3, t.start)
            first_at[t.label_id] = min(first_at.get(t.label_id, at), at)
            if t.field in ("title", "lead"):
                prominent.add(t.label_id)
            if t.label_id not in tagged:
                tagged.append(t.label_id)
    if not weight:
        return None, []

    def rank(i: str) -> tuple:
        # most weight; then a programme initiative before an umbrella topic; then the one the
        # story names first (the lead is often the first sentence of the text)
        specific = lex.initiative_kind.get(i) == "initiative"
        return (-weight[i], not specific, first_at[i], lex.initiative_order.get(i, 99))

    primary = min(weight, key=rank)
    keep = [primary]
    for i in sorted(tagged, key=rank):
        if i == primary:
            continue
        specific = lex.initiative_kind.get(i) == "initiative"
        if kind == "plan" or (specific and i in prominent):
            keep.append(i)
    return primary, keep


def _published_key(a: ArticleInput) -> tuple[str, int]:
    return (a.published or "9999", a.id)


def activity_for_story(story_id: int, arts: list[ArticleInput], lex: Lexicon) -> Activity | None:
    """The activity a story reports, or None when none of its articles is about the programme."""
    members = sorted(arts, key=_published_key)
    relevant = [a for a in members if a.relevant]
    if not relevant:
        return None
    readings = [read_article(a, lex) for a in relevant]
    original = readings[0]
    kind = _story_kind(readings)
    primary, initiatives = _initiatives(relevant, kind, lex)
    facts: list[Fact] = []

    # the event date: the day most articles give, else the original's; publication as fallback
    dated = [r.date for r in readings if r.date is not None]
    event_date = event_end = None
    date_source = "none"
    if dated:
        counts = Counter(f.value for f in dated)
        best = max(counts.values())
        event_date = next(f.value for f in dated if counts[f.value] == best)
        date_source = "text"
        facts += [replace(f, primary=f.value == event_date) for f in dated]
        end_facts = [r.date_end for r in readings if r.date_end is not None and r.date
                     and r.date.value == event_date]  # fmt: skip
        if end_facts:
            event_end = end_facts[0].value
            facts += [replace(f, primary=f.value == event_end) for f in end_facts]
    elif original.article.published_date is not None:
        a = original.article
        event_date, date_source = a.published_date.isoformat(), "publication"
        facts.append(
            Fact(
                "date",
                event_date,
                a.id,
                a.source_id,
                "",
                "title",
                0,
                0,
                0,
                0,
                unit="day",
                qualifier="publication",
                label=a.published,
                primary=True,
            )  # fmt: skip
        )

    # venues: the most specific place most articles name, else the original's first
    # a plan is issued, not held: the places in it are where its activities will be
    venue_facts = [v for r in readings for v in r.venues] if kind != "plan" else []
    venue_id = venue_name = None
    if venue_facts:
        tally = Counter(v.value for v in venue_facts)
        spec = {"venue": 0, "unlisted": 1, "area": 1, "elsewhere": 2, "ward": 2, "district": 3}
        top = min(venue_facts, key=lambda v: (spec.get(v.unit or "", 4), -tally[v.value]))
        venue_id, venue_name = top.value, top.label
        facts += [replace(v, primary=v.value == venue_id) for v in venue_facts]

    # figures: all of them, each with its article; the original's are the activity's own
    for r in readings:
        facts += [replace(f, primary=r is original) for f in r.figures]

    organisers: list[str] = []
    partners: list[str] = []
    agencies: list[str] = []
    roles: dict[str, list[Fact]] = {}
    for r in readings:
        for aid, f in r.roles.items():
            roles.setdefault(aid, []).append(f)
    for aid, fs in roles.items():
        role = best_role([f.field for f in fs])
        agencies.append(aid)
        (organisers if role == "organiser" else partners if role == "partner" else []).append(aid)
        facts += [replace(f, primary=f.field == role) for f in fs]

    document = next((r.document for r in readings if r.document is not None), None)
    edition = next((r.edition for r in readings if r.edition is not None), None)
    facts += [replace(f, primary=True) for f in (document, edition) if f is not None]
    a0 = original.article
    facts.insert(
        0,
        Fact(
            "kind",
            kind,
            a0.id,
            a0.source_id,
            a0.title,
            "title",
            0,
            len(a0.title),
            0,
            len(a0.title),
            primary=True,
        ),  # fmt: skip
    )
    act = Activity(
        key="",
        kind=kind,
        title=a0.title,
        event_date=event_date,
        event_end=event_end,
        date_source=date_source,
        venue_id=venue_id,
        venue_name=venue_name,
        initiative_ids=initiatives,
        primary_initiative=primary,
        organiser_ids=organisers,
        partner_ids=partners,
        agency_ids=agencies,
        story_ids=[story_id],
        article_ids=[a.id for a in members],
        source_ids=list(dict.fromkeys(a.source_id for a in members)),
        first_article_id=a0.id,
        facts=facts,
        document=document.value if document else None,
        edition=int(edition.value) if edition else None,
    )
    act.key = activity_key(act, story_id)
    return act


def _story_kind(readings: list[ArticleReading]) -> str:
    """The original's kind, unless it says `other` and a copy names a kind."""
    kinds = [r.kind for r in readings]
    if kinds[0] != "other":
        return kinds[0]
    named = [k for k in kinds if k != "other"]
    return Counter(named).most_common(1)[0][0] if named else "other"


def activity_key(act: Activity, story_id: int) -> str:
    """What makes two stories one activity: the edition, the forum year, the plan's number,
    or the same kind of event of the same initiative on the same day; else the story itself."""
    if act.kind in YEARLY_KINDS and act.primary_initiative and act.year:
        return f"{act.kind}:{act.primary_initiative}:{act.year}"
    if act.kind == "plan" and act.document:
        return f"plan:{act.document}"
    if act.kind != "other" and act.date_source == "text" and act.primary_initiative:
        return f"{act.kind}:{act.primary_initiative}:{act.event_date}"
    return f"story:{story_id}"


def merge(activities: list[Activity]) -> list[Activity]:
    """One activity per key: stories of the same edition or plan are merged (facts of all)."""
    by_key: dict[str, list[Activity]] = {}
    for a in activities:
        by_key.setdefault(a.key, []).append(a)
    out = []
    for key, group in by_key.items():
        if len(group) == 1:
            out.append(group[0])
            continue
        out.append(_merge_group(key, group))
    return sorted(out, key=lambda a: (a.event_date or "9999", a.key))


def _merge_group(key: str, group: list[Activity]) -> Activity:
    group = sorted(group, key=lambda a: (_first_date(a), a.story_ids[0]))
    base = group[0]
    facts: list[Fact] = []
    text_dates = [a for a in group if a.date_source == "text"]
    lead = min(text_dates, key=lambda a: a.event_date or "9999") if text_dates else base
    for a in group:
        keep_primary = a is lead
        for f in a.facts:
            if f.field == "date" and f.qualifier == "publication" and text_dates:
                continue  # a text date elsewhere in the activity beats a publication date
            if f.field == "kind" and a is not base:
                continue
            primary = f.primary and (keep_primary or f.field not in ("date", "date_end", "venue"))
            facts.append(replace(f, primary=primary))

    def union(attr: str) -> list:
        seen: list = []
        for a in group:
            for x in getattr(a, attr):
                if x not in seen:
                    seen.append(x)
        return seen

    organisers = union("organiser_ids")
    partners = [p for p in union("partner_ids") if p not in organisers]
    return Activity(
        key=key,
        kind=base.kind,
        title=lead.title if lead.kind == base.kind else base.title,
        event_date=lead.event_date,
        event_end=lead.event_end or next((a.event_end for a in group if a.event_end), None),
        date_source=lead.date_source,
        venue_id=lead.venue_id or next((a.venue_id for a in group if a.venue_id), None),
        venue_name=lead.venue_name or next((a.venue_name for a in group if a.venue_name), None),
        initiative_ids=union("initiative_ids"),
        primary_initiative=base.primary_initiative,
        organiser_ids=organisers,
        partner_ids=partners,
        agency_ids=union("agency_ids"),
        story_ids=union("story_ids"),
        article_ids=union("article_ids"),
        source_ids=union("source_ids"),
        first_article_id=base.first_article_id,
        facts=facts,
        document=base.document,
        edition=base.edition or next((a.edition for a in group if a.edition), None),
    )


def _first_date(a: Activity) -> str:
    return a.event_date or "9999"


# ---------------------------------------------------------------------------------------------
# One passage, for the labelled set
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PassageReading:
    kind: str
    date: str | None  # from the text only (None when only the publication date is known)
    date_end: str | None
    venues: list[str]  # gazetteer ids, or names as written for unlisted venues
    figures: list[tuple[float, str]]  # (number, counts)


def read_passage(title: str, lead: str, text: str, published: str, lex: Lexicon) -> PassageReading:
    """What the rules read off one labelled passage, through the same code as a story."""
    art = ArticleInput(0, "eval", title, lead, text, published)
    r = read_article(art, lex)
    return PassageReading(
        r.kind,
        r.date.value if r.date else None,
        r.date_end.value if r.date_end else None,
        list(dict.fromkeys(("~" if v.unit == "unlisted" else "") + v.value for v in r.venues)),
        [(f.number or 0.0, f.counts or "") for f in r.figures],
    )
