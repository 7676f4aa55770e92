"""AIS tracks: the positions one import holds for one MMSI, linked to a vessel record.

A track is linked to the vessel holding its MMSI, else the vessel with its (valid) IMO, else the
vessel an earlier track of that MMSI was linked to; when none matches, a vessel is created from the
track's static data (name, IMO, call sign, type), with the import as its provenance. A wrong link
is corrected with `osint edit TRACK --set vessel=VESSEL`, which the audit log keeps.
"""

from __future__ import annotations

import sqlite3

from osint.case import records
from osint.maritime import identifiers
from osint.maritime.vessels import name_key

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
        from osint.maritime.ais.layouts import is_placeholder

        return None if is_placeholder(text) else text.lower()  # DMA writes words: Tanker, Cargo
    if number == 0:
        return None  # 0: not available
    if number in SHIP_TYPES:
        return SHIP_TYPES[number]
    if number // 10 in SHIP_TYPE_TENS and 20 <= number <= 99:
        return SHIP_TYPE_TENS[number // 10]
    return f"AIS type {number}"


class Static:
    """What one MMSI's reports in a file said about the ship: every name heard with the first and
    last time it was heard (in file order), and the latest IMO, call sign and type code.

    `raw` is the last static fields as read (the importer compares each row's with it and calls
    `heard` only when they change); `last` is the latest time the current name was heard.
    """

    __slots__ = ("raw", "names", "current", "last", "imo", "call_sign", "ship_type", "bad_imos")

    def __init__(self) -> None:
        self.raw: tuple | None = None
        self.names: dict[str, list[int]] = {}
        self.current: str | None = None
        self.last = -(2**62)
        self.imo: str | None = None
        self.call_sign: str | None = None
        self.ship_type: str | None = None
        self.bad_imos: set[str] = set()  # IMOs broadcast that fail their check digit (evidence)

    def heard(self, name: str, imo: str, call_sign: str, ship_type: str, epoch: int) -> None:
        self.close()
        name = clean_name(name)
        if name:
            span = self.names.get(name)
            if span is None:
                self.names[name] = [epoch, epoch]
            else:
                span[0] = min(span[0], epoch)
                span[1] = max(span[1], epoch)
            self.current = name
            self.last = epoch
        digits = clean_imo(imo)
        if digits:
            self.imo = digits
        elif imo and len(self.bad_imos) < 10:
            raw = identifiers.imo_digits(imo)
            if raw and raw.strip("0"):
                self.bad_imos.add(raw)
        call_sign = clean_text(call_sign)
        if call_sign:
            self.call_sign = call_sign
        ship_type = clean_text(ship_type)
        if ship_type:
            self.ship_type = ship_type

    def close(self) -> None:
        """Carry the latest time the current name was heard into its span."""
        if self.current is not None:
            span = self.names[self.current]
            if self.last > span[1]:
                span[1] = self.last

    @property
    def name(self) -> str | None:
        """The name heard last (by time)."""
        self.close()
        if not self.names:
            return None
        return max(self.names.items(), key=lambda item: (item[1][1], item[1][0]))[0]

    def spans(self) -> list[tuple[str, int, int]]:
        """[(name, first heard, last heard)] in the order the names were first heard."""
        self.close()
        return sorted(((n, f, last) for n, (f, last) in self.names.items()), key=lambda x: x[1])


def clean_text(text: str) -> str:
    """A static text field with padding and "not available" placeholders removed."""
    from osint.maritime.ais.layouts import is_placeholder

    value = " ".join((text or "").replace("@", " ").split())
    return "" if is_placeholder(value) else value


def clean_name(name: str) -> str:
    # AIS pads names with '@' and spaces; providers write `Unknown` where there is none.
    return clean_text(name)


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
    summaries: list[tuple],
    statics: dict[int, Static],
) -> tuple[list[dict], list[dict], list[str]]:
    """Create a track (and, when needed, a vessel) per MMSI the import kept rows for.

    `summaries` is [(mmsi, rows, first epoch, last epoch, ...)]. Every name the MMSI broadcast
    becomes (or widens) a dated AIS name of the vessel, with the import as provenance; a vessel
    that took its name from AIS follows its AIS name when that changes (the old one stays, dated).
    Static data fills a vessel's missing IMO, call sign and type. Returns (tracks, vessels
    created, warnings).
    """
    from osint.timeutil import from_epoch

    conn = case.conn
    matcher = VesselMatcher(conn)
    origin = (
        f"ais-import {import_row['id']} ({import_row['filename']} sha256:{import_row['sha256']})"
    )
    tracks: list[dict] = []
    created: list[dict] = []
    warnings: list[str] = []
    for mmsi, count, first, last, *_ in summaries:
        static = statics.get(mmsi) or Static()
        mmsi_text = f"{mmsi:09d}"
        imo = static.imo
        name = static.name
        call_sign = static.call_sign
        ship_type = ship_type_text(static.ship_type)
        vessel_id, how = matcher.find(mmsi_text, imo)
        notes = []
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
        else:
            notes += _fill_vessel(case, vessel_id, import_row, imo, call_sign, ship_type, warnings)
        _record_names(case, vessel_id, mmsi_text, static, import_row, origin)
        names_heard = [n for n, _, _ in static.spans()]
        if static.bad_imos:
            notes.append(
                "IMO broadcast that fails its check digit: " + ", ".join(sorted(static.bad_imos))
            )
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
                "note": "; ".join(
                    [f"linked by {how}"]
                    + ([f"names heard: {', '.join(names_heard)}"] if len(names_heard) > 1 else [])
                    + notes
                ),
            },
            added_from=origin,
        )
        tracks.append(track)
    return tracks, created, warnings


