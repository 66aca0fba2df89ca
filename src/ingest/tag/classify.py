"""Relevance and tagging by initiative and agency, each tag proved by one whole sentence.

How it works, and why:
- Every alias in the taxonomy is compiled once per taxonomy into one trie-shaped regex over
  folded text (lowercase, no tone marks, đ→d), so "Uỷ ban"/"Ủy ban", "Sở VH&TT"/"Sở VH & TT" and
  text typed without diacritics all match, at syllable boundaries only ("sáng tạo" never
  matches inside another word). Folding is 1:1 in length, so offsets map back to the original.
- Generic phrases (`context_aliases`) count only in a sentence with Hanoi context and without
  another city or a startup/innovation veto word; the rules live in taxonomy.yaml, not here.
- Lines that are page furniture (related news, footers, photo credits) never give evidence.
- The relevance score adds weights per label found; the threshold is in taxonomy.yaml.
Pure functions only: the same input and taxonomy always give the same Classification.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..models import Classification, FieldName, Tag
from ..text.textnorm import fold
from .taxonomy import Label, Taxonomy, expand_alias

# Bump when the matching or scoring code changes; the taxonomy digest is appended per taxonomy.
TAGGER_VERSION = "tagger-1"

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


# Between two words of an alias: spaces, optionally with quote marks, as in
# mạng lưới các “Thành phố sáng tạo” của UNESCO.
_GAP = r"[\s\"“”«»]+"


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


_QUOTES = str.maketrans("", "", '"“”«»')


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
    issuer: re.Pattern[str] | None = None
    venue: re.Pattern[str] | None = None
    not_after: dict[str, re.Pattern[str]] = field(default_factory=dict)
    not_before: dict[str, re.Pattern[str]] = field(default_factory=dict)
    label_veto: dict[str, re.Pattern[str]] = field(default_factory=dict)
    # matched text → key, so recurring spellings ("Hà Nội") are folded once per taxonomy
    keys: dict[str, str] = field(default_factory=dict)

    def key(self, matched: str) -> str:
        k = self.keys.get(matched)
        if k is None:
            k = match_key(_fold_match(matched))
            if len(self.keys) < 100_000:
                self.keys[matched] = k
        return k


def _add(
    seqs: dict[str, list[str]],
    entries: dict[str, list[_Entry]],
    e: _Entry,
    samples: dict[str, str],
) -> None:
    """Register every spelling of an alias; the rule names the spelling that fired."""
    for spelling in expand_alias(e.alias):
        folded = fold(spelling)
        key = match_key(folded)
        seqs.setdefault(key, _atoms(folded))
        samples.setdefault(key, spelling)
        entry = _Entry(e.label_id, e.kind, e.context, spelling, e.weight)
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


def _seqs(words: list[str]) -> list[list[str]]:
    return [_atoms(fold(x)) for w in words for x in expand_alias(w)]


def compile_taxonomy(taxonomy: Taxonomy) -> Compiled:
    """Build the matchers for one taxonomy (cached by digest; call freely)."""
    hit = _CACHE.get(taxonomy.digest)
    if hit is not None:
        return hit
    seqs: dict[str, list[str]] = {}
    entries: dict[str, list[_Entry]] = {}
    samples: dict[str, str] = {}
    labels: list[tuple[Label, str]] = [(i, i.kind) for i in taxonomy.initiatives]
    labels += [(a, "agency") for a in taxonomy.agencies]
    for lab, kind in labels:
        for alias in lab.aliases:
            _add(seqs, entries, _Entry(lab.id, kind, False, alias), samples)
        for alias in lab.context_aliases:
            _add(seqs, entries, _Entry(lab.id, kind, True, alias), samples)
    for sig in taxonomy.signals:
        _add(seqs, entries, _Entry("", "signal", sig.context, sig.alias, sig.weight), samples)

    cseqs: dict[str, list[str]] = {}
    ckinds: dict[str, set[str]] = {}
    ctx = taxonomy.context
    for kind, words in (
        ("hanoi", ctx.hanoi),
        ("hanoi_cap", ctx.hanoi_capitalised),
        ("other", ctx.other_places),
        ("veto", ctx.veto),
        ("confirm", ctx.confirm),
    ):
        for w in words:
            for spelling in expand_alias(w):
                folded = fold(spelling)
                key = match_key(folded)
                cseqs.setdefault(key, _atoms(folded))
                ckinds.setdefault(key, set()).add(kind)

    bp = taxonomy.boilerplate
    credit = None
    if bp.credit_prefixes:
        credit_seqs = [_atoms(fold(s)) for p in bp.credit_prefixes for s in expand_alias(p)]
        credit = re.compile(r"(?<!\w)(?:" + _trie_regex(credit_seqs) + r")\s*:[^.:;()\[\]]*$")
    roles = taxonomy.agency_roles
    issuer = venue = None
    if roles.issuer_documents:
        # "<document> [số] <number>[ ngày d/m[/y]] của " right before the name, any marks
        so, ngay, cua = (_trie_regex(_seqs([w])) for w in ("số", "ngày", "của"))
        issuer = re.compile(
            r"(?<!\w)(?:" + _trie_regex(_seqs(roles.issuer_documents)) + rf")\s+(?:{so}\s+)?"
            rf"\d[\w/.\-]*(?:\s+{ngay}\s+\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?)?\s+{cua}\s+$"
        )
    if roles.venue_words:
        venue = re.compile(r"(?<!\w)(?:" + _trie_regex(_seqs(roles.venue_words)) + r")\s+$")
    context_re = _bounded(list(cseqs.values()))
    # Label aliases that contain a context word ("Sở VH&TT Hà Nội"): the one pass over the text
    # matches the alias, so the context word inside it is looked up within the match.
    implies = {k for k, sample in samples.items() if context_re.search(sample)}
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
        issuer=issuer,
        venue=venue,
    )
    for lab, _kind in labels:
        if lab.not_after:
            compiled.not_after[lab.id] = re.compile(
                r"(?<!\w)(?:" + _trie_regex(_seqs(lab.not_after)) + r")\s+$"
            )
        if lab.not_before:
            compiled.not_before[lab.id] = re.compile(
                r"[\s\"“”«»]+(?:" + _trie_regex(_seqs(lab.not_before)) + r")(?!\w)"
            )
        if lab.veto:
            compiled.label_veto[lab.id] = _bounded(_seqs(lab.veto))
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


@dataclass
class _Field:
    name: FieldName
    value: str
    folded: str
    starts: list[int] | None
    sentences: list[_Sentence] = field(default_factory=list)
    sent_starts: list[int] = field(default_factory=list)  # folded starts, for bisect
    matches: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, key)

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


def _named_after(f: _Field, end: int) -> bool:
    """True when a capitalised word follows: "Thủ đô Viên" is another country's capital."""
    m = _NEXT_WORD.match(f.folded, end)
    return m is not None and f.value[f.to_orig(m.start(1))].isupper()


