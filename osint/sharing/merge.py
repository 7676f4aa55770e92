"""`osint merge OTHER`: bring a colleague's case into this one.

The other file is untrusted. It is opened read-only with `trusted_schema` off, refused if it is
not a sound osint case of a schema we know, if it holds any schema object osint never creates
(a trigger or view, whatever the case of its type), or if it does not pass every check of
`osint verify`. Each entry it brings must be one osint itself could have written
(`osint.sharing.accept`). Then, in one transaction:

1. its audit entries that this case lacks are copied as they are (their hashes, authors, times);
2. records it created are copied; records both sides have take, field by field, the side that
   changed last *knowing* the other's change; a field both changed without seeing the other's
   change is a conflict: this case keeps its value, both values go into the record's history
   (a `conflict` entry) and the conflict is reported until `osint edit` settles it;
3. stored files it has and we lack are copied, re-hashed on the way in;
4. a `merge` entry with both heads as parents joins the two histories;
5. the merged case is verified (what the merge touched) before COMMIT; a problem rolls it back.

Merging the same case again changes nothing; A into B and B into A end with the same records.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from osint import features
from osint.case import kinds, records, signatures
from osint.case.store import audit, blobs, schema
from osint.case.store.db import APPLICATION_ID
from osint.errors import InvalidInput, NotACase, SchemaTooNew
from osint.sharing import accept


@dataclass
class MergeReport:
    other_case_id: str | None = None
    other_head: str | None = None
    entries: int = 0
    new_records: int = 0
    updated_records: int = 0
    files: int = 0
    signatures: int = 0
    bulk: dict = field(default_factory=dict)
    conflicts: list[dict] = field(default_factory=list)
    up_to_date: bool = False
    withheld_here: int = 0

    def as_dict(self) -> dict:
        return {
            "other_case_id": self.other_case_id,
            "other_head": self.other_head,
            "up_to_date": self.up_to_date,
            "entries": self.entries,
            "new_records": self.new_records,
            "updated_records": self.updated_records,
            "files": self.files,
            "signatures": self.signatures,
            "bulk": self.bulk,
            "conflicts": self.conflicts,
            "withheld_here": self.withheld_here,
        }


def open_untrusted(path) -> sqlite3.Connection:
    """Open another case read-only and check that it is safe and sound to read from."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    with open(path, "rb") as handle:
        header = handle.read(100)
    if not header.startswith(b"SQLite format 3\x00"):
        raise NotACase(f"{path}: not a SQLite file, so not an osint case")
    conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        conn.execute("PRAGMA trusted_schema=OFF")
        conn.execute("PRAGMA query_only=ON")
        check = [row[0] for row in conn.execute("PRAGMA quick_check")]
        if check != ["ok"]:
            raise NotACase(f"{path}: the file is damaged ({check[0]})")
        if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            raise NotACase(f"{path}: a SQLite database, but not an osint case")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > schema.SCHEMA_VERSION:
            raise SchemaTooNew(
                f"{path}: written by a newer osint (schema version {version}, this osint knows "
                f"{schema.SCHEMA_VERSION}): upgrade osint before merging it"
            )
        if version < schema.SCHEMA_VERSION:
            raise InvalidInput(
                f"{path}: an older case (schema version {version}): open it once with this osint "
                "(e.g. `osint --case OTHER info`) to upgrade it, then merge"
            )
        from osint.case.integrity import unknown_objects

        active = unknown_objects(conn)
        if active:
            names = ", ".join(f"{kind} {name}" for kind, name in active[:5])
            raise NotACase(f"{path}: holds {names}, which osint never creates: refused as unsafe")
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        expected = {spec.table for spec in kinds.KINDS.values()} | {
            "audit_log",
            "blobs",
            "blob_chunks",
        }
        missing = expected - tables
        if missing:
            raise NotACase(f"{path}: not a complete osint case (no table {sorted(missing)[0]})")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise NotACase(f"{path}: not a readable osint case ({exc})") from None
    except BaseException:
        conn.close()
        raise
    return conn


def _check_other_verifies(conn: sqlite3.Connection, path) -> None:
    """The other case must pass every check `osint verify` makes, feature checks included
    (SQLite's own check of the file was made when it was opened)."""
    from osint.case import verify

    checks = [c for c in verify.CORE_CHECKS if c is not verify.check_integrity]
    with verify._reading(conn):
        for check in (*checks, *features.checks()):
            for problem in check(conn):
                raise InvalidInput(
                    f"{path}: it does not verify ({problem.kind} {problem.id[:12]}: "
                    f"{problem.problem}); ask its owner to run osint verify"
                )


