"""Hostile server behaviours for the fault-injection walk (tests/reliability/test_fault_walk.py).

Each `Fault` is one article URL on a misbehaving outlet: how the server answers it on the
first night, and on the second (when the fault may have healed), and what the knowledge base
must hold after both nights:
- `stored`: the article is stored after the first night;
- `healed`: the first night fails, the second stores it (the failure was retried);
- `recorded`: never an article, but the URL's frontier row says why (quarantined, refused,
  out of scope, a failed extraction, not modified), never silently dropped.

`DISCOVERY_FAULTS` are outlets whose robots.txt, feed or sitemap misbehave (or whose host
asks us to come back later); each still has good articles reachable by another path (or on
the second night), which must be stored, or, where politeness forbids fetching them, the
source is reported broken with the reason.

The pages are our own generated text (`ingest.testing.generate`).
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from ingest.testing.generate import GenArticle, render_page
from ingest.testing.loopback import send, to_cp1258

Handler = Callable[..., None]


@dataclass
class Ctx:
    """What a handler needs: the outlet's base URL, the article, the night (1 or 2)."""

    base: str
    article: GenArticle
    other_base: str
    night: int = 1
    hits: int = 0

    def page(self) -> bytes:
        return render_page(self.article, self.base)


@dataclass(frozen=True)
class Fault:
    name: str
    expect: str  # stored | healed | recorded
    serve: Callable[[Ctx, object], None]


def raw(h, data: bytes) -> None:
    """Bytes straight onto the socket, then close: for answers HTTP parsers must reject."""
    h.wfile.write(data)
    h.wfile.flush()
    h.close_connection = True


def once(first: Callable[[Ctx, object], None]) -> Callable[[Ctx, object], None]:
    """The fault on the first request only; the page afterwards (retried the same night)."""

    def serve(c: Ctx, h) -> None:
        if c.hits == 1:
            return first(c, h)
        send(h, 200, c.page())

    return serve


def night_one(first: Callable[[Ctx, object], None]) -> Callable[[Ctx, object], None]:
    """The fault for the whole first night; the page on the second."""

    def serve(c: Ctx, h) -> None:
        if c.night == 1:
            return first(c, h)
        send(h, 200, c.page())

    return serve


def status(code: int, body: bytes = b"", headers: dict | None = None):
    return lambda c, h: send(h, code, body, headers=headers)


def redirect(to: Callable[[Ctx], str], code: int = 302):
    return lambda c, h: send(h, code, headers={"Location": to(c)})


def endless(c: Ctx, h) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/html")
    h.end_headers()
    try:
        for _ in range(2000):
            h.wfile.write(b"<p>" + b"a" * 4000 + b"</p>")
    except (BrokenPipeError, ConnectionResetError):
        pass
    h.close_connection = True


def truncated(c: Ctx, h) -> None:
    h.send_response(200)
    h.send_header("Content-Length", str(len(c.page()) + 5000))
    h.end_headers()
    h.wfile.write(c.page()[:500])
    h.close_connection = True


def reset(c: Ctx, h) -> None:
    h.send_response(200)
    h.send_header("Content-Length", "5000")
    h.end_headers()
    h.wfile.write(b"<html><body>" + b"x" * 100)
    h.wfile.flush()
    h.connection.shutdown(2)
    h.close_connection = True


def slow(c: Ctx, h) -> None:
    time.sleep(2.5)  # past the 1.5 s timeout
    send(h, 200, c.page())


def close_without_answer(c: Ctx, h) -> None:
    h.connection.shutdown(2)
    h.close_connection = True


