"""The maritime part of a brief's template context: vessels, places, sightings and visits.

Registered in `osint.briefs.CONTEXT_PARTS`; fills `vessels`, `places`, `sightings`, `visits`,
`visits_assumption`, `visits_totals`, `visits_by_month` and `visit_queries`, each record with its
reference (V1, P1, O1, VQ1) so findings can cite them. Sightings of a withdrawn (retracted) vessel
are left out, like the vessel (counted in `left_out`).
"""

from __future__ import annotations

import json
import sqlite3

from .. import records


def context_part(conn: sqlite3.Connection, context: dict, refs) -> None:
    from ..briefs import Ref, is_illustrative
    from . import vessels as vessel_lib
    from . import visits as visit_lib

    names = _names(conn)
    vessels = {}
    for row in records.iter_records(conn, "vessel", order_by="name, id"):
        own = names.get(row["id"], [])
        vessels[row["id"]] = Ref(
            {
                **row,
                "ref": refs.assign("vessel", row["id"]),
                "label": row["name"],
                "aliases": [n["name"] for n in own if n["name"] != row["name"]],
                "names": [n for n in own if n["name"] != row["name"]],
                "type": row["vessel_type"],
                "unverified": vessel_lib.unverified(row),
                "illustrative": is_illustrative(row.get("note")),
                "sightings": 0,
                "visits": 0,
            }
        )
    places = {}
    for row in records.iter_records(conn, "place", order_by="name, id"):
        places[row["id"]] = Ref(
            {
                **row,
                "ref": refs.assign("place", row["id"]),
                "label": row["name"],
                "type": row["place_type"],
                "illustrative": is_illustrative(row.get("note")),
                "sightings": 0,
            }
        )
    images = {i["id"]: i for i in context.get("images", [])}
    sightings = []
    left_out = 0
    for row in records.iter_records(conn, "sighting", order_by="seen_at, id"):
        vessel = vessels.get(row["vessel"])
        if vessel is None:
            left_out += 1  # the vessel was withdrawn: so is what was seen of it
            continue
        place = places.get(row["place"]) if row["place"] else None
        vessel["sightings"] += 1
        if place:
            place["sightings"] += 1
        image = images.get(row["image"]) if row.get("image") else None
        sighting = Ref(
            {
                **row,
                "ref": refs.assign("sighting", row["id"]),
                "label": f"{vessel['name']} {row['activity'] or 'seen'} {row['seen_at']}"
                + (f" at {place['name']}" if place else ""),
                "when": row["seen_at"],
                "vessel": vessel,
                "place": place,
                "image": image,
                "image_ref": image["ref"] if image else None,
                "source_ref": refs.get(row["source"]) if row["source"] else None,
                "illustrative": is_illustrative(row.get("note")),
            }
        )
        if image is not None:
            image["sightings"].append(sighting["ref"])
        sightings.append(sighting)
    if left_out:
        context["left_out"]["sightings of withdrawn vessels"] = left_out
    context["vessels"] = list(vessels.values())
    context["places"] = list(places.values())
    context["sightings"] = sightings
    context["visit_queries"] = _visit_queries(conn, refs, context["limits"].citations)
    if not places:
        return
    result = visit_lib.compute(conn, visit_lib.Query())
    rows = result.per_vessel(estimate=True)
    for item in rows:
        vessel = vessels.get(item["vessel"])
        item["ref"] = vessel["ref"] if vessel else None
        item["place_ref"] = places[item["place_id"]]["ref"] if item["place_id"] in places else None
        item["illustrative"] = bool(vessel and vessel["illustrative"])
        if vessel:
            vessel["visits"] += item["visits"]
    context["visits"] = [Ref({**item, "label": item["name"]}) for item in rows]
    months: dict[str, int] = {}
    for visit in result.each():
        months[visit["start"][:7]] = months.get(visit["start"][:7], 0) + 1
    context["visits_by_month"] = _fill_months(months)
    if rows:
        totals = result.totals(estimate=True)
        text = (
            f"{totals['visits']} visits by {totals['vessels']} vessels, from sightings and AIS "
            f"positions (observations more than {visit_lib.DEFAULT_GAP_HOURS:g} hours apart start "
            f"a new visit). Estimate: about {totals['barrels']:,} barrels, assuming "
            f"{visit_lib.ASSUMPTION}."
        )
        if totals["without_capacity"]:
            text += (
                f" Not estimated ({totals['visits_without_capacity']} visits): no capacity "
                f"recorded for {', '.join(totals['without_capacity'])}."
            )
        context["visits_assumption"] = text
        context["visits_totals"] = {
            **totals,
            "method": (
                "counted from sightings and AIS positions: observations of one vessel inside a "
                f"place's radius belong to one visit unless more than "
                f"{visit_lib.DEFAULT_GAP_HOURS:g} hours separate two of them"
            ),
            "places_named": sorted({r["place"] for r in rows}),
            "capacity_known": sum(1 for r in rows if r["capacity_bbl"]),
            "sightings": sum(r["sightings"] for r in rows),
            "ais_positions": sum(r["ais_positions"] for r in rows),
            "gap_hours": visit_lib.DEFAULT_GAP_HOURS,
        }


