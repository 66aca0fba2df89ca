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

import importlib
from typing import Any

# Resolved on first use (PEP 562): `ingest report --help`, the plugin's date parameters and the
# citation lines import one light module each, not the clustering (datasketch, scipy) and the
# report builder behind these names. (`provenance()` is reached through its module,
# `ingest.evidence.provenance`: once imported, the submodule owns that attribute of the package.)
_EXPORTS = {
    "DateError": "period",
    "parse_bound": "period",
    "parse_period": "period",
    "archive_text": "provenance",
    "default_raw_dir": "provenance",
    "verify_archive": "provenance",
    "warc_location": "provenance",
    "ReportQuery": "report",
    "build_report": "report",
    "unassigned_articles": "report",
    "assign_stories": "stories",
    "rebuild_stories": "stories",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
