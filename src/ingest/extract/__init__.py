"""Stage 2, extract: one fetched page → its title, lead, text, author, date and language.

Takes `ArticleRecord.fetch` (the body and the declared charset) plus the source's optional
`extract` overrides, and gives `ArticleRecord.extracted` (`Extracted`, with `field_sources`
saying which rule produced each field). Pure functions over bytes and strings: no network, no
database.

- `article`: the extractor (trafilatura first, then Vietnamese rules for body, sapo, boilerplate).
- `meta`: title, date and author candidates from JSON-LD, <meta> and headings.
- `byline`: telling a person's name from an outlet, an account or a place.
- `dates`: Vietnamese and English date strings, day first, in +07:00.
- `css_select`: the small CSS subset sources.yaml selectors use, compiled to XPath.
- `language`: Vietnamese or English, from the text itself.
"""

from .article import EXTRACTOR_VERSION, ExtractError, decode_html, extract
from .dates import parse_vn_date, to_iso
from .language import detect_language

__all__ = [
    "EXTRACTOR_VERSION",
    "ExtractError",
    "decode_html",
    "detect_language",
    "extract",
    "parse_vn_date",
    "to_iso",
]
