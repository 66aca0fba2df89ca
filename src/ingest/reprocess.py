"""Re-run extraction and tagging from the raw archive, with no network.

Used after a taxonomy edit or an extractor fix: every stored article is read back from its WARC
record and goes through the same stage functions as a fresh crawl.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import sqlite_utils

from .config import SourcesFile
from .crawl.archive import read_record
from .evidence.corrections import sync_file
from .models import ArticleRecord, FetchResult
from .stages import extract_and_tag, taxonomy_for
from .store.load import save_article


def reprocess(
    db: sqlite_utils.Database,
    cfg: SourcesFile,
    taxonomy_path: str,
    raw_dir: str | Path,
    *,
    source_id: str | None = None,
    article_ids: list[int] | None = None,
    batch: int = 200,
    corrections_path: str | Path | None = None,
) -> Counter:
    """Re-extract and re-tag the stored articles; the reviewers' corrections (synced from
    `corrections_path` first, when given) are re-applied to each one as it is saved."""
    if corrections_path is not None:
        sync_file(db, corrections_path)
    taxonomy = taxonomy_for(str(taxonomy_path))
    where, params = ["warc_file is not null"], []
    if source_id:
        where.append("source_id = ?")
        params.append(source_id)
    if article_ids:
        where.append(f"id in ({','.join('?' for _ in article_ids)})")
        params += article_ids
    rows = list(
        db.query(
            f"select id, url, source_id, fetched_at, http_status, raw_sha256, warc_file, warc_offset,"
            f" warc_record_id from articles where {' and '.join(where)} order by id",
            params,
        )
    )
    counts: Counter = Counter()
    sources = {s.id: s for s in cfg.sources}
    for i in range(0, len(rows), batch):
        with db.atomic():
            for row in rows[i : i + batch]:
                source = sources.get(row["source_id"])
                if source is None:
                    counts["unknown_source"] += 1
                    continue
                try:
                    stored = read_record(raw_dir, row["warc_file"], row["warc_offset"])
                except (OSError, ValueError) as exc:
                    counts["archive_missing"] += 1
                    print(f"article {row['id']}: archive unreadable ({exc})")
                    continue
                fetch = FetchResult(
                    url=row["url"],
                    final_url=stored.url or row["url"],
                    status=row["http_status"],
                    body=stored.body,
                    fetched_at=row["fetched_at"],
                    raw_sha256=row["raw_sha256"],
                    warc_file=row["warc_file"],
                    warc_offset=row["warc_offset"],
                    warc_record_id=row["warc_record_id"],
                )
                rec = ArticleRecord(source_id=source.id, url=row["url"], fetch=fetch)
                extract_and_tag(rec, source, taxonomy)
                if rec.extracted is None or not rec.extracted.ok:
                    counts["extract_failed"] += 1
                    continue
                _, status = save_article(db, rec, source)
                counts[status] += 1
    return counts
