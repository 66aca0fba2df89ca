"""Datasette plugin for the knowledge base: Vietnamese search, article pages, archive view.

Why a plugin and not only metadata: researchers type queries with or without diacritics, and
đ/Đ does not decompose in Unicode, so neither FTS5's `remove_diacritics` nor Datasette's own
`escape_fts()` can match "dai phat thanh" to "Đài Phát thanh". The FTS table holds a folded copy
of every article (`ingest.db.folded_document`); this plugin folds the *query* the same way.

SQL functions (registered on every connection):
- ``vn_fold(text)``: the same folding as the pipeline (`ingest.textnorm.fold`).
- ``vn_fts_query(q)``: a safe FTS5 MATCH expression from what a person typed.
- ``vn_passage(text, q)``: the passage of the original text that best matches the query.
- ``escape_fts(q)``: replaced by ``vn_fts_query`` so the table search box (``?_search=``)
  behaves exactly like the search page.

Pages: ``/-/search`` (ranked results with highlighted passages), ``/-/article/<id>`` (text with
evidence highlighted), ``/-/archive/<id>`` (the archived raw HTML, escaped or sandboxed).
Nothing crawled is ever emitted as live HTML: every value goes through `markupsafe.escape`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.facets import ArrayFacet
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args
from datasette.utils.asgi import NotFound, Response
from jinja2 import ChoiceLoader, FileSystemLoader
from markupsafe import Markup, escape

from .fastfold import fast_fold
from .provenance import default_raw_dir, warc_location
from .textnorm import fold, nfc

PLUGIN_NAME = "ingest_vn"
HERE = Path(__file__).parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
DEFAULT_DATABASE = "kb"
PASSAGE_WIDTH = 240
SEARCH_PAGE_SIZE = 50
# bm25 weights for articles_fts(title, lead, text, folded): a hit in the title counts most.
BM25_WEIGHTS = "10.0, 4.0, 1.0, 1.0"
# SQLite caps this at its compile-time maximum (2 GiB in the usual builds); pages are mapped
# only when read, so a small database costs no more memory than it would in the page cache.
MMAP_BYTES = 2**31

# ---------------------------------------------------------------------------------------------
# Query parsing
# ---------------------------------------------------------------------------------------------

_QUERY_TOKEN = re.compile(r'"([^"]*)"?(\*?)|(\S+)')
# FTS5's unicode61 tokenizer keeps letters and digits and splits on everything else, "_" too.
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Term:
    """One thing the user asked for: a phrase of folded syllables, maybe a prefix."""

    words: tuple[str, ...]
    prefix: bool = False
    negated: bool = False

    def fts(self) -> str:
        # Tokens are \w+ only, so they never contain a double quote: quoting is enough.
        return '"' + " ".join(self.words) + '"' + ("*" if self.prefix else "")


@dataclass
class ParsedQuery:
    """Groups of terms joined by OR; terms inside a group are all required."""

    groups: list[list[tuple[Term, bool]]]  # (term, came from a quoted phrase)
    negated: list[Term]

    def positive_terms(self) -> list[Term]:
        return [t for g in self.groups for t, _ in g]


def _words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(fold(text)))


@lru_cache(maxsize=512)
def parse_query(q: str | None) -> ParsedQuery:
    """Split a raw query into quoted phrases, bare words, ``OR`` and ``-excluded`` words.

    An unbalanced quote runs to the end of the query, as people expect when they forget it.
    """
    groups: list[list[tuple[Term, bool]]] = [[]]
    negated: list[Term] = []
    negate_next = False
    for m in _QUERY_TOKEN.finditer(nfc(q or "")):
        phrase, star, bare = m.group(1), m.group(2), m.group(3)
        if bare is not None:
            if bare == "OR":
                if groups[-1]:
                    groups.append([])
                continue
            if bare in ("AND", "NOT"):
                negate_next = bare == "NOT"
                continue
            neg = bare.startswith("-") and len(bare) > 1
            text = bare[1:] if neg else bare
            prefix = text.endswith("*")
            words = _words(text)
            quoted = False
        else:
            neg, prefix, words, quoted = False, bool(star), _words(phrase), True
        if not words:
            continue
        term = Term(words, prefix=prefix, negated=neg or negate_next)
        negate_next = False
        if term.negated:
            negated.append(term)
        else:
            groups[-1].append((term, quoted))
    groups = [g for g in groups if g]
    return ParsedQuery(groups, negated)


def _phrase_run(group: list[tuple[Term, bool]]) -> Term | None:
    """The group's bare words as one phrase, when the group is two or more bare words."""
    bare_run = [t for t, quoted in group if not quoted and not t.prefix]
    if len(group) > 1 and len(bare_run) == len(group):
        return Term(tuple(w for t in bare_run for w in t.words))
    return None


