"""How numbers read in words and tables: sizes in bytes, coordinates."""

from __future__ import annotations


def size(n: int | float | None, *, decimal: bool = False) -> str:
    """A size in bytes as people read it: "512 bytes", "64 KiB", "1.5 MiB", "2 GiB"; with
    `decimal` (for readers of briefs, as file browsers show sizes) "4.2 kB", "1.5 MB"."""
    if n is None:
        return "?"
    units = (
        (("GB", 1000**3), ("MB", 1000**2), ("kB", 1000))
        if decimal
        else (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024))
    )
    for unit, scale in units:
        if n >= scale:
            value = n / scale
            return f"{value:,.0f} {unit}" if value == int(value) else f"{value:,.1f} {unit}"
    return f"{int(n):,} byte" + ("" if n == 1 else "s")


def coordinates(lat: float | None, lon: float | None, *, hemispheres: bool = False) -> str:
    """ "43.1000,131.0000" (or "43.1000° N, 131.0000° E"); "" when either is unknown."""
    if lat is None or lon is None:
        return ""
    if hemispheres:
        return f"{abs(lat):.4f}° {'N' if lat >= 0 else 'S'}, {abs(lon):.4f}° {'E' if lon >= 0 else 'W'}"
    return f"{lat:.4f},{lon:.4f}"
