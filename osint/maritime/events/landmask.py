"""An offline land mask: the 1 km GLOBE mask shipped by the optional `global-land-mask` package.

The package's own module unpacks its mask into a 933 MB boolean array when imported; this reads
the same file (a NumPy .npz inside the package) as a stream and keeps it packed eight cells to a
byte (117 MB), so the anomaly check stays within its memory budget. The lookup is the package's:
latitude and longitude clipped to the grid, cell index by truncation, "on land" = not ocean.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

PACKAGE = "global_land_mask"
FILENAME = "globe_combined_mask_compressed.npz"
_CACHE: dict[str, object] = {}


def _package_file() -> Path | None:
    if PACKAGE in sys.modules and sys.modules[PACKAGE] is None:
        return None  # explicitly blocked
    try:
        import importlib.util

        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError, AttributeError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / FILENAME
        if path.is_file():
            return path
    return None


def available() -> bool:
    if _package_file() is None:
        return False
    try:
        import numpy  # noqa: F401
    except ImportError:
        return False
    return True


class LandMask:
    def __init__(self, packed, lat, lon):
        self.packed = packed
        self.lat0 = float(lat[0])
        self.dlat = float(lat[1] - lat[0])
        self.lat_lo, self.lat_hi = float(lat.min()), float(lat.max())
        self.lon0 = float(lon[0])
        self.dlon = float(lon[1] - lon[0])
        self.lon_lo, self.lon_hi = float(lon.min()), float(lon.max())

    @classmethod
    def load(cls) -> LandMask | None:
        """The mask, or None when the package (or NumPy) is not installed."""
        path = _package_file()
        if path is None:
            return None
        if "mask" in _CACHE:
            return _CACHE["mask"]  # type: ignore[return-value]
        try:
            import numpy as np
        except ImportError:
            return None
        from numpy.lib import format as npy

        with zipfile.ZipFile(path) as archive:
            with archive.open("lat.npy") as handle:
                lat = npy.read_array(handle)
            with archive.open("lon.npy") as handle:
                lon = npy.read_array(handle)
            with archive.open("mask.npy") as handle:
                version = npy.read_magic(handle)
                if version == (1, 0):
                    shape, fortran, dtype = npy.read_array_header_1_0(handle)
                else:
                    shape, fortran, dtype = npy.read_array_header_2_0(handle)
                if fortran or dtype != np.bool_ or len(shape) != 2:
                    return None
                rows, cols = shape
                packed = np.empty((rows, (cols + 7) // 8), dtype=np.uint8)
                chunk = 256
                for start in range(0, rows, chunk):
                    count = min(chunk, rows - start)
                    data = handle.read(count * cols)
                    block = np.frombuffer(data, dtype=np.bool_).reshape(count, cols)
                    packed[start : start + count] = np.packbits(block, axis=1)
        mask = cls(packed, lat, lon)
        _CACHE["mask"] = mask
        return mask

    def is_land(self, lats, lons):
        """A boolean NumPy array: which of the points are on land."""
        import numpy as np

        lat = np.clip(np.asarray(lats, dtype=float), self.lat_lo, self.lat_hi)
        lon = np.clip(np.asarray(lons, dtype=float), self.lon_lo, self.lon_hi)
        i = ((lat - self.lat0) / self.dlat).astype(int)
        j = ((lon - self.lon0) / self.dlon).astype(int)
        ocean = (self.packed[i, j >> 3] >> (7 - (j & 7))) & 1
        return ocean == 0
