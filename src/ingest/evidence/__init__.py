"""Stage 5, evidence: what the monitoring team cites, built from the stored articles.

Takes the loaded rows (articles, tags, the raw archive) and gives `stories` (the same event
across outlets, with copies told apart from independent coverage), provenance checks of the
archived copies, the reviewers' corrections, and the evidence report for an initiative and a
period (md, html, csv, json, docx). Reads the database and the archive; `stories` and
`corrections` are the only parts that write (their own tables, and the tags a correction
changes).

- `stories`: MinHash/LSH clustering of articles into stories (datasketch).
- `provenance`: where an article's archived copy is, and whether it still matches its hash;
  `snapshot`: the archived page saved as HTML and PDF for a dossier.
- `corrections`: corrections.yaml parsed, validated and kept in step with the database.
- `period`: the one date convention (2023, 2023-11, 2023-11-11, 11/11/2023).
- `report`: the report's content (sections, stories, quotes, counts) from the database;
  `citation`: how one article is cited.
- `render` (+ `render_md`, `render_html`, `render_csv`, `render_docx`, `chart`, `labels`):
  that content in every format.
"""

from .period import DateError, parse_bound, parse_period
from .provenance import archive_text, default_raw_dir, provenance, verify_archive, warc_location
from .report import ReportQuery, build_report, unassigned_articles
from .stories import assign_stories, rebuild_stories

__all__ = [
    "DateError",
    "ReportQuery",
    "archive_text",
    "assign_stories",
    "build_report",
    "default_raw_dir",
    "parse_bound",
    "parse_period",
    "provenance",
    "rebuild_stories",
    "unassigned_articles",
    "verify_archive",
    "warc_location",
]
