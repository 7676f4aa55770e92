"""The audit log: an append-only, hash-linked graph of every change to the case.

Each entry names the hashes of its parents (usually one, the previous head; a merge entry has two,
like a git merge commit) and is identified by the SHA-256 of its canonical form: sorted-key JSON,
UTF-8, no spaces. Changing, removing or reordering any entry changes a hash that a later entry
names, so `verify` catches edits made outside osint. `seq` is only this file's local order.

An entry's hash covers the SHA-256 of its content (`content_sha256`: the command line and the
data) rather than the content itself, so a copy made for sending can leave out a protected
record's content (redaction) and still verify: the commitment stays, only the words are withheld.
That commitment includes a random per-entry salt kept beside the content and withheld with it, so
nobody can confirm a guess of withheld words by hashing candidates. A withheld entry counts only
when a later `redact` entry of the same log names it by hash (`check_redactions`).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

# The fields that make up an entry, all covered by its hash.
ENTRY_FIELDS = (
    "parents",
    "case_id",
    "at",
    "actor",
    "osint_version",
    "action",
    "kind",
    "record_id",
    "content_sha256",
)


def canonical(value) -> bytes:
    """The canonical byte form hashed for an entry (and usable for any JSON value)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def content_hash(command: str | None, data, salt: str | None = None) -> str:
    """The commitment to an entry's content: its command line, its data and its salt.

    Entries written before salts existed have none and keep their original commitment.
    """
    content = {"command": command, "data": {} if data is None else data}
    if salt is not None:
        content["salt"] = salt
    return _sha256(canonical(content))


def new_salt() -> str:
    import secrets

    return secrets.token_hex(16)


def entry_hash(entry: dict) -> str:
    """The entry's id: SHA-256 of the canonical form of its fields (content by its hash)."""
    fields = {f: entry.get(f) for f in ENTRY_FIELDS}
    if fields["content_sha256"] is None:
        fields["content_sha256"] = content_hash(
            entry.get("command"), entry.get("data"), entry.get("salt")
        )
    return _sha256(canonical(fields))


@dataclass
class Entry:
    seq: int
    hash: str
    parents: list[str]
    case_id: str | None
    at: str
    actor: str | None
    command: str | None
    osint_version: str | None
    action: str
    kind: str | None
    record_id: str | None
    content_sha256: str
    data: dict
    redacted: bool = False
    salt: str | None = None

    @classmethod
    def from_row(cls, row) -> Entry:
        """The entry as stored; raises ValueError when a field is not what osint writes."""
        data = json.loads(row["data"]) if row["data"] else {}
        if not isinstance(data, dict):
            raise ValueError(f"its data is a JSON {type(data).__name__}, not an object")
        parents = json.loads(row["parents"])
        if not isinstance(parents, list) or not all(isinstance(p, str) for p in parents):
            raise ValueError("its parents are not a list of hashes")
        keys = row.keys()
        return cls(
            seq=row["seq"],
            hash=row["hash"],
            parents=parents,
            case_id=row["case_id"],
            at=row["at"],
            actor=row["actor"],
            command=row["command"],
            osint_version=row["osint_version"],
            action=row["action"],
            kind=row["kind"],
            record_id=row["record_id"],
            content_sha256=row["content_sha256"],
            data=data,
            redacted=bool(row["redacted"]),
            salt=row["salt"] if "salt" in keys else None,
        )

    def as_dict(self) -> dict:
        out = {f: getattr(self, f) for f in ("seq", "hash", *ENTRY_FIELDS)}
        out["command"] = None if self.redacted else self.command
        out["data"] = None if self.redacted else self.data
        out["salt"] = None if self.redacted else self.salt
        if self.redacted:
            out["redacted"] = True
        return out


def signing_message(entry_hash: str) -> bytes:
    """What an entry's SSH signature signs: its hash, as the ASCII hex string (no newline), so
    that `ssh-keygen -Y verify -n osint ... < file-holding-the-hash` checks it."""
    return entry_hash.encode("ascii")


