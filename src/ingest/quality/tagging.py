"""Score the tagger against the labelled set: relevance, each initiative and agency, evidence.

The labelled set (eval/tagging_set.jsonl, format in docs/tagging.md) holds short passages with
the labels a reader would give and the quote that proves each one. The figures printed here are
what `quality/tagging_floors.json` pins: floors may only rise, and tests fail below them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..models import Classification, Tag
from ..paths import REPO_ROOT
from ..tag.classify import classify
from ..tag.taxonomy import Taxonomy

REPO = REPO_ROOT
DEFAULT_SET = REPO / "eval" / "tagging_set.jsonl"
DEFAULT_FLOORS = REPO / "quality" / "tagging_floors.json"


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
    tags: int = 0
    verbatim: int = 0  # tags whose evidence is exactly field[start:end]
    agreeing: int = 0  # true-positive tags whose evidence sentence contains the gold quote
    true_tags: int = 0
    errors: list[str] = field(default_factory=list)

    @staticmethod
    def micro(per_label: dict[str, Counts]) -> Counts:
        total = Counts()
        for c in per_label.values():
            total += c
        return total

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
            "initiative_micro_f1": round(self.micro(self.initiatives).f1, 4),
            "agency_micro_f1": round(self.micro(self.agencies).f1, 4),
            "evidence_verbatim": round(self.evidence_verbatim, 4),
        }


def load_set(path: str | Path = DEFAULT_SET) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def samplesite_items() -> list[dict[str, Any]]:
    """The sample sites' articles with their expected labels, in the labelled-set format.

    Written by another hand than the rules, so a useful second opinion on the tagger.
    """
    from ..testing.samplesites.data import load_articles

    return [
        {
            "id": a.id,
            "title": a.title,
            "lead": a.lead,
            "text": "\n".join(a.body),
            "relevant": a.relevant,
            "initiatives": [{"id": lb.id, "evidence": lb.evidence} for lb in a.initiatives],
            "agencies": [{"id": lb.id, "evidence": lb.evidence} for lb in a.agencies],
        }
        for a in load_articles()
    ]


def _check_tag(item: dict[str, Any], tag: Tag) -> bool:
    value = item.get(tag.field) or ""
    return value[tag.start : tag.end] == tag.evidence and bool(tag.evidence)


def _compare(
    item: dict[str, Any],
    gold: list[dict[str, str]],
    pred: list[Tag],
    ids: Iterable[str],
    counts: dict[str, Counts],
    report: Report,
    kind: str,
) -> None:
    gold_ids = {g["id"]: g["evidence"] for g in gold}
    pred_ids = {t.label_id: t for t in pred}
    for label in ids:
        g, p = label in gold_ids, label in pred_ids
        counts.setdefault(label, Counts()).add(g, p)
        if g and p:
            report.true_tags += 1
            if gold_ids[label] in pred_ids[label].evidence:
                report.agreeing += 1
        elif g:
            report.errors.append(f"{item['id']}: missed {kind} {label}: {gold_ids[label]!r}")
        elif p:
            t = pred_ids[label]
            report.errors.append(
                f"{item['id']}: extra {kind} {label} via {t.rule!r}: {t.evidence!r}"
            )


def evaluate(items: list[dict[str, Any]], taxonomy: Taxonomy) -> Report:
    """Classify every passage and count agreement with its labels."""
    report = Report()
    for item in items:
        result: Classification = classify(
            item.get("title", ""), item.get("text", ""), taxonomy, lead=item.get("lead", "")
        )
        report.relevance.add(bool(item["relevant"]), result.relevant)
        if bool(item["relevant"]) != result.relevant:
            report.errors.append(
                f"{item['id']}: relevance gold={item['relevant']} got={result.relevant} "
                f"(score {result.score})"
            )
        for tag in [*result.initiatives, *result.agencies]:
            report.tags += 1
            report.verbatim += _check_tag(item, tag)
        _compare(
            item,
            item.get("initiatives", []),
            result.initiatives,
            taxonomy.initiative_ids,
            report.initiatives,
            report,
            "initiative",
        )
        _compare(
            item,
            item.get("agencies", []),
            result.agencies,
            taxonomy.agency_ids,
            report.agencies,
            report,
            "agency",
        )
    return report


def _row(name: str, c: Counts) -> str:
    support = c.tp + c.fn
    return (
        f"{name:<26} {c.precision:>6.3f} {c.recall:>6.3f} {c.f1:>6.3f}"
        f" {c.tp:>4} {c.fp:>4} {c.fn:>4} {support:>7}"
    )


def format_report(report: Report, *, show_errors: bool = True) -> str:
    head = f"{'label':<26} {'prec':>6} {'recall':>6} {'f1':>6} {'tp':>4} {'fp':>4} {'fn':>4} {'support':>7}"
    lines = [head, _row("relevance", report.relevance), ""]
    for title, per in (("initiatives", report.initiatives), ("agencies", report.agencies)):
        lines.append(f"[{title}]")
        for label, c in per.items():
            if c.tp + c.fp + c.fn:
                lines.append(_row(label, c))
        lines.append(_row(f"micro ({title})", report.micro(per)))
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


def load_floors(path: str | Path = DEFAULT_FLOORS) -> dict[str, float]:
    """The floors file: {"figure name": minimum, ...}; a broken file is a clear ValueError."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object of figure names and floors")
        return {k: float(v) for k, v in data.items() if not k.startswith("_")}
    except (OSError, ValueError, TypeError) as exc:
        raise ValueError(f"{path}: cannot read the floors: {exc}") from None


def below_floors(figures: dict[str, float], floors: dict[str, float]) -> list[str]:
    """Names and values of figures under their floor; empty when the gate passes."""
    return [
        f"{name}: {figures.get(name, 0.0):.4f} < floor {floor:.4f}"
        for name, floor in floors.items()
        if figures.get(name, 0.0) + 1e-9 < floor
    ]
