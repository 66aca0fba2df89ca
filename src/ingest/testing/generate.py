"""Synthetic Vietnamese article pages and a loopback site serving them, for tests and benchmarks.

The bundled sample sites hold 43 hand-written articles: right for correctness, too few to
measure overhead, scale or crash safety. This module makes any number of distinct, deterministic
articles from templated sentences (each page mentions a known initiative and agency, so tagging
has real work to do and the expected tags are known), and `GeneratedSite` serves them with a
feed, a sitemap, robots.txt and conditional GETs, like a real outlet. Faults a nightly run must
notice can be switched on while the site runs: a layout change (no article body, or no date),
robots.txt newly blocking the crawler, new articles appearing on a later night.

    with GeneratedSite(200) as site:
        Path("sources.yaml").write_text(site.sources_yaml())
        ...
        site.layout = "no_body"          # the next crawl sees a redesigned site
"""

from __future__ import annotations

import dataclasses
import hashlib
import random
import re
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler
from typing import Literal

import yaml

from .loopback import LoopbackServer, send

ICT = timezone(timedelta(hours=7))
EPOCH = datetime(2024, 1, 1, 8, 0, tzinfo=ICT)
Layout = Literal["normal", "no_body", "no_date"]

# (initiative id, sentence naming it); every sentence carries Hanoi context so context aliases fire
INITIATIVES: list[tuple[str, str]] = [
    (
        "design_festival",
        "Lễ hội Thiết kế sáng tạo Hà Nội năm nay thu hút hàng trăm nghìn lượt khách"
        " tới các không gian trưng bày ở phố cổ.",
    ),
    (
        "design_center",
        "Trung tâm Thiết kế sáng tạo Hà Nội sẽ được thí điểm tại Bảo tàng Hà Nội trong năm tới.",
    ),
    (
        "talent_tv",
        "Chương trình Tài năng sáng tạo Hà Nội tiếp tục tìm kiếm các nhà thiết kế trẻ của Thủ đô.",
    ),
    (
        "young_designers",
        "Mạng lưới các nhà thiết kế sáng tạo trẻ Hà Nội kết nối sinh viên với các"
        " doanh nghiệp thiết kế.",
    ),
    (
        "uccn_membership",
        "Hà Nội là thành viên Mạng lưới các Thành phố sáng tạo của UNESCO trong"
        " lĩnh vực thiết kế từ năm 2019.",
    ),
]
# (agency id, sentence naming it)
AGENCIES: list[tuple[str, str]] = [
    ("doc_sports", "Sở Văn hóa và Thể thao Hà Nội là cơ quan thường trực của chương trình."),
    ("hanoi_pc", "UBND thành phố Hà Nội đã ban hành kế hoạch triển khai cho giai đoạn tiếp theo."),
    ("propaganda_dept", "Ban Tuyên giáo Thành ủy Hà Nội chỉ đạo công tác truyền thông về sự kiện."),
]
# neutral sentences: enough body text for the extractor, no taxonomy alias in them
FILLER = [
    "Nhiều nghệ nhân làng nghề mang sản phẩm thủ công tới giới thiệu với người dân và du khách.",
    "Các hoạt động diễn ra liên tục từ sáng đến tối, trong đó có triển lãm, hội thảo và biểu diễn.",
    "Ban tổ chức cho biết số lượng khách tham quan tăng mạnh so với cùng kỳ năm trước.",
    "Nhiều bạn trẻ chọn cuối tuần để tham gia các buổi trải nghiệm và chụp ảnh lưu niệm.",
    "Các chuyên gia đánh giá đây là cơ hội để quảng bá hình ảnh đất nước và con người Việt Nam.",
    "Sinh viên các trường đại học tham gia với vai trò tình nguyện viên hướng dẫn khách.",
    "Những công trình cũ được cải tạo thành nơi trưng bày tác phẩm nghệ thuật đương đại.",
    "Người dân mong muốn các hoạt động như vậy được tổ chức thường xuyên hơn trong năm.",
    "Các doanh nghiệp cũng giới thiệu những sản phẩm mới lấy cảm hứng từ văn hóa truyền thống.",
    "Buổi tọa đàm thu hút đông đảo kiến trúc sư, họa sĩ và nhà nghiên cứu tham dự.",
]
PLACES = [
    "phố Hàng Đào",
    "Văn Miếu",
    "hồ Hoàn Kiếm",
    "Hoàng thành Thăng Long",
    "làng gốm Bát Tràng",
    "phố Phùng Hưng",
    "Đông Anh",
    "Long Biên",
    "khu phố cổ",
    "Tây Hồ",
]
TOPICS = [
    "triển lãm thiết kế",
    "không gian nghệ thuật",
    "tuần lễ thời trang",
    "hội chợ thủ công",
    "đêm nhạc đường phố",
    "tọa đàm kiến trúc",
    "chợ phiên sáng tạo",
    "trình diễn ánh sáng",
]
AUTHORS = ["Minh Anh", "Thu Hà", "Quang Huy", "Lan Phương", "Đức Trung", "Hồng Nhung"]


