"""Extract one article from a Vietnamese news or government page.

The HTML is decoded and parsed once with lxml (`decode`, `tree`); metadata, headline, lead, date
and byline are read off that tree (`meta`, `lead`, `published`, `authors`), boilerplate is cut
from it (`boilerplate`), and the body text is read either by our own block reader when the
template is known (a family recognised from the markup, `templates`, or a `body` override from
sources.yaml: the fast path) or by trafilatura checked against the container's blocks
(`bodytext`). Generic rules come first; per-source CSS overrides only replace a field when they
match. docs/extraction.md has the rules and the template families.

`extract` never raises: malformed, binary, huge or pathological input yields
`Extracted(error=reason)`, so one bad page cannot stop a nightly run.
"""

from __future__ import annotations

import copy

import trafilatura
from lxml import etree
from lxml.html import HtmlElement

from ..config import ExtractOverrides
from ..css_select import select
from ..models import Extracted
from ..text.textnorm import collapse_ws, nfc
from . import byline
from .authors import find_author, page_candidates, signature_lines
from .blocks import Block, read_blocks
from .bodytext import (
    block_lines,
    body_text,
    clean_paragraphs,
    merge,
    trim_to_container,
    wrap,
)
from .boilerplate import BOILERPLATE_PHRASES, drop, remove_boilerplate
from .container import Body, find_body, unwrap_layout_tables
from .dates import parse_vn_date, to_iso
from .decode import decode_html, strip_controls, strip_markup_controls
from .errors import ExtractError
from .language import detect_language
from .lead import bold_lead, find_lead, strip_source_prefix
from .meta import PageMeta, pick_title, read_meta, text_of
from .pageindex import index_page
from .published import pick_published
from .templates import Match, field_element, recognise
from .tree import parse_html

__all__ = [
    "BOILERPLATE_PHRASES",
    "EXTRACTOR_VERSION",
    "ExtractError",
    "decode_html",
    "extract",
    "parse_html",
]

# Recorded on every record so a reprocess can tell which rules produced it; bump on rule changes.
EXTRACTOR_VERSION = f"vn-extract/2.0 (trafilatura {trafilatura.__version__})"
MAX_BYTES = 10_000_000  # as the fetcher's default cap: larger "pages" are archives or media
WHOLE_ARTICLE_SHARE = 0.85  # container prose share above which trafilatura reads it alone
MERGE_SHARE = 0.6  # container prose share above which its blocks may replace trafilatura's lines
MAX_ELEMENTS = 100_000  # ten times a heavy news page; beyond that, refuse rather than crawl
FAST_MIN_CHARS = 150  # a template body reading shorter than this falls back to trafilatura
CONFIDENT_SHARE = 0.9  # a voted container holding this share of the prose is read directly

_strip_source_prefix = strip_source_prefix  # the name tests and older callers use


def _override_el(root: HtmlElement, selector: str | None) -> etree._Element | None:
    if not selector:
        return None
    try:
        found = select(root, selector)
    except ValueError as exc:
        raise ExtractError(f"invalid override selector: {exc}") from None
    return found[0] if found else None


def extract(
    html: bytes | str,
    url: str | None = None,
    overrides: ExtractOverrides | None = None,
    *,
    encoding: str | None = None,
    templates: bool = True,
) -> Extracted:
    """Extract title, lead, body text, author, date and language; never raises.

    On failure the returned record has `error` set to a short reason and empty fields.
    `templates=False` turns off template families (the general rules alone, for benchmarks).
    """
    try:
        return _extract(html, url, overrides, encoding, templates)
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


def _first_block_el(el: etree._Element) -> etree._Element | None:
    """The first paragraph-sized element of a container (where the text starts)."""
    for sub in el.iter("p", "div", "h2", "h3", "blockquote", "li", "td"):
        if sub is not el and len(text_of(sub)) >= 30:
            return sub
    return None


