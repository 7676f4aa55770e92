"""Synthetic AIS tracks with known truth for the behaviour detectors (encounters, loitering,
anomalies, dark activity, sightings against AIS). Every ship and number here is invented."""

from __future__ import annotations

import math
import time

from test_maritime_ais import HEADER

PORT = (42.78, 132.90)  # "Nakhodka anchorage" of the visits tests
T0 = 1709769600  # 2024-03-07T00:00:00Z
NM = 1852.0


def stamp(epoch: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch))


def iso(epoch: int) -> str:
    return stamp(epoch) + "Z"


def offset(lat, lon, north_m, east_m):
    """A point north_m / east_m from (lat, lon) (flat earth, fine over a few hundred km)."""
    dlat = north_m / 111_195.0
    dlon = east_m / (111_195.0 * math.cos(math.radians(lat)))
    lon2 = (lon + dlon + 180.0) % 360.0 - 180.0
    return lat + dlat, lon2


def leg_points(start, end, t_start, t_end, every_s, phase_s=0):
    """Reports every `every_s` seconds from t_start+phase on a straight leg start -> end."""
    out = []
    t = t_start + phase_s
    dlon = ((end[1] - start[1] + 180.0) % 360.0) - 180.0
    while t <= t_end:
        f = (t - t_start) / (t_end - t_start) if t_end > t_start else 0.0
        lon = ((start[1] + f * dlon + 180.0) % 360.0) - 180.0
        out.append((t, start[0] + f * (end[0] - start[0]), lon))
        t += every_s
    return out


def speed_kn(a, b, seconds):
    from osint.maritime.geo import haversine_m

    return haversine_m(a[0], a[1], b[0], b[1]) / NM / (seconds / 3600) if seconds else 0.0


def rows(mmsi, name, points, *, imo="", call="", kind="80", sog=None):
    """MarineCadastre rows; sog given, or computed from the leg between consecutive reports."""
    out = []
    for n, (t, lat, lon) in enumerate(points):
        if sog is not None:
            s = sog
        elif n + 1 < len(points):
            nt, nlat, nlon = points[n + 1]
            s = speed_kn((lat, lon), (nlat, nlon), nt - t)
        else:
            pt, plat, plon = points[n - 1] if n else (t, lat, lon)
            s = speed_kn((plat, plon), (lat, lon), t - pt)
        out.append(
            ",".join(
                [
                    mmsi,
                    stamp(t),
                    f"{lat:.6f}",
                    f"{lon:.6f}",
                    f"{s:.1f}",
                    "0.0",
                    "511",
                    name,
                    imo,
                    call,
                    kind,
                    "0",
                    "100",
                    "17",
                    "6.1",
                    "",
                    "A",
                ]
            )  # fmt: skip
        )
    return out


def write_csv(path, all_rows):
    path.write_text("\n".join([HEADER, *all_rows]) + "\n", encoding="utf-8")
    return path


def meeting(meet, t_meet, hours, approach_from, every_s, phase_s=0, drift_m=(0, 0), speed=10.0):
    """Sail from approach_from to `meet` at `speed` knots, drift there `hours`, sail back."""
    from osint.maritime.geo import haversine_m

    dist = haversine_m(*approach_from, *meet)
    sail = int(dist / NM / speed * 3600)
    there = offset(meet[0], meet[1], *drift_m)
    pts = leg_points(approach_from, meet, t_meet - sail, t_meet, every_s, phase_s)
    pts += leg_points(meet, there, t_meet + every_s, t_meet + int(hours * 3600), every_s, phase_s)
    pts += leg_points(there, approach_from, t_meet + int(hours * 3600) + every_s,
                      t_meet + int(hours * 3600) + sail, every_s, phase_s)  # fmt: skip
    return pts
