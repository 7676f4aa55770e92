"""Bounded decompression and bounded line reading, for every byte that comes from outside.

Evidence comes from adversaries: 64 KB of zstd can inflate to gigabytes, a 1 MB gzip can hold one
line of a gigabyte. Everything that decompresses or splits lines goes through here, so memory stays
flat whatever the input claims:

    with decoded_reader(raw, "gzip, br") as stream:   # a file-like: read(n) never returns more than n
        ...
    data, cut = decode_bytes(payload, "zstd", limit=10 << 20)   # (bytes, truncated)
    for number, line in bounded_lines(binary, limit=1 << 20): ...  # an over-long line -> LineTooLong

    LineGuard(raw, limit)   # a raw stream whose over-long lines are replaced by a marker line

Each decoder produces output only as it is asked for it (zlib's max_length, brotli's
output_buffer_limit, zstandard's stream reader with a bounded window), so a bomb costs at most the
size of one read plus the decoder's window, never the size it inflates to. Refusals are one line
naming the limit (`LimitExceeded`, an InvalidInput). Standard library only at import time.
"""

from __future__ import annotations

import io
import os
import zlib
from collections.abc import Iterator

from osint.errors import InvalidInput
from osint.formats import size as size_text

CHUNK = 1 << 16
# A zstd frame may ask for a window of up to 2 GiB; the decoder fills it as it goes, so a bomb with a
# large window costs that much memory. zstd's own command line refuses more than 128 MiB unless told
# (--long / --memory); so do we.
ZSTD_MAX_WINDOW = 1 << 27
CODINGS = ("gzip", "x-gzip", "deflate", "br", "zstd", "identity")
# File compressions told from the first bytes (AIS files, list files).
MAGIC = {
    b"\x1f\x8b": "gzip",
    b"\x28\xb5\x2f\xfd": "zstd",
    b"BZh": "bzip2",
    b"\xfd7zXZ\x00": "xz",
    b"PK\x03\x04": "zip",
}


class LimitExceeded(InvalidInput):
    """Input larger than a limit osint keeps to; the message names the limit."""


class LineTooLong(InvalidInput):
    """A line longer than the line-length limit."""

    def __init__(self, message: str, number: int, limit: int):
        super().__init__(message)
        self.number = number
        self.limit = limit


def sniff(head: bytes) -> str:
    """gzip, zstd, bzip2, xz, zip or none, from a file's first bytes."""
    for magic, name in MAGIC.items():
        if head.startswith(magic):
            return name
    return "none"


# ---- decoding streams --------------------------------------------------------------------------


class _Decoding(io.RawIOBase):
    """A readable raw stream of `source`'s bytes decoded; each read decodes at most what it returns."""

    def __init__(self, source):
        self.source = source
        self.pending = b""
        self.eof = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        wanted = len(buffer)
        while not self.pending and not self.eof:
            self.pending = self._more(max(wanted, 1))
        count = min(wanted, len(self.pending))
        buffer[:count] = self.pending[:count]
        self.pending = self.pending[count:]
        return count

    def _more(self, wanted: int) -> bytes:
        raise NotImplementedError


class _ZlibDecoding(_Decoding):
    def __init__(self, source, wbits: int, name: str):
        super().__init__(source)
        self.wbits = wbits
        self.name = name
        self.decoder = zlib.decompressobj(wbits)
        self.tail = b""  # input not yet used (zlib's unconsumed_tail)
        self.started = False
        self.cut_short = False

    def _more(self, wanted: int) -> bytes:
        while True:
            if self.decoder.eof:
                rest = self.decoder.unused_data
                if self.wbits & 16 and not rest:
                    rest = self.source.read(CHUNK)
                if self.wbits & 16 and rest[:2] == b"\x1f\x8b":
                    # another gzip member follows: concatenated gzip files are one stream
                    self.decoder = zlib.decompressobj(self.wbits)
                    self.tail = rest
                else:
                    self.eof = True  # trailing bytes after the end are ignored
                    return b""
            data = self.tail
            if not data:
                data = self.source.read(CHUNK)
                if not data:
                    self.eof = True
                    # cut short: what was decoded stands (browsers show it too)
                    self.cut_short = self.started and not self.decoder.eof
                    return b""
            self.started = True
            try:
                out = self.decoder.decompress(data, min(wanted, CHUNK))
            except zlib.error as exc:
                raise ValueError(f"not valid {self.name} data ({exc})") from None
            # At the end of a stream, what follows it is in unused_data (unconsumed_tail too).
            self.tail = b"" if self.decoder.eof else self.decoder.unconsumed_tail
            if out:
                return out


