"""Small inline SVG figures for briefs: a locator map and a bar chart. No tiles, no scripts.

Every text that comes from the case is XML-escaped here, so a figure can be placed in a brief
as markup without letting a name become an element or an attribute.
"""

from __future__ import annotations

import math
from html import escape


def _esc(value) -> str:
    return escape(str(value), quote=True)


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
    width: int = 640,
    height: int = 420,
    title: str = "Places and sightings",
) -> str:
    """A locator map: places (with their radius) and observation points, on a lat/lon grid.

    `places`: {name, lat, lon, radius_m}; `points`: {lat, lon, label}. Coordinates are plotted
    in an equirectangular projection scaled by the cosine of the mean latitude.
    """
    located = [
        p for p in [*places, *points] if p.get("lat") is not None and p.get("lon") is not None
    ]
    if not located:
        return ""
    lats = [float(p["lat"]) for p in located]
    lons = [float(p["lon"]) for p in located]
    for place in places:
        if place.get("lat") is None or not place.get("radius_m"):
            continue
        dlat = float(place["radius_m"]) / 111_320
        lats += [float(place["lat"]) - dlat, float(place["lat"]) + dlat]
    south, north, west, east = min(lats), max(lats), min(lons), max(lons)
    pad_lat = max((north - south) * 0.15, 0.01)
    pad_lon = max((east - west) * 0.15, 0.01)
    south, north, west, east = south - pad_lat, north + pad_lat, west - pad_lon, east + pad_lon
    kx = math.cos(math.radians((south + north) / 2))
    margin = 36
    plot_w, plot_h = width - 2 * margin, height - 2 * margin - 18
    scale = min(plot_w / ((east - west) * kx), plot_h / (north - south))
    used_w, used_h = (east - west) * kx * scale, (north - south) * scale
    ox, oy = margin + (plot_w - used_w) / 2, margin + 18 + (plot_h - used_h) / 2

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return ox + (lon - west) * kx * scale, oy + (north - lat) * scale

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="{_esc(title)}" class="figure map">',
        f"<title>{_esc(title)}</title>",
        f'<rect x="{ox:.1f}" y="{oy:.1f}" width="{used_w:.1f}" height="{used_h:.1f}" fill="#eef3f7" stroke="#9aa8b5"/>',
        f'<text x="{margin}" y="{margin}" class="title" font-family="sans-serif" font-size="13" '
        f'font-weight="bold">{_esc(title)}</text>',
    ]
    step = _nice_step(max(north - south, east - west), 4)
    lat = math.ceil(south / step) * step
    while lat <= north:
        _, y = xy(lat, west)
        parts.append(
            f'<line x1="{ox:.1f}" y1="{y:.1f}" x2="{ox + used_w:.1f}" y2="{y:.1f}" stroke="#d5dde5"/>'
        )
        parts.append(
            f'<text x="{ox - 4:.1f}" y="{y + 3:.1f}" text-anchor="end" font-family="sans-serif" '
            f'font-size="9" fill="#5f6368">{lat:.{_decimals(step)}f}°</text>'
        )
        lat += step
    lon = math.ceil(west / step) * step
    while lon <= east:
        x, _ = xy(south, lon)
        parts.append(
            f'<line x1="{x:.1f}" y1="{oy:.1f}" x2="{x:.1f}" y2="{oy + used_h:.1f}" stroke="#d5dde5"/>'
        )
        parts.append(
            f'<text x="{x:.1f}" y="{oy + used_h + 12:.1f}" text-anchor="middle" font-family="sans-serif" '
            f'font-size="9" fill="#5f6368">{lon:.{_decimals(step)}f}°</text>'
        )
        lon += step
    for place in places:
        if place.get("lat") is None:
            continue
        x, y = xy(float(place["lat"]), float(place["lon"]))
        radius = float(place.get("radius_m") or 0) / 111_320 * scale
        if radius >= 2:
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" fill="#8a1c1c" fill-opacity="0.10" '
                f'stroke="#8a1c1c" stroke-dasharray="3 2"/>'
            )
        parts.append(f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="#8a1c1c"/>')
        parts.append(
            f'<text x="{x + 8:.1f}" y="{y - 6:.1f}" font-family="sans-serif" font-size="11" '
            f'font-weight="bold" fill="#1d1d1f">{_esc(place.get("name", ""))}</text>'
        )
    for point in points:
        if point.get("lat") is None:
            continue
        x, y = xy(float(point["lat"]), float(point["lon"]))
        label = _esc(point.get("label") or "")
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#1f5f99" fill-opacity="0.75">'
            f"<title>{label}</title></circle>"
        )
    parts.append(_scale_bar(ox, oy + used_h + 24, scale))
    parts.append("</svg>")
    return "".join(parts)


