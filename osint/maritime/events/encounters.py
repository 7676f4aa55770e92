"""Encounters: two vessels that stayed close at low speed, at sea, for a while.

The rule (every number a flag; defaults as Global Fishing Watch publishes its encounter rule):
both tracks are resampled every `step_min` minutes without bridging silences longer than
`max_interp_h`; at each instant a vessel is a candidate when its speed is at most `max_speed_kn`
and it is at least `min_place_distance_km` from the edge of every recorded place; two candidates
at most `max_distance_m` apart are close; an encounter is a run of consecutive instants at which
the same two vessels are close, lasting at least `min_hours`. An instant where either vessel has
no position (a silence not bridged) ends the run: the row then says which vessel went silent.

Candidates are compared within one instant only, through a latitude/longitude grid whose cells
are at least `max_distance_m` wide (wider towards the poles, wrapping at the antimeridian), so
the work grows with the number of close neighbours, not with the square of the fleet.
`reference()` compares every pair of tracks instead; both must give the same encounters.
"""

from __future__ import annotations

import math
import sqlite3
from array import array
from bisect import bisect_right
from dataclasses import dataclass, field

from osint.maritime.events import core
from osint.maritime.geo import METRES_PER_DEGREE, haversine_m


@dataclass
class Params:
    max_distance_m: float = 500.0
    min_hours: float = 2.0
    max_speed_kn: float = 2.0
    min_place_distance_km: float = 10.0
    step_min: float = 10.0
    max_interp_h: float = 1.0
    reported_speed: bool = False
    vessel: list[str] = field(default_factory=list)
    start: str | None = None
    end: str | None = None

    def check(self) -> None:
        core.positive(self.max_distance_m, "--max-distance-m")
        core.non_negative(self.min_hours, "--min-hours")
        core.non_negative(self.max_speed_kn, "--max-speed-kn")
        core.non_negative(self.min_place_distance_km, "--min-place-distance-km")
        core.positive(self.step_min, "--step-min")
        core.positive(self.max_interp_h, "--max-interp-h")

    def values(self) -> dict:
        return {
            "max_distance_m": self.max_distance_m,
            "min_hours": self.min_hours,
            "max_speed_kn": self.max_speed_kn,
            "min_place_distance_km": self.min_place_distance_km,
            "step_min": self.step_min,
            "max_interp_h": self.max_interp_h,
            "speed": "reported" if self.reported_speed else "positions",
            "vessel": self.vessel or None,
            "from": self.start,
            "to": self.end,
        }

    def rule(self) -> str:
        return (
            f"within {self.max_distance_m:g} m for at least {self.min_hours:g} h, both at most "
            f"{self.max_speed_kn:g} kn, at least {self.min_place_distance_km:g} km from any place "
            f"(tracks every {self.step_min:g} min, silences over {self.max_interp_h:g} h not bridged; "
            f"speed {'as reported' if self.reported_speed else 'from the positions'})"
        )


@dataclass
class Candidates:
    """Resampled instants of every track in scope: where each was slow and away from places."""

    step_s: int
    tracks: list[tuple[str, int]] = field(default_factory=list)  # (vessel, mmsi) per track index
    slot: array = field(default_factory=lambda: array("q"))
    track: array = field(default_factory=lambda: array("l"))
    lat: array = field(default_factory=lambda: array("d"))
    lon: array = field(default_factory=lambda: array("d"))
    speed: array = field(default_factory=lambda: array("d"))
    coverage: list[list[tuple[int, int]]] = field(default_factory=list)  # per track: slot runs
    runs: list[tuple] = field(default_factory=list)  # candidate runs: (track, first, last, idx0)
    # silences longer than collect()'s gaps_over_s: (track, from t, lat, lon, to t, lat, lon)
    gaps: list[tuple] = field(default_factory=list)

    def covered(self, ti: int, slot: int) -> bool:
        spans = self.coverage[ti]
        i = bisect_right(spans, (slot, float("inf"))) - 1
        return i >= 0 and spans[i][0] <= slot <= spans[i][1]


USE_NUMPY = True  # tests switch it off to check that both ways give the same candidates


