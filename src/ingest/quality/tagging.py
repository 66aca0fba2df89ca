"""Score the tagger on every labelled set we have, side by side, the way real coverage is scored.

Why several sets: a tagger tuned on its own labelled set scores 1.000 there and much less on
coverage nobody tuned it on. So `ingest eval-tags` prints, next to each other, the set used for
tuning, the blind batches (written by someone who never saw the rules, scored before any change
they caused), the sample sites (another developer's key) and `../shared/tagging-dev` (real
excerpts labelled by the guide, when present), with k-fold cross-validation for whatever is
fitted to data, the English subset of each set apart, per-label precision/recall and the errors.

One scoring protocol for every set (the one the development set's reference score uses):
- relevance over all items;
- initiatives and agencies over the items whose gold says relevant (a wrong relevance call is
  counted once, in relevance, and its missing tags again as misses);
- agency ids the taxonomy marks `report_as: other` (finer bodies than the guide's list) count
  as "other"; "other" is listed per label but left out of the agency micro-average, since the
  guide lets a labeller name any notable body there; `optional` ids are neither right nor wrong.

Two file formats are read (`load_set`): ours (`initiatives: [{id, evidence}]`, `lead`) and the
development set's (`initiatives: [ids]`, `evidence: {label: quote}`, `optional`, `title: null`).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..extract.language import detect_language
from ..models import Classification, Tag
from ..paths import REPO_ROOT
from ..tag.classify import Analysis, analyse, classify, decide, rule_score
from ..tag.taxonomy import Relevance, Taxonomy

REPO = REPO_ROOT
EVAL_DIR = REPO / "eval"
DEFAULT_SET = EVAL_DIR / "tagging_set.jsonl"
DEFAULT_FLOORS = REPO / "quality" / "tagging_floors.json"
DEV_SET = REPO_ROOT.parent / "shared" / "tagging-dev" / "dev.jsonl"
OTHER = "other"
FIGURES = ("relevance_f1", "initiative_micro_f1", "agency_micro_f1", "evidence_verbatim")

Item = dict[str, Any]
Tagger = Callable[[Item], Classification]


# --------------------------------------------------------------------------- counting


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, gold: bool, pred: bool) -> None:
        if gold and pred:
            self.tp += 1
        elif pred:
            self.fp += 1
        elif gold:
            self.fn += 1

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __iadd__(self, other: Counts) -> Counts:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        return self


@dataclass
class Report:
    relevance: Counts = field(default_factory=Counts)
    initiatives: dict[str, Counts] = field(default_factory=dict)
    agencies: dict[str, Counts] = field(default_factory=dict)
    items: int = 0
    tags: int = 0
    verbatim: int = 0  # tags whose evidence is exactly field[start:end]
    agreeing: int = 0  # true-positive tags whose evidence sentence contains the gold quote
    true_tags: int = 0
    errors: list[str] = field(default_factory=list)

    @staticmethod
    def micro(per_label: dict[str, Counts], *, skip: Iterable[str] = ()) -> Counts:
        total = Counts()
        left_out = set(skip)
        for label, c in per_label.items():
            if label not in left_out:
                total += c
        return total

    @property
    def initiative_micro(self) -> Counts:
        return self.micro(self.initiatives)

    @property
    def agency_micro(self) -> Counts:
        return self.micro(self.agencies, skip=(OTHER,))

    @property
    def evidence_verbatim(self) -> float:
        return self.verbatim / self.tags if self.tags else 1.0

    @property
    def evidence_agreement(self) -> float:
        return self.agreeing / self.true_tags if self.true_tags else 1.0

    def figures(self) -> dict[str, float]:
        """The headline numbers the floors file pins."""
        return {
            "relevance_f1": round(self.relevance.f1, 4),
            "initiative_micro_f1": round(self.initiative_micro.f1, 4),
            "agency_micro_f1": round(self.agency_micro.f1, 4),
            "evidence_verbatim": round(self.evidence_verbatim, 4),
        }


# --------------------------------------------------------------------------- reading sets


def _labels(raw: Any, evidence: dict[str, str]) -> list[dict[str, str]]:
    out = []
    for entry in raw or []:
        if isinstance(entry, str):
            out.append({"id": entry, "evidence": evidence.get(entry, "")})
        else:
            out.append({"id": str(entry["id"]), "evidence": str(entry.get("evidence") or "")})
    return out


def is_english(item: Item) -> bool:
    """The item's own `lang` when given, else what its text says (the pipeline's detector)."""
    lang = item.get("lang")
    if lang:
        return str(lang).lower().startswith("en")
    sample = " ".join(str(item.get(k) or "") for k in ("title", "lead", "text"))
    return detect_language(sample) == "en"


def normalise_item(raw: dict[str, Any], *, where: str = "") -> Item:
    """One labelled passage in our format, whichever of the two formats it was written in."""
    try:
        evidence = raw.get("evidence") if isinstance(raw.get("evidence"), dict) else {}
        item: Item = {
            "id": str(raw["id"]),
            "title": str(raw.get("title") or ""),
            "lead": str(raw.get("lead") or ""),
            "text": str(raw.get("text") or ""),
            "relevant": bool(raw["relevant"]),
            "initiatives": _labels(raw.get("initiatives"), evidence),
            "agencies": _labels(raw.get("agencies"), evidence),
            "optional": [str(x) for x in raw.get("optional") or []],
            "note": str(raw.get("note") or ""),
        }
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{where}: not a labelled passage: {exc!r}") from None
    if raw.get("lang"):
        item["lang"] = str(raw["lang"])
    item["english"] = is_english(item)
    return item


def load_set(path: str | Path = DEFAULT_SET) -> list[Item]:
    """Read a labelled set (either format) into our format; a bad line names file and line."""
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
            except ValueError as exc:
                raise ValueError(f"{path}:{n}: invalid JSON: {exc}") from None
            if not isinstance(raw, dict):
                raise ValueError(f"{path}:{n}: not a JSON object")
            out.append(normalise_item(raw, where=f"{path}:{n}"))
    return out


def samplesite_items() -> list[Item]:
    """The sample sites' articles with their expected labels, in the labelled-set format.

    Written by another hand than the rules, so a useful second opinion on the tagger.
    """
    from ..testing.samplesites.data import load_articles

    return [
        normalise_item(
            {
                "id": a.id,
                "title": a.title,
                "lead": a.lead,
                "text": "\n".join(a.body),
                "relevant": a.relevant,
                "initiatives": [{"id": lb.id, "evidence": lb.evidence} for lb in a.initiatives],
                "agencies": [{"id": lb.id, "evidence": lb.evidence} for lb in a.agencies],
            }
        )
        for a in load_articles()
    ]


# --------------------------------------------------------------------------- scoring


def taxonomy_tagger(taxonomy: Taxonomy) -> Tagger:
    def tag(item: Item) -> Classification:
        return classify(item["title"], item["text"], taxonomy, lead=item.get("lead", ""))

    return tag


def _check_tag(item: Item, tag: Tag) -> bool:
    value = item.get(tag.field) or ""
    return value[tag.start : tag.end] == tag.evidence and bool(tag.evidence)


def _squash(s: str) -> str:
    return " ".join(s.split())


def _compare(
    item: Item,
    gold: dict[str, str],
    pred: dict[str, Tag],
    labels: Iterable[str],
    counts: dict[str, Counts],
    report: Report,
    kind: str,
    optional: set[str],
) -> None:
    for label in labels:
        g, p = label in gold, label in pred
        if p and not g and label in optional:
            continue  # neither required nor wrong
        counts.setdefault(label, Counts()).add(g, p)
        if g and p:
            report.true_tags += 1
            if gold[label] and _squash(gold[label]) in _squash(pred[label].evidence):
                report.agreeing += 1
        elif g:
            report.errors.append(f"{item['id']}: missed {kind} {label}: {gold[label]!r}")
        elif p:
            t = pred[label]
            report.errors.append(
                f"{item['id']}: extra {kind} {label} via {t.rule!r}: {t.evidence!r}"
            )


def agency_groups(taxonomy: Taxonomy) -> dict[str, str]:
    """id → the id it is scored as: finer bodies (`report_as: other`) count as "other"."""
    return {a.id: a.report_as or a.id for a in taxonomy.agencies}


def score(items: Sequence[Item], results: Sequence[Classification], taxonomy: Taxonomy) -> Report:
    """Count agreement between labels and results (one result per item, same order)."""
    report = Report()
    groups = agency_groups(taxonomy)
    for item, result in zip(items, results, strict=True):
        report.items += 1
        gold_rel = bool(item["relevant"])
        report.relevance.add(gold_rel, result.relevant)
        if gold_rel != result.relevant:
            report.errors.append(
                f"{item['id']}: relevance gold={gold_rel} got={result.relevant} "
                f"(score {result.score})"
            )
        for tag in [*result.initiatives, *result.agencies]:
            report.tags += 1
            report.verbatim += _check_tag(item, tag)
        if not gold_rel:
            continue  # tags are scored where the gold says the story is about the programme
        gold_ini = {g["id"]: g["evidence"] for g in item["initiatives"]}
        pred_ini = {t.label_id: t for t in result.initiatives}
        _compare(
            item,
            gold_ini,
            pred_ini,
            [*taxonomy.initiative_ids, *sorted(set(gold_ini) - set(taxonomy.initiative_ids))],
            report.initiatives,
            report,
            "initiative",
            set(),
        )
        gold_agy: dict[str, str] = {}
        for g in item["agencies"]:
            gold_agy.setdefault(groups.get(g["id"], g["id"]), g["evidence"])
        pred_agy: dict[str, Tag] = {}
        for t in result.agencies:
            pred_agy.setdefault(groups.get(t.label_id, t.label_id), t)
        optional = {groups.get(x, x) for x in item.get("optional", [])}
        ids = dict.fromkeys(groups.values())
        ids.update(dict.fromkeys(sorted(set(gold_agy) - set(ids))))
        _compare(item, gold_agy, pred_agy, ids, report.agencies, report, "agency", optional)
    return report


def evaluate(items: Sequence[Item], taxonomy: Taxonomy, tagger: Tagger | None = None) -> Report:
    """Classify every passage (with the taxonomy's tagger unless another is given) and score."""
    tag = tagger or taxonomy_tagger(taxonomy)
    return score(items, [tag(item) for item in items], taxonomy)


# --------------------------------------------------------------------------- sets and folds


@dataclass
class LabelledSet:
    """A named set and what it is for: tuning, blind, second opinion, development."""

    name: str
    kind: str  # tuning | blind | second | dev
    items: list[Item]
    path: Path | None = None


def default_sets(
    *, eval_dir: Path = EVAL_DIR, dev_path: Path = DEV_SET, samplesites: bool = True
) -> list[LabelledSet]:
    """Every set `ingest eval-tags` scores: ours, each blind batch, the sample sites, the dev set."""
    sets = []
    tuning = eval_dir / "tagging_set.jsonl"
    if tuning.exists():
        sets.append(LabelledSet("labelled", "tuning", load_set(tuning), tuning))
    for path in sorted(eval_dir.glob("blind_*.jsonl")):
        sets.append(LabelledSet(path.stem, "blind", load_set(path), path))
    if samplesites:
        sets.append(LabelledSet("samplesites", "second", samplesite_items()))
    if dev_path.exists():
        sets.append(LabelledSet("tagging-dev", "dev", load_set(dev_path), dev_path))
    return sets


def fold_of(item_id: str, k: int) -> int:
    """A stable fold for an item: the same id lands in the same fold on every machine."""
    return zlib.crc32(item_id.encode("utf-8")) % k


def folds(items: Sequence[Item], k: int) -> list[list[int]]:
    """Indices of the items in each of k folds."""
    out: list[list[int]] = [[] for _ in range(k)]
    for i, item in enumerate(items):
        out[fold_of(item["id"], k)].append(i)
    return out


# --------------------------------------------------------------------------- cross-validation

# The relevance parameters the rules' author set by looking at the tuning sets. Cross-
# validation refits them on k-1 folds (grid search, relevance F1) and scores the held-out fold,
# so the figure says what the rules do on data the parameters were not chosen on. Aliases and
# rules were also written looking at these sets; no procedure can refit a person, which is why
# the blind batches are scored before any change they cause.
TUNED_GRID: dict[str, tuple[float, ...]] = {
    "threshold": (0.75, 1.0, 1.25, 1.5),
    "generic_factor": (0.5, 0.75, 1.0),
    "passing_factor": (0.25, 0.5, 0.75, 1.0),
    "other_subject_factor": (0.25, 0.5, 1.0),
}


def _grid(base: Relevance) -> list[Relevance]:
    names = list(TUNED_GRID)
    out = []

    def walk(i: int, values: dict[str, float]) -> None:
        if i == len(names):
            out.append(base.model_copy(update=values))
            return
        for v in TUNED_GRID[names[i]]:
            walk(i + 1, {**values, names[i]: v})

    walk(0, {})
    return out


def _distance(a: Relevance, b: Relevance) -> float:
    return sum(abs(getattr(a, n) - getattr(b, n)) for n in TUNED_GRID)


def fit_relevance(
    analyses: Sequence[Analysis], gold: Sequence[bool], taxonomy: Taxonomy
) -> Relevance:
    """The grid point with the best relevance F1 on these articles; ties go to the point
    nearest the shipped parameters, so a refit only moves them when the data asks for it."""
    base = taxonomy.relevance
    best: tuple[float, float] | None = None
    chosen = base
    for rel in _grid(base):
        c = Counts()
        for a, g in zip(analyses, gold, strict=True):
            c.add(g, rule_score(a, rel) + 1e-9 >= rel.threshold)
        key = (round(c.f1, 9), -_distance(rel, base))
        if best is None or key > best:
            best, chosen = key, rel
    return chosen


@dataclass
class CrossValidation:
    """Held-out figures per source set, and what each fold's refit chose."""

    k: int
    reports: dict[str, Report]
    english: dict[str, Report]
    chosen: list[dict[str, float]]


def cross_validate(sets: Sequence[LabelledSet], taxonomy: Taxonomy, k: int = 5) -> CrossValidation:
    """k-fold CV over the pooled tuning sets: refit on k-1 folds, classify the held-out one."""
    pool = [(ls.name, item) for ls in sets for item in ls.items]
    analyses = [
        analyse(it["title"], it["text"], taxonomy, lead=it.get("lead", "")) for _n, it in pool
    ]
    gold = [bool(it["relevant"]) for _n, it in pool]
    fold = [fold_of(f"{n}:{it['id']}", k) for n, it in pool]
    results: list[Classification | None] = [None] * len(pool)
    chosen = []
    for f in range(k):
        train = [i for i in range(len(pool)) if fold[i] != f]
        rel = fit_relevance([analyses[i] for i in train], [gold[i] for i in train], taxonomy)
        chosen.append({n: getattr(rel, n) for n in TUNED_GRID})
        for i in range(len(pool)):
            if fold[i] == f:
                results[i] = decide(analyses[i], taxonomy, rel)
    reports, english = {}, {}
    for ls in sets:
        idx = [i for i, (n, _it) in enumerate(pool) if n == ls.name]
        items = [pool[i][1] for i in idx]
        res = [results[i] for i in idx]
        reports[ls.name] = score(items, res, taxonomy)  # type: ignore[arg-type]
        en = [j for j, it in enumerate(items) if it["english"]]
        if en:
            english[ls.name] = score([items[j] for j in en], [res[j] for j in en], taxonomy)  # type: ignore[misc]
    return CrossValidation(k, reports, english, chosen)


# --------------------------------------------------------------------------- printing


def _row(name: str, c: Counts) -> str:
    support = c.tp + c.fn
    return (
        f"{name:<26} {c.precision:>6.3f} {c.recall:>6.3f} {c.f1:>6.3f}"
        f" {c.tp:>4} {c.fp:>4} {c.fn:>4} {support:>7}"
    )


def format_report(report: Report, *, show_errors: bool = True) -> str:
    """One set in full: every label's precision/recall, the evidence figures, the errors."""
    head = (
        f"{'label':<26} {'prec':>6} {'recall':>6} {'f1':>6} {'tp':>4} {'fp':>4} {'fn':>4}"
        f" {'support':>7}"
    )
    lines = [head, _row("relevance", report.relevance), ""]
    for title, per, micro in (
        ("initiatives", report.initiatives, report.initiative_micro),
        ("agencies", report.agencies, report.agency_micro),
    ):
        lines.append(f"[{title}]")
        for label, c in per.items():
            if c.tp + c.fp + c.fn:
                lines.append(_row(label, c))
        name = f"micro ({title})" if title == "initiatives" else "micro (agencies, no other)"
        lines.append(_row(name, micro))
        lines.append("")
    lines.append(
        f"evidence verbatim: {report.evidence_verbatim:.3f} ({report.verbatim}/{report.tags} tags)"
    )
    lines.append(
        f"evidence agreement with the gold quote: {report.evidence_agreement:.3f}"
        f" ({report.agreeing}/{report.true_tags} true tags)"
    )
    if show_errors and report.errors:
        lines.append("")
        lines.append(f"errors ({len(report.errors)}):")
        lines.extend("  " + e for e in report.errors)
    return "\n".join(lines)


_TABLE_HEAD = (
    f"{'set':<30} {'n':>4} {'en':>3}  {'rel P':>6} {'R':>5} {'F1':>5}"
    f"  {'ini P':>6} {'R':>5} {'F1':>5}  {'agy P':>6} {'R':>5} {'F1':>5}  {'verb':>5}"
)


def table_row(name: str, report: Report, english: int) -> str:
    r, i, a = report.relevance, report.initiative_micro, report.agency_micro
    return (
        f"{name:<30} {report.items:>4} {english:>3}  {r.precision:>6.3f} {r.recall:>5.3f}"
        f" {r.f1:>5.3f}  {i.precision:>6.3f} {i.recall:>5.3f} {i.f1:>5.3f}"
        f"  {a.precision:>6.3f} {a.recall:>5.3f} {a.f1:>5.3f}  {report.evidence_verbatim:>5.3f}"
    )


def format_table(rows: Sequence[tuple[str, Report, int]]) -> str:
    """Side by side: one line per set (and per subset), the same columns for all."""
    return "\n".join([_TABLE_HEAD, *(table_row(n, r, e) for n, r, e in rows)])


def format_labels(reports: Sequence[tuple[str, Report]]) -> str:
    """Per label, precision/recall in each set: where a label is weak, and on which data."""
    names = [n for n, _ in reports]
    width = max(8, *(len(n) for n in names)) if names else 8
    head = f"{'label':<24}" + "".join(f" {n[:width]:>{width + 4}}" for n in names)
    lines = [head, " " * 24 + "".join(f" {'P/R (support)':>{width + 4}}" for _ in names)]
    for section in ("initiatives", "agencies"):
        labels: dict[str, None] = {}
        for _n, rep in reports:
            for label, c in getattr(rep, section).items():
                if c.tp + c.fp + c.fn:
                    labels.setdefault(label)
        lines.append(f"[{section}]")
        for label in labels:
            cells = []
            for _n, rep in reports:
                c = getattr(rep, section).get(label)
                if c is None or not (c.tp + c.fp + c.fn):
                    cells.append(f" {'-':>{width + 4}}")
                else:
                    cell = f"{c.precision:.2f}/{c.recall:.2f} ({c.tp + c.fn})"
                    cells.append(f" {cell:>{width + 4}}")
            lines.append(f"{label:<24}" + "".join(cells))
    return "\n".join(lines)


# --------------------------------------------------------------------------- floors


def load_floors(path: str | Path = DEFAULT_FLOORS) -> dict[str, dict[str, float]]:
    """Per set, {figure: minimum}; a flat {figure: minimum} file means the labelled set.

    A broken file is a clear ValueError naming the file; keys starting with "_" are comments.
    """
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object of set names and floors")
        data = {k: v for k, v in data.items() if not k.startswith("_")}
        if all(not isinstance(v, dict) for v in data.values()):
            data = {"labelled": data}
        out = {}
        for name, floors in data.items():
            if not isinstance(floors, dict):
                raise ValueError(f"{name}: expected an object of figure names and floors")
            out[name] = {k: float(v) for k, v in floors.items() if not k.startswith("_")}
        return out
    except (OSError, ValueError, TypeError) as exc:
        raise ValueError(f"{path}: cannot read the floors: {exc}") from None


def below_floors(figures: dict[str, float], floors: dict[str, float]) -> list[str]:
    """Names and values of figures under their floor; empty when the gate passes."""
    return [
        f"{name}: {figures.get(name, 0.0):.4f} < floor {floor:.4f}"
        for name, floor in floors.items()
        if figures.get(name, 0.0) + 1e-9 < floor
    ]
