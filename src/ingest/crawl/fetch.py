"""Polite, fault-tolerant HTTP fetching.

Politeness lives here and only here: identifying User-Agent, robots.txt (protego) with its
Crawl-delay, per-host concurrency and minimum delay (`politeness.Host`, handed from task to
task so a host has one authority for the whole run), timeouts, a streamed size cap and a
decompression cap. Retries happen only at this network edge and only for transient failures;
everything else is returned as a classified outcome for the caller to record, never raised:
one bad URL or one hostile redirect must cost that URL, not the night.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import random
import time
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urljoin, urlsplit

import httpx

from ..clock import now_vn
from ..config import Politeness
from ..models import FetchResult
from .archive import ArchivedRecord, WarcArchive
from .content import TooLarge, decode_content
from .politeness import Host, HostState, export_hosts
from .urls import in_scope, netloc_of, printable, url_problem

TRANSIENT_STATUS = {408, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524}
REDIRECT_STATUS = {301, 302, 303, 307, 308}
ROBOTS_MAX_REDIRECTS = 5  # RFC 9309: follow at least five


# A Retry-After beyond a week (a misconfigured server, a date in 2999) is taken as a week.
MAX_DEFER_S = 7 * 86400


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
class FetchStats:
    requests: int = 0
    by_status: dict[int, int] = field(default_factory=dict)
    retries: int = 0

    def count(self, status: int | None) -> None:
        self.requests += 1
        if status is not None:
            self.by_status[status] = self.by_status.get(status, 0) + 1


@dataclass
class _Response:
    status: int
    headers: list[tuple[str, str]]
    raw: bytes
    body: bytes
    sha256: str
    fetched_at: str
    record: ArchivedRecord | None = None


class Fetcher:
    """One pooled async client per task; use as `async with Fetcher(...) as f`.

    `hosts` is the state the previous task of this lane handed over (`host_state()` gives it
    back at the end); `robots_cache` is the older form of the same (robots decisions only)."""

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
        hosts: HostState | None = None,
    ):
        self.user_agent = user_agent
        self.archive = archive
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.retry_after_cap = retry_after_cap
        self.respect_robots = respect_robots
        self._global = asyncio.Semaphore(global_concurrency)
        self._hosts: dict[str, Host] = {}
        self._client: httpx.AsyncClient | None = None
        self.stats = FetchStats()
        self._max_conns = global_concurrency
        self._handed: HostState = dict(hosts or {})
        for netloc, (state, text) in (robots_cache or {}).items():
            self._handed.setdefault(netloc, {"robots": [state, text]})

    async def __aenter__(self) -> Fetcher:
        self._client = httpx.AsyncClient(
            headers={
                "User-Agent": self.user_agent,
                "Accept-Encoding": "gzip, deflate",
                "Accept-Language": "vi,en;q=0.5",
            },
            follow_redirects=False,
            # A fetcher serves one task of one lane (a host or a few), so twice the requests in
            # flight is room enough to keep every host's connections alive; a larger pool only
            # costs httpcore a longer scan of idle connections on every request.
            limits=httpx.Limits(
                max_connections=self._max_conns * 2, max_keepalive_connections=self._max_conns * 2
            ),
            trust_env=False,
            event_hooks={"response": [_keep_location]},
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.aclose()

    def _host(self, netloc: str, policy: Politeness) -> Host:
        host = self._hosts.get(netloc)
        if host is None:
            host = self._hosts[netloc] = Host(
                policy.min_delay, policy.concurrency, policy.max_crawl_delay
            )
            if netloc in self._handed:
                host.restore(self._handed[netloc])
        return host

    def host_state(self) -> HostState:
        """Every host's state for the next task of the lane (hosts this task never touched
        are passed on as they were handed in)."""
        return {**self._handed, **export_hosts(self._hosts)}

    def robots_cache(self) -> dict[str, tuple[str, str | None]]:
        """Robots decisions of this run (older interface; `host_state` carries them too)."""
        return {
            n: (h.robots_state, h.robots_text)
            for n, h in self._hosts.items()
            if h.robots_state in ("ok", "missing")
        }

    async def _get_once(
        self,
        url: str,
        policy: Politeness,
        headers: dict[str, str],
        kind: str | None = None,
        for_url: str | None = None,
    ) -> _Response:
        """One GET, archived; raises on transport errors, size caps and bad encodings."""
        assert self._client is not None
        host = self._host(netloc_of(url), policy)
        async with self._global, host.turn():
            if host.deferred() is not None:  # asked to stay away while this request waited
                raise _HostDeferred()
            fetched_at = now_vn()
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
                    digest = hashlib.sha256()
                    async for chunk in r.aiter_raw():
                        raw += chunk
                        digest.update(chunk)
                        if len(raw) > policy.max_bytes:
                            raise TooLarge(f"body exceeds {policy.max_bytes} bytes")
                    status = r.status_code
                    hdrs = r.extensions.get(RAW_HEADERS) or list(r.headers.multi_items())
                    encoding = r.headers.get("content-encoding", "")
        raw_bytes = bytes(raw)
        body = decode_content(raw_bytes, encoding, policy.max_bytes)
        resp = _Response(status, hdrs, raw_bytes, body, digest.hexdigest(), fetched_at.isoformat())
        if self.archive is not None:
            resp.record = self.archive.write_response(
                url, status, hdrs, raw_bytes, fetched_at, sha256=resp.sha256, kind=kind,
                for_url=for_url,
            )  # fmt: skip
        return resp

    async def robots_allows(self, url: str, policy: Politeness) -> tuple[bool, str | None]:
        """(allowed, reason). Fetched once per host per run; 4xx means no rules."""
        if not self.respect_robots:
            return True, None
        netloc = netloc_of(url)
        host = self._host(netloc, policy)
        if host.robots_state is None:
            async with host.robots_lock:  # one robots.txt request per host, however many callers
                if host.robots_state is None:
                    await self._load_robots(url, netloc, host, policy)
        if host.robots_state == "unreachable":
            return False, host.robots_text or "host unreachable"
        if host.robots_state == "error":
            return False, host.robots_text or "robots.txt answered a server error"
        if host.robots is not None and not host.robots.can_fetch(url, self.user_agent):
            return False, "disallowed by robots.txt"
        return True, None

    async def _load_robots(self, url: str, netloc: str, host: Host, policy: Politeness) -> None:
        current = f"{urlsplit(url).scheme}://{netloc}/robots.txt"
        for _ in range(ROBOTS_MAX_REDIRECTS + 1):
            try:
                resp = await self._get_once(current, policy, {}, kind="robots")
            except (httpx.TransportError, TimeoutError) as exc:
                host.set_robots(
                    "unreachable", f"host unreachable ({type(exc).__name__} on robots.txt)"
                )
                return
            except (TooLarge, ValueError, httpx.InvalidURL) as exc:
                # RFC 9309: an unparsable or oversized robots.txt is as if there were none
                host.set_robots("missing", f"robots.txt unusable ({exc}); crawling without rules")
                return
            status, hdict = resp.status, {k.lower(): v for k, v in resp.headers}
            if status in REDIRECT_STATUS and "location" in hdict:
                nxt = _join(current, hdict["location"])
                if nxt is None or url_problem(nxt):
                    host.set_robots("missing", "robots.txt redirects to an unusable URL")
                    return
                current = nxt
                continue
            if 200 <= status < 300:
                host.set_robots("ok", resp.body.decode("utf-8", "replace"))
            elif 400 <= status < 500 and status != 429:
                host.set_robots("missing", None)
            else:
                wait = retry_after_seconds(hdict.get("retry-after"))
                if wait is not None and wait > self.retry_after_cap:
                    self._defer(host, wait, f"robots.txt answered HTTP {status}")
                host.set_robots("error", f"robots.txt answered HTTP {status}; host not crawled now")
            return
        host.set_robots("missing", f"more than {ROBOTS_MAX_REDIRECTS} robots.txt redirects")

    def robots_sitemaps(self, netloc: str) -> list[str]:
        host = self._hosts.get(netloc)
        return list(host.robots.sitemaps) if host and host.robots else []

    def robots_state(self, netloc: str) -> str | None:
        host = self._hosts.get(netloc)
        return host.robots_state if host else None

    def crawl_delay(self, netloc: str) -> float | None:
        host = self._hosts.get(netloc)
        return host.crawl_delay if host else None

    def robots_message(self, netloc: str) -> str | None:
        host = self._hosts.get(netloc)
        return host.robots_text if host and host.robots_state != "ok" else None

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.retry_after_cap)
        delay = min(self.backoff_cap, self.backoff_base * (2**attempt))
        return delay * (0.5 + random.random())

    def _defer(self, host: Host, seconds: float, why: str) -> None:
        """The site asked us to stay away longer than we wait inside a run: every later request
        to the host this run (and in later tasks of its lane) is deferred, not sent. At most
        `MAX_DEFER_S`: a Retry-After in the year 3000 would park its URLs for ever."""
        until = time.time() + min(seconds, MAX_DEFER_S)
        if host.deferred_until is None or until > host.deferred_until:
            host.deferred_until = until
            host.deferred_reason = f"{why} with Retry-After {int(seconds)} s"

    async def fetch(
        self,
        url: str,
        policy: Politeness,
        scope: set[str],
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        kind: str = "article",
    ) -> FetchResult:
        """Fetch one URL politely; the result's `outcome` says what happened, never raises
        (except OSError from the archive: a full disk must stop the batch, not mark URLs)."""
        result = FetchResult(url=url, final_url=url, status=None, fetched_at=now_vn().isoformat())
        try:
            return await self._fetch(result, policy, scope, etag, last_modified, kind)
        except OSError as exc:
            if isinstance(exc, TimeoutError):
                result.outcome, result.error = "transient", f"TimeoutError: {exc}".rstrip(": ")
                return result
            raise
        except Exception as exc:  # a bug or a library surprise: this URL only
            result.outcome = "error"
            result.error = f"unexpected {type(exc).__name__}: {str(exc)[:300]}"
            return result

    async def _fetch(
        self,
        result: FetchResult,
        policy: Politeness,
        scope: set[str],
        etag: str | None,
        last_modified: str | None,
        kind: str,
    ) -> FetchResult:
        url = result.url
        if problem := url_problem(url, strict=False):
            result.outcome, result.error = "invalid_url", f"invalid_url: {problem}"
            return result
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
            host = self._host(netloc_of(current), policy)
            if (left := host.deferred()) is not None:
                return self._deferred(result, host, left)
            allowed, reason = await self.robots_allows(current, policy)
            if not allowed:
                if (left := host.deferred()) is not None:
                    return self._deferred(result, host, left)
                transient = reason != "disallowed by robots.txt"
                result.outcome = "transient" if transient else "robots"
                result.error = reason
                return result
            result.attempts += 1
            try:
                resp = await self._get_once(current, policy, cond, kind=kind, for_url=url)
            except TooLarge as exc:
                result.outcome, result.error = "too_large", str(exc)
                return result
            except _HostDeferred:
                return self._deferred(result, host, host.deferred() or 0.0)
            except (httpx.TransportError, TimeoutError) as exc:
                err = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
                if attempt < policy.retries:
                    self.stats.retries += 1
                    await asyncio.sleep(self._backoff(attempt, None))
                    attempt += 1
                    continue
                result.outcome, result.error = "transient", err
                return result
            except httpx.InvalidURL as exc:
                result.outcome, result.error = "invalid_url", f"invalid_url: {exc}"
                return result
            except ValueError as exc:  # undecodable content-encoding
                result.outcome, result.error = "permanent", str(exc)
                return result
            status = resp.status
            result.status = status
            result.final_url = current
            result.fetched_at = resp.fetched_at
            hdict = {k.lower(): v for k, v in resp.headers}
            result.raw_sha256 = resp.sha256
            if resp.record is not None:
                result.warc_file, result.warc_offset = resp.record.warc_file, resp.record.offset
                result.warc_record_id = resp.record.record_id
            if status in REDIRECT_STATUS and "location" in hdict:
                nxt = _join(current, hdict["location"])
                shown = printable(hdict["location"], 200)
                if nxt is None or (problem := url_problem(nxt)):
                    result.outcome = "unsafe_redirect"
                    result.error = f"unsafe_redirect: {printable(current, 200)} -> {shown}"
                    return result
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
                    result.error = f"redirect to {printable(nxt, 200)} leaves the source's hosts"
                    result.final_url = nxt
                    return result
                seen.add(nxt)
                current = nxt
                continue
            if status in TRANSIENT_STATUS:
                wait = retry_after_seconds(hdict.get("retry-after"))
                if wait is not None and wait > self.retry_after_cap:
                    self._defer(host, wait, f"HTTP {status}")
                    return self._deferred(result, host, min(wait, MAX_DEFER_S))
                if attempt < policy.retries:
                    self.stats.retries += 1
                    await asyncio.sleep(self._backoff(attempt, wait))
                    attempt += 1
                    continue
                result.outcome, result.error = "transient", f"HTTP {status}"
                return result
            result.headers = hdict
            if status == 304:
                result.outcome = "not_modified"
                return result
            if 200 <= status < 300:
                result.body, result.raw_body, result.outcome = resp.body, resp.raw, "ok"
                return result
            result.outcome, result.error = "permanent", f"HTTP {status}"
            return result

    @staticmethod
    def _deferred(result: FetchResult, host: Host, seconds: float) -> FetchResult:
        result.outcome = "deferred"
        result.retry_at = (now_vn() + timedelta(seconds=seconds)).replace(microsecond=0).isoformat()
        result.error = f"{host.deferred_reason or 'site asked to wait'}; next try {result.retry_at}"
        return result


class _HostDeferred(Exception):
    """The host's Retry-After arrived while a request waited for its turn."""


RAW_HEADERS = "ingest_raw_headers"


async def _keep_location(response: httpx.Response) -> None:
    """Redirects are ours to follow (scope, loops, unsafe targets): httpx must not even parse
    the Location, because a `javascript:` or malformed one raises InvalidURL before we see the
    response. The headers as received are kept aside and Location is removed from httpx's view."""
    if 300 <= response.status_code < 400 and "location" in response.headers:
        response.extensions[RAW_HEADERS] = list(response.headers.multi_items())
        del response.headers["location"]


def _join(base: str, location: str) -> str | None:
    try:
        return urljoin(base, location.strip())
    except ValueError:
        return None
