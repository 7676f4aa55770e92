"""What `merge` accepts from another case: exactly what osint itself could have written.

Each audit entry the other case brings is checked before any row changes:
- its kind is one osint knows and its record id is an id osint makes (a random UUID), so a
  record named `songrim ho` cannot shadow a vessel found by that name;
- a creation names its own id and only columns of its kind's table;
- a change never touches a field osint never changes after creation: provenance (`added_by`,
  `added_at`, ...) and the hashes of stored content (a snapshot's `sha256`, `text_sha256`, ...),
  so a merged "edit" cannot swap the archived copy of a page;
- an `edit` changes only fields `osint edit` lets a user edit (and those the kind's edit hook
  derives from them); a retraction only the retraction fields;
- a record it creates has an id no record of any kind has here, and no other kind there.
"""

from __future__ import annotations

import sqlite3

from osint import ids
from osint.case import kinds, records
from osint.case.store import audit
from osint.errors import InvalidInput

PROVENANCE = ("id", "added_by", "added_at", "added_via", "added_from", "osint_version")
# Columns holding the hash of content fixed when the record was made (never changed after).
CONTENT_HASHES = (
    "sha256",
    "text_sha256",
    "tls_chain_sha256",
    "archive_sha256",
    "stored_sha256",
    "reply_sha256",
    "chain_sha256",
    "thumbnail_sha256",
    "rows_digest",
    "rows_kept",
)
NEVER_CHANGED = frozenset(PROVENANCE + CONTENT_HASHES)
# Fields a kind's edit hook sets from an edited field (quote text re-verified, vessel ids checked).
EDIT_DERIVED = {
    "quote": ("verified", "start_char", "end_char"),
    "vessel": ("imo_check", "mmsi_check", "mmsi_flag", "flag", "flag_source"),
}


def _refuse(path, entry: audit.Entry, why: str) -> InvalidInput:
    what = f"{entry.kind or 'case'} {entry.record_id or ''}".strip()
    return InvalidInput(
        f"{path}: audit entry {entry.seq} ({entry.action} of {what}) {why}, which osint never "
        "writes: refused, nothing was merged"
    )


def check_entries(conn: sqlite3.Connection, other, missing: list[audit.Entry], path) -> None:
    """Raise InvalidInput naming the first entry osint could not have written."""
    columns_of: dict[str, set[str]] = {}
    created_kind: dict[str, str] = {}
    for entry in missing:
        if entry.record_id is None:
            continue
        spec = kinds.KINDS.get(entry.kind or "")
        if spec is None:
            raise _refuse(
                path, entry, f"is about a kind of record {entry.kind!r} osint does not know"
            )
        if not ids.is_record_id(entry.record_id):
            raise _refuse(path, entry, f"uses the id {entry.record_id!r}")
        if spec.table not in columns_of:
            columns_of[spec.table] = set(records._columns(conn, spec.table))
        columns = columns_of[spec.table]
        if entry.action == "create":
            known = created_kind.setdefault(entry.record_id, spec.name)
            if known != spec.name:
                raise _refuse(path, entry, f"creates a second record (a {known}) with the same id")
        if entry.redacted:
            continue  # withheld there: its record is absent there, nothing of it is copied
        fields, changes = entry.data.get("fields"), entry.data.get("changes")
        if entry.action == "create":
            if not isinstance(fields, dict) or fields.get("id") != entry.record_id:
                raise _refuse(path, entry, "creates a record under another id than its own")
            extra = sorted(set(fields) - columns)
            if extra:
                raise _refuse(path, entry, f"sets fields a {spec.name} does not have ({extra[0]})")
            continue
        if changes is None:
            continue
        if not isinstance(changes, dict):
            raise _refuse(path, entry, "holds changes in a form")
        names = set(changes)
        unknown = sorted(names - columns)
        if unknown:
            raise _refuse(
                path, entry, f"changes a field a {spec.name} does not have ({unknown[0]})"
            )
        fixed = sorted(names & NEVER_CHANGED)
        if fixed:
            raise _refuse(path, entry, f"changes the {spec.name} field {fixed[0]}")
        if entry.action == "edit":
            allowed = set(spec.editable) | set(EDIT_DERIVED.get(spec.name, ()))
            locked = sorted(names - allowed)
            if locked:
                raise _refuse(path, entry, f"edits the {spec.name} field {locked[0]}")
        elif entry.action == "retract":
            locked = sorted(names - set(records.RETRACTION_COLUMNS))
            if locked:
                raise _refuse(
                    path, entry, f"changes the {spec.name} field {locked[0]} in a retraction"
                )
    _check_collisions(conn, created_kind, path)


def _check_collisions(conn: sqlite3.Connection, created: dict[str, str], path) -> None:
    """A record the other case creates must not share its id with a record of ours of any kind."""
    if not created:
        return
    for spec in kinds.KINDS.values():
        ours = conn.execute(f"SELECT id FROM [{spec.table}]").fetchall()
        for (rid,) in ours:
            theirs = created.get(rid)
            if theirs is None:
                continue
            # We lack its creation entry, so ours was created differently (any kind).
            raise InvalidInput(
                f"{path}: its {theirs} {rid} has the id of our {spec.name} (created differently in both cases: an id collision): "
                "refused, nothing was merged"
            )
    # Ids only in our log (a record withheld here) count too.
    for rid, theirs in created.items():
        row = conn.execute(
            "SELECT kind FROM audit_log WHERE record_id = ? AND action = 'create' LIMIT 1", (rid,)
        ).fetchone()
        if row:
            raise InvalidInput(
                f"{path}: its {theirs} {rid} has the id of our {row[0]} (created differently in both cases: an id collision): "
                "refused, nothing was merged"
            )
