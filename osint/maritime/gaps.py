"""AIS gaps: a vessel "going dark", silent for longer than a threshold between two positions.

Computed inside SQLite over the positions table (one window function, in MMSI and time order, the
order of its key index), so millions of rows are scanned without leaving the database. Each gap
says where the vessel was before and after, how far apart those positions are and the speed that
distance implies: a long gap with a short distance is a ship at anchor with its transponder off; a
long distance is a voyage nobody was meant to see.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from osint.case import records
from osint.errors import InvalidInput
from osint.maritime.ais import store as ais_store
from osint.maritime.ais import tracks as ais_tracks
from osint.maritime.geo import haversine_m
from osint.timeutil import bound, from_epoch, to_epoch

DEFAULT_HOURS = 12.0

_GAPS_SQL = """
SELECT * FROM (
    SELECT batch, mmsi, epoch, lat, lon,
        lag(epoch) OVER w AS prev_epoch, lag(lat) OVER w AS prev_lat,
        lag(lon) OVER w AS prev_lon, lag(batch) OVER w AS prev_batch
    FROM ais_positions {where}
    WINDOW w AS (PARTITION BY mmsi ORDER BY epoch)
) WHERE epoch - prev_epoch > :threshold
ORDER BY mmsi, epoch
"""


def find_gaps(
    conn: sqlite3.Connection,
    *,
    min_hours: float = DEFAULT_HOURS,
    vessels: Sequence[str] = (),
    start: str | None = None,
    end: str | None = None,
) -> list[dict]:
    """Gaps longer than `min_hours` in each vessel's AIS positions, in vessel and time order."""
    if not min_hours > 0:
        raise InvalidInput("--min-hours: give a positive number of hours")
    mapping = ais_tracks.track_map(conn)
    active = ais_store.active_batches(conn)
    if not mapping or not active:
        return []
    clauses = [f"batch IN ({', '.join(str(int(b)) for b in active)})"]
    params: dict = {"threshold": int(min_hours * 3600)}
    if start:
        clauses.append("epoch >= :lo")
        params["lo"] = to_epoch(bound(start, "--from"))
    if end:
        clauses.append("epoch <= :hi")
        params["hi"] = to_epoch(bound(end, "--to", end=True))
    wanted = None
    if vessels:
        wanted = {records.resolve_id(conn, ref, ["vessel"]) for ref in vessels}
        mmsis = sorted({m for (_, m), v in mapping.items() if v in wanted})
        if not mmsis:
            return []
        clauses.append(f"mmsi IN ({', '.join(str(int(m)) for m in mmsis)})")
    sql = _GAPS_SQL.format(where="WHERE " + " AND ".join(clauses))
    names = {
        row["id"]: row["name"]
        for row in records.iter_records(conn, "vessel", include_retracted=True)
    }
    out = []
    for batch, mmsi, epoch, lat, lon, prev_epoch, prev_lat, prev_lon, prev_batch in conn.execute(
        sql, params
    ):
        vessel = mapping.get((batch, mmsi)) or mapping.get((prev_batch, mmsi))
        if vessel is None or (wanted is not None and vessel not in wanted):
            continue
        hours = (epoch - prev_epoch) / 3600
        distance_km = haversine_m(prev_lat, prev_lon, lat, lon) / 1000
        out.append(
            {
                "vessel": vessel,
                "name": names.get(vessel),
                "mmsi": f"{mmsi:09d}",
                "dark_from": from_epoch(prev_epoch),
                "dark_to": from_epoch(epoch),
                "hours": round(hours, 1),
                "from_lat": prev_lat,
                "from_lon": prev_lon,
                "to_lat": lat,
                "to_lon": lon,
                "distance_km": round(distance_km, 1),
                "implied_speed_kn": round(distance_km / 1.852 / hours, 1) if hours else None,
            }
        )
    return out
