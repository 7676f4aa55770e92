"""Demo step: the tankers, the terminal, 43 arrivals in eight months, the visits and the estimate.

ILLUSTRATIVE DATA. The motivating report names no vessels, so every tanker here is invented: the
names, the IMO numbers (check-digit valid, but in the 1xxxxxx range, which the IMO never issued to
ships) and the MMSIs (DPRK's MID 445, numbers made up) are marked as such in each record. What is
real is the shape of the case: more than a dozen tankers, 43 arrivals at the Vostochny oil terminal
between March and October 2024, and a volume set against the UN cap of 500,000 barrels a year.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

from osint.case import records
from osint.maritime import identifiers, places, sightings, vessels, visits
from osint.maritime.ais import importer

ILLUSTRATIVE = (
    "ILLUSTRATIVE: invented for the osint demo (name, IMO and MMSI are made up; IMO numbers in "
    "the 1xxxxxx range were never issued to ships). Not a real vessel."
)
TERMINAL = {
    "name": "Vostochny oil terminal",
    "lat": 42.73,
    "lon": 133.06,
    # The oil berths and the water in front of them, not the whole port.
    "radius_m": 1500,
}
UN_CAP_BBL = 500_000

# name, capacity in barrels (None: unknown), arrivals (43 in all)
FLEET = [
    ("PAEGAM 1", 28_000, 6),
    ("SONGRIM HO", 24_000, 5),
    ("KWANGMYONG 12", 26_000, 4),
    ("RYONGMUN", 22_000, 4),
    ("CHOLBONG 5", 25_000, 3),
    ("HYANGSAN 3", 21_000, 3),
    ("MUNDOK", 23_000, 3),
    ("TAEDONG RI", 27_000, 3),
    ("SAMJIYON 2", 20_000, 3),
    ("PUNGYO", 24_000, 3),
    ("KUMBIT 7", 19_000, 2),
    ("ORANG HO", 22_000, 2),
    ("UNRYUL 9", None, 2),  # capacity unknown: the estimate must say so
]
RENAMED = {"SONGRIM HO": ("SONGRIM", "2024-06-20")}  # renamed mid-period: old name still resolves


def _imo(n: int) -> str:
    first = f"{100_000 + n * 7_331:06d}"
    return first + str(identifiers.imo_check_digit(first))


def _mmsi(n: int) -> str:
    return f"44599{n:04d}"


def _demo_source(case) -> str:
    """The case's source for the imagery analysis (the lead's step), or one made here."""
    for source in records.iter_records(case.conn, "source"):
        text = f"{source['locator']} {source['title']}".lower()
        if any(word in text for word in ("bbc", "satellite", "vostochny", "tanker", "oil")):
            return source["id"]
    first = next(records.iter_records(case.conn, "source"), None)
    if first:
        return first["id"]
    from osint import sources

    return sources.add_source(
        case,
        "osint demo: illustrative arrivals",
        title="Illustrative tanker arrivals at Vostochny, March-October 2024 (invented for the demo)",
        grade="F",
        note=ILLUSTRATIVE,
    )["id"]


def _arrivals(rng: random.Random) -> list[tuple[str, str]]:
    """(vessel name, arrival time) x 43, spread over 1 March - 31 October 2024, per-ship visits
    at least nine days apart so each arrival is a visit of its own."""
    out = []
    for name, _, count in FLEET:
        span = 244 // count
        for k in range(count):
            day = k * span + rng.randrange(0, max(1, span - 9))
            hour = rng.randrange(0, 24)
            month_day = _date(day)
            out.append((name, f"{month_day}T{hour:02d}:{rng.randrange(60):02d}:00Z"))
    return sorted(out, key=lambda item: item[1])


def _date(day: int) -> str:
    from datetime import date, timedelta

    return (date(2024, 3, 1) + timedelta(days=day)).isoformat()


def build(case, folder) -> dict:
    """Add the maritime part of the demo to `case`; write its GIS layers and tables to `folder`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(2024)
    source_id = _demo_source(case)
    terminal = places.add_place(
        case,
        TERMINAL["name"],
        (TERMINAL["lat"], TERMINAL["lon"]),
        radius_m=TERMINAL["radius_m"],
        place_type="oil terminal",
        note="Vostochny port, Primorsky Krai, Russia: oil loading berths (approximate centre)",
    )
    fleet = {}
    for n, (name, capacity, _) in enumerate(FLEET, start=1):
        row, _ = vessels.add_vessel(
            case,
            name,
            imo=_imo(n),
            mmsi=_mmsi(n),
            vessel_type="oil products tanker",
            capacity_bbl=capacity,
            note=ILLUSTRATIVE,
            source=source_id,
        )
        fleet[name] = row
    for name, (new_name, on) in RENAMED.items():
        fleet[name], _ = vessels.rename(
            case, fleet[name]["id"], new_name, on=on, note="illustrative rename"
        )
    arrivals = _arrivals(rng)
    pictures = _demo_images(case)
    taken_by: dict[str, str] = {}  # arrival time -> image id
    for image_id, image_time in pictures:
        # Each picture shows an arrival (at its capture time): the nearest arrival of a tanker
        # that has no other arrival within three days of it and that no other picture shows.
        def free(i: int, image_time=image_time) -> bool:
            name, when = arrivals[i]
            return when not in taken_by and all(
                abs(_days(other_when, image_time)) >= 3
                for j, (other, other_when) in enumerate(arrivals)
                if other == name and j != i
            )

        candidates = [i for i in range(len(arrivals)) if free(i)]
        if not candidates:
            continue
        nearest = min(candidates, key=lambda i: abs(_days(arrivals[i][1], image_time)))
        arrivals[nearest] = (arrivals[nearest][0], image_time)
        taken_by[image_time] = image_id
        arrivals.sort(key=lambda item: item[1])
    with case.writing():
        for name, when in arrivals:
            vessel = fleet[name]
            # Arrivals seen before a rename are logged under the name then used.
            ref = name if name in RENAMED and when < RENAMED[name][1] else vessel["id"]
            sightings.add_sighting(
                case,
                ref,
                when=when,
                place=terminal["id"],
                image=taken_by.get(when),
                source=source_id,
                activity="arriving",
                confidence="medium",
                note="illustrative arrival (demo data)",
            )
        # A few next-day loading sightings: the 48-hour rule keeps them in the same visit.
        for name, when in arrivals[::9]:
            next_day = f"{_date_after(when)}T09:00:00Z"
            sightings.add_sighting(
                case,
                fleet[name]["id"],
                when=next_day,
                place=terminal["id"],
                source=source_id,
                activity="loading",
                confidence="low",
                note="illustrative (demo data)",
            )
    # AIS for one tanker that kept its transponder on, and went dark on its way back.
    ais_path = _write_ais(folder / "demo-ais.csv", fleet["PAEGAM 1"], arrivals, rng)
    importer.import_file(case, ais_path, importer.ImportOptions(note=ILLUSTRATIVE))
    result = visits.compute(
        case.conn,
        visits.Query(place=[terminal["id"]], start="2024-03-01", end="2024-10-31"),
    )
    totals = result.totals(estimate=True)
    text = (
        f"ILLUSTRATIVE: {totals['visits']} tanker visits to the Vostochny oil terminal by "
        f"{totals['vessels']} vessels between March and October 2024; at one full load per visit "
        f"that is about {totals['barrels']:,} barrels, {totals['barrels'] / UN_CAP_BBL:.1f} times "
        f"the UN cap of {UN_CAP_BBL:,} barrels a year for refined petroleum to the DPRK "
        "(Security Council resolution 2397), in eight months."
    )
    finding, query = visits.record(
        case,
        result,
        estimate=True,
        text=text,
        cap_bbl=UN_CAP_BBL,
        note="demo data: the vessels and arrivals are invented to show the method",
    )
    from osint.exports import gis, tables

    gis.write_geojson(case.conn, folder / "vostochny.geojson")
    gis.write_kml(case.conn, folder / "vostochny.kml", title="Vostochny tankers (illustrative)")
    tables.export(case.conn, folder / "visits.csv", ["visits"], tables.TableOptions())
    return {"finding": finding["id"], "visit_query": query["id"], **totals}


