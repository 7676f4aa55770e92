"""Small inline SVG figures for briefs: a locator map and a bar chart. No tiles, no scripts.

Every text that comes from the case is XML-escaped here, so a figure can be placed in a brief
as markup without letting a name become an element or an attribute.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape


def _esc(value) -> str:
    from osint.briefs.render import neutralise

    return escape(neutralise(str(value)), quote=True)


def _nice_step(span: float, target: int = 5) -> float:
    raw = span / max(target, 1)
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def map_svg(
    places: list[dict],
    points: list[dict],
    *,
    pictures: Sequence[dict] = (),
    width: int = 640,
    height: int = 420,
    title: str = "Places and sightings",
    max_points: int = 2000,
    labels: tuple[str, str] = ("sighting", "picture"),
) -> str:
    """A locator map: places (with their radius), observation points and pictures, on a
    latitude/longitude grid (no basemap: nothing is fetched).

    `places`: {name, lat, lon, radius_m, note}; `points`: {lat, lon, label}; `pictures`:
    {lat, lon, label}. Coordinates are plotted in an equirectangular projection scaled by the
    cosine of the mean latitude. Beyond `max_points` points, they are counted in cells of a few
    pixels and each cell is drawn once, sized by its count, so the figure stays small.
    """
    pictures = list(pictures)
    # `points` may be long (a sequence read twice, never copied): its extent is taken in a loop.
    lats: list[float] = []
    lons: list[float] = []
    for p in [*places, *pictures, *_extent(points)]:
        if p.get("lat") is not None and p.get("lon") is not None:
            lats.append(float(p["lat"]))
            lons.append(float(p["lon"]))
    if not lats:
        return ""
    for place in places:
        if place.get("lat") is None or not place.get("radius_m"):
            continue
        dlat = float(place["radius_m"]) / 111_320
        dlon = dlat / max(math.cos(math.radians(float(place["lat"]))), 0.01)
        lats += [float(place["lat"]) - dlat, float(place["lat"]) + dlat]
        lons += [float(place["lon"]) - dlon, float(place["lon"]) + dlon]
    south, north, west, east = min(lats), max(lats), min(lons), max(lons)
    pad_lat = max((north - south) * 0.15, 0.01)
    pad_lon = max((east - west) * 0.15, 0.01)
    south, north = max(south - pad_lat, -90.0), min(north + pad_lat, 90.0)
    west, east = west - pad_lon, east + pad_lon
    kx = max(math.cos(math.radians((south + north) / 2)), 0.05)
    margin, top_band, bottom_band = 40, 22, 30
    plot_w, plot_h = width - 2 * margin, height - margin - top_band - bottom_band
    scale = min(plot_w / ((east - west) * kx), plot_h / (north - south))
    # Widen the shorter side so the frame fills the figure (same scale both ways).
    extra_lon = (plot_w / (kx * scale) - (east - west)) / 2
    extra_lat = (plot_h / scale - (north - south)) / 2
    west, east = west - extra_lon, east + extra_lon
    south, north = max(south - extra_lat, -90.0), min(north + extra_lat, 90.0)
    used_w, used_h = (east - west) * kx * scale, (north - south) * scale
    ox, oy = margin + (plot_w - used_w) / 2, top_band + 10 + (plot_h - used_h) / 2

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return ox + (lon - west) * kx * scale, oy + (north - lat) * scale

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="{_esc(title)}" class="figure map">',
        f"<title>{_esc(title)}</title>",
        f'<rect x="{ox:.1f}" y="{oy:.1f}" width="{used_w:.1f}" height="{used_h:.1f}" '
        'fill="#eef3f7" stroke="#9aa8b5"/>',
        f'<text x="{ox:.1f}" y="16" font-family="sans-serif" font-size="13" '
        f'font-weight="bold" fill="#1d1d1f">{_esc(title)}</text>',
    ]
    step = _nice_step(max(north - south, (east - west) * kx), 4)
    lat = math.ceil(south / step) * step
    while lat <= north:
        _, y = xy(lat, west)
        parts.append(
            f'<line x1="{ox:.1f}" y1="{y:.1f}" x2="{ox + used_w:.1f}" y2="{y:.1f}" stroke="#d5dde5"/>'
            f'<text x="{ox - 4:.1f}" y="{y + 3:.1f}" text-anchor="end" font-family="sans-serif" '
            f'font-size="9" fill="#5f6368">{_degrees(lat, step, "N", "S")}</text>'
        )
        lat += step
    lon_step = _nice_step(east - west, 4)
    lon = math.ceil(west / lon_step) * lon_step
    while lon <= east:
        x, _ = xy(south, lon)
        parts.append(
            f'<line x1="{x:.1f}" y1="{oy:.1f}" x2="{x:.1f}" y2="{oy + used_h:.1f}" stroke="#d5dde5"/>'
            f'<text x="{x:.1f}" y="{oy + used_h + 12:.1f}" text-anchor="middle" '
            f'font-family="sans-serif" font-size="9" fill="#5f6368">'
            f"{_degrees(lon, lon_step, 'E', 'W')}</text>"
        )
        lon += lon_step
    for place in places:
        if place.get("lat") is None or place.get("lon") is None:
            continue
        x, y = xy(float(place["lat"]), float(place["lon"]))
        radius = float(place.get("radius_m") or 0) / 111_320 * scale
        if radius >= 2:
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" fill="#8a1c1c" '
                'fill-opacity="0.08" stroke="#8a1c1c" stroke-dasharray="4 3"/>'
            )
        parts.append(
            f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="#8a1c1c">'
            f"<title>{_esc(place.get('name', ''))}</title></rect>"
        )
        anchor = "start" if x < ox + used_w * 0.6 else "end"
        tx = x + 9 if anchor == "start" else x - 9
        parts.append(
            f'<text x="{tx:.1f}" y="{y - 7:.1f}" text-anchor="{anchor}" font-family="sans-serif" '
            f'font-size="11" font-weight="bold" fill="#1d1d1f">{_esc(place.get("name", ""))}</text>'
        )
        if place.get("note"):
            parts.append(
                f'<text x="{tx:.1f}" y="{y + 14:.1f}" text-anchor="{anchor}" '
                f'font-family="sans-serif" font-size="10" fill="#5f6368">'
                f"{_esc(place['note'])}</text>"
            )
    parts += _points(points, xy, max_points)
    for picture in pictures:
        if picture.get("lat") is None or picture.get("lon") is None:
            continue
        x, y = xy(float(picture["lat"]), float(picture["lon"]))
        parts.append(
            f'<path d="M{x:.1f},{y - 5:.1f} L{x + 4.5:.1f},{y + 3.5:.1f} L{x - 4.5:.1f},{y + 3.5:.1f} Z" '
            f'fill="#d9822b" stroke="#fff" stroke-width="0.8">'
            f"<title>{_esc(picture.get('label') or '')}</title></path>"
        )
    parts.append(_scale_bar(ox, height - 12, scale))
    parts.append(
        _legend(width - margin, height - 12, bool(places), bool(points), bool(pictures), labels)
    )
    parts.append("</svg>")
    return "".join(parts)


def _extent(points) -> list[dict]:
    """The corners of the points' bounding box (at most two dicts), read in one pass."""
    south: float | None = None
    north = west = east = 0.0
    for p in points:
        if p.get("lat") is None or p.get("lon") is None:
            continue
        lat, lon = float(p["lat"]), float(p["lon"])
        if south is None:
            south = north = lat
            west = east = lon
        else:
            south, north = min(south, lat), max(north, lat)
            west, east = min(west, lon), max(east, lon)
    if south is None:
        return []
    return [{"lat": south, "lon": west}, {"lat": north, "lon": east}]


