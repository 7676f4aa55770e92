"""What `osint ais import` keeps: --bbox / --near, --from/--to, --mmsi / --vessel, and --map."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from osint.case import records
from osint.errors import InvalidInput
from osint.maritime import places as place_lib
from osint.timeutil import bound, from_epoch, to_epoch


@dataclass
class ImportOptions:
    layout: str | None = None  # force a layout by name (--format)
    mapping: dict[str, str] = field(default_factory=dict)  # --map OLD=NEW
    bbox: tuple[float, float, float, float] | None = None  # S, W, N, E
    near: str | None = None  # a place: keep rows within its radius (or radius_km)
    radius_km: float | None = None
    start: str | None = None  # --from
    end: str | None = None  # --to
    mmsis: list[str] = field(default_factory=list)
    vessels: list[str] = field(default_factory=list)  # --vessel: their MMSIs
    keep_file: bool = False  # store the original file in the case too
    note: str | None = None
    watch: Callable[[Callable[[], int]], None] | None = None  # given the file's read position
    vectorised: bool | None = None  # CSV rows read in blocks by pyarrow (None: when installed)


def parse_bbox(text: str, name: str = "--bbox") -> tuple[float, float, float, float]:
    """`S,W,N,E` in decimal degrees; W > E means the box crosses the antimeridian."""
    try:
        south, west, north, east = (float(p) for p in text.replace(" ", "").split(","))
    except ValueError:
        raise InvalidInput(f"{name}: {text!r} is not S,W,N,E in decimal degrees") from None
    if not (-90 <= south < north <= 90 and -180 <= west <= 180 and -180 <= east <= 180):
        raise InvalidInput(f"{name}: {text!r} is not S,W,N,E (south below north, within range)")
    return south, west, north, east


def parse_mapping(values) -> dict[str, str]:
    out = {}
    for value in values or ():
        old, eq, new = value.partition("=")
        if not eq or not old.strip() or not new.strip():
            raise InvalidInput(f"--map: {value!r} is not COLUMN=FIELD (e.g. ts=BaseDateTime)")
        out[old.strip()] = new.strip()
    return out


class Filters:
    """The --bbox / --near / --from / --to / --mmsi / --vessel filters, applied while streaming."""

    def __init__(self, conn: sqlite3.Connection, options: ImportOptions):
        self.description: dict = {}
        self.removed: Counter = Counter()
        self.bbox = options.bbox
        if self.bbox:
            self.description["bbox"] = list(self.bbox)
        self.circle = None
        if options.near:
            place = place_lib.find_place(conn, options.near)
            radius = (
                options.radius_km * 1000 if options.radius_km else (place["radius_m"] or 1000.0)
            )
            from osint.maritime.geo import Circle

            self.circle = Circle(place["lat"], place["lon"], radius)
            self.description["near"] = {
                "place": place["id"],
                "name": place["name"],
                "radius_m": radius,
            }
        elif options.radius_km:
            raise InvalidInput("--radius-km needs --near PLACE")
        if options.radius_km is not None and not options.radius_km > 0:
            raise InvalidInput(f"--radius-km: {options.radius_km} is not a distance above 0")
        # The box rows must fall in before anything else is read of them.
        self.box = self.bbox or (self.circle.bbox() if self.circle else None)
        self.box_name = "bbox" if self.bbox else "near"
        self.start = to_epoch(bound(options.start, "--from")) if options.start else None
        self.end = to_epoch(bound(options.end, "--to", end=True)) if options.end else None
        if self.start is not None:
            self.description["from"] = from_epoch(self.start)
        if self.end is not None:
            self.description["to"] = from_epoch(self.end)
        if self.start is not None and self.end is not None and self.end < self.start:
            raise InvalidInput("--to is before --from")
        self.mmsis: set[int] | None = None
        wanted: set[int] = set()
        for value in options.mmsis or ():
            text = value.strip()
            if not (text.isdigit() and len(text) == 9):
                raise InvalidInput(f"--mmsi: {value!r} is not a 9-digit MMSI")
            wanted.add(int(text))
        if wanted:
            self.description["mmsi"] = sorted(f"{m:09d}" for m in wanted)
        if options.vessels:
            described = []
            for ref in options.vessels:
                vessel = records.resolve(conn, ref, ["vessel"])[1]
                found = vessel_mmsis(conn, vessel["id"])
                if not found:
                    raise InvalidInput(
                        f"--vessel {ref}: no MMSI is known for vessel {vessel['id'][:8]} "
                        f"({vessel['name']}); give it one (osint edit {vessel['id'][:8]} --set "
                        "mmsi=...) or filter with --mmsi"
                    )
                wanted |= found
                described.append(
                    {"vessel": vessel["id"], "name": vessel["name"], "mmsi": sorted(found)}
                )
            self.description["vessel"] = described
        if wanted:
            self.mmsis = wanted
        self.mmsi_name = (
            "mmsi/vessel"
            if options.mmsis and options.vessels
            else ("vessel" if options.vessels else "mmsi")
        )
        self.timed = self.start is not None or self.end is not None
        self.lo = self.start if self.start is not None else -(2**62)
        self.hi = self.end if self.end is not None else 2**62
        self.active = bool(self.description)

    def outside_area(self, lat: float, lon: float) -> str | None:
        """The filter a position falls outside of, or None."""
        if self.bbox and not _in_box(self.bbox, lat, lon):
            return "bbox"
        if self.circle and not self.circle.contains(lat, lon):
            return "near"
        return None


def _in_box(box, lat: float, lon: float) -> bool:
    south, west, north, east = box
    inside_lon = west <= lon <= east if west <= east else (lon >= west or lon <= east)
    return south <= lat <= north and inside_lon


def vessel_mmsis(conn: sqlite3.Connection, vessel_id: str) -> set[int]:
    """The MMSIs a vessel is known by: its own and those of the AIS tracks linked to it."""
    found = set()
    row = conn.execute("SELECT mmsi FROM vessels WHERE id = ?", (vessel_id,)).fetchone()
    if row and row[0] and str(row[0]).isdigit():
        found.add(int(row[0]))
    for (mmsi,) in conn.execute(
        "SELECT DISTINCT mmsi FROM ais_tracks WHERE vessel = ? AND retracted_at IS NULL",
        (vessel_id,),
    ):
        if mmsi and str(mmsi).isdigit():
            found.add(int(mmsi))
    return found