def _demo_images(case) -> list[tuple[str, str]]:
    """The demo's pictures of the terminal (the imagery step), originals only, with their
    capture times."""
    from osint.case import kinds

    if "image" not in kinds.KINDS:
        return []
    out = []
    for image in records.iter_records(case.conn, "image", order_by="taken, id"):
        taken = image.get("taken") or ""
        if image.get("derived_from") or "T" not in taken or not taken.endswith("Z"):
            continue
        if taken.startswith("2024"):
            out.append((image["id"], taken))
    return out


def _days(a: str, b: str) -> float:
    from osint.timeutil import to_epoch

    return (to_epoch(a) - to_epoch(b)) / 86400


def _date_after(when: str) -> str:
    from datetime import date, timedelta

    return (date.fromisoformat(when[:10]) + timedelta(days=1)).isoformat()


def _write_ais(path: Path, vessel: dict, arrivals, rng: random.Random) -> Path:
    """Hourly positions of one tanker: at the terminal for a day after each arrival, at sea
    between, silent (AIS off) for the last days before each arrival."""
    from datetime import datetime, timedelta

    header = ["MMSI", "BaseDateTime", "LAT", "LON", "SOG", "COG", "Heading", "VesselName",
              "IMO", "CallSign", "VesselType", "Status"]  # fmt: skip
    times = [
        datetime.fromisoformat(when.replace("Z", "+00:00"))
        for name, when in arrivals
        if name == vessel["name"]
    ]
    rows = []
    for arrival in times:
        # At the berth for 30 hours.
        for h in range(0, 31, 2):
            t = arrival + timedelta(hours=h)
            rows.append((t, TERMINAL["lat"] + rng.uniform(-0.004, 0.004),
                         TERMINAL["lon"] + rng.uniform(-0.005, 0.005), 0.0, 5))  # fmt: skip
        # Sailing south for two days, then dark.
        for h in range(32, 80, 3):
            t = arrival + timedelta(hours=h)
            rows.append((t, TERMINAL["lat"] - (h - 30) * 0.04, TERMINAL["lon"] - (h - 30) * 0.01,
                         9.5, 0))  # fmt: skip
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for t, lat, lon, sog, status in sorted(rows):
            writer.writerow([vessel["mmsi"], t.strftime("%Y-%m-%dT%H:%M:%S"), f"{lat:.5f}",
                             f"{lon:.5f}", f"{sog:.1f}", "180.0", "511", vessel["name"],
                             f"IMO{vessel['imo']}", "HMDEMO", "80", str(status)])  # fmt: skip
    return path
