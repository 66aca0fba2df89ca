"""Crawler throughput: our Fetcher (robots, politeness, WARC archive) against a plain httpx loop.

Many loopback hosts (one port each), the same URLs and the same concurrency for both; prints
pages per second and the ratio (target >= 0.9).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time

import httpx

from ingest.config import Politeness
from ingest.crawl.archive import WarcArchive
from ingest.crawl.fetch import Fetcher
from ingest.testing.loopback import LoopbackServer, send

BODY = (
    "<html><head><title>Bài</title></head><body>"
    + "<p>Hà Nội là thành phố sáng tạo trong lĩnh vực thiết kế.</p>" * 200
    + "</body></html>"
).encode()


def page(h):
    send(h, 200, BODY)


async def plain(urls: list[str], concurrency: int) -> float:
    sem = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(
        limits=httpx.Limits(max_connections=concurrency * 2), trust_env=False
    ) as client:

        async def one(u: str) -> None:
            async with sem:
                r = await client.get(u)
                r.raise_for_status()

        t0 = time.perf_counter()
        await asyncio.gather(*(one(u) for u in urls))
        return time.perf_counter() - t0


async def ours(urls: list[str], hosts: set[str], concurrency: int, raw: str) -> float:
    policy = Politeness(min_delay=0, concurrency=concurrency, timeout=10, retries=0)
    archive = WarcArchive(raw, prefix="bench")
    async with Fetcher("BenchBot/1", global_concurrency=concurrency, archive=archive) as f:
        t0 = time.perf_counter()
        results = await asyncio.gather(*(f.fetch(u, policy, hosts) for u in urls))
        elapsed = time.perf_counter() - t0
    archive.close()
    assert all(r.outcome == "ok" for r in results), {r.outcome for r in results}
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hosts", type=int, default=10)
    ap.add_argument("--pages", type=int, default=200, help="pages per host")
    ap.add_argument("--concurrency", type=int, default=16)
    args = ap.parse_args()
    with contextlib.ExitStack() as stack:
        servers = [stack.enter_context(LoopbackServer({"*": page})) for _ in range(args.hosts)]
        urls = [f"{s.base}/a-{i}.htm" for i in range(args.pages) for s in servers]
        hosts = {f"127.0.0.1:{s.port}" for s in servers}
        with tempfile.TemporaryDirectory() as raw:
            asyncio.run(plain(urls[:50], args.concurrency))  # warm-up
            t_plain = min(asyncio.run(plain(urls, args.concurrency)) for _ in range(2))
            t_ours = min(asyncio.run(ours(urls, hosts, args.concurrency, raw)) for _ in range(2))
    n = len(urls)
    print(f"pages: {n} over {args.hosts} loopback hosts, concurrency {args.concurrency}")
    print(f"plain httpx loop : {n / t_plain:8.1f} pages/s")
    print(f"ingest Fetcher   : {n / t_ours:8.1f} pages/s (robots + per-host politeness + WARC)")
    print(f"ratio (ours/plain): {t_plain / t_ours:.2f}  (target >= 0.9)")


if __name__ == "__main__":
    main()