def _names(conn: sqlite3.Connection) -> dict[str, list[dict]]:
    """{vessel id: [{name, type, from, to}]}: aliases, former and AIS names, oldest first."""
    out: dict[str, list[dict]] = {}
    for row in conn.execute(
        "SELECT vessel, name, name_type, valid_from, valid_to FROM vessel_names "
        "WHERE retracted_at IS NULL ORDER BY coalesce(valid_from, ''), added_at"
    ):
        bucket = out.setdefault(row["vessel"], [])
        if all(n["name"] != row["name"] for n in bucket):
            bucket.append(
                {
                    "name": row["name"],
                    "type": row["name_type"] or "alias",
                    "from": row["valid_from"],
                    "to": row["valid_to"],
                }
            )
    return out


def _fill_months(months: dict[str, int]) -> list[tuple[str, int]]:
    """Every month from the first to the last, with zero for months without a visit."""
    if not months:
        return []
    first, last = min(months), max(months)
    year, month = int(first[:4]), int(first[5:7])
    out = []
    while f"{year:04d}-{month:02d}" <= last and len(out) < 600:
        key = f"{year:04d}-{month:02d}"
        out.append((key, months.get(key, 0)))
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return out


def _visit_queries(conn: sqlite3.Connection, refs, cap: int) -> list:
    """Recorded `osint visits --record` results: the query, its totals and its evidence."""
    from ..briefs import Ref, is_illustrative

    out = []
    for row in records.iter_records(conn, "visit-query"):
        try:
            parameters = json.loads(row.get("parameters") or "{}")
            evidence = json.loads(row.get("evidence") or "[]")
        except ValueError:
            parameters, evidence = {}, []
        sightings = []
        ais_rows = 0
        for visit in evidence:
            sightings += [s for s in visit.get("sightings", []) if s not in sightings]
            ais_rows += sum(piece.get("rows", 0) for piece in visit.get("ais", []))
        cited = sorted(
            (
                {"ref": refs.get(s), "id": s, "kind": "sighting", "label": None}
                for s in sightings
                if refs.get(s)
            ),
            key=lambda c: int(c["ref"][1:]),
        )
        cap = cap or len(cited)
        out.append(
            Ref(
                {
                    **row,
                    "ref": refs.assign("visit-query", row["id"]),
                    "label": row["title"],
                    "places": [p.get("name") for p in parameters.get("places", [])],
                    "from": parameters.get("from"),
                    "to": parameters.get("to"),
                    "gap_hours": parameters.get("gap_hours"),
                    "evidence_sources": parameters.get("sources", []),
                    "sightings": cited[:cap],
                    "sightings_total": len(cited),
                    "sightings_more": max(0, len(cited) - cap),
                    "ais_positions": ais_rows,
                    "illustrative": is_illustrative(row.get("note"), row.get("title")),
                }
            )
        )
    return out
