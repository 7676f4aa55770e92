"""Vessels and their names over time.

A vessel record holds its current identity (name, IMO, MMSI, flag, call sign, type, capacity).
Every other name it has gone by is a `vessel-name` record of its own (an alias, a former name with
the dates it was used, a name broadcast on AIS), with provenance and a source: adding, correcting
or retracting one is an ordinary audited record change, and two colleagues' names for the same
vessel merge without conflict. A vessel is found by id prefix, exact name (case-insensitive), any
of its names, its IMO or its MMSI.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections.abc import Sequence

from osint.case import kinds, records
from osint.errors import InvalidInput
from osint.maritime import identifiers

NAME_TYPES = {
    "alias": "another name the vessel is known by",
    "former": "a name the vessel used before (with the dates it was used, when known)",
    "ais": "a name broadcast in the vessel's AIS static data",
}


def name_key(name: str | None) -> str:
    """Names compared as people mean them: case, accents' composition and spacing ignored."""
    text = unicodedata.normalize("NFKC", name or "")
    return " ".join(text.casefold().split())


# ---- field parsers (also used by `osint edit`) -----------------------------------------------


def parse_imo_field(value: str, name: str = "imo") -> str | None:
    digits, _ = identifiers.parse_imo(value, name)
    return digits


def parse_mmsi_field(value: str, name: str = "mmsi") -> str | None:
    mmsi, _, _ = identifiers.parse_mmsi(value, name)
    return mmsi


def parse_flag_field(value: str, name: str = "flag") -> str | None:
    return identifiers.parse_flag(value, name)


def parse_capacity(value, name: str = "--capacity-bbl") -> int | None:
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip().replace(",", "").replace("_", "")
    try:
        number = float(text)
    except ValueError:
        raise InvalidInput(f"{name}: {value!r} is not a number of barrels") from None
    if not number > 0 or number != number or number > 5_000_000:
        raise InvalidInput(
            f"{name}: {value!r} is not a plausible cargo capacity (barrels, above 0, at most 5,000,000)"
        )
    return round(number)


def parse_name_type(value: str, name: str = "type") -> str:
    key = (value or "").strip().lower()
    if key not in NAME_TYPES:
        raise InvalidInput(f"{name}: {value!r} is not one of: {', '.join(NAME_TYPES)}")
    return key


# ---- identity fields derived from IMO and MMSI ----------------------------------------------


def identity_fields(
    *,
    imo: str | None,
    mmsi: str | None,
    flag: str | None,
    force: bool = False,
    imo_name: str = "--imo",
    mmsi_name: str = "--mmsi",
) -> tuple[dict, list[str]]:
    """Checked identifier columns and warnings (a flag that differs from the MMSI's MID)."""
    imo_digits, imo_problem = identifiers.parse_imo(imo, imo_name, force=force)
    mmsi_text, info, mmsi_problem = identifiers.parse_mmsi(mmsi, mmsi_name, force=force)
    mid_flag = info.flag if info and info.mid is not None else None
    given_flag = identifiers.parse_flag(flag)
    warnings = []
    if given_flag and mid_flag and given_flag != mid_flag:
        warnings.append(
            f"flag {given_flag} differs from {mid_flag} ({info.country}), the country of MMSI "
            f"{mmsi_text}'s MID {info.mid}"
        )
    fields = {
        "imo": imo_digits,
        "mmsi": mmsi_text,
        "flag": given_flag or mid_flag,
        "flag_source": "given" if given_flag else (f"MMSI MID {info.mid}" if mid_flag else None),
        "mmsi_flag": mid_flag,
        "imo_check": None if imo_digits is None else (imo_problem or "ok"),
        "mmsi_check": None if mmsi_text is None else (mmsi_problem or "ok"),
    }
    return fields, warnings


