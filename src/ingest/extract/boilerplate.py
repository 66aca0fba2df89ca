"""What is on an article page but not the article: boxes, link rows, comment areas, credits.

Two kinds of evidence, both general (no site selectors): the names CMSs give such boxes
(`related`, `comment`, `binh-luan`, `tags`, ad slots …) and the phrases the Vietnamese press
heads them with ("Tin liên quan", "Tin đã đưa", "Bình luận", … from ../shared/DOMAIN.md and the
template studies in docs/extraction.md). Structure adds the rest: a row or list made almost only
of links is navigation or a list of other stories, wherever it sits; a form is never article text.
Everything here edits the parsed tree in place before the body is read, and never removes an
element that holds the headline, the lead or the article container (`protected`).
"""

from __future__ import annotations

import bisect
import itertools
import re

from lxml import etree

from ..text.fastfold import fast_fold as fold
from .meta import text_of

BOILERPLATE_PHRASES = (
    "Tin liên quan",
    "Tin cùng chuyên mục",
    "Xem nhiều nhất",
    "Tin nổi bật",
    "Chia sẻ",
    "Ý kiến của bạn",
    "Ý kiến bạn đọc",
    "Ý kiến",
    "Các tin khác",
    "Tin khác",
    "Tin bài khác",
    "Các bài viết khác",
    "Bài viết khác",
    "Tin tức khác",
    "Tin cùng loại",
    "Cùng chuyên mục",
    "Đọc nhiều",
    "Xem thêm",
    "Xem thêm về",
    "Bình luận",
    "Gửi bình luận",
    "Xem thêm bình luận",
    "Tin mới nhất",
    "Tin mới",
    "Bài viết mới",
    "Bài viết liên quan",
    "Bài liên quan",
    "Liên quan",
    "Có thể bạn quan tâm",
    "Đọc tiếp",
    "Đọc thêm",
    "Xem tiếp",
    "Tin đã đưa",
    "Các tin đã đưa",
    "Tin bài đã đưa",
    "Các bài đã đăng",
    "Bài đã đăng",
    "Tags",
    "Từ khóa",
    "Từ khoá",
    "Tìm kiếm",
    "Tìm kiếm tin bài",
    "In bài",
    "In bài viết",
    "In trang",
    "Bản in",
    "Gửi email",
    "Gửi bài",
    "Gửi bài viết",
    "Gửi bạn bè",
    "Về đầu trang",
    "Lên đầu trang",
    "Quay lại",
    "Trở lại",
    "Lượt xem",
    "Related news",
    "Related articles",
    "Read more",
    "Most read",
)
_BOILER_FOLDED = frozenset(fold(p) for p in BOILERPLATE_PHRASES)
# Headings that start a box and may carry a count or a colon: "Ý kiến (2)", "Bình luận (0)".
_COUNT_SUFFIX = re.compile(r"\s*[\(\[]\s*\d+\s*[\)\]]\s*$")

# Class/id words of boxes that sit inside or beside the body but are not the article.
NOISE = re.compile(
    r"related|relate-|relation|lienquan|lien-quan|tinlienquan|same-?category|cungchuyenmuc|"
    r"cung-chuyen-muc|tin-?khac|other-?news|news-?other|xem-?them|read-?more|readmore|"
    r"rate-link|most-?read|doc-?nhieu|xem-?nhieu|doc-?them|comment|binh-?luan|breadcrumb|"
    r"newsletter|social|sharing|share-|-share|sidebar|advert|banner|popup|recommend|"
    r"insert-?news|inner-article|link-?callout|tindnd|da-?dua|"
    r"\bads?\b|ads-|-ads\b|adzone|admzone|adsbygoogle|quang-?cao|"
    r"\btags?\b|tags-|-tags?\b|keyword|box-?tag",
    re.I,
)
_MENU_SEPARATORS = re.compile(r"\s*(?:\||»|›|>|/|•|·)\s*")


def is_boiler_heading(text: str) -> bool:
    """A box heading or a lone tool link: "Tin liên quan", "Ý kiến (2)", "Tags:"."""
    f = _COUNT_SUFFIX.sub("", fold(text)).strip(" :.-»›>")
    return f in _BOILER_FOLDED


def link_len(el: etree._Element) -> int:
    """Characters of link text under `el` (per text node, collapsed: a density estimate)."""
    return sum(len(t.strip()) for t in el.xpath(".//a//text()"))


def looks_like_menu_row(line: str) -> bool:
    """ "Giới thiệu | Tin tức | Văn bản | Hỏi đáp": three or more short labels and separators."""
    parts = [p for p in _MENU_SEPARATORS.split(line) if p.strip()]
    if len(parts) < 3 or len(line) > 200:
        return False
    return all(len(p.split()) <= 5 and not p.rstrip().endswith((".", "?", "!")) for p in parts)


