"""The text of a snapshot (HTML, PDF, plain text), which quotes are verified against and search indexes.

The extracted text is stored in the case beside the original bytes, so verification never depends
on re-running an extractor whose output may change between versions.
"""

from __future__ import annotations

import codecs
import mimetypes
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from osint.errors import InvalidInput

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
_XML_ENCODING = re.compile(rb"""^<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)["']""")

# Labels as browsers read them (WHATWG Encoding Standard): several legacy labels name a superset
# that Python calls differently. A page declared "euc-kr" is really decoded as windows-949, etc.
_WHATWG_LABELS = {
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601-1989": "cp949",
    "ksc5601": "cp949",
    "ksc_5601": "cp949",
    "korean": "cp949",
    "windows-949": "cp949",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "csshiftjis": "cp932",
    "windows-31j": "cp932",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "chinese": "gb18030",
    "big5": "big5hkscs",
    "big5-hkscs": "big5hkscs",
    "x-x-big5": "big5hkscs",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-9": "cp1254",
    "latin5": "cp1254",
    "tis-620": "cp874",
    "iso-8859-11": "cp874",
    "x-cp1251": "cp1251",
    "x-user-defined": "cp1252",
}


# The encodings web pages actually use: detection chooses among these only, so that Russian text
# is never taken for a Macintosh code page that no server sends.
_WEB_ENCODINGS = (
    "utf_8", "cp1251", "koi8_r", "koi8_u", "cp866", "iso8859_5", "cp1252", "cp1250", "iso8859_2",
    "cp1253", "iso8859_7", "cp1254", "cp1255", "cp1256", "cp1257", "cp1258", "iso8859_15",
    "cp874", "cp932", "euc_jp", "iso2022_jp", "cp949", "euc_kr", "gb18030", "big5",
)  # fmt: skip


def codec_for(label: str | None) -> str | None:
    """The Python codec for a charset label as a browser would read it, or None if unknown."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    name = _WHATWG_LABELS.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def declared_charset(data: bytes) -> str | None:
    """The charset a document declares itself (HTML <meta> or XML declaration), if any."""
    head = data[:8192]
    match = _XML_ENCODING.match(head.lstrip(b"\xef\xbb\xbf"))
    if match:
        return match.group(1).decode("ascii", "ignore")
    match = _META_CHARSET.search(head)
    return match.group(1).decode("ascii", "ignore") if match else None


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16: FF FE 00 00 starts with FF FE
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# ISO-2022 texts are 7-bit: valid ASCII, so UTF-8 accepts them. Their escape sequences say which.
_ISO2022 = (
    (re.compile(rb"\x1b\$\)C"), "iso2022_kr"),
    (re.compile(rb"\x1b(?:\$[@B]|\$\(D|\(J|\(I)"), "iso2022_jp_2"),
)


def _unicode_without_bom(data: bytes) -> str | None:
    """UTF-32 or UTF-16 (either byte order) recognised by where the zero bytes fall."""
    sample = data[:4096]
    if len(sample) < 8:
        return None
    if sample.count(0) < len(sample) // 8:
        return _utf16_without_bom(data)
    if len(sample) % 4 == 0 or len(data) % 4 == 0:
        words = len(sample) // 4
        for codec, zero_at in (("utf-32-le", (2, 3)), ("utf-32-be", (0, 1))):
            if all(sample[i * 4 + z] == 0 for i in range(words) for z in zero_at):
                try:
                    data.decode(codec)
                    return codec
                except UnicodeDecodeError:
                    pass
    return _utf16_without_bom(data)


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 of one script: its high bytes take a few values (0 for spaces and ASCII, 0x04 for
    Cyrillic, 0x06 for Arabic...), its low bytes many."""
    from collections import Counter

    sample = data[: 8192 - 8192 % 2]
    if len(data) % 2 or len(sample) < 16:
        return None
    pairs = len(sample) // 2
    even = Counter(sample[0::2])
    odd = Counter(sample[1::2])
    for codec, high, low in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        top = sum(n for _, n in high.most_common(3))
        if top < pairs * 0.95 or len(low) < 2 * len(high) or 0 not in high:
            continue
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if not _has_controls(text):
            return codec
    return None


