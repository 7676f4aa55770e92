"""Distances on the Earth, as the visits and AIS code use them.

"Within a place" uses a local flat-earth (equirectangular) approximation centred on the place:
for radii under 50 km it differs from the great-circle distance by well under 0.1 % (metres at a
terminal's scale, below AIS position accuracy), and it needs nothing but arithmetic, so SQLite
evaluates the very same test over millions of AIS rows without math functions. Reported
distances use the haversine formula on a sphere of mean radius 6,371,008.8 m.
"""

from __future__ import annotations

import math

EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE = math.pi * EARTH_RADIUS_M / 180.0


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def wrap_lon(delta: float) -> float:
    """A longitude difference folded into [-180, 180] (places across the antimeridian)."""
    if delta > 180:
        return delta - 360
    if delta < -180:
        return delta + 360
    return delta


class Circle:
    """A place's circle, with the constants the inside test needs (also as SQL parameters)."""

    def __init__(self, lat: float, lon: float, radius_m: float):
        self.lat = float(lat)
        self.lon = float(lon)
        self.radius_m = float(radius_m)
        self.cos_lat = math.cos(math.radians(self.lat))
        radius_deg = self.radius_m / METRES_PER_DEGREE
        self.radius_deg2 = radius_deg * radius_deg
        self.south = self.lat - radius_deg
        self.north = self.lat + radius_deg

    def contains(self, lat: float | None, lon: float | None) -> bool:
        if lat is None or lon is None:
            return False
        dy = lat - self.lat
        dx = wrap_lon(lon - self.lon) * self.cos_lat
        return dx * dx + dy * dy <= self.radius_deg2

    def bbox(self) -> tuple[float, float, float, float]:
        """(south, west, north, east); west > east when the box crosses the antimeridian."""
        radius_deg = math.sqrt(self.radius_deg2)
        half_width = radius_deg / max(self.cos_lat, 1e-6)
        west = self.lon - half_width
        east = self.lon + half_width
        if half_width >= 180:
            return self.south, -180.0, self.north, 180.0
        if west < -180:
            west += 360
        if east > 180:
            east -= 360
        return self.south, west, self.north, east


# The same inside test as Circle.contains, in SQL over columns `lat`, `lon` and named parameters.
SQL_INSIDE = (
    "(lat BETWEEN :south AND :north AND "
    "((lat - :clat) * (lat - :clat) + "
    "((CASE WHEN lon - :clon > 180 THEN lon - :clon - 360 "
    "WHEN lon - :clon < -180 THEN lon - :clon + 360 ELSE lon - :clon END) * :coslat) * "
    "((CASE WHEN lon - :clon > 180 THEN lon - :clon - 360 "
    "WHEN lon - :clon < -180 THEN lon - :clon + 360 ELSE lon - :clon END) * :coslat)"
    ") <= :r2)"
)


def sql_params(circle: Circle) -> dict:
    return {
        "south": circle.south,
        "north": circle.north,
        "clat": circle.lat,
        "clon": circle.lon,
        "coslat": circle.cos_lat,
        "r2": circle.radius_deg2,
    }