def collect(
    conn: sqlite3.Connection, p, *, sc: core.Scope | None = None, gaps_over_s: int | None = None
) -> Candidates:
    """Resample every track; keep its candidate instants and the runs they form (and, with
    gaps_over_s, its silences longer than that)."""
    step_s = max(1, int(round(p.step_min * 60)))
    max_interp = int(p.max_interp_h * 3600)
    # --vessel picks the encounters a vessel takes part in: every vessel is still compared.
    sc = sc or core.scope(conn, start=p.start, end=p.end)
    places = core.PlaceIndex.load(conn)
    near = places.near_test(p.min_place_distance_km * 1000)
    out = Candidates(step_s)
    reported = getattr(p, "reported_speed", False)
    for track in core.iter_tracks(conn, sc, with_sog=reported):
        ti = len(out.tracks)
        out.tracks.append((track.vessel, track.mmsi))
        if gaps_over_s is not None:
            _gaps(out, ti, track, gaps_over_s)
        arrays = core.resample_arrays(track, step_s, max_interp) if USE_NUMPY else None
        if arrays is not None:
            if not reported:
                slots, lats, lons, speeds = arrays
                speeds = core.position_speeds_arrays(slots, lats, lons, speeds, step_s)
                arrays = (slots, lats, lons, speeds)
            _collect_arrays(out, ti, arrays, p, places)
        else:
            points = list(core.resample(track, step_s, max_interp))
            if not reported and points:
                slots, lats, lons, speeds = (list(c) for c in zip(*points, strict=True))
                speeds = core.position_speeds(slots, lats, lons, speeds, step_s)
                points = list(zip(slots, lats, lons, speeds, strict=True))
            _collect_points(out, ti, points, p, near)
    return out


def _gaps(out: Candidates, ti: int, track: core.Track, over_s: int) -> None:
    try:
        import numpy as np
    except ImportError:
        epochs = core.as_list(track.epochs)
        found = [k for k in range(len(epochs) - 1) if epochs[k + 1] - epochs[k] > over_s]
    else:
        found = np.flatnonzero(np.diff(np.asarray(track.epochs)) > over_s).tolist()
    for k in found:
        out.gaps.append(
            (
                ti,
                int(track.epochs[k]),
                float(track.lats[k]),
                float(track.lons[k]),
                int(track.epochs[k + 1]),
                float(track.lats[k + 1]),
                float(track.lons[k + 1]),
            )
        )


def _collect_points(out: Candidates, ti: int, points, p, near) -> None:
    spans: list = []
    first = last = None
    run_first = run_last = None
    run_idx = 0
    max_speed = p.max_speed_kn
    for slot, lat, lon, speed in points:
        if last is not None and slot == last + 1:
            last = slot
        else:
            if first is not None:
                spans.append((first, last))
            first = last = slot
        if speed <= max_speed and not near(lat, lon):
            if run_last is not None and slot == run_last + 1:
                run_last = slot
            else:
                if run_first is not None:
                    out.runs.append((ti, run_first, run_last, run_idx))
                run_first = run_last = slot
                run_idx = len(out.slot)
            out.slot.append(slot)
            out.track.append(ti)
            out.lat.append(lat)
            out.lon.append(lon)
            out.speed.append(speed)
    if first is not None:
        spans.append((first, last))
    if run_first is not None:
        out.runs.append((ti, run_first, run_last, run_idx))
    out.coverage.append(spans)


def _runs_of(slots) -> list[tuple[int, int, int]]:
    """(first slot, last slot, offset) of each run of consecutive slots in a sorted array."""
    import numpy as np

    if len(slots) == 0:
        return []
    breaks = np.flatnonzero(np.diff(slots) != 1)
    starts = np.concatenate(([0], breaks + 1))
    ends = np.concatenate((breaks, [len(slots) - 1]))
    return list(zip(slots[starts].tolist(), slots[ends].tolist(), starts.tolist(), strict=True))


def _collect_arrays(out: Candidates, ti: int, arrays, p, places: core.PlaceIndex) -> None:
    import numpy as np

    slots, lats, lons, speeds = arrays
    out.coverage.append([(a, b) for a, b, _ in _runs_of(slots)])
    cand = speeds <= p.max_speed_kn
    if places.places and cand.any():
        idx = np.flatnonzero(cand)
        sub_lat, sub_lon = lats[idx], lons[idx]
        near = np.zeros(len(idx), dtype=bool)
        for place in places.places:
            reach = (place["radius_m"] or 0) + p.min_place_distance_km * 1000
            p1, p2 = np.radians(sub_lat), math.radians(place["lat"])
            a = (
                np.sin((p2 - p1) / 2) ** 2
                + np.cos(p1) * math.cos(p2) * np.sin(np.radians(place["lon"] - sub_lon) / 2) ** 2
            )
            d = 2 * core.EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(a)))
            near |= d < reach
        cand[idx[near]] = False
    if not cand.any():
        return
    c_slots = slots[cand]
    base = len(out.slot)
    for first, last, offset in _runs_of(c_slots):
        out.runs.append((ti, first, last, base + offset))
    out.slot.extend(c_slots.tolist())
    out.track.extend([ti] * len(c_slots))
    out.lat.extend(lats[cand].tolist())
    out.lon.extend(lons[cand].tolist())
    out.speed.extend(speeds[cand].tolist())


