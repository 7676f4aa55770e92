"""Behaviour events as GIS features (for `export geojson|kml`): encounters and loitering as points,
dark activity as the line from the last report before the silence to the first after it,
anomalies as points; each with its times, vessels, reason and the rule (default parameters)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

EVENT_KINDS = {
    "encounter": "Encounters",
    "loitering": "Loitering",
    "dark": "Dark activity",
    "anomaly": "AIS anomalies",
}


def _r(value: float) -> float:
    return round(value, 6)


def _point(lat, lon) -> dict:
    return {"type": "Point", "coordinates": [_r(lon), _r(lat)]}


def _names(row: dict, *keys) -> str:
    return " / ".join(str(row[k].get("name") or row[k].get("mmsi")) for k in keys if row.get(k))


def event_features(conn: sqlite3.Connection, sel, wanted: set[str] | None) -> Iterator[dict]:
    from osint.maritime.events import anomalies, dark, encounters, loitering

    start, end = sel.start, sel.end

    def involved(row: dict, *keys) -> bool:
        return wanted is None or any((row.get(k) or {}).get("id") in wanted for k in keys)

    for number, row in enumerate(encounters.find(conn, encounters.Params(start=start, end=end)), 1):
        if not involved(row, "vessel_a", "vessel_b"):
            continue
        yield {
            "type": "Feature",
            "id": f"encounter-{number}",
            "geometry": _point(row["lat"], row["lon"]),
            "properties": {
                "kind": "encounter",
                "name": _names(row, "vessel_a", "vessel_b"),
                "vessel_a": row["vessel_a"]["id"],
                "vessel_b": row["vessel_b"]["id"],
                "start": row["start"],
                "end": row["end"],
                "hours": row["hours"],
                "median_distance_m": row["median_distance_m"],
                "nearest_place": row.get("nearest_place"),
                "nearest_place_km": row.get("nearest_place_km"),
                "rule": row["rule"],
            },
        }
    for number, row in enumerate(loitering.find(conn, loitering.Params(start=start, end=end)), 1):
        if not involved(row, "vessel"):
            continue
        yield {
            "type": "Feature",
            "id": f"loitering-{number}",
            "geometry": _point(row["lat"], row["lon"]),
            "properties": {
                "kind": "loitering",
                "name": _names(row, "vessel"),
                "vessel": row["vessel"]["id"],
                "start": row["start"],
                "end": row["end"],
                "hours": row["hours"],
                "mean_speed_kn": row["mean_speed_kn"],
                "encounters": len(row["encounters"]),
                "dark_partners": ", ".join(str(p["vessel"]["name"]) for p in row["dark_partners"])
                or None,
                "rule": row["rule"],
            },
        }
    from osint.exports.gis import split_segments
    from osint.timeutil import to_epoch

    for number, row in enumerate(dark.find(conn, dark.Params(start=start, end=end)), 1):
        if not involved(row, "vessel"):
            continue
        points = [
            (to_epoch(row["start"]), row["from_lat"], row["from_lon"]),
            (to_epoch(row["end"]), row["to_lat"], row["to_lon"]),
        ]
        yield {
            "type": "Feature",
            "id": f"dark-{number}",
            "geometry": {
                "type": "MultiLineString",
                "coordinates": split_segments(points, 10**12),
            },
            "properties": {
                "kind": "dark",
                "name": _names(row, "vessel"),
                "vessel": row["vessel"]["id"],
                "start": row["start"],
                "end": row["end"],
                "hours": row["hours"],
                "density": row["density"],
                "reason": row["reason"],
                "rule": row["rule"],
            },
        }
    result = anomalies.find(conn, anomalies.Params(start=start, end=end))
    for number, row in enumerate(result.rows, 1):
        if row["lat"] is None or not involved(row, "vessel"):
            continue
        yield {
            "type": "Feature",
            "id": f"anomaly-{number}",
            "geometry": _point(row["lat"], row["lon"]),
            "properties": {
                "kind": "anomaly",
                "anomaly": row["kind"],
                "name": _names(row, "vessel"),
                "vessel": row["vessel"]["id"],
                "start": row["when"],
                "end": row["when"],
                "reason": row["reason"],
                "rule": row["rule"],
            },
        }
