"""Writing output files so that they appear only when complete, never half-written."""

from __future__ import annotations

import contextlib
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
