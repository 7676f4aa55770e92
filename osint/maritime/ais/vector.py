"""The vectorised CSV reader of `osint ais import`: blocks of rows parsed and filtered as columns.

Chosen by measurement (bench/ais_scale.py): pyarrow's CSV parser over blocks of the decompressed
stream. DuckDB's `read_csv` is as fast on a whole file, but it reads files, not a stream already
being hashed, and it cannot say which line a row came from; pyarrow parses a block we cut
ourselves, so every row's line number is known exactly and memory stays one block.

How one block goes (BLOCK bytes, cut after its last newline, extended while a quote is open):
- pyarrow parses it as text columns. When the block is not exactly one row per line (a blank
  line, a quoted newline, a lone CR, a row with the wrong number of fields, bytes that are not
  UTF-8, an over-long line's marker), the block is read by Python's csv module instead, exactly as
  the pure-Python reader reads it: line numbers and accounting cannot differ.
- With --bbox / --near, latitude and longitude are converted as columns and every row that is a
  valid position outside the box is counted there (filtered out, and whether it would be inside
  swapped) without becoming a Python object. What is left (rows inside the box, and anything
  unusual) goes to the importer's loop (stream.py) as rows of text, which classifies them as it
  classifies every row: the same counts, the same kept rows, the same invalid line numbers.

pyarrow is optional (the `osint[ais-fast]` extra): without it, readers.CsvReader reads every row.
It is used when a box filters rows in bulk (importer.open_reader): without one every row goes
through the loop either way, and the pure-Python reader is as fast in half the memory.
"""

from __future__ import annotations

import csv
import io
from importlib.util import find_spec
from operator import itemgetter

from osint.maritime.ais import layouts, readers
from osint.maritime.ais.layouts import FIELDS

BLOCK = 2 << 20
# Decompress the next block on a thread while this one is parsed (off in worker processes, where
# the other processes keep the cores busy).
PREFETCH = True
# A row longer than this is an over-long line (readers.MAX_LINE): such a stretch of the file is
# read through boundedio.LineGuard, exactly as the pure-Python reader reads it.
MAX_LINE = readers.MAX_LINE


def available() -> bool:
    """Whether pyarrow (and numpy) can be imported."""
    return find_spec("pyarrow") is not None and find_spec("numpy") is not None


class _Bounded:
    """A text stream whose lines are read at most `limit` characters at a time."""

    def __init__(self, text, limit: int):
        self.text = text
        self.limit = limit
        self.long = False

    def readline(self) -> str:
        line = self.text.readline(self.limit + 1)
        if len(line) > self.limit:
            self.long = True
        return line


def open_reader(path, *, forced: str | None = None, mapping: dict[str, str] | None = None):
    """(Opened, reader) as readers.open_reader gives them, a CSV's rows read by ArrowCsvReader.

    The header is read a byte at a time from the decompressed stream (no reading ahead), and the
    blocks go on from there. Anything but a CSV with an ordinary header (NMEA, an empty file, an
    over-long first line, damaged data) is opened again by readers.open_reader, which says what
    it says about it today.
    """
    if forced and layouts.by_name(forced) is layouts.NMEA:
        return readers.open_reader(path, forced=forced, mapping=mapping)
    opened = readers.open_file(path)
    try:
        source = opened.text.buffer.raw.source  # type: ignore[attr-defined]  # under the LineGuard
        head = io.TextIOWrapper(source, encoding="utf-8-sig", errors="replace", newline="")
        head._CHUNK_SIZE = 1  # type: ignore[attr-defined]
        bounded = _Bounded(head, MAX_LINE)
        first, skipped = layouts.first_line(bounded)
        head.detach()
        plain = (
            first.strip()
            and not bounded.long
            and not readers.looks_like_nmea(first)
            and not first.endswith("\r")  # a lone CR: the text stream read a byte past it
        )
    except readers.DECODE_ERRORS:
        plain = False
    except BaseException:
        opened.close()
        raise
    if not plain:
        opened.close()
        return readers.open_reader(path, forced=forced, mapping=mapping)
    try:
        base = readers.CsvReader(opened, first, skipped, forced=forced, mapping=mapping)
    except BaseException:
        opened.close()
        raise
    return opened, ArrowCsvReader(base, source)


