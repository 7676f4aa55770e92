"""Loitering: one vessel slow or drifting at sea for hours, with what it may have been doing.

The rule (flags; defaults as Global Fishing Watch publishes its loitering rule, which caught
about 81 % of the transfers observers logged): the vessel's track resampled every `step_min`
minutes (silences over `max_interp_h` never bridged) stays at or under `max_speed_kn` and at
least `min_place_distance_km` from every place for at least `min_hours`. Each event lists the
encounters it overlaps (the encounter rule with `encounter_distance_m` and
`encounter_min_hours`) and its possible dark partners: other vessels whose AIS went silent for
at least `partner_min_gap_h` during the loitering, their last or first report within
`partner_radius_km` of it: a ship meeting a partner that switched its transponder off.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from osint.maritime.events import core
from osint.maritime.events import encounters as enc
from osint.maritime.geo import haversine_m


@dataclass
class Params:
    max_speed_kn: float = 2.0
    min_hours: float = 4.0
    min_place_distance_km: float = 10.0
    step_min: float = 10.0
    max_interp_h: float = 1.0
    reported_speed: bool = False
    encounter_distance_m: float = 500.0
    encounter_min_hours: float = 2.0
    partner_radius_km: float = 50.0
    partner_min_gap_h: float = 2.0
    vessel: list[str] = field(default_factory=list)
    start: str | None = None
    end: str | None = None

    def check(self) -> None:
        core.non_negative(self.max_speed_kn, "--max-speed-kn")
        core.positive(self.min_hours, "--min-hours")
        core.non_negative(self.min_place_distance_km, "--min-place-distance-km")
        core.positive(self.step_min, "--step-min")
        core.positive(self.max_interp_h, "--max-interp-h")
        core.positive(self.encounter_distance_m, "--encounter-distance-m")
        core.non_negative(self.encounter_min_hours, "--encounter-min-hours")
        core.positive(self.partner_radius_km, "--partner-radius-km")
        core.positive(self.partner_min_gap_h, "--partner-min-gap-h")

    def values(self) -> dict:
        return {
            "max_speed_kn": self.max_speed_kn,
            "min_hours": self.min_hours,
            "min_place_distance_km": self.min_place_distance_km,
            "step_min": self.step_min,
            "max_interp_h": self.max_interp_h,
            "speed": "reported" if self.reported_speed else "positions",
            "encounter_distance_m": self.encounter_distance_m,
            "encounter_min_hours": self.encounter_min_hours,
            "partner_radius_km": self.partner_radius_km,
            "partner_min_gap_h": self.partner_min_gap_h,
            "vessel": self.vessel or None,
            "from": self.start,
            "to": self.end,
        }

    def rule(self) -> str:
        return (
            f"at most {self.max_speed_kn:g} kn for at least {self.min_hours:g} h, at least "
            f"{self.min_place_distance_km:g} km from any place (tracks every {self.step_min:g} "
            f"min, silences over {self.max_interp_h:g} h not bridged, speed "
            f"{'as reported' if self.reported_speed else 'from the positions'}); dark partners: AIS silent "
            f"{self.partner_min_gap_h:g} h or more within {self.partner_radius_km:g} km"
        )

    def encounter_params(self) -> enc.Params:
        return enc.Params(
            max_distance_m=self.encounter_distance_m,
            min_hours=self.encounter_min_hours,
            max_speed_kn=self.max_speed_kn,
            min_place_distance_km=self.min_place_distance_km,
            step_min=self.step_min,
            max_interp_h=self.max_interp_h,
            reported_speed=self.reported_speed,
            start=self.start,
            end=self.end,
        )


def find(conn: sqlite3.Connection, p: Params) -> list[dict]:
    from osint.case import records

    p.check()
    ep = p.encounter_params()
    c = enc.collect(conn, ep, gaps_over_s=int(p.partner_min_gap_h * 3600))
    encounters = enc.find(conn, ep, candidates=c)
    wanted = {records.resolve_id(conn, ref, ["vessel"]) for ref in p.vessel} if p.vessel else None
    vessels = core.vessel_rows(conn)
    places = core.PlaceIndex.load(conn)
    min_slots = enc._min_slots(p, c.step_s)
    rule = p.rule()
    out = []
    for ti, first, last, idx in c.runs:
        if last - first < min_slots:
            continue
        vessel_id, mmsi = c.tracks[ti]
        if wanted is not None and vessel_id not in wanted:
            continue
        span = range(idx, idx + last - first + 1)
        lat, lon = core.mean_position([c.lat[i] for i in span], [c.lon[i] for i in span])
        speeds = [c.speed[i] for i in span]
        start, end = core.iso(first * c.step_s), core.iso(last * c.step_s)
        overlapping = [
            {
                "other": (e["vessel_b"] if e["vessel_a"]["id"] == vessel_id else e["vessel_a"]),
                "start": e["start"],
                "end": e["end"],
                "hours": e["hours"],
            }
            for e in encounters
            if vessel_id in (e["vessel_a"]["id"], e["vessel_b"]["id"])
            and e["start"] <= end
            and e["end"] >= start
        ]
        partners = []
        t0, t1 = first * c.step_s, last * c.step_s
        for gti, g0, glat0, glon0, g1, glat1, glon1 in c.gaps:
            other, other_mmsi = c.tracks[gti]
            if other == vessel_id or g0 > t1 or g1 < t0:
                continue
            d = min(haversine_m(lat, lon, glat0, glon0), haversine_m(lat, lon, glat1, glon1))
            if d <= p.partner_radius_km * 1000:
                hours = round((g1 - g0) / 3600, 1)
                partners.append(
                    {
                        "vessel": core.vessel_ref(vessels, other, other_mmsi),
                        "dark_from": core.iso(g0),
                        "dark_to": core.iso(g1),
                        "hours": hours,
                        "distance_km": round(d / 1000, 1),
                        "reason": "possible dark partner: its AIS was silent "
                        f"{hours:g} h during the loitering, {d / 1000:.1f} km away",
                    }
                )
        place, place_d = places.nearest(lat, lon)
        out.append(
            {
                "kind": "loitering",
                "vessel": core.vessel_ref(vessels, vessel_id, mmsi),
                "start": start,
                "end": end,
                "hours": round((last - first) * c.step_s / 3600, 2),
                "lat": round(lat, 5),
                "lon": round(lon, 5),
                "mean_speed_kn": round(sum(speeds) / len(speeds), 2),
                **core.place_ref(place, place_d),
                "encounters": overlapping,
                "dark_partners": partners,
                "rule": rule,
            }
        )
    out.sort(key=lambda r: (r["start"], r["vessel"]["id"]))
    return out
