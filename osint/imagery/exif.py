"""EXIF as investigators need it: camera, capture time with its UTC offset, GPS, orientation.

Two readers, because each misses what the other finds (exifread reads truncated JPEGs that Pillow
cannot open; Pillow reads the EXIF of WebP and PNG files and of JPEGs whose XMP comes first). Each
reader's tags are brought to one shape (`raw`: standard tag name -> str, int or list of floats,
a zero denominator as NaN), interpreted the same way, and the two interpretations merged field by
field: exifread's value first, Pillow's where exifread has none, and a warning where both have a
value and they disagree. Nothing here trusts a value: every odd one is dropped with a one-line
warning instead of raising.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta, timezone

# Tags whose values are kept in the record's `metadata` (all others too, but these are read).
MAX_METADATA_TAGS = 300
MAX_VALUE_CHARS = 200
_SKIPPED_TAGS = ("MakerNote", "JPEGThumbnail", "TIFFThumbnail", "PrintIM", "ApplicationNotes")

_EXIF_DATETIME = re.compile(
    r"^\s*(\d{4})[:\-/.](\d{1,2})[:\-/.](\d{1,2})[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?"
    r"(?:[.,](\d+))?\s*(Z|[+-]\d{2}:?\d{2})?\s*$"
)
_OFFSET = re.compile(r"^\s*([+-])(\d{2}):?(\d{2})\s*$")


def _number(value) -> float:
    """A rational, int or float as a float; a zero denominator or garbage as NaN."""
    try:
        denominator = getattr(value, "denominator", 1)
        if denominator == 0:
            return math.nan
        return float(value)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return math.nan


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.split(b"\x00", 1)[0].decode("utf-8", errors="replace")
    elif isinstance(value, list | tuple):
        if value and all(isinstance(v, int) for v in value) and all(0 <= v < 256 for v in value):
            return _text(bytes(value))
        value = " ".join(str(v) for v in value)
    text = str(value).replace("\x00", "").strip()
    return text or None


def _numbers(value) -> list[float] | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return [float(b) for b in value]
    if isinstance(value, str):
        try:
            return [float(part) for part in value.replace(",", " ").split()]
        except ValueError:
            return None
    if isinstance(value, list | tuple):
        return [_number(v) for v in value]
    return [_number(value)]


# ---- reader 1: exifread ----------------------------------------------------------------------


def raw_from_exifread(tags: dict) -> tuple[dict, dict]:
    """(raw values by tag name, printable tags for the record) from exifread's result."""
    raw: dict = {}
    printable: dict[str, str] = {}
    for key, tag in tags.items():
        if not hasattr(tag, "values"):
            continue
        group, _, name = key.partition(" ")
        if any(skip in key for skip in _SKIPPED_TAGS):
            continue
        if len(printable) < MAX_METADATA_TAGS:
            try:
                shown = str(tag.printable)
            except Exception:  # printable formatting of a damaged tag
                shown = "?"
            printable[key] = shown[:MAX_VALUE_CHARS]
        if group not in ("Image", "EXIF", "GPS"):
            continue
        values = tag.values
        field_type = getattr(tag, "field_type", 0)
        if field_type == 2 or isinstance(values, str):
            raw.setdefault(name, _text(values))
        elif field_type in (1, 7):
            raw.setdefault(name, list(values) if name.startswith("GPS") else _text(values))
        else:
            raw.setdefault(name, _numbers(values))
    return raw, printable


# ---- reader 2: Pillow ------------------------------------------------------------------------


def raw_from_pillow(exif) -> tuple[dict, dict]:
    """(raw values by tag name, printable tags) from a Pillow `Image.Exif`."""
    from PIL import ExifTags

    raw: dict = {}
    printable: dict[str, str] = {}
    groups = [("Image", dict(exif), ExifTags.TAGS)]
    for ifd, group in ((ExifTags.IFD.Exif, "EXIF"), (ExifTags.IFD.GPSInfo, "GPS")):
        try:
            groups.append(
                (
                    group,
                    dict(exif.get_ifd(ifd)),
                    ExifTags.GPSTAGS if group == "GPS" else ExifTags.TAGS,
                )
            )
        except Exception:  # a damaged sub-IFD: keep what the main IFD gave
            continue
    for group, items, names in groups:
        for tag_id, value in items.items():
            name = names.get(tag_id, f"Tag 0x{tag_id:04X}")
            if name in _SKIPPED_TAGS or name in ("ExifOffset", "GPSInfo"):
                continue
            if isinstance(value, bytes) and len(value) > MAX_VALUE_CHARS:
                continue
            if len(printable) < MAX_METADATA_TAGS:
                printable[f"{group} {name}"] = str(value)[:MAX_VALUE_CHARS]
            if isinstance(value, str) or (isinstance(value, bytes) and not name.startswith("GPS")):
                raw.setdefault(name, _text(value))
            elif isinstance(value, bytes):
                raw.setdefault(name, list(value))
            else:
                raw.setdefault(name, _numbers(value))
    return raw, printable


