"""Faulty sites through the real nightly flow: nothing lost, a clear record for every URL."""

from __future__ import annotations

import gzip
import json
import sqlite3

from conftest import run_nightly

from ingest.testing.loopback import LoopbackServer, free_port, send, to_cp1258

ARTICLE = """<html lang="vi"><head><meta charset="{cs}"><title>{title} - Báo Thử</title></head>
<body><nav>Trang chủ | Văn hóa</nav><article><h1>{title}</h1>
<p class="sapo">Bài viết thử nghiệm về hoạt động văn hóa của Thủ đô trong năm nay.</p>
<p>Sở Văn hóa và Thể thao Hà Nội cho biết nhiều không gian sáng tạo mới đã mở cửa đón khách,
thu hút đông đảo người trẻ tới tham quan và trải nghiệm.</p>
<p>Theo kế hoạch, thành phố sẽ tiếp tục tổ chức Lễ hội Thiết kế sáng tạo Hà Nội vào tháng 11,
với nhiều hoạt động diễn ra quanh hồ Hoàn Kiếm.</p>
<p>Ngày đăng: 10/11/2024 08:30</p></article><footer>Báo Thử © 2024</footer></body></html>"""

PATHS = [
    "/ok-1.htm",
    "/flaky-2.htm",
    "/gone-3.htm",
    "/loop-4.htm",
    "/away-5.htm",
    "/private/p-6.htm",
    "/big-7.htm",
    "/bomb-8.htm",
    "/cp1258-9.htm",
    "/wrongcs-10.htm",
]


def page(title: str, cs: str = "utf-8") -> bytes:
    html = ARTICLE.format(title=title, cs=cs)
    return to_cp1258(html) if cs == "cp1258" else html.encode(cs)


def build_routes(srv: LoopbackServer, other: LoopbackServer) -> None:
    state = {"flaky": 0}
    items = "".join(f"<item><title>x</title><link>{srv.base}{p}</link></item>" for p in PATHS)
    feed = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'
    )

    def flaky(h):
        state["flaky"] += 1
        if state["flaky"] == 1:
            send(h, 503, b"busy")
        else:
            send(h, 200, page("Trang thử lại thành công"))

    def endless(h):
        h.send_response(200)
        h.end_headers()
        try:
            for _ in range(5000):
                h.wfile.write(b"<p>" + b"a" * 4000 + b"</p>")
        except (BrokenPipeError, ConnectionResetError):
            pass
        h.close_connection = True

    bomb = gzip.compress(b" " * 30_000_000)
    srv.routes.update(
        {
            "/robots.txt": lambda h: send(
                h, 200, b"User-agent: *\nDisallow: /private/\n", "text/plain"
            ),
            "/rss.xml": lambda h: send(h, 200, feed.encode(), "application/rss+xml"),
            "/ok-1.htm": lambda h: send(h, 200, page("Không gian sáng tạo mới bên hồ Gươm")),
            "/flaky-2.htm": flaky,
            "/gone-3.htm": lambda h: send(h, 404, b"not found"),
            "/loop-4.htm": lambda h: send(h, 302, headers={"Location": "/loop-4b.htm"}),
            "/loop-4b.htm": lambda h: send(h, 302, headers={"Location": "/loop-4.htm"}),
            "/away-5.htm": lambda h: send(h, 301, headers={"Location": f"{other.base}/x.htm"}),
            "/private/p-6.htm": lambda h: send(h, 200, page("Trang riêng")),
            "/big-7.htm": endless,
            "/bomb-8.htm": lambda h: send(h, 200, bomb, headers={"Content-Encoding": "gzip"}),
            # legacy encoding declared only in <meta>; no charset in the header
            "/cp1258-9.htm": lambda h: send(
                h, 200, page("Đêm hội thiết kế ở phố cổ", "cp1258"), "text/html"
            ),
            # wrong header: says UTF-8, bytes are windows-1258 (meta is right)
            "/wrongcs-10.htm": lambda h: send(
                h, 200, page("Lễ hội ánh sáng ở Hoàn Kiếm", "cp1258"), "text/html; charset=utf-8"
            ),
        }
    )


def test_fault_list_through_the_flow(prefect_harness, tmp_path):
    down = free_port()
    with LoopbackServer() as other, LoopbackServer() as srv:
        build_routes(srv, other)
        sources = tmp_path / "sources.yaml"
        sources.write_text(
            f"""
defaults:
  politeness: {{min_delay: 0, concurrency: 4, timeout: 2, retries: 2, max_bytes: 400000}}
sources:
  - id: faulty
    name: Báo Thử
    kind: news
    home: {srv.base}/
    feeds: [{srv.base}/rss.xml]
  - id: downsite
    name: Trang hỏng
    kind: government
    home: http://127.0.0.1:{down}/
    feeds: [http://127.0.0.1:{down}/rss.xml]
""",
            encoding="utf-8",
        )
        db = tmp_path / "kb.db"
        state = run_nightly(sources, db, backoff_base=0.01, publish=False)
        assert other.count("/x.htm") == 0
        assert srv.count("/private/p-6.htm") == 0
    assert state.is_failed()
    assert "downsite (host down" in state.message

    conn = sqlite3.connect(db)
    frontier = dict(conn.execute("select url, state from frontier where source_id = 'faulty'"))
    base = srv.base
    assert {u.removeprefix(base): s for u, s in frontier.items()} == {
        "/ok-1.htm": "fetched",
        "/flaky-2.htm": "fetched",
        "/gone-3.htm": "quarantined",
        "/loop-4.htm": "quarantined",
        "/away-5.htm": "out_of_scope",
        "/private/p-6.htm": "robots",
        "/big-7.htm": "quarantined",
        "/bomb-8.htm": "quarantined",
        "/cp1258-9.htm": "fetched",
        "/wrongcs-10.htm": "fetched",
    }
    reasons = dict(conn.execute("select url, reason from quarantine"))
    assert reasons[base + "/gone-3.htm"] == "HTTP 404"
    assert reasons[base + "/loop-4.htm"].startswith("redirect loop")
    assert "exceeds 400000 bytes" in reasons[base + "/big-7.htm"]
    assert "decompressed body exceeds" in reasons[base + "/bomb-8.htm"]
    retry = conn.execute(
        "select retry_after > datetime('now', '+6 days') from quarantine"
    ).fetchall()
    assert all(r[0] for r in retry)  # slow schedule, not every night

    titles = {r[0] for r in conn.execute("select title from articles")}
    assert titles == {
        "Không gian sáng tạo mới bên hồ Gươm",
        "Trang thử lại thành công",
        "Đêm hội thiết kế ở phố cổ",
        "Lễ hội ánh sáng ở Hoàn Kiếm",
    }
    health = dict(conn.execute("select source_id, status from source_runs"))
    # six of the ten article URLs gave nothing: the source is broken, and health says why
    assert health == {"faulty": "broken", "downsite": "broken"}
    flags, failed, causes = conn.execute(
        "select health, failed, failure_causes from source_runs where source_id = 'faulty'"
    ).fetchone()
    assert flags == (
        "article fetches failed on 6/10 URLs (size cap: 2, 404/410: 1, redirects: 1,"
        " redirect off the site: 1, 403/robots: 1)"
    )
    assert failed == 4  # gone, loop, big, bomb: each failed URL counted once
    assert json.loads(causes) == {
        "size cap": 2,
        "404/410": 1,
        "redirects": 1,
        "redirect off the site": 1,
        "403/robots": 1,
    }
    run = conn.execute("select status, message from runs").fetchone()
    assert run[0] == "failed" and "downsite" in run[1]
