"""Bounded work and clear refusals on every public route.

Datasette runs every query on a pool of `num_sql_threads` threads shared by the whole site.
The attack on the public instance took all of them with one kind of request, and then
nothing answered, not even `select 1`. So each kind of SQL-backed request may hold only part
of the pool at once; the rest wait their turn (up to `QUEUE_WAIT_S`, in a queue of at most
`MAX_WAITING`), then get 503 with Retry-After:

- **python**: SQL that calls our Python functions (`vn_passage`, `vn_fold`, …), custom or a
  canned query. Python work holds the GIL the whole server shares, so one at a time
  (`python_sql_concurrency`, default 1); the functions cap their inputs (`sql_functions`).
- **sql** (other custom SQL), **canned**, **table**, **page** (our search, article, archive
  and timeline pages): at most `num_sql_threads - 2` each, custom SQL of both kinds together
  as much (`custom_sql_concurrency`), and every gated request together `num_sql_threads - 1`:
  a table page or a canned query always finds a slot while custom SQL is at its limit, and
  what needs no gate always finds a thread.

Two fixes to Datasette's own behaviour make the shares hold (installed at startup): a failed
query's cursor is closed in its own thread (`close_failed_cursors`; left to the garbage
collector, it stalled an unrelated request for as long as another query ran), and an error
page no longer prints a `rich` traceback (`errors.quiet_client_errors`, half a second each).
- Not gated: SQL of one SELECT with no FROM, WITH or JOIN (`select 1`: it reads no table, and
  what it can build is bounded by the per-value cap), static files, Datasette's own `/-/`
  JSON, and the report page, which builds in worker processes of its own (`report_budget`).

Anything but GET, HEAD and OPTIONS is refused with 405: nothing is written through the site.

`handle_exception` turns the errors a visitor causes into 4xx with a message instead of a 500:
an unknown sort column, an integer out of SQLite's range, an input past a SQL function's cap,
a query that ran out of time ("too broad"), a search of too many words.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from datasette.utils.asgi import Response

from .search_query import MAX_QUERY_WORDS, QueryTooLong
from .settings import PLUGIN_NAME
from .sql_functions import FUNCTIONS, MAX_QUERY_CHARS, MAX_TEXT_CHARS, MAX_VALUE_BYTES

ASGIApp = Callable[[dict, Callable, Callable], Awaitable[None]]

QUEUE_WAIT_S = 10.0
MAX_WAITING = 16
RETRY_AFTER_S = 5
PYTHON_FUNCTIONS = re.compile("|".join(FUNCTIONS), re.I)
READS_TABLES = re.compile(r"\b(?:from|with|join)\b", re.I)
SELECTS = re.compile(r"\bselect\b", re.I)
OUR_PAGES = re.compile(r"^/-/(?:search|article/|archive/|timeline)")
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@dataclass
class Gate:
    """One kind's share of the SQL threads: a semaphore and a bounded queue."""

    limit: int
    waiting: int = 0
    semaphore: asyncio.Semaphore = field(init=False)

    def __post_init__(self) -> None:
        self.semaphore = asyncio.Semaphore(self.limit)

    async def enter(self) -> bool:
        """True once in; False when the queue is full or the wait ran out."""
        if self.semaphore.locked() and self.waiting >= MAX_WAITING:
            return False
        self.waiting += 1
        try:
            await asyncio.wait_for(self.semaphore.acquire(), QUEUE_WAIT_S)
            return True
        except TimeoutError:
            return False
        finally:
            self.waiting -= 1

    def leave(self) -> None:
        self.semaphore.release()


def cheap_sql(sql: str) -> bool:
    """One SELECT reading no table: its cost is bounded by the values it builds."""
    return not READS_TABLES.search(sql) and len(SELECTS.findall(sql)) <= 1


