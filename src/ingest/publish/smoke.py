"""Publish stage: a Datasette smoke check before anyone is told the knowledge base is ready."""

from __future__ import annotations

from pathlib import Path

from ..crawl.asyncrun import run
from .settings import METADATA_PATH, load_metadata, settings_dict


def smoke_check(db_path: str | Path, metadata: str | Path | None = None) -> list[str]:
    """Open the database in Datasette as `ingest serve` does (same metadata, settings and
    plugins) and fetch the key pages."""
    from datasette.app import Datasette

    meta_path = Path(metadata) if metadata else METADATA_PATH
    meta = load_metadata(meta_path) if meta_path.exists() else None
    ds = Datasette([str(db_path)], metadata=meta, settings=settings_dict())
    name = Path(db_path).stem
    problems: list[str] = []

    async def go() -> None:
        for path in (
            "/",
            f"/{name}/articles.json?_size=1",
            f"/{name}/articles.json?_search=ha+noi&_size=1",
        ):
            resp = await ds.client.get(path)
            if resp.status_code != 200:
                problems.append(f"GET {path} -> {resp.status_code}")

    run(go())
    return problems
