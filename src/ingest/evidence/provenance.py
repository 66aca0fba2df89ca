"""Provenance of every article: where it came from, what was archived, and whether it still is.

A citation in the monitoring report must survive the outlet deleting or editing the page, so
each article row points at the raw response in the WARC archive (file, offset, record id) and
carries the SHA-256 of the body as received. This module gathers that record, shows the archived
response *as text* (control characters removed, so a hostile page cannot drive the terminal;
the Datasette page `/-/archive/<id>` shows it escaped or in a sandboxed frame), and checks that
the archive still hashes to what was recorded at fetch time.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import sqlite_utils
from warcio.archiveiterator import ArchiveIterator

from ..crawl.content import decode_body

PROVENANCE_COLUMNS = (
    "id",
    "source_id",
    "url",
    "canonical_url",
    "fetched_at",
    "http_status",
    "raw_sha256",
    "warc_file",
    "warc_offset",
    "warc_record_id",
    "extractor_version",
    "tagger_version",
)
MAX_TEXT_BYTES = 2_000_000
# C0/C1 controls except tab and newline, and the escape sequences built from them.
_CONTROL = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Provenance:
    """Everything needed to cite and re-check one article."""

    article_id: int
    source_id: str
    url: str
    canonical_url: str | None
    fetched_at: str | None
    http_status: int | None
    raw_sha256: str | None
    warc_file: str | None
    warc_offset: int | None
    warc_record_id: str | None
    extractor_version: str | None
    tagger_version: str | None

    @property
    def archived(self) -> bool:
        return bool(self.warc_file) and self.warc_offset is not None

    def datasette_path(self) -> str:
        """Link to the archived copy in Datasette (escaped source; `?view=rendered` sandboxed)."""
        return f"/-/archive/{self.article_id}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Mismatch:
    """An article whose archived copy is missing, unreadable or no longer matches its hash."""

    article_id: int
    url: str
    warc_file: str | None
    warc_offset: int | None
    expected_sha256: str | None
    actual_sha256: str | None
    reason: str


@dataclass(frozen=True)
class ArchivedCopy:
    record_id: str | None
    target_uri: str | None
    status: str
    headers: list[tuple[str, str]]
    raw_body: bytes


def provenance(db: sqlite_utils.Database, article_id: int) -> Provenance | None:
    row = db.execute(
        f"select {', '.join(PROVENANCE_COLUMNS)} from articles where id = ?", [article_id]
    ).fetchone()
    if row is None:
        return None
    r = dict(zip(PROVENANCE_COLUMNS, row, strict=True))
    return Provenance(article_id=r.pop("id"), **r)


def default_raw_dir(db_path: str | Path) -> Path:
    """Where the pipeline writes the archive unless told otherwise: <db dir>/raw."""
    return Path(db_path).parent / "raw"


def warc_location(raw_dir: str | Path, warc_file: str) -> Path:
    """Resolve a stored warc_file under `raw_dir`, refusing paths that escape it."""
    root = Path(raw_dir).resolve()
    parts = Path(warc_file).parts
    if parts and parts[0] == "raw":
        parts = parts[1:]
    path = root.joinpath(*parts).resolve()
    if path != root and root not in path.parents:
        raise ValueError(f"{warc_file!r} is outside the archive directory")
    return path


def read_archived(raw_dir: str | Path, warc_file: str, offset: int) -> ArchivedCopy:
    """The WARC record at `offset`: record id, target URI, HTTP status line, headers, raw body."""
    path = warc_location(raw_dir, warc_file)
    with open(path, "rb") as fh:
        fh.seek(offset)
        for record in ArchiveIterator(fh):
            raw = record.raw_stream.read()
            http = record.http_headers
            return ArchivedCopy(
                record_id=record.rec_headers.get_header("WARC-Record-ID"),
                target_uri=record.rec_headers.get_header("WARC-Target-URI"),
                status=http.statusline if http is not None else "",
                headers=list(http.headers) if http is not None else [],
                raw_body=raw,
            )
    raise ValueError(f"no WARC record at {warc_file}@{offset}")


def safe_text(text: str) -> str:
    """Remove control characters and terminal escape sequences; keep tabs and newlines."""
    return _CONTROL.sub("", text.replace("\r\n", "\n"))


def _charset(headers: list[tuple[str, str]]) -> str | None:
    ctype = next((v for k, v in headers if k.lower() == "content-type"), "")
    m = re.search(r"charset=([\w-]+)", ctype, re.I)
    return m.group(1) if m else None


def archived_copy(
    db: sqlite_utils.Database, article_id: int, raw_dir: str | Path
) -> tuple[Provenance, ArchivedCopy]:
    """An article's provenance and its archived response; `LookupError` when there is none."""
    prov = provenance(db, article_id)
    if prov is None:
        raise LookupError(f"article {article_id} not found")
    if not prov.archived:
        raise LookupError(f"article {article_id} has no archived copy")
    assert prov.warc_file is not None and prov.warc_offset is not None
    return prov, read_archived(raw_dir, prov.warc_file, prov.warc_offset)