# ---- interpretation --------------------------------------------------------------------------


def _camera(raw: dict) -> str | None:
    make, model = raw.get("Make"), raw.get("Model")
    make = _text(make) if isinstance(make, str) else None
    model = _text(model) if isinstance(model, str) else None
    if make and model and model.lower().startswith(make.split()[0].lower()):
        return model
    return " ".join(p for p in (make, model) if p) or None


def parse_offset(text) -> str | None:
    """`+09:00` from an EXIF OffsetTime value, or None when it is not one."""
    text = _text(text)
    if not text:
        return None
    match = _OFFSET.match(text)
    if not match:
        return None
    sign, hours, minutes = match.groups()
    if int(hours) > 14 or int(minutes) > 59:
        return None
    return f"{sign}{hours}:{minutes}"


def parse_exif_datetime(text) -> tuple[datetime | None, str | None]:
    """(naive local datetime, offset found inside the value) or (None, None)."""
    text = _text(text)
    if not text:
        return None, None
    match = _EXIF_DATETIME.match(text)
    if not match:
        raise ValueError(f"{text[:40]!r} is not a date")
    year, month, day, hour, minute, second, _, zone = match.groups()
    if int(year) == 0:
        return None, None  # "0000:00:00 00:00:00": the camera's clock was never set
    moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0))
    offset = None
    if zone:
        offset = "+00:00" if zone == "Z" else parse_offset(zone)
    return moment, offset


def _tz(offset: str) -> timezone:
    sign = -1 if offset[0] == "-" else 1
    return timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _gps_coordinate(value, ref, axis: str, warnings: list[str]) -> float | None:
    """Degrees (negative south/west) from a GPS triple and its reference, or None with a reason."""
    limit, positive, negative = (90, "N", "S") if axis == "latitude" else (180, "E", "W")
    parts = _numbers(value) if not isinstance(value, list) else value
    if not parts:
        return None
    if len(parts) > 3 or any(not isinstance(p, float | int) for p in parts):
        warnings.append(f"GPS {axis} has an unexpected form: ignored")
        return None
    if any(math.isnan(p) or math.isinf(p) for p in parts):
        warnings.append(f"GPS {axis} has a zero denominator: ignored")
        return None
    parts = [*parts, 0.0, 0.0][:3]
    degrees, minutes, seconds = parts
    if abs(minutes) >= 60 or abs(seconds) >= 60:
        warnings.append(f"GPS {axis} minutes or seconds out of range: ignored")
        return None
    sign = -1 if degrees < 0 else 1
    result = abs(degrees) + abs(minutes) / 60 + abs(seconds) / 3600
    ref_text = (_text(ref) or "").strip().upper()[:1]
    if ref_text == negative:
        result = -result
    elif ref_text == positive:
        pass
    elif ref_text:
        warnings.append(
            f"GPS {axis} reference {ref_text!r} is not {positive} or {negative}: ignored"
        )
        return None
    else:
        result *= sign
        warnings.append(
            f"GPS {axis} reference missing: read as {positive if sign > 0 else negative}"
        )
    if abs(result) > limit:
        warnings.append(f"GPS {axis} {result:.4f} is out of range: ignored")
        return None
    return round(result, 7)


def _gps_time(raw: dict) -> datetime | None:
    date_text = _text(raw.get("GPSDateStamp"))
    parts = raw.get("GPSTimeStamp")
    if not date_text or not isinstance(parts, list) or len(parts) != 3:
        return None
    if any(math.isnan(p) for p in parts):
        return None
    match = re.match(r"^\s*(\d{4})[:\-](\d{2})[:\-](\d{2})", date_text)
    if not match:
        return None
    try:
        day = datetime(*(int(g) for g in match.groups()), tzinfo=UTC)
        return day + timedelta(hours=parts[0], minutes=parts[1], seconds=int(parts[2]))
    except (ValueError, OverflowError):
        return None


