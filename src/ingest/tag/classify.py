"""Relevance and tagging by initiative and agency, each tag proved by one whole sentence.

How it works, and why:
- Every alias in the taxonomy is compiled once per taxonomy into one trie-shaped regex whose
  letters accept every case and tone mark ("Uỷ ban"/"Ủy ban", "Sở VH&TT"/"Sở VH & TT", text
  typed without diacritics), at syllable boundaries only. Every spelling keeps its own pattern
  and the taxonomy's spelling variants ("Hà Nội"/"Hanoi", "Centre"/"Center") are expanded, so
  the English pages of Vietnamese outlets match as the Vietnamese ones do.
- Generic phrases (`context_aliases`) count only in a sentence with Hanoi context and without
  another city or an innovation veto word, and only where the label's own rules say they name
  the programme (the policy's or the initiative's wording near them, a Hanoi body acting);
  the rules live in taxonomy.yaml, not here.
- Relevance is aboutness, not keyword presence (`rule_score`): a label counts more when named
  by its proper name, in the head, or repeatedly; weak hits (titles lists, appositives,
  documents cited as a basis) prove a label only in a story relevant for other reasons; another
  city as the subject halves the score.
- Lines that are page furniture (related news, footers, photo credits) never give evidence; an
  agency is tagged where it acts (not as a venue, not in a sentence cut off before it acts).
Pure functions only: the same input and taxonomy always give the same Classification.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from ..models import Classification, FieldName, Tag
from ..text.textnorm import fold
from .taxonomy import Label, Relevance, Taxonomy, expand_alias

# Bump when the matching or scoring code changes; the taxonomy digest is appended per taxonomy.
TAGGER_VERSION = "tagger-2"

_FIELDS: tuple[FieldName, ...] = ("title", "lead", "text")
# Where evidence is taken from when a label is found in several fields: a sentence of the lead
# or the body says more than a headline, which is used only when nothing else names the label.
_EVIDENCE_ORDER = {"lead": 0, "text": 1, "title": 2}


def tagger_version(taxonomy: Taxonomy) -> str:
    """Code version plus taxonomy digest: editing an alias changes it, so reprocess re-tags."""
    return f"{TAGGER_VERSION}+{taxonomy.digest[:8]}"


# --------------------------------------------------------------------------- folding


def _build_fold_table() -> dict[int, str]:
    table = {}
    ranges = [range(0x41, 0x5B), range(0xC0, 0x250), range(0x1E00, 0x1F00)]
    for r in ranges:
        for cp in r:
            f = fold(chr(cp))
            if len(f) == 1 and f != chr(cp):
                table[cp] = f
    return table


_FOLD_TABLE = _build_fold_table()
_CLUSTER = re.compile(r"[^\u0300-\u036f]?[\u0300-\u036f]+")


# Letters of Vietnamese text besides ASCII: the precomposed vowels with tone marks and đ.
_VIETNAMESE = "ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝàáâãèéêìíòóôõùúýĂăĐđĨĩŨũƠơƯư" + "".join(
    chr(cp) for cp in range(0x1EA0, 0x1EFA)
)


def _letter_classes() -> dict[str, str]:
    """For each folded letter, a regex class of the Vietnamese letters that fold to it."""
    out = {}
    for base in "abcdefghijklmnopqrstuvwxyz":
        chars = {base, base.upper()} | {c for c in _VIETNAMESE if fold(c) == base}
        out[base] = "[" + "".join(sorted(chars)) + "]" if len(chars) > 1 else base
    return out


_LETTER = _letter_classes()


def _fold_match(s: str) -> str:
    return s.translate(_FOLD_TABLE)


def fold_with_offsets(text: str) -> tuple[str, list[int] | None]:
    """The text the matchers run on, and starts[i] = index in `text` of its character i.

    The compiled patterns accept every case and tone mark of a letter, so NFC text (the normal
    case) is searched as it is and `starts` is None. Decomposed text is folded first, each base
    letter with its combining marks to one character, so evidence offsets still point into the
    text as given; the stretches between marks are copied in bulk.
    """
    if unicodedata.is_normalized("NFC", text):
        return text, None
    out: list[str] = []
    starts: list[int] = []
    pos = 0
    for m in _CLUSTER.finditer(text):
        if m.start() > pos:
            out.append(text[pos : m.start()].translate(_FOLD_TABLE))
            starts.extend(range(pos, m.start()))
        f = fold(m.group(0))
        out.append(f)
        starts.extend([m.start()] * len(f))
        pos = m.end()
    out.append(text[pos:].translate(_FOLD_TABLE))
    starts.extend(range(pos, len(text) + 1))
    return "".join(out), starts


# --------------------------------------------------------------------------- alias compiling

_DASHES = "-–—"
_SPACE_AROUND = re.compile(r"\s*([&/\-–—])\s*")


# Between two words of an alias: spaces, optionally with quote marks or brackets, as in
# mạng lưới các “Thành phố sáng tạo” của UNESCO, or "(UNESCO) in Hanoi".
_GAP = r"[\s\"“”«»()]+"


def _atoms(folded_alias: str) -> list[str]:
    """Regex pieces for one folded alias; spacing and dash style are free, letters are not."""
    s = _SPACE_AROUND.sub(r"\1", " ".join(folded_alias.split()))
    s = re.sub(r"\s*:", ":", s)
    atoms = []
    for ch in s:
        if ch == " ":
            atoms.append(_GAP)
        elif ch == "&":
            atoms.append(r"\s*&\s*")
        elif ch == "/":
            atoms.append(r"\s*/\s*")
        elif ch in _DASHES:
            atoms.append(r"\s*[-–—]\s*")
        elif ch == ".":
            atoms.append(r"\.\s*")
        elif ch == ",":
            atoms.append(r",\s*")
        elif ch == ":":
            atoms.append(r"\s*:")
        elif ch in "'’":
            atoms.append(r"['’]")
        elif ch in _LETTER:
            atoms.append(_LETTER[ch])
        else:
            atoms.append(re.escape(ch))
    return atoms


_QUOTES = str.maketrans("", "", '"“”«»()')


def match_key(folded: str) -> str:
    """Spacing- and dash-insensitive key shared by an alias and any text it matches."""
    s = "".join(folded.split())
    s = s.replace("–", "-").replace("—", "-").replace("’", "'")
    return s.translate(_QUOTES)


def _trie_regex(sequences: list[list[str]]) -> str:
    """One alternation shaped as a trie, so matching costs little more than one alias."""
    root: dict = {}
    for seq in sequences:
        node = root
        for atom in seq:
            node = node.setdefault(atom, {})
        node[""] = {}

    def emit(node: dict) -> str:
        terminal = "" in node
        children = [(a, c) for a, c in node.items() if a != ""]
        if not children:
            return ""
        alts = [a + emit(c) for a, c in children]
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if terminal:
            return "(?:" + body + ")?"
        return body

    return emit(root)


def _bounded(sequences: list[list[str]]) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)(?:" + _trie_regex(sequences) + r")(?!\w)")


@dataclass(frozen=True)
class _Entry:
    label_id: str
    kind: str  # initiative | topic | agency | signal
    context: bool  # True: counts only with Hanoi context
    alias: str  # as written in the taxonomy (one expanded spelling)
    weight: float | None = None
    weak: bool = False  # proves the label only when the story is relevant for other reasons
    document: bool = False  # the alias is a document number ("09-NQ/TU", "Kế hoạch 102/KH-UBND")


@dataclass
class Compiled:
    labels: re.Pattern[str]  # every alias, context word and place name, in one pass
    implies: set[str]  # keys of label aliases that contain a context word
    entries: dict[str, list[_Entry]]
    context: re.Pattern[str]
    context_kinds: dict[str, set[str]]  # key → {"hanoi", "hanoi_cap", "other", "veto", "confirm"}
    line_boiler: re.Pattern[str] | None
    block_header: re.Pattern[str] | None
    block_start: re.Pattern[str] | None
    credit: re.Pattern[str] | None
    venue: re.Pattern[str] | None = None
    basis: re.Pattern[str] | None = None
    min_documents: int = 2
    weak_appositive: set[str] = field(default_factory=set)
    not_after: dict[str, re.Pattern[str]] = field(default_factory=dict)
    not_before: dict[str, re.Pattern[str]] = field(default_factory=dict)
    label_veto: dict[str, re.Pattern[str]] = field(default_factory=dict)
    requires: dict[str, re.Pattern[str]] = field(default_factory=dict)
    requires_where: dict[str, tuple[int, int, bool]] = field(default_factory=dict)
    requires_agency: set[str] = field(default_factory=set)
    weak_with: dict[str, re.Pattern[str]] = field(default_factory=dict)
    no_context_veto: set[str] = field(default_factory=set)
    becomes: dict[str, tuple[str, re.Pattern[str]]] = field(default_factory=dict)
    local_agencies: set[str] = field(default_factory=set)  # Hanoi city and district bodies
    # matched text → key, so recurring spellings ("Hà Nội") are folded once per taxonomy
    keys: dict[str, str] = field(default_factory=dict)

    def key(self, matched: str) -> str:
        k = self.keys.get(matched)
        if k is None:
            k = match_key(_fold_match(matched))
            if len(self.keys) < 100_000:
                self.keys[matched] = k
        return k


# a numbered document: "09-NQ/TU", "102/KH-UBND", "24/2025/NQ-HĐND", "15-NQ/TW"
_DOC_NUMBER = re.compile(r"\d+(?:/\d{4})?[-/][a-zđ]{1,6}(?:[-/][a-zđ]{1,6})+", re.IGNORECASE)


def _word_re(folded: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + re.escape(folded) + r"(?!\w)")


MAX_VARIANT_FORMS = 16  # spellings per alias after variant substitution, to keep the regex small


def variant_forms(folded: str, groups: list[list[str]]) -> list[str]:
    """The folded alias with each spelling of a variant group in turn: "ha noi" → "hanoi"."""
    forms = [folded]
    for group in groups:
        members = [m for m in group if m]
        out = list(forms)
        for f in forms:
            for m in members:
                pat = _word_re(m)
                if pat.search(f):
                    for other in members:
                        g = pat.sub(lambda _m, o=other: o, f)
                        if g not in out:
                            out.append(g)
        forms = out[:MAX_VARIANT_FORMS]
    return forms


def _add(
    seqs: dict[tuple[str, ...], list[str]],
    entries: dict[str, list[_Entry]],
    e: _Entry,
    samples: dict[str, list[str]],
    variants: list[list[str]],
) -> None:
    """Register every spelling of an alias, each with its own pattern (two spellings that share
    a match key, "Hà Nội" and "Hanoi", are both searched for); the rule names the spelling as
    written in the taxonomy."""
    for spelling in expand_alias(e.alias):
        document = _DOC_NUMBER.search(fold(spelling)) is not None
        entry = _Entry(e.label_id, e.kind, e.context, spelling, e.weight, e.weak, document)
        for folded in variant_forms(fold(spelling), variants):
            key = match_key(folded)
            atoms = _atoms(folded)
            seqs.setdefault(tuple(atoms), atoms)
            samples.setdefault(key, []).append(folded)
            bucket = entries.setdefault(key, [])
            if entry not in bucket:
                bucket.append(entry)


def _prefix_regex(prefixes: list[str], *, whole_line: bool) -> re.Pattern[str] | None:
    seqs = []
    for p in prefixes:
        for spelling in expand_alias(p):
            seqs.append(_atoms(fold(spelling)))
    if not seqs:
        return None
    tail = r"\s*[:.]?\s*$" if whole_line else r"(?:(?<!\w)|(?!\w))"
    return re.compile(r"^[\s\W]{0,3}(?:" + _trie_regex(seqs) + ")" + tail)


def _seqs(words: list[str], variants: list[list[str]] | None = None) -> list[list[str]]:
    return [
        _atoms(v)
        for w in words
        for x in expand_alias(w)
        for v in variant_forms(fold(x), variants or [])
    ]


def compile_taxonomy(taxonomy: Taxonomy) -> Compiled:
    """Build the matchers for one taxonomy (cached by digest; call freely)."""
    hit = _CACHE.get(taxonomy.digest)
    if hit is not None:
        return hit
    variants = [[fold(v) for v in group] for group in taxonomy.spelling_variants]
    seqs: dict[tuple[str, ...], list[str]] = {}
    entries: dict[str, list[_Entry]] = {}
    samples: dict[str, list[str]] = {}
    labels: list[tuple[Label, str]] = [(i, i.kind) for i in taxonomy.initiatives]
    labels += [(a, "agency") for a in taxonomy.agencies]
    for lab, kind in labels:
        for alias in lab.aliases:
            _add(seqs, entries, _Entry(lab.id, kind, False, alias), samples, variants)
        for alias in lab.context_aliases:
            _add(seqs, entries, _Entry(lab.id, kind, True, alias), samples, variants)
        for alias in lab.weak_aliases:
            _add(seqs, entries, _Entry(lab.id, kind, True, alias, weak=True), samples, variants)
    for sig in taxonomy.signals:
        entry = _Entry("", "signal", sig.context, sig.alias, sig.weight)
        _add(seqs, entries, entry, samples, variants)

    cseqs: dict[tuple[str, ...], list[str]] = {}
    ckinds: dict[str, set[str]] = {}
    ctx = taxonomy.context
    for kind, words in (
        ("hanoi", ctx.hanoi),
        ("hanoi_cap", ctx.hanoi_capitalised),
        ("hanoi_phrase", ctx.hanoi_phrases),
        ("other", ctx.other_places),
        ("veto", ctx.veto),
        ("confirm", ctx.confirm),
    ):
        for w in words:
            for spelling in expand_alias(w):
                for folded in variant_forms(fold(spelling), variants):
                    atoms = _atoms(folded)
                    cseqs.setdefault(tuple(atoms), atoms)
                    ckinds.setdefault(match_key(folded), set()).add(kind)

    bp = taxonomy.boilerplate
    credit = None
    if bp.credit_prefixes:
        credit_seqs = [_atoms(fold(s)) for p in bp.credit_prefixes for s in expand_alias(p)]
        credit = re.compile(r"(?<!\w)(?:" + _trie_regex(credit_seqs) + r")\s*:[^.:;()\[\]]*$")
    roles = taxonomy.agency_roles
    venue = None
    if roles.venue_words:
        venue = re.compile(r"(?<!\w)(?:" + _trie_regex(_seqs(roles.venue_words)) + r")\s+$")
    basis = None
    if taxonomy.citations.basis_words:
        basis = _bounded(_seqs(taxonomy.citations.basis_words))
    context_re = _bounded(list(cseqs.values()))
    # Label aliases that contain a context word ("Sở VH&TT Hà Nội"): the one pass over the text
    # matches the alias, so the context word inside it is looked up within the match.
    implies = {k for k, forms in samples.items() if any(context_re.search(f) for f in forms)}
    compiled = Compiled(
        labels=_bounded(list({**cseqs, **seqs}.values())),
        implies=implies,
        entries=entries,
        context=context_re,
        context_kinds=ckinds,
        line_boiler=_prefix_regex(bp.line_prefixes, whole_line=False),
        block_header=_prefix_regex(bp.block_headers, whole_line=True),
        block_start=_prefix_regex(bp.block_headers, whole_line=False),
        credit=credit,
        venue=venue,
        basis=basis,
        min_documents=taxonomy.citations.min_documents,
    )
    compiled.local_agencies = {
        a.id for a in taxonomy.agencies if a.level in ("city", "district") and not a.report_as
    }
    for lab, _kind in labels:
        if lab.not_after:
            compiled.not_after[lab.id] = re.compile(
                r"(?<!\w)(?:" + _trie_regex(_seqs(lab.not_after, variants)) + r")\s+$"
            )
        if lab.not_before:
            compiled.not_before[lab.id] = re.compile(
                r"[\s\"“”«»]+(?:" + _trie_regex(_seqs(lab.not_before, variants)) + r")(?!\w)"
            )
        if lab.veto:
            compiled.label_veto[lab.id] = _bounded(_seqs(lab.veto, variants))
        if lab.requires:
            compiled.requires[lab.id] = _bounded(_seqs(lab.requires, variants))
            compiled.requires_where[lab.id] = (
                lab.requires_before,
                lab.requires_after,
                lab.requires_clause,
            )
            if lab.requires_agency:
                compiled.requires_agency.add(lab.id)
        if lab.weak_with:
            compiled.weak_with[lab.id] = _bounded(_seqs(lab.weak_with, variants))
        if not lab.context_veto:
            compiled.no_context_veto.add(lab.id)
        if lab.weak_appositive:
            compiled.weak_appositive.add(lab.id)
        becomes = getattr(lab, "becomes", None)
        if becomes is not None:
            words = _trie_regex(_seqs(becomes.followed_by))
            compiled.becomes[lab.id] = (
                becomes.label,
                re.compile(
                    rf"\s+of\s+(?:the\s+)?(?:\w+\s+){{0,{becomes.within - 1}}}(?:{words})(?!\w)"
                ),
            )
    _CACHE[taxonomy.digest] = compiled
    return compiled


_CACHE: dict[str, Compiled] = {}
_NO_KINDS: frozenset[str] = frozenset()

# --------------------------------------------------------------------------- sentences

# Tokens after which a full stop does not end a sentence ("TP. Hà Nội", "Q. Hoàn Kiếm").
ABBREVIATIONS = frozenset(
    "tp q p x tx tt ts pgs gs ths ks bs ns nsnd nsut vs mr mrs ms dr "
    "kts tr sdt dt ct pct tskh ncs nxb".split()
)
_BOUNDARY = re.compile(r"[.!?…]+[\"”’»)\]]*(?=\s)")
_LINE = re.compile(r"[^\n]+")


_NEXT_CHAR = re.compile(r"\s*(\S)")
_LAST_TOKEN = re.compile(r"\S{1,40}$")


def _short_caps(part: str) -> bool:
    return part.isalpha() and part.isupper() and len(part) <= 2


def _is_boundary(line: str, m: re.Match[str]) -> bool:
    nxt_m = _NEXT_CHAR.match(line, m.end())
    if nxt_m is None:
        return True
    nxt = nxt_m.group(1)
    if nxt.islower():
        return False
    if m.end() - m.start() != 1 or line[m.start()] != ".":
        return True
    tok_m = _LAST_TOKEN.search(line, max(0, m.start() - 40), m.start())
    token = tok_m.group(0).lstrip("(\"“'‘[") if tok_m else ""
    if not token:
        return True
    parts = [p for p in token.split(".") if p]
    if parts and all(fold(p) in ABBREVIATIONS or _short_caps(p) for p in parts):
        return False  # "TP.", "Q.", "ThS.", "PGS.TS.", initials such as "N.V."
    if token[-1].isdigit() and nxt.isdigit():
        return False
    return True


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, trimmed; a newline always ends a sentence.

    Handles "TP. Hà Nội", "Q. Hoàn Kiếm", "09-NQ/TU", "31/10/2019", "v.v." and numbers.
    """
    spans = []
    for line_m in _LINE.finditer(text):
        line = line_m.group(0)
        base = line_m.start()
        start = 0
        for m in _BOUNDARY.finditer(line):
            if _is_boundary(line, m):
                spans.append((base + start, base + m.end()))
                start = m.end()
        spans.append((base + start, base + len(line)))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


