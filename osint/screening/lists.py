"""`osint lists import`: a sanctions list as published, kept as evidence and as rows to screen.

Each import is, in one transaction:

- the file itself, stored byte-identical in the case as the snapshot of a new `source` record
  (title "<list> as published <date>", publisher, publication date), so a brief can cite it;
- a `list-import` record (audited) naming the source, the file's SHA-256, the list's own
  publication date and how it was known, the counts, and `rows_digest`;
- the kept rows (not records): `listed_entities` (vessels and their owners, operators and
  managers), `listed_names` (every name, alias and former name) and `listed_links` (who owns,
  operates or manages which vessel), each tagged with the import's id.

`rows_digest` is the SHA-256 of the import's rows in a canonical order (by the list's own entity
ids, never by local row numbers), so `verify` recomputes it, a colleague's copy merges row for
row, and a redacted copy that withholds the list withholds its rows. Importing a newer version of
a list adds a new import beside the old one: nothing is replaced.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from osint import ids
from osint.case import kinds, records
from osint.case.store import blobs
from osint.errors import InvalidInput
from osint.screening import readers
from osint.timeutil import iso

ENTITY_COLUMNS = (
    "entity_id", "schema", "name", "imo", "mmsi", "call_sign", "flag", "past_flags",
    "vessel_type", "country", "programs", "authorities", "topics", "status", "listed_on",
    "delisted_on", "remarks", "url",
)  # fmt: skip
NAME_COLUMNS = ("entity_id", "name", "name_type")
LINK_COLUMNS = ("vessel", "party", "relation", "role", "start_date", "end_date")
JSON_COLUMNS = ("past_flags", "programs", "authorities", "topics")

MEDIA_TYPES = {
    "ftm": "application/x-ndjson",
    "simple-csv": "text/csv",
    "ofac-xml": "application/xml",
    "ofac-csv": "text/csv",
}
FORMAT_NAMES = {
    "ftm": "FollowTheMoney JSON lines",
    "simple-csv": "OpenSanctions targets.simple.csv",
    "ofac-xml": "OFAC SDN.XML",
    "ofac-csv": "OFAC sdn.csv",
}


# ---- rows and their digest ------------------------------------------------------------------------


def _entity_row(item: readers.Listed) -> tuple:
    values = {
        "entity_id": item.entity_id,
        "schema": item.schema,
        "name": item.name,
        "imo": item.imo,
        "mmsi": item.mmsi,
        "call_sign": item.call_sign,
        "flag": item.flag,
        "past_flags": item.past_flags,
        "vessel_type": item.vessel_type,
        "country": item.country,
        "programs": item.programs,
        "authorities": item.authorities,
        "topics": item.topics,
        "status": item.status,
        "listed_on": item.listed_on,
        "delisted_on": item.delisted_on,
        "remarks": item.remarks,
        "url": item.url,
    }
    for column in JSON_COLUMNS:
        values[column] = json.dumps(values[column], ensure_ascii=False) if values[column] else None
    return tuple(values[c] for c in ENTITY_COLUMNS)


def _line(tag: str, row) -> bytes:
    return (tag + json.dumps(list(row), ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def rows_digest(conn: sqlite3.Connection, import_id: str) -> tuple[str, dict]:
    """(hex SHA-256, counts) of an import's rows in canonical order (the list's own ids)."""
    digest = hashlib.sha256()
    counts = {"entities": 0, "names": 0, "links": 0}
    cursor = conn.cursor()
    cursor.row_factory = None
    for table, columns, order, tag, key in (
        ("listed_entities", ENTITY_COLUMNS, "entity_id", "E", "entities"),
        ("listed_names", NAME_COLUMNS, "entity_id, name_type, name", "N", "names"),
        ("listed_links", LINK_COLUMNS, ", ".join(LINK_COLUMNS), "L", "links"),
    ):
        cursor.execute(
            f"SELECT {', '.join(columns)} FROM {table} WHERE import_id = ? ORDER BY {order}",
            (import_id,),
        )
        while chunk := cursor.fetchmany(5000):
            for row in chunk:
                digest.update(_line(tag, row))
            counts[key] += len(chunk)
    return digest.hexdigest(), counts


def import_digest(conn: sqlite3.Connection, import_id: str) -> str:
    """The digest of an import's rows as stored (the Bulk protocol's digest)."""
    return rows_digest(conn, import_id)[0]


def _insert(conn, table: str, columns: tuple, import_id: str, rows) -> None:
    conn.executemany(
        f"INSERT INTO {table} (import_id, {', '.join(columns)}) "
        f"VALUES (?, {', '.join('?' * len(columns))})",
        ((import_id, *row) for row in rows),
    )


def _store_rows(conn, import_id: str, data: readers.ListData) -> None:
    entities = [*data.vessels.values(), *data.parties.values()]
    _insert(conn, "listed_entities", ENTITY_COLUMNS, import_id, (_entity_row(e) for e in entities))
    _insert(
        conn,
        "listed_names",
        NAME_COLUMNS,
        import_id,
        ((e.entity_id, name, name_type) for e in entities for name, name_type in e.names),
    )
    _insert(
        conn,
        "listed_links",
        LINK_COLUMNS,
        import_id,
        ((r.vessel, r.party, r.relation, r.role, r.start, r.end) for r in data.relations),
    )


# ---- import ------------------------------------------------------------------------------------


def earlier_import(conn: sqlite3.Connection, sha256: str) -> dict | None:
    found = records.earlier_imports(conn, "list-import", sha256)
    return found[0] if found else None


def import_list(
    case,
    path,
    *,
    name: str | None = None,
    published: str | None = None,
    locator: str | None = None,
    grade: str | None = None,
    note: str | None = None,
) -> dict:
    """Import one list file; returns {"import", "source", "already", "warnings"}."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    published = kinds.when(published, "--published") if published else None
    grade = kinds.grade(grade, "--grade") if grade else None
    data = readers.read(path)  # the slow part, before the write transaction
    conn = case.conn
    already = earlier_import(conn, data.sha256)
    if already:
        return {"import": already, "source": None, "already": True, "warnings": []}
    warnings = []
    mtime = iso(datetime.fromtimestamp(path.stat().st_mtime, UTC))
    if published:
        basis = "given with --published"
    elif data.published:
        published, basis = data.published, data.published_basis
    else:
        published = mtime[:10]
        basis = "file modification time (the file states no publication date)"
        warnings.append(
            f"{path.name} states no publication date: using the file's date {published}; "
            "give --published DATE for the date the list was published"
        )
    list_name = kinds.text(name, "--name") if name else (data.list_name or path.stem)
    if not data.vessels:
        warnings.append(f"{path.name} lists no vessels: screening will find nothing in it")
    if data.skipped:
        skipped = ", ".join(f"{n} {k}" for k, n in sorted(data.skipped.items()))
        warnings.append(
            f"entities this osint's FollowTheMoney model does not know were skipped: {skipped}"
        )
    media_type = MEDIA_TYPES[data.format]
    origin = f"{path.name} sha256:{data.sha256}"
    source_id, snapshot_id, import_id = ids.new_id(), ids.new_id(), ids.new_id()
    delisted = sum(1 for v in data.vessels.values() if v.status == "delisted")
    with case.writing():
        sha, size, _ = blobs.put_file(conn, path, media_type, sha256=data.sha256)
        records.create(
            case,
            "snapshot",
            {
                "source": source_id,
                "sha256": sha,
                "media_type": media_type,
                "filename": path.name,
                "size": size,
                "retrieved_at": mtime,
                "method": "list import",
            },
            added_from=origin,
            record_id=snapshot_id,
        )
        source = records.create(
            case,
            "source",
            {
                "locator": locator or data.locator or _locator(list_name, path),
                "title": f"{list_name} as published {published}",
                "publisher": data.publisher,
                "published": published,
                "grade": grade,
                "note": note,
                "snapshot": snapshot_id,
                "snapshot_sha256": sha,
            },
            added_from=origin,
            record_id=source_id,
        )
        _store_rows(conn, import_id, data)
        digest, counts = rows_digest(conn, import_id)
        row = records.create(
            case,
            "list-import",
            {
                "source": source_id,
                "list_name": list_name,
                "publisher": data.publisher,
                "format": FORMAT_NAMES[data.format],
                "filename": path.name,
                "sha256": sha,
                "size": size,
                "published": published,
                "published_basis": basis,
                "entities_read": data.entities_read,
                "vessels": len(data.vessels),
                "parties": len(data.parties),
                "relations": len(data.relations),
                "delisted": delisted,
                "names": counts["names"],
                "skipped": json.dumps(data.skipped) if data.skipped else None,
                "rows_digest": digest,
                "note": note,
            },
            added_from=origin,
            record_id=import_id,
        )
    return {"import": row, "source": source, "already": False, "warnings": warnings}


