"""Create, edit, retract, link and find records of any kind, with provenance and an audit entry.

Every write to a record table goes through this module, so no feature can forget provenance or
the audit log. The audit entry of a creation holds the whole row; an edit holds each changed
field's old and new value; so replaying the log rebuilds every table (which `verify` does).
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, TypeVar

from osint import ids
from osint.case import kinds
from osint.case.kinds import Kind
from osint.case.store import audit
from osint.errors import AmbiguousId, InvalidInput, RecordNotFound

T = TypeVar("T")

if TYPE_CHECKING:
    from osint.case.handle import Case

RETRACTION_COLUMNS = ("retracted_at", "retracted_by", "retracted_reason")


def _writes(function: Callable[..., T]) -> Callable[..., T]:
    """Library functions that change the case own their transaction: one is opened around the
    call, or the caller's is joined, so a change and its audit entry always land together and
    the CLI never opens one itself."""

    @functools.wraps(function)
    def write(case: Case, *args, **kwargs) -> T:
        with case.writing():
            return function(case, *args, **kwargs)

    return write


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA table_info([{table}])")]


def insert_row(conn: sqlite3.Connection, table: str, row: Mapping) -> None:
    names = list(row.keys())
    conn.execute(
        f"INSERT INTO [{table}] ({', '.join(f'[{n}]' for n in names)}) "
        f"VALUES ({', '.join('?' for _ in names)})",
        [row[n] for n in names],
    )


def full_row(conn: sqlite3.Connection, table: str, row: Mapping) -> dict:
    """The row with every column of its table (absent ones as None), as the audit log keeps it."""
    return {column: row.get(column) for column in _columns(conn, table)}


@_writes
def create(
    case,
    kind: str,
    fields: Mapping,
    *,
    added_from: str | None = None,
    record_id: str | None = None,
) -> dict:
    """Add a record; returns it as stored (with id and provenance)."""
    spec = kinds.get(kind)
    row = {"id": record_id or ids.new_id(), **fields, **case.provenance(added_from)}
    row = full_row(case.conn, spec.table, row)
    insert_row(case.conn, spec.table, row)
    case.log(
        "create",
        kind=spec.name,
        record_id=row["id"],
        data={"fields": row},
        case_id=row["id"] if spec.name == "case" else None,
    )
    index(case.conn, spec, row)
    return row


def get(conn: sqlite3.Connection, kind: str | Kind, record_id: str) -> dict | None:
    spec = kind if isinstance(kind, Kind) else kinds.get(kind)
    row = conn.execute(f"SELECT * FROM [{spec.table}] WHERE id = ?", (record_id,)).fetchone()
    return dict(row) if row else None


def require(conn: sqlite3.Connection, kind: str | Kind, record_id: str) -> dict:
    row = get(conn, kind, record_id)
    if row is None:
        spec = kind if isinstance(kind, Kind) else kinds.get(kind)
        raise RecordNotFound(f"no {spec.name} with id {record_id}")
    return row


def resolve(
    conn: sqlite3.Connection, ref: str, kind_names: Iterable[str] | None = None
) -> tuple[Kind, dict]:
    """Find one record by id, unique id prefix (6+ characters) or a kind's own names.

    Images are also found by a SHA-256 prefix; places and vessels by name or IMO (their kinds'
    `resolve_extra` hooks). An ambiguous reference is an error listing the candidates.
    """
    ref = (ref or "").strip()
    if not ref:
        raise InvalidInput("an id is required")
    wanted = [kinds.get(k) for k in kind_names] if kind_names else list(kinds.KINDS.values())
    what = " or ".join(k.name for k in wanted) if kind_names else "record"
    lowered = ref.lower()
    # An exact id wins outright (only an id osint makes: never a name).
    for spec in wanted if ids.is_record_id(lowered) else ():
        row = get(conn, spec, lowered)
        if row:
            return spec, row
    found: dict[str, tuple[Kind, str]] = {}
    if ids.looks_like_id_prefix(lowered):
        upper = ids.prefix_upper_bound(lowered)
        for spec in wanted:
            for (rid,) in conn.execute(
                f"SELECT id FROM [{spec.table}] WHERE id >= ? AND id < ? LIMIT 20", (lowered, upper)
            ):
                found[rid] = (spec, rid)
    for spec in wanted:
        hook = kinds.resolve_callable(spec.resolve_extra)
        if hook:
            for rid in hook(conn, ref):
                found.setdefault(rid, (spec, rid))
    if not found:
        if len(lowered) < ids.MIN_PREFIX and ids.looks_like_id_prefix(
            lowered.ljust(ids.MIN_PREFIX, "0")
        ):
            raise InvalidInput(
                f"no {what} matches {ref!r}: an id prefix needs at least {ids.MIN_PREFIX} characters"
            )
        raise RecordNotFound(f"no {what} matches {ref!r}")
    if len(found) > 1:
        candidates = []
        for spec, rid in found.values():
            row = get(conn, spec, rid)
            candidates.append((spec.name, rid, spec.label(row) if row else ""))
        raise AmbiguousId(ref, sorted(candidates, key=lambda c: c[1]))
    spec, rid = next(iter(found.values()))
    return spec, require(conn, spec, rid)


def resolve_id(conn, ref: str, kind_names: Iterable[str] | None = None) -> str:
    return resolve(conn, ref, kind_names)[1]["id"]


def update_fields(
    case, spec: Kind, row: dict, changes: Mapping, action: str, extra: dict | None = None
):
    """Apply already-validated changes to a record and log them with their old values."""
    changes = {k: v for k, v in changes.items() if row.get(k) != v}
    if not changes:
        return row, {}
    assignments = ", ".join(f"[{name}] = ?" for name in changes)
    case.conn.execute(
        f"UPDATE [{spec.table}] SET {assignments} WHERE id = ?", [*changes.values(), row["id"]]
    )
    logged = {name: {"old": row.get(name), "new": value} for name, value in changes.items()}
    case.log(action, kind=spec.name, record_id=row["id"], data={"changes": logged, **(extra or {})})
    new_row = {**row, **changes}
    index(case.conn, spec, new_row)
    return new_row, logged


@_writes
def edit(case: Case, ref: str, sets: Mapping[str, str]) -> tuple[Kind, dict, dict]:
    """Correct fields of a record; old values stay in the audit log (the record's history).

    Returns (kind, new row, {field: {"old", "new"}}).
    """
    spec, row = resolve(case.conn, ref)
    if not sets:
        raise InvalidInput("nothing to change: give --set FIELD=VALUE")
    changes = {}
    for name, value in sets.items():
        column = spec.fields.get(name, name)
        parser = spec.editable.get(column)
        if parser is None:
            editable = ", ".join(sorted(spec.editable)) or "none"
            raise InvalidInput(
                f"{spec.name} field {name!r} cannot be edited (editable: {editable})"
            )
        changes[column] = parser(value, name)
    hook = kinds.resolve_callable(spec.on_edit)
    if hook:
        changes.update(hook(case, row, changes) or {})
    new_row, logged = update_fields(case, spec, row, changes, "edit")
    return spec, new_row, logged


@_writes
def retract(case: Case, ref: str, reason: str) -> tuple[Kind, dict]:
    """Withdraw a record: it stays in the case and its history but leaves lists and briefs."""
    spec, row = resolve(case.conn, ref)
    if spec.name == "case":
        raise InvalidInput("the case itself cannot be retracted")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("--reason: say why the record is withdrawn")
    if row.get("retracted_at"):
        raise InvalidInput(
            f"{spec.name} {row['id']} was already retracted on {row['retracted_at']}"
        )
    prov = case.provenance()
    changes = {
        "retracted_at": prov["added_at"],
        "retracted_by": prov["added_by"],
        "retracted_reason": reason,
    }
    new_row, _ = update_fields(case, spec, row, changes, "retract")
    return spec, new_row


@_writes
def link(case: Case, from_ref: str, to_ref: str, relation: str, note: str | None = None) -> dict:
    """A typed link FROM --relation--> TO between any two records."""
    relation = (relation or "").strip().lower()
    if relation not in kinds.RELATIONS:
        raise InvalidInput(f"relation {relation!r} is not one of: {', '.join(kinds.RELATIONS)}")
    from_kind, source = resolve(case.conn, from_ref)
    to_kind, target = resolve(case.conn, to_ref)
    if source["id"] == target["id"]:
        raise InvalidInput("a record cannot be linked to itself")
    existing = case.conn.execute(
        "SELECT * FROM links WHERE from_id = ? AND to_id = ? AND relation = ? "
        "AND retracted_at IS NULL",
        (source["id"], target["id"], relation),
    ).fetchone()
    if existing:
        return dict(existing)
    return create(
        case,
        "link",
        {"from_id": source["id"], "relation": relation, "to_id": target["id"], "note": note},
        added_from=f"{from_kind.name} {source['id']} -> {to_kind.name} {target['id']}",
    )


def links_of(conn: sqlite3.Connection, record_id: str, include_retracted=False) -> list[dict]:
    """Links from and to a record, each with the other end's kind and label."""
    where = "" if include_retracted else " AND retracted_at IS NULL"
    rows = conn.execute(
        f"SELECT * FROM links WHERE (from_id = ? OR to_id = ?){where} ORDER BY added_at",
        (record_id, record_id),
    ).fetchall()
    out = []
    for row in rows:
        outgoing = row["from_id"] == record_id
        other_id = row["to_id"] if outgoing else row["from_id"]
        other_kind, other = find_any(conn, other_id)
        out.append(
            {
                "id": row["id"],
                "direction": "out" if outgoing else "in",
                "relation": row["relation"],
                "other": other_id,
                "other_kind": other_kind.name if other_kind else None,
                "other_label": other_kind.label(other) if other_kind and other else None,
                "other_retracted": bool(other and other.get("retracted_at")),
            }
        )
    return out


def find_any(conn: sqlite3.Connection, record_id: str) -> tuple[Kind | None, dict | None]:
    """The record with exactly this id, whatever its kind."""
    for spec in kinds.KINDS.values():
        row = get(conn, spec, record_id)
        if row:
            return spec, row
    return None, None


_NOT_REFERENCES = {"id", "added_by", "added_at", "added_via", "added_from", "osint_version"}


def referring_to(conn: sqlite3.Connection, roots: set[str]) -> dict[str, str]:
    """The roots and every record that refers to them, directly or through others: id -> kind.

    What a redacted copy must withhold with a record: a source's snapshots and quotes, links,
    and records generated from it (a kind with `generated_from`, whose `added_from` names it).
    """
    found: dict[str, str] = {}
    for rid in roots:
        spec, _ = resolve(conn, rid)
        found[rid] = spec.name
    changed = True
    while changed:
        changed = False
        for spec in kinds.KINDS.values():
            if spec.name == "case":
                continue
            columns = [c for c in _columns(conn, spec.table) if c not in _NOT_REFERENCES]
            if spec.generated_from:
                columns.append("added_from")
            for row in conn.execute(f"SELECT * FROM [{spec.table}]"):
                if row["id"] in found:
                    continue
                if any(_names_any(row[c], found) for c in columns if isinstance(row[c], str)):
                    found[row["id"]] = spec.name
                    changed = True
    return found


def _names_any(value: str, ids: dict[str, str]) -> bool:
    if value in ids:
        return True
    # Generated provenance ("visit-query <id>", "image <id> sha256:...") names ids in text.
    return any(rid in value for rid in ids) if " " in value else False


def earlier_imports(conn: sqlite3.Connection, kind: str | Kind, sha256: str) -> list[dict]:
    """Imports of the same file (by SHA-256) already in the case and not retracted, oldest first."""
    spec = kind if isinstance(kind, Kind) else kinds.get(kind)
    return [
        dict(row)
        for row in conn.execute(
            f"SELECT * FROM [{spec.table}] WHERE sha256 = ? AND retracted_at IS NULL "
            "ORDER BY added_at",
            (sha256,),
        )
    ]


def history(conn: sqlite3.Connection, record_id: str) -> list[audit.Entry]:
    return list(audit.entries(conn, record_id))


def iter_records(
    conn: sqlite3.Connection,
    kind: str | Kind,
    *,
    include_retracted: bool = False,
    where: str = "",
    params: Iterable = (),
    order_by: str = "added_at, rowid",
    limit: int | None = None,
) -> Iterator[dict]:
    """Records of one kind, streamed (never a whole table in memory); at most `limit` of them."""
    spec = kind if isinstance(kind, Kind) else kinds.get(kind)
    clauses = [] if include_retracted else ["retracted_at IS NULL"]
    if where:
        clauses.append(f"({where})")
    sql = f"SELECT * FROM [{spec.table}]"
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    sql += f" ORDER BY {order_by}"
    params = list(params)
    if limit:
        sql += " LIMIT ?"
        params.append(limit)
    for row in conn.execute(sql, params):
        yield dict(row)


def count(conn: sqlite3.Connection, kind: str | Kind, include_retracted=False) -> int:
    spec = kind if isinstance(kind, Kind) else kinds.get(kind)
    sql = f"SELECT count(*) FROM [{spec.table}]"
    if not include_retracted:
        sql += " WHERE retracted_at IS NULL"
    return conn.execute(sql).fetchone()[0]


# ---- the search index ------------------------------------------------------------------------


def index(conn: sqlite3.Connection, spec: Kind, row: Mapping) -> None:
    """Keep the full-text index in step with a record (retracted records leave it)."""
    conn.execute(
        "DELETE FROM search_index WHERE rowid IN (SELECT fts_rowid FROM search_rows WHERE record_id = ?)",
        (row["id"],),
    )
    conn.execute("DELETE FROM search_rows WHERE record_id = ?", (row["id"],))
    if row.get("retracted_at") or not (spec.search_title or spec.search_fields):
        return
    title = str(row.get(spec.search_title) or "") if spec.search_title else ""
    parts = [str(row[f]) for f in spec.search_fields if row.get(f)]
    hook = kinds.resolve_callable(spec.search_extra)
    if hook:
        extra = hook(conn, row)
        if extra:
            parts.append(extra)
    from osint.case.search import fold

    cursor = conn.execute(
        "INSERT INTO search_index (record_id, kind, title, body) VALUES (?, ?, ?, ?)",
        (row["id"], spec.name, fold(title), fold("\n".join(parts))),
    )
    conn.execute(
        "INSERT INTO search_rows (record_id, fts_rowid) VALUES (?, ?)",
        (row["id"], cursor.lastrowid),
    )
