"""Opening the case file and running one transaction per command.

The case stays a single file: we use SQLite's rollback journal (journal_mode=DELETE), whose
`-journal` file exists only while a transaction is open, instead of WAL, whose `-wal`/`-shm` files
linger beside the case. Writers take the write lock up front (BEGIN IMMEDIATE) so that concurrent
commands queue on the busy timeout instead of failing with "database is locked".
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from osint.errors import CaseBusy, CaseNotFound, CaseReadOnly, NotACase, OsintError, WriteFailed

# 'OSNT': marks a SQLite file as an osint case (PRAGMA application_id).
APPLICATION_ID = 0x4F534E54


def busy_timeout_ms() -> int:
    """How long a command waits for another writer, from $OSINT_BUSY_TIMEOUT (seconds)."""
    try:
        return int(float(os.environ.get("OSINT_BUSY_TIMEOUT", "300")) * 1000)
    except ValueError:
        return 300_000


def connect(path: str | os.PathLike, *, readonly: bool = False, create: bool = False):
    """Open a case file with the pragmas every command relies on."""
    path = Path(path)
    if not create and not path.exists():
        raise CaseNotFound(f"case file not found: {path}")
    if not create and path.is_dir():
        raise NotACase(f"{path} is a folder, not a case file")
    if readonly:
        uri = path.resolve().as_uri() + "?mode=ro"
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    else:
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    try:
        conn.execute(f"PRAGMA busy_timeout={busy_timeout_ms()}")
        # Views and triggers in a file we did not write must not run our functions.
        conn.execute("PRAGMA trusted_schema=OFF")
        if create:
            conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
        if not readonly:
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
            if mode.lower() != "delete":
                conn.execute("PRAGMA journal_mode=DELETE")
        conn.execute("PRAGMA synchronous=FULL")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise translate(exc, path) from None
    return conn


def translate(exc: sqlite3.Error, path: str | os.PathLike | None = None) -> OsintError:
    """Turn a SQLite error about the file (not a bug of ours) into a user-facing error."""
    message = str(exc)
    lowered = message.lower()
    where = f"{path}: " if path else ""
    if "locked" in lowered or "busy" in lowered:
        return CaseBusy(
            f"{where}the case is busy: another osint command kept it locked for longer than "
            f"{busy_timeout_ms() // 1000} s (set OSINT_BUSY_TIMEOUT to wait longer)"
        )
    if "readonly" in lowered or "read-only" in lowered:
        return CaseReadOnly(f"{where}the case file cannot be written (read-only file or folder)")
    if "disk is full" in lowered or "disk i/o" in lowered:
        return WriteFailed(f"{where}could not write the case ({message}); nothing was changed")
    if "file is not a database" in lowered or "malformed" in lowered or "not a database" in lowered:
        return NotACase(f"{where}not an osint case file ({message})")
    if "unable to open" in lowered:
        return CaseNotFound(f"{where}cannot open the case file ({message})")
    return OsintError(f"{where}{message}")


_ENVIRONMENT = ("locked", "busy", "readonly", "read-only", "disk is full", "disk i/o")


def environmental(exc: BaseException) -> bool:
    """True for SQLite errors caused by the file's surroundings (disk, locks, permissions)."""
    return isinstance(exc, sqlite3.Error) and any(word in str(exc).lower() for word in _ENVIRONMENT)


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection, path=None) -> Iterator[sqlite3.Connection]:
    """One write transaction: everything in it lands, or nothing does."""
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        raise translate(exc, path) from None
    try:
        yield conn
    except BaseException as exc:
        if conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
        if isinstance(exc, sqlite3.Error) and environmental(exc):
            raise translate(exc, path) from None
        raise
    try:
        conn.execute("COMMIT")
    except sqlite3.OperationalError as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise translate(exc, path) from None


def recover(path: str | os.PathLike) -> None:
    """After a failed write, let SQLite roll back its journal now, so no side file is left."""
    with contextlib.suppress(sqlite3.Error, OSError):
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=busy_timeout_ms() / 1000)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()


@contextlib.contextmanager
def snapshot_read(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A consistent read of several queries (no-op inside a write transaction)."""
    if conn.in_transaction:
        yield conn
        return
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        if conn.in_transaction:
            conn.execute("COMMIT")
