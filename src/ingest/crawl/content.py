"""Undoing Content-Encoding, shared by the fetcher (live responses) and the archive reader.

Why a module of its own: both must decode a body the same way, with the same output cap, so
what `ingest reprocess` reads back from a WARC file is byte for byte what the extractor saw;
keeping it here also lets the fetcher write to the archive without the archive importing the
fetcher back.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable


class TooLarge(Exception):
    """A body over its cap: the fetch is refused rather than stored truncated."""


def decode_content(raw: bytes, encoding: str, limit: int) -> bytes:
    """Undo Content-Encoding with an output cap, so a gzip bomb costs at most `limit` bytes."""
    enc = (encoding or "").strip().lower()
    if enc in ("", "identity"):
        return raw
    if enc not in ("gzip", "x-gzip", "deflate"):
        raise ValueError(f"unsupported content-encoding {enc!r}")
    for wbits in (47,) if enc != "deflate" else (15, -15):
        try:
            d = zlib.decompressobj(wbits=wbits)
            out = d.decompress(raw, limit + 1)
            if len(out) > limit or d.unconsumed_tail:
                raise TooLarge(f"decompressed body exceeds {limit} bytes")
            return out + d.flush()
        except zlib.error:
            continue
    raise ValueError("corrupt compressed body")


def decode_body(raw: bytes, headers: Iterable[tuple[str, str]]) -> bytes:
    """An archived body as the extractor saw it, from the raw bytes and the stored headers.

    The cap is generous (200x the stored size, at least 50 MB): the bytes were accepted under
    the fetch-time cap already, so this only stops a corrupt member from expanding without end.
    """
    enc = next((v for k, v in headers if k.lower() == "content-encoding"), "")
    return decode_content(raw, enc, limit=max(len(raw) * 200, 50_000_000))
