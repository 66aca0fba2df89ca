"""Score extraction against a gold file and against bare trafilatura on the same pages.

Gold format (one JSON object per line, as ../shared/corpus/gold.jsonl): file, url, title,
published, author, must_contain, must_not_contain. Scores, each over all pages of a gold set:

- title: exact match after NFC and whitespace collapsing;
- date: same calendar day in Hanoi time (gold null: ours must be null too);
- author: gold name contained in ours, case-insensitive (gold null: ours must be null);
- recall: share of must_contain strings found in lead + "\\n\\n" + text (whitespace collapsed),
  pooled over all strings of the set;
- leakage: share of must_not_contain strings found there, pooled likewise;
- pages/s: pages per CPU-second of this process (one core; other jobs on the machine do not
  count), ours and the baseline timed in turn on each page, median of the passes.

The baseline is bare trafilatura in fast mode with metadata
(`trafilatura.bare_extraction(..., fast=True, with_metadata=True)`): the mode the extractor
itself calls first, so the table shows what our rules add to it. It is printed beside ours,
with the pages each gets wrong, so a regression in either direction is visible. Gold rows marked
`"holdout": true` (fixtures written after the rules, from template studies) are also scored on
their own: that is the figure that says how the rules do on layouts they were not tuned on.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import trafilatura

from ..config import ExtractOverrides
from ..extract.article import extract
from ..paths import REPO_ROOT
from ..text.textnorm import collapse_ws, nfc

CORPUS_DIR = REPO_ROOT.parent / "shared" / "corpus"
FIXTURE_DIR = REPO_ROOT / "tests" / "fixtures" / "extract"
FLOORS_FILE = REPO_ROOT / "quality" / "extraction_floors.json"
SOURCES_FILE = REPO_ROOT / "sources.yaml"
METRICS = ("title", "date", "author", "recall", "leakage")


@dataclass
class Output:
    """The fields a scorer needs from one extractor run on one page."""

    title: str = ""
    published: str | None = None
    author: str | None = None
    text: str = ""  # lead + text, as the gold counts the lead as article text
    error: str | None = None


@dataclass
class PageScore:
    file: str
    title: bool
    date: bool
    author: bool
    found: int
    expected: int
    leaked: int
    forbidden: int
    missing: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)
    holdout: bool = False

    @property
    def wrong(self) -> list[str]:
        return [k for k in ("title", "date", "author") if not getattr(self, k)]

    @property
    def failed(self) -> bool:
        return bool(self.wrong or self.missing or self.leaks)

    def describe(self) -> str:
        parts = []
        if self.wrong:
            parts.append("wrong " + ", ".join(self.wrong))
        if self.missing:
            parts.append(f"missing {len(self.missing)}/{self.expected}: {self.missing[0][:60]!r}")
        if self.leaks:
            parts.append(f"leaked {self.leaks}")
        return f"{self.file}: " + "; ".join(parts)


@dataclass
class SetScore:
    name: str
    pages: int
    scores: dict[str, float]
    pages_per_s: float
    details: list[PageScore]

    def failing(self) -> list[PageScore]:
        return [d for d in self.details if d.failed]


@dataclass
class GoldSet:
    name: str
    gold: Path
    html_dir: Path
    sources: Path | None = None  # sources.yaml whose overrides apply to these pages


def _norm(s: str | None) -> str:
    return collapse_ws(nfc(s or ""))


def load_gold(path: Path) -> list[dict]:
    rows = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except ValueError as exc:
                raise ValueError(f"{path}:{i}: invalid JSON: {exc}") from None
    return rows


def score_page(gold: dict, out: Output) -> PageScore:
    text = _norm(out.text)
    must = [_norm(s) for s in gold.get("must_contain", [])]
    must_not = [_norm(s) for s in gold.get("must_not_contain", [])]
    gdate, odate = gold.get("published"), out.published
    gauth, oauth = gold.get("author"), out.author
    if gauth:
        author_ok = bool(oauth) and _norm(gauth).casefold() in _norm(oauth).casefold()
    else:
        author_ok = not oauth
    return PageScore(
        file=gold["file"],
        title=_norm(gold.get("title")) == _norm(out.title),
        date=(gdate or "")[:10] == (odate or "")[:10],
        author=author_ok,
        found=sum(1 for s in must if s in text),
        expected=len(must),
        leaked=sum(1 for s in must_not if s in text),
        forbidden=len(must_not),
        missing=[s for s in must if s not in text],
        leaks=[s for s in must_not if s in text],
        holdout=bool(gold.get("holdout")),
    )


def summarise(details: list[PageScore]) -> dict[str, float]:
    n = len(details) or 1
    exp = sum(d.expected for d in details) or 1
    forb = sum(d.forbidden for d in details) or 1
    return {
        "title": sum(d.title for d in details) / n,
        "date": sum(d.date for d in details) / n,
        "author": sum(d.author for d in details) / n,
        "recall": sum(d.found for d in details) / exp,
        "leakage": sum(d.leaked for d in details) / forb,
    }


def run_ours(
    overrides_for: Callable[[str | None], ExtractOverrides | None], templates: bool = True
):
    """Our extractor as a runner; `templates=False` scores the general rules alone."""

    def run(html: bytes, url: str | None) -> Output:
        r = extract(html, url, overrides_for(url), templates=templates)
        text = "\n\n".join(x for x in (r.lead, r.text) if x)
        return Output(r.title, r.published, r.author, text, r.error)

    return run


def run_bare(html: bytes, url: str | None) -> Output:
    """Bare trafilatura in fast mode with metadata: the baseline we must beat."""
    try:
        d = trafilatura.bare_extraction(html, url=url, fast=True, with_metadata=True)
    except Exception as exc:  # noqa: BLE001 - a baseline crash is a zero, not a test failure
        return Output(error=str(exc))
    if d is None:
        return Output(error="no result")
    return Output(d.title or "", d.date, d.author, d.text or "")


def evaluate_set(
    gs: GoldSet, runner: Callable[[bytes, str | None], Output], repeat: int = 1
) -> SetScore:
    rows = load_gold(gs.gold)
    pages = [(r, (gs.html_dir / r["file"]).read_bytes()) for r in rows]
    details: list[PageScore] = []
    if pages:  # warm-up: lazy imports and caches are not per-page cost
        runner(pages[0][1], pages[0][0].get("url"))
    rates = []
    for i in range(max(1, repeat)):
        start = time.process_time()  # CPU time of this process: one core, load-independent
        for r, html in pages:
            out = runner(html, r.get("url"))
            if i == 0:
                details.append(score_page(r, out))
        elapsed = time.process_time() - start
        rates.append(len(pages) / elapsed if elapsed > 0 else 0.0)
    rate = statistics.median(rates)
    return SetScore(gs.name, len(pages), summarise(details), rate, details)


def compare_set(
    gs: GoldSet,
    ours: Callable[[bytes, str | None], Output],
    bare: Callable[[bytes, str | None], Output] = run_bare,
    repeat: int = 1,
) -> tuple[SetScore, SetScore]:
    """Score ours and the baseline on a gold set, timing them in turn on each page so that
    background load falls on both alike."""
    rows = load_gold(gs.gold)
    pages = [(r, (gs.html_dir / r["file"]).read_bytes()) for r in rows]
    if pages:  # warm-up: lazy imports and caches are not per-page cost
        ours(pages[0][1], pages[0][0].get("url"))
        bare(pages[0][1], pages[0][0].get("url"))
    details: dict[str, list[PageScore]] = {"ours": [], "bare": []}
    rates: dict[str, list[float]] = {"ours": [], "bare": []}
    for i in range(max(1, repeat)):
        spent = {"ours": 0.0, "bare": 0.0}
        for r, html in pages:
            for name, fn in (("ours", ours), ("bare", bare)):
                start = time.process_time()
                out = fn(html, r.get("url"))
                spent[name] += time.process_time() - start
                if i == 0:
                    details[name].append(score_page(r, out))
        for name in spent:
            rates[name].append(len(pages) / spent[name] if spent[name] > 0 else 0.0)
    ours_score, bare_score = (
        SetScore(
            gs.name, len(pages), summarise(details[n]), statistics.median(rates[n]), details[n]
        )
        for n in ("ours", "bare")
    )
    return ours_score, bare_score


def holdout_part(score: SetScore) -> SetScore | None:
    """The held-out rows of a set scored on their own (no speed figure), or None."""
    rows = [d for d in score.details if d.holdout]
    if not rows:
        return None
    return SetScore(f"{score.name}, held out", len(rows), summarise(rows), 0.0, rows)


def overrides_from_sources(path: Path | None) -> Callable[[str | None], ExtractOverrides | None]:
    """Map a page URL to its source's extract overrides from sources.yaml (None if absent)."""
    by_host: dict[str, ExtractOverrides] = {}
    if path is not None and path.exists():
        from ..config import load_sources

        for s in load_sources(path).sources:
            for host in s.scope_hosts():
                by_host[host] = s.extract

    def lookup(url: str | None) -> ExtractOverrides | None:
        host = (urlsplit(url).netloc.lower() if url else "") or ""
        return by_host.get(host) or by_host.get(host.removeprefix("www."))

    return lookup


