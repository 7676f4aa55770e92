"""Annotated copies: boxes and labels drawn on a new image derived from the original.

The original's bytes are never touched: the copy is a new image record with its own bytes,
linked `derived-from` the original, which keeps its hash and passes `verify` as before. Boxes are
given in pixels of the picture as it is seen (EXIF orientation applied), X,Y being the top-left
corner.
"""

from __future__ import annotations

import io
import json
import os

from osint.case import records
from osint.case.store import blobs
from osint.errors import InvalidInput

COLOURS = {
    "red": (230, 25, 25),
    "yellow": (255, 215, 0),
    "green": (40, 200, 60),
    "blue": (30, 110, 255),
    "orange": (255, 140, 0),
    "magenta": (230, 40, 200),
    "cyan": (0, 210, 230),
    "white": (255, 255, 255),
    "black": (0, 0, 0),
}
LOSSY = ("JPEG", "MPO", "HEIF", "AVIF", "WEBP", "JPEG2000")


def parse_box(value: str, name: str = "--box") -> tuple[int, int, int, int]:
    """`X,Y,W,H` in pixels (whole numbers, width and height above 0)."""
    parts = [p.strip() for p in (value or "").split(",")]
    try:
        x, y, w, h = (int(float(p)) for p in parts)
    except ValueError:
        raise InvalidInput(
            f"{name}: {value!r} is not X,Y,W,H in pixels (e.g. 120,80,300,200)"
        ) from None
    if w <= 0 or h <= 0:
        raise InvalidInput(f"{name}: {value!r}: width and height must be above 0")
    return x, y, w, h


def _font(size: int):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType: the small bitmap font
        return ImageFont.load_default()


def draw(im, boxes, labels, colour=(230, 25, 25)):
    """Draw boxes and labels on an RGB image (in place); returns it."""
    from PIL import ImageDraw

    width, height = im.size
    line = max(2, round(min(width, height) / 250))
    font = _font(max(12, round(min(width, height) / 30)))
    pen = ImageDraw.Draw(im)
    for index, (x, y, w, h) in enumerate(boxes):
        pen.rectangle([x, y, x + w - 1, y + h - 1], outline=colour, width=line)
        label = labels[index] if index < len(labels) else None
        if not label:
            continue
        left, top, right, bottom = pen.textbbox((0, 0), label, font=font)
        text_w, text_h = right - left, bottom - top
        pad = max(2, line)
        tx = min(max(0, x), max(0, width - text_w - 2 * pad))
        ty = y - text_h - 2 * pad if y - text_h - 2 * pad >= 0 else y + line
        pen.rectangle([tx, ty, tx + text_w + 2 * pad, ty + text_h + 2 * pad], fill=colour)
        light = sum(colour) > 500
        pen.text(
            (tx + pad - left, ty + pad - top),
            label,
            fill=(0, 0, 0) if light else (255, 255, 255),
            font=font,
        )
    return im


