"""The stored AIS positions: one narrow typed table, written only by imports, checked by verify.

`ais_positions` holds integer epoch seconds, real lat/lon and small numbers, one row per distinct
report (MMSI, time, lat, lon): re-importing a file, or an overlapping one, adds nothing twice, and
two colleagues' rows can be merged by that key. Each row names its `batch`, the import that
inserted it (`ais_batches` maps batches to import records; batch numbers are local to the file).

The import record holds `rows_digest`: the SHA-256 of the rows it inserted, in insertion (id)
order, each row written as eight little-endian IEEE-754 doubles (mmsi, epoch, lat, lon, sog, cog,
heading, status; an empty value as the quiet NaN 0x7FF8000000000000). `verify` recomputes it, so a
position changed, added or removed outside osint is caught. (Every value is exact as a double:
MMSIs and epoch seconds are far below 2**53.)
"""

from __future__ import annotations

import hashlib
import json
import math
import sqlite3
import struct
from collections.abc import Iterator

from osint.case import records

ROW_COLUMNS = ("mmsi", "epoch", "lat", "lon", "sog", "cog", "heading", "status")
SELECT_ROWS = f"SELECT {', '.join(ROW_COLUMNS)} FROM ais_positions"

# The one NaN used for empty values (SQLite stores a bound NaN as NULL).
NAN = math.nan


_ROW = struct.Struct(f"<{len(ROW_COLUMNS)}d")


def digest_update(digest, rows: list) -> None:
    """Feed rows (tuples of ROW_COLUMNS, NaN for empty values) into a digest."""
    if not rows:
        return
    pack = _ROW.pack
    digest.update(b"".join([pack(*row) for row in rows]))


def digest_update_stored(digest, rows: list) -> None:
    """Rows as read back from SQLite, where empty values are None."""
    digest_update(digest, [tuple(NAN if v is None else v for v in row) for row in rows])


def new_batch(conn: sqlite3.Connection, import_id: str) -> tuple[int, int]:
    """(batch number, highest row id so far) for a new import."""
    batch = conn.execute("SELECT coalesce(max(batch), 0) + 1 FROM ais_batches").fetchone()[0]
    last = conn.execute("SELECT coalesce(max(id), 0) FROM ais_positions").fetchone()[0]
    conn.execute(
        "INSERT INTO ais_batches (batch, import_id, first_row, last_row) VALUES (?, ?, NULL, NULL)",
        (batch, import_id),
    )
    return batch, last


# The key index (as migration 0004 creates it): the same report is stored once.
KEY_INDEX = "ais_positions_key"
KEY_INDEX_SQL = f"CREATE UNIQUE INDEX {KEY_INDEX} ON ais_positions (mmsi, epoch, lat, lon)"


def defer_key_index(conn: sqlite3.Connection) -> bool:
    """Before a bulk import into an empty table: drop the key index, to build it once at the end
    (sorting the keys costs about half of keeping the index in order row by row). Within the
    import's transaction, so a failed import leaves the index as it was. Returns whether it did."""
    if conn.execute("SELECT 1 FROM ais_positions LIMIT 1").fetchone() is not None:
        return False
    if (
        conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (KEY_INDEX,)
        ).fetchone()
        is None
    ):
        return False
    conn.execute(f"DROP INDEX {KEY_INDEX}")
    return True


def build_key_index(conn: sqlite3.Connection, first_row: int) -> int:
    """Build the key index after a bulk import; returns how many repeated reports had to be
    removed first (the same report twice in the file, further apart than the importer's window).
    Of each report the row inserted first stays."""
    try:
        conn.execute(KEY_INDEX_SQL)
        return 0
    except sqlite3.IntegrityError:
        pass
    removed = conn.execute(
        "DELETE FROM ais_positions WHERE id >= ? AND id NOT IN (SELECT min(id) FROM "
        "ais_positions GROUP BY mmsi, epoch, lat, lon)",
        (first_row,),
    ).rowcount
    conn.execute(KEY_INDEX_SQL)
    return removed


def insert_sql(batch: int) -> str:
    return (
        "INSERT OR IGNORE INTO ais_positions "
        f"({', '.join(ROW_COLUMNS)}, batch) VALUES ({', '.join('?' * len(ROW_COLUMNS))}, {int(batch)})"
    )


def plain_cursor(conn: sqlite3.Connection) -> sqlite3.Cursor:
    """A cursor yielding plain tuples (the digest encodes them as JSON arrays)."""
    cursor = conn.cursor()
    cursor.row_factory = None
    return cursor


def rows_after(conn: sqlite3.Connection, last_id: int) -> list:
    return (
        plain_cursor(conn).execute(f"{SELECT_ROWS} WHERE id > ? ORDER BY id", (last_id,)).fetchall()
    )


def batch_digest(conn: sqlite3.Connection, batch: int, first: int | None, last: int | None):
    """(hex digest, row count) of a batch's rows, read back in id order."""
    digest = hashlib.sha256()
    count = 0
    if first is None or last is None:
        return digest.hexdigest(), 0
    cursor = plain_cursor(conn).execute(
        f"{SELECT_ROWS} WHERE id BETWEEN ? AND ? AND batch = ? ORDER BY id", (first, last, batch)
    )
    while rows := cursor.fetchmany(20_000):
        digest_update_stored(digest, rows)
        count += len(rows)
    return digest.hexdigest(), count


