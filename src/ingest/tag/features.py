"""What the rules found in an article, as numbers a relevance model can weigh.

Aboutness is a matter of degree that fixed weights capture badly: is the programme named in
the title or the lead, by its proper name or a generic phrase, once or throughout; is another
city the subject; is the page English. The rules (`classify.analyse`) find every mention and
say where it sits; this module turns that into a small, fixed vector of named features, so a
logistic regression (`train.py`, `ingest train-tags`) can learn how much each one matters
from labelled articles. Only counts and flags: no word of any text ends up in a feature name,
so a model trained on other people's articles ships no text.
"""

from __future__ import annotations

import math

from ..extract.language import detect_language
from .classify import Analysis, rule_score
from .taxonomy import Taxonomy

PROGRAMME_KINDS = ("initiative", "topic")


def _log(n: float) -> float:
    return math.log1p(max(n, 0.0))


def feature_names(taxonomy: Taxonomy) -> list[str]:
    """The model's inputs, in a fixed order (the model file stores them by name)."""
    names = [
        "rule_score",
        "rule_relevant",
        "specific_initiatives",
        "generic_initiatives",
        "specific_topics",
        "generic_topics",
        "weak_only_labels",
        "signals",
        "in_title",
        "in_head",
        "hit_sentences",
        "hit_share",
        "first_hit_at",
        "head_hanoi",
        "other_subject",
        "title_other",
        "hanoi_sentences",
        "other_sentences",
        "unesco_sentences",
        "veto_sentences",
        "local_agencies",
        "english",
    ]
    names += [f"label:{i}" for i in taxonomy.initiative_ids]
    return names


def features(a: Analysis, taxonomy: Taxonomy, *, text_sample: str = "") -> dict[str, float]:
    """The feature vector of one analysed article (see `feature_names` for the order)."""
    rel = taxonomy.relevance
    programme = [h for h in a.hits if h.entry.kind in PROGRAMME_KINDS]
    strong = [h for h in programme if not h.weak]
    by_label: dict[str, list] = {}
    for h in strong:
        by_label.setdefault(h.entry.label_id, []).append(h)
    spec = {lab for lab, hs in by_label.items() if any(not h.entry.context for h in hs)}
    kinds = {lab: hs[0].entry.kind for lab, hs in by_label.items()}
    weak_only = {h.entry.label_id for h in programme if h.weak} - set(by_label)
    signals = {h.entry.alias for h in a.hits if h.entry.kind == "signal" and not h.weak}
    sentences = {(h.field.name, h.sentence) for h in strong}
    order = [(f.name, i) for f in a.fields for i, s in enumerate(f.sentences) if not s.boiler]
    first = min((order.index(s) for s in sentences if s in order), default=len(order))
    story = [s for f in a.fields for s in f.sentences if not s.boiler]
    score = rule_score(a, rel)
    comp_local = _local_agencies(taxonomy)
    sample = text_sample or " ".join(f.value[:1500] for f in a.fields)
    out = {
        "rule_score": min(score, 6.0),
        "rule_relevant": float(score >= rel.threshold),
        "specific_initiatives": float(sum(1 for lab in spec if kinds[lab] == "initiative")),
        "generic_initiatives": float(
            sum(1 for lab in set(by_label) - spec if kinds[lab] == "initiative")
        ),
        "specific_topics": float(sum(1 for lab in spec if kinds[lab] == "topic")),
        "generic_topics": float(sum(1 for lab in set(by_label) - spec if kinds[lab] == "topic")),
        "weak_only_labels": float(len(weak_only)),
        "signals": float(len(signals)),
        "in_title": float(any(h.field.name == "title" for h in strong)),
        "in_head": float(any(h.sent.head for h in strong)),
        "hit_sentences": _log(len(sentences)),
        "hit_share": len(sentences) / len(story) if story else 0.0,
        "first_hit_at": first / len(order) if order else 1.0,
        "head_hanoi": float(a.head_hanoi),
        "other_subject": float(a.other_subject),
        "title_other": float(a.title_other),
        "hanoi_sentences": _log(a.n_hanoi),
        "other_sentences": _log(a.n_other),
        "unesco_sentences": _log(sum(1 for s in story if s.confirm)),
        "veto_sentences": _log(sum(1 for s in story if s.veto)),
        "local_agencies": _log(len({h.entry.label_id for h in a.hits} & comp_local)),
        "english": float(detect_language(sample) == "en"),
    }
    for lab in taxonomy.initiative_ids:
        out[f"label:{lab}"] = float(lab in by_label)
    return out


def _local_agencies(taxonomy: Taxonomy) -> set[str]:
    return {a.id for a in taxonomy.agencies if a.level in ("city", "district") and not a.report_as}
