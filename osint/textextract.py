"""The text of a snapshot (HTML, PDF, plain text), which quotes are verified against and search indexes.

The extracted text is stored in the case beside the original bytes, so verification never depends
on re-running an extractor whose output may change between versions.
"""

from __future__ import annotations

import codecs
import mimetypes
import re
from html.parser import HTMLParser

from .errors import InvalidInput

_IMAGE_SIGNATURES = {
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
    b"II*\x00": "image/tiff",
    b"MM\x00*": "image/tiff",
}


def sniff_media_type(data: bytes, filename: str | None = None, declared: str | None = None) -> str:
    """The media type from the bytes first, then the declared type, then the file name."""
    head = data[:512]
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    for signature, media_type in _IMAGE_SIGNATURES.items():
        if head.startswith(signature):
            return media_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if (
        lowered.startswith((b"<!doctype html", b"<html", b"<head", b"<body"))
        or b"<html" in lowered[:200]
    ):
        return "text/html"
    if declared:
        return declared.split(";")[0].strip().lower()
    if filename:
        guessed, _ = mimetypes.guess_type(filename)
        if guessed:
            return guessed
    if b"\x00" in head:
        return "application/octet-stream"
    return "text/plain"


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


def decode(data: bytes, declared_charset: str | None = None, *, html: bool = False) -> str:
    """Bytes to text: a byte-order mark, then the declared charset, then the document's own
    declaration, then UTF-8, then detection."""
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    candidates = []
    if declared_charset:
        candidates.append(declared_charset)
    if html:
        match = _META_CHARSET.search(data[:4096])
        if match:
            candidates.append(match.group(1).decode("ascii", "ignore"))
    candidates.append("utf-8")
    for encoding in candidates:
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is not None:
            return str(best)
    except ImportError:
        pass
    return data.decode("cp1252", errors="replace")


_BLOCK_TAGS = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table",
    "section", "article", "header", "footer", "blockquote", "pre", "hr", "figcaption", "dd", "dt",
}  # fmt: skip
_SKIPPED_TAGS = {"script", "style", "noscript", "template", "svg", "head", "iframe", "object"}


class _TextParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in _SKIPPED_TAGS:
            self.skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in _SKIPPED_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag, attrs):
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """The visible text of an HTML page, a paragraph per line."""
    parser = _TextParser()
    parser.feed(markup)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)


def html_title(markup: str) -> str | None:
    match = re.search(r"<title[^>]*>(.*?)</title>", markup, re.I | re.S)
    if not match:
        return None
    from html import unescape

    return " ".join(unescape(match.group(1)).split()) or None


def pdf_to_text(data: bytes, name: str = "PDF") -> str:
    import io

    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
    except Exception as exc:  # pypdf raises many types on damaged files
        raise InvalidInput(
            f"{name}: the PDF cannot be read ({exc.__class__.__name__}: {exc})"
        ) from None
    return "\n\n".join(p for p in pages if p)


def extract_text(
    data: bytes, media_type: str, name: str = "snapshot", charset: str | None = None
) -> str | None:
    """The text of a snapshot, or None for media without text (images, binaries)."""
    if media_type == "text/html" or media_type == "application/xhtml+xml":
        return html_to_text(decode(data, charset, html=True))
    if media_type == "application/pdf":
        return pdf_to_text(data, name)
    if media_type.startswith("text/") or media_type in ("application/json", "application/xml"):
        return decode(data, charset).replace("\r\n", "\n")
    return None
