"""Extract one article from a Vietnamese news or government page.

trafilatura finds the body; this module adds what it misses on these sites and keeps what it
gets right. The HTML is decoded and parsed once with lxml; metadata, headline, lead and byline
are read off that tree (see `meta` and `byline`), then boilerplate boxes and the lead are
removed from it and trafilatura reads the body paragraphs: from the article container alone when
it holds the article, else from the whole tree. Generic rules come first; per-source CSS
overrides (sources.yaml) only replace a field when they match. docs/extraction.md has the rules.

`extract` never raises: malformed, binary, huge or pathological input yields
`Extracted(error=reason)`, so one bad page cannot stop a nightly run.
"""

from __future__ import annotations

import bisect
import codecs
import copy
import html as html_lib
import itertools
import re
import unicodedata

import trafilatura
from lxml import etree
from lxml.html import HtmlElement, HTMLParser, document_fromstring

from ..config import ExtractOverrides
from ..models import Extracted
from ..text.fastfold import fast_fold as fold
from ..text.textnorm import collapse_ws, nfc
from . import byline
from .css_select import select
from .dates import parse_vn_date, to_iso
from .language import detect_language
from .meta import (
    PageMeta,
    metadata_authors,
    pick_published,
    pick_title,
    read_meta,
    text_of,
    visible_author,
)

# Recorded on every record so a reprocess can tell which rules produced it; bump on rule changes.
EXTRACTOR_VERSION = f"vn-extract/1.0 (trafilatura {trafilatura.__version__})"
MAX_BYTES = 10_000_000  # as the fetcher's default cap: larger "pages" are archives or media
WHOLE_ARTICLE_SHARE = 0.85  # container prose share above which trafilatura reads it alone
MAX_ELEMENTS = 100_000  # ten times a heavy news page; beyond that, refuse rather than crawl

BOILERPLATE_PHRASES = (
    "Tin liên quan",
    "Tin cùng chuyên mục",
    "Xem nhiều nhất",
    "Tin nổi bật",
    "Chia sẻ",
    "Ý kiến của bạn",
    "Các tin khác",
    "Tin khác",
    "Cùng chuyên mục",
    "Đọc nhiều",
    "Xem thêm",
    "Bình luận",
    "Tin mới nhất",
    "Bài viết liên quan",
    "Có thể bạn quan tâm",
    "Đọc tiếp",
    "Đọc thêm",
    "Bài liên quan",
    "Xem tiếp",
    "Related news",
    "Related articles",
    "Read more",
    "Most read",
)
_BOILER_FOLDED = tuple(fold(p) for p in BOILERPLATE_PHRASES)
# Class/id words of boxes that sit inside or beside the body but are not the article.
_NOISE = re.compile(
    r"related|relate-|lienquan|lien-quan|tinlienquan|same-?category|cungchuyenmuc|cung-chuyen-muc|"
    r"tin-?khac|other-?news|xem-?them|read-?more|readmore|most-?read|doc-?nhieu|xem-?nhieu|"
    r"doc-?them|comment|binh-?luan|breadcrumb|newsletter|social|sharing|share-|-share|sidebar|"
    r"advert|banner|popup|recommend",
    re.I,
)
_LEAD_HINT = re.compile(
    r"sapo|(?:^|[\s_-])lead(?:$|[\s_-]|text|in)|summary|description|chapeau|excerpt|intro\b|"
    r"intro[-_]|abstract|teaser|standfirst|tom-?tat",
    re.I,
)
_BLOCKS = ("p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "td", "blockquote", "section")
_MAGIC = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b", b"RIFF")
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]{0,100}encoding\s*=\s*["']([A-Za-z0-9_\-.]+)""", re.I)
_PARSER = HTMLParser(
    encoding="utf-8", remove_comments=True, remove_pis=True, default_doctype=False, huge_tree=False
)


class ExtractError(Exception):
    """A page that cannot be extracted; the message is stored as `Extracted.error`."""


# ---------------------------------------------------------------- decoding


