"""Identity and position anomalies in AIS: what a ship that hides tends to leave behind.

Kinds (each row says which rule found it, in plain words, with the reports or names behind it):

- `impossible speed`: a report further from the one before than `max_speed_kn` (50) allows in the
  time between them (and at least `min_jump_km` away, so that GPS noise between reports seconds
  apart is not a jump);
- `two places at once`: one MMSI reporting from two tracks that cannot be one ship: its reports
  split into tracks each reachable at `max_speed_kn`, two of them with at least
  `min_track_reports` reports overlapping in time (a cloned or shared MMSI); its jumps are folded
  into this one row;
- `name change`, `IMO change`, `call sign change`, `ship type change`, `MMSI change`: the static
  reports of a vessel's AIS disagree over time (the MMSI change names the flags the MIDs claim);
- `flag does not match MID`: the vessel's recorded flag is not the country its MMSI's MID belongs
  to;
- `position on land`: reports on land by an offline land mask (the optional `global-land-mask`
  package, 1 km cells), away from recorded places by `land_margin_km`; reported as unavailable
  when the package is not installed.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass, field

from osint.maritime import identifiers
from osint.maritime.events import core
from osint.maritime.geo import haversine_m, wrap_lon
from osint.timeutil import from_epoch, to_epoch

KINDS = (
    "impossible speed",
    "two places at once",
    "name change",
    "IMO change",
    "call sign change",
    "ship type change",
    "MMSI change",
    "flag does not match MID",
    "position on land",
)
LAND_PACKAGE = "global-land-mask"


@dataclass
class Params:
    max_speed_kn: float = 50.0
    min_jump_km: float = 1.0
    min_track_reports: int = 3
    land_margin_km: float = 1.0
    land_episode_h: float = 1.0
    land: bool = True
    vessel: list[str] = field(default_factory=list)
    start: str | None = None
    end: str | None = None

    def check(self) -> None:
        core.positive(self.max_speed_kn, "--max-speed-kn")
        core.non_negative(self.min_jump_km, "--min-jump-km")
        core.positive(self.min_track_reports, "--min-track-reports")
        core.non_negative(self.land_margin_km, "--land-margin-km")
        core.non_negative(self.land_episode_h, "--land-episode-h")

    def values(self) -> dict:
        return {
            "max_speed_kn": self.max_speed_kn,
            "min_jump_km": self.min_jump_km,
            "min_track_reports": self.min_track_reports,
            "land_margin_km": self.land_margin_km,
            "land_episode_h": self.land_episode_h,
            "land": self.land,
            "vessel": self.vessel or None,
            "from": self.start,
            "to": self.end,
        }

    def rule(self) -> str:
        return (
            f"jumps faster than {self.max_speed_kn:g} kn (and over {self.min_jump_km:g} km); two "
            f"tracks of {self.min_track_reports}+ reports under one MMSI at once; static identity "
            f"changes; flag vs MID; positions on land more than {self.land_margin_km:g} km from "
            "places"
        )


@dataclass
class Result:
    rows: list[dict]
    unavailable: dict[str, str]


def _report(t, lat, lon) -> dict:
    return {"time": from_epoch(t), "lat": round(lat, 5), "lon": round(lon, 5)}


def find(conn: sqlite3.Connection, p: Params) -> Result:
    p.check()
    sc = core.scope(conn, start=p.start, end=p.end, vessels=p.vessel)
    vessels = core.vessel_rows(conn)
    places = core.PlaceIndex.load(conn)
    rows: list[dict] = []
    unavailable: dict[str, str] = {}
    land = None
    if p.land:
        from osint.maritime.events.landmask import LandMask

        mask = LandMask.load()
        if mask is not None:
            land = mask.is_land
        else:
            unavailable["position on land"] = (
                f"needs the optional package {LAND_PACKAGE} (pip install {LAND_PACKAGE}): "
                "not checked"
            )
    else:
        unavailable["position on land"] = "not checked (--no-land)"
    near_place = places.near_test(p.land_margin_km * 1000)
    max_ms = p.max_speed_kn * core.KNOT_MS
    min_jump = p.min_jump_km * 1000
    for track in core.iter_tracks(conn, sc, with_sog=False):
        ref = core.vessel_ref(vessels, track.vessel, track.mmsi)
        rows += _positions(track, ref, max_ms, min_jump, p)
        if land is not None:
            rows += _on_land(track, ref, land, near_place, p)
    rows += _identity(conn, sc, vessels)
    rule = p.rule()
    for row in rows:
        row["rule"] = rule
    rows.sort(key=lambda r: (r["when"] or "", r["vessel"]["name"] or "", r["kind"]))
    return Result(rows, unavailable)


def _reachable(t0, lat0, lon0, t1, lat1, lon1, max_ms, min_jump) -> tuple[bool, float]:
    """(reachable, metres): cheap flat-earth test first, haversine only near the limit."""
    allowed = max_ms * (t1 - t0) + min_jump
    dy = (lat1 - lat0) * 111_195.0
    if dy * dy > 4 * allowed * allowed:
        return False, haversine_m(lat0, lon0, lat1, lon1)
    dx = wrap_lon(lon1 - lon0) * 111_195.0 * math.cos(math.radians(lat0))
    flat2 = dx * dx + dy * dy
    if flat2 < 0.8 * allowed * allowed:
        return True, math.sqrt(flat2)
    d = haversine_m(lat0, lon0, lat1, lon1)
    return d <= allowed, d


USE_NUMPY = True  # tests switch it off to check the plain way alone


def _all_clear(track: core.Track, max_ms: float, min_jump: float) -> bool:
    """Whether every report is clearly reachable from the one before (the flat-earth test of
    _reachable, vectorised): then the track holds no jump and one ship. False when unsure."""
    if not USE_NUMPY or track.clashes:
        return False
    try:
        import numpy as np
    except ImportError:
        return False
    if len(track.epochs) < 2:
        return True
    e = np.asarray(track.epochs, dtype=np.int64)
    lat = np.asarray(track.lats, dtype=float)
    lon = np.asarray(track.lons, dtype=float)
    allowed = max_ms * np.diff(e) + min_jump
    dy = np.diff(lat) * 111_195.0
    dlon = np.diff(lon)
    dlon = np.where(dlon > 180, dlon - 360, np.where(dlon < -180, dlon + 360, dlon))
    dx = dlon * 111_195.0 * np.cos(np.radians(lat[:-1]))
    return bool(np.all(dx * dx + dy * dy < 0.7 * allowed * allowed))


def _positions(track: core.Track, ref: dict, max_ms, min_jump, p: Params) -> list[dict]:
    """Jumps, and an MMSI's reports split into tracks that one ship could have sailed."""
    if _all_clear(track, max_ms, min_jump):
        return []
    epochs, lats, lons = (
        core.as_list(track.epochs),
        core.as_list(track.lats),
        core.as_list(track.lons),
    )
    # tracks: [last_t, last_lat, last_lon, count, first_t]
    tracks: list[list] = []
    jumps: list[tuple] = []
    switches = 0
    latest = None  # (t, lat, lon) of the latest report of any track
    for k in range(len(epochs)):
        t, lat, lon = epochs[k], lats[k], lons[k]
        placed = False
        if tracks:
            current = tracks[-1]
            ok, _ = _reachable(current[0], current[1], current[2], t, lat, lon, max_ms, min_jump)
            if ok:
                current[0], current[1], current[2] = t, lat, lon
                current[3] += 1
                placed = True
            else:
                for i in range(len(tracks) - 2, -1, -1):
                    other = tracks[i]
                    ok, _ = _reachable(other[0], other[1], other[2], t, lat, lon, max_ms, min_jump)
                    if ok:
                        other[0], other[1], other[2] = t, lat, lon
                        other[3] += 1
                        tracks.append(tracks.pop(i))
                        placed = True
                        switches += 1
                        break
        if not placed:
            if latest is not None:
                lt, llat, llon = latest
                d = haversine_m(llat, llon, lat, lon)
                hours = (t - lt) / 3600
                jumps.append((lt, llat, llon, t, lat, lon, d, hours))
            tracks.append([t, lat, lon, 1, t])
            if len(tracks) > 6:
                tracks.pop(0)
        latest = (t, lat, lon)
    for t, lat, lon in track.clashes:
        k = epochs.index(t)
        d = haversine_m(lats[k], lons[k], lat, lon)
        if d >= min_jump:
            jumps.append((t, lats[k], lons[k], t, lat, lon, d, 0.0))
    big = [tr for tr in tracks if tr[3] >= p.min_track_reports]
    shared = None
    for a in range(len(big)):
        for b in range(a + 1, len(big)):
            x, y = big[a], big[b]
            if x[4] <= y[0] and y[4] <= x[0]:
                shared = (x, y)
    out = []
    if shared and jumps:
        x, y = shared
        first = min(jumps, key=lambda j: j[3])
        out.append(
            {
                "kind": "two places at once",
                "vessel": ref,
                "when": from_epoch(first[3]),
                "lat": round(first[4], 5),
                "lon": round(first[5], 5),
                "evidence": {
                    "reports": [_report(*first[0:3]), _report(*first[3:6])],
                    "tracks": [
                        {"last": _report(x[0], x[1], x[2]), "reports": x[3]},
                        {"last": _report(y[0], y[1], y[2]), "reports": y[3]},
                    ],
                    "jumps": len(jumps),
                    "switches": switches,
                },
                "reason": f"MMSI {ref['mmsi']} reports from two tracks {first[6] / 1000:,.0f} km "
                f"apart that no ship could sail between (it switched between them {switches} "
                "times): two transmitters share this MMSI, or one broadcasts false positions",
            }
        )
        return out
    for lt, llat, llon, t, lat, lon, d, hours in jumps:
        speed = d / 1852 / hours if hours else None
        out.append(
            {
                "kind": "impossible speed",
                "vessel": ref,
                "when": from_epoch(t),
                "lat": round(lat, 5),
                "lon": round(lon, 5),
                "evidence": {
                    "reports": [_report(lt, llat, llon), _report(t, lat, lon)],
                    "distance_km": round(d / 1000, 1),
                    "implied_speed_kn": round(speed, 1) if speed is not None else None,
                },
                "reason": (
                    f"moved {d / 1000:,.1f} km in {hours * 60:.0f} minutes "
                    f"({speed:,.0f} kn, more than {p.max_speed_kn:g} kn)"
                    if speed is not None
                    else f"two positions {d / 1000:,.1f} km apart at the same second"
                ),
            }
        )
    return out


