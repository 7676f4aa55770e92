"""The brief's map: coastlines and borders drawn offline, in Mercator, fitted to the case's places.

Land and borders come from Natural Earth 1:50m (public domain), shipped as `data/basemap.json.gz`
(see `data/make_basemap.py` for its origin); nothing is fetched. The extent fits the case's
places (with their radius) and the observations near them; a geotagged photo or a sighting far
from the rest is listed as an outlier instead of blowing the map up to the whole world. Ticks fall
on round degrees, the scale bar is measured at the map's centre latitude, a north arrow and a
locator inset (the region around the map, with its frame) go in the corners.

Every text taken from the case is XML-escaped here.
"""

from __future__ import annotations

import functools
import gzip
import json
import math
from collections.abc import Sequence
from importlib import resources

from osint.briefs.charts import _esc, _legend, _points

ATTRIBUTION = "Coastlines and borders: Natural Earth 1:50m (public domain). Mercator projection."
EARTH_KM_PER_DEGREE = 111.32
MIN_SPAN_DEG = 0.8  # a narrower map (under about 90 km) shows too little coast to place it
OUTLIER_MIN_KM = 150.0

LAND = "#ece7dc"
SEA = "#dbe7f0"
COAST = "#8d8a80"


@functools.cache
def _basemap() -> dict:
    data = resources.files("osint.briefs").joinpath("data/basemap.json.gz").read_bytes()
    raw = json.loads(gzip.decompress(data))
    scale = raw["scale"]

    def decode(encoded: list[int]) -> list[tuple[float, float]]:
        x = y = 0
        out = []
        for i in range(0, len(encoded), 2):
            x += encoded[i]
            y += encoded[i + 1]
            out.append((x / scale, y / scale))
        return out

    land = [decode(r) for r in raw["land"]]
    borders = [decode(b) for b in raw["borders"]]
    return {
        "land": [(ring, _bbox(ring)) for ring in land],
        "borders": [(line, _bbox(line)) for line in borders],
        "source": raw["source"],
    }


def _bbox(points) -> tuple[float, float, float, float]:
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    return min(lons), min(lats), max(lons), max(lats)


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(a)))


def _merc_y(lat: float) -> float:
    lat = max(min(lat, 85.0), -85.0)
    return math.degrees(math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)))


def _nice_degrees(span: float, target: int = 4) -> float:
    raw = span / max(target, 1)
    for step in (0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 45, 90):
        if raw <= step:
            return step
    return 90.0


def _fmt_degree(value: float, step: float, positive: str, negative: str) -> str:
    decimals = 0 if step >= 1 else (1 if step >= 0.1 else 2)
    if step in (0.25,):
        decimals = 2
    hemisphere = "" if abs(value) < 1e-9 else (positive if value > 0 else negative)
    return f"{abs(value):.{decimals}f}°{hemisphere}"


def _wrap(lon: float, centre: float) -> float:
    """The longitude as seen from `centre`: within 180 degrees of it (antimeridian-safe)."""
    return (lon - centre + 180.0) % 360.0 - 180.0 + centre


