"""Every sighting of a vessel against that vessel's AIS.

For each sighting with a position (its coordinates, or its place's centre) and a vessel, the
vessel's AIS reports within `window_h` hours either side are read (by MMSI and time, from the
positions' key index). The status:

- `consistent`: a report in the window within `radius_km` of the sighting (or the position
  interpolated at the sighting's time between the reports around it is);
- `elsewhere`: reports in the window, all further than `radius_km`: the picture shows the ship
  here while its AIS said it was there (a possible false position);
- `dark`: the vessel's AIS in the case covers the sighting's time, but holds no report in the
  window: transponder off;
- `no AIS held`: the case holds no AIS for the vessel, or none around that time (the sighting
  is more than `window_h` before its first report or after its last).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from osint.case import records
from osint.maritime import sightings as sighting_lib
from osint.maritime.events import core
from osint.maritime.geo import haversine_m, wrap_lon
from osint.timeutil import from_epoch, to_epoch


@dataclass
class Params:
    window_h: float = 6.0
    radius_km: float = 10.0
    vessel: list[str] | None = None
    start: str | None = None
    end: str | None = None

    def check(self) -> None:
        core.positive(self.window_h, "--window-h")
        core.positive(self.radius_km, "--radius-km")

    def values(self) -> dict:
        return {
            "window_h": self.window_h,
            "radius_km": self.radius_km,
            "vessel": self.vessel or None,
            "from": self.start,
            "to": self.end,
        }

    def rule(self) -> str:
        return (
            f"AIS within {self.radius_km:g} km within {self.window_h:g} h of the sighting: "
            "consistent; reports only further away: elsewhere; no report: dark"
        )


def check(conn: sqlite3.Connection, p: Params) -> list[dict]:
    p.check()
    lo, hi = core.window(p.start, p.end)
    sc = core.scope(conn)
    wanted = {records.resolve_id(conn, ref, ["vessel"]) for ref in p.vessel} if p.vessel else None
    mmsis_of: dict[str, set[int]] = {}
    for (batch, mmsi), vessel in sc.mapping.items():
        if batch in sc.active:
            mmsis_of.setdefault(vessel, set()).add(mmsi)
    batches_of: dict = {}
    for (batch, mmsi), vessel in sc.mapping.items():
        batches_of.setdefault((vessel, mmsi), set()).add(batch)
    vessels = core.vessel_rows(conn)
    window = int(p.window_h * 3600)
    radius = p.radius_km * 1000
    rule = p.rule()
    cache: dict = {}
    out = []
    for sighting in records.iter_records(conn, "sighting", order_by="seen_at"):
        vessel_id = sighting["vessel"]
        if not vessel_id or (wanted is not None and vessel_id not in wanted):
            continue
        t = to_epoch(sighting["seen_at"])
        if (lo is not None and t < lo) or (hi is not None and t > hi):
            continue
        where = sighting_lib.position(conn, sighting, cache)
        row = {
            "kind": "sighting check",
            "sighting": sighting["id"],
            "vessel": core.vessel_ref(vessels, vessel_id, None),
            "when": sighting["seen_at"],
            "lat": where[0] if where else None,
            "lon": where[1] if where else None,
            "image": sighting.get("image"),
            "source": sighting.get("source"),
        }
        mmsis = mmsis_of.get(vessel_id)
        if where is None:
            row.update(status="no position", nearest=None, reason="the sighting has no position")
            out.append({**row, "rule": rule})
            continue
        if not mmsis:
            row.update(status="no AIS held", nearest=None,
                       reason="the case holds no AIS for this vessel")  # fmt: skip
            out.append({**row, "rule": rule})
            continue
        reports = []
        for mmsi in mmsis:
            allowed = batches_of.get((vessel_id, mmsi), set())
            for batch, epoch, lat, lon in conn.execute(
                "SELECT batch, epoch, lat, lon FROM ais_positions WHERE mmsi = ? AND "
                "epoch BETWEEN ? AND ? ORDER BY epoch",
                (mmsi, t - window, t + window),
            ):
                if batch in allowed:
                    reports.append((epoch, lat, lon, mmsi))
        reports.sort()
        if not reports:
            span = _coverage(conn, mmsis, batches_of, vessel_id)
            if span is None or t < span[0] - window or t > span[1] + window:
                covers = (
                    f" (its AIS in the case covers {from_epoch(span[0])} to {from_epoch(span[1])})"
                    if span
                    else ""
                )
                row.update(
                    status="no AIS held",
                    nearest=None,
                    reason=f"the case holds no AIS for this vessel at this time{covers}",
                )
                out.append({**row, "rule": rule})
                continue
            before = _nearest_outside(conn, mmsis, t, where)
            row.update(
                status="dark",
                nearest=before,
                reason=f"no AIS report within {p.window_h:g} h of the sighting: "
                "the transponder was off or not received",
            )
            out.append({**row, "rule": rule})
            continue
        lat0, lon0 = where
        scored = [
            (haversine_m(lat0, lon0, lat, lon), abs(epoch - t), epoch, lat, lon, mmsi)
            for epoch, lat, lon, mmsi in reports
        ]
        nearest = min(scored, key=lambda s: (s[1], s[0]))
        interpolated = _at(reports, t)
        row["nearest"] = {
            "time": from_epoch(nearest[2]),
            "lat": nearest[3],
            "lon": nearest[4],
            "mmsi": f"{nearest[5]:09d}",
            "hours_from_sighting": round((nearest[2] - t) / 3600, 2),
            "distance_km": round(nearest[0] / 1000, 2),
        }
        # Where AIS put the vessel at the sighting's time: interpolated between the reports
        # around it, else the report nearest in time.
        if interpolated is not None:
            distance = haversine_m(lat0, lon0, *interpolated)
            row["interpolated_distance_km"] = round(distance / 1000, 2)
            basis = "AIS interpolated at the sighting's time"
        else:
            distance = nearest[0]
            basis = f"the AIS report {abs(nearest[2] - t) / 3600:.1f} h from the sighting"
        if distance <= radius:
            row.update(status="consistent",
                       reason=f"{basis} places the vessel {distance / 1000:.1f} km from where it "
                       "was seen")  # fmt: skip
        else:
            row.update(
                status="elsewhere",
                reason=f"{basis} places the vessel {distance / 1000:,.1f} km from where it was "
                f"seen (more than {p.radius_km:g} km): a possible false position",
            )
        out.append({**row, "rule": rule})
    return out


def _coverage(conn, mmsis, batches_of, vessel_id) -> tuple[int, int] | None:
    """(first, last) epoch of the vessel's AIS reports in the case."""
    first: int | None = None
    last: int | None = None
    for mmsi in mmsis:
        row = conn.execute(
            "SELECT min(epoch), max(epoch) FROM ais_positions WHERE mmsi = ?", (mmsi,)
        ).fetchone()
        if row and row[0] is not None:
            first = row[0] if first is None else min(first, row[0])
            last = row[1] if last is None else max(last, row[1])
    return (first, last) if first is not None and last is not None else None