def _on_land(track: core.Track, ref: dict, is_land, near_place, p: Params) -> list[dict]:
    """Reports on land, away from places, as episodes (land reports less than land_episode_h
    apart belong to one episode)."""
    import numpy as np

    mask = is_land(track.lats, track.lons)
    if not mask.any():
        return []
    track = core.Track(
        track.vessel, track.mmsi, core.as_list(track.epochs), core.as_list(track.lats),
        core.as_list(track.lons),
    )  # fmt: skip
    episodes: list[list[int]] = []  # [first index, last index, count]
    limit = p.land_episode_h * 3600
    for k in np.flatnonzero(mask).tolist():
        if near_place(track.lats[k], track.lons[k]):
            continue
        if episodes and track.epochs[k] - track.epochs[episodes[-1][1]] <= limit:
            episodes[-1][1] = k
            episodes[-1][2] += 1
        else:
            episodes.append([k, k, 1])
    out = []
    for a, b, count in episodes:
        out.append(
            {
                "kind": "position on land",
                "vessel": ref,
                "when": from_epoch(track.epochs[a]),
                "lat": round(track.lats[a], 5),
                "lon": round(track.lons[a], 5),
                "evidence": {
                    "reports": [
                        _report(track.epochs[a], track.lats[a], track.lons[a]),
                        _report(track.epochs[b], track.lats[b], track.lons[b]),
                    ],
                    "count": count,
                },
                "reason": f"{count} report(s) on land by the land mask (1 km cells), more than "
                f"{p.land_margin_km:g} km from any recorded place: a false position, or a port "
                "the case does not record",
            }
        )
    return out


