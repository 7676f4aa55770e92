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
from osint.maritime.geo import EARTH_RADIUS_M, haversine_m, wrap_lon  # noqa: F401
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


def iter_tracks(
    conn: sqlite3.Connection, sc: Scope, *, mmsis=None, with_sog: bool = True
) -> Iterator[Track]:
    """Each vessel's reports per MMSI in time order (repeated reports once).

    Without speeds, and when no withdrawn AIS needs each row's import looked up, the rows come
    straight from the positions' key index (MMSI, time, lat, lon), which covers the query."""
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
    if sc.simple:
        columns = "mmsi, epoch, lat, lon" + (", sog" if with_sog else "")
        cursor.execute(
            f"SELECT {columns} FROM ais_positions {where} ORDER BY mmsi, epoch, lat, lon", params
        )
        try:
            import numpy  # noqa: F401
        except ImportError:
            yield from _tracks_by_chunks(cursor, sc, with_sog)
        else:
            yield from _tracks_by_arrays(cursor, sc, with_sog)
        return
    cursor.execute(
        f"SELECT batch, mmsi, epoch, lat, lon, sog FROM ais_positions {where} "
        "ORDER BY mmsi, epoch, lat, lon",
        params,
    )
    tracks: dict[str, Track] = {}
    current = None
    mapping, wanted_vessels = sc.mapping, sc.vessels
    for batch, mmsi, epoch, lat, lon, sog in cursor:
        if mmsi != current:
            yield from tracks.values()
            tracks = {}
            current = mmsi
        vessel = mapping.get((batch, mmsi))
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


def _tracks_by_chunks(cursor, sc: Scope, with_sog: bool) -> Iterator[Track]:
    """Rows in (MMSI, time) order, one MMSI per vessel: moved into tracks a chunk at a time
    (columns extended in C, not row by row)."""
    from bisect import bisect_right

    by_mmsi, wanted = sc.by_mmsi, sc.vessels
    track: Track | None = None
    while chunk := cursor.fetchmany(50_000):
        cols = list(zip(*chunk, strict=True))
        mmsi_col = cols[0]
        i = 0
        n = len(chunk)
        while i < n:
            mmsi = mmsi_col[i]
            j = bisect_right(mmsi_col, mmsi, i)
            if track is None or track.mmsi != mmsi:
                if track is not None and track.vessel:
                    yield _clean(track)
                vessel = by_mmsi.get(mmsi)
                track = (
                    Track(vessel, mmsi)
                    if vessel is not None and (wanted is None or vessel in wanted)
                    else Track("", mmsi)
                )
            if track.vessel:
                track.epochs.extend(cols[1][i:j])
                track.lats.extend(cols[2][i:j])
                track.lons.extend(cols[3][i:j])
                if with_sog:
                    track.sogs.extend(cols[4][i:j])
            i = j
    if track is not None and track.vessel:
        yield _clean(track)


def _tracks_by_arrays(cursor, sc: Scope, with_sog: bool) -> Iterator[Track]:
    """As _tracks_by_chunks, each chunk turned into one NumPy array (MMSIs and epoch seconds are
    exact as doubles): tracks hold arrays (int64 times, float64 positions, NaN for no speed)."""
    import numpy as np

    by_mmsi, wanted = sc.by_mmsi, sc.vessels
    pieces: list = []
    current = None

    def finish(mmsi, pieces):
        vessel = by_mmsi.get(mmsi)
        if vessel is None or (wanted is not None and vessel not in wanted):
            return None
        block = np.concatenate(pieces) if len(pieces) > 1 else pieces[0]
        track = Track(vessel, mmsi)
        epochs = block[:, 1].astype(np.int64)
        lats, lons = block[:, 2], block[:, 3]
        sogs = block[:, 4] if with_sog else np.full(len(block), np.nan)
        repeated = np.flatnonzero(np.diff(epochs) == 0) + 1
        if len(repeated):
            differs = (lats[repeated] != lats[repeated - 1]) | (
                lons[repeated] != lons[repeated - 1]
            )
            for k in repeated[differs].tolist():
                track.clashes.append((int(epochs[k]), float(lats[k]), float(lons[k])))
            keep = np.ones(len(epochs), dtype=bool)
            keep[repeated] = False
            epochs, lats, lons, sogs = epochs[keep], lats[keep], lons[keep], sogs[keep]
        track.epochs, track.lats, track.lons, track.sogs = epochs, lats, lons, sogs
        return track

    while chunk := cursor.fetchmany(50_000):
        block = np.array(chunk, dtype=np.float64)
        mmsis = block[:, 0]
        cuts = np.flatnonzero(np.diff(mmsis)) + 1
        bounds = [0, *cuts.tolist(), len(block)]
        for a, b in zip(bounds[:-1], bounds[1:], strict=True):
            mmsi = int(mmsis[a])
            if mmsi != current:
                if current is not None:
                    track = finish(current, pieces)
                    if track is not None:
                        yield track
                current, pieces = mmsi, []
            pieces.append(block[a:b])
    if current is not None:
        track = finish(current, pieces)
        if track is not None:
            yield track