# --------------------------------------------------------------------------- documents


@dataclass
class _Sentence:
    field: FieldName
    start: int
    end: int
    fstart: int  # offsets in the folded field
    fend: int
    boiler: bool
    hanoi: bool = False
    other: bool = False
    veto: bool = False
    cap_hanoi: bool = False
    confirm: bool = False
    head: bool = False  # title, lead, or a body sentence near the top
    citations: int = 0  # numbered documents cited ("09-NQ/TU", "176/KH-UBND")
    cut_off: bool = False  # the text's last sentence, stopped before its end


@dataclass
class _Field:
    name: FieldName
    value: str
    folded: str
    starts: list[int] | None
    sentences: list[_Sentence] = field(default_factory=list)
    sent_starts: list[int] = field(default_factory=list)  # folded starts, for bisect
    matches: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, key)
    dateline_end: int = 0  # folded offset where a leading dateline ("Hanoi (VNA) –") ends

    def to_orig(self, i: int) -> int:
        return i if self.starts is None else self.starts[i]

    def sentence_at(self, fpos: int) -> int:
        return bisect_right(self.sent_starts, fpos) - 1


def _to_folded(starts: list[int] | None, orig: int) -> int:
    if starts is None:
        return orig
    return bisect_right(starts, orig - 1) if orig else 0


