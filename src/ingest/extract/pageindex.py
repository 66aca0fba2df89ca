"""One pass over the page's class and id attributes, shared by the rules that need them.

Template recognition (which class names exist), the date finder (date-classed elements) and the
boilerplate cutter (noise-classed boxes) all start from the same list; building it once saves
a scan of the page per rule, which on pages with long utility-class strings is most of a
millisecond each.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

_ATTRS_XP = etree.XPath(".//@class | .//@id")


@dataclass
class PageIndex:
    # class and id values under <body>, as lxml smart strings (`.getparent()`, `.attrname`)
    attrs: list = field(default_factory=list)
    classes: frozenset[str] = frozenset()
    ids: frozenset[str] = frozenset()

    @property
    def tokens(self) -> tuple[frozenset[str], frozenset[str]]:
        return self.classes, self.ids


def index_page(root: etree._Element) -> PageIndex:
    body = root.find("body")
    if body is None:
        return PageIndex()
    attrs = _ATTRS_XP(body)
    classes = frozenset(c for v in attrs if v.attrname == "class" for c in v.split())
    ids = frozenset(v.strip() for v in attrs if v.attrname == "id")
    return PageIndex(attrs, classes, ids)
