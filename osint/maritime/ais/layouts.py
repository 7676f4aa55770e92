"""The column layouts of AIS files, detected from their header (never from column order).

Every reader yields raw rows with the same canonical fields, in this order:

    mmsi, time, lat, lon, sog, cog, heading, status, name, imo, call_sign, ship_type

as text ("" when the file has no such column), plus the row's line number. The layout says which
header spellings give each field and how its times are written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ...errors import InvalidInput

FIELDS = (
    "mmsi",
    "time",
    "lat",
    "lon",
    "sog",
    "cog",
    "heading",
    "status",
    "name",
    "imo",
    "call_sign",
    "ship_type",
)
REQUIRED = ("mmsi", "time", "lat", "lon")


def header_key(name: str) -> str:
    """Header names compared without case, spaces, underscores or a leading '#'."""
    return re.sub(r"[\s_#-]", "", name or "").casefold()


# ---- times ------------------------------------------------------------------------------------

_DAY_CACHE: dict[str, int] = {}


def _day_epoch(day: str) -> int:
    value = _DAY_CACHE.get(day)
    if value is None:
        if len(day) != 10 or day[4] != "-" or day[7] != "-":
            raise ValueError(day)
        value = int(datetime(int(day[:4]), int(day[5:7]), int(day[8:10]), tzinfo=UTC).timestamp())
        if len(_DAY_CACHE) > 100_000:
            _DAY_CACHE.clear()
        _DAY_CACHE[day] = value
    return value


_ISO_TIME = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(Z|z|UTC|[+-]\d{2}:?\d{2})?$"
)
_EPOCH = datetime(1970, 1, 1)
_SECOND = timedelta(seconds=1)
_fromiso = datetime.fromisoformat


def parse_iso_utc(text: str) -> int:
    """Epoch seconds of `2024-03-01T00:00:05` (or with a space, Z, an offset, fractions).

    A time without an offset is UTC, as AIS providers write them; fractions of a second are
    dropped. Digits alone (9 or 10 of them) are taken as epoch seconds. Raises ValueError.
    """
    try:
        moment = _fromiso(text)
    except (ValueError, TypeError):
        return _parse_slow(text)
    if len(text) < 16:
        raise ValueError(text)  # a date alone is not the time of a position report
    if moment.tzinfo is None:
        return (moment - _EPOCH) // _SECOND
    return int((moment.replace(tzinfo=None) - moment.utcoffset() - _EPOCH) // _SECOND)


def _parse_slow(text: str) -> int:
    value = text.strip()
    match = _ISO_TIME.match(value)
    if not match:
        if value.isdigit() and 9 <= len(value) <= 10:
            return int(value)  # epoch seconds, as some exports write them
        raise ValueError(text)
    day, hour, minute, second, offset = match.groups()
    hour, minute, second = int(hour), int(minute), int(second or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(text)
    epoch = _day_epoch(day) + hour * 3600 + minute * 60 + second
    if offset and offset.upper() not in ("Z", "UTC"):
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        epoch -= sign * (int(digits[:2]) * 3600 + int(digits[2:4]) * 60)
    return epoch


# ---- layouts ----------------------------------------------------------------------------------


@dataclass
class Layout:
    name: str
    description: str
    # canonical field -> header spellings (compared with header_key)
    headers: dict[str, tuple[str, ...]]
    parse_time: Callable[[str], int] = parse_iso_utc
    # Whether the layout is recognised only when these fields use exactly its own spellings.
    signature: tuple[str, ...] = field(default_factory=tuple)

    def columns(self, header: Iterable[str]) -> dict[str, int]:
        """canonical field -> column index, for the fields this header has."""
        keys = [header_key(h) for h in header]
        out: dict[str, int] = {}
        for name, spellings in self.headers.items():
            wanted = {header_key(s) for s in spellings}
            for index, key in enumerate(keys):
                if key in wanted:
                    out[name] = index
                    break
        return out

    def recognises(self, header: Iterable[str]) -> bool:
        columns = self.columns(header)
        return all(f in columns for f in (*REQUIRED, *self.signature))


MARINECADASTRE = Layout(
    name="marinecadastre",
    description="MarineCadastre.gov / NOAA AIS (MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,...)",
    headers={
        "mmsi": ("MMSI",),
        "time": ("BaseDateTime",),
        "lat": ("LAT",),
        "lon": ("LON",),
        "sog": ("SOG",),
        "cog": ("COG",),
        "heading": ("Heading",),
        "status": ("Status",),
        "name": ("VesselName",),
        "imo": ("IMO",),
        "call_sign": ("CallSign",),
        "ship_type": ("VesselType",),
    },
    signature=("time",),
)

GENERIC = Layout(
    name="csv",
    description="any CSV whose header names MMSI, a time and a position (common spellings)",
    headers={
        "mmsi": ("MMSI", "mmsi_number", "userid", "user_id"),
        "time": (
            "BaseDateTime",
            "base_date_time",
            "timestamp",
            "time",
            "datetime",
            "date_time",
            "time_utc",
            "utc",
            "received",
            "ts",
        ),
        "lat": ("LAT", "latitude", "y"),
        "lon": ("LON", "lng", "long", "longitude", "x"),
        "sog": ("SOG", "speed", "speed_over_ground"),
        "cog": ("COG", "course", "course_over_ground"),
        "heading": ("Heading", "true_heading", "hdg"),
        "status": ("Status", "nav_status", "navigational_status", "navstatus"),
        "name": ("VesselName", "vessel_name", "name", "shipname", "ship_name"),
        "imo": ("IMO", "imo_number", "imonumber"),
        "call_sign": ("CallSign", "call_sign", "callsign"),
        "ship_type": ("VesselType", "vessel_type", "ship_type", "shiptype", "type"),
    },
)

# Tried in order: the first whose signature the header carries wins; GENERIC comes last.
LAYOUTS: list[Layout] = [MARINECADASTRE, GENERIC]


def by_name(name: str) -> Layout:
    key = (name or "").strip().lower()
    for layout in LAYOUTS:
        if layout.name == key:
            return layout
    raise InvalidInput(
        f"--format: {name!r} is not a known AIS layout (known: {', '.join(x.name for x in LAYOUTS)})"
    )


def canonical_field(name: str) -> str | None:
    """The canonical field a `--map OLD=NEW` target names (`BaseDateTime`, `time`, `LAT`, ...)."""
    key = header_key(name)
    for canonical in FIELDS:
        if key == header_key(canonical):
            return canonical
    for layout in LAYOUTS:
        for canonical, spellings in layout.headers.items():
            if key in {header_key(s) for s in spellings}:
                return canonical
    return None


def detect(
    header: list[str], *, forced: str | None = None, mapping: dict[str, str] | None = None, where=""
) -> tuple[Layout, dict[str, int]]:
    """The layout of a file and the column index of each canonical field it has.

    `mapping` ({file's column: canonical field}) renames columns first, for other layouts.
    """
    mapped: dict[str, int] = {}
    for old, new in (mapping or {}).items():
        canonical = canonical_field(new)
        if canonical is None:
            raise InvalidInput(
                f"--map {old}={new}: {new!r} is not an AIS field (use one of: "
                f"{', '.join(MARINECADASTRE.headers[f][0] for f in FIELDS)})"
            )
        keys = [header_key(h) for h in header]
        if header_key(old) not in keys:
            raise InvalidInput(f"--map {old}={new}: {where}has no column {old!r}")
        mapped[canonical] = keys.index(header_key(old))
    candidates = [by_name(forced)] if forced else LAYOUTS
    for layout in candidates:
        columns = {**layout.columns(header), **mapped}
        signature_ok = all(f in layout.columns(header) for f in layout.signature) or forced
        if all(f in columns for f in REQUIRED) and signature_ok:
            return layout, columns
    columns = {**GENERIC.columns(header), **mapped}
    missing = [f for f in REQUIRED if f not in columns]
    shown = ", ".join(h.strip() for h in header[:20])
    raise InvalidInput(
        f"{where}not a recognised AIS layout: no {' / '.join(missing)} column "
        f"(header: {shown}); name the columns with --map COLUMN=FIELD, e.g. --map ts=BaseDateTime"
    )