def _degrees(value: float, step: float, positive: str, negative: str) -> str:
    hemisphere = positive if value >= 0 else negative
    return f"{abs(value):.{_decimals(step)}f}°{hemisphere}"


def _points(points, xy, max_points: int) -> list[str]:
    def located():
        return (p for p in points if p.get("lat") is not None and p.get("lon") is not None)

    if sum(1 for _ in located()) <= max_points:
        return [
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#1f5f99" fill-opacity="0.75">'
            f"<title>{_esc(p.get('label') or '')}</title></circle>"
            for p in located()
            for x, y in [xy(float(p["lat"]), float(p["lon"]))]
        ]
    cell = 6
    cells: dict[tuple[int, int], int] = {}
    for p in located():
        x, y = xy(float(p["lat"]), float(p["lon"]))
        key = (int(x // cell), int(y // cell))
        cells[key] = cells.get(key, 0) + 1
    out = []
    for (cx, cy), n in sorted(cells.items()):
        r = min(2.5 + math.sqrt(n) * 0.6, cell * 1.5)
        out.append(
            f'<circle cx="{cx * cell + cell / 2:.1f}" cy="{cy * cell + cell / 2:.1f}" r="{r:.1f}" '
            f'fill="#1f5f99" fill-opacity="0.6"><title>{n:,} sightings</title></circle>'
        )
    return out


def _legend(
    right: float,
    y: float,
    places: bool,
    points: bool,
    pictures: bool,
    labels: tuple[str, str] = ("sighting", "picture"),
) -> str:
    items = []
    if places:
        items.append(('<rect x="{x}" y="{y0}" width="8" height="8" fill="#8a1c1c"/>', "place"))
    if points:
        items.append(('<circle cx="{cx}" cy="{cy}" r="3.5" fill="#1f5f99"/>', labels[0]))
    if pictures:
        items.append(('<path d="M{cx},{ty} L{rx},{by} L{lx},{by} Z" fill="#d9822b"/>', labels[1]))
    out, x = [], right
    for shape, label in reversed(items):
        text_w = len(label) * 5.6
        x -= text_w
        out.append(
            f'<text x="{x:.1f}" y="{y + 3:.1f}" font-family="sans-serif" font-size="10" '
            f'fill="#333">{label}</text>'
        )
        x -= 13
        out.append(
            shape.format(
                x=f"{x:.1f}",
                y0=f"{y - 4:.1f}",
                cx=f"{x + 4:.1f}",
                cy=f"{y:.1f}",
                ty=f"{y - 4.5:.1f}",
                by=f"{y + 4:.1f}",
                rx=f"{x + 8.5:.1f}",
                lx=f"{x - 0.5:.1f}",
            )  # fmt: skip
        )
        x -= 14
    return "".join(out)


def _decimals(step: float) -> int:
    return max(0, -math.floor(math.log10(step))) if step < 1 else 0


def _scale_bar(x: float, y: float, scale: float) -> str:
    km_per_px = 111.32 / scale  # `scale` is pixels per degree of latitude, about 111.32 km
    target_km = _nice_step(km_per_px * 100, 1)
    length = target_km / km_per_px
    label = f"{target_km:g} km" if target_km >= 1 else f"{target_km * 1000:g} m"
    return (
        f'<path d="M{x:.1f},{y - 4:.1f} V{y:.1f} H{x + length:.1f} V{y - 4:.1f}" fill="none" '
        'stroke="#1d1d1f" stroke-width="1.5"/>'
        f'<text x="{x + length + 6:.1f}" y="{y + 1:.1f}" font-family="sans-serif" font-size="10" '
        f'fill="#333">{label}</text>'
    )


def bar_chart_svg(
    series: list[tuple[str, float]],
    *,
    width: int = 640,
    height: int = 240,
    title: str = "",
    unit: str = "",
    reference: tuple[float, str] | None = None,
) -> str:
    """Vertical bars with their values; `reference` draws a labelled horizontal line (a cap).

    Labels may hold a second line after a newline (a month's year under the month). Labels of
    "YYYY-MM" months are written "Mar" with the year under the first month and each January.
    """
    if not series:
        return ""
    labels = _month_labels([label for label, _ in series])
    margin_left, margin_right, margin_top, margin_bottom = 44, 12, 34, 40
    plot_w = width - margin_left - margin_right
    plot_h = height - margin_top - margin_bottom
    top = max([v for _, v in series] + ([reference[0]] if reference else []) + [1])
    step = _nice_step(top, 4)
    if step < 1 and all(float(v).is_integer() for _, v in series):
        step = 1
    top = math.ceil(top / step) * step
    bar_w = plot_w / len(series)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="{_esc(title)}" class="figure chart">',
        f"<title>{_esc(title)}</title>",
        f'<text x="{margin_left}" y="16" font-family="sans-serif" font-size="13" '
        f'font-weight="bold" fill="#1d1d1f">{_esc(title)}</text>',
    ]
    tick = 0.0
    while tick <= top + 1e-9:
        y = margin_top + plot_h - tick / top * plot_h
        parts.append(
            f'<line x1="{margin_left}" y1="{y:.1f}" x2="{width - margin_right}" y2="{y:.1f}" '
            f'stroke="{"#1d1d1f" if tick == 0 else "#e3e3e8"}"/>'
            f'<text x="{margin_left - 6}" y="{y + 3:.1f}" text-anchor="end" font-family="sans-serif" '
            f'font-size="9" fill="#5f6368">{tick:,.0f}</text>'
        )
        tick += step
    show_values = bar_w >= 14
    for i, ((_, value), label) in enumerate(zip(series, labels, strict=True)):
        h = value / top * plot_h
        x = margin_left + i * bar_w + bar_w * 0.15
        y = margin_top + plot_h - h
        centre = x + bar_w * 0.35
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w * 0.7:.1f}" height="{h:.1f}" fill="#8a1c1c">'
            f"<title>{_esc(label.replace(chr(10), ' '))}: {value:,.0f}"
            f"{_esc(unit[:-1] if value == 1 and unit.endswith('s') else unit)}</title></rect>"
        )
        if value and show_values:
            parts.append(
                f'<text x="{centre:.1f}" y="{y - 3:.1f}" text-anchor="middle" '
                f'font-family="sans-serif" font-size="10" fill="#1d1d1f">{value:,.0f}</text>'
            )
        if bar_w >= 18 or i % max(1, int(18 // bar_w) + 1) == 0:
            first, _, second = label.partition("\n")
            parts.append(
                f'<text x="{centre:.1f}" y="{margin_top + plot_h + 14:.1f}" text-anchor="middle" '
                f'font-family="sans-serif" font-size="10" fill="#333">{_esc(first)}'
                + (
                    f'<tspan x="{centre:.1f}" dy="12" fill="#5f6368">{_esc(second)}</tspan>'
                    if second
                    else ""
                )
                + "</text>"
            )
    if reference:
        value, label = reference
        y = margin_top + plot_h - value / top * plot_h
        parts.append(
            f'<line x1="{margin_left}" y1="{y:.1f}" x2="{width - margin_right}" y2="{y:.1f}" '
            'stroke="#1f5f99" stroke-width="1.5" stroke-dasharray="5 3"/>'
            f'<text x="{width - margin_right}" y="{y - 4:.1f}" text-anchor="end" '
            f'font-family="sans-serif" font-size="10" fill="#1f5f99">{_esc(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _month_labels(labels: list[str]) -> list[str]:
    import re

    if not labels or not all(re.fullmatch(r"\d{4}-\d{2}", str(label)) for label in labels):
        return [str(label) for label in labels]
    out = []
    for i, label in enumerate(labels):
        year, month = label[:4], int(label[5:7])
        name = _MONTHS[month - 1] if 1 <= month <= 12 else label
        out.append(f"{name}\n{year}" if i == 0 or month == 1 else name)
    return out


def cumulative_chart_svg(
    steps: list[tuple[str, float]],
    *,
    cap: float | None = None,
    cap_label: str = "",
    width: int = 560,
    height: int = 280,
    title: str = "",
    unit: str = "barrels",
) -> str:
    """A step line of a running total over time (`steps`: (ISO date or time, total so far), in
    time order) against a horizontal `cap` line; months marked on the time axis."""
    from datetime import UTC, datetime

    if not steps:
        return ""

    def day(value: str) -> float:
        text = str(value)[:10]
        return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() / 86400

    times = [day(when) for when, _ in steps]
    first = datetime.fromtimestamp(min(times) * 86400, UTC).replace(day=1)
    last_day = max(times)
    start = first.timestamp() / 86400
    end_dt = datetime.fromtimestamp(last_day * 86400, UTC)
    end_month = datetime(end_dt.year + (end_dt.month == 12), end_dt.month % 12 + 1, 1, tzinfo=UTC)
    end = end_month.timestamp() / 86400
    margin_left, margin_right, margin_top, margin_bottom = 62, 16, 34, 40
    plot_w = width - margin_left - margin_right
    plot_h = height - margin_top - margin_bottom
    top = max([v for _, v in steps] + ([cap] if cap else []) + [1]) * 1.08
    step = _nice_step(top, 4)
    top = math.ceil(top / step) * step

    def x_of(t: float) -> float:
        return margin_left + (t - start) / max(end - start, 1) * plot_w

    def y_of(v: float) -> float:
        return margin_top + plot_h - v / top * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="{_esc(title)}" class="figure chart cumulative">',
        f"<title>{_esc(title)}</title>",
        f'<text x="{margin_left}" y="16" font-family="sans-serif" font-size="13" '
        f'font-weight="bold" fill="#1d1d1f">{_esc(title)}</text>',
    ]
    tick = 0.0
    while tick <= top + 1e-9:
        y = y_of(tick)
        parts.append(
            f'<line x1="{margin_left}" y1="{y:.1f}" x2="{width - margin_right}" y2="{y:.1f}" '
            f'stroke="{"#1d1d1f" if tick == 0 else "#e3e3e8"}"/>'
            f'<text x="{margin_left - 6}" y="{y + 3:.1f}" text-anchor="end" font-family="sans-serif" '
            f'font-size="9" fill="#5f6368">{tick:,.0f}</text>'
        )
        tick += step
    month = first
    index = 0
    while month.timestamp() / 86400 < end:
        x = x_of(month.timestamp() / 86400)
        label = _MONTHS[month.month - 1]
        parts.append(
            f'<line x1="{x:.1f}" y1="{margin_top + plot_h:.1f}" x2="{x:.1f}" '
            f'y2="{margin_top + plot_h + 4:.1f}" stroke="#1d1d1f"/>'
            f'<text x="{x + 3:.1f}" y="{margin_top + plot_h + 14:.1f}" font-family="sans-serif" '
            f'font-size="10" fill="#333">{label}'
            + (
                f'<tspan x="{x + 3:.1f}" dy="12" fill="#5f6368">{month.year}</tspan>'
                if index == 0 or month.month == 1
                else ""
            )
            + "</text>"
        )
        month = datetime(month.year + (month.month == 12), month.month % 12 + 1, 1, tzinfo=UTC)
        index += 1
    path = [f"M{x_of(start):.1f},{y_of(0):.1f}"]
    for t, (_, value) in zip(times, steps, strict=True):
        path.append(f"H{x_of(t):.1f}V{y_of(value):.1f}")
    path.append(f"H{x_of(last_day):.1f}")
    parts.append(
        f'<path class="total" d="{"".join(path)}" fill="none" stroke="#8a1c1c" stroke-width="2"/>'
    )
    final = steps[-1][1]
    parts.append(
        f'<circle cx="{x_of(last_day):.1f}" cy="{y_of(final):.1f}" r="3" fill="#8a1c1c"/>'
        f'<text x="{x_of(last_day) - 4:.1f}" y="{y_of(final) - 7:.1f}" text-anchor="end" '
        f'font-family="sans-serif" font-size="10" font-weight="bold" fill="#8a1c1c">'
        f"{final:,.0f} {_esc(unit)}</text>"
    )
    if cap:
        y = y_of(cap)
        parts.append(
            f'<line class="cap" x1="{margin_left}" y1="{y:.1f}" x2="{width - margin_right}" '
            f'y2="{y:.1f}" stroke="#1f5f99" stroke-width="1.5" stroke-dasharray="5 3"/>'
            f'<text x="{margin_left + 6}" y="{y - 4:.1f}" font-family="sans-serif" font-size="10" '
            f'fill="#1f5f99">{_esc(cap_label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