def _decimals(step: float) -> int:
    return max(0, -math.floor(math.log10(step))) if step < 1 else 0


def _scale_bar(x: float, y: float, scale: float) -> str:
    km_per_px = 111.32 / scale  # `scale` is pixels per degree of latitude, about 111.32 km
    target_km = _nice_step(km_per_px * 120, 1)
    length = target_km / km_per_px
    return (
        f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{x + length:.1f}" y2="{y:.1f}" stroke="#1d1d1f" stroke-width="2"/>'
        f'<text x="{x + length + 6:.1f}" y="{y + 4:.1f}" font-family="sans-serif" font-size="10">'
        f"{target_km:g} km</text>"
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
    """Vertical bars with their values; `reference` draws a labelled horizontal line (a cap)."""
    if not series:
        return ""
    margin_left, margin_right, margin_top, margin_bottom = 44, 12, 30, 36
    plot_w = width - margin_left - margin_right
    plot_h = height - margin_top - margin_bottom
    top = max([v for _, v in series] + ([reference[0]] if reference else []) + [1])
    step = _nice_step(top, 4)
    top = math.ceil(top / step) * step
    bar_w = plot_w / len(series)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="{_esc(title)}" class="figure chart">',
        f"<title>{_esc(title)}</title>",
        f'<text x="{margin_left}" y="16" font-family="sans-serif" font-size="13" font-weight="bold">{_esc(title)}</text>',
    ]
    tick = 0.0
    while tick <= top + 1e-9:
        y = margin_top + plot_h - tick / top * plot_h
        parts.append(
            f'<line x1="{margin_left}" y1="{y:.1f}" x2="{width - margin_right}" y2="{y:.1f}" stroke="#e3e3e8"/>'
            f'<text x="{margin_left - 6}" y="{y + 3:.1f}" text-anchor="end" font-family="sans-serif" '
            f'font-size="9" fill="#5f6368">{tick:,.0f}</text>'
        )
        tick += step
    for i, (label, value) in enumerate(series):
        h = value / top * plot_h
        x = margin_left + i * bar_w + bar_w * 0.15
        y = margin_top + plot_h - h
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w * 0.7:.1f}" height="{h:.1f}" fill="#8a1c1c">'
            f"<title>{_esc(label)}: {value:,.0f}{_esc(unit)}</title></rect>"
        )
        if value:
            parts.append(
                f'<text x="{x + bar_w * 0.35:.1f}" y="{y - 3:.1f}" text-anchor="middle" font-family="sans-serif" '
                f'font-size="10">{value:,.0f}</text>'
            )
        parts.append(
            f'<text x="{x + bar_w * 0.35:.1f}" y="{margin_top + plot_h + 14:.1f}" text-anchor="middle" '
            f'font-family="sans-serif" font-size="10" fill="#333">{_esc(label)}</text>'
        )
    if reference:
        value, label = reference
        y = margin_top + plot_h - value / top * plot_h
        parts.append(
            f'<line x1="{margin_left}" y1="{y:.1f}" x2="{width - margin_right}" y2="{y:.1f}" stroke="#1f5f99" '
            f'stroke-width="1.5" stroke-dasharray="5 3"/>'
            f'<text x="{width - margin_right}" y="{y - 4:.1f}" text-anchor="end" font-family="sans-serif" '
            f'font-size="10" fill="#1f5f99">{_esc(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
