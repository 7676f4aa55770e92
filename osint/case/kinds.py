"""The kinds of record a case holds, declared in one place.

Generic commands (list, show, edit, retract, search, timeline, verify, merge) work from these
declarations, so a new kind of record is one entry here plus its table in `store/schema.py`.
Behaviour that needs heavier code is named as "module:function" and imported only when used.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from osint.errors import InvalidInput

# ---- field parsers used by `osint edit --set FIELD=VALUE` (and by the add commands) ----------


def text(value: str, name: str = "value") -> str:
    value = value.strip()
    if not value:
        raise InvalidInput(f"{name}: must not be empty")
    return value


def optional_text(value: str | None, name: str = "value") -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


GRADES = {
    "A": "completely reliable",
    "B": "usually reliable",
    "C": "fairly reliable",
    "D": "not usually reliable",
    "E": "unreliable",
    "F": "reliability cannot be judged",
}
CREDIBILITY = {
    1: "confirmed by other sources",
    2: "probably true",
    3: "possibly true",
    4: "doubtful",
    5: "improbable",
    6: "truth cannot be judged",
}


def grade(value: str | None, name: str = "grade") -> str | None:
    """The Admiralty (NATO) source-reliability letter, A to F."""
    if value is None or not value.strip():
        return None
    letter = value.strip().upper()
    if letter not in GRADES:
        raise InvalidInput(f"{name}: {value!r} is not an Admiralty reliability grade (A to F)")
    return letter


def credibility(value, name: str = "credibility") -> int | None:
    """The Admiralty information-credibility digit, 1 to 6."""
    if value is None or str(value).strip() == "":
        return None
    try:
        digit = int(str(value).strip())
    except ValueError:
        digit = 0
    if digit not in CREDIBILITY:
        raise InvalidInput(f"{name}: {value!r} is not an information credibility (1 to 6)")
    return digit


def when(value: str | None, name: str = "date") -> str | None:
    if value is None or not value.strip():
        return None
    from osint.timeutil import parse_when

    return parse_when(value, name)


def resolve_callable(target: str | Callable | None) -> Callable | None:
    """A callable given directly or as "module:function" (imported on first use)."""
    if target is None or callable(target):
        return target
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


# ---- the kinds -------------------------------------------------------------------------------


@dataclass
class Kind:
    name: str
    plural: str
    table: str
    # Contract fields, in the order JSON shows them: json name -> column.
    fields: dict[str, str]
    # Columns shown in human tables by `list` (json names).
    columns: list[str]
    label: Callable[[Mapping], str]
    editable: dict[str, Callable[[str, str], Any]] = field(default_factory=dict)
    bools: tuple[str, ...] = ()
    date_field: str | None = None  # the column `timeline` orders by
    search_title: str | None = None
    search_fields: tuple[str, ...] = ()
    # "module:function" hooks, imported only when needed:
    search_extra: str | None = None  # (conn, row) -> extra text to index
    on_edit: str | None = None  # (case, row, changes) -> further changes to apply
    resolve_extra: str | None = None  # (conn, ref) -> list of ids matching a name etc.
    listed: bool = True  # appears in `osint list` and `info` counts
    # (conn, row) -> {json field: value} computed from other records (a vessel's aliases).
    json_extra: str | None = None

    def to_json(self, row: Mapping, conn=None) -> dict:
        """A record as scripts see it: contract field names first, then every other column.

        Given the connection, fields computed by the kind's `json_extra` hook are filled in.
        """
        row = dict(row)
        hook = resolve_callable(self.json_extra) if conn is not None else None
        if hook:
            row.update(hook(conn, row))
        columns_used = set(self.fields.values())
        out = {}
        for json_name, column in self.fields.items():
            out[json_name] = row.get(column)
        for column in row:
            if column not in columns_used and column not in out:
                out[column] = row[column]
        for name in self.bools:
            if out.get(name) is not None:
                out[name] = bool(out[name])
        return {"kind": self.name, **out} if "kind" not in out else out


def _cut(value, width=60) -> str:
    value = " ".join(str(value or "").split())
    return value if len(value) <= width else value[: width - 1] + "…"


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    KINDS[kind.name] = kind
    return kind


register(
    Kind(
        name="case",
        plural="cases",
        table="case_info",
        fields={"id": "id", "title": "title", "summary": "summary"},
        columns=["id", "title"],
        label=lambda r: _cut(r["title"]),
        editable={"title": text, "summary": optional_text},
        search_title="title",
        search_fields=("summary",),
        listed=False,
    )
)
register(
    Kind(
        name="source",
        plural="sources",
        table="sources",
        fields={
            "id": "id",
            "locator": "locator",
            "title": "title",
            "publisher": "publisher",
            "author": "author",
            "published": "published",
            "grade": "grade",
            "snapshot_sha256": "snapshot_sha256",
        },
        columns=["id", "grade", "title", "publisher", "published", "locator"],
        label=lambda r: _cut(r["title"]),
        editable={
            "title": text,
            "locator": text,
            "publisher": optional_text,
            "author": optional_text,
            "published": when,
            "grade": grade,
            "note": optional_text,
        },
        date_field="published",
        search_title="title",
        search_fields=("locator", "publisher", "author", "note"),
        search_extra="osint.sources.evidence:snapshot_search_text",
    )
)
register(
    Kind(
        name="snapshot",
        plural="snapshots",
        table="snapshots",
        fields={
            "id": "id",
            "source": "source",
            "sha256": "sha256",
            "media_type": "media_type",
            "filename": "filename",
            "size": "size",
            "retrieved_at": "retrieved_at",
            "text_sha256": "text_sha256",
        },
        columns=["id", "source", "retrieved_at", "media_type", "size", "sha256"],
        label=lambda r: _cut(f"{r['filename'] or r['media_type'] or ''} {r['retrieved_at'] or ''}"),
        editable={"note": optional_text},
        listed=False,
    )
)
register(
    Kind(
        name="quote",
        plural="quotes",
        table="quotes",
        fields={
            "id": "id",
            "text": "text",
            "speaker": "speaker",
            "role": "role",
            "source": "source",
            "verified": "verified",
            "start": "start_char",
            "end": "end_char",
            "said": "said",
            "credibility": "credibility",
        },
        columns=["id", "speaker", "text", "verified", "source"],
        label=lambda r: _cut(f"{r['speaker'] or '?'}: {r['text']}"),
        editable={
            "text": text,
            "speaker": optional_text,
            "role": optional_text,
            "said": when,
            "credibility": credibility,
            "note": optional_text,
        },
        bools=("verified",),
        date_field="said",
        search_title="speaker",
        search_fields=("text", "role", "note"),
        on_edit="osint.sources.evidence:quote_on_edit",
    )
)
register(
    Kind(
        name="finding",
        plural="findings",
        table="findings",
        fields={"id": "id", "text": "text", "note": "note"},
        columns=["id", "text", "added_by", "added_at"],
        label=lambda r: _cut(r["text"]),
        editable={"text": text, "note": optional_text},
        search_fields=("text", "note"),
    )
)
register(
    Kind(
        name="link",
        plural="links",
        table="links",
        fields={
            "id": "id",
            "from": "from_id",
            "relation": "relation",
            "to": "to_id",
            "note": "note",
        },
        columns=["id", "from", "relation", "to"],
        label=lambda r: f"{r['from_id'][:8]} {r['relation']} {r['to_id'][:8]}",
        editable={"note": optional_text},
        listed=False,
    )
)

register(
    Kind(
        name="timestamp",
        plural="timestamps",
        table="timestamps",
        fields={
            "id": "id",
            "head": "head",
            "tsa": "tsa",
            "gen_time": "gen_time",
            "serial": "serial",
            "signer": "signer",
            "reply_sha256": "reply_sha256",
        },
        columns=["id", "gen_time", "tsa", "head"],
        label=lambda r: _cut(f"{r['gen_time'] or ''} {r['tsa'] or ''}"),
        editable={"note": optional_text},
        date_field="gen_time",
    )
)


def _degrees(value, name: str, limit: int, what: str) -> float | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        number = float("nan")
    if not -limit <= number <= limit:
        raise InvalidInput(f"{name}: {value!r} is not a {what} (-{limit} to {limit})")
    return number


def latitude(value, name: str = "lat") -> float | None:
    return _degrees(value, name, 90, "latitude")


def longitude(value, name: str = "lon") -> float | None:
    return _degrees(value, name, 180, "longitude")


def _image_label(r: Mapping) -> str:
    name = r["filename"] or (r["sha256"] or "")[:12]
    return _cut(f"{name}: {r['caption']}" if r["caption"] else name)


register(
    Kind(
        name="image",
        plural="images",
        table="images",
        fields={
            "id": "id",
            "sha256": "sha256",
            "filename": "filename",
            "format": "format",
            "width": "width",
            "height": "height",
            "taken": "taken",
            "lat": "lat",
            "lon": "lon",
            "camera": "camera",
            "caption": "caption",
            "source": "source",
            "status": "status",
            "warnings": "warnings",
        },
        columns=["id", "filename", "format", "width", "height", "taken", "lat", "lon", "camera"],
        label=_image_label,
        editable={
            "caption": optional_text,
            "note": optional_text,
            "taken": when,
            "lat": latitude,
            "lon": longitude,
            "camera": optional_text,
        },
        date_field="taken",
        search_title="filename",
        search_fields=("caption", "note", "camera", "format", "sha256"),
        resolve_extra="osint.imagery.hooks:resolve_sha256_prefix",
    )
)

RELATIONS = ("supports", "contradicts", "depicts", "mentions", "same-as", "derived-from")


def get(name: str) -> Kind:
    """A kind by its singular or plural name."""
    key = name.strip().lower().replace("_", "-")
    if key in KINDS:
        return KINDS[key]
    for kind in KINDS.values():
        if kind.plural == key:
            return kind
    listable = ", ".join(k.plural for k in KINDS.values() if k.listed)
    raise InvalidInput(f"unknown kind {name!r} (one of: {listable})")


def by_table(table: str) -> Kind:
    for kind in KINDS.values():
        if kind.table == table:
            return kind
    raise KeyError(table)


# ---- maritime: vessels, their names, places, sightings, AIS imports and tracks ----------------


def _lazy(target: str) -> Callable[[str, str], Any]:
    """A field parser living in a feature module, imported on first use (fast startup)."""

    def parse(value: str, name: str = "value"):
        return resolve_callable(target)(value, name)

    return parse


def _coords(row: Mapping) -> str:
    # Labels get sqlite3.Row objects too: index them, they have no .get().
    if row["lat"] is None or row["lon"] is None:
        return ""
    return f"{row['lat']:.4f},{row['lon']:.4f}"


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
        label=lambda r: _cut(f"{r['name']}" + (f" (IMO {r['imo']})" if r["imo"] else ""), 60),
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
        label=lambda r: _cut(f"{r['name_type'] or 'name'} {r['name']}"),
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
        },
        columns=["id", "name", "lat", "lon", "radius_m"],
        label=lambda r: _cut(r["name"]),
        editable={
            "name": text,
            "lat": _lazy("osint.maritime.places:parse_lat"),
            "lon": _lazy("osint.maritime.places:parse_lon"),
            "radius_m": _lazy("osint.maritime.places:parse_radius"),
            "place_type": optional_text,
            "note": optional_text,
        },
        search_title="name",
        search_fields=("place_type", "note"),
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
        label=lambda r: _cut(
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
        label=lambda r: _cut(f"AIS {r['filename']} ({r['rows_kept']:,} rows kept)"),
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
        label=lambda r: _cut(
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
        label=lambda r: _cut(r["title"]),
        editable={"title": text, "note": optional_text},
        search_title="title",
        search_fields=("note",),
    )
)


# ---- sanctions screening: imported lists ---------------------------------------------------------

register(
    Kind(
        name="list-import",
        plural="list-imports",
        table="list_imports",
        fields={
            "id": "id",
            "list": "list_name",
            "published": "published",
            "source": "source",
            "file": "filename",
            "sha256": "sha256",
            "format": "format",
            "vessels": "vessels",
            "parties": "parties",
            "relations": "relations",
            "delisted": "delisted",
            "rows_digest": "rows_digest",
        },
        columns=["id", "list", "published", "vessels", "parties", "file"],
        label=lambda r: _cut(f"{r['list_name']} as published {r['published']}"),
        editable={"note": optional_text},
        date_field="published",
        search_title="list_name",
        search_fields=("filename", "sha256", "publisher", "note"),
    )
)
