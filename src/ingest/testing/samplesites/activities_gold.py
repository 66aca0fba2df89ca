"""The sample sites' expected activities (data/activities.yaml), for `ingest eval-activities`.

Kept beside the articles' own labels because they describe the same bundled articles: a change
to an article that moves a festival's date or drops its figure must fail the activity check.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import yaml

from .data import DATA_DIR, SampleDataError

CHECKED_KINDS = ("festival_edition", "forum", "plan")


@dataclass(frozen=True)
class ExpectedActivity:
    kind: str
    initiative: str
    date: str
    date_source: str
    figures: tuple[str, ...]  # what the stated figures count; one of them must be found
    document: str | None = None

    def describe(self) -> str:
        doc = f" {self.document}" if self.document else ""
        return f"{self.kind} {self.initiative}{doc} {self.date}"


@cache
def expected_activities() -> tuple[ExpectedActivity, ...]:
    raw = yaml.safe_load((DATA_DIR / "activities.yaml").read_text(encoding="utf-8")) or []
    out = []
    for n, r in enumerate(raw):
        try:
            out.append(
                ExpectedActivity(
                    kind=str(r["kind"]),
                    initiative=str(r["initiative"]),
                    date=str(r["date"]),
                    date_source=str(r["date_source"]),
                    figures=tuple(r.get("figures") or ()),
                    document=r.get("document"),
                )
            )
        except (KeyError, TypeError) as exc:
            raise SampleDataError(f"activities.yaml[{n}]: {exc}") from exc
        if out[-1].kind not in CHECKED_KINDS:
            raise SampleDataError(f"activities.yaml[{n}]: kind must be one of {CHECKED_KINDS}")
    return tuple(out)