class _BrotliDecoding(_Decoding):
    def __init__(self, source):
        super().__init__(source)
        try:
            import brotli
        except ImportError:
            raise ValueError("Brotli is not installed (pip install brotli)") from None
        self.brotli = brotli
        self.decoder = brotli.Decompressor()
        self.limited = hasattr(self.decoder, "can_accept_more_data")
        self.draining = False
        self.source_done = False
        self.cut_short = False

    def _more(self, wanted: int) -> bytes:
        brotli, decoder = self.brotli, self.decoder
        try:
            while True:
                if not self.limited:  # older brotli: small inputs keep each output small
                    data = self.source.read(64)
                    if not data:
                        self.eof = True
                        return b""
                    out = decoder.process(data)
                    if out:
                        return out
                    continue
                if decoder.is_finished():
                    self.eof = True
                    return b""
                data = b""
                if not self.draining and not self.source_done:
                    data = self.source.read(4096)
                    self.source_done = not data
                out = decoder.process(data, output_buffer_limit=CHUNK)
                self.draining = not decoder.can_accept_more_data()
                if out:
                    return out
                if self.source_done and not self.draining:
                    self.eof = True
                    self.cut_short = not decoder.is_finished()
                    return b""
        except brotli.error as exc:
            raise ValueError(f"not valid Brotli data ({exc})") from None


class _ZstdDecoding(_Decoding):
    def __init__(self, source):
        super().__init__(source)
        import zstandard

        self.zstandard = zstandard
        dctx = zstandard.ZstdDecompressor(max_window_size=ZSTD_MAX_WINDOW)
        self.reader = dctx.stream_reader(source, read_size=CHUNK, read_across_frames=True)

    def _more(self, wanted: int) -> bytes:
        try:
            out = self.reader.read(min(wanted, CHUNK))
        except self.zstandard.ZstdError as exc:
            message = str(exc)
            if "window" in message.lower() or "frameParameter_windowTooLarge" in message:
                raise LimitExceeded(
                    f"the zstd data needs a window over {size_text(ZSTD_MAX_WINDOW)} "
                    "(the decompression memory limit)"
                ) from None
            raise ValueError(f"not valid zstd data ({exc})") from None
        if not out:
            self.eof = True
        return out


def _decoder(source, name: str):
    name = name.strip().lower()
    if name in ("gzip", "x-gzip"):
        return _ZlibDecoding(source, zlib.MAX_WBITS | 16, "gzip")
    if name == "deflate":
        return _Deflate(source)
    if name == "br":
        return _BrotliDecoding(source)
    if name == "zstd":
        return _ZstdDecoding(source)
    raise ValueError(f"unknown Content-Encoding {name!r}")


class _Deflate(_Decoding):
    """HTTP deflate: zlib-wrapped as the standard says, or raw deflate as many servers send."""

    def __init__(self, source):
        super().__init__(source)
        self.inner = None

    def _more(self, wanted: int) -> bytes:
        if self.inner is None:
            head = self.source.read(2)
            wrapped = len(head) == 2 and (head[0] & 0x0F) == 8 and int.from_bytes(head) % 31 == 0
            source = _Prefixed(head, self.source)
            wbits = zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS
            self.inner = _ZlibDecoding(source, wbits, "deflate")
        out = self.inner.read(wanted)
        if not out:
            self.eof = True
        return out


class _Prefixed(io.RawIOBase):
    def __init__(self, head: bytes, source):
        self.head = head
        self.source = source

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self.head:
            out, self.head = self.head, b""
            return out
        return self.source.read(size)


def codings(header: str | None) -> list[str]:
    """The Content-Encoding names in the order they were applied ("identity" left out)."""
    names = [c.strip().lower() for c in (header or "").split(",") if c.strip()]
    return [n for n in names if n != "identity"]


