"""Short ids for people: the shortest prefix of each id that names one record in the whole case."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from osint import ids
from osint.case import kinds

SHORT = 8  # never shorter than this: easy to read, and well above the 6 characters `resolve` needs


def _common(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def unique_prefixes(
    conn: sqlite3.Connection, record_ids: Iterable[str], minimum: int = SHORT
) -> dict[str, str]:
    """{id: its shortest prefix (at least `minimum` long) that no other record id starts with}.

    Values that are not record ids of this case are left out. Each id costs two indexed lookups
    per kind (its neighbours in id order), whatever the size of the case.
    """
    wanted = [r for r in dict.fromkeys(record_ids) if r and ids.looks_like_id_prefix(r)]
    tables = list(dict.fromkeys(spec.table for spec in kinds.KINDS.values()))
    out: dict[str, str] = {}
    for record_id in wanted:
        longest = 0
        for table in tables:
            try:
                before = conn.execute(
                    f"SELECT id FROM [{table}] WHERE id < ? ORDER BY id DESC LIMIT 1", (record_id,)
                ).fetchone()
                after = conn.execute(
                    f"SELECT id FROM [{table}] WHERE id > ? ORDER BY id LIMIT 1", (record_id,)
                ).fetchone()
            except sqlite3.OperationalError:
                continue
            for neighbour in (before, after):
                if neighbour:
                    longest = max(longest, _common(record_id, neighbour[0]))
        out[record_id] = record_id[: max(minimum, longest + 1)]
    return out
