"""Read-side summaries: the case at a glance (`info`) and one record in full (`show`)."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from osint import features
from osint.case import kinds, records
from osint.case.store import audit, schema

if TYPE_CHECKING:
    from osint.case.handle import Case


def case_overview(case: Case) -> dict:
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
    from osint.case.integrity import withheld_summary

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
        "withheld": withheld_summary(conn),
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
    sections: dict = {}
    for hook in features.details(spec.name):
        sections.update(hook(conn, row))
    if sections:
        out["details"] = sections
    return out
