"""Load and validate `taxonomy.yaml`: initiatives, umbrella topics, agencies and their aliases.

The taxonomy is edited by researchers, not programmers: adding an alias must be a one-line change
with no code, and every mistake must be reported with the file, the entry and the problem before
any article is tagged. The ids are a public contract (saved queries and feeds use them); names
and aliases may change freely, and any edit changes `Taxonomy.digest`, hence the tagger version,
so `ingest reprocess` knows which articles to re-tag.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from pathlib import Path
from typing import Any, Literal

import sqlite_utils
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..config import ConfigError, pydantic_problems, read_yaml
from ..paths import REPO_ROOT

InitiativeKind = Literal["initiative", "topic"]
InitiativeLevel = Literal["local", "international", "umbrella"]
AgencyLevel = Literal["city", "district", "ministry", "national", "international"]

_ID = r"^[a-z][a-z0-9_]*$"
_OPTIONAL = re.compile(r"\[([^\[\]]+)\]")
MAX_OPTIONAL_PARTS = 4  # 2**4 spellings per alias at most, to keep the matcher small


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_aliases(values: list[str]) -> list[str]:
    """Aliases are phrases of words: every spelling must hold a letter. One without (`!!!`,
    `(.*)`, a lone backslash) matches punctuation in any text and tags it."""
    for v in values:
        if not v.strip():
            raise ValueError("empty alias")
        if len(_OPTIONAL.findall(v)) > MAX_OPTIONAL_PARTS:
            raise ValueError(f"alias {v!r} has more than {MAX_OPTIONAL_PARTS} [optional] parts")
        if "[" in _OPTIONAL.sub("", v) or "]" in _OPTIONAL.sub("", v):
            raise ValueError(f"alias {v!r} has an unbalanced [ or ]")
        for spelling in expand_alias(v) or [v]:
            if not any(c.isalpha() for c in spelling):
                raise ValueError(
                    f"alias {v!r} has no letter"
                    + (f" in its spelling {spelling!r}" if spelling != v.strip() else "")
                    + " (it would match punctuation or numbers anywhere)"
                )
    return values


class Label(_Strict):
    """Fields shared by initiatives, topics and agencies.

    `aliases` count wherever they occur; `context_aliases` are generic phrases that count only in
    a sentence with Hanoi context and without another city or a startup/innovation veto word.
    An alias may mark optional words in brackets: "Mạng lưới các thành phố sáng tạo [của] UNESCO".
    """

    id: str = Field(pattern=_ID)
    name_vi: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    parent: str | None = None
    description: str | None = None
    aliases: list[str] = []
    context_aliases: list[str] = []
    # words right before a context alias that cancel it, e.g. "các" in "các thành phố sáng tạo
    # khác": other member cities, not Hanoi's own membership
    not_after: list[str] = []
    # words right after a context alias that make it another name: "Tài năng sáng tạo nhí"
    not_before: list[str] = []
    # words that, in the same sentence, cancel this label's context aliases: a company's
    # "trung tâm thiết kế sáng tạo" is not the city's centre
    veto: list[str] = []
    # a context alias counts only when the same sentence also has one of these words: a
    # "creative space" is the initiative when the city builds, supports or networks it, and
    # "công nghiệp văn hóa" is the policy topic when a resolution, plan or centre is named
    requires: list[str] = []
    # where a `requires` word must be: up to this many words before / after the phrase
    # (0: anywhere in the sentence), and with `requires_clause` not past a comma, semicolon,
    # colon or bracket ("Ở các nước phát triển, không gian sáng tạo…" is not developing one)
    requires_before: int = Field(0, ge=0)
    requires_after: int = Field(0, ge=0)
    requires_clause: bool = False
    # a Hanoi city or district body acting in the same sentence (or, for a phrase in the
    # title or lead, anywhere in the story) also satisfies `requires`: the creative space is
    # the city's, not a private one
    requires_agency: bool = False
    # phrases that prove the label only when the story is relevant for other reasons and add
    # nothing to relevance: a bare "thành phố sáng tạo" among the city's titles
    weak_aliases: list[str] = []
    # words that make any of this label's generic hits in the sentence weak (a list of the
    # city's titles: "Thành phố vì hòa bình", "City for Peace")
    weak_with: list[str] = []
    # True: a hit inside an English appositive after the city's name ("Hanoi, a UNESCO
    # Creative City of Design since 2019, welcomed…") is background, so weak
    weak_appositive: bool = False
    # False: the context's innovation veto words ("đổi mới sáng tạo") do not cancel this
    # label's generic phrases (a festival is still the festival in a sentence about innovation)
    context_veto: bool = True

    @field_validator(
        "aliases",
        "context_aliases",
        "not_after",
        "not_before",
        "veto",
        "requires",
        "weak_aliases",
        "weak_with",
    )
    @classmethod
    def _aliases(cls, v: list[str]) -> list[str]:
        return _check_aliases(v)


class Initiative(Label):
    kind: InitiativeKind
    level: InitiativeLevel


class Becomes(_Strict):
    """A generic name followed closely by one of these words is another label's body:
    "the People's Committee of Hoan Kiem District" is a district's, not the city's."""

    label: str = Field(pattern=_ID)
    followed_by: list[str] = Field(min_length=1)
    within: int = Field(4, ge=1, le=8, description="capitalised words allowed in between")


class Agency(Label):
    level: AgencyLevel
    becomes: Becomes | None = None
    # "other": a finer body than the labelling guide's list of ids (scored as "other"), so the
    # taxonomy can name it without the evaluation counting it as a core agency
    report_as: str | None = Field(None, pattern=_ID)


class Weights(_Strict):
    initiative: float = Field(2.0, ge=0)
    topic: float = Field(1.5, ge=0)
    signal: float = Field(0.5, ge=0)
    agency: float = Field(0.0, ge=0)


class Relevance(_Strict):
    """How evidence becomes a score; kept here so tuning needs no code change."""

    threshold: float = Field(1.0, gt=0)
    # a label named by a generic phrase only counts this share of its weight
    generic_factor: float = Field(1.0, ge=0, le=1)
    # the story's head: title, lead, and body sentences starting in the first head_chars
    head_chars: int = Field(600, ge=0)
    # a label named once, outside the head, is a passing mention: its weight times this
    passing_factor: float = Field(1.0, ge=0, le=1)
    # when another city is the story's subject (its head names it and not Hanoi, or the body
    # names other places far more often than Hanoi), the score is multiplied by this
    other_subject_factor: float = Field(1.0, ge=0, le=1)
    weights: Weights = Weights()
    repeat_bonus: float = Field(0.25, ge=0, description="per extra sentence naming a label")
    repeat_cap: float = Field(1.0, ge=0, description="most a label can gain from repeats")
    other_place_title_factor: float = Field(
        0.5, ge=0, le=1, description="score multiplier when the title names another city, not Hanoi"
    )


class Context(_Strict):
    """Words that decide whether a generic phrase is about Hanoi's programme."""

    window: int = Field(1, ge=0, le=5, description="sentences either side that lend Hanoi context")
    hanoi: list[str] = Field(min_length=1)
    hanoi_capitalised: list[str] = []  # count only when written with a capital initial
    # phrases that name Hanoi in any case ("the capital", "Viet Nam's capital"), unless
    # followed by "of <Place>" (another country's capital)
    hanoi_phrases: list[str] = []
    other_places: list[str] = []
    veto: list[str] = []  # startup / innovation wording: the generic phrase is not the programme
    confirm: list[str] = []  # e.g. "UNESCO": the sentence is about the network despite a veto

    @field_validator(
        "hanoi", "hanoi_capitalised", "hanoi_phrases", "other_places", "veto", "confirm"
    )
    @classmethod
    def _aliases(cls, v: list[str]) -> list[str]:
        return _check_aliases(v)