def store_signature(conn: sqlite3.Connection, entry_hash: str, signer) -> None:
    """Sign an entry's hash with `signer` (an sshsig.Signer) and keep the signature beside it."""
    signature = signer.sign(signing_message(entry_hash))
    conn.execute(
        "INSERT OR REPLACE INTO audit_signatures (entry_hash, signature, key_fingerprint) "
        "VALUES (?, ?, ?)",
        (entry_hash, signature, signer.public.fingerprint),
    )


def signatures(conn: sqlite3.Connection) -> dict[str, tuple[str, str]]:
    """{entry hash: (armored signature, key fingerprint)} for every signed entry."""
    try:
        rows = conn.execute("SELECT entry_hash, signature, key_fingerprint FROM audit_signatures")
        return {row[0]: (row[1], row[2]) for row in rows}
    except sqlite3.OperationalError:  # a case from before signatures (opened read-only)
        return {}


def head(conn: sqlite3.Connection) -> str | None:
    """The hash of the newest entry: the one every new entry names as its parent."""
    row = conn.execute("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    return row[0] if row else None


def append(
    conn: sqlite3.Connection,
    *,
    case_id: str | None,
    at: str,
    actor: str | None,
    command: str | None,
    osint_version: str | None,
    action: str,
    kind: str | None = None,
    record_id: str | None = None,
    data: dict | None = None,
    parents: list[str] | None = None,
) -> str:
    """Append one entry on top of the current head (or the given parents); returns its hash."""
    salt = new_salt()
    if parents is None:
        current = head(conn)
        parents = [current] if current else []
    entry = {
        "parents": parents,
        "case_id": case_id,
        "at": at,
        "actor": actor,
        "command": command,
        "osint_version": osint_version,
        "action": action,
        "kind": kind,
        "record_id": record_id,
        "data": data or {},
        "salt": salt,
        "content_sha256": content_hash(command, data or {}, salt),
    }
    digest = entry_hash(entry)
    store(conn, digest, entry)
    return digest


def store(conn: sqlite3.Connection, digest: str, entry: dict) -> None:
    """Write an entry as it is (used by append and by merge for entries made elsewhere)."""
    redacted = bool(entry.get("redacted"))
    conn.execute(
        "INSERT INTO audit_log (hash, parents, case_id, at, actor, command, osint_version, "
        "action, kind, record_id, content_sha256, data, redacted, salt) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            digest,
            json.dumps(entry["parents"]),
            entry.get("case_id"),
            entry["at"],
            entry.get("actor"),
            None if redacted else entry.get("command"),
            entry.get("osint_version"),
            entry["action"],
            entry.get("kind"),
            entry.get("record_id"),
            entry.get("content_sha256")
            or content_hash(entry.get("command"), entry.get("data"), entry.get("salt")),
            None
            if redacted
            else json.dumps(entry.get("data") or {}, ensure_ascii=False, sort_keys=True),
            int(redacted),
            None if redacted else entry.get("salt"),
        ),
    )


def entries(conn: sqlite3.Connection, record_id: str | None = None) -> Iterator[Entry]:
    """Entries in local order, all of them or those about one record."""
    if record_id is None:
        cursor = conn.execute("SELECT * FROM audit_log ORDER BY seq")
    else:
        cursor = conn.execute(
            "SELECT * FROM audit_log WHERE record_id = ? ORDER BY seq", (record_id,)
        )
    for row in cursor:
        yield Entry.from_row(row)


def count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]