def active_batches(conn: sqlite3.Connection) -> dict[int, str]:
    """{batch: import id} of imports that are not retracted (their rows count in analyses)."""
    return {
        batch: import_id
        for batch, import_id in conn.execute(
            "SELECT b.batch, b.import_id FROM ais_batches b JOIN ais_imports i ON i.id = b.import_id "
            "WHERE i.retracted_at IS NULL"
        )
    }


def expected_rows(conn: sqlite3.Connection) -> dict[str, tuple[int, str]]:
    """{import id: (rows, digest)} that each import's batch must hold in this case.

    Normally what the audited import record says. When a merge brought an import's rows from a
    colleague's case, some of them may already have been here (the same report from another
    file): the merge's own audit entry then says which rows it added, and that is what counts.
    Likewise a copy made with records redacted says which rows it kept.
    """
    expected = {
        row["id"]: (row["rows_kept"] or 0, row["rows_digest"])
        for row in conn.execute("SELECT id, rows_kept, rows_digest FROM ais_imports")
    }
    from osint.case.store.audit import withheld_here

    for action, data in conn.execute(
        "SELECT action, data FROM audit_log WHERE action IN ('merge', 'redact') AND redacted = 0 "
        "ORDER BY seq"
    ):
        try:
            entry = json.loads(data or "{}")
            added = (entry.get("bulk") or {}).get("ais_batches") or {}
        except (ValueError, AttributeError):
            continue  # an unreadable entry is reported by the audit chain check
        if action == "redact" and not withheld_here(conn, entry):
            continue  # a copy's redaction merged back: its rows are whole here
        for import_id, item in added.items():
            if isinstance(item, dict):
                expected[import_id] = (item.get("rows") or 0, item.get("digest"))
    return expected


def import_digest(conn: sqlite3.Connection, import_id: str) -> str | None:
    """The digest of an import's rows as stored (None when the case holds no batch for it)."""
    row = conn.execute(
        "SELECT batch, first_row, last_row FROM ais_batches WHERE import_id = ?", (import_id,)
    ).fetchone()
    if row is None:
        return None
    return batch_digest(conn, row[0], row[1], row[2])[0]


def check_positions(conn: sqlite3.Connection) -> Iterator:
    """verify check: every import's rows still hash to the digest its audited record holds."""
    from osint.features import Problem

    try:
        batches = {
            row["import_id"]: (row["batch"], row["first_row"], row["last_row"])
            for row in conn.execute("SELECT * FROM ais_batches")
        }
    except sqlite3.OperationalError:
        return
    counts = dict(
        conn.execute("SELECT batch, count(*) FROM ais_positions GROUP BY batch").fetchall()
    )
    expected = expected_rows(conn)
    names = dict(conn.execute("SELECT id, filename FROM ais_imports").fetchall())
    known = set()
    for import_id, (rows, wanted) in expected.items():
        filename = names.get(import_id, import_id)
        place = batches.get(import_id)
        if place is None:
            if rows:
                yield Problem(
                    import_id,
                    "ais-import",
                    f"the {rows:,} AIS positions of {filename} are missing "
                    "(their batch was removed outside osint)",
                )
            continue
        batch, first, last = place
        known.add(batch)
        digest, count = batch_digest(conn, batch, first, last)
        stored = counts.get(batch, 0)
        if count != rows or stored != count:
            yield Problem(
                import_id,
                "ais-import",
                f"{filename}: the import kept {rows:,} AIS positions but {stored:,} are stored: "
                "positions were added or removed outside osint",
            )
        elif digest != wanted:
            yield Problem(
                import_id,
                "ais-import",
                f"{filename}: the stored AIS positions no longer match the import's digest "
                f"({digest[:12]}, recorded {str(wanted)[:12]}): positions were changed outside osint",
            )
    for batch, count in counts.items():
        if batch not in known:
            yield Problem(
                str(batch),
                "ais-import",
                f"{count:,} AIS positions belong to no import record (batch {batch}): added outside osint",
            )


def copy_rows(conn: sqlite3.Connection, batch: int, rows, digest) -> int:
    """Insert rows (tuples of ROW_COLUMNS, NaN for empty values) under `batch`, skipping reports
    already stored; feeds the rows actually inserted into `digest`. Returns how many."""
    sql = insert_sql(batch)
    last_id = conn.execute("SELECT coalesce(max(id), 0) FROM ais_positions").fetchone()[0]
    before = conn.total_changes
    conn.executemany(sql, rows)
    inserted = conn.total_changes - before
    if inserted == len(rows):
        digest_update(digest, rows)
    elif inserted:
        digest_update_stored(digest, rows_after(conn, last_id))
    return inserted


