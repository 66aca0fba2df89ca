"""The fetcher against a misbehaving loopback server: every fault ends classified, nothing lost."""

from __future__ import annotations

import asyncio
import gzip
import time

import pytest

from ingest.config import Politeness
from ingest.crawl.archive import WarcArchive, read_record, verify_record
from ingest.crawl.fetch import Fetcher, TooLarge, decode_content, retry_after_seconds
from ingest.testing.loopback import LoopbackServer, free_port, send

POLICY = Politeness(
    min_delay=0, concurrency=4, timeout=1.0, retries=2, max_bytes=200_000, max_redirects=4
)
PAGE = "<html><head><title>Trang</title></head><body><p>Hà Nội sáng tạo</p></body></html>"


def fetch(server: LoopbackServer, path: str, archive=None, policy=POLICY, **kw):
    async def go():
        async with Fetcher(
            "TestBot/1 (+http://example.test)",
            archive=archive,
            backoff_base=0.01,
            retry_after_cap=2.0,
        ) as f:
            res = await f.fetch(server.base + path, policy, {f"127.0.0.1:{server.port}"}, **kw)
            return res, f

    return asyncio.run(go())


def ok_page(h):
    send(h, 200, PAGE.encode())


def flaky(fails: int, status: int = 500, headers: dict | None = None):
    state = {"n": 0}

    def route(h):
        state["n"] += 1
        if state["n"] <= fails:
            send(h, status, b"busy", headers=headers)
        else:
            ok_page(h)

    return route


def test_500_then_200_is_retried_and_fetched(tmp_path):
    with LoopbackServer({"/a": flaky(1)}) as srv:
        res, f = fetch(srv, "/a", archive=WarcArchive(tmp_path))
    assert res.outcome == "ok" and res.status == 200
    assert res.attempts == 2 and f.stats.retries == 1
    assert "Hà Nội sáng tạo" in res.body.decode()


def test_429_honours_retry_after():
    with LoopbackServer({"/a": flaky(1, 429, {"Retry-After": "1"})}) as srv:
        t0 = time.monotonic()
        res, _ = fetch(srv, "/a")
        waited = time.monotonic() - t0
    assert res.outcome == "ok"
    assert waited >= 0.9  # the server asked for one second; the fetcher must not hammer it


def test_retry_after_parsing():
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480.0) == 0.0
    assert retry_after_seconds("soon") is None


def test_persistent_500_is_transient_failure_after_retries():
    with LoopbackServer({"/a": flaky(99)}) as srv:
        res, _ = fetch(srv, "/a")
        assert srv.count("/a") == 3  # one try plus two retries
    assert res.outcome == "transient" and res.error == "HTTP 500"


def test_slow_response_times_out():
    def slow(h):
        time.sleep(2.5)
        ok_page(h)

    with LoopbackServer({"/slow": slow}) as srv:
        res, _ = fetch(srv, "/slow", policy=POLICY.model_copy(update={"retries": 0}))
    assert res.outcome == "transient" and "Timeout" in res.error


def test_connection_reset_mid_body_then_recovers():
    state = {"n": 0}

    def reset(h):
        state["n"] += 1
        if state["n"] == 1:
            h.send_response(200)
            h.send_header("Content-Length", "5000")
            h.end_headers()
            h.wfile.write(b"<html><body>" + b"x" * 100)
            h.wfile.flush()
            h.connection.shutdown(2)
            h.close_connection = True
        else:
            ok_page(h)

    with LoopbackServer({"/r": reset}) as srv:
        res, f = fetch(srv, "/r")
    assert res.outcome == "ok" and f.stats.retries == 1


def test_truncated_body_is_never_stored_as_ok():
    def truncated(h):
        h.send_response(200)
        h.send_header("Content-Length", "1000")
        h.end_headers()
        h.wfile.write(b"<html>short")
        h.close_connection = True

    with LoopbackServer({"/t": truncated}) as srv:
        res, _ = fetch(srv, "/t")
        assert srv.count("/t") == 3
    assert res.outcome == "transient" and res.body == b""


def test_endless_body_hits_size_cap():
    def endless(h):
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.end_headers()
        chunk = b"<p>" + b"a" * 8000 + b"</p>"
        try:
            for _ in range(10_000):
                h.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        h.close_connection = True

    with LoopbackServer({"/e": endless}) as srv:
        res, _ = fetch(srv, "/e")
    assert res.outcome == "too_large" and "exceeds 200000 bytes" in res.error


