"""The sun's position, one at a time and over a grid, and the band of places a shadow fits.

    python bench/imagery_sun.py

Prints the time per `sun.position` call, per cell of `sun.grid`, and `shadow.places_at` (the band
of places over the whole Earth) at several grid steps, against the one-call-per-cell loop.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from osint.imagery import shadow, sun

WHEN = datetime(2024, 5, 29, 2, 31, tzinfo=UTC)
READING = shadow.Shadow(ratio=1.0, elevation=45.0, azimuth=200.0, shadow_azimuth=20.0)


def per_call() -> float:
    start = time.perf_counter()
    n = 20_000
    for i in range(n):
        sun.position(-60 + i % 120, -180 + i % 360, WHEN)
    return (time.perf_counter() - start) / n


def loop_band(step: float) -> tuple[int, float]:
    """The band the slow way: one full computation per cell."""
    start = time.perf_counter()
    found = 0
    lat = -90 + step / 2
    while lat < 90:
        lon = -180 + step / 2
        while lon < 180:
            where = sun.position(lat, lon, WHEN)
            if abs(where.elevation - READING.elevation) <= 1.0:
                gap = abs((where.azimuth - READING.azimuth + 180) % 360 - 180)
                found += gap <= 5.0
            lon += step
        lat += step
    return found, time.perf_counter() - start


def main() -> None:
    print(f"sun.position: {per_call() * 1e6:.1f} us per call")
    for step in (1.0, 0.5, 0.1, 0.05):
        start = time.perf_counter()
        cells = shadow.places_at(READING, WHEN, step_degrees=step)
        elapsed = time.perf_counter() - start
        count = round(180 / step) * round(360 / step)
        line = (
            f"places_at step {step:g}: {count:,} cells, {len(cells):,} fit, {elapsed:.2f} s "
            f"({elapsed / count * 1e9:.0f} ns per cell)"
        )
        if step >= 0.5:
            found, slow = loop_band(step)
            line += f"; one call per cell: {found:,} fit, {slow:.2f} s ({slow / elapsed:.0f}x)"
        print(line)


if __name__ == "__main__":
    main()