class Boilerplate(_Strict):
    """Lines that are page furniture, not story: nothing found there is evidence."""

    line_prefixes: list[str] = []  # a line starting with one of these is skipped
    block_headers: list[str] = []  # related-news headers: following headline-like lines skipped
    credit_prefixes: list[str] = []  # "Ảnh: Sở VH&TT" inside a line: the name is a credit


class AgencyRoles(_Strict):
    """Places in a sentence where an agency's name does not mean the agency acts in the story.

    The issuer of a cited plan or resolution is an actor (the labelling guide), so there is no
    rule against it; a venue is not, and neither is a name in a sentence the page cut off
    before saying what the body did.
    """

    # "trong khuôn viên Bảo tàng Hà Nội": the name right after one of these is a venue
    venue_words: list[str] = []
    # in the text's last sentence, when the text stops without closing it (an excerpt or a
    # truncated page), a name followed by fewer words than this never got to act
    cut_off_words: int = Field(0, ge=0)


class Citations(_Strict):
    """When a numbered document is cited as a basis, not discussed: "Thực hiện Nghị quyết số
    09-NQ/TU…; Kế hoạch số 176/KH-UBND…" or "trên cơ sở … Nghị quyết 09-NQ/TU". A label found
    only through such a citation proves nothing about what the story is about (weak)."""

    min_documents: int = Field(2, ge=1, description="numbered documents in one sentence")
    basis_words: list[str] = []  # "căn cứ", "trên cơ sở", "pursuant to"

    @field_validator("basis_words")
    @classmethod
    def _aliases(cls, v: list[str]) -> list[str]:
        return _check_aliases(v)


