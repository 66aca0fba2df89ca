"""A small CSS-selector → XPath translator for the per-source overrides in sources.yaml.

In the base layer because two stages need it: `config` compiles every selector when it reads
sources.yaml (a typo fails the file, not a night of pages) and `extract` evaluates them.

lxml's own `cssselect` needs an extra package we do not ship; the overrides only need the simple
selectors people actually write for news templates: `tag`, `.class`, `#id`, `[attr]`,
`[attr=v]`, `[attr*=v]`, `[attr^=v]`, `[attr$=v]`, descendant (space) and child (`>`)
combinators, and comma lists. Anything else raises ValueError, so a typo in sources.yaml fails
loudly instead of silently matching nothing.
"""

from __future__ import annotations

import re
from functools import lru_cache

from lxml import etree

_TOKEN = re.compile(
    r"\s*(?P<comb>>)\s*|(?P<ws>\s+)|(?P<tag>[a-zA-Z][\w-]*|\*)|\.(?P<cls>[\w-]+)|#(?P<id>[\w-]+)"
    r"|\[\s*(?P<attr>[\w:-]+)\s*(?:(?P<op>[*^$~|]?=)\s*(?P<val>\"[^\"]*\"|'[^']*'|[^\]\s]+)\s*)?\]"
)


def _literal(s: str) -> str:
    if "'" not in s:
        return f"'{s}'"
    if '"' not in s:
        return f'"{s}"'
    return "concat(" + ', "\'", '.join(f"'{p}'" for p in s.split("'")) + ")"


def _one(selector: str) -> str:
    xpath, step, conds, axis = "", "*", [], "descendant-or-self::"
    pos = 0
    sel = selector.strip()
    if not sel:
        raise ValueError("empty selector")

    def flush() -> str:
        return axis + step + "".join(f"[{c}]" for c in conds)

    while pos < len(sel):
        m = _TOKEN.match(sel, pos)
        if not m or m.end() == pos:
            raise ValueError(f"unsupported CSS selector {selector!r} at {sel[pos:]!r}")
        pos = m.end()
        if m.group("comb") or m.group("ws"):
            if step == "*" and not conds and not xpath:
                continue
            xpath += ("/" if xpath else "") + flush()
            axis = "" if m.group("comb") else "descendant::"
            step, conds = "*", []
        elif m.group("tag"):
            step = m.group("tag").lower()
        elif m.group("cls"):
            conds.append(
                f"contains(concat(' ', normalize-space(@class), ' '), {_literal(' ' + m.group('cls') + ' ')})"
            )
        elif m.group("id"):
            conds.append(f"@id={_literal(m.group('id'))}")
        else:
            attr, op, val = m.group("attr"), m.group("op"), m.group("val")
            if val and val[0] in "\"'":
                val = val[1:-1]
            if not op:
                conds.append(f"@{attr}")
            elif op == "=":
                conds.append(f"@{attr}={_literal(val)}")
            elif op == "*=":
                conds.append(f"contains(@{attr}, {_literal(val)})")
            elif op == "^=":
                conds.append(f"starts-with(@{attr}, {_literal(val)})")
            elif op == "$=":
                n = len(val)
                conds.append(
                    f"substring(@{attr}, string-length(@{attr}) - {n - 1})={_literal(val)}"
                )
            elif op == "~=":
                conds.append(
                    f"contains(concat(' ', normalize-space(@{attr}), ' '), {_literal(' ' + val + ' ')})"
                )
            else:
                raise ValueError(f"unsupported attribute operator {op!r} in {selector!r}")
    if axis == "" and step == "*" and not conds:
        raise ValueError(f"selector ends with a combinator: {selector!r}")
    return xpath + ("/" if xpath else "") + flush()


@lru_cache(maxsize=512)
def css_to_xpath(selector: str) -> etree.XPath:
    """Compile a CSS selector (comma lists allowed) to an XPath evaluated from any element."""
    parts = [_one(s) for s in selector.split(",")]
    return etree.XPath(" | ".join(parts))


@lru_cache(maxsize=512)
def _alternatives(selector: str) -> tuple[tuple[frozenset[str], frozenset[str], str], ...]:
    """Each comma alternative with the class names and ids it requires."""
    out = []
    for alt in selector.split(","):
        _one(alt)  # validate
        classes, ids = set(), set()
        for m in _TOKEN.finditer(alt):
            if m.group("cls"):
                classes.add(m.group("cls"))
            elif m.group("id"):
                ids.add(m.group("id"))
        out.append((frozenset(classes), frozenset(ids), alt.strip()))
    return tuple(out)


def select(
    root: etree._Element,
    selector: str,
    tokens: tuple[frozenset[str], frozenset[str]] | None = None,
) -> list[etree._Element]:
    """Elements matching `selector` under (and including) `root`, in document order.

    With the page's `tokens` (`pageindex.PageIndex.tokens`), alternatives naming a class or id the page does
    not use are skipped without evaluating them: XPath class tests cost a pass over every
    element, and template tables try many selectors per page.
    """
    if tokens is not None:
        classes, ids = tokens
        alts = [a for c, i, a in _alternatives(selector) if c <= classes and i <= ids]
        if not alts:
            return []
        selector = ", ".join(alts)
    return [e for e in css_to_xpath(selector)(root) if isinstance(e, etree._Element)]
