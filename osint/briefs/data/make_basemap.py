"""Builds `basemap.json.gz` (the brief map's coastlines and borders) from Natural Earth.

Not imported at run time; run it by hand to rebuild the file:

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python osint/briefs/data/make_basemap.py package/countries-50m.json osint/briefs/data/basemap.json.gz

Input: `countries-50m.json` of the npm package world-atlas 2.0.2 (ISC licence, Mike Bostock),
a TopoJSON of Natural Earth 4.1.0 Admin 0 countries at 1:50m; Natural Earth data is in the
public domain (https://www.naturalearthdata.com/about/terms-of-use/). Output: land rings and
land borders (arcs shared by two countries), simplified (Douglas-Peucker, TOLERANCE degrees),
as integer hundredths of a degree, delta-encoded, in gzipped JSON.
"""

from __future__ import annotations

import gzip
import json
import sys

TOLERANCE = 0.008  # degrees (under 1 km): the 1:50m detail a map of a bay 30 km wide can show
SCALE = 100  # stored as integer hundredths of a degree


def _decode(topology: dict) -> list[list[tuple[float, float]]]:
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def _arc(arcs, index: int) -> list[tuple[float, float]]:
    return arcs[index] if index >= 0 else arcs[~index][::-1]


def _simplify(points: list, tolerance: float) -> list:
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (x1, y1), (x2, y2) = points[first], points[last]
        dx, dy = x2 - x1, y2 - y1
        norm = (dx * dx + dy * dy) ** 0.5
        best, index = 0.0, None
        for i in range(first + 1, last):
            px, py = points[i]
            if norm:
                d = abs(dy * px - dx * py + x2 * y1 - y2 * x1) / norm
            else:
                d = ((px - x1) ** 2 + (py - y1) ** 2) ** 0.5
            if d > best:
                best, index = d, i
        if index is not None and best > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def _encode(points: list) -> list[int]:
    out: list[int] = []
    last_x, last_y = 0, 0
    for lon, lat in points:
        x, y = round(lon * SCALE), round(lat * SCALE)
        if out and x == last_x and y == last_y:
            continue
        out += [x - last_x, y - last_y]
        last_x, last_y = x, y
    return out


def build(topology: dict) -> dict:
    arcs = _decode(topology)
    simple = [_simplify(a, TOLERANCE) for a in arcs]
    rings = []
    for geometry in topology["objects"]["land"]["geometries"]:
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        for polygon in polygons:
            for ring in polygon:
                points: list = []
                for index in ring:
                    piece = _arc(simple, index)
                    points += piece[1:] if points else piece
                if len(points) >= 4:
                    rings.append(_encode(points))
    owners: dict[int, set] = {}
    for n, geometry in enumerate(topology["objects"]["countries"]["geometries"]):
        polygons = geometry.get("arcs") or []
        if geometry["type"] == "Polygon":
            polygons = [polygons]
        for polygon in polygons:
            for ring in polygon:
                for index in ring:
                    owners.setdefault(index if index >= 0 else ~index, set()).add(n)
    borders = [_encode(simple[i]) for i, who in sorted(owners.items()) if len(who) > 1]
    return {
        "source": "Natural Earth 4.1.0, Admin 0 countries 1:50m (public domain), via the npm "
        "package world-atlas 2.0.2 (countries-50m.json)",
        "licence": "public domain (Natural Earth terms of use)",
        "tolerance_degrees": TOLERANCE,
        "scale": SCALE,
        "land": rings,
        "borders": borders,
    }


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as handle:
        data = build(json.load(handle))
    with gzip.open(sys.argv[2], "wt", encoding="utf-8", compresslevel=9) as out:
        json.dump(data, out, separators=(",", ":"))
