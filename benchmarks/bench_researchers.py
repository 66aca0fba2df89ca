"""Benchmark: what issue 16 added to the pages researchers use, at 100,000 articles.

The search with diacritics re-ranks the first 500 phrase matches from the articles' own text
(`ingest.publish.search_rank`); the dashboard's charts count each article once under its
main initiative (a window over the tag table); the search page counts both tiers; CSV exports
add name columns. Same synthetic database and client as benchmarks/bench_search.py (built
there, reused here). Prints median and p95 per request, and the ratio to the request it
extends; asserts nothing about time.

    .venv/bin/python benchmarks/bench_researchers.py [--articles 100000] [--db /tmp/bench-kb/kb.db]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).parent))

from bench_search import ensure_db, time_request  # noqa: E402

from ingest.publish.settings import load_metadata, settings_dict  # noqa: E402


def _chart(slug: str) -> str:
    from datasette_dashboards import replace_opts_in_query

    charts = load_metadata()["plugins"]["datasette-dashboards"]["tong-quan"]["charts"]
    return "/kb.json?_shape=array&sql=" + quote(replace_opts_in_query(charts[slug]["query"], {}))


# (name, path, the request it is compared with)
REQUESTS = [
    ("search dai phat thanh (bm25 tiers)", "/-/search?q=dai+phat+thanh", None),
    ("search Đài Phát thanh (exact first)", "/-/search?q=%C4%90%C3%A0i+Ph%C3%A1t+thanh", 0),
    ("search dai (one tier)", "/-/search?q=dai", None),
    ("search Đài (exact first)", "/-/search?q=%C4%90%C3%A0i", 2),
    (
        "search_articles Đài Phát thanh",
        "/kb/search_articles.json?q=%C4%90%C3%A0i+Ph%C3%A1t+thanh",
        None,
    ),
    ("search English (suggestions)", "/-/search?q=Hanoi+Creative+Design+Festival", None),
    ("chart coverage-per-year", _chart("coverage-per-year"), None),
    ("chart coverage-over-time", _chart("coverage-over-time"), None),
    ("chart initiative-year", _chart("initiative-year"), None),
    ("chart outlet-year", _chart("outlet-year"), None),
    ("chart top-agencies (every agency)", _chart("top-agencies"), None),
    ("articles page (defaults, facets)", "/kb/articles?_size=50", None),
    ("articles CSV 1,000 rows", "/kb/articles.csv?_size=1000&_col=title&_col=initiative_ids", None),
]


async def measure(db_path: Path, repeat: int) -> None:
    from datasette.app import Datasette

    ds = Datasette([str(db_path)], metadata=load_metadata(), settings=settings_dict())
    await ds.invoke_startup()
    medians: list[float] = []
    print(f"{'request':40} {'median ms':>10} {'p95 ms':>10} {'ratio':>7}  status")
    for name, path, base in REQUESTS:
        median, p95, status = await time_request(ds, path, repeat)
        medians.append(median)
        ratio = f"{median / medians[base]:.2f}x" if base is not None else ""
        print(f"{name:40} {median:10.1f} {p95:10.1f} {ratio:>7}  {status}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/bench-kb/kb.db"))
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    ensure_db(args.db, args.articles)
    asyncio.run(measure(args.db, args.repeat))


if __name__ == "__main__":
    main()
