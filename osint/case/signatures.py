"""Signed provenance, read back: what the log's SSH signatures prove: per signer, and every entry that proves nothing or is wrong.

A signature that does not match its entry is always a problem (something was altered). The rest
is reported, and counts as problems only with `--require-signatures`: entries with no
signature, signed by a key that is not an allowed signer, or whose actor is not the name the key
is allowed for. A full rewrite of the chain by someone without the keys shows up here.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

from osint.case import signers as signer_lib
from osint.case import sshsig
from osint.case.store import audit
from osint.errors import InvalidInput
from osint.features import Problem


@dataclass
class _Brief:
    hash: str
    actor: str | None
    at: str


def verify_many(items: list[tuple[str, bytes]]) -> list:
    """Each (signature, message) checked, in parallel threads (OpenSSL releases the GIL): the
    Verified proof, or the SignatureError saying why not, in the same order."""

    def check(item: tuple[str, bytes]):
        try:
            return sshsig.verify(*item)
        except sshsig.SignatureError as exc:
            return exc

    if len(items) < 64:
        return [check(item) for item in items]
    from concurrent.futures import ThreadPoolExecutor

    workers = min(8, os.cpu_count() or 1)
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(check, items, chunksize=256))


def signature_report(conn: sqlite3.Connection, options: dict) -> tuple[str, dict, list[Problem]]:
    """(name, report, problems) for `osint verify`; options: require_signatures, allowed_signers
    (the text of an allowed_signers file kept outside the case, trusted instead of the case's)."""
    pinned = options.get("allowed_signers")
    allowed = signer_lib.parse_allowed_signers(pinned) if pinned else signer_lib.allowed(conn)
    names_by_key: dict[str, set[str]] = {}
    for signer in allowed:
        names_by_key.setdefault(signer.public.fingerprint, set()).add(signer.principal)
    stored = audit.signatures(conn)
    per_signer: dict[str, dict] = {}
    unknown_key: list[str] = []
    wrong_name: list[str] = []
    problems: list[Problem] = []
    log = conn.execute("SELECT hash, actor, at FROM audit_log ORDER BY seq").fetchall()
    signed = [(h, actor, at) for h, actor, at in log if h in stored]
    unsigned = [h for h, _, _ in log if h not in stored]
    outcomes = verify_many([(stored[h][0], audit.signing_message(h)) for h, _, _ in signed])
    for (entry_hash, actor, at), outcome in zip(signed, outcomes, strict=True):
        if isinstance(outcome, sshsig.SignatureError):
            problems.append(Problem(entry_hash, "audit", f"signature does not verify: {outcome}"))
            continue
        entry = _Brief(entry_hash, actor, at)
        proof = outcome
        fingerprint = proof.public.fingerprint
        names = names_by_key.get(fingerprint)
        if not names:
            unknown_key.append(entry.hash)
            label = f"(not an allowed signer) {fingerprint}"
        elif entry.actor not in names:
            wrong_name.append(entry.hash)
            label = f"{' / '.join(sorted(names))} {fingerprint}"
        else:
            label = f"{entry.actor} {fingerprint}"
        item = per_signer.setdefault(
            label,
            {
                "signer": ", ".join(sorted(names)) if names else None,
                "fingerprint": fingerprint,
                "entries": 0,
                "first": entry.at,
                "last": entry.at,
            },
        )
        item["entries"] += 1
        item["first"] = min(item["first"], entry.at)
        item["last"] = max(item["last"], entry.at)
    report = {
        "trusted_from": "allowed signers file given to verify" if pinned else "the case's signers",
        "signers": list(per_signer.values()),
        "unsigned": len(unsigned),
        "signed_by_unknown_key": len(unknown_key),
        "actor_not_signer": len(wrong_name),
    }
    if options.get("require_signatures"):
        for hashes, why in (
            (unsigned, "entry is not signed"),
            (unknown_key, "entry is signed by a key that is not an allowed signer"),
            (wrong_name, "entry's investigator is not the name its key is allowed for"),
        ):
            problems.extend(Problem(h, "audit", why) for h in hashes)
    return "signatures", report, problems


def entry_signatures(conn: sqlite3.Connection, entries) -> Iterator[dict]:
    """Each entry with its signature and what it proves, for `osint log --show-signature`."""
    names_by_key: dict[str, set[str]] = {}
    for signer in signer_lib.allowed(conn):
        names_by_key.setdefault(signer.public.fingerprint, set()).add(signer.principal)
    stored = audit.signatures(conn)
    for entry in entries:
        item = {
            "seq": entry.seq,
            "hash": entry.hash,
            "at": entry.at,
            "actor": entry.actor,
            "action": entry.action,
            "signature": None,
            "key_fingerprint": None,
            "status": "not signed",
        }
        found = stored.get(entry.hash)
        if found:
            item["signature"] = found[0]
            try:
                proof = sshsig.verify(found[0], audit.signing_message(entry.hash))
            except sshsig.SignatureError as exc:
                item["status"] = f"BAD signature: {exc}"
            else:
                fingerprint = proof.public.fingerprint
                item["key_fingerprint"] = fingerprint
                names = names_by_key.get(fingerprint)
                if not names:
                    item["status"] = f"good signature by a key that is not allowed ({fingerprint})"
                elif entry.actor in names:
                    item["status"] = f"good signature by {entry.actor} ({fingerprint})"
                else:
                    item["status"] = (
                        f"good signature by {', '.join(sorted(names))} ({fingerprint}), "
                        f"but the entry names {entry.actor}"
                    )
        yield item


def check_merged_entries(
    conn: sqlite3.Connection, other: sqlite3.Connection, entries, where
) -> None:
    """Refuse a colleague's entries made in the name of one of our signers without that signer's
    key: whoever holds the file could otherwise write history in our name."""
    names_by_key: dict[str, set[str]] = {}
    keys_by_name: dict[str, set[str]] = {}
    for signer in signer_lib.allowed(conn):
        names_by_key.setdefault(signer.public.fingerprint, set()).add(signer.principal)
        keys_by_name.setdefault(signer.principal, set()).add(signer.public.fingerprint)
    if not keys_by_name:
        return
    theirs = audit.signatures(other)
    for entry in entries:
        if entry.actor not in keys_by_name:
            continue
        found = theirs.get(entry.hash)
        proof = None
        if found:
            try:
                proof = sshsig.verify(found[0], audit.signing_message(entry.hash))
            except sshsig.SignatureError:
                proof = None
        if proof is None or proof.public.fingerprint not in keys_by_name[entry.actor]:
            how = "unsigned" if not found else "not signed by their key"
            raise InvalidInput(
                f"{where}: entry {entry.hash[:12]} ({entry.action}, {entry.at}) is made in the name "
                f"of {entry.actor}, an allowed signer of this case, but is {how}: refused, "
                "nothing was merged"
            )


def copy_signatures(conn: sqlite3.Connection, other: sqlite3.Connection, hashes) -> int:
    """Bring the signatures of merged entries along (each checked first); returns how many."""
    theirs = audit.signatures(other)
    copied = 0
    for entry_hash in hashes:
        found = theirs.get(entry_hash)
        if not found:
            continue
        try:
            proof = sshsig.verify(found[0], audit.signing_message(entry_hash))
        except sshsig.SignatureError:
            continue  # a signature that does not hold proves nothing: left behind
        conn.execute(
            "INSERT OR IGNORE INTO audit_signatures (entry_hash, signature, key_fingerprint) "
            "VALUES (?, ?, ?)",
            (entry_hash, found[0], proof.public.fingerprint),
        )
        copied += 1
    return copied
