"""Generated MarineCadastre-layout AIS files for the benches (invented ships, invented tracks).

Tankers shuttle between the Vostochny terminal (42.73 N, 133.06 E) and the open sea over eight
months of 2024, each reporting every few minutes; rows are written in time order, as a receiver
logs them. Deterministic for a given seed.
"""

from __future__ import annotations

import csv
import gzip
import math
import random
from pathlib import Path

HEADER = [
    "MMSI", "BaseDateTime", "LAT", "LON", "SOG", "COG", "Heading", "VesselName", "IMO",
    "CallSign", "VesselType", "Status", "Length", "Width", "Draft", "Cargo", "TransceiverClass",
]  # fmt: skip
TERMINAL = (42.73, 133.06)
START = 1709251200  # 2024-03-01T00:00:00Z
DAYS = 244  # to the end of October


def imo_number(seed: int) -> str:
    first = f"{9_100_000 + seed * 7919 % 800_000:07d}"[:6]
    check = sum(int(d) * w for d, w in zip(first, range(7, 1, -1), strict=True)) % 10
    return first + str(check)


def rows(total: int, vessels: int = 60, seed: int = 7):
    rng = random.Random(seed)
    per_vessel = total // vessels
    interval = DAYS * 86400 // per_vessel
    ships = []
    for n in range(vessels):
        mid = rng.choice([445, 445, 445, 273, 351, 457])
        ships.append(
            {
                "mmsi": f"{mid}{100000 + n * 37:06d}",
                "name": f"GENERATED TANKER {n + 1}",
                "imo": f"IMO{imo_number(n + 1)}",
                "call": f"HM{n:04d}",
                "offset": rng.randrange(interval),
                "phase": rng.random() * 9,
            }
        )
    emitted = 0
    for step in range(per_vessel):
        for ship in ships:
            if emitted >= total:
                return
            t = START + step * interval + ship["offset"]
            day = (t - START) / 86400 + ship["phase"]
            cycle = day % 9  # 9-day cycle: 2 days at the terminal, 7 at sea
            if cycle < 2:
                lat = TERMINAL[0] + rng.uniform(-0.006, 0.006)
                lon = TERMINAL[1] + rng.uniform(-0.008, 0.008)
                sog, status = rng.uniform(0, 0.3), 5
            else:
                angle = (cycle - 2) / 7 * math.pi
                lat = TERMINAL[0] - 2.5 * math.sin(angle) + rng.uniform(-0.01, 0.01)
                lon = TERMINAL[1] + 1.2 * math.sin(angle) + rng.uniform(-0.01, 0.01)
                sog, status = rng.uniform(8, 12), 0
            stamp = _iso(t)
            yield [
                ship["mmsi"], stamp, f"{lat:.5f}", f"{lon:.5f}", f"{sog:.1f}",
                f"{rng.uniform(0, 359.9):.1f}", str(rng.randrange(360)), ship["name"],
                ship["imo"], ship["call"], "80", str(status), "105", "18", "6.5", "80", "A",
            ]  # fmt: skip
            emitted += 1


def _iso(t: int) -> str:
    import time

    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t))


def write(path: Path, total: int, seed: int = 7, vessels: int = 60) -> Path:
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows(total, vessels=vessels, seed=seed))
    return path
