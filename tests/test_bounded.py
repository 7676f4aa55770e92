"""Bounded memory and time on every input: decompression bombs, over-long lines, slowloris.

Bombs are built by the tests (tests/bombs.py: a gigabyte of output from a kilobyte of work) and
run through `osint` in a child process whose peak memory is measured (wait4) and whose files are
capped at 64 MB (RLIMIT_FSIZE: nothing unpacked to disk). The bound asserted is the issue's goal,
300 MB; before this work each of these took 2-3 GB.
"""

from __future__ import annotations

import gzip
import io
import os
import socket
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from bombs import (
    GB,
    ais_gzip_one_long_line,
    ais_zstd,
    run_measured,
    wacz_package_bomb,
    zstd_response,
)

from osint import boundedio
from osint.case.handle import open_case

PEAK_MB = 300


# ---- the module --------------------------------------------------------------------------------


def _encoded(data: bytes) -> dict[str, bytes]:
    import brotli
    import zstandard

    return {
        "gzip": gzip.compress(data),
        "deflate": zlib.compress(data),
        "br": brotli.compress(data),
        "zstd": zstandard.ZstdCompressor().compress(data),
        "gzip, br": brotli.compress(gzip.compress(data)),  # gzip applied first, then br
    }


def test_every_content_coding_decodes_and_stops_at_the_limit():
    data = os.urandom(3000) * 40 + b"tanker at berth 2\n" * 20000
    for coding, encoded in _encoded(data).items():
        assert boundedio.decode_bytes(encoded, coding, 10 << 20) == (data, False), coding
        assert boundedio.decode_bytes(encoded, coding, 1000) == (data[:1000], True), coding
    # Raw deflate without the zlib wrapper (as many servers send it) and concatenated gzip.
    raw = zlib.compressobj(6, zlib.DEFLATED, -15)
    assert boundedio.decode_bytes(raw.compress(data) + raw.flush(), "deflate", 1 << 24)[0] == data
    twice = gzip.compress(data) + gzip.compress(b"more")
    assert boundedio.decode_bytes(twice, "gzip", 1 << 24)[0] == data + b"more"
    with pytest.raises(ValueError, match="not valid"):
        boundedio.decode_bytes(b"\x1f\x8b\x08\x00garbage" * 10, "gzip", 1000)


def test_a_gigabyte_bomb_is_read_a_chunk_at_a_time():
    stream = boundedio.decoded_reader(io.BytesIO(zstd_response(GB)), "zstd")
    first = stream.read(1 << 20)
    assert 0 < len(first) <= 1 << 20  # no read returns more than asked, whatever the data holds
    data, more = boundedio.read_limited(stream, 5 << 20)
    assert len(data) == 5 << 20 and more
    with pytest.raises(boundedio.LimitExceeded, match="larger than 1 MiB"):
        boundedio.read_at_most(io.BytesIO(b"x" * (2 << 20)), 1 << 20, "datapackage.json")


def test_over_long_lines_become_one_marker_line_or_a_refusal_naming_the_line():
    text = b"a,b\n" + b"x" * 5000 + b"\nc,d\n" + b"y" * 3000 + b"\ne,f"
    guarded = io.BufferedReader(boundedio.LineGuard(io.BytesIO(text), 1000), 64).read()
    lines = guarded.split(b"\n")
    assert lines == [b"a,b", lines[1], b"c,d", lines[3], b"e,f"]
    assert boundedio.overlong(lines[1]) == 5000 and boundedio.overlong(lines[3]) == 3000
    assert boundedio.overlong(b"c,d") is None
    # A line of the input written to look like the marker is an ordinary line.
    assert boundedio.overlong(b"osint-overlong-line 99999999999") is None
    assert boundedio.overlong(lines[1][:-2] + b"xx") is None
    plain = b"row\n" * 100000
    assert io.BufferedReader(boundedio.LineGuard(io.BytesIO(plain), 1000)).read() == plain
    strict = boundedio.LineGuard(io.BytesIO(text), 1000, refuse="list.csv")
    with pytest.raises(boundedio.LineTooLong, match=r"list.csv: line 2 is longer than 1,000 bytes"):
        io.BufferedReader(strict).read()
    with pytest.raises(boundedio.LineTooLong, match="line 2 is longer"):
        list(boundedio.bounded_lines(io.BytesIO(text), 1000, "entities.ftm.json"))


# ---- capture -----------------------------------------------------------------------------------


class _Bomb(BaseHTTPRequestHandler):
    body = b""

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Encoding", "zstd")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)


@pytest.fixture
def served_bomb():
    handler = type("Handler", (_Bomb,), {"body": zstd_response(GB)})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/bomb", len(handler.body)
    finally:
        server.shutdown()
        server.server_close()


def test_a_small_zstd_response_inflating_to_a_gigabyte_is_refused_at_the_cap(
    case_path, tmp_path, served_bomb
):
    url, size = served_bomb
    assert size < 64 * 1024
    done = run_measured(["-C", str(case_path), "capture", url, "--max-size", "1"], tmp_path)
    assert done.status == 1, done.stderr
    assert "larger than the 1 MiB cap (--max-size)" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert done.peak_mb < PEAK_MB, f"peak {done.peak_mb:.0f} MB"