def _has_controls(text: str) -> bool:
    """More C0 control characters (other than tab, newlines, form feed) than a text holds."""
    sample = text[:20_000]
    controls = sum(1 for ch in sample if ch < " " and ch not in "\t\n\r\f")
    return controls > max(2, len(sample) // 200)


def detect_codec(data: bytes) -> str | None:
    """The most likely codec of undeclared bytes that are not UTF-8 (chardet, then
    charset-normalizer among the encodings web pages use), as a browser would name it."""
    sample = data[:200_000]
    try:
        import chardet

        guesses = [
            (codec_for(g["encoding"]), g.get("confidence") or 0.0)
            for g in chardet.detect_all(sample)
            if g.get("encoding")
        ]
        guesses = [(c, conf) for c, conf in guesses if c]
        if guesses:
            top = guesses[0][1]
            tied = list(dict.fromkeys(c for c, conf in guesses if c and conf >= top * 0.9))
            if len(tied) == 1 or tied[0] in _web_codecs():
                return tied[0]
            # A code page web servers hardly send (Mac, KZ-1048) only narrowly ahead of one
            # they do: the least garbled reading wins, then the web's.
            return _break_tie(sample, tied)
    except ImportError:
        pass
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(sample, cp_isolation=list(_WEB_ENCODINGS)).best()
        if best is not None:
            return codec_for(best.encoding) or best.encoding
    except ImportError:
        pass
    return None


def _web_codecs() -> list[str]:
    return [codecs.lookup(n).name for n in _WEB_ENCODINGS]


def _break_tie(sample: bytes, codecs_: list[str]) -> str:
    """Among code pages the detector finds about as likely: the one whose text looks least
    garbled (charset-normalizer's measure), then the one web pages use most."""

    def web_rank(codec: str) -> int:
        names = _web_codecs()
        return names.index(codec) if codec in names else len(names)

    chaos = dict.fromkeys(codecs_, 1.0)
    try:
        from charset_normalizer import from_bytes

        for match in from_bytes(sample, cp_isolation=codecs_):
            codec = codec_for(match.encoding) or match.encoding
            if codec in chaos:
                chaos[codec] = min(chaos[codec], match.chaos)
    except (ImportError, LookupError):
        pass
    return min(codecs_, key=lambda c: (round(chaos[c], 2), web_rank(c)))


def decode_detailed(
    data: bytes, declared_charset_: str | None = None, *, html: bool = False
) -> tuple[str, str, str]:
    """(text, codec, how) where `how` says where the encoding came from: "byte-order mark",
    "zero bytes" (UTF-16/32 without a byte-order mark), "declared" (the HTTP charset),
    "document" (its <meta> or XML declaration), "escape sequences" (ISO-2022), "utf-8",
    "detected" or "fallback"."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace"), encoding, "byte-order mark"
    wide = _unicode_without_bom(data)
    if wide:
        return data.decode(wide), wide, "zero bytes"
    candidates = []
    if declared_charset_:
        candidates.append((codec_for(declared_charset_), "declared"))
    if html or data[:5] == b"<?xml":
        candidates.append((codec_for(declared_charset(data)), "document"))
    for codec, how in candidates:
        if not codec or codec.startswith(("utf-16", "utf-32")):
            continue  # a UTF-16 label on bytes without a byte-order mark or zeros is a mislabel
        try:
            return data.decode(codec), codec, how
        except UnicodeDecodeError:
            # A few broken bytes do not make a declaration wrong (browsers replace them).
            text = data.decode(codec, errors="replace")
            if text.count("\ufffd") <= max(2, len(text) // 1000):
                return text, codec, how
    if b"\x1b" in data[:200_000] and max(data[:200_000], default=0) < 0x80:
        for pattern, codec in _ISO2022:
            if pattern.search(data[:200_000]):
                try:
                    return data.decode(codec), codec, "escape sequences"
                except UnicodeDecodeError:
                    continue
    try:
        text = data.decode("utf-8")
        if not _has_controls(text):
            return text, "utf-8", "utf-8"
    except UnicodeDecodeError:
        pass
    codec = detect_codec(data)
    if codec:
        try:
            return data.decode(codec, errors="replace"), codec, "detected"
        except LookupError:
            pass
    return data.decode("cp1252", errors="replace"), "cp1252", "fallback"


def decode(data: bytes, declared_charset: str | None = None, *, html: bool = False) -> str:
    """Bytes to text: a byte-order mark, then the declared (HTTP) charset, then the document's own
    declaration, then UTF-8, then detection."""
    return decode_detailed(data, declared_charset, html=html)[0]


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


class PdfEncrypted(InvalidInput):
    """A PDF whose text cannot be read without its password (or with the one given)."""


def pdf_to_text(data: bytes, name: str = "PDF", password: str | None = None) -> str:
    """The text of a PDF, page by page. An encrypted PDF is opened with `password` (or with the
    empty password most encrypted PDFs have); PdfEncrypted when that is not enough."""
    import io

    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            opened = False
            for candidate in ([password] if password is not None else []) + [""]:
                try:
                    opened = bool(reader.decrypt(candidate))
                except Exception:  # unsupported algorithm or a missing crypto library
                    opened = False
                if opened:
                    break
            if not opened:
                raise PdfEncrypted(
                    f"{name}: the PDF is encrypted and its text could not be read "
                    + ("with the password given" if password is not None else "(give --password)")
                )
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
    except PdfEncrypted:
        raise
    except Exception as exc:  # pypdf raises many types on damaged files
        if "decrypt" in str(exc).lower() or "encrypt" in str(exc).lower():
            raise PdfEncrypted(
                f"{name}: the PDF is encrypted and its text could not be read ({exc})"
            ) from None
        raise InvalidInput(
            f"{name}: the PDF cannot be read ({exc.__class__.__name__}: {exc})"
        ) from None
    return "\n\n".join(p for p in pages if p)


@dataclass
class ExtractedText:
    """A document's text and how it was obtained."""

    text: str | None
    encoding: str | None = None  # "codec (how chosen)", for texts decoded from bytes
    extractor: str | None = None
    warnings: list[str] = field(default_factory=list)


def _version(module: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"{module} {version(module)}"
    except PackageNotFoundError:
        return module


def extract_text_detailed(
    data: bytes,
    media_type: str,
    name: str = "snapshot",
    charset: str | None = None,
    password: str | None = None,
) -> ExtractedText:
    """The text of a snapshot with the encoding used (and how it was chosen) and the extractor.
    An encrypted PDF whose password is not given yields no text and a warning."""
    if media_type in ("text/html", "application/xhtml+xml"):
        markup, codec, how = decode_detailed(data, charset, html=True)
        return ExtractedText(html_to_text(markup), f"{codec} ({how})", "osint html-to-text")
    if media_type == "application/pdf":
        try:
            return ExtractedText(pdf_to_text(data, name, password), None, _version("pypdf"))
        except PdfEncrypted as exc:
            return ExtractedText(None, None, None, [f"{exc}; stored byte-identical without text"])
    if media_type.startswith("text/") or media_type in ("application/json", "application/xml"):
        text, codec, how = decode_detailed(data, charset)
        return ExtractedText(text.replace("\r\n", "\n"), f"{codec} ({how})", "as is")
    return ExtractedText(None)


def extract_text(
    data: bytes, media_type: str, name: str = "snapshot", charset: str | None = None
) -> str | None:
    """The text of a snapshot, or None for media without text (images, binaries)."""
    return extract_text_detailed(data, media_type, name, charset).text