class Guard:
    """The gates of one Datasette instance, and how a request is classified.

    A request passes the gates of its kind, in order: its own, then custom SQL's (the Python
    kind is custom SQL too), then the gate of every gated request together. Each kind, and
    custom SQL as a whole, gets one slot less than all gated requests together, so a table
    page or a canned query always finds one while custom SQL is at its limit; and all gated
    requests together leave one thread for what needs no gate."""

    FAMILY = {"python": ("python", "custom", "*"), "sql": ("custom", "*")}

    def __init__(self, datasette: Any) -> None:
        self.datasette = datasette
        self.gates: dict[str, Gate] = {}

    def share(self) -> int:
        """Gated requests together: every thread but one."""
        threads = max(1, int(self.datasette.setting("num_sql_threads") or 1))
        return max(1, threads - 1)

    def gates_for(self, kind: str) -> list[Gate]:
        return [self.gate(name) for name in self.FAMILY.get(kind, (kind, "*"))]

    def gate(self, name: str) -> Gate:
        if name not in self.gates:
            config = self.datasette.plugin_config(PLUGIN_NAME) or {}
            most = max(1, self.share() - 1)
            if name == "*":
                limit = self.share()
            elif name == "python":
                limit = min(most, int(config.get("python_sql_concurrency", 1)))
            elif name == "custom":
                limit = min(most, int(config.get("custom_sql_concurrency", most)))
            else:
                limit = most
            self.gates[name] = Gate(max(1, limit))
        return self.gates[name]

    async def kind(self, scope: dict) -> str | None:
        """Which gate a request passes, None when it needs none."""
        path: str = scope.get("path") or "/"
        if path.startswith("/-/"):
            return "page" if OUR_PAGES.match(path) else None
        parts = path.strip("/").split("/")
        if not parts or not parts[0]:
            return None
        database = parts[0].split(".", 1)[0]
        if database not in self.datasette.databases:
            return None
        if len(parts) == 1:
            args = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            sql = " ".join(args.get("sql", []))
            if not sql:
                return None
            if PYTHON_FUNCTIONS.search(sql):
                return "python"
            return None if cheap_sql(sql) else "sql"
        name = parts[1].rsplit(".", 1)[0] if "." in parts[1] else parts[1]
        query = await self.canned(database, name)
        if query is not None:
            return "python" if PYTHON_FUNCTIONS.search(query) else "canned"
        return "table"

    async def canned(self, database: str, name: str) -> str | None:
        try:
            queries = await self.datasette.get_canned_queries(database, None)
        except Exception:  # no metadata for this database
            return None
        found = queries.get(name)
        return found.get("sql") if isinstance(found, dict) else None


def wrap(datasette: Any) -> Callable[[ASGIApp], ASGIApp]:
    """The ASGI wrapper: refuse writes, then pass each request through its kind's gate."""
    guard = Guard(datasette)

    def wrapper(app: ASGIApp) -> ASGIApp:
        async def guarded(scope: dict, receive: Callable, send: Callable) -> None:
            if scope.get("type") != "http":
                return await app(scope, receive, send)
            if scope.get("method", "GET").upper() not in SAFE_METHODS:
                return await _refuse(
                    scope,
                    send,
                    405,
                    "Trang này chỉ để đọc / this site is read-only: use GET",
                    {"allow": "GET, HEAD, OPTIONS"},
                )
            kind = await guard.kind(scope)
            if kind is None:
                return await app(scope, receive, send)
            gates = guard.gates_for(kind)
            entered = []
            try:
                for gate in gates:
                    if not await gate.enter():
                        return await _refuse(
                            scope,
                            send,
                            503,
                            "Máy chủ đang bận, hãy thử lại sau vài giây / the server is busy"
                            " with requests of this kind: try again in a few seconds",
                            {"retry-after": str(RETRY_AFTER_S)},
                        )
                    entered.append(gate)
                await app(scope, receive, send)
            finally:
                for gate in entered:
                    gate.leave()

        return guarded

    return wrapper


async def _refuse(
    scope: dict, send: Callable, status: int, message: str, headers: dict[str, str]
) -> None:
    path = scope.get("path") or ""
    if path.endswith(".json"):
        body = json.dumps({"ok": False, "error": message, "status": status}, ensure_ascii=False)
        content_type = "application/json; charset=utf-8"
    else:
        body = (
            "<!DOCTYPE html><html lang='vi'><head><meta charset='utf-8'><title>"
            f"{status}</title></head><body><p>{_escape(message)}</p></body></html>"
        )
        content_type = "text/html; charset=utf-8"
    response = Response(body, status=status, headers=headers, content_type=content_type)
    await response.asgi_send(send)


