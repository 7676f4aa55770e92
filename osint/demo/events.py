"""Demo step: behaviour at sea, on invented AIS of two of the demo's tankers.

ILLUSTRATIVE DATA, like the fleet it uses: RYONGMUN and MUNDOK meet 40 nautical miles south-east
of the terminal and drift together for four hours (an encounter, the pattern of a ship-to-ship
transfer); MUNDOK then switches its AIS off while one of its (made-up) recorded arrivals places
it at the terminal (a dark sighting); RYONGMUN's track holds one position 400 km away, minutes after a normal one
(an impossible jump, the kind a manipulated transponder leaves). The rows are computed by the
same commands an investigator runs (`osint ais encounters`, `sightings check`, `ais anomalies`)
and shown in the brief's "Behaviour at sea" section (the demo records no finding of its own, so
that its one-page summary stays on one page).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

from osint.case import records

ILLUSTRATIVE = (
    "ILLUSTRATIVE: invented for the osint demo (the AIS positions and the meeting at sea are "
    "made up to show the method)."
)
TERMINAL = (42.73, 133.06)
DEFAULT_START = 1720936800  # 2024-07-14T06:00:00Z, when MUNDOK has no arrival to anchor to


def _offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    return lat + north_m / 111_195.0, lon + east_m / (111_195.0 * math.cos(math.radians(lat)))


def _find(conn, name: str) -> dict | None:
    for row in records.iter_records(conn, "vessel"):
        if row["name"] == name:
            return row
    return None


def _leg(a, b, t0, t1, every):
    out = []
    t = t0
    while t <= t1:
        f = (t - t0) / (t1 - t0) if t1 > t0 else 0.0
        out.append((t, a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1])))
        t += every
    return out


def _track(start, meet, start_from, every, phase, drift, dark=None):
    """Sail 6 h to the meeting, drift 4 h, sail 6 h away; `dark` = (from, to): silent then."""
    there = _offset(*meet, *drift)
    points = _leg(start_from, meet, start - 6 * 3600 + phase, start, every)
    points += _leg(meet, there, start + every, start + 4 * 3600, every)
    away = _offset(*there, -60_000, 40_000)
    points += _leg(there, away, start + 4 * 3600 + every, start + 10 * 3600, every)
    if dark is not None:
        points = [p for p in points if p[0] < dark[0]]
        points += _leg(away, _offset(*away, -30_000, 30_000), dark[1], dark[1] + 4 * 3600, every)
    return points


def _arrival(conn, vessel_id: str) -> int | None:
    """MUNDOK's recorded arrival at the terminal nearest mid-July (epoch), if any."""
    from osint.timeutil import to_epoch

    times = [
        to_epoch(row["seen_at"])
        for row in records.iter_records(conn, "sighting", where="vessel = ?", params=[vessel_id])
        if row.get("activity") == "arriving" and "T" in (row["seen_at"] or "")
    ]
    return min(times, key=lambda t: abs(t - DEFAULT_START)) if times else None


def build(case, folder) -> dict:
    from osint.exports import gis
    from osint.maritime.ais import importer
    from osint.maritime.events import anomalies, encounters, sightings_check
    from osint.timeutil import from_epoch

    conn = case.conn
    ryongmun, mundok = _find(conn, "RYONGMUN"), _find(conn, "MUNDOK")
    if not ryongmun or not mundok:
        return {}
    folder = Path(folder)
    meet = _offset(*TERMINAL, -40 * 1852 * 0.7071, 40 * 1852 * 0.7071)  # 40 nm to the south-east
    # The meeting ends a day before one of MUNDOK's recorded arrivals at the terminal; MUNDOK
    # switches its AIS off two hours after it and on again half a day after the arrival, far out
    # at sea: the arrival sighting is then a sighting while AIS was off.
    arrival = _arrival(conn, mundok["id"])
    start = (arrival - 20 * 3600) // 600 * 600 if arrival else DEFAULT_START
    dark = (start + 6 * 3600, (arrival or start + 20 * 3600) + 12 * 3600)
    a = _track(start, meet, _offset(*TERMINAL, -20_000, 10_000), 300, 0, (60, 40))
    # MUNDOK reports at other instants than RYONGMUN.
    b = _track(start, meet, _offset(*meet, -80_000, 60_000), 420, 77, (-50, 90), dark=dark)
    jump = len(a) - 10
    a[jump] = (a[jump][0], *_offset(*meet, 400_000, -150_000))
    path = folder / "demo-ais-sea.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["MMSI", "BaseDateTime", "LAT", "LON", "SOG", "COG", "Heading",
                         "VesselName", "IMO", "CallSign", "VesselType", "Status"])  # fmt: skip
        for vessel, points in ((ryongmun, a), (mundok, b)):
            for t, lat, lon in points:
                writer.writerow([vessel["mmsi"], from_epoch(t)[:-1], f"{lat:.5f}", f"{lon:.5f}",
                                 "", "", "511", vessel["name"], f"IMO{vessel['imo']}", "",
                                 "80", "0"])  # fmt: skip
    importer.import_file(case, path, importer.ImportOptions(note=ILLUSTRATIVE))
    found = encounters.find(conn, encounters.Params())
    checked = sightings_check.check(conn, sightings_check.Params())
    odd = anomalies.find(conn, anomalies.Params(land=False))
    gis.write_geojson(
        conn, folder / "events.geojson", gis.Selection(layers=("events",))
    )
    return {
        "encounters": len(found),
        "dark_sightings": sum(1 for r in checked if r["status"] == "dark"),
        "anomalies": len(odd.rows),
    }
