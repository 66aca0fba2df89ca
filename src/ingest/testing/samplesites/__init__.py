"""Bundled sample news sites and a government portal, served on loopback for demos and tests.

    from ingest.testing.samplesites import serve
    with serve({"thudo": 0}) as sites:          # port 0 = ephemeral
        sites.base_urls["thudo"]                 # "http://127.0.0.1:PORT"
        sites.sources_yaml()                     # a sources.yaml for these ports

`render_all(dir)` writes every article page plus a gold.jsonl for the extraction evaluation;
`expected_labels()` is the answer key for tagging and clustering. See docs/sample-sites.md.
"""

from .data import Article, Label, Outlet, load_articles, load_outlets
from .gold import default_base_urls, expected_labels, render_all
from .server import DEFAULT_PORTS, SampleSites, Served, build_sites, serve
from .sources import sources_yaml

__all__ = [
    "DEFAULT_PORTS",
    "Article",
    "Label",
    "Outlet",
    "SampleSites",
    "Served",
    "build_sites",
    "default_base_urls",
    "expected_labels",
    "load_articles",
    "load_outlets",
    "render_all",
    "serve",
    "sources_yaml",
]