class _Grid:
    """Cells at least d wide in latitude and longitude (by latitude row), wrapping in longitude."""

    def __init__(self, max_distance_m: float):
        self.d_deg = max_distance_m / METRES_PER_DEGREE * 1.01
        self._n: dict[int, int] = {}

    def ncells(self, row: int) -> int:
        n = self._n.get(row)
        if n is None:
            d = self.d_deg
            edge = max(abs((row - 1) * d - 90.0), abs((row + 2) * d - 90.0))
            cos = math.cos(math.radians(min(edge, 90.0)))
            width = d / cos if cos > 1e-9 else 360.0
            n = max(1, int(360.0 / width)) if width < 120.0 else 1
            self._n[row] = n
        return n

    def row(self, lat: float) -> int:
        return int(math.floor((lat + 90.0) / self.d_deg))

    def cell(self, row: int, lon: float) -> int:
        n = self.ncells(row)
        return int(math.floor((lon + 180.0) * n / 360.0)) % n


def _close_in_slot(idx: list[int], c: Candidates, max_d: float, grid: _Grid):
    """(i, j, distance) for close candidates of one instant, i before j in track order."""
    lat, lon, track = c.lat, c.lon, c.track
    dlat_max = grid.d_deg
    if len(idx) <= 12:
        for a in range(len(idx)):
            i = idx[a]
            for b in range(a + 1, len(idx)):
                j = idx[b]
                if abs(lat[i] - lat[j]) > dlat_max:
                    continue
                d = haversine_m(lat[i], lon[i], lat[j], lon[j])
                if d <= max_d:
                    yield (i, j, d) if track[i] < track[j] else (j, i, d)
        return
    buckets: dict[tuple[int, int], list[int]] = {}
    rows = {}
    for i in idx:
        r = grid.row(lat[i])
        rows[i] = r
        buckets.setdefault((r, grid.cell(r, lon[i])), []).append(i)
    for i in idx:
        r = rows[i]
        for rr in (r - 1, r, r + 1):
            n = grid.ncells(rr)
            x = grid.cell(rr, lon[i])
            for xx in {(x - 1) % n, x, (x + 1) % n}:
                for j in buckets.get((rr, xx), ()):
                    if j <= i or abs(lat[i] - lat[j]) > dlat_max:
                        continue
                    d = haversine_m(lat[i], lon[i], lat[j], lon[j])
                    if d <= max_d:
                        yield (i, j, d) if track[i] < track[j] else (j, i, d)


class _Runs:
    """Runs of consecutive instants per pair of tracks, closed as soon as an instant is missed."""

    def __init__(self, c: Candidates, min_slots: int):
        self.c = c
        self.min_slots = min_slots
        self.open: dict[tuple[int, int], list] = {}
        self.done: list[list] = []

    def add(self, slot: int, i: int, j: int, d: float) -> None:
        c = self.c
        key = (c.track[i], c.track[j])
        run = self.open.get(key)
        if run is not None and run[1] == slot - 1:
            run[1] = slot
            run[2].append(d)
            run[3].append(i)
            run[4].append(j)
            return
        if run is not None:
            self._close(key, run)
        self.open[key] = [slot, slot, [d], [i], [j]]

    def _close(self, key, run) -> None:
        if run[1] - run[0] >= self.min_slots:
            self.done.append([key, *run])

    def flush(self, before: int | None = None) -> None:
        for key in [k for k, r in self.open.items() if before is None or r[1] < before - 1]:
            self._close(key, self.open.pop(key))


def _min_slots(p, step_s: int) -> int:
    return math.ceil(p.min_hours * 3600 / step_s - 1e-9)


