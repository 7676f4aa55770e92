"""An open case: the SQLite file plus who is working on it and with which command.

with open_case("case.db", actor="Ana", command="osint source add ...") as case:
    with case.writing():
        records.create(case, "source", {...})
"""

from __future__ import annotations

import contextlib
import os
import shlex
import sys
from collections.abc import Callable, Iterator
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from osint import __version__, ids
from osint.case.store import audit, db, schema
from osint.errors import CaseExists, InvalidInput, WriteFailed
from osint.timeutil import now_iso

if TYPE_CHECKING:  # signing code loads only when a case is signed
    from osint.case.sshsig import Signer


def default_actor() -> str:
    """The investigator: $OSINT_USER, else `git config user.name`, else the login name."""
    import getpass
    import subprocess

    name = os.environ.get("OSINT_USER", "").strip()
    if name:
        return name
    try:
        result = subprocess.run(
            ["git", "config", "user.name"], capture_output=True, text=True, timeout=5, check=False
        )
        if result.returncode == 0 and result.stdout.strip():
            return result.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        return getpass.getuser()
    except Exception:  # getpass raises several types when no login name is known
        return "unknown"


def command_line(args: list[str] | None = None) -> str:
    """How a record was made: the osint command line as typed (`args` without the program name)."""
    args = sys.argv[1:] if args is None else args
    return shlex.join(["osint", *args])


class Case:
    """An open case file. Use as a context manager so the connection is always closed."""

    def __init__(
        self,
        path,
        conn,
        *,
        actor: str | None = None,
        command: str | None = None,
        signer: Signer | Callable[[], Signer | None] | None = None,
    ):
        self.path = Path(path)
        self.conn = conn
        self._actor = actor
        # The key that signs this command's audit entries, or a function that loads it on the
        # first entry (so a command that writes nothing never asks for a passphrase).
        self._signer = signer
        self.command = command or "osint (python API)"
        self.version = __version__
        self._id = ""
        self._write_failed = False

    @cached_property
    def actor(self) -> str:
        return self._actor or default_actor()

    @property
    def id(self) -> str:
        """This file's case: the one its first audit entry created (merges may bring others in)."""
        if not self._id:
            row = self.conn.execute(
                "SELECT record_id FROM audit_log WHERE action = 'create' AND kind = 'case' "
                "ORDER BY seq LIMIT 1"
            ).fetchone()
            self._id = row[0] if row else ""
        return self._id

    def info(self) -> dict:
        row = self.conn.execute("SELECT * FROM case_info WHERE id = ?", (self.id,)).fetchone()
        return dict(row) if row else {}

    @contextlib.contextmanager
    def writing(self) -> Iterator[Case]:
        """One transaction: the command's changes and their audit entries land together."""
        if self.conn.in_transaction:
            yield self
            return
        try:
            with db.transaction(self.conn, self.path):
                yield self
        except WriteFailed:
            self._write_failed = True
            raise

    def reading(self):
        return db.snapshot_read(self.conn)

    def provenance(self, added_from: str | None = None) -> dict:
        """The provenance columns for a record made now by this command."""
        return {
            "added_by": self.actor,
            "added_at": now_iso(),
            "added_via": self.command,
            "added_from": added_from,
            "osint_version": self.version,
        }

    def log(
        self,
        action: str,
        *,
        kind=None,
        record_id=None,
        data=None,
        parents=None,
        at=None,
        case_id=None,
    ) -> str:
        """Append an audit entry for a change made by this command (inside `writing()`).

        With a signing key chosen, the entry's hash is signed (SSHSIG) in the same transaction.
        """
        entry_hash = audit.append(
            self.conn,
            case_id=case_id or self.id or None,
            at=at or now_iso(),
            actor=self.actor,
            command=self.command,
            osint_version=self.version,
            action=action,
            kind=kind,
            record_id=record_id,
            data=data,
            parents=parents,
        )
        signer = self.signer
        if signer is not None:
            audit.store_signature(self.conn, entry_hash, signer)
        return entry_hash

    @property
    def signer(self) -> Signer | None:
        from osint.case.sshsig import Signer

        if callable(self._signer) and not isinstance(self._signer, Signer):
            self._signer = self._signer()
        return self._signer

    def close(self) -> None:
        with contextlib.suppress(Exception):
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
        self.conn.close()
        if self._write_failed:
            db.recover(self.path)

    def __enter__(self) -> Case:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_case(
    path,
    *,
    actor: str | None = None,
    command: str | None = None,
    readonly=False,
    signer: Signer | Callable[[], Signer | None] | None = None,
) -> Case:
    """Open an existing case, upgrading its schema when this osint is newer."""
    conn = db.connect(path, readonly=readonly)
    try:
        if readonly:
            schema.check_is_case(conn, path)
            if schema.schema_version(conn) < schema.SCHEMA_VERSION:
                raise InvalidInput(
                    f"{path}: the case needs a schema upgrade, which cannot be written to a "
                    "read-only file"
                )
        else:
            schema.migrate(conn, path)
    except BaseException:
        conn.close()
        raise
    return Case(path, conn, actor=actor, command=command, signer=signer)


def init_case(
    path,
    *,
    title: str | None = None,
    summary: str | None = None,
    actor=None,
    command=None,
    signer: Signer | Callable[[], Signer | None] | None = None,
) -> Case:
    """Create a new case file; refuses to overwrite anything."""
    path = Path(path)
    if path.exists():
        raise CaseExists(f"{path} already exists: osint init never overwrites a file")
    if not path.parent.exists():
        raise InvalidInput(f"{path}: folder {path.parent} does not exist")
    # Build the case under a temporary name so a failure never leaves a half-made case behind.
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    conn = db.connect(partial, create=True)
    try:
        schema.migrate(conn, partial)
        case = Case(path, conn, actor=actor, command=command, signer=signer)
        with case.writing():
            from osint.case import records

            records.create(
                case,
                "case",
                {"title": title or path.stem, "summary": summary},
                record_id=ids.new_id(),
            )
        conn.close()
        try:
            os.link(partial, path)  # fails if `path` appeared meanwhile: still never overwrites
        except FileExistsError:
            raise CaseExists(f"{path} already exists: osint init never overwrites a file") from None
        except OSError:
            if path.exists():
                raise CaseExists(
                    f"{path} already exists: osint init never overwrites a file"
                ) from None
            os.replace(partial, path)
    finally:
        with contextlib.suppress(Exception):
            conn.close()
        if partial.exists():
            partial.unlink()
    return open_case(path, actor=actor, command=command, signer=case.signer)
