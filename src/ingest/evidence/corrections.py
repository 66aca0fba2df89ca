"""`corrections.yaml`: the monitoring team's review of the tagger, kept in the repository.

A reviewer may exclude an article from one initiative, from one agency or from the whole
knowledge base (a Talent-TV final tagged as the design festival because the winners exhibit
there), or add a tag the tagger missed, quoting the sentence that proves it. Every entry says
why and who decided. The file is reviewed like code; `ingest correct` writes entries for those
who do not edit YAML.

This module parses and validates the file (pure: text in, `Correction`s or `CorrectionsError`
out, with the line of each problem), checks entries against a knowledge base (the article must
exist, a quote must be in its text), and keeps the `corrections` table in step with the file.
Enforcing the table on the tags is `ingest.store.corrections`, which `save_article` calls, so
corrections survive every reload and reprocess.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import sqlite_utils
import yaml

from ..crawl.urls import canonicalize
from ..store.corrections import (
    ACTIONS,
    ADD_ACTIONS,
    apply_corrections,
    find_quote,
    has_table,
    withdraw_correction,
)

KEYS = ("url", "action", "initiative", "agency", "evidence", "reason", "reviewer", "date")
HEADER = """\
# Corrections by the monitoring team, applied at every load and reprocess (docs/evidence-report.md).
# Reviewed like code: each entry says what to change, why, and who decided.
#   action: exclude_initiative | exclude_agency | exclude_article | add_initiative | add_agency
#   initiative / agency: the taxonomy id (not for exclude_article)
#   evidence: add_* only, the exact sentence of the article proving the tag
#   reason, reviewer: required; date: YYYY-MM-DD, when it was decided
corrections:
"""


class CorrectionsError(ValueError):
    """One or more problems in corrections.yaml, one per line of the message."""

    def __init__(self, problems: list[str], path: str = "corrections.yaml") -> None:
        self.problems = problems
        super().__init__("\n".join(f"{path}: {p}" for p in problems))


@dataclass(frozen=True)
class Correction:
    url: str
    action: str
    label_id: str  # initiative or agency id; '' for exclude_article
    reason: str
    reviewer: str
    evidence: str | None = None
    reviewed_on: str | None = None
    line: int | None = field(default=None, compare=False)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.url, self.action, self.label_id)

    @property
    def label_kind(self) -> str | None:
        if self.action == "exclude_article":
            return None
        return "agency" if self.action.endswith("agency") else "initiative"

    def where(self) -> str:
        return f"line {self.line}" if self.line else self.url


def parse(text: str, path: str = "corrections.yaml") -> list[Correction]:
    """The entries of a corrections file; every structural problem reported at once."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CorrectionsError([f"not valid YAML: {exc}"], path) from None
    if data is None:
        return []
    if not isinstance(data, dict) or set(data) - {"corrections"}:
        raise CorrectionsError(["the file must be a mapping with one key, corrections"], path)
    items = data.get("corrections") or []
    if not isinstance(items, list):
        raise CorrectionsError(["corrections must be a list of entries"], path)
    nodes = _entry_nodes(root)
    problems: list[str] = []
    out: list[Correction] = []
    for n, item in enumerate(items):
        node = nodes[n] if n < len(nodes) else None
        line = node.start_mark.line + 1 if node is not None else None
        where = f"line {line}" if line else f"entry {n + 1}"
        if node is not None:
            problems += [f"{where}: {p}" for p in _duplicate_keys(node)]
        try:
            out.append(_entry(item, line))
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
    problems += _conflicts(out)
    if problems:
        raise CorrectionsError(problems, path)
    return out


def load_file(path: str | Path) -> list[Correction] | None:
    """The file's entries, or None when there is no such file."""
    p = Path(path)
    if not p.is_file():
        return None
    return parse(p.read_text(encoding="utf-8"), str(path))


def check_labels(
    corrections: list[Correction], initiatives: set[str], agencies: set[str]
) -> list[str]:
    """Problems with taxonomy ids: each tag named must exist."""
    problems = []
    for c in corrections:
        known = initiatives if c.label_kind == "initiative" else agencies
        if c.label_kind and c.label_id not in known:
            problems.append(
                f"{c.where()}: unknown {c.label_kind} {c.label_id!r}"
                f" (known: {', '.join(sorted(known))})"
            )
    return problems


def check_against(db: sqlite_utils.Database, corrections: list[Correction]) -> list[str]:
    """Problems against a knowledge base: unknown ids, unknown article URLs, quotes not found."""
    problems = check_labels(corrections, *_taxonomy_ids(db))
    for c in corrections:
        article = find_article(db, c.url)
        if article is None:
            problems.append(f"{c.where()}: unknown article URL {c.url} (not in the knowledge base)")
        elif c.action in ADD_ACTIONS and find_quote(article, c.evidence or "") is None:
            problems.append(
                f"{c.where()}: quote not in the text of article {article['id']}: {c.evidence!r}"
            )
    return problems


