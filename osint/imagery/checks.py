"""`osint image check`: is a picture's claimed time and place consistent with everything else?

Each check answers pass, fail or unknown, with the figures it used, so that a reader can weigh
it: the picture's GPS position against the places of the sightings it shows, its time against
theirs, daylight at that time and place, a georeferenced scene's footprint against the place,
the camera clock against the GPS clock, and near-identical pictures already in the case with an
earlier date (the picture may have been published before). `--record` keeps the result as an
`image-check` record derived from the image.
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from osint.case import records
from osint.imagery import similar, sun

if TYPE_CHECKING:
    from osint.case.handle import Case

PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"
DEFAULT_RADIUS_KM = 5.0
DEFAULT_WINDOW_H = 2.0
# At most this many of 64 perceptual-hash bits apart: almost surely the same picture re-encoded,
# resized or lightly edited (`image similar` lists looser matches).
DUPLICATE_BITS = 3
# Times of day are sampled each minute: a claimed time up to a minute outside a window fits.
_MINUTE = timedelta(minutes=1)
_LOCATION_BASIS = {
    "given": "position given at import",
    "exif-gps": "EXIF GPS",
    "geotiff-centre": "the scene's centre",
}
_OFFSET_AT_END = re.compile(r"T.*?(Z|[+-]\d\d(?::?\d\d)?)$", re.IGNORECASE)


def _moment(text: str | None) -> datetime | None:
    if not text or "T" not in text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    from osint.maritime.geo import haversine_m

    return haversine_m(lat1, lon1, lat2, lon2) / 1000


def _sightings(conn: sqlite3.Connection, image_id: str) -> list[dict]:
    """Sightings that show the image, with their place's position and radius when they have one."""
    try:
        rows = conn.execute(
            "SELECT s.id, s.seen_at, s.lat, s.lon, p.name AS place_name, p.lat AS place_lat, "
            "p.lon AS place_lon, p.radius_m FROM sightings s LEFT JOIN places p ON p.id = s.place "
            "WHERE s.image = ? AND s.retracted_at IS NULL ORDER BY s.seen_at, s.id",
            (image_id,),
        ).fetchall()
    except sqlite3.OperationalError:  # no maritime tables
        return []
    return [dict(r) for r in rows]