def decoded_reader(source, coding: str | None):
    """A readable stream of `source` (anything with read(n)) with `coding` undone.

    `coding` is a Content-Encoding value ("gzip", "br, gzip"...) or a file compression from
    `sniff`. Reading raises ValueError when the bytes are not what the coding says, and
    LimitExceeded when decoding would need more memory than osint allows."""
    stream = source
    names = codings(coding)
    for name in reversed(names):  # the last coding named was applied last
        if name in ("bzip2", "xz"):
            import bz2
            import lzma

            stream = (bz2.BZ2File if name == "bzip2" else lzma.LZMAFile)(stream, mode="rb")
        else:
            stream = _decoder(stream, name)
    return stream


def decode_bytes(data: bytes, coding: str | None, limit: int) -> tuple[bytes, bool]:
    """`data` without its content coding, output stopped at `limit` bytes: (decoded, truncated).

    Raises ValueError when the bytes are not what the coding says."""
    if not codings(coding):
        return data[:limit], len(data) > limit
    return read_limited(decoded_reader(io.BytesIO(data), coding), limit)


def read_limited(stream, limit: int) -> tuple[bytes, bool]:
    """Up to `limit` bytes of `stream`, and whether there was more."""
    out = bytearray()
    while len(out) <= limit:
        chunk = stream.read(min(CHUNK, limit + 1 - len(out)))
        if not chunk:
            return bytes(out), False
        out += chunk
    del out[limit:]
    return bytes(out), True


def read_at_most(stream, limit: int, what: str) -> bytes:
    """All of `stream`, refused with LimitExceeded when it holds more than `limit` bytes."""
    data, more = read_limited(stream, limit)
    if more:
        raise LimitExceeded(f"{what} is larger than {size_text(limit)} (the limit for it); refused")
    return data


class IterReader(io.RawIOBase):
    """A readable stream over an iterator of byte chunks (httpx's iter_raw)."""

    def __init__(self, chunks):
        self.chunks = iter(chunks)
        self.pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self.pending:
            try:
                self.pending = next(self.chunks)
            except StopIteration:
                return 0
        count = min(len(buffer), len(self.pending))
        buffer[:count] = self.pending[:count]
        self.pending = self.pending[count:]
        return count


# ---- lines -------------------------------------------------------------------------------------

# The marker a LineGuard puts in place of an over-long line. Random for each process, so that a
# line of the input written to look like one is never taken for it (and its "length" believed).
OVERLONG = f"osint-overlong-line-{os.urandom(8).hex()}"


def overlong(line: str | bytes) -> int | None:
    """The length of the line a LineGuard marker stands for, or None for an ordinary line."""
    text = line.decode("latin-1") if isinstance(line, bytes) else line
    if text.startswith(OVERLONG):
        try:
            return int(text[len(OVERLONG) + 1 :].strip())
        except ValueError:
            return None
    return None


