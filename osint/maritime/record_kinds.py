"""The kinds of the maritime feature: vessels, their names, places, sightings, AIS imports and tracks,
kept visit queries."""

from __future__ import annotations

from collections.abc import Mapping

from osint.case.fields import optional_text, text, when
from osint.case.kinds import Kind, cut, register
from osint.case.kinds import lazy_parser as _lazy
from osint.formats import coordinates


def _coords(row: Mapping) -> str:
    # Labels get sqlite3.Row objects too: index them, they have no .get().
    return coordinates(row["lat"], row["lon"])


register(
    Kind(
        name="vessel",
        plural="vessels",
        table="vessels",
        fields={
            "id": "id",
            "name": "name",
            "imo": "imo",
            "mmsi": "mmsi",
            "flag": "flag",
            "aliases": "aliases",
            "capacity_bbl": "capacity_bbl",
            "call_sign": "call_sign",
            "type": "vessel_type",
        },
        columns=["id", "name", "imo", "mmsi", "flag", "capacity_bbl", "aliases"],
        label=lambda r: cut(f"{r['name']}" + (f" (IMO {r['imo']})" if r["imo"] else ""), 60),
        editable={
            "name": text,
            "imo": _lazy("osint.maritime.vessels:parse_imo_field"),
            "mmsi": _lazy("osint.maritime.vessels:parse_mmsi_field"),
            "flag": _lazy("osint.maritime.vessels:parse_flag_field"),
            "call_sign": optional_text,
            "vessel_type": optional_text,
            "capacity_bbl": _lazy("osint.maritime.vessels:parse_capacity"),
            "note": optional_text,
        },
        search_title="name",
        search_fields=("imo", "mmsi", "flag", "call_sign", "vessel_type", "note"),
        search_extra="osint.maritime.vessels:vessel_search_text",
        on_edit="osint.maritime.vessels:vessel_on_edit",
        resolve_extra="osint.maritime.vessels:resolve_vessel",
        json_extra="osint.maritime.vessels:vessel_json_extra",
    )
)
register(
    Kind(
        name="vessel-name",
        plural="vessel-names",
        table="vessel_names",
        fields={
            "id": "id",
            "vessel": "vessel",
            "name": "name",
            "type": "name_type",
            "from": "valid_from",
            "to": "valid_to",
            "source": "source",
            "note": "note",
        },
        columns=["id", "vessel", "name", "type", "from", "to"],
        label=lambda r: cut(f"{r['name_type'] or 'name'} {r['name']}"),
        editable={
            "name": text,
            "name_type": _lazy("osint.maritime.vessels:parse_name_type"),
            "valid_from": when,
            "valid_to": when,
            "note": optional_text,
        },
        date_field="valid_from",
        search_title="name",
        search_fields=("note",),
    )
)
register(
    Kind(
        name="place",
        plural="places",
        table="places",
        fields={
            "id": "id",
            "name": "name",
            "lat": "lat",
            "lon": "lon",
            "radius_m": "radius_m",
            "type": "place_type",
            "aliases": "aliases",
        },
        columns=["id", "name", "lat", "lon", "radius_m"],
        label=lambda r: cut(r["name"]),
        editable={
            "name": text,
            "lat": _lazy("osint.maritime.places:parse_lat"),
            "lon": _lazy("osint.maritime.places:parse_lon"),
            "radius_m": _lazy("osint.maritime.places:parse_radius"),
            "place_type": optional_text,
            "note": optional_text,
            "aliases": _lazy("osint.maritime.places:parse_aliases"),
        },
        search_title="name",
        search_fields=("place_type", "note", "aliases"),
        resolve_extra="osint.maritime.places:resolve_place",
    )
)
register(
    Kind(
        name="sighting",
        plural="sightings",
        table="sightings",
        fields={
            "id": "id",
            "vessel": "vessel",
            "when": "seen_at",
            "place": "place",
            "lat": "lat",
            "lon": "lon",
            "image": "image",
            "source": "source",
            "activity": "activity",
            "confidence": "confidence",
            "note": "note",
        },
        columns=["id", "when", "vessel", "place", "activity", "confidence"],
        label=lambda r: cut(
            f"{r['seen_at']} {r['activity'] or 'seen'}"
            + (f" at {_coords(r)}" if r["lat"] is not None else "")
        ),
        editable={
            "seen_at": when,
            "activity": _lazy("osint.maritime.sightings:parse_activity"),
            "confidence": _lazy("osint.maritime.sightings:parse_confidence"),
            "lat": _lazy("osint.maritime.places:parse_lat"),
            "lon": _lazy("osint.maritime.places:parse_lon"),
            "note": optional_text,
        },
        date_field="seen_at",
        search_fields=("activity", "note"),
        search_extra="osint.maritime.sightings:sighting_search_text",
    )
)
register(
    Kind(
        name="ais-import",
        plural="ais-imports",
        table="ais_imports",
        fields={
            "id": "id",
            "file": "filename",
            "sha256": "sha256",
            "layout": "layout",
            "rows_read": "rows_read",
            "rows_kept": "rows_kept",
            "rows_duplicate": "rows_duplicate",
            "rows_invalid": "rows_invalid",
            "rows_not_vessel": "rows_not_vessel",
            "rows_filtered": "rows_filtered",
            "rows_no_position": "rows_no_position",
            "rows_digest": "rows_digest",
        },
        columns=["id", "file", "rows_read", "rows_kept", "rows_duplicate", "rows_invalid"],
        label=lambda r: cut(f"AIS {r['filename']} ({r['rows_kept']:,} rows kept)"),
        editable={"note": optional_text},
        search_title="filename",
        search_fields=("sha256", "note"),
    )
)
register(
    Kind(
        name="ais-track",
        plural="ais-tracks",
        table="ais_tracks",
        fields={
            "id": "id",
            "vessel": "vessel",
            "mmsi": "mmsi",
            "name": "name",
            "imo": "imo",
            "rows": "rows",
            "first": "first_time",
            "last": "last_time",
            "import": "import_id",
        },
        columns=["id", "mmsi", "name", "rows", "first", "last", "vessel"],
        label=lambda r: cut(
            f"AIS MMSI {r['mmsi']} {r['name'] or ''} {r['rows']:,} positions "
            f"{(r['first_time'] or '')[:10]}..{(r['last_time'] or '')[:10]}"
        ),
        editable={"vessel": text, "note": optional_text},
        search_title="name",
        search_fields=("mmsi", "imo", "call_sign", "note"),
        on_edit="osint.maritime.ais.tracks:track_on_edit",
    )
)
register(
    Kind(
        name="visit-query",
        plural="visit-queries",
        table="visit_queries",
        fields={
            "id": "id",
            "title": "title",
            "visits": "visits",
            "vessels": "vessels",
            "barrels": "barrels",
            "parameters": "parameters",
        },
        columns=["id", "title", "visits", "vessels", "barrels"],
        label=lambda r: cut(r["title"]),
        editable={"title": text, "note": optional_text},
        search_title="title",
        search_fields=("note",),
    )
)