@dataclass(frozen=True)
class GenArticle:
    """One synthetic article; `initiatives`/`agencies` are the tags its text is built to carry."""

    n: int
    path: str
    title: str
    lead: str
    paragraphs: tuple[str, ...]
    author: str
    published: datetime
    initiatives: tuple[str, ...]
    agencies: tuple[str, ...]
    modified: datetime | None = None  # set by GeneratedSite.edit: the sitemap's lastmod


def make_article(n: int, seed: int = 0) -> GenArticle:
    """The n-th article (deterministic for a given seed; distinct titles and URLs)."""
    rnd = random.Random(seed * 1_000_003 + n)
    init_id, init_sentence = INITIATIVES[n % len(INITIATIVES)]
    agency_id, agency_sentence = AGENCIES[n % len(AGENCIES)]
    topic = TOPICS[rnd.randrange(len(TOPICS))]
    place = PLACES[rnd.randrange(len(PLACES))]
    published = EPOCH + timedelta(hours=7 * n, minutes=rnd.randrange(60))
    title = f"Sôi động {topic} tại {place} số {n}"
    lead = (
        f"Sáng nay, {topic} tại {place} (Hà Nội) chính thức khai mạc,"
        f" mở đầu chuỗi hoạt động thứ {n} trong năm."
    )
    fillers = rnd.sample(FILLER, 5)
    paragraphs = (
        fillers[0],
        init_sentence,
        fillers[1],
        fillers[2],
        agency_sentence,
        fillers[3],
        f"Hoạt động tại {place} kéo dài đến cuối tuần. {fillers[4]}",
    )
    slug = hashlib.sha1(f"{seed}-{n}".encode()).hexdigest()[:6]
    return GenArticle(
        n=n,
        path=f"/van-hoa/su-kien-{slug}-{n:06d}.html",
        title=title,
        lead=lead,
        paragraphs=paragraphs,
        author=AUTHORS[n % len(AUTHORS)],
        published=published,
        initiatives=(init_id,),
        agencies=(agency_id,),
    )


def generate(count: int, seed: int = 0) -> list[GenArticle]:
    return [make_article(n, seed) for n in range(count)]


def _menu() -> str:
    items = "".join(
        f'<li><a href="/{s}.html">{t}</a></li>'
        for s, t in (
            ("thoi-su", "Thời sự"),
            ("van-hoa", "Văn hóa"),
            ("du-lich", "Du lịch"),
            ("kinh-te", "Kinh tế"),
        )
    )
    return (
        f'<header class="site-header"><a class="logo" href="/">Báo Sinh Tạo</a>'
        f'<nav class="main-menu"><ul><li><a href="/">Trang chủ</a></li>{items}</ul></nav>'
        "</header>"
    )


FOOTER = (
    '<footer class="site-footer"><p>Báo Sinh Tạo – cơ quan ngôn luận điện tử (dữ liệu thử'
    " nghiệm). Địa chỉ: 1 phố Thử Nghiệm, Hà Nội.</p><p>Ghi rõ nguồn khi phát hành lại"
    " thông tin từ website này.</p></footer>"
)