def check_image(
    conn: sqlite3.Connection,
    ref: str,
    *,
    radius_km: float = DEFAULT_RADIUS_KM,
    window_h: float = DEFAULT_WINDOW_H,
    duplicate_bits: int = DUPLICATE_BITS,
) -> dict[str, Any]:
    """Every consistency check for one image: {"image", "checks": [{check, result, detail}],
    "summary": {pass, fail, unknown}, "parameters"}."""
    _, image = records.resolve(conn, ref, ["image"])
    checks: list[dict] = []

    def add(name: str, result: str, detail: str, **figures) -> None:
        checks.append({"check": name, "result": result, "detail": detail, **figures})

    taken = _moment(image.get("taken"))
    lat, lon = image.get("lat"), image.get("lon")
    shown = _sightings(conn, image["id"])
    basis = image.get("taken_basis") or ""

    # 1. Where the picture says it was, against the places of the sightings it shows.
    places = [s for s in shown if s.get("place_lat") is not None or s.get("lat") is not None]
    # The file's own GPS position when it has one (even where `image add --at` gave another).
    if image.get("gps_lat") is not None and image.get("gps_lon") is not None:
        here, said = (image["gps_lat"], image["gps_lon"]), "EXIF GPS"
    else:
        here = (lat, lon)
        said = _LOCATION_BASIS.get(image.get("location_basis") or "", "the picture's position")
    if here[0] is None or here[1] is None:
        add("position vs sightings", UNKNOWN, "the picture holds no position")
    elif not places:
        add("position vs sightings", UNKNOWN, "no sighting with a place shows this picture")
    else:
        worst = None
        for s in places:
            plat = s["place_lat"] if s.get("place_lat") is not None else s["lat"]
            plon = s["place_lon"] if s.get("place_lon") is not None else s["lon"]
            allowed = max(radius_km, (s.get("radius_m") or 0) / 1000)
            km = _km(here[0], here[1], plat, plon)
            if worst is None or km - allowed > worst[0] - worst[1]:
                worst = (km, allowed, s.get("place_name") or f"{plat:.4f},{plon:.4f}")
        assert worst is not None
        km, allowed, name = worst
        add(
            "position vs sightings",
            PASS if km <= allowed else FAIL,
            f"{said}: {km:,.1f} km from {name} (allowed {allowed:,.1f} km)",
            distance_km=round(km, 3),
        )

    # 2. When the picture says it was taken, against the sightings' times.
    times: list[tuple[dict, datetime]] = []
    for s in shown:
        seen = _moment(s.get("seen_at"))
        if seen is not None:
            times.append((s, seen))
    if taken is None:
        add("time vs sightings", UNKNOWN, "the picture holds no capture time")
    elif not times:
        add("time vs sightings", UNKNOWN, "no dated sighting shows this picture")
    else:
        s, t = max(times, key=lambda pair: abs((pair[1] - taken).total_seconds()))
        hours = abs((t - taken).total_seconds()) / 3600
        add(
            "time vs sightings",
            PASS if hours <= window_h else FAIL,
            f"{hours:,.1f} h from sighting {s['id'][:8]} at {s['seen_at']} (allowed {window_h:g} h)",
            hours=round(hours, 3),
        )

    # 3. Daylight: the sun at the claimed time and place against how lit the picture looks.
    if taken is None or lat is None or lon is None:
        add("daylight", UNKNOWN, "needs both the capture time and the position")
    else:
        where = sun.position(lat, lon, taken)
        note = " (the picture's time zone is assumed UTC)" if "utc" in basis.lower() else ""
        result, said = daylight_verdict(where.elevation, _brightness(conn, image))
        add(
            "daylight",
            result,
            f"sun {abs(where.elevation):.1f} deg {'up' if where.elevation >= 0 else 'down'} "
            f"(azimuth {where.azimuth:.0f}); {said}{note}",
            sun_elevation=round(where.elevation, 2),
            sun_azimuth=round(where.azimuth, 2),
        )

    # 4. A georeferenced scene's footprint holds the sightings' places.
    bounds = [image.get(k) for k in ("geo_south", "geo_west", "geo_north", "geo_east")]
    if any(b is None for b in bounds):
        add("footprint holds the place", UNKNOWN, "the picture is not georeferenced")
    elif not places:
        add("footprint holds the place", UNKNOWN, "no sighting with a place shows this picture")
    else:
        south, west, north, east = (float(b) for b in bounds)  # type: ignore[arg-type]
        outside = []
        for s in places:
            plat = s["place_lat"] if s.get("place_lat") is not None else s["lat"]
            plon = s["place_lon"] if s.get("place_lon") is not None else s["lon"]
            inside_lon = west <= plon <= east if west <= east else (plon >= west or plon <= east)
            if not (south <= plat <= north and inside_lon):
                outside.append(s.get("place_name") or f"{plat:.4f},{plon:.4f}")
        add(
            "footprint holds the place",
            FAIL if outside else PASS,
            f"outside the footprint: {', '.join(outside)}"
            if outside
            else f"every place lies in {south:.4f}..{north:.4f} N, {west:.4f}..{east:.4f} E",
        )

    # 5. The camera clock against the GPS clock in the file.
    error = image.get("clock_error_s")
    if error and image.get("gps_time"):
        from osint.imagery.exif import describe_difference

        way = "behind" if error < 0 else "ahead of"
        add(
            "camera clock vs GPS",
            FAIL,
            f"the camera clock is {describe_difference(error)} {way} the GPS time "
            f"{image['gps_time']}, and no time-zone offset explains it",
            clock_error_s=error,
        )
    elif image.get("gps_time") and image.get("taken_basis") == "exif-local+gps-offset":
        add(
            "camera clock vs GPS",
            PASS,
            f"the camera time is the GPS time in zone {image.get('taken_offset') or '?'} "
            "(offset inferred from the GPS time)",
        )
    elif image.get("gps_time"):
        add("camera clock vs GPS", PASS, "the camera time agrees with the GPS time")
    else:
        add("camera clock vs GPS", UNKNOWN, "the file holds no GPS time")

    # 6. Near-identical pictures already in the case with an earlier date.
    if not image.get("phash"):
        add("earlier near-duplicates", UNKNOWN, "the picture's pixels could not be hashed")
    else:
        _, near = similar.similar(conn, image["id"], max_distance=duplicate_bits)
        earlier = [
            n
            for n in near
            if n.get("relation") is None
            and n.get("taken")
            and image.get("taken")
            and n["taken"] < image["taken"]
        ]
        if earlier:
            first = min(earlier, key=lambda n: n["taken"])
            add(
                "earlier near-duplicates",
                FAIL,
                f"{len(earlier)} nearly identical picture(s) dated earlier, first {first['id'][:8]} "
                f"({first.get('filename')}) taken {first['taken']}",
                earlier=[n["id"] for n in earlier],
            )
        else:
            add("earlier near-duplicates", PASS, "no nearly identical picture dated earlier")

    summary = {r: sum(1 for c in checks if c["result"] == r) for r in (PASS, FAIL, UNKNOWN)}
    return {
        "image": image["id"],
        "filename": image.get("filename"),
        "taken": image.get("taken"),
        "lat": lat,
        "lon": lon,
        "checks": checks,
        "summary": summary,
        "parameters": {
            "radius_km": radius_km,
            "window_h": window_h,
            "duplicate_bits": duplicate_bits,
        },
    }


