"""Port visits: consecutive observations of one vessel inside one place, from sightings and AIS.

Observations are a vessel's sightings at the place (recorded at it, or at coordinates within its
radius) and its AIS positions within the radius. Sorted by time, they belong to one visit unless
more than `gap` (48 hours by default) separates two of them. AIS rows are grouped into runs inside
SQLite (window functions over the positions table, no row leaves the database); the runs and the
sightings are then merged per vessel and place, which gives exactly the visits the observations
one by one would give.

A visit count is evidence too: `record()` keeps the query, its table and, per visit, the sightings
and the AIS rows (import, MMSI, time range, count) it came from, as a `visit-query` record that
supports a finding, with the sightings and AIS tracks linked to the finding as well.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field

from osint.case import records
from osint.errors import InvalidInput
from osint.maritime import geo, places
from osint.maritime.ais import store as ais_store
from osint.maritime.ais import tracks as ais_tracks
from osint.timeutil import bound, from_epoch, to_epoch

DEFAULT_GAP_HOURS = 48.0
ASSUMPTION = (
    "each visit is one full load at the vessel's recorded cargo capacity; "
    "partial loads, unloading and ship-to-ship transfers are not told apart"
)


@dataclass
class Visit:
    vessel: str
    place: str
    start: int
    end: int
    sightings: list[str] = field(default_factory=list)
    ais: list[dict] = field(default_factory=list)  # {batch, mmsi, first, last, rows}
    confidence: str | None = None  # high / medium / low (osint.maritime.events.visit_confidence)
    confidence_reason: str | None = None

    @property
    def ais_rows(self) -> int:
        return sum(piece["rows"] for piece in self.ais)


@dataclass
class Query:
    place: list[str] = field(default_factory=list)  # place refs; empty = every place
    start: str | None = None
    end: str | None = None
    gap_hours: float = DEFAULT_GAP_HOURS
    vessel: list[str] = field(default_factory=list)
    use_sightings: bool = True
    use_ais: bool = True


@dataclass
class Result:
    query: Query
    places: dict[str, dict]
    vessels: dict[str, dict]
    visits: list[Visit]
    window: tuple[int | None, int | None]

    def per_vessel(self, estimate: bool = False) -> list[dict]:
        """Contract rows: vessel, name, place, visits, first, last (+ barrels with estimate)."""
        groups: dict[tuple[str, str], list[Visit]] = {}
        for visit in self.visits:
            groups.setdefault((visit.vessel, visit.place), []).append(visit)
        rows = []
        for (vessel_id, place_id), items in groups.items():
            vessel = self.vessels[vessel_id]
            place = self.places[place_id]
            row = {
                "vessel": vessel_id,
                "name": vessel["name"],
                "place": place["name"],
                "place_id": place_id,
                "visits": len(items),
                "first": from_epoch(min(v.start for v in items)),
                "last": from_epoch(max(v.end for v in items)),
                "sightings": sum(len(v.sightings) for v in items),
                "ais_positions": sum(v.ais_rows for v in items),
                "imo": vessel.get("imo"),
            }
            if estimate:
                capacity = vessel.get("capacity_bbl")
                row["capacity_bbl"] = capacity
                row["barrels"] = capacity * len(items) if capacity else None
                row["assumption"] = (
                    "full load per visit" if capacity else "no capacity recorded: not estimated"
                )
            rows.append(row)
        rows.sort(key=lambda r: (r["place"].casefold(), -r["visits"], r["name"].casefold()))
        return rows

    def each(self) -> list[dict]:
        """One row per visit."""
        rows = []
        for visit in sorted(self.visits, key=lambda v: (v.start, v.vessel)):
            rows.append(
                {
                    "vessel": visit.vessel,
                    "name": self.vessels[visit.vessel]["name"],
                    "place": self.places[visit.place]["name"],
                    "place_id": visit.place,
                    "start": from_epoch(visit.start),
                    "end": from_epoch(visit.end),
                    "hours": round((visit.end - visit.start) / 3600, 1),
                    "sightings": len(visit.sightings),
                    "ais_positions": visit.ais_rows,
                    "confidence": visit.confidence,
                    "confidence_reason": visit.confidence_reason,
                }
            )
        return rows

    def totals(self, estimate: bool = False) -> dict:
        rows = self.per_vessel(estimate)
        out: dict = {
            "visits": len(self.visits),
            "vessels": len({v.vessel for v in self.visits}),
            "places": len({v.place for v in self.visits}),
        }
        if estimate:
            out["barrels"] = sum(r["barrels"] or 0 for r in rows)
            out["without_capacity"] = sorted({r["name"] for r in rows if not r["capacity_bbl"]})
            out["visits_without_capacity"] = sum(r["visits"] for r in rows if not r["capacity_bbl"])
            out["assumption"] = ASSUMPTION
        return out


def _window(query: Query) -> tuple[int | None, int | None]:
    lo = to_epoch(bound(query.start, "--from")) if query.start else None
    hi = to_epoch(bound(query.end, "--to", end=True)) if query.end else None
    if lo is not None and hi is not None and hi < lo:
        raise InvalidInput("--to is before --from")
    return lo, hi


def compute(conn: sqlite3.Connection, query: Query) -> Result:
    if query.gap_hours is None or not query.gap_hours > 0:
        raise InvalidInput("--gap: give a positive number of hours")
    gap = int(query.gap_hours * 3600)
    lo, hi = _window(query)
    if query.place:
        chosen = [places.find_place(conn, ref) for ref in query.place]
    else:
        chosen = list(records.iter_records(conn, "place"))
    place_map = {p["id"]: p for p in chosen}
    vessel_filter = (
        {records.resolve_id(conn, ref, ["vessel"]) for ref in query.vessel}
        if query.vessel
        else None
    )
    # (vessel, place) -> [(start, end, sighting ids, ais pieces)]
    pieces: dict[tuple[str, str], list[tuple[int, int, list, list]]] = {}
    if query.use_sightings and place_map:
        _sighting_pieces(conn, place_map, lo, hi, vessel_filter, pieces)
    if query.use_ais and place_map:
        _ais_pieces(conn, place_map, lo, hi, gap, vessel_filter, pieces)
    visits = []
    for (vessel_id, place_id), items in pieces.items():
        items.sort(key=lambda item: (item[0], item[1]))
        current = None
        for start, end, seen, ais in items:
            if current is not None and start - current.end <= gap:
                current.end = max(current.end, end)
                current.sightings += seen
                current.ais += ais
                continue
            current = Visit(vessel_id, place_id, start, end, list(seen), list(ais))
            visits.append(current)
    from osint.maritime.events.visit_confidence import grade

    circles = {pid: places.circle(p) for pid, p in place_map.items()}
    for visit in visits:
        visit.confidence, visit.confidence_reason = grade(conn, visit, circles[visit.place], gap)
    vessel_ids = {v.vessel for v in visits}
    vessels = {
        row["id"]: row
        for row in records.iter_records(conn, "vessel", include_retracted=True)
        if row["id"] in vessel_ids
    }
    return Result(query, place_map, vessels, visits, (lo, hi))


def _sighting_pieces(conn, place_map, lo, hi, vessel_filter, pieces) -> None:
    circles = {pid: places.circle(p) for pid, p in place_map.items()}
    for row in records.iter_records(conn, "sighting", order_by="seen_at"):
        if vessel_filter is not None and row["vessel"] not in vessel_filter:
            continue
        vessel = records.get(conn, "vessel", row["vessel"]) if row["vessel"] else None
        if not vessel or vessel.get("retracted_at"):
            continue
        epoch = to_epoch(row["seen_at"])
        if (lo is not None and epoch < lo) or (hi is not None and epoch > hi):
            continue
        at = set()
        if row["place"] in place_map:
            at.add(row["place"])
        if row["lat"] is not None and row["lon"] is not None:
            at.update(pid for pid, c in circles.items() if c.contains(row["lat"], row["lon"]))
        for pid in at:
            pieces.setdefault((row["vessel"], pid), []).append((epoch, epoch, [row["id"]], []))


_RUNS_SQL = """
WITH inside AS (
    SELECT batch, mmsi, epoch FROM ais_positions WHERE {inside}{window}
),
marked AS (
    SELECT batch, mmsi, epoch,
        CASE WHEN epoch - lag(epoch) OVER w <= :gap THEN 0 ELSE 1 END AS fresh
    FROM inside WINDOW w AS (PARTITION BY batch, mmsi ORDER BY epoch)
),
numbered AS (
    SELECT batch, mmsi, epoch,
        sum(fresh) OVER (PARTITION BY batch, mmsi ORDER BY epoch ROWS UNBOUNDED PRECEDING) AS run
    FROM marked
)
SELECT batch, mmsi, min(epoch), max(epoch), count(*) FROM numbered GROUP BY batch, mmsi, run
"""


def _ais_pieces(conn, place_map, lo, hi, gap, vessel_filter, pieces) -> None:
    mapping = ais_tracks.track_map(conn)
    if not mapping:
        return
    by_mmsi: dict[int, set[str]] = {}
    for (_, mmsi), vessel in mapping.items():
        by_mmsi.setdefault(mmsi, set()).add(vessel)
    withdrawn = conn.execute(
        "SELECT (SELECT count(*) FROM ais_imports WHERE retracted_at IS NOT NULL AND rows_kept > 0)"
        " + (SELECT count(*) FROM ais_tracks WHERE retracted_at IS NOT NULL)"
    ).fetchone()[0]
    # Usually every MMSI belongs to one vessel and no AIS was withdrawn: then the positions are
    # read straight from the key index, in MMSI and time order, and split into runs as they
    # stream (constant memory). Otherwise SQLite groups them per import (batch) first.
    simple = not withdrawn and all(len(v) == 1 for v in by_mmsi.values())
    window = ""
    params: dict = {"gap": gap}
    if lo is not None:
        window += " AND epoch >= :lo"
        params["lo"] = lo
    if hi is not None:
        window += " AND epoch <= :hi"
        params["hi"] = hi
    active = ais_store.active_batches(conn)
    for place_id, place in place_map.items():
        circle = places.circle(place)
        bound_params = {**params, **geo.sql_params(circle)}
        if simple:
            runs = _runs_by_mmsi(conn, geo.SQL_INSIDE + window, bound_params, gap)
        else:
            sql = _RUNS_SQL.format(inside=geo.SQL_INSIDE, window=window)
            runs = (r for r in conn.execute(sql, bound_params) if r[0] in active)
        for batch, mmsi, first, last, count in runs:
            if batch is None:
                vessel_id = next(iter(by_mmsi.get(mmsi, ())), None)
            else:
                vessel_id = mapping.get((batch, mmsi))
            if vessel_id is None or (vessel_filter is not None and vessel_id not in vessel_filter):
                continue
            piece = {"batch": batch, "mmsi": mmsi, "first": first, "last": last, "rows": count}
            pieces.setdefault((vessel_id, place_id), []).append((first, last, [], [piece]))


def _runs_by_mmsi(conn, where: str, params: dict, gap: int):
    """(None, mmsi, first, last, rows) runs from positions streamed in key-index order."""
    cursor = conn.cursor()
    cursor.row_factory = None
    cursor.execute(
        f"SELECT mmsi, epoch FROM ais_positions WHERE {where} ORDER BY mmsi, epoch", params
    )
    current_mmsi = first = last = None
    count = 0
    for mmsi, epoch in cursor:
        if mmsi == current_mmsi and epoch - last <= gap:
            last = epoch
            count += 1
            continue
        if current_mmsi is not None:
            yield None, current_mmsi, first, last, count
        current_mmsi, first, last, count = mmsi, epoch, epoch, 1
    if current_mmsi is not None:
        yield None, current_mmsi, first, last, count


# ---- recording a result as evidence ----------------------------------------------------------


def describe_query(result: Result) -> str:
    query = result.query
    where = ", ".join(p["name"] for p in result.places.values()) or "no place"
    lo, hi = result.window
    span = ""
    if lo is not None or hi is not None:
        span = f" from {from_epoch(lo)[:10] if lo is not None else 'the start'} to {from_epoch(hi)[:10] if hi is not None else 'now'}"
    return f"Visits to {where}{span} (gap {query.gap_hours:g} h)"


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def record(
    case,
    result: Result,
    *,
    estimate: bool = False,
    text: str | None = None,
    cap_bbl: int | None = None,
    note: str | None = None,
) -> tuple[dict, dict]:
    """Keep a visits result as a `visit-query` record supporting a new finding; (finding, query)."""
    from osint.case import kinds

    totals = result.totals(estimate)
    title = (
        f"{describe_query(result)}: {_count(totals['visits'], 'visit')} by "
        f"{_count(totals['vessels'], 'vessel')}"
        + (f", about {totals['barrels']:,} barrels" if estimate else "")
    )
    tracks_of: dict[int, list] = {}
    for tid, import_id, batch, mmsi, first, last in case.conn.execute(
        "SELECT t.id, t.import_id, b.batch, t.mmsi, t.first_time, t.last_time FROM ais_tracks t "
        "JOIN ais_batches b ON b.import_id = t.import_id JOIN ais_imports i ON i.id = t.import_id "
        "WHERE t.retracted_at IS NULL AND i.retracted_at IS NULL"
    ):
        tracks_of.setdefault(int(mmsi), []).append((tid, import_id, batch, first, last))

    def sources_of(piece: dict) -> list[tuple[str, str]]:
        """(track, import) pairs whose rows can be in this piece of a visit."""
        start, end = from_epoch(piece["first"]), from_epoch(piece["last"])
        return [
            (tid, import_id)
            for tid, import_id, batch, first, last in tracks_of.get(piece["mmsi"], [])
            if (piece["batch"] is None or batch == piece["batch"])
            and first <= end
            and last >= start
        ]

    evidence: list[dict] = []
    for visit in sorted(result.visits, key=lambda v: (v.start, v.vessel)):
        evidence.append(
            {
                "vessel": visit.vessel,
                "place": visit.place,
                "start": from_epoch(visit.start),
                "end": from_epoch(visit.end),
                "sightings": visit.sightings,
                "ais": [
                    {
                        "mmsi": f"{p['mmsi']:09d}",
                        "from": from_epoch(p["first"]),
                        "to": from_epoch(p["last"]),
                        "rows": p["rows"],
                        "tracks": [t for t, _ in sources_of(p)],
                        "imports": sorted({i for _, i in sources_of(p)}),
                    }
                    for p in visit.ais
                ],
            }
        )
    query = result.query
    parameters = {
        "places": [
            {
                "id": pid,
                "name": p["name"],
                "lat": p["lat"],
                "lon": p["lon"],
                "radius_m": p["radius_m"],
            }
            for pid, p in result.places.items()
        ],
        "from": from_epoch(result.window[0]) if result.window[0] is not None else None,
        "to": from_epoch(result.window[1]) if result.window[1] is not None else None,
        "gap_hours": query.gap_hours,
        "vessels": query.vessel or None,
        "sources": [
            s for s, on in (("sightings", query.use_sightings), ("ais", query.use_ais)) if on
        ],
        "estimate": estimate,
        "cap_bbl": cap_bbl if estimate and cap_bbl else None,
        "rule": "observations of one vessel inside one place's radius belong to one visit unless "
        "more than gap_hours separate two consecutive ones",
    }
    notes = [ASSUMPTION] if estimate else []
    if estimate and totals["without_capacity"]:
        notes.append(
            f"not estimated ({totals['visits_without_capacity']} visits): no capacity recorded for "
            + ", ".join(totals["without_capacity"])
        )
    if estimate and cap_bbl:
        notes.append(
            f"compared with a cap of {cap_bbl:,} barrels: {totals['barrels'] / cap_bbl:.1f} times"
        )
    if note:
        notes.append(note)
    with case.writing():
        query_row = records.create(
            case,
            "visit-query",
            {
                "title": title,
                "parameters": json.dumps(parameters, ensure_ascii=False, sort_keys=True),
                "visits": totals["visits"],
                "vessels": totals["vessels"],
                "barrels": totals.get("barrels") if estimate else None,
                "result": json.dumps(result.per_vessel(estimate), ensure_ascii=False),
                "evidence": json.dumps(evidence, ensure_ascii=False),
                "note": "; ".join(notes) or None,
            },
            added_from="osint visits (query re-run over the case at this time)",
        )
        finding = records.create(
            case,
            "finding",
            {"text": kinds.text(text or title, "finding text"), "note": "; ".join(notes) or None},
            added_from=f"visit-query {query_row['id']}",
        )
        records.link(
            case, query_row["id"], finding["id"], "supports", "the visits query and its table"
        )
        # The observations support the query (so `show` on either tells where a count came
        # from); the sources they cite support the finding directly.
        seen: set[str] = set()
        sources: list[str] = []
        for item in evidence:
            for sid in item["sightings"]:
                if sid not in seen:
                    seen.add(sid)
                    records.link(case, sid, query_row["id"], "supports")
                    sighting = records.get(case.conn, "sighting", sid)
                    if sighting and sighting["source"] and sighting["source"] not in sources:
                        sources.append(sighting["source"])
            for piece in item["ais"]:
                for track in piece["tracks"]:
                    if track not in seen:
                        seen.add(track)
                        records.link(case, track, query_row["id"], "supports")
        for source in sources:
            records.link(case, source, finding["id"], "supports", "source of the sightings")
    return finding, query_row


def query_details(conn: sqlite3.Connection, row: dict) -> dict:
    """`osint show VISIT-QUERY`: the parameters, the table, and the evidence of each visit."""
    try:
        parameters = json.loads(row.get("parameters") or "{}")
        result = json.loads(row.get("result") or "[]")
        evidence = json.loads(row.get("evidence") or "[]")
    except ValueError:
        return {"problem": ["the stored query cannot be read"]}
    names = {r["vessel"]: r["name"] for r in result}
    place_names = {p["id"]: p["name"] for p in parameters.get("places", [])}
    out = {
        "query": [
            "places: "
            + ", ".join(
                f"{p['name']} ({p['radius_m']:,.0f} m)" for p in parameters.get("places", [])
            ),
            f"window: {parameters.get('from') or 'any'} .. {parameters.get('to') or 'any'}",
            f"gap: {parameters.get('gap_hours')} hours; from {', '.join(parameters.get('sources', []))}",
        ],
        "table": [
            f"{r['name']:<24} {r['place']:<20} {r['visits']:>3} visits  {r['first'][:10]}..{r['last'][:10]}"
            + (
                f"  {r['barrels']:,} bbl"
                if r.get("barrels")
                else ("  no capacity" if "barrels" in r else "")
            )
            for r in result
        ],
    }
    lines = []
    for number, item in enumerate(evidence, 1):
        parts = []
        if item["sightings"]:
            parts.append("sightings " + ", ".join(s[:8] for s in item["sightings"]))
        for piece in item["ais"]:
            parts.append(
                f"AIS MMSI {piece['mmsi']} {piece['rows']} positions {piece['from']}..{piece['to']}"
                f" (import {', '.join(i[:8] for i in piece.get('imports', []))})"
            )
        lines.append(
            f"{number:>3}. {names.get(item['vessel'], item['vessel'][:8])} at "
            f"{place_names.get(item['place'], item['place'][:8])} {item['start']}..{item['end']}: "
            + "; ".join(parts)
        )
    out["visits and their evidence"] = lines
    return out


def finding_details(conn: sqlite3.Connection, row: dict) -> dict:
    """`osint show FINDING`: when a visits query supports it, the visits and their evidence."""
    out: dict = {}
    for (query_id,) in conn.execute(
        "SELECT l.from_id FROM links l JOIN visit_queries q ON q.id = l.from_id "
        "WHERE l.to_id = ? AND l.relation = 'supports' AND l.retracted_at IS NULL",
        (row["id"],),
    ):
        query = records.get(conn, "visit-query", query_id)
        if query:
            details = query_details(conn, query)
            out[f"from visits query {query_id[:8]}"] = details.get("query", []) + details.get(
                "visits and their evidence", []
            )
    return out