def fit_extent(places: list[dict], others: list[dict]) -> tuple[dict, list[dict]]:
    """(extent, outliers): the box holding the places and the observations near them.

    The core is the places (else every observation); an observation more than
    max(OUTLIER_MIN_KM, 3 x the core's radius) from the core's centre is an outlier."""
    core = [p for p in places if p.get("lat") is not None] or [
        o for o in others if o.get("lat") is not None
    ]
    if not core:
        return {}, []
    lats = sorted(float(p["lat"]) for p in core)
    lat0 = lats[len(lats) // 2]
    # Longitudes near the antimeridian: take the median of values wrapped around the first one.
    first = float(core[0]["lon"])
    lons = sorted(_wrap(float(p["lon"]), first) for p in core)
    lon0 = lons[len(lons) // 2]
    distances = sorted(_km(lat0, lon0, float(p["lat"]), float(p["lon"])) for p in core)
    spread = distances[int(0.8 * (len(distances) - 1))]
    limit = max(OUTLIER_MIN_KM, 3 * spread)
    kept, outliers = [], []
    for item in [*places, *others]:
        if item.get("lat") is None or item.get("lon") is None:
            continue
        distance = _km(lat0, lon0, float(item["lat"]), float(item["lon"]))
        if distance > limit and item not in places:
            outliers.append({**item, "km": distance})
        else:
            kept.append(item)
    south = north = lat0
    west = east = lon0
    for item in kept:
        lat, lon = float(item["lat"]), _wrap(float(item["lon"]), lon0)
        pad = float(item.get("radius_m") or 0) / 1000 / EARTH_KM_PER_DEGREE
        south, north = min(south, lat - pad), max(north, lat + pad)
        padlon = pad / max(math.cos(math.radians(lat)), 0.05)
        west, east = min(west, lon - padlon), max(east, lon + padlon)
    span_lat = max(north - south, MIN_SPAN_DEG)
    kx = max(math.cos(math.radians(lat0)), 0.05)
    span_lon = max(east - west, MIN_SPAN_DEG / kx)
    mid_lat, mid_lon = (south + north) / 2, (west + east) / 2
    extent = {
        "south": max(mid_lat - span_lat * 0.65, -84.0),
        "north": min(mid_lat + span_lat * 0.65, 84.0),
        "west": mid_lon - span_lon * 0.65,
        "east": mid_lon + span_lon * 0.65,
        "centre": (lat0, lon0),
    }
    return extent, sorted(outliers, key=lambda o: -o["km"])


def _clip_ring(ring, west, south, east, north):
    """Sutherland-Hodgman: the part of a closed ring inside the box (lon/lat)."""
    out = list(ring)
    for inside, cut in (
        (lambda p: p[0] >= west, lambda a, b: _at_x(a, b, west)),
        (lambda p: p[0] <= east, lambda a, b: _at_x(a, b, east)),
        (lambda p: p[1] >= south, lambda a, b: _at_y(a, b, south)),
        (lambda p: p[1] <= north, lambda a, b: _at_y(a, b, north)),
    ):
        if not out:
            break
        points, out = out, []
        previous = points[-1]
        for point in points:
            if inside(point):
                if not inside(previous):
                    out.append(cut(previous, point))
                out.append(point)
            elif inside(previous):
                out.append(cut(previous, point))
            previous = point
    return out


def _at_x(a, b, x):
    t = (x - a[0]) / (b[0] - a[0]) if b[0] != a[0] else 0.0
    return (x, a[1] + t * (b[1] - a[1]))


def _at_y(a, b, y):
    t = (y - a[1]) / (b[1] - a[1]) if b[1] != a[1] else 0.0
    return (a[0] + t * (b[0] - a[0]), y)


def _shapes(box, project, *, fill: bool, min_px: float = 0.7):
    """SVG path data for the land rings (fill) or border lines inside `box`, projected."""
    west, south, east, north = box
    data = _basemap()
    parts = []
    for shift in (-360.0, 0.0, 360.0):
        w, e = west - shift, east - shift
        for shape, (x0, y0, x1, y1) in data["land" if fill else "borders"]:
            if x1 < w or x0 > e or y1 < south or y0 > north:
                continue
            if fill:
                pieces = [_clip_ring(shape, w, south, e, north)]
            else:
                pieces = _runs_inside(shape, w, south, e, north)
            for piece in pieces:
                if len(piece) < 2:
                    continue
                path: list[str] = []
                last = None
                for lon, lat in piece:
                    x, y = project(lat, lon + shift)
                    if last and abs(x - last[0]) < min_px and abs(y - last[1]) < min_px:
                        continue
                    path.append(f"{'M' if not path else 'L'}{x:.1f},{y:.1f}")
                    last = (x, y)
                if len(path) >= 2:
                    parts.append("".join(path) + ("Z" if fill else ""))
    return parts


def _runs_inside(line, west, south, east, north, margin: float = 0.5):
    """The runs of a polyline near the box (the frame's clip path cuts them exactly)."""
    w, s, e, n = west - margin, south - margin, east + margin, north + margin
    runs, run = [], []
    for lon, lat in line:
        if w <= lon <= e and s <= lat <= n:
            run.append((lon, lat))
        elif run:
            run.append((lon, lat))
            runs.append(run)
            run = []
    if run:
        runs.append(run)
    return runs


def map_svg(
    places: list[dict],
    points,
    *,
    pictures: Sequence[dict] = (),
    width: int = 560,
    height: int = 420,
    title: str = "Places, sightings and pictures",
    max_points: int = 2000,
) -> tuple[str, list[dict]]:
    """(SVG, outliers) for the places (square, radius as a dashed circle), sightings with their
    own coordinates (dots) and located pictures (triangles). Outliers: {label, lat, lon, km}."""
    pictures = list(pictures)
    sample = _sample(points)
    extent, outliers = fit_extent(places, [*pictures, *sample])
    if not extent:
        return "", []
    lat0, lon0 = extent["centre"]
    south, north, west, east = extent["south"], extent["north"], extent["west"], extent["east"]
    margin_l, margin_r, top, bottom = 46, 14, 26, 44
    plot_w, plot_h = width - margin_l - margin_r, height - top - bottom
    y_s, y_n = _merc_y(south), _merc_y(north)
    scale = min(plot_w / (east - west), plot_h / (y_n - y_s))
    # Widen the shorter side so the frame fills the figure (same scale both ways).
    extra_lon = (plot_w / scale - (east - west)) / 2
    west, east = west - extra_lon, east + extra_lon
    extra_y = (plot_h / scale - (y_n - y_s)) / 2
    y_s, y_n = y_s - extra_y, y_n + extra_y
    south, north = _merc_lat(y_s), _merc_lat(y_n)
    ox, oy = margin_l, top

    def project(lat: float, lon: float) -> tuple[float, float]:
        return ox + (lon - west) * scale, oy + (y_n - _merc_y(lat)) * scale

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return project(lat, _wrap(lon, lon0))

    frame = f'x="{ox:.1f}" y="{oy:.1f}" width="{plot_w:.1f}" height="{plot_h:.1f}"'
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="{_esc(title)}" class="figure map">',
        f"<title>{_esc(title)}</title>",
        f'<defs><clipPath id="map-frame"><rect {frame}/></clipPath></defs>',
        f'<text x="{ox:.1f}" y="16" font-family="sans-serif" font-size="13" '
        f'font-weight="bold" fill="#1d1d1f">{_esc(title)}</text>',
        f'<rect {frame} fill="{SEA}"/>',
        '<g clip-path="url(#map-frame)">',
    ]
    box = (west, south, east, north)
    land = _shapes(box, project, fill=True)
    if land:
        parts.append(
            f'<path class="land" d="{"".join(land)}" fill="{LAND}" stroke="{COAST}" '
            'stroke-width="0.8" fill-rule="evenodd"/>'
        )
    borders = _shapes(box, project, fill=False)
    if borders:
        parts.append(
            f'<path class="border" d="{"".join(borders)}" fill="none" stroke="#9b6b8a" '
            'stroke-width="0.9" stroke-dasharray="5 2 1 2"/>'
        )
    # Graticule on round degrees.
    step = _nice_degrees(min(north - south, east - west), 4)
    ticks = []
    lat = math.ceil(south / step) * step
    while lat <= north + 1e-9:
        _, y = project(lat, west)
        parts.append(
            f'<line x1="{ox:.1f}" y1="{y:.1f}" x2="{ox + plot_w:.1f}" y2="{y:.1f}" '
            'stroke="#ffffff" stroke-opacity="0.7" stroke-width="0.6"/>'
        )
        ticks.append(
            f'<text x="{ox - 4:.1f}" y="{y + 3:.1f}" text-anchor="end" font-family="sans-serif" '
            f'font-size="9" fill="#5f6368">{_fmt_degree(lat, step, "N", "S")}</text>'
        )
        lat += step
    lon = math.ceil(west / step) * step
    while lon <= east + 1e-9:
        x, _ = project(south, lon)
        parts.append(
            f'<line x1="{x:.1f}" y1="{oy:.1f}" x2="{x:.1f}" y2="{oy + plot_h:.1f}" '
            'stroke="#ffffff" stroke-opacity="0.7" stroke-width="0.6"/>'
        )
        shown = (lon + 180.0) % 360.0 - 180.0
        ticks.append(
            f'<text x="{x:.1f}" y="{oy + plot_h + 12:.1f}" text-anchor="middle" '
            f'font-family="sans-serif" font-size="9" fill="#5f6368">'
            f"{_fmt_degree(shown, step, 'E', 'W')}</text>"
        )
        lon += step
    # What the case holds.
    for place in places:
        if place.get("lat") is None or place.get("lon") is None:
            continue
        x, y = xy(float(place["lat"]), float(place["lon"]))
        radius = float(place.get("radius_m") or 0) / 1000 / EARTH_KM_PER_DEGREE
        r_px = radius * scale / max(math.cos(math.radians(float(place["lat"]))), 0.05)
        if r_px >= 2:
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r_px:.1f}" fill="#8a1c1c" '
                'fill-opacity="0.08" stroke="#8a1c1c" stroke-dasharray="4 3"/>'
            )
    kept_points = [p for p in points if p.get("lat") is not None and not _far(p, outliers)]
    parts += _points(kept_points, xy, max_points)
    for picture in pictures:
        if picture.get("lat") is None or _far(picture, outliers):
            continue
        x, y = xy(float(picture["lat"]), float(picture["lon"]))
        parts.append(
            f'<path d="M{x:.1f},{y - 6:.1f} L{x + 5.5:.1f},{y + 4:.1f} L{x - 5.5:.1f},{y + 4:.1f} Z" '
            f'fill="#d9822b" stroke="#fff" stroke-width="0.8"><title>{_esc(picture.get("label") or "")}'
            "</title></path>"
        )
    for place in places:
        if place.get("lat") is None or place.get("lon") is None:
            continue
        x, y = xy(float(place["lat"]), float(place["lon"]))
        label = place["name"] + (f" ({place['note']})" if place.get("note") else "")
        anchor, dx = ("end", -8) if x > ox + plot_w * 0.6 else ("start", 8)
        parts.append(
            f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="#8a1c1c" '
            f'stroke="#fff" stroke-width="0.8"><title>{_esc(label)}</title></rect>'
            f'<text x="{x + dx:.1f}" y="{y - 6:.1f}" text-anchor="{anchor}" font-family="sans-serif" '
            f'font-size="11" fill="#1d1d1f" paint-order="stroke" stroke="#fff" stroke-width="3">'
            f"{_esc(label)}</text>"
        )
    parts.append("</g>")
    parts.append(f'<rect {frame} fill="none" stroke="#6b7780"/>')
    parts += ticks
    parts.append(_north_arrow(ox + plot_w - 18, oy + 12))
    parts.append(_scale_bar(ox + 8, oy + plot_h - 10, scale, (south + north) / 2))
    parts.append(_inset(ox + 6, oy + 6, (south, north, west, east)))
    parts.append(_legend(ox + plot_w, oy + plot_h + 28, bool(places), bool(kept_points),
                         bool(pictures)))  # fmt: skip
    parts.append(
        f'<text x="{ox:.1f}" y="{height - 4}" font-family="sans-serif" font-size="8.5" '
        f'fill="#6b7780">{_esc(ATTRIBUTION)}</text>'
    )
    parts.append("</svg>")
    return "".join(parts), outliers