def _locate_body(
    root: HtmlElement, ov: ExtractOverrides, templates: bool, index
) -> tuple[Body, Match | None, str]:
    """(the article container(s), the template family if one was recognised, text source)."""
    body_el = _override_el(root, ov.body)
    if body_el is not None:
        return Body([body_el], 1.0, _first_block_el(body_el)), None, "override"
    match = recognise(root, index) if templates else None
    if match is not None:
        return (
            Body([match.body], 1.0, _first_block_el(match.body)),
            match,
            f"template:{match.family.name}",
        )
    return find_body(root), None, "trafilatura"


def _pop_signature(paragraphs: list[str], author: str | None, site_names: tuple[str, ...]) -> None:
    """Remove the signature lines at the end: their name is in `author` now."""
    if not author:
        return
    while paragraphs and len(paragraphs[-1]) <= 80:
        last = paragraphs[-1]
        names = byline.valid_authors(last, site_names)
        if (
            (names and byline.join_names(last, names) == author)
            or byline.initials(last) == author
            or collapse_ws(last) == author
        ):
            paragraphs.pop()
        else:
            break


def _extract(
    html: bytes | str,
    url: str | None,
    ov: ExtractOverrides | None,
    encoding: str | None,
    templates: bool,
) -> Extracted:
    if html is None or len(html) == 0:
        raise ExtractError("empty input")
    if len(html) > MAX_BYTES:
        raise ExtractError(f"input too large ({len(html)} > {MAX_BYTES})")
    text = decode_html(html, encoding)
    if "\x00" in text[:10_000]:
        raise ExtractError("binary content (NUL characters)")
    raw = bytes(html) if isinstance(html, bytes | bytearray) else None
    root = parse_html(strip_markup_controls(text, raw), MAX_ELEMENTS)
    ov = ov or ExtractOverrides()
    sources: dict[str, str] = {}
    pm: PageMeta = read_meta(root, url)

    # body container, headline, lead
    unwrap_layout_tables(root)
    index = index_page(root)
    body, match, text_src = _locate_body(root, ov, templates, index)
    main = body.main
    title, sources["title"], heading = pick_title(root, pm, main)
    el = _override_el(root, ov.title)
    if el is not None and text_of(el):
        title, sources["title"], heading = text_of(el), "override", el
    lead_el, sources["lead"] = None, "none"
    tpl_lead = field_element(root, match, "lead")
    if tpl_lead is not None and len(text_of(tpl_lead)) >= 30 and tpl_lead not in body.containers:
        lead_el, sources["lead"] = tpl_lead, "lead-class"
    else:
        lead_el, sources["lead"] = find_lead(root, heading, main, body.first_paragraph)
    el = _override_el(root, ov.lead)
    if el is not None and text_of(el):
        lead_el, sources["lead"] = el, "override"
    if lead_el is not None and any(c in set(lead_el.iterdescendants()) for c in body.containers):
        lead_el, sources["lead"] = None, "none"  # a "lead" that holds the body is a wrapper
    lead = strip_source_prefix(text_of(lead_el)) if lead_el is not None else ""

    # date
    published, sources["published"] = pick_published(
        root, pm, heading, field_element(root, match, "date"), index
    )
    el = _override_el(root, ov.date)
    if el is not None:
        dt = parse_vn_date(el.get("datetime") or el.get("content") or text_of(el))
        if dt:
            published, sources["published"] = to_iso(dt), "override"

    # byline candidates around the body, before boxes (and share rows) are cut from the tree
    page_authors = page_candidates(
        root,
        pm,
        heading=heading,
        template_el=field_element(root, match, "author"),
        first_paragraph=body.first_paragraph,
    )

    # strip boxes, forms and the lead from the tree, then read the container's blocks
    for sel in ov.drop:
        try:
            doomed = select(root, sel)
        except ValueError as exc:
            raise ExtractError(f"invalid override selector: {exc}") from None
        for d in doomed:
            drop(d)
    protected = {e for e in (heading, lead_el, *body.containers) if e is not None}
    if text_src == "trafilatura" and body.main is not None and body.share >= CONFIDENT_SHARE:
        text_src = "container"  # one container holds the article: read it like a template's
    if text_src == "trafilatura":
        remove_boilerplate(root, protected, attrs=index.attrs)  # trafilatura reads the page
    else:
        for c in body.containers:  # the fast path reads only the container
            remove_boilerplate(c, protected, scope=c)
    if lead_el is not None and lead_el.getparent() is not None:
        drop(lead_el)
    blocks: list[Block] = read_blocks(body.containers) if body.containers else []
    if not lead:
        first = bold_lead(blocks)
        if first is not None:
            lead, sources["lead"] = strip_source_prefix(first.text), "lead-bold"
            blocks = [b for b in blocks if b is not first]

    # author: metadata, the signature at the end, the template's byline, the meta line
    author, sources["author"] = find_author(pm, signature_lines(blocks), page_authors)
    el = _override_el(root, ov.author)
    if el is not None:
        names = byline.valid_authors(text_of(el), pm.site_names)
        if names:
            author, sources["author"] = ", ".join(names), "override"

    # body text
    lines: list[str] = []
    if text_src != "trafilatura":
        lines = block_lines(blocks)
        if sum(len(x) for x in lines) < FAST_MIN_CHARS and text_src != "override":
            lines, text_src = [], "trafilatura"
    if text_src == "trafilatura" or not lines:
        lines = _trafilatura_lines(root, url, body, blocks, title, text_src == "override")
        if text_src != "override":
            text_src = "trafilatura"
    paragraphs = clean_paragraphs(lines, lead, title, tuple(ov.drop_phrases))
    sources["text"] = text_src
    if paragraphs and not lead:  # "KTĐT - " opening the first paragraph when there is no sapo
        paragraphs[0] = strip_source_prefix(paragraphs[0])
    _pop_signature(paragraphs, author, pm.site_names)

    body_text_ = "\n\n".join(paragraphs)
    language = detect_language(lead + " " + body_text_, pm.html_lang)
    sources["language"] = "text"
    sources["canonical_url"] = pm.canonical_source
    result = Extracted(
        title=strip_controls(nfc(title)),
        lead=strip_controls(nfc(lead)),
        text=strip_controls(nfc(body_text_)),
        author=strip_controls(nfc(author)) if author else None,
        published=published,
        language=language,
        canonical_url=pm.canonical,
        field_sources={k: v for k, v in sources.items() if v != "none"},
        extractor_version=EXTRACTOR_VERSION,
    )
    if not result.text and not result.lead:
        result.error = "no article text found"
    return result


def _trafilatura_lines(
    root: HtmlElement,
    url: str | None,
    body: Body,
    blocks: list[Block],
    title: str,
    override: bool,
) -> list[str]:
    """trafilatura's reading: of the container alone when it holds the article, else of the
    page; cut to the container, then replaced by the container's blocks when they cover it."""
    main = body.main
    wanted = sum(len(text_of(c)) for c in body.containers)
    raw = ""
    if main is not None and (override or body.share >= WHOLE_ARTICLE_SHARE):
        # the container holds the article: trafilatura on it alone is faster and sees no
        # sidebars; if it dislikes the small document, fall back to the whole page
        holder = etree.Element("div")
        for c in body.containers:
            holder.append(copy.deepcopy(c))
        raw = body_text(wrap(holder), url, wanted)
        if len(collapse_ws(raw)) < 0.5 * wanted:
            raw = ""
    if not raw:
        raw = body_text(root, url, wanted)
    lines = [x for x in (collapse_ws(x) for x in raw.split("\n")) if x]
    if main is not None and not override:
        lines = trim_to_container(lines, " ".join(text_of(c) for c in body.containers), title)
        if body.share >= MERGE_SHARE:
            merged = merge(blocks, lines)
            if merged:
                return merged
    return lines