_NON_WORD = re.compile(r"\W+")
_COMBINING = re.compile("[\u0300-\u036f\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def _nfc(text: str) -> str:
    """NFC for the whole page, skipped when no combining mark occurs (the common case).

    Vietnamese text that is not NFC always carries combining marks; a regex scan finds them far
    faster than a full normalisation check. Output fields are NFC-normalised again at the end.
    """
    return unicodedata.normalize("NFC", text) if _COMBINING.search(text) else text


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().strip("\"'").lower()).name
    except LookupError:
        return None


def decode_html(data: bytes | str, encoding: str | None = None) -> str:
    """Bytes → NFC text: the caller's encoding, BOM, valid UTF-8, <meta charset>, detection.

    The caller's encoding (usually the HTTP header's) is used unless it cannot decode the bytes,
    or it names a legacy charset and the bytes are valid UTF-8 (stale headers of migrated sites).
    Valid UTF-8 wins over a declared legacy charset: multi-byte text in a legacy encoding is
    practically never valid UTF-8 by chance, while pages that migrated to UTF-8 often keep an
    old `charset=iso-8859-1` line. windows-1258 decodes to combining tone marks, which NFC
    recomposes.
    """
    if isinstance(data, str):
        return _nfc(data)
    if not isinstance(data, bytes | bytearray):
        raise ExtractError(f"unsupported input type {type(data).__name__}")
    data = bytes(data)
    _reject_binary(data)
    forced = _codec(encoding)
    if forced and (forced.startswith("utf") or not _is_utf8(data)):
        try:
            return _nfc(data.decode(forced))
        except UnicodeDecodeError:
            pass  # a wrong charset in an HTTP header: fall through to the page's own evidence
    for bom, name in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return _nfc(data.decode(name, errors="replace"))
    try:
        return _nfc(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    head = data[:4096]
    m = _META_CHARSET.search(head) or _XML_DECL.search(head)
    declared = _codec(m.group(1).decode("ascii", "ignore")) if m else None
    if declared and declared != "utf-8":
        try:
            return _nfc(data.decode(declared))
        except (UnicodeDecodeError, LookupError):
            pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:300_000]).best()
    name = _codec(best.encoding) if best else None
    return _nfc(data.decode(name or "utf-8", errors="replace"))


# What HTTP servers and old templates claim by default; valid UTF-8 with non-ASCII bytes beats it.


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not data.isascii()


def _reject_binary(data: bytes) -> None:
    head = data[:2048]
    if any(head.startswith(m) for m in _MAGIC):
        raise ExtractError("binary content (not HTML)")
    if head and (
        head.count(0) > 8 and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    ):
        raise ExtractError("binary content (NUL bytes)")


def parse_html(text: str) -> HtmlElement:
    """Parse once with lxml; refuses pages with no HTML or absurdly many elements."""
    if "<" not in text[:100_000]:
        raise ExtractError("no HTML markup")
    try:
        root = document_fromstring(text.encode("utf-8", "surrogatepass"), parser=_PARSER)
    except (etree.ParserError, ValueError) as exc:
        raise ExtractError(f"unparseable HTML: {exc}") from None
    if root is None:
        raise ExtractError("empty document")
    if root.xpath("count(//*)") > MAX_ELEMENTS:  # counted in C: no Python proxy per element
        raise ExtractError(f"too many elements (> {MAX_ELEMENTS})")
    return root


# ---------------------------------------------------------------- page structure


def _link_len(el: etree._Element) -> int:
    """Characters of link text under `el` (per text node, collapsed: a density estimate)."""
    return sum(len(t.strip()) for t in el.xpath(".//a//text()"))


def find_body(root: HtmlElement) -> HtmlElement | None:
    """The element holding the article paragraphs (readability-style paragraph vote)."""
    return find_body_share(root)[0]