class Signal(_Strict):
    """A phrase that adds to the relevance score without being a label (e.g. "thiết kế sáng tạo")."""

    alias: str = Field(min_length=1)
    context: bool = True
    weight: float | None = Field(None, ge=0)

    @field_validator("alias")
    @classmethod
    def _alias(cls, v: str) -> str:
        return _check_aliases([v])[0]


class Taxonomy(_Strict):
    version: int = 1
    # groups of interchangeable spellings applied to every alias and context word:
    # "Hà Nội" / "Ha Noi" / "Hanoi", "Việt Nam" / "Vietnam", "Centre" / "Center"
    spelling_variants: list[list[str]] = []
    relevance: Relevance = Relevance()
    context: Context
    boilerplate: Boilerplate = Boilerplate()
    agency_roles: AgencyRoles = AgencyRoles()
    citations: Citations = Citations()
    signals: list[Signal] = []
    initiatives: list[Initiative] = Field(min_length=1)
    agencies: list[Agency] = Field(min_length=1)
    digest: str = ""  # sha256 of the file content; set by load_taxonomy

    def initiative(self, label_id: str) -> Initiative:
        for i in self.initiatives:
            if i.id == label_id:
                return i
        raise KeyError(label_id)

    def agency(self, label_id: str) -> Agency:
        for a in self.agencies:
            if a.id == label_id:
                return a
        raise KeyError(label_id)

    @property
    def initiative_ids(self) -> list[str]:
        return [i.id for i in self.initiatives]

    @property
    def agency_ids(self) -> list[str]:
        return [a.id for a in self.agencies]


def expand_alias(alias: str) -> list[str]:
    """All spellings of an alias with [optional] words, e.g. "A [b] C" → ["A b C", "A C"]."""
    parts = _OPTIONAL.split(alias)
    fixed, optional = parts[0::2], parts[1::2]
    out = []
    for keep in itertools.product((True, False), repeat=len(optional)):
        s = fixed[0]
        for k, opt, rest in zip(keep, optional, fixed[1:], strict=True):
            s += (opt if k else "") + rest
        s = " ".join(s.split())
        if s and s not in out:
            out.append(s)
    return out


def _entry(raw: Any, loc: tuple[Any, ...]) -> str:
    """Name the entry a location points at, e.g. "agencies[3] (id: doc_sports) field aliases"."""
    if (
        len(loc) >= 2
        and loc[0] in ("initiatives", "agencies", "signals")
        and isinstance(loc[1], int)
    ):
        key = None
        try:
            key = raw[loc[0]][loc[1]].get("id") or raw[loc[0]][loc[1]].get("alias")
        except Exception:
            pass
        head = f"{loc[0]}[{loc[1]}]" + (f" (id: {key})" if key else "")
        rest = ".".join(str(p) for p in loc[2:])
        return head + (f" field {rest}" if rest else "")
    return ".".join(str(p) for p in loc) or "top level"


