"""Opening AIS files as they are downloaded and reading their rows as canonical raw rows.

The file is read once: its bytes are hashed (SHA-256) on their way to the decompressor and the
parser, so a multi-gigabyte file costs one pass and constant memory, and nothing is unpacked to
disk. The compression (gzip, zip holding one file, Zstandard, bzip2, xz) is detected from the
file's first bytes, not its name; so is what it holds: delimited text with a header (CsvReader)
or raw NMEA sentences (NmeaReader).

A reader gives the importer `layout`, `parse_time`, `width`, `pads`, `pick`, `raw()`, `line()`,
`malformed(row)`, `column_map()`, `warnings` and `begin(intake)`; rows are lists of text in the
order of layouts.FIELDS. A reader that learns things no row carries (an NMEA static report, a
sentence that does not decode) tells the importer's `intake` directly.
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from osint.errors import InvalidInput
from osint.fileio import HashingReader
from osint.maritime.ais import layouts
from osint.maritime.ais.layouts import FIELDS, detect

if TYPE_CHECKING:
    from concurrent.futures import Future

READ_SIZE = 1 << 20
# No AIS line comes near this; a longer one is an invalid row (its number kept), never held whole.
MAX_LINE = 1 << 20


class ZstdStream(io.RawIOBase):
    """Decompressed bytes of a Zstandard stream of one or more frames, read as they are needed.

    A stream that ends inside a frame (a truncated download) raises EOFError instead of passing
    for a shorter file. Memory stays bounded whatever the data inflates to: the decoder is fed
    1 KiB at a time (a zstd block of 128 KiB needs at least 3 bytes, so one feed makes at most
    about 43 MiB), and its window is capped as zstd's own command line caps it
    (boundedio.ZSTD_MAX_WINDOW).
    """

    FEED = 1 << 10
    READ = 1 << 18

    def __init__(self, source, zstandard):
        from osint.boundedio import ZSTD_MAX_WINDOW

        self.source = source
        self.input = memoryview(b"")
        self.dctx = zstandard.ZstdDecompressor(max_window_size=ZSTD_MAX_WINDOW)
        self.obj = self.dctx.decompressobj()
        self.pending = memoryview(b"")
        self.in_frame = False
        self.done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self.pending:
            if self.done:
                return 0
            if not self.input:
                self.input = memoryview(self.source.read(self.READ))
            chunk = self.input[: self.FEED]
            self.input = self.input[self.FEED :]
            if not chunk:
                self.done = True
                if self.in_frame:
                    raise EOFError("the Zstandard data ends in the middle of a frame")
                return 0
            self._feed(bytes(chunk))
        count = min(len(buffer), len(self.pending))
        buffer[:count] = self.pending[:count]
        self.pending = self.pending[count:]
        return count

    def _feed(self, chunk: bytes) -> None:
        out = []
        while chunk:
            self.in_frame = True
            try:
                out.append(self.obj.decompress(chunk))
            except Exception as exc:  # zstandard.ZstdError: corrupt data
                if "too much memory" in str(exc) or "window" in str(exc).lower():
                    from osint.boundedio import ZSTD_MAX_WINDOW, size_text

                    raise OSError(
                        f"the data needs a decoding window over {size_text(ZSTD_MAX_WINDOW)}, "
                        "the memory limit"
                    ) from None
                raise _damaged(exc) from None
            if self.obj.eof:  # a frame ended: what follows is the next frame
                chunk = self.obj.unused_data
                self.obj = self.dctx.decompressobj()
                self.in_frame = False
            else:
                chunk = b""
        self.pending = memoryview(b"".join(out))


def _damaged(exc: Exception) -> OSError:
    return OSError(f"damaged data: {exc}")


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
    hashing: Future[tuple[str, int]] | None = None  # hashed beside the reading

    def finish(self) -> tuple[str, int]:
        """(SHA-256, size) of the file as stored on disk, after the rows were read."""
        if self.hasher is not None:
            self.hasher.drain()
            return self.hasher.digest.hexdigest(), self.hasher.size
        if self.hashing is not None:
            return self.hashing.result()
        return self.known_sha256 or "", self.known_size or 0

    def position(self) -> int:
        """How many bytes of the file (as stored: compressed) have been read so far."""
        return os.lseek(self._closers[0].fileno(), 0, os.SEEK_CUR)

    def close(self) -> None:
        for closer in reversed(self._closers):
            with contextlib.suppress(Exception):
                closer.close()


def _background(function, *args):
    """Run `function(*args)` on a daemon thread; returns a Future of its result."""
    import threading
    from concurrent.futures import Future

    future: Future = Future()

    def work() -> None:
        try:
            future.set_result(function(*args))
        except BaseException as exc:  # handed to whoever asks for the result
            future.set_exception(exc)

    threading.Thread(target=work, name="osint-hash", daemon=True).start()
    return future


def _sniff(path: Path) -> str:
    with open(path, "rb") as handle:
        magic = handle.read(4)
    if magic[:2] == b"\x1f\x8b":
        return "gzip"
    if magic[:4] == b"PK\x03\x04":
        return "zip"
    if magic[:4] == b"\x28\xb5\x2f\xfd":
        return "zstd"
    if magic[:3] == b"BZh":
        return "bzip2"
    if magic[:4] == b"\xfd7zX":
        return "xz"
    return "none"


# Files a zip may hold beside the data, which are not the data.
_ZIP_JUNK = re.compile(
    r"(^|/)(__MACOSX/|\.DS_Store$|Thumbs\.db$|readme[^/]*$|licen[cs]e[^/]*$)", re.I
)
_DATA_SUFFIXES = (".csv", ".txt", ".nmea", ".log", ".ais", ".tsv", ".dat")


def _text(binary) -> io.TextIOWrapper:
    # utf-8-sig drops a byte-order mark; undecodable bytes in names must not stop an import.
    # A line over MAX_LINE reaches the reader as one marker line (boundedio.LineGuard).
    from osint.boundedio import LineGuard

    guarded = io.BufferedReader(LineGuard(binary, MAX_LINE), READ_SIZE)
    return io.TextIOWrapper(guarded, encoding="utf-8-sig", errors="replace", newline="")


def overlong_problem(line: str) -> tuple[str, str] | None:
    """(reason, category) when `line` stands for a line over MAX_LINE, else None."""
    from osint.boundedio import overlong, size_text

    length = overlong(line)
    if length is None:
        return None
    return (
        f"line of {size_text(length)} is longer than {size_text(MAX_LINE)} "
        "(the line-length limit); skipped",
        "over-long line",
    )


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

        from osint.case.store.blobs import sha256_file

        # A zip is read by seeking: its hash is a pass of its own, on a thread beside the reading
        # (hashing and file reads release the interpreter lock).
        hashing = _background(sha256_file, path)
        try:
            archive = zipfile.ZipFile(handle)
            members = [m for m in archive.infolist() if not m.is_dir()]
        except zipfile.BadZipFile as exc:
            handle.close()
            raise InvalidInput(f"{path}: damaged zip file ({exc})") from None
        members = [m for m in members if not _ZIP_JUNK.search(m.filename)] or members
        data = [m for m in members if m.filename.lower().endswith(_DATA_SUFFIXES)] or members
        if len(data) != 1:
            handle.close()
            shown = ", ".join(m.filename for m in data[:5]) + (", ..." if len(data) > 5 else "")
            raise InvalidInput(
                f"{path}: the zip holds {len(data)} data files ({shown}); AIS import reads a zip "
                "holding one file, as providers serve them: import each file on its own"
            )
        from osint.maritime.ais import inflate

        try:
            member = inflate.open_member(archive, handle, data[0])
        except DECODE_ERRORS as exc:  # a local header that is not the directory's
            handle.close()
            raise InvalidInput(
                damaged_message(Opened(path, "zip", io.StringIO(), None), exc)
            ) from None
        closers += [archive, member]
        text = _text(io.BufferedReader(member, READ_SIZE))
        return Opened(path, "zip", text, None, _closers=closers, hashing=hashing)
    hasher = HashingReader(handle)
    buffered = io.BufferedReader(hasher, READ_SIZE)
    closers.append(buffered)
    if compression == "gzip":
        from osint.maritime.ais import inflate

        stream = inflate.open_gzip(buffered)
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
        binary = io.BufferedReader(ZstdStream(buffered, zstandard), READ_SIZE)
    elif compression in ("bzip2", "xz"):
        import bz2
        import lzma

        opener = bz2.BZ2File if compression == "bzip2" else lzma.LZMAFile
        stream = opener(buffered, mode="rb")
        closers.append(stream)
        binary = io.BufferedReader(stream, READ_SIZE)
    else:
        binary = buffered
    text = _text(binary)
    closers.append(text)
    return Opened(path, compression, text, hasher, _closers=closers)


class CsvReader:
    """A delimited AIS file (CSV, semicolons, tabs), its layout detected from the header."""

    def __init__(
        self,
        opened: Opened,
        first: str,
        skipped: int = 0,
        *,
        forced: str | None = None,
        mapping: dict[str, str] | None = None,
    ):
        self.opened = opened
        self.name = opened.path.name
        self.skipped = skipped  # blank lines before the header, so line numbers stay the file's
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
        self.warnings: list[str] = []
        swapped = layouts.swap_warning(header, columns)
        if swapped:
            self.warnings.append(swapped)

    @property
    def parse_time(self):
        return self.layout.parse_time

    @property
    def lat_index(self) -> int:
        return self.columns["lat"]

    @property
    def lon_index(self) -> int:
        return self.columns["lon"]

    @property
    def pick(self):
        """Raw row -> the canonical fields (layouts.FIELDS), as text."""
        from operator import itemgetter

        return itemgetter(*self.indices)

    def begin(self, intake) -> None:
        """Every row of a CSV is a row: nothing to tell the importer beside them."""

    def raw(self) -> Iterator[list[str]]:
        """The data rows as lists of text: `width` fields each (plus "" when `pads`).

        A row with another number of fields is passed through as is: `malformed` says why.
        The csv module raises csv.Error for an unreadable line; iterating again goes on after it.
        """
        return self.reader

    def malformed(self, row: list[str]) -> tuple[str, str] | None:
        """(reason, category) for a row that is not `width` fields; None for a blank line."""
        if not row or (len(row) == 1 and not row[0].strip()):
            return None
        if len(row) == 1 and (problem := overlong_problem(row[0])):
            return problem
        return f"has {len(row)} fields, the header has {self.width}", "malformed row"

    def line(self) -> int:
        """The file's line number of the row last returned by `raw()`."""
        return self.reader.line_num + self.skipped

    def column_map(self) -> dict[str, str]:
        """{canonical field: the file's column name} (for the import record)."""
        return {
            f: self.header[i].strip() for f, i in sorted(self.columns.items(), key=lambda x: x[1])
        }


