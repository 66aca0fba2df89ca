"""Crawler throughput: our Fetcher (robots.txt, per-host politeness, URL checks, WARC archive)
against a plain httpx loop, measured fairly; then the per-host rate politeness achieves.

Fair means: the loopback hosts run in a process of their own (so the server's work does not
share our interpreter), the same URLs and the same concurrency for both, the archive on, and
the two clients alternating round by round so a machine that gets busier mid-run slows both.
Prints pages per second (median, min..max over the rounds) and the ratio of the medians
(target >= 0.9). The politeness phase fetches one host with `min_delay` set and prints the
achieved request rate against the configured one (it must not be higher).

    .venv/bin/python benchmarks/bench_fetch.py                  # ~2-3 minutes
    BENCH_QUICK=1 .venv/bin/python benchmarks/bench_fetch.py    # under a minute
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import statistics
import tempfile
import time

import httpx

from ingest.config import Politeness
from ingest.crawl.archive import WarcArchive
from ingest.crawl.fetch import Fetcher

BODY = (
    "<html><head><title>Bài</title></head><body>"
    + "<p>Hà Nội là thành phố sáng tạo trong lĩnh vực thiết kế.</p>" * 200
    + "</body></html>"
).encode()


def serve(hosts: int, conn) -> None:
    """The child process: `hosts` loopback servers answering every path with the page."""
    from ingest.testing.loopback import LoopbackServer, send

    def page(h):
        send(h, 200, BODY)

    def robots(h):
        send(h, 200, b"User-agent: *\nAllow: /\n", "text/plain")

    servers = [LoopbackServer({"/robots.txt": robots, "*": page}) for _ in range(hosts)]
    for s in servers:
        s.__enter__()
    conn.send([s.port for s in servers])
    conn.recv()  # wait for "stop"
    for s in servers:
        s.__exit__(None, None, None)


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
    t0 = time.perf_counter()
    async with Fetcher("BenchBot/1", global_concurrency=concurrency, archive=archive) as f:
        results = await asyncio.gather(*(f.fetch(u, policy, hosts) for u in urls))
    archive.close()  # the fsync that makes the batch durable is part of the cost
    elapsed = time.perf_counter() - t0
    assert all(r.outcome == "ok" and r.warc_file for r in results), {r.outcome for r in results}
    return elapsed


async def polite_rate(url_base: str, host: str, pages: int, delay: float) -> tuple[float, int]:
    """Requests per second one host receives with `min_delay` and one connection."""
    policy = Politeness(min_delay=delay, concurrency=1, timeout=10, retries=0)
    async with Fetcher("BenchBot/1", global_concurrency=16) as f:
        await f.robots_allows(url_base + "/", policy)  # robots.txt, then time the pages
        t0 = time.perf_counter()
        results = await asyncio.gather(
            *(f.fetch(f"{url_base}/p-{i}.htm", policy, {host}) for i in range(pages))
        )
        elapsed = time.perf_counter() - t0
    assert all(r.outcome == "ok" for r in results)
    # n requests spaced by the delay span (n - 1) gaps
    return (pages - 1) / elapsed, f.stats.requests


def spread(times: list[float], n: int) -> str:
    rates = sorted(n / t for t in times)
    return f"{statistics.median(rates):8.1f} pages/s (min..max {rates[0]:.1f}..{rates[-1]:.1f})"


def main() -> None:
    quick = bool(os.environ.get("BENCH_QUICK"))
    ap = argparse.ArgumentParser()
    ap.add_argument("--hosts", type=int, default=4 if quick else 10)
    ap.add_argument("--pages", type=int, default=100 if quick else 200, help="pages per host")
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=3 if quick else 5)
    ap.add_argument("--delay", type=float, default=0.05, help="min_delay for the rate phase")
    ap.add_argument("--rate-pages", type=int, default=40 if quick else 100)
    args = ap.parse_args()

    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=serve, args=(args.hosts, child), daemon=True)
    proc.start()
    try:
        ports = parent.recv()
        bases = [f"http://127.0.0.1:{p}" for p in ports]
        urls = [f"{b}/a-{i}.htm" for i in range(args.pages) for b in bases]
        hosts = {b.removeprefix("http://") for b in bases}
        t_plain: list[float] = []
        t_ours: list[float] = []
        cpu = {"plain": 0.0, "ours": 0.0}  # this process's CPU seconds, per client
        with tempfile.TemporaryDirectory() as raw:
            asyncio.run(plain(urls[:100], args.concurrency))  # warm-up both paths
            asyncio.run(ours(urls[:100], hosts, args.concurrency, raw))
            for r in range(args.rounds):  # alternate, starting with the other one each round
                first, second = (plain, ours) if r % 2 == 0 else (ours, plain)
                for fn in (first, second):
                    c0 = time.process_time()
                    if fn is plain:
                        t_plain.append(asyncio.run(plain(urls, args.concurrency)))
                    else:
                        t_ours.append(asyncio.run(ours(urls, hosts, args.concurrency, raw)))
                    cpu["plain" if fn is plain else "ours"] += time.process_time() - c0
            archived = sum(e.stat().st_size for e in os.scandir(raw))
        rate, requests = asyncio.run(
            polite_rate(bases[0], bases[0].removeprefix("http://"), args.rate_pages, args.delay)
        )
    finally:
        parent.send("stop")
        proc.join(timeout=10)
    n = len(urls)
    ratio = statistics.median(t_plain) / statistics.median(t_ours)
    print(
        f"pages: {n} per round over {args.hosts} loopback hosts (server in its own process),"
        f" concurrency {args.concurrency}, {args.rounds} alternating rounds"
    )
    print(f"plain httpx loop : {spread(t_plain, n)}")
    print(f"ingest Fetcher   : {spread(t_ours, n)} (robots + politeness + URL checks + WARC)")
    print(f"archive written  : {archived / 1e6:.1f} MB over {len(t_ours) + 1} runs")
    per_page = {k: v / (n * args.rounds) * 1e6 for k, v in cpu.items()}
    print(
        f"client CPU per page: plain {per_page['plain']:.0f} µs, ours {per_page['ours']:.0f} µs"
        " (what the ratio hides when the server is the bottleneck)"
    )
    print(f"ratio (ours/plain, medians): {ratio:.2f}  (target >= 0.9)")
    configured = 1 / args.delay
    print(
        f"per-host rate with politeness (min_delay {args.delay:g} s, 1 connection):"
        f" configured {configured:.1f} req/s, achieved {rate:.1f} req/s"
        f" ({rate / configured:.2f} of configured; {requests} requests incl. robots.txt)"
    )


if __name__ == "__main__":
    main()
