"""Dark activity: AIS silences that look like a transponder switched off, not a coverage hole.

As Global Fishing Watch defines its AIS-disabling events where the data allows: a silence of at
least `min_hours` (12) whose last report before and first report after are both at least
`min_place_distance_km` from every recorded place (a ship in port is not hiding), with a data
density score so that a hole in reception is not called a switch-off. The score is the number of
reports the vessel sent in the `density_window_h` hours before the silence and after it, against
`expected_per_hour` reports an hour (one every ten minutes), capped at 1: a vessel heard every few
minutes right up to the silence and right after it was inside coverage; a vessel heard once in
twelve hours was probably outside it. Silences scoring below `min_density` are kept, marked as a
possible coverage gap.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from osint.maritime import gaps as gap_lib
from osint.maritime.events import core
from osint.timeutil import to_epoch


@dataclass
class Params:
    min_hours: float = 12.0
    min_place_distance_km: float = 10.0
    density_window_h: float = 12.0
    expected_per_hour: float = 6.0
    min_density: float = 0.5
    vessel: list[str] = field(default_factory=list)
    start: str | None = None
    end: str | None = None
    include_all: bool = False

    def check(self) -> None:
        core.positive(self.min_hours, "--min-hours")
        core.non_negative(self.min_place_distance_km, "--min-place-distance-km")
        core.positive(self.density_window_h, "--density-window-h")
        core.positive(self.expected_per_hour, "--expected-per-hour")
        core.non_negative(self.min_density, "--min-density")

    def values(self) -> dict:
        return {
            "min_hours": self.min_hours,
            "min_place_distance_km": self.min_place_distance_km,
            "density_window_h": self.density_window_h,
            "expected_per_hour": self.expected_per_hour,
            "min_density": self.min_density,
            "vessel": self.vessel or None,
            "from": self.start,
            "to": self.end,
        }

    def rule(self) -> str:
        return (
            f"AIS silent for at least {self.min_hours:g} h, both ends at least "
            f"{self.min_place_distance_km:g} km from any place, data density at least "
            f"{self.min_density:g} ({self.expected_per_hour:g} reports an hour expected in the "
            f"{self.density_window_h:g} h on each side)"
        )


def find(conn: sqlite3.Connection, p: Params) -> list[dict]:
    p.check()
    places = core.PlaceIndex.load(conn)
    vessels = core.vessel_rows(conn)
    window = int(p.density_window_h * 3600)
    expected = 2 * p.density_window_h * p.expected_per_hour
    rule = p.rule()
    out = []
    for gap in gap_lib.find_gaps(
        conn, min_hours=p.min_hours, vessels=p.vessel, start=p.start, end=p.end
    ):
        t0, t1 = to_epoch(gap["dark_from"]), to_epoch(gap["dark_to"])
        mmsi = int(gap["mmsi"])
        before = conn.execute(
            "SELECT count(DISTINCT epoch) FROM ais_positions WHERE mmsi = ? AND epoch BETWEEN ? AND ?",
            (mmsi, t0 - window, t0),
        ).fetchone()[0]
        after = conn.execute(
            "SELECT count(DISTINCT epoch) FROM ais_positions WHERE mmsi = ? AND epoch BETWEEN ? AND ?",
            (mmsi, t1, t1 + window),
        ).fetchone()[0]
        density = min(1.0, (before + after) / expected)
        p_from, d_from = places.nearest(gap["from_lat"], gap["from_lon"])
        p_to, d_to = places.nearest(gap["to_lat"], gap["to_lon"])
        limit = p.min_place_distance_km * 1000
        near = [
            f"{where} {place['name']} ({d / 1000:.1f} km)"
            for where, place, d in (("starts near", p_from, d_from), ("ends near", p_to, d_to))
            if place is not None and d is not None and d < limit
        ]
        if near:
            status, reason = "near a place", "the silence " + " and ".join(near)
        elif density < p.min_density:
            status = "possible coverage gap"
            reason = (
                f"only {before + after} reports in the {p.density_window_h:g} h around it "
                f"(density {density:.2f}): the vessel may have been out of reception"
            )
        else:
            status = "dark activity"
            reason = (
                f"silent {gap['hours']:g} h at sea while heard {before} times before and "
                f"{after} times after (density {density:.2f}): transponder likely off"
            )
        if status != "dark activity" and not p.include_all:
            continue
        out.append(
            {
                "kind": "dark",
                "vessel": core.vessel_ref(vessels, gap["vessel"], mmsi),
                "start": gap["dark_from"],
                "end": gap["dark_to"],
                "hours": gap["hours"],
                "from_lat": gap["from_lat"],
                "from_lon": gap["from_lon"],
                "to_lat": gap["to_lat"],
                "to_lon": gap["to_lon"],
                "lat": gap["from_lat"],
                "lon": gap["from_lon"],
                "distance_km": gap["distance_km"],
                "implied_speed_kn": gap["implied_speed_kn"],
                "reports_before": before,
                "reports_after": after,
                "density": round(density, 2),
                "status": status,
                "reason": reason,
                **core.place_ref(*(places.nearest(gap["from_lat"], gap["from_lon"]))),
                "rule": rule,
            }
        )
    return out
