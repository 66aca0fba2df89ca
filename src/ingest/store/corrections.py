"""Reviewers' corrections enforced on the stored rows, every time an article is written.

The `corrections` table holds what `corrections.yaml` says (`ingest.evidence.corrections`
validates the file and keeps the table in step with it). This module makes the tags agree with
it: `apply_corrections` runs inside `save_article`, right after the tagger wrote its tags, so a
correction survives every nightly reload and every `ingest reprocess`, in the same transaction.

A correction removes rows rather than hiding them behind a flag: the evidence queries, the Atom
feeds, the facets and the report all read the tag tables, so none of them can forget to honour
it. What was removed is kept in `corrections.removed`, so withdrawing an entry from the file
puts the tagger's rows back exactly (`withdraw_correction`).
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import sqlite_utils

from ..clock import now_vn

EXCLUDE_ACTIONS = ("exclude_initiative", "exclude_agency", "exclude_article")
ADD_ACTIONS = ("add_initiative", "add_agency")
ACTIONS = EXCLUDE_ACTIONS + ADD_ACTIONS
RULE = "correction"  # article_*.rule and tagger_version of a tag a reviewer added
FIELDS = ("title", "lead", "text")
_TAG_TABLES = {"initiative": ("article_initiatives", "initiative_id", "initiative_ids")}
_TAG_TABLES["agency"] = ("article_agencies", "agency_id", "agency_ids")


def _kind(action: str) -> str:
    return "agency" if action.endswith("agency") else "initiative"


def _rows(db: sqlite_utils.Database, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cur = db.execute(sql, params)
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def has_table(db: sqlite_utils.Database) -> bool:
    return (
        db.execute(
            "select 1 from sqlite_master where type = 'table' and name = 'corrections'"
        ).fetchone()
        is not None
    )


def find_quote(article: dict[str, Any], quote: str) -> tuple[str, int, int] | None:
    """(field, start, end) of the first exact occurrence of `quote` (NFC) in title, lead, text."""
    q = unicodedata.normalize("NFC", quote.strip())
    if not q:
        return None
    for name in FIELDS:
        value = article.get(name) or ""
        at = value.find(q)
        if at >= 0:
            return name, at, at + len(q)
    return None


def apply_corrections(db: sqlite_utils.Database, article_id: int, *, fresh: bool = False) -> int:
    """Make one article's tags and relevance agree with its corrections; returns how many apply.

    `fresh`: the tagger has just rewritten this article's tags (a load or a reprocess), so what
    a correction removes now replaces what it removed before; otherwise an earlier record of
    what was removed is kept when there is nothing left to remove.
    """
    if not has_table(db):
        return 0
    art = _rows(
        db,
        "select id, url, canonical_url, title, lead, text, relevant from articles where id = ?",
        [article_id],
    )
    if not art:
        return 0
    article = art[0]
    urls = [u for u in {article["url"], article["canonical_url"]} if u]
    marks = ", ".join("?" for _ in urls)
    entries = _rows(
        db,
        f"select * from corrections where url in ({marks})"
        " order by case when action like 'exclude%' then 0 else 1 end, id",
        urls,
    )
    now = now_vn().replace(microsecond=0).isoformat()
    applied = 0
    for entry in entries:
        removed: dict[str, Any] = {}
        status, problem = "applied", None
        action, label = entry["action"], entry["label_id"]
        if action == "exclude_article":
            if article["relevant"]:
                removed["relevant"] = article["relevant"]
                db.execute("update articles set relevant = 0 where id = ?", [article_id])
                article["relevant"] = 0
            for kind, (table, _, _) in _TAG_TABLES.items():
                taken = _take(db, table, "article_id = ?", [article_id])
                if taken:
                    removed[kind] = taken
        elif action in EXCLUDE_ACTIONS:
            table, key, _ = _TAG_TABLES[_kind(action)]
            taken = _take(db, table, f"article_id = ? and {key} = ?", [article_id, label])
            if taken:
                removed[_kind(action)] = taken
        else:
            found = find_quote(article, entry["evidence"] or "")
            if found is None:
                status, problem = "invalid", "quote not in the article text"
            else:
                removed = _add_tag(db, article, _kind(action), label, found)
        if removed or fresh or entry["removed"] is None:
            keep = json.dumps(removed, ensure_ascii=False)
        else:
            keep = entry["removed"]
        db.execute(
            "update corrections set article_id = ?, status = ?, problem = ?, removed = ?,"
            " applied_at = ? where id = ?",
            [article_id, status, problem, keep, now, entry["id"]],
        )
        applied += status == "applied"
    if entries:
        refresh_label_ids(db, article_id)
    return applied


def withdraw_correction(db: sqlite_utils.Database, entry: dict[str, Any]) -> None:
    """Undo one applied correction (its entry left corrections.yaml) and delete its row."""
    article_id = entry.get("article_id")
    if article_id is not None and entry.get("status") == "applied":
        removed = json.loads(entry.get("removed") or "{}")
        if entry["action"] in ADD_ACTIONS:
            table, key, _ = _TAG_TABLES[_kind(entry["action"])]
            db.execute(
                f"delete from {table} where article_id = ? and {key} = ? and rule = ?",
                [article_id, entry["label_id"], RULE],
            )
        for kind, (table, _, _) in _TAG_TABLES.items():
            rows = removed.get(kind) or []
            if rows:
                db[table].insert_all(rows, replace=True)
        if "relevant" in removed:
            db.execute(
                "update articles set relevant = ? where id = ?", [removed["relevant"], article_id]
            )
        refresh_label_ids(db, article_id)
    db.execute("delete from corrections where id = ?", [entry["id"]])


def refresh_label_ids(db: sqlite_utils.Database, article_id: int) -> None:
    """articles.initiative_ids / agency_ids (the facet arrays) from the tag tables."""
    for table, key, column in _TAG_TABLES.values():
        ids = [
            r[0]
            for r in db.execute(
                f"select {key} from {table} where article_id = ? order by {key}", [article_id]
            ).fetchall()
        ]
        db.execute(f"update articles set {column} = ? where id = ?", [json.dumps(ids), article_id])


def _take(db: sqlite_utils.Database, table: str, where: str, params: list[Any]) -> list[dict]:
    """Delete the matching tag rows and return them as they were."""
    rows = _rows(db, f"select * from {table} where {where}", params)
    if rows:
        db.execute(f"delete from {table} where {where}", params)
    return rows


def _add_tag(
    db: sqlite_utils.Database,
    article: dict[str, Any],
    kind: str,
    label: str,
    found: tuple[str, int, int],
) -> dict[str, Any]:
    """Write the reviewer's tag in place of the tagger's (kept in `removed`)."""
    table, key, _ = _TAG_TABLES[kind]
    removed: dict[str, Any] = {}
    replaced = _take(db, table, f"article_id = ? and {key} = ?", [article["id"], label])
    if replaced and replaced[0].get("rule") != RULE:
        removed[kind] = replaced
    field, start, end = found
    db[table].insert(
        {
            "article_id": article["id"],
            key: label,
            "evidence": (article.get(field) or "")[start:end],
            "field": field,
            "start": start,
            "end": end,
            "rule": RULE,
            "tagger_version": RULE,
        }
    )
    if kind == "initiative" and not article["relevant"]:
        removed["relevant"] = article["relevant"]
        db.execute("update articles set relevant = 1 where id = ?", [article["id"]])
        article["relevant"] = 1
    return removed
