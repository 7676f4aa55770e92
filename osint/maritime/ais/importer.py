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
    conn = case.conn
    filters = Filters(conn, options)
    opened, reader = readers.open_reader(path, forced=options.layout, mapping=options.mapping)
    if options.watch:
        options.watch(opened.position)
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


class _Fixed:
    """A digest already computed (stands in for a hashlib object)."""

    def __init__(self, hexdigest: str):
        self.value = hexdigest

    def hexdigest(self) -> str:
        return self.value


# What a folder of AIS downloads holds: the providers' files, compressed or not.
AIS_SUFFIXES = (".csv", ".txt", ".nmea", ".aivdm", ".log", ".gz", ".zip", ".zst", ".bz2", ".xz")


def expand_inputs(inputs: list[str | Path]) -> list[Path]:
    """The files to import, in order, each once: files as named, a folder's AIS files (sorted by
    name, not recursing), and glob patterns (`AIS_2024_*.zip`) the shell left unexpanded."""
    import glob

    found: list[Path] = []
    for item in inputs:
        text = str(item)
        if Path(text).is_dir():
            found.extend(
                sorted(
                    p
                    for p in Path(text).iterdir()
                    if p.is_file() and p.name.lower().endswith(AIS_SUFFIXES)
                )
            )
        elif any(c in text for c in "*?[") and not Path(text).exists():
            matches = sorted(Path(m) for m in glob.glob(text) if Path(m).is_file())
            if not matches:
                raise InvalidInput(f"{text}: no file matches this pattern")
            found.extend(matches)
        else:
            path = Path(text)
            if not path.is_file():
                raise InvalidInput(f"{text}: no such file")
            found.append(path)
    unique: dict[Path, None] = {}
    for path in found:
        unique.setdefault(path.resolve(), None)
    if not unique:
        raise InvalidInput(
            "no AIS file to import (a folder holds none of: " + ", ".join(AIS_SUFFIXES) + ")"
        )
    return list(unique)


def import_files(
    case,
    inputs: list[str | Path],
    options: ImportOptions | None = None,
    *,
    on_file=None,
) -> dict:
    """Import many AIS files, one transaction each, so that each lands whole or not at all and an
    interrupted scan resumes where it stopped: a file already imported (the same SHA-256) is
    skipped, not read again. `on_file(index, total, path)` is called before each file.

    Returns {"files": [summary...], "skipped": [{file, sha256, import}], "failed": [{file,
    error}], "totals": {rows_read, rows_kept, ...}}. A file that cannot be read is reported and
    the scan goes on; the files before it stay imported.
    """
    from osint.errors import OsintError
    from osint.fileio import open_hashed

    options = options or ImportOptions()
    paths = expand_inputs(inputs)
    out: dict = {"files": [], "skipped": [], "failed": []}
    for index, path in enumerate(paths):
        if on_file:
            on_file(index, len(paths), path)
        raw, handle = open_hashed(path)
        with handle:
            while handle.read(1 << 20):
                pass
        sha256 = raw.digest.hexdigest()
        earlier = records.earlier_imports(case.conn, "ais-import", sha256)
        if earlier:
            out["skipped"].append({"file": str(path), "sha256": sha256, "import": earlier[0]["id"]})
            continue
        try:
            out["files"].append(import_file(case, path, options))
        except OsintError as exc:
            out["failed"].append({"file": str(path), "error": str(exc)})
    keys = ("rows_read", "rows_kept", "rows_duplicate", "rows_invalid", "rows_not_vessel",
            "rows_no_position", "rows_filtered")  # fmt: skip
    out["totals"] = {
        key: sum((summary["import"].get(key) or 0) for summary in out["files"]) for key in keys
    }
    return out