def find_body_share(root: HtmlElement) -> tuple[HtmlElement | None, float]:
    """(body container, share of the page's prose inside it).

    Each paragraph of real prose gives its length to its parent and half to its grandparent;
    link-heavy paragraphs (related lists) and chrome (header, nav, footer) do not vote. The share
    tells whether the container holds the whole article or only part of it.
    """
    scores: dict[etree._Element, float] = {}
    voters: list[tuple[etree._Element, int]] = []
    body = root.find("body")
    if body is None:
        return None, 0.0
    for p in body.iter("p", "h2", "blockquote"):
        hint = " ".join(p.get(k) or "" for k in ("class", "id", "data-role"))
        if _LEAD_HINT.search(hint):
            continue  # the sapo sits outside the body on most sites: it must not pull the vote
        t = text_of(p)
        if len(t) < 30 or _link_len(p) > 0.4 * len(t):
            continue
        parent = p.getparent()
        if parent is None or any(
            a.tag in ("nav", "footer", "header", "aside") for a in p.iterancestors()
        ):
            continue
        voters.append((p, len(t)))
        scores[parent] = scores.get(parent, 0.0) + len(t)
        gp = parent.getparent()
        if gp is not None:
            scores[gp] = scores.get(gp, 0.0) + len(t) / 2
    if not scores:
        return None, 0.0
    best = max(scores, key=scores.__getitem__)
    total = sum(n for _, n in voters)
    inside = sum(n for p, n in voters if best in p.iterancestors())
    return best, inside / total if total else 0.0  # type: ignore[return-value]


def _is_layout_table(t: etree._Element) -> bool:
    """A table used for page layout (old portals), not for data: it holds headings, nested
    tables or long runs of paragraphs."""
    if t.find(".//table") is not None or t.find(".//h1") is not None or t.find(".//h2") is not None:
        return True
    if t.find(".//img") is not None and len(text_of(t)) < 300:
        return True  # a photo with its caption, laid out as a table (news CMS habit)
    return any(
        len(cell.findall(".//p")) >= 3 and len(text_of(cell)) > 300
        for cell in t.xpath("./tr/td|./tbody/tr/td")
    )


def unwrap_layout_tables(root: HtmlElement) -> None:
    """Turn layout tables into divs so trafilatura reads their cells as prose, not one row."""
    for t in list(root.iter("table")):
        if t.tag != "table" or not _is_layout_table(t):
            continue
        parts = [t, *t.xpath("./tbody|./thead|./tfoot")]
        rows = t.xpath("./tr|./tbody/tr|./thead/tr|./tfoot/tr")
        cells = [c for r in rows for c in r.xpath("./td|./th")]
        for el in parts + rows + cells:
            el.tag = "div"


_AUTHOR_LINK = re.compile(r"tac-?gia|author|/profile|phong-?vien", re.I)


def _leaf_blocks(el: etree._Element) -> list[str]:
    """Candidate signature lines: texts of leaf blocks in document order.

    Tables are skipped because gov portals append schedules after the signature line, and
    lines that are mostly a link are skipped unless it points to an author page: "Theo
    <a>Báo X</a>" on a copy site credits the outlet it took the story from, not a reporter.
    """
    out = []
    for b in el.iter(*_BLOCKS):
        if any(isinstance(c.tag, str) and c.tag in _BLOCKS for c in b):
            continue
        if b.tag == "td" or _inside_table(b, el):
            continue
        t = text_of(b)
        if not t:
            continue
        links = list(b.iter("a"))
        if links and _link_len(b) >= 0.5 * len(t):
            if not any(_AUTHOR_LINK.search(a.get("href") or "") for a in links):
                continue
        out.append(t)
    return out


def _inside_table(b: etree._Element, stop: etree._Element) -> bool:
    for a in b.iterancestors():
        if a is stop:
            return False
        if a.tag == "table":
            return True
    return False


def _strip_source_prefix(text: str) -> str:
    """Drop "(Dân trí) - ", "(NLĐO)- ", "(Chinhphu.vn) - ", "TTO - " at the start of a lead."""
    m = re.match(r"^\s*\(([^()]{2,40})\)\s*[-–—:]?\s*", text)
    if m and (m.group(0).rstrip().endswith(("-", "–", "—", ":")) or len(m.group(1)) <= 20):
        return text[m.end() :]
    m = re.match(r"^\s*([^\s\-–—]{2,12}(?:\s[^\s\-–—]{2,12})?)\s*[-–—]\s+", text)
    if m and m.group(1) == m.group(1).upper() and any(c.isalpha() for c in m.group(1)):
        return text[m.end() :]  # "TTO - ", "KTĐT - ", "VOV.VN - "
    m = re.match(r"^\s*([A-Za-z][A-Za-z0-9.]{2,20})\s*[-–—]\s+", text)
    if m:
        return text[m.end() :]  # "Kinhtedothi - ": an ASCII site name (Vietnamese words have marks)
    m = re.match(r"^\s*([A-ZĐ][A-ZĐ0-9]{2,9})\.\s+(?=\w)", text)
    if m and m.group(1) not in _NOT_SOURCE_TAGS:
        return text[m.end() :]  # "TGVN. "
    return text


