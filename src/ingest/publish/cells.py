"""How cells read in Datasette's tables and canned queries: names where there are ids, links
where there is an article or a story, yes/no where there is 1/0. Ids stay in the data, the
URLs and the JSON (and every value is escaped: these are crawled strings).

- an id list (`initiative_ids`, `agency_ids`, `organiser_ids`, `partner_ids`, `source_ids`,
  `stories.outlets`) shows the names, each with its id on hover;
- `article_id`, `first_article_id`, `quote_article_id` in a canned query (and `first_article_id`
  in `stories`, which has no foreign key) link to the readable article page, `story_id` in a
  canned query to the story;
- `articles.title` links to the article page, `articles.relevant` reads có / yes, không / no.
"""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup, escape

from . import labels
from .settings import PLUGIN_NAME

ID_LISTS = {
    "initiative_ids": "initiatives",
    "agency_ids": "agencies",
    "organiser_ids": "agencies",
    "partner_ids": "agencies",
    "source_ids": "sources",
    "outlets": "sources",
}
ARTICLE_COLUMNS = {"article_id", "first_article_id", "quote_article_id"}
# tables whose columns of these names are foreign keys Datasette already links to the row
LINKED_BY_DATASETTE = {
    "article_initiatives",
    "article_agencies",
    "activity_facts",
    "activities",
    "story_signatures",
    "frontier",
    "corrections",
    "articles",
}


def _id_list(value: Any) -> list[str] | None:
    if not isinstance(value, str) or not value.startswith("["):
        return None
    try:
        ids = json.loads(value)
    except ValueError:
        return None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        return None
    return ids


def _link(href: str, text: Any, cls: str) -> Markup:
    return Markup(f'<a class="{cls}" href="{escape(href)}">{escape(text)}</a>')


async def _names(value: Any, column: str, database: str, datasette: Any) -> Markup | None:
    ids = _id_list(value)
    if ids is None:
        return None
    names = await labels.names(datasette.get_database(database), ID_LISTS[column])
    parts = [
        f'<span class="kb-name" title="{escape(i)}">{escape(names.get(i, i))}</span>' for i in ids
    ]
    return Markup('<span class="kb-names">' + "; ".join(parts) + "</span>")


def _yes_no(value: Any, datasette: Any) -> Markup | None:
    words = ((datasette.plugin_config(PLUGIN_NAME) or {}).get("value_labels") or {}).get(
        "relevant"
    ) or {}
    word = words.get(value) if isinstance(value, int) else None
    if word is None:
        return None
    return Markup(f'<span class="kb-yes-no kb-relevant-{int(value)}">{escape(word)}</span>')


async def render(
    row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any
) -> Markup | None:
    """The cell's HTML, or None to let Datasette render it."""
    if value is None:
        return None
    if table == "articles" and column == "title" and isinstance(value, str):
        try:
            article_id = int(row["id"])
        except (KeyError, IndexError, TypeError, ValueError):
            return None
        return _link(datasette.urls.path(f"/-/article/{article_id}"), value, "kb-article-link")
    if table == "articles" and column == "relevant":
        return _yes_no(value, datasette)
    if column in ID_LISTS and (column != "outlets" or table in (None, "stories")):
        return await _names(value, column, database, datasette)
    linked = table in LINKED_BY_DATASETTE
    if column in ARTICLE_COLUMNS and not linked and isinstance(value, int):
        return _link(datasette.urls.path(f"/-/article/{value}"), value, "kb-article-link")
    if column == "story_id" and table is None and isinstance(value, int):
        return _link(datasette.urls.row(database, "stories", str(value)), value, "kb-story-link")
    return None