def drop(el: etree._Element) -> None:
    """Remove an element but keep its tail text in place."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail and tail.strip():
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


# Attribute values come back as strings that know their element: only matches become elements.
_HINT_ATTR_XP = etree.XPath(".//@class | .//@id")
_BOILER_LOWER = tuple(p.lower() for p in BOILERPLATE_PHRASES)
_BOILER_HEADS = frozenset(p[:3] for p in _BOILER_LOWER)
# Short text nodes, not elements: a text node's string value is itself, so this stays linear in
# the page size (an element's string value is its whole subtree). Phrases are matched in Python.
_SHORT_TEXT_XP = etree.XPath(
    ".//text()[string-length(.) <= 80][string-length(normalize-space(.)) > 3]"
)
# Forms (comment boxes, search fields) and elements hidden from readers are never article text.
_FORMS_XP = etree.XPath(
    ".//form | .//textarea | .//select | .//button | .//input"
    " | .//*[contains(translate(@style, 'DISPLAYNOE: ', 'displaynoe'), 'display:none')]"
)
# Link rows and link lists: three or more links and little else (menus, "previously published"
# lists, tag rows). Elements are preselected in C; link density is measured in Python.
_LINK_ROWS_XP = etree.XPath(
    ".//*[self::div or self::p or self::ul or self::ol or self::td or self::span or self::nav"
    " or self::section][count(.//a) >= 3][string-length(normalize-space(.)) <= 600]"
)


def _text_owner(node) -> etree._Element | None:
    """The element a text node belongs to (for a tail, the element's parent)."""
    el = node.getparent()
    if el is not None and node.is_tail:
        el = el.getparent()
    return el


def _keep_set(protected: set[etree._Element]) -> set[etree._Element]:
    keep = set()
    for el in protected:
        keep.add(el)
        keep.update(el.iterancestors())
    return keep


def link_rows(root: etree._Element, protected: set[etree._Element]) -> list[etree._Element]:
    """Outermost elements that are rows or lists of links, holding nothing protected.

    Inside the article container a paragraph needs 90% link text to go (it may cite sources),
    any other row 80%.
    """
    keep = _keep_set(protected)
    inside = set()
    for p in protected:
        inside.update(p.iter())
    found = []
    for el in _LINK_ROWS_XP(root):
        if el in keep:
            continue
        t = text_of(el)
        if not t:
            continue
        share = link_len(el) / len(t)
        if share < (0.9 if el.tag == "p" and el in inside else 0.8):
            continue
        found.append(el)
    chosen = set(found)
    return [el for el in found if not any(a in chosen for a in el.iterancestors())]


def remove_boilerplate(root: etree._Element, protected: set[etree._Element]) -> None:
    """Remove related-news boxes, share bars, comment blocks, forms, link rows and headed lists.

    `protected` holds the headline, lead and body container(s): nothing that contains one of
    them is removed, so a mislabelled wrapper cannot take the article with it. Candidates are
    found with XPath (evaluated in C) because this runs over every element of the page.
    """
    body = root.find("body")
    if body is None:
        return
    keep = _keep_set(protected)
    doomed: list[etree._Element] = []
    seen: set[etree._Element] = set()

    def doom(el: etree._Element) -> None:
        if el is not None and el not in keep and el not in seen:
            seen.add(el)
            doomed.append(el)

    attrs = _HINT_ATTR_XP(body)
    joined = "\x00".join(attrs)  # one regex scan over all class/id values, not one per value
    starts = list(itertools.accumulate((len(a) + 1 for a in attrs), initial=0))
    hit_idx = sorted({bisect.bisect_right(starts, m.start()) - 1 for m in NOISE.finditer(joined)})
    for i in hit_idx:
        doom(attrs[i].getparent())
    for el in _FORMS_XP(body):
        doom(el)
    for el in link_rows(body, protected):
        doom(el)
    for node in _SHORT_TEXT_XP(body):
        if node.lstrip()[:3].lower() not in _BOILER_HEADS:
            continue
        if not " ".join(node.split()).lower().startswith(_BOILER_LOWER):
            continue
        el = _text_owner(node)
        if el is None or el in keep:
            continue
        t = text_of(el)
        if len(t) <= 40 and is_boiler_heading(t):  # "Tin liên quan" heading: drop its box
            box = el
            for anc in list(el.iterancestors())[:4]:  # widen to the box, never to prose
                if anc in keep or anc.xpath("string-length(normalize-space(.))") > 5000:
                    break
                if len(text_of(anc)) - link_len(anc) > len(t) + 150:
                    break
                box = anc
            doom(box)
            continue
        for block in (el, *list(el.iterancestors())[:3]):  # "Đọc thêm: <link>" inline teaser
            if block in keep:
                break
            if block.tag in ("p", "div", "li"):
                bt = text_of(block)
                head = fold(bt).split(":", 1)[0].strip()
                if ":" in bt and len(bt) <= 300 and head in _BOILER_FOLDED:
                    if link_len(block) >= 0.4 * len(bt):
                        doom(block)
                break
    for el in doomed:
        drop(el)
