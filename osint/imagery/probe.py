"""Reading one image file: hash, format, size, EXIF (two readers, merged), georeference, thumbnail.

This module decodes untrusted files, so it runs in a worker process (`osint.imagery.worker`) with
a memory cap and under a time limit enforced by the parent, which kills the worker when it is
exceeded. Inside, exifread (pure Python, known to spin for minutes on hostile tags) gets its own
budget through SIGALRM; Pillow opens only an allowlist of formats, refuses images declaring more
than DECODE_MAX_PIXELS (a decompression-bomb warning is an error), and JPEGs are decoded at a
reduced scale (draft mode), so a thumbnail never needs the full-size pixels.

The thumbnail and perceptual-hash helpers are also used in the main process by `annotate` on
images the case already holds.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import signal
import warnings

from PIL import Image, ImageFile

from osint.imagery import exif, geotiff, sniff

THUMB_SIZE = 512
THUMB_QUALITY = 82
# Pixels an image may declare and still be decoded (a 64-megapixel frame is ~200 MB as RGB).
DECODE_MAX_PIXELS = 64_000_000
# A JPEG may declare more (phones take 108 and 200 megapixel pictures): draft mode decodes it at
# 1/2 to 1/8 scale, and the reduced size must be under DECODE_MAX_PIXELS.
JPEG_MAX_DECLARED_PIXELS = 1_000_000_000

Image.MAX_IMAGE_PIXELS = DECODE_MAX_PIXELS

# Register exactly the plugins of the allowlist (Image.open(formats=...) needs them registered,
# and Pillow's lazy registration covers only a few).
from PIL import (  # noqa: E402, F401
    BmpImagePlugin,
    GifImagePlugin,
    Jpeg2KImagePlugin,
    JpegImagePlugin,
    MpoImagePlugin,
    PngImagePlugin,
    TiffImagePlugin,
    WebPImagePlugin,
)

# Pillow 11.3+ decodes AVIF itself; older ones leave AVIF to pillow-heif when it can.
with contextlib.suppress(ImportError):
    from PIL import AvifImagePlugin  # noqa: F401

# Sniffed format -> the Pillow plugins allowed to open it.
PILLOW_FORMATS = {
    "JPEG": ["JPEG"],  # Pillow's JPEG plugin also opens MPO (multi-picture) files
    "MPO": ["JPEG"],
    "PNG": ["PNG"],
    "GIF": ["GIF"],
    "WEBP": ["WEBP"],
    "TIFF": ["TIFF"],
    "BMP": ["BMP"],
    "HEIF": ["HEIF"],
    "AVIF": ["AVIF", "HEIF"],
    "JPEG2000": ["JPEG2000"],
    # Raw camera files are TIFF structures; Pillow reads their first (preview) image.
    **{raw: ["TIFF"] for raw in ("DNG", "ARW", "SR2", "NEF", "NRW", "CR2", "PEF")},
}

_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class StageTimeout(BaseException):
    """Raised by SIGALRM inside a stage (BaseException, so a library's `except Exception` cannot
    swallow it)."""


@contextlib.contextmanager
def time_budget(seconds: float | None):
    """Interrupt pure-Python work (exifread) after `seconds`."""
    if not seconds or seconds <= 0:
        yield
        return

    def expire(signum, frame):
        raise StageTimeout()

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:160]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def register_heif() -> bool:
    """Let Pillow open HEIC/HEIF phone pictures through pillow-heif (imported only when needed)."""
    try:
        import pillow_heif
    except ImportError:
        return False
    with contextlib.suppress(Exception):
        pillow_heif.register_heif_opener()
    return True


def open_guarded(source, fmt: str, warn: list[str], *, what: str = "Pillow") -> Image.Image | None:
    """Open with the allowlisted plugins for `fmt`; bombs and oddities become warnings."""
    formats = PILLOW_FORMATS.get(fmt)
    if not formats:
        warn.append(f"{fmt} files are kept but not decoded (format not on the decode allowlist)")
        return None
    if fmt in ("HEIF", "AVIF") and not register_heif() and fmt == "HEIF":
        warn.append("HEIF needs the pillow-heif package to decode: no thumbnail")
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(source, formats=formats)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return _open_oversized(source, formats, warn)
    except MemoryError:
        warn.append(f"{what} ran out of its memory allowance opening the file: not decoded")
    except Exception as exc:  # Pillow raises many types on damaged files
        warn.append(f"{what} cannot open it: {_reason(exc)}")
    return None


def _open_oversized(source, formats, warn: list[str]) -> Image.Image | None:
    """An image declaring more than DECODE_MAX_PIXELS, opened for its header only (size, EXIF),
    or, for a JPEG of a plausible size, for a reduced-scale decode (draft mode)."""
    if hasattr(source, "seek"):
        source.seek(0)
    saved = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    try:
        im = Image.open(source, formats=formats)
    except Exception as exc:
        warn.append(f"Pillow cannot open it: {_reason(exc)}")
        return None
    finally:
        Image.MAX_IMAGE_PIXELS = saved
    width, height = im.size
    if im.format not in ("JPEG", "MPO") or width * height > JPEG_MAX_DECLARED_PIXELS:
        warn.append(
            f"decompression bomb: declares {width}x{height} pixels, more than "
            f"{DECODE_MAX_PIXELS // 1_000_000} million: not decoded"
        )
        im.info["osint_no_decode"] = True
    return im


def _pixels_for_display(im: Image.Image) -> Image.Image:
    """RGB pixels fit for a JPEG thumbnail (16-bit and float scenes are contrast-stretched)."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        source = im.convert("F") if im.mode != "F" else im
        low, high = source.getextrema()
        if not (low == low and high == high) or high <= low:  # NaN or flat
            return Image.new("RGB", im.size, (128, 128, 128))
        scale = 255.0 / (high - low)
        return source.point(lambda v: (v - low) * scale).convert("L").convert("RGB")
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        im.mode == "P" and "transparency" in im.info
    ):
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if im.mode != "RGB":
        return im.convert("RGB")
    return im