def _boiler_lines(comp: Compiled, folded: str) -> list[tuple[int, int, bool]]:
    """(start, end, is_boilerplate) per line: prefixes, and headline lists after a header."""
    out = []
    in_block = False
    for m in _LINE.finditer(folded):
        line = m.group(0)
        stripped = line.strip()
        if not stripped:
            continue
        header = comp.block_header is not None and comp.block_header.match(line) is not None
        prefixed = comp.line_boiler is not None and comp.line_boiler.match(line) is not None
        # related-news headlines: short, and not ending like a sentence of the story
        headline = len(stripped) < 160 and (not stripped.endswith(".") or stripped.endswith(".."))
        if header:
            in_block = True
        elif in_block and not headline:
            in_block = False
        out.append((m.start(), m.end(), header or prefixed or in_block))
        if comp.block_start is not None and comp.block_start.match(line) is not None:
            in_block = True  # "Tin liên quan: …" and the headline list after it
    return out


_NEXT_WORD = re.compile(r"\s+(\w)")
_OF_PLACE = re.compile(r"\s+of\s+(?:the\s+)?(\w)")


def _named_after(f: _Field, end: int) -> bool:
    """True when a capitalised word follows: "Thủ đô Viên" is another country's capital."""
    m = _NEXT_WORD.match(f.folded, end)
    return m is not None and f.value[f.to_orig(m.start(1))].isupper()