def _at(reports, t):
    """The position interpolated at t between the reports around it (None if not bracketed)."""
    before = [r for r in reports if r[0] <= t]
    after = [r for r in reports if r[0] >= t]
    if not before or not after:
        return None
    a, b = before[-1], after[0]
    if a[0] == b[0]:
        return a[1], a[2]
    f = (t - a[0]) / (b[0] - a[0])
    return a[1] + f * (b[1] - a[1]), core.norm_lon(a[2] + f * wrap_lon(b[2] - a[2]))


def _nearest_outside(conn, mmsis, t, where) -> dict | None:
    """The last report before and first after the sighting, for the `dark` rows."""
    best = None
    for mmsi in mmsis:
        for sql in (
            "SELECT epoch, lat, lon FROM ais_positions WHERE mmsi = ? AND epoch < ? "
            "ORDER BY epoch DESC LIMIT 1",
            "SELECT epoch, lat, lon FROM ais_positions WHERE mmsi = ? AND epoch > ? "
            "ORDER BY epoch LIMIT 1",
        ):
            found = conn.execute(sql, (mmsi, t)).fetchone()
            if found and (best is None or abs(found[0] - t) < abs(best[0] - t)):
                best = (found[0], found[1], found[2], mmsi)
    if best is None:
        return None
    return {
        "time": from_epoch(best[0]),
        "lat": best[1],
        "lon": best[2],
        "mmsi": f"{best[3]:09d}",
        "hours_from_sighting": round((best[0] - t) / 3600, 2),
        "distance_km": round(haversine_m(where[0], where[1], best[1], best[2]) / 1000, 2),
    }