def annotate(
    case,
    ref: str,
    boxes: list[str] | list[tuple[int, int, int, int]],
    labels: list[str] | None = None,
    *,
    caption: str | None = None,
    colour: str = "red",
) -> tuple[dict, dict, bool]:
    """Make an annotated copy of an image: (copy's record, original's record, newly made)."""

    from osint.imagery import probe

    labels = [label.strip() for label in (labels or [])]
    if not boxes:
        raise InvalidInput("--box: give at least one box X,Y,W,H")
    if len(labels) > len(boxes):
        raise InvalidInput(
            f"{len(labels)} --label for {len(boxes)} --box: give a box for each label"
        )
    parsed = [b if isinstance(b, tuple) else parse_box(b) for b in boxes]
    rgb = COLOURS.get((colour or "red").strip().lower())
    if rgb is None:
        raise InvalidInput(f"--colour: {colour!r} is not one of {', '.join(COLOURS)}")
    _, original = records.resolve(case.conn, ref, ["image"])
    name = original.get("filename") or original["sha256"][:12]
    warn: list[str] = []
    data = blobs.read_bytes(case.conn, original["sha256"])
    im = probe.open_guarded(io.BytesIO(data), original.get("format") or "", warn)
    if im is None or im.info.get("osint_no_decode"):
        raise InvalidInput(
            f"image {original['id'][:8]} ({name}) cannot be decoded, so it cannot be annotated"
            + (f": {warn[0]}" if warn else "")
        )
    if im.size[0] * im.size[1] > probe.DECODE_MAX_PIXELS:
        raise InvalidInput(
            f"image {original['id'][:8]} ({name}) is too large to annotate "
            f"({im.size[0]}x{im.size[1]} pixels; at most {probe.DECODE_MAX_PIXELS:,})"
        )
    try:
        im.load()
    except Exception as exc:  # a damaged original
        raise InvalidInput(
            f"image {original['id'][:8]} ({name}) cannot be decoded ({type(exc).__name__}: {exc})"
        ) from None
    method = probe._TRANSPOSE.get(original.get("orientation") or 1)
    if im.format not in ("HEIF", "AVIF") and method is not None:
        im = im.transpose(method)
    im = probe._pixels_for_display(im)
    width, height = im.size
    for index, (x, y, w, h) in enumerate(parsed):
        if x >= width or y >= height or x + w <= 0 or y + h <= 0:
            raise InvalidInput(
                f"--box {x},{y},{w},{h} lies outside the image ({width}x{height} pixels as seen)"
            )
        parsed[index] = (x, y, w, h)
    draw(im, parsed, labels, rgb)
    lossy = (original.get("format") or "") in LOSSY
    out = io.BytesIO()
    if lossy:
        im.save(out, "JPEG", quality=92)
        fmt, media_type, ext = "JPEG", "image/jpeg", ".jpg"
    else:
        im.save(out, "PNG", optimize=False)
        fmt, media_type, ext = "PNG", "image/png", ".png"
    encoded = out.getvalue()
    thumb, small = probe.make_thumbnail(im, 1)
    marks = [
        {"box": list(box), "label": labels[i] if i < len(labels) else None}
        for i, box in enumerate(parsed)
    ]
    stem = os.path.splitext(name)[0]
    described = "; ".join(m["label"] for m in marks if m["label"]) or f"{len(marks)} boxes"
    with case.writing():
        sha, _ = blobs.put_bytes(case.conn, encoded, media_type)
        existing = case.conn.execute(
            "SELECT * FROM images WHERE sha256 = ? AND retracted_at IS NULL LIMIT 1", (sha,)
        ).fetchone()
        if existing:
            return dict(existing), original, False
        thumb_sha, _ = blobs.put_bytes(case.conn, thumb, "image/jpeg")
        fields = {
            "sha256": sha,
            "filename": f"{stem}.annotated{ext}",
            "format": fmt,
            "media_type": media_type,
            "size": len(encoded),
            "width": width,
            "height": height,
            "orientation": 1,
            "thumbnail_sha256": thumb_sha,
            "phash": probe.dhash(small),
            "status": "ok",
            "caption": (caption or "").strip() or f"Annotated copy of {name}: {described}",
            "source": original.get("source"),
            "derived_from": original["id"],
            "annotations": json.dumps(marks, ensure_ascii=False),
        }
        # It shows the same moment and place as its original.
        for key in (
            "taken",
            "taken_local",
            "taken_offset",
            "taken_basis",
            "lat",
            "lon",
            "location_basis",
            "camera",
        ):
            fields[key] = original.get(key)
        row = records.create(
            case,
            "image",
            fields,
            added_from=f"image {original['id']} sha256:{original['sha256']} (annotated)",
        )
        records.link(case, row["id"], original["id"], "derived-from", note="annotated copy")
    return row, original, True