def _escape(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


TOO_BIG = (
    "một đối số vượt giới hạn / an argument is past its limit: SQL functions take at most"
    f" {MAX_TEXT_CHARS:,} characters of text and {MAX_QUERY_CHARS:,} of query"
    f" ({MAX_QUERY_WORDS} words), and no value may exceed {MAX_VALUE_BYTES // 2**20} MB"
)
TOO_BROAD = (
    "truy vấn quá rộng, đã hết thời gian / query too broad: it ran out of time; use fewer or"
    " rarer words, a quoted phrase, or a narrower filter"
)
SORT = re.compile(r"^Cannot sort table by ")


def client_error(exception: BaseException) -> tuple[str, str] | None:
    """(title, message) when the visitor caused the error (a 400), None for a real fault."""
    from datasette.database import QueryInterrupted
    from datasette.utils import InvalidSql

    if isinstance(exception, QueryTooLong):
        return "Query too long", (
            f"tìm kiếm tối đa {MAX_QUERY_WORDS} từ / a search takes at most {MAX_QUERY_WORDS} words"
        )
    if isinstance(exception, QueryInterrupted):
        return "Query too broad", TOO_BROAD
    if isinstance(exception, OverflowError):
        return "Number out of range", (
            "số quá lớn / a number is out of range (SQLite integers are 64-bit)"
            if "int too large" in str(exception)
            else TOO_BIG
        )
    if isinstance(exception, sqlite3.DataError) and "too big" in str(exception):
        return "Input too large", TOO_BIG
    if isinstance(exception, InvalidSql):
        return "Invalid SQL", str(exception)
    from datasette.utils.asgi import Base400

    if isinstance(exception, Base400):
        return None  # Datasette's own 4xx, rendered as it renders them
    from datasette.views.base import DatasetteError

    if isinstance(exception, DatasetteError) and exception.status == 500:
        if SORT.match(exception.message or ""):
            return "Invalid sort", str(exception.message)
    return None


async def databases(request: Any, datasette: Any) -> Response:
    """`/-/databases(.json)` without each file's absolute path (it tells a visitor where the
    server keeps its data, and who runs it): name, route, size, mutability, hash."""
    data = [{k: v for k, v in d.items() if k != "path"} for d in datasette._connected_databases()]
    if request.url_vars.get("format"):
        return Response.json(data)
    html = await datasette.render_template(
        "show_json.html",
        {"filename": "databases.json", "data_json": json.dumps(data, indent=4)},
        request=request,
    )
    return Response.html(html)


async def not_public(request: Any, datasette: Any) -> Response:
    """Debugging pages with the server's internals (threads and tasks, with file paths)."""
    from datasette.utils.asgi import NotFound

    raise NotFound("not available on this server")


ROUTES = [
    (r"^/-/databases(?P<format>\.json)?$", databases),
    (r"^/-/threads(?P<format>\.json)?$", not_public),
]


def close_failed_cursors() -> None:
    """A query that fails leaves its cursor in the exception's traceback, in a reference cycle
    with the request's frames; the garbage collector finalizes it later, in whichever thread
    happens to collect, and finalizing needs the cursor's connection, which by then runs the
    next query of its thread. Measured: after a SQL function raised (an input past its cap),
    an unrelated `select 1` waited three seconds for another request's query to end. So a
    failing query's cursors are closed at once, in their own thread (Datasette's
    `Database.execute_fn`, wrapped)."""
    from datasette.database import Database

    if getattr(Database.execute_fn, "closes_failed_cursors", False):
        return
    execute_fn = Database.execute_fn

    async def wrapped(self: Any, fn: Callable[[Any], Any]) -> Any:
        def closing(conn: Any) -> Any:
            try:
                return fn(conn)
            except BaseException as exc:
                tb = exc.__traceback__
                while tb is not None:
                    for value in list(tb.tb_frame.f_locals.values()):
                        if isinstance(value, sqlite3.Cursor):
                            value.close()
                    tb = tb.tb_next
                raise

        return await execute_fn(self, closing)

    wrapped.closes_failed_cursors = True  # type: ignore[attr-defined]
    Database.execute_fn = wrapped  # type: ignore[method-assign]


def handle_exception(datasette: Any, request: Any, exception: BaseException) -> Any:
    """A visitor's mistake as a 400 in Datasette's error page (or JSON); None otherwise.
    Rendered here rather than by Datasette's default handler, which would log a traceback
    for every one of them."""
    found = client_error(exception)
    if found is None:
        return None
    title, message = found
    info = {"ok": False, "error": message, "status": 400, "title": title}

    async def inner() -> Response:
        if request.path.split("?")[0].endswith(".json"):
            return Response.json(info, status=400)
        template = datasette.jinja_env.select_template(["400.html", "error.html"])
        html = await template.render_async(
            dict(
                info,
                urls=datasette.urls,
                app_css_hash=datasette.app_css_hash(),
                menu_links=lambda: [],
            )
        )
        return Response.html(html, status=400)

    return inner()
