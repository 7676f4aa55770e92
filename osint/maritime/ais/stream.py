"""The hot loop of `osint ais import`: raw rows -> checked, cleaned, filtered rows -> the table.

`_stream` is one flat loop whose common path (a clean row) does only what it must, in the order
that discards rows soonest (position and area first, as a --bbox keeps a small share of a sea);
anything unusual goes to `Cleaner.row`, the reference path that classifies every row and which
the common path must agree with (a test checks it). `Intake` counts where every row went.
Kept as one module over 600 lines on purpose: a function call per row costs measurable time at
ten million rows.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from osint.maritime.ais import layouts, store, tracks
from osint.maritime.ais.filters import Filters

NAN = store.NAN
CHUNK = 20_000
# Tests set this to send every row through the reference path (Cleaner.row) instead of the fast
# path, to check that the two agree.
REFERENCE_ONLY = False
SAMPLE = 20  # invalid rows kept (line and reason) in the import record
_MISSING: Any = object()


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
        # Rows a bulk reader (vector.py) found outside the box before the loop saw them, and
        # how many of those would be inside it with latitude and longitude swapped.
        self.outside = 0
        self.mirrored = 0

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
        lat: float | None = None
        lon = 0.0  # read only once lat is a number, and then a number too
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


class DbSink:
    """Where kept rows go in the case: `executemany` into the positions table, digest fed with
    the rows that landed (the key index turns away rows already stored)."""

    def __init__(self, conn, batch: int, digest):
        self.conn = conn
        self.sql = store.insert_sql(batch)
        self.digest = digest
        self.offered = 0
        self.last_id = conn.execute("SELECT coalesce(max(id), 0) FROM ais_positions").fetchone()[0]

    def write(self, chunk: list) -> int:
        """Insert a chunk of rows; returns how many landed."""
        conn = self.conn
        self.offered += len(chunk)
        before = conn.total_changes
        conn.executemany(self.sql, chunk)
        inserted = conn.total_changes - before
        if inserted == len(chunk):
            store.digest_update(self.digest, chunk)
        elif inserted:
            store.digest_update_stored(self.digest, store.rows_after(conn, self.last_id))
        self.last_id += inserted
        return inserted


def _stream(conn, reader, filters: Filters, batch: int, intake: Intake, digest) -> Counter:
    """The hot loop, writing into the case (see `_scan`); counts include rows `offered`."""
    sink = DbSink(conn, batch, digest)
    counts = _scan(reader, filters, intake, sink)
    counts["offered"] = sink.offered
    return counts


def _scan(reader, filters: Filters, intake: Intake, sink) -> Counter:
    """The hot loop: raw rows -> checked, cleaned, filtered tuples -> `sink.write` in chunks.

    `sink.write(chunk)` returns how many rows landed (fewer when the case held some already).
    Returns counts: rows read by the loop, duplicates dropped within the file, rows outside the
    box that would be inside it swapped. A reader that filtered rows out in bulk before the loop
    (vector.py) says how many in `intake.outside` and `intake.mirrored`.
    Kept as one flat loop over the reader's rows: at millions of rows every operation counts.
    """
    import csv
    from operator import itemgetter

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
    read = in_file = outside = mirrored = 0
    window, quiet, caught = True, 0, 0  # the in-file repeat window (see flush)
    last_time = None
    epoch = 0
    nan = NAN
    write = sink.write

    def flush() -> None:
        nonlocal recent, older, window, quiet, caught
        inserted = write(chunk)
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
            if intake.swapped > 1000 and intake.swapped > (read + outside + intake.outside) // 2:
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
            name, imo, call_sign, ship_type = static
            holder.heard(name, imo, call_sign, ship_type, epoch_)
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
                        name, imo, call_sign, ship_type = static
                        holder.heard(name, imo, call_sign, ship_type, epoch)
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
        outside += intake.outside
        mirrored += intake.mirrored
        removed[filters.box_name] += outside
        read += outside
    return Counter(read=read, duplicate_in_file=in_file, box_mirrored=mirrored)


class _Swapped(Exception):
    """Raised inside the loop when a file plainly reads as swapped: no need to read it all."""