def unverified(row: dict) -> list[str]:
    """The identifiers of a vessel recorded with --force, each with its problem."""
    out = []
    if row.get("imo_check") not in (None, "ok"):
        out.append(f"IMO {row['imo']}: {row['imo_check']}")
    if row.get("mmsi_check") not in (None, "ok"):
        out.append(f"MMSI {row['mmsi']}: {row['mmsi_check']}")
    return out


# ---- adding and finding ----------------------------------------------------------------------


def add_vessel(
    case,
    name: str,
    *,
    imo: str | None = None,
    mmsi: str | None = None,
    flag: str | None = None,
    call_sign: str | None = None,
    vessel_type: str | None = None,
    capacity_bbl=None,
    aliases: Sequence[str] = (),
    former: Sequence[tuple[str, str | None, str | None]] = (),
    note: str | None = None,
    source: str | None = None,
    force: bool = False,
    added_from: str | None = None,
) -> tuple[dict, list[str]]:
    """Record a vessel (and its aliases / former names); returns (row, warnings).

    `former` is [(name, valid_from, valid_to)]. An IMO or MMSI already held by another vessel is
    refused (the same ship twice would split its evidence), unless forced.
    """
    name = kinds.text(name or "", "vessel name")
    identity, warnings = identity_fields(imo=imo, mmsi=mmsi, flag=flag, force=force)
    fields = {
        "name": name,
        **identity,
        "call_sign": kinds.optional_text(call_sign),
        "vessel_type": kinds.optional_text(vessel_type),
        "capacity_bbl": parse_capacity(capacity_bbl),
        "note": kinds.optional_text(note),
    }
    source_id = records.resolve_id(case.conn, source, ["source"]) if source else None
    for column, label in (("imo", "IMO"), ("mmsi", "MMSI")):
        value = fields[column]
        if value is None:
            continue
        other = case.conn.execute(
            f"SELECT id, name FROM vessels WHERE {column} = ? AND retracted_at IS NULL", (value,)
        ).fetchone()
        if other and not force:
            raise InvalidInput(
                f"{label} {value} already belongs to vessel {other['id'][:8]} ({other['name']}); "
                "add the new name as an alias or former name of that vessel instead "
                f"(osint vessel name add {other['id'][:8]} NAME), or use --force"
            )
        if other:
            warnings.append(
                f"{label} {value} is also held by vessel {other['id'][:8]} ({other['name']})"
            )
    for problem in unverified(fields):
        warnings.append(f"recorded UNVERIFIED: {problem}")
    if added_from is None and source_id:
        added_from = f"source {source_id}"
    with case.writing():
        row = records.create(case, "vessel", fields, added_from=added_from)
        for alias in aliases:
            add_name(case, row["id"], alias, "alias", source=source_id, index_vessel=False)
        for old, since, until in former:
            add_name(
                case,
                row["id"],
                old,
                "former",
                valid_from=since,
                valid_to=until,
                source=source_id,
                index_vessel=False,
            )
        if aliases or former:
            records.index(case.conn, kinds.get("vessel"), row)
    return row, warnings


def add_name(
    case,
    vessel_ref: str,
    name: str,
    name_type: str = "alias",
    *,
    valid_from: str | None = None,
    valid_to: str | None = None,
    source: str | None = None,
    note: str | None = None,
    added_from: str | None = None,
    index_vessel: bool = True,
) -> dict:
    """Record another name of a vessel (alias, former name, AIS name), with dates and source."""
    spec, vessel = records.resolve(case.conn, vessel_ref, ["vessel"])
    name = kinds.text(name or "", "name")
    name_type = parse_name_type(name_type)
    valid_from = kinds.when(valid_from, "--from")
    valid_to = kinds.when(valid_to, "--to")
    if valid_from and valid_to and valid_to < valid_from:
        raise InvalidInput(f"--to {valid_to} is before --from {valid_from}")
    source_id = records.resolve_id(case.conn, source, ["source"]) if source else None
    for existing in names_of(case.conn, vessel["id"]):
        if (
            name_key(existing["name"]) == name_key(name)
            and existing["name_type"] == name_type
            and existing["valid_from"] == valid_from
            and existing["valid_to"] == valid_to
        ):
            return existing
    with case.writing():
        row = records.create(
            case,
            "vessel-name",
            {
                "vessel": vessel["id"],
                "name": name,
                "name_type": name_type,
                "valid_from": valid_from,
                "valid_to": valid_to,
                "source": source_id,
                "note": kinds.optional_text(note),
            },
            added_from=added_from or f"vessel {vessel['id']}",
        )
        if index_vessel:
            records.index(case.conn, spec, vessel)
    return row