# How lit a picture looks: the mean luma (0-255) of its thumbnail. A daylight scene, even of dark
# water seen from above, stays above BRIGHT_LUMA; a night scene without floodlights below
# DARK_LUMA. Between the two, or with the sun in twilight, the check cannot tell.
BRIGHT_LUMA = 55.0
DARK_LUMA = 30.0
TWILIGHT = -6.0  # civil twilight: the sun this far below the horizon still lights the sky


def daylight_verdict(elevation: float, luma: float | None) -> tuple[str, str]:
    """(result, reason) for a picture whose thumbnail has mean `luma` (None: no pixels) taken
    with the sun at `elevation`: only a clear contradiction fails (a bright picture with the sun
    well below the horizon, a black one with the sun well up)."""
    if luma is None:
        if elevation > 0:
            return PASS, "the picture's pixels could not be read to compare"
        return UNKNOWN, "the picture's pixels could not be read to compare"
    looks = f"brightness {luma:.0f}/255"
    if elevation <= TWILIGHT:
        if luma >= BRIGHT_LUMA:
            return FAIL, f"{looks}: a daylight picture at night?"
        if luma <= DARK_LUMA:
            return PASS, f"{looks}: a night picture at night"
        return UNKNOWN, f"{looks}: too dim to tell"
    if elevation > 6:
        if luma <= DARK_LUMA:
            return FAIL, f"{looks}: a night picture by day?"
        return PASS, f"{looks}: lit as by day"
    return PASS, f"{looks}: twilight fits either"


def _brightness(conn: sqlite3.Connection, image: dict) -> float | None:
    """The mean luma of the picture's stored thumbnail (a small JPEG osint made), or None."""
    sha = image.get("thumbnail_sha256")
    if not sha:
        return None
    try:
        import io

        from PIL import Image, ImageStat

        from osint.case.store import blobs

        with Image.open(io.BytesIO(blobs.read_bytes(conn, sha))) as thumb:
            if thumb.width * thumb.height > 4_000_000:
                return None
            return float(ImageStat.Stat(thumb.convert("L")).mean[0])
    except Exception:  # noqa: BLE001 - a missing or damaged thumbnail leaves the check unknown
        return None


