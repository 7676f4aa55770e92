"""What every behaviour detector shares: the AIS positions in force, read one MMSI at a time in
time order, resampled on a fixed time grid, and the case's places and vessels.

Positions are streamed from SQLite in (MMSI, time) order, the order of the positions' key index,
so memory holds one MMSI's reports at a time. Reports are de-duplicated (the same MMSI, time and
position from two imports counts once); two different positions at the same second are kept for
the anomaly detector and the first is used for tracks.

Resampling: a track's position at each multiple of `step_s` seconds is interpolated (great-circle
steps are short, so linear in latitude and in the longitude difference folded across the
antimeridian) between the reports that bracket it, and only when those reports are at most
`max_interp_s` apart: a longer silence is never bridged. The speed at a resampled instant is the
reported speed over ground of the nearer report, or the speed the bracketing reports imply when
it reported none.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field

from osint.case import records
from osint.errors import InvalidInput
from osint.maritime.ais import store as ais_store
from osint.maritime.ais import tracks as ais_tracks
from osint.maritime.geo import EARTH_RADIUS_M, haversine_m, wrap_lon
from osint.timeutil import bound, from_epoch, to_epoch

KNOT_MS = 1852.0 / 3600.0


def positive(value, flag: str) -> float:
    if value is None or not isinstance(value, (int, float)) or not value > 0 or value != value:
        raise InvalidInput(f"{flag}: give a positive number")
    return float(value)


def non_negative(value, flag: str) -> float:
    if value is None or not isinstance(value, (int, float)) or value < 0 or value != value:
        raise InvalidInput(f"{flag}: give a number of zero or more")
    return float(value)


def window(start: str | None, end: str | None) -> tuple[int | None, int | None]:
    lo = to_epoch(bound(start, "--from")) if start else None
    hi = to_epoch(bound(end, "--to", end=True)) if end else None
    if lo is not None and hi is not None and hi < lo:
        raise InvalidInput("--to is before --from")
    return lo, hi


def norm_lon(lon: float) -> float:
    """A longitude folded into [-180, 180)."""
    return (lon + 180.0) % 360.0 - 180.0


@dataclass
class Track:
    """One vessel's reports under one MMSI, in time order, one position per second."""

    vessel: str
    mmsi: int
    epochs: list[int] = field(default_factory=list)
    lats: list[float] = field(default_factory=list)
    lons: list[float] = field(default_factory=list)
    sogs: list[float | None] = field(default_factory=list)
    # Reports at a second that already had another position: (epoch, lat, lon).
    clashes: list[tuple[int, float, float]] = field(default_factory=list)


@dataclass
class Scope:
    """Which positions count: the window, the vessels, and who each (batch, MMSI) belongs to."""

    lo: int | None = None
    hi: int | None = None
    vessels: set[str] | None = None
    mapping: dict = field(default_factory=dict)  # (batch, mmsi) -> vessel
    simple: bool = True  # every MMSI belongs to one vessel and every batch counts
    by_mmsi: dict = field(default_factory=dict)  # mmsi -> vessel (when simple)
    active: dict = field(default_factory=dict)


def scope(conn: sqlite3.Connection, *, start=None, end=None, vessels=()) -> Scope:
    lo, hi = window(start, end)
    mapping = ais_tracks.track_map(conn)
    active = ais_store.active_batches(conn)
    wanted = {records.resolve_id(conn, ref, ["vessel"]) for ref in vessels} if vessels else None
    by_mmsi: dict[int, set[str]] = {}
    for (_, mmsi), vessel in mapping.items():
        by_mmsi.setdefault(mmsi, set()).add(vessel)
    # Usually every MMSI belongs to one vessel and no AIS was withdrawn: then no row needs its
    # batch looked up (as in visits).
    withdrawn = conn.execute(
        "SELECT (SELECT count(*) FROM ais_imports WHERE retracted_at IS NOT NULL)"
        " + (SELECT count(*) FROM ais_tracks WHERE retracted_at IS NOT NULL)"
    ).fetchone()[0]
    simple = not withdrawn and all(len(v) == 1 for v in by_mmsi.values())
    return Scope(
        lo=lo,
        hi=hi,
        vessels=wanted,
        mapping=mapping,
        simple=simple,
        by_mmsi={m: next(iter(v)) for m, v in by_mmsi.items()},
        active=active,
    )


