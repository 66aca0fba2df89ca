"""Quality gate: the tagger on every labelled set must stay at or above its pinned floors.

Floors live in quality/tagging_floors.json, one entry per set, and may only rise; for the
labelled set (used for tuning) the issue's targets are the lowest they may ever be.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.quality.tagging import (
    DEFAULT_FLOORS,
    DEFAULT_SET,
    below_floors,
    cross_validate,
    default_sets,
    evaluate,
    load_floors,
    load_set,
)
from ingest.tag.taxonomy import load_taxonomy

REPO = Path(__file__).resolve().parents[2]
TARGETS = {
    "relevance_f1": 0.95,
    "initiative_micro_f1": 0.90,
    "agency_micro_f1": 0.90,
    "evidence_verbatim": 1.0,
}


@pytest.fixture(scope="module")
def tax():
    return load_taxonomy(REPO / "taxonomy.yaml")


@pytest.fixture(scope="module")
def items():
    return load_set(DEFAULT_SET)


@pytest.fixture(scope="module")
def report(items, tax):
    return evaluate(items, tax)


def test_floors_never_below_the_targets():
    floors = load_floors(DEFAULT_FLOORS)["labelled"]
    assert set(floors) == set(TARGETS)
    for name, target in TARGETS.items():
        assert floors[name] >= target, name


def test_every_set_has_all_four_floors():
    floors = load_floors(DEFAULT_FLOORS)
    assert {"labelled", "blind_2026-11-22", "blind_2026-12-01", "samplesites"} <= set(floors)
    for name, per_set in floors.items():
        assert set(per_set) == set(TARGETS), name
        assert per_set["evidence_verbatim"] == 1.0, name


def test_figures_at_or_above_floors(report):
    assert below_floors(report.figures(), load_floors(DEFAULT_FLOORS)["labelled"]) == []


def test_every_set_at_or_above_its_floors(tax):
    """The blind batches, the sample sites and ../shared/tagging-dev (when present) too."""
    floors = load_floors(DEFAULT_FLOORS)
    scored = 0
    for ls in default_sets():
        if ls.name in floors:
            assert below_floors(evaluate(ls.items, tax).figures(), floors[ls.name]) == [], ls.name
            scored += 1
    assert scored >= 4


def test_every_tag_evidence_is_verbatim(report):
    assert report.tags > 100
    assert report.verbatim == report.tags


def test_labelled_set_shape(items, tax):
    assert len(items) >= 80
    assert len({i["id"] for i in items}) == len(items)
    negatives = [i for i in items if not i["relevant"]]
    assert len(negatives) >= 30
    assert all(not i["initiatives"] and not i["agencies"] for i in negatives)
    used_initiatives = {t["id"] for i in items for t in i["initiatives"]}
    used_agencies = {t["id"] for i in items for t in i["agencies"]}
    assert used_initiatives == set(tax.initiative_ids)
    assert used_agencies <= set(tax.agency_ids)
    assert len(used_agencies) >= 10


def test_every_gold_quote_occurs_in_its_passage(items):
    for item in items:
        fields = [item["title"], item.get("lead", ""), item["text"]]
        for tag in item["initiatives"] + item["agencies"]:
            assert any(tag["evidence"] in f for f in fields), (item["id"], tag)


def test_floors_file_is_valid_json():
    data = json.loads(Path(DEFAULT_FLOORS).read_text(encoding="utf-8"))
    assert "_comment" in data


def test_cross_validation_at_or_above_its_floors(tax):
    """The k-fold rows: relevance parameters refit on k-1 folds of the tuning sets."""
    floors = load_floors(DEFAULT_FLOORS)
    tuning = [ls for ls in default_sets(samplesites=False) if ls.kind in ("tuning", "dev")]
    cv = cross_validate(tuning, tax, 5)
    assert len(cv.chosen) == 5 and set(cv.reports) == {ls.name for ls in tuning}
    for name, report in cv.reports.items():
        assert report.items == len(next(ls for ls in tuning if ls.name == name).items)
        key = f"cv:{name}"
        if key in floors:
            assert below_floors(report.figures(), floors[key]) == [], key