def no_overrides(url: str | None) -> ExtractOverrides | None:
    return None


def default_sets(sample_dir: Path | None = None) -> list[GoldSet]:
    """The shared corpus (when present), our hand-written fixtures, and the sample sites."""
    sets = []
    if (CORPUS_DIR / "gold.jsonl").exists():
        sets.append(GoldSet("corpus", CORPUS_DIR / "gold.jsonl", CORPUS_DIR / "html", SOURCES_FILE))
    if (FIXTURE_DIR / "gold.jsonl").exists():
        sets.append(GoldSet("fixtures", FIXTURE_DIR / "gold.jsonl", FIXTURE_DIR))
    sample = sample_gold(sample_dir)
    if sample is not None:
        sets.append(sample)
    return sets


def set_name(gold: Path) -> str:
    """The floors key for a gold file: "corpus" / "fixtures" for ours, else its folder name."""
    known = {
        (CORPUS_DIR / "gold.jsonl").resolve(): "corpus",
        (FIXTURE_DIR / "gold.jsonl").resolve(): "fixtures",
    }
    return known.get(gold.resolve(), gold.parent.name or str(gold))


def sample_gold(out_dir: Path | None) -> GoldSet | None:
    """Render the bundled sample sites and use their gold and sources config, when available."""
    if out_dir is None:
        return None
    try:
        from ..testing.samplesites.gold import default_base_urls, render_all
        from ..testing.samplesites.sources import sources_yaml
    except ImportError:
        return None
    out_dir.mkdir(parents=True, exist_ok=True)
    render_all(out_dir)
    gold = out_dir / "gold.jsonl"
    if not gold.exists():
        return None
    sources = out_dir / "sources.yaml"
    sources.write_text(sources_yaml(default_base_urls()), encoding="utf-8")
    return GoldSet("samplesites", gold, out_dir, sources)


