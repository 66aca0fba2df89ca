"""Parse a page once with lxml, surviving pages nested deeper than the parser allows.

libxml2's HTML parser stops building the tree at 256 levels (2048 with `huge_tree`) and drops
everything below: a page whose article sits under 300 wrapper `<div>`s keeps only its menu.
When the parser reports that, the markup is flattened first: wrapper tags (div, span, section,
font, …) opened below `FLAT_DEPTH` are dropped together with their end tags, so the text and
the paragraph tags inside them survive at a depth the parser and trafilatura can handle.
"""

from __future__ import annotations

import re

from lxml import etree
from lxml.html import HtmlElement, HTMLParser, document_fromstring

from .errors import ExtractError

FLAT_DEPTH = 160  # well under libxml2's 256 and Python's recursion limit in trafilatura
_PARSER = HTMLParser(
    encoding="utf-8", remove_comments=True, remove_pis=True, default_doctype=False, huge_tree=False
)
_WRAPPERS = frozenset(
    "div span section article main font center header footer aside nav b i u em strong small "
    "big figure blockquote".split()
)
_VOID = frozenset(
    "area base br col embed hr img input link meta param source track wbr keygen".split()
)
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9:-]*)[^>]*?(/?)>|<!--.*?-->", re.S)
_RAW_TEXT = re.compile(r"<(script|style|textarea)\b[^>]*>.*?</\1\s*>", re.S | re.I)


def flatten_deep(html: str, limit: int = FLAT_DEPTH) -> str:
    """Drop wrapper tags opened deeper than `limit`, and their end tags; keep everything else.

    A tag-level pass with an approximate open-element stack: good enough for the only pages that
    need it (thousands of nested wrappers), and linear in the page size.
    """
    out: list[str] = []
    stack: list[tuple[str, bool]] = []  # (tag, dropped)
    pos = 0
    raw_spans = [m.span() for m in _RAW_TEXT.finditer(html)]
    ri = 0
    for m in _TAG.finditer(html):
        start = m.start()
        while ri < len(raw_spans) and raw_spans[ri][1] <= start:
            ri += 1
        if ri < len(raw_spans) and raw_spans[ri][0] < start < raw_spans[ri][1]:
            continue  # a "<div>" inside a script string is not markup
        if m.group(2) is None:
            continue  # a comment
        closing, name, selfclose = m.group(1), m.group(2).lower(), m.group(3)
        drop = False
        if not closing:
            if name in _VOID or selfclose:
                pass
            elif name in _WRAPPERS and len(stack) >= limit:
                stack.append((name, True))
                drop = True
            else:
                stack.append((name, False))
        else:
            for i in range(len(stack) - 1, max(-1, len(stack) - 64), -1):
                if stack[i][0] == name:
                    drop = stack[i][1]
                    del stack[i:]
                    break
        if drop:
            out.append(html[pos:start])
            pos = m.end()
    out.append(html[pos:])
    return "".join(out)


def _parse(text: str) -> HtmlElement | None:
    try:
        return document_fromstring(text.encode("utf-8", "surrogatepass"), parser=_PARSER)
    except (etree.ParserError, ValueError) as exc:
        raise ExtractError(f"unparseable HTML: {exc}") from None


def _too_deep() -> bool:
    return any("Excessive depth" in e.message for e in _PARSER.error_log)


def parse_html(text: str, max_elements: int) -> HtmlElement:
    """Parse once with lxml; refuses pages with no HTML or absurdly many elements."""
    if "<" not in text[:100_000]:
        raise ExtractError("no HTML markup")
    root = _parse(text)
    if _too_deep():
        root = _parse(flatten_deep(text))
    if root is None:
        raise ExtractError("empty document")
    if root.xpath("count(//*)") > max_elements:  # counted in C: no Python proxy per element
        raise ExtractError(f"too many elements (> {max_elements})")
    return root
