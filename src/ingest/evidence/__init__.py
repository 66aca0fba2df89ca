"""Stage 5, evidence: what the monitoring team cites, built from the stored articles.

Takes the loaded rows (articles, tags, the raw archive) and gives `stories` (the same event
across outlets, with copies told apart from independent coverage), provenance checks of the
archived copies, and the evidence report for an initiative and a period (md, html, csv, docx).
Reads the database and the archive; `stories` is the only part that writes (its own tables).

- `stories`: MinHash/LSH clustering of articles into stories (datasketch).
- `provenance`: where an article's archived copy is, and whether it still matches its hash.
- `report`: the report's content (sections, stories, quotes, counts) from the database.
- `render`: that content as Markdown, HTML, CSV and DOCX, with charts.
"""

from .provenance import archive_text, default_raw_dir, provenance, verify_archive, warc_location
from .report import ReportQuery, build_report, parse_period, unassigned_articles
from .stories import assign_stories, rebuild_stories

__all__ = [
    "ReportQuery",
    "archive_text",
    "assign_stories",
    "build_report",
    "default_raw_dir",
    "parse_period",
    "provenance",
    "rebuild_stories",
    "unassigned_articles",
    "verify_archive",
    "warc_location",
]
