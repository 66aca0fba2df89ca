"""One politeness authority per host for the whole run, measured on the server's side.

The real nightly flow crawls a loopback host with several batches (and two sources sharing the
host); the host records when each request started and finished. With `concurrency: 1` no two
requests may overlap, every gap must be at least `min_delay`, and robots.txt's `Crawl-delay`
raises the gap when it asks for more. (The same on two Dask workers:
tests/pipeline/test_dask.py.)
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from conftest import run_nightly
from politeness_helpers import DELAY, Timeline, polite_entries, timed_site

from ingest.config import Politeness, Source
from ingest.crawl.fetch import Fetcher
from ingest.crawl.politeness import host_groups
from ingest.testing.generate import sources_yaml
from ingest.testing.loopback import LoopbackServer, send


def test_host_groups_put_sources_sharing_a_host_in_one_lane():
    def src(sid: str, home: str, **kw) -> Source:
        return Source(id=sid, name=sid, kind="news", home=home, feeds=[home + "rss"], **kw)

    a = src("a", "https://www.bao.vn/")
    b = src("b", "https://bao.vn/", hosts=["bao.vn", "tim.bao.vn"])
    c = src("c", "https://khac.vn/")
    d = src("d", "https://tim.bao.vn/")
    assert [[s.id for s in g] for g in host_groups([a, b, c, d])] == [["a", "b", "d"], ["c"]]


def test_batches_and_sources_on_one_host_never_overlap_and_keep_the_delay(
    prefect_harness, tmp_path: Path
):
    site, timeline = timed_site(8, seed=31)
    with site:
        sources = tmp_path / "sources.yaml"
        sources.write_text(sources_yaml(polite_entries(site)), encoding="utf-8")
        state = run_nightly(sources, tmp_path / "kb.db", batch_size=3, publish=False)
    assert state.is_completed(), state.message
    paths = [p for _, _, p in sorted(timeline.spans)]
    assert paths[0] == "/robots.txt" and paths.count("/robots.txt") == 1  # once for the run
    assert sum(p.startswith("/van-hoa/") for p in paths) == 8  # three batches of articles
    assert paths.count("/sitemap.xml") == 1 and paths.count("/rss.xml") == 1
    gaps = timeline.gaps()
    assert len(gaps) == len(paths) - 1 == 10
    assert min(gaps) >= DELAY, sorted(gaps)[:3]
    conn = sqlite3.connect(tmp_path / "kb.db")
    assert conn.execute("select count(*) from articles").fetchone()[0] == 8
    conn.close()


def test_crawl_delay_in_robots_raises_the_gap(prefect_harness, tmp_path: Path):
    site, timeline = timed_site(3, seed=32)
    site.robots = "User-agent: *\nCrawl-delay: 0.6\nDisallow: /tim-kiem\n"
    with site:
        sources = tmp_path / "sources.yaml"
        sources.write_text(sources_yaml(polite_entries(site)[:1]), encoding="utf-8")
        state = run_nightly(sources, tmp_path / "kb.db", batch_size=2, publish=False)
    assert state.is_completed(), state.message
    gaps = timeline.gaps()
    assert len(gaps) == 4  # robots.txt, the feed, three articles
    assert min(gaps) >= 0.6, gaps


def test_crawl_delay_beyond_the_cap_is_honoured_at_the_cap_and_flagged(
    prefect_harness, tmp_path: Path
):
    site, timeline = timed_site(2, seed=33)
    site.robots = "User-agent: *\nCrawl-delay: 3600\n"
    with site:
        sources = tmp_path / "sources.yaml"
        entries = polite_entries(site, max_crawl_delay=0.4)[:1]
        sources.write_text(sources_yaml(entries), encoding="utf-8")
        state = run_nightly(sources, tmp_path / "kb.db", publish=False)
    assert min(timeline.gaps()) >= 0.4
    assert state.name == "CompletedWithWarnings"
    assert (
        "sinhtao (robots.txt asks Crawl-delay 3600 s; honoured at max_crawl_delay 0.4 s)"
        in state.message
    )


def test_host_state_handed_to_the_next_fetcher_keeps_the_delay():
    """What a lane does between tasks: the second fetcher's first request waits for the
    delay the first fetcher's last request started."""
    spans = Timeline()
    policy = Politeness(min_delay=0.5, concurrency=1, retries=0, timeout=5)
    with LoopbackServer({"*": spans.wrap(lambda h: send(h, 200, b"<p>ok</p>"))}) as srv:
        scope = {f"127.0.0.1:{srv.port}"}

        async def one(hosts):
            async with Fetcher("TestBot/1", hosts=hosts) as f:
                res = await f.fetch(srv.base + "/a", policy, scope)
                assert res.outcome == "ok"
                return f.host_state()

        handed = asyncio.run(one(None))
        assert list(handed) == [f"127.0.0.1:{srv.port}"]
        asyncio.run(one(handed))
    assert [p for _, _, p in sorted(spans.spans)] == ["/robots.txt", "/a", "/a"]  # robots once
    assert min(spans.gaps()) >= 0.5