@dataclass
class SyncResult:
    applied: int = 0
    pending: list[str] = field(default_factory=list)  # URLs not in the knowledge base yet
    invalid: list[str] = field(default_factory=list)  # entries that cannot apply, and why
    withdrawn: int = 0


def sync(db: sqlite_utils.Database, corrections: list[Correction]) -> SyncResult:
    """Make the `corrections` table and the tags say what the file says, in one transaction.

    Entries whose article is not crawled yet stay pending and apply when it is loaded. Entries
    no longer in the file are withdrawn (the tagger's rows restored). Unknown taxonomy ids are
    refused before anything is written.
    """
    problems = check_labels(corrections, *_taxonomy_ids(db))
    if problems:
        raise CorrectionsError(problems)
    result = SyncResult()
    wanted = {c.key: c for c in corrections}
    with db.atomic():
        existing = _table_rows(db)
        for key, row in existing.items():
            if key not in wanted:
                withdraw_correction(db, row)
                result.withdrawn += 1
        for c in corrections:
            db.execute(
                "insert into corrections (url, action, label_id, evidence, reason, reviewer,"
                " reviewed_on) values (?, ?, ?, ?, ?, ?, ?) on conflict (url, action, label_id)"
                " do update set evidence = excluded.evidence, reason = excluded.reason,"
                " reviewer = excluded.reviewer, reviewed_on = excluded.reviewed_on",
                [c.url, c.action, c.label_id, c.evidence, c.reason, c.reviewer, c.reviewed_on],
            )
        articles: dict[int, None] = {}
        for c in corrections:
            article = find_article(db, c.url)
            if article is None:
                result.pending.append(c.url)
            else:
                articles[article["id"]] = None
        for article_id in articles:
            result.applied += apply_corrections(db, article_id)
        for row in _table_rows(db).values():
            if row["status"] == "invalid":
                result.invalid.append(f"{row['url']} {row['action']}: {row['problem']}")
    return result


def sync_file(db: sqlite_utils.Database, path: str | Path) -> SyncResult | None:
    """`sync` from a file; None (and nothing changed) when the file does not exist."""
    corrections = load_file(path)
    if corrections is None:
        return None
    return sync(db, corrections)


def find_article(db: sqlite_utils.Database, url: str) -> dict[str, Any] | None:
    if not _has_articles(db):
        return None
    cur = db.execute(
        "select id, url, title, lead, text from articles where url = ? or canonical_url = ?"
        " order by url = ? desc limit 1",
        [url, url, url],
    )
    row = cur.fetchone()
    return dict(zip([c[0] for c in cur.description], row, strict=True)) if row else None


def applied_for(db: sqlite_utils.Database, article_ids: list[int]) -> dict[int, list[dict]]:
    """Applied corrections per article id (for the report and the article page)."""
    if not article_ids or not has_table(db):
        return {}
    out: dict[int, list[dict]] = {}
    marks = ", ".join("?" for _ in article_ids)
    cur = db.execute(
        "select article_id, action, label_id, evidence, reason, reviewer, reviewed_on, removed"
        f" from corrections where status = 'applied' and article_id in ({marks}) order by id",
        list(article_ids),
    )
    cols = [c[0] for c in cur.description]
    for r in cur.fetchall():
        row = dict(zip(cols, r, strict=True))
        out.setdefault(row["article_id"], []).append(row)
    return out


# ---------------------------------------------------------------------------------------------
# Writing entries (`ingest correct`)
# ---------------------------------------------------------------------------------------------


def entry_yaml(c: Correction) -> str:
    """One entry as a block of the `corrections:` list."""
    item: dict[str, Any] = {"url": c.url, "action": c.action}
    if c.label_kind:
        item[c.label_kind] = c.label_id
    if c.evidence:
        item["evidence"] = c.evidence
    item["reason"] = c.reason
    item["reviewer"] = c.reviewer
    if c.reviewed_on:
        item["date"] = date.fromisoformat(c.reviewed_on)
    dumped = yaml.safe_dump([item], allow_unicode=True, sort_keys=False, width=100)
    return "".join("  " + line if line.strip() else line for line in dumped.splitlines(True))


