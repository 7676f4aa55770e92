"""The column layouts of AIS files, detected from their header (never from column order).

Every reader yields raw rows with the same canonical fields, in this order:

    mmsi, time, lat, lon, sog, cog, heading, status, name, imo, call_sign, ship_type, mobile

as text ("" when the file has no such column), plus the row's line number. The layout says which
header spellings give each field and how its times are written. `mobile` is the kind of station
where a provider says it (DMA's `Type of mobile`: Class A, Class B, Base Station, AtoN...).

Providers' own ways of saying "not available" (`Unknown`, `Undefined`, `Unknown value`) and their
navigational statuses written out in words are read here too, so the importer sees one vocabulary.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from osint.errors import InvalidInput

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
    "mobile",
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
_EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)
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
    return (moment - _EPOCH_UTC) // _SECOND


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


_DAY_FIRST = re.compile(
    r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*(Z|UTC)?$"
)
_DMY_CACHE: dict[str, int] = {}


def parse_day_first(text: str) -> int:
    """Epoch seconds of `18/03/2023 00:00:05` (day first, UTC), as the Danish Maritime Authority
    writes them. An ISO 8601 time is accepted too. Raises ValueError."""
    if len(text) == 19 and text[2] == "/" and text[5] == "/" and text[13] == ":":
        base = _DMY_CACHE.get(text[:10])
        if base is None:
            base = _dmy_epoch(text[:2], text[3:5], text[6:10])
            if len(_DMY_CACHE) > 100_000:
                _DMY_CACHE.clear()
            _DMY_CACHE[text[:10]] = base
        hour, minute, second = int(text[11:13]), int(text[14:16]), int(text[17:19])
        if hour > 23 or minute > 59 or second > 59:
            raise ValueError(text)
        return base + hour * 3600 + minute * 60 + second
    value = text.strip()
    match = _DAY_FIRST.match(value)
    if not match:
        return parse_iso_utc(value)
    day, month, year, hour_s, minute_s, second_s, _ = match.groups()
    hour, minute, second = int(hour_s), int(minute_s), int(second_s or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(text)
    return _dmy_epoch(day, month, year) + hour * 3600 + minute * 60 + second


def _dmy_epoch(day: str, month: str, year: str) -> int:
    if not (day.isdigit() and month.isdigit() and year.isdigit()):
        raise ValueError(f"{day}/{month}/{year}")
    return int(datetime(int(year), int(month), int(day), tzinfo=UTC).timestamp())


# ---- "not available" and words for codes ------------------------------------------------------

# What providers write where a value is not known (compared without case or surrounding spaces).
PLACEHOLDERS = frozenset(
    {"", "unknown", "undefined", "unknown value", "not available", "n/a", "na", "nan", "null",
     "none", "-", "--", "?"}
)  # fmt: skip


def is_placeholder(text: str) -> bool:
    return text.strip().casefold() in PLACEHOLDERS


# Navigational status (ITU-R M.1371, message 1): code -> words; 15 is "not defined" (empty here).
NAV_STATUS = {
    0: "under way using engine",
    1: "at anchor",
    2: "not under command",
    3: "restricted manoeuvrability",
    4: "constrained by her draught",
    5: "moored",
    6: "aground",
    7: "engaged in fishing",
    8: "under way sailing",
    9: "reserved for future amendment HSC",
    10: "reserved for future amendment WIG",
    11: "power-driven vessel towing astern",
    12: "power-driven vessel pushing ahead or towing alongside",
    13: "reserved for future use",
    14: "AIS-SART active",
}
_STATUS_WORDS = {
    re.sub(r"[^a-z]", "", words.casefold()): code for code, words in NAV_STATUS.items()
}
_STATUS_WORDS.update(
    {
        "restrictedmanoeuverability": 3,
        "restrictedmaneuverability": 3,
        "restrictedmanoeuvrability": 3,
        "reservedforfutureamendmenthsc": 9,
        "reservedforfutureamendmentwig": 10,
        "aissartisactive": 14,
        "aissart": 14,
        "sartisactive": 14,
    }
)


def status_code(text: str) -> int | None:
    """The navigational status code of `5`, `5.0` or `Moored`; None when not available (15,
    `Unknown value`, `Not defined`) or not a status."""
    value = text.strip()
    if not value:
        return None
    try:
        code = int(float(value))
    except ValueError:
        return _STATUS_WORDS.get(re.sub(r"[^a-z]", "", value.casefold()))
    return code if 0 <= code <= 14 else None


def station_kind(mobile: str) -> str | None:
    """What kind of non-vessel station a provider's `Type of mobile` names; None for vessels (and
    for values that do not say)."""
    key = re.sub(r"[^a-z]", "", mobile.casefold())
    if not key or key.startswith("class") or key in ("vessel", "ship", "undefined", "unknown"):
        return None
    if "base" in key:
        return "base station"
    if key.startswith("aton") or "aidtonav" in key or "aidsto" in key:
        return "aid to navigation"
    if "airborne" in key or "aircraft" in key:
        return "SAR aircraft"
    if "transponder" in key or "sart" in key:
        return "search and rescue transmitter"
    if "overboard" in key or key == "mob":
        return "man overboard device"
    if "epirb" in key:
        return "EPIRB"
    return None


def _mid_known(mid: int) -> bool:
    from osint.maritime.mid import MID

    return mid in MID


def mmsi_kind(text: str) -> str:
    """Why a number is not a vessel's MMSI (for the import summary): the station its form says."""
    value = text.strip()
    if value.lstrip("0") == "":
        return "MMSI 0"
    if len(value) in (7, 8):
        # Written as a number, a coast station's 00MIDxxxx loses its zeros (DMA: 2190064).
        padded = value.zfill(9)
        if padded.startswith("00") and _mid_known(int(padded[2:5])):
            return "base station"
    if len(value) != 9:
        return f"MMSI of {len(value)} digits"
    if value.startswith("00"):
        return "base station"
    if value.startswith("99"):
        return "aid to navigation"
    if value.startswith("111"):
        return "SAR aircraft"
    if value.startswith(("970", "972", "974")):
        return "search and rescue transmitter"
    if value.startswith("98"):
        return "craft associated with a ship"
    if value.startswith("8"):
        return "handheld radio"
    if value.startswith("0"):
        return "group call"
    return "not a ship MMSI"


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
    aliases: tuple[str, ...] = ()  # other names --format accepts

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


