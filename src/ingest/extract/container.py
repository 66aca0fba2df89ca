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
SPREAD_SHARE = 0.5  # below this share, look for an ancestor that gathers the prose
SPREAD_LEVELS = 4
_SENTENCE_END = (".", "!", "?", "…", "”", '"', ":", ";")
# Paragraph-like elements: p, h2, blockquote, and divs with no block-level child.
_VOTERS_XP = etree.XPath(
    ".//p | .//h2 | .//blockquote | .//div[not(div|p|table|ul|ol|section|article|h1|h2|h3|h4"
    "|h5|h6|blockquote|li|figure|form|header|footer|nav|aside)]"
    "[string-length(normalize-space(.)) >= 30]"
)
# Elements holding text runs separated by <br> (old portals write a whole story in one cell).
_BR_HOLDERS_XP = etree.XPath(".//*[br][not(self::p)][string-length(normalize-space(.)) >= 80]")
_INLINE = frozenset("a b strong i em u span font small big sup sub br".split())


def br_runs(el: etree._Element) -> list[str]:
    """The text runs an element holds directly, split at <br>: its own paragraphs."""
    runs, cur = [], [el.text or ""]
    for child in el:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "br":
            runs.append("".join(cur))
            cur = []
        elif tag in _INLINE:
            cur.append(text_of(child) + " ")
        else:
            runs.append("".join(cur))
            cur = []
        cur.append(child.tail or "")
    runs.append("".join(cur))
    return [r for r in (" ".join(x.split()) for x in runs) if r]


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
    for el in _BR_HOLDERS_XP(body):
        if _chrome_ancestor(el):
            continue
        for run in br_runs(el):
            if len(run) >= MIN_VOTE and run.endswith(_SENTENCE_END):
                voters.append((el, len(run)))
                scores[el] = scores.get(el, 0.0) + len(run)
                direct[el] = direct.get(el, 0) + len(run)
                if el.getparent() is not None:
                    gp = el.getparent()
                    scores[gp] = scores.get(gp, 0.0) + len(run) / 2
    if not scores:
        return Body()
    best = max(scores, key=scores.__getitem__)
    total = sum(n for _, n in voters)
    group = _continuations(best, direct)
    inside, share = _inside(group, voters, total)
    if share < SPREAD_SHARE:
        # prose spread over many small boxes (a story told in photo captions): the article is
        # the nearest ancestor that gathers most of it
        for anc in list(best.iterancestors())[:SPREAD_LEVELS]:
            if anc.tag in ("body", "html"):
                break
            a_inside, a_share = _inside([anc], voters, total)
            if a_share >= 0.8:
                group, inside, share = [anc], a_inside, a_share
                break
    first = next((p for p, _ in inside if p.tag != "h2"), None)  # an h2 may be the sapo
    return Body(group, share, first)


def _inside(
    group: list[etree._Element], voters: list[tuple[etree._Element, int]], total: int
) -> tuple[list[tuple[etree._Element, int]], float]:
    members = set(group)
    inside = [(p, n) for p, n in voters if p in members or members.intersection(p.iterancestors())]
    return inside, (sum(n for _, n in inside) / total if total else 0.0)


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
    rows = t.xpath("./tr|./tbody/tr")
    if len(rows) >= 2 and all(len(r.xpath("./td|./th")) <= 1 for r in rows):
        return len(text_of(t)) >= 200  # one column of text rows: a page laid out as a table
    if any(len(text_of(c)) >= 400 for c in t.xpath("./tr/td|./tbody/tr/td")):
        return True  # no data table has a cell of several paragraphs
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
