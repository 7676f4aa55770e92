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

pyarrow is optional (the `osint[fast]` extra): without it, readers.CsvReader reads every row.
"""

from __future__ import annotations

import csv
import io
from importlib.util import find_spec

BLOCK = 8 << 20


def available() -> bool:
    """Whether pyarrow (and numpy) can be imported."""
    return find_spec("pyarrow") is not None and find_spec("numpy") is not None


class ArrowCsvReader:
    """A readers.CsvReader whose rows come block by block through pyarrow (same interface).

    The file's text stream must not have read past the header (readers.open_reader(...,
    vectorised=True) reads the header a byte at a time), so the blocks start at the first data
    line.
    """

    def __init__(self, base, filters=None):
        self.base = base
        self.opened = base.opened
        self.name = base.name
        self.layout = base.layout
        self.header = base.header
        self.columns = base.columns
        self.warnings = base.warnings
        self.indices = base.indices
        self.delimiter = base.reader.dialect.delimiter
        self.fields = base.width  # columns in the file
        # A file without some fields reads them from an empty column appended to every row.
        self.width = base.width + (1 if base.pads else 0)
        self.pads = False
        self.filters = filters
        self.next_line = base.skipped + 2  # the file's line number of the first data line
        self._line = self.next_line - 1
        self.intake = None
        self.blocks = {"arrow": 0, "python": 0}

    # -- the interface of readers.CsvReader -------------------------------------------------------

    parse_time = property(lambda self: self.base.parse_time)
    lat_index = property(lambda self: self.base.lat_index)
    lon_index = property(lambda self: self.base.lon_index)
    pick = property(lambda self: self.base.pick)

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
        text_types = {n: pa.string() for n in names}
        read_options = pacsv.ReadOptions(
            column_names=names, use_threads=False, block_size=BLOCK * 2
        )
        convert = pacsv.ConvertOptions(column_types=text_types)
        plain = pacsv.ParseOptions(delimiter=self.delimiter, newlines_in_values=False)
        quoted = pacsv.ParseOptions(delimiter=self.delimiter, newlines_in_values=True)
        for block in self._blocks():
            first = self.next_line
            lines = block.count(b"\n") + (0 if block.endswith(b"\n") else 1)
            self.next_line = first + lines
            table = None
            if not (b"\r" in block and block.count(b"\r") != block.count(b"\r\n")):
                try:
                    table = pacsv.read_csv(
                        pa.py_buffer(block),
                        read_options=read_options,
                        parse_options=quoted if b'"' in block else plain,
                        convert_options=convert,
                    )
                except (pa.ArrowInvalid, pa.ArrowException):
                    table = None
                if table is not None and table.num_rows != lines:
                    table = None  # not one row per line: Python reads it, line by line
            if table is None:
                self.blocks["python"] += 1
                yield from self._python_rows(block, first)
            else:
                self.blocks["arrow"] += 1
                yield from self._arrow_rows(table, first)

    def _blocks(self):
        """The rest of the decompressed file in blocks of whole lines (no quote left open)."""
        binary = self.opened.text.buffer
        rest = b""
        while True:
            chunk = binary.read(BLOCK)
            data = rest + chunk if rest else chunk
            if not chunk:
                if data:
                    yield data
                return
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                rest = data
                continue
            block, rest = data[:cut], data[cut:]
            while block.count(b'"') % 2:  # a quoted field goes on past the cut: take more lines
                more = binary.read(BLOCK)
                if not more:
                    block, rest = block + rest, b""
                    break
                rest += more
                cut = rest.rfind(b"\n") + 1
                if cut == 0:
                    continue
                block, rest = block + rest[:cut], rest[cut:]
            yield block

    def _python_rows(self, block: bytes, first: int):
        """A block read by the csv module as the pure-Python reader reads the file."""
        text = io.StringIO(block.decode("utf-8", errors="replace"), newline="")
        reader = csv.reader(text, delimiter=self.delimiter)
        intake = self.intake
        fields, padded = self.fields, self.width != self.fields
        while True:
            try:
                for row in reader:
                    self._line = first + reader.line_num - 1
                    if len(row) != fields:
                        problem = self.base.malformed(row)
                        if problem:
                            intake.invalid_row(self._line, *problem)
                        continue
                    if padded:
                        row.append("")
                    yield row
                return
            except csv.Error as exc:
                self._line = first + reader.line_num - 1
                intake.invalid_row(self._line, f"unreadable CSV ({exc})")

    def _arrow_rows(self, table, first: int):
        """The rows of a parsed block the loop must see: all, or with a box those not plainly
        outside it (the others are counted here)."""
        import numpy as np
        import pyarrow as pa

        filters = self.filters
        box = filters.box if filters is not None else None
        index = None
        if box:
            try:
                lat = table.column(self.lat_index).cast(pa.float64()).to_numpy()
                lon = table.column(self.lon_index).cast(pa.float64()).to_numpy()
            except (pa.ArrowInvalid, pa.ArrowException):
                lat = None  # a value that is not a plain number: the loop reads every row
            if lat is not None:
                south, west, north, east = box
                with np.errstate(invalid="ignore"):
                    inside_lon = (
                        (lon >= west) | (lon <= east)
                        if west > east
                        else (lon >= west) & (lon <= east)
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
                    mirrored = (
                        outside & (lon >= south) & (lon <= north) & (lat >= west) & (lat <= east)
                    )
                self.intake.outside += int(outside.sum())
                self.intake.mirrored += int(mirrored.sum())
                index = np.flatnonzero(~outside)
                if not len(index):
                    return
                table = table.take(pa.array(index))
        columns = [table.column(i).to_pylist() for i in range(self.fields)]
        if self.width != self.fields:
            columns.append([""] * table.num_rows)
        if index is None:
            for offset, row in enumerate(zip(*columns, strict=True)):
                self._line = first + offset
                yield row
        else:
            for offset, row in zip(index.tolist(), zip(*columns, strict=True), strict=True):
                self._line = first + offset
                yield row
