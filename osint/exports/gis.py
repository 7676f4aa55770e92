"""GIS layers of the case: places, sightings, AIS tracks and behaviour events (encounters,
loitering, dark activity, anomalies, by their default rules), as GeoJSON (RFC 7946) and KML.

GeoJSON positions are [longitude, latitude] in WGS 84 with six decimals (about 0.1 m), with no
`crs` member (RFC 7946 section 4). Tracks are one feature per vessel and MMSI: a MultiLineString
broken where the vessel went silent for longer than `split_hours` (no straight line is drawn
across a dark period) and where it crosses the antimeridian (RFC 7946 section 3.1.9). Both files
open in QGIS; the KML opens in Google Earth with time stamps for its time slider.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from osint.case import records
from osint.fileio import atomic_output
from osint.maritime import sightings as sighting_lib
from osint.maritime.ais import store as ais_store
from osint.maritime.ais import tracks as ais_tracks
from osint.timeutil import bound, from_epoch, to_epoch

LAYERS = ("places", "sightings", "tracks", "events")


@dataclass
class Selection:
    layers: tuple[str, ...] = LAYERS
    vessels: list[str] = field(default_factory=list)
    start: str | None = None
    end: str | None = None
    split_hours: float = 6.0


def _r(value: float) -> float:
    return round(value, 6)


def place_features(conn: sqlite3.Connection) -> Iterator[dict]:
    for place in records.iter_records(conn, "place"):
        yield {
            "type": "Feature",
            "id": place["id"],
            "geometry": {"type": "Point", "coordinates": [_r(place["lon"]), _r(place["lat"])]},
            "properties": {
                "kind": "place",
                "id": place["id"],
                "name": place["name"],
                "radius_m": place["radius_m"],
                "type": place["place_type"],
            },
        }


def sighting_features(conn: sqlite3.Connection, sel: Selection, wanted) -> Iterator[dict]:
    lo, hi = _window(sel)
    cache: dict = {}
    names = {v["id"]: v for v in records.iter_records(conn, "vessel", include_retracted=True)}
    for row in records.iter_records(conn, "sighting", order_by="seen_at"):
        if wanted is not None and row["vessel"] not in wanted:
            continue
        epoch = to_epoch(row["seen_at"])
        if (lo is not None and epoch < lo) or (hi is not None and epoch > hi):
            continue
        position = sighting_lib.position(conn, row, cache)
        if position is None:
            continue
        vessel = names.get(row["vessel"]) or {}
        place = cache.get(row["place"]) if row["place"] else None
        yield {
            "type": "Feature",
            "id": row["id"],
            "geometry": {"type": "Point", "coordinates": [_r(position[1]), _r(position[0])]},
            "properties": {
                "kind": "sighting",
                "id": row["id"],
                "vessel": row["vessel"],
                "vessel_name": vessel.get("name"),
                "imo": vessel.get("imo"),
                "when": row["seen_at"],
                "place": place["name"] if place else None,
                "position_from": "sighting" if row["lat"] is not None else "place centre",
                "activity": row["activity"],
                "confidence": row["confidence"],
                "source": row["source"],
                "image": row["image"],
            },
        }


def _window(sel: Selection):
    lo = to_epoch(bound(sel.start, "--from")) if sel.start else None
    hi = to_epoch(bound(sel.end, "--to", end=True)) if sel.end else None
    return lo, hi


def split_segments(points: list[tuple[int, float, float]], split_seconds: int) -> list[list]:
    """[[lon, lat], ...] lines from (epoch, lat, lon) points, broken at long gaps and at ±180°."""
    segments: list[list] = []
    current: list = []
    previous = None
    for epoch, lat, lon in points:
        if previous is not None:
            p_epoch, p_lat, p_lon = previous
            if epoch - p_epoch > split_seconds:
                segments.append(current)
                current = []
            elif abs(lon - p_lon) > 180:
                # Cross the antimeridian: end at the edge, start again on the other side.
                edge = 180.0 if p_lon > 0 else -180.0
                shifted = lon + 360 if p_lon > 0 else lon - 360
                fraction = (edge - p_lon) / (shifted - p_lon) if shifted != p_lon else 0.5
                lat_at = p_lat + (lat - p_lat) * fraction
                current.append([edge, _r(lat_at)])
                segments.append(current)
                current = [[-edge, _r(lat_at)]]
        current.append([_r(lon), _r(lat)])
        previous = (epoch, lat, lon)
    if current:
        segments.append(current)
    # A lone position still shows: as a line of length zero.
    return [seg if len(seg) > 1 else [seg[0], seg[0]] for seg in segments if seg]


def track_features(conn: sqlite3.Connection, sel: Selection, wanted) -> Iterator[dict]:
    """One feature per vessel and MMSI, its positions streamed in (MMSI, time) order."""
    mapping = ais_tracks.track_map(conn)
    active = ais_store.active_batches(conn)
    if not mapping or not active:
        return
    lo, hi = _window(sel)
    clauses = [f"batch IN ({', '.join(str(int(b)) for b in active)})"]
    params: list = []
    if lo is not None:
        clauses.append("epoch >= ?")
        params.append(lo)
    if hi is not None:
        clauses.append("epoch <= ?")
        params.append(hi)
    if wanted is not None:
        mmsis = sorted({m for (_, m), v in mapping.items() if v in wanted})
        if not mmsis:
            return
        clauses.append(f"mmsi IN ({', '.join(str(int(m)) for m in mmsis)})")
    vessels = {v["id"]: v for v in records.iter_records(conn, "vessel", include_retracted=True)}
    split = int(sel.split_hours * 3600)
    cursor = conn.execute(
        f"SELECT batch, mmsi, epoch, lat, lon FROM ais_positions WHERE {' AND '.join(clauses)} "
        "ORDER BY mmsi, epoch",
        params,
    )
    key = None
    points: list = []

    def feature(vessel_id, mmsi, points):
        vessel = vessels.get(vessel_id) or {}
        return {
            "type": "Feature",
            "id": f"{vessel_id}-{mmsi:09d}",
            "geometry": {"type": "MultiLineString", "coordinates": split_segments(points, split)},
            "properties": {
                "kind": "ais-track",
                "vessel": vessel_id,
                "vessel_name": vessel.get("name"),
                "imo": vessel.get("imo"),
                "mmsi": f"{mmsi:09d}",
                "first": from_epoch(points[0][0]),
                "last": from_epoch(points[-1][0]),
                "positions": len(points),
            },
        }

    for batch, mmsi, epoch, lat, lon in cursor:
        vessel_id = mapping.get((batch, mmsi))
        if vessel_id is None or (wanted is not None and vessel_id not in wanted):
            continue
        if (vessel_id, mmsi) != key:
            if points:
                yield feature(key[0], key[1], points)
            key, points = (vessel_id, mmsi), []
        points.append((epoch, lat, lon))
    if points:
        yield feature(key[0], key[1], points)


def features(conn: sqlite3.Connection, sel: Selection) -> Iterator[dict]:
    wanted = (
        {records.resolve_id(conn, ref, ["vessel"]) for ref in sel.vessels} if sel.vessels else None
    )
    if "places" in sel.layers:
        yield from place_features(conn)
    if "sightings" in sel.layers:
        yield from sighting_features(conn, sel, wanted)
    if "tracks" in sel.layers:
        yield from track_features(conn, sel, wanted)
    if "events" in sel.layers:
        from osint.maritime.events.gis import event_features

        yield from event_features(conn, sel, wanted)


def write_geojson(conn: sqlite3.Connection, destination, sel: Selection | None = None) -> dict:
    """Write a FeatureCollection, streamed feature by feature; returns counts per kind."""
    sel = sel or Selection()
    counts: dict[str, int] = {}
    with atomic_output(destination) as out:
        out.write('{"type":"FeatureCollection","features":[\n')
        first = True
        for item in features(conn, sel):
            if not first:
                out.write(",\n")
            first = False
            out.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")))
            kind = item["properties"]["kind"]
            counts[kind] = counts.get(kind, 0) + 1
        out.write("\n]}\n")
    return counts


# ---- KML ---------------------------------------------------------------------------------------

_KML_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2">
<Document>
<name>{name}</name>
<Style id="place"><IconStyle><color>ff00a5ff</color><Icon><href>http://maps.google.com/mapfiles/kml/shapes/target.png</href></Icon></IconStyle><LineStyle><color>ff00a5ff</color><width>2</width></LineStyle><PolyStyle><color>3300a5ff</color></PolyStyle></Style>
<Style id="sighting"><IconStyle><color>ff0000ff</color><Icon><href>http://maps.google.com/mapfiles/kml/shapes/placemark_circle.png</href></Icon></IconStyle></Style>
<Style id="track"><LineStyle><color>ffffff00</color><width>2</width></LineStyle></Style>
<Style id="event"><IconStyle><color>ff0000ff</color><Icon><href>http://maps.google.com/mapfiles/kml/shapes/caution.png</href></Icon></IconStyle><LineStyle><color>ff0000ff</color><width>3</width></LineStyle></Style>
"""