def _of_place_after(f: _Field, end: int) -> bool:
    """True for "the capital of Thailand": another country's capital."""
    m = _OF_PLACE.match(f.folded, end)
    return m is not None and f.value[f.to_orig(m.start(1))].isupper()


def _mark_context(f: _Field, pos: int, end: int, kinds: Iterable[str]) -> None:
    """Record Hanoi, other-place, veto and confirm words on the sentence at `pos`."""
    idx = f.sentence_at(pos)
    if idx < 0:
        return
    sent = f.sentences[idx]
    if pos < f.dateline_end:
        return  # where the news was filed, not what it is about
    if "veto" in kinds:
        sent.veto = True
    if "confirm" in kinds:
        sent.confirm = True
    if "hanoi_phrase" in kinds and not _of_place_after(f, end):
        sent.hanoi = True  # "the capital", "Viet Nam's capital": any case
    # Place names are proper nouns: a lowercase match is an ordinary word.
    if not f.value[f.to_orig(pos)].isupper():
        return
    if "hanoi" in kinds:
        sent.hanoi = True
    if "hanoi_cap" in kinds and not _named_after(f, end):
        sent.cap_hanoi = True
    if "other" in kinds:
        sent.other = True


_WORDS = re.compile(r"\w+")
_CLOSED = re.compile(r"[.!?…:;\"”’»)\]]\s*$")