def _merc_lat(y: float) -> float:
    return math.degrees(2 * math.atan(math.exp(math.radians(y))) - math.pi / 2)


def _sample(points, limit: int = 5000) -> list[dict]:
    """Up to `limit` located points for fitting the extent (a large case is sampled evenly)."""
    n = len(points)
    if n <= limit:
        return [p for p in points if p.get("lat") is not None]
    stride = n / limit
    return [points[int(i * stride)] for i in range(limit)]


def _far(item: dict, outliers: list[dict]) -> bool:
    return any(
        o.get("lat") == item.get("lat") and o.get("lon") == item.get("lon") for o in outliers
    )


def _north_arrow(x: float, y: float) -> str:
    return (
        f'<g class="north"><path d="M{x:.1f},{y - 8:.1f} L{x + 5:.1f},{y + 6:.1f} '
        f'L{x:.1f},{y + 2:.1f} L{x - 5:.1f},{y + 6:.1f} Z" fill="#1d1d1f"/>'
        f'<text x="{x:.1f}" y="{y + 17:.1f}" text-anchor="middle" font-family="sans-serif" '
        'font-size="9" font-weight="bold" fill="#1d1d1f">N</text></g>'
    )


def _scale_bar(x: float, y: float, scale: float, lat: float) -> str:
    """A bar of a round number of km, true at latitude `lat` (Mercator stretches with latitude)."""
    km_per_px = EARTH_KM_PER_DEGREE * math.cos(math.radians(lat)) / scale
    target = km_per_px * 90
    nice = 1.0
    for candidate in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000):
        if candidate <= target:
            nice = candidate
    length = nice / km_per_px
    label = f"{nice:g} km" if nice >= 1 else f"{nice * 1000:g} m"
    return (
        f'<rect x="{x - 3:.1f}" y="{y - 10:.1f}" width="{length + 46:.1f}" height="15" '
        'fill="#fff" fill-opacity="0.75"/>'
        f'<path d="M{x:.1f},{y - 4:.1f} V{y:.1f} H{x + length:.1f} V{y - 4:.1f}" fill="none" '
        'stroke="#1d1d1f" stroke-width="1.5"/>'
        f'<text x="{x + length + 5:.1f}" y="{y + 1:.1f}" font-family="sans-serif" font-size="10" '
        f'fill="#1d1d1f">{label}</text>'
    )