def render_page(a: GenArticle, base_url: str, layout: Layout = "normal") -> bytes:
    """An article page. `no_body`: a redesign left only the shell (menu, footer, a teaser list);
    `no_date`: the article is intact but every date signal is gone."""
    url = base_url + a.path
    head = [
        f"<title>{escape(a.title)} | Báo Sinh Tạo</title>",
        f'<link rel="canonical" href="{escape(url)}">',
        '<meta charset="utf-8">',
    ]
    if layout != "no_date":  # a JS-rendered redesign keeps its metadata
        head.append(f'<meta property="article:published_time" content="{a.published.isoformat()}">')
    if layout == "no_body":
        body = (
            '<main class="container"><div class="box-loading">Đang tải nội dung...</div>'
            '<div id="app-root"></div></main>'
        )
    else:
        date_html = (
            f'<span class="date">{a.published:%d/%m/%Y %H:%M} (GMT+7)</span>'
            if layout == "normal"
            else ""
        )
        paras = "".join(f"<p>{escape(p)}</p>" for p in a.paragraphs)
        body = (
            f'<main class="container"><article class="detail">'
            f'<h1 class="title-detail">{escape(a.title)}</h1>{date_html}'
            f'<p class="sapo">{escape(a.lead)}</p>'
            f'<div class="detail-content">{paras}'
            f'<p class="author"><strong>{escape(a.author)}</strong></p></div>'
            "</article></main>"
        )
    html = (
        '<!DOCTYPE html><html lang="vi"><head>'
        + "".join(head)
        + "</head><body>"
        + _menu()
        + body
        + FOOTER
        + "</body></html>"
    )
    return html.encode("utf-8")


def _x(text: str) -> str:
    return escape(text, quote=True)


