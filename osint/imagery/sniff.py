"""Is this file an image, and of which format? Decided by its signature, never by its name.

Pure Python on the first bytes of the file: safe to run in the main process on anything. A file
whose bytes carry an image signature is evidence to keep even when no decoder can read it; a file
without one (empty, text, HTML, an office document) is not an image.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

HEAD_BYTES = 64


@dataclass(frozen=True)
class Signature:
    format: str  # short name, as Pillow spells it where Pillow knows it
    media_type: str


# Formats decoded (thumbnail, perceptual hash) in the worker; every other recognised format is
# kept with its hash and whatever metadata can be read, but its pixels are never decoded.
DECODED_FORMATS = (
    "JPEG",
    "MPO",
    "PNG",
    "GIF",
    "WEBP",
    "TIFF",
    "BMP",
    "HEIF",
    "AVIF",
    "JPEG2000",
)

# Raw camera files are TIFF inside; their extension says which camera maker wrote them.
_RAW_TIFF_EXTENSIONS = {
    ".dng": "DNG",
    ".arw": "ARW",
    ".sr2": "SR2",
    ".nef": "NEF",
    ".nrw": "NRW",
    ".cr2": "CR2",
    ".pef": "PEF",
    ".3fr": "3FR",
    ".erf": "ERF",
    ".kdc": "KDC",
    ".mos": "MOS",
}

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs"}
_AVIF_BRANDS = {b"avif", b"avis"}
_MIF_BRANDS = {b"mif1", b"msf1", b"mif2"}


def _ftyp(head: bytes) -> Signature | None:
    """ISO base media files (HEIC, HEIF, AVIF, Canon CR3): the brands of the `ftyp` box."""
    if head[4:8] != b"ftyp" or len(head) < 16:
        return None
    size = int.from_bytes(head[0:4], "big")
    major = head[8:12]
    compatible = {head[i : i + 4] for i in range(16, min(size, len(head)) - 3, 4)}
    brands = {major} | compatible
    if major == b"crx ":
        return Signature("CR3", "image/x-canon-cr3")
    if major in _AVIF_BRANDS:
        return Signature("AVIF", "image/avif")
    if major in _HEIF_BRANDS:
        return Signature("HEIF", "image/heic")
    if brands & _AVIF_BRANDS and not brands & _HEIF_BRANDS:
        return Signature("AVIF", "image/avif")
    if brands & (_HEIF_BRANDS | _MIF_BRANDS):
        return Signature("HEIF", "image/heif")
    return None


def sniff_bytes(head: bytes, name: str = "") -> Signature | None:
    """The image format announced by a file's first bytes, or None when it is not an image."""
    ext = os.path.splitext(name)[1].lower()
    if head.startswith(b"\xff\xd8\xff"):
        if ext == ".mpo":
            return Signature("MPO", "image/mpo")
        return Signature("JPEG", "image/jpeg")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Signature("PNG", "image/png")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return Signature("GIF", "image/gif")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Signature("WEBP", "image/webp")
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        if ext in _RAW_TIFF_EXTENSIONS:
            return Signature(_RAW_TIFF_EXTENSIONS[ext], "image/x-raw")
        return Signature("TIFF", "image/tiff")
    if head[:4] in (b"IIRO", b"IIRS", b"MMOR"):
        return Signature("ORF", "image/x-olympus-orf")
    if head[:4] == b"IIU\x00":
        return Signature("RW2", "image/x-panasonic-rw2")
    if head.startswith(b"FUJIFILMCCD-RAW"):
        return Signature("RAF", "image/x-fuji-raf")
    if (
        head[:2] == b"BM"
        and len(head) >= 18
        and (
            int.from_bytes(head[14:18], "little") in (12, 16, 40, 52, 56, 64, 108, 124)
            or head[6:10] == b"\x00\x00\x00\x00"  # reserved bytes: a BMP with a damaged header
        )
    ):
        return Signature("BMP", "image/bmp")
    sig = _ftyp(head)
    if sig:
        return sig
    if head.startswith(b"\x00\x00\x00\x0cjP  \r\n\x87\n") or head.startswith(b"\xff\x4f\xff\x51"):
        return Signature("JPEG2000", "image/jp2")
    if head.startswith(b"\x00\x00\x00\x0cJXL \r\n\x87\n") or head.startswith(b"\xff\x0a"):
        return Signature("JXL", "image/jxl")
    if head[:4] == b"8BPS":
        return Signature("PSD", "image/vnd.adobe.photoshop")
    if head[:4] in (b"\x00\x00\x01\x00", b"\x00\x00\x02\x00") and len(head) >= 6:
        count = int.from_bytes(head[4:6], "little")
        if 0 < count <= 256:
            return Signature("ICO", "image/vnd.microsoft.icon")
    if head[:4] == b"icns":
        return Signature("ICNS", "image/icns")
    if head[:4] == b"DDS ":
        return Signature("DDS", "image/vnd-ms.dds")
    if head[:4] in (b"BLP1", b"BLP2"):
        return Signature("BLP", "image/x-blp")
    if head[:2] == b"\x01\xda":
        return Signature("SGI", "image/sgi")
    if head[:1] == b"\x0a" and len(head) > 1 and head[1] in (0, 2, 3, 5):
        return Signature("PCX", "image/x-pcx")
    if len(head) >= 6 and head[4:6] in (b"\x11\xaf", b"\x12\xaf"):
        return Signature("FLI", "video/x-fli")
    if head[:4] == b"qoif":
        return Signature("QOI", "image/qoi")
    if head[:2] in (b"P1", b"P2", b"P3", b"P4", b"P5", b"P6", b"P7", b"Pf", b"PF") and (
        len(head) > 2 and head[2:3] in (b"\n", b"\r", b" ", b"\t", b"#")
    ):
        return Signature("PPM", "image/x-portable-anymap")
    if head.startswith(b"\xc5\xd0\xd3\xc6") or head.startswith(b"%!PS-Adobe-3.0 EPSF"):
        return Signature("EPS", "application/postscript")
    return None


def sniff_file(path: str | os.PathLike) -> Signature | None:
    """The image format of a file on disk, or None (raises OSError when it cannot be read)."""
    with open(path, "rb") as handle:
        head = handle.read(HEAD_BYTES)
    return sniff_bytes(head, os.fspath(path))


def describe_non_image(path: str | os.PathLike) -> str:
    """Why a file is not an image, in a few words (for the one-line refusal)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(512)
    except OSError as exc:
        return f"cannot read ({exc.strerror or exc})"
    if not head:
        return "empty file, not an image"
    stripped = head.lstrip().lower()
    if stripped.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        return "an HTML page, not an image"
    if stripped.startswith(b"<?xml") or stripped.startswith(b"<svg"):
        return "an XML/SVG document, not a raster image"
    if head.startswith(b"%PDF"):
        return "a PDF document, not an image"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "an office document (OLE), not an image"
    if head.startswith(b"PK\x03\x04"):
        return "a ZIP archive, not an image"
    if b"\x00" not in head:
        try:
            head[: len(head) - 4].decode("utf-8") if len(head) == 512 else head.decode("utf-8")
            return "a text file, not an image"
        except UnicodeDecodeError:
            pass
    return "no image signature (unknown or damaged file)"
