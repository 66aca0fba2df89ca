"""A small loopback outlet for the reliability tests: generated articles (our own text) whose
pages can be rewritten per path, behind a feed listing whichever paths are published."""

from __future__ import annotations

from collections.abc import Callable

from ingest.testing.generate import GenArticle, generate, render_page, sources_yaml
from ingest.testing.loopback import LoopbackServer, send

Page = Callable[[GenArticle, str], bytes]


class Outlet:
    """`published` paths are in the feed; `pages[path]` renders a path (default: the normal
    generated page)."""

    def __init__(self, count: int, seed: int, source_id: str = "thudo") -> None:
        self.articles = generate(count, seed)
        self.source_id = source_id
        self.published = [a.path for a in self.articles]
        self.pages: dict[str, Page] = {}
        self.server = LoopbackServer(routes={"*": self._route})

    @property
    def base(self) -> str:
        return self.server.base

    def by_path(self, path: str) -> GenArticle:
        return next(a for a in self.articles if a.path == path)

    def feed(self) -> bytes:
        items = "".join(
            f"<item><title>{a.title}</title><link>{self.base}{a.path}</link></item>"
            for a in self.articles
            if a.path in self.published
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Thủ đô'
            f"</title>{items}</channel></rss>"
        ).encode()

    def _route(self, h) -> None:
        path = h.path.split("?", 1)[0]
        if path == "/robots.txt":
            return send(h, 200, b"User-agent: *\nAllow: /\n", "text/plain")
        if path == "/rss.xml":
            return send(h, 200, self.feed(), "application/rss+xml")
        a = next((x for x in self.articles if x.path == path), None)
        if a is None or path not in self.published:
            return send(h, 404, b"not found")
        render = self.pages.get(path)
        return send(h, 200, render(a, self.base) if render else render_page(a, self.base))

    def hits(self, path: str) -> int:
        return self.server.count(path)

    def entry(self, **extra) -> dict:
        return {
            "id": self.source_id,
            "name": "Báo Thủ Đô (thử nghiệm)",
            "kind": "news",
            "home": self.base + "/",
            "feeds": [self.base + "/rss.xml"],
            "politeness": {"min_delay": 0, "concurrency": 4, "timeout": 3, "retries": 0},
            **extra,
        }

    def sources_yaml(self, **extra) -> str:
        return sources_yaml([self.entry(**extra)])

    def __enter__(self) -> Outlet:
        self.server.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.server.__exit__(*exc)


def with_canonical(target: Callable[[GenArticle, str], str]) -> Page:
    """The normal page with its rel=canonical replaced by `target(article, base)`."""

    def render(a: GenArticle, base: str) -> bytes:
        page = render_page(a, base)
        own = f'<link rel="canonical" href="{base}{a.path}">'.encode()
        return page.replace(own, f'<link rel="canonical" href="{target(a, base)}">'.encode())

    return render