_NOT_SOURCE_TAGS = frozenset({"PGS", "UBND", "HĐND", "TAND", "VKSND", "THPT", "THCS", "BCH"})


def _in_noise(el: etree._Element, layout: set[etree._Element]) -> bool:
    """Inside a related/share/comment box? Ancestors of the body (`layout`) do not count."""
    for a in (el, *el.iterancestors()):
        if a in layout:
            return False
        hint = (a.get("class") or "") + " " + (a.get("id") or "")
        if _NOISE.search(hint):
            return True
    return False


def find_lead(
    root: HtmlElement, heading: etree._Element | None, body_el: etree._Element | None
) -> tuple[etree._Element | None, str]:
    """The sapo: a lead-classed block after the headline, else an h2 right after it."""
    body = root.find("body")
    if body is None:
        return None, "none"
    after = heading is None
    body_ancestors = set(body_el.iterancestors()) | {body_el} if body_el is not None else set()
    fallback = None
    for el in body.iter():
        if el is heading:
            after = True
            continue
        if not after or not isinstance(el.tag, str) or el in body_ancestors:
            continue
        if el.tag in ("script", "style", "a", "img", "meta", "figure", "figcaption"):
            continue
        if any(a.tag in ("figure", "figcaption", "nav", "footer") for a in el.iterancestors()):
            continue  # an image caption or a menu blurb, not the sapo
        hint = " ".join(
            el.get(k) or "" for k in ("class", "id", "data-role", "data-slot", "itemprop")
        )
        if _LEAD_HINT.search(hint):
            t = text_of(el)
            if (
                30 <= len(t) <= 1500
                and len(el.findall(".//p")) <= 3
                and _link_len(el) < 0.3 * len(t)
            ):
                if not _in_noise(el, body_ancestors):
                    return el, "lead-class"
        elif (
            fallback is None
            and heading is not None
            and el.tag == "h2"
            and body_el is not None
            and not _in_noise(el, body_ancestors)
        ):
            t = text_of(el)
            if len(t) >= 60 and _link_len(el) < 0.3 * len(t):
                fallback = el
        if body_el is not None and el.getparent() is body_el:
            break  # reached the body paragraphs: the lead comes before them
    return (fallback, "h2-after-title") if fallback is not None else (None, "none")


def _is_boiler_heading(t: str) -> bool:
    f = fold(t).strip(" :.-")
    return any(f == p for p in _BOILER_FOLDED)


# Attribute values come back as strings that know their element: only matches become elements.
_HINT_ATTR_XP = etree.XPath(".//@class | .//@id")
_BOILER_LOWER = tuple(p.lower() for p in BOILERPLATE_PHRASES)
_BOILER_HEADS = frozenset(p[:3] for p in _BOILER_LOWER)
# Short text nodes, not elements: a text node's string value is itself, so this stays linear in
# the page size (an element's string value is its whole subtree). Phrases are matched in Python.
_SHORT_TEXT_XP = etree.XPath(
    ".//text()[string-length(.) <= 80][string-length(normalize-space(.)) > 3]"
)


def _text_owner(node) -> etree._Element | None:
    """The element a text node belongs to (for a tail, the element's parent)."""
    el = node.getparent()
    if el is not None and node.is_tail:
        el = el.getparent()
    return el


