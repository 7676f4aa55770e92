"""`osint verify`: prove the case is intact, or say exactly what is not.

1. SQLite's own integrity check of the file.
2. The audit log: every entry's hash, every parent link, a single head.
3. Replay: folding each record's audit entries must give the row in its table, so a row edited,
   added or deleted outside osint is caught even when the log itself is untouched.
4. Every stored file re-hashed, and every file a record names present.
Features add their own checks (osint.features): each takes the connection and yields Problems.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from typing import Any

from osint import features
from osint.case import kinds, signatures
from osint.case.store import audit, blobs
from osint.features import Problem


def check_integrity(conn: sqlite3.Connection) -> Iterator[Problem]:
    try:
        rows = [r[0] for r in conn.execute("PRAGMA quick_check")]
    except sqlite3.DatabaseError as exc:
        yield Problem("", "case", f"SQLite cannot check the file: {exc}")
        return
    if rows != ["ok"]:
        for message in rows[:20]:
            yield Problem("", "case", f"SQLite integrity check: {message}")


def check_audit_chain(conn: sqlite3.Connection) -> Iterator[Problem]:
    from osint.case import integrity

    for entry_id, message in audit.check_chain(conn):
        yield Problem(entry_id, "audit", message)
    yield from integrity.check_withheld(conn)
    yield from integrity.check_schema(conn)
    yield from integrity.check_ids(conn)


def _same(a, b) -> bool:
    if a == b:
        return True
    if a is None or b is None:
        return False
    return str(a) == str(b)


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_replay(conn: sqlite3.Connection, record_ids=None) -> Iterator[Problem]:
    """Fold each record's entries and compare with its row, one record at a time (flat memory).

    With `record_ids`, only those records (a merge checks the records it touched)."""
    current_id: str | None = None
    current_kind: str | None = None
    state: dict | None = None
    redacted = False

    def settle() -> Iterator[Problem]:
        if current_id is None:
            return
        spec = kinds.KINDS.get(current_kind or "")
        if spec is None:
            return
        if redacted:
            # A redacted copy withholds the record: only its absence can be checked.
            if conn.execute(f"SELECT 1 FROM [{spec.table}] WHERE id = ?", (current_id,)).fetchone():
                yield Problem(current_id, spec.name, "record marked redacted in the log is present")
            return
        if state is None:
            yield Problem(
                current_id, spec.name, "the audit log changes this record but never created it"
            )
            return
        row = conn.execute(f"SELECT * FROM [{spec.table}] WHERE id = ?", (current_id,)).fetchone()
        if row is None:
            yield Problem(
                current_id, spec.name, "record was deleted outside osint (it is in the audit log)"
            )
            return
        actual = dict(row)
        for column in sorted(set(actual) | set(state)):
            if not _same(actual.get(column), state.get(column)):
                yield Problem(
                    current_id,
                    spec.name,
                    f"field {column} is {_short(actual.get(column))} but the audit log says "
                    f"{_short(state.get(column))}: changed outside osint",
                )

    cursor: Iterable[Any]
    if record_ids is None:
        cursor = conn.execute(
            "SELECT record_id, kind, action, data, redacted FROM audit_log "
            "WHERE record_id IS NOT NULL ORDER BY record_id, seq"
        )
    else:
        cursor = _entries_of(conn, sorted(record_ids))
    for row in cursor:
        if row["record_id"] != current_id:
            yield from settle()
            current_id, current_kind, state = row["record_id"], row["kind"], None
            redacted = False
        if row["redacted"]:
            redacted = True
            continue
        try:
            data = json.loads(row["data"] or "{}")
        except ValueError:
            continue  # reported by the chain check (the entry no longer hashes)
        if not isinstance(data, dict):
            continue  # reported by the chain check (not an entry osint writes)
        fields, changes = data.get("fields"), data.get("changes")
        if row["action"] == "create" and isinstance(fields, dict):
            state = dict(fields)
        elif isinstance(changes, dict) and state is not None:
            for column, change in changes.items():
                state[column] = change.get("new") if isinstance(change, dict) else change
        elif changes is not None:
            state = None
    yield from settle()
    if record_ids is not None:
        return
    for spec in kinds.KINDS.values():
        for (record_id,) in conn.execute(
            f"SELECT id FROM [{spec.table}] WHERE id NOT IN "
            "(SELECT record_id FROM audit_log WHERE record_id IS NOT NULL)"
        ):
            yield Problem(
                record_id, spec.name, "record is not in the audit log (added outside osint)"
            )


def _entries_of(conn: sqlite3.Connection, record_ids: list[str]) -> Iterator:
    for start in range(0, len(record_ids), 500):
        part = record_ids[start : start + 500]
        yield from conn.execute(
            "SELECT record_id, kind, action, data, redacted FROM audit_log "
            f"WHERE record_id IN ({', '.join('?' * len(part))}) ORDER BY record_id, seq",
            part,
        )


def check_blobs(conn: sqlite3.Connection, rehash: bool = True) -> Iterator[Problem]:
    if rehash:
        for sha, message in blobs.check_all(conn):
            yield Problem(sha, "file", message)
    for table, columns in features.blob_columns().items():
        spec = kinds.by_table(table)
        for column in columns:
            for record_id, sha in conn.execute(
                f"SELECT id, [{column}] FROM [{table}] WHERE [{column}] IS NOT NULL "
                f"AND [{column}] NOT IN (SELECT sha256 FROM blobs)"
            ):
                yield Problem(record_id, spec.name, f"stored file {sha[:12]} ({column}) is missing")


CORE_CHECKS = (check_integrity, check_audit_chain, check_replay, check_blobs)


def verify(conn: sqlite3.Connection, **options) -> dict:
    """Run every check; returns {"ok": bool, "problems": [{"id", "kind", "problem"}], "checked": {...},
    "reports": {...}}. Options: require_signatures, allowed_signers (see osint.case.signatures)."""
    from osint.case.integrity import withheld_summary

    problems: list[Problem] = []
    reports: dict = {}
    with _reading(conn):
        for check in CORE_CHECKS:
            problems.extend(check(conn))
        for check in features.checks():
            problems.extend(check(conn))
        name, data, found = signatures.signature_report(conn, options)
        reports[name] = data
        problems.extend(found)
        checked = {
            "audit_entries": audit.count(conn),
            "stored_files": conn.execute("SELECT count(*) FROM blobs").fetchone()[0],
            "stored_bytes": conn.execute("SELECT coalesce(sum(size), 0) FROM blobs").fetchone()[0],
            "verified_quotes": conn.execute(
                "SELECT count(*) FROM quotes WHERE verified = 1"
            ).fetchone()[0],
            "head": audit.head(conn),
            "withheld": withheld_summary(conn),
        }
    return {
        "ok": not problems,
        "problems": [asdict(p) for p in problems],
        "checked": checked,
        "reports": reports,
    }


def verify_merged(conn: sqlite3.Connection, *, since_seq: int, record_ids) -> list[Problem]:
    """Inside a merge, before COMMIT: what the merge could have broken.

    The other case was verified completely before anything was copied (its entries are copied
    as they are), and stored files were re-hashed on the way in; so this checks the entries
    written since `since_seq` (the merge's own), parents and the single head of the whole graph,
    withheld entries, the schema, the records the merge touched (replay), that every file a
    record names is present, and every feature's checks.
    """
    from osint.case import integrity

    problems: list[Problem] = []
    for entry_id, message in audit.check_chain(conn, since_seq=since_seq):
        problems.append(Problem(entry_id, "audit", message))
    problems.extend(integrity.check_withheld(conn))
    problems.extend(integrity.check_schema(conn))
    problems.extend(check_replay(conn, record_ids))
    problems.extend(check_blobs(conn, rehash=False))
    for check in features.checks():
        problems.extend(check(conn))
    return problems


def _reading(conn):
    from osint.case.store.db import snapshot_read

    return snapshot_read(conn)