def _locator(list_name: str, path: Path) -> str:
    if list_name and " " not in list_name and list_name.islower():
        return f"https://www.opensanctions.org/datasets/{list_name}/"
    return f"file {path.name}"


def imports(conn: sqlite3.Connection, *, all_versions: bool = False) -> list[dict]:
    """Active imports; by default only the latest version of each list (by publication date)."""
    rows = [
        dict(r)
        for r in conn.execute(
            "SELECT * FROM list_imports WHERE retracted_at IS NULL "
            "ORDER BY list_name, published, added_at"
        )
    ]
    if all_versions:
        seen: set[str] = set()
        out = []
        for row in rows:
            if row["sha256"] not in seen:
                seen.add(row["sha256"])
                out.append(row)
        return out
    latest: dict[str, dict] = {}
    for row in rows:
        latest[row["list_name"]] = row  # ordered by published, then import time
    return list(latest.values())


def versions(conn: sqlite3.Connection, list_name: str) -> list[dict]:
    return [
        dict(r)
        for r in conn.execute(
            "SELECT id, published, sha256, added_at FROM list_imports WHERE list_name = ? "
            "AND retracted_at IS NULL ORDER BY published, added_at",
            (list_name,),
        )
    ]


def import_details(conn: sqlite3.Connection, row: dict) -> dict:
    """`osint show` of a list import: the other versions of the same list."""
    others = [
        f"{v['id'][:8]} published {v['published']} (sha256 {v['sha256'][:12]})"
        + ("  <- this one" if v["id"] == row["id"] else "")
        for v in versions(conn, row["list_name"])
    ]
    return {"versions": others} if len(others) > 1 else {}


