"""Files inside the case: content-addressed by SHA-256, stored in fixed-size chunks.

SQLite refuses single values over 1 GB and writing one large value needs it whole in memory, so
bytes go in `blob_chunks` rows of CHUNK_SIZE, written and read as streams: memory stays flat
whatever the file's size. A file already in the case is never stored twice.
"""

from __future__ import annotations

import hashlib
import io
import os
import sqlite3
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from osint.errors import InvalidInput, OsintError
from osint.timeutil import now_iso

CHUNK_SIZE = 1024 * 1024


def sha256_file(path: str | os.PathLike) -> tuple[str, int]:
    """(hex SHA-256, size) of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_SIZE):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def exists(conn: sqlite3.Connection, sha256: str) -> bool:
    return conn.execute("SELECT 1 FROM blobs WHERE sha256 = ?", (sha256,)).fetchone() is not None


def write_chunks(conn, chunks: Iterable[bytes], sha256: str, media_type: str | None) -> int:
    """Store chunks under their (already known) SHA-256, re-checking it on the way in."""
    digest = hashlib.sha256()
    size = 0
    seq = 0
    for chunk in chunks:
        if not chunk:
            continue
        digest.update(chunk)
        size += len(chunk)
        conn.execute(
            "INSERT INTO blob_chunks (sha256, seq, data) VALUES (?, ?, ?)", (sha256, seq, chunk)
        )
        seq += 1
    if digest.hexdigest() != sha256:
        conn.execute("DELETE FROM blob_chunks WHERE sha256 = ?", (sha256,))
        raise InvalidInput(
            f"file changed while it was being stored (SHA-256 {sha256[:12]} "
            f"became {digest.hexdigest()[:12]})"
        )
    conn.execute(
        "INSERT INTO blobs (sha256, size, media_type, chunk_size, chunks, added_at) "
        "VALUES (?,?,?,?,?,?)",
        (sha256, size, media_type, CHUNK_SIZE, seq, now_iso()),
    )
    return size


def _read_chunks(handle: BinaryIO) -> Iterator[bytes]:
    while chunk := handle.read(CHUNK_SIZE):
        yield chunk


def put_file(
    conn: sqlite3.Connection,
    path: str | os.PathLike,
    media_type: str | None = None,
    sha256: str | None = None,
) -> tuple[str, int, bool]:
    """Store a file's bytes; returns (sha256, size, newly_stored).

    Pass the `sha256` computed before the transaction (slow work stays outside it): a file already
    in the case is then not read again. The bytes are re-hashed as they are stored, so a file that
    changed on disk since it was hashed is refused rather than stored under a wrong name.
    """
    try:
        if sha256 is None:
            sha256, _ = sha256_file(path)
        if exists(conn, sha256):
            return sha256, os.path.getsize(path), False
        with open(path, "rb") as handle:
            size = write_chunks(conn, _read_chunks(handle), sha256, media_type)
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read ({exc.strerror or exc})") from None
    return sha256, size, True


def put_bytes(
    conn: sqlite3.Connection, data: bytes, media_type: str | None = None
) -> tuple[str, bool]:
    """Store bytes held in memory; returns (sha256, newly_stored)."""
    sha = hashlib.sha256(data).hexdigest()
    if exists(conn, sha):
        return sha, False
    write_chunks(conn, _read_chunks(io.BytesIO(data)), sha, media_type)
    return sha, True


def info(conn: sqlite3.Connection, sha256: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM blobs WHERE sha256 = ?", (sha256,)).fetchone()


def iter_chunks(conn: sqlite3.Connection, sha256: str) -> Iterator[bytes]:
    """The stored bytes, chunk by chunk, in order."""
    if not exists(conn, sha256):
        raise OsintError(f"stored file {sha256[:12]} is missing from the case")
    for (data,) in conn.execute(
        "SELECT data FROM blob_chunks WHERE sha256 = ? ORDER BY seq", (sha256,)
    ):
        yield bytes(data)


def read_bytes(conn: sqlite3.Connection, sha256: str) -> bytes:
    """The whole stored file in memory (for small files: snapshots' text, thumbnails)."""
    return b"".join(iter_chunks(conn, sha256))


def export(conn: sqlite3.Connection, sha256: str, destination: str | os.PathLike) -> int:
    """Write the stored bytes to a file, byte-identical; the file appears only when complete."""
    from osint.fileio import atomic_output

    digest = hashlib.sha256()
    size = 0
    with atomic_output(destination, binary=True) as handle:
        for chunk in iter_chunks(conn, sha256):
            digest.update(chunk)
            size += len(chunk)
            handle.write(chunk)
        if digest.hexdigest() != sha256:
            raise OsintError(
                f"stored file {sha256[:12]} is damaged (its bytes no longer match their SHA-256); "
                "run osint verify"
            )
    return size


def rehash(conn: sqlite3.Connection, sha256: str) -> tuple[str, int]:
    """(actual SHA-256, size) of the stored bytes, recomputed."""
    digest = hashlib.sha256()
    size = 0
    for (data,) in conn.execute(
        "SELECT data FROM blob_chunks WHERE sha256 = ? ORDER BY seq", (sha256,)
    ):
        digest.update(data)
        size += len(data)
    return digest.hexdigest(), size


def check_all(conn: sqlite3.Connection) -> Iterator[tuple[str, str]]:
    """Re-hash every stored file; yield (sha256, problem) for each that does not match."""
    for row in conn.execute("SELECT sha256, size, chunks FROM blobs ORDER BY sha256").fetchall():
        actual, size = rehash(conn, row["sha256"])
        if actual != row["sha256"] or size != row["size"]:
            yield (
                row["sha256"],
                f"stored file {row['sha256'][:12]} was altered: its bytes now hash to {actual[:12]} "
                f"({size} bytes, {row['size']} recorded)",
            )
