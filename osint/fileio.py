"""Files in and out: outputs that appear only when complete, inputs hashed as they are read."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
from collections.abc import Iterator
from pathlib import Path

from osint.errors import InvalidInput


@contextlib.contextmanager
def atomic_path(destination: str | os.PathLike, option: str = "-o") -> Iterator[Path]:
    """A temporary path beside `destination`, moved onto it when the block ends without error."""
    destination = Path(destination)
    if destination.is_dir():
        raise InvalidInput(f"{option} {destination}: is a folder; give a file name")
    if not destination.parent.exists():
        raise InvalidInput(f"{option} {destination}: folder {destination.parent} does not exist")
    partial = destination.with_name(f".{destination.name}.{os.getpid()}.partial")
    try:
        yield partial
        os.replace(partial, destination)
    except OSError as exc:
        raise InvalidInput(
            f"{option} {destination}: cannot write ({exc.strerror or exc})"
        ) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()


@contextlib.contextmanager
def atomic_output(
    destination: str | os.PathLike, *, binary: bool = False, newline: str | None = None, option="-o"
):
    """An open file (text UTF-8, or binary) that appears under `destination` only when complete."""
    with atomic_path(destination, option) as partial:
        if binary:
            with open(partial, "wb") as handle:
                yield handle
        else:
            with open(partial, "w", encoding="utf-8", newline=newline) as handle:
                yield handle


READ_SIZE = 1 << 20


class HashingReader(io.RawIOBase):
    """A raw byte stream that hashes (SHA-256) and counts everything read through it, so that
    evidence is read and hashed in one pass."""

    def __init__(self, handle):
        self.handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.handle.close()
        super().close()

    def readinto(self, buffer) -> int:
        count = self.handle.readinto(buffer)
        if count:
            self.digest.update(memoryview(buffer)[:count])
            self.size += count
        return count or 0

    def drain(self) -> None:
        """Hash whatever the reader did not need (trailing bytes), so the hash is the file's."""
        while chunk := self.handle.read(READ_SIZE):
            self.digest.update(chunk)
            self.size += len(chunk)


def open_hashed(path: str | os.PathLike) -> tuple[HashingReader, io.BufferedReader]:
    """(the hashing raw stream, a buffered reader over it) for a file; the caller closes it."""
    raw = HashingReader(open(path, "rb"))  # noqa: SIM115 (closed by the caller)
    return raw, io.BufferedReader(raw, READ_SIZE)
