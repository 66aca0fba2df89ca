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

# Class/id words of boxes that sit inside or beside the body but are not the article. Every
# alternative starts with a literal, so the regex engine can skip ahead on the first character:
# this runs over every class and id of the page.
_NOISE_PARTS = (
    r"related|relate-|relation|lienquan|lien-quan|tinlienquan|same-?category|cungchuyenmuc|"
    r"cung-chuyen-muc|tin-?khac|other-?news|news-?other|xem-?them|read-?more|readmore|"
    r"rate-link|most-?read|doc-?nhieu|xem-?nhieu|doc-?them|comment|binh-?luan|breadcrumb|"
    r"newsletter|social|sharing|share-|-share|sidebar|advert|banner|popup|recommend|"
    r"insert-?news|inner-article|link-?callout|tindnd|da-?dua|adzone|admzone|adsbygoogle|"
    r"quang-?cao|keyword|box-?tag"
)
# Short words that are noise only as a whole word of a class name ("ads", "tags"), not inside
# another word ("leads", "tagline").
_NOISE_WORDS = r"ads?|tags?"
NOISE_SUBSTRINGS = re.compile(_NOISE_PARTS)


def _literals(pattern: str) -> tuple[str, ...]:
    """The alternatives of a "a|b-?c" pattern as plain strings (both forms of each "-?")."""
    out: list[str] = []
    for alt in pattern.split("|"):
        forms = [""]
        i = 0
        while i < len(alt):
            if alt[i : i + 2] == "-?":
                forms = [f + x for f in forms for x in ("-", "")]
                i += 2
            else:
                forms = [f + alt[i] for f in forms]
                i += 1
        out.extend(forms)
    return tuple(dict.fromkeys(out))


# str.find over the page's joined class names runs in C at memchr speed; the same alternation as
# one regex costs ~60 ns a character on a page with long utility-class strings.
_NOISE_LITERALS = _literals(_NOISE_PARTS)


def _find_all(hay: str, needles: tuple[str, ...]) -> list[int]:
    found = []
    for n in needles:
        i = hay.find(n)
        while i >= 0:
            found.append(i)
            i = hay.find(n, i + 1)
    return found


NOISE_WORD = re.compile(r"[\s_\-\x00](?:" + _NOISE_WORDS + r")(?=[\s_\-\x00]|$)")


class _Noise:
    """`NOISE.search(hint)`: does a class/id string name a non-article box?"""

    @staticmethod
    def search(hint: str) -> bool:
        h = hint.lower()
        return bool(NOISE_SUBSTRINGS.search(h) or NOISE_WORD.search(" " + h))


NOISE = _Noise()
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
    ".//text()[not(parent::script or parent::style)][string-length(.) <= 80]"
    "[string-length(normalize-space(.)) > 3]"
)
# Forms (comment boxes, search fields) and elements hidden from readers are never article text.
_FORMS_XP = etree.XPath(".//form | .//textarea | .//select | .//button | .//input")
_STYLED_NONE_XP = etree.XPath(".//*[contains(@style, 'none') or contains(@style, 'NONE')]")
# Link rows and link lists: three or more links and little else (menus, "previously published"
# lists, tag rows). Candidates are the row-like ancestors a few levels above each link.
_ROW_TAGS = frozenset(("div", "p", "ul", "ol", "td", "span", "nav", "section"))
ROW_MAX = 600  # characters: a row of links longer than this is a page region, not a row
_ROW_LEVELS = 5


BOX_MAX = 3000  # characters: a headed box is a list of links, never a page column


def _longer_than(el: etree._Element, limit: int) -> bool:
    """Whether `el` holds more than `limit` characters, reading no further than that."""
    n = 0
    for t in el.itertext():
        n += len(t)
        if n > limit:
            return True
    return False


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
    links: dict[etree._Element, int] = {}
    for a in root.iter("a"):
        for level, anc in enumerate(a.iterancestors()):
            if level >= _ROW_LEVELS or anc is root:
                break
            if anc.tag in _ROW_TAGS:
                links[anc] = links.get(anc, 0) + 1
    found = []
    for el, n in links.items():
        if n < 3 or el in keep or _longer_than(el, ROW_MAX * 3):
            continue
        t = text_of(el)
        if not t or len(t) > ROW_MAX:
            continue
        share = link_len(el) / len(t)
        if share < 0.8:
            continue
        if share < 0.9 and el.tag == "p" and any(a in protected for a in el.iterancestors()):
            continue
        found.append(el)
    chosen = set(found)
    return [el for el in found if not any(a in chosen for a in el.iterancestors())]


def remove_boilerplate(
    root: etree._Element,
    protected: set[etree._Element],
    scope: etree._Element | None = None,
    attrs: list | None = None,
) -> None:
    """Remove related-news boxes, share bars, comment blocks, forms, link rows and headed lists.

    `protected` holds the headline, lead and body container(s): nothing that contains one of
    them is removed, so a mislabelled wrapper cannot take the article with it. Candidates are
    found with XPath (evaluated in C) because this runs over every element of the page.
    `scope` limits the work to one element (the container, when only it will be read);
    `attrs` are the page's class and id values when already collected (`pageindex`).
    """
    body = scope if scope is not None else root.find("body")
    if body is None:
        return
    keep = _keep_set(protected)
    doomed: list[etree._Element] = []
    seen: set[etree._Element] = set()

    def doom(el: etree._Element) -> None:
        if el is not None and el not in keep and el not in seen:
            seen.add(el)
            doomed.append(el)

    if attrs is None or scope is not None:
        attrs = _HINT_ATTR_XP(body)
    # one regex scan over all class/id values, not one per value; a leading separator lets a
    # whole-word match start at the first value
    joined = ("\x00" + "\x00".join(attrs)).lower()
    starts = list(itertools.accumulate((len(a) + 1 for a in attrs), initial=1))
    hits = _find_all(joined, _NOISE_LITERALS)
    hits += [m.start() + 1 for m in NOISE_WORD.finditer(joined)]
    hit_idx = sorted({bisect.bisect_right(starts, h) - 1 for h in hits})
    for i in hit_idx:
        doom(attrs[i].getparent())
    for el in _FORMS_XP(body):
        doom(el)
    for el in _STYLED_NONE_XP(body):
        if "display:none" in (el.get("style") or "").replace(" ", "").lower():
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
                if anc in keep or _longer_than(anc, BOX_MAX):
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