def _group_expression(group: list[tuple[Term, bool]], ranked: bool = True) -> str:
    """All terms required; for ranking, a run of bare words also scores as one phrase.

    "le hoi thiet ke" must find every article that has those four syllables, but the ones where
    they stand together as the phrase "lễ hội thiết kế" should rank first. bm25 sums the score of
    every phrase in the expression, so adding the joined phrase on an OR branch only changes the
    ranking, never the set of matches (a phrase match implies all its words match). A filter
    that is not ranked (the table's ``?_search=``, sorted by date) leaves the branch out: it
    would only make FTS5 read every position list twice.
    """
    required = " ".join(t.fts() for t, _ in group)
    joined = _phrase_run(group)
    if ranked and joined:
        return f"({joined.fts()} OR ({required}))"
    if len(group) == 1:
        return required
    return f"({required})"


def _combine(alternatives: list[str], negated: list[Term]) -> str:
    expr = " OR ".join(alternatives)
    if len(alternatives) > 1 and negated:
        expr = f"({expr})"
    for term in negated:
        expr += f" NOT {term.fts()}"
    return expr


def vn_fts_query(q: str | None, ranked: bool = True) -> str:
    """An FTS5 MATCH expression for a raw user query, with or without diacritics.

    Every term is folded (đ→d, no tone marks) and quoted, so FTS5 operators and punctuation
    typed by the user can never cause a syntax error; ``"quoted phrases"`` stay phrases.
    A query with no searchable word yields ``""``, which matches nothing. ``ranked=False``
    gives the same set of matches without the phrase-boost branches (for filters).
    """
    parsed = parse_query(q)
    if not parsed.groups:
        return '""'
    return _combine([_group_expression(g, ranked) for g in parsed.groups], parsed.negated)


def vn_fts_tiers(q: str | None) -> tuple[str, str]:
    """Phrase-first ranking: (the matches where each run of bare words stands as a phrase, the
    other matches). Together they are exactly the matches of `vn_fts_query`.

    Vietnamese words are several syllables, so "dai phat thanh" asks for "Đài Phát thanh"; folded,
    its syllables alone occur in a third of all articles ("đại", "dài", "phát", "thành"). Ranking
    the phrase matches first, and the rest only when a page reaches past them, puts the articles
    people mean on top and lets bm25 score thousands of rows instead of tens of thousands.
    The second expression is ``""`` (no match) when the query has no run of bare words.
    """
    parsed = parse_query(q)
    if not parsed.groups or not any(_phrase_run(g) for g in parsed.groups):
        return vn_fts_query(q), '""'
    phrases = []
    for group in parsed.groups:
        joined = _phrase_run(group)
        phrases.append(joined.fts() if joined else _group_expression(group, ranked=False))
    every = " OR ".join(_group_expression(g, ranked=False) for g in parsed.groups)
    rest = f"({every}) NOT ({' OR '.join(phrases)})"
    return _combine(phrases, parsed.negated), _combine([rest], parsed.negated)


# ---------------------------------------------------------------------------------------------
# Passages
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def _term_pattern(term: Term) -> re.Pattern[str]:
    """The term as whole words of folded text: not preceded or followed by a letter or digit.

    The pattern starts with the first word as a literal and checks the character before it
    with a look-behind placed after it: `re` then jumps between occurrences of the literal
    instead of trying the look-behind at every position (17x faster on article bodies).
    """
    sep = r"[\W_]+"
    first = re.escape(term.words[0])
    rest = "".join(sep + re.escape(w) for w in term.words[1:])
    tail = r"[^\W_]*" if term.prefix else r"(?![^\W_])"
    return re.compile(first + rf"(?<![^\W_]{first})" + rest + tail)


