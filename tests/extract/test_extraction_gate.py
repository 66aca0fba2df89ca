"""Quality gate: extraction scores may not fall below the floors in quality/extraction_floors.json.

Runs on the shared corpus (skipped when ../shared/corpus is absent), on our hand-written fixtures
and on the sample sites' gold, first with generic rules only, then with the per-source overrides.
Both must meet the floors: the overrides may help, but the generic rules have to carry the score.
"""

import pytest

from ingest.quality import extraction as ev

FLOORS = ev.load_floors()


@pytest.fixture(scope="module")
def gold_sets(tmp_path_factory):
    sets = {gs.name: gs for gs in ev.default_sets(tmp_path_factory.mktemp("samplesites"))}
    return sets


@pytest.mark.parametrize("use_overrides", [False, True], ids=["generic", "overrides"])
@pytest.mark.parametrize("name", ["corpus", "fixtures", "samplesites"])
def test_scores_meet_floors(gold_sets, name, use_overrides):
    if name not in gold_sets:
        pytest.skip(f"gold set {name!r} not available here")
    gs = gold_sets[name]
    lookup = ev.overrides_from_sources(gs.sources) if use_overrides else ev.no_overrides
    score = ev.evaluate_set(gs, ev.run_ours(lookup))
    failures = ev.below_floor(score, FLOORS[name])
    misses = [
        f"{d.file}: wrong {[k for k in ('title', 'date', 'author') if not getattr(d, k)]}"
        f" missing {d.missing} leaked {d.leaks}"
        for d in score.details
        if not (d.title and d.date and d.author) or d.missing or d.leaks
    ]
    assert not failures, "\n".join(failures + misses)


@pytest.mark.parametrize("name", ["corpus", "fixtures", "samplesites"])
def test_general_rules_alone_meet_the_floors(gold_sets, name):
    """Template families are a fast path, not a crutch: with them off the scores hold."""
    if name not in gold_sets:
        pytest.skip(f"gold set {name!r} not available here")
    score = ev.evaluate_set(gold_sets[name], ev.run_ours(ev.no_overrides, templates=False))
    failures = ev.below_floor(score, FLOORS[name])
    assert not failures, "\n".join(failures + [d.describe() for d in score.failing()])


def test_floors_cover_every_metric():
    for name in ("corpus", "fixtures", "samplesites"):
        assert set(FLOORS[name]) == set(ev.METRICS)


def test_scorer_counts_what_it_should():
    gold = {
        "file": "x.html",
        "title": "Tiêu đề",
        "published": "2024-01-02T10:00:00+07:00",
        "author": "Lan Anh",
        "must_contain": ["câu một.", "câu  hai."],
        "must_not_contain": ["Tin liên quan", "Chia sẻ"],
    }
    out = ev.Output(
        "Tiêu  đề", "2024-01-02T23:59:00+07:00", "LAN ANH, Minh", "câu một. câu hai. Chia sẻ"
    )
    s = ev.score_page(gold, out)
    assert (s.title, s.date, s.author, s.found, s.leaked) == (True, True, True, 2, 1)
    wrong = ev.score_page({**gold, "author": None}, ev.Output("Khác", "2024-01-03", "Ai đó", ""))
    assert (wrong.title, wrong.date, wrong.author, wrong.found) == (False, False, False, 0)


def test_below_floor_reports_drops_and_leak_rises():
    s = ev.SetScore(
        "corpus",
        26,
        {"title": 0.9, "date": 1.0, "author": 1.0, "recall": 1.0, "leakage": 0.05},
        0,
        [],
    )
    floors = {"title": 0.96, "date": 0.96, "author": 0.96, "recall": 0.99, "leakage": 0.01}
    assert ev.below_floor(s, floors) == [
        "corpus.title = 0.900 (floor 0.96)",
        "corpus.leakage = 0.050 (floor 0.01)",
    ]
