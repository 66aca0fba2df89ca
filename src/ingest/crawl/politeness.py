"""One politeness authority per host for a whole run.

A run fetches a host from several tasks one after another (robots.txt and discovery, then
batches of articles), on threads or on Dask workers in other processes. Each task has its own
`Fetcher`, so a limiter kept inside one fetcher would forget the host as soon as the task ends
and let the next task's first request follow the last one immediately. Two things keep the host
to one authority instead:

- the flow runs every task that touches a host in one *lane*, one task at a time
  (`host_groups` says which sources share a host and so share a lane);
- each task hands the host's state to the next as a small picklable dict (`export_hosts` /
  `import_hosts`): when the next request may start, robots.txt and its `Crawl-delay`, and a
  `Retry-After` the site asked for beyond our cap.

Inside one fetcher `Host.turn()` enforces the delay and the connection limit: a request starts
no earlier than `delay` seconds after the previous one started *and* after it finished, so a
slow server is never sent a burst when it recovers.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from protego import Protego

if TYPE_CHECKING:
    from ..config import Source

# Added to a handed-over start time: wall clock and monotonic clock are read a few microseconds
# apart, and a request must never start a hair before the previous task allowed.
HANDOVER_MARGIN = 0.002


@dataclass
class Host:
    """The limiter and robots.txt rules of one host inside one fetcher."""

    min_delay: float
    concurrency: int
    max_crawl_delay: float = 60.0
    sem: asyncio.Semaphore = field(init=False)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    robots_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_time: float = 0.0  # monotonic: the earliest start of the next request
    crawl_delay: float | None = None  # what robots.txt asked for
    deferred_until: float | None = None  # wall clock: the site's Retry-After beyond our cap
    deferred_reason: str | None = None
    robots: Protego | None = None
    robots_state: str | None = None  # None until fetched: ok | missing | unreachable | error
    robots_text: str | None = None

    def __post_init__(self) -> None:
        self.sem = asyncio.Semaphore(self.concurrency)

    @property
    def delay(self) -> float:
        """Seconds between requests: ours, or robots.txt's Crawl-delay when it asks for more
        (up to `max_crawl_delay`, so a typo like 86400 cannot stall the night)."""
        asked = min(self.crawl_delay or 0.0, self.max_crawl_delay)
        return max(self.min_delay, asked)

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Hold one of the host's connections, started no earlier than the delay allows."""
        async with self.sem:
            async with self.lock:
                wait = self.next_time - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                self.next_time = time.monotonic() + self.delay
            try:
                yield
            finally:
                self.next_time = max(self.next_time, time.monotonic() + self.delay)

    def set_robots(self, state: str, text: str | None) -> None:
        self.robots_state, self.robots_text = state, text
        self.robots = Protego.parse(text) if state == "ok" and text is not None else None
        self.crawl_delay = None
        if self.robots is not None:
            self.crawl_delay = _crawl_delay(self.robots)
        if self.crawl_delay:  # the wait after the robots.txt request itself
            self.next_time = max(self.next_time, time.monotonic() + self.delay)

    def deferred(self) -> float | None:
        """Seconds the site asked us to stay away, or None when it did not (any more)."""
        if self.deferred_until is None:
            return None
        left = self.deferred_until - time.time()
        return left if left > 0 else None

    def export(self) -> dict[str, Any]:
        wait = max(0.0, self.next_time - time.monotonic())
        return {
            "not_before": time.time() + wait,
            "robots": [self.robots_state, self.robots_text] if self.robots_state else None,
            "deferred_until": self.deferred_until,
            "deferred_reason": self.deferred_reason,
        }

    def restore(self, state: dict[str, Any]) -> None:
        wait = float(state.get("not_before") or 0.0) - time.time()
        if wait > 0:
            self.next_time = max(self.next_time, time.monotonic() + wait + HANDOVER_MARGIN)
        if state.get("robots"):
            robots_state, text = state["robots"]
            self.set_robots(robots_state, text)
        self.deferred_until = state.get("deferred_until")
        self.deferred_reason = state.get("deferred_reason")


def _crawl_delay(rules: Protego) -> float | None:
    """Crawl-delay for any crawler (our user agent is matched by the `*` group)."""
    try:
        value = rules.crawl_delay("*")
    except (TypeError, ValueError):
        return None
    return float(value) if value and value > 0 else None


HostState = dict[str, dict[str, Any]]


def export_hosts(hosts: dict[str, Host]) -> HostState:
    """The hosts' state for the next task in their lane (plain data: pickles to any worker)."""
    return {netloc: h.export() for netloc, h in hosts.items()}


def merge_hosts(older: HostState | None, newer: HostState | None) -> HostState:
    """A lane's state after a task: the task's view of its hosts over the lane's older view."""
    return {**(older or {}), **(newer or {})}


def _bare(netloc: str) -> str:
    return netloc.lower().removeprefix("www.")


def host_groups(sources: Iterable[Source]) -> list[list[Source]]:
    """Sources grouped so that two sources sharing a host (www. or not) are in one group; each
    group is crawled in one lane. Order follows the configuration."""
    sources = list(sources)
    groups: list[tuple[set[str], list[Source]]] = []
    for s in sources:
        hosts = {_bare(h) for h in s.scope_hosts()}
        joined = [g for g in groups if g[0] & hosts]
        merged_hosts, merged = set(hosts), []
        for g in joined:
            merged_hosts |= g[0]
            merged += g[1]
            groups.remove(g)
        groups.append((merged_hosts, [*merged, s]))
    order = {id(s): i for i, s in enumerate(sources)}
    out = [sorted(g[1], key=lambda s: order[id(s)]) for g in groups]
    return sorted(out, key=lambda g: order[id(g[0])])
