"""Writing the case out in other tools' formats, one module per family of formats.

    gis.py     GeoJSON (RFC 7946) and KML layers: places, sightings, AIS tracks as lines
    tables.py  CSV tables (sightings, visits, vessels, places, AIS gaps); features add theirs
               to `tables.CSV_TABLES`

Every writer streams to a temporary file beside the destination and renames it when complete,
so a failed export never leaves half a file under the requested name.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from ..errors import InvalidInput


@contextlib.contextmanager
def atomic_text(destination: str | os.PathLike, newline: str | None = None) -> Iterator:
    """A text file that appears under `destination` only when writing finished without error."""
    destination = Path(destination)
    if destination.is_dir():
        raise InvalidInput(f"-o {destination}: is a folder; give a file name")
    if not destination.parent.exists():
        raise InvalidInput(f"-o {destination}: folder {destination.parent} does not exist")
    partial = destination.with_name(f".{destination.name}.partial")
    try:
        with open(partial, "w", encoding="utf-8", newline=newline) as handle:
            yield handle
        os.replace(partial, destination)
    except OSError as exc:
        raise InvalidInput(f"-o {destination}: cannot write ({exc.strerror or exc})") from None
    finally:
        if partial.exists():
            partial.unlink()