def merge_positions(case, other: sqlite3.Connection) -> dict:
    """merge hook: bring the AIS positions of the other case's imports that this case lacks.

    The other file is untrusted: each of its batches must hash to the digest its own audit log
    expects before a row of it is copied. Rows already here (the same report) are not copied
    twice; the merge entry records, per import, how many rows came in and their digest, which
    `verify` then checks.
    """
    from osint.errors import InvalidInput

    try:
        theirs = other.execute(
            "SELECT batch, import_id, first_row, last_row FROM ais_batches ORDER BY batch"
        ).fetchall()
    except sqlite3.OperationalError:
        return {}
    conn = case.conn
    ours = {row[0] for row in conn.execute("SELECT import_id FROM ais_batches")}
    wanted = expected_rows(other)
    added: dict[str, dict] = {}
    total = 0
    for their_batch, import_id, first, last in theirs:
        if import_id in ours:
            continue  # merged before, or the same import on both sides
        rows_expected, digest_expected = wanted.get(import_id, (0, None))
        batch, _ = new_batch(conn, import_id)
        first_row = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM ais_positions").fetchone()[0]
        check = hashlib.sha256()
        ours_digest = hashlib.sha256()
        seen = inserted = 0
        if first is not None and last is not None:
            cursor = plain_cursor(other).execute(
                f"{SELECT_ROWS} WHERE id BETWEEN ? AND ? AND batch = ? ORDER BY id",
                (first, last, their_batch),
            )
            while chunk := cursor.fetchmany(20_000):
                try:
                    rows = [tuple(NAN if v is None else v for v in row) for row in chunk]
                    digest_update(check, rows)
                except (TypeError, ValueError):
                    raise InvalidInput(
                        f"the other case's AIS positions of import {import_id[:8]} are not numbers: "
                        "refused, nothing was merged"
                    ) from None
                seen += len(rows)
                inserted += copy_rows(conn, batch, rows, ours_digest)
        if seen != rows_expected or (seen and check.hexdigest() != digest_expected):
            raise InvalidInput(
                f"the other case's AIS positions of import {import_id[:8]} do not match their "
                "audited digest (changed outside osint): refused, nothing was merged"
            )
        conn.execute(
            "UPDATE ais_batches SET first_row = ?, last_row = ? WHERE batch = ?",
            (
                first_row if inserted else None,
                first_row + inserted - 1 if inserted else None,
                batch,
            ),
        )
        added[import_id] = {"rows": inserted, "digest": ours_digest.hexdigest()}
        total += inserted
    return {"ais_positions": total, "ais_batches": added} if added else {}


def redact_positions(conn: sqlite3.Connection, withheld: dict[str, str]) -> dict:
    """sharing hook: a copy that withholds a vessel, a track or an import withholds its positions.

    Records whose stored JSON names a withheld record (saved visit and behaviour queries) are
    withheld too.
    Returns, per import that lost rows, the rows it keeps and their digest (for `verify`).
    """
    if not withheld:
        return {}
    # Visit queries keep vessel ids and names inside their JSON: withhold those that name one.
    extra = set()
    saved = conn.execute("SELECT id, result, evidence FROM visit_queries").fetchall()
    # behaviour queries (ais encounters ... --record) keep ids in their JSON too
    saved += conn.execute("SELECT id, result, evidence FROM event_queries").fetchall()
    for qid, result, evidence in saved:
        text = f"{result or ''} {evidence or ''}"
        if qid not in withheld and any(rid in text for rid in withheld):
            extra.add(qid)
    if extra:
        withheld.update(records.referring_to(conn, set(withheld) | extra))
    imports = {rid for rid, kind in withheld.items() if kind == "ais-import"}
    tracks = [rid for rid, kind in withheld.items() if kind == "ais-track"]
    batches = dict(conn.execute("SELECT import_id, batch FROM ais_batches").fetchall())
    dropped: dict[int, set[int]] = {}
    for tid in tracks:
        row = conn.execute("SELECT import_id, mmsi FROM ais_tracks WHERE id = ?", (tid,)).fetchone()
        if row and row[0] in batches and row[0] not in imports:
            dropped.setdefault(batches[row[0]], set()).add(int(row[1]))
    removed = 0
    for import_id in imports:
        batch = batches.get(import_id)
        if batch is not None:
            removed += conn.execute("DELETE FROM ais_positions WHERE batch = ?", (batch,)).rowcount
            conn.execute("DELETE FROM ais_batches WHERE batch = ?", (batch,))
    kept: dict[str, dict] = {}
    by_batch = {batch: import_id for import_id, batch in batches.items()}
    for batch, mmsis in dropped.items():
        marks = ", ".join("?" * len(mmsis))
        removed += conn.execute(
            f"DELETE FROM ais_positions WHERE batch = ? AND mmsi IN ({marks})", (batch, *mmsis)
        ).rowcount
        first, last = conn.execute(
            "SELECT first_row, last_row FROM ais_batches WHERE batch = ?", (batch,)
        ).fetchone()
        digest, count = batch_digest(conn, batch, first, last)
        kept[by_batch[batch]] = {"rows": count, "digest": digest}
    if not removed and not kept:
        return {}
    return {"ais_positions_removed": removed, "ais_batches": kept}
