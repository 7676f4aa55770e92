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

The filters live in `filters.py`, the hot loop and its reference path in `stream.py`.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

from osint import ids
from osint.case import kinds, records
from osint.case.store import blobs
from osint.errors import InvalidInput
from osint.maritime.ais import readers, store, tracks
from osint.maritime.ais.filters import (  # noqa: F401  (the CLI reads them here)
    Filters,
    ImportOptions,
    parse_bbox,
    parse_mapping,
    vessel_mmsis,
)
from osint.maritime.ais.stream import Intake, _stream
from osint.timeutil import from_epoch

# ---- the import -------------------------------------------------------------------------------


def import_file(case, path, options: ImportOptions | None = None) -> dict:
    """Import one AIS file; returns a summary (the import record, counts, samples, tracks)."""
    options = options or ImportOptions()
    path = Path(path)
    filters = Filters(case.conn, options)
    vectorised = use_vectorised(options)
    opened, reader = open_reader(path, options, filters, vectorised)
    if options.watch:
        options.watch(opened.position)
    intake = Intake()
    layout = reader.layout.name + (
        f" ({opened.compression})" if opened.compression != "none" else ""
    )
    try:
        return _record(
            case,
            path,
            options,
            filters,
            intake,
            lambda conn, batch, digest: _stream(conn, reader, filters, batch, intake, digest),
            opened.finish,
            layout,
            reader.column_map(),
            list(getattr(reader, "warnings", [])),
        )
    except readers.DECODE_ERRORS as exc:
        raise InvalidInput(readers.damaged_message(opened, exc)) from None
    finally:
        opened.close()


def open_reader(path, options: ImportOptions, filters: Filters, vectorised: bool):
    """(Opened, reader) for a file: its CSV rows through vector.py when `vectorised` and, unless
    the options ask for it, when it pays: a box (--bbox, --near) filters rows in bulk, and the
    file is not so small that loading pyarrow would cost more."""
    if not vectorised or (
        options.vectorised is None and (filters.box is None or _size(path) < SMALL_FILE)
    ):
        opened, reader = readers.open_reader(path, forced=options.layout, mapping=options.mapping)
    else:
        from osint.maritime.ais import vector

        opened, reader = vector.open_reader(path, forced=options.layout, mapping=options.mapping)
    # A reader that filters in bulk (vector.py's, and the NMEA reader's box), unless the options
    # ask for every row through the loop (tests compare the two).
    if hasattr(reader, "set_filters") and options.vectorised is not False:
        reader.set_filters(filters)
    return opened, reader


# Below this size (as stored) a file is read by the pure-Python reader: loading pyarrow takes
# longer than reading it. Without a box the pure-Python reader is used too: every row goes through
# the import loop either way, and pyarrow would only add its 70 MB (bench/ais_import.py: 1 M
# MarineCadastre rows 4.4 s and 74 MB pure-Python, 4.9 s and 155 MB through pyarrow).
SMALL_FILE = 1 << 20


def _size(path) -> int:
    try:
        return Path(path).stat().st_size
    except OSError:
        return 0


def use_vectorised(options: ImportOptions) -> bool:
    """Whether CSV rows go through the vectorised reader (vector.py): when pyarrow is there,
    unless the options say otherwise."""
    from osint.maritime.ais import vector

    if options.vectorised is False:
        return False
    return vector.available()


def _record(
    case, path, options, filters, intake, feed, finish, layout, column_map, warnings
) -> dict:
    """One file's import in one transaction: rows through `feed(conn, batch, digest)` (which
    returns the loop's counts), then the audited import record, tracks and vessels."""
    conn = case.conn
    import_id = ids.new_id()
    with case.writing():
        cache = conn.execute("PRAGMA cache_size").fetchone()[0]
        conn.execute("PRAGMA cache_size=-65536")  # 64 MiB: the key index stays in memory
        try:
            batch, last_id = store.new_batch(conn, import_id)
            first_row = last_id + 1
            digest: Any = hashlib.sha256()  # or a _Fixed one, below
            deferred = store.defer_key_index(conn)
            if deferred:  # rows are appended, then sorted once: a small cache does it best
                conn.execute("PRAGMA cache_size=-16384")
            counts = feed(conn, batch, digest)
            if deferred:
                repeated = store.build_key_index(conn, first_row)
                if repeated:  # far-apart repeats: the digest is of the rows that stayed
                    counts["duplicate_in_file"] += repeated
                    counts["offered"] -= repeated
                    last = conn.execute("SELECT max(id) FROM ais_positions").fetchone()[0]
                    digest_hex, _ = store.batch_digest(conn, batch, first_row, last)
                    digest = _Fixed(digest_hex)
            last_id = conn.execute("SELECT coalesce(max(id), 0) FROM ais_positions").fetchone()[0]
        finally:
            conn.execute(f"PRAGMA cache_size={int(cache)}")
        warnings += _swap_checks(path, intake, filters, counts, column_map)
        sha256, size = finish()
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
                "layout": layout,
                "column_map": json.dumps(column_map, ensure_ascii=False),
                "filters": json.dumps(filters_json, ensure_ascii=False) if filters_json else None,
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


class _Fixed:
    """A digest already computed (stands in for a hashlib object)."""

    def __init__(self, hexdigest: str):
        self.value = hexdigest

    def hexdigest(self) -> str:
        return self.value
