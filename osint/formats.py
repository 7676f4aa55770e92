"""How numbers read in words and tables: sizes in bytes, coordinates."""

from __future__ import annotations


def size(n: int | None) -> str:
    """A size in bytes as people read it: "512 bytes", "4.2 KiB", "1.5 MiB", "2.0 GiB"."""
    if n is None:
        return "?"
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n:,} byte" + ("" if n == 1 else "s")


def coordinates(lat: float | None, lon: float | None, *, hemispheres: bool = False) -> str:
    """ "43.1000,131.0000" (or "43.1000° N, 131.0000° E"); "" when either is unknown."""
    if lat is None or lon is None:
        return ""
    if hemispheres:
        return f"{abs(lat):.4f}° {'N' if lat >= 0 else 'S'}, {abs(lon):.4f}° {'E' if lon >= 0 else 'W'}"
    return f"{lat:.4f},{lon:.4f}"