def latest(conn: sqlite3.Connection) -> Entry | None:
    row = conn.execute("SELECT * FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    return Entry.from_row(row) if row else None


def check_chain(conn: sqlite3.Connection, since_seq: int = 0) -> Iterator[tuple[str, str]]:
    """Walk every entry; yield (entry hash or seq, problem) for each break in the graph.

    Checks that each entry's hash matches its content, that each parent exists and came before
    it, and that the graph has exactly one head (the newest entry), so that no entry was
    removed, reordered or forged. With `since_seq`, entries up to it are taken as already
    checked (their hashes still count as parents and for the single head).
    """
    seen: dict[str, int] = {}
    referenced: set[str] = set()
    last_hash = None
    if since_seq:
        for seq, digest, parents in conn.execute(
            "SELECT seq, hash, parents FROM audit_log WHERE seq <= ? ORDER BY seq", (since_seq,)
        ):
            seen[digest] = seq
            with contextlib.suppress(ValueError, TypeError):
                referenced.update(json.loads(parents))
            last_hash = digest
    for row in conn.execute("SELECT * FROM audit_log WHERE seq > ? ORDER BY seq", (since_seq,)):
        try:
            entry = Entry.from_row(row)
        except (ValueError, TypeError) as exc:
            yield (
                row["hash"] or f"seq {row['seq']}",
                f"audit entry {row['seq']} is not readable ({exc})",
            )
            continue
        if entry_hash(entry.as_dict()) != entry.hash:
            yield (
                entry.hash,
                f"audit entry {entry.seq} was altered: its content no longer matches its hash",
            )
        elif (
            not entry.redacted
            and content_hash(entry.command, entry.data, entry.salt) != entry.content_sha256
        ):
            yield (
                entry.hash,
                f"audit entry {entry.seq} was altered: its command or data no longer matches its hash",
            )
        for parent in entry.parents:
            referenced.add(parent)
            if parent not in seen:
                yield (
                    entry.hash,
                    f"audit entry {entry.seq} names a parent {parent[:12]} that is missing or comes after it",
                )
        if entry.hash in seen:
            yield (entry.hash, f"audit entry {entry.seq} duplicates entry {seen[entry.hash]}")
        seen[entry.hash] = entry.seq
        last_hash = entry.hash
    heads = [h for h in seen if h not in referenced]
    if len(heads) > 1:
        yield (
            heads[0],
            f"audit log has {len(heads)} heads: entries were removed or a history was spliced in "
            f"({', '.join(h[:12] for h in heads[:5])})",
        )
    elif heads and heads[0] != last_hash:
        yield (last_hash or "", "the newest audit entry is not the head of the log")


def redactions(conn: sqlite3.Connection) -> list[dict]:
    """The copy's `redact` entries that withheld entries: who, when, how many records and entries."""
    out = []
    for row in conn.execute(
        "SELECT seq, hash, at, actor, data FROM audit_log WHERE action = 'redact' AND redacted = 0 "
        "ORDER BY seq"
    ):
        try:
            data = json.loads(row["data"] or "{}")
        except ValueError:
            continue
        if not isinstance(data, dict):
            continue
        withheld = data.get("withheld")
        out.append(
            {
                "seq": row["seq"],
                "hash": row["hash"],
                "at": row["at"],
                "by": row["actor"],
                "records": data.get("records") if isinstance(data.get("records"), int) else 0,
                "reason": data.get("reason"),
                "withheld": withheld if isinstance(withheld, list) else [],
            }
        )
    return out


def check_redactions(conn: sqlite3.Connection) -> Iterator[tuple[str, str]]:
    """Every withheld entry must be named (by hash) by a later `redact` entry of this log.

    Withholding is how a copy leaves content out while still verifying, so it is only valid
    where the copy's own, hash-checked `redact` entry says it withheld exactly that entry;
    marking an entry `redacted` by hand (to hide an edited record or rewritten data) is caught.
    """
    covering: dict[str, int] = {}
    for item in redactions(conn):
        for digest in item["withheld"]:
            if isinstance(digest, str):
                covering[digest] = max(covering.get(digest, 0), item["seq"])
    for seq, digest, action in conn.execute(
        "SELECT seq, hash, action FROM audit_log WHERE redacted != 0 ORDER BY seq"
    ):
        if covering.get(digest, 0) <= seq:
            yield (
                digest or f"seq {seq}",
                f"audit entry {seq} ({action}) is marked withheld, but no later redact entry "
                "names it: its content was removed outside osint",
            )


def withheld_here(conn: sqlite3.Connection, redact_data: dict) -> bool:
    """Whether a `redact` entry's withholding holds in this log (the copy that made it, or a copy
    of that copy) rather than in a case that merged the copy back and still has the content.

    Statements such a entry makes about the copy (the rows it kept) are true only there.
    """
    withheld = redact_data.get("withheld") if isinstance(redact_data, dict) else None
    if not isinstance(withheld, list) or not withheld:
        return False
    row = conn.execute(
        "SELECT redacted FROM audit_log WHERE hash = ?", (str(withheld[0]),)
    ).fetchone()
    return bool(row and row[0])