# ---- verify, merge and redaction hooks --------------------------------------------------------------


def check_listed(conn: sqlite3.Connection) -> Iterator:
    """verify check: every import's rows still hash to the digest its audited record holds."""
    from osint.features import Problem

    try:
        wanted = {
            r["id"]: (r["rows_digest"], r["filename"])
            for r in conn.execute("SELECT id, rows_digest, filename FROM list_imports")
        }
    except sqlite3.OperationalError:
        return
    for import_id, (digest, filename) in wanted.items():
        actual, counts = rows_digest(conn, import_id)
        if actual != digest:
            yield Problem(
                import_id,
                "list-import",
                f"{filename}: the stored list rows no longer match the import's digest "
                f"({counts['entities']} entities, {counts['names']} names, {counts['links']} links): "
                "changed outside osint",
            )
    for table in ("listed_entities", "listed_names", "listed_links"):
        for import_id, count in conn.execute(
            f"SELECT import_id, count(*) FROM {table} WHERE import_id NOT IN "
            "(SELECT id FROM list_imports) GROUP BY import_id"
        ):
            yield Problem(
                import_id,
                "list-import",
                f"{count} rows of {table} belong to no list import: added outside osint",
            )


def merge_listed(case, other: sqlite3.Connection) -> dict:
    """merge hook: the rows of the other case's list imports this case lacks, checked first."""
    try:
        theirs = {
            r["id"]: r["rows_digest"]
            for r in other.execute("SELECT id, rows_digest FROM list_imports")
        }
    except sqlite3.OperationalError:
        return {}
    conn = case.conn
    ours = {r[0] for r in conn.execute("SELECT DISTINCT import_id FROM listed_entities")}
    copied = 0
    for import_id, digest in theirs.items():
        if import_id in ours:
            continue
        actual, counts = rows_digest(other, import_id)
        if not counts["entities"] and not counts["names"] and not counts["links"]:
            continue  # withheld from a redacted copy
        if actual != digest:
            raise InvalidInput(
                f"the other case's list rows of import {import_id[:8]} do not match their audited "
                "digest (changed outside osint): refused, nothing was merged"
            )
        for table, columns in (
            ("listed_entities", ENTITY_COLUMNS),
            ("listed_names", NAME_COLUMNS),
            ("listed_links", LINK_COLUMNS),
        ):
            cursor = other.cursor()
            cursor.row_factory = None
            cursor.execute(
                f"SELECT {', '.join(columns)} FROM {table} WHERE import_id = ? ORDER BY id",
                (import_id,),
            )
            _insert(conn, table, columns, import_id, cursor)
        if rows_digest(conn, import_id)[0] != digest:
            raise InvalidInput(
                f"the list rows of import {import_id[:8]} changed while being merged: "
                "refused, nothing was merged"
            )
        copied += 1
    return {"list_imports": copied} if copied else {}


def redact_listed(conn: sqlite3.Connection, withheld: dict[str, str]) -> dict:
    """sharing hook: a copy that withholds a list import (or its source) withholds its rows."""
    removed = 0
    for record_id, kind in withheld.items():
        if kind != "list-import":
            continue
        for table in ("listed_entities", "listed_names", "listed_links"):
            removed += conn.execute(
                f"DELETE FROM {table} WHERE import_id = ?", (record_id,)
            ).rowcount
    return {"listed_rows_removed": removed} if removed else {}