def record_check(case: Case, result: dict) -> dict:
    """Keep a check's result as an `image-check` record derived from the image."""
    summary = result["summary"]
    words = ", ".join(f"{n} {what}" for what, n in summary.items() if n)
    with case.writing():
        row = records.create(
            case,
            "image-check",
            {
                "image": result["image"],
                "summary": words,
                "failed": summary["fail"],
                "checks": json.dumps(result["checks"], ensure_ascii=False),
                "parameters": json.dumps(result["parameters"]),
            },
            added_from=f"image {result['image']}",
        )
        records.link(case, row["id"], result["image"], "derived-from")
    return row


def check_details(conn: sqlite3.Connection, image: dict) -> dict:
    """`osint show IMAGE`: the checks kept for it."""
    try:
        rows = list(
            records.iter_records(conn, "image-check", where="image = ?", params=[image["id"]])
        )
    except sqlite3.OperationalError:
        return {}
    if not rows:
        return {}
    lines = []
    for row in rows:
        lines.append(f"{row['id'][:8]} {row['added_at']}: {row['summary']}")
        for item in json.loads(row["checks"] or "[]"):
            lines.append(f"  {item['result'].upper():7} {item['check']}: {item['detail']}")
    return {"checks": lines}


def kept_checks(conn: sqlite3.Connection, image_id: str) -> list[dict]:
    """The kept checks of an image, newest first, decoded (for the brief)."""
    try:
        rows = list(records.iter_records(conn, "image-check", where="image = ?", params=[image_id]))
    except sqlite3.OperationalError:
        return []
    out = []
    for row in sorted(rows, key=lambda r: r["added_at"] or "", reverse=True):
        out.append({**row, "checks": json.loads(row["checks"] or "[]")})
    return out


def record_shadow(case: Case, image_id: str, result: dict, cells: list, step: float) -> dict:
    """Keep a shadow reading (`osint image shadow --record`) as an `image-check` record derived
    from the image: the sun it implies, whether the picture's time fits, and the band of places
    where it fits that time (drawn on a world map in the brief)."""
    fit = result.get("times_of_day")
    fits = None if fit is None else fit["claimed_time_fits"]
    verdict = {True: PASS, False: FAIL, None: UNKNOWN}[fits]
    detail = (
        f"shadow {result['shadow_length_per_unit_height']:.2f} x the height: sun "
        f"{result['sun_elevation']:.1f} degrees high"
        + (f", azimuth {result['sun_azimuth']:.1f}" if result["sun_azimuth"] is not None else "")
        + (
            "; the picture's time fits at its place"
            if fits
            else ("; the picture's time does NOT fit at its place" if fits is False else "")
        )
        + (f"; {len(cells):,} grid cells on Earth fit its time" if cells else "")
    )
    with case.writing():
        row = records.create(
            case,
            "image-check",
            {
                "image": image_id,
                "summary": f"shadow: {verdict}",
                "failed": 1 if verdict == FAIL else 0,
                "checks": json.dumps([{"check": "shadow", "result": verdict, "detail": detail}]),
                "parameters": json.dumps(
                    {
                        "shadow": {k: v for k, v in result.items() if k != "band"},
                        "band": {"step": step, "cells": cells[:20000]},
                    }
                ),
            },
            added_from=f"image {image_id}",
        )
        records.link(case, row["id"], image_id, "derived-from")
    return row


