"""The article container's text as blocks, read with lxml alone: the fast path's body reader.

Why our own reader next to trafilatura: once the container is known (a template family or a
`body` override) there is nothing left to guess, and trafilatura's cleaning then costs most of the
run time while still losing text these templates hold: paragraphs written as `<div>`s, photo
captions of a slideshow story, the last paragraph before the signature. The reader walks the
container in document order and emits one block per paragraph-level element (a `<div>` with text
of its own is a paragraph too; two `<br>` in a row split one), skipping scripts, forms, media and
boxes whose class names mark them as related news, ads, sharing or comments. Each block keeps
what the later rules need: how much of it is link text or bold, and whether it is right-aligned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from ..text.textnorm import collapse_ws
from .boilerplate import NOISE

INLINE = frozenset(
    "a abbr b bdi bdo big cite code data del dfn em font i ins kbd label mark nobr q s samp "
    "small span strike strong sub sup time tt u var wbr".split()
)
SKIP = frozenset(
    "script style noscript iframe form button input select textarea svg canvas video audio "
    "object embed template head nav img picture source map link meta amp-ad amp-img amp-video "
    "amp-iframe amp-sidebar amp-analytics".split()
)
_BOLD = frozenset(("b", "strong"))
_AUTHOR_HREF = re.compile(r"tac-?gia|author|/profile|phong-?vien", re.I)


@dataclass
class Block:
    text: str
    tag: str  # the paragraph-level element that holds it
    links: int = 0  # characters inside <a>
    bold: int = 0  # characters inside <b>/<strong>
    right: bool = False  # right-aligned (the signature line's usual style)
    caption: bool = False
    author_link: bool = False  # links to an author page ("/tac-gia/…"): a byline, not a teaser
    in_table: bool = False  # a cell of a data table (schedules follow the signature on portals)
    el: etree._Element | None = None

    @property
    def link_share(self) -> float:
        """Share of the block's letters (spaces not counted) inside links."""
        n = len(self.text.replace(" ", ""))
        return min(self.links / n, 1.0) if n else 0.0

    @property
    def all_bold(self) -> bool:
        return bool(self.text) and self.bold >= 0.9 * len(self.text.replace(" ", ""))


def _hidden(el: etree._Element) -> bool:
    style = (el.get("style") or "").replace(" ", "").lower()
    return "display:none" in style or el.get("hidden") is not None


def _noise(el: etree._Element) -> bool:
    hint = (el.get("class") or "") + " " + (el.get("id") or "")
    if el.get("type") in ("RelatedOneNews", "RelatedNews", "VideoStream", "Video"):
        return True  # VCCorp embeds: a teaser box or a player, not prose
    return bool(hint.strip()) and bool(NOISE.search(hint))


class _Reader:
    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.buf: list[str] = []
        self.links = 0
        self.bold = 0
        self.owner: etree._Element | None = None
        self.brs = 0
        self.author_link = False
        self.tables = 0

    def text(self, s: str | None, in_link: bool, in_bold: bool) -> None:
        if not s:
            return
        if s.strip():
            self.brs = 0
        self.buf.append(s)
        n = len(s.replace(" ", "").strip())
        if in_link:
            self.links += n
        if in_bold:
            self.bold += n

    def flush(self) -> None:
        t = collapse_ws("".join(self.buf))
        if t and self.owner is not None:
            el = self.owner
            style = (el.get("style") or "").replace(" ", "").lower()
            align = (el.get("align") or "").lower()
            self.blocks.append(
                Block(
                    t,
                    el.tag if isinstance(el.tag, str) else "",
                    links=self.links,
                    bold=self.bold,
                    right="text-align:right" in style or align == "right",
                    caption=el.tag in ("figcaption", "caption")
                    or "caption" in (el.get("class") or "").lower(),
                    author_link=self.author_link,
                    in_table=self.tables > 0,
                    el=el,
                )
            )
        self.buf, self.links, self.bold, self.brs = [], 0, 0, 0
        self.author_link = False

    def walk(self, el: etree._Element, in_link: bool, in_bold: bool, top: bool) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag == "br":
            self.brs += 1
            if self.brs >= 2:
                self.flush()  # two line breaks in a row end a paragraph
            else:
                self.buf.append(" ")
            return
        if not tag or tag in SKIP or (not top and (_hidden(el) or _noise(el))):
            return
        inline = tag in INLINE
        if not inline:
            self.flush()
            outer, self.owner = self.owner, el
        if tag == "table":
            self.tables += 1
        link = in_link or tag == "a"
        if tag == "a" and _AUTHOR_HREF.search(el.get("href") or ""):
            self.author_link = True
        bold = in_bold or tag in _BOLD
        self.text(el.text, link, bold)
        for child in el:
            self.walk(child, link, bold, False)
            self.text(child.tail, link, bold)
        if not inline:
            self.flush()
            self.owner = outer
        if tag == "table":
            self.tables -= 1


def read_blocks(containers: list[etree._Element]) -> list[Block]:
    """Blocks of text of the containers, in document order (each container read in turn)."""
    blocks: list[Block] = []
    for c in containers:
        r = _Reader()
        r.walk(c, False, False, True)
        r.flush()
        blocks.extend(r.blocks)
    return [b for b in blocks if b.text.strip("\xa0 ")]
