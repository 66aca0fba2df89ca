"""Serve the sample outlets on loopback, one ThreadingHTTPServer per outlet.

Each outlet gets its own port (so its own host:port, like a separate site for robots.txt, rate
limits and scope rules). Responses carry ETag and Last-Modified and honour conditional GETs, so a
second crawl of unchanged data is answered with 304s. Every request is logged in `requests` for
tests and benchmarks.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import NamedTuple
from urllib.parse import urlsplit

from .data import load_articles, load_outlets
from .site import ICT, Resource, Site
from .sources import sources_yaml

DEFAULT_PORTS: dict[str, int] = {"thudo": 8101, "dothi": 8102, "sovhtt": 8103, "tonghop": 8104}


class Served(NamedTuple):
    outlet: str
    method: str
    path: str  # request target as sent: path plus query string
    status: int


def _as_datetime(now: datetime | str | None) -> datetime | None:
    if now is None or isinstance(now, datetime):
        return now if now is None or now.tzinfo else now.replace(tzinfo=ICT)
    d = datetime.fromisoformat(now)
    return d if d.tzinfo else d.replace(tzinfo=ICT)


def build_sites(base_urls: Mapping[str, str], now: datetime | str | None = None) -> dict[str, Site]:
    """One Site per outlet showing the articles published at or before `now` (all if None)."""
    cutoff = _as_datetime(now)
    arts = [a for a in load_articles() if cutoff is None or a.published <= cutoff]
    by_id = {a.id: a for a in arts}
    outlets = load_outlets()
    return {
        oid: Site(
            outlets[oid],
            base_urls[oid],
            [a for a in arts if a.outlet == oid],
            dict(base_urls),
            by_id,
        )
        for oid in base_urls
    }


def etag(body: bytes) -> str:
    return '"' + hashlib.sha1(body).hexdigest()[:20] + '"'


def not_modified(res: Resource, tag: str, headers: Mapping[str, str]) -> bool:
    """RFC 9110: If-None-Match wins over If-Modified-Since when both are present."""
    inm = headers.get("If-None-Match")
    if inm is not None:
        tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
        return "*" in tags or tag in tags
    ims = headers.get("If-Modified-Since")
    if ims:
        try:
            since = parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            return False
        return res.last_modified.replace(microsecond=0) <= since
    return False


class SampleSites:
    """Handle on the running servers: base URLs, request log and a matching sources.yaml."""

    def __init__(self, host: str, now: datetime | str | None = None):
        self.host = host
        self.base_urls: dict[str, str] = {}
        self.sites: dict[str, Site] = {}
        self.requests: list[Served] = []
        self._lock = threading.Lock()
        self._servers: list[ThreadingHTTPServer] = []
        self._threads: list[threading.Thread] = []
        self.now = now

    def log(self, entry: Served) -> None:
        with self._lock:
            self.requests.append(entry)

    def counts(self) -> Counter[tuple[str, int]]:
        """(outlet, status) → number of requests served so far."""
        with self._lock:
            return Counter((r.outlet, r.status) for r in self.requests)

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    def set_now(self, now: datetime | str | None) -> None:
        """Show only articles published by `now` (None: all), e.g. to simulate a later night."""
        self.now = now
        self.sites = build_sites(self.base_urls, now)

    def sources_yaml(self) -> str:
        return sources_yaml(self.base_urls)

    def close(self) -> None:
        """Stop every server; safe to call twice or after a failed start."""
        for i, srv in enumerate(self._servers):
            if i < len(self._threads):  # shutdown() waits forever on a never-started server
                srv.shutdown()
            srv.server_close()
        for t in self._threads:
            t.join(timeout=5)
        self._servers.clear()
        self._threads.clear()


def _handler(sites: SampleSites, outlet_id: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "SampleSites/1.0"
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
            pass

        def _respond(self, send_body: bool) -> None:
            parts = urlsplit(self.path)
            site = sites.sites[outlet_id]
            res = site.resolve(parts.path or "/", parts.query)
            tag = etag(res.body)
            status = res.status
            if status == 200 and not_modified(res, tag, self.headers):
                status = 304
            self.send_response(status)
            self.send_header("ETag", tag)
            self.send_header("Last-Modified", _http_date(res.last_modified))
            self.send_header("Cache-Control", "max-age=60")
            if status == 304:
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self.send_header("Content-Type", res.content_type)
                self.send_header("Content-Length", str(len(res.body)))
                self.end_headers()
                if send_body:
                    self.wfile.write(res.body)
            sites.log(Served(outlet_id, self.command, self.path, status))

        def do_GET(self) -> None:  # noqa: N802 - http.server naming
            self._respond(True)

        def do_HEAD(self) -> None:  # noqa: N802
            self._respond(False)

    return Handler


def _http_date(d: datetime) -> str:
    return format_datetime(d.astimezone(UTC), usegmt=True)


@contextmanager
def serve(
    ports: Mapping[str, int] | None = None,
    host: str = "127.0.0.1",
    now: datetime | str | None = None,
    outlets: Iterable[str] | None = None,
) -> Iterator[SampleSites]:
    """Start the outlets and yield the handle; servers stop when the block exits.

    `ports=None` uses DEFAULT_PORTS. With a mapping, outlets it names get that port and the
    others an ephemeral one (port 0), so `serve({})` runs every outlet on free ports, which is
    what tests want. `outlets` restricts which outlets run. The servers run in daemon threads.
    """
    known = list(load_outlets())
    chosen = list(known if outlets is None else outlets)
    given = dict(DEFAULT_PORTS if ports is None else ports)
    unknown = (set(chosen) | set(given)) - set(known)
    if unknown:
        raise KeyError(f"unknown outlets: {sorted(unknown)}")
    ports = {oid: given.get(oid, 0) for oid in chosen}
    handle = SampleSites(host, now)
    try:
        for oid, port in ports.items():
            srv = ThreadingHTTPServer((host, port), _handler(handle, oid))
            srv.daemon_threads = True
            handle._servers.append(srv)
            handle.base_urls[oid] = f"http://{host}:{srv.server_address[1]}"
        handle.sites = build_sites(handle.base_urls, now)
        for srv in handle._servers:
            t = threading.Thread(
                target=srv.serve_forever, name=f"samplesite-{srv.server_address[1]}", daemon=True
            )
            t.start()
            handle._threads.append(t)
        yield handle
    finally:
        handle.close()
