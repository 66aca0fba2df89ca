"""The report page's form: what can be chosen, what was asked, and what is wrong with it.

Initiatives and agencies are offered by name (the id beside it), several at once; the period is
typed in any of the four date forms (`ingest.evidence.period`). Everything that can be checked
without building the report is checked here, with messages in both languages: an unknown id
lists the valid ones, a bad date says what is wrong and which forms work.

The quick picks are the shortest way to a dossier: each initiative's years with coverage, one
link each (home → report → "2023" → download).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from ..evidence.period import DateError, parse_bound, parse_period

ROUTE = "/-/report"
FORMATS = ("preview", "html", "docx", "csv", "md", "json")
DOWNLOADS = (
    ("docx", "Tải DOCX (Word) / Download DOCX"),
    ("html", "HTML để in PDF / PDF-ready HTML"),
    ("csv", "CSV (Excel)"),
    ("md", "Markdown"),
    ("json", "JSON"),
)
MAX_IDS = 50  # more ids than the taxonomy has is not a report request


@dataclass
class ReportArgs:
    initiatives: list[str]
    agencies: list[str]
    date_from: str
    date_to: str
    fmt: str

    @classmethod
    def from_request(cls, request: Any) -> ReportArgs:
        def many(name: str) -> list[str]:
            seen: dict[str, None] = {}
            for v in request.args.getlist(name):
                for part in v.split(","):
                    if part.strip():
                        seen[part.strip()] = None
            return list(seen)

        return cls(
            initiatives=many("initiative"),
            agencies=many("agency"),
            date_from=request.args.get("from", "").strip(),
            date_to=request.args.get("to", "").strip(),
            fmt=request.args.get("format", "").strip() or "preview",
        )

    @property
    def submitted(self) -> bool:
        return bool(self.initiatives or self.agencies or self.date_from or self.date_to)

    def query_string(self, fmt: str | None = None) -> str:
        """Every filter of this request (for the download links), in a stable order."""
        params: list[tuple[str, str]] = [("initiative", i) for i in self.initiatives]
        params += [("agency", a) for a in self.agencies]
        params += [("from", self.date_from), ("to", self.date_to)]
        if fmt and fmt != "preview":
            params.append(("format", fmt))
        return urlencode(params)


@dataclass
class Choices:
    initiatives: list[dict[str, Any]]
    agencies: list[dict[str, Any]]
    years: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # id → (year, n)

    @property
    def initiative_ids(self) -> list[str]:
        return [i["id"] for i in self.initiatives]

    @property
    def agency_ids(self) -> list[str]:
        return [a["id"] for a in self.agencies]


async def load_choices(db: Any) -> Choices:
    """The taxonomy's initiatives and agencies by name, and each initiative's covered years."""
    initiatives = [
        dict(r)
        for r in await db.execute(
            "select id, name_vi, name_en, kind from initiatives"
            " order by case kind when 'initiative' then 0 else 1 end, rowid"
        )
    ]
    agencies = [
        dict(r)
        for r in await db.execute("select id, name_vi, name_en from agencies order by name_vi")
    ]
    years: dict[str, list[tuple[int, int]]] = {}
    for r in await db.execute(
        "select ai.initiative_id, a.published_year, count(distinct a.id) from article_initiatives ai"
        " join articles a on a.id = ai.article_id where a.published_year is not null"
        " group by 1, 2 order by 1, 2"
    ):
        years.setdefault(r[0], []).append((r[1], r[2]))
    return Choices(initiatives, agencies, years)


def validate(args: ReportArgs, choices: Choices) -> tuple[list[str], tuple[date, date] | None]:
    """(problems, period): every problem with the request, in both languages."""
    problems: list[str] = []
    if args.fmt not in FORMATS:
        problems.append(
            f"định dạng không hỗ trợ / unknown format «{args.fmt}»;"
            f" chọn / choose: {', '.join(FORMATS[1:])}"
        )
    if len(args.initiatives) > MAX_IDS or len(args.agencies) > MAX_IDS:
        problems.append(f"quá nhiều mã / too many ids (at most {MAX_IDS})")
    unknown = [i for i in args.initiatives if i not in choices.initiative_ids]
    if unknown:
        problems.append(
            f"không có sáng kiến / unknown initiative «{', '.join(unknown)}»."
            f" Mã hợp lệ / valid ids: {', '.join(choices.initiative_ids)}"
        )
    unknown = [a for a in args.agencies if a not in choices.agency_ids]
    if unknown:
        problems.append(
            f"không có cơ quan / unknown agency «{', '.join(unknown)}»."
            f" Mã hợp lệ / valid ids: {', '.join(sorted(choices.agency_ids))}"
        )
    period = None
    if not args.date_from or not args.date_to:
        problems.append(
            "hãy nhập cả ngày bắt đầu và ngày kết thúc / enter both the start and the end of"
            " the period (2023, 2023-11, 2023-11-11 or 11/11/2023)"
        )
    else:
        bounds = []
        for value, name in ((args.date_from, "Từ / From"), (args.date_to, "Đến / To")):
            try:
                bounds.append(parse_bound(value, "start", name))
            except DateError as exc:
                problems.append(str(exc))
        if len(bounds) == 2:
            try:
                period = parse_period(args.date_from, args.date_to)
            except ValueError as exc:
                problems.append(str(exc))
    return problems, (period if not problems else None)


def quick_picks(choices: Choices, path: str) -> list[dict[str, Any]]:
    """Per initiative, one link per covered year to that year's report."""
    out = []
    for init in choices.initiatives:
        years = choices.years.get(init["id"], [])
        if not years:
            continue
        links = [
            {
                "year": y,
                "articles": n,
                "href": f"{path}?{urlencode({'initiative': init['id'], 'from': y, 'to': y})}",
            }
            for y, n in years
        ]
        out.append({**init, "years": links})
    return out


def download_links(args: ReportArgs, path: str) -> list[dict[str, str]]:
    return [
        {"format": fmt, "label": label, "href": f"{path}?{args.query_string(fmt)}"}
        for fmt, label in DOWNLOADS
    ]


def file_name(args: ReportArgs, period: tuple[date, date], ext: str) -> str:
    """An ASCII file name that says what the file is."""
    what = "+".join(args.initiatives[:3]) or "all"
    if len(args.initiatives) > 3:
        what += f"+{len(args.initiatives) - 3}"
    safe = "".join(ch if ch.isalnum() or ch in "_+-" else "_" for ch in what)
    return f"evidence-{safe}-{period[0].isoformat()}-{period[1].isoformat()}.{ext}"