def place_and_time(
    conn: sqlite3.Connection, image: str | None, at: str | None, when: str | None
) -> tuple[float, float, datetime, dict | None, list[str], Any]:
    """(lat, lon, aware moment, image row or None, warnings, the picture's zone) from an image
    and/or `--at LAT,LON` / `--when TIME` (the flags override the image's EXIF; where the picture
    says neither, the sighting it shows gives them, with a warning). The zone is the picture's
    own offset when known (to show local times), else UTC."""
    from datetime import UTC

    from osint.errors import InvalidInput
    from osint.imagery.ingest import parse_at
    from osint.timeutil import parse_offset, parse_when

    row = records.resolve(conn, image, ["image"])[1] if image else None
    warnings: list[str] = []
    point = parse_at(at) if at else None
    lat, lon = point if point else ((row or {}).get("lat"), (row or {}).get("lon"))
    text = parse_when(when, "--when") if when else (row or {}).get("taken")
    from_sighting = {"place": False, "time": False}
    if row is not None and (lat is None or lon is None or not text or "T" not in text):
        # The picture does not say: the sighting it shows does (the first one, by time).
        for s in _sightings(conn, row["id"]):
            named = f"sighting {s['id'][:8]}" + (f" ({s['place_name']})" if s["place_name"] else "")
            if (lat is None or lon is None) and (
                s["lat"] is not None or s["place_lat"] is not None
            ):
                lat, lon = (
                    (s["lat"], s["lon"])
                    if s["lat"] is not None
                    else (s["place_lat"], s["place_lon"])
                )
                from_sighting["place"] = True
                warnings.append(f"the picture holds no position: the place is that of {named}")
            if (not text or "T" not in text) and _moment(s["seen_at"]) is not None:
                text = s["seen_at"]
                from_sighting["time"] = True
                warnings.append(f"the picture holds no capture time: the time is that of {named}")
    if lat is None or lon is None:
        raise InvalidInput(
            "no place: the image holds no position; give --at LAT,LON"
            if row is not None
            else "no place: give an IMAGE or --at LAT,LON"
        )
    if not text or "T" not in text:
        raise InvalidInput(
            "no time: the image holds no capture time; give --when TIME"
            if row is not None
            else "no time: give an IMAGE or --when TIME (with its offset)"
        )
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:  # stored times are UTC
        moment = moment.replace(tzinfo=UTC)
    zone: Any = UTC
    if when:
        given = _OFFSET_AT_END.search(when.strip())
        if given is None:
            warnings.append("--when has no offset: read as UTC")
        else:
            with contextlib.suppress(ValueError, IndexError):
                zone = parse_offset(given.group(1))
    elif row is not None and not from_sighting["time"]:
        if "utc" in (row.get("taken_basis") or "").lower():
            warnings.append("the picture's time zone is unknown: its time is read as UTC")
        elif row.get("taken_offset"):
            with contextlib.suppress(ValueError, IndexError):
                zone = parse_offset(row["taken_offset"])
    return lat, lon, moment, row, warnings, zone


def sun_report(
    conn: sqlite3.Connection,
    image: str | None = None,
    at: str | None = None,
    when: str | None = None,
) -> dict[str, Any]:
    """`osint image sun`: where the sun stood at the picture's (or the given) place and time,
    the shadow it cast, and the sun's day there. Times in UTC, with `local` in the picture's
    offset when known."""
    lat, lon, moment, row, warnings, zone = place_and_time(conn, image, at, when)
    where = sun.position(lat, lon, moment)
    local = sun.day(lat, lon, moment)

    def stamp(value: datetime | None) -> str | None:
        return value.replace(microsecond=0).isoformat() if value else None

    return {
        "image": row["id"] if row else None,
        "lat": lat,
        "lon": lon,
        "when": moment.astimezone(zone).isoformat(),
        "utc": stamp(where.when),
        "azimuth": round(where.azimuth, 2),
        "elevation": round(where.elevation, 2),
        "daylight": where.daylight,
        "shadow_length_per_unit_height": (
            round(where.shadow_ratio, 3) if where.shadow_ratio else None
        ),
        "shadow_azimuth": round(where.shadow_azimuth, 2),
        "sunrise": stamp(local.sunrise.astimezone(zone) if local.sunrise else None),
        "solar_noon": stamp(local.solar_noon.astimezone(zone)),
        "sunset": stamp(local.sunset.astimezone(zone) if local.sunset else None),
        "daylight_hours": (
            round((local.sunset - local.sunrise).total_seconds() / 3600, 2)
            if local.sunrise and local.sunset
            else (24.0 if local.polar == "polar day" else 0.0)
        ),
        "polar": local.polar,
        "warnings": warnings,
    }


