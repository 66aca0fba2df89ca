"""Stage 1, crawl: find article URLs and fetch them politely, archiving every response.

Takes a `Source` from sources.yaml (feeds, sitemaps, listings, search, politeness) and gives
`ArticleRecord.discovered` (`Discovered`: the URL, where it was found, its lastmod) and
`ArticleRecord.fetch` (`FetchResult`: status, headers, decoded body, the WARC record it was
written to). Nothing here parses an article or writes to the database.

- `discover`: feeds, sitemaps (child sitemaps with their own validators), listings and search
  pages → article URLs in scope, with the dates their feed items and sitemap entries give.
- `fetch`: httpx with robots.txt (protego), politeness, retries, size caps, Retry-After.
- `politeness`: one authority per host for a run: the limiter, and the host state a task hands
  to the next task of the host's lane; `host_groups` says which sources share a lane.
- `archive`: the raw WARC archive of every response, written before anything parses a body.
- `replay`: the archive read back as a fetcher, for rebuilding without the network.
- `content`: Content-Encoding decoding shared by the fetcher and the archive reader.
- `urls`: canonical URLs, host scope, and why a URL cannot be requested (`url_problem`).
- `lastmod`: feed and sitemap dates compared.
- `asyncrun`: run the async crawler from synchronous code (a Prefect task, a command).
"""

from .archive import ArchivedRecord, StoredResponse, WarcArchive, read_record, verify_record
from .content import TooLarge, decode_body, decode_content
from .discover import (
    Discoverer,
    DiscoveryReport,
    article_links,
    feed_items,
    parse_feed,
    parse_sitemap,
)
from .fetch import Fetcher, FetchStats, retry_after_seconds
from .lastmod import changed_since, later_date
from .politeness import Host, HostState, host_groups
from .urls import canonicalize, in_scope, is_http, netloc_of, printable, url_problem

__all__ = [
    "ArchivedRecord",
    "Discoverer",
    "DiscoveryReport",
    "FetchStats",
    "Fetcher",
    "Host",
    "HostState",
    "StoredResponse",
    "TooLarge",
    "WarcArchive",
    "article_links",
    "canonicalize",
    "changed_since",
    "decode_body",
    "decode_content",
    "feed_items",
    "host_groups",
    "in_scope",
    "is_http",
    "later_date",
    "netloc_of",
    "parse_feed",
    "parse_sitemap",
    "printable",
    "read_record",
    "retry_after_seconds",
    "url_problem",
    "verify_record",
]