def remove_boilerplate(root: HtmlElement, protected: set[etree._Element]) -> None:
    """Remove related-news boxes, share bars, comment blocks and headed link lists.

    `protected` holds the headline, lead and body container: nothing that contains one of them
    is removed, so a mislabelled wrapper cannot take the article with it. Candidates are found
    with XPath (evaluated in C) because this runs over every element of the page.
    """
    body = root.find("body")
    if body is None:
        return
    keep = set()
    for el in protected:
        keep.add(el)
        keep.update(el.iterancestors())
    doomed = []
    attrs = _HINT_ATTR_XP(body)
    joined = "\x00".join(attrs)  # one regex scan over all class/id values, not one per value
    starts = list(itertools.accumulate((len(a) + 1 for a in attrs), initial=0))
    hit_idx = sorted({bisect.bisect_right(starts, m.start()) - 1 for m in _NOISE.finditer(joined)})
    for i in hit_idx:
        el = attrs[i].getparent()
        if el is not None and el not in keep and el not in doomed:
            doomed.append(el)
    for node in _SHORT_TEXT_XP(body):
        if node.lstrip()[:3].lower() not in _BOILER_HEADS:
            continue
        if not " ".join(node.split()).lower().startswith(_BOILER_LOWER):
            continue
        el = _text_owner(node)
        if el is None or el in keep:
            continue
        t = text_of(el)
        if len(t) <= 40 and _is_boiler_heading(t):  # "Tin liên quan" heading: drop its box
            box = el
            for anc in list(el.iterancestors())[:4]:  # widen to the box, never to prose
                if anc in keep or anc.xpath("string-length(normalize-space(.))") > 5000:
                    break
                if len(text_of(anc)) - _link_len(anc) > len(t) + 150:
                    break
                box = anc
            doomed.append(box)
            continue
        for block in (el, *list(el.iterancestors())[:3]):  # "Đọc thêm: <link>" inline teaser
            if block in keep:
                break
            if block.tag in ("p", "div", "li"):
                bt = text_of(block)
                head = fold(bt).split(":", 1)[0].strip()
                if ":" in bt and len(bt) <= 300 and head in _BOILER_FOLDED:
                    if _link_len(block) >= 0.4 * len(bt):
                        doomed.append(block)
                break
    for el in doomed:
        _drop(el)


def _drop(el: etree._Element) -> None:
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


# ---------------------------------------------------------------- body text


def _trafilatura_text(tree: HtmlElement, url: str | None, *, fast: bool = False) -> str:
    doc = trafilatura.bare_extraction(
        tree,
        url=url,
        fast=fast,
        with_metadata=False,
        include_comments=False,
        include_tables=True,
        include_images=False,
        deduplicate=False,
    )
    return (doc.text if doc is not None and doc.text else "") or ""


def _body_text(root: HtmlElement, url: str | None, container: etree._Element | None) -> str:
    """trafilatura's fast mode first; its full mode (with fallback extractors) only when the fast
    result is short or misses much of the container's prose.

    On well-formed news pages both modes agree and the fallbacks cost a fifth of the run time.
    """
    raw = _trafilatura_text(root, url, fast=True)
    size = len(collapse_ws(raw))
    wanted = len(text_of(container)) if container is not None else 0
    if size < 200 or size < 0.5 * wanted:
        full = _trafilatura_text(root, url)
        if len(collapse_ws(full)) > size:
            return full
    return raw


def _wrap(el: etree._Element) -> HtmlElement:
    """A minimal document around one element (moved into it), for trafilatura to read alone:
    the override's body element, or a copy of the article container."""
    html = etree.Element("html")
    body = etree.SubElement(html, "body")
    art = etree.SubElement(body, "article")
    art.append(el)
    return document_fromstring(etree.tostring(html, encoding="utf-8"), parser=_PARSER)


