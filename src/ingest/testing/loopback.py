"""A small programmable HTTP server on 127.0.0.1 for tests and benchmarks.

Faults real sites produce (resets mid-body, truncated bodies, endless bodies, gzip bombs,
redirect loops) need a server that misbehaves on purpose; routes are plain functions.
"""

from __future__ import annotations

import socket
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Handler = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Hit:
    path: str
    headers: dict[str, str]


def send(
    h: BaseHTTPRequestHandler,
    status: int,
    body: bytes = b"",
    ctype: str = "text/html; charset=utf-8",
    headers: dict[str, str] | None = None,
) -> None:
    h.send_response(status)
    h.send_header("Content-Type", ctype)
    h.send_header("Content-Length", str(len(body)))
    for k, v in (headers or {}).items():
        h.send_header(k, v)
    h.end_headers()
    if h.command != "HEAD":
        h.wfile.write(body)


@dataclass
class LoopbackServer:
    """Routes map a path (without query) to a handler; unknown paths get 404."""

    routes: dict[str, Handler] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    port: int = 0

    def __post_init__(self) -> None:
        server = self

        class _H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a: object) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("?", 1)[0]
                with server._lock:
                    server.hits.append(Hit(self.path, dict(self.headers)))
                route = server.routes.get(path) or server.routes.get("*")
                try:
                    if route is None:
                        send(self, 404, b"not found")
                    else:
                        route(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), _H)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def count(self, path: str) -> int:
        with self._lock:
            return sum(1 for h in self.hits if h.path.split("?", 1)[0] == path)

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def free_port() -> int:
    """A port with nothing listening on it (for 'host down' cases)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_TONES = "\u0300\u0301\u0303\u0309\u0323"


def to_cp1258(text: str) -> bytes:
    """Text as a windows-1258 page sends it: â/ê/ô/ơ/ư/ă/đ precomposed, the tones as combining
    marks (the code page has no precomposed toned letters)."""
    out = []
    for ch in text:
        try:
            out.append(ch.encode("cp1258"))
        except UnicodeEncodeError:
            d = unicodedata.normalize("NFD", ch)
            base = unicodedata.normalize("NFC", "".join(c for c in d if c not in _TONES))
            out.append((base + "".join(c for c in d if c in _TONES)).encode("cp1258"))
    return b"".join(out)
