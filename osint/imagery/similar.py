"""Near-duplicates: images whose perceptual (difference) hashes differ in few bits.

The same satellite pass published twice, resized or recompressed, or an annotated copy, keeps
nearly the same 64-bit difference hash; unrelated pictures differ in about half the bits.
"""

from __future__ import annotations

import sqlite3

from osint.case import records
from osint.errors import InvalidInput

DEFAULT_MAX_DISTANCE = 10


def distance(a: str, b: str) -> int:
    """Hamming distance of two 16-hex-digit hashes."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


def similar(
    conn: sqlite3.Connection,
    ref: str,
    *,
    max_distance: int = DEFAULT_MAX_DISTANCE,
    limit: int | None = None,
) -> tuple[dict, list[dict]]:
    """(the image, images within `max_distance` bits of it, closest first)."""
    if not 0 <= max_distance <= 64:
        raise InvalidInput(f"--max-distance: {max_distance} is not between 0 and 64")
    _, image = records.resolve(conn, ref, ["image"])
    if not image.get("phash"):
        raise InvalidInput(
            f"image {image['id'][:8]} ({image.get('filename')}) has no perceptual hash: its pixels "
            "could not be decoded"
        )
    target = int(image["phash"], 16)
    found = []
    for row in conn.execute(
        "SELECT id, sha256, filename, format, width, height, taken, phash, derived_from "
        "FROM images WHERE phash IS NOT NULL AND retracted_at IS NULL AND id != ?",
        (image["id"],),
    ):
        bits = (int(row["phash"], 16) ^ target).bit_count()
        if bits <= max_distance:
            item = dict(row)
            item["distance"] = bits
            item["identical"] = row["sha256"] == image["sha256"]
            item["relation"] = (
                "derived from it"
                if row["derived_from"] == image["id"]
                else ("its original" if image.get("derived_from") == row["id"] else None)
            )
            found.append(item)
    found.sort(key=lambda r: (r["distance"], r["taken"] or "", r["id"]))
    return image, found[:limit] if limit else found
