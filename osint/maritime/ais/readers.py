"""Opening AIS files as they are downloaded and reading their rows as canonical raw rows.

The file is read once: its bytes are hashed (SHA-256) on their way to the decompressor and the CSV
parser, so a multi-gigabyte file costs one pass and constant memory. The compression is detected
from the file's first bytes, not its name.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import itertools
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ...errors import InvalidInput
from .layouts import FIELDS, detect

READ_SIZE = 1 << 20


class HashingReader(io.RawIOBase):
    """A raw byte stream that hashes and counts everything read through it."""

    def __init__(self, handle):
        self.handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = self.handle.readinto(buffer)
        if count:
            self.digest.update(memoryview(buffer)[:count])
            self.size += count
        return count or 0

    def drain(self) -> None:
        """Hash whatever the decoder did not need (trailing bytes), so the hash is the file's."""
        while chunk := self.handle.read(READ_SIZE):
            self.digest.update(chunk)
            self.size += len(chunk)


@dataclass
class Opened:
    """An AIS file open for reading: text lines, and the file's hash once read to the end."""

    path: Path
    compression: str
    text: io.TextIOBase
    hasher: HashingReader | None
    known_sha256: str | None = None
    known_size: int | None = None
    _closers: list = field(default_factory=list)

    def finish(self) -> tuple[str, int]:
        """(SHA-256, size) of the file as stored on disk, after the rows were read."""
        if self.hasher is not None:
            self.hasher.drain()
            return self.hasher.digest.hexdigest(), self.hasher.size
        return self.known_sha256 or "", self.known_size or 0

    def close(self) -> None:
        for closer in reversed(self._closers):
            with contextlib.suppress(Exception):
                closer.close()


def _sniff(path: Path) -> str:
    with open(path, "rb") as handle:
        magic = handle.read(4)
    if magic[:2] == b"\x1f\x8b":
        return "gzip"
    if magic[:4] == b"PK\x03\x04":
        return "zip"
    if magic[:4] == b"\x28\xb5\x2f\xfd":
        return "zstd"
    return "none"


def _text(binary) -> io.TextIOWrapper:
    # utf-8-sig drops a byte-order mark; undecodable bytes in names must not stop an import.
    return io.TextIOWrapper(binary, encoding="utf-8-sig", errors="replace", newline="")


def open_file(path: str | os.PathLike) -> Opened:
    """Open a plain, gzip, zip (one CSV inside) or zstd file for streaming."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    try:
        compression = _sniff(path)
        handle = open(path, "rb")  # noqa: SIM115 - closed by Opened.close()
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read ({exc.strerror or exc})") from None
    closers: list = [handle]
    if compression == "zip":
        import zipfile

        from ...store.blobs import sha256_file

        sha, size = sha256_file(path)  # a zip is read by seeking: hash it in a pass of its own
        try:
            archive = zipfile.ZipFile(handle)
            members = [m for m in archive.infolist() if not m.is_dir()]
        except zipfile.BadZipFile as exc:
            handle.close()
            raise InvalidInput(f"{path}: damaged zip file ({exc})") from None
        data = [m for m in members if m.filename.lower().endswith((".csv", ".txt"))] or members
        if len(data) != 1:
            handle.close()
            raise InvalidInput(
                f"{path}: the zip holds {len(data)} files; AIS import reads a zip with one CSV"
            )
        member = archive.open(data[0])
        closers += [archive, member]
        text = _text(io.BufferedReader(member, READ_SIZE))
        return Opened(path, "zip", text, None, sha, size, closers)
    hasher = HashingReader(handle)
    buffered = io.BufferedReader(hasher, READ_SIZE)
    closers.append(buffered)
    if compression == "gzip":
        import gzip

        stream = gzip.GzipFile(fileobj=buffered, mode="rb")
        closers.append(stream)
        binary = io.BufferedReader(stream, READ_SIZE)
    elif compression == "zstd":
        try:
            import zstandard
        except ImportError:
            for closer in closers:
                closer.close()
            raise InvalidInput(
                f"{path}: a Zstandard file; reading it needs the zstandard package "
                "(pip install zstandard)"
            ) from None
        stream = zstandard.ZstdDecompressor().stream_reader(buffered)
        closers.append(stream)
        binary = io.BufferedReader(stream, READ_SIZE)
    else:
        binary = buffered
    text = _text(binary)
    closers.append(text)
    return Opened(path, compression, text, hasher, _closers=closers)


class CsvReader:
    """A delimited AIS file (CSV, semicolons, tabs), its layout detected from the header.

    Readers give the importer: `layout`, `header`, `columns` (canonical field -> column),
    `parse_time`, `width`, `pads`, `pick` and `raw()` / `line()`. A reader for another kind of
    file (NMEA sentences, say) offers the same and the importer does not change.
    """

    def __init__(
        self,
        opened: Opened,
        *,
        forced: str | None = None,
        mapping: dict[str, str] | None = None,
    ):
        self.opened = opened
        self.name = opened.path.name
        first = opened.text.readline()
        self.skipped = 0  # blank lines before the header, so line numbers stay the file's
        while first and not first.strip():
            first = opened.text.readline()
            self.skipped += 1
        if not first.strip():
            raise InvalidInput(f"{opened.path}: the file is empty")
        delimiter = max(",;\t|", key=first.count) if any(c in first for c in ",;\t|") else ","
        self.reader = csv.reader(itertools.chain([first], opened.text), delimiter=delimiter)
        try:
            header = next(self.reader)
        except (StopIteration, csv.Error) as exc:
            raise InvalidInput(f"{opened.path}: no header line ({exc})") from None
        self.header = header
        self.layout, columns = detect(
            header, forced=forced, mapping=mapping, where=f"{opened.path}: "
        )
        self.columns = columns
        self.width = len(header)
        # Fields the file lacks read from an empty column appended to each row.
        self.indices = [columns.get(f, self.width) for f in FIELDS]
        self.pads = any(f not in columns for f in FIELDS)

    @property
    def parse_time(self):
        return self.layout.parse_time

    @property
    def pick(self):
        """Raw row -> the canonical fields (mmsi, time, lat, lon, sog, cog, heading, status,
        name, imo, call_sign, ship_type), as text."""
        from operator import itemgetter

        return itemgetter(*self.indices)

    def raw(self) -> Iterator[list[str]]:
        """The data rows as lists of text: `width` fields each (plus "" when `pads`).

        A row with another number of fields is passed through as is: the importer reports it.
        The csv module raises csv.Error for an unreadable line; iterating again goes on after it.
        """
        return self.reader

    def line(self) -> int:
        """The file's line number of the row last returned by `raw()`."""
        return self.reader.line_num + self.skipped


def open_reader(path, *, forced: str | None = None, mapping: dict[str, str] | None = None):
    """(Opened, reader) for an AIS file; closes the file if its layout is not recognised."""
    opened = open_file(path)
    try:
        return opened, CsvReader(opened, forced=forced, mapping=mapping)
    except (EOFError, OSError, ValueError, zlib.error) as exc:
        opened.close()
        if isinstance(exc, InvalidInput):
            raise
        raise InvalidInput(
            f"{path}: damaged or truncated {opened.compression} file ({exc}); nothing was imported"
        ) from None
    except BaseException:
        opened.close()
        raise
