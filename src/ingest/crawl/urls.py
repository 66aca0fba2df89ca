"""URL canonicalisation and crawl scope.

One article must be one row whichever path found it (feed, sitemap, listing, search), so every
URL is canonicalised before it touches the frontier.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import httpx

TRACKING_PARAMS = re.compile(
    r"^(utm_[a-z]+|fbclid|gclid|dclid|msclkid|zarsrc|zaloref|_ga|mc_cid|mc_eid|igshid|"
    r"ref|ref_src|src|from|source|itm_[a-z]+|gidzl|share|amp)$",
    re.IGNORECASE,
)
_AMP_SUFFIX = re.compile(r"(/amp/?|\.amp)$", re.IGNORECASE)
# The sitemaps protocol caps a URL at 2,048 characters; longer ones are junk or an attack.
MAX_URL_CHARS = 2048
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _netloc(scheme: str, host: str, port: int | None) -> str:
    if port is None or (scheme == "http" and port == 80) or (scheme == "https" and port == 443):
        return host
    return f"{host}:{port}"


def canonicalize(url: str, base: str | None = None) -> str:
    """Normalise scheme/host case, drop fragments, default ports, tracking params and AMP paths.

    Mobile (m.) and AMP (amp.) host variants are mapped to the main host; callers that know a
    site's hosts should still check scope afterwards.
    """
    if base:
        url = urljoin(base, url.strip())
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    for prefix in ("amp.", "m."):
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix) :]
    try:
        port = parts.port
    except ValueError:
        port = None
    path = parts.path or "/"
    path = _AMP_SUFFIX.sub("", path) or "/"
    path = re.sub(r"/{2,}", "/", path)
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not TRACKING_PARAMS.match(k)
    ]
    return urlunsplit((scheme, _netloc(scheme, host, port), path, urlencode(query), ""))


def netloc_of(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return _netloc(parts.scheme.lower(), host, port)


def in_scope(url: str, hosts: set[str]) -> bool:
    """A source may only fetch its own hosts (with their www./m. variants)."""
    netloc = netloc_of(url)
    if netloc in hosts:
        return True
    bare = netloc.removeprefix("www.")
    return any(h.removeprefix("www.") == bare for h in hosts)


def is_http(url: str) -> bool:
    try:
        return urlsplit(url).scheme in ("http", "https")
    except ValueError:
        return False


def url_problem(url: str, *, strict: bool = True) -> str | None:
    """Why this URL cannot be requested (None when it can).

    Checked before a URL enters the frontier and before every request, so one bad link in a
    feed, sitemap or redirect is refused with a reason instead of raising deep inside httpx
    (control characters, absurd lengths, broken IPv6 brackets, non-HTTP schemes). `strict`
    also asks httpx's own parser (a third of a fetch's URL handling): the fetcher skips it, as
    httpx parses the URL again on the request and its InvalidURL is caught there.
    """
    if len(url) > MAX_URL_CHARS:
        return f"URL of {len(url)} characters (limit {MAX_URL_CHARS})"
    if m := _CONTROL.search(url):
        return f"control character U+{ord(m.group()):04X} at position {m.start()}"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        return f"unparsable URL ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        return f"scheme {parts.scheme or '(none)'!r} is not http or https"
    if not parts.hostname:
        return "no host"
    if not strict:
        return None
    try:
        httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as exc:
        return f"invalid URL ({exc})"
    return None


def printable(url: str, limit: int = 300) -> str:
    """A URL safe to put in a message or a table: control characters escaped, length capped."""
    shown = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", url)
    return shown if len(shown) <= limit else f"{shown[:limit]}… ({len(url)} characters)"


def resolve(href: str, base: str | None = None) -> tuple[str | None, str | None]:
    """(absolute URL, None) or (None, why not): a link from a page or sitemap, made absolute
    and checked, never raising whatever the page contains."""
    try:
        url = urljoin(base, href.strip()) if base else href.strip()
    except ValueError as exc:
        return None, f"unparsable URL ({exc})"
    problem = url_problem(url)
    return (None, problem) if problem else (url, None)