def shadow_report(
    conn: sqlite3.Connection,
    image: str | None,
    object_line: str,
    shadow_line: str,
    *,
    north_angle: float | None = None,
    reference: str | None = None,
    reference_azimuth: float | None = None,
    at: str | None = None,
    when: str | None = None,
    elevation_tolerance: float = 1.0,
    azimuth_tolerance: float = 5.0,
    step: float = 1.0,
) -> tuple[dict[str, Any], list[tuple[float, float]]]:
    """`osint image shadow`: the sun an object and its shadow imply; with a place and time, the
    times of that day it fits the place; with a time, the band of places where it fits
    (grid cells of `step` degrees, returned beside the report)."""
    from osint.errors import InvalidInput
    from osint.imagery import shadow as geometry

    if not object_line or not shadow_line:
        raise InvalidInput("give both --object and --shadow (X1,Y1,X2,Y2 in pixels)")
    measured = geometry.measure(
        geometry.parse_line(object_line, "--object"),
        geometry.parse_line(shadow_line, "--shadow"),
        north_angle=north_angle,
        reference=geometry.parse_line(reference, "--reference") if reference else None,
        reference_azimuth=reference_azimuth,
    )
    row = records.resolve(conn, image, ["image"])[1] if image else None
    out: dict[str, Any] = {
        "image": row["id"] if row else None,
        "shadow_length_per_unit_height": round(measured.ratio, 3),
        "sun_elevation": round(measured.elevation, 2),
        "sun_azimuth": round(measured.azimuth, 2) if measured.azimuth is not None else None,
        "shadow_azimuth": (
            round(measured.shadow_azimuth, 2) if measured.shadow_azimuth is not None else None
        ),
        "tolerances": {"elevation": elevation_tolerance, "azimuth": azimuth_tolerance},
        "times_of_day": None,
        "band": None,
        "warnings": [],
    }
    try:
        lat, lon, moment, _, warnings, zone = place_and_time(conn, image, at, when)
    except InvalidInput:
        if at or when:
            raise
        return out, []  # neither place nor time: the sun's elevation (and azimuth) only
    out["warnings"] = warnings
    windows = geometry.times_of_day(
        measured,
        lat,
        lon,
        moment,
        elevation_tolerance=elevation_tolerance,
        azimuth_tolerance=azimuth_tolerance,
    )
    out["times_of_day"] = {
        "lat": lat,
        "lon": lon,
        "windows": [
            {
                "start": w["start"].astimezone(zone).replace(microsecond=0).isoformat(),
                "end": w["end"].astimezone(zone).replace(microsecond=0).isoformat(),
                "best": w["best"].astimezone(zone).replace(microsecond=0).isoformat(),
                "elevation": round(w["elevation"], 2),
                "azimuth": round(w["azimuth"], 2),
            }
            for w in windows
        ],
        "claimed_time_fits": any(
            w["start"] - _MINUTE <= moment <= w["end"] + _MINUTE for w in windows
        ),
    }
    cells = geometry.places_at(
        measured,
        moment,
        elevation_tolerance=elevation_tolerance,
        azimuth_tolerance=azimuth_tolerance,
        step_degrees=step,
    )
    out["band"] = {"when": moment.astimezone(zone).isoformat(), "cells": len(cells), "step": step}
    return out, cells


def kept_check_details(conn: sqlite3.Connection, row: dict) -> dict:
    """`osint show IMAGE-CHECK`: each check on a line (the `checks` field holds them as JSON)."""
    try:
        items = json.loads(row.get("checks") or "[]")
    except ValueError:
        return {}
    lines = [
        f"{str(item.get('result', '?')).upper():7} {item.get('check', '?')}: {item.get('detail', '')}"
        for item in items
        if isinstance(item, dict)
    ]
    return {"results": lines} if lines else {}
