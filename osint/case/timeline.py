"""`osint timeline`: every dated record in time order."""

from __future__ import annotations

import heapq
import sqlite3
from collections.abc import Iterator

from osint.case import kinds
from osint.timeutil import bound


def timeline(
    conn: sqlite3.Connection, start: str | None = None, end: str | None = None
) -> Iterator[dict]:
    """{when, kind, id, summary} for each dated record, earliest first, streamed.

    Dates keep their precision (`2024-03`, `2024-03-05`, `2024-03-05T10:00:00Z`); ISO text sorts
    in time order, a date before the times of that day.
    """
    low = bound(start, "--from") if start else None
    high = bound(end, "--to", end=True) if end else None
    streams = []
    for spec in kinds.KINDS.values():
        if not spec.date_field:
            continue
        column = spec.date_field
        where = [f"[{column}] IS NOT NULL", "retracted_at IS NULL"]
        params: list = []
        if low:
            where.append(f"[{column}] >= ?")
            params.append(low[:10])
        if high:
            where.append(f"[{column}] <= ?")
            params.append(high)
        cursor = conn.execute(
            f"SELECT * FROM [{spec.table}] WHERE {' AND '.join(where)} ORDER BY [{column}], id",
            params,
        )
        streams.append(_items(cursor, spec, column))
    yield from heapq.merge(*streams, key=lambda item: (item["when"], item["kind"], item["id"]))


def _items(cursor, spec, column: str) -> Iterator[dict]:
    for row in cursor:
        yield {"when": row[column], "kind": spec.name, "id": row["id"], "summary": spec.label(row)}
