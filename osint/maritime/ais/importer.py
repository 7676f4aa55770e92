"""`osint ais import`: AIS position reports into the case, streamed, checked, deduplicated.

One pass over the file, in constant memory: bytes are hashed as they are decompressed and parsed;
each row is checked (MMSI, time, position), cleaned ("not available" values become empty),
filtered, and inserted in chunks with `executemany`, all in one transaction. Every row read lands
in exactly one count:

    read = kept + duplicate + invalid + not a vessel + no position + filtered out

- kept: a new position report, stored;
- duplicate: the same report (MMSI, time, lat, lon) heard again in this file (receivers
  rebroadcast), or already stored (a re-imported or overlapping file);
- invalid: a row that cannot be read (line number and reason kept);
- not a vessel: base stations, aids to navigation, SAR aircraft, MMSI 0 or not 9 digits;
- no position: a report whose position is "not available" (91/181, 0,0 or empty), an NMEA static
  or other message; its static data (name, IMO, call sign) still feeds the vessel records;
- filtered out: outside --bbox / --near, --from/--to, --mmsi / --vessel (counted per filter).

The audited import record names the file, its SHA-256, those counts with their breakdown, and the
digest of the rows it inserted.

Speed: `_stream` is one flat loop whose common path (a clean row) does only what it must, in the
order that discards rows soonest (position and area first, as a --bbox keeps a small share of a
sea); anything unusual goes to `Cleaner.row`, the reference path that classifies every row and
which the common path must agree with (a test checks it).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from osint import ids
from osint.case import kinds, records
from osint.case.store import blobs
from osint.errors import InvalidInput
from osint.maritime import places as place_lib
from osint.maritime.ais import layouts, readers, store, tracks
from osint.timeutil import bound, from_epoch, to_epoch

NAN = store.NAN
CHUNK = 20_000
# Tests set this to send every row through the reference path (Cleaner.row) instead of the fast
# path, to check that the two agree.
REFERENCE_ONLY = False
SAMPLE = 20  # invalid rows kept (line and reason) in the import record
_MISSING = object()


@dataclass
class ImportOptions:
    layout: str | None = None  # force a layout by name (--format)
    mapping: dict[str, str] = field(default_factory=dict)  # --map OLD=NEW
    bbox: tuple[float, float, float, float] | None = None  # S, W, N, E
    near: str | None = None  # a place: keep rows within its radius (or radius_km)
    radius_km: float | None = None
    start: str | None = None  # --from
    end: str | None = None  # --to
    mmsis: list[str] = field(default_factory=list)
    vessels: list[str] = field(default_factory=list)  # --vessel: their MMSIs
    keep_file: bool = False  # store the original file in the case too
    note: str | None = None


def parse_bbox(text: str, name: str = "--bbox") -> tuple[float, float, float, float]:
    """`S,W,N,E` in decimal degrees; W > E means the box crosses the antimeridian."""
    try:
        south, west, north, east = (float(p) for p in text.replace(" ", "").split(","))
    except ValueError:
        raise InvalidInput(f"{name}: {text!r} is not S,W,N,E in decimal degrees") from None
    if not (-90 <= south < north <= 90 and -180 <= west <= 180 and -180 <= east <= 180):
        raise InvalidInput(f"{name}: {text!r} is not S,W,N,E (south below north, within range)")
    return south, west, north, east


def parse_mapping(values) -> dict[str, str]:
    out = {}
    for value in values or ():
        old, eq, new = value.partition("=")
        if not eq or not old.strip() or not new.strip():
            raise InvalidInput(f"--map: {value!r} is not COLUMN=FIELD (e.g. ts=BaseDateTime)")
        out[old.strip()] = new.strip()
    return out


# ---- what the rows amount to ------------------------------------------------------------------


class Intake:
    """The counts of one import, and the static data heard per MMSI.

    Readers that learn something no row carries (an NMEA static report, a sentence that does not
    decode, a message without a position) report it here; the importer's loop reports the rest.
    """

    def __init__(self) -> None:
        self.read = 0  # rows reported here (the loop counts its own)
        self.invalid = 0
        self.reasons: Counter = Counter()
        self.sample: list[str] = []
        self.not_vessel: Counter = Counter()
        self.no_position: Counter = Counter()
        self.statics: dict[int, tracks.Static] = {}
        self.swapped = 0  # rows whose latitude is out of range but would pass as a longitude
        self.swapped_line: str | None = None

    def bad(self, line: int, reason: str, category: str = "malformed row") -> None:
        self.invalid += 1
        self.reasons[category] += 1
        if len(self.sample) < SAMPLE:
            self.sample.append(f"line {line}: {reason}")

    def invalid_row(self, line: int, reason: str, category: str = "malformed row") -> None:
        """A row the reader could not read (counted as read and invalid)."""
        self.read += 1
        self.bad(line, reason, category)

    def positionless(self, kind: str) -> None:
        """A message without a position, read for what else it says (counted as read)."""
        self.read += 1
        self.no_position[kind] += 1

    def static(self, mmsi: int, epoch: int, name="", imo="", call_sign="", ship_type="") -> None:
        """Static data (name, IMO, call sign, type) an MMSI broadcast at `epoch`."""
        holder = self.statics.get(mmsi)
        if holder is None:
            holder = self.statics[mmsi] = tracks.Static()
        holder.heard(name, imo, call_sign, ship_type, epoch)


class Filters:
    """The --bbox / --near / --from / --to / --mmsi / --vessel filters, applied while streaming."""

    def __init__(self, conn: sqlite3.Connection, options: ImportOptions):
        self.description: dict = {}
        self.removed: Counter = Counter()
        self.bbox = options.bbox
        if self.bbox:
            self.description["bbox"] = list(self.bbox)
        self.circle = None
        if options.near:
            place = place_lib.find_place(conn, options.near)
            radius = (
                options.radius_km * 1000 if options.radius_km else (place["radius_m"] or 1000.0)
            )
            from osint.maritime.geo import Circle

            self.circle = Circle(place["lat"], place["lon"], radius)
            self.description["near"] = {
                "place": place["id"],
                "name": place["name"],
                "radius_m": radius,
            }
        elif options.radius_km:
            raise InvalidInput("--radius-km needs --near PLACE")
        if options.radius_km is not None and not options.radius_km > 0:
            raise InvalidInput(f"--radius-km: {options.radius_km} is not a distance above 0")
        # The box rows must fall in before anything else is read of them.
        self.box = self.bbox or (self.circle.bbox() if self.circle else None)
        self.box_name = "bbox" if self.bbox else "near"
        self.start = to_epoch(bound(options.start, "--from")) if options.start else None
        self.end = to_epoch(bound(options.end, "--to", end=True)) if options.end else None
        if self.start is not None:
            self.description["from"] = from_epoch(self.start)
        if self.end is not None:
            self.description["to"] = from_epoch(self.end)
        if self.start is not None and self.end is not None and self.end < self.start:
            raise InvalidInput("--to is before --from")
        self.mmsis: set[int] | None = None
        wanted: set[int] = set()
        for value in options.mmsis or ():
            text = value.strip()
            if not (text.isdigit() and len(text) == 9):
                raise InvalidInput(f"--mmsi: {value!r} is not a 9-digit MMSI")
            wanted.add(int(text))
        if wanted:
            self.description["mmsi"] = sorted(f"{m:09d}" for m in wanted)
        if options.vessels:
            described = []
            for ref in options.vessels:
                vessel = records.resolve(conn, ref, ["vessel"])[1]
                found = vessel_mmsis(conn, vessel["id"])
                if not found:
                    raise InvalidInput(
                        f"--vessel {ref}: no MMSI is known for vessel {vessel['id'][:8]} "
                        f"({vessel['name']}); give it one (osint edit {vessel['id'][:8]} --set "
                        "mmsi=...) or filter with --mmsi"
                    )
                wanted |= found
                described.append(
                    {"vessel": vessel["id"], "name": vessel["name"], "mmsi": sorted(found)}
                )
            self.description["vessel"] = described
        if wanted:
            self.mmsis = wanted
        self.mmsi_name = (
            "mmsi/vessel"
            if options.mmsis and options.vessels
            else ("vessel" if options.vessels else "mmsi")
        )
        self.timed = self.start is not None or self.end is not None
        self.lo = self.start if self.start is not None else -(2**62)
        self.hi = self.end if self.end is not None else 2**62
        self.active = bool(self.description)

    def outside_area(self, lat: float, lon: float) -> str | None:
        """The filter a position falls outside of, or None."""
        if self.bbox and not _in_box(self.bbox, lat, lon):
            return "bbox"
        if self.circle and not self.circle.contains(lat, lon):
            return "near"
        return None


def _in_box(box, lat: float, lon: float) -> bool:
    south, west, north, east = box
    inside_lon = west <= lon <= east if west <= east else (lon >= west or lon <= east)
    return south <= lat <= north and inside_lon


def vessel_mmsis(conn: sqlite3.Connection, vessel_id: str) -> set[int]:
    """The MMSIs a vessel is known by: its own and those of the AIS tracks linked to it."""
    found = set()
    row = conn.execute("SELECT mmsi FROM vessels WHERE id = ?", (vessel_id,)).fetchone()
    if row and row[0] and str(row[0]).isdigit():
        found.add(int(row[0]))
    for (mmsi,) in conn.execute(
        "SELECT DISTINCT mmsi FROM ais_tracks WHERE vessel = ? AND retracted_at IS NULL",
        (vessel_id,),
    ):
        if mmsi and str(mmsi).isdigit():
            found.add(int(mmsi))
    return found


# ---- the reference path -----------------------------------------------------------------------


def _number(text: str) -> float:
    """A number as providers write it: `56.1`, ` 56.1 `, or with a decimal comma `56,1`."""
    try:
        return float(text)
    except ValueError:
        value = text.strip()
        if value.count(",") == 1 and "." not in value:
            return float(value.replace(",", "."))
        raise


class Cleaner:
    """Classifies one row completely: the reference for what the fast loop does.

    `row(fields, line)` returns the tuple to store, or None when the row was counted elsewhere
    (invalid, not a vessel, no position, filtered out).
    """

    def __init__(self, reader, filters: Filters, intake: Intake):
        self.parse_time = reader.parse_time
        self.filters = filters
        self.intake = intake
        self.mobile_kinds: dict[str, str | None] = {}
        self.statuses: dict[str, float] = {}

    def mobile_kind(self, text: str) -> str | None:
        kind = self.mobile_kinds.get(text, _MISSING)
        if kind is _MISSING:
            kind = layouts.station_kind(text) if text else None
            if len(self.mobile_kinds) < 10_000:
                self.mobile_kinds[text] = kind
        return kind

    def status(self, text: str) -> float:
        code = self.statuses.get(text)
        if code is None:
            found = layouts.status_code(text)
            code = NAN if found is None else found
            if len(self.statuses) < 10_000:
                self.statuses[text] = code
        return code

    def row(self, fields, line: int):
        (mmsi_s, time_s, lat_s, lon_s, sog_s, cog_s, hdg_s, st_s,
         name_s, imo_s, cs_s, type_s, mobile_s) = fields  # fmt: skip
        intake, filters = self.intake, self.filters
        # 1. the position: not available, unreadable, out of range, or a place
        no_position = None
        lat = lon = None
        if not lat_s.strip() and not lon_s.strip():
            no_position = "position not available (empty)"
        else:
            try:
                lat = _number(lat_s)
                lon = _number(lon_s)
            except ValueError:
                if layouts.is_placeholder(lat_s) and layouts.is_placeholder(lon_s):
                    no_position = "position not available (empty)"
                else:
                    label, value = ("latitude", lat_s) if lat is None else ("longitude", lon_s)
                    reason = (
                        f"{label} {value!r} is not a number" if value.strip() else f"no {label}"
                    )
                    intake.bad(line, reason, "position value")
                    return None
        if lat is not None:
            if lat == 91.0 or lon == 181.0:
                no_position = "position not available (91/181)"
            elif lat == 0.0 and lon == 0.0:
                no_position = "position 0,0 (no fix)"
            elif lat != lat or lon != lon:
                no_position = "position not available (NaN)"
            elif not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
                if abs(lat) > 90.0 and abs(lat) <= 180.0 and abs(lon) <= 90.0:
                    intake.swapped += 1
                    if intake.swapped_line is None:
                        intake.swapped_line = (
                            f"line {line}: latitude {lat_s.strip()}, longitude {lon_s.strip()}"
                        )
                    reason = (
                        f"latitude {lat_s.strip()} is out of range and longitude "
                        f"{lon_s.strip()} would be a latitude: latitude and longitude swapped?"
                    )
                else:
                    reason = f"lat/lon {lat_s.strip()},{lon_s.strip()} out of range"
                intake.bad(line, reason, "position value")
                return None
            elif filters.box:
                outside = filters.outside_area(lat, lon)
                if outside:
                    filters.removed[outside] += 1
                    return None
        # 2. the station
        text = mmsi_s.strip()
        if not text.isdigit():
            intake.bad(
                line, f"MMSI {mmsi_s!r} is not a number" if text else "no MMSI", "MMSI value"
            )
            return None
        mmsi = int(text)
        if filters.mmsis is not None and mmsi not in filters.mmsis:
            filters.removed[filters.mmsi_name] += 1
            return None
        kind = self.mobile_kind(mobile_s)  # what the provider says the station is comes first
        if kind is None and (not 200_000_000 <= mmsi <= 799_999_999 or len(text) != 9):
            kind = layouts.mmsi_kind(text)
        if kind is not None:
            intake.not_vessel[kind] += 1
            return None
        # 3. the time
        try:
            epoch = self.parse_time(time_s)
        except (ValueError, OverflowError):
            value = time_s.strip()
            reason = f"time {time_s!r} is not a date and time" if value else "no time"
            if "/" in value and self.parse_time is not layouts.parse_day_first:
                reason += " (day/month/year? --format dma reads day-first times)"
            intake.bad(line, reason, "time value")
            return None
        if filters.timed and not filters.lo <= epoch <= filters.hi:
            filters.removed["from/to"] += 1
            return None
        if no_position:
            intake.no_position[no_position] += 1
            intake.static(mmsi, epoch, name_s, imo_s, cs_s, type_s)
            return None
        # 4. the rest: unreadable or "not available" values become empty
        sog, cog, heading = (_optional(sog_s), _optional(cog_s), _optional(hdg_s))
        if not 0.0 <= sog < 102.2:  # 102.3 not available (1023 raw), 102.2 means "102.2 or more"
            sog = NAN
        if not 0.0 <= cog < 360.0:  # 360 not available (3600 raw)
            cog = NAN
        if heading == heading:
            heading = int(heading) if heading == int(heading) and 0 <= heading < 360 else NAN
        status = self.status(st_s)
        return mmsi, epoch, lat, lon, sog, cog, heading, status, (name_s, imo_s, cs_s, type_s)


def _optional(text: str) -> float:
    if not text:
        return NAN
    try:
        value = _number(text)
    except ValueError:
        return NAN
    return value if value == value else NAN


# ---- the import -------------------------------------------------------------------------------


def import_file(case, path, options: ImportOptions | None = None) -> dict:
    """Import one AIS file; returns a summary (the import record, counts, samples, tracks)."""
    options = options or ImportOptions()
    path = Path(path)
    conn = case.conn
    filters = Filters(conn, options)
    opened, reader = readers.open_reader(path, forced=options.layout, mapping=options.mapping)
    import_id = ids.new_id()
    intake = Intake()
    warnings = list(getattr(reader, "warnings", []))

    try:
        with case.writing():
            cache = conn.execute("PRAGMA cache_size").fetchone()[0]
            conn.execute("PRAGMA cache_size=-65536")  # 64 MiB: the key index stays in memory
            try:
                batch, last_id = store.new_batch(conn, import_id)
                first_row = last_id + 1
                digest = hashlib.sha256()
                deferred = store.defer_key_index(conn)
                if deferred:  # rows are appended, then sorted once: a small cache does it best
                    conn.execute("PRAGMA cache_size=-16384")
                counts = _stream(conn, reader, filters, batch, intake, digest)
                if deferred:
                    repeated = store.build_key_index(conn, first_row)
                    if repeated:  # far-apart repeats: the digest is of the rows that stayed
                        counts["duplicate_in_file"] += repeated
                        counts["offered"] -= repeated
                        last = conn.execute("SELECT max(id) FROM ais_positions").fetchone()[0]
                        digest_hex, _ = store.batch_digest(conn, batch, first_row, last)
                        digest = _Fixed(digest_hex)
                last_id = conn.execute("SELECT coalesce(max(id), 0) FROM ais_positions").fetchone()[
                    0
                ]
            finally:
                conn.execute(f"PRAGMA cache_size={int(cache)}")
            warnings += _swap_checks(path, intake, filters, counts, reader.column_map())
            sha256, size = opened.finish()
            earlier = [
                {k: e[k] for k in ("id", "filename", "added_at", "added_by")}
                for e in records.earlier_imports(conn, "ais-import", sha256)
            ]
            summaries = conn.execute(
                "SELECT mmsi, count(*), min(epoch), max(epoch), min(lat), max(lat), min(lon), "
                "max(lon) FROM ais_positions WHERE id >= ? GROUP BY mmsi ORDER BY mmsi",
                (first_row,),
            ).fetchall()
            inserted = sum(s[1] for s in summaries)
            conn.execute(
                "UPDATE ais_batches SET first_row = ?, last_row = ? WHERE batch = ?",
                (first_row if inserted else None, last_id if inserted else None, batch),
            )
            first_epoch = min((s[2] for s in summaries), default=None)
            last_epoch = max((s[3] for s in summaries), default=None)
            stored_sha = None
            if options.keep_file:
                stored_sha, _, _ = blobs.put_file(conn, path, sha256=sha256)
            filters_json = dict(filters.description)
            if filters.removed:
                filters_json["removed"] = dict(filters.removed)
            duplicates = {
                # repeats the importer's window (or the key index's first build) caught
                "heard again in this file": counts["duplicate_in_file"],
                # rows the key index turned away: in the case before, or earlier in this file
                "already stored": counts["offered"] - inserted,
            }
            details = {
                "invalid": dict(intake.reasons),
                "not_vessel": dict(intake.not_vessel),
                "no_position": dict(intake.no_position),
                "duplicate": duplicates,
                "filtered": dict(filters.removed),
            }
            if summaries:
                details["area"] = {
                    "south": min(s[4] for s in summaries),
                    "north": max(s[5] for s in summaries),
                    "west": min(s[6] for s in summaries),
                    "east": max(s[7] for s in summaries),
                }
            if warnings:
                details["warnings"] = warnings
            read = counts["read"] + intake.read
            import_row = records.create(
                case,
                "ais-import",
                {
                    "filename": path.name,
                    "sha256": sha256,
                    "size": size,
                    "layout": reader.layout.name
                    + (f" ({opened.compression})" if opened.compression != "none" else ""),
                    "column_map": json.dumps(reader.column_map(), ensure_ascii=False),
                    "filters": json.dumps(filters_json, ensure_ascii=False)
                    if filters_json
                    else None,
                    "rows_read": read,
                    "rows_kept": inserted,
                    "rows_duplicate": sum(duplicates.values()),
                    "rows_invalid": intake.invalid,
                    "rows_not_vessel": sum(intake.not_vessel.values()),
                    "rows_no_position": sum(intake.no_position.values()),
                    "rows_filtered": sum(filters.removed.values()),
                    "invalid_sample": json.dumps(intake.sample, ensure_ascii=False)
                    if intake.sample
                    else None,
                    "rows_digest": digest.hexdigest(),
                    "first_time": from_epoch(first_epoch) if first_epoch is not None else None,
                    "last_time": from_epoch(last_epoch) if last_epoch is not None else None,
                    "tracks": len(summaries),
                    "vessels_created": 0,
                    "stored_sha256": stored_sha,
                    "details": json.dumps(details, ensure_ascii=False),
                    "note": options.note,
                },
                added_from=f"{path.name} sha256:{sha256}",
                record_id=import_id,
            )
            track_rows, created, link_warnings = tracks.link_tracks(
                case, import_row, summaries, intake.statics
            )
            warnings += link_warnings
            if created:
                import_row, _ = records.update_fields(
                    case,
                    kinds.get("ais-import"),
                    import_row,
                    {"vessels_created": len(created)},
                    "update",
                )
    except readers.DECODE_ERRORS as exc:
        raise InvalidInput(readers.damaged_message(opened, exc)) from None
    finally:
        opened.close()
    return {
        "import": import_row,
        "invalid_reasons": dict(intake.reasons),
        "invalid_sample": intake.sample,
        "not_vessel": dict(intake.not_vessel),
        "no_position": dict(intake.no_position),
        "duplicates": duplicates,
        "details": details,
        "tracks": track_rows,
        "vessels_created": created,
        "earlier_imports": earlier,
        "filters": filters_json,
        "warnings": warnings,
    }


# Refuse a file whose latitudes are out of range when at least this share of its positioned rows
# would be fine with latitude and longitude swapped (and at least SWAP_MIN of them).
SWAP_SHARE = 0.5
SWAP_MIN = 1


def _swap_checks(
    path, intake: Intake, filters: Filters, counts: Counter, columns: dict | None = None
) -> list[str]:
    """A lat/lon swap must not pass unnoticed: refuse a file that reads as swapped, and warn when
    a filter would keep more rows with latitude and longitude swapped than as read."""
    # Rows with a position in range (whatever else became of them), and the swapped-looking ones.
    read = counts["read"] + intake.read
    in_range = read - intake.invalid - sum(intake.no_position.values())
    positioned = in_range + intake.swapped
    lat_name = (columns or {}).get("lat", "LATITUDE_COLUMN")
    lon_name = (columns or {}).get("lon", "LONGITUDE_COLUMN")
    if intake.swapped >= SWAP_MIN and intake.swapped >= SWAP_SHARE * max(positioned, 1):
        raise InvalidInput(
            f"{path}: latitude and longitude look swapped: {intake.swapped:,} of {positioned:,} "
            f"positions have a latitude outside ±90 that would be a valid longitude "
            f"({intake.swapped_line}); check the layout, or read each column as the other with "
            f"--map {lat_name}=LON --map {lon_name}=LAT; nothing was imported"
        )
    warnings = []
    if intake.swapped:
        warnings.append(
            f"{intake.swapped:,} rows have latitude and longitude swapped, it seems "
            f"(first: {intake.swapped_line}); they are counted as invalid"
        )
    inside = in_range - sum(filters.removed.values())
    mirrored = counts["box_mirrored"]
    if filters.box and mirrored >= 10 and mirrored > 2 * inside:
        warnings.append(
            f"{mirrored:,} rows outside --{filters.box_name} would fall inside it with latitude "
            f"and longitude swapped ({inside:,} inside as read): check that the file's latitude "
            "and longitude columns are what their names say"
        )
    return warnings


def _stream(conn, reader, filters: Filters, batch: int, intake: Intake, digest) -> Counter:
    """The hot loop: raw rows -> checked, cleaned, filtered tuples -> executemany in chunks.

    Returns counts: rows read by the loop, positioned rows, rows offered for insertion,
    duplicates dropped within the file, rows outside the box that would be inside it swapped.
    Kept as one flat loop over the reader's rows: at millions of rows every operation counts.
    """
    import csv
    from operator import itemgetter

    sql = store.insert_sql(batch)
    reference = REFERENCE_ONLY
    cleaner = Cleaner(reader, filters, intake)
    parse_time = reader.parse_time
    pick = reader.pick
    width = reader.width
    pads = reader.pads
    line = reader.line
    ilat, ilon = reader.lat_index, reader.lon_index
    where = dict(zip(layouts.FIELDS, reader.indices, strict=True))
    i_mmsi, i_time, i_mobile = where["mmsi"], where["time"], where["mobile"]
    pick_numbers = itemgetter(*(where[f] for f in ("sog", "cog", "heading", "status")))
    pick_static = itemgetter(*(where[f] for f in ("name", "imo", "call_sign", "ship_type")))
    statics = intake.statics
    Static = tracks.Static
    mobile_kinds = cleaner.mobile_kinds
    statuses = cleaner.statuses
    slow = cleaner.row
    removed = filters.removed
    box = filters.box
    if box:
        south, west, north, east = box
        wraps = west > east  # the box crosses the antimeridian
    contains = filters.circle.contains if filters.circle else None
    mmsis = filters.mmsis
    timed = filters.timed
    lo, hi = filters.lo, filters.hi
    chunk: list[tuple] = []
    append = chunk.append
    recent: set = set()
    older: set = set()
    read = offered = in_file = outside = mirrored = 0
    window, quiet, caught = True, 0, 0  # the in-file repeat window (see flush)
    last_time = None
    epoch = 0
    nan = NAN
    last_id = conn.execute("SELECT coalesce(max(id), 0) FROM ais_positions").fetchone()[0]

    def flush() -> None:
        nonlocal last_id, offered, recent, older, window, quiet, caught
        offered += len(chunk)
        before = conn.total_changes
        conn.executemany(sql, chunk)
        inserted = conn.total_changes - before
        if inserted == len(chunk):
            store.digest_update(digest, chunk)
        elif inserted:
            store.digest_update_stored(digest, store.rows_after(conn, last_id))
        last_id += inserted
        # The window of recent reports: receivers repeat a report within seconds, not chunks.
        # A file that repeats nothing in two chunks (MarineCadastre's) goes on without it; the key
        # index still stores each report once, and the window comes back if the index meets one.
        if window:
            quiet = quiet + 1 if in_file == caught else 0
            caught = in_file
            older, recent = recent, set()
            if quiet >= 2:
                window = False
                older, recent = set(), set()
        elif inserted < len(chunk):
            window, quiet, caught = True, 0, in_file
        chunk.clear()

    def keep_slow(row) -> None:
        """Store what the reference path returns for a row, if anything."""
        nonlocal in_file
        result = slow(pick(row), line())
        if result is None:
            if intake.swapped > 1000 and intake.swapped > (read + outside) // 2:
                raise _Swapped()  # plainly swapped: no need to read the rest
            return
        mmsi, epoch_, lat_, lon_, sog, cog, heading, status, static = result
        if window:
            key = (mmsi, epoch_, lat_, lon_)
            if key in recent or key in older:
                in_file += 1
                return
            recent.add(key)
        holder = statics.get(mmsi)
        if holder is None:
            holder = statics[mmsi] = Static()
        if holder.raw != static:
            holder.raw = static
            holder.heard(*static, epoch_)
        elif epoch_ > holder.last:
            holder.last = epoch_
        append((mmsi, epoch_, lat_, lon_, sog, cog, heading, status))
        if len(chunk) >= CHUNK:
            flush()

    reader.begin(intake)
    raw = reader.raw()
    try:
        while True:
            try:
                if reference:  # tests: every row through the reference path
                    for row in raw:
                        if len(row) != width:
                            problem = reader.malformed(row)
                            if problem:
                                read += 1
                                intake.bad(line(), *problem)
                            continue
                        read += 1
                        if pads:
                            row.append("")
                        keep_slow(row)
                    break
                for row in raw:
                    if len(row) != width:
                        problem = reader.malformed(row)
                        if problem:
                            read += 1
                            intake.bad(line(), *problem)
                        continue
                    try:
                        lat = float(row[ilat])
                        lon = float(row[ilon])
                    except ValueError:
                        read += 1
                        if pads:
                            row.append("")
                        keep_slow(row)
                        continue
                    if box:
                        # Most rows of a sea fall outside the box: they cost no more than this.
                        if not (
                            south <= lat <= north
                            and ((lon >= west or lon <= east) if wraps else west <= lon <= east)
                        ):
                            if -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0 and (lat or lon):
                                outside += 1  # counted as read at the end
                                if south <= lon <= north and west <= lat <= east:
                                    mirrored += 1
                                continue
                            read += 1
                            if pads:
                                row.append("")
                            keep_slow(row)
                            continue
                        read += 1
                        if pads:
                            row.append("")
                        if contains is not None and not contains(lat, lon):
                            if lat == 91.0 or lon == 181.0 or not (lat or lon):
                                keep_slow(row)
                                continue
                            removed["near"] += 1
                            continue
                    else:
                        read += 1
                        if pads:
                            row.append("")
                        if (
                            not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0)
                            or (lat == 0.0 and lon == 0.0)
                            or lat == 91.0
                        ):
                            keep_slow(row)
                            continue
                    mmsi_s = row[i_mmsi]
                    try:
                        mmsi = int(mmsi_s)
                    except ValueError:
                        keep_slow(row)
                        continue
                    if mmsis is not None and mmsi not in mmsis:
                        if mmsi_s.strip().isdigit():
                            removed[filters.mmsi_name] += 1
                        else:
                            keep_slow(row)
                        continue
                    mobile_s = row[i_mobile]
                    if (
                        not 200_000_000 <= mmsi <= 799_999_999
                        or len(mmsi_s) != 9
                        or (mobile_s and mobile_kinds.get(mobile_s, 1) is not None)
                        or lat == 91.0  # with a box reaching 91: not available
                        or (lat == 0.0 and lon == 0.0)
                    ):
                        keep_slow(row)
                        continue
                    time_s = row[i_time]
                    if time_s != last_time:  # receivers log many reports in the same second
                        try:
                            epoch = parse_time(time_s)
                        except (ValueError, OverflowError):
                            last_time = None
                            keep_slow(row)
                            continue
                        last_time = time_s
                    if timed and not lo <= epoch <= hi:
                        removed["from/to"] += 1
                        continue
                    # Receivers rebroadcast: a report heard again is dropped before more is read.
                    if window:
                        key = (mmsi, epoch, lat, lon)
                        if key in recent or key in older:
                            in_file += 1
                            continue
                    sog_s, cog_s, hdg_s, st_s = pick_numbers(row)
                    try:
                        sog = float(sog_s) if sog_s else nan
                        cog = float(cog_s) if cog_s else nan
                        heading = int(hdg_s) if hdg_s else nan
                    except ValueError:
                        keep_slow(row)
                        continue
                    if window:
                        recent.add(key)
                    status = statuses.get(st_s)
                    if status is None:
                        status = cleaner.status(st_s)
                    # "Not available" values (ITU-R M.1371) become empty (NaN here, NULL stored).
                    if not 0.0 <= sog < 102.2:
                        sog = nan
                    if not 0.0 <= cog < 360.0:
                        cog = nan
                    if not 0 <= heading < 360:
                        heading = nan
                    static = pick_static(row)
                    holder = statics.get(mmsi)
                    if holder is None or holder.raw != static:
                        if holder is None:
                            holder = statics[mmsi] = Static()
                        holder.raw = static
                        holder.heard(*static, epoch)
                    elif epoch > holder.last:
                        holder.last = epoch
                    append((mmsi, epoch, lat, lon, sog, cog, heading, status))
                    if len(chunk) >= CHUNK:
                        flush()
                break
            except csv.Error as exc:
                read += 1
                intake.bad(line(), f"unreadable CSV ({exc})")
        if chunk:
            flush()
    except _Swapped:
        pass  # _swap_checks refuses the file with the reason
    if box:
        removed[filters.box_name] += outside
        read += outside
    return Counter(read=read, offered=offered, duplicate_in_file=in_file, box_mirrored=mirrored)


class _Fixed:
    """A digest already computed (stands in for a hashlib object)."""

    def __init__(self, hexdigest: str):
        self.value = hexdigest

    def hexdigest(self) -> str:
        return self.value


class _Swapped(Exception):
    """Raised inside the loop when a file plainly reads as swapped: no need to read it all."""
