"""The maritime part of a brief's template context: vessels, places, sightings and visits.

Declared as the maritime feature's brief part (osint.features); fills `vessels`, `places`, `sightings`, `visits`,
`visits_assumption`, `visits_totals`, `visits_by_month` and `visit_queries`, each record with its
reference (V1, P1, O1, VQ1) so findings can cite them. Sightings of a withdrawn (retracted) vessel
are left out, like the vessel (counted in `left_out`).
"""

from __future__ import annotations

import json
import sqlite3
from array import array
from collections.abc import Iterator, Sequence
from itertools import islice

from osint.case import records

SIGHTING_COLUMNS = (
    "id", "vessel", "seen_at", "place", "lat", "lon", "image", "source", "activity",
    "confidence", "note", "added_by", "added_at",
)  # fmt: skip


def context_part(conn: sqlite3.Connection, context: dict, refs) -> None:
    from osint.briefs.refs import Ref, is_illustrative
    from osint.maritime import vessels as vessel_lib
    from osint.maritime import visits as visit_lib

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
    queries = _load_visit_queries(conn)
    wanted = set(context.get("cited_ids", ()))
    for query in queries:
        wanted.update(query["sighting_ids"])
    sightings = SightingList(conn, vessels, places, images, refs)
    context["sightings_pass"] = _read_sightings(sightings, context["limits"], wanted, refs)
    context["sightings"] = sightings
    left_out = context["sightings_pass"]["left_out"]
    if left_out:
        context["left_out"]["sightings of withdrawn vessels"] = left_out
    context["vessels"] = list(vessels.values())
    context["places"] = list(places.values())
    context["visit_queries"] = _visit_queries(queries, refs, context["limits"].citations)
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
    running, steps = 0, []
    for visit in result.each():
        months[visit["start"][:7]] = months.get(visit["start"][:7], 0) + 1
        vessel = vessels.get(visit["vessel"])
        capacity = (vessel.get("capacity_bbl") if vessel else 0) or 0
        if capacity:
            running += capacity
            steps.append((visit["start"], running))
    context["barrels_over_time"] = steps
    context["visits_by_month"] = _fill_months(months)
    if rows:
        totals = result.totals(estimate=True)
        text = (
            f"{totals['visits']} visits by {totals['vessels']} vessels, from sightings and AIS "
            f"positions (observations more than {visit_lib.DEFAULT_GAP_HOURS:g} hours apart start "
            f"a new visit). Estimate: about {totals['barrels']:,} barrels, assuming "
            f"{_assumption()}."
        )
        if totals["without_capacity"]:
            text += (
                f" Not estimated ({totals['visits_without_capacity']} visits): no capacity "
                f"recorded for {', '.join(totals['without_capacity'])}."
            )
        context["visits_assumption"] = text
        context["visits_totals"] = {
            **totals,
            "assumption": _assumption(),
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
        context["headline"] = _headline(context["visits_totals"], context["visit_queries"], rows)


def _assumption() -> str:
    from osint.maritime.visits import ASSUMPTION

    # A case recorded by an older osint may name the field: a brief says it in words.
    return ASSUMPTION.replace(" (capacity_bbl)", "")


def _headline(totals: dict, queries: list, rows: list) -> dict:
    """The comparison a brief opens with: estimated barrels against the cap recorded with the
    latest estimate (`osint visits --estimate --record --cap-bbl N`), its ratio rounded once,
    the period and the assumptions it rests on."""
    import re

    query = None
    cap = None
    for candidate in reversed(queries):
        cap = candidate.get("cap_bbl")
        if not cap:  # cases recorded before the cap was kept in the parameters
            match = re.search(r"cap of ([\d,]+) barrels", candidate.get("note") or "")
            cap = int(match.group(1).replace(",", "")) if match else None
        if candidate.get("barrels") is not None:
            query = candidate
            break
    barrels = query["barrels"] if query else totals.get("barrels")
    if not barrels:
        return {}
    first = (query or {}).get("from") or min(r["first"] for r in rows)
    last = (query or {}).get("to") or max(r["last"] for r in rows)
    months = (int(last[:4]) - int(first[:4])) * 12 + int(last[5:7]) - int(first[5:7]) + 1
    ratio = round(barrels / cap, 1) if cap else None
    return {
        "barrels": barrels,
        "visits": query["visits"] if query else totals["visits"],
        "vessels": query["vessels"] if query else totals["vessels"],
        "places": (query or {}).get("places") or totals.get("places_named") or [],
        "cap_bbl": cap,
        "ratio": ratio,
        "ratio_text": f"{ratio:.1f}" if ratio is not None else None,
        "from": first[:10],
        "to": last[:10],
        "months": months,
        "query_ref": query["ref"] if query else None,
        "query_id": query["id"] if query else None,
        "assumption": _assumption(),
        # Resting on illustrative vessels makes the comparison illustrative too.
        "illustrative": bool(query and query.get("illustrative"))
        or any(r.get("illustrative") for r in rows),
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
    out: list[tuple[str, int]] = []
    while f"{year:04d}-{month:02d}" <= last and len(out) < 600:
        key = f"{year:04d}-{month:02d}"
        out.append((key, months.get(key, 0)))
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return out


def _load_visit_queries(conn: sqlite3.Connection) -> list[dict]:
    """Recorded `osint visits --record` results with their parameters and evidence read."""
    out = []
    for row in records.iter_records(conn, "visit-query"):
        try:
            parameters = json.loads(row.get("parameters") or "{}")
            evidence = json.loads(row.get("evidence") or "[]")
        except ValueError:
            parameters, evidence = {}, []
        ids: list[str] = []
        seen: set[str] = set()
        ais_rows = 0
        for visit in evidence:
            for sid in visit.get("sightings", []):
                if sid not in seen:
                    seen.add(sid)
                    ids.append(sid)
            ais_rows += sum(piece.get("rows", 0) for piece in visit.get("ais", []))
        row.pop("evidence", None)
        row.pop("result", None)
        out.append({"row": row, "parameters": parameters, "sighting_ids": ids, "ais": ais_rows})
    return out


def _visit_queries(queries: list[dict], refs, cap: int) -> list:
    """The recorded visit counts as the brief shows them: query, totals, evidence references."""
    from osint.briefs.refs import Ref, is_illustrative

    out = []
    for query in queries:
        row, parameters = query["row"], query["parameters"]
        cited = sorted(
            (
                {"ref": refs.get(s), "id": s, "kind": "sighting", "label": None}
                for s in query["sighting_ids"]
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
                    "ais_positions": query["ais"],
                    "cap_bbl": parameters.get("cap_bbl"),
                    "note": (row.get("note") or "").replace(" (capacity_bbl)", "") or None,
                    "illustrative": is_illustrative(row.get("note"), row.get("title")),
                }
            )
        )
    return out


# ---- sightings, streamed -----------------------------------------------------------------------


class SightingList(Sequence):
    """The case's sightings as a brief sees them, read from the case each time it is iterated.

    A case may hold hundreds of thousands of sightings and a brief shows a bounded number of
    them, so they are never all held in memory: `len()` is known, iteration streams them in time
    order (each numbered O1, O2, ... in that order, the references the brief uses), and a user's
    template can still loop over all of them. Sightings of withdrawn vessels are left out.
    """

    def __init__(self, conn: sqlite3.Connection, vessels: dict, places: dict, images: dict, refs):
        # `_conn`: a template (sandboxed) cannot reach attributes starting with "_".
        self._conn, self.vessels, self.places, self.images, self.refs = (
            conn, vessels, places, images, refs,
        )  # fmt: skip
        self.total = 0

    def __len__(self) -> int:
        return self.total

    def __bool__(self) -> bool:
        return self.total > 0

    def __getitem__(self, index):
        if isinstance(index, slice):
            start, stop, step = index.indices(self.total)
            return list(islice(iter(self), start, stop, step))
        if index < 0:
            index += self.total
        if not 0 <= index < self.total:
            raise IndexError("sighting index out of range")
        return next(islice(iter(self), index, None))

    def __iter__(self) -> Iterator:
        from osint.briefs.refs import Ref, is_illustrative

        number = 0
        # Only the columns a brief shows.
        for row in self._conn.execute(
            f"SELECT {', '.join(SIGHTING_COLUMNS)} FROM sightings WHERE retracted_at IS NULL "
            "ORDER BY seen_at, id"
        ):
            vessel = self.vessels.get(row["vessel"])
            if vessel is None:
                continue  # the vessel was withdrawn: so is what was seen of it
            number += 1
            row = dict(row)
            place = self.places.get(row["place"]) if row["place"] else None
            image = self.images.get(row["image"]) if row["image"] else None
            yield Ref(
                {
                    **row,
                    "ref": f"O{number}",
                    "label": f"{vessel['name']} {row['activity'] or 'seen'} {row['seen_at']}"
                    + (f" at {place['name']}" if place else ""),
                    "when": row["seen_at"],
                    "vessel": vessel,
                    "place": place,
                    "image": image,
                    "image_ref": image["ref"] if image else None,
                    "source_ref": self.refs.get(row["source"]) if row["source"] else None,
                    "illustrative": is_illustrative(row["note"]),
                }
            )


class Points(Sequence):
    """Coordinates of many sightings, 16 bytes each (labels kept for the first few only)."""

    def __init__(self, keep_labels: int):
        self.coords = array("d")
        self.labels: list[str] = []
        self.keep_labels = keep_labels

    def add(self, lat: float, lon: float, label: str) -> None:
        self.coords.extend((lat, lon))
        if len(self.labels) < self.keep_labels:
            self.labels.append(label)

    def __len__(self) -> int:
        return len(self.coords) // 2

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        lat, lon = self.coords[2 * index], self.coords[2 * index + 1]
        return {
            "lat": lat,
            "lon": lon,
            "label": self.labels[index] if index < len(self.labels) else "",
        }


def _read_sightings(sightings: SightingList, limits, wanted: set, refs) -> dict:
    """One pass over the sightings: counts, per-vessel summary, map points, and the sightings a
    brief can show (the first ones, the cited ones, those with a picture), the rest counted."""
    first_n = limits.rows + 1 if limits.rows else None
    first: list[dict] = []
    kept: dict = {}
    pictured = 0
    per_vessel: dict[str, dict] = {}
    per_place: dict[str, int] = {}
    places_seen: set = set()
    with_coords = False
    illustrative = 0
    points = Points(keep_labels=(limits.map_points or 10**9) + 1)
    total = 0
    for sighting in sightings:
        total += 1
        sid, vessel, place = sighting["id"], sighting["vessel"], sighting["place"]
        vessel["sightings"] += 1
        if place:
            place["sightings"] += 1
        if first_n is None or len(first) < first_n:
            first.append(sighting)
        keep = sid in wanted
        if sighting["image"] is not None:
            sighting["image"]["sightings"].append(sighting["ref"])
            if pictured < (limits.rows or 10**9):
                pictured += 1
                keep = True
        if keep:
            kept[sid] = sighting
            refs.by_id[sid] = sighting["ref"]
        group = per_vessel.get(vessel["id"])
        if group is None:
            group = per_vessel[vessel["id"]] = {
                "vessel": vessel, "count": 0, "first": sighting["when"],
                "last": sighting["when"], "places": {}, "pictured": 0,
            }  # fmt: skip
        group["count"] += 1
        group["last"] = sighting["when"]  # time order
        if place:
            group["places"][place["name"]] = group["places"].get(place["name"], 0) + 1
        if sighting["image"] is not None:
            group["pictured"] += 1
        places_seen.add(place["id"] if place else None)
        if sighting["lat"] is not None and sighting["lon"] is not None:
            with_coords = True
            points.add(sighting["lat"], sighting["lon"], sighting["label"])
        elif place:
            per_place[place["id"]] = per_place.get(place["id"], 0) + 1
        if sighting["illustrative"]:
            illustrative += 1
    sightings.total = total
    refs.counters["O"] = total
    if first_n is None or total <= (limits.rows or 0):
        for sighting in first:  # everything is shown: every sighting keeps its reference
            refs.by_id[sighting["id"]] = sighting["ref"]
    summary = sorted(per_vessel.values(), key=lambda g: (-g["count"], g["vessel"]["name"]))
    for group in summary:
        group["places"] = sorted(group["places"].items(), key=lambda kv: -kv[1])
    common = None
    if len(places_seen) == 1 and None not in places_seen and not with_coords and first:
        common = first[0]["place"]
    left_out = sightings._conn.execute(
        "SELECT count(*) FROM sightings s JOIN vessels v ON v.id = s.vessel "
        "WHERE s.retracted_at IS NULL AND v.retracted_at IS NOT NULL"
    ).fetchone()[0]
    return {
        "total": total,
        "first": first,
        "kept": kept,
        "per_vessel": summary,
        "per_place": per_place,
        "common_place": common,
        "points": points,
        "illustrative": illustrative,
        "left_out": left_out,
    }