def iter_tracks(conn: sqlite3.Connection, sc: Scope, *, mmsis=None) -> Iterator[Track]:
    """Each vessel's reports per MMSI in time order (repeated reports once)."""
    if not sc.mapping or not sc.active:
        return
    clauses = []
    params: list = []
    if not sc.simple:
        clauses.append(f"batch IN ({', '.join(str(int(b)) for b in sc.active)})")
    if sc.lo is not None:
        clauses.append("epoch >= ?")
        params.append(sc.lo)
    if sc.hi is not None:
        clauses.append("epoch <= ?")
        params.append(sc.hi)
    if sc.vessels is not None or mmsis is not None:
        wanted = {m for (_, m), v in sc.mapping.items() if sc.vessels is None or v in sc.vessels}
        if mmsis is not None:
            wanted &= set(mmsis)
        if not wanted:
            return
        clauses.append(f"mmsi IN ({', '.join(str(int(m)) for m in sorted(wanted))})")
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    cursor = conn.cursor()
    cursor.row_factory = None
    cursor.execute(
        f"SELECT batch, mmsi, epoch, lat, lon, sog FROM ais_positions {where} "
        "ORDER BY mmsi, epoch, lat, lon",
        params,
    )
    tracks: dict[str, Track] = {}
    current = None
    mapping, simple, by_mmsi, wanted_vessels = sc.mapping, sc.simple, sc.by_mmsi, sc.vessels
    for batch, mmsi, epoch, lat, lon, sog in cursor:
        if mmsi != current:
            yield from tracks.values()
            tracks = {}
            current = mmsi
        vessel = by_mmsi.get(mmsi) if simple else mapping.get((batch, mmsi))
        if vessel is None or (wanted_vessels is not None and vessel not in wanted_vessels):
            continue
        track = tracks.get(vessel)
        if track is None:
            track = tracks[vessel] = Track(vessel, mmsi)
        epochs = track.epochs
        if epochs and epochs[-1] == epoch:
            if track.lats[-1] != lat or track.lons[-1] != lon:
                track.clashes.append((epoch, lat, lon))
            continue
        epochs.append(epoch)
        track.lats.append(lat)
        track.lons.append(lon)
        track.sogs.append(sog)
    yield from tracks.values()