def _problems(raw: Any, exc: ValidationError) -> list[str]:
    """pydantic_problems with entry names that say which initiative or agency is wrong."""
    out = []
    for err, generic in zip(exc.errors(), pydantic_problems(raw, exc), strict=True):
        loc = tuple(err["loc"])
        if err["type"] in ("extra_forbidden", "missing"):
            loc = loc[:-1]
        msg = generic.split(": ", 1)[1] if ": " in generic else generic
        out.append(f"{_entry(raw, loc)}: {msg}")
    return out


def _cross_checks(tax: Taxonomy) -> list[str]:
    problems = []
    for section, labels in (("initiatives", tax.initiatives), ("agencies", tax.agencies)):
        seen: dict[str, int] = {}
        ids = {lab.id for lab in labels}
        for i, lab in enumerate(labels):
            where = f"{section}[{i}] (id: {lab.id})"
            if lab.id in seen:
                problems.append(f"{where}: duplicate id, first used by {section}[{seen[lab.id]}]")
            seen.setdefault(lab.id, i)
            if lab.parent is not None and lab.parent not in ids:
                problems.append(f"{where}: unknown parent {lab.parent!r}")
            if lab.parent == lab.id:
                problems.append(f"{where}: parent is itself")
            if not (lab.aliases or lab.context_aliases):
                problems.append(f"{where}: needs at least one alias or context alias")
    agency_ids = set(tax.agency_ids)
    for i, a in enumerate(tax.agencies):
        if a.becomes is not None and a.becomes.label not in agency_ids:
            problems.append(
                f"agencies[{i}] (id: {a.id}): becomes.label {a.becomes.label!r} is not an agency"
            )
        if a.report_as is not None and a.report_as != "other" and a.report_as not in agency_ids:
            problems.append(
                f"agencies[{i}] (id: {a.id}): report_as must be 'other' or an agency id,"
                f" not {a.report_as!r}"
            )
    clash = set(tax.initiative_ids) & set(tax.agency_ids)
    if clash:
        problems.append(f"ids used both as initiative and agency: {sorted(clash)}")
    return problems


def parse_taxonomy(raw: Any, *, file: str | Path = "taxonomy.yaml", digest: str = "") -> Taxonomy:
    """Validate already-parsed YAML; raises ConfigError naming file, entry and problem."""
    if not isinstance(raw, dict):
        raise ConfigError(file, ["top level must be a mapping with 'initiatives:' and 'agencies:'"])
    try:
        tax = Taxonomy.model_validate({**raw, "digest": digest or _digest_of(raw)})
    except ValidationError as exc:
        raise ConfigError(file, _problems(raw, exc)) from None
    problems = _cross_checks(tax)
    if problems:
        raise ConfigError(file, problems)
    return tax


def _digest_of(raw: Any) -> str:
    return hashlib.sha256(repr(raw).encode("utf-8")).hexdigest()


def load_taxonomy(path: str | Path) -> Taxonomy:
    """Read and validate the taxonomy file; the digest is of its exact bytes."""
    path = Path(path)
    raw = read_yaml(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return parse_taxonomy(raw, file=path, digest=digest)


def default_taxonomy_path() -> Path:
    """taxonomy.yaml in the working directory, else the one at the repository root."""
    here = Path("taxonomy.yaml")
    if here.exists():
        return here
    return REPO_ROOT / "taxonomy.yaml"


def sync_taxonomy(db: sqlite_utils.Database, taxonomy: Taxonomy) -> None:
    """Upsert initiatives, topics and agencies so the facet tables name every id in use."""
    with db.conn:
        db["initiatives"].upsert_all(
            (
                {
                    "id": i.id,
                    "name_vi": i.name_vi,
                    "name_en": i.name_en,
                    "kind": i.kind,
                    "level": i.level,
                    "parent": i.parent,
                    "description": i.description,
                }
                for i in taxonomy.initiatives
            ),
            pk="id",
        )
        db["agencies"].upsert_all(
            (
                {
                    "id": a.id,
                    "name_vi": a.name_vi,
                    "name_en": a.name_en,
                    "level": a.level,
                    "parent": a.parent,
                    "description": a.description,
                }
                for a in taxonomy.agencies
            ),
            pk="id",
        )