def make_thumbnail(im: Image.Image, orientation: int | None, size: int = THUMB_SIZE):
    """(JPEG bytes, thumbnail image) of a loaded image, turned upright."""
    thumb = im.copy() if im.size[0] * im.size[1] <= size * size * 4 else im
    thumb.thumbnail((size, size), Image.Resampling.LANCZOS, reducing_gap=3.0)
    thumb = _pixels_for_display(thumb)
    method = _TRANSPOSE.get(orientation or 1)
    if method is not None:
        thumb = thumb.transpose(method)
    out = io.BytesIO()
    thumb.save(out, "JPEG", quality=THUMB_QUALITY)
    return out.getvalue(), thumb


def dhash(im: Image.Image) -> str:
    """64-bit difference hash (16 hex digits): near-identical pictures differ in few bits."""
    small = im.convert("L").resize((9, 8), Image.Resampling.LANCZOS)
    pixels = small.tobytes()
    bits = 0
    for row in range(8):
        for col in range(8):
            left = pixels[row * 9 + col]
            right = pixels[row * 9 + col + 1]
            bits = (bits << 1) | (1 if left < right else 0)
    return f"{bits:016x}"


def _exifread(path: str, budget: float, warn: list[str]) -> tuple[dict, dict]:
    import exifread

    try:
        with time_budget(budget), open(path, "rb") as handle:
            tags = exifread.process_file(handle, details=False, extract_thumbnail=False)
        return exif.raw_from_exifread(tags or {})
    except StageTimeout:
        warn.append(f"exifread gave up after {budget:g} s (hostile or damaged EXIF)")
    except MemoryError:
        warn.append("exifread ran out of its memory allowance (hostile EXIF)")
    except Exception as exc:  # exifread raises many types on damaged files
        warn.append(f"exifread cannot read the EXIF: {_reason(exc)}")
    return {}, {}


def _pillow_exif(im: Image.Image, warn: list[str]) -> tuple[dict, dict]:
    try:
        return exif.raw_from_pillow(im.getexif())
    except Exception as exc:  # Pillow raises many types on damaged EXIF
        warn.append(f"Pillow cannot read the EXIF: {_reason(exc)}")
        return {}, {}


def _xmp_dates(path: str, im: Image.Image | None, warn: list[str]) -> dict[str, str]:
    """XMP dates: the packet as the file keeps it, else as Pillow decoded it (PNG zTXt/iTXt)."""
    try:
        packet = exif.xmp_from_file(path)
        if packet is None and im is not None:
            packet = im.info.get("xmp") or im.info.get("XML:com.adobe.xmp")
        return exif.xmp_dates(packet, warn)
    except Exception as exc:  # a hostile packet must cost the picture nothing else
        warn.append(f"XMP cannot be read: {_reason(exc)}")
        return {}


def _decode(im: Image.Image, fmt: str, warn: list[str], thumb_size: int) -> bool:
    """Load the pixels (at reduced scale where the format allows); False when impossible."""
    if im.info.get("osint_no_decode"):
        return False
    try:
        if im.format in ("JPEG", "MPO"):
            im.draft("RGB", (thumb_size, thumb_size))
            if im.size[0] * im.size[1] > DECODE_MAX_PIXELS:
                warn.append(f"too large to decode even at 1/8 scale ({im.size[0]}x{im.size[1]})")
                return False
        elif im.format == "JPEG2000":
            factor = 0
            while factor < 5 and max(im.size) >> (factor + 1) >= thumb_size:
                factor += 1
            im.reduce = factor
        im.load()
        return True
    except OSError as exc:
        if "truncated" not in str(exc).lower():
            warn.append(f"pixels cannot be decoded: {_reason(exc)}")
            return False
    except MemoryError:
        warn.append("decoding needs more than the worker's memory allowance: no thumbnail")
        return False
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        warn.append(f"decompression bomb: not decoded ({_reason(exc)})")
        return False
    except Exception as exc:  # decoders raise many types on damaged data
        warn.append(f"pixels cannot be decoded: {_reason(exc)}")
        return False
    # Truncated: show the part that decodes, and say so.
    ImageFile.LOAD_TRUNCATED_IMAGES = True
    try:
        im.load()
        warn.append("truncated file: the thumbnail shows only the part that decodes")
        return True
    except Exception as exc:
        warn.append(f"truncated file, pixels cannot be decoded: {_reason(exc)}")
        return False
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = False


