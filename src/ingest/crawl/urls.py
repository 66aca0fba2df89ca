"""URL canonicalisation and crawl scope.

One article must be one row whichever path found it (feed, sitemap, listing, search), so every
URL is canonicalised before it touches the frontier.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

TRACKING_PARAMS = re.compile(
    r"^(utm_[a-z]+|fbclid|gclid|dclid|msclkid|zarsrc|zaloref|_ga|mc_cid|mc_eid|igshid|"
    r"ref|ref_src|src|from|source|itm_[a-z]+|gidzl|share|amp)$",
    re.IGNORECASE,
)
_AMP_SUFFIX = re.compile(r"(/amp/?|\.amp)$", re.IGNORECASE)


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
    parts = urlsplit(url)
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
    return urlsplit(url).scheme in ("http", "https")
