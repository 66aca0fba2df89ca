"""HTML renderers, one per outlet layout.

Each layout imitates a family of real Vietnamese sites closely enough to exercise the extractor:
where the headline, lead, date and byline live, and which boilerplate (menus, share bars, related
boxes inside the body, comment forms, footers) must be left out. Pages are plain f-strings with
every data value escaped, so the output is byte-stable for the same data.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from html import escape

from .data import Article, Outlet

NORMAL = ' class="Normal"'
WEEKDAYS = ("Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy", "Chủ nhật")


def e(text: str) -> str:
    return escape(text, quote=True)


@dataclass
class PageContext:
    """What a renderer needs besides the article: the outlet, URLs and neighbouring articles."""

    outlet: Outlet
    base_url: str
    link: Callable[[Article, str], str]  # (article, where) -> href, may add tracking params
    original_url: Callable[[Article], str | None] = lambda a: None
    related: Article | None = None  # the inline box inside the body
    same_category: list[Article] = field(default_factory=list)
    most_read: list[Article] = field(default_factory=list)


@dataclass
class Pager:
    page: int
    pages: int
    href: Callable[[int], str]


def _date_daily(d: datetime) -> str:
    return f"{WEEKDAYS[d.weekday()]}, {d:%d/%m/%Y - %H:%M} (GMT+7)"


def _date_portal(a: Article) -> str:
    d = a.published
    if a.published.day % 2:
        return f"Ngày đăng: {d:%d/%m/%Y %H:%M}"
    return f"{WEEKDAYS[d.weekday()]}, ngày {d.day} tháng {d.month} năm {d.year}, {d:%H:%M}"


class Layout:
    """Shared page skeleton; subclasses fill the header, article block, lists and footer."""

    name = "base"
    comment_heading = "Ý kiến của bạn"

    def title_tag(self, ctx: PageContext, a: Article) -> str:
        return a.title

    def head_extra(self, ctx: PageContext, a: Article) -> str:
        return ""

    def header(self, ctx: PageContext) -> str:
        items = "".join(
            f'<li><a href="{self.category_href(slug)}">{e(name)}</a></li>'
            for slug, name in ctx.outlet.categories.items()
        )
        return (
            f'<header class="site-header"><a class="logo" href="/">{e(ctx.outlet.name)}</a>'
            f'<nav class="main-menu"><ul><li><a href="/">Trang chủ</a></li>{items}'
            f'<li><a href="/video.htm">Video</a></li><li><a href="/ban-doc.htm">Bạn đọc</a></li></ul></nav>'
            "</header>"
        )

    def footer(self, ctx: PageContext) -> str:
        o = ctx.outlet
        return (
            f'<footer class="site-footer"><p class="owner">{e(o.name)}</p>'
            f'<p class="address">Địa chỉ: {e(o.address)}</p><p class="licence">{e(o.licence)}</p>'
            "<p>Điện thoại: 024 3826 0000 – Email: toasoan@example.vn</p>"
            "<p>Không sao chép khi chưa có sự đồng ý bằng văn bản.</p></footer>"
        )

    def category_href(self, slug: str, page: int = 1) -> str:
        return f"/{slug}.htm" if page == 1 else f"/{slug}/trang-{page}.htm"

    def page(self, ctx: PageContext, title: str, canonical: str, main: str, head: str = "") -> str:
        return (
            '<!DOCTYPE html>\n<html lang="vi">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{e(title)}</title>\n"
            f'<link rel="canonical" href="{e(canonical)}">\n'
            f'<link rel="alternate" type="application/rss+xml" href="{ctx.base_url}{self.rss_path}">\n'
            f'{head}</head>\n<body class="layout-{self.name}">\n{self.header(ctx)}\n'
            f'<main id="main">\n{main}\n</main>\n{self.footer(ctx)}\n</body>\n</html>\n'
        )

    rss_path = "/rss.xml"

    def share_bar(self) -> str:
        return (
            '<div class="social-share"><span>Chia sẻ</span> <a href="#" class="fb">Facebook</a> '
            '<a href="#" class="zalo">Zalo</a> <a href="#" class="copy">Sao chép liên kết</a></div>'
        )

    def related_box(self, ctx: PageContext) -> str:
        r = ctx.related
        if r is None:
            return ""
        return (
            '<div class="inline-related"><strong>Tin liên quan</strong><ul>'
            f'<li><a href="{e(ctx.link(r, "inline"))}">{e(r.title)}</a></li></ul></div>'
        )

    def body_html(self, ctx: PageContext, a: Article, p_attr: str = "") -> str:
        """Body paragraphs with the inline related box after the second paragraph."""
        parts = []
        for i, para in enumerate(a.body):
            parts.append(f"<p{p_attr}>{e(para)}</p>")
            if i == 1:
                parts.append(self.related_box(ctx))
        return "\n".join(parts)

    def article_list(
        self, ctx: PageContext, heading: str, items: list[Article], where: str, cls: str
    ) -> str:
        if not items:
            return ""
        lis = "".join(f'<li><a href="{e(ctx.link(x, where))}">{e(x.title)}</a></li>' for x in items)
        return f'<section class="{cls}"><h3>{e(heading)}</h3><ul>{lis}</ul></section>'

    def comments(self) -> str:
        return (
            f'<section class="comment-box"><h3>{self.comment_heading}</h3>'
            '<textarea placeholder="Nhập bình luận của bạn tại đây"></textarea>'
            '<button type="button">Gửi bình luận</button></section>'
        )

    def article_main(self, ctx: PageContext, a: Article) -> str:
        raise NotImplementedError

    def article_page(self, ctx: PageContext, a: Article) -> str:
        canonical = ctx.base_url + a.path
        return self.page(
            ctx,
            self.title_tag(ctx, a),
            canonical,
            self.article_main(ctx, a),
            self.head_extra(ctx, a),
        )

    def teaser(self, ctx: PageContext, a: Article, where: str) -> str:
        return (
            f'<article class="story"><h3 class="story-title"><a href="{e(ctx.link(a, where))}">'
            f'{e(a.title)}</a></h3><p class="story-summary">{e(a.lead)}</p></article>'
        )

    def pager_html(self, pager: Pager | None) -> str:
        if pager is None or pager.pages <= 1:
            return ""
        links = []
        if pager.page > 1:
            links.append(f'<a class="prev" href="{e(pager.href(pager.page - 1))}">Trang trước</a>')
        for n in range(1, pager.pages + 1):
            cls = ' class="active"' if n == pager.page else ""
            links.append(f'<a{cls} href="{e(pager.href(n))}">{n}</a>')
        if pager.page < pager.pages:
            links.append(
                f'<a class="next" rel="next" href="{e(pager.href(pager.page + 1))}">Trang sau</a>'
            )
        return '<div class="pagination">' + " ".join(links) + "</div>"

    def listing_page(
        self,
        ctx: PageContext,
        heading: str,
        canonical: str,
        items: list[Article],
        pager: Pager | None,
        note: str = "",
        where: str = "listing",
    ) -> str:
        body = (
            "\n".join(self.teaser(ctx, a, where) for a in items) or "<p>Không có bài viết nào.</p>"
        )
        main = (
            f'<div class="list-page"><h1 class="list-title">{e(heading)}</h1>{note}'
            f'<div class="list-items">\n{body}\n</div>{self.pager_html(pager)}'
            f"{self.article_list(ctx, 'Xem nhiều nhất', ctx.most_read, 'most-read', 'most-read')}</div>"
        )
        return self.page(ctx, f"{heading} - {ctx.outlet.name}", canonical, main)

    def search_form(self, query: str) -> str:
        return (
            '<form class="search-form" action="/tim-kiem" method="get">'
            f'<input type="text" name="q" value="{e(query)}"><button>Tìm kiếm</button></form>'
        )

    def not_found(self, ctx: PageContext, path: str) -> str:
        main = (
            '<div class="error-404"><h1>Không tìm thấy trang</h1>'
            f"<p>Đường dẫn {e(path)} không tồn tại hoặc đã bị gỡ bỏ.</p>"
            '<p><a href="/">Về trang chủ</a></p></div>'
        )
        return self.page(ctx, "404 - Không tìm thấy trang", ctx.base_url + path, main)

    def boilerplate(self, ctx: PageContext) -> list[str]:
        """Visible strings outside the article text, most telling first (for must_not_contain)."""
        out = []
        if ctx.related is not None:
            out.append(ctx.related.title)
        out += [x.title for x in ctx.most_read[:1]]
        out += [ctx.outlet.licence, self.comment_heading, "Xem nhiều nhất", "Chia sẻ"]
        return out


class DailyLayout(Layout):
    """A big national daily: h1, sapo in h2 outside the body, JSON-LD, byline at the end."""

    name = "daily"
    rss_path = "/rss/home.rss"

    def title_tag(self, ctx: PageContext, a: Article) -> str:
        return f"{a.title} | Báo điện tử {ctx.outlet.short}"

    def head_extra(self, ctx: PageContext, a: Article) -> str:
        url = ctx.base_url + a.path
        ld = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": a.title,
            "description": a.lead,
            "datePublished": a.published.isoformat(),
            "dateModified": a.published.isoformat(),
            "author": {"@type": "Person", "name": a.author} if a.author else None,
            "publisher": {"@type": "Organization", "name": ctx.outlet.name},
            "mainEntityOfPage": url,
            "inLanguage": "vi",
        }
        ld = {k: v for k, v in ld.items() if v is not None}
        return (
            f'<meta name="description" content="{e(a.lead)}">\n'
            f'<meta property="og:type" content="article">\n'
            f'<meta property="og:title" content="{e(a.title)}">\n'
            f'<meta property="og:description" content="{e(a.lead)}">\n'
            f'<meta property="og:url" content="{e(url)}">\n'
            f'<meta property="og:site_name" content="{e(ctx.outlet.name)}">\n'
            f'<meta property="article:published_time" content="{a.published.isoformat()}">\n'
            '<script type="application/ld+json">'
            + json.dumps(ld, ensure_ascii=False).replace("</", "<\\/")
            + "</script>\n"
        )

    def article_main(self, ctx: PageContext, a: Article) -> str:
        cat = ctx.outlet.categories[a.category]
        byline = (
            f'<p style="text-align:right" class="author-name"><strong>{e(a.author)}</strong></p>'
            if a.author
            else ""
        )
        return (
            '<div class="breadcrumb"><ul><li><a href="/">Trang chủ</a></li>'
            f'<li><a href="{self.category_href(a.category)}">{e(cat)}</a></li></ul></div>\n'
            '<article class="singular-container">\n'
            f'<h1 class="title-page detail">{e(a.title)}</h1>\n'
            f'<div class="author-time"><time class="author-time__date" datetime="{a.published.isoformat()}">'
            f"{_date_daily(a.published)}</time></div>\n{self.share_bar()}\n"
            f'<h2 class="singular-sapo">({e(ctx.outlet.short)}) - {e(a.lead)}</h2>\n'
            f'<div class="singular-content">\n{self.body_html(ctx, a)}\n{byline}\n</div>\n'
            f'<div class="tags-wrap">Từ khóa: <a href="/tag/ha-noi.htm">Hà Nội</a></div>\n'
            f"{self.share_bar()}\n</article>\n"
            + self.article_list(
                ctx, "Tin cùng chuyên mục", ctx.same_category, "same-category", "same-category"
            )
            + self.article_list(ctx, "Xem nhiều nhất", ctx.most_read, "most-read", "most-read")
            + self.comments()
        )


class ExpressLayout(Layout):
    """A second news site: p.description lead, byline div on top, day-first date, no JSON-LD."""

    name = "express"
    rss_path = "/rss/tin-moi-nhat.rss"

    def title_tag(self, ctx: PageContext, a: Article) -> str:
        return f"{a.title} - {ctx.outlet.name}"

    def head_extra(self, ctx: PageContext, a: Article) -> str:
        return (
            f'<meta name="description" content="{e(a.lead)}">\n'
            f'<meta property="og:title" content="{e(a.title)}">\n'
            f'<meta property="og:url" content="{e(ctx.base_url + a.path)}">\n'
        )

    def category_href(self, slug: str, page: int = 1) -> str:
        return f"/{slug}" if page == 1 else f"/{slug}-p{page}"

    def related_box(self, ctx: PageContext) -> str:
        r = ctx.related
        if r is None:
            return ""
        return (
            '<div class="box-tinlienquan"><h4 class="title-box">Tin liên quan</h4>'
            f'<ul class="list-news"><li><a href="{e(ctx.link(r, "inline"))}">{e(r.title)}</a></li>'
            "</ul></div>"
        )

    def article_main(self, ctx: PageContext, a: Article) -> str:
        cat = ctx.outlet.categories[a.category]
        author = f'<span class="author">{e(a.author)}</span>' if a.author else ""
        return (
            '<div class="sidebar-1">\n<div class="header-content"><ul class="breadcrumb">'
            f'<li><a href="{self.category_href(a.category)}">{e(cat)}</a></li></ul>'
            f'<span class="date">{a.published:%d/%m/%Y %H:%M}</span></div>\n'
            f'<h1 class="title-detail">{e(a.title)}</h1>\n'
            f'<div class="byline">{author}</div>\n'
            f'<p class="description">{e(a.lead)}</p>\n'
            f'<article class="fck_detail">\n{self.body_html(ctx, a, NORMAL)}\n</article>\n'
            f"{self.share_bar()}\n{self.comments()}\n</div>\n"
            '<div class="sidebar-2">'
            + self.article_list(ctx, "Xem nhiều nhất", ctx.most_read, "most-read", "box-most-read")
            + self.article_list(
                ctx, "Tin cùng chuyên mục", ctx.same_category, "same-category", "box-same-cat"
            )
            + "</div>"
        )


class PortalLayout(Layout):
    """A city department portal: section name as <title>, h3 headline, CMS account line."""

    name = "portal"
    rss_path = "/rss"
    comment_heading = "Gửi ý kiến của bạn"

    def title_tag(self, ctx: PageContext, a: Article) -> str:
        return "Tin tức - Sự kiện"

    def header(self, ctx: PageContext) -> str:
        return (
            '<div id="banner"><div class="portal-name">ỦY BAN NHÂN DÂN THÀNH PHỐ HÀ NỘI<br>'
            f"{e(ctx.outlet.name.upper())}</div></div>"
            '<div id="navigation"><ul><li><a href="/">Trang chủ</a></li>'
            '<li><a href="/gioi-thieu">Giới thiệu</a></li>'
            '<li><a href="/tin-tuc-su-kien">Tin tức - Sự kiện</a></li>'
            '<li><a href="/van-ban-phap-quy">Văn bản pháp quy</a></li>'
            '<li><a href="/thu-tuc-hanh-chinh">Thủ tục hành chính</a></li>'
            '<li><a href="/hoi-dap">Hỏi đáp</a></li></ul></div>'
        )

    def category_href(self, slug: str, page: int = 1) -> str:
        return f"/tin-tuc-su-kien/{slug}" + ("" if page == 1 else f"?page={page}")

    def related_box(self, ctx: PageContext) -> str:
        r = ctx.related
        if r is None:
            return ""
        return (
            '<table class="tin-lien-quan" align="center"><tbody><tr><td>'
            f'<p><strong>Tin liên quan:</strong> <a href="{e(ctx.link(r, "inline"))}">{e(r.title)}</a></p>'
            "</td></tr></tbody></table>"
        )

    def article_main(self, ctx: PageContext, a: Article) -> str:
        cat = ctx.outlet.categories[a.category]
        byline = (
            f'<p style="text-align: right;"><strong>Bài: {e(a.author)}</strong></p>'
            if a.author
            else ""
        )
        return (
            '<div class="portlet-breadcrumb">Trang chủ &gt; Tin tức - Sự kiện &gt; '
            f"{e(cat)}</div>\n"
            '<div class="portlet-body"><div class="news-detail">\n'
            f'<div class="title-news"><h3>{e(a.title)}</h3></div>\n'
            f'<p class="date-news">{_date_portal(a)}</p>\n'
            '<p class="view-content-author">Người đăng: admin</p>\n'
            '<div class="journal-content-article">\n'
            f"<p><strong>{e(a.lead)}</strong></p>\n{self.body_html(ctx, a)}\n{byline}\n</div>\n"
            '<div class="tools"><a href="javascript:window.print()">In bài viết</a> '
            '<a href="#">Gửi email</a> <span>Chia sẻ</span></div>\n'
            "</div></div>\n"
            + self.article_list(ctx, "Các tin khác", ctx.same_category, "other", "other-news")
            + self.article_list(ctx, "Xem nhiều nhất", ctx.most_read, "most-read", "most-read")
        )

    def boilerplate(self, ctx: PageContext) -> list[str]:
        out = super().boilerplate(ctx)
        return out[:2] + ["Người đăng: admin", "Các tin khác", *out[2:]]

    def search_form(self, query: str) -> str:
        return (
            '<form class="search-form" action="/tim-kiem" method="get">'
            f'<input type="text" name="keyword" value="{e(query)}"><button>Tìm kiếm</button></form>'
        )


class AggregatorLayout(Layout):
    """A copy site: WordPress-like markup, no byline, a "Theo <outlet>" line at the end."""

    name = "aggregator"
    rss_path = "/feed/"
    comment_heading = "Để lại bình luận"

    def title_tag(self, ctx: PageContext, a: Article) -> str:
        return f"{a.title} – {ctx.outlet.name}"

    def head_extra(self, ctx: PageContext, a: Article) -> str:
        return f'<meta property="og:title" content="{e(a.title)}">\n'

    def category_href(self, slug: str, page: int = 1) -> str:
        return f"/chuyen-muc/{slug}/" + ("" if page == 1 else f"page/{page}/")

    def related_box(self, ctx: PageContext) -> str:
        r = ctx.related
        if r is None:
            return ""
        return f'<p class="doc-them"><em>Đọc thêm: <a href="{e(ctx.link(r, "inline"))}">{e(r.title)}</a></em></p>'

    def article_main(self, ctx: PageContext, a: Article) -> str:
        cat = ctx.outlet.categories[a.category]
        orig = ctx.original_url(a)
        via = ""
        if a.via:
            name = f'<a href="{e(orig)}" rel="nofollow">{e(a.via)}</a>' if orig else e(a.via)
            via = f'<p class="source-line"><em>Theo {name}</em></p>'
        return (
            f'<div class="post-wrap"><article class="post type-post category-{a.category}">\n'
            f'<header class="entry-header"><span class="cat-links"><a href="{self.category_href(a.category)}">'
            f"{e(cat)}</a></span>\n"
            f'<h1 class="entry-title">{e(a.title)}</h1>\n'
            f'<div class="entry-meta">Đăng lúc {a.published:%H:%M} ngày {a.published:%d/%m/%Y}</div>'
            "</header>\n"
            f'<div class="entry-content">\n<p><strong>{e(a.lead)}</strong></p>\n'
            f"{self.body_html(ctx, a)}\n{via}\n</div>\n{self.share_bar()}\n</article>\n"
            + self.article_list(
                ctx, "Bài viết mới", ctx.same_category, "same-category", "recent-posts"
            )
            + self.article_list(ctx, "Xem nhiều nhất", ctx.most_read, "most-read", "popular-posts")
            + self.comments()
            + "</div>"
        )

    def search_form(self, query: str) -> str:
        return (
            '<form class="search-form" action="/" method="get">'
            f'<input type="search" name="s" value="{e(query)}"><button>Tìm</button></form>'
        )


LAYOUTS: dict[str, Layout] = {
    cls.name: cls() for cls in (DailyLayout, ExpressLayout, PortalLayout, AggregatorLayout)
}