# MarineCadastre.gov (NOAA / BOEM) daily files to 2024, served as AIS_YYYY_MM_DD.zip holding one
# CSV: ISO times, IMO written `IMO9739666`, the last column spelt `TranscieverClass` some years.
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
    signature=("time", "lat", "lon"),
    aliases=("mc", "noaa"),
)

# MarineCadastre's 2025 files (ais-YYYY-MM-DD.csv.zst): lower case, longitude BEFORE latitude,
# times `2025-01-01 00:00:00`.
MARINECADASTRE_2025 = Layout(
    name="marinecadastre-2025",
    description="MarineCadastre.gov 2025 (mmsi,base_date_time,longitude,latitude,sog,...), .zst",
    headers={
        "mmsi": ("mmsi",),
        "time": ("base_date_time",),
        "lat": ("latitude",),
        "lon": ("longitude",),
        "sog": ("sog",),
        "cog": ("cog",),
        "heading": ("heading",),
        "status": ("status",),
        "name": ("vessel_name",),
        "imo": ("imo",),
        "call_sign": ("call_sign",),
        "ship_type": ("vessel_type",),
    },
    signature=("time", "lat", "lon"),
    aliases=("mc2025", "noaa-2025"),
)

# Danish Maritime Authority daily files (aisdk-YYYY-MM-DD.zip): the header begins `# Timestamp`,
# times are day first (`18/03/2023 00:00:00`, UTC), `Unknown`/`Undefined` stand for "not
# available", statuses are words, and base stations and aids to navigation are mixed in.
DMA = Layout(
    name="dma",
    description="Danish Maritime Authority aisdk files (# Timestamp,Type of mobile,MMSI,...)",
    headers={
        "mmsi": ("MMSI",),
        "time": ("# Timestamp", "Timestamp"),
        "lat": ("Latitude",),
        "lon": ("Longitude",),
        "sog": ("SOG",),
        "cog": ("COG",),
        "heading": ("Heading",),
        "status": ("Navigational status",),
        "name": ("Name",),
        "imo": ("IMO",),
        "call_sign": ("Callsign",),
        "ship_type": ("Ship type",),
        "mobile": ("Type of mobile",),
    },
    parse_time=parse_day_first,
    signature=("time", "mobile"),
    aliases=("aisdk", "danish"),
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
        "mobile": ("type_of_mobile", "mobile_type", "station_type"),
    },
    aliases=("generic",),
)