def interpret(raw: dict) -> tuple[dict, list[str]]:
    """The fields a record keeps, from one reader's raw tags; and the warnings met on the way."""
    warnings: list[str] = []
    out: dict = {}
    out["camera"] = _camera(raw)
    orientation = raw.get("Orientation")
    if orientation is not None:
        values = orientation if isinstance(orientation, list) else _numbers(orientation)
        number = values[0] if values else math.nan
        if (
            isinstance(number, float | int)
            and not math.isnan(number)
            and 1 <= number <= 8
            and number == int(number)
        ):
            out["orientation"] = int(number)
        else:
            shown = _text(orientation)
            if isinstance(number, float) and number == number and number == int(number):
                shown = str(int(number))
            warnings.append(f"orientation {shown} is not 1-8: ignored")
    _capture_time(raw, out, warnings)
    gps_moment = _gps_time(raw)
    if gps_moment:
        out["gps_time"] = _utc_text(gps_moment)
    lat = lon = None
    if raw.get("GPSLatitude") is not None or raw.get("GPSLongitude") is not None:
        lat = _gps_coordinate(
            raw.get("GPSLatitude"), raw.get("GPSLatitudeRef"), "latitude", warnings
        )
        lon = _gps_coordinate(
            raw.get("GPSLongitude"), raw.get("GPSLongitudeRef"), "longitude", warnings
        )
        if lat is not None and lon is not None:
            if lat == 0 and lon == 0:
                warnings.append("GPS position 0,0 (null island) is a placeholder: ignored")
            else:
                out["gps_lat"], out["gps_lon"] = lat, lon
        elif (lat is None) != (lon is None):
            warnings.append("GPS has only one of latitude and longitude: ignored")
    altitude = raw.get("GPSAltitude")
    if altitude is not None:
        values = altitude if isinstance(altitude, list) else _numbers(altitude)
        number = values[0] if values else math.nan
        if isinstance(number, float | int) and math.isfinite(number):
            ref = raw.get("GPSAltitudeRef")
            ref_values = ref if isinstance(ref, list) else _numbers(ref)
            below = bool(ref_values) and ref_values[0] == 1
            out["altitude"] = round(-abs(number) if below else number, 2)
        else:
            warnings.append("GPS altitude has a zero denominator: ignored")
    return {k: v for k, v in out.items() if v is not None}, warnings


_CONFLICT_CHECKED = ("taken_local", "taken_offset", "gps_lat", "gps_lon", "camera")


def merge(first: dict, second: dict, names=("exifread", "Pillow")) -> tuple[dict, list[str]]:
    """Field by field: `first` wins, `second` fills gaps; disagreements become warnings."""
    merged = dict(second)
    merged.update(first)
    warnings = []
    for key in _CONFLICT_CHECKED:
        a, b = first.get(key), second.get(key)
        if a is None or b is None:
            continue
        differs = abs(a - b) > 1e-5 if isinstance(a, float) and isinstance(b, float) else a != b
        if differs:
            warnings.append(f"{names[0]} and {names[1]} disagree on {key} ({a} vs {b}): kept {a}")
    return merged, warnings