def resample(track: Track, step_s: int, max_interp_s: int):
    """Yield (slot, lat, lon, speed_kn) at each multiple of step_s the track covers: between two
    reports at most max_interp_s apart, or at a report that falls exactly on the grid."""
    epochs, lats, lons, sogs = track.epochs, track.lats, track.lons, track.sogs
    n = len(epochs)
    for i in range(n - 1):
        t0, t1 = epochs[i], epochs[i + 1]
        dt = t1 - t0
        slot = -(-t0 // step_s)  # the first slot at or after t0
        if slot * step_s >= t1:
            continue
        if dt > max_interp_s:
            if t0 % step_s == 0:  # a report on the grid is a position, not a bridge
                s0 = sogs[i]
                yield slot, lats[i], lons[i], s0 if s0 is not None else 0.0
            continue
        lat0, lon0 = lats[i], lons[i]
        dlat = lats[i + 1] - lat0
        dlon = wrap_lon(lons[i + 1] - lon0)
        s0, s1 = sogs[i], sogs[i + 1]
        implied = None
        while slot * step_s < t1:
            f = (slot * step_s - t0) / dt
            near, other = (s0, s1) if f <= 0.5 else (s1, s0)
            if near is None:
                near = other
            if near is None:
                if implied is None:
                    implied = haversine_m(lat0, lon0, lats[i + 1], lons[i + 1]) / dt / KNOT_MS
                near = implied
            yield slot, lat0 + f * dlat, norm_lon(lon0 + f * dlon), near
            slot += 1
    if n and epochs[-1] % step_s == 0:
        s = sogs[-1]
        yield epochs[-1] // step_s, lats[-1], lons[-1], s if s is not None else 0.0


@dataclass
class PlaceIndex:
    """The case's places, for "how far from the nearest place" (distance to its circle's edge)."""

    places: list[dict]

    @classmethod
    def load(cls, conn: sqlite3.Connection) -> PlaceIndex:
        return cls(list(records.iter_records(conn, "place")))

    def nearest(self, lat: float, lon: float) -> tuple[dict | None, float | None]:
        """(place, metres from its edge, 0 inside) of the nearest place."""
        best, best_d = None, None
        for place in self.places:
            d = max(
                0.0, haversine_m(lat, lon, place["lat"], place["lon"]) - (place["radius_m"] or 0)
            )
            if best_d is None or d < best_d:
                best, best_d = place, d
        return best, best_d

    def near_test(self, min_distance_m: float):
        """A fast predicate: is (lat, lon) closer than min_distance_m to any place's edge?"""
        if not self.places:
            return lambda lat, lon: False
        boxes = []
        for place in self.places:
            reach = (place["radius_m"] or 0) + min_distance_m
            dlat = reach / (math.pi * EARTH_RADIUS_M / 180)
            boxes.append((place["lat"], place["lon"], reach, dlat))

        def near(lat: float, lon: float) -> bool:
            for plat, plon, reach, dlat in boxes:
                if abs(lat - plat) > dlat:
                    continue
                if haversine_m(lat, lon, plat, plon) < reach:
                    return True
            return False

        return near


def vessel_rows(conn: sqlite3.Connection) -> dict[str, dict]:
    return {row["id"]: row for row in records.iter_records(conn, "vessel", include_retracted=True)}


def vessel_ref(vessels: dict, vessel_id: str, mmsi: int | None) -> dict:
    row = vessels.get(vessel_id) or {}
    return {
        "id": vessel_id,
        "name": row.get("name"),
        "mmsi": f"{mmsi:09d}" if mmsi is not None else row.get("mmsi"),
        "imo": row.get("imo"),
    }


def place_ref(place: dict | None, distance_m: float | None) -> dict:
    if place is None:
        return {"nearest_place": None, "nearest_place_km": None}
    return {
        "nearest_place": place["name"],
        "nearest_place_id": place["id"],
        "nearest_place_km": round(distance_m / 1000, 1),
    }


def mean_position(lats: list[float], lons: list[float]) -> tuple[float, float]:
    """Mean of positions, correct across the antimeridian (longitudes relative to the first)."""
    base = lons[0]
    lon = base + sum(wrap_lon(x - base) for x in lons) / len(lons)
    return sum(lats) / len(lats), norm_lon(lon)


def iso(epoch: int | float) -> str:
    return from_epoch(epoch)


def imports_citing(conn: sqlite3.Connection, vessel_ids: set[str] | None = None) -> list[dict]:
    """The AIS imports (and their tracks) in force whose rows a result can come from."""
    out: dict[str, dict] = {}
    for tid, import_id, vessel, filename, sha in conn.execute(
        "SELECT t.id, t.import_id, t.vessel, i.filename, i.sha256 FROM ais_tracks t "
        "JOIN ais_imports i ON i.id = t.import_id "
        "WHERE t.retracted_at IS NULL AND i.retracted_at IS NULL"
    ):
        if vessel_ids is not None and vessel not in vessel_ids:
            continue
        item = out.setdefault(
            import_id, {"id": import_id, "file": filename, "sha256": sha, "tracks": []}
        )
        item["tracks"].append(tid)
    return list(out.values())
