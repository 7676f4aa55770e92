"""The imagery part of a brief's template context: pictures with their annotated copies.

Declared as the imagery feature's brief part (osint.features) (before the maritime part, so sightings can name the
picture that shows them). Fills `images`: every picture that is not retracted, originals in
capture-time order, each followed by its annotated copies (`copies` on the original, `original`
on a copy), with the reference (I1, I2, ...) findings cite. Thumbnails are read only when a
template shows one (`thumbnail_src`), so a case with thousands of pictures stays cheap.
"""

from __future__ import annotations

import sqlite3

from osint.case import records
from osint.imagery.checks import kept_checks
from osint.imagery.hooks import TAKEN_BASIS, clock_note

LEFT_OUT = {
    "metadata",
    "added_via",
    "added_from",
    "retracted_at",
    "retracted_by",
    "retracted_reason",
}

# How a picture's time and place were established, as a reader needs to know it.
LOCATION_BASIS = {
    "given": "given by the investigator",
    "exif-gps": "GPS in the file (EXIF)",
    "geotiff-centre": "centre of the georeferenced scene",
}


def context_part(conn: sqlite3.Connection, context: dict, refs) -> None:
    from osint.briefs.refs import Ref, is_illustrative

    if "image" not in _kinds():
        return
    # Every column but the raw metadata dump (EXIF/XMP as read, often kilobytes per picture).
    rows = [
        {key: value for key, value in row.items() if key not in LEFT_OUT}
        for row in records.iter_records(
            conn, "image", order_by="coalesce(taken, '9999'), added_at, id"
        )
    ]
    by_id = {row["id"]: row for row in rows}
    copies_of: dict[str, list[dict]] = {}
    for row in rows:
        if row.get("derived_from") in by_id:
            copies_of.setdefault(row["derived_from"], []).append(row)
    sources = {s["id"]: s for s in context["sources"]}
    captures = _captures(conn, rows)

    def make(row: dict, order: int, original=None) -> Ref:
        source = sources.get(row["source"]) if row.get("source") else None
        capture_source = sources.get(captures.get(row.get("derived_from") or ""))
        return Ref(
            {
                **row,
                "ref": refs.assign("image", row["id"]),
                "label": row.get("caption") or row.get("filename") or row["sha256"][:12],
                "order": order,
                "illustrative": is_illustrative(row.get("note"), row.get("caption")),
                "warnings": [w for w in (row.get("warnings") or "").split("\n") if w.strip()],
                "source": source,
                "source_ref": source["ref"] if source else None,
                "capture_of": capture_source,
                "original": original,
                "copies": [],
                "annotation_labels": _annotation_labels(row.get("annotations")),
                "taken_basis_text": TAKEN_BASIS.get(
                    row.get("taken_basis") or "", row.get("taken_basis")
                ),
                "location_basis_text": LOCATION_BASIS.get(
                    row.get("location_basis") or "", row.get("location_basis")
                ),
                # A camera clock read without its time zone: the UTC time may be hours off.
                "time_uncertain": row.get("taken_basis") == "exif-local-as-utc",
                # The camera's time and the GPS time where they disagree (both are shown).
                "clock_note": clock_note(row),
                # The latest consistency check kept for it (`osint image check --record`), and
                # the latest shadow reading with its band of places (`image shadow --record`).
                "check": next(
                    (c for c in kept_checks(conn, row["id"]) if c["summary"][:7] != "shadow:"),
                    None,
                ),
                "shadow": _shadow_reading(conn, row["id"]),
                "sightings": [],
                **_picture_facts(row, source),
            }
        )

    images: list[Ref] = []
    for order, row in enumerate(rows):
        if row.get("derived_from") in by_id:
            continue  # listed right after its original
        image = make(row, order)
        images.append(image)
        for copy_row in copies_of.get(row["id"], []):
            copy = make(copy_row, order, original=image)
            image["copies"].append(copy)
            images.append(copy)
    context["images"] = images


def _picture_facts(row: dict, source) -> dict:
    """Who provided a picture, its ground resolution and whether north is up, for the brief."""
    georeferenced = row.get("geo_north") is not None and row.get("geo_south") is not None
    # A scene's provider is who published it (its source); a camera picture shows its camera.
    provider = source.get("publisher") if georeferenced and source else None
    resolution = None
    if georeferenced and row.get("height"):
        metres = (float(row["geo_north"]) - float(row["geo_south"])) * 111_320
        per_pixel = metres / float(row["height"])
        if per_pixel > 0:
            resolution = (
                f"{per_pixel:.2g} m per pixel"
                if per_pixel < 10
                else f"{per_pixel:,.0f} m per pixel"
            )
    return {
        "provider": provider,
        "georeferenced": georeferenced,
        "ground_resolution": resolution,
        "pixels": f"{row['width']:,} × {row['height']:,} pixels"
        if row.get("width") and row.get("height")
        else None,
    }


def _kinds():
    from osint.case import kinds

    return kinds.KINDS


def _captures(conn: sqlite3.Connection, rows: list[dict]) -> dict[str, str]:
    """{snapshot id: source id} for pictures derived from a web capture (its screenshot)."""
    wanted = {row["derived_from"] for row in rows if row.get("derived_from")}
    out = {}
    for snapshot_id in wanted:
        snapshot = records.get(conn, "snapshot", snapshot_id)
        if snapshot and not snapshot.get("retracted_at"):
            out[snapshot_id] = snapshot["source"]
    return out


def _annotation_labels(value: str | None) -> list[str]:
    import json

    if not value:
        return []
    try:
        marks = json.loads(value)
    except ValueError:
        return []
    return [str(m.get("label")) for m in marks if isinstance(m, dict) and m.get("label")]


def _shadow_reading(conn, image_id: str) -> dict | None:
    """The latest shadow reading kept for a picture, with its band drawn on a world map."""
    import json

    from markupsafe import Markup

    from osint.briefs.basemap import world_band_svg

    for check in kept_checks(conn, image_id):
        if not (check["summary"] or "").startswith("shadow:"):
            continue
        parameters = json.loads(check["parameters"] or "{}")
        band = parameters.get("band") or {}
        cells = [tuple(c) for c in band.get("cells") or []]
        svg = (
            world_band_svg(cells, float(band.get("step") or 1.0), title="shadow band")
            if cells
            else None
        )
        return {
            "id": check["id"],
            "detail": check["checks"][0]["detail"] if check["checks"] else "",
            "result": check["checks"][0]["result"] if check["checks"] else "",
            "map": Markup(svg) if svg else None,
        }
    return None
