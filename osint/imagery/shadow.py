"""Chronolocation from a shadow: an object and its shadow drawn on a picture say where the sun was.

From the two lines (pixels, as `image annotate` takes them) come the shadow's length per unit of
the object's height and, with the picture's orientation, the shadow's direction. The sun stood
opposite that direction, at the elevation whose cotangent is the ratio. Then:
- given the place, the times of that day when the sun stood there (`times_of_day`);
- given the time, the band of places on Earth where such a shadow falls (`places_at`), the
  question Bellingcat's ShadowFinder answers.

The ratio assumes the object is vertical and its height and its shadow are seen at the same
scale (a photograph of flat ground taken from far, or lengths measured on the ground); the
tolerances say how far a reading may be off.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from osint.errors import InvalidInput
from osint.imagery import sun


def parse_line(value: str, name: str) -> tuple[float, float, float, float]:
    """`X1,Y1,X2,Y2` in pixels: from the base (where object and shadow meet) to the top or tip."""
    parts = [p.strip() for p in (value or "").split(",")]
    try:
        x1, y1, x2, y2 = (float(p) for p in parts)
    except ValueError:
        raise InvalidInput(
            f"{name}: {value!r} is not X1,Y1,X2,Y2 in pixels (from the base to the top or tip)"
        ) from None
    if not all(math.isfinite(v) for v in (x1, y1, x2, y2)):
        raise InvalidInput(f"{name}: {value!r}: coordinates must be numbers")
    if (x1, y1) == (x2, y2):
        raise InvalidInput(f"{name}: {value!r}: the two ends are the same point")
    return x1, y1, x2, y2


def length(line: tuple[float, float, float, float]) -> float:
    x1, y1, x2, y2 = line
    return math.hypot(x2 - x1, y2 - y1)


def image_angle(line: tuple[float, float, float, float]) -> float:
    """A line's direction on the picture, in degrees clockwise from the picture's up."""
    x1, y1, x2, y2 = line
    return math.degrees(math.atan2(x2 - x1, -(y2 - y1))) % 360  # pixel rows grow downwards


@dataclass(frozen=True)
class Shadow:
    ratio: float  # shadow length per unit of object height
    elevation: float  # the sun's elevation that casts it (degrees)
    azimuth: float | None  # the sun's azimuth (degrees from true north), when oriented
    shadow_azimuth: float | None


def measure(
    object_line: tuple[float, float, float, float],
    shadow_line: tuple[float, float, float, float],
    *,
    north_angle: float | None = None,
    reference: tuple[float, float, float, float] | None = None,
    reference_azimuth: float | None = None,
) -> Shadow:
    """The sun a shadow implies. `north_angle`: the bearing of the picture's up direction
    (degrees clockwise from true north); or a `reference` line whose true azimuth is known."""
    height = length(object_line)
    ratio = length(shadow_line) / height
    elevation = math.degrees(math.atan2(1, ratio))
    offset = None
    if north_angle is not None:
        offset = north_angle
    elif reference is not None and reference_azimuth is not None:
        offset = reference_azimuth - image_angle(reference)
    elif reference is not None or reference_azimuth is not None:
        raise InvalidInput("--reference and --reference-azimuth go together")
    if offset is None:
        return Shadow(ratio, elevation, None, None)
    shadow_azimuth = (image_angle(shadow_line) + offset) % 360
    return Shadow(ratio, elevation, (shadow_azimuth + 180) % 360, shadow_azimuth)


def _angle_gap(a: float, b: float) -> float:
    return abs((a - b + 180) % 360 - 180)


def times_of_day(
    shadow: Shadow,
    lat: float,
    lon: float,
    on: datetime,
    *,
    elevation_tolerance: float = 2.0,
    azimuth_tolerance: float = 5.0,
    step_minutes: int = 1,
) -> list[dict]:
    """The windows of the (local solar) day of `on` when the sun cast such a shadow at the place:
    [{start, end, best, elevation, azimuth}] in UTC."""
    local = sun.day(lat, lon, on)
    start = local.solar_noon - timedelta(hours=12)
    windows: list[dict] = []
    current: dict | None = None
    for minute in range(0, 24 * 60, step_minutes):
        moment = start + timedelta(minutes=minute)
        where = sun.position(lat, lon, moment)
        miss = abs(where.elevation - shadow.elevation)
        fits = where.elevation > 0 and miss <= elevation_tolerance
        if fits and shadow.azimuth is not None:
            fits = _angle_gap(where.azimuth, shadow.azimuth) <= azimuth_tolerance
        if fits:
            score = miss + (
                _angle_gap(where.azimuth, shadow.azimuth) / 10 if shadow.azimuth is not None else 0
            )
            if current is None:
                current = {"start": moment, "end": moment, "score": score, "best": moment}
                current.update(elevation=where.elevation, azimuth=where.azimuth)
                windows.append(current)
            current["end"] = moment
            if score < current["score"]:
                current.update(score=score, best=moment)
                current.update(elevation=where.elevation, azimuth=where.azimuth)
        else:
            current = None
    for window in windows:
        window.pop("score")
    return windows


def places_at(
    shadow: Shadow,
    when: datetime,
    *,
    elevation_tolerance: float = 1.0,
    azimuth_tolerance: float = 5.0,
    step_degrees: float = 1.0,
) -> list[tuple[float, float]]:
    """The centres (lat, lon) of grid cells where the sun cast such a shadow at `when`
    (south to north, west to east). The sun's elevation and azimuth are computed over whole rows
    of the grid at once (`sun.grid`), a few hundred rows at a time to bound memory."""
    import numpy as np

    if not 0.05 <= step_degrees <= 5:
        raise InvalidInput("--step: give a grid step between 0.05 and 5 degrees")
    if abs(180 / step_degrees - round(180 / step_degrees)) > 1e-6:
        raise InvalidInput(
            f"--step {step_degrees:g}: give a step that divides 180 degrees (0.1, 0.25, 0.5, 1, 2)"
        )
    lats = -90 + (np.arange(int(round(180 / step_degrees))) + 0.5) * step_degrees
    lons = -180 + (np.arange(int(round(360 / step_degrees))) + 0.5) * step_degrees
    rows_per_chunk = max(1, 2_000_000 // len(lons))
    found: list[tuple[float, float]] = []
    for first in range(0, len(lats), rows_per_chunk):
        chunk = lats[first : first + rows_per_chunk]
        elevation, azimuth = sun.grid(chunk, lons, when)
        fits = np.abs(elevation - shadow.elevation) <= elevation_tolerance
        if shadow.azimuth is not None:
            gap = np.abs(np.mod(azimuth - shadow.azimuth + 180, 360) - 180)
            fits &= gap <= azimuth_tolerance
        for i, j in zip(*np.nonzero(fits), strict=True):
            found.append((float(chunk[i]), float(lons[j])))
    return found


def band_geojson(cells: list[tuple[float, float]], step_degrees: float, properties: dict) -> dict:
    """The matching cells as one GeoJSON MultiPolygon feature (lon, lat order), neighbouring
    cells of a grid row merged into one rectangle (a band at 0.05 degrees stays a small file)."""
    half = step_degrees / 2
    rows: dict[float, list[float]] = {}
    for lat, lon in cells:
        rows.setdefault(round(lat, 9), []).append(lon)
    polygons = []
    for lat in sorted(rows):
        lons = sorted(rows[lat])
        start = previous = lons[0]
        ends: list[float | None] = [*lons[1:], None]
        for following in ends:
            if following is not None and following - previous <= step_degrees * 1.001:
                previous = following
                continue
            west, east = round(start - half, 9), round(previous + half, 9)
            south, north = round(lat - half, 9), round(lat + half, 9)
            polygons.append(
                [[[west, south], [east, south], [east, north], [west, north], [west, south]]]
            )
            if following is not None:
                start = previous = following
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "MultiPolygon", "coordinates": polygons},
                "properties": {**properties, "cells": len(cells), "step": step_degrees},
            }
        ],
    }


def write_band(path, cells: list[tuple[float, float]], report: dict) -> None:
    """Write the band of places of a shadow reading (`shadow_report`) as GeoJSON, atomically."""
    import json

    from osint.fileio import atomic_path

    step = report["band"]["step"]
    properties = {
        "kind": "shadow band",
        "image": report.get("image"),
        "when": report["band"]["when"],
        "sun_elevation": report["sun_elevation"],
        "sun_azimuth": report["sun_azimuth"],
        "tolerances": report["tolerances"],
        "step": step,
    }
    with atomic_path(path) as partial:
        partial.write_text(json.dumps(band_geojson(cells, step, properties)), encoding="utf-8")