def finish_time(fields: dict) -> dict:
    """`taken` in UTC and how it was established (`taken_basis`); the camera against GPS.

    The camera's clock with its offset is best. Without an offset, when the file also carries a
    GPS time stamp (UTC) and the difference between the two is a plausible time-zone offset (a
    multiple of 15 minutes within +-14 h, give or take GPS_DRIFT_S), that offset is inferred and
    stored as such (`exif-local+gps-offset`); when it is not, the camera clock is wrong (or the GPS
    fix stale) and the size of the difference is kept (`clock_error_s`, camera minus GPS) and
    shown: the local time is then read as UTC and marked so. The GPS time stamp becomes `taken`
    only when the file gave no capture time at all: it is the time of the last satellite fix,
    which can be hours or days stale (kept as `gps_time`). A save time (IFD0 DateTime, XMP
    ModifyDate) is never a capture time: it stays in `saved_time`.
    """
    gps = fields.get("gps_time")
    gps_moment = datetime.strptime(gps, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) if gps else None
    if fields.get("taken"):
        fields["taken_basis"] = "exif-offset"
        if gps_moment is not None:
            taken = datetime.strptime(fields["taken"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            difference = int((taken - gps_moment).total_seconds())
            if abs(difference) > GPS_DRIFT_S:
                fields["clock_error_s"] = difference
    elif fields.get("taken_local"):
        fields["taken"] = fields["taken_local"] + "Z"
        fields["taken_basis"] = "exif-local-as-utc"
        if gps_moment is not None:
            local = datetime.fromisoformat(fields["taken_local"]).replace(tzinfo=UTC)
            difference = int((local - gps_moment).total_seconds())
            offset = zone_offset_for(difference)
            if offset is not None:
                fields["taken_offset"] = format_offset(offset)
                fields["taken"] = _utc_text(local - timedelta(seconds=offset))
                fields["taken_basis"] = "exif-local+gps-offset"
            else:
                fields["clock_error_s"] = difference
    elif gps:
        fields["taken"] = gps
        fields["taken_basis"] = "gps-clock"
        fields["taken_tag"] = "GPS GPSDateStamp+GPSTimeStamp"
    return fields


# A camera clock and a GPS time stamp may differ by this much (clock drift, a fix seconds old)
# and still be read as the same moment (or as a whole time-zone offset apart).
GPS_DRIFT_S = 120
MAX_ZONE_OFFSET_S = 14 * 3600


def zone_offset_for(difference_s: int, drift_s: int = GPS_DRIFT_S) -> int | None:
    """The time-zone offset (seconds, a multiple of 15 min within +-14 h) that `local - UTC` is,
    give or take `drift_s`; None when the difference is no plausible offset."""
    quarter = round(difference_s / 900) * 900
    if abs(quarter) > MAX_ZONE_OFFSET_S or abs(difference_s - quarter) > drift_s:
        return None
    return quarter


def format_offset(seconds: int) -> str:
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    return f"{sign}{hours:02d}:{rest // 60:02d}"


def describe_difference(seconds: int) -> str:
    """`21 h 58 min 28 s` for a number of seconds (sign dropped)."""
    seconds = abs(int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "min"), (secs, "s")]
    shown = [f"{n} {unit}" for n, unit in parts if n]
    return " ".join(shown[:3]) or "0 s"


# ---- capture and save times, and the tag each came from --------------------------------------

# Capture times, best first: (raw key, offset key, the tag's name as stored in `taken_tag`).
CAPTURE_TAGS = (
    ("DateTimeOriginal", "OffsetTimeOriginal", "EXIF DateTimeOriginal"),
    ("XMP exif:DateTimeOriginal", None, "XMP exif:DateTimeOriginal"),
    ("XMP photoshop:DateCreated", None, "XMP photoshop:DateCreated"),
    ("DateTimeDigitized", "OffsetTimeDigitized", "EXIF DateTimeDigitized (CreateDate)"),
    ("XMP exif:DateTimeDigitized", None, "XMP exif:DateTimeDigitized"),
    ("XMP xmp:CreateDate", None, "XMP xmp:CreateDate"),
)
# Times a program wrote when it saved the file: never a capture time.
SAVE_TAGS = (
    ("DateTime", "OffsetTime", "EXIF DateTime (IFD0, save time)"),
    ("XMP xmp:ModifyDate", None, "XMP xmp:ModifyDate (save time)"),
)


def _read_time(raw: dict, tag: str, offset_tag: str | None, warnings: list[str]):
    """(naive local datetime, offset or None) of one tag, or None (with a warning when odd)."""
    value = raw.get(tag)
    if value is None:
        return None
    label = tag if tag.startswith("XMP ") else f"EXIF {tag}"
    try:
        moment, inline_offset = parse_exif_datetime(value)
    except (ValueError, OverflowError) as exc:
        warnings.append(f"{label} {exc}: ignored")
        return None
    if moment is None:
        return None
    offset = inline_offset
    if offset is None and offset_tag:
        offset = parse_offset(raw.get(offset_tag))
        if raw.get(offset_tag) is not None and offset is None:
            warnings.append(
                f"EXIF {offset_tag} {_text(raw.get(offset_tag))!r} is not an offset: ignored"
            )
    return moment, offset


def _capture_time(raw: dict, out: dict, warnings: list[str]) -> None:
    for tag, offset_tag, name in CAPTURE_TAGS:
        found = _read_time(raw, tag, offset_tag, warnings)
        if found is None:
            continue
        moment, offset = found
        out["taken_local"] = moment.strftime("%Y-%m-%dT%H:%M:%S")
        out["taken_tag"] = name
        if offset:
            out["taken_offset"] = offset
            out["taken"] = _utc_text(moment.replace(tzinfo=_tz(offset)))
        break
    for tag, offset_tag, name in SAVE_TAGS:
        found = _read_time(raw, tag, offset_tag, warnings)
        if found is None:
            continue
        moment, offset = found
        out["saved_time"] = moment.strftime("%Y-%m-%dT%H:%M:%S") + (offset or "")
        out["saved_tag"] = name
        break


# ---- XMP -------------------------------------------------------------------------------------

MAX_XMP_BYTES = 1 << 20
_XMP_SCAN_BYTES = 16 << 20
_XMP_DATES = {
    ("http://ns.adobe.com/exif/1.0/", "DateTimeOriginal"): "XMP exif:DateTimeOriginal",
    ("http://ns.adobe.com/exif/1.0/", "DateTimeDigitized"): "XMP exif:DateTimeDigitized",
    ("http://ns.adobe.com/photoshop/1.0/", "DateCreated"): "XMP photoshop:DateCreated",
    ("http://ns.adobe.com/xap/1.0/", "CreateDate"): "XMP xmp:CreateDate",
    ("http://ns.adobe.com/xap/1.0/", "ModifyDate"): "XMP xmp:ModifyDate",
}
_XMP_START = re.compile(rb"<x:xmpmeta|<x:xapmeta|<rdf:RDF")
_XMP_END = {
    b"<x:xmpmeta": b"</x:xmpmeta>",
    b"<x:xapmeta": b"</x:xapmeta>",
    b"<rdf:RDF": b"</rdf:RDF>",
}


def find_xmp_packet(data: bytes) -> bytes | None:
    """The first XMP packet in a file's bytes (JPEG APP1, TIFF tag 700, PNG iTXt, WebP `XMP `,
    HEIC `mime` item: all keep it as plain UTF-8 text), or None."""
    match = _XMP_START.search(data)
    if not match:
        return None
    end = data.find(_XMP_END[match.group(0)], match.start(), match.start() + MAX_XMP_BYTES)
    if end < 0:
        return None
    return data[match.start() : end + len(_XMP_END[match.group(0)])]


def xmp_from_file(path: str) -> bytes | None:
    with open(path, "rb") as handle:
        return find_xmp_packet(handle.read(_XMP_SCAN_BYTES))


def xmp_dates(packet: bytes | str | None, warnings: list[str] | None = None) -> dict[str, str]:
    """{`XMP exif:DateTimeOriginal`: text, ...} from an XMP packet, read with a parser that
    refuses DTDs and entities (an XMP packet needs neither: one that has them is hostile)."""
    import xml.etree.ElementTree as ET

    if not packet:
        return {}
    if isinstance(packet, str):
        packet = packet.encode("utf-8", errors="replace")
    if len(packet) > MAX_XMP_BYTES:
        if warnings is not None:
            warnings.append("XMP packet larger than 1 MiB: ignored")
        return {}
    if re.search(rb"<!(DOCTYPE|ENTITY)", packet, re.IGNORECASE):
        if warnings is not None:
            warnings.append("XMP packet declares a DTD or entities: ignored")
        return {}
    try:
        root = ET.fromstring(packet)
    except ET.ParseError as exc:
        if warnings is not None:
            warnings.append(f"XMP packet is not well-formed XML ({exc}): ignored")
        return {}
    found: dict[str, str] = {}

    def split(name: str) -> tuple[str, str]:
        if name.startswith("{"):
            namespace, _, local = name[1:].partition("}")
            return namespace, local
        return "", name

    for element in root.iter():
        for attribute, value in element.attrib.items():
            key = _XMP_DATES.get(split(attribute))
            if key and value.strip():
                found.setdefault(key, value.strip())
        key = _XMP_DATES.get(split(element.tag) if isinstance(element.tag, str) else ("", ""))
        if key:
            text = "".join(element.itertext()).strip()
            if text:
                found.setdefault(key, text)
    return found