def _fill_vessel(case, vessel_id, import_row, imo, call_sign, ship_type, warnings) -> list[str]:
    """Static data fills what a known vessel lacks; an IMO that differs is reported, not applied."""
    from osint.case import kinds

    conn = case.conn
    vessel = dict(conn.execute("SELECT * FROM vessels WHERE id = ?", (vessel_id,)).fetchone())
    changes, notes = {}, []
    if imo and not vessel.get("imo"):
        holder = conn.execute(
            "SELECT id FROM vessels WHERE imo = ? AND retracted_at IS NULL AND id != ?",
            (imo, vessel_id),
        ).fetchone()
        if holder is None:
            changes.update({"imo": imo, "imo_check": "ok"})
        else:
            notes.append(f"AIS IMO {imo} belongs to vessel {holder[0][:8]}")
    elif imo and vessel.get("imo") and vessel["imo"] != imo:
        notes.append(f"AIS IMO {imo} differs from the vessel's IMO {vessel['imo']}")
        warnings.append(
            f"MMSI {vessel.get('mmsi') or ''} broadcast IMO {imo}, but vessel {vessel_id[:8]} "
            f"({vessel['name']}) has IMO {vessel['imo']}"
        )
    if call_sign and not vessel.get("call_sign"):
        changes["call_sign"] = call_sign
    if ship_type and not vessel.get("vessel_type"):
        changes["vessel_type"] = ship_type
    if changes:
        records.update_fields(
            case,
            kinds.get("vessel"),
            vessel,
            changes,
            "update",
            extra={"from": f"AIS static data, ais-import {import_row['id']}"},
        )
    return notes


def _record_names(case, vessel_id: str, mmsi_text: str, static: Static, import_row, origin) -> None:
    """Each name broadcast becomes a dated AIS name of the vessel (or widens the dates of the one
    already recorded); a vessel named from AIS takes its newest AIS name."""
    from osint.case import kinds
    from osint.maritime import vessels as vessel_lib
    from osint.timeutil import from_epoch, to_epoch

    conn = case.conn
    spans = static.spans()
    if not spans:
        return
    spec = kinds.get("vessel-name")
    recorded = {
        name_key(row["name"]): row
        for row in records.iter_records(
            conn, "vessel-name", where="vessel = ? AND name_type = 'ais'", params=[vessel_id]
        )
    }
    for heard, first, last in spans:
        row = recorded.get(name_key(heard))
        since, until = from_epoch(first), from_epoch(last)
        if row is None:
            row = vessel_lib.add_name(
                case,
                vessel_id,
                heard,
                "ais",
                valid_from=since,
                valid_to=until,
                note=f"broadcast on AIS by MMSI {mmsi_text} (first and last heard in "
                f"{import_row['filename']})",
                added_from=origin,
                index_vessel=False,
            )
            recorded[name_key(heard)] = row
            continue
        changes = {}
        if not row["valid_from"] or since < row["valid_from"]:
            changes["valid_from"] = since
        if not row["valid_to"] or until > row["valid_to"]:
            changes["valid_to"] = until
        if changes:
            row, _ = records.update_fields(
                case, spec, row, changes, "update", extra={"from": origin}
            )
            recorded[name_key(heard)] = row
    # A vessel named from AIS follows its AIS name: the newest one heard, in any import.
    vessel = dict(conn.execute("SELECT * FROM vessels WHERE id = ?", (vessel_id,)).fetchone())
    from_ais = (vessel.get("added_from") or "").startswith("ais-import")
    current = name_key(vessel["name"])
    if from_ais and (current in recorded or vessel["name"].startswith("MMSI ")):

        def heard_until(row: dict) -> int:
            return to_epoch(row["valid_to"] or row["valid_from"] or "1970-01-01")

        newest = max(recorded.values(), key=heard_until)
        if name_key(newest["name"]) != current:
            old = recorded.get(current)
            records.update_fields(
                case,
                kinds.get("vessel"),
                vessel,
                {"name": newest["name"]},
                "rename",
                extra={
                    "from": origin,
                    "reason": f"AIS name changed: {vessel['name']}"
                    + (f" last heard {old['valid_to']}" if old else "")
                    + f", {newest['name']} heard from {newest['valid_from']}",
                },
            )
    # The vessel is found by its AIS names too.
    fresh = conn.execute("SELECT * FROM vessels WHERE id = ?", (vessel_id,)).fetchone()
    records.index(conn, kinds.get("vessel"), dict(fresh))


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
            f"+ {row.get('rows_no_position') or 0:,} without position "
            f"+ {row['rows_filtered']:,} filtered out",
            f"positions {row['first_time'] or '-'} .. {row['last_time'] or '-'}; "
            f"digest of the kept rows {row['rows_digest']}",
        ]
    }
    if row.get("filters"):
        out["rows"].append(f"filters: {row['filters']}")
    try:
        details = json.loads(row.get("details") or "{}")
    except ValueError:
        details = {}
    labels = {
        "duplicate": "duplicate",
        "invalid": "invalid",
        "not_vessel": "not vessels",
        "no_position": "without position",
        "filtered": "filtered out",
    }
    for key, label in labels.items():
        counts = details.get(key) or {}
        if any(counts.values()):
            shown = ", ".join(f"{n:,} {k}" for k, n in counts.items() if n)
            out["rows"].append(f"{label}: {shown}")
    area = details.get("area")
    if area:
        out["rows"].append(
            f"area: latitude {area['south']}..{area['north']}, "
            f"longitude {area['west']}..{area['east']}"
        )
    if details.get("warnings"):
        out["warnings"] = list(details["warnings"])
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