def _inset(x: float, y: float, extent: tuple, size: float = 104.0) -> str:
    """A locator inset: the region (about 30 degrees across) with the map's frame in red."""
    south, north, west, east = extent
    lat0, lon0 = (south + north) / 2, (west + east) / 2
    half = max(15.0, (north - south) * 3, (east - west) * 3)
    y_c = _merc_y(lat0)
    k = size / (2 * half)
    box = (lon0 - half, _merc_lat(y_c - half), lon0 + half, _merc_lat(y_c + half))

    def project(lat: float, lon: float) -> tuple[float, float]:
        return x + (lon - (lon0 - half)) * k, y + (y_c + half - _merc_y(lat)) * k

    land = _shapes(box, project, fill=True, min_px=0.8)
    borders = _shapes(box, project, fill=False, min_px=0.8)
    x0, y0 = project(north, west)
    x1, y1 = project(south, east)
    w, h = max(x1 - x0, 3), max(y1 - y0, 3)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return (
        f'<g class="inset"><clipPath id="map-inset"><rect x="{x:.1f}" y="{y:.1f}" '
        f'width="{size:.1f}" height="{size:.1f}"/></clipPath>'
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{size:.1f}" height="{size:.1f}" fill="{SEA}" '
        'stroke="#6b7780"/>'
        f'<g clip-path="url(#map-inset)"><path d="{"".join(land)}" fill="{LAND}" '
        f'stroke="{COAST}" stroke-width="0.4"/><path d="{"".join(borders)}" fill="none" '
        'stroke="#9b6b8a" stroke-width="0.5"/>'
        f'<rect x="{cx - w / 2:.1f}" y="{cy - h / 2:.1f}" width="{w:.1f}" height="{h:.1f}" '
        'fill="none" stroke="#c0392b" stroke-width="1.5"/></g></g>'
    )