def _grid_runs_arrays(c: Candidates, p: Params, grid: _Grid, min_slots: int):
    """The grid pairing and the runs, vectorised with NumPy (None without it): the same cells,
    the same neighbours and the same runs as the plain loop."""
    try:
        import numpy as np
    except ImportError:
        return None
    n = len(c.slot)
    if n == 0:
        return []
    slot = np.asarray(c.slot, dtype=np.int64)
    lat = np.asarray(c.lat, dtype=float)
    lon = np.asarray(c.lon, dtype=float)
    track = np.asarray(c.track, dtype=np.int64)
    order_all = np.argsort(slot, kind="stable")
    d_deg = grid.d_deg
    row = np.floor((lat + 90.0) / d_deg).astype(np.int64)
    rows_needed = np.unique(np.concatenate([row - 1, row, row + 1]))
    ncells_of = np.array([grid.ncells(int(r)) for r in rows_needed], dtype=np.int64)
    width = int(ncells_of.max()) + 2
    row_lo = int(rows_needed[0])
    height = int(rows_needed[-1]) - row_lo + 2

    def cells(rows, lons):
        count = ncells_of[np.searchsorted(rows_needed, rows)]
        return np.floor((lons + 180.0) * count / 360.0).astype(np.int64) % count, count

    found_i, found_j, found_d = [], [], []
    chunk = 50_000
    start = 0
    while start < n:
        end = min(start + chunk, n)
        while end < n and slot[order_all[end]] == slot[order_all[end - 1]]:
            end += 1  # never split one instant
        idx = order_all[start:end]
        s0 = int(slot[idx[0]])
        base = (slot[idx] - s0) * (height * width)
        own_col, _ = cells(row[idx], lon[idx])
        keys = base + (row[idx] - row_lo) * width + own_col
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        for dr in (-1, 0, 1):
            nrow = row[idx] + dr
            col, count = cells(nrow, lon[idx])
            for dc in (-1, 0, 1):
                valid = (dc == 0) | ((dc == 1) & (count >= 2)) | ((dc == -1) & (count >= 3))
                ncol = (col + dc) % count
                nkey = base + (nrow - row_lo) * width + ncol
                lo_ = np.searchsorted(sorted_keys, nkey, side="left")
                hi_ = np.searchsorted(sorted_keys, nkey, side="right")
                counts = np.where(valid, hi_ - lo_, 0)
                total = int(counts.sum())
                if not total:
                    continue
                pi = np.repeat(np.arange(len(idx)), counts)
                offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
                qj = order[np.repeat(lo_, counts) + offsets]
                gi, gj = idx[pi], idx[qj]
                keep = (gj > gi) & (np.abs(lat[gi] - lat[gj]) <= d_deg)
                gi, gj = gi[keep], gj[keep]
                p1, p2 = np.radians(lat[gi]), np.radians(lat[gj])
                h = (
                    np.sin((p2 - p1) / 2) ** 2
                    + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon[gj] - lon[gi]) / 2) ** 2
                )
                dist = 2 * core.EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h)))
                close = dist <= p.max_distance_m
                found_i.append(gi[close])
                found_j.append(gj[close])
                found_d.append(dist[close])
        start = end
    if not found_i:
        return []
    gi = np.concatenate(found_i)
    gj = np.concatenate(found_j)
    dist = np.concatenate(found_d)
    if not len(gi):
        return []
    swap = track[gi] > track[gj]
    gi, gj = np.where(swap, gj, gi), np.where(swap, gi, gj)
    ta, tb, sl = track[gi], track[gj], slot[gi]
    order = np.lexsort((sl, tb, ta))
    ta, tb, sl, gi, gj, dist = ta[order], tb[order], sl[order], gi[order], gj[order], dist[order]
    fresh = np.ones(len(sl), dtype=bool)
    fresh[1:] = (ta[1:] != ta[:-1]) | (tb[1:] != tb[:-1]) | (sl[1:] != sl[:-1] + 1)
    starts = np.flatnonzero(fresh)
    ends = np.concatenate((starts[1:], [len(sl)])) - 1
    long_enough = (sl[ends] - sl[starts]) >= min_slots
    done = []
    for a, b in zip(starts[long_enough].tolist(), ends[long_enough].tolist(), strict=True):
        done.append(
            [
                (int(ta[a]), int(tb[a])),
                int(sl[a]),
                int(sl[b]),
                dist[a : b + 1].tolist(),
                gi[a : b + 1].tolist(),
                gj[a : b + 1].tolist(),
            ]
        )
    return done


USE_NUMPY_PAIRS = True


