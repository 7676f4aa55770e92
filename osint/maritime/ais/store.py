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
import itertools
import math
import sqlite3
import sys
from array import array
from collections.abc import Iterator

ROW_COLUMNS = ("mmsi", "epoch", "lat", "lon", "sog", "cog", "heading", "status")
SELECT_ROWS = f"SELECT {', '.join(ROW_COLUMNS)} FROM ais_positions"

# The one NaN used for empty values (SQLite stores a bound NaN as NULL).
NAN = math.nan
_SWAP = sys.byteorder != "little"


def digest_update(digest, rows: list) -> None:
    """Feed rows (tuples of ROW_COLUMNS, NaN for empty values) into a digest."""
    if not rows:
        return
    packed = array("d", itertools.chain.from_iterable(rows))
    if _SWAP:
        packed.byteswap()
    digest.update(packed)


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


def check_positions(conn: sqlite3.Connection) -> Iterator:
    """verify check: every import's rows still hash to the digest its audited record holds."""
    from ...verify import Problem

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
    known = set()
    for record in conn.execute(
        "SELECT id, filename, rows_kept, rows_digest FROM ais_imports ORDER BY added_at"
    ).fetchall():
        place = batches.get(record["id"])
        if place is None:
            if record["rows_kept"]:
                yield Problem(
                    record["id"],
                    "ais-import",
                    f"the {record['rows_kept']:,} AIS positions of {record['filename']} are missing "
                    "(their batch was removed outside osint)",
                )
            continue
        batch, first, last = place
        known.add(batch)
        digest, count = batch_digest(conn, batch, first, last)
        stored = counts.get(batch, 0)
        if count != (record["rows_kept"] or 0) or stored != count:
            yield Problem(
                record["id"],
                "ais-import",
                f"{record['filename']}: the import kept {record['rows_kept']:,} AIS positions but "
                f"{stored:,} are stored: positions were added or removed outside osint",
            )
        elif digest != record["rows_digest"]:
            yield Problem(
                record["id"],
                "ais-import",
                f"{record['filename']}: the stored AIS positions no longer match the import's digest "
                f"({digest[:12]}, recorded {str(record['rows_digest'])[:12]}): positions were "
                "changed outside osint",
            )
    for batch, count in counts.items():
        if batch not in known:
            yield Problem(
                str(batch),
                "ais-import",
                f"{count:,} AIS positions belong to no import record (batch {batch}): added outside osint",
            )