class GeneratedSite:
    """A loopback outlet serving `count` generated articles with /rss.xml, /sitemap.xml and
    /robots.txt. Attributes may be changed while it runs to simulate a later night."""

    FEED_ITEMS = 50
    SITEMAP_URLS = 20_000

    def __init__(self, count: int, seed: int = 0, source_id: str = "sinhtao", port: int = 0):
        self.seed = seed
        self.source_id = source_id
        self.layout: Layout = "normal"
        self.robots = "User-agent: *\nDisallow: /tim-kiem\n"
        self._lock = threading.Lock()
        self._articles: list[GenArticle] = []
        self._by_path: dict[str, GenArticle] = {}
        self.set_count(count)
        self.server = LoopbackServer(routes={"*": self._route}, port=port)

    # --- state -----------------------------------------------------------------------------
    def set_count(self, count: int) -> None:
        """Publish articles 0..count-1 (raising the count is a night with new articles)."""
        with self._lock:
            have = len(self._articles)
            self._articles.extend(make_article(n, self.seed) for n in range(have, count))
            del self._articles[count:]
            self._by_path = {a.path: a for a in self._articles}

    def edit(self, n: int, title: str, modified: datetime) -> GenArticle:
        """Rewrite article n's headline, dated `modified` in the sitemap (a correction)."""
        with self._lock:
            old = self._articles[n]
            new = dataclasses.replace(old, title=title, modified=modified)
            self._articles[n] = new
            self._by_path[new.path] = new
            return new

    @property
    def articles(self) -> list[GenArticle]:
        with self._lock:
            return list(self._articles)

    @property
    def base(self) -> str:
        return self.server.base

    def url(self, a: GenArticle) -> str:
        return self.base + a.path

    def article_hits(self) -> int:
        """Requests served for article pages so far (feeds, sitemaps and robots excluded)."""
        with self.server._lock:
            return sum(1 for h in self.server.hits if h.path.split("?", 1)[0] in self._by_path)

    # --- documents -------------------------------------------------------------------------
    def feed(self) -> bytes:
        items = sorted(self.articles, key=lambda a: a.published, reverse=True)[: self.FEED_ITEMS]
        out = [
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>',
            f"<title>Báo Sinh Tạo</title><link>{self.base}/</link><language>vi</language>",
        ]
        for a in items:
            out.append(
                f"<item><title>{_x(a.title)}</title><link>{self.url(a)}</link>"
                f"<guid>{self.url(a)}</guid><description>{_x(a.lead)}</description>"
                f"<pubDate>{format_datetime(a.published)}</pubDate></item>"
            )
        out.append("</channel></rss>")
        return "".join(out).encode("utf-8")

    def _shards(self) -> list[list[GenArticle]]:
        """The articles newest first, in sitemap files of at most SITEMAP_URLS each."""
        ordered = sorted(self.articles, key=lambda a: a.published, reverse=True)
        size = self.SITEMAP_URLS
        return [ordered[i : i + size] for i in range(0, len(ordered), size)] or [[]]

    def sitemap(self, shard: int | None = None) -> bytes:
        """/sitemap.xml: every article, or, past SITEMAP_URLS articles, an index of
        /sitemap-<n>.xml files (as outlets do: the protocol allows 50,000 URLs a file, and
        the crawler reads no body over 10 MB)."""
        shards = self._shards()
        if shard is None and len(shards) > 1:
            out = [
                '<?xml version="1.0" encoding="UTF-8"?>'
                '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            ]
            for n, arts in enumerate(shards):
                newest = max((a.modified or a.published) for a in arts)
                out.append(
                    f"<sitemap><loc>{self.base}/sitemap-{n}.xml</loc>"
                    f"<lastmod>{newest.isoformat()}</lastmod></sitemap>"
                )
            out.append("</sitemapindex>")
            return "".join(out).encode("utf-8")
        out = [
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        ]
        for a in shards[shard or 0]:
            out.append(
                f"<url><loc>{self.url(a)}</loc>"
                f"<lastmod>{(a.modified or a.published).isoformat()}</lastmod></url>"
            )
        out.append("</urlset>")
        return "".join(out).encode("utf-8")

    def _route(self, h: BaseHTTPRequestHandler) -> None:
        path = h.path.split("?", 1)[0]
        if path == "/robots.txt":
            return send(h, 200, self.robots.encode(), "text/plain; charset=utf-8")
        if path == "/rss.xml":
            return self._conditional(h, self.feed(), "application/rss+xml; charset=utf-8")
        if path == "/sitemap.xml":
            return self._conditional(h, self.sitemap(), "application/xml; charset=utf-8")
        if m := re.fullmatch(r"/sitemap-(\d+)\.xml", path):
            n = int(m.group(1))
            if n < len(self._shards()):
                return self._conditional(h, self.sitemap(n), "application/xml; charset=utf-8")
        if path == "/":
            return send(
                h, 200, b"<html><body><h1>B\xc3\xa1o Sinh T\xe1\xba\xa1o</h1></body></html>"
            )
        with self._lock:
            a = self._by_path.get(path)
        if a is None:
            return send(h, 404, b"not found")
        return self._conditional(h, render_page(a, self.base, self.layout))

    @staticmethod
    def _conditional(
        h: BaseHTTPRequestHandler, body: bytes, ctype: str = "text/html; charset=utf-8"
    ) -> None:
        """ETag and If-None-Match, so an unchanged feed or page costs a 304 on the next night."""
        tag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        headers = {"ETag": tag}  # no Last-Modified: bodies change (layout), validators must too
        inm = h.headers.get("If-None-Match")
        fresh = bool(inm) and tag in {t.strip() for t in inm.split(",")}
        if fresh:
            h.send_response(304)
            for k, v in headers.items():
                h.send_header(k, v)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        send(h, 200, body, ctype, headers)

    # --- config ----------------------------------------------------------------------------
    def source_entry(self, max_articles: int = 100_000) -> dict:
        return {
            "id": self.source_id,
            "name": "Báo Sinh Tạo (generated)",
            "kind": "news",
            "home": self.base + "/",
            "feeds": [self.base + "/rss.xml"],
            "sitemaps": [self.base + "/sitemap.xml"],
            "article_pattern": "^" + self.base.replace(".", r"\.") + r"/van-hoa/.+\.html$",
            "politeness": {
                "min_delay": 0,
                "concurrency": 8,
                "timeout": 5,
                "retries": 1,
                "max_articles_per_run": max_articles,
            },
        }

    def sources_yaml(self, extra: list[dict] | None = None, max_articles: int = 100_000) -> str:
        """A sources.yaml with this site (plus `extra` source entries) and fast politeness."""
        return sources_yaml([self.source_entry(max_articles), *(extra or [])])

    def __enter__(self) -> GeneratedSite:
        self.server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.__exit__(*exc)


def sources_yaml(entries: list[dict]) -> str:
    doc = {
        "defaults": {
            "global_concurrency": 16,
            "politeness": {"min_delay": 0, "concurrency": 8, "timeout": 5, "retries": 1},
        },
        "sources": entries,
    }
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=200)


def down_source(port: int, source_id: str = "matmang") -> dict:
    """A source entry whose host has nothing listening (a site that is down)."""
    base = f"http://127.0.0.1:{port}"
    return {
        "id": source_id,
        "name": "Báo Mất Mạng (down)",
        "kind": "news",
        "home": base + "/",
        "feeds": [base + "/rss.xml"],
        "politeness": {"min_delay": 0, "timeout": 2, "retries": 0},
    }
