"""The text of a captured document and what its page says about itself.

HTML: the main text (trafilatura), decoded by the HTTP charset, then the page's own declaration,
then detection; the whole visible text when no main text is found. PDF: its text (pypdf). Plain
text as is. The text is stored and hashed beside the raw bytes, so quotes are re-checked against
exactly what was extracted, whatever later versions of the extractor would do.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from html.parser import HTMLParser

from osint.errors import InvalidInput
from osint.sources import extract as textextract

HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass
class Extracted:
    media_type: str
    text: str | None = None
    title: str | None = None
    publisher: str | None = None
    author: str | None = None
    published: str | None = None
    encoding: str | None = None  # the codec used, and where it came from
    encoding_source: str | None = None
    extractor: str | None = None
    warnings: list[str] = field(default_factory=list)


class _HeadParser(HTMLParser):
    """<title> and the <meta> tags of a page's head (stops at <body>)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title_parts: list[str] = []
        self.in_title = False
        self.done = False

    def handle_starttag(self, tag, attrs):
        if tag == "body":
            self.done = True
        elif tag == "title":
            self.in_title = True
        elif tag == "meta":
            values = {k.lower(): (v or "") for k, v in attrs}
            key = values.get("property") or values.get("name") or values.get("itemprop") or ""
            if key and values.get("content") and key.lower() not in self.meta:
                self.meta[key.lower()] = " ".join(values["content"].split())

    def handle_endtag(self, tag):
        if tag == "title":
            self.in_title = False
        elif tag == "head":
            self.done = True

    def handle_data(self, data):
        if self.in_title and not self.done:
            self.title_parts.append(data)


def _head_metadata(markup: str) -> dict:
    parser = _HeadParser()
    end = markup.lower().find("<body")
    try:
        parser.feed(markup[: end if end > 0 else 200_000])
        parser.close()
    except Exception:  # a broken head only loses metadata
        pass
    meta = parser.meta
    title = " ".join("".join(parser.title_parts).split()) or None

    def first(*names):
        for name in names:
            value = meta.get(name)
            if value and not value.startswith(("http://", "https://")):
                return value
        return None

    published = None
    for name in (
        "article:published_time",
        "datepublished",
        "date",
        "dc.date.issued",
        "dc.date",
        "pubdate",
        "publishdate",
        "og:published_time",
    ):
        if meta.get(name):
            published = _date(meta[name])
            if published:
                break
    return {
        "title": first("og:title", "twitter:title") or title,
        "publisher": first("og:site_name", "application-name"),
        "author": first("author", "article:author", "dc.creator", "byl"),
        "published": published,
    }


def _date(value: str) -> str | None:
    from osint.errors import InvalidInput as Bad
    from osint.timeutil import parse_when

    value = value.strip()
    for candidate in (value, value[:10]):
        try:
            return parse_when(candidate.replace(" ", "T", 1) if len(candidate) > 10 else candidate)
        except Bad:
            continue
    return None


class ExtractorBroken(Exception):
    """The main-text extractor (or a library under it) cannot run: the fallback text is used."""


def main_text(markup: str) -> str | None:
    """The main text of a page (article body), or None when the extractor finds none.

    Raises ExtractorBroken when the extractor cannot be imported or fails in its own setup (a
    dependency pip resolved differently, such as lxml.html.clean), so the caller keeps the
    capture with the fallback text and says why."""
    try:
        import trafilatura
    except Exception as exc:  # ImportError, or a dependency failing at import time
        raise ExtractorBroken(f"trafilatura cannot be loaded ({_first_line(exc)})") from None
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    try:
        text = trafilatura.extract(
            markup,
            favor_recall=True,
            include_comments=False,
            include_tables=True,
            include_images=False,
            include_links=False,
            deduplicate=False,
            with_metadata=False,
            output_format="txt",
        )
    except ImportError as exc:  # justext's lxml.html.clean and the like, imported lazily
        raise ExtractorBroken(f"trafilatura cannot run ({_first_line(exc)})") from None
    except Exception:  # the extractor failing on odd markup must not lose the capture
        return None
    return text.strip() if text and text.strip() else None


def _first_line(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return f"{exc.__class__.__name__}: {lines[0]}" if lines else exc.__class__.__name__


def _version(module: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"{module} {version(module)}"
    except PackageNotFoundError:
        return module


def extract(
    body: bytes, media_type: str, charset: str | None = None, *, name: str = "capture"
) -> Extracted:
    """Text and metadata of a document whose bytes, media type and HTTP charset are given."""
    media_type = textextract.sniff_media_type(body, None, media_type or None)
    result = Extracted(media_type=media_type)
    if not body:
        return result
    if media_type in HTML_TYPES:
        markup, codec, how = textextract.decode_detailed(body, charset, html=True)
        result.encoding, result.encoding_source = codec, how
        result.__dict__.update(_head_metadata(markup))
        try:
            text = main_text(markup)
            why = "no main text found"
        except ExtractorBroken as exc:
            text, why = None, str(exc)
            result.warnings.append(f"{name}: {exc}; the page's whole visible text is kept instead")
        if text:
            result.extractor = _version("trafilatura")
        else:
            text = textextract.html_to_text(markup)
            result.extractor = f"osint html-to-text ({why})"
        result.text = text
    elif media_type == "application/pdf":
        try:
            result.text = textextract.pdf_to_text(body, name)
            result.extractor = _version("pypdf")
            result.__dict__.update(_pdf_metadata(body))
        except textextract.PdfEncrypted:
            result.warnings.append(
                f"{name}: the PDF is encrypted and its text could not be read; it is stored "
                "byte-identical (export it with osint source export ID --payload)"
            )
        except InvalidInput as exc:
            result.warnings.append(str(exc))
    elif media_type.startswith("text/") or media_type in ("application/json", "application/xml"):
        text, codec, how = textextract.decode_detailed(body, charset, html=False)
        result.text = text.replace("\r\n", "\n")
        result.encoding, result.encoding_source = codec, how
        result.extractor = "as is"
    return result


def _pdf_metadata(data: bytes) -> dict:
    import io

    try:
        from pypdf import PdfReader

        info = PdfReader(io.BytesIO(data)).metadata or {}
        title = info.get("/Title")
        author = info.get("/Author")
    except Exception:  # metadata is a nicety; the text was read already
        return {}
    out = {}
    if title and str(title).strip():
        out["title"] = " ".join(str(title).split())
    if author and str(author).strip():
        out["author"] = " ".join(str(author).split())
    return out