def clean_paragraphs(
    text: str, lead: str, drop_phrases: tuple[str, ...], site_names: tuple[str, ...]
) -> list[str]:
    """Split trafilatura's text, drop the lead if repeated, boilerplate lines and the signature."""
    lines = [collapse_ws(x) for x in text.split("\n")]
    lines = [x for x in lines if x]
    lead_key = fold(lead)
    folded_drops = tuple(fold(p) for p in drop_phrases if p.strip())
    out = []
    for ln in lines:
        f = fold(ln)
        if lead_key and (f == lead_key or (len(f) > 40 and lead_key.startswith(f))):
            continue
        if _is_boiler_heading(ln) or (folded_drops and f.startswith(folded_drops)):
            continue
        out.append(ln)
    while (
        out
        and len(out[-1]) <= 80
        and (
            byline.is_account_name(out[-1])
            or byline.has_byline_prefix(out[-1])
            or fold(out[-1]).startswith(("anh:", "anh :", "nguon:"))
        )
    ):
        out.pop()
    while out and len(out[0]) <= 80 and byline.has_byline_prefix(out[0]):
        out.pop(0)  # "Bài và ảnh: X" above the first paragraph is metadata, not text
    return out


def trim_to_container(paragraphs: list[str], container_text: str, title: str) -> list[str]:
    """Cut leading and trailing lines that lie outside the article container.

    trafilatura sometimes starts with the breadcrumb or section name and ends with a sidebar
    widget; lines between the first and last one found in the container are kept as they are.
    When the container holds under 60% of the text it is probably only part of the article, and
    nothing is cut.
    """
    if not paragraphs:
        return paragraphs
    # compare letters and digits only: trafilatura unescapes entities the page double-escaped
    hay = _NON_WORD.sub("", fold(html_lib.unescape(container_text)))
    inside = [_NON_WORD.sub("", fold(p)) in hay for p in paragraphs]
    total = sum(len(p) for p in paragraphs)
    covered = sum(len(p) for p, ok in zip(paragraphs, inside, strict=True) if ok)
    if not any(inside) or covered < 0.6 * total:
        return paragraphs
    first = inside.index(True)
    last = len(inside) - 1 - inside[::-1].index(True)
    kept = paragraphs[first : last + 1]
    title_key = fold(title)
    while kept and title_key and fold(kept[0]) == title_key:
        kept.pop(0)
    return kept


# ---------------------------------------------------------------- overrides


def _override_el(root: HtmlElement, selector: str | None) -> etree._Element | None:
    if not selector:
        return None
    try:
        found = select(root, selector)
    except ValueError as exc:
        raise ExtractError(f"invalid override selector: {exc}") from None
    return found[0] if found else None


# ---------------------------------------------------------------- entry point


def extract(
    html: bytes | str,
    url: str | None = None,
    overrides: ExtractOverrides | None = None,
    *,
    encoding: str | None = None,
) -> Extracted:
    """Extract title, lead, body text, author, date and language; never raises.

    On failure the returned record has `error` set to a short reason and empty fields.
    """
    try:
        return _extract(html, url, overrides, encoding)
    except ExtractError as exc:
        return Extracted(error=str(exc), extractor_version=EXTRACTOR_VERSION)
    except RecursionError:
        return Extracted(error="document nested too deeply", extractor_version=EXTRACTOR_VERSION)
    except MemoryError:
        return Extracted(error="out of memory on this page", extractor_version=EXTRACTOR_VERSION)
    except Exception as exc:  # noqa: BLE001 - the contract is: record the reason, keep running
        return Extracted(
            error=f"extractor failure: {type(exc).__name__}: {str(exc)[:200]}",
            extractor_version=EXTRACTOR_VERSION,
        )


