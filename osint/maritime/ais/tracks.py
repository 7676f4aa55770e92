"""AIS tracks: the positions one import holds for one MMSI, linked to a vessel record.

A track is linked to the vessel holding its MMSI, else the vessel with its (valid) IMO, else the
vessel an earlier track of that MMSI was linked to; when none matches, a vessel is created from the
track's static data (name, IMO, call sign, type), with the import as its provenance. A wrong link
is corrected with `osint edit TRACK --set vessel=VESSEL`, which the audit log keeps.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from ... import records
from .. import identifiers
from ..vessels import name_key

# AIS ship and cargo type codes (ITU-R M.1371, message 5), by tens and special values.
SHIP_TYPES = {
    30: "fishing",
    31: "towing",
    32: "towing (large)",
    33: "dredging or underwater operations",
    34: "diving operations",
    35: "military operations",
    36: "sailing",
    37: "pleasure craft",
    50: "pilot vessel",
    51: "search and rescue vessel",
    52: "tug",
    53: "port tender",
    54: "anti-pollution equipment",
    55: "law enforcement",
    58: "medical transport",
    59: "noncombatant ship",
}
SHIP_TYPE_TENS = {
    2: "wing in ground",
    4: "high-speed craft",
    6: "passenger",
    7: "cargo",
    8: "tanker",
    9: "other",
}


def ship_type_text(code: str | None) -> str | None:
    if not code or not str(code).strip():
        return None
    text = str(code).strip()
    try:
        number = int(float(text))
    except ValueError:
        return text
    if number in SHIP_TYPES:
        return SHIP_TYPES[number]
    if number // 10 in SHIP_TYPE_TENS and 20 <= number <= 99:
        return SHIP_TYPE_TENS[number // 10]
    return f"AIS type {number}"


@dataclass
class Static:
    """What one MMSI's rows in a file said about the ship: every name heard, in order, and the
    latest IMO, call sign and type code."""

    names: dict = field(default_factory=dict)
    imo: str | None = None
    call_sign: str | None = None
    ship_type: str | None = None

    def heard(self, name: str, imo: str, call_sign: str, ship_type: str) -> None:
        name = clean_name(name)
        if name:
            self.names.pop(name, None)
            self.names[name] = None  # the latest name heard comes last
        imo = clean_imo(imo)
        if imo:
            self.imo = imo
        call_sign = call_sign.strip()
        if call_sign:
            self.call_sign = call_sign
        ship_type = ship_type.strip()
        if ship_type:
            self.ship_type = ship_type

    @property
    def name(self) -> str | None:
        return next(reversed(self.names)) if self.names else None


def clean_name(name: str) -> str:
    # AIS pads names with '@' and spaces.
    return " ".join(name.replace("@", " ").split())


def clean_imo(text: str) -> str | None:
    """A check-digit-valid IMO from an AIS field (`IMO9739666`, `9739666`, `0` = none)."""
    digits = identifiers.imo_digits(text or "")
    if not digits:
        return None
    digits = digits.lstrip("0")
    if identifiers.imo_problem(digits):
        return None
    return digits


class VesselMatcher:
    """Finds the vessel for an MMSI/IMO, remembering what it found within one import."""

    def __init__(self, conn: sqlite3.Connection):
        self.by_mmsi: dict[str, list[tuple[str, str | None]]] = {}
        self.by_imo: dict[str, str] = {}
        for rid, mmsi, imo in conn.execute(
            "SELECT id, mmsi, imo FROM vessels WHERE retracted_at IS NULL ORDER BY added_at"
        ):
            if mmsi:
                self.by_mmsi.setdefault(mmsi, []).append((rid, imo))
            if imo:
                self.by_imo.setdefault(imo, rid)
        self.by_track: dict[str, str] = {}
        for mmsi, vessel in conn.execute(
            "SELECT t.mmsi, t.vessel FROM ais_tracks t JOIN vessels v ON v.id = t.vessel "
            "WHERE t.retracted_at IS NULL AND v.retracted_at IS NULL ORDER BY t.added_at"
        ):
            self.by_track[mmsi] = vessel

    def find(self, mmsi: str, imo: str | None) -> tuple[str | None, str]:
        """(vessel id or None, how it was matched)."""
        candidates = self.by_mmsi.get(mmsi, [])
        if candidates:
            for rid, vessel_imo in candidates:
                if imo and vessel_imo == imo:
                    return rid, "MMSI and IMO"
            return candidates[0][0], "MMSI"
        if imo and imo in self.by_imo:
            return self.by_imo[imo], "IMO"
        if mmsi in self.by_track:
            return self.by_track[mmsi], "MMSI of an earlier track"
        return None, ""

    def remember(self, vessel_id: str, mmsi: str, imo: str | None) -> None:
        self.by_mmsi.setdefault(mmsi, []).append((vessel_id, imo))
        if imo:
            self.by_imo.setdefault(imo, vessel_id)


def link_tracks(
    case,
    import_row: dict,
    summaries: list[tuple[int, int, int, int]],
    statics: dict[int, Static],
) -> tuple[list[dict], list[dict]]:
    """Create a track (and, when needed, a vessel) per MMSI the import kept rows for.

    `summaries` is [(mmsi, rows, first epoch, last epoch)]. Returns (tracks, vessels created).
    """
    from ...timeutil import from_epoch
    from .. import vessels as vessel_lib

    conn = case.conn
    matcher = VesselMatcher(conn)
    origin = (
        f"ais-import {import_row['id']} ({import_row['filename']} sha256:{import_row['sha256']})"
    )
    tracks, created = [], []
    for mmsi, count, first, last in summaries:
        static = statics.get(mmsi) or Static()
        mmsi_text = f"{mmsi:09d}"
        imo = static.imo
        name = static.name
        call_sign = static.call_sign
        ship_type = ship_type_text(static.ship_type)
        vessel_id, how = matcher.find(mmsi_text, imo)
        if vessel_id is None:
            flag, _ = identifiers.mmsi_flag(mmsi_text)
            info = identifiers.mmsi_info(mmsi_text)
            vessel = records.create(
                case,
                "vessel",
                {
                    "name": name or f"MMSI {mmsi_text}",
                    "imo": imo,
                    "mmsi": mmsi_text,
                    "flag": flag,
                    "flag_source": f"MMSI MID {info.mid}" if flag else None,
                    "mmsi_flag": flag,
                    "call_sign": call_sign,
                    "vessel_type": ship_type,
                    "imo_check": "ok" if imo else None,
                    "mmsi_check": "ok"
                    if flag
                    else f"MID {info.mid} is not allocated to any country",
                    "note": f"created from the AIS static data of {import_row['filename']}",
                },
                added_from=origin,
            )
            vessel_id = vessel["id"]
            matcher.remember(vessel_id, mmsi_text, imo)
            created.append(vessel)
            how = "created"
            known = {name_key(vessel["name"])}
        else:
            known = {name_key(n) for n in _names_of(conn, vessel_id)}
        # Names the ship broadcast that the case does not know yet become dated AIS names.
        for heard in static.names:
            if name_key(heard) not in known:
                vessel_lib.add_name(
                    case,
                    vessel_id,
                    heard,
                    "ais",
                    valid_from=from_epoch(first)[:10],
                    note=f"broadcast on AIS (MMSI {mmsi_text}) in {import_row['filename']}",
                    added_from=origin,
                )
                known.add(name_key(heard))
        names_heard = list(static.names)
        track = records.create(
            case,
            "ais-track",
            {
                "import_id": import_row["id"],
                "mmsi": mmsi_text,
                "vessel": vessel_id,
                "imo": imo,
                "name": name,
                "call_sign": call_sign,
                "ship_type": ship_type,
                "rows": count,
                "first_time": from_epoch(first),
                "last_time": from_epoch(last),
                "note": (
                    f"linked by {how}"
                    + (f"; names heard: {', '.join(names_heard)}" if len(names_heard) > 1 else "")
                ),
            },
            added_from=origin,
        )
        tracks.append(track)
    return tracks, created


def _names_of(conn, vessel_id: str) -> list[str]:
    row = conn.execute("SELECT name FROM vessels WHERE id = ?", (vessel_id,)).fetchone()
    names = [row[0]] if row else []
    names += [
        r[0]
        for r in conn.execute(
            "SELECT name FROM vessel_names WHERE vessel = ? AND retracted_at IS NULL", (vessel_id,)
        )
    ]
    return names


def track_on_edit(case, row: dict, changes: dict) -> dict:
    """Kind hook: `osint edit TRACK --set vessel=V` links the track to another vessel."""
    if "vessel" in changes:
        return {"vessel": records.resolve_id(case.conn, changes["vessel"], ["vessel"])}
    return {}


def track_map(conn: sqlite3.Connection) -> dict[tuple[int, int], str]:
    """{(batch, mmsi): vessel id} for the tracks in force (not retracted, import not retracted)."""
    out = {}
    for batch, mmsi, vessel in conn.execute(
        "SELECT b.batch, t.mmsi, t.vessel FROM ais_tracks t "
        "JOIN ais_batches b ON b.import_id = t.import_id "
        "JOIN ais_imports i ON i.id = t.import_id "
        "JOIN vessels v ON v.id = t.vessel "
        "WHERE t.retracted_at IS NULL AND i.retracted_at IS NULL AND v.retracted_at IS NULL"
    ):
        out[(batch, int(mmsi))] = vessel
    return out


def import_details(conn: sqlite3.Connection, row: dict) -> dict:
    """`osint show AIS-IMPORT`: what was read, what was refused and why, the tracks it made."""
    import json

    out: dict[str, list[str]] = {
        "rows": [
            f"{row['rows_read']:,} read = {row['rows_kept']:,} kept + {row['rows_duplicate']:,} "
            f"duplicate + {row['rows_invalid']:,} invalid + {row['rows_not_vessel']:,} not vessels "
            f"+ {row['rows_filtered']:,} filtered out",
            f"positions {row['first_time'] or '-'} .. {row['last_time'] or '-'}; "
            f"digest of the kept rows {row['rows_digest']}",
        ]
    }
    if row.get("filters"):
        out["rows"].append(f"filters: {row['filters']}")
    try:
        sample = json.loads(row.get("invalid_sample") or "[]")
    except ValueError:
        sample = []
    if sample:
        out["invalid rows (first ones)"] = sample
    tracks = [
        f"{t['id'][:8]} MMSI {t['mmsi']} {t['name'] or ''} {t['rows']:,} positions -> vessel "
        f"{(t['vessel'] or '')[:8]}"
        for t in conn.execute(
            "SELECT * FROM ais_tracks WHERE import_id = ? ORDER BY mmsi", (row["id"],)
        ).fetchall()
    ]
    if tracks:
        out["tracks"] = tracks[:100] + (
            [f"... {len(tracks) - 100} more"] if len(tracks) > 100 else []
        )
    return out


def track_details(conn: sqlite3.Connection, row: dict) -> dict:
    vessel = conn.execute("SELECT id, name FROM vessels WHERE id = ?", (row["vessel"],)).fetchone()
    imported = conn.execute(
        "SELECT id, filename, sha256 FROM ais_imports WHERE id = ?", (row["import_id"],)
    ).fetchone()
    lines = []
    if vessel:
        lines.append(f"vessel {vessel['id']} {vessel['name']}")
    if imported:
        lines.append(
            f"from {imported['filename']} (import {imported['id']}, sha256 {imported['sha256']})"
        )
    return {"track": lines} if lines else {}
