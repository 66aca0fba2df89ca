"""Datasette's CSV exports, made safe and readable for Excel, as they stream out.

Three things Datasette's own CSV lacks, added around it (an ASGI wrapper, so every table, facet
selection and canned query gets them, streamed exports included):
- a UTF-8 byte-order mark on downloads (`_dl=1`, served as `text/csv` with a file name): Excel
  reads a CSV without one in the machine's legacy code page and garbles every diacritic;
- formula injection neutralised (the OWASP rule, `ingest.evidence.render_csv.neutralise`): a
  crawled title `=HYPERLINK(…)` would otherwise be a live formula in the researcher's sheet;
- names beside id lists: a column holding JSON arrays of ids (`initiative_ids`, `agency_ids`,
  `organiser_ids`, `partner_ids`, `source_ids`, `stories.outlets`) gets a `<column>_names`
  column after it ("Lễ hội Thiết kế sáng tạo Hà Nội; …"), decided on the first row so a
  count that happens to be called `outlets` is left alone. Foreign keys get their labels
  from Datasette's own `_labels=on`.

Records are rewritten only when one of their cells starts with a formula character; a record
ends at a line break outside quotes (an even number of `"` so far), so quoted cells holding
line breaks stay whole across network chunks.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from ..evidence.render_csv import neutralise
from . import labels
from .cells import ID_LISTS

BOM = b"\xef\xbb\xbf"
_RISKY = re.compile(r'(?:^|,)"?[=+\-@\t\r]')


class RecordGuard:
    """Incremental rewriter: feed decoded text, get back complete, neutralised CSV records.

    `transform`, when given, rewrites each complete record instead (it neutralises too)."""

    def __init__(self, transform: Callable[[str], str] | None = None) -> None:
        self.record = ""  # complete lines of the record being read
        self.partial = ""  # text after the last line break
        self.open = False  # inside a quoted cell
        self.transform = transform or self._clean

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
                out.append(self.transform(self.record))
                self.record = ""
        return "".join(out)

    def close(self) -> str:
        rest = self.record + self.partial
        self.record = self.partial = ""
        return self.transform(rest) if rest else ""

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


def _split(record: str) -> tuple[list[str], str] | None:
    """The record's cells and its line ending, or None when it is not one record."""
    body = record[:-2] if record.endswith("\r\n") else record.rstrip("\n")
    rows = list(csv.reader(io.StringIO(record, newline="")))
    return (rows[0], record[len(body) :]) if len(rows) == 1 else None


def _join(cells: list[Any], terminator: str) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator=terminator).writerow([neutralise(c) for c in cells])
    return buf.getvalue()


class NameColumns:
    """Per-record transform adding `<column>_names` after each id-list column.

    The header is held back until the first row shows which columns hold id lists; with none,
    every record goes through `RecordGuard._clean` untouched.
    """

    def __init__(self, names: dict[str, dict[str, str]]) -> None:
        self.names = names  # column -> {id: name}
        self.header: tuple[list[str], str] | None = None
        self.columns: list[int] | None = None  # positions of the id-list columns, once known

    def __call__(self, record: str) -> str:
        if self.columns is not None:
            return self._row(record)
        if self.header is None:
            self.header = _split(record)
            if self.header is None:  # not a header we can read: leave everything alone
                self.columns = []
                return RecordGuard._clean(record)
            return ""
        header, terminator = self.header
        cells = _split(record)
        first = cells[0] if cells else []
        self.columns = [
            i
            for i, name in enumerate(header)
            if name in self.names and i < len(first) and _ids(first[i]) is not None
        ]
        return _join(self._widen(header, True), terminator) + self._row(record)

    def close(self) -> str:
        """The header, when no row ever came."""
        if self.header is not None and self.columns is None:
            self.columns = []
            return _join(*self.header)
        return ""

    def _row(self, record: str) -> str:
        if not self.columns:
            return RecordGuard._clean(record)
        split = _split(record)
        if split is None:
            return RecordGuard._clean(record)
        return _join(self._widen(split[0], False), split[1])

    def _widen(self, cells: list[str], header: bool) -> list[str]:
        assert self.header is not None and self.columns is not None
        out: list[str] = []
        for i, cell in enumerate(cells):
            out.append(cell)
            if i in self.columns:
                if header:
                    out.append(f"{cell}_names")
                else:
                    names = self.names[self.header[0][i]]
                    out.append("; ".join(names.get(x, x) for x in _ids(cell) or []))
        return out


def _ids(value: str) -> list[str] | None:
    if not value.startswith("["):
        return None
    try:
        found = json.loads(value)
    except ValueError:
        return None
    return found if isinstance(found, list) and all(isinstance(x, str) for x in found) else None


async def _name_maps(datasette: Any, path: str) -> dict[str, dict[str, str]]:
    """column -> {id: name} for the database the CSV comes from ({} when there is none)."""
    database = path.strip("/").split("/", 1)[0].removesuffix(".csv")
    try:
        db = datasette.get_database(database)
    except KeyError:
        return {}
    tables = {t: await labels.names(db, t) for t in ("initiatives", "agencies", "sources")}
    return {column: tables[table] for column, table in ID_LISTS.items()}


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes:
    return next((v for k, v in headers if k.lower() == name), b"")


def wrap(
    app: Callable[..., Awaitable[None]], datasette: Any = None
) -> Callable[..., Awaitable[None]]:
    """ASGI middleware: rewrite `.csv` responses; everything else passes untouched."""

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") != "http" or not scope.get("path", "").endswith(".csv"):
            await app(scope, receive, send)
            return
        state: dict[str, Any] = {"on": False}
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        guard = RecordGuard()
        namer: NameColumns | None = None

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
                    if datasette is not None:
                        nonlocal guard, namer
                        namer = NameColumns(await _name_maps(datasette, scope["path"]))
                        guard = RecordGuard(namer)
                await send({**message, "headers": headers})
                return
            if message["type"] == "http.response.body" and state["on"]:
                more = message.get("more_body", False)
                text = guard.feed(decoder.decode(message.get("body", b""), final=not more))
                if not more:
                    text += guard.close() + (namer.close() if namer else "")
                body = text.encode("utf-8")
                if state.pop("bom", False):
                    body = BOM + body
                await send({**message, "body": body})
                return
            await send(message)

        await app(scope, receive, guarded_send)

    return wrapped