def _kml_coords(points) -> str:
    return " ".join(f"{lon},{lat}" for lon, lat in points)


def _circle(lat: float, lon: float, radius_m: float, steps: int = 72) -> list:
    from osint.maritime.geo import METRES_PER_DEGREE

    ring = []
    for i in range(steps + 1):
        angle = 2 * math.pi * i / steps
        dlat = radius_m * math.cos(angle) / METRES_PER_DEGREE
        dlon = (
            radius_m
            * math.sin(angle)
            / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 1e-6))
        )
        ring.append([_r(lon + dlon), _r(lat + dlat)])
    return ring


def _description(props: dict) -> str:
    rows = "".join(
        f"<tr><td>{escape(str(k))}</td><td>{escape(str(v))}</td></tr>"
        for k, v in props.items()
        if v is not None and k != "kind"
    )
    # escape() turned any "]]>" in a value into "]]&gt;", so the CDATA section cannot end early.
    return f"<description><![CDATA[<table>{rows}</table>]]></description>"


def write_kml(
    conn: sqlite3.Connection, destination, sel: Selection | None = None, title="osint case"
) -> dict:
    sel = sel or Selection()
    counts: dict[str, int] = {}
    folder = None
    from osint.maritime.events.gis import EVENT_KINDS

    names = {"place": "Places", "sighting": "Sightings", "ais-track": "AIS tracks", **EVENT_KINDS}
    with atomic_output(destination) as out:
        out.write(_KML_HEAD.format(name=escape(title)))
        for item in features(conn, sel):
            props = item["properties"]
            kind = props["kind"]
            if kind != folder:
                if folder is not None:
                    out.write("</Folder>\n")
                out.write(f"<Folder><name>{names[kind]}</name>\n")
                folder = kind
            counts[kind] = counts.get(kind, 0) + 1
            geometry = item["geometry"]
            if kind == "place":
                lon, lat = geometry["coordinates"]
                body = (
                    f"<name>{escape(props['name'])}</name>{_description(props)}<styleUrl>#place</styleUrl>"
                    f"<MultiGeometry><Point><coordinates>{lon},{lat}</coordinates></Point>"
                    f"<Polygon><outerBoundaryIs><LinearRing><coordinates>"
                    f"{_kml_coords(_circle(lat, lon, props['radius_m'] or 1000))}"
                    f"</coordinates></LinearRing></outerBoundaryIs></Polygon></MultiGeometry>"
                )
            elif kind == "sighting":
                lon, lat = geometry["coordinates"]
                when = props["when"]
                body = (
                    f"<name>{escape(str(props['vessel_name'] or ''))} {escape(when)}</name>"
                    f"{_description(props)}<TimeStamp><when>{escape(when)}</when></TimeStamp>"
                    f"<styleUrl>#sighting</styleUrl><Point><coordinates>{lon},{lat}</coordinates></Point>"
                )
            elif kind in EVENT_KINDS:
                if geometry["type"] == "Point":
                    lon, lat = geometry["coordinates"]
                    shape = f"<Point><coordinates>{lon},{lat}</coordinates></Point>"
                else:
                    shape = (
                        "<MultiGeometry>"
                        + "".join(
                            f"<LineString><coordinates>{_kml_coords(seg)}</coordinates></LineString>"
                            for seg in geometry["coordinates"]
                        )
                        + "</MultiGeometry>"
                    )
                title = f"{props.get('anomaly') or names[kind]}: {props.get('name') or ''}"
                body = (
                    f"<name>{escape(title)}</name>{_description(props)}"
                    f"<TimeSpan><begin>{escape(str(props['start']))}</begin>"
                    f"<end>{escape(str(props['end']))}</end></TimeSpan>"
                    f"<styleUrl>#event</styleUrl>{shape}"
                )
            else:
                lines = "".join(
                    f"<LineString><tessellate>1</tessellate><coordinates>{_kml_coords(seg)}</coordinates></LineString>"
                    for seg in geometry["coordinates"]
                )
                body = (
                    f"<name>{escape(str(props['vessel_name'] or ''))} (MMSI {props['mmsi']})</name>"
                    f"{_description(props)}<TimeSpan><begin>{props['first']}</begin><end>{props['last']}</end></TimeSpan>"
                    f"<styleUrl>#track</styleUrl><MultiGeometry>{lines}</MultiGeometry>"
                )
            out.write(f'<Placemark id="{kind}-{escape(str(item["id"]))}">{body}</Placemark>\n')
        if folder is not None:
            out.write("</Folder>\n")
        out.write("</Document>\n</kml>\n")
    return counts