def archive_text(
    db: sqlite_utils.Database, article_id: int, raw_dir: str | Path, max_bytes: int = MAX_TEXT_BYTES
) -> str:
    """The archived response as plain text: provenance, HTTP headers, then the decoded body.

    The body is the HTML source as text, never rendered; it is decoded with the archive's own
    reader (gzip/brotli content-encoding) and the declared charset, falling back to UTF-8.
    """
    prov, copy = archived_copy(db, article_id, raw_dir)
    body = decode_body(copy.raw_body, copy.headers)[:max_bytes]
    text = None
    for enc in (_charset(copy.headers), "utf-8"):
        if not enc:
            continue
        try:
            text = body.decode(enc)
            break
        except (LookupError, UnicodeDecodeError):
            continue
    if text is None:
        text = body.decode("utf-8", errors="replace")
    actual = hashlib.sha256(copy.raw_body).hexdigest()
    lines = [
        f"article:     {prov.article_id} ({prov.source_id})",
        f"url:         {prov.url}",
        f"canonical:   {prov.canonical_url or ''}",
        f"fetched at:  {prov.fetched_at or ''}",
        f"http status: {prov.http_status}",
        f"warc:        {prov.warc_file}@{prov.warc_offset} {copy.record_id or ''}",
        f"sha256:      {prov.raw_sha256} "
        + ("(matches the archive)" if actual == prov.raw_sha256 else f"(ARCHIVE HAS {actual})"),
        f"extractor:   {prov.extractor_version or ''}; tagger: {prov.tagger_version or ''}",
        "",
        f"{copy.status}",
        *(f"{k}: {v}" for k, v in copy.headers),
        "",
        text,
    ]
    return safe_text("\n".join(lines))


def check_article(raw_dir: str | Path, prov: Provenance) -> Mismatch | None:
    """None when the archived body still hashes to the recorded SHA-256."""

    def bad(reason: str, actual: str | None = None) -> Mismatch:
        return Mismatch(
            prov.article_id,
            prov.url,
            prov.warc_file,
            prov.warc_offset,
            prov.raw_sha256,
            actual,
            reason,
        )

    if not prov.archived:
        return bad("no archive pointer")
    if not prov.raw_sha256:
        return bad("no recorded sha256")
    assert prov.warc_file is not None and prov.warc_offset is not None
    try:
        path = warc_location(raw_dir, prov.warc_file)
    except ValueError as exc:
        return bad(str(exc))
    if not path.is_file():
        return bad("archive file missing")
    try:
        copy = read_archived(raw_dir, prov.warc_file, prov.warc_offset)
    except Exception as exc:  # a damaged gzip member raises zlib, EOF or warcio errors
        return bad(f"record unreadable: {type(exc).__name__}: {exc}")
    actual = hashlib.sha256(copy.raw_body).hexdigest()
    if prov.warc_record_id and copy.record_id != prov.warc_record_id:
        return bad(f"record id {copy.record_id} at that offset, expected {prov.warc_record_id}")
    if actual != prov.raw_sha256:
        return bad("sha256 differs", actual)
    return None


def verify_archive(
    db: sqlite_utils.Database,
    raw_dir: str | Path,
    article_ids: list[int] | None = None,
    include_unarchived: bool = False,
) -> list[Mismatch]:
    """Check every (or the listed) article's archived copy against its recorded hash.

    Articles loaded without an archive pointer (e.g. by hand) are skipped unless
    `include_unarchived`, in which case they are reported as mismatches.
    """
    sql = f"select {', '.join(PROVENANCE_COLUMNS)} from articles"
    params: list[Any] = []
    if article_ids is not None:
        sql += f" where id in ({', '.join('?' for _ in article_ids)})"
        params = list(article_ids)
    out = []
    for row in db.execute(sql + " order by id", params).fetchall():
        r = dict(zip(PROVENANCE_COLUMNS, row, strict=True))
        prov = Provenance(article_id=r.pop("id"), **r)
        if not prov.archived and not include_unarchived:
            continue
        m = check_article(raw_dir, prov)
        if m is not None:
            out.append(m)
    return out
