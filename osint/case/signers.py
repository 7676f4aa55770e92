"""The case's allowed signers: who may sign its audit entries, with which SSH public key."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from osint.case import kinds, records, sshsig
from osint.errors import InvalidInput

if TYPE_CHECKING:
    from osint.case.handle import Case


def read_public_key(value: str) -> sshsig.PublicKey:
    """A public key given as its `ssh-ed25519 AAAA...` line or as a .pub file."""
    text = value
    if not value.strip().startswith(sshsig.KEY_TYPES):
        path = Path(value).expanduser()
        if not path.is_file():
            raise InvalidInput(f"{value}: neither a public key line nor a .pub file")
        if path.stat().st_size > 64 * 1024:
            raise InvalidInput(f"{value}: too large to be a public key file")
        text = path.read_text(encoding="utf-8", errors="replace")
        if "PRIVATE KEY" in text:
            raise InvalidInput(f"{value}: that is a private key; give its .pub file")
    return sshsig.parse_public_key(text)


def add_signer(case: Case, name: str, key: str, *, note: str | None = None) -> dict:
    """Allow `name` to sign with `key`; the record itself is audited (and signed, with a key)."""
    name = kinds.text(name or "", "name")
    public = read_public_key(key)
    for row in active(case.conn):
        if row["fingerprint"] == public.fingerprint:
            raise InvalidInput(
                f"key {public.fingerprint} is already allowed for {row['name']} ({row['id'][:8]})"
            )
    return records.create(
        case,
        "signer",
        {
            "name": name,
            "public_key": public.openssh,
            "fingerprint": public.fingerprint,
            "note": kinds.optional_text(note),
        },
        added_from=f"public key {public.fingerprint}",
    )


def remove_signer(case: Case, ref: str, reason: str) -> dict:
    """Withdraw a signer: entries signed by that key are no longer counted as allowed."""
    spec, row = records.resolve(case.conn, ref, ["signer"])
    _, retracted = records.retract(case, row["id"], reason)
    return retracted


def active(conn: sqlite3.Connection) -> list[dict]:
    try:
        return list(records.iter_records(conn, "signer"))
    except sqlite3.OperationalError:
        return []


def allowed(conn: sqlite3.Connection) -> list[sshsig.AllowedSigner]:
    return [
        sshsig.AllowedSigner(row["name"], sshsig.parse_public_key(row["public_key"]), ("osint",))
        for row in active(conn)
    ]


def allowed_signers_text(conn: sqlite3.Connection) -> str:
    """The case's signers in OpenSSH's allowed_signers format (for `ssh-keygen -Y verify -f`)."""
    return sshsig.allowed_signers_file(allowed(conn))


def parse_allowed_signers(text: str) -> list[sshsig.AllowedSigner]:
    """An allowed_signers file kept outside the case (a pinned trust anchor)."""
    out = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith('"'):
            end = line.find('"', 1)
            principal, rest = line[1:end], line[end + 1 :].strip()
        else:
            principal, _, rest = line.partition(" ")
        fields = rest.split()
        while fields and fields[0] not in sshsig.KEY_TYPES:
            fields.pop(0)  # options (namespaces=..., valid-after=...)
        if len(fields) < 2:
            raise InvalidInput(f"allowed signers line {number}: no public key")
        public = sshsig.parse_public_key(" ".join(fields[:2]))
        for name in principal.split(","):
            out.append(sshsig.AllowedSigner(name, public, ("osint",)))
    return out
