"""Publish stage: a Datasette smoke check before anyone is told the knowledge base is ready."""

from __future__ import annotations

from pathlib import Path

import yaml

from .asyncrun import run

REPO_ROOT = Path(__file__).resolve().parents[2]


def default_metadata() -> Path | None:
    path = REPO_ROOT / "metadata.yml"
    return path if path.exists() else None


def smoke_check(db_path: str | Path, metadata: str | Path | None = None) -> list[str]:
    """Open the database in Datasette (with the project's plugins) and fetch the key pages."""
    from datasette.app import Datasette

    meta_path = Path(metadata) if metadata else default_metadata()
    meta = yaml.safe_load(meta_path.read_text(encoding="utf-8")) if meta_path else None
    ds = Datasette([str(db_path)], metadata=meta, settings={"sql_time_limit_ms": 5000})
    name = Path(db_path).stem
    problems: list[str] = []

    async def go() -> None:
        for path in ("/", f"/{name}/articles.json?_size=1",
                     f"/{name}/articles.json?_search=ha+noi&_size=1"):
            resp = await ds.client.get(path)
            if resp.status_code != 200:
                problems.append(f"GET {path} -> {resp.status_code}")

    run(go())
    return problems
