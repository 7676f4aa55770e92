"""Images made inside the tests: drawn with Pillow, with the EXIF a camera would write."""

from __future__ import annotations

import random
from pathlib import Path

from PIL import Image, ImageDraw


def picture(size=(640, 480), seed: int = 1) -> Image.Image:
    """A scene of random shapes (different seeds give visually different pictures)."""
    rng = random.Random(seed)
    im = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    pen = ImageDraw.Draw(im)
    w, h = size
    for _ in range(12):
        x0, y0 = rng.randrange(w), rng.randrange(h)
        x1, y1 = x0 + rng.randrange(w // 2) + 5, y0 + rng.randrange(h // 2) + 5
        colour = tuple(rng.randrange(256) for _ in range(3))
        if rng.random() < 0.5:
            pen.rectangle([x0, y0, x1, y1], fill=colour)
        else:
            pen.ellipse([x0, y0, x1, y1], fill=colour)
    return im


def dms(value: float) -> tuple[float, float, float]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60, 4)
    return (float(degrees), float(minutes), seconds)


def exif_for(
    *,
    make: str | None = "TestCam",
    model: str | None = "Model 7",
    taken: str | None = None,  # "2024:03:05 19:00:00"
    offset: str | None = None,  # "+10:00"
    lat: float | None = None,
    lon: float | None = None,
    altitude: float | None = None,
    orientation: int | None = None,
) -> Image.Exif:
    exif = Image.Exif()
    if make:
        exif[0x010F] = make
    if model:
        exif[0x0110] = model
    if orientation:
        exif[0x0112] = orientation
    if taken:
        sub = exif.get_ifd(0x8769)
        sub[0x9003] = taken
        if offset:
            sub[0x9011] = offset
    if lat is not None and lon is not None:
        gps = exif.get_ifd(0x8825)
        gps[1] = "N" if lat >= 0 else "S"
        gps[2] = dms(lat)
        gps[3] = "E" if lon >= 0 else "W"
        gps[4] = dms(lon)
        if altitude is not None:
            gps[5] = b"\x01" if altitude < 0 else b"\x00"
            gps[6] = abs(altitude)
    return exif


def jpeg(path: Path, *, size=(640, 480), seed: int = 1, quality: int = 90, **exif) -> Path:
    im = picture(size, seed)
    im.save(path, "JPEG", quality=quality, exif=exif_for(**exif) if exif else Image.Exif())
    return path


def png(path: Path, *, size=(320, 240), seed: int = 1) -> Path:
    picture(size, seed).save(path, "PNG")
    return path
