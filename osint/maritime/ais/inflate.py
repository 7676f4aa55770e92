"""Zip and gzip AIS files inflated by ISA-L when python-isal is installed (the ais-fast extra).

Inflating is most of what reading a zipped day costs besides parsing it. ISA-L inflates DEFLATE
data about three times as fast as zlib: a 5 M-row DMA day (808 MB inside its zip) takes 1.13 s
with zlib and 0.34 s with ISA-L, CRC-32 included (bench/ais_scale.py reports the whole import).

A zip member is read as zipfile reads it: its local header checked against the central
directory, its compressed bytes inflated at most one buffer at a time (bounded memory, whatever
the ratio), then its CRC-32 and size checked; a damaged or truncated member raises what zipfile
raises (zipfile.BadZipFile, EOFError). Members that are not plainly deflated (stored, bzip2,
encrypted) are left to zipfile.
"""

from __future__ import annotations

import io
import struct
import zipfile
from importlib.util import find_spec

_LOCAL_HEADER = struct.Struct("<4s5HLLLHH")
_READ = 1 << 18


def available() -> bool:
    """Whether python-isal can be imported."""
    return find_spec("isal") is not None


def errors() -> tuple[type[BaseException], ...]:
    """What ISA-L raises on damaged data (besides OSError and EOFError), when it is installed."""
    if not available():
        return ()
    from isal import isal_zlib

    error: type[BaseException] = isal_zlib.error  # type: ignore[assignment]  # its stub says an instance
    return (error,)


def open_member(archive: zipfile.ZipFile, handle, info: zipfile.ZipInfo):
    """A binary stream of one zip member: inflated by ISA-L when it can be, else by zipfile."""
    if (
        not available()
        or info.compress_type != zipfile.ZIP_DEFLATED
        or info.flag_bits & 0x1  # encrypted
    ):
        return archive.open(info)
    return ZipMember(handle, info)


def open_gzip(binary):
    """A gzip stream over `binary` (all members, CRCs checked): ISA-L's when it is installed."""
    if available():
        from isal import igzip

        return igzip.IGzipFile(fileobj=binary, mode="rb")
    import gzip

    return gzip.GzipFile(fileobj=binary, mode="rb")


class ZipMember(io.RawIOBase):
    """One deflated zip member, inflated by ISA-L."""

    def __init__(self, handle, info: zipfile.ZipInfo):
        from isal import isal_zlib

        self.handle = handle
        self.info = info
        handle.seek(info.header_offset)
        header = handle.read(_LOCAL_HEADER.size)
        if len(header) != _LOCAL_HEADER.size:
            raise zipfile.BadZipFile("truncated local file header")
        magic, *_, name_length, extra_length = _LOCAL_HEADER.unpack(header)
        if magic != b"PK\x03\x04":
            raise zipfile.BadZipFile("bad magic number for file header")
        name = handle.read(name_length)
        # As zipfile checks it: a member whose local name differs from the directory's is not
        # the member the directory describes (overlapping entries, a crafted archive).
        encoding = "utf-8" if info.flag_bits & 0x800 else "cp437"
        if name.decode(encoding, errors="replace") != info.orig_filename:
            raise zipfile.BadZipFile(
                f"file name in directory {info.orig_filename!r} and header {name!r} differ"
            )
        self.offset = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length
        self.remaining = info.compress_size
        self.inflater = isal_zlib.decompressobj(-15)
        self.crc32 = isal_zlib.crc32
        self.crc = 0
        self.size = 0
        self.tail = b""
        self.done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        wanted = len(buffer)
        if not wanted:
            return 0  # (a max_length of 0 would mean no limit)
        while not self.done:
            data = self.tail
            if not data and self.remaining:
                self.handle.seek(self.offset)
                data = self.handle.read(min(self.remaining, _READ))
                if not data:
                    raise EOFError("the zip file ends inside the member")
                self.offset += len(data)
                self.remaining -= len(data)
            # With all the input given, the inflater may still hold output it had no room for.
            out = self.inflater.decompress(data, wanted)
            if not data and not out:
                self._end()
                break
            self.tail = self.inflater.unconsumed_tail
            if self.inflater.eof:  # as zipfile does: what follows the stream is not read
                self.remaining, self.tail = 0, b""
            if out:
                self.crc = self.crc32(out, self.crc)
                self.size += len(out)
                if self.size > self.info.file_size:
                    raise zipfile.BadZipFile(
                        f"{self.info.filename!r} is longer than its entry says"
                    )
                buffer[: len(out)] = out
                return len(out)
        return 0

    def _end(self) -> None:
        # As zipfile: a stream that ends early is damaged; one shorter than the directory says
        # is not, if its CRC-32 is right (the same file must read the same with or without ISA-L).
        self.done = True
        if not self.inflater.eof:
            raise EOFError("Compressed file ended before the end-of-stream marker was reached")
        if self.crc != self.info.CRC:
            raise zipfile.BadZipFile(f"Bad CRC-32 for file {self.info.filename!r}")
