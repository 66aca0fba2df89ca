"""The activity quality gate: the labelled set's scores stay above quality/activities_floors.json
(never below the issue's targets), and the sample sites' expected activities are all found."""

from __future__ import annotations

import json

from conftest import REPO, TAXONOMY

from ingest.activities.story_activity import lexicon
from ingest.activities.venues import load_gazetteer
from ingest.quality.activities import (
    below_floors,
    check_sample_sites,
    load_floors,
    load_passages,
    sample_site_activities,
    score,
)
from ingest.tag.taxonomy import load_taxonomy

TARGETS = {"precision": 0.95, "recall": 0.85}


def test_floors_never_below_the_issue_targets() -> None:
    floors = load_floors()
    for fld in ("date", "venue", "figure"):
        for metric, target in TARGETS.items():
            assert floors[f"{fld}_{metric}"] >= target


def test_labelled_set_meets_the_floors() -> None:
    passages = load_passages()
    assert len(passages) >= 60
    kinds = {p.kind for p in passages}
    assert kinds >= {"festival_edition", "opening", "closing", "forum", "conference",
                     "exhibition", "competition", "tv_programme", "plan", "membership", "other"}  # fmt: skip
    lex = lexicon(load_taxonomy(TAXONOMY), load_gazetteer())
    scores = score(passages, lex)
    assert below_floors(scores, load_floors()) == []


def test_sample_sites_every_edition_forum_and_plan_once() -> None:
    taxonomy = load_taxonomy(TAXONOMY)
    checks = check_sample_sites(
        sample_site_activities(taxonomy, lexicon(taxonomy, load_gazetteer()))
    )
    assert len(checks) == 10
    assert [c.expected.describe() for c in checks if not c.ok] == []


def test_labelled_sets_are_well_formed() -> None:
    for name in ("activities.jsonl", "activities_heldout.jsonl"):
        for line in (REPO / "eval" / name).read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            assert r["id"] and r["published"] and r["text"]
            assert all(set(f) == {"value", "counts"} for f in r["figures"])