def find(
    conn: sqlite3.Connection, p: Params, *, candidates: Candidates | None = None
) -> list[dict]:
    """Encounters by the grid (the fast way)."""
    p.check()
    c = candidates or collect(conn, p)
    grid = _Grid(p.max_distance_m)
    if USE_NUMPY_PAIRS:
        done = _grid_runs_arrays(c, p, grid, _min_slots(p, c.step_s))
        if done is not None:
            return _rows(conn, p, c, done)
    runs = _Runs(c, _min_slots(p, c.step_s))
    order = sorted(range(len(c.slot)), key=c.slot.__getitem__)
    slots = c.slot
    k = 0
    n = len(order)
    flushed = None
    while k < n:
        slot = slots[order[k]]
        e = k
        while e < n and slots[order[e]] == slot:
            e += 1
        if e - k > 1:
            for i, j, d in _close_in_slot(order[k:e], c, p.max_distance_m, grid):
                runs.add(slot, i, j, d)
        if flushed is None or slot - flushed > 256:
            runs.flush(slot)
            flushed = slot
        k = e
    runs.flush()
    return _rows(conn, p, c, runs.done)


def reference(conn: sqlite3.Connection, p: Params, *, candidates: Candidates | None = None):
    """Encounters by comparing every pair of tracks at every instant both hold (the slow way)."""
    p.check()
    c = candidates or collect(conn, p)
    per_track: list[dict[int, int]] = [{} for _ in c.tracks]
    for i, (slot, ti) in enumerate(zip(c.slot, c.track, strict=True)):
        per_track[ti][slot] = i
    runs = _Runs(c, _min_slots(p, c.step_s))
    for a in range(len(per_track)):
        for b in range(a + 1, len(per_track)):
            pa, pb = per_track[a], per_track[b]
            if len(pb) < len(pa):
                common = sorted(s for s in pb if s in pa)
            else:
                common = sorted(s for s in pa if s in pb)
            for slot in common:
                i, j = pa[slot], pb[slot]
                d = haversine_m(c.lat[i], c.lon[i], c.lat[j], c.lon[j])
                if d <= p.max_distance_m:
                    runs.add(slot, i, j, d)
            runs.flush()
    return _rows(conn, p, c, runs.done)


def _rows(conn, p: Params, c: Candidates, done: list) -> list[dict]:
    from osint.case import records

    vessels = core.vessel_rows(conn)
    places = core.PlaceIndex.load(conn)
    wanted = {records.resolve_id(conn, ref, ["vessel"]) for ref in p.vessel} if p.vessel else None
    rule = p.rule()
    out = []
    for (ta, tb), first, last, dists, ia, ib in done:
        va, ma = c.tracks[ta]
        vb, mb = c.tracks[tb]
        if va == vb:
            continue  # one vessel under two MMSIs is not an encounter
        if wanted is not None and va not in wanted and vb not in wanted:
            continue
        lats = [c.lat[i] for i in ia] + [c.lat[j] for j in ib]
        lons = [c.lon[i] for i in ia] + [c.lon[j] for j in ib]
        lat, lon = core.mean_position(lats, lons)
        place, place_d = places.nearest(lat, lon)
        ordered = sorted(dists)
        mid = len(ordered) // 2
        median = ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
        silent = []
        for label, ti in (("a", ta), ("b", tb)):
            for edge, slot in (("before", first - 1), ("after", last + 1)):
                if not c.covered(ti, slot):
                    silent.append(f"vessel_{label} has no AIS position {edge} it (not bridged)")
        speeds = [c.speed[i] for i in ia] + [c.speed[j] for j in ib]
        out.append(
            {
                "kind": "encounter",
                "vessel_a": core.vessel_ref(vessels, va, ma),
                "vessel_b": core.vessel_ref(vessels, vb, mb),
                "start": core.iso(first * c.step_s),
                "end": core.iso(last * c.step_s),
                "hours": round((last - first) * c.step_s / 3600, 2),
                "instants": last - first + 1,
                "median_distance_m": round(median, 1),
                "min_distance_m": round(ordered[0], 1),
                "mean_speed_kn": round(sum(speeds) / len(speeds), 2),
                "lat": round(lat, 5),
                "lon": round(lon, 5),
                **core.place_ref(place, place_d),
                "ends_at_silence": silent,
                "rule": rule,
            }
        )
    out.sort(
        key=lambda r: (
            r["start"],
            r["vessel_a"]["id"],
            r["vessel_b"]["id"],
            r["vessel_a"]["mmsi"],
            r["vessel_b"]["mmsi"],
        )
    )
    return out
