"""`osint ais import`: AIS position reports into the case, streamed, checked, deduplicated.

One pass over the file, in constant memory: bytes are hashed as they are decompressed and parsed;
each row is checked (MMSI, time, position), cleaned ("not available" values become empty),
filtered, and inserted in chunks with `executemany`, all in one transaction. A row that fails a
check is counted with its line number and reason, never silently dropped. The audited import
record names the file, its SHA-256, the row counts and the digest of the rows it inserted.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ... import ids, kinds, records
from ...errors import InvalidInput
from ...store import blobs
from ...timeutil import bound, from_epoch, to_epoch
from .. import places as place_lib
from . import readers, store, tracks

NAN = store.NAN
CHUNK = 20_000
SAMPLE = 20  # invalid rows kept (line and reason) in the import record


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


def _diagnose(mmsi_s: str, time_s: str, lat_s: str, lon_s: str, parse_time) -> tuple[str, str]:
    """(reason, category) for a row whose required fields do not convert (the slow path)."""
    text = mmsi_s.strip()
    if not text.isdigit():
        return (f"MMSI {mmsi_s!r} is not a number" if text else "no MMSI"), "MMSI value"
    try:
        parse_time(time_s)
    except (ValueError, OverflowError):
        reason = f"time {time_s!r} is not a date and time" if time_s.strip() else "no time"
        return reason, "time value"
    for label, value in (("latitude", lat_s), ("longitude", lon_s)):
        try:
            float(value)
        except ValueError:
            reason = f"{label} {value!r} is not a number" if value.strip() else f"no {label}"
            return reason, "position value"
    return "unreadable row", "malformed row"


def _optional(sog_s, cog_s, hdg_s, st_s):
    """Speed, course, heading, status with unreadable values left empty (the slow path)."""
    out = []
    for text, convert in ((sog_s, float), (cog_s, float), (hdg_s, _int), (st_s, _int)):
        try:
            out.append(convert(text) if text.strip() else NAN)
        except (ValueError, OverflowError):
            out.append(NAN)
    return out


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return int(float(text))


class Filters:
    """The --bbox / --near / --from / --to / --mmsi filters, applied while streaming."""

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
            from ..geo import Circle

            self.circle = Circle(place["lat"], place["lon"], radius)
            self.description["near"] = {
                "place": place["id"],
                "name": place["name"],
                "radius_m": radius,
            }
        elif options.radius_km:
            raise InvalidInput("--radius-km needs --near PLACE")
        self.start = to_epoch(bound(options.start, "--from")) if options.start else None
        self.end = to_epoch(bound(options.end, "--to", end=True)) if options.end else None
        if self.start is not None:
            self.description["from"] = from_epoch(self.start)
        if self.end is not None:
            self.description["to"] = from_epoch(self.end)
        if self.start is not None and self.end is not None and self.end < self.start:
            raise InvalidInput("--to is before --from")
        self.mmsis = set()
        for value in options.mmsis or ():
            text = value.strip()
            if not (text.isdigit() and len(text) == 9):
                raise InvalidInput(f"--mmsi: {value!r} is not a 9-digit MMSI")
            self.mmsis.add(int(text))
        if self.mmsis:
            self.description["mmsi"] = sorted(f"{m:09d}" for m in self.mmsis)
        self.active = bool(self.description)

    def keep(self, mmsi: int, epoch: int, lat: float, lon: float) -> bool:
        if self.mmsis and mmsi not in self.mmsis:
            self.removed["mmsi"] += 1
            return False
        if (self.start is not None and epoch < self.start) or (
            self.end is not None and epoch > self.end
        ):
            self.removed["time"] += 1
            return False
        if self.bbox:
            south, west, north, east = self.bbox
            inside_lon = west <= lon <= east if west <= east else (lon >= west or lon <= east)
            if not (south <= lat <= north and inside_lon):
                self.removed["bbox"] += 1
                return False
        if self.circle and not self.circle.contains(lat, lon):
            self.removed["near"] += 1
            return False
        return True


def previous_imports(conn: sqlite3.Connection, sha256: str) -> list[dict]:
    return [
        dict(r)
        for r in conn.execute(
            "SELECT id, filename, added_at, added_by FROM ais_imports WHERE sha256 = ? "
            "AND retracted_at IS NULL ORDER BY added_at",
            (sha256,),
        )
    ]


def import_file(case, path, options: ImportOptions | None = None) -> dict:
    """Import one AIS file; returns a summary (the import record, counts, samples, tracks)."""
    options = options or ImportOptions()
    path = Path(path)
    conn = case.conn
    filters = Filters(conn, options)
    opened, reader = readers.open_reader(path, forced=options.layout, mapping=options.mapping)
    import_id = ids.new_id()
    counts = Counter()
    invalid_sample: list[str] = []
    reasons: Counter = Counter()

    def bad(line: int, reason: str, category: str = "malformed row") -> None:
        counts["invalid"] += 1
        reasons[category] += 1
        if len(invalid_sample) < SAMPLE:
            invalid_sample.append(f"line {line}: {reason}")

    try:
        with case.writing():
            cache = conn.execute("PRAGMA cache_size").fetchone()[0]
            conn.execute("PRAGMA cache_size=-49152")  # 48 MiB: the key index stays in memory
            try:
                batch, last_id = store.new_batch(conn, import_id)
                first_row = last_id + 1
                digest = hashlib.sha256()
                statics, last_static, kept = _stream(
                    conn, reader, filters, batch, bad, counts, digest
                )
                last_id = conn.execute("SELECT coalesce(max(id), 0) FROM ais_positions").fetchone()[
                    0
                ]
            finally:
                conn.execute(f"PRAGMA cache_size={int(cache)}")
            sha256, size = opened.finish()
            earlier = previous_imports(conn, sha256)
            summaries = conn.execute(
                "SELECT mmsi, count(*), min(epoch), max(epoch) FROM ais_positions "
                "WHERE id >= ? GROUP BY mmsi ORDER BY mmsi",
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
            import_row = records.create(
                case,
                "ais-import",
                {
                    "filename": path.name,
                    "sha256": sha256,
                    "size": size,
                    "layout": reader.layout.name
                    + (f" ({opened.compression})" if opened.compression != "none" else ""),
                    "column_map": json.dumps(
                        {
                            f: reader.header[i].strip()
                            for f, i in sorted(reader.columns.items(), key=lambda x: x[1])
                        },
                        ensure_ascii=False,
                    ),
                    "filters": json.dumps(filters_json, ensure_ascii=False)
                    if filters_json
                    else None,
                    "rows_read": counts["read"],
                    "rows_kept": inserted,
                    "rows_duplicate": kept - inserted,
                    "rows_invalid": counts["invalid"],
                    "rows_not_vessel": counts["not_vessel"],
                    "rows_filtered": sum(filters.removed.values()),
                    "invalid_sample": json.dumps(invalid_sample, ensure_ascii=False)
                    if invalid_sample
                    else None,
                    "rows_digest": digest.hexdigest(),
                    "first_time": from_epoch(first_epoch) if first_epoch is not None else None,
                    "last_time": from_epoch(last_epoch) if last_epoch is not None else None,
                    "tracks": len(summaries),
                    "vessels_created": 0,
                    "stored_sha256": stored_sha,
                    "note": options.note,
                },
                added_from=f"{path.name} sha256:{sha256}",
                record_id=import_id,
            )
            track_rows, created = tracks.link_tracks(case, import_row, summaries, statics)
            if created:
                import_row, _ = records.update_fields(
                    case,
                    kinds.get("ais-import"),
                    import_row,
                    {"vessels_created": len(created)},
                    "update",
                )
    except (EOFError, zlib.error, OSError) as exc:
        raise InvalidInput(
            f"{path}: damaged or truncated {opened.compression if opened.compression != 'none' else ''} "
            f"file ({exc}); nothing was imported"
        ) from None
    finally:
        opened.close()
    return {
        "import": import_row,
        "invalid_reasons": dict(reasons),
        "invalid_sample": invalid_sample,
        "tracks": track_rows,
        "vessels_created": created,
        "earlier_imports": earlier,
        "filters": filters_json,
        "last_static": len(last_static),
    }


def _stream(conn, reader, filters: Filters, batch: int, bad, counts: Counter, digest):
    """The hot loop: raw rows -> checked, cleaned, filtered tuples -> executemany in chunks.

    Returns (static data per MMSI, last static tuple per MMSI, rows offered for insertion).
    Kept as one flat loop over the reader's rows: at millions of rows every call counts.
    """
    import csv

    sql = store.insert_sql(batch)
    parse_time = reader.parse_time
    pick = reader.pick
    width = reader.width
    pads = reader.pads
    line = reader.line
    keep = filters.keep if filters.active else None
    statics: dict[int, tracks.Static] = {}
    last_static: dict[int, tuple] = {}
    chunk: list[tuple] = []
    append = chunk.append
    read = not_vessel = offered = 0
    last_time = epoch = None
    last_id = conn.execute("SELECT coalesce(max(id), 0) FROM ais_positions").fetchone()[0]

    def flush() -> None:
        nonlocal last_id, offered
        offered += len(chunk)
        before = conn.total_changes
        conn.executemany(sql, chunk)
        inserted = conn.total_changes - before
        if inserted == len(chunk):
            store.digest_update(digest, chunk)
        elif inserted:
            store.digest_update_stored(digest, store.rows_after(conn, last_id))
        last_id += inserted
        chunk.clear()

    raw = reader.raw()
    while True:
        try:
            for row in raw:
                if len(row) != width:
                    if row and (len(row) > 1 or row[0].strip()):  # blank lines are not rows
                        read += 1
                        bad(line(), f"has {len(row)} fields, the header has {width}")
                    continue
                read += 1
                if pads:
                    row.append("")
                (
                    mmsi_s,
                    time_s,
                    lat_s,
                    lon_s,
                    sog_s,
                    cog_s,
                    hdg_s,
                    st_s,
                    name_s,
                    imo_s,
                    cs_s,
                    type_s,
                ) = pick(row)
                try:
                    mmsi = int(mmsi_s)
                    if time_s != last_time:  # receivers log many reports per second
                        epoch = parse_time(time_s)
                        last_time = time_s
                    lat = float(lat_s)
                    lon = float(lon_s)
                except (ValueError, OverflowError):
                    last_time = None
                    bad(line(), *_diagnose(mmsi_s, time_s, lat_s, lon_s, parse_time))
                    continue
                if not 200_000_000 <= mmsi <= 799_999_999:
                    text = mmsi_s.strip()
                    if len(text) == 9 and text.isdigit():
                        not_vessel += 1  # a base station, aid to navigation, SART...: not a vessel
                    else:
                        bad(line(), f"MMSI {mmsi_s!r} does not have 9 digits", "MMSI value")
                    continue
                if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
                    if lat == 91 or lon == 181:
                        reason = f"position not available (lat {lat_s}, lon {lon_s})"
                    else:
                        reason = f"lat/lon {lat_s},{lon_s} out of range"
                    bad(line(), reason, "position value")
                    continue
                if lat == 0.0 and lon == 0.0:
                    bad(line(), "position 0,0 (no position fix)", "position value")
                    continue
                if keep is not None and not keep(mmsi, epoch, lat, lon):
                    continue
                try:
                    sog = float(sog_s) if sog_s else NAN
                    cog = float(cog_s) if cog_s else NAN
                    heading = int(hdg_s) if hdg_s else NAN
                    status = int(st_s) if st_s else NAN
                except ValueError:
                    sog, cog, heading, status = _optional(sog_s, cog_s, hdg_s, st_s)
                # "Not available" values (ITU-R M.1371) become empty (NaN here, NULL stored).
                if not 0.0 <= sog < 102.3:
                    sog = NAN
                if not 0.0 <= cog < 360.0:
                    cog = NAN
                if not 0 <= heading < 360:
                    heading = NAN
                if not 0 <= status <= 15:
                    status = NAN
                static = (name_s, imo_s, cs_s, type_s)
                if last_static.get(mmsi) != static:
                    last_static[mmsi] = static
                    holder = statics.get(mmsi)
                    if holder is None:
                        holder = statics[mmsi] = tracks.Static()
                    holder.heard(*static)
                append((mmsi, epoch, lat, lon, sog, cog, heading, status))
                if len(chunk) >= CHUNK:
                    flush()
            break
        except csv.Error as exc:
            read += 1
            bad(line(), f"unreadable CSV ({exc})")
    if chunk:
        flush()
    counts["read"] += read
    counts["not_vessel"] += not_vessel
    return statics, last_static, offered
