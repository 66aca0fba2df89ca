"""The one exception the extractor's parts raise; `extract` turns it into `Extracted.error`."""


class ExtractError(Exception):
    """A page that cannot be extracted; the message is stored as `Extracted.error`."""
