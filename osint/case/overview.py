"""Read-side summaries: the case at a glance (`info`) and one record in full (`show`)."""

from __future__ import annotations

import sqlite3

from osint.case import kinds, records
from osint.case.store import audit, schema

# Extra sections `show` prints for some kinds: kind -> "module:function", (conn, row) -> {title: [lines]}.
DETAILS: dict[str, str] = {
    "source": "osint.case.overview:source_details",
    "quote": "osint.case.overview:quote_details",
    "image": "osint.imagery.hooks:image_details",
    "vessel": "osint.maritime.vessels:vessel_details",
    "place": "osint.maritime.places:place_details",
    "sighting": "osint.maritime.sightings:sighting_details",
    "visit-query": "osint.maritime.visits:query_details",
    "ais-import": "osint.maritime.ais.tracks:import_details",
    "ais-track": "osint.maritime.ais.tracks:track_details",
    "finding": "osint.maritime.visits:finding_details",
    "list-import": "osint.screening.lists:import_details",
}


def case_overview(case) -> dict:
    conn = case.conn
    row = case.info()
    counts = {}
    retracted = 0
    for spec in kinds.KINDS.values():
        if not spec.listed:
            continue
        counts[spec.plural] = records.count(conn, spec)
        retracted += records.count(conn, spec, include_retracted=True) - counts[spec.plural]
    latest = audit.latest(conn)
    return {
        "id": row.get("id"),
        "title": row.get("title"),
        "summary": row.get("summary"),
        "path": str(case.path),
        "file_size": case.path.stat().st_size,
        "schema_version": schema.schema_version(conn),
        "counts": counts,
        "retracted": retracted,
        "stored_files": conn.execute("SELECT count(*) FROM blobs").fetchone()[0],
        "stored_bytes": conn.execute("SELECT coalesce(sum(size), 0) FROM blobs").fetchone()[0],
        "audit_entries": audit.count(conn),
        "audit_head": latest.hash if latest else None,
        "latest_audit_entry": _entry_summary(latest) if latest else None,
        "created_by": row.get("added_by"),
        "created_at": row.get("added_at"),
    }


def _entry_summary(entry: audit.Entry) -> dict:
    return {
        "hash": entry.hash,
        "at": entry.at,
        "actor": entry.actor,
        "action": entry.action,
        "kind": entry.kind,
        "record_id": entry.record_id,
        "command": entry.command,
    }


def describe(conn: sqlite3.Connection, ref: str) -> dict:
    """A record with its links, history and provenance, as `osint show` prints it."""
    spec, row = records.resolve(conn, ref)
    out = spec.to_json(row, conn)
    out["links"] = records.links_of(conn, row["id"], include_retracted=True)
    out["history"] = [
        {
            **_entry_summary(entry),
            "changes": entry.data.get("changes"),
            **({"reason": entry.data["reason"]} if "reason" in entry.data else {}),
        }
        for entry in records.history(conn, row["id"])
    ]
    hook = kinds.resolve_callable(DETAILS.get(spec.name))
    if hook:
        out["details"] = hook(conn, row)
    return out


def source_details(conn: sqlite3.Connection, source: dict) -> dict:
    from osint import sources

    lines = []
    for snap in sources.snapshots_of(conn, source["id"]):
        current = " (current)" if snap["id"] == source.get("snapshot") else ""
        lines.append(
            f"{snap['id'][:8]} {snap['retrieved_at']} {snap['media_type']} {snap['size']:,} bytes "
            f"sha256:{snap['sha256']}{current}"
        )
    quotes = [
        f"{q['id'][:8]} {'verified' if q['verified'] else 'UNVERIFIED'} {q['speaker'] or '?'}: {q['text'][:70]}"
        for q in records.iter_records(conn, "quote", where="source = ?", params=[source["id"]])
    ]
    out = {}
    if lines:
        out["snapshots"] = lines
    if quotes:
        out["quotes"] = quotes
    return out


def quote_details(conn: sqlite3.Connection, quote: dict) -> dict:
    source = records.get(conn, "source", quote["source"]) if quote.get("source") else None
    if not source:
        return {}
    state = (
        f"verified at characters {quote['start_char']}-{quote['end_char']} of snapshot {quote['snapshot'][:8]}"
        if quote.get("verified")
        else "UNVERIFIED: not checked against a text snapshot"
    )
    return {"source": [f"{source['id']} {source['title']} ({source['locator']})", state]}