# A dateline opening the body: "Hanoi (VNA) –", "Hà Nội, 9/11 (TTXVN) -", "HÀ NỘI — ". The place
# is where the story was filed (wire services file everything from the capital), so it says
# nothing about what the story is about. Capitalised words, then an agency in brackets and a
# dash, or an all-capitals place and a dash.
_DATELINE = re.compile(
    r"^\W*(?:date\s+[\d-]{8,10}\s+)?"
    r"(?:(?:[A-ZÀ-ỸĐ][\w.'’]*\s*){1,4}(?:,\s*[\w ./]{1,20}?)?\s*\([\w .&-]{2,24}\)\s*[-–—]{1,2}"
    r"|[A-ZÀ-ỸĐ][A-ZÀ-ỸĐ .]{2,30}\s*[-–—]{1,2}\s)"
)


def _prepare(comp: Compiled, name: FieldName, value: str, head_chars: int) -> _Field:
    folded, starts = fold_with_offsets(value)
    f = _Field(name, value, folded, starts)
    if name != "title":
        m = _DATELINE.match(value)
        if m is not None:
            f.dateline_end = _to_folded(starts, m.end())
    lines = _boiler_lines(comp, folded)
    line_starts = [ls for ls, _le, _b in lines]
    for s, e in split_sentences(value):
        fs, fe = _to_folded(starts, s), _to_folded(starts, e)
        li = bisect_right(line_starts, fs) - 1
        boiler = li >= 0 and fs < lines[li][1] and lines[li][2]
        head = name != "text" or s < head_chars
        cites = len(_DOC_NUMBER.findall(folded, fs, fe))
        f.sentences.append(_Sentence(name, s, e, fs, fe, boiler, head=head, citations=cites))
        f.sent_starts.append(fs)
    if name == "text" and f.sentences and not _CLOSED.search(value):
        f.sentences[-1].cut_off = True
    for m in comp.labels.finditer(folded):
        key = comp.key(m.group(0))
        kinds = comp.context_kinds.get(key)
        if kinds is not None:
            _mark_context(f, m.start(), m.end(), kinds)
        if key in comp.entries:
            f.matches.append((m.start(), m.end(), key))
            if key in comp.implies:
                for cm in comp.context.finditer(folded, m.start(), m.end()):
                    kinds = comp.context_kinds.get(comp.key(cm.group(0)), _NO_KINDS)
                    _mark_context(f, cm.start(), cm.end(), kinds)
    for sent in f.sentences:
        if sent.cap_hanoi and not sent.other:
            sent.hanoi = True  # "Thủ đô" is Hanoi unless the sentence names another city
    return f