def _check_merged_verifies(conn: sqlite3.Connection, since_seq: int, record_ids) -> None:
    """The merged case, before COMMIT: a problem rolls the whole merge back."""
    from osint.case.verify import verify_merged

    problems = verify_merged(conn, since_seq=since_seq, record_ids=record_ids)
    if problems:
        problem = problems[0]
        raise InvalidInput(
            f"the merged case would not verify ({problem.kind} {problem.id[:12]}: "
            f"{problem.problem}): rolled back, nothing was merged"
        )


def _modifiers(entries: list[audit.Entry]) -> dict[str, str]:
    """field -> hash of the last entry (of these, in order) that set it."""
    last: dict[str, str] = {}
    for entry in entries:
        if entry.action == "create" and "fields" in entry.data:
            for name in entry.data["fields"]:
                last[name] = entry.hash
        for name in entry.data.get("changes", {}) or {}:
            last[name] = entry.hash
    return last


def merge(case, other_path) -> MergeReport:
    """Merge the case at `other_path` into `case` (one transaction). Returns what happened."""
    other = open_untrusted(other_path)
    try:
        _check_other_verifies(other, other_path)
        return _merge(case, other, Path(other_path))
    finally:
        other.close()


def _merge(case, other: sqlite3.Connection, other_path: Path) -> MergeReport:
    conn = case.conn
    report = MergeReport()
    their_head = audit.head(other)
    report.other_head = their_head
    first = other.execute(
        "SELECT record_id FROM audit_log WHERE action = 'create' AND kind = 'case' ORDER BY seq LIMIT 1"
    ).fetchone()
    report.other_case_id = first[0] if first else None
    their_hashes = {row[0] for row in other.execute("SELECT hash FROM audit_log")}
    with case.writing():
        our_hashes = {row[0] for row in conn.execute("SELECT hash FROM audit_log")}
        our_head = audit.head(conn)
        missing = [
            audit.Entry.from_row(row)
            for row in other.execute("SELECT * FROM audit_log ORDER BY seq")
            if row["hash"] not in our_hashes
        ]
        if not missing:
            report.up_to_date = True
            return report
        accept.check_entries(conn, other, missing, other_path)
        touched: dict[str, str] = {}
        created: set[str] = set()
        for entry in missing:
            if entry.record_id and entry.kind and entry.kind in kinds.KINDS:
                touched.setdefault(entry.record_id, entry.kind)
                if entry.action == "create":
                    created.add(entry.record_id)
        # Our own history of each record both sides have, before anything is copied in.
        ours_before = {rid: records.history(conn, rid) for rid in touched if rid not in created}
        for rid in created:
            spec = kinds.KINDS[touched[rid]]
            if records.get(conn, spec, rid) is not None:
                raise InvalidInput(
                    f"{other_path}: record {rid} was created differently in both cases "
                    "(an id collision): refused, nothing was merged"
                )
        signatures.check_merged_entries(conn, other, missing, other_path)
        for entry in missing:
            stored = {
                **entry.as_dict(),
                "data": entry.data,
                "redacted": entry.redacted,
                "content_sha256": entry.content_sha256,
            }
            audit.store(conn, entry.hash, stored)
        report.entries = len(missing)
        report.signatures = signatures.copy_signatures(conn, other, [e.hash for e in missing])
        # Entries copied as they are were checked with the other case's log: from here on the
        # merged log's own entries.
        copied_seq = conn.execute("SELECT coalesce(max(seq), 0) FROM audit_log").fetchone()[0]
        # Files first: records (a source's snapshot text) are indexed from them.
        report.files = _copy_blobs(conn, other, other_path)
        fast_forward = our_head is None or our_head in their_hashes
        merge_parents = [their_head] if fast_forward else [our_head, their_head]
        pending_resolutions: list[tuple] = []
        for rid, kind in touched.items():
            spec = kinds.KINDS[kind]
            theirs = other.execute(f"SELECT * FROM [{spec.table}] WHERE id = ?", (rid,)).fetchone()
            if theirs is None:
                continue  # withheld from a redacted copy
            theirs = dict(theirs)
            if rid in created:
                row = records.full_row(conn, spec.table, theirs)
                records.insert_row(conn, spec.table, row)
                records.index(conn, spec, row)
                report.new_records += 1
                continue
            ours = records.get(conn, spec, rid)
            if ours is None:
                report.withheld_here += 1  # withheld from this (redacted) copy: stays withheld
                continue
            our_last = _modifiers(ours_before[rid])
            their_history = [
                audit.Entry.from_row(r)
                for r in other.execute(
                    "SELECT * FROM audit_log WHERE record_id = ? ORDER BY seq", (rid,)
                )
            ]
            their_last = _modifiers(their_history)
            imported_last = _modifiers([e for e in missing if e.record_id == rid])
            final: dict = {}
            replayed: dict = {}
            conflicts = []
            for name in imported_last:
                if name not in ours:
                    continue
                replay_value = _value_set_by(missing, rid, name, imported_last[name])
                replayed[name] = replay_value
                mine, yours = ours.get(name), theirs.get(name)
                last_mine, last_yours = our_last.get(name), their_last.get(name)
                if last_mine is None or last_mine in their_hashes:
                    final[name] = yours
                elif last_yours in our_hashes or mine == yours:
                    final[name] = mine
                else:
                    final[name] = mine
                    conflicts.append(
                        {"id": rid, "kind": spec.name, "field": name, "ours": mine, "theirs": yours}
                    )
            changes = {n: v for n, v in final.items() if ours.get(n) != v}
            if changes:
                conn.execute(
                    f"UPDATE [{spec.table}] SET {', '.join(f'[{n}] = ?' for n in changes)} WHERE id = ?",
                    [*changes.values(), rid],
                )
                records.index(conn, spec, {**ours, **changes})
                report.updated_records += 1
            # Where replaying the log would not give the merged value, say so in the log.
            fixes = {n: v for n, v in final.items() if replayed.get(n) != v}
            if fixes or conflicts:
                pending_resolutions.append((spec, rid, fixes, replayed, conflicts))
            report.conflicts.extend(conflicts)
        for table in features.bulk_tables():
            report.bulk.update(features.load(table.merge)(case, other) or {})
        case.log(
            "merge",
            data={
                "other_case_id": report.other_case_id,
                "other_head": their_head,
                "other_file": other_path.name,
                "entries": report.entries,
                "new_records": report.new_records,
                "updated_records": report.updated_records,
                "files": report.files,
                "bulk": report.bulk,
                "conflicts": report.conflicts,
                **({"withheld_here": report.withheld_here} if report.withheld_here else {}),
            },
            parents=merge_parents,
        )
        for spec, rid, fixes, replayed, conflicts in pending_resolutions:
            conflicting = {c["field"] for c in conflicts}
            case.log(
                "conflict" if conflicts else "merge-resolve",
                kind=spec.name,
                record_id=rid,
                data={
                    "changes": {n: {"old": replayed.get(n), "new": v} for n, v in fixes.items()},
                    "conflicts": [
                        {"field": c["field"], "ours": c["ours"], "theirs": c["theirs"]}
                        for c in conflicts
                    ],
                    "other_case_id": report.other_case_id,
                    "settled_by": "osint edit" if conflicting else None,
                },
            )
        _check_merged_verifies(conn, copied_seq, touched)
    return report


