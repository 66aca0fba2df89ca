"""Score the activity rules against labelled passages and the sample sites' expected activities.

The labelled set (eval/activities.jsonl, format in docs/timeline.md) holds short passages of our
own writing, each with what a reader would record: the kind, the event date (null when the text
names no day: the publication date is then only a fallback and is not scored), the venues
(gazetteer ids, or "~Name" for a named place the gazetteer does not list) and the figures
(value and what it counts). Per field:
- date: a prediction is right when it is the labelled day; precision over the passages where
  the rules name a day, recall over those where the label names one;
- date_end: the same for the last day of a span;
- venue and figure: matched as sets per passage (a figure is its value and what it counts);
- kind: one label per passage, so precision and recall are both its accuracy.
The figures printed here are what `quality/activities_floors.json` pins: floors may only rise.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..activities.story_activity import Lexicon, read_passage
from ..paths import REPO_ROOT
from ..text.textnorm import fold
from .tagging import Counts

DEFAULT_SET = REPO_ROOT / "eval" / "activities.jsonl"
DEFAULT_FLOORS = REPO_ROOT / "quality" / "activities_floors.json"
FIELDS = ("kind", "date", "date_end", "venue", "figure")


class LabelledSetError(ValueError):
    """A line of the labelled set is malformed; the message names the file and line."""


@dataclass
class Passage:
    id: str
    published: str
    title: str
    lead: str
    text: str
    kind: str | None
    date: str | None
    date_end: str | None
    venues: list[str]
    figures: list[tuple[float, str]]
    note: str = ""


@dataclass
class Miss:
    passage: str
    field: str
    expected: Any
    got: Any


@dataclass
class ActivityScores:
    counts: dict[str, Counts] = field(default_factory=lambda: {f: Counts() for f in FIELDS})
    misses: list[Miss] = field(default_factory=list)
    passages: int = 0

    def table(self) -> dict[str, dict[str, float]]:
        return {
            f: {"precision": c.precision, "recall": c.recall, "tp": c.tp, "fp": c.fp, "fn": c.fn}
            for f, c in self.counts.items()
        }


def load_passages(path: str | Path = DEFAULT_SET) -> list[Passage]:
    path = Path(path)
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
            out.append(
                Passage(
                    id=str(r["id"]),
                    published=str(r["published"]),
                    title=r.get("title") or "",
                    lead=r.get("lead") or "",
                    text=r.get("text") or "",
                    kind=r.get("kind"),
                    date=r.get("date"),
                    date_end=r.get("date_end"),
                    venues=list(r.get("venues") or []),
                    figures=[(float(f["value"]), str(f["counts"])) for f in r.get("figures") or []],
                    note=r.get("note") or "",
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise LabelledSetError(f"{path}:{n}: {exc}") from exc
    return out


def _venue_key(v: str) -> str:
    """An unlisted venue ("~Name") is compared by its folded name."""
    return "~" + " ".join(fold(v[1:]).split()) if v.startswith("~") else v


def score(passages: Iterable[Passage], lex: Lexicon) -> ActivityScores:
    out = ActivityScores()
    for p in passages:
        out.passages += 1
        got = read_passage(p.title, p.lead, p.text, p.published, lex)
        c = out.counts
        if p.kind is not None:
            ok = got.kind == p.kind
            c["kind"].tp += ok
            c["kind"].fp += not ok
            c["kind"].fn += not ok
            if not ok:
                out.misses.append(Miss(p.id, "kind", p.kind, got.kind))
        for name, exp, pred in (("date", p.date, got.date), ("date_end", p.date_end, got.date_end)):
            if exp and pred == exp:
                c[name].tp += 1
            else:
                c[name].fp += pred is not None
                c[name].fn += exp is not None
                if exp != pred:
                    out.misses.append(Miss(p.id, name, exp, pred))
        for name, exp_set, pred_set in (
            ("venue", {_venue_key(v) for v in p.venues}, {_venue_key(v) for v in got.venues}),
            ("figure", set(p.figures), set(got.figures)),
        ):
            c[name].tp += len(exp_set & pred_set)
            c[name].fp += len(pred_set - exp_set)
            c[name].fn += len(exp_set - pred_set)
            if exp_set != pred_set:
                out.misses.append(
                    Miss(p.id, name, sorted(exp_set - pred_set), sorted(pred_set - exp_set))
                )
    return out


def load_floors(path: str | Path = DEFAULT_FLOORS) -> dict[str, float]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return {k: float(v) for k, v in data.items() if not k.startswith("_")}


def below_floors(scores: ActivityScores, floors: dict[str, float]) -> list[str]:
    """The floors a run falls under, as "date_precision 0.93 < 0.95"."""
    table = scores.table()
    out = []
    for key, floor in sorted(floors.items()):
        fld, _, metric = key.rpartition("_")
        value = table.get(fld, {}).get(metric)
        if value is None:
            out.append(f"{key}: unknown field or metric")
        elif value < floor:
            out.append(f"{key} {value:.3f} < {floor:.3f}")
    return out


# ---------------------------------------------------------------------------------------------
# The sample sites: every festival edition, forum and plan once, with its date and a figure
# ---------------------------------------------------------------------------------------------


@dataclass
class SampleCheck:
    expected: Any  # testing.samplesites.activities_gold.ExpectedActivity
    found: list[Any]  # the matching activities
    ok: bool
    problem: str = ""


def sample_site_activities(taxonomy: Any, lex: Lexicon) -> list[Any]:
    """The sample articles through the tagger, the story clustering and the activity rules
    (everything the nightly run does after extraction), as merged activities."""
    from ..activities.story_activity import ArticleInput, TagRef, activity_for_story, merge
    from ..evidence.stories import StoryDoc, cluster
    from ..tag.classify import classify
    from ..testing.samplesites import load_articles

    inputs: dict[int, ArticleInput] = {}
    docs = []
    for n, a in enumerate(load_articles(), 1):
        text = "\n".join(a.body)
        cls = classify(a.title, text, taxonomy, lead=a.lead)

        def refs(tags: list) -> list[TagRef]:
            return [TagRef(t.label_id, t.evidence, t.field, t.start, t.end, t.rule) for t in tags]

        inputs[n] = ArticleInput(
            n, a.outlet, a.title, a.lead, text, a.published.isoformat(), cls.relevant,
            refs(cls.initiatives), refs(cls.agencies),
        )  # fmt: skip
        docs.append(StoryDoc(n, a.title, f"{a.lead}\n{text}", a.published, a.outlet))
    stories: dict[Any, list[ArticleInput]] = {}
    for key, root in cluster(docs).items():
        stories.setdefault(root, []).append(inputs[key])
    drafts = [activity_for_story(int(root), arts, lex) for root, arts in stories.items()]
    return merge([d for d in drafts if d is not None])


def check_sample_sites(activities: list[Any]) -> list[SampleCheck]:
    """Each expected activity found exactly once, with its date, source and a stated figure."""
    from ..testing.samplesites.activities_gold import expected_activities

    out = []
    for exp in expected_activities():
        found = [
            a
            for a in activities
            if a.kind == exp.kind
            and exp.initiative in a.initiative_ids
            and (exp.document is None or a.document == exp.document)
            and (a.year == int(exp.date[:4]) or a.event_date == exp.date)
        ]
        problem = ""
        if len(found) != 1:
            problem = f"found {len(found)} times"
        else:
            a = found[0]
            counts = {f.counts for f in a.facts if f.field == "figure"}
            if a.event_date != exp.date:
                problem = f"date {a.event_date}"
            elif a.date_source != exp.date_source:
                problem = f"date source {a.date_source}"
            elif exp.figures and not counts & set(exp.figures):
                problem = f"no figure counting {', '.join(exp.figures)} (has {sorted(counts)})"
        out.append(SampleCheck(exp, found, not problem, problem))
    return out