@dataclass
class _Hit:
    entry: _Entry
    field: _Field
    sentence: int
    fstart: int
    weak: bool = False  # proves the label only when the story is relevant for other reasons

    @property
    def sent(self) -> _Sentence:
        return self.field.sentences[self.sentence]


def _names_programme(comp: Compiled, fields: list[_Field]) -> bool:
    """True when the story names an initiative or topic by a specific alias ("Lễ hội Thiết kế
    sáng tạo Hà Nội", "mạng lưới không gian sáng tạo"): those are Hanoi's own, so the story is
    set in Hanoi even if it never says so."""
    for fld in fields:
        for pos, _end, key in fld.matches:
            idx = fld.sentence_at(pos)
            if idx < 0 or fld.sentences[idx].boiler:
                continue
            for e in comp.entries[key]:
                if not e.context and e.kind in ("initiative", "topic"):
                    return True
    return False


def _context_ok(fld: _Field, idx: int, window: int, doc_hanoi: bool, use_veto: bool) -> bool:
    """A generic phrase is the programme only in Hanoi context and free of vetoes."""
    s = fld.sentences[idx]
    if use_veto and s.veto and not s.confirm:
        return False
    if s.hanoi:
        return True
    if s.other:
        return False
    lo, hi = max(0, idx - window), min(len(fld.sentences), idx + window + 1)
    for j in range(lo, hi):
        n = fld.sentences[j]
        if not n.boiler and n.hanoi and not n.other:
            return True
    return doc_hanoi


_GAP_AFTER = re.compile(
    r"[\s,]*(?:của\s+|cua\s+|tỉnh\s+|tinh\s+|TP\.?\s*|of\s+(?:the\s+)?)?", re.IGNORECASE
)
_GAP_BEFORE = re.compile(r"(?:\s+(?:city|province|town|district)|['’]s)?\s+(?:the\s+)?$")


def _other_place_after(comp: Compiled, fld: _Field, end: int) -> bool:
    """A generic agency name followed by another place is that place's agency:
    "Sở VH&TT Đà Nẵng", "UBND thành phố Huế", "Sở Du lịch tỉnh Quảng Nam"."""
    gap = _GAP_AFTER.match(fld.folded, end)
    at = gap.end() if gap else end
    m = comp.context.match(fld.folded, at)
    if m is None or not fld.value[fld.to_orig(at)].isupper():
        return False
    return "other" in comp.context_kinds.get(comp.key(m.group(0)), _NO_KINDS)


def _other_place_before(comp: Compiled, fld: _Field, sent: _Sentence, pos: int) -> bool:
    """English puts the place first: "Da Nang City People's Committee", "Hue's Department of
    Culture" are another city's bodies."""
    lo = max(sent.fstart, pos - 60)
    gap = _GAP_BEFORE.search(fld.folded, lo, pos)
    cut = gap.start() if gap else pos
    for m in comp.context.finditer(fld.folded, lo, cut):
        if m.end() == cut and fld.value[fld.to_orig(m.start())].isupper():
            return "other" in comp.context_kinds.get(comp.key(m.group(0)), _NO_KINDS)
    return False


def _label_rules_ok(
    comp: Compiled, label_id: str, fld: _Field, sent: _Sentence, pos: int, end: int
) -> bool:
    """The label's own not_after / not_before / veto words for its generic phrases."""
    text = fld.folded
    before = comp.not_after.get(label_id)
    if before is not None and before.search(text, max(0, pos - 24), pos):
        return False
    after = comp.not_before.get(label_id)
    if after is not None and after.match(text, end, sent.fend):
        return False
    veto = comp.label_veto.get(label_id)
    return veto is None or veto.search(text, sent.fstart, sent.fend) is None


_CLAUSE_BREAK = re.compile(r"[,;:()\[\]]")


def _requires_ok(
    comp: Compiled, label_id: str, fld: _Field, sent: _Sentence, pos: int, end: int
) -> bool:
    """The label's `requires` words, where the taxonomy says they must be."""
    needs = comp.requires.get(label_id)
    if needs is None:
        return True
    text = fld.folded
    n_before, n_after, clause = comp.requires_where[label_id]
    lo, hi = sent.fstart, sent.fend
    if clause:
        breaks = [m.end() for m in _CLAUSE_BREAK.finditer(text, lo, pos)]
        lo = breaks[-1] if breaks else lo
        nxt = _CLAUSE_BREAK.search(text, end, hi)
        hi = nxt.start() if nxt else hi
    if n_before or n_after:
        # one side at 0 while the other is set: nothing on that side counts
        if not n_before:
            lo = pos
        else:
            starts = [m.start() for m in _WORDS.finditer(text, lo, pos)]
            lo = starts[-n_before] if len(starts) >= n_before else lo
        if not n_after:
            hi = end
        else:
            ends = [m.end() for m in _WORDS.finditer(text, end, hi)]
            hi = ends[n_after - 1] if len(ends) >= n_after else hi
    return needs.search(text, lo, hi) is not None


