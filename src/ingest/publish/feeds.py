"""Atom feeds titled with what they follow: "Lễ hội Thiết kế sáng tạo Hà Nội / Hanoi Creative
Design Festival — bài mới / new articles".

datasette-atom titles a canned query's feed with the query's title, so every initiative's feed
was called "Bài mới gắn nhãn sáng kiến / Newly tagged articles for an initiative" and a feed
reader showed eight identical subscriptions. The feed is small (50 entries): its body is read
whole and its own `<title>` (the one before the first entry) replaced, for feeds whose request
names an `initiative` (or an `agency`).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from . import labels

SUFFIX = "bài mới / new articles"
PARAMS = {"initiative": "initiatives", "agency": "agencies"}
_FEED_TITLE = re.compile(rb"<title>.*?</title>", re.S)


async def feed_title(datasette: Any, path: str, query_string: bytes) -> str | None:
    """The feed's title from the id it was asked for, or None to leave it as it is."""
    args = parse_qs(query_string.decode("latin-1"))
    database = path.strip("/").split("/", 1)[0]
    try:
        db = datasette.get_database(database)
    except KeyError:
        return None
    for param, table in PARAMS.items():
        value = (args.get(param) or [""])[0]
        if not value:
            continue
        name = (await labels.names(db, table)).get(value)
        if name is None:
            return f"«{value}» (không có mã này / no such id) — {SUFFIX}"
        english = (await labels.english(db, table)).get(value)
        return f"{name} / {english} — {SUFFIX}" if english else f"{name} — {SUFFIX}"
    return None


def retitle(body: bytes, title: str) -> bytes:
    """Replace the feed's own <title> (before the first entry) with `title`."""
    head_end = body.find(b"<entry")
    head = body if head_end < 0 else body[:head_end]
    match = _FEED_TITLE.search(head)
    if match is None:
        return body
    new = b"<title>" + escape(title).encode("utf-8") + b"</title>"
    return body[: match.start()] + new + body[match.end() :]


def wrap(app: Callable[..., Awaitable[None]], datasette: Any) -> Callable[..., Awaitable[None]]:
    """ASGI middleware: retitle `.atom` responses; everything else passes untouched."""

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") != "http" or not scope.get("path", "").endswith(".atom"):
            await app(scope, receive, send)
            return
        title = await feed_title(datasette, scope["path"], scope.get("query_string", b""))
        if title is None:
            await app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def buffered_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            if start.get("status") == 200:
                body = retitle(body, title)
            headers = [
                (k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"
            ]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await app(scope, receive, buffered_send)

    return wrapped
