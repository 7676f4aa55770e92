"""How sure a port visit is, graded as Global Fishing Watch grades its visits.

From the vessel's AIS around the visit (by MMSI and time, on the positions' key index):

- `entered`: its last report before the visit is outside the place's radius, at most `gap` before;
- `left`: its first report after the visit is outside the radius, at most `gap` after;
- `stopped`: a report during the visit at or under `stop_kn` knots.

`high` = entered, stopped and left; `medium` = two of the three; `low` = one or none (the vessel
only seen stopped, or appearing and vanishing inside the radius: seen dark), or sightings only.
"""

from __future__ import annotations

import sqlite3

from osint.maritime.geo import Circle

STOP_KN = 0.5


def grade(conn: sqlite3.Connection, visit, circle: Circle, gap: int, stop_kn: float = STOP_KN):
    """(confidence, reason) of a visit (osint.maritime.visits.Visit)."""
    if not visit.ais:
        return "low", "sightings only: no AIS entry, stop or exit observed"
    mmsis = sorted({piece["mmsi"] for piece in visit.ais})
    marks = ", ".join("?" * len(mmsis))
    before = conn.execute(
        f"SELECT epoch, lat, lon FROM ais_positions WHERE mmsi IN ({marks}) AND epoch < ? "
        "ORDER BY epoch DESC LIMIT 1",
        (*mmsis, visit.start),
    ).fetchone()
    after = conn.execute(
        f"SELECT epoch, lat, lon FROM ais_positions WHERE mmsi IN ({marks}) AND epoch > ? "
        "ORDER BY epoch LIMIT 1",
        (*mmsis, visit.end),
    ).fetchone()
    # The first slow report settles it: min(sog) would read every report of a long visit.
    stopped = (
        conn.execute(
            f"SELECT 1 FROM ais_positions WHERE mmsi IN ({marks}) AND epoch BETWEEN ? AND ? "
            "AND sog <= ? LIMIT 1",
            (*mmsis, visit.start, visit.end, stop_kn),
        ).fetchone()
        is not None
    )
    entered = bool(
        before and visit.start - before[0] <= gap and not circle.contains(before[1], before[2])
    )
    left = bool(after and after[0] - visit.end <= gap and not circle.contains(after[1], after[2]))
    seen = [w for w, ok in (("entered", entered), ("stopped", stopped), ("left", left)) if ok]
    missing = [w for w, ok in (("entry", entered), ("stop", stopped), ("exit", left)) if not ok]
    level = {3: "high", 2: "medium"}.get(len(seen), "low")
    reason = ("AIS shows it " + ", ".join(seen) if seen else "AIS shows no entry, stop or exit") + (
        f"; no {', '.join(missing)} observed" if missing else ""
    )
    return level, reason