def rename(
    case,
    vessel_ref: str,
    new_name: str,
    *,
    on: str | None = None,
    since: str | None = None,
    source: str | None = None,
    note: str | None = None,
) -> tuple[dict, dict]:
    """The vessel now sails as `new_name`: its current name becomes a former name ending `on`."""
    spec, vessel = records.resolve(case.conn, vessel_ref, ["vessel"])
    new_name = kinds.text(new_name or "", "new name")
    if name_key(new_name) == name_key(vessel["name"]):
        raise InvalidInput(f"vessel {vessel['id'][:8]} is already named {vessel['name']!r}")
    on = kinds.when(on, "--on")
    with case.writing():
        former = add_name(
            case,
            vessel["id"],
            vessel["name"],
            "former",
            valid_from=since,
            valid_to=on,
            source=source,
            note=note or f"renamed {new_name}",
            index_vessel=False,
        )
        new_row, _ = records.update_fields(
            case, spec, vessel, {"name": new_name}, "rename", extra={"former_name": former["id"]}
        )
    return new_row, former


def names_of(conn: sqlite3.Connection, vessel_id: str, include_retracted=False) -> list[dict]:
    return list(
        records.iter_records(
            conn,
            "vessel-name",
            include_retracted=include_retracted,
            where="vessel = ?",
            params=[vessel_id],
            order_by="coalesce(valid_from, ''), added_at",
        )
    )


