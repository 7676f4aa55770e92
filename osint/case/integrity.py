"""Checks that a case file holds only what osint itself writes.

- `check_schema`: every object in `sqlite_master` (tables, indexes, triggers, views) must be one
  osint's migrations create. A trigger or view slipped in with `writable_schema` (its type spelt
  'Trigger' or 'VIEW' to dodge a lowercase comparison) runs on every later write, so any object
  osint does not know is reported, whatever the case of its type.
- `check_withheld`: withheld (redacted) audit entries are valid only when named by a later
  `redact` entry of the same log (`audit.check_redactions`).
- `withheld_summary`: how many records and entries a copy withholds, and who withheld them, for
  `verify` and `info`.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Iterator

from osint.case.store import audit
from osint.features import Problem

# Objects SQLite makes itself (auto-indexes, ANALYZE statistics, AUTOINCREMENT counters).
_SQLITE_INTERNAL = ("sqlite_autoindex_", "sqlite_stat", "sqlite_sequence")


def _cache_file():
    """Where the expected objects are kept between runs, keyed by the migrations' source."""
    import hashlib
    from pathlib import Path

    from osint import userdirs
    from osint.case.store import schema

    key = hashlib.sha256(Path(schema.__file__).read_bytes())
    key.update(sqlite3.sqlite_version.encode())
    return userdirs.cache_dir() / f"schema-objects-{key.hexdigest()[:20]}.json"


@functools.lru_cache(maxsize=1)
def expected_objects() -> frozenset[tuple[str, str, str]]:
    """(type, name, table) of every schema object osint's migrations create.

    Made by applying the migrations to a scratch database; kept in the user's cache folder
    (keyed by the migrations' source and the SQLite version), since building it costs more than
    verifying a small case.
    """
    import json
    import os

    path = _cache_file()
    try:
        cached = json.loads(path.read_text())
        return frozenset(tuple(item) for item in cached)
    except (OSError, ValueError, TypeError):
        pass
    objects = _build_expected()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        partial.write_text(json.dumps(sorted(objects)))
        os.replace(partial, path)
    except OSError:
        pass  # a read-only home: build it each time
    return objects


def _build_expected() -> frozenset[tuple[str, str, str]]:
    from osint.case.store import schema
    from osint.case.store.db import APPLICATION_ID

    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
        schema.migrate(conn, ":memory:")
        return frozenset(
            (r[0].lower(), r[1], r[2])
            for r in conn.execute("SELECT type, name, tbl_name FROM sqlite_master")
        )
    finally:
        conn.close()


def unknown_objects(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(type, name) of the schema objects in `conn` that osint never creates."""
    known = expected_objects()
    out = []
    for kind, name, table in conn.execute("SELECT type, name, tbl_name FROM sqlite_master"):
        kind_l = str(kind or "").lower()
        if (kind_l, name, table) in known:
            continue
        if kind_l in ("table", "index") and str(name or "").startswith(_SQLITE_INTERNAL):
            continue
        out.append((str(kind), str(name)))
    return out


def check_schema(conn: sqlite3.Connection) -> Iterator[Problem]:
    for kind, name in unknown_objects(conn):
        yield Problem(
            name,
            "case",
            f"the file holds {kind} {name!r}, which osint never creates (added outside osint)",
        )


def check_ids(conn: sqlite3.Connection) -> Iterator[Problem]:
    """Every record id is one osint makes: a row named `songrim ho` would capture lookups by name."""
    from osint import ids
    from osint.case import kinds

    for spec in kinds.KINDS.values():
        for (rid,) in conn.execute(f"SELECT id FROM [{spec.table}]"):
            if not ids.is_record_id(rid):
                yield Problem(
                    str(rid),
                    spec.name,
                    f"record id {rid!r} is not one osint makes (added outside osint)",
                )


def check_withheld(conn: sqlite3.Connection) -> Iterator[Problem]:
    for entry_id, message in audit.check_redactions(conn):
        yield Problem(entry_id, "audit", message)


def withheld_summary(conn: sqlite3.Connection) -> dict:
    """{"entries": n, "records": n, "by": [{"by", "at", "records", "reason"}]} of a redacted copy."""
    entries = conn.execute("SELECT count(*) FROM audit_log WHERE redacted != 0").fetchone()[0]
    if not entries:
        return {"entries": 0, "records": 0, "by": []}
    withheld_records = conn.execute(
        "SELECT count(DISTINCT record_id) FROM audit_log WHERE redacted != 0 "
        "AND record_id IS NOT NULL"
    ).fetchone()[0]
    by = [
        {"by": r["by"], "at": r["at"], "records": r["records"], "reason": r["reason"]}
        for r in audit.redactions(conn)
    ]
    return {"entries": entries, "records": withheld_records, "by": by}