def match_spans(text: str, q: str | None, folded: str | None = None) -> list[tuple[int, int]]:
    """Character spans in `text` (NFC) where any searched term occurs, sorted, non-overlapping.

    Matching runs on the folded copy, which has one character per character of NFC text, so
    the spans index straight into the original.
    """
    if folded is None:
        folded = fast_fold(nfc(text))
    spans = []
    for group in parse_query(q).groups:
        terms = [t for t, _ in group]
        if len(terms) > 1 and not any(quoted or t.prefix for t, quoted in group):
            # the run as a whole phrase, so "Lễ hội Thiết kế" is marked as one passage
            terms.append(Term(tuple(w for t in terms for w in t.words)))
        for term in terms:
            spans.extend(m.span() for m in _term_pattern(term).finditer(folded))
    return merge_spans(spans)


def merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def passage_window(
    text: str, q: str | None, width: int = PASSAGE_WIDTH, folded: str | None = None
) -> tuple[str, list[tuple[int, int]]]:
    """The best window of about `width` characters, and the match spans relative to it.

    "Best" is the window covering the most distinct terms, then the most hits; ties go to the
    earliest. The window is widened to whole words and marked with … where it was cut.
    `folded` may be the stored folded copy of `text` (the FTS table's ``folded`` column, read
    with `BODY_SQL`), which saves normalising and folding every result again; it is used only
    when it lines up with `text` character for character.
    """
    text = text or ""
    if folded is None or len(folded) != len(text):
        text = nfc(text)
        folded = fast_fold(text)
    spans = match_spans(text, q, folded)
    if not spans:
        if len(text) <= width:
            return text, []
        head = text[:width] if text[width].isspace() else text[:width].rsplit(" ", 1)[0]
        return head.rstrip() + " …", []
    best: tuple[int, int, int] | None = None  # (-distinct, -hits, start)
    for s, _ in spans[:50]:  # enough candidates for one passage
        lo = max(0, s - width // 3)
        # start at the sentence or line holding the hit when it begins inside the window
        lo = max(lo, text.rfind("\n", lo, s) + 1, text.rfind(". ", lo, s) + 2)
        inside = [(a, b) for a, b in spans if a >= lo and b <= lo + width]
        key = (-len({folded[a:b] for a, b in inside}), -len(inside), lo)
        if best is None or key < best:
            best = key
    assert best is not None
    lo = best[2]
    hi = min(len(text), lo + width)
    while lo > 0 and not text[lo - 1].isspace():
        lo -= 1
    while hi < len(text) and not text[hi].isspace():
        hi += 1
    prefix = "… " if lo > 0 else ""
    suffix = " …" if hi < len(text) else ""
    off = len(prefix) - lo
    rel = [(a + off, b + off) for a, b in spans if a >= lo and b <= hi]
    return prefix + text[lo:hi].strip("\n") + suffix, rel


def vn_passage(
    text: str | None, q: str | None, width: int | None = None, folded: str | None = None
) -> str:
    """SQL function: the matching passage of the original (unfolded) text, as plain text."""
    return passage_window(text or "", q, int(width or PASSAGE_WIDTH), folded)[0]


def highlight(text: str, spans: list[tuple[int, int]], title: str | None = None) -> Markup:
    """Escape `text` and wrap each span in <mark>; the only HTML we emit around crawled text."""
    out: list[str] = []
    pos = 0
    attr = f' title="{escape(title)}"' if title else ""
    for s, e in spans:
        out.append(str(escape(text[pos:s])))
        out.append(f"<mark{attr}>{escape(text[s:e])}</mark>")
        pos = e
    out.append(str(escape(text[pos:])))
    return Markup("".join(out))


def _sql_fold(value: Any) -> str | None:
    return None if value is None else fold(str(value))


def _sql_fts_form(value: Any, form: Any = "ranked") -> str:
    """``vn_fts_query(q [, form])``: 'ranked' (default), 'filter', 'phrases' or 'rest'."""
    q = None if value is None else str(value)
    if form == "filter":
        return vn_fts_query(q, ranked=False)
    if form in ("phrases", "rest"):
        return vn_fts_tiers(q)[form == "rest"]
    if form in (None, "", "ranked"):
        return vn_fts_query(q)
    raise ValueError(f"vn_fts_query: unknown form {form!r} (ranked, filter, phrases, rest)")


def _sql_fts_filter(value: Any) -> str:
    return _sql_fts_form(value, "filter")


def _sql_passage(text: Any, q: Any, width: Any = None, folded: Any = None) -> str | None:
    if text is None:
        return None
    folded = folded if isinstance(folded, str) else None
    return vn_passage(str(text), None if q is None else str(q), width, folded)


@hookimpl(trylast=True)
def prepare_connection(conn: Any) -> None:
    """Register the SQL functions; trylast so our escape_fts replaces Datasette's own.

    Also memory-maps the database for reading: a search with facets looks up every matching
    article once per facet, and through mmap those lookups skip a read() system call per page
    (about a third less time per facet at 100,000 articles; benchmarks/bench_search.py).
    Writers are unaffected: WAL frames are still read the normal way.
    """
    conn.create_function("vn_fold", 1, _sql_fold, deterministic=True)
    conn.create_function("vn_fts_query", 1, _sql_fts_form, deterministic=True)
    conn.create_function("vn_fts_query", 2, _sql_fts_form, deterministic=True)
    conn.create_function("vn_passage", 2, _sql_passage, deterministic=True)
    conn.create_function("vn_passage", 3, _sql_passage, deterministic=True)
    conn.create_function("vn_passage", 4, _sql_passage, deterministic=True)
    # the table's ?_search= filters and sorts by date: the unranked form, same matches
    conn.create_function("escape_fts", 1, _sql_fts_filter, deterministic=True)
    conn.execute(f"pragma mmap_size = {MMAP_BYTES}")


# ---------------------------------------------------------------------------------------------
# Templates, static files, links
# ---------------------------------------------------------------------------------------------


@hookimpl
def prepare_jinja2_environment(env: Any) -> None:
    """Put our templates first: the plugin is a module, so Datasette cannot find them itself."""
    env.loader = ChoiceLoader([FileSystemLoader(str(TEMPLATES_DIR)), env.loader])


@hookimpl
def extra_css_urls(datasette: Any) -> list[str]:
    return [datasette.urls.path("/-/ingest-static/kb.css")]


@hookimpl
def menu_links(datasette: Any) -> list[dict[str, str]]:
    return [
        {"href": datasette.urls.path("/-/search"), "label": "Tìm kiếm / Search"},
    ]


@hookimpl
def render_cell(
    row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any
) -> Any:
    """In the articles table the title links to the readable article page (escaped)."""
    if table == "articles" and column == "title" and isinstance(value, str):
        try:
            article_id = int(row["id"])
        except (KeyError, IndexError, TypeError, ValueError):
            return None
        href = datasette.urls.path(f"/-/article/{article_id}")
        return Markup(f'<a class="kb-article-link" href="{escape(href)}">{escape(value)}</a>')
    return None


@hookimpl
def extra_template_vars(datasette: Any) -> dict[str, Any]:
    return {"kb_database": kb_database_name(datasette)}


def kb_database_name(datasette: Any) -> str:
    config = datasette.plugin_config(PLUGIN_NAME) or {}
    name = config.get("database") or DEFAULT_DATABASE
    if name in datasette.databases:
        return name
    for candidate in datasette.databases:
        if candidate != "_internal":
            return candidate
    raise NotFound("no database")


STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


async def static_file(request: Any) -> Response:
    """Serve src/ingest/static: Datasette only serves static dirs of plugin *packages*."""
    name = request.url_vars["path"]
    path = (STATIC_DIR / name).resolve()
    if path.parent != STATIC_DIR.resolve() or not path.is_file():
        raise NotFound("no such file")
    content_type = STATIC_TYPES.get(path.suffix, "application/octet-stream")
    return Response(
        path.read_text(encoding="utf-8"),
        content_type=content_type,
        headers={"cache-control": "max-age=3600"},
    )


# ---------------------------------------------------------------------------------------------
# Facet over JSON id lists, with names
# ---------------------------------------------------------------------------------------------


class IdListFacet(ArrayFacet):
    """Facet over a JSON array of ids (articles.initiative_ids / agency_ids), labelled by name.

    Why not Datasette's own array facet: it de-duplicates on ``distinct value, inner.*``, i.e.
    on every column including the article text, and its ``__arraycontains`` filter parses the
    JSON of every row; at 100,000 articles the facet ran past the time limit and silently
    disappeared. When the config names a link table (``article_initiatives``), this facet counts
    and filters through it and its index instead; otherwise it counts ``json_each`` over the
    one column. Values are labelled from a lookup table, so researchers see initiative and
    agency names, not ids. Selecting a value adds ``?_has_<column>=<id>`` (see
    `idlist_filters`); ``<column>__arraycontains=<id>`` keeps working too.

    metadata.yml::

        facets:
          - idlist: {column: initiative_ids, labels: initiatives, label_column: name_vi,
                     link_table: article_initiatives, link_key: article_id,
                     link_value: initiative_id}
    """

    type = "idlist"

    async def suggest(self) -> list[dict[str, Any]]:
        return []

    async def _labels(self, config: dict[str, Any]) -> dict[str, str]:
        table, column = config.get("labels"), config.get("label_column")
        if not table or not column:
            return {}
        rows = await self.ds.execute(
            self.database,
            f"select id, {escape_sqlite(column)} from {escape_sqlite(table)}",
        )
        return {str(r[0]): r[1] for r in rows}

    def _unfiltered(self) -> bool:
        """True when the facet counts over the whole table (Datasette adds no WHERE then)."""
        return not self.params and re.search(r"\bwhere\b", self.sql, re.IGNORECASE) is None

    def _count_sql(self, config: dict[str, Any], column: str, limit: int) -> str:
        if config.get("link_table"):
            link = escape_sqlite(config["link_table"])
            key = escape_sqlite(config.get("link_key", "article_id"))
            value = escape_sqlite(config["link_value"])
            pk = escape_sqlite(config.get("pk", "id"))
            # The whole table (no filter, no search): every link row belongs to an article
            # (a foreign key), so count the link table on its own, 3 ms instead of 80 ms for
            # checking 100,000 article ids.
            where = (
                "" if self._unfiltered() else f"where t.{key} in (select {pk} from ({self.sql})) "
            )
            return (
                f"select t.{value} as value, count(*) as count from {link} t {where}"
                f"group by t.{value} order by count(*) desc, t.{value} limit {limit}"
            )
        return (
            f"select j.value as value, count(*) as count "
            f"from (select {escape_sqlite(column)} as ids from ({self.sql})) as inner_rows, "
            f"json_each(inner_rows.ids) j "
            f"group by j.value order by count(*) desc, j.value limit {limit}"
        )

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        results: list[dict[str, Any]] = []
        timed_out: list[str] = []
        facet_size = self.get_facet_size()
        pairs = self.get_querystring_pairs()
        for source_and_config in self.get_configs():
            config = source_and_config["config"]
            column = config.get("column") or config["simple"]
            try:
                rows = await self.ds.execute(
                    self.database,
                    self._count_sql(config, column, facet_size + 1),
                    self.params,
                    truncate=False,
                    custom_time_limit=self.ds.setting("facet_time_limit_ms"),
                )
            except QueryInterrupted:
                timed_out.append(column)
                continue
            labels = await self._labels(config)
            arg = f"_has_{column}" if config.get("link_table") else f"{column}__arraycontains"
            values = []
            for row in rows.rows[:facet_size]:
                value = str(row["value"])
                selected = (arg, value) in pairs or (f"{column}__arraycontains", value) in pairs
                if selected:
                    toggle = path_with_removed_args(
                        self.request, {arg: value, f"{column}__arraycontains": value}
                    )
                else:
                    toggle = path_with_added_args(self.request, {arg: value})
                values.append(
                    {
                        "value": value,
                        "label": labels.get(value, value),
                        "count": row["count"],
                        "toggle_url": self.ds.absolute_url(self.request, toggle),
                        "selected": selected,
                    }
                )
            results.append(
                {
                    "name": column,
                    "type": self.type,
                    "results": values,
                    "hideable": source_and_config["source"] != "metadata",
                    "toggle_url": self.ds.urls.path(
                        path_with_removed_args(self.request, {f"_facet_{self.type}": column})
                    ),
                    "truncated": len(rows.rows) > facet_size,
                }
            )
        return results, timed_out


def _idlist_configs(datasette: Any, database: str, table: str) -> list[dict[str, Any]]:
    facets = (datasette.table_metadata(database, table) or {}).get("facets") or []
    return [
        f["idlist"]
        for f in facets
        if isinstance(f, dict)
        and isinstance(f.get("idlist"), dict)
        and f["idlist"].get("link_table")
    ]


@hookimpl
def filters_from_request(request: Any, database: str, table: str, datasette: Any) -> Any:
    """``?_has_initiative_ids=<id>``: rows linked to that id, through the indexed link table."""
    configs = _idlist_configs(datasette, database, table) if table else []
    if not configs:
        return None
    from datasette.filters import FilterArguments

    where: list[str] = []
    params: dict[str, str] = {}
    human: list[str] = []
    for config in configs:
        column = config["column"]
        for n, value in enumerate(request.args.getlist(f"_has_{column}")):
            name = f"has_{column}_{n}"
            where.append(
                "{pk} in (select {key} from {link} where {value} = :{name})".format(
                    pk=escape_sqlite(config.get("pk", "id")),
                    key=escape_sqlite(config.get("link_key", "article_id")),
                    link=escape_sqlite(config["link_table"]),
                    value=escape_sqlite(config["link_value"]),
                    name=name,
                )
            )
            params[name] = value
            human.append(f'{column} has "{value}"')
    return FilterArguments(where, params, human)


@hookimpl
def register_facet_classes() -> list[type]:
    return [IdListFacet]


# ---------------------------------------------------------------------------------------------
# Search page
# ---------------------------------------------------------------------------------------------

# One tier of phrase-first ranking (see vn_fts_tiers): bm25 over the index alone, joining the
# articles only when the relevance filter needs them. Bodies are fetched for one page only.
RANK_SQL = f"""
select articles_fts.rowid as id, bm25(articles_fts, {BM25_WEIGHTS}) as rank
from articles_fts {{join}}
where articles_fts match :expr {{filter}}
order by rank, articles_fts.rowid desc
limit :limit offset :offset
"""
RELEVANT_JOIN = "join articles a on a.id = articles_fts.rowid"
RELEVANT_FILTER = "and a.relevant = cast(:relevant as integer)"

COUNT_SQL = """
select count(*) from articles_fts {join} where articles_fts match :expr {filter}
"""

# An article's title, lead and text laid out exactly as `ingest.db.folded_document` lays them
# out before folding (non-empty parts joined by " \n"), so the FTS table's `folded` column lines
# up with it character for character and passages need no folding of their own.
BODY_SQL = (
    "substr(coalesce(' ' || char(10) || nullif(a.title, ''), '')"
    " || coalesce(' ' || char(10) || nullif(a.lead, ''), '')"
    " || coalesce(' ' || char(10) || nullif(a.text, ''), ''), 3)"
)

PAGE_SQL = f"""
select a.id, a.title, a.url, a.published_date, s.name as outlet, a.relevant, a.initiative_ids,
  {BODY_SQL} as body, f.folded
from articles a
join sources s on s.id = a.source_id
join articles_fts f on f.rowid = a.id
where a.id in (select value from json_each(:ids))
"""


def _sql(template: str, relevant: str) -> str:
    return template.format(
        join=RELEVANT_JOIN if relevant else "", filter=RELEVANT_FILTER if relevant else ""
    )


async def ranked_ids(db: Any, q: str, relevant: str, limit: int, offset: int) -> list[int]:
    """One page of article ids, phrase matches first, each tier by bm25 then newest first."""
    phrases, rest = vn_fts_tiers(q)
    rank_sql = _sql(RANK_SQL, relevant)
    params = {"expr": phrases, "relevant": relevant, "limit": limit, "offset": offset}
    ids = [r["id"] for r in await db.execute(rank_sql, params)]
    if len(ids) < limit and rest != '""':
        if ids:  # the phrase tier ends on this page
            rest_offset = 0
        else:  # the page lies past the phrase tier: skip what is left of the rest
            count_sql = _sql(COUNT_SQL, relevant)
            n_phrases = (await db.execute(count_sql, params)).first()[0]
            rest_offset = offset - n_phrases
        more = {**params, "expr": rest, "limit": limit - len(ids), "offset": rest_offset}
        ids += [r["id"] for r in await db.execute(rank_sql, more)]
    return ids


async def search_page(request: Any, datasette: Any) -> Response:
    """Ranked results with the matching passage of each article highlighted."""
    dbname = kb_database_name(datasette)
    db = datasette.get_database(dbname)
    q = request.args.get("q", "").strip()
    relevant = request.args.get("relevant", "")
    if relevant not in ("", "0", "1"):
        relevant = ""
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    results: list[dict[str, Any]] = []
    total = 0
    if q:
        count = {"expr": vn_fts_query(q, ranked=False), "relevant": relevant}
        total = (await db.execute(_sql(COUNT_SQL, relevant), count)).first()[0]
        ids = await ranked_ids(db, q, relevant, SEARCH_PAGE_SIZE, (page - 1) * SEARCH_PAGE_SIZE)
        rows = {r["id"]: r for r in await db.execute(PAGE_SQL, {"ids": json.dumps(ids)})}
        for row in (rows[i] for i in ids if i in rows):
            passage, spans = passage_window(row["body"], q, folded=row["folded"])
            title = row["title"] or ""
            results.append(
                {
                    "id": row["id"],
                    "title_html": highlight(title, match_spans(title, q)),
                    "url": row["url"],
                    "published_date": row["published_date"],
                    "outlet": row["outlet"],
                    "relevant": row["relevant"],
                    "initiatives": json.loads(row["initiative_ids"] or "[]"),
                    "passage_html": highlight(passage, spans),
                }
            )
    return Response.html(
        await datasette.render_template(
            "kb_search.html",
            {
                "q": q,
                "relevant": relevant,
                "results": results,
                "total": total,
                "page": page,
                "page_size": SEARCH_PAGE_SIZE,
                "fts_expression": "\n".join(e for e in vn_fts_tiers(q) if e != '""') if q else "",
                "database": dbname,
            },
            request=request,
        )
    )


# ---------------------------------------------------------------------------------------------
# Article page
# ---------------------------------------------------------------------------------------------

TAGS_SQL = """
select 'initiative' as kind, t.initiative_id as label_id, i.name_vi, i.name_en, t.evidence,
  t.field, t.start, t."end", t.rule
from article_initiatives t left join initiatives i on i.id = t.initiative_id
where t.article_id = :id
union all
select 'agency', t.agency_id, g.name_vi, g.name_en, t.evidence, t.field, t.start, t."end", t.rule
from article_agencies t left join agencies g on g.id = t.agency_id
where t.article_id = :id
order by 1 desc, 2
"""


def evidence_span(field_text: str, tag: dict[str, Any]) -> tuple[int, int] | None:
    """Where the evidence sits in the field: the stored offsets, or a search if they drifted."""
    evidence = tag.get("evidence") or ""
    start, end = tag.get("start"), tag.get("end")
    if isinstance(start, int) and isinstance(end, int) and field_text[start:end] == evidence:
        return start, end
    if evidence:
        found = field_text.find(evidence)
        if found >= 0:
            return found, found + len(evidence)
    return None


def highlight_field(field_text: str, tags: list[dict[str, Any]]) -> Markup:
    """The field's text with every evidence sentence wrapped in <mark>, labels in the title."""
    spans: list[tuple[int, int, str]] = []
    for tag in tags:
        span = evidence_span(field_text, tag)
        if span:
            spans.append((span[0], span[1], tag["label_id"]))
    merged: list[tuple[int, int, list[str]]] = []
    for s, e, label in sorted(spans):
        if merged and s < merged[-1][1]:
            ps, pe, labels = merged[-1]
            merged[-1] = (ps, max(pe, e), labels + [label])
        else:
            merged.append((s, e, [label]))
    out: list[str] = []
    pos = 0
    for s, e, labels in merged:
        out.append(str(escape(field_text[pos:s])))
        names = escape(", ".join(dict.fromkeys(labels)))
        out.append(
            f'<mark class="evidence" title="{names}" data-labels="{names}">'
            f"{escape(field_text[s:e])}</mark>"
        )
        pos = e
    out.append(str(escape(field_text[pos:])))
    return Markup("".join(out))


async def article_page(request: Any, datasette: Any) -> Response:
    dbname = kb_database_name(datasette)
    db = datasette.get_database(dbname)
    article_id = int(request.url_vars["id"])
    row = (
        await db.execute(
            """select a.*, s.name as outlet, s.kind as outlet_kind, st.title as story_title,
                 st.outlet_count as story_outlets
               from articles a left join sources s on s.id = a.source_id
               left join stories st on st.id = a.story_id
               where a.id = :id""",
            {"id": article_id},
        )
    ).first()
    if row is None:
        raise NotFound(f"Article {article_id} not found")
    article = dict(row)
    tags = [dict(t) for t in await db.execute(TAGS_SQL, {"id": article_id})]
    fields = {}
    for name in ("title", "lead", "text"):
        field_tags = [t for t in tags if t["field"] == name]
        fields[name] = highlight_field(article.get(name) or "", field_tags)
    archived = bool(article.get("warc_file")) and article.get("warc_offset") is not None
    return Response.html(
        await datasette.render_template(
            "kb_article.html",
            {
                "article": article,
                "fields": fields,
                "initiative_tags": [t for t in tags if t["kind"] == "initiative"],
                "agency_tags": [t for t in tags if t["kind"] == "agency"],
                "archived": archived,
                "database": dbname,
            },
            request=request,
        )
    )


# ---------------------------------------------------------------------------------------------
# Archived copy
# ---------------------------------------------------------------------------------------------

# Injected at the top of the sandboxed copy: no scripts (sandbox), and no fetches at all, so
# opening an archived page never calls the outlet's trackers or ad servers.
ARCHIVE_CSP = (
    '<meta http-equiv="Content-Security-Policy" '
    "content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
)
MAX_ARCHIVE_BYTES = 5_000_000


def warc_path(db_path: str | Path, warc_file: str) -> Path:
    """Resolve articles.warc_file inside <db dir>/raw/, refusing anything that escapes it."""
    try:
        return warc_location(default_raw_dir(db_path), warc_file)
    except ValueError:
        raise NotFound("archived copy outside the archive directory") from None


def read_warc_record(path: Path, offset: int) -> tuple[dict[str, str], bytes, str | None]:
    """HTTP headers, content-decoded body and target URI of the record at `offset`.

    Reads through `ingest.archive.read_record`, the same reader `ingest reprocess` uses, so the
    page shows exactly what the extractor saw (gzip/brotli bodies are decoded there).
    """
    from .archive import read_record

    try:
        stored = read_record(path.parent, path.name, offset)
    except (OSError, ValueError) as exc:
        raise NotFound(f"no readable WARC record at that offset: {exc}") from exc
    return dict(stored.headers), stored.body[:MAX_ARCHIVE_BYTES], stored.url


def decode_body(body: bytes, headers: dict[str, str]) -> str:
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    m = re.search(r"charset=([\w-]+)", content_type, re.I)
    for enc in (m.group(1) if m else None, "utf-8"):
        if not enc:
            continue
        try:
            return body.decode(enc)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("utf-8", errors="replace")


async def archive_page(request: Any, datasette: Any) -> Response:
    """The raw HTML as archived: escaped source by default, or a sandboxed, offline render."""
    dbname = kb_database_name(datasette)
    db = datasette.get_database(dbname)
    article_id = int(request.url_vars["id"])
    row = (
        await db.execute(
            "select id, title, url, warc_file, warc_offset, raw_sha256, fetched_at "
            "from articles where id = :id",
            {"id": article_id},
        )
    ).first()
    if row is None:
        raise NotFound(f"Article {article_id} not found")
    if not row["warc_file"] or row["warc_offset"] is None or not db.path:
        raise NotFound("This article has no archived copy")
    path = warc_path(db.path, row["warc_file"])
    if not path.is_file():
        raise NotFound("The archive file is missing")
    headers, body, uri = read_warc_record(path, int(row["warc_offset"]))
    html = decode_body(body, headers)
    mode = "rendered" if request.args.get("view") == "rendered" else "source"
    return Response.html(
        await datasette.render_template(
            "kb_archive.html",
            {
                "article": dict(row),
                "target_uri": uri,
                "http_headers": headers,
                "raw_html": html,
                "srcdoc": ARCHIVE_CSP + html,
                "mode": mode,
                "database": dbname,
            },
            request=request,
        )
    )


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (r"^/-/search$", search_page),
        (r"^/-/article/(?P<id>\d+)$", article_page),
        (r"^/-/archive/(?P<id>\d+)$", archive_page),
        (r"^/-/ingest-static/(?P<path>[A-Za-z0-9_.-]+)$", static_file),
    ]
