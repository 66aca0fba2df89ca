"""Template families: the CMSs behind many Vietnamese outlets, recognised from their markup.

A family is not a site: the VCCorp "detail-*" template serves tuoitre, thanhnien, nld, cafef,
soha and baochinhphu; the "zce"/cms-body template serves nhandan, vietnamplus, tienphong, sggp;
Liferay, SharePoint and WordPress serve hundreds of government portals. Each family names the
elements that hold the article body and, where the template has them, the sapo, the headline,
the date line and the byline (selectors learnt from saved pages of these templates; see
docs/extraction.md). When one is recognised the extractor reads the body with lxml directly
(`blocks`) and calls trafilatura only if that reading comes back empty; the other fields still go
through the general rules, with the family's elements as their first candidates.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from ..css_select import select
from .meta import text_of
from .pageindex import PageIndex, index_page

MIN_BODY_CHARS = 200  # a family's body element with less text is a teaser box, not the article


@dataclass(frozen=True)
class Family:
    name: str
    body: str
    lead: str | None = None
    title: str | None = None
    date: str | None = None
    author: str | None = None


FAMILIES: tuple[Family, ...] = (
    Family(
        "vccorp-detail",  # tuoitre, thanhnien, nld, cafef, baochinhphu, soha (2022-)
        body="div.detail-content[data-role=content], div.detail-content.afcbc-body",
        lead="[data-role=sapo], h2.detail-sapo, .detail-sapo",
        title="h1.detail-title, [data-role=title]",
        date="[data-role=publishdate], .detail-time",
        author="[data-role=author] .name, .detail-author .name, .author-info .name",
    ),
    Family(
        "vccorp-kbwc",  # kenh14, genk, afamily (2016-2021)
        body="div.knc-content",
        lead="h2.knc-sapo",
        title="h1.kbwc-title",
        date="span.kbwcm-time",
        author="span.kbwcm-author",
    ),
    Family(
        "vccorp-news",  # soha, cafebiz, gamek
        body="div.news-content[data-role=content], div.news-content",
        lead="h2.news-sapo, [data-role=sapo]",
        title="h1.news-title, [data-role=title]",
        date="time.op-published, .news-info time",
        author=".news-author, [data-role=author]",
    ),
    Family(
        "fck-detail",  # vnexpress and its sister sites
        body="article.fck_detail, div.fck_detail",
        lead="p.description",
        title="h1.title-detail",
        date="span.date",
    ),
    Family(
        "content-detail",  # vietnamnet (2022-)
        body="div.maincontent, div#maincontent",
        lead="h2.content-detail-sapo, .content-detail-sapo",
        title="h1.content-detail-title",
        date=".bread-crumb-detail__time, .publish-date",
        author=".article-detail-author .name, .newsFeature__author .name",
    ),
    Family(
        "zce-cms",  # nhandan, vietnamplus, tienphong, sggp, plo, qdnd
        body="div.cms-body, div.article__body",
        lead="div.cms-desc, .article__sapo, p.cms-desc",
        title="h1.cms-title, h1.article__title",
        date=".article__meta time, .article__meta .time, time.time",
        author=".cms-author, .article__author",
    ),
    Family(
        "singular",  # dantri (2020-)
        body="div.singular-content",
        lead="h2.singular-sapo",
        title="h1.title-page",
        date="time.author-time",
        author="div.author-name",
    ),
    Family(
        "the-article",  # znews / zingnews
        body="div.the-article-body",
        lead="p.the-article-summary, .the-article-summary",
        title="h1.the-article-title",
        date="li.the-article-publish, .the-article-publish",
        author="li.the-article-author, p.the-article-author, .the-article-credit .author",
    ),
    Family("liferay-journal", body="div.journal-content-article"),
    Family("sharepoint-rte", body="div.ms-rtestate-field"),
    Family(
        "wordpress-entry",
        body="div.entry-content, div.td-post-content",
        title="h1.entry-title",
        date="time.entry-date.published, time.entry-date",
    ),
    Family("schema-articlebody", body="[itemprop=articleBody]"),
)


@dataclass
class Match:
    family: Family
    body: etree._Element
    tokens: tuple[frozenset[str], frozenset[str]]


def _first(root: etree._Element, selector: str | None, tokens) -> etree._Element | None:
    if not selector:
        return None
    for el in select(root, selector, tokens):
        if text_of(el):
            return el
    return None


def recognise(root: etree._Element, index: PageIndex | None = None) -> Match | None:
    """The first family whose body element holds an article's worth of text, or None.

    Several matches (a portal's sidebar is a journal article too) resolve to the one with the
    most text.
    """
    body = root.find("body")
    if body is None:
        return None
    tokens = (index or index_page(root)).tokens
    for fam in FAMILIES:
        found = select(body, fam.body, tokens)
        if not found:
            continue
        best = max(found, key=lambda e: len(text_of(e)))
        if len(text_of(best)) >= MIN_BODY_CHARS:
            return Match(fam, best, tokens)
    return None


def field_element(root: etree._Element, m: Match | None, field: str) -> etree._Element | None:
    """The family's element for `field` ("lead", "title", "date", "author"), if it has one."""
    if m is None:
        return None
    return _first(root, getattr(m.family, field), m.tokens)
