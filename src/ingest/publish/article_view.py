"""What the article page adds to the article's row: the ready-to-paste citation lines.

They are the evidence report's (`ingest.evidence.citation`), with the same absolute archive
link, so an article is cited in the same words on its page and in the dossier.
"""

from __future__ import annotations

from typing import Any

from ..evidence.citation import archive_url, citation


def citations(article: dict[str, Any], archived: bool, base: str) -> dict[str, str]:
    """{"vi": …, "en": …} for the article row (joined with its outlet's name)."""
    archive = archive_url(base, article["id"]) if archived else None
    fields = {
        "outlet": article.get("outlet") or article.get("source_id") or "",
        "title": article.get("title") or article.get("url") or "",
        "published": article.get("published"),
        "url": article.get("url") or "",
        "fetched_at": article.get("fetched_at"),
        "archive": archive,
    }
    return {lang: citation(**fields, lang=lang) for lang in ("vi", "en")}
