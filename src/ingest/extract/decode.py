"""Bytes → text for one page: the declared charset, BOMs, UTF-16 without a BOM, legacy charsets.

Why a module of its own: the decision of which charset to trust is the one place where a wrong
guess garbles a whole article, so every rule lives here with its reason. The output is NFC when
the page carries combining marks (windows-1258 and decomposed pages), and XML-invalid control
characters are removed from the fields the extractor returns (`strip_controls`), because one
`\\x0b` or `&#1;` in a title breaks the Atom feed and the DOCX report downstream.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from .errors import ExtractError

_MAGIC = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b", b"RIFF")
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]{0,100}encoding\s*=\s*["']([A-Za-z0-9_\-.]+)""", re.I)
# Characters XML 1.0 forbids (C0 controls but tab/newline/return, lone surrogates, U+FFFE/FFFF)
# plus DEL and the C1 controls, which no Vietnamese page means as text.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


class DecodeError(ExtractError):
    """Bytes that are not an HTML page (a binary format, NUL-riddled data)."""


def nfc_page(text: str) -> str:
    """NFC for the whole page. Vietnamese text arrives composed, decomposed (windows-1258) or
    mixed; CPython's normalizer answers an already-composed page from its quick check, which is
    ten times faster than scanning the page for combining marks first. Output fields are
    NFC-normalised again at the end."""
    return unicodedata.normalize("NFC", text)


_FEW_MARKS = 64  # up to this many combining marks, only the spans around them are normalised


def nfc_utf8(data: bytes, text: str) -> str:
    """NFC for a page decoded from UTF-8, using the bytes to find the combining marks.

    A mark in U+0300–U+037F is the only UTF-8 sequence with lead byte 0xCC or 0xCD, so counting
    those bytes (in C) says whether the page needs normalising at all. Most pages have none or a
    few (a pasted name); those few are recomposed with the letters around them instead of
    normalising a megabyte of text.
    """
    marks = data.count(b"\xcc") + data.count(b"\xcd")
    if marks == 0:
        return text
    if marks > _FEW_MARKS:
        return unicodedata.normalize("NFC", text)
    found = {data[i : i + 2].decode("utf-8", "ignore") for i in _positions(data)}
    spans: list[list[int]] = []
    for i in sorted(i for ch in found if ch for i in _str_positions(text, ch)):
        if spans and i - 2 <= spans[-1][1]:
            spans[-1][1] = i + 3  # marks close together: one span, so no base is cut off
        else:
            spans.append([max(i - 2, 0), i + 3])
    out, pos = [], 0
    for start, end in spans:
        out.append(text[pos:start])
        out.append(unicodedata.normalize("NFC", text[start:end]))
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _positions(data: bytes):
    for lead in (b"\xcc", b"\xcd"):
        i = data.find(lead)
        while i >= 0:
            yield i
            i = data.find(lead, i + 1)


def _str_positions(text: str, ch: str):
    i = text.find(ch)
    while i >= 0:
        yield i
        i = text.find(ch, i + 1)


def strip_controls(text: str) -> str:
    """Remove characters XML cannot carry; a vertical tab or form feed becomes a space."""
    if not _CONTROLS.search(text):
        return text
    return _CONTROLS.sub(lambda m: " " if m.group() in "\x0b\x0c" else "", text)


# Raw control characters and numeric character references that decode to one ("&#1;",
# "&#x1b;"): lxml refuses to hold them in a tree it edits, and they break XML outputs later.
_RAW_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_REFS = re.compile("&#(?:[xX]0*[0-9a-fA-F]{1,2}|0*[0-9]{1,3});?")
_C0_BYTES = bytes(range(0, 9)) + b"\x0b\x0c" + bytes(range(14, 32)) + b"\x7f"
_C1_UTF8 = re.compile(rb"\xc2[\x80-\x9f]")


def _is_control_ref(ref: str) -> bool:
    body = ref[2:].rstrip(";")
    value = int(body[1:], 16) if body[:1] in "xX" else int(body)
    return (value < 32 and value not in (9, 10, 13)) or 127 <= value <= 159


def _raw_controls_possible(text: str, raw: bytes | None) -> bool:
    """Whether the page may hold a raw control character, from its bytes when they tell (C0
    bytes removed in C, C1 as UTF-8 pairs): a regex over a megabyte of text costs far more."""
    if raw is None or b"\x00" in raw[:4096] or len(text) == len(raw):
        return True  # str input, UTF-16, or a single-byte charset: ask the text itself
    return len(raw.translate(None, _C0_BYTES)) != len(raw) or bool(_C1_UTF8.search(raw))


