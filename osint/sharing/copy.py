"""A copy of the case to send: compact, optionally with protected records left out.

`export_copy` writes a single-file copy with VACUUM INTO. With `redact`, the named records, and
every record that refers to them (a source's snapshots and quotes, links), are removed from the
copy together with the files only they used and their words in the search index; their audit
entries keep their hashes but lose their data, so the copy still verifies for what it holds.
The copy's log records the redaction: when, by whom, how many records, why, and the hash of
every withheld entry (verify accepts a withheld entry only under such a redact entry; the
withheld entries' salts go with their content, so no guess can be confirmed against a hash).
Records osint generated from a withheld record (a `visits --record` finding, an annotated
image) go with it; a kept original AIS file holding a withheld vessel's reports is refused,
named, rather than sent. Freed pages are vacuumed away, so nothing of the withheld records stays
in the file; not even the command line names them.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from osint import features
from osint.case import kinds, records
from osint.errors import InvalidInput, OsintError
from osint.fileio import atomic_path


def _kept_files_naming(conn: sqlite3.Connection, withheld: dict[str, str]) -> list[str]:
    """Kept AIS files (original bytes) that hold a withheld vessel's or track's reports."""
    try:
        rows = conn.execute(
            "SELECT t.id AS track, t.vessel, i.id AS import_id, i.filename FROM ais_tracks t "
            "JOIN ais_imports i ON i.id = t.import_id WHERE i.stored_sha256 IS NOT NULL"
        ).fetchall()
    except sqlite3.OperationalError:
        return []
    found = {}
    for row in rows:
        if row["import_id"] in withheld:
            continue
        if row["track"] in withheld or row["vessel"] in withheld:
            found[row["import_id"]] = row["filename"]
    return [f"ais-import {iid[:8]} ({name})" for iid, name in sorted(found.items())]


def export_copy(case, output, *, redact: Sequence[str] = (), reason: str | None = None) -> dict:
    """Write a copy of the case to `output`; returns a summary of what it holds and withheld."""
    from osint.case import verify as verifier
    from osint.case.handle import open_case

    output = Path(output)
    if output.exists():
        raise InvalidInput(f"-o {output}: already exists (a copy never overwrites a file)")
    if not output.parent.is_dir():
        raise InvalidInput(f"-o {output}: folder {output.parent} does not exist")
    roots = set()
    for ref in redact:
        spec, row = records.resolve(case.conn, ref)
        if spec.name == "case":
            raise InvalidInput("--redact: the case itself cannot be redacted")
        roots.add(row["id"])
    with atomic_path(output) as partial:
        case.conn.execute("VACUUM INTO ?", (str(partial),))
        summary = {"path": str(output), "redacted": 0, "redacted_kinds": {}, "files_removed": 0}
        if roots:
            # The copy's log must not name what it withholds: not even in the command line.
            command = "osint export case --redact ..."
            with open_case(partial, actor=case.actor, command=command) as copy:
                summary.update(_redact(copy, roots, reason))
            conn = sqlite3.connect(partial, isolation_level=None)
            try:
                conn.execute("VACUUM")
            finally:
                conn.close()
        with open_case(partial, readonly=True) as copy:
            result = verifier.verify(copy.conn)
            if not result["ok"]:
                first = result["problems"][0]
                raise OsintError(
                    f"the copy does not verify ({first['kind']} {first['id'][:12]}: {first['problem']}); "
                    "nothing was written"
                )
            summary["audit_head"] = result["checked"]["head"]
    summary["size"] = output.stat().st_size
    return summary


def _redact(copy, roots: set[str], reason: str | None) -> dict:

    conn = copy.conn
    withheld = records.referring_to(conn, roots)
    kept = _kept_files_naming(conn, withheld)
    if kept:
        raise InvalidInput(
            "--redact: the case keeps original AIS files that contain the withheld vessel's "
            f"reports: {', '.join(kept)}; redact those imports too (--redact ID), or make the "
            "copy from a case that does not keep them"
        )
    by_kind: dict[str, int] = {}
    with copy.writing():
        conn.execute("PRAGMA secure_delete=ON")
        bulk: dict = {}
        for table in features.bulk_tables():
            bulk.update(features.load(table.redact)(conn, withheld) or {})
        for rid, kind in withheld.items():
            spec = kinds.KINDS[kind]
            conn.execute(f"DELETE FROM [{spec.table}] WHERE id = ?", (rid,))
            by_kind[spec.plural] = by_kind.get(spec.plural, 0) + 1
        # Entries about withheld records, and case-wide entries (merges) whose data names one,
        # keep their hash but not their data.
        for seq, record_id, data in conn.execute(
            "SELECT seq, record_id, data FROM audit_log"
        ).fetchall():
            if record_id in withheld or (
                record_id is None and data and any(rid in data for rid in withheld)
            ):
                conn.execute(
                    "UPDATE audit_log SET data = NULL, command = NULL, salt = NULL, redacted = 1 "
                    "WHERE seq = ?",
                    (seq,),
                )
        # The redact entry names every withheld entry by hash (those of earlier redactions
        # too): verify accepts a withheld entry only under such a entry.
        withheld_entries = [
            h for (h,) in conn.execute("SELECT hash FROM audit_log WHERE redacted = 1 ORDER BY seq")
        ]
        files_removed = _drop_unreferenced_files(conn, features.blob_columns())
        _rebuild_search_index(conn)
        copy.log(
            "redact",
            data={
                "records": len(withheld),
                "by_kind": by_kind,
                "files_removed": files_removed,
                "reason": reason,
                "withheld": withheld_entries,
                **({"bulk": bulk} if bulk else {}),
            },
        )
    return {"redacted": len(withheld), "redacted_kinds": by_kind, "files_removed": files_removed}


def _drop_unreferenced_files(conn: sqlite3.Connection, blob_columns: dict) -> int:
    referenced: set[str] = set()
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for table, columns in blob_columns.items():
        if table not in tables:
            continue
        for column in columns:
            referenced.update(
                r[0]
                for r in conn.execute(
                    f"SELECT [{column}] FROM [{table}] WHERE [{column}] IS NOT NULL"
                )
            )
    removed = 0
    for (sha,) in conn.execute("SELECT sha256 FROM blobs").fetchall():
        if sha not in referenced:
            conn.execute("DELETE FROM blob_chunks WHERE sha256 = ?", (sha,))
            conn.execute("DELETE FROM blobs WHERE sha256 = ?", (sha,))
            removed += 1
    return removed


def _rebuild_search_index(conn: sqlite3.Connection) -> None:
    """A fresh index: an FTS table keeps deleted words in its segments until rebuilt."""
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'search_index'").fetchone()[0]
    conn.execute("DROP TABLE search_index")
    conn.execute(sql)
    conn.execute("DELETE FROM search_rows")
    for spec in kinds.KINDS.values():
        for row in records.iter_records(conn, spec):
            records.index(conn, spec, row)


def redaction_entries(conn: sqlite3.Connection) -> list[dict]:
    return [
        {"at": at, "by": actor, **json.loads(data or "{}")}
        for at, actor, data in conn.execute(
            "SELECT at, actor, data FROM audit_log WHERE action = 'redact' ORDER BY seq"
        )
    ]
