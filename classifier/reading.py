"""Reading documents: bytes to text in whatever encoding, HTML to its main text, binaries refused."""

from __future__ import annotations

import codecs
import re

from .errors import InputError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_MAGIC = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"PK\x03\x04", "a zip archive (or Office document)"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"PAR1", "a Parquet file (give it a .parquet name)"),
    (b"\x7fELF", "an executable"),
)
#: Encodings tried, in this order, for text that is not UTF-8 and has no byte-order mark.
CHINESE_ENCODINGS = ("gb18030", "big5")
_HTML_RE = re.compile(rb"^\s*(?:<!doctype\s+html|<html|<head|<body)", re.IGNORECASE)
_BAD_CHARS_RE = re.compile(r"[\x00-\x08\x0e-\x1f\ufffd\ue000-\uf8ff]")


def decode_bytes(data: bytes, source: str) -> str:
    """Decode a document's bytes: BOMs, UTF-8, then GB18030 or Big5 as a detector judges best."""
    text = _decode(data, source)
    if not text.strip():
        raise InputError(source, "no text (only whitespace)")
    return text


#: The codec that decodes bytes starting with each byte-order mark, the mark included.
_BOM_CODECS = {
    "utf-32-le": "utf-32",
    "utf-32-be": "utf-32",
    "utf-8": "utf-8-sig",
    "utf-16-le": "utf-16",
    "utf-16-be": "utf-16",
}


def sniff_encoding(data: bytes, source: str, complete: bool = True, unknown: str | None = None) -> str:
    """The codec of a document's bytes: a byte-order mark, UTF-8, else GB18030 or Big5 as a detector judges.

    With `complete` false, `data` is the start of a longer file (a character may be cut at its end).
    Raises InputError when the bytes are blank, binary or in no known encoding; with `unknown` given,
    text in no known encoding gets that codec instead.

    >>> sniff_encoding("疫情防控".encode("utf-8"), "a.txt"), sniff_encoding("疫情防控".encode("utf-8")[:-1], "a", False)
    ('utf-8', 'utf-8')
    >>> sniff_encoding(codecs.BOM_UTF16_LE + "核酸".encode("utf-16-le"), "b.txt")
    'utf-16'
    """
    if not data.strip():
        raise InputError(source, "empty file" if not data else "no text (only whitespace)")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _BOM_CODECS[encoding]
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            raise InputError(source, f"binary file ({kind}), not text")
    if b"\x00" in data[:65536]:
        raise InputError(source, "binary file (contains NUL bytes), not text")
    if not complete and b"\n" in data:
        data = data[: data.rindex(b"\n") + 1]
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=complete)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    best = guess_chinese_encoding(data) or unknown
    if best is None:
        raise InputError(source, "binary file or unknown encoding (not UTF-8, UTF-16 with a BOM, GB18030 or Big5)")
    return best


def guess_chinese_encoding(data: bytes) -> str | None:
    """GB18030 or Big5, whichever a detector (charset-normalizer) judges the bytes to be, or None for neither."""
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=list(CHINESE_ENCODINGS)).best()
    return None if best is None else best.encoding


def _decode(data: bytes, source: str) -> str:
    """The text of non-blank bytes, or an InputError saying why they are not text."""
    encoding = sniff_encoding(data, source)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        where = " after its byte-order mark" if encoding in _BOM_CODECS.values() else ""
        raise InputError(source, f"invalid {encoding}{where} ({exc.reason})") from exc
    return _refuse_garbage(text, source)


def _refuse_garbage(text: str, source: str) -> str:
    """The text, unless a noticeable share of it is control or private-use characters."""
    bad = len(_BAD_CHARS_RE.findall(text[:100_000]))
    if bad > max(8, len(text[:100_000]) // 50):
        raise InputError(source, "binary or corrupt file (too many control or undecodable characters)")
    return text


def looks_like_html(data: bytes) -> bool:
    """Whether bytes start like an HTML page.

    >>> looks_like_html(b"  <!DOCTYPE html><html>"), looks_like_html("疫情".encode())
    (True, False)
    """
    return _HTML_RE.match(data[:1024]) is not None


def html_to_text(html: str, source: str) -> str:
    """The main text of an HTML page, scripts, styles and navigation dropped (trafilatura)."""
    import trafilatura

    text = trafilatura.extract(html, include_comments=False, include_tables=True, favor_recall=True)
    if not text or not text.strip():
        raise InputError(source, "no main text found in the HTML page")
    return text


def read_document(data: bytes, source: str, html: bool | None = None) -> str:
    """The text of one document's bytes, extracting the main text when it is HTML."""
    text = decode_bytes(data, source)
    if html or (html is None and looks_like_html(text[:1024].encode("utf-8"))):
        return html_to_text(text, source)
    return text