class LineGuard(io.RawIOBase):
    """A raw stream of `source`'s bytes in which each line longer than `limit` bytes is replaced by
    one marker line (`OVERLONG LENGTH`), so readers count it as one bad line, with its
    number, without ever holding it. At most `limit` bytes plus one read are kept.

    With `refuse` (a name for the input), an over-long line raises LineTooLong instead, naming
    its line number: for formats where one bad line spoils the file."""

    def __init__(self, source, limit: int, refuse: str | None = None):
        self.source = source
        self.limit = limit
        self.refuse = refuse
        self.lines = 0  # newlines passed on so far (with `refuse`)
        self.partial = bytearray()  # the line being read, not yet ended
        self.skipping = 0  # bytes of an over-long line dropped so far (0: not in one)
        self.ready = b""
        self.done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self.ready and not self.done:
            self._fill(max(len(buffer), CHUNK))
        count = min(len(buffer), len(self.ready))
        buffer[:count] = self.ready[:count]
        self.ready = self.ready[count:]
        return count

    def _marker(self, length: int, out: bytes | bytearray = b"") -> bytes:
        if self.refuse is not None:
            number = self.lines + out.count(b"\n") + 1
            raise LineTooLong(
                f"{self.refuse}: line {number:,} is longer than {size_text(self.limit)} "
                "(the line-length limit); refused",
                number,
                self.limit,
            )
        return f"{OVERLONG} {length}\n".encode()

    def _fill(self, size: int) -> None:
        chunk = self.source.read(size)
        if not chunk:
            self.done = True
            if self.skipping:
                self.ready = self._marker(self.skipping)
            elif len(self.partial) > self.limit:
                self.ready = self._marker(len(self.partial))
            else:
                self.ready = bytes(self.partial)
            self.partial = bytearray()
            return
        out = bytearray()
        start = 0
        while start < len(chunk):
            end = chunk.find(b"\n", start)
            if self.skipping:
                if end < 0:
                    self.skipping += len(chunk) - start
                    break
                out += self._marker(self.skipping + end - start, out)
                self.skipping = 0
                start = end + 1
                continue
            if end < 0:
                piece = chunk[start:]
                if len(self.partial) + len(piece) > self.limit:
                    self.skipping = len(self.partial) + len(piece)
                    self.partial = bytearray()
                else:
                    self.partial += piece
                break
            if self.partial:
                length = len(self.partial) + end - start
                if length > self.limit:
                    out += self._marker(length, out)
                else:
                    out += self.partial
                    out += chunk[start : end + 1]
                self.partial = bytearray()
            elif end - start > self.limit:
                out += self._marker(end - start, out)
            else:
                # The common case: whole lines, copied in one piece up to the last newline.
                last = chunk.rfind(b"\n")
                block = chunk[start : last + 1]
                if _longest_line(block, self.limit) <= self.limit:
                    out += block
                    start = last + 1
                    continue
                out += chunk[start : end + 1]
            start = end + 1
        self.ready = bytes(out)
        if self.refuse is not None:
            self.lines += self.ready.count(b"\n")


def _longest_line(block: bytes, limit: int) -> int:
    """The length of the longest line in `block` (lines ended by newlines), or less."""
    if len(block) <= limit:  # no line can be longer than the block
        return len(block)
    longest = 0
    start = 0
    while (end := block.find(b"\n", start)) >= 0:
        longest = max(longest, end - start)
        start = end + 1
    return longest


def bounded_lines(stream, limit: int, what: str = "the file") -> Iterator[tuple[int, bytes]]:
    """(line number, line) for each line of a binary `stream`; a line longer than `limit` bytes
    raises LineTooLong naming its number and the limit, having read no more than `limit` of it."""
    number = 0
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        number += 1
        if len(line) > limit and not line.endswith(b"\n"):
            raise LineTooLong(
                f"{what}: line {number:,} is longer than {size_text(limit)} "
                "(the line-length limit); refused",
                number,
                limit,
            )
        yield number, line


# ---- zip members, read in place ----------------------------------------------------------------


class ZipWindow(io.RawIOBase):
    """A stored (uncompressed) zip member read in place: seekable, nothing extracted anywhere."""

    def __init__(self, path, start: int, size: int):
        self.handle = open(path, "rb")  # noqa: SIM115 - closed by close()
        self.start = start
        self.size = size
        self.position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self.position, 2: self.size}[whence]
        self.position = max(0, base + offset)
        return self.position

    def readinto(self, buffer) -> int:
        count = max(0, min(len(buffer), self.size - self.position))
        if not count:
            return 0
        self.handle.seek(self.start + self.position)
        got = self.handle.readinto(memoryview(buffer)[:count])
        self.position += got
        return got

    def close(self) -> None:
        self.handle.close()
        super().close()


def open_zip_member(path, archive, info):
    """A seekable binary stream of one zip member, read where it lies: a stored member (as WACZ
    keeps its WARC files) is a window on the file; a compressed one is zipfile's stream, which
    decompresses as it is read (seeking back starts over). Never extracted to disk."""
    import struct
    import zipfile

    if info.compress_type == zipfile.ZIP_STORED and not info.flag_bits & 0x1:
        with open(path, "rb") as handle:
            handle.seek(info.header_offset)
            header = handle.read(30)
        if len(header) == 30 and header[:4] == b"PK\x03\x04":
            name_length, extra_length = struct.unpack("<HH", header[26:30])
            start = info.header_offset + 30 + name_length + extra_length
            return io.BufferedReader(ZipWindow(path, start, info.file_size), CHUNK)
    return archive.open(info)
