"""The behaviour part of a brief's template context: `events`.

Registered in `osint.briefs.CONTEXT_PARTS`. Fills `events` with the encounters, loitering, dark
activity and anomalies the case's AIS holds by the default rules (computed while the brief is
made, when the case holds at most LIVE_LIMIT positions), every sighting checked against AIS, the
recorded event queries (with their references, EQ1...) and a map of the encounter points with the
two vessels' tracks around them. Rows whose vessels are marked illustrative are marked too.
"""

from __future__ import annotations

import json
import sqlite3

LIVE_LIMIT = 2_000_000
AROUND_S = 6 * 3600  # tracks drawn this long either side of an encounter
MAX_ROWS = 50


def context_part(conn: sqlite3.Connection, context: dict, refs) -> None:
    from osint.briefs.refs import is_illustrative
    from osint.case import records

    illustrative = {
        row["id"]
        for row in records.iter_records(conn, "vessel", include_retracted=True)
        if is_illustrative(row.get("note"))
    }
    vessel_refs = {v["id"]: v.get("ref") for v in context.get("vessels", []) if isinstance(v, dict)}

    def mark(row: dict, *keys) -> dict:
        ids = [row[k]["id"] for k in keys if isinstance(row.get(k), dict)]
        row["illustrative"] = any(i in illustrative for i in ids)
        row["refs"] = [vessel_refs.get(i) for i in ids]
        return row

    events: dict = {
        "encounters": [],
        "loitering": [],
        "dark": [],
        "anomalies": [],
        "sightings": [],
        "queries": [],
        "rules": {},
        "map": "",
        "note": None,
        "unavailable": {},
    }
    for row in records.iter_records(conn, "event-query"):
        try:
            parameters = json.loads(row.get("parameters") or "{}")
        except ValueError:
            parameters = {}
        events["queries"].append(
            {
                "ref": refs.assign("event-query", row["id"]),
                "id": row["id"],
                "title": row["title"],
                "command": row["command"],
                "rule": row["rule"],
                "events": row["events"],
                "parameters": ", ".join(
                    f"{k}={v}" for k, v in sorted(parameters.items()) if v is not None
                ),
                "added_by": row.get("added_by"),
                "added_at": row.get("added_at"),
                "illustrative": is_illustrative(row.get("note")),
            }
        )
    has_sightings = conn.execute("SELECT 1 FROM sightings LIMIT 1").fetchone() is not None
    positions = conn.execute("SELECT count(*) FROM ais_positions").fetchone()[0]
    if positions > LIVE_LIMIT:
        events["note"] = (
            f"The case holds {positions:,} AIS positions: events are not computed while the "
            "brief is made. Run osint ais encounters (loitering, dark, anomalies) --record to "
            "include them as recorded queries."
        )
    elif positions:
        from osint.maritime.events import anomalies, dark, encounters, loitering

        enc_params = encounters.Params()
        found = encounters.find(conn, enc_params)
        events["encounters"] = [mark(r, "vessel_a", "vessel_b") for r in found[:MAX_ROWS]]
        events["rules"]["encounters"] = enc_params.rule()
        loit_params = loitering.Params()
        events["loitering"] = [
            mark(r, "vessel") for r in loitering.find(conn, loit_params)[:MAX_ROWS]
        ]
        events["rules"]["loitering"] = loit_params.rule()
        dark_params = dark.Params()
        events["dark"] = [mark(r, "vessel") for r in dark.find(conn, dark_params)[:MAX_ROWS]]
        events["rules"]["dark"] = dark_params.rule()
        anomaly_params = anomalies.Params()
        result = anomalies.find(conn, anomaly_params)
        events["anomalies"] = [mark(r, "vessel") for r in result.rows[:MAX_ROWS]]
        events["unavailable"] = result.unavailable
        events["rules"]["anomalies"] = anomaly_params.rule()
        events["map"] = _map(conn, found, context)
    if has_sightings and positions:
        from osint.maritime.events import sightings_check

        check_params = sightings_check.Params()
        rows = sightings_check.check(conn, check_params)
        events["sightings"] = [
            {**mark(r, "vessel"), "sighting_ref": refs.assign("sighting", r["sighting"])}
            for r in rows
            if r["status"] in ("dark", "elsewhere")
        ][:MAX_ROWS]
        events["sightings_counts"] = _counts(rows)
        events["rules"]["sightings"] = check_params.rule()
    events["any"] = any(
        events[k] for k in ("encounters", "loitering", "dark", "anomalies", "sightings", "queries")
    ) or bool(events["note"])
    context["events"] = events


def _counts(rows: list[dict]) -> dict:
    out: dict[str, int] = {}
    for row in rows:
        out[row["status"]] = out.get(row["status"], 0) + 1
    return out


def _map(conn, found: list[dict], context: dict) -> str:
    """Encounter points (as pictures) and the two vessels' positions around each (as points)."""
    if not found:
        return ""
    from osint.briefs import charts
    from osint.timeutil import to_epoch

    points = []
    for row in found[:20]:
        lo, hi = to_epoch(row["start"]) - AROUND_S, to_epoch(row["end"]) + AROUND_S
        for key in ("vessel_a", "vessel_b"):
            mmsi = int(row[key]["mmsi"])
            for lat, lon in conn.execute(
                "SELECT lat, lon FROM ais_positions WHERE mmsi = ? AND epoch BETWEEN ? "
                "AND ? ORDER BY epoch",
                (mmsi, lo, hi),
            ):
                points.append({"lat": lat, "lon": lon, "label": row[key]["name"] or ""})
    pictures = [
        {
            "lat": r["lat"],
            "lon": r["lon"],
            "label": f"encounter {r['vessel_a']['name']} / {r['vessel_b']['name']} {r['start']}",
        }
        for r in found[:20]
    ]
    svg = charts.map_svg(
        [],
        points,
        pictures=pictures,
        title="Encounters and the tracks around them",
        max_points=context["limits"].map_points if context.get("limits") else 2000,
        width=520,
        height=400,
        labels=("AIS position", "encounter"),
    )
    from markupsafe import Markup

    # charts.py escapes every text it draws: the SVG is markup of our own making.
    return Markup(svg) if svg else ""