# An NMEA 0183 AIS sentence (!AIVDM, !AIVDO, !BSVDM, ...), perhaps after a tag block, or a
# Gatehouse time sentence ($PGHP) before one.
_SENTENCE = re.compile(r"[!$][A-Z]{2}VD[MO],|\$PGHP,")


def looks_like_nmea(line: str) -> bool:
    return bool(_SENTENCE.search(line[:400]))


def open_reader(path, *, forced: str | None = None, mapping: dict[str, str] | None = None):
    """(Opened, reader) for an AIS file; closes the file if its layout is not recognised."""
    opened = open_file(path)
    try:
        first, skipped = layouts.first_line(opened.text)  # past blank lines and # comments
        if not first.strip():
            raise InvalidInput(f"{opened.path}: the file is empty")
        if problem := overlong_problem(first):
            raise InvalidInput(
                f"{opened.path}: line {skipped + 1}: {problem[0].replace('; skipped', '')}: "
                "no header or sentence to read; nothing was imported"
            )
        wanted = layouts.by_name(forced) if forced else None
        if wanted is layouts.NMEA or (wanted is None and looks_like_nmea(first)):
            if mapping:
                raise InvalidInput("--map: NMEA sentences have no columns to map")
            from osint.maritime.ais.nmea import NmeaReader

            return opened, NmeaReader(opened, first, skipped)
        return opened, CsvReader(opened, first, skipped, forced=forced, mapping=mapping)
    except InvalidInput:
        opened.close()
        raise
    except DECODE_ERRORS as exc:
        opened.close()
        raise InvalidInput(damaged_message(opened, exc)) from None
    except BaseException:
        opened.close()
        raise


def _decode_errors() -> tuple[type[BaseException], ...]:
    import lzma
    import zipfile

    from osint.maritime.ais import inflate

    return (EOFError, OSError, zlib.error, zipfile.BadZipFile, lzma.LZMAError, *inflate.errors())


# What reading a damaged or truncated file raises.
DECODE_ERRORS = _decode_errors()


def damaged_message(opened: Opened, exc: BaseException) -> str:
    kind = {"none": "", "zstd": "Zstandard ", "gzip": "gzip ", "zip": "zip "}.get(
        opened.compression, f"{opened.compression} "
    )
    return f"{opened.path}: damaged or truncated {kind}file ({exc}); nothing was imported"
