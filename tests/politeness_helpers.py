"""A loopback outlet that records when each request started and ended, for the politeness
tests (tests/crawl/test_politeness.py, tests/pipeline/test_dask.py)."""

from __future__ import annotations

import threading
import time

from ingest.testing.generate import GeneratedSite

DELAY = 0.2


class Timeline:
    """Wraps a loopback site's handler to record (start, end, path) of every request."""

    def __init__(self) -> None:
        self.spans: list[tuple[float, float, str]] = []
        self._lock = threading.Lock()

    def wrap(self, route):
        def handler(h):
            t0 = time.monotonic()
            try:
                route(h)
            finally:
                with self._lock:
                    self.spans.append((t0, time.monotonic(), h.path))

        return handler

    def gaps(self) -> list[float]:
        """Idle time between the end of each request and the start of the next (negative:
        the two overlapped)."""
        spans = sorted(self.spans)
        return [b[0] - a[1] for a, b in zip(spans, spans[1:], strict=False)]


def timed_site(count: int, seed: int) -> tuple[GeneratedSite, Timeline]:
    site = GeneratedSite(count, seed=seed)
    timeline = Timeline()
    site.server.routes["*"] = timeline.wrap(site._route)
    return site, timeline


def polite_entries(site: GeneratedSite, **politeness) -> list[dict]:
    """The generated outlet, and a second source on the same host that reads only its
    sitemap: both must share the host's one authority."""
    policy = {"min_delay": DELAY, "concurrency": 1, "timeout": 5, "retries": 0, **politeness}
    main = {**site.source_entry(), "politeness": policy}
    main["sitemaps"] = []
    twin = {
        "id": "sinhtao_sitemap",
        "name": "Báo Sinh Tạo (sitemap)",
        "kind": "news",
        "home": site.base + "/",
        "sitemaps": [site.base + "/sitemap.xml"],
        "article_pattern": main["article_pattern"],
        "politeness": policy,
    }
    return [main, twin]