def _is_credit(comp: Compiled, fld: _Field, sent: _Sentence, fpos: int) -> bool:
    """True when the name sits in a photo or source credit ("Ảnh: Sở VH&TT")."""
    if comp.credit is None:
        return False
    return comp.credit.search(fld.folded, sent.fstart, fpos) is not None


def _not_acting(
    comp: Compiled, fld: _Field, sent: _Sentence, fpos: int, fend: int, cut_off_words: int
) -> bool:
    """True when the name stands for a venue, or the page cut the sentence off right after it."""
    text = fld.folded
    if comp.venue is not None and comp.venue.search(text, max(sent.fstart, fpos - 30), fpos):
        return True
    if sent.cut_off and cut_off_words:
        return len(_WORDS.findall(text, fend, sent.fend)) < cut_off_words
    return False


@dataclass
class Analysis:
    """What the rules found in one article: the input to the relevance score (and model)."""

    fields: list[_Field]
    hits: list[_Hit]
    head_hanoi: bool
    title_other: bool
    other_subject: bool
    n_hanoi: int
    n_other: int


def _cited_as_basis(comp: Compiled, fld: _Field, sent: _Sentence) -> bool:
    if sent.citations >= comp.min_documents:
        return True
    return comp.basis is not None and comp.basis.search(fld.folded, sent.fstart, sent.fend)


# "Hanoi, a UNESCO Creative City of Design since 2019, welcomed…": an aside about the city
_APPOSITIVE_BEFORE = re.compile(
    r"(?<!\w)(?:ha\s*noi|hanoi|the\s+capital)\s*[,(–—]\s*(?:a|an|one\s+of\s+the|the)\s[^,;()–—]*$",
    re.IGNORECASE,
)
_APPOSITIVE_AFTER = re.compile(r"[^,;()–—]*[,)–—]")


def _in_appositive(fld: _Field, sent: _Sentence, pos: int, end: int) -> bool:
    before = _APPOSITIVE_BEFORE.search(fld.folded, sent.fstart, pos)
    return before is not None and _APPOSITIVE_AFTER.match(fld.folded, end, sent.fend) is not None


def _first_place_other(fields: list[_Field]) -> bool:
    """True when the first sentence that names a place names another one and not Hanoi:
    the story is set elsewhere (Hội An's membership, with Hanoi's title as an aside)."""
    for f in fields:
        for s in f.sentences:
            if s.boiler or not (s.hanoi or s.other):
                continue
            return s.other and not s.hanoi
    return False


def analyse(title: str, text: str, taxonomy: Taxonomy, *, lead: str = "") -> Analysis:
    """Every label mention that passes the rules, with where it sits in the story."""
    comp = compile_taxonomy(taxonomy)
    rel = taxonomy.relevance
    window = taxonomy.context.window
    fields = [
        _prepare(comp, n, v, rel.head_chars)
        for n, v in zip(_FIELDS, (title, lead, text), strict=True)
        if v
    ]
    heads = [s for f in fields for s in f.sentences if s.head and not s.boiler]
    head_hanoi = any(s.hanoi for s in heads)
    top = [s for f in fields if f.name != "text" for s in f.sentences]
    title_other = bool(top) and not any(s.hanoi for s in top) and any(s.other for s in top)
    story = [s for f in fields for s in f.sentences if not s.boiler]
    n_hanoi = sum(1 for s in story if s.hanoi)
    n_other = sum(1 for s in story if s.other and not s.hanoi)
    doc_hanoi = (
        head_hanoi or (n_hanoi >= 2 and n_hanoi >= n_other) or _names_programme(comp, fields)
    )
    other_subject = title_other or _first_place_other(fields) or n_other > 2 * n_hanoi + 1
    cut_words = taxonomy.agency_roles.cut_off_words

    hits: list[_Hit] = []
    pending: list[_Hit] = []  # generic phrases that need a Hanoi body acting nearby
    for fld in fields:
        for pos, end, key in fld.matches:
            idx = fld.sentence_at(pos)
            if idx < 0:
                continue
            sent = fld.sentences[idx]
            if sent.boiler:
                continue
            ctx_ok: dict[bool, bool] = {}
            for entry in comp.entries[key]:
                needs_agency = False
                if entry.context:
                    if not _label_rules_ok(comp, entry.label_id, fld, sent, pos, end):
                        continue
                    use_veto = entry.label_id not in comp.no_context_veto
                    if use_veto not in ctx_ok:
                        ctx_ok[use_veto] = _context_ok(fld, idx, window, doc_hanoi, use_veto)
                    if not ctx_ok[use_veto]:
                        continue
                    if not _requires_ok(comp, entry.label_id, fld, sent, pos, end):
                        if entry.label_id not in comp.requires_agency:
                            continue
                        needs_agency = True
                if entry.kind == "agency":
                    if _is_credit(comp, fld, sent, pos):
                        continue
                    if _not_acting(comp, fld, sent, pos, end, cut_words):
                        continue
                    if entry.context and (
                        _other_place_after(comp, fld, end)
                        or _other_place_before(comp, fld, sent, pos)
                    ):
                        continue
                if entry.context and entry.label_id in comp.becomes:
                    target, after = comp.becomes[entry.label_id]
                    if after.match(fld.folded, end, sent.fend):
                        entry = replace(entry, label_id=target)
                weak = entry.weak
                if entry.context and not weak:
                    weak_re = comp.weak_with.get(entry.label_id)
                    weak = (
                        weak_re is not None
                        and weak_re.search(fld.folded, sent.fstart, sent.fend) is not None
                    )
                if entry.document and _cited_as_basis(comp, fld, sent):
                    weak = True  # a document cited as a basis of something else
                if entry.label_id in comp.weak_appositive and _in_appositive(fld, sent, pos, end):
                    weak = True
                (pending if needs_agency else hits).append(_Hit(entry, fld, idx, pos, weak))
    if pending:
        acting = {
            (h.field.name, h.sentence) for h in hits if h.entry.label_id in comp.local_agencies
        }
        for h in pending:
            if (h.field.name, h.sentence) in acting or (h.field.name != "text" and acting):
                hits.append(h)
    return Analysis(fields, hits, head_hanoi, title_other, other_subject, n_hanoi, n_other)