def strip_markup_controls(text: str, raw: bytes | None = None) -> str:
    """The page without XML-invalid control characters, raw or written as "&#1;"; a vertical
    tab or form feed becomes a space. `raw` (the page's bytes) lets most pages skip the scan."""
    spans: list[tuple[int, int, str]] = []
    if _raw_controls_possible(text, raw):
        spans += [
            (m.start(), m.end(), " " if m.group() in "\x0b\x0c" else "")
            for m in _RAW_CONTROLS.finditer(text)
        ]
    spans += [
        (m.start(), m.end(), "") for m in _CONTROL_REFS.finditer(text) if _is_control_ref(m.group())
    ]
    if not spans:
        return text
    out, pos = [], 0
    for start, end, repl in sorted(spans):
        out.append(text[pos:start])
        out.append(repl)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def codec_name(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().strip("\"'").lower()).name
    except LookupError:
        return None


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not data.isascii()


def sniff_utf16(data: bytes) -> str | None:
    """'utf-16-le' / 'utf-16-be' for UTF-16 markup without a BOM, else None.

    HTML is mostly ASCII markup, so UTF-16 shows as a NUL in every other byte: on the odd bytes
    for little-endian, on the even ones for big-endian (Vietnamese letters fill some of them,
    so 60% is asked for). Binary data has NULs scattered over both parities, so requiring the
    other parity to be almost free of NULs (and to hold '<') keeps PDFs and images out.
    """
    head = data[:2048]
    if len(head) < 16:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) >= 0.6 * len(odd) and even.count(0) < 0.05 * len(even) and b"<" in even:
        return "utf-16-le"
    if even.count(0) >= 0.6 * len(even) and odd.count(0) < 0.05 * len(odd) and b"<" in odd:
        return "utf-16-be"
    return None


def _reject_binary(data: bytes, utf16: bool) -> None:
    head = data[:2048]
    if any(head.startswith(m) for m in _MAGIC):
        raise DecodeError("binary content (not HTML)")
    if utf16:
        return
    if head and (
        head.count(0) > 8 and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    ):
        raise DecodeError("binary content (NUL bytes)")


def decode_html(data: bytes | str, encoding: str | None = None) -> str:
    """Bytes → NFC text: the caller's encoding, BOM, UTF-16 sniffing, valid UTF-8, <meta charset>.

    The caller's encoding (usually the HTTP header's) is used unless it cannot decode the bytes,
    or it names a legacy charset and the bytes are valid UTF-8 (stale headers of migrated sites).
    A declared UTF-16 charset is honoured even without a BOM (servers that send
    `charset=utf-16le` never add one), and undeclared UTF-16 is recognised by its NUL pattern.
    Valid UTF-8 wins over a declared legacy charset: multi-byte text in a legacy encoding is
    practically never valid UTF-8 by chance, while pages that migrated to UTF-8 often keep an
    old `charset=iso-8859-1` line. windows-1258 decodes to combining tone marks, which NFC
    recomposes.
    """
    if isinstance(data, str):
        return nfc_page(data)
    if not isinstance(data, bytes | bytearray):
        raise DecodeError(f"unsupported input type {type(data).__name__}")
    data = bytes(data)
    forced = codec_name(encoding)
    sniffed = sniff_utf16(data)
    wide = bool(sniffed) or bool(forced and forced.startswith(("utf-16", "utf-32")))
    _reject_binary(data, wide)
    for bom, name in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return nfc_page(data.decode(name, errors="replace"))
    if forced and forced in ("utf-16", "utf-32") and sniffed:
        forced = sniffed  # "utf-16" without a BOM: the byte order is what the NULs say
    if forced and (forced.startswith("utf") or not _is_utf8(data)):
        try:
            return nfc_page(data.decode(forced))
        except UnicodeDecodeError:
            pass  # a wrong charset in an HTTP header: fall through to the page's own evidence
    if sniffed:
        return nfc_page(data.decode(sniffed, errors="replace"))
    try:
        return nfc_utf8(data, data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    head = data[:4096]
    m = _META_CHARSET.search(head) or _XML_DECL.search(head)
    declared = codec_name(m.group(1).decode("ascii", "ignore")) if m else None
    if declared and declared != "utf-8":
        try:
            return nfc_page(data.decode(declared))
        except (UnicodeDecodeError, LookupError):
            pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:300_000]).best()
    name = codec_name(best.encoding) if best else None
    return nfc_page(data.decode(name or "utf-8", errors="replace"))