def _clean(track: Track) -> Track:
    """Fold reports at a second already held into the track's clashes."""
    epochs = track.epochs
    if len(set(epochs)) != len(epochs):
        keep_e: list = []
        keep_lat: list = []
        keep_lon: list = []
        keep_sog: list = []
        sogs = track.sogs or [None] * len(epochs)
        for e, lat, lon, sog in zip(epochs, track.lats, track.lons, sogs, strict=True):
            if keep_e and keep_e[-1] == e:
                if keep_lat[-1] != lat or keep_lon[-1] != lon:
                    track.clashes.append((e, lat, lon))
                continue
            keep_e.append(e)
            keep_lat.append(lat)
            keep_lon.append(lon)
            keep_sog.append(sog)
        track.epochs, track.lats, track.lons = keep_e, keep_lat, keep_lon
        track.sogs = keep_sog if track.sogs else []
    if not track.sogs:
        track.sogs = [None] * len(track.epochs)
    return track


def as_list(values) -> list:
    """A plain list of Python numbers (tracks may hold NumPy arrays)."""
    return values.tolist() if hasattr(values, "tolist") else list(values)


def _known(value) -> bool:
    return value is not None and value == value


def resample(track: Track, step_s: int, max_interp_s: int):
    """Yield (slot, lat, lon, speed_kn) at each multiple of step_s the track covers.

    A report exactly on the grid is a position. Between two reports at most max_interp_s apart
    the position is interpolated; a longer silence is never bridged. The speed is the reported
    speed of the nearer report, else of the other, else the speed the two reports imply; for a
    report on the grid, its own speed, else as for the bridged pair after it (or before it); NaN
    (never slow) when nothing tells.
    """
    epochs, lats, lons = as_list(track.epochs), as_list(track.lats), as_list(track.lons)
    sogs = [None if v is None or v != v else v for v in as_list(track.sogs)]
    n = len(epochs)

    def pair_speed(i: int, near_first: bool) -> float:
        a, b = (sogs[i], sogs[i + 1]) if near_first else (sogs[i + 1], sogs[i])
        if a is not None and a == a:
            return float(a)
        if b is not None and b == b:
            return float(b)
        return (
            haversine_m(lats[i], lons[i], lats[i + 1], lons[i + 1])
            / (epochs[i + 1] - epochs[i])
            / KNOT_MS
        )

    for k in range(n):
        t0 = epochs[k]
        if t0 % step_s == 0:
            speed = sogs[k]
            if not _known(speed):
                if k + 1 < n and epochs[k + 1] - t0 <= max_interp_s:
                    speed = pair_speed(k, False)
                elif k > 0 and t0 - epochs[k - 1] <= max_interp_s:
                    speed = pair_speed(k - 1, False)
                else:
                    speed = math.nan
            yield t0 // step_s, lats[k], lons[k], speed
        if k + 1 == n:
            break
        t1 = epochs[k + 1]
        dt = t1 - t0
        if dt > max_interp_s:
            continue
        slot = t0 // step_s + 1
        if slot * step_s >= t1:
            continue
        lat0, lon0 = lats[k], lons[k]
        dlat = lats[k + 1] - lat0
        dlon = wrap_lon(lons[k + 1] - lon0)
        while slot * step_s < t1:
            f = (slot * step_s - t0) / dt
            yield slot, lat0 + f * dlat, norm_lon(lon0 + f * dlon), pair_speed(k, f <= 0.5)
            slot += 1


