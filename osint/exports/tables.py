"""CSV tables of the case, for spreadsheets and other tools.

Each table is a function (conn, options) -> (columns, rows). Features add theirs to CSV_TABLES.
Text cells that a spreadsheet would run as a formula (starting with = + - @ or a tab) are written
with a leading apostrophe, since names in AIS files and sources are not ours to trust.
"""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from osint.case import records
from osint.errors import InvalidInput
from osint.fileio import atomic_output


@dataclass
class TableOptions:
    place: list[str] = field(default_factory=list)
    start: str | None = None
    end: str | None = None
    gap_hours: float = 48.0
    estimate: bool = False


def sightings_table(conn: sqlite3.Connection, options: TableOptions):
    from osint.maritime import sightings as sighting_lib
    from osint.timeutil import bound

    columns = [
        "id", "when", "vessel", "vessel_name", "imo", "mmsi", "place", "place_name", "lat", "lon",
        "position_from", "activity", "confidence", "source", "source_title", "image", "note",
        "added_by", "added_at",
    ]  # fmt: skip
    vessels = {v["id"]: v for v in records.iter_records(conn, "vessel", include_retracted=True)}
    sources = {s["id"]: s for s in records.iter_records(conn, "source", include_retracted=True)}
    low = bound(options.start, "--from") if options.start else None
    high = bound(options.end, "--to", end=True) if options.end else None
    cache: dict = {}

    def rows():
        for row in records.iter_records(conn, "sighting", order_by="seen_at, id"):
            if (low and row["seen_at"] < low[: len(row["seen_at"])]) or (
                high and row["seen_at"] > high
            ):
                continue
            vessel = vessels.get(row["vessel"]) or {}
            position = sighting_lib.position(conn, row, cache)
            place = cache.get(row["place"]) if row["place"] else None
            yield {
                "id": row["id"],
                "when": row["seen_at"],
                "vessel": row["vessel"],
                "vessel_name": vessel.get("name"),
                "imo": vessel.get("imo"),
                "mmsi": vessel.get("mmsi"),
                "place": row["place"],
                "place_name": place["name"] if place else None,
                "lat": position[0] if position else None,
                "lon": position[1] if position else None,
                "position_from": None
                if not position
                else ("sighting" if row["lat"] is not None else "place centre"),
                "activity": row["activity"],
                "confidence": row["confidence"],
                "source": row["source"],
                "source_title": (sources.get(row["source"]) or {}).get("title"),
                "image": row["image"],
                "note": row["note"],
                "added_by": row["added_by"],
                "added_at": row["added_at"],
            }

    return columns, rows()


def _visits(conn, options: TableOptions):
    from osint.maritime import visits

    return visits.compute(
        conn,
        visits.Query(
            place=options.place, start=options.start, end=options.end, gap_hours=options.gap_hours
        ),
    )


def visits_table(conn: sqlite3.Connection, options: TableOptions):
    result = _visits(conn, options)
    rows = result.per_vessel(estimate=True)
    columns = [
        "vessel", "name", "imo", "place", "place_id", "visits", "first", "last", "sightings",
        "ais_positions", "capacity_bbl", "barrels", "assumption",
    ]  # fmt: skip
    return columns, rows


def visit_list_table(conn: sqlite3.Connection, options: TableOptions):
    result = _visits(conn, options)
    columns = [
        "vessel",
        "name",
        "place",
        "place_id",
        "start",
        "end",
        "hours",
        "sightings",
        "ais_positions",
        "confidence",
    ]
    return columns, result.each()


def vessels_table(conn: sqlite3.Connection, options: TableOptions):
    from osint.maritime.vessels import all_names

    names = all_names(conn)
    columns = [
        "id", "name", "imo", "mmsi", "flag", "flag_source", "mmsi_flag", "call_sign", "type",
        "capacity_bbl", "aliases", "imo_check", "mmsi_check", "note", "added_by", "added_at",
    ]  # fmt: skip

    def rows():
        for row in records.iter_records(conn, "vessel"):
            yield {
                **row,
                "type": row["vessel_type"],
                "aliases": "; ".join(n for n in names.get(row["id"], []) if n != row["name"]),
            }

    return columns, rows()


def places_table(conn: sqlite3.Connection, options: TableOptions):
    columns = ["id", "name", "lat", "lon", "radius_m", "place_type", "note", "added_by", "added_at"]
    return columns, records.iter_records(conn, "place")


def gaps_table(conn: sqlite3.Connection, options: TableOptions):
    from osint.maritime.gaps import find_gaps

    rows = find_gaps(conn, start=options.start, end=options.end)
    columns = [
        "vessel", "name", "mmsi", "dark_from", "dark_to", "hours", "from_lat", "from_lon",
        "to_lat", "to_lon", "distance_km", "implied_speed_kn",
    ]  # fmt: skip
    return columns, rows


CSV_TABLES: dict[str, Callable] = {
    "sightings": sightings_table,
    "visits": visits_table,
    "visit-list": visit_list_table,
    "vessels": vessels_table,
    "places": places_table,
    "ais-gaps": gaps_table,
}


def _safe(value):
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def write_csv(columns: list[str], rows: Iterable[dict], destination) -> int:
    count = 0
    with atomic_output(destination, newline="") as out:
        writer = csv.writer(out)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_safe(row.get(c)) for c in columns])
            count += 1
    return count


def export(
    conn: sqlite3.Connection, destination, tables: list[str], options: TableOptions | None = None
) -> dict[str, tuple[Path, int]]:
    """Write the named tables; a folder destination gets one TABLE.csv per table."""
    options = options or TableOptions()
    destination = Path(destination)
    names = tables or ["sightings"]
    for name in names:
        if name not in CSV_TABLES:
            raise InvalidInput(f"--table: {name!r} is not one of: {', '.join(CSV_TABLES)}")
    if len(names) > 1 and not destination.is_dir():
        raise InvalidInput(f"-o {destination}: several tables need a folder (one CSV per table)")
    written = {}
    for name in names:
        target = destination / f"{name}.csv" if destination.is_dir() else destination
        columns, rows = CSV_TABLES[name](conn, options)
        written[name] = (target, write_csv(columns, rows, target))
    return written
