"""Zip and gzip AIS files inflated by ISA-L (python-isal) give what zlib gives: the same rows and
counts, the same refusal of a damaged, truncated or crafted file, in bounded memory."""

from __future__ import annotations

import gzip
import struct
import zipfile
from pathlib import Path

import pytest

from osint.case.handle import init_case
from osint.errors import InvalidInput
from osint.maritime.ais import importer, inflate

pytest.importorskip("isal")

from test_maritime_ais_scale import dma_day  # noqa: E402


def _import(tmp_path: Path, path: Path, isal: bool, monkeypatch, label: str):
    monkeypatch.setattr(inflate, "available", lambda: isal)
    with init_case(tmp_path / f"{label}-{isal}.db") as case:
        try:
            row = importer.import_file(case, path, importer.ImportOptions())["import"]
        except InvalidInput as exc:
            return ("refused", str(exc))
        stored = case.conn.execute(
            "SELECT mmsi, epoch, lat, lon, sog, cog, heading, status FROM ais_positions ORDER BY id"
        ).fetchall()
    counts = {k: v for k, v in row.items() if k.startswith("rows_") or k in ("sha256", "layout")}
    return counts, [tuple(r) for r in stored]


def _zip(path: Path, text: str, method=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as archive:
        archive.writestr("aisdk-2023-03-18.csv", text)
    return path


def _both(tmp_path, path, monkeypatch):
    fast = _import(tmp_path, path, True, monkeypatch, path.name)
    slow = _import(tmp_path, path, False, monkeypatch, path.name)
    assert fast == slow, path.name
    return fast


def test_isal_reads_zip_and_gzip_days_as_zlib_does(tmp_path, monkeypatch):
    text = dma_day(3000, seed=5)
    for path in (
        _zip(tmp_path / "day.zip", text),
        _zip(tmp_path / "stored.zip", text, zipfile.ZIP_STORED),  # left to zipfile
    ):
        counts, rows = _both(tmp_path, path, monkeypatch)
        assert counts["rows_kept"] > 1000 and len(rows) == counts["rows_kept"]
    gz = tmp_path / "day.csv.gz"
    # Two gzip members, as `cat a.gz b.gz` makes them: both are read.
    gz.write_bytes(gzip.compress(text[:40_000].encode()) + gzip.compress(text[40_000:].encode()))
    counts, rows = _both(tmp_path, gz, monkeypatch)
    assert counts["rows_kept"] > 1000


def _central_crc_offset(data: bytes) -> int:
    """Where the central directory entry of the only member keeps its CRC-32."""
    return data.rindex(b"PK\x01\x02") + 16


@pytest.mark.parametrize(
    "damage",
    ["flipped", "wrong-crc", "wrong-size", "cut", "renamed-local", "gzip-cut", "gzip-flipped"],
)
def test_isal_refuses_what_zlib_refuses(tmp_path, monkeypatch, damage):
    text = dma_day(400, seed=3)
    data = bytearray(_zip(tmp_path / "a.zip", text).read_bytes())
    if damage == "flipped":
        data[200:210] = b"XXXXXXXXXX"  # inside the compressed data
    elif damage == "wrong-crc":
        at = _central_crc_offset(data)
        data[at : at + 4] = struct.pack("<L", struct.unpack("<L", data[at : at + 4])[0] ^ 1)
    elif damage == "wrong-size":  # the directory says the data is one byte longer than it is
        at = _central_crc_offset(data) + 8
        data[at : at + 4] = struct.pack("<L", struct.unpack("<L", data[at : at + 4])[0] + 1)
    elif damage == "cut":  # the compressed data ends early (the directory is kept)
        start = data.index(b"PK\x01\x02")
        data = data[:100] + data[start:]
    elif damage == "renamed-local":  # the local header names another file than the directory
        at = 30
        data[at : at + 5] = b"other"
    else:
        data = bytearray(gzip.compress(text.encode()))
        if damage == "gzip-cut":
            data = data[: len(data) // 2]
        else:
            data[300:310] = b"XXXXXXXXXX"
    path = tmp_path / ("bad.csv.gz" if damage.startswith("gzip") else "bad.zip")
    path.write_bytes(bytes(data))
    fast = _import(tmp_path, path, True, monkeypatch, damage)
    slow = _import(tmp_path, path, False, monkeypatch, damage)
    if damage == "wrong-size":  # the data is whole (its CRC-32 says so): zipfile reads it
        assert fast == slow and fast[0]["rows_kept"] > 100
        return
    assert fast[0] == "refused" and slow[0] == "refused", damage
    assert "nothing was imported" in fast[1] and str(path) in fast[1]


@pytest.mark.parametrize("wanted", [1000, 1 << 16, 1 << 22])
def test_a_zip_bomb_is_inflated_a_buffer_at_a_time(tmp_path, wanted):
    import hashlib
    import random

    path = tmp_path / "bomb.zip"
    noise = random.Random(1).randbytes(300_000)  # then zeros: the last input holds most output
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("zeros.csv", "w") as member,
    ):
        member.write(noise)
        for _ in range(64):
            member.write(b"0" * (1 << 20))
    assert path.stat().st_size < 600_000  # 64 MiB inside
    whole = hashlib.sha256(noise + b"0" * (64 << 20)).hexdigest()
    with zipfile.ZipFile(path) as archive, open(path, "rb") as handle:
        member = inflate.open_member(archive, handle, archive.infolist()[0])
        assert isinstance(member, inflate.ZipMember)
        buffer = bytearray(wanted)
        sizes = []
        read = hashlib.sha256()
        while count := member.readinto(buffer):
            sizes.append(count)
            read.update(buffer[:count])
    assert max(sizes) <= wanted and read.hexdigest() == whole


def test_large_input_without_the_speed_up_extra_gets_a_note(cli, tmp_path, monkeypatch):
    from osint.cli import maritime_cmds

    day = _zip(tmp_path / "aisdk-2023-03-18.zip", dma_day(200, seed=1))
    monkeypatch.setattr(maritime_cmds, "SPEED_NOTE_BYTES", day.stat().st_size)
    result = cli("ais", "import", day)
    assert "osint[ais-fast]" not in result.stderr  # everything is installed here
    import importlib.util

    found = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "isal" else found(name, *a)
    )
    result = cli("ais", "import", day)  # imported before: a duplicate import, still noted
    assert "isal not installed: pip install 'osint[ais-fast]'" in result.stderr
    monkeypatch.setattr(maritime_cmds, "SPEED_NOTE_BYTES", day.stat().st_size + 1)
    assert "osint[ais-fast]" not in cli("ais", "import", day).stderr
