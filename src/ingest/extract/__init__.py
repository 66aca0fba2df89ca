"""Stage 2, extract: one fetched page → its title, lead, text, author, date and language.

Takes `ArticleRecord.fetch` (the body and the declared charset) plus the source's optional
`extract` overrides, and gives `ArticleRecord.extracted` (`Extracted`, with `field_sources`
saying which rule produced each field). Pure functions over bytes and strings: no network, no
database. docs/extraction.md describes the rules.

- `article`: the entry point and the order of the steps.
- `decode`, `tree`: bytes → NFC text (UTF-16 without BOM included) → one lxml tree (deep pages
  flattened); `pageindex`: the page's class and id attributes, collected once.
- `templates`: CMS template families recognised from the markup (the fast path).
- `container`, `blocks`, `bodytext`, `boilerplate`: where the body is, reading it with lxml,
  trafilatura's reading checked against ours, what is not the article.
- `lead`, `published`, `authors`, `byline`, `meta`, `dates`: the sapo, the date (structured vs
  visible), the byline finder and its name tests, metadata and headlines, date strings.
- `ingest.css_select` (in the base layer, so `config` can check the selectors it reads): the
  small CSS subset sources.yaml selectors use, compiled to XPath.
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