def _hash_file(path: str) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def probe(
    path: str,
    *,
    decode: bool = True,
    thumb_size: int = THUMB_SIZE,
    exif_seconds: float = 5.0,
) -> tuple[dict, bytes]:
    """(fields, thumbnail JPEG bytes or b"") for one file. Never raises for a bad file."""
    warn: list[str] = []
    signature = sniff.sniff_file(path)
    if signature is None:
        return {"not_image": sniff.describe_non_image(path)}, b""
    sha256, size = _hash_file(path)
    result: dict = {
        "sha256": sha256,
        "size": size,
        "format": signature.format,
        "media_type": signature.media_type,
    }
    raw_a, shown_a = _exifread(path, exif_seconds, warn)
    raw_b, shown_b = {}, {}
    im = None
    pillow_orientation = None
    if signature.format in PILLOW_FORMATS:
        im = open_guarded(path, signature.format, warn)
    else:
        warn.append(
            f"{signature.format} files are kept but not decoded (format not on the decode allowlist)"
        )
    if im is not None:
        try:
            result["width"], result["height"] = im.size
            if im.format and im.format != signature.format and signature.format not in ("JPEG",):
                result["decoder"] = im.format
            if im.format == "MPO" and signature.format == "JPEG":
                result["format"] = "MPO"
            raw_b, shown_b = _pillow_exif(im, warn)
            orientation = raw_b.get("Orientation")
            if isinstance(orientation, list) and orientation and orientation[0] in range(1, 9):
                pillow_orientation = int(orientation[0])
            if im.format == "TIFF":
                tags = {
                    key: im.tag_v2.get(key)
                    for key in (
                        geotiff.TAG_PIXEL_SCALE,
                        geotiff.TAG_TIEPOINT,
                        geotiff.TAG_TRANSFORMATION,
                        geotiff.TAG_GEOKEYS,
                    )
                    if key in im.tag_v2
                }
                if tags:
                    geo, geo_warnings = geotiff.georeference(tags, *im.size)
                    result.update(geo)
                    warn.extend(geo_warnings)
        except Exception as exc:  # a header that opened but does not read back
            warn.append(f"Pillow cannot read the header: {_reason(exc)}")
        try:
            frames = getattr(im, "n_frames", 1)
            if isinstance(frames, int) and frames > 1:
                result["frames"] = frames
            im.seek(0)
        except Exception as exc:  # further frames or pages are damaged: the first may decode
            warn.append(f"Pillow cannot read the further frames: {_reason(exc)}")
    xmp = _xmp_dates(path, im, warn)
    for raw in (raw_a, raw_b):
        for key, value in xmp.items():
            raw.setdefault(key, value)
    fields_a, warnings_a = exif.interpret(raw_a)
    fields_b, warnings_b = exif.interpret(raw_b)
    merged, conflicts = exif.merge(fields_a, fields_b)
    warn.extend(dict.fromkeys(warnings_a + [w for w in warnings_b if w not in warnings_a]))
    warn.extend(conflicts)
    result.update(exif.finish_time(merged))
    if result.get("clock_error_s") is not None:
        from osint.imagery.hooks import clock_note

        warn.append(clock_note(result))
    metadata = dict(shown_b)
    metadata.update(shown_a)
    if metadata:
        result["metadata"] = metadata
    thumb = b""
    if im is not None and decode and "width" in result:
        # The pixels are turned upright the way their decoder reports; HEIF/AVIF decoders
        # apply the rotation themselves.
        orientation = pillow_orientation
        if orientation is None and signature.format not in ("HEIF", "AVIF"):
            orientation = merged.get("orientation")
        if _decode(im, signature.format, warn, thumb_size):
            try:
                thumb, small = make_thumbnail(im, orientation, thumb_size)
                result["phash"] = dhash(small)
                result["thumb_width"], result["thumb_height"] = small.size
            except MemoryError:
                warn.append("making the thumbnail needs more than the worker's memory allowance")
            except Exception as exc:
                warn.append(f"thumbnail cannot be made: {_reason(exc)}")
    elif im is not None and not decode:
        warn.append("pixels not decoded (the first attempt stopped: see the other warnings)")
    if im is not None:
        with contextlib.suppress(Exception):
            im.close()
    # The caller names the file: messages need not repeat its path.
    warn = [w.replace(f" '{path}'", "").replace(path, "the file") for w in warn]
    result["warnings"] = list(dict.fromkeys(warn))
    return result, thumb