@pytest.fixture
def slowloris():
    """A server that sends a status line, then one header byte every 0.3 s (for 60 s at most)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    stop = threading.Event()

    def trickle():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                try:
                    conn.recv(65536)
                    conn.sendall(b"HTTP/1.1 200 OK\r\n")
                    end = time.monotonic() + 60
                    while not stop.is_set() and time.monotonic() < end:
                        conn.sendall(b"X")
                        stop.wait(0.3)
                except OSError:
                    continue

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/"
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def test_timeout_is_a_deadline_for_the_whole_exchange_even_when_bytes_trickle(cli, slowloris):
    result = cli("capture", slowloris, "--timeout", "2", expect=1)
    assert "did not answer within 2 s" in result.stderr
    assert "deadline for the whole exchange" in result.stderr


# ---- AIS ---------------------------------------------------------------------------------------


def _ais_import(case_path, tmp_path, path):
    done = run_measured(["-C", str(case_path), "--json", "ais", "import", str(path)], tmp_path)
    assert done.status == 0, done.stderr
    assert done.peak_mb < PEAK_MB, f"peak {done.peak_mb:.0f} MB"
    with open_case(case_path) as case:
        row = dict(case.conn.execute("SELECT * FROM ais_imports").fetchone())
    return done, row


def test_a_gzip_holding_one_gigabyte_line_is_one_invalid_row_with_its_number(case_path, tmp_path):
    path = ais_gzip_one_long_line(tmp_path / "day.csv.gz", GB)
    assert path.stat().st_size < 2 << 20
    done, row = _ais_import(case_path, tmp_path, path)
    assert "line 2: line of 1 GiB is longer than 1 MiB (the line-length limit)" in done.stderr
    assert row["rows_invalid"] == 1 and row["rows_kept"] == 1  # the row after it still counts


def test_a_small_zstd_file_inflating_to_a_gigabyte_stays_in_bounded_memory(case_path, tmp_path):
    path = ais_zstd(tmp_path / "day.csv.zst", GB)
    assert path.stat().st_size < 100 * 1024
    done, row = _ais_import(case_path, tmp_path, path)
    assert "line 2: line of 1 GiB is longer than 1 MiB" in done.stderr
    assert row["rows_invalid"] == 1 and row["rows_kept"] == 1


def test_an_over_long_first_line_is_refused_naming_the_limit(cli, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"x" * (2 << 20) + b"\n")
    result = cli("ais", "import", path, expect=1)
    assert "line 1: line of 2 MiB is longer than 1 MiB (the line-length limit)" in result.stderr


# ---- WACZ --------------------------------------------------------------------------------------


def test_a_wacz_whose_datapackage_inflates_to_a_gigabyte_is_refused(case_path, tmp_path):
    path = wacz_package_bomb(tmp_path / "bomb.wacz", GB)
    assert path.stat().st_size < 2 << 20
    done = run_measured(["-C", str(case_path), "source", "import", str(path)], tmp_path)
    assert done.status == 1
    assert "datapackage.json is larger than 16 MiB (the limit for it); refused" in done.stderr
    assert done.peak_mb < PEAK_MB, f"peak {done.peak_mb:.0f} MB"


# ---- sanctions lists ---------------------------------------------------------------------------


def test_a_list_file_with_an_over_long_line_is_refused_by_line_number(tmp_path, monkeypatch):
    from osint.screening import readers

    monkeypatch.setattr(readers.common, "MAX_LINE", 1000)
    path = tmp_path / "entities.ftm.json"
    path.write_bytes(b'{"id": "a", "schema": "Vessel"}\n' + b"{" + b" " * 5000 + b"}\n")
    with pytest.raises(boundedio.LineTooLong, match="line 2 is longer than 1,000 bytes"):
        readers.read_ftm(path)
    csv_path = tmp_path / "targets.simple.csv"
    csv_path.write_bytes(b"id,schema,name\n" + b"x" * 5000 + b"\n")
    with pytest.raises(boundedio.LineTooLong, match="line 2 is longer than 1,000 bytes"):
        readers.read_simple_csv(csv_path)


def test_a_gzip_list_file_that_inflates_like_a_bomb_is_refused_early(tmp_path):
    from bombs import gzip_bomb

    from osint.errors import InvalidInput
    from osint.screening.readers import ofac_files

    path = tmp_path / "entities.ftm.json.gz"
    path.write_bytes(
        gzip_bomb(b'{"id": "x", "schema": "Vessel", "pad": "', b" " * (1 << 20), 1024, b'"}\n')
    )
    assert path.stat().st_size < 2 << 20
    folder = tmp_path / "work"
    folder.mkdir()
    with pytest.raises(InvalidInput, match="100 times its size.*refused as a decompression bomb"):
        ofac_files.gunzip(path, folder)
    assert list(folder.iterdir()) == []  # the partial copy is gone; it never passed 64 MiB