def classify(title: str, text: str, taxonomy: Taxonomy, *, lead: str = "") -> Classification:
    """Decide relevance and tag initiatives and agencies, each with its proving sentence."""
    return decide(analyse(title, text, taxonomy, lead=lead), taxonomy)


def decide(a: Analysis, taxonomy: Taxonomy, relevance: Relevance | None = None) -> Classification:
    """Relevance from the analysis, and the tags when relevant. `relevance` overrides the
    taxonomy's weights and factors (the evaluation refits them on held-out folds)."""
    rel = relevance or taxonomy.relevance
    score = round(rule_score(a, rel), 3)
    relevant = score >= rel.threshold
    result = Classification(relevant=relevant, score=score, tagger_version=tagger_version(taxonomy))
    if relevant:
        result.initiatives = _tags(a.hits, taxonomy.initiative_ids)
        result.agencies = _tags(a.hits, taxonomy.agency_ids)
    return result


def rule_score(a: Analysis, rel: Relevance) -> float:
    """Aboutness from the evidence: what is named, how specifically, where and how often.

    Per distinct label: its weight (initiative, topic), times `generic_factor` when only a
    generic phrase names it, plus `repeat_bonus` per further sentence (at most `repeat_cap`);
    a label named once outside the head (title, lead, top of the body) is a passing mention and
    counts `passing_factor` of that. Weak hits add nothing. Signals add their weight. When
    another city is the subject, the sum is multiplied by `other_subject_factor` (and by
    `other_place_title_factor` when the title names another city and not Hanoi).
    """
    w = rel.weights
    by_label: dict[str, list[_Hit]] = {}
    for h in a.hits:
        if h.weak:
            continue
        key = h.entry.label_id or "signal:" + match_key(fold(h.entry.alias))
        by_label.setdefault(key, []).append(h)
    total = 0.0
    for hs in by_label.values():
        e = hs[0].entry
        if e.kind == "signal":
            total += e.weight if e.weight is not None else w.signal
            continue
        base = {"initiative": w.initiative, "topic": w.topic, "agency": w.agency}[e.kind]
        if base == 0:
            continue
        if all(h.entry.context for h in hs):
            base *= rel.generic_factor
        sents = {(h.field.name, h.sentence) for h in hs}
        value = base + min(rel.repeat_bonus * (len(sents) - 1), rel.repeat_cap)
        if len(sents) == 1 and not any(h.sent.head for h in hs):
            value *= rel.passing_factor
        total += value
    if a.title_other:
        total *= rel.other_place_title_factor
    elif a.other_subject:
        total *= rel.other_subject_factor
    return total


def _tags(hits: list[_Hit], ids: list[str]) -> list[Tag]:
    """One tag per label, in taxonomy order; evidence prefers a specific alias, then a strong
    hit, then the lead, the body and the title, then the first occurrence."""
    best: dict[str, tuple[tuple, _Hit]] = {}
    order = {n: i for i, n in enumerate(("text", "lead", "title"))}
    for h in hits:
        rank = (h.entry.context, h.weak, order[h.field.name], h.fstart)
        cur = best.get(h.entry.label_id)
        if cur is None or rank < cur[0]:
            best[h.entry.label_id] = (rank, h)
    tags = []
    for label_id in ids:
        got = best.get(label_id)
        if got is None:
            continue
        h = got[1]
        s = h.field.sentences[h.sentence]
        rule = ("context:" if h.entry.context else "alias:") + h.entry.alias
        tags.append(
            Tag(label_id, h.field.value[s.start : s.end], h.field.name, s.start, s.end, rule)
        )
    return tags