class ArrowCsvReader:
    """A readers.CsvReader whose rows come block by block through pyarrow.

    Its rows are the canonical fields alone (layouts.FIELDS, "" for a field the file lacks), as
    tuples of text: the loop reads nothing else of a row.
    """

    def __init__(self, base, source, filters=None):
        self.base = base
        self.source = source
        self.opened = base.opened
        self.name = base.name
        self.layout = base.layout
        self.header = base.header
        self.columns = base.columns
        self.warnings = base.warnings
        self.delimiter = base.reader.dialect.delimiter
        self.fields = base.width  # columns in the file
        self.width = len(FIELDS)
        self.indices = list(range(len(FIELDS)))
        self.pads = False
        self.lat_index = FIELDS.index("lat")
        self.lon_index = FIELDS.index("lon")
        self.pick = itemgetter(*self.indices)
        # A full row of the file (plus "") -> the canonical fields.
        self.compact = itemgetter(*(base.columns.get(f, base.width) for f in FIELDS))
        self.filters = filters
        self.next_line = base.skipped + 2  # the file's line number of the first data line
        self._line = self.next_line - 1
        self.intake = None
        self.blocks = {"arrow": 0, "python": 0}

    parse_time = property(lambda self: self.base.parse_time)

    def begin(self, intake) -> None:
        self.intake = intake

    def malformed(self, row):
        return self.base.malformed(row)

    def line(self) -> int:
        return self._line

    def column_map(self) -> dict[str, str]:
        return self.base.column_map()

    def set_filters(self, filters) -> None:
        self.filters = filters

    # -- rows -------------------------------------------------------------------------------------

    def raw(self):
        import pyarrow as pa
        import pyarrow.csv as pacsv

        names = [f"c{i}" for i in range(self.fields)]
        wanted = sorted({self.columns[f] for f in FIELDS if f in self.columns})
        self.arrow_columns = [names[self.columns[f]] if f in self.columns else None for f in FIELDS]
        read_options = pacsv.ReadOptions(
            column_names=names, use_threads=False, block_size=BLOCK * 4
        )
        convert = pacsv.ConvertOptions(
            column_types={names[i]: pa.string() for i in wanted},
            include_columns=[names[i] for i in wanted],
        )
        # With a box: latitude and longitude alone, read as numbers; the rows left are read again.
        box = self.filters.box if self.filters is not None else None
        lat_lon = [self.arrow_columns[self.lat_index], self.arrow_columns[self.lon_index]]
        numbers = pacsv.ConvertOptions(
            column_types=dict.fromkeys(lat_lon, pa.float64()), include_columns=lat_lon
        )
        # Blank lines are rows to pyarrow (of the wrong width, so the block is refused) rather than
        # skipped: then a block without quotes or CRs has one row per line, with no search for them.
        plain = pacsv.ParseOptions(
            delimiter=self.delimiter, newlines_in_values=False, ignore_empty_lines=False
        )
        quoted = pacsv.ParseOptions(
            delimiter=self.delimiter, newlines_in_values=True, ignore_empty_lines=False
        )
        for kind, block in self._prefetched() if PREFETCH else self._blocks():
            first = self.next_line
            if kind == "guarded":  # the rest of the file, through the line guard
                yield from self._python_rows(_guarded(block, self.source), first)
                return
            has_quotes = b'"' in block
            has_cr = b"\r" in block
            # A lone CR ends a line for Python, not for pyarrow: Python reads such a block.
            regular = not (has_cr and block.count(b"\r") != block.count(b"\r\n"))
            # Without quotes or CRs every line is one row (or pyarrow refuses the block), blank
            # lines too (they are rows of empty values to pyarrow): no need to count them.
            lines = _lines(block) if has_quotes or has_cr else None
            table = None
            parse = quoted if has_quotes else plain
            if regular and box:
                try:
                    table = pacsv.read_csv(
                        pa.py_buffer(block),
                        read_options=read_options,
                        parse_options=parse,
                        convert_options=numbers,
                    )
                except (pa.ArrowInvalid, pa.ArrowException):
                    table = None  # a value that is not a plain number: read as text below
                # A blank line is a row without a latitude: only then is it worth looking for one.
                if table is not None and table.column(0).null_count and _blank(block, has_cr):
                    table, regular = None, False
                if table is not None and table.num_rows == (lines or table.num_rows):
                    self.next_line = first + table.num_rows
                    self.blocks["arrow"] += 1
                    yield from self._boxed_rows(block, table, first)
                    continue
                table = None
            if regular and _blank(block, has_cr):
                regular = False  # blank lines are skipped by the csv module: Python reads them
            if regular:
                try:
                    table = pacsv.read_csv(
                        pa.py_buffer(block),
                        read_options=read_options,
                        parse_options=parse,
                        convert_options=convert,
                    )
                except (pa.ArrowInvalid, pa.ArrowException):
                    table = None
                if table is not None and table.num_rows != (lines or table.num_rows):
                    table = None  # not one row per line: Python reads it, line by line
            if lines is None:
                lines = table.num_rows if table is not None else _lines(block)
            self.next_line = first + lines
            if table is None:
                self.blocks["python"] += 1
                text = io.StringIO(block.decode("utf-8", errors="replace"), newline="")
                yield from self._python_rows(text, first)
            else:
                self.blocks["arrow"] += 1
                yield from self._arrow_rows(table, first)

    def _prefetched(self):
        """`_blocks()` read on a thread of its own: the next block is decompressed while this one
        is parsed (zlib, zstd and pyarrow let go of the interpreter lock). At most two blocks wait."""
        import queue
        import threading

        waiting: queue.Queue = queue.Queue(maxsize=2)
        stop = threading.Event()

        def offer(item) -> bool:
            while not stop.is_set():
                try:
                    waiting.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False

        def produce() -> None:
            try:
                for item in self._blocks():
                    if not offer(item):
                        return
                    if item[0] == "guarded":  # the reader goes on from the stream itself
                        break
            except BaseException as exc:  # handed to the reading thread
                offer(("failed", exc))
                return
            offer(("end", None))

        thread = threading.Thread(target=produce, name="osint-ais-blocks", daemon=True)
        thread.start()
        try:
            while True:
                kind, item = waiting.get()
                if kind == "end":
                    return
                if kind == "failed":
                    raise item
                yield kind, item
        finally:
            stop.set()
            thread.join()

    def _blocks(self):
        """("block", bytes): the decompressed file in blocks of whole lines, no quote left open;
        ("guarded", bytes): from here on a line may be over-long: the rest goes through the line
        guard (the bytes read so far, then the stream)."""
        source = self.source
        half = MAX_LINE // 2
        rest = b""
        while True:
            chunk = source.read(BLOCK)
            data = rest + chunk if rest else chunk
            if not data:
                return
            # A line over MAX_LINE holds a whole stretch of MAX_LINE/2 bytes without a newline.
            for start in range(0, len(data) - half + 1, half):
                if data.find(b"\n", start, start + half) < 0:
                    yield "guarded", data
                    return
            if not chunk:
                yield "block", data
                return
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                rest = data
                continue
            block, rest = data[:cut], data[cut:]
            if b'"' in block and block.count(b'"') % 2:  # a quoted field goes on past the cut
                yield "guarded", data
                return
            yield "block", block

    def _python_rows(self, text, first: int):
        """Rows read by the csv module as the pure-Python reader reads them."""
        reader = csv.reader(text, delimiter=self.delimiter)
        intake, compact, fields = self.intake, self.compact, self.fields
        while True:
            try:
                for row in reader:
                    self._line = first + reader.line_num - 1
                    if len(row) != fields:
                        problem = self.base.malformed(row)
                        if problem:
                            intake.invalid_row(self._line, *problem)
                        continue
                    row.append("")
                    yield compact(row)
                return
            except csv.Error as exc:
                self._line = first + reader.line_num - 1
                intake.invalid_row(self._line, f"unreadable CSV ({exc})")

    def _boxed_rows(self, block: bytes, table, first: int):
        """The rows of a block not plainly outside the box (the others are counted here), read
        again from their lines by the csv module."""
        import numpy as np

        keep = self._inside(table.column(0).to_numpy(), table.column(1).to_numpy())
        if not len(keep):
            return
        data = block if block.endswith(b"\n") else block + b"\n"
        ends = np.flatnonzero(np.frombuffer(data, np.uint8) == 10)
        starts = np.concatenate(([0], ends[:-1] + 1))
        text = b"".join(
            [
                data[a : b + 1]
                for a, b in zip(starts[keep].tolist(), ends[keep].tolist(), strict=True)
            ]
        )
        rows = csv.reader(io.StringIO(text.decode("utf-8", errors="replace"), newline=""),
                          delimiter=self.delimiter)  # fmt: skip
        compact = self.compact
        for offset, row in zip(keep.tolist(), rows, strict=True):
            self._line = first + offset
            row.append("")
            yield compact(row)

    def _inside(self, lat, lon):
        """Indices of the rows the loop must see: all but valid positions outside the box, which
        are counted (filtered out; and whether they would be inside swapped)."""
        import numpy as np

        south, west, north, east = self.filters.box
        with np.errstate(invalid="ignore"):
            inside_lon = (
                (lon >= west) | (lon <= east) if west > east else (lon >= west) & (lon <= east)
            )
            inside = (lat >= south) & (lat <= north) & inside_lon
            valid = (
                (lat >= -90.0)
                & (lat <= 90.0)
                & (lon >= -180.0)
                & (lon <= 180.0)
                & ((lat != 0.0) | (lon != 0.0))
            )
            outside = valid & ~inside
            mirrored = outside & (lon >= south) & (lon <= north) & (lat >= west) & (lat <= east)
        self.intake.outside += int(outside.sum())
        self.intake.mirrored += int(mirrored.sum())
        return np.flatnonzero(~outside)

    def _arrow_rows(self, table, first: int):
        """The rows of a block parsed as text: all, or with a box those not plainly outside it."""
        import pyarrow as pa

        filters = self.filters
        index = None
        if filters is not None and filters.box:
            try:
                lat = table.column(self.arrow_columns[self.lat_index]).cast(pa.float64())
                lon = table.column(self.arrow_columns[self.lon_index]).cast(pa.float64())
            except (pa.ArrowInvalid, pa.ArrowException):
                lat = None  # a value that is not a plain number: the loop reads every row
            if lat is not None:
                index = self._inside(
                    lat.to_numpy(zero_copy_only=False), lon.to_numpy(zero_copy_only=False)
                )
                if not len(index):
                    return
                table = table.take(pa.array(index))
        empty = None
        columns = []
        for name in self.arrow_columns:
            if name is None:
                if empty is None:
                    empty = [""] * table.num_rows
                columns.append(empty)
            else:
                columns.append(table.column(name).to_pylist())
        if index is None:
            for offset, row in enumerate(zip(*columns, strict=True)):
                self._line = first + offset
                yield row
        else:
            for offset, row in zip(index.tolist(), zip(*columns, strict=True), strict=True):
                self._line = first + offset
                yield row


def _blank(block: bytes, has_cr: bool) -> bool:
    """Whether a block of whole lines holds an empty line."""
    if block.startswith((b"\n", b"\r\n")) or b"\n\n" in block:
        return True
    return has_cr and b"\n\r\n" in block


def _lines(block: bytes) -> int:
    return block.count(b"\n") + (0 if block.endswith(b"\n") else 1)


class _Chain(io.RawIOBase):
    """`head` bytes, then what `source` reads."""

    def __init__(self, head: bytes, source):
        self.head = memoryview(head)
        self.source = source

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.head:
            count = min(len(buffer), len(self.head))
            buffer[:count] = self.head[:count]
            self.head = self.head[count:]
            return count
        data = self.source.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _guarded(head: bytes, source):
    """A text stream of `head` then `source`, over-long lines replaced by LineGuard's marker."""
    from osint.boundedio import LineGuard

    guard = LineGuard(_Chain(head, source), MAX_LINE)
    return io.TextIOWrapper(
        io.BufferedReader(guard, readers.READ_SIZE), encoding="utf-8", errors="replace", newline=""
    )