# Raw NMEA 0183 sentences (!AIVDM/!AIVDO), read by readers.NmeaReader, not from a header.
NMEA = Layout(
    name="nmea",
    description="raw NMEA sentences (!AIVDM/!AIVDO) with tag-block or leading timestamps",
    headers={},
    aliases=("aivdm", "nmea0183"),
)

# Tried in order: the first whose signature the header carries wins; GENERIC comes last.
LAYOUTS: list[Layout] = [MARINECADASTRE, MARINECADASTRE_2025, DMA, GENERIC]
FORMATS: list[Layout] = [*LAYOUTS, NMEA]


def by_name(name: str) -> Layout:
    key = (name or "").strip().lower()
    for layout in FORMATS:
        if key == layout.name or key in layout.aliases:
            return layout
    raise InvalidInput(
        f"--format: {name!r} is not a known AIS layout (known: {', '.join(x.name for x in FORMATS)})"
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


# Lines read past leading comments and blank lines before giving up on finding the first line.
MAX_PREAMBLE_LINES = 10_000


def is_comment(line: str) -> bool:
    """A `#` line that is a comment, not a header (DMA's header begins `# Timestamp,`): it has no
    two fields a layout knows."""
    text = line.strip()
    if not text.startswith("#"):
        return False
    delimiter = max(",;\t|", key=text.count)
    known = sum(1 for part in text.split(delimiter) if canonical_field(part.strip()))
    return known < 2


def first_line(text) -> tuple[str, int]:
    """(the first line that is data or a header, how many blank and comment lines came before it),
    reading `text` (a text stream) line by line; ("", n) when there is none."""
    skipped = 0
    line = text.readline()
    while line and (not line.strip() or is_comment(line)) and skipped < MAX_PREAMBLE_LINES:
        line = text.readline()
        skipped += 1
    return line, skipped


def _spellings(field_name: str) -> set[str]:
    out = {header_key(field_name)}
    for layout in LAYOUTS:
        out |= {header_key(s) for s in layout.headers.get(field_name, ())}
    return out


def swap_warning(header: list[str], columns: dict[str, int]) -> str | None:
    """A warning when the column read as latitude is named like a longitude, or the other way
    round (a --map that swaps them, or a file whose header does): positions would be mirrored."""
    lat, lon = columns.get("lat"), columns.get("lon")
    if lat is None or lon is None:
        return None
    lat_name, lon_name = header[lat].strip(), header[lon].strip()
    if header_key(lat_name) in _spellings("lon") or header_key(lon_name) in _spellings("lat"):
        return (
            f"latitude is read from column {lat_name!r} and longitude from {lon_name!r}: "
            "latitude and longitude are swapped against the header's names"
        )
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
                f"{', '.join(MARINECADASTRE.headers.get(f, (f,))[0] for f in FIELDS)})"
            )
        keys = [header_key(h) for h in header]
        if header_key(old) not in keys:
            raise InvalidInput(f"--map {old}={new}: {where}has no column {old!r}")
        mapped[canonical] = keys.index(header_key(old))
    candidates = [by_name(forced)] if forced else LAYOUTS
    for layout in candidates:
        # A mapped column is only what the mapping says it is.
        found = {f: i for f, i in layout.columns(header).items() if i not in mapped.values()}
        columns = {**found, **mapped}
        signature_ok = all(f in layout.columns(header) for f in layout.signature) or forced
        if all(f in columns for f in REQUIRED) and signature_ok:
            return layout, columns
    shown = ", ".join(h.strip() for h in header[:20])
    if forced:
        layout = candidates[0]
        columns = {**layout.columns(header), **mapped}
        missing = [f for f in (*REQUIRED, *layout.signature) if f not in columns]
        raise InvalidInput(
            f"{where}not in the {layout.name} layout (--format): no "
            f"{' / '.join(layout.headers.get(f, (f,))[0] for f in missing)} column "
            f"(header: {shown})"
        )
    columns = {**GENERIC.columns(header), **mapped}
    missing = [f for f in REQUIRED if f not in columns]
    raise InvalidInput(
        f"{where}not a recognised AIS layout: no {' / '.join(missing)} column "
        f"(header: {shown}); name the columns with --map COLUMN=FIELD, e.g. --map ts=BaseDateTime"
    )
