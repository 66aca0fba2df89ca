"""Raw response archive in WARC files (written here, read with warcio).

Every response of a run (robots.txt, feeds, sitemaps, listings, search pages, articles,
redirects and 304s) is written unmodified before anything parses it, so extraction, tagging and
discovery can be rerun later without the network, and a citation can show what the page (or
the feed that dated it) said when fetched, even after the site deletes it. Each record is its
own gzip member, so a record can be read back from its byte offset alone.

The writer is our own rather than warcio's: warcio compresses at level 9, reads every payload
three times (two SHA-1 digests and a copy) and flushes per record, which made the archive most
of a fetch's cost. Here a record is serialised once, its SHA-256 computed once (it is both the
WARC payload digest and the row's `raw_sha256`), compressed at level 6 and appended to a
buffered file; `sync()` makes a whole batch durable with one fsync, before the database points
at any of its records. Reading stays with warcio, which checks the format.
"""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from .content import decode_body

COMPRESS_LEVEL = 6  # level 9 costs ~3x the CPU for ~2 % smaller files
BUFFER_BYTES = 1 << 20
SOFTWARE = "hanoi-creative-kb crawler"


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Status"


def _warc_date(when: datetime | None) -> str:
    return (when or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _header_value(value: str) -> str:
    """WARC and HTTP header lines cannot hold CR/LF; a hostile value must not forge a header."""
    return value.replace("\r", " ").replace("\n", " ")


@dataclass
class ArchivedRecord:
    warc_file: str  # relative to the archive root
    offset: int
    record_id: str
    sha256: str


class WarcArchive:
    """Append-only WARC writer; one file per writer so parallel workers never share a file.

    `info` (run id, source, task) goes into the file's warcinfo record, which is how
    `ingest reprocess --replay` groups an archive back into runs."""

    def __init__(self, root: str | Path, prefix: str = "crawl", info: dict[str, str] | None = None):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        self.name = f"{prefix}-{stamp}-{uuid.uuid4().hex[:8]}.warc.gz"
        self.path = self.root / self.name
        self.info = dict(info or {})
        self.records = 0
        self._fh = None
        self._offset = 0

    def _open(self):
        if self._fh is None:
            self._fh = open(self.path, "ab", buffering=BUFFER_BYTES)  # noqa: SIM115
            self._offset = self._fh.tell()
            fields = {"software": SOFTWARE, "format": "WARC File Format 1.1", **self.info}
            body = "".join(f"{k}: {_header_value(str(v))}\r\n" for k, v in fields.items())
            self._write("warcinfo", None, "application/warc-fields", body.encode("utf-8"), {})
        return self._fh

    def _write(
        self,
        warc_type: str,
        url: str | None,
        content_type: str,
        block: bytes | list[bytes],
        extra: dict[str, str],
        when: datetime | None = None,
    ) -> tuple[int, str]:
        """Append one record as one gzip member; returns (offset, record id)."""
        parts = block if isinstance(block, list) else [block]
        length = sum(len(p) for p in parts)
        record_id = f"<urn:uuid:{uuid.uuid4()}>"
        head = [
            "WARC/1.1",
            f"WARC-Type: {warc_type}",
            f"WARC-Record-ID: {record_id}",
            f"WARC-Date: {_warc_date(when)}",
        ]
        if url is not None:
            head.append(f"WARC-Target-URI: {_header_value(url)}")
        if warc_type == "warcinfo":
            head.append(f"WARC-Filename: {self.name}")
        head += [f"{k}: {_header_value(v)}" for k, v in extra.items()]
        head += [f"Content-Type: {content_type}", f"Content-Length: {length}"]
        z = zlib.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, 31)
        out = [z.compress(("\r\n".join(head) + "\r\n\r\n").encode("utf-8"))]
        out += [z.compress(p) for p in parts]
        out += [z.compress(b"\r\n\r\n"), z.flush()]
        data = b"".join(out)
        assert self._fh is not None
        offset = self._offset
        self._fh.write(data)
        self._offset += len(data)
        return offset, record_id

    def write_response(
        self,
        url: str,
        status: int,
        headers: list[tuple[str, str]],
        raw_body: bytes,
        fetched_at: datetime | None = None,
        *,
        sha256: str | None = None,
        kind: str | None = None,
        for_url: str | None = None,
    ) -> ArchivedRecord:
        """Archive one HTTP response exactly as received (still content-encoded).

        `sha256` (hex, of `raw_body`) when the caller hashed the body while receiving it;
        `kind` (robots | discovery | article) and `for_url` (the frontier URL a redirect
        chain belongs to) are kept as extension headers for offline replay."""
        self._open()
        digest = sha256 or hashlib.sha256(raw_body).hexdigest()
        http_head = f"HTTP/1.1 {status} {_reason(status)}\r\n" + "".join(
            f"{_header_value(k)}: {_header_value(v)}\r\n" for k, v in headers
        )
        extra = {
            "WARC-Payload-Digest": "sha256:"
            + base64.b32encode(bytes.fromhex(digest)).decode("ascii"),
        }
        if kind:
            extra["Ingest-Kind"] = kind
        if for_url and for_url != url:
            extra["Ingest-For"] = for_url
        block = [http_head.encode("latin-1", "replace") + b"\r\n", raw_body]
        offset, record_id = self._write(
            "response", url, "application/http; msgtype=response", block, extra, fetched_at
        )
        self.records += 1
        return ArchivedRecord(self.name, offset, record_id, digest)

    def sync(self) -> None:
        """Make written records durable before the database points at them (once per batch)."""
        if self._fh is not None:
            self._fh.flush()
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        if self._fh is not None:
            try:
                self.sync()
            finally:
                self._fh.close()
                self._fh = None

    def discard_if_empty(self) -> bool:
        """Remove the file when no response was written (only its warcinfo, or nothing)."""
        self.close()
        if self.records == 0:
            self.path.unlink(missing_ok=True)
            return True
        return False


@dataclass
class StoredResponse:
    url: str
    status: int
    headers: list[tuple[str, str]]
    raw_body: bytes  # exactly as received (may still be content-encoded)
    body: bytes  # content-decoded


def read_record(root: str | Path, warc_file: str, offset: int) -> StoredResponse:
    path = Path(root) / warc_file
    with open(path, "rb") as fh:
        fh.seek(offset)
        for record in ArchiveIterator(fh):
            raw = record.raw_stream.read()
            status = int(record.http_headers.get_statuscode() or 0)
            headers = list(record.http_headers.headers)
            url = record.rec_headers.get_header("WARC-Target-URI")
            return StoredResponse(url, status, headers, raw, decode_body(raw, headers))
    raise ValueError(f"no WARC record at {warc_file}@{offset}")


def verify_record(root: str | Path, warc_file: str, offset: int, sha256: str) -> bool:
    """True when the archived body still hashes to what was recorded at fetch time."""
    try:
        rec = read_record(root, warc_file, offset)
    except Exception:  # any unreadable or garbled record fails verification
        return False
    return hashlib.sha256(rec.raw_body).hexdigest() == sha256