def all_names(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """{vessel id: [aliases and former names]} in one query (for lists and exports)."""
    out: dict[str, list[str]] = {}
    for vessel, name in conn.execute(
        "SELECT vessel, name FROM vessel_names WHERE retracted_at IS NULL "
        "ORDER BY coalesce(valid_from, ''), added_at"
    ):
        bucket = out.setdefault(vessel, [])
        if name not in bucket:
            bucket.append(name)
    return out


def resolve_vessel(conn: sqlite3.Connection, ref: str) -> list[str]:
    """Kind hook: vessels whose name, alias, former name, IMO or MMSI is `ref`."""
    found: list[str] = []
    digits = identifiers.imo_digits(ref)
    if digits and len(digits) == 7:
        found += [
            r[0]
            for r in conn.execute(
                "SELECT id FROM vessels WHERE imo = ? AND retracted_at IS NULL", (digits,)
            )
        ]
    compact = re.sub(r"\s", "", ref)
    if compact.isdigit() and len(compact) == 9:
        found += [
            r[0]
            for r in conn.execute(
                "SELECT id FROM vessels WHERE mmsi = ? AND retracted_at IS NULL", (compact,)
            )
        ]
    key = name_key(ref)
    if key:
        # Names are few (thousands at most): compare them as people mean them, in Python.
        for rid, name in conn.execute("SELECT id, name FROM vessels WHERE retracted_at IS NULL"):
            if name_key(name) == key:
                found.append(rid)
        if not found:
            for vessel, name in conn.execute(
                "SELECT n.vessel, n.name FROM vessel_names n JOIN vessels v ON v.id = n.vessel "
                "WHERE n.retracted_at IS NULL AND v.retracted_at IS NULL"
            ):
                if name_key(name) == key:
                    found.append(vessel)
    return list(dict.fromkeys(found))


def find_vessel(conn, ref: str) -> dict:
    return records.resolve(conn, ref, ["vessel"])[1]


# ---- kind hooks ------------------------------------------------------------------------------


def vessel_json_extra(conn: sqlite3.Connection, row: dict) -> dict:
    """Kind hook: a vessel's aliases and former names, computed from its vessel-name records."""
    names = []
    for name in (n["name"] for n in names_of(conn, row["id"])):
        if name not in names and name_key(name) != name_key(row.get("name")):
            names.append(name)
    return {"aliases": names}


def vessel_search_text(conn: sqlite3.Connection, row: dict) -> str | None:
    """Kind hook: a vessel is found in search by every name it has gone by."""
    names = [n["name"] for n in names_of(conn, row["id"])]
    return " ".join(names) or None


def vessel_on_edit(case, row: dict, changes: dict) -> dict:
    """Kind hook: a corrected IMO/MMSI/flag updates the derived columns; a new name keeps the old one.

    The parsers have already refused invalid identifiers, so an edited one is a checked one.
    """
    extra: dict = {}
    if "imo" in changes:
        extra["imo_check"] = "ok" if changes["imo"] else None
    if "mmsi" in changes:
        flag, _ = identifiers.mmsi_flag(changes["mmsi"])
        extra["mmsi_check"] = "ok" if changes["mmsi"] else None
        extra["mmsi_flag"] = flag
        if "flag" not in changes and row.get("flag_source") != "given":
            info = identifiers.mmsi_info(changes["mmsi"]) if changes["mmsi"] else None
            extra["flag"] = flag
            extra["flag_source"] = f"MMSI MID {info.mid}" if flag and info else None
    if "flag" in changes:
        if changes["flag"]:
            extra["flag_source"] = "given"
        else:
            mid_flag = extra.get("mmsi_flag", row.get("mmsi_flag"))
            extra["flag"] = mid_flag
            extra["flag_source"] = "MMSI MID" if mid_flag else None
    if "name" in changes and name_key(changes["name"]) != name_key(row.get("name")):
        add_name(
            case,
            row["id"],
            row["name"],
            "former",
            note=f"name before it was edited to {changes['name']!r}",
            index_vessel=False,
        )
    return extra


def vessel_details(conn: sqlite3.Connection, row: dict) -> dict:
    """`osint show VESSEL`: its names over time, identifier checks, sightings and AIS tracks."""
    out: dict[str, list[str]] = {}
    names = [
        f"{n['id'][:8]} {n['name_type']:<7} {n['name']}"
        + (
            f"  {n['valid_from'] or '?'}..{n['valid_to'] or ''}"
            if n["valid_from"] or n["valid_to"]
            else ""
        )
        + (f"  source {n['source'][:8]}" if n["source"] else "")
        for n in names_of(conn, row["id"])
    ]
    if names:
        out["names"] = names
    checks = unverified(row)
    if row.get("mmsi_flag") and row.get("flag") and row["mmsi_flag"] != row["flag"]:
        checks.append(f"flag {row['flag']} differs from the MMSI's MID country {row['mmsi_flag']}")
    if checks:
        out["identifier warnings"] = checks
    sightings = [
        f"{s['id'][:8]} {s['seen_at']} {s['activity'] or 'seen'}"
        for s in records.iter_records(
            conn, "sighting", where="vessel = ?", params=[row["id"]], order_by="seen_at"
        )
    ]
    if sightings:
        out["sightings"] = sightings[:50] + (
            [f"... {len(sightings) - 50} more"] if len(sightings) > 50 else []
        )
    tracks = [
        f"{t['id'][:8]} MMSI {t['mmsi']} {t['rows']:,} positions {t['first_time']}..{t['last_time']}"
        for t in records.iter_records(
            conn, "ais-track", where="vessel = ?", params=[row["id"]], order_by="first_time"
        )
    ]
    if tracks:
        out["AIS tracks"] = tracks
    return out