def world_band_svg(cells: list, step: float, *, width: int = 560, title: str = "") -> str:
    """A world map (equirectangular, 70 S to 80 N) with grid cells drawn over the land: where a
    picture's shadow fits its time (`osint image shadow --record`). Cells are (lat, lon)."""
    south, north = -70.0, 80.0
    height = round(width * (north - south) / 360)

    def project(lat: float, lon: float) -> tuple[float, float]:
        return (lon + 180) / 360 * width, (north - lat) / (north - south) * height

    land = _shapes((-180.0, south, 180.0, north), project, fill=True, min_px=1.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="{_esc(title or "shadow band")}" class="figure band">',
        f'<rect width="{width}" height="{height}" fill="{SEA}"/>',
        f'<path d="{" ".join(land)}" fill="{LAND}"/>',
    ]
    # At least 3 px, so that a narrow band stays visible on a page-wide world map.
    cell_w = max(step / 360 * width, 3.0)
    cell_h = max(step / (north - south) * height, 3.0)
    for lat, lon in cells:
        if not south <= lat <= north:
            continue
        x, y = project(lat + step / 2, lon - step / 2)
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{cell_w:.2f}" height="{cell_h:.2f}" '
            'fill="#b3261e" fill-opacity="0.7"/>'
        )
    parts.append("</svg>")
    return "".join(parts)
