"""Stage 1, crawl: find article URLs and fetch them politely, archiving every response.

Takes a `Source` from sources.yaml (feeds, sitemaps, listings, search, politeness) and gives
`ArticleRecord.discovered` (`Discovered`: the URL, where it was found, its lastmod) and
`ArticleRecord.fetch` (`FetchResult`: status, headers, decoded body, the WARC record it was
written to). Nothing here parses an article or writes to the database.

- `discover`: feeds, sitemaps, listings and search pages → article URLs in scope.
- `fetch`: httpx with robots.txt (protego), per-host politeness, retries, size caps.
- `archive`: the raw WARC archive (warcio), written before anything parses a body.
- `content`: Content-Encoding decoding shared by the fetcher and the archive reader.
- `urls`: canonical URLs and host scope. `lastmod`: feed and sitemap dates compared.
- `asyncrun`: run the async crawler from synchronous code (a Prefect task, a command).
"""

from .archive import ArchivedRecord, StoredResponse, WarcArchive, read_record, verify_record
from .content import TooLarge, decode_body, decode_content
from .discover import Discoverer, DiscoveryReport, article_links, parse_feed, parse_sitemap
from .fetch import Fetcher, FetchStats, retry_after_seconds
from .lastmod import changed_since, later_date
from .urls import canonicalize, in_scope, is_http, netloc_of

__all__ = [
    "ArchivedRecord",
    "Discoverer",
    "DiscoveryReport",
    "FetchStats",
    "Fetcher",
    "StoredResponse",
    "TooLarge",
    "WarcArchive",
    "article_links",
    "canonicalize",
    "changed_since",
    "decode_body",
    "decode_content",
    "in_scope",
    "is_http",
    "later_date",
    "netloc_of",
    "parse_feed",
    "parse_sitemap",
    "read_record",
    "retry_after_seconds",
    "verify_record",
]