def _mark_context(f: _Field, pos: int, end: int, kinds: Iterable[str]) -> None:
    """Record Hanoi, other-place, veto and confirm words on the sentence at `pos`."""
    idx = f.sentence_at(pos)
    if idx < 0:
        return
    sent = f.sentences[idx]
    if "veto" in kinds:
        sent.veto = True
    if "confirm" in kinds:
        sent.confirm = True
    # Place names are proper nouns: a lowercase match is an ordinary word.
    if not f.value[f.to_orig(pos)].isupper():
        return
    if "hanoi" in kinds:
        sent.hanoi = True
    if "hanoi_cap" in kinds and not _named_after(f, end):
        sent.cap_hanoi = True
    if "other" in kinds:
        sent.other = True


def _prepare(comp: Compiled, name: FieldName, value: str) -> _Field:
    folded, starts = fold_with_offsets(value)
    f = _Field(name, value, folded, starts)
    lines = _boiler_lines(comp, folded)
    line_starts = [ls for ls, _le, _b in lines]
    for s, e in split_sentences(value):
        fs, fe = _to_folded(starts, s), _to_folded(starts, e)
        li = bisect_right(line_starts, fs) - 1
        boiler = li >= 0 and fs < lines[li][1] and lines[li][2]
        f.sentences.append(_Sentence(name, s, e, fs, fe, boiler))
        f.sent_starts.append(fs)
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


def _context_ok(fld: _Field, idx: int, window: int, doc_hanoi: bool) -> bool:
    """A generic phrase is the programme only in Hanoi context and free of vetoes."""
    s = fld.sentences[idx]
    if s.veto and not s.confirm:
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


_GAP_AFTER = re.compile(r"[\s,]*(?:của\s+|cua\s+|tỉnh\s+|tinh\s+|TP\.?\s*)?", re.IGNORECASE)


def _other_place_after(comp: Compiled, fld: _Field, end: int) -> bool:
    """A generic agency name followed by another place is that place's agency:
    "Sở VH&TT Đà Nẵng", "UBND thành phố Huế", "Sở Du lịch tỉnh Quảng Nam"."""
    gap = _GAP_AFTER.match(fld.folded, end)
    at = gap.end() if gap else end
    m = comp.context.match(fld.folded, at)
    if m is None or not fld.value[fld.to_orig(at)].isupper():
        return False
    return "other" in comp.context_kinds.get(comp.key(m.group(0)), _NO_KINDS)


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


