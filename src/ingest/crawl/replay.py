"""Replay a crawl from the WARC archive, with no network.

Every response of a run is archived (robots.txt, feeds, sitemaps, listings, articles, redirects,
304s), each file carrying its run, source and task in its warcinfo record. `ArchiveIndex` reads
those headers (not the bodies), and `ReplayFetcher` is a `Fetcher` whose network is the
archive: the same redirect, robots.txt, scope and discovery logic runs over what the sites
answered that night, so `ingest reprocess --replay` rebuilds the frontier (with the dates feeds
gave) and the articles exactly as the crawl did.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from warcio.archiveiterator import ArchiveIterator

from ..clock import VN_TZ
from ..config import Politeness
from .archive import ArchivedRecord, read_record
from .fetch import Fetcher, _Response
from .politeness import Host

_LEGACY_NAME = re.compile(r"^(?P<source>.+)-\d{8}T\d{6}-[0-9a-f]{8}\.warc\.gz$")


@dataclass(frozen=True)
class Entry:
    """One archived response, located by file and offset."""

    url: str
    status: int
    warc_file: str
    offset: int
    record_id: str
    date: str  # ISO 8601 in +07:00
    kind: str  # robots | discovery | article
    for_url: str | None


@dataclass
class ArchiveFile:
    name: str
    run: str | None
    source: str | None
    task: str | None
    entries: list[Entry] = field(default_factory=list)


def _warc_fields(raw: bytes) -> dict[str, str]:
    out = {}
    for line in raw.decode("utf-8", "replace").splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out[key.strip()] = value.strip()
    return out


def _hanoi(warc_date: str | None) -> str:
    if not warc_date:
        return ""
    when = datetime.fromisoformat(warc_date.replace("Z", "+00:00"))
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(VN_TZ).isoformat()


def scan_file(root: Path, name: str) -> ArchiveFile:
    """A WARC file's warcinfo and the headers of its responses (bodies are not read)."""
    legacy = _LEGACY_NAME.match(name)
    af = ArchiveFile(name, None, legacy.group("source") if legacy else None, None)
    with open(root / name, "rb") as fh:
        it = ArchiveIterator(fh)
        for record in it:
            headers = record.rec_headers
            if record.rec_type == "warcinfo":
                info = _warc_fields(record.content_stream().read())
                af.run = info.get("run") or af.run
                af.source = info.get("source") or af.source
                af.task = info.get("task") or af.task
                continue
            if record.rec_type != "response" or record.http_headers is None:
                continue
            af.entries.append(
                Entry(
                    url=headers.get_header("WARC-Target-URI") or "",
                    status=int(record.http_headers.get_statuscode() or 0),
                    warc_file=name,
                    offset=it.get_record_offset(),
                    record_id=headers.get_header("WARC-Record-ID") or "",
                    date=_hanoi(headers.get_header("WARC-Date")),
                    kind=headers.get_header("Ingest-Kind") or "article",
                    for_url=headers.get_header("Ingest-For"),
                )
            )
    return af


class ArchiveIndex:
    """Every response in an archive directory, grouped into runs in the order they ran."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.files = [
            scan_file(self.root, p.name) for p in sorted(self.root.glob("*.warc.gz")) if p.is_file()
        ]
        first: dict[str | None, str] = {}
        for f in self.files:
            for e in f.entries:
                if e.date and (f.run not in first or e.date < first[f.run]):
                    first[f.run] = e.date
        self.runs: list[str | None] = sorted(first, key=lambda r: first[r])
        self._run_of = {f.name: f.run for f in self.files}

    def files_of(self, run: str | None) -> list[ArchiveFile]:
        return [f for f in self.files if f.run == run]

    def history(self, run: str | None) -> dict[str, list[Entry]]:
        """URL -> its responses up to and including `run` (oldest first): what a fetch of
        that URL during `run` may be answered with."""
        upto = self.runs[: self.runs.index(run) + 1] if run in self.runs else self.runs
        allowed = set(upto)
        order = {r: i for i, r in enumerate(self.runs)}
        by_url: dict[str, list[Entry]] = defaultdict(list)
        for f in self.files:
            if f.run in allowed:
                for e in f.entries:
                    by_url[e.url].append(e)
        for entries in by_url.values():
            entries.sort(key=lambda e: (order[self._run_of[e.warc_file]], e.date, e.offset))
        return by_url

    def article_requests(self, run: str | None, source_id: str) -> list[str]:
        """The frontier URLs a run fetched for a source, in the order it fetched them."""
        out: dict[str, None] = {}
        for f in self.files_of(run):
            if f.source != source_id or f.task == "discovery":
                continue
            for e in f.entries:
                if e.kind == "article":
                    out.setdefault(e.for_url or e.url, None)
        return list(out)

    def sources_of(self, run: str | None) -> set[str]:
        return {f.source for f in self.files_of(run) if f.source}


class ReplayFetcher(Fetcher):
    """A Fetcher answered by the archive: the latest response a URL had by the replayed run (a
    304 replays the body it confirmed), no waiting, no socket."""

    def __init__(self, index: ArchiveIndex, run: str | None, user_agent: str = "replay"):
        super().__init__(user_agent, global_concurrency=64)
        self.index = index
        self.by_url = index.history(run)

    async def __aenter__(self) -> ReplayFetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    def _host(self, netloc: str, policy: Politeness) -> Host:
        host = self._hosts.get(netloc)
        if host is None:  # the archive needs no politeness
            host = self._hosts[netloc] = Host(0.0, 64, 0.0)
        return host

    def _pick(self, url: str) -> Entry | None:
        entries = self.by_url.get(url) or []
        if not entries:
            return None
        latest = entries[-1]
        if latest.status != 304:
            return latest
        earlier = [e for e in entries if 200 <= e.status < 300]
        return earlier[-1] if earlier else latest

    async def _get_once(
        self,
        url: str,
        policy: Politeness,
        headers: dict[str, str],
        kind: str | None = None,
        for_url: str | None = None,
    ) -> _Response:
        entry = self._pick(url)
        if entry is None:
            raise httpx.ConnectError(f"{url} is not in the archive")
        self.stats.count(entry.status)
        stored = read_record(self.index.root, entry.warc_file, entry.offset)
        digest = hashlib.sha256(stored.raw_body).hexdigest()
        record = ArchivedRecord(entry.warc_file, entry.offset, entry.record_id, digest)
        return _Response(
            stored.status, stored.headers, stored.raw_body, stored.body, digest, entry.date, record
        )
