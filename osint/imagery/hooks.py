"""The image kind's hooks for generic commands: resolve by SHA-256, `show` details, `verify`.

Imported by `osint.case.kinds`/`overview`/`verify` only when used; no image library is loaded here.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator

from osint import ids

_HEX = re.compile(r"^[0-9a-f]+$")


def resolve_sha256_prefix(conn: sqlite3.Connection, ref: str) -> list[str]:
    """Images whose SHA-256 starts with `ref` (6+ hex digits, `sha256:` prefix allowed)."""
    text = ref.strip().lower()
    if text.startswith("sha256:"):
        text = text[len("sha256:") :]
    if len(text) < ids.MIN_PREFIX or len(text) > 64 or not _HEX.match(text):
        return []
    if len(text) == 64:
        rows = conn.execute("SELECT id FROM images WHERE sha256 = ? LIMIT 20", (text,))
    else:
        rows = conn.execute(
            "SELECT id FROM images WHERE sha256 >= ? AND sha256 < ? LIMIT 20",
            (text, ids.prefix_upper_bound(text)),
        )
    return [row[0] for row in rows]


def image_details(conn: sqlite3.Connection, image: dict) -> dict:
    """Sections `osint show` prints for an image."""
    out: dict[str, list[str]] = {}
    stored = [
        f"original sha256:{image['sha256']} {image.get('format') or '?'} "
        f"{image.get('size') or 0:,} bytes ({image.get('media_type') or 'unknown type'})"
    ]
    if image.get("thumbnail_sha256"):
        stored.append(f"thumbnail sha256:{image['thumbnail_sha256']} (JPEG, derived)")
    else:
        stored.append("no thumbnail (the pixels could not be decoded)")
    out["stored files"] = stored
    if image.get("warnings"):
        out["warnings"] = image["warnings"].split("\n")
    times = time_lines(image)
    if times:
        out["time"] = times
    if image.get("geo_crs"):
        line = f"coordinate system {image['geo_crs']}"
        if image.get("geo_south") is not None:
            line += (
                f"; bounds S {image['geo_south']} W {image['geo_west']} "
                f"N {image['geo_north']} E {image['geo_east']}; centre "
                f"{image['geo_centre_lat']},{image['geo_centre_lon']}"
            )
        out["georeference"] = [line]
    if image.get("annotations"):
        try:
            marks = json.loads(image["annotations"])
        except ValueError:
            marks = []
        out["annotations"] = [
            f"box {','.join(str(v) for v in m.get('box', []))}  {m.get('label') or ''}".rstrip()
            for m in marks
        ]
    copies = conn.execute(
        "SELECT id, filename, caption FROM images WHERE derived_from = ? AND retracted_at IS NULL "
        "ORDER BY added_at",
        (image["id"],),
    ).fetchall()
    if copies:
        out["derived copies"] = [
            f"{row['id']} {row['filename']} {row['caption'] or ''}".rstrip() for row in copies
        ]
    from osint.imagery.checks import check_details

    out.update(check_details(conn, image))
    return out


TAKEN_BASIS = {
    "given": "given by the investigator",
    "exif-offset": "camera clock and its UTC offset",
    "exif-local-as-utc": "camera clock without a time zone, read as UTC",
    "exif-local+given-offset": "camera clock with a UTC offset given by the investigator",
    "exif-local+gps-offset": "camera clock with a UTC offset inferred from the GPS time",
    "gps-clock": "GPS clock (EXIF), no camera time in the file",
}


def clock_note(image: dict) -> str | None:
    """`camera clock 21 h 58 min behind the GPS time (2008-10-23T14:27:07Z): ...` or None."""
    from osint.imagery.exif import describe_difference

    error = image.get("clock_error_s")
    if error is None or not image.get("gps_time"):
        return None
    way = "behind" if error < 0 else "ahead of"
    return (
        f"camera clock {describe_difference(error)} {way} the GPS time {image['gps_time']}: "
        "no time-zone offset explains it (a wrong camera clock, or a stale GPS fix)"
    )


def time_lines(image: dict) -> list[str]:
    """How the picture's time was established: tag, basis, GPS time, save time, disagreement."""
    lines = []
    if image.get("taken"):
        basis = TAKEN_BASIS.get(image.get("taken_basis") or "", image.get("taken_basis") or "?")
        line = f"taken {image['taken']}: {basis}"
        if image.get("taken_tag") and image.get("taken_basis") != "given":
            line += f"; from {image['taken_tag']}"
        lines.append(line)
    if image.get("taken_local"):
        clock = f"camera clock {image['taken_local']}"
        if image.get("taken_offset"):
            inferred = image.get("taken_basis") == "exif-local+gps-offset"
            clock += f" {image['taken_offset']}" + (" (inferred from GPS time)" if inferred else "")
        else:
            clock += " (no time zone)"
        lines.append(clock)
    if image.get("gps_time"):
        lines.append(f"GPS time {image['gps_time']} (UTC, time of the last satellite fix)")
    note = clock_note(image)
    if note:
        lines.append(note)
    if image.get("saved_time"):
        lines.append(
            f"saved {image['saved_time']} ({image.get('saved_tag') or 'save time'}): "
            "when a program wrote the file, not a capture time"
        )
    if not image.get("taken") and image.get("saved_time"):
        lines.append("no capture time in the file")
    return lines


def check_images(conn: sqlite3.Connection) -> Iterator:
    """`verify`: each image's recorded size matches its stored bytes; derived-from targets exist."""
    from osint.features import Problem

    for row in conn.execute(
        "SELECT i.id, i.size, b.size AS stored FROM images i JOIN blobs b ON b.sha256 = i.sha256 "
        "WHERE i.size IS NOT NULL AND i.size != b.size"
    ):
        yield Problem(
            row["id"],
            "image",
            f"recorded size {row['size']} differs from the stored file's {row['stored']} bytes",
        )
    from osint.case.records import find_any

    for row in conn.execute(
        "SELECT id, derived_from FROM images WHERE derived_from IS NOT NULL"
    ).fetchall():
        if find_any(conn, row["derived_from"])[0] is None:
            yield Problem(
                row["id"], "image", f"derived from {row['derived_from']}, which is not in the case"
            )
