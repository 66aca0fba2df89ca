"""Polite, fault-tolerant HTTP fetching.

Politeness lives here and only here: identifying User-Agent, robots.txt (protego), per-host
concurrency and minimum delay, timeouts, a streamed size cap and a decompression cap. Retries
happen only at this network edge and only for transient failures; everything else is returned
as a classified outcome for the caller to record, never raised.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import random
import time
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urljoin, urlsplit

import httpx
from protego import Protego

from ..clock import now_vn
from ..config import Politeness
from ..models import FetchResult
from .archive import WarcArchive
from .content import TooLarge, decode_content
from .urls import in_scope, netloc_of

TRANSIENT_STATUS = {408, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524}


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


@dataclass
class _Host:
    policy: Politeness
    sem: asyncio.Semaphore
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_time: float = 0.0
    robots: Protego | None = None
    robots_state: str | None = None  # None until fetched: ok | missing | unreachable | error
    robots_text: str | None = None
    robots_lock: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass
class FetchStats:
    requests: int = 0
    by_status: dict[int, int] = field(default_factory=dict)
    retries: int = 0

    def count(self, status: int | None) -> None:
        self.requests += 1
        if status is not None:
            self.by_status[status] = self.by_status.get(status, 0) + 1


class Fetcher:
    """One pooled async client for a whole run; use as `async with Fetcher(...) as f`."""

    def __init__(
        self,
        user_agent: str,
        *,
        global_concurrency: int = 8,
        archive: WarcArchive | None = None,
        backoff_base: float = 1.0,
        backoff_cap: float = 60.0,
        retry_after_cap: float = 120.0,
        respect_robots: bool = True,
        robots_cache: dict[str, tuple[str, str | None]] | None = None,
    ):
        self.user_agent = user_agent
        self.archive = archive
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.retry_after_cap = retry_after_cap
        self.respect_robots = respect_robots
        self._global = asyncio.Semaphore(global_concurrency)
        self._hosts: dict[str, _Host] = {}
        self._client: httpx.AsyncClient | None = None
        self.stats = FetchStats()
        self._max_conns = global_concurrency
        self._preloaded_robots = dict(robots_cache or {})

    async def __aenter__(self) -> Fetcher:
        self._client = httpx.AsyncClient(
            headers={
                "User-Agent": self.user_agent,
                "Accept-Encoding": "gzip, deflate",
                "Accept-Language": "vi,en;q=0.5",
            },
            follow_redirects=False,
            # Idle connections are kept for every host of the run: closing them costs a new TCP
            # (and TLS) handshake per request once a crawl spans more hosts than the pool.
            limits=httpx.Limits(
                max_connections=self._max_conns * 4, max_keepalive_connections=self._max_conns * 4
            ),
            trust_env=False,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.aclose()

    def _host(self, netloc: str, policy: Politeness) -> _Host:
        host = self._hosts.get(netloc)
        if host is None:
            host = self._hosts[netloc] = _Host(policy, asyncio.Semaphore(policy.concurrency))
        return host

    async def _polite_slot(self, host: _Host) -> None:
        async with host.lock:
            wait = host.next_time - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            host.next_time = time.monotonic() + host.policy.min_delay

    async def _get_once(
        self, url: str, policy: Politeness, headers: dict[str, str]
    ) -> tuple[int, list[tuple[str, str]], bytes, bytes]:
        """One GET: returns (status, headers, raw_body, decoded_body); raises on transport errors."""
        assert self._client is not None
        host = self._host(netloc_of(url), policy)
        async with self._global, host.sem:
            await self._polite_slot(host)
            timeout = httpx.Timeout(policy.timeout)
            async with asyncio.timeout(policy.timeout * 3):
                async with self._client.stream("GET", url, headers=headers, timeout=timeout) as r:
                    self.stats.count(r.status_code)
                    declared = r.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > policy.max_bytes:
                        raise TooLarge(
                            f"Content-Length {declared} exceeds {policy.max_bytes} bytes"
                        )
                    raw = bytearray()
                    async for chunk in r.aiter_raw():
                        raw += chunk
                        if len(raw) > policy.max_bytes:
                            raise TooLarge(f"body exceeds {policy.max_bytes} bytes")
                    raw_bytes = bytes(raw)
                    hdrs = list(r.headers.multi_items())
                    body = decode_content(
                        raw_bytes, r.headers.get("content-encoding", ""), policy.max_bytes
                    )
                    return r.status_code, hdrs, raw_bytes, body

    async def robots_allows(self, url: str, policy: Politeness) -> tuple[bool, str | None]:
        """(allowed, reason). Fetched once per host per run; 4xx means no rules."""
        if not self.respect_robots:
            return True, None
        netloc = netloc_of(url)
        host = self._host(netloc, policy)
        if host.robots_state is None:
            async with host.robots_lock:  # one robots.txt request per host, however many callers
                if host.robots_state is None:
                    await self._load_robots(url, netloc, host)
        if host.robots_state == "unreachable":
            return False, host.robots_text or "host unreachable"
        if host.robots_state == "error":
            return False, "robots.txt answered a server error; not crawling this host now"
        if host.robots is not None and not host.robots.can_fetch(url, self.user_agent):
            return False, "disallowed by robots.txt"
        return True, None

    async def _load_robots(self, url: str, netloc: str, host: _Host) -> None:
        if netloc in self._preloaded_robots:
            host.robots_state, host.robots_text = self._preloaded_robots[netloc]
            host.robots = Protego.parse(host.robots_text) if host.robots_text is not None else None
            return
        robots_url = f"{urlsplit(url).scheme}://{netloc}/robots.txt"
        try:
            status, _, _, body = await self._get_once(robots_url, host.policy, {})
        except (httpx.TransportError, TimeoutError, TooLarge, ValueError) as exc:
            host.robots_state = "unreachable"
            host.robots_text = f"host unreachable ({type(exc).__name__} on robots.txt)"
            return
        if 200 <= status < 300:
            host.robots_text = body.decode("utf-8", "replace")
            host.robots = Protego.parse(host.robots_text)
            host.robots_state = "ok"
        elif 400 <= status < 500:
            host.robots_state = "missing"
        else:
            host.robots_state = "error"

    def robots_sitemaps(self, netloc: str) -> list[str]:
        host = self._hosts.get(netloc)
        return list(host.robots.sitemaps) if host and host.robots else []

    def robots_cache(self) -> dict[str, tuple[str, str | None]]:
        """Robots decisions of this run, to hand to the fetchers of later batches."""
        return {
            n: (h.robots_state, h.robots_text)
            for n, h in self._hosts.items()
            if h.robots_state in ("ok", "missing")
        }

    def robots_state(self, netloc: str) -> str | None:
        host = self._hosts.get(netloc)
        return host.robots_state if host else None

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.retry_after_cap)
        delay = min(self.backoff_cap, self.backoff_base * (2**attempt))
        return delay * (0.5 + random.random())

    async def fetch(
        self,
        url: str,
        policy: Politeness,
        scope: set[str],
        *,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> FetchResult:
        """Fetch one URL politely; the result's `outcome` says what happened, never raises."""
        result = FetchResult(url=url, final_url=url, status=None, fetched_at=now_vn().isoformat())
        if not in_scope(url, scope):
            result.outcome, result.error = "out_of_scope", f"{netloc_of(url)} is not in scope"
            return result
        cond: dict[str, str] = {}
        if etag:
            cond["If-None-Match"] = etag
        if last_modified:
            cond["If-Modified-Since"] = last_modified
        current = url
        seen = {url}
        attempt = 0
        while True:
            allowed, reason = await self.robots_allows(current, policy)
            if not allowed:
                transient = reason != "disallowed by robots.txt"
                result.outcome = "transient" if transient else "robots"
                result.error = reason
                return result
            result.attempts += 1
            try:
                status, headers, raw, body = await self._get_once(current, policy, cond)
            except TooLarge as exc:
                result.outcome, result.error = "too_large", str(exc)
                return result
            except (httpx.TransportError, TimeoutError) as exc:
                err = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
                if attempt < policy.retries:
                    self.stats.retries += 1
                    await asyncio.sleep(self._backoff(attempt, None))
                    attempt += 1
                    continue
                result.outcome, result.error = "transient", err
                return result
            except ValueError as exc:  # undecodable content-encoding
                result.outcome, result.error = "permanent", str(exc)
                return result
            result.status = status
            result.final_url = current
            hdict = {k.lower(): v for k, v in headers}
            if self.archive is not None and status != 304:
                rec = self.archive.write_response(
                    current, status, headers, raw, datetime.fromisoformat(result.fetched_at)
                )
                result.warc_file, result.warc_offset = rec.warc_file, rec.offset
                result.warc_record_id, result.raw_sha256 = rec.record_id, rec.sha256
            else:
                result.raw_sha256 = hashlib.sha256(raw).hexdigest()
            if status in (301, 302, 303, 307, 308) and "location" in hdict:
                nxt = urljoin(current, hdict["location"])
                result.redirects.append(nxt)
                if nxt in seen:
                    result.outcome, result.error = "permanent", f"redirect loop at {nxt}"
                    return result
                if len(result.redirects) > policy.max_redirects:
                    result.outcome = "permanent"
                    result.error = f"more than {policy.max_redirects} redirects"
                    return result
                if not in_scope(nxt, scope):
                    result.outcome = "out_of_scope"
                    result.error = f"redirect to {nxt} leaves the source's hosts"
                    result.final_url = nxt
                    return result
                seen.add(nxt)
                current = nxt
                continue
            if status in TRANSIENT_STATUS:
                if attempt < policy.retries:
                    self.stats.retries += 1
                    await asyncio.sleep(
                        self._backoff(attempt, retry_after_seconds(hdict.get("retry-after")))
                    )
                    attempt += 1
                    continue
                result.outcome, result.error = "transient", f"HTTP {status}"
                return result
            result.headers = hdict
            if status == 304:
                result.outcome = "not_modified"
                return result
            if 200 <= status < 300:
                result.body, result.raw_body, result.outcome = body, raw, "ok"
                return result
            result.outcome, result.error = "permanent", f"HTTP {status}"
            return result