def format_table(
    results: Iterable[tuple[SetScore, SetScore]], failures: bool = False, all_bare: bool = False
) -> str:
    """Side-by-side table: one block per gold set, ours vs bare trafilatura (fast mode).

    With `failures`, the pages each extractor gets wrong are listed under the block (ours
    always, the baseline's only with `all_bare`, as it fails most pages on some field).
    """
    lines = []
    for ours, bare in results:
        lines.append(f"{ours.name} ({ours.pages} pages)")
        lines.append(f"  {'metric':<10}{'ours':>10}{'trafilatura':>14}")
        for m in METRICS:
            lines.append(f"  {m:<10}{ours.scores[m]:>10.3f}{bare.scores[m]:>14.3f}")
        if ours.pages_per_s and bare.pages_per_s:
            ratio = ours.pages_per_s / bare.pages_per_s
            lines.append(
                f"  {'pages/s':<10}{ours.pages_per_s:>10.1f}{bare.pages_per_s:>14.1f}"
                f"   ratio {ratio:.2f}"
            )
        if failures:
            bad = ours.failing()
            lines.append(f"  failing pages, ours: {len(bad)}" + ("" if bad else " (none)"))
            lines += [f"    {d.describe()}" for d in bad]
            bbad = bare.failing()
            lines.append(f"  failing pages, trafilatura: {len(bbad)}")
            if all_bare:
                lines += [f"    {d.describe()}" for d in bbad]
    return "\n".join(lines)


def load_floors(path: Path = FLOORS_FILE) -> dict[str, dict[str, float]]:
    """Per gold set, the pinned floor of each metric; keys starting with "_" are comments."""
    if not path.exists():
        return {}
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {k: v for k, v in raw.items() if not k.startswith("_")}


def below_floor(score: SetScore, floors: dict[str, float]) -> list[str]:
    """Metrics that fell below their floor (leakage: rose above its ceiling)."""
    bad = []
    for m, limit in floors.items():
        if m not in score.scores:
            continue
        v = score.scores[m]
        if (m == "leakage" and v > limit + 1e-9) or (m != "leakage" and v < limit - 1e-9):
            bad.append(f"{score.name}.{m} = {v:.3f} (floor {limit})")
    return bad