def _extract(
    html: bytes | str, url: str | None, ov: ExtractOverrides | None, encoding: str | None
) -> Extracted:
    if html is None or len(html) == 0:
        raise ExtractError("empty input")
    if len(html) > MAX_BYTES:
        raise ExtractError(f"input too large ({len(html)} > {MAX_BYTES})")
    text = decode_html(html, encoding)
    if "\x00" in text[:10_000]:
        raise ExtractError("binary content (NUL characters)")
    root = parse_html(text)
    ov = ov or ExtractOverrides()
    sources: dict[str, str] = {}
    pm: PageMeta = read_meta(root, url)

    # body container, headline, lead
    unwrap_layout_tables(root)
    body_el = _override_el(root, ov.body)
    body_src = "override" if body_el is not None else "trafilatura"
    share = 1.0
    if body_el is not None:
        body_guess = body_el
    else:
        body_guess, share = find_body_share(root)
    title, sources["title"], heading = pick_title(root, pm, body_guess)
    el = _override_el(root, ov.title)
    if el is not None and text_of(el):
        title, sources["title"], heading = text_of(el), "override", el
    lead_el, sources["lead"] = find_lead(root, heading, body_guess)
    el = _override_el(root, ov.lead)
    if el is not None and text_of(el):
        lead_el, sources["lead"] = el, "override"
    lead = _strip_source_prefix(text_of(lead_el)) if lead_el is not None else ""

    # date
    published, sources["published"] = pick_published(root, pm, heading)
    el = _override_el(root, ov.date)
    if el is not None:
        dt = parse_vn_date(el.get("datetime") or el.get("content") or text_of(el))
        if dt:
            published, sources["published"] = to_iso(dt), "override"

    # author: metadata, then the signature at the end of the body, then byline-classed elements
    author, sources["author"] = metadata_authors(pm)
    if author is None and body_guess is not None:
        blocks = _leaf_blocks(body_guess)
        tail = blocks[-5:] if len(blocks) >= 10 else blocks[len(blocks) // 2 :]
        author = byline.byline_from_lines(tail, pm.site_names)
        sources["author"] = "byline-end" if author else "none"
        if author is None:  # "Bài và ảnh: X" printed above the first paragraph
            top = [b for b in blocks[:3] if byline.has_byline_prefix(b)]
            author = byline.byline_from_lines(top, pm.site_names)
            sources["author"] = "byline-top" if author else "none"
    if author is None:
        author = visible_author(root, pm)
        sources["author"] = "byline-class" if author else "none"
    el = _override_el(root, ov.author)
    if el is not None:
        names = byline.valid_authors(text_of(el), pm.site_names)
        if names:
            author, sources["author"] = ", ".join(names), "override"

    # body text: strip boxes and the lead from the tree, then let trafilatura read it
    for sel in ov.drop:
        try:
            doomed = select(root, sel)
        except ValueError as exc:
            raise ExtractError(f"invalid override selector: {exc}") from None
        for d in doomed:
            _drop(d)
    protected = {e for e in (heading, lead_el, body_guess) if e is not None}
    remove_boilerplate(root, protected)
    if lead_el is not None and lead_el.getparent() is not None:
        _drop(lead_el)
    if body_el is not None:
        raw = _trafilatura_text(_wrap(body_el), url)
    else:
        raw = ""
        if body_guess is not None and share >= WHOLE_ARTICLE_SHARE:
            # the container holds the article: trafilatura on it alone is faster and sees no
            # sidebars; if it dislikes the small document, fall back to the whole page
            raw = _body_text(_wrap(copy.deepcopy(body_guess)), url, body_guess)
            if len(collapse_ws(raw)) < 0.5 * len(text_of(body_guess)):
                raw = ""
        if not raw:
            raw = _body_text(root, url, body_guess)
    paragraphs = clean_paragraphs(raw, lead, tuple(ov.drop_phrases), pm.site_names)
    if body_el is None and body_guess is not None:
        paragraphs = trim_to_container(paragraphs, text_of(body_guess), title)
    sources["text"] = body_src
    if paragraphs and not lead:  # "KTĐT - " opening the first paragraph when there is no sapo
        paragraphs[0] = _strip_source_prefix(paragraphs[0])
    while author and paragraphs and len(paragraphs[-1]) <= 80:
        if ", ".join(byline.valid_authors(paragraphs[-1], pm.site_names)) != author:
            break
        paragraphs.pop()  # the signature line: its name is in `author` now

    body_text = "\n\n".join(paragraphs)
    language = detect_language(lead + " " + body_text, pm.html_lang)
    sources["language"] = "text"
    sources["canonical_url"] = pm.canonical_source
    result = Extracted(
        title=nfc(title),
        lead=nfc(lead),
        text=nfc(body_text),
        author=nfc(author) if author else None,
        published=published,
        language=language,
        canonical_url=pm.canonical,
        field_sources={k: v for k, v in sources.items() if v != "none"},
        extractor_version=EXTRACTOR_VERSION,
    )
    if not result.text and not result.lead:
        result.error = "no article text found"
    return result
