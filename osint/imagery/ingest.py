"""Adding images to a case: files and folders, in batches, byte-identical, never twice.

The main process walks the paths and reads each file's first bytes (is it an image at all?); worker
processes (`pool`) hash, read EXIF and make thumbnails under a time limit and a memory cap; the
main process stores each batch of results in ONE write transaction: the original's bytes
(re-hashed as they are stored), the thumbnail, the record and its audit entry. A kill -9 loses at
most the batch in flight, and running the same command again completes it: a file whose SHA-256
is already in the case is reported as already present, never stored twice.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from osint.case import kinds, records
from osint.case.store import blobs
from osint.errors import InvalidInput
from osint.imagery import sniff
from osint.imagery.pool import DEFAULT_MEMORY, DEFAULT_TIME_LIMIT, ProbePool, Task
from osint.timeutil import iso, parse_offset, parse_when

DEFAULT_BATCH = 32
BATCH_BYTES = 256 * 1024 * 1024
BATCH_SECONDS = 5.0
MAX_NAMED_SKIPS = 10

ADDED, PRESENT, REFUSED, SKIPPED = "added", "present", "refused", "skipped"


@dataclass
class Outcome:
    """What happened to one file."""

    path: str
    result: str  # added | present | refused | skipped
    record: dict | None = None
    reason: str | None = None  # why refused or skipped
    warnings: list[str] = field(default_factory=list)
    named: bool = False  # named on the command line (not found in a folder)


@dataclass
class Summary:
    added: int = 0  # stored cleanly
    warned: int = 0  # stored, with warnings
    present: int = 0
    refused: int = 0
    skipped: int = 0
    skipped_names: list[str] = field(default_factory=list)

    def count(self, outcome: Outcome) -> None:
        if outcome.result == ADDED:
            if outcome.warnings:
                self.warned += 1
            else:
                self.added += 1
        elif outcome.result == PRESENT:
            self.present += 1
        elif outcome.result == REFUSED:
            self.refused += 1
        elif outcome.result == SKIPPED:
            self.skipped += 1
            if len(self.skipped_names) < MAX_NAMED_SKIPS:
                self.skipped_names.append(outcome.path)

    @property
    def ok(self) -> bool:
        return self.refused == 0

    def line(self) -> str:
        """`3 added, 1 already present, 1 kept with warnings, 0 refused; 2 non-image files skipped: ...`"""
        text = (
            f"{self.added} added, {self.present} already present, "
            f"{self.warned} kept with warnings, {self.refused} refused"
        )
        if self.skipped:
            names = ", ".join(self.skipped_names)
            more = self.skipped - len(self.skipped_names)
            text += f"; {self.skipped} non-image files skipped: {names}"
            if more > 0:
                text += f" (+{more} more)"
        return text

    def as_dict(self) -> dict:
        return {
            "added": self.added,
            "present": self.present,
            "warned": self.warned,
            "refused": self.refused,
            "skipped": self.skipped,
            "skipped_files": self.skipped_names,
        }


@dataclass
class Options:
    """What the investigator says about every image of one command."""

    source: str | None = None  # source record id
    caption: str | None = None
    note: str | None = None
    taken: str | None = None  # normalised, overrides EXIF
    at: tuple[float, float] | None = None  # overrides EXIF GPS
    offset: str | None = None  # UTC offset of camera clocks whose EXIF has none
    derived_from: str | None = None  # record id
    filename: str | None = None  # stored name, when not the file's own (bytes added)
    origin: str | None = None  # `added_from`, when not "file PATH"


@dataclass
class _Prepared:
    path: str
    named: bool
    fields: dict
    thumb: bytes
    mtime: float | None


# ---- arguments -------------------------------------------------------------------------------


def parse_at(value: str | None, name: str = "--at") -> tuple[float, float] | None:
    """`LAT,LON` in decimal degrees (as `osint place add --at` reads it), or None when empty."""
    if value is None or not value.strip():
        return None
    from osint.maritime.places import parse_at as parse_position

    return parse_position(value, name)


def parse_utc_offset(value: str | None, name: str = "--offset") -> str | None:
    """`+10:00`, `+1000`, `-05` or `Z` as `+HH:MM`."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        zone = parse_offset(text) if text[0] in "+-Zz" or text == "UTC" else None
    except (ValueError, IndexError):
        zone = None
    if zone is None:
        raise InvalidInput(f"{name}: {value!r} is not a UTC offset (e.g. +10:00)")
    minutes = int(zone.utcoffset(None).total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def make_options(
    case,
    *,
    source: str | None = None,
    caption: str | None = None,
    note: str | None = None,
    taken: str | None = None,
    at: str | tuple[float, float] | None = None,
    offset: str | None = None,
    derived_from: str | None = None,
) -> Options:
    """Check every option before any file is read (a bad one is refused naming it)."""
    return Options(
        source=records.resolve_id(case.conn, source, ["source"]) if source else None,
        caption=kinds.optional_text(caption),
        note=kinds.optional_text(note),
        taken=parse_when(taken, "--taken") if taken else None,
        at=(kinds.latitude(at[0], "at"), kinds.longitude(at[1], "at"))
        if isinstance(at, tuple)
        else parse_at(at),
        offset=parse_utc_offset(offset),
        derived_from=records.resolve_id(case.conn, derived_from) if derived_from else None,
    )


# ---- walking the paths -----------------------------------------------------------------------


def _walk(paths: Iterable) -> Iterator[tuple[str, bool, str | None]]:
    """(path, named on the command line, error) for every file under the given paths."""
    for raw in paths:
        path = os.fspath(raw)
        try:
            info = os.stat(path)
        except FileNotFoundError:
            yield path, True, "no such file or folder"
            continue
        except OSError as exc:
            yield path, True, f"cannot read ({exc.strerror or exc})"
            continue
        if stat.S_ISDIR(info.st_mode):
            errors: list[OSError] = []
            for root, dirs, files in os.walk(path, onerror=errors.append):
                dirs.sort()
                for name in sorted(files):
                    yield os.path.join(root, name), False, None
                while errors:
                    error = errors.pop()
                    yield error.filename or root, True, f"cannot read ({error.strerror or error})"
        elif stat.S_ISREG(info.st_mode):
            yield path, True, None
        else:
            yield path, True, "not a regular file"


def count_files(paths: Iterable) -> int:
    """How many files the paths hold (for a progress bar's total)."""
    return sum(1 for _ in _walk(paths))


# ---- building the record ---------------------------------------------------------------------


def _fields(item: _Prepared, options: Options) -> dict:
    h = item.fields
    warnings = list(h.get("warnings") or [])
    fields = {
        key: h.get(key)
        for key in (
            "sha256",
            "format",
            "media_type",
            "size",
            "width",
            "height",
            "frames",
            "taken",
            "taken_local",
            "taken_offset",
            "taken_basis",
            "taken_tag",
            "saved_time",
            "saved_tag",
            "clock_error_s",
            "gps_time",
            "gps_lat",
            "gps_lon",
            "altitude",
            "camera",
            "orientation",
            "geo_crs",
            "geo_south",
            "geo_west",
            "geo_north",
            "geo_east",
            "geo_centre_lat",
            "geo_centre_lon",
            "phash",
        )
    }
    fields["filename"] = options.filename or os.path.basename(item.path)
    if options.taken:
        fields["taken"], fields["taken_basis"] = options.taken, "given"
    elif options.offset and fields.get("taken_basis") == "exif-local-as-utc":
        local = datetime.fromisoformat(fields["taken_local"])
        zone = parse_offset(options.offset)
        fields["taken"] = iso(local.replace(tzinfo=zone))
        fields["taken_offset"] = options.offset
        fields["taken_basis"] = "exif-local+given-offset"
    if options.at:
        fields["lat"], fields["lon"] = options.at
        fields["location_basis"] = "given"
    elif fields.get("gps_lat") is not None:
        fields["lat"], fields["lon"] = fields["gps_lat"], fields["gps_lon"]
        fields["location_basis"] = "exif-gps"
    elif fields.get("geo_centre_lat") is not None:
        fields["lat"], fields["lon"] = fields["geo_centre_lat"], fields["geo_centre_lon"]
        fields["location_basis"] = "geotiff-centre"
    fields["status"] = "warning" if warnings else "ok"
    fields["warnings"] = "\n".join(warnings) or None
    fields["caption"] = options.caption
    fields["note"] = options.note
    fields["source"] = options.source
    fields["derived_from"] = options.derived_from
    if h.get("metadata"):
        fields["metadata"] = json.dumps(h["metadata"], ensure_ascii=False, sort_keys=True)
    if item.mtime is not None:
        fields["file_modified"] = iso(datetime.fromtimestamp(item.mtime, UTC))
    return fields


def _existing(conn, sha256: str) -> dict | None:
    row = conn.execute(
        "SELECT * FROM images WHERE sha256 = ? ORDER BY retracted_at IS NOT NULL, added_at LIMIT 1",
        (sha256,),
    ).fetchone()
    return dict(row) if row else None


def _store(case, item: _Prepared, options: Options) -> Outcome:
    """Store one prepared file (inside the batch's transaction)."""
    sha = item.fields["sha256"]
    warnings = list(item.fields.get("warnings") or [])
    existing = _existing(case.conn, sha)
    if existing:
        if options.derived_from and options.derived_from != existing["id"]:
            records.link(case, existing["id"], options.derived_from, "derived-from")
        return Outcome(item.path, PRESENT, record=existing, named=item.named)
    blobs.put_file(case.conn, item.path, item.fields.get("media_type"), sha256=sha)
    thumb_sha = None
    if item.thumb:
        thumb_sha, _ = blobs.put_bytes(case.conn, item.thumb, "image/jpeg")
    fields = _fields(item, options)
    fields["thumbnail_sha256"] = thumb_sha
    origin = options.origin or f"file {os.path.abspath(item.path)}"
    row = records.create(case, "image", fields, added_from=f"{origin} sha256:{sha}")
    if options.derived_from:
        records.link(case, row["id"], options.derived_from, "derived-from")
    return Outcome(item.path, ADDED, record=row, warnings=warnings, named=item.named)


def _write_batch(case, batch: list[_Prepared], options: Options) -> list[Outcome]:
    outcomes = []
    with case.writing():
        for item in batch:
            try:
                outcomes.append(_store(case, item, options))
            except InvalidInput as exc:
                # The file changed or vanished since it was read: nothing of it is stored.
                outcomes.append(Outcome(item.path, REFUSED, reason=str(exc), named=item.named))
    return outcomes


def _not_an_image(path: str, named: bool, reason: str) -> Outcome:
    return Outcome(path, REFUSED if named else SKIPPED, reason=reason, named=named)


def _fallback(path: str, named: bool, header: dict, signature) -> _Prepared | Outcome:
    """A file the workers could not read at all: keep it with its hash and a reason."""
    try:
        sha, size = blobs.sha256_file(path)
        mtime = os.stat(path).st_mtime
    except OSError as exc:
        return Outcome(path, REFUSED, reason=f"cannot read ({exc.strerror or exc})", named=named)
    reason = header.get("failed") or "the file could not be read"
    if header.get("retry_failed") and header["retry_failed"] != reason:
        reason += f"; again without decoding: {header['retry_failed']}"
    fields = {
        "sha256": sha,
        "size": size,
        "format": signature.format if signature else None,
        "media_type": signature.media_type if signature else None,
        "warnings": [f"metadata and thumbnail not read: {reason}"],
    }
    return _Prepared(path, named, fields, b"", mtime)


# ---- the whole command -----------------------------------------------------------------------


def add_images(
    case,
    paths: Iterable,
    options: Options | None = None,
    *,
    jobs: int | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT,
    memory_limit: int = DEFAULT_MEMORY,
    batch_size: int = DEFAULT_BATCH,
    on_outcome: Callable[[Outcome], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> Summary:
    """Add the images found in `paths` (files, and folders recursively).

    Each outcome is passed to `on_outcome` once its batch is committed; `on_progress(n)` is called
    with the number of files handled so far. Returns the counts; `Summary.ok` is False when any
    file was refused (a named file that is not an image, an unreadable file).
    """
    options = options or Options()
    summary = Summary()
    done = 0
    immediate: deque[Outcome] = deque()
    signatures: dict[str, object] = {}

    def report(outcome: Outcome) -> None:
        nonlocal done
        summary.count(outcome)
        done += 1
        if on_outcome:
            on_outcome(outcome)
        if on_progress:
            on_progress(done)

    def tasks() -> Iterator[Task]:
        for path, named, error in _walk(paths):
            if error:
                immediate.append(Outcome(path, REFUSED, reason=error, named=named))
                continue
            try:
                signature = sniff.sniff_file(path)
                size = os.path.getsize(path)
            except OSError as exc:
                immediate.append(
                    Outcome(
                        path, REFUSED, reason=f"cannot read ({exc.strerror or exc})", named=named
                    )
                )
                continue
            if signature is None:
                immediate.append(_not_an_image(path, named, sniff.describe_non_image(path)))
                continue
            signatures[path] = signature
            yield Task(path=path, key=named, size=size)

    batch: list[_Prepared] = []
    batch_bytes = 0
    batch_started = 0.0

    def flush() -> None:
        nonlocal batch, batch_bytes
        if batch:
            written = _write_batch(case, batch, options)
            batch, batch_bytes = [], 0
            for outcome in written:
                report(outcome)

    with ProbePool(jobs, time_limit=time_limit, memory_limit=memory_limit) as pool:
        for task, header, thumb in pool.run(tasks()):
            while immediate:
                report(immediate.popleft())
            path, named = task.path, bool(task.key)
            signature = signatures.pop(path, None)
            if "not_image" in header:
                report(_not_an_image(path, named, header["not_image"]))
                continue
            if "unreadable" in header:
                report(
                    Outcome(
                        path, REFUSED, reason=f"cannot read ({header['unreadable']})", named=named
                    )
                )
                continue
            if "failed" in header:
                prepared = _fallback(path, named, header, signature)
                if isinstance(prepared, Outcome):
                    report(prepared)
                    continue
            else:
                try:
                    mtime = os.stat(path).st_mtime
                except OSError:
                    mtime = None
                prepared = _Prepared(path, named, header, thumb, mtime)
            if not batch:
                batch_started = time.monotonic()
            batch.append(prepared)
            batch_bytes += prepared.fields.get("size") or 0
            if (
                len(batch) >= batch_size
                or batch_bytes >= BATCH_BYTES
                or time.monotonic() - batch_started >= BATCH_SECONDS
            ):
                flush()
        flush()
    while immediate:
        report(immediate.popleft())
    return summary


# ---- for other features ----------------------------------------------------------------------


def add_image_file(
    case,
    path: str | os.PathLike,
    *,
    source: str | None = None,
    caption: str | None = None,
    derived_from: str | None = None,
    note: str | None = None,
    taken: str | None = None,
    at: str | tuple[float, float] | None = None,
    filename: str | None = None,
    origin: str | None = None,
) -> dict:
    """Add one image file to the case and return its record (a dict, as `records.get` gives).

    For features that make or receive images, e.g. the full-page screenshot of a captured page:

        row = add_image_file(case, "shot.png", source=source_id, derived_from=capture_id,
                             caption="Full-page screenshot of https://...")

    The file is read like `osint image add` reads it (a worker process, time limit, memory cap),
    stored byte-identical with its thumbnail and perceptual hash, and recorded with provenance.
    `source` and `derived_from` are record ids (or unique prefixes); `derived_from` also makes a
    `derived-from` link from the image to that record. When the same bytes are already in the
    case, nothing new is stored: the existing record is returned (and, given `derived_from`, linked
    to it). The returned dict carries `result`: "added" or "present". Raises InvalidInput (naming
    the file) when it is not an image. May be called inside the caller's own `case.writing()`
    transaction, in which case its writes join it.
    """
    options = make_options(
        case,
        source=source,
        caption=caption,
        note=note,
        taken=taken,
        at=at,
        derived_from=derived_from,
    )
    options.filename = filename
    options.origin = origin
    found: list[Outcome] = []
    add_images(case, [path], options, jobs=1, on_outcome=found.append)
    outcome = found[0] if found else None
    if outcome is None or outcome.record is None:
        reason = outcome.reason if outcome else "nothing to add"
        raise InvalidInput(f"{path}: {reason}")
    return {**outcome.record, "result": outcome.result}


def add_image_bytes(case, data: bytes, filename: str, **kwargs) -> dict:
    """`add_image_file` for bytes held in memory; `filename` is the name recorded for them."""
    if not data:
        raise InvalidInput(f"{filename}: empty, not an image")
    with tempfile.TemporaryDirectory(prefix="osint-image-") as folder:
        path = Path(folder) / (os.path.basename(filename) or "image")
        path.write_bytes(data)
        kwargs.setdefault("origin", f"bytes named {filename}")
        return add_image_file(case, path, filename=os.path.basename(filename), **kwargs)
