"""A site hook as docs/sources.md describes one, used by the tests: the article of a page that
renders with JavaScript sits in a JSON blob, where no CSS selector reaches it."""

from __future__ import annotations

import json
import re

from ingest.models import Extracted

BLOB = re.compile(rb'<script type="application/json" id="du-lieu">(.*?)</script>', re.S)


def json_article(ex: Extracted, body: bytes, url: str) -> Extracted | None:
    """The title and paragraphs of the page's `du-lieu` blob, when generic extraction found none."""
    if ex.ok:
        return None
    m = BLOB.search(body)
    if not m:
        return None
    data = json.loads(m.group(1))
    return Extracted(
        title=data["title"],
        text="\n\n".join(data["body"]),
        published=data.get("published"),
        language="vi",
        field_sources={"title": "hook", "text": "hook", "published": "hook"},
    )
