"""Raw response archive in WARC files (warcio).

Every response body is written unmodified before anything parses it, so extraction and tagging
can be rerun later without the network, and a citation can show what the page said when fetched
even after the site deletes it. Each record is its own gzip member, so a record can be read back
from its byte offset alone.
"""

from __future__ import annotations

import hashlib
import io
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from .content import decode_body

HTTP_REASONS = {
    200: "OK",
    301: "Moved Permanently",
    302: "Found",
    304: "Not Modified",
    404: "Not Found",
    410: "Gone",
    500: "Internal Server Error",
}


@dataclass
class ArchivedRecord:
    warc_file: str  # relative to the archive root
    offset: int
    record_id: str
    sha256: str


class WarcArchive:
    """Append-only WARC writer; one file per writer so parallel workers never share a file."""

    def __init__(self, root: str | Path, prefix: str = "crawl"):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        self.name = f"{prefix}-{stamp}-{uuid.uuid4().hex[:8]}.warc.gz"
        self.path = self.root / self.name
        self._fh = None
        self._writer: WARCWriter | None = None

    def _open(self) -> WARCWriter:
        if self._writer is None:
            self._fh = open(self.path, "ab")
            self._writer = WARCWriter(self._fh, gzip=True)
        return self._writer

    def write_response(
        self,
        url: str,
        status: int,
        headers: list[tuple[str, str]],
        raw_body: bytes,
        fetched_at: datetime | None = None,
    ) -> ArchivedRecord:
        writer = self._open()
        assert self._fh is not None
        http_headers = StatusAndHeaders(
            f"{status} {HTTP_REASONS.get(status, 'Status')}", headers, protocol="HTTP/1.1"
        )
        record_id = f"<urn:uuid:{uuid.uuid4()}>"
        warc_headers = {"WARC-Record-ID": record_id}
        if fetched_at is not None:
            warc_headers["WARC-Date"] = fetched_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        record = writer.create_warc_record(
            url,
            "response",
            payload=io.BytesIO(raw_body),
            http_headers=http_headers,
            warc_headers_dict=warc_headers,
        )
        self._fh.seek(0, os.SEEK_END)
        offset = self._fh.tell()
        writer.write_record(record)
        self._fh.flush()
        return ArchivedRecord(self.name, offset, record_id, hashlib.sha256(raw_body).hexdigest())

    def sync(self) -> None:
        """Make written records durable before the database points at them."""
        if self._fh is not None:
            self._fh.flush()
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        if self._fh is not None:
            self.sync()
            self._fh.close()
            self._fh = None
            self._writer = None


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
    except (OSError, ValueError, Exception):
        return False
    return hashlib.sha256(rec.raw_body).hexdigest() == sha256
