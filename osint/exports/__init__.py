"""Writing the case out in other tools' formats, one module per family of formats.

    gis.py     GeoJSON (RFC 7946) and KML layers: places, sightings, AIS tracks as lines
    tables.py  CSV tables (sightings, visits, vessels, places, AIS gaps); features add theirs
               to `tables.CSV_TABLES`

Every writer streams to a temporary file beside the destination and renames it when complete,
so a failed export never leaves half a file under the requested name.
"""

from __future__ import annotations

import os

from ..fileio import atomic_output


def atomic_text(destination: str | os.PathLike, newline: str | None = None):
    """A text file that appears under `destination` only when writing finished without error."""
    return atomic_output(destination, newline=newline)
