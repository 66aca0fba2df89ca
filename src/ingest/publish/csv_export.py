"""Datasette's CSV exports, made safe and readable for Excel, as they stream out.

Two things Datasette's own CSV lacks, added around it (an ASGI wrapper, so every table, facet
selection and canned query gets them, streamed exports included):
- a UTF-8 byte-order mark on downloads (`_dl=1`, served as `text/csv` with a file name): Excel
  reads a CSV without one in the machine's legacy code page and garbles every diacritic;
- formula injection neutralised (the OWASP rule, `ingest.evidence.render_csv.neutralise`): a
  crawled title `=HYPERLINK(…)` would otherwise be a live formula in the researcher's sheet.

Records are rewritten only when one of their cells starts with a formula character; a record
ends at a line break outside quotes (an even number of `"` so far), so quoted cells holding
line breaks stay whole across network chunks.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Awaitable, Callable
from typing import Any

from ..evidence.render_csv import neutralise

BOM = b"\xef\xbb\xbf"
_RISKY = re.compile(r'(?:^|,)"?[=+\-@\t\r]')


class RecordGuard:
    """Incremental rewriter: feed decoded text, get back complete, neutralised CSV records."""

    def __init__(self) -> None:
        self.record = ""  # complete lines of the record being read
        self.partial = ""  # text after the last line break
        self.open = False  # inside a quoted cell

    def feed(self, text: str) -> str:
        data = self.partial + text
        lines = data.split("\n")
        self.partial = lines.pop()
        out = []
        for line in lines:
            self.record += line + "\n"
            if line.count('"') % 2:
                self.open = not self.open
            if not self.open:
                out.append(self._clean(self.record))
                self.record = ""
        return "".join(out)

    def close(self) -> str:
        rest = self.record + self.partial
        self.record = self.partial = ""
        return self._clean(rest) if rest else ""

    @staticmethod
    def _clean(record: str) -> str:
        body = record[:-2] if record.endswith("\r\n") else record.rstrip("\n")
        if not _RISKY.search(body):
            return record
        rows = list(csv.reader(io.StringIO(record, newline="")))
        if len(rows) != 1:
            return record
        buf = io.StringIO()
        terminator = record[len(body) :] or ""
        csv.writer(buf, lineterminator=terminator).writerow([neutralise(c) for c in rows[0]])
        return buf.getvalue()


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes:
    return next((v for k, v in headers if k.lower() == name), b"")


def wrap(app: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """ASGI middleware: rewrite `.csv` responses; everything else passes untouched."""

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") != "http" or not scope.get("path", "").endswith(".csv"):
            await app(scope, receive, send)
            return
        state: dict[str, Any] = {"on": False}
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        guard = RecordGuard()

        async def guarded_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                ctype = _header(headers, b"content-type")
                state["on"] = message.get("status") == 200 and ctype.startswith(
                    (b"text/csv", b"text/plain")
                )
                state["bom"] = state["on"] and ctype.startswith(b"text/csv")
                if state["on"]:  # the body changes length
                    headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
                await send({**message, "headers": headers})
                return
            if message["type"] == "http.response.body" and state["on"]:
                more = message.get("more_body", False)
                text = guard.feed(decoder.decode(message.get("body", b""), final=not more))
                if not more:
                    text += guard.close()
                body = text.encode("utf-8")
                if state.pop("bom", False):
                    body = BOM + body
                await send({**message, "body": body})
                return
            await send(message)

        await app(scope, receive, guarded_send)

    return wrapped