def append_entry(text: str, c: Correction) -> str:
    """The file's text with `c` appended (comments kept); refuses an entry already there."""
    before = parse(text) if text.strip() else []
    if any(b.key == c.key for b in before):
        raise CorrectionsError([f"an entry for {c.url} {c.action} {c.label_id} already exists"])
    body = text if text.strip() else HEADER
    body = body.replace("corrections: []", "corrections:")
    if not body.endswith("\n"):
        body += "\n"
    new = body + entry_yaml(c)
    after = parse(new)
    if [a.key for a in after] != [b.key for b in before] + [c.key]:
        raise CorrectionsError(["could not append the entry without changing the others"])
    return new


def write_atomically(path: str | Path, text: str) -> None:
    p = Path(path)
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _entry(item: Any, line: int | None) -> Correction:
    if not isinstance(item, dict):
        raise ValueError("an entry must be a mapping (url:, action:, reason:, reviewer:, ...)")
    unknown = sorted(set(map(str, item)) - set(KEYS))
    if unknown:
        raise ValueError(f"unknown key(s) {', '.join(unknown)} (allowed: {', '.join(KEYS)})")
    url = _text(item, "url")
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"url must be an http(s) address, not {url!r}")
    action = _text(item, "action")
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r} (choose {', '.join(ACTIONS)})")
    kind = None if action == "exclude_article" else action.rsplit("_", 1)[1]
    other = {"initiative": "agency", "agency": "initiative"}
    if kind is None:
        for k in ("initiative", "agency"):
            if k in item:
                raise ValueError(f"exclude_article takes no {k} (it removes every tag)")
        label = ""
    else:
        label = _text(item, kind)
        if other[kind] in item:
            raise ValueError(f"{action} takes {kind}:, not {other[kind]}:")
    evidence = None
    if action in ADD_ACTIONS:
        evidence = _text(item, "evidence")
    elif "evidence" in item:
        raise ValueError("evidence is only for add_initiative and add_agency")
    reviewed_on = None
    value = item.get("date")
    if isinstance(value, date):
        reviewed_on = value.isoformat()[:10]
    elif value is not None:
        try:
            reviewed_on = date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise ValueError(f"date must be YYYY-MM-DD, not {value!r}") from None
    return Correction(
        url=canonicalize(url),
        action=action,
        label_id=label,
        reason=_text(item, "reason"),
        reviewer=_text(item, "reviewer"),
        evidence=evidence,
        reviewed_on=reviewed_on,
        line=line,
    )


def _text(item: dict, key: str) -> str:
    value = item.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(f"{key} is required")
    if not isinstance(value, str):
        raise ValueError(f"{key} must be text, not {value!r}")
    return value.strip()


def _entry_nodes(root: Any) -> list[Any]:
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if key.value == "corrections" and isinstance(value, yaml.SequenceNode):
            return list(value.value)
    return []


def _duplicate_keys(node: Any) -> list[str]:
    if not isinstance(node, yaml.MappingNode):
        return []
    seen: set[str] = set()
    dupes = []
    for key, _ in node.value:
        if key.value in seen:
            dupes.append(f"key {key.value!r} given twice (YAML keeps only the last one)")
        seen.add(key.value)
    return dupes


def _conflicts(corrections: list[Correction]) -> list[str]:
    problems = []
    seen: dict[tuple[str, str, str], Correction] = {}
    by_url: dict[str, list[Correction]] = {}
    for c in corrections:
        if c.key in seen:
            problems.append(f"{c.where()}: same correction as {seen[c.key].where()}")
        seen[c.key] = c
        by_url.setdefault(c.url, []).append(c)
    for url, entries in by_url.items():
        actions = {(c.action, c.label_id) for c in entries}
        if ("exclude_article", "") in actions and len(entries) > 1:
            problems.append(f"{entries[-1].where()}: {url} is excluded whole; no other entry")
        for kind in ("initiative", "agency"):
            both = {lab for a, lab in actions if a == f"exclude_{kind}"} & {
                lab for a, lab in actions if a == f"add_{kind}"
            }
            for label in sorted(both):
                problems.append(f"{entries[-1].where()}: {url} both excludes and adds {label}")
    return problems


def _taxonomy_ids(db: sqlite_utils.Database) -> tuple[set[str], set[str]]:
    return (
        {r[0] for r in db.execute("select id from initiatives").fetchall()},
        {r[0] for r in db.execute("select id from agencies").fetchall()},
    )


def _has_articles(db: sqlite_utils.Database) -> bool:
    return db.execute("select 1 from sqlite_master where name = 'articles'").fetchone() is not None


def _table_rows(db: sqlite_utils.Database) -> dict[tuple[str, str, str], dict]:
    if not has_table(db):
        return {}
    cur = db.execute("select * from corrections order by id")
    cols = [c[0] for c in cur.description]
    rows = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    return {(r["url"], r["action"], r["label_id"]): r for r in rows}
