"""The georeference of a GeoTIFF scene: its corners and centre in WGS 84 latitude and longitude.

Read from the GeoTIFF tags (ModelTiepoint + ModelPixelScale, or ModelTransformation, and the
GeoKeyDirectory naming the coordinate reference system). Scenes in geographic coordinates, Web
Mercator and UTM (WGS 84 / NAD83 zones) are converted to latitude and longitude here; any other
system is recorded by its EPSG code with the scene's extent left unconverted.
"""

from __future__ import annotations

import math

TAG_PIXEL_SCALE = 33550
TAG_TIEPOINT = 33922
TAG_TRANSFORMATION = 34264
TAG_GEOKEYS = 34735

_MODEL_TYPE = 1024
_RASTER_TYPE = 1025
_GEOGRAPHIC_TYPE = 2048
_PROJECTED_TYPE = 3072
_PROJECTION = 3074  # user-defined projected systems name their projection here
_USER_DEFINED = 32767
_WEB_MERCATOR = {3857, 900913, 3785, 102100, 102113}

_A = 6378137.0
_F = 1 / 298.257223563


def geokeys(directory) -> dict[int, int]:
    """GeoKey id -> short value (keys stored in the double/ascii tags are left out)."""
    values = [int(v) for v in directory or ()]
    if len(values) < 4:
        return {}
    count = values[3]
    keys = {}
    for index in range(count):
        entry = values[4 + 4 * index : 8 + 4 * index]
        if len(entry) < 4:
            break
        key, location, _, value = entry
        if location == 0:
            keys[key] = value
    return keys


def _affine(tags: dict):
    """(function (col, row) -> (x, y)) from the model tags, or None."""
    transform = tags.get(TAG_TRANSFORMATION)
    if transform and len(transform) >= 8:
        a, b, _, d, e, f, _, h = (float(v) for v in transform[:8])
        return lambda i, j: (a * i + b * j + d, e * i + f * j + h)
    tie = tags.get(TAG_TIEPOINT)
    scale = tags.get(TAG_PIXEL_SCALE)
    if tie and scale and len(tie) >= 6 and len(scale) >= 2:
        ti, tj, _, tx, ty, _ = (float(v) for v in tie[:6])
        sx, sy = float(scale[0]), float(scale[1])
        if sx == 0 or sy == 0:
            return None
        return lambda i, j: (tx + (i - ti) * sx, ty - (j - tj) * sy)
    return None


def _web_mercator(x: float, y: float) -> tuple[float, float]:
    lon = math.degrees(x / _A)
    lat = math.degrees(2 * math.atan(math.exp(y / _A)) - math.pi / 2)
    return lat, lon


def _utm(zone: int, south: bool):
    """Inverse transverse Mercator (Krüger series, mm accuracy within a zone)."""
    n = _F / (2 - _F)
    big_a = _A / (1 + n) * (1 + n**2 / 4 + n**4 / 64)
    beta = (n / 2 - 2 * n**2 / 3 + 37 * n**3 / 96, n**2 / 48 + n**3 / 15, 17 * n**3 / 480)
    delta = (2 * n - 2 * n**2 / 3 - 2 * n**3, 7 * n**2 / 3 - 8 * n**3 / 5, 56 * n**3 / 15)
    lon0 = math.radians(zone * 6 - 183)
    k0, false_north = 0.9996, 10_000_000.0 if south else 0.0

    def convert(x: float, y: float) -> tuple[float, float]:
        xi = (y - false_north) / (k0 * big_a)
        eta = (x - 500_000.0) / (k0 * big_a)
        xi_p = xi - sum(
            b * math.sin(2 * j * xi) * math.cosh(2 * j * eta) for j, b in enumerate(beta, 1)
        )
        eta_p = eta - sum(
            b * math.cos(2 * j * xi) * math.sinh(2 * j * eta) for j, b in enumerate(beta, 1)
        )
        chi = math.asin(max(-1.0, min(1.0, math.sin(xi_p) / math.cosh(eta_p))))
        lat = chi + sum(d * math.sin(2 * j * chi) for j, d in enumerate(delta, 1))
        lon = lon0 + math.atan2(math.sinh(eta_p), math.cos(xi_p))
        return math.degrees(lat), math.degrees(lon)

    return convert


def _to_latlon(keys: dict[int, int]):
    """(crs label, converter (x, y) -> (lat, lon) or None)."""
    projected = keys.get(_PROJECTED_TYPE)
    geographic = keys.get(_GEOGRAPHIC_TYPE)
    model = keys.get(_MODEL_TYPE)
    if projected and projected != _USER_DEFINED:
        crs = f"EPSG:{projected}"
        if projected in _WEB_MERCATOR:
            return crs, _web_mercator
        if 32601 <= projected <= 32660:
            return crs, _utm(projected - 32600, False)
        if 32701 <= projected <= 32760:
            return crs, _utm(projected - 32700, True)
        if 26901 <= projected <= 26923:  # NAD83 / UTM north (GRS 80: within centimetres)
            return crs, _utm(projected - 26900, False)
        if projected in (4326, 4269, 4258, 4283, 4617, 4612):
            return crs, lambda x, y: (y, x)
        return crs, None
    if model == 2 or (geographic and not projected):
        code = geographic if geographic and geographic != _USER_DEFINED else None
        return (f"EPSG:{code}" if code else "geographic"), lambda x, y: (y, x)
    projection = keys.get(_PROJECTION)
    if projection and 16001 <= projection <= 16060:  # UTM zone N north (datum assumed WGS 84)
        return f"UTM zone {projection - 16000}N", _utm(projection - 16000, False)
    if projection and 16101 <= projection <= 16160:
        return f"UTM zone {projection - 16100}S", _utm(projection - 16100, True)
    if projected == _USER_DEFINED or model == 1:
        return "user-defined projection", None
    return None, None


def georeference(tags: dict, width: int, height: int) -> tuple[dict, list[str]]:
    """Scene bounds and centre from a TIFF's tags ({} when it carries no georeference)."""
    affine = _affine(tags)
    if affine is None or not width or not height:
        return {}, []
    keys = geokeys(tags.get(TAG_GEOKEYS))
    crs, convert = _to_latlon(keys)
    out: dict = {"geo_crs": crs or "unknown"}
    # PixelIsPoint: the tie point is a pixel's centre, so the scene's edges lie half a pixel out.
    shift = -0.5 if keys.get(_RASTER_TYPE) == 2 else 0.0
    corners = [(i + shift, j + shift) for i in (0, width) for j in (0, height)]
    centre = (width / 2 + shift, height / 2 + shift)
    if convert is None:
        return out, [f"georeference in {crs or 'an unknown system'}: not converted to lat/lon"]
    try:
        points = [convert(*affine(i, j)) for i, j in corners]
        mid = convert(*affine(*centre))
    except (ValueError, OverflowError, ZeroDivisionError):
        return out, ["georeference could not be converted to lat/lon"]
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    if not all(math.isfinite(v) for v in (*lats, *lons, *mid)) or (
        max(abs(v) for v in lats) > 90.0001 or max(abs(v) for v in lons) > 360
    ):
        return out, ["georeference gives coordinates out of range: ignored"]
    out.update(
        {
            "geo_south": round(min(lats), 7),
            "geo_north": round(max(lats), 7),
            "geo_west": round(min(lons), 7),
            "geo_east": round(max(lons), 7),
            "geo_centre_lat": round(mid[0], 7),
            "geo_centre_lon": round(mid[1], 7),
        }
    )
    return out, []