def http10_close_delimited(c: Ctx, h) -> None:
    raw(h, b"HTTP/1.0 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + c.page())


def malformed_chunked(c: Ctx, h) -> None:
    raw(h, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\nabc\r\n0\r\n\r\n")


def many_cookies(c: Ctx, h) -> None:
    send(h, 200, c.page(), headers={f"X-Pad-{i}": "v" * 50 for i in range(150)})


def json_blob(c: Ctx, h) -> None:
    blob = json.dumps({"title": c.article.title, "body": list(c.article.paragraphs)})
    send(
        h,
        200,
        f'<html><body><div id="app"></div><script>var d={blob}</script></body></html>'.encode(),
    )


def deep(c: Ctx, h) -> None:
    page = c.page().decode()
    page = page.replace('<main class="container">', '<main class="container">' + "<div>" * 10_000)
    send(h, 200, page.replace("</main>", "</div>" * 10_000 + "</main>").encode())


def control_chars(c: Ctx, h) -> None:
    page = c.page().decode()
    title = c.article.title
    send(h, 200, page.replace(f">{title}<", f">{title}\x0b\x0c\x1b[31m&#1;\x01<").encode())


def utf16_without_bom(c: Ctx, h) -> None:
    body = c.page().decode().replace('<meta charset="utf-8">', "").encode("utf-16-le")
    send(h, 200, body, "text/html; charset=utf-16le")


def legacy(c: Ctx, h, declared: str) -> None:
    html = c.page().decode().replace('<meta charset="utf-8">', '<meta charset="windows-1258">')
    send(h, 200, to_cp1258(html), declared)


def huge_title(c: Ctx, h) -> None:
    page = c.page().decode()
    title = c.article.title
    send(h, 200, page.replace(f"<title>{title}", f"<title>{title} {'dài ' * 20_000}").encode())


def canonical(to: Callable[[Ctx], str]):
    def serve(c: Ctx, h) -> None:
        own = f'<link rel="canonical" href="{c.base}{path_of(c.article)}">'.encode()
        send(h, 200, c.page().replace(own, f'<link rel="canonical" href="{to(c)}">'.encode()))

    return serve


def meta_refresh(c: Ctx, h) -> None:
    page = c.page().replace(b"<head>", b'<head><meta http-equiv="refresh" content="0;url=/">')
    send(h, 200, page)


def path_of(a: GenArticle) -> str:
    return a.path


BOMB = gzip.compress(b" " * 30_000_000)


FAULTS: list[Fault] = [
    Fault("plain", "stored", lambda c, h: send(h, 200, c.page())),
    # status codes
    Fault("500-once", "stored", once(status(500, b"busy"))),
    Fault("503-retry-after-once", "stored", once(status(503, b"busy", {"Retry-After": "1"}))),
    Fault("429-retry-after-once", "stored", once(status(429, b"slow", {"Retry-After": "1"}))),
    Fault("500-all-night", "healed", night_one(status(500, b"down"))),
    Fault("502-all-night", "healed", night_one(status(502, b"bad gateway"))),
    Fault("404", "recorded", status(404, b"not found")),
    Fault("410", "recorded", status(410, b"gone")),
    Fault("403", "recorded", status(403, b"forbidden")),
    Fault("401", "recorded", status(401, b"login")),
    Fault("451", "recorded", status(451, b"legal")),
    Fault("999-status", "recorded", status(999, b"?")),
    Fault("304-unasked", "recorded", status(304)),
    # redirects
    Fault("redirect-loop", "recorded", redirect(lambda c: "/f/redirect-loop.htm?again")),
    Fault("redirect-chain-of-ten", "recorded",
          lambda c, h: send(h, 302, headers={"Location": f"/chain/{c.hits}"})),
    Fault("redirect-javascript", "recorded", redirect(lambda c: "javascript:alert(1)", 301)),
    Fault("redirect-data", "recorded", redirect(lambda c: "data:text/html,<b>x</b>", 301)),
    Fault("redirect-ftp", "recorded", redirect(lambda c: "ftp://127.0.0.1/x", 301)),
    Fault("redirect-mailto", "recorded", redirect(lambda c: "mailto:a@b.example")),
    Fault("redirect-off-site", "recorded", redirect(lambda c: c.other_base + "/x.htm", 301)),
    Fault("redirect-control-char", "recorded", redirect(lambda c: "/x\x01y.htm")),
    Fault("redirect-without-location", "recorded", status(302)),
    Fault("redirect-relative-then-page", "stored", redirect(lambda c: "./moved.htm", 301)),
    # broken transfers
    Fault("reset-once", "stored", once(reset)),
    Fault("slow-once", "stored", once(slow)),
    Fault("close-without-answer-all-night", "healed", night_one(close_without_answer)),
    Fault("truncated-all-night", "healed", night_one(truncated)),
    Fault("garbage-status-line-all-night", "healed",
          night_one(lambda c, h: raw(h, b"HELLO THERE\r\n\r\n"))),
    Fault("bad-content-length-all-night", "healed",
          night_one(lambda c, h: raw(h, b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\nhi"))),
    Fault("header-with-nul-all-night", "healed",
          night_one(lambda c, h: raw(h, b"HTTP/1.1 200 OK\r\nX-A: b\x00c\r\n\r\n"))),
    Fault("malformed-chunks-all-night", "healed", night_one(malformed_chunked)),
    Fault("bad-gzip-all-night", "healed",
          night_one(lambda c, h: send(h, 200, b"not gzip", headers={"Content-Encoding": "gzip"}))),
    Fault("http10-close-delimited", "stored", http10_close_delimited),
    Fault("150-extra-headers", "stored", many_cookies),
    # too much
    Fault("endless-body", "recorded", endless),
    Fault("gzip-bomb", "recorded",
          lambda c, h: send(h, 200, BOMB, headers={"Content-Encoding": "gzip"})),
    # not an article
    Fault("empty-200", "recorded", lambda c, h: send(h, 200, b"")),
    Fault("png-as-html", "recorded",
          lambda c, h: send(h, 200, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20)),
    Fault("pdf", "recorded",
          lambda c, h: send(h, 200, b"%PDF-1.7\n" + bytes(range(256)) * 20, "application/pdf")),
    Fault("nul-bytes", "recorded", lambda c, h: send(h, 200, b"\x00" * 5000)),
    Fault("json-blob-only", "recorded", json_blob),
    # hostile but readable pages
    Fault("10000-nested-divs", "stored", deep),
    Fault("control-characters", "stored", control_chars),
    Fault("utf16-without-bom", "stored", utf16_without_bom),
    Fault("windows-1258", "stored", lambda c, h: legacy(c, h, "text/html")),
    Fault("windows-1258-declared-utf8", "stored",
          lambda c, h: legacy(c, h, "text/html; charset=utf-8")),
    Fault("bogus-charset", "stored", lambda c, h: send(h, 200, c.page(), "text/html; charset=x")),
    Fault("html-as-text-plain", "stored", lambda c, h: send(h, 200, c.page(), "text/plain")),
    Fault("huge-title", "stored", huge_title),
    Fault("canonical-home", "stored", canonical(lambda c: c.base + "/")),
    Fault("canonical-other-article", "stored", canonical(lambda c: c.base + "/f/plain.htm")),
    Fault("canonical-off-site", "stored", canonical(lambda c: c.other_base + "/x.htm")),
    Fault("canonical-javascript", "stored", canonical(lambda c: "javascript:alert(1)")),
    Fault("meta-refresh", "stored", meta_refresh),
]  # fmt: skip


@dataclass(frozen=True)
class DiscoveryFault:
    """An outlet whose robots.txt, feed or sitemap misbehaves (None: the channel works)."""

    name: str
    expect: str  # stored (its articles, by another path) | blocked (reported broken)
    robots: Callable[[str, object], None] | None = None
    feed: Callable[[str, object], None] | None = None
    sitemap: Callable[[str, object], None] | None = None
    down: bool = False
    # the articles themselves, on the first night (the second serves them): a fault that
    # concerns the whole host, so it cannot share one with the article faults
    article: Callable[[str, object], None] | None = None


def _xml(body: str) -> bytes:
    return ('<?xml version="1.0" encoding="utf-8"?>' + body).encode()


def poison_feed(base: str, good: list[str]) -> bytes:
    links = [*good, base + "/bai/del\x7f-1.htm", base + "/" + "x" * 70_000, "javascript:alert(1)",
             "http://[oops/broken", base + "/bai/ctl\x01-2.htm"]  # fmt: skip
    items = "".join(f"<item><title>t</title><link>{u}</link></item>" for u in links)
    return _xml(f'<rss version="2.0"><channel><title>T</title>{items}</channel></rss>')


DISCOVERY_FAULTS: list[DiscoveryFault] = [
    DiscoveryFault("robots-500", "blocked", robots=lambda b, h: send(h, 500, b"oops")),
    DiscoveryFault("robots-404", "stored", robots=lambda b, h: send(h, 404, b"none")),
    DiscoveryFault("robots-to-javascript", "stored",
                   robots=lambda b, h: send(h, 301, headers={"Location": "javascript:x"})),
    DiscoveryFault("robots-binary", "stored",
                   robots=lambda b, h: send(h, 200, bytes(range(256)) * 40, "text/plain")),
    DiscoveryFault("robots-garbage-status", "blocked", robots=lambda b, h: raw(h, b"NOPE\r\n\r\n")),
    DiscoveryFault("robots-slow", "blocked",
                   robots=lambda b, h: (time.sleep(2.5), send(h, 200, b"User-agent: *"))),
    DiscoveryFault("feed-malformed-xml", "stored",
                   feed=lambda b, h: send(h, 200, b"<rss><channel><item><link>", "text/xml")),
    DiscoveryFault("feed-is-html", "stored",
                   feed=lambda b, h: send(h, 200, b"<html><body>Trang chu</body></html>")),
    DiscoveryFault("feed-404", "stored", feed=lambda b, h: send(h, 404, b"none")),
    DiscoveryFault("feed-gzip-bomb", "stored",
                   feed=lambda b, h: send(h, 200, BOMB, "application/rss+xml",
                                          {"Content-Encoding": "gzip"})),
    DiscoveryFault("sitemap-index-loop", "stored", sitemap=lambda b, h: send(h, 200, _xml(
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>'
        f"{b}/sitemap.xml</loc></sitemap></sitemapindex>"), "application/xml")),
    DiscoveryFault("sitemap-broken-loc", "stored", sitemap=lambda b, h: send(h, 200, _xml(
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>http://[oops/x'
        "</loc></url><url><loc>\x01</loc></url></urlset>"), "application/xml")),
    DiscoveryFault("sitemap-is-html", "stored",
                   sitemap=lambda b, h: send(h, 200, b"<html><body>sitemap</body></html>")),
    DiscoveryFault("feed-and-sitemap-empty", "blocked",
                   feed=lambda b, h: send(h, 200, _xml('<rss version="2.0"><channel/></rss>')),
                   sitemap=lambda b, h: send(h, 200, _xml("<urlset/>"), "application/xml")),
    DiscoveryFault("poison-links-in-feed", "stored", feed=None),  # the feed adds poison links
    DiscoveryFault("host-down", "blocked", down=True),
    DiscoveryFault("503-retry-after-a-day", "stored",
                   article=lambda b, h: send(h, 503, b"later", headers={"Retry-After": "86400"})),
    DiscoveryFault("429-retry-after-far-future-date", "stored", article=lambda b, h: send(
        h, 429, b"later", headers={"Retry-After": "Fri, 31 Dec 2999 23:59:59 GMT"})),
]  # fmt: skip
