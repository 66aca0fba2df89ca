"""Where the article's paragraphs are: a readability-style vote for the body container.

Each paragraph of real prose gives its length to its parent and half to its grandparent;
link-heavy paragraphs (related lists) and chrome (header, nav, footer) do not vote. A `<div>`
holding text and no block of its own votes like a `<p>`: many templates write paragraphs that
way. The winner's siblings that look the same (same tag and class) and hold prose too are part
of the body: templates close the text container for an ad or video slot and open a second one
after it, and reading only the first would lose the end of the story.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree
from lxml.html import HtmlElement

from .boilerplate import link_len
from .lead import lead_hinted
from .meta import text_of

MIN_VOTE = 30  # characters of prose a paragraph needs to vote
_SENTENCE_END = (".", "!", "?", "…", "”", '"', ":", ";")
# Paragraph-like elements: p, h2, blockquote, and divs with no block-level child.
_VOTERS_XP = etree.XPath(
    ".//p | .//h2 | .//blockquote | .//div[not(div|p|table|ul|ol|section|article|h1|h2|h3|h4"
    "|h5|h6|blockquote|li|figure|form|header|footer|nav|aside)]"
    "[string-length(normalize-space(.)) >= 30]"
)


@dataclass
class Body:
    """The article container(s), in document order, and the share of the page's prose in them."""

    containers: list[etree._Element] = field(default_factory=list)
    share: float = 0.0
    first_paragraph: etree._Element | None = None

    @property
    def main(self) -> etree._Element | None:
        return self.containers[0] if self.containers else None


def _signature(el: etree._Element) -> tuple[str, str]:
    return (el.tag, " ".join(sorted((el.get("class") or "").split())))


def _chrome_ancestor(p: etree._Element) -> bool:
    return any(a.tag in ("nav", "footer", "header", "aside") for a in p.iterancestors())


def find_body(root: HtmlElement) -> Body:
    """The body container (or containers, for a text split around an ad slot) and its share."""
    body = root.find("body")
    if body is None:
        return Body()
    scores: dict[etree._Element, float] = {}
    direct: dict[etree._Element, int] = {}
    voters: list[tuple[etree._Element, int]] = []
    for p in _VOTERS_XP(body):
        if lead_hinted(p):
            continue  # the sapo sits outside the body on most sites: it must not pull the vote
        t = text_of(p)
        if len(t) < MIN_VOTE or link_len(p) > 0.4 * len(t):
            continue
        if p.tag == "div" and len(t) < 80 and not t.endswith(_SENTENCE_END):
            continue  # a short div is a date line or a label unless it reads as a sentence
        parent = p.getparent()
        if parent is None or _chrome_ancestor(p):
            continue
        voters.append((p, len(t)))
        scores[parent] = scores.get(parent, 0.0) + len(t)
        direct[parent] = direct.get(parent, 0) + len(t)
        gp = parent.getparent()
        if gp is not None:
            scores[gp] = scores.get(gp, 0.0) + len(t) / 2
    if not scores:
        return Body()
    best = max(scores, key=scores.__getitem__)
    group = _continuations(best, direct)
    members = set(group)
    total = sum(n for _, n in voters)
    inside = [(p, n) for p, n in voters if members.intersection(p.iterancestors())]
    share = sum(n for _, n in inside) / total if total else 0.0
    first = next((p for p, _ in inside if p.tag != "h2"), None)  # an h2 may be the sapo
    return Body(group, share, first)


def _continuations(best: etree._Element, direct: dict[etree._Element, int]) -> list[etree._Element]:
    """`best` plus its same-looking siblings that hold prose directly, separated from it only by
    elements without prose (ad slots, players, empty spacers)."""
    parent = best.getparent()
    if parent is None or best not in direct:
        return [best]
    sig = _signature(best)
    kids = [c for c in parent if isinstance(c.tag, str)]
    i = kids.index(best)
    group = [best]
    for step in (-1, 1):
        j = i + step
        while 0 <= j < len(kids):
            k = kids[j]
            if _signature(k) == sig and direct.get(k, 0) > 0:
                group.append(k)
            elif len(text_of(k)) - link_len(k) > 40:
                break  # other prose in between: a different part of the page
            j += step
    return sorted(group, key=kids.index)


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
