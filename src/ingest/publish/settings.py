"""How the knowledge base is served: one place for Datasette's settings and command line.

`ingest serve`, the tests and the publishing docs all use these values, so the instance
researchers open locally behaves like the published one (same time limit, same page sizes,
same streaming exports).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..paths import REPO_ROOT

METADATA_PATH = REPO_ROOT / "metadata.yml"
# The plugin's section in metadata.yml (`plugins: ingest_vn: database: ...`).
PLUGIN_NAME = "ingest_vn"
DEFAULT_DATABASE = "kb"

# Why each value:
# - sql_time_limit_ms: a public instance must not let one query hold a thread; 3 s is ample for
#   the canned queries on 100k articles (see benchmarks/bench_search.py).
# - facet_time_limit_ms: a facet that runs out of time silently disappears; the array facets
#   (initiative_ids, agency_ids) parse JSON on every row, ~0.5 s per facet at 100k articles.
# - max_returned_rows / default_page_size: readable pages; full exports stream with _stream=on.
# - allow_csv_stream: "CSV of everything" for any table, facet selection or canned query.
# - suggest_facets off: the configured facets are the useful ones, suggestions cost time.
# - truncate_cells_html: article bodies would otherwise make table pages unreadable.
SETTINGS: dict[str, Any] = {
    "sql_time_limit_ms": 3000,
    "facet_time_limit_ms": 1500,
    "max_returned_rows": 5000,
    "default_page_size": 50,
    "allow_csv_stream": True,
    "max_csv_mb": 200,
    "allow_facet": True,
    "suggest_facets": False,
    "truncate_cells_html": 300,
    "allow_download": False,
    "default_cache_ttl": 300,
    "num_sql_threads": 4,
}


def _setting_value(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def load_metadata(path: Path = METADATA_PATH) -> dict[str, Any]:
    """metadata.yml as a dict, for building a Datasette instance in-process (tests, benchmarks)."""
    import yaml

    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def datasette_args(
    db_path: str | Path,
    port: int = 8001,
    *,
    host: str = "127.0.0.1",
    metadata: str | Path = METADATA_PATH,
    immutable: bool = False,
) -> list[str]:
    """Arguments after `datasette` to serve the knowledge base read-only.

    The database is served as `kb` because the file is kb.db; metadata, canned queries, feeds
    and dashboards refer to that name. Templates and static files come with the `ingest_vn`
    plugin (installed via the package entry point), so no --template-dir is needed.
    """
    # immutable (-i): for a published copy nothing will write to again; a database the nightly
    # run writes to must be served mutable (read-only all the same: nothing writes through
    # the site), or its readers would miss the WAL and see a stale or torn file
    target = ["-i", str(db_path)] if immutable else [str(db_path)]
    args = ["serve", *target, "--host", host, "--port", str(port), "--metadata", str(metadata)]
    for name, value in SETTINGS.items():
        args += ["--setting", name, _setting_value(value)]
    return args


def settings_dict() -> dict[str, Any]:
    """The same settings for `Datasette(settings=...)` in tests and benchmarks."""
    return dict(SETTINGS)


def kb_database_name(datasette: Any) -> str:
    """The database the pages read: the configured one, else the first that is not internal."""
    from datasette.utils.asgi import NotFound

    config = datasette.plugin_config(PLUGIN_NAME) or {}
    name = config.get("database") or DEFAULT_DATABASE
    if name in datasette.databases:
        return name
    for candidate in datasette.databases:
        if candidate != "_internal":
            return candidate
    raise NotFound("no database")
