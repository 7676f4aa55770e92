"""Sightings: one observation of a vessel at a time, at a place or at coordinates, with evidence."""

from __future__ import annotations

import sqlite3

from osint.case import kinds, records
from osint.errors import InvalidInput
from osint.maritime import places

ACTIVITIES = (
    "arriving",
    "berthed",
    "loading",
    "unloading",
    "departing",
    "anchored",
    "underway",
    "ship-to-ship transfer",
    "AIS dark",
)
_ACTIVITY_WORDS = {
    "sts": "ship-to-ship transfer",
    "ship-to-ship": "ship-to-ship transfer",
    "ship to ship": "ship-to-ship transfer",
    "ship to ship transfer": "ship-to-ship transfer",
    "transfer": "ship-to-ship transfer",
    "dark": "AIS dark",
    "ais-dark": "AIS dark",
    "going dark": "AIS dark",
    "arrival": "arriving",
    "arrived": "arriving",
    "departure": "departing",
    "departed": "departing",
    "moored": "berthed",
    "at berth": "berthed",
    "anchorage": "anchored",
    "at anchor": "anchored",
}
CONFIDENCE = ("low", "medium", "high")


def parse_activity(value: str | None, name: str = "--activity") -> str | None:
    if value is None or not str(value).strip():
        return None
    key = " ".join(str(value).strip().lower().replace("_", " ").split())
    for activity in ACTIVITIES:
        if key == activity.lower():
            return activity
    if key in _ACTIVITY_WORDS:
        return _ACTIVITY_WORDS[key]
    raise InvalidInput(f"{name}: {value!r} is not one of: {', '.join(ACTIVITIES)}")


def parse_confidence(value: str | None, name: str = "--confidence") -> str | None:
    if value is None or not str(value).strip():
        return None
    key = str(value).strip().lower()
    if key not in CONFIDENCE:
        raise InvalidInput(f"{name}: {value!r} is not low, medium or high")
    return key


def resolve_image(conn: sqlite3.Connection, ref: str) -> str:
    """An image record's id (images are a kind of their own; this works without it too)."""
    if "image" not in kinds.KINDS:
        raise InvalidInput(
            f"--image {ref}: this osint has no image records yet (add the image with osint image add)"
        )
    return records.resolve_id(conn, ref, ["image"])


def add_sighting(
    case,
    vessel: str,
    *,
    when: str,
    place: str | None = None,
    at: str | tuple[float, float] | None = None,
    image: str | None = None,
    source: str | None = None,
    activity: str | None = None,
    confidence: str | None = None,
    note: str | None = None,
) -> dict:
    """Record that `vessel` was seen at `when`, at a place or at coordinates (or both)."""
    seen_at = kinds.when(when, "--when")
    if not seen_at:
        raise InvalidInput("--when: say when the vessel was seen (e.g. 2024-03-05T10:00:00Z)")
    if place is None and at is None:
        raise InvalidInput("say where: give --place PLACE or --at LAT,LON")
    conn = case.conn
    vessel_row = records.resolve(conn, vessel, ["vessel"])[1]
    place_row = places.find_place(conn, place) if place else None
    lat = lon = None
    if at is not None:
        lat, lon = places.parse_at(at) if isinstance(at, str) else at
    fields = {
        "vessel": vessel_row["id"],
        "seen_at": seen_at,
        "place": place_row["id"] if place_row else None,
        "lat": lat,
        "lon": lon,
        "image": resolve_image(conn, image) if image else None,
        "source": records.resolve_id(conn, source, ["source"]) if source else None,
        "activity": parse_activity(activity),
        "confidence": parse_confidence(confidence),
        "note": kinds.optional_text(note),
    }
    evidence = [f"{k} {fields[k]}" for k in ("image", "source") if fields[k]]
    with case.writing():
        return records.create(case, "sighting", fields, added_from="; ".join(evidence) or None)


def position(conn: sqlite3.Connection, sighting: dict, place_cache: dict | None = None):
    """(lat, lon) of a sighting: its own coordinates, else its place's centre; None if neither."""
    if sighting.get("lat") is not None and sighting.get("lon") is not None:
        return sighting["lat"], sighting["lon"]
    if sighting.get("place"):
        cache = place_cache if place_cache is not None else {}
        if sighting["place"] not in cache:
            cache[sighting["place"]] = records.get(conn, "place", sighting["place"])
        place = cache[sighting["place"]]
        if place:
            return place["lat"], place["lon"]
    return None


def sighting_search_text(conn: sqlite3.Connection, row: dict) -> str | None:
    """Kind hook: a sighting is found by its vessel's and place's names."""
    parts = []
    vessel = records.get(conn, "vessel", row["vessel"]) if row.get("vessel") else None
    if vessel:
        parts.append(vessel["name"])
    place = records.get(conn, "place", row["place"]) if row.get("place") else None
    if place:
        parts.append(place["name"])
    return " ".join(parts) or None


def sighting_details(conn: sqlite3.Connection, row: dict) -> dict:
    lines = []
    vessel = records.get(conn, "vessel", row["vessel"]) if row.get("vessel") else None
    if vessel:
        lines.append(f"vessel {vessel['id']} {vessel['name']}")
    place = records.get(conn, "place", row["place"]) if row.get("place") else None
    if place:
        lines.append(f"place {place['id']} {place['name']}")
    if row.get("source"):
        source = records.get(conn, "source", row["source"])
        if source:
            lines.append(f"source {source['id']} {source['title']}")
    if row.get("image"):
        lines.append(f"image {row['image']}")
    return {"observed": lines} if lines else {}