def test_gzip_bomb_is_capped():
    bomb = gzip.compress(b"\0" * 50_000_000)
    assert len(bomb) < 200_000

    def route(h):
        send(h, 200, bomb, headers={"Content-Encoding": "gzip"})

    with LoopbackServer({"/bomb": route}) as srv:
        res, _ = fetch(srv, "/bomb")
    assert res.outcome == "too_large" and "decompressed" in res.error
    with pytest.raises(TooLarge):
        decode_content(bomb, "gzip", limit=1000)


def test_gzip_body_decoded_and_archived_raw(tmp_path):
    payload = PAGE.encode()
    gz = gzip.compress(payload)
    archive = WarcArchive(tmp_path)
    with LoopbackServer(
        {"/g": lambda h: send(h, 200, gz, headers={"Content-Encoding": "gzip"})}
    ) as srv:
        res, _ = fetch(srv, "/g", archive=archive)
    archive.close()
    assert res.body == payload and res.raw_body == gz
    stored = read_record(tmp_path, res.warc_file, res.warc_offset)
    assert stored.raw_body == gz and stored.body == payload and stored.status == 200
    assert verify_record(tmp_path, res.warc_file, res.warc_offset, res.raw_sha256)


def test_redirect_loop_is_permanent():
    routes = {
        "/a": lambda h: send(h, 302, headers={"Location": "/b"}),
        "/b": lambda h: send(h, 302, headers={"Location": "/a"}),
    }
    with LoopbackServer(routes) as srv:
        res, _ = fetch(srv, "/a")
    assert res.outcome == "permanent" and "redirect loop" in res.error


def test_redirect_to_other_host_is_refused_and_recorded():
    with LoopbackServer({"/x": ok_page}) as other:
        target = f"http://localhost:{other.port}/x"
        with LoopbackServer({"/a": lambda h: send(h, 301, headers={"Location": target})}) as srv:
            res, _ = fetch(srv, "/a")
        assert other.count("/x") == 0
    assert res.outcome == "out_of_scope" and res.final_url == target


def test_robots_disallow_is_never_fetched():
    robots = b"User-agent: *\nDisallow: /private/\n"
    routes = {"/robots.txt": lambda h: send(h, 200, robots, "text/plain"), "/private/page": ok_page}
    with LoopbackServer(routes) as srv:
        res, _ = fetch(srv, "/private/page")
        assert srv.count("/private/page") == 0
    assert res.outcome == "robots"


def test_conditional_request_gets_304():
    def cond(h):
        if h.headers.get("If-None-Match") == '"v1"':
            send(h, 304)
        else:
            send(h, 200, PAGE.encode(), headers={"ETag": '"v1"'})

    with LoopbackServer({"/feed": cond}) as srv:
        first, _ = fetch(srv, "/feed")
        second, _ = fetch(srv, "/feed", etag=first.headers["etag"])
    assert first.outcome == "ok" and second.outcome == "not_modified"


def test_host_down_is_transient():
    port = free_port()

    class Down:
        base = f"http://127.0.0.1:{port}"
        # same interface as LoopbackServer for fetch()

    Down.port = port
    res, _ = fetch(Down, "/a")
    assert res.outcome == "transient"
    assert res.error == "host unreachable (ConnectError on robots.txt)"


def test_per_host_delay_spaces_requests():
    policy = POLICY.model_copy(update={"min_delay": 0.3, "concurrency": 2})
    with LoopbackServer({"/p": ok_page}) as srv:

        async def go():
            async with Fetcher("TestBot/1") as f:
                t0 = time.monotonic()
                await asyncio.gather(
                    *(
                        f.fetch(f"{srv.base}/p?i={i}", policy, {f"127.0.0.1:{srv.port}"})
                        for i in range(4)
                    )
                )
                return time.monotonic() - t0

        elapsed = asyncio.run(go())
    # robots.txt + 4 pages, each at least 0.3 s apart
    assert elapsed >= 1.2


def test_robots_fetched_once_per_host_under_concurrency():
    with LoopbackServer(
        {"/robots.txt": lambda h: send(h, 200, b"User-agent: *\n", "text/plain"), "*": ok_page}
    ) as srv:

        async def go():
            async with Fetcher("TestBot/1") as f:
                return await asyncio.gather(
                    *(
                        f.fetch(f"{srv.base}/p{i}", POLICY, {f"127.0.0.1:{srv.port}"})
                        for i in range(20)
                    )
                )

        results = asyncio.run(go())
        assert srv.count("/robots.txt") == 1
    assert all(r.outcome == "ok" for r in results)