def _value_set_by(entries: list[audit.Entry], rid: str, name: str, entry_hash: str):
    for entry in entries:
        if entry.hash != entry_hash:
            continue
        if entry.action == "create":
            return entry.data["fields"].get(name)
        return entry.data["changes"][name].get("new")
    return None


def _copy_blobs(conn: sqlite3.Connection, other: sqlite3.Connection, other_path: Path) -> int:
    """Copy the stored files we lack, re-hashing each on the way in (the other file is untrusted)."""
    copied = 0
    for row in other.execute("SELECT sha256, media_type FROM blobs ORDER BY sha256").fetchall():
        sha = row["sha256"]
        if blobs.exists(conn, sha):
            continue
        chunks = (
            bytes(r[0])
            for r in other.execute(
                "SELECT data FROM blob_chunks WHERE sha256 = ? ORDER BY seq", (sha,)
            )
        )
        try:
            blobs.write_chunks(conn, chunks, sha, row["media_type"])
        except InvalidInput:
            raise InvalidInput(
                f"{other_path}: its stored file {sha[:12]} is damaged (bytes do not match the hash): "
                "refused, nothing was merged"
            ) from None
        copied += 1
    return copied


def open_conflicts(conn: sqlite3.Connection) -> list[dict]:
    """Conflicts from merges that no later change of the same field has settled."""
    latest: dict[tuple[str | None, str], dict] = {}
    for row in conn.execute(
        "SELECT * FROM audit_log WHERE action = 'conflict' ORDER BY seq"
    ).fetchall():
        entry = audit.Entry.from_row(row)
        for conflict in entry.data.get("conflicts", []):
            latest[(entry.record_id, conflict["field"])] = {
                "id": entry.record_id,
                "kind": entry.kind,
                "field": conflict["field"],
                "ours": conflict["ours"],
                "theirs": conflict["theirs"],
                "merged_at": entry.at,
                "merged_by": entry.actor,
                "seq": entry.seq,
            }
    out = []
    for (record_id, name), conflict in latest.items():
        later = conn.execute(
            "SELECT data FROM audit_log WHERE record_id = ? AND seq > ? AND action != 'conflict'",
            (record_id, conflict.pop("seq")),
        ).fetchall()
        if any(name in (json.loads(data or "{}").get("changes") or {}) for (data,) in later):
            continue
        out.append(conflict)
    return out
