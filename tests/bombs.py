"""Decompression bombs built in a few milliseconds, and a runner that measures a command's peak memory.

Each bomb repeats one compressed block (deflate blocks ended by a full flush, or whole zstd
frames), so a gigabyte of output costs a kilobyte of work to build. `run_measured` runs `osint` in
a child process and returns its peak resident memory (from wait4), with the largest file it may
write capped (RLIMIT_FSIZE) so a bomb unpacked to a temporary file fails instead of filling a disk.

    python tests/bombs.py [REPO]   # peak memory of each bomb under the osint found in REPO
"""

from __future__ import annotations

import os
import resource
import struct
import subprocess
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

GB = 1 << 30
MB = 1 << 20


def deflate_repeating(
    prefix: bytes, unit: bytes, count: int, suffix: bytes
) -> tuple[bytes, int, int]:
    """Raw deflate of prefix + unit * count + suffix: (data, crc32, size)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    head = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(unit) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = compressor.compress(suffix) + compressor.flush()
    crc = zlib.crc32(prefix)
    for _ in range(count):
        crc = zlib.crc32(unit, crc)
    crc = zlib.crc32(suffix, crc)
    return head + block * count + tail, crc, len(prefix) + len(unit) * count + len(suffix)


def gzip_bomb(prefix: bytes, unit: bytes, count: int, suffix: bytes) -> bytes:
    data, crc, size = deflate_repeating(prefix, unit, count, suffix)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + data + struct.pack("<II", crc, size & 0xFFFFFFFF)


def zstd_bomb(prefix: bytes, unit: bytes, count: int, suffix: bytes) -> bytes:
    import zstandard

    compressor = zstandard.ZstdCompressor(level=19)
    frame = compressor.compress(unit)
    return compressor.compress(prefix) + frame * count + compressor.compress(suffix)


def zip_with(name: str, prefix: bytes, unit: bytes, count: int, suffix: bytes) -> bytes:
    """A zip holding one deflated member that inflates to prefix + unit * count + suffix."""
    data, crc, size = deflate_repeating(prefix, unit, count, suffix)
    encoded = name.encode()
    local = struct.pack(
        "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), size, len(encoded), 0
    )
    central = struct.pack(
        "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(data), size,
        len(encoded), 0, 0, 0, 0, 0, 0,
    )  # fmt: skip
    body = local + encoded + data
    directory = central + encoded
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(directory), len(body), 0)
    return body + directory + end


AIS_HEADER = b"MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status"
AIS_ROW = (
    b"445123000,2024-03-05T10:00:00,42.73,133.06,0.1,12.5,511,CHON MA SAN,IMO9321483,HMAB,80,5"
)


def ais_gzip_one_long_line(path: Path, line_bytes: int = GB) -> Path:
    """About 1 MB of gzip: a header, one line of `line_bytes` bytes, one good row."""
    path.write_bytes(
        gzip_bomb(AIS_HEADER + b"\n", b"x" * MB, line_bytes // MB, b"\n" + AIS_ROW + b"\n")
    )
    return path


def ais_zstd(path: Path, inflated: int = GB) -> Path:
    """A small .csv.zst whose one line after the header inflates to `inflated` bytes."""
    unit = 64 * MB
    path.write_bytes(
        zstd_bomb(AIS_HEADER + b"\n", b"x" * unit, inflated // unit, b"\n" + AIS_ROW + b"\n")
    )
    return path


def wacz_package_bomb(path: Path, inflated: int = GB) -> Path:
    """About 1 MB of WACZ whose datapackage.json inflates to `inflated` bytes of JSON."""
    path.write_bytes(
        zip_with(
            "datapackage.json", b'{"resources": [], "pad": "', b" " * MB, inflated // MB, b'"}'
        )
    )
    return path


def zstd_response(inflated: int = GB) -> bytes:
    """A zstd HTTP body of some 32 KB that inflates to `inflated` bytes of HTML."""
    unit = 64 * MB
    return zstd_bomb(b"<html><body><p>", b" " * unit, inflated // unit, b"</p></body></html>")


@dataclass
class Measured:
    status: int
    peak_mb: float
    stdout: str
    stderr: str


def run_measured(args: list[str], folder: Path, *, env: dict | None = None,
                 max_file: int = 64 * MB, timeout: float = 300) -> Measured:  # fmt: skip
    """Run `python -m osint ARGS` in a child; its exit status and peak resident memory (MB)."""
    out, err = folder / "child.out", folder / "child.err"

    def limits():  # no file larger than max_file (no bomb unpacked to disk)
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_file, max_file))

    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        child = subprocess.Popen(
            [sys.executable, "-m", "osint", *args],
            stdout=stdout,
            stderr=stderr,
            env=env or os.environ.copy(),
            cwd=folder,
            preexec_fn=limits,
        )
        try:
            _, status, usage = _wait4(child.pid, timeout)
        except BaseException:
            child.kill()
            child.wait()
            raise
        child.returncode = os.waitstatus_to_exitcode(status)
    return Measured(
        child.returncode,
        usage.ru_maxrss / 1024,  # Linux: kilobytes
        out.read_text(errors="replace"),
        err.read_text(errors="replace"),
    )


def _wait4(pid: int, timeout: float):
    import time

    deadline = time.monotonic() + timeout
    while True:
        got, status, usage = os.wait4(pid, os.WNOHANG)
        if got:
            return got, status, usage
        if time.monotonic() > deadline:
            raise TimeoutError(f"osint did not finish within {timeout:g} s")
        time.sleep(0.02)


def main(repo: str) -> None:  # pragma: no cover - a measurement for the report
    import tempfile
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    env = {**os.environ, "PYTHONPATH": repo, "OSINT_USER": "bench"}
    body = zstd_response()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Encoding", "zstd")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/bomb"
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        subprocess.run([sys.executable, "-m", "osint", "init", "case.db"], cwd=folder, env=env,
                       check=True, capture_output=True)  # fmt: skip
        cases = {
            f"capture of a {len(body) // 1024} KB zstd response, --max-size 1": [
                "-C", "case.db", "capture", url, "--max-size", "1"],
            "ais import of a 1 MB .gz with one 1 GB line": [
                "-C", "case.db", "ais", "import", str(ais_gzip_one_long_line(folder / "a.csv.gz"))],
            "ais import of a small .csv.zst inflating to 1 GB": [
                "-C", "case.db", "ais", "import", str(ais_zstd(folder / "a.csv.zst"))],
            "source import of a 1 MB WACZ whose datapackage.json inflates to 1 GB": [
                "-C", "case.db", "source", "import", str(wacz_package_bomb(folder / "a.wacz"))],
        }  # fmt: skip
        for label, args in cases.items():
            measured = run_measured(args, folder, env=env, max_file=1 << 40)
            last = (measured.stderr.strip().splitlines() or [""])[-1][:150]
            print(f"{label}: exit {measured.status}, peak {measured.peak_mb:.0f} MB | {last}")
    server.shutdown()


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).resolve().parents[1]))