def _is_credit(comp: Compiled, fld: _Field, sent: _Sentence, fpos: int) -> bool:
    """True when the name sits in a photo or source credit ("Ảnh: Sở VH&TT")."""
    if comp.credit is None:
        return False
    return comp.credit.search(fld.folded, sent.fstart, fpos) is not None


def _not_acting(comp: Compiled, fld: _Field, sent: _Sentence, fpos: int) -> bool:
    """True when the name is cited as a document's issuer or stands for a venue."""
    text = fld.folded
    if comp.issuer is not None and comp.issuer.search(text, max(sent.fstart, fpos - 90), fpos):
        return True
    return comp.venue is not None and comp.venue.search(text, max(sent.fstart, fpos - 30), fpos)


def classify(title: str, text: str, taxonomy: Taxonomy, *, lead: str = "") -> Classification:
    """Decide relevance and tag initiatives and agencies, each with its proving sentence."""
    comp = compile_taxonomy(taxonomy)
    rel = taxonomy.relevance
    fields = [_prepare(comp, n, v) for n, v in zip(_FIELDS, (title, lead, text), strict=True) if v]
    head = [s for f in fields if f.name != "text" for s in f.sentences]
    head_hanoi = any(s.hanoi for s in head)
    title_other = bool(head) and not head_hanoi and any(s.other for s in head)
    story = [s for f in fields for s in f.sentences if not s.boiler]
    n_hanoi = sum(1 for s in story if s.hanoi)
    n_other = sum(1 for s in story if s.other and not s.hanoi)
    doc_hanoi = head_hanoi or (n_hanoi > 0 and n_hanoi >= n_other) or _names_programme(comp, fields)

    hits: list[_Hit] = []
    for fld in fields:
        for pos, end, key in fld.matches:
            idx = fld.sentence_at(pos)
            if idx < 0:
                continue
            sent = fld.sentences[idx]
            if sent.boiler:
                continue
            ctx_ok: bool | None = None
            for entry in comp.entries[key]:
                if entry.context:
                    if not _label_rules_ok(comp, entry.label_id, fld, sent, pos, end):
                        continue
                    if ctx_ok is None:
                        ctx_ok = _context_ok(fld, idx, taxonomy.context.window, doc_hanoi)
                    if not ctx_ok:
                        continue
                if entry.kind == "agency" and (
                    _is_credit(comp, fld, sent, pos) or _not_acting(comp, fld, sent, pos)
                ):
                    continue
                if entry.context and entry.kind == "agency" and _other_place_after(comp, fld, end):
                    continue
                hits.append(_Hit(entry, fld, idx, pos))

    score = _score(hits, rel)
    if title_other:
        score *= rel.other_place_title_factor
    score = round(score, 3)
    relevant = score >= rel.threshold
    result = Classification(relevant=relevant, score=score, tagger_version=tagger_version(taxonomy))
    if relevant:
        result.initiatives = _tags(hits, taxonomy.initiative_ids)
        result.agencies = _tags(hits, taxonomy.agency_ids)
    return result


def _score(hits: list[_Hit], rel) -> float:
    w = rel.weights
    sentences: dict[str, set[tuple[str, int]]] = {}
    kinds: dict[str, _Entry] = {}
    for h in hits:
        key = h.entry.label_id or "signal:" + match_key(fold(h.entry.alias))
        sentences.setdefault(key, set()).add((h.field.name, h.sentence))
        kinds.setdefault(key, h.entry)
    total = 0.0
    for key, sents in sentences.items():
        e = kinds[key]
        if e.kind == "signal":
            total += e.weight if e.weight is not None else w.signal
            continue
        base = {"initiative": w.initiative, "topic": w.topic, "agency": w.agency}[e.kind]
        if base == 0:
            continue
        total += base + min(rel.repeat_bonus * (len(sents) - 1), rel.repeat_cap)
    return total


def _tags(hits: list[_Hit], ids: list[str]) -> list[Tag]:
    """One tag per label, in taxonomy order; evidence prefers a specific alias, then the lead,
    the body and the title, then the first occurrence."""
    best: dict[str, _Hit] = {}
    order = {n: i for i, n in enumerate(("text", "lead", "title"))}
    for h in hits:
        cur = best.get(h.entry.label_id)
        rank = (h.entry.context, order[h.field.name], h.fstart)
        if cur is None or rank < (cur.entry.context, order[cur.field.name], cur.fstart):
            best[h.entry.label_id] = h
    tags = []
    for label_id in ids:
        h = best.get(label_id)
        if h is None:
            continue
        s = h.field.sentences[h.sentence]
        rule = ("context:" if h.entry.context else "alias:") + h.entry.alias
        tags.append(
            Tag(label_id, h.field.value[s.start : s.end], h.field.name, s.start, s.end, rule)
        )
    return tags
