"""The knowledge base's own pages: search, an article with its evidence, the archived copy.

Why pages of our own: Datasette's table view cannot rank phrase matches first, show the passage
that matched, or mark the sentence that proves each tag. Nothing crawled is ever emitted as live
HTML: every value goes through `markupsafe.escape` (see `passages.highlight`), and the archived
page is shown as escaped source or in a sandboxed, offline iframe.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from datasette.utils.asgi import NotFound, Response

from ..evidence.provenance import default_raw_dir, warc_location
from . import article_view, labels, report_page, search_rank, suggest
from .passages import exact_score, highlight, highlight_field, match_spans, passage_window
from .search_query import vn_fts_tiers
from .settings import kb_database_name

STATIC_DIR = Path(__file__).parent / "static"
SEARCH_PAGE_SIZE = 50
# bm25 weights for articles_fts(title, lead, text, folded): a hit in the title counts most.
BM25_WEIGHTS = "10.0, 4.0, 1.0, 1.0"

STATIC_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".woff": "font/woff",
    ".txt": "text/plain; charset=utf-8",
}


async def static_file(request: Any) -> Response:
    """Serve src/ingest/publish/static: Datasette only serves static dirs of plugin *packages*."""
    name = request.url_vars["path"]
    path = (STATIC_DIR / name).resolve()
    if path.parent != STATIC_DIR.resolve() or not path.is_file():
        raise NotFound("no such file")
    content_type = STATIC_TYPES.get(path.suffix, "application/octet-stream")
    return Response(
        path.read_bytes(),
        content_type=content_type,
        headers={"cache-control": "max-age=3600"},
    )


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

# An article's title, lead and text laid out exactly as `ingest.store.db.folded_document` lays them
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


async def ranked_ids(
    db: Any, q: str, relevant: str, limit: int, offset: int, n_phrases: int | None = None
) -> list[int]:
    """One page of article ids, phrase matches first, each tier by bm25 then newest first
    (the first tier exact diacritics first, `search_rank`)."""
    phrases, rest = vn_fts_tiers(q)
    rank_sql = _sql(RANK_SQL, relevant)
    params = {"expr": phrases, "relevant": relevant, "limit": limit, "offset": offset}
    ids = await search_rank.first_tier(db, q, rank_sql, params)
    if len(ids) < limit and rest != '""':
        if ids:  # the phrase tier ends on this page
            rest_offset = 0
        else:  # the page lies past the phrase tier: skip what is left of the rest
            if n_phrases is None:
                n_phrases = (await db.execute(_sql(COUNT_SQL, relevant), params)).first()[0]
            rest_offset = offset - n_phrases
        more = {**params, "expr": rest}
        ids += await search_rank.bm25_page(db, rank_sql, more, limit - len(ids), rest_offset)
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
    counts = search_rank.TierCounts(0, 0, False)
    suggestions: list[dict[str, Any]] = []
    if q:
        counts = await search_rank.tier_counts(
            db, vn_fts_tiers(q), _sql(COUNT_SQL, relevant), relevant
        )
        offset = (page - 1) * SEARCH_PAGE_SIZE
        ids = await ranked_ids(db, q, relevant, SEARCH_PAGE_SIZE, offset, counts.phrase)
        rows = {r["id"]: r for r in await db.execute(PAGE_SQL, {"ids": json.dumps(ids)})}
        names = await labels.names(db, "initiatives")
        for n, row in enumerate((rows[i] for i in ids if i in rows), offset):
            phrase_tier = counts.two_tiers and n < counts.phrase
            body = row["body"]
            passage, spans = passage_window(body, q, folded=row["folded"], phrase_only=phrase_tier)
            title = row["title"] or ""
            results.append(
                {
                    "id": row["id"],
                    "title_html": highlight(title, match_spans(title, q, phrase_only=phrase_tier)),
                    "url": row["url"],
                    "published_date": row["published_date"],
                    "outlet": row["outlet"],
                    "relevant": row["relevant"],
                    "initiatives": [
                        names.get(i, i) for i in json.loads(row["initiative_ids"] or "[]")
                    ],
                    "passage_html": highlight(passage, spans),
                    "tier": 2 if counts.two_tiers and not phrase_tier else 1,
                    "exact": search_rank.reranks(q) and exact_score(body, q) > 0,
                }
            )
        suggestions = await suggest.suggestions(db, q)
    return Response.html(
        await datasette.render_template(
            "kb_search.html",
            {
                "q": q,
                "relevant": relevant,
                "results": results,
                "total": counts.total,
                "counts": counts,
                "first_heading": search_rank.first_tier_heading(counts),
                "second_heading": search_rank.second_tier_heading(counts),
                "marked": bool(q) and search_rank.reranks(q),
                "suggestions": suggestions,
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
    reviews = await article_reviews(db, article_id)
    base = report_page.base_url(datasette, request)
    return Response.html(
        await datasette.render_template(
            "kb_article.html",
            {
                "article": article,
                "fields": fields,
                "initiative_tags": [t for t in tags if t["kind"] == "initiative"],
                "agency_tags": [t for t in tags if t["kind"] == "agency"],
                "archived": archived,
                "reviews": reviews,
                "citations": article_view.citations(article, archived, base),
                "database": dbname,
            },
            request=request,
        )
    )


REVIEWS_SQL = """
select action, label_id, evidence, reason, reviewer, reviewed_on, status, problem
from corrections where article_id = :id order by id
"""


async def article_reviews(db: Any, article_id: int) -> list[dict[str, Any]]:
    """The reviewers' corrections of one article (corrections.yaml), for its page."""
    tables = await db.table_names()
    if "corrections" not in tables:
        return []
    return [dict(r) for r in await db.execute(REVIEWS_SQL, {"id": article_id})]


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

    Reads through `ingest.crawl.archive.read_record`, the same reader `ingest reprocess` uses, so the
    page shows exactly what the extractor saw (gzip/brotli bodies are decoded there).
    """
    from ..crawl.archive import read_record

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
