"""The maritime part of a brief's template context: vessels, places, sightings and visits.

Registered in `osint.briefs.CONTEXT_PARTS`; fills `vessels`, `places`, `sightings`, `visits` and
`visits_assumption`, each record with its reference (V1, P1, O1) so findings can cite them.
"""

from __future__ import annotations

import sqlite3

from .. import records


def context_part(conn: sqlite3.Connection, context: dict, refs) -> None:
    from ..briefs import Ref
    from . import vessels as vessel_lib
    from . import visits as visit_lib

    names = vessel_lib.all_names(conn)
    vessels = {}
    for row in records.iter_records(conn, "vessel", order_by="name, id"):
        aliases = [n for n in names.get(row["id"], []) if n != row["name"]]
        vessels[row["id"]] = Ref(
            {
                **row,
                "ref": refs.assign("vessel", row["id"]),
                "label": row["name"],
                "aliases": aliases,
                "type": row["vessel_type"],
                "unverified": vessel_lib.unverified(row),
                "illustrative": (row["note"] or "").startswith("ILLUSTRATIVE"),
            }
        )
    places = {}
    for row in records.iter_records(conn, "place", order_by="name, id"):
        places[row["id"]] = Ref(
            {**row, "ref": refs.assign("place", row["id"]), "label": row["name"]}
        )
    sightings = []
    for row in records.iter_records(conn, "sighting", order_by="seen_at, id"):
        vessel = vessels.get(row["vessel"])
        place = places.get(row["place"]) if row["place"] else None
        sightings.append(
            Ref(
                {
                    **row,
                    "ref": refs.assign("sighting", row["id"]),
                    "label": f"{vessel['name'] if vessel else '?'} {row['seen_at']}",
                    "when": row["seen_at"],
                    "vessel": vessel,
                    "place": place,
                    "source_ref": refs.get(row["source"]) if row["source"] else None,
                }
            )
        )
    context["vessels"] = list(vessels.values())
    context["places"] = list(places.values())
    context["sightings"] = sightings
    if not places:
        return
    result = visit_lib.compute(conn, visit_lib.Query())
    rows = result.per_vessel(estimate=True)
    for item in rows:
        vessel = vessels.get(item["vessel"])
        item["ref"] = vessel["ref"] if vessel else None
    context["visits"] = [Ref({**item, "label": item["name"]}) for item in rows]
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
        context["visits_totals"] = totals