def _identity(conn: sqlite3.Connection, sc: core.Scope, vessels: dict) -> list[dict]:
    out = []
    tracks: dict[str, list[dict]] = {}
    for row in conn.execute(
        "SELECT t.* FROM ais_tracks t JOIN ais_imports i ON i.id = t.import_id "
        "WHERE t.retracted_at IS NULL AND i.retracted_at IS NULL ORDER BY t.first_time"
    ):
        if sc.vessels is None or row["vessel"] in sc.vessels:
            tracks.setdefault(row["vessel"], []).append(dict(row))
    for vessel_id, items in tracks.items():
        vessel = vessels.get(vessel_id)
        if not vessel or vessel.get("retracted_at"):
            continue
        mmsi = int(items[-1]["mmsi"])
        ref = core.vessel_ref(vessels, vessel_id, mmsi)
        for field_name, label in (
            ("imo", "IMO change"),
            ("call_sign", "call sign change"),
            ("ship_type", "ship type change"),
            ("mmsi", "MMSI change"),
        ):
            previous = None
            for item in items:
                value = item.get(field_name)
                if not value:
                    continue
                if previous is not None and value != previous[field_name]:
                    evidence = {
                        "before": {field_name: previous[field_name], "track": previous["id"],
                                   "last": previous["last_time"]},
                        "after": {field_name: value, "track": item["id"],
                                  "first": item["first_time"]},
                    }  # fmt: skip
                    reason = f"AIS static reports changed {field_name.replace('_', ' ')} from {previous[field_name]} to {value}"
                    if field_name == "mmsi":
                        before_flag = identifiers.mmsi_flag(previous["mmsi"])
                        after_flag = identifiers.mmsi_flag(value)
                        reason += (
                            f" (flag by MID {before_flag[0] or '?'} to {after_flag[0] or '?'})"
                        )
                    out.append(_identity_row(conn, label, ref, item["first_time"], item["mmsi"],
                                             evidence, reason))  # fmt: skip
                previous = item
        names = [
            dict(r)
            for r in conn.execute(
                "SELECT * FROM vessel_names WHERE vessel = ? AND name_type = 'ais' AND "
                "retracted_at IS NULL ORDER BY valid_from, name",
                (vessel_id,),
            )
        ]
        for before, after in zip(names, names[1:], strict=False):
            evidence = {
                "before": {"name": before["name"], "from": before["valid_from"],
                           "to": before["valid_to"]},
                "after": {"name": after["name"], "from": after["valid_from"],
                          "to": after["valid_to"]},
            }  # fmt: skip
            out.append(
                _identity_row(conn, "name change", ref, after["valid_from"], str(mmsi), evidence,
                              f"AIS name changed from {before['name']} (last heard "
                              f"{before['valid_to']}) to {after['name']} (heard from "
                              f"{after['valid_from']})")
            )  # fmt: skip
        flag = vessel.get("flag")
        if flag:
            for m in sorted({item["mmsi"] for item in items}):
                mid_flag, country = identifiers.mmsi_flag(m)
                if mid_flag and mid_flag != flag:
                    first = min(i["first_time"] for i in items if i["mmsi"] == m)
                    out.append(
                        _identity_row(conn, "flag does not match MID", ref, first, m,
                                      {"flag": flag, "mmsi": m, "mid_flag": mid_flag},
                                      f"the vessel is recorded under flag {flag}, but MMSI {m}'s "
                                      f"MID belongs to {country} ({mid_flag})")
                    )  # fmt: skip
    return out


def _identity_row(conn, kind, ref, when, mmsi, evidence, reason) -> dict:
    lat = lon = None
    if when:
        found = conn.execute(
            "SELECT lat, lon FROM ais_positions WHERE mmsi = ? AND epoch >= ? ORDER BY epoch LIMIT 1",
            (int(mmsi), to_epoch(when)),
        ).fetchone()
        if found:
            lat, lon = round(found[0], 5), round(found[1], 5)
    return {
        "kind": kind,
        "vessel": {**ref, "mmsi": f"{int(mmsi):09d}" if str(mmsi).isdigit() else ref["mmsi"]},
        "when": when,
        "lat": lat,
        "lon": lon,
        "evidence": evidence,
        "reason": reason,
    }
