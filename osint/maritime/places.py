"""Places: named points with a radius (a terminal, an anchorage, a transfer area)."""

from __future__ import annotations

import re
import sqlite3

from osint.case import kinds, records
from osint.errors import InvalidInput
from osint.maritime.geo import Circle
from osint.maritime.vessels import name_key

DEFAULT_RADIUS_M = 1000.0

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_COORD = re.compile(rf"^\s*({_NUMBER})\s*([NSns])?\s*[,;\s]\s*({_NUMBER})\s*([EWew])?\s*$")


def parse_lat(value, name: str = "lat") -> float:
    """A required latitude in decimal degrees (WGS 84)."""
    return _required(kinds.latitude(value, name), name, "latitude")


def parse_lon(value, name: str = "lon") -> float:
    """A required longitude in decimal degrees (WGS 84)."""
    return _required(kinds.longitude(value, name), name, "longitude")


def _required(number: float | None, name: str, what: str) -> float:
    if number is None:
        raise InvalidInput(f"{name}: a {what} is required")
    return number


def parse_at(value: str, name: str = "--at") -> tuple[float, float]:
    """`42.73,133.06` or `42.73N 133.06E` as (lat, lon), WGS 84 decimal degrees."""
    match = _COORD.match(value or "")
    if not match:
        raise InvalidInput(
            f"{name}: {value!r} is not LAT,LON in decimal degrees (e.g. 42.73,133.06)"
        )
    lat, ns, lon, ew = match.groups()
    lat_value, lon_value = float(lat), float(lon)
    if ns and ns.upper() == "S":
        lat_value = -abs(lat_value)
    if ew and ew.upper() == "W":
        lon_value = -abs(lon_value)
    return parse_lat(lat_value, f"{name} latitude"), parse_lon(lon_value, f"{name} longitude")


def parse_radius(value, name: str = "--radius-m") -> float:
    try:
        number = float(str(value).strip())
    except ValueError:
        raise InvalidInput(f"{name}: {value!r} is not a distance in metres") from None
    if not 0 < number <= 200_000:
        raise InvalidInput(f"{name}: {value} m is not a radius between 0 and 200 km")
    return number


def add_place(
    case,
    name: str,
    at: str | tuple[float, float],
    *,
    radius_m=None,
    place_type: str | None = None,
    note: str | None = None,
) -> dict:
    name = kinds.text(name or "", "place name")
    lat, lon = parse_at(at) if isinstance(at, str) else (parse_lat(at[0]), parse_lon(at[1]))
    radius = DEFAULT_RADIUS_M if radius_m is None else parse_radius(radius_m)
    clash = [rid for rid in resolve_place(case.conn, name)]
    if clash:
        raise InvalidInput(
            f"a place named {name!r} already exists ({clash[0][:8]}): places are found by name, "
            "so give this one another name"
        )
    with case.writing():
        return records.create(
            case,
            "place",
            {
                "name": name,
                "lat": lat,
                "lon": lon,
                "radius_m": radius,
                "place_type": kinds.optional_text(place_type),
                "note": kinds.optional_text(note),
            },
        )


def resolve_place(conn: sqlite3.Connection, ref: str) -> list[str]:
    """Kind hook: places named `ref` (case-insensitive, spacing ignored)."""
    key = name_key(ref)
    if not key:
        return []
    return [
        rid
        for rid, name in conn.execute("SELECT id, name FROM places WHERE retracted_at IS NULL")
        if name_key(name) == key
    ]


def find_place(conn, ref: str) -> dict:
    return records.resolve(conn, ref, ["place"])[1]


def circle(place: dict) -> Circle:
    return Circle(place["lat"], place["lon"], place["radius_m"] or DEFAULT_RADIUS_M)


def place_details(conn: sqlite3.Connection, row: dict) -> dict:
    count = conn.execute(
        "SELECT count(*) FROM sightings WHERE place = ? AND retracted_at IS NULL", (row["id"],)
    ).fetchone()[0]
    return {
        "area": [
            f"circle of {row['radius_m']:,.0f} m around {row['lat']:.5f}, {row['lon']:.5f} (WGS 84)",
            f"{count} sightings recorded at this place",
        ]
    }