def resample_arrays(track: Track, step_s: int, max_interp_s: int):
    """The same as resample(), as NumPy arrays (slots, lats, lons, speeds); None without NumPy."""
    try:
        import numpy as np
    except ImportError:
        return None
    n = len(track.epochs)
    if n == 0:
        return None
    e = np.asarray(track.epochs, dtype=np.int64)
    lat = np.asarray(track.lats, dtype=float)
    lon = np.asarray(track.lons, dtype=float)
    sog = np.asarray(track.sogs, dtype=float)  # None becomes NaN
    first = -(-e[0] // step_s)
    last = e[-1] // step_s
    if last < first:
        empty = np.empty(0)
        return np.empty(0, dtype=np.int64), empty, empty, empty
    slots = np.arange(first, last + 1, dtype=np.int64)
    times = slots * step_s
    idx = np.searchsorted(e, times, side="right") - 1
    exact = e[idx] == times
    nxt = np.minimum(idx + 1, n - 1)
    gap = e[nxt] - e[idx]
    bridged = (~exact) & (gap <= max_interp_s) & (nxt > idx)
    keep = exact | bridged
    slots, times, idx, exact, nxt = slots[keep], times[keep], idx[keep], exact[keep], nxt[keep]
    dt = np.maximum(e[nxt] - e[idx], 1)
    f = np.where(exact, 0.0, (times - e[idx]) / dt)
    dlat = lat[nxt] - lat[idx]
    dlon = lon[nxt] - lon[idx]
    dlon = np.where(dlon > 180, dlon - 360, np.where(dlon < -180, dlon + 360, dlon))
    out_lat = np.where(exact, lat[idx], lat[idx] + f * dlat)
    out_lon = np.where(exact, lon[idx], (lon[idx] + f * dlon + 180.0) % 360.0 - 180.0)

    # speeds of each pair (i, i+1): implied by the positions
    def implied(i, j):
        p1, p2 = np.radians(lat[i]), np.radians(lat[j])
        a = (
            np.sin((p2 - p1) / 2) ** 2
            + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon[j] - lon[i]) / 2) ** 2
        )
        d = 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(a)))
        return d / np.maximum(e[j] - e[i], 1) / KNOT_MS

    def pair_speed(i, near_first):
        j = np.minimum(i + 1, n - 1)
        a = np.where(near_first, sog[i], sog[j])
        b = np.where(near_first, sog[j], sog[i])
        return np.where(~np.isnan(a), a, np.where(~np.isnan(b), b, implied(i, j)))

    speed = pair_speed(idx, f <= 0.5)
    # reports on the grid: their own speed, else as for the bridged pair after (or before) them
    prev = np.maximum(idx - 1, 0)
    next_ok = (idx + 1 < n) & (e[np.minimum(idx + 1, n - 1)] - e[idx] <= max_interp_s)
    prev_ok = (idx > 0) & (e[idx] - e[prev] <= max_interp_s)
    own = sog[idx]
    grid_speed = np.where(
        ~np.isnan(own),
        own,
        np.where(
            next_ok,
            pair_speed(idx, np.zeros(len(idx), dtype=bool)),
            np.where(prev_ok, pair_speed(prev, np.zeros(len(idx), dtype=bool)), np.nan),
        ),
    )
    speed = np.where(exact, grid_speed, speed)
    return slots, out_lat, out_lon, speed


def position_speeds(slots: list[int], lats: list, lons: list, fallback: list, step_s: int):
    """Speeds (knots) the resampled positions imply: the distance between the instants either
    side over their time apart (one side at the end of a run of instants), so GPS noise between
    reports seconds apart does not read as speed; an instant alone keeps `fallback`."""
    n = len(slots)
    out = list(fallback)
    for k in range(n):
        prev_ok = k > 0 and slots[k - 1] == slots[k] - 1
        next_ok = k + 1 < n and slots[k + 1] == slots[k] + 1
        if prev_ok and next_ok:
            a, b, span = k - 1, k + 1, 2
        elif next_ok:
            a, b, span = k, k + 1, 1
        elif prev_ok:
            a, b, span = k - 1, k, 1
        else:
            continue
        out[k] = haversine_m(lats[a], lons[a], lats[b], lons[b]) / (span * step_s) / KNOT_MS
    return out


def position_speeds_arrays(slots, lats, lons, fallback, step_s: int):
    """position_speeds() over NumPy arrays."""
    import numpy as np

    n = len(slots)
    if n == 0:
        return fallback
    consecutive = np.diff(slots) == 1
    prev_ok = np.concatenate(([False], consecutive))
    next_ok = np.concatenate((consecutive, [False]))
    k = np.arange(n)
    a = np.where(prev_ok, k - 1, k)
    b = np.where(next_ok, k + 1, k)
    span = (b - a).astype(float)
    p1, p2 = np.radians(lats[a]), np.radians(lats[b])
    h = (
        np.sin((p2 - p1) / 2) ** 2
        + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lons[b] - lons[a]) / 2) ** 2
    )
    d = 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h)))
    with np.errstate(invalid="ignore", divide="ignore"):
        speed = d / (span * step_s) / KNOT_MS
    return np.where(span > 0, speed, fallback)


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
    if place is None or distance_m is None:
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
