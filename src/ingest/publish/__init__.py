"""Stage 6, publish: the knowledge base served by Datasette, for researchers and the report team.

Takes the database (read-only) and gives Datasette with the `ingest_vn` plugin: Vietnamese
search with or without diacritics, the article page with its evidence marked, the archived copy,
the evidence report page, named id-list facets, and the smoke check the nightly run ends with.

- `settings`: how the knowledge base is served (Datasette settings, command line, database name).
- `smoke`: the publish check: open the database as `ingest serve` does and fetch key pages.
- `plugin`: hook registrations only. `sql_functions`: vn_fold, vn_fts_query, vn_passage,
  vn_exact_score, vn_date_from/vn_date_to.
- `search_query`: the query language (phrases, prefixes, OR, exclusions) → FTS5 expressions.
- `passages`: match spans, the best passage, and the escaped <mark> highlighting.
- `search_rank`: typed diacritics first, the phrase and all-words tiers counted.
  `suggest`: an English query → the taxonomy's Vietnamese terms.
- `facets`: id-list facets and filters by name, through the link tables; years and months in
  time order. `labels`: id → name. `cells`: names, links and yes/no in table cells.
- `csv_export`, `feeds`: CSV downloads (BOM, formula guard, name columns), feed titles.
- `templating`, `query_form`, `table_vars`, `dashboard_vars`, `navigation`: our templates
  and what they show (canned-query choices, filters by name, dashboard filters, the menu).
- `pages`: the search, article and archive pages (`article_view`: the citation lines).
  `report_page`: the evidence report page. `timeline_page`: the activity timeline.
- `errors`: 4xx answered without a traceback on the console.

Importing this package does not import Datasette; `plugin` and the page modules do.
"""

from .settings import METADATA_PATH, datasette_args, load_metadata, settings_dict
from .smoke import smoke_check

__all__ = ["METADATA_PATH", "datasette_args", "load_metadata", "settings_dict", "smoke_check"]
