"""Files inside the case: byte-identical out, stored once, streamed in chunks, tamper-evident."""

from __future__ import annotations

import hashlib
import os

import pytest

from osint.case.store import blobs
from osint.errors import InvalidInput


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(blobs, "CHUNK_SIZE", 1000)


def test_a_file_comes_out_byte_identical(case, tmp_path, small_chunks):
    original = tmp_path / "scene.bin"
    original.write_bytes(os.urandom(10_500))
    with case.writing():
        sha, size, new = blobs.put_file(case.conn, original, "application/octet-stream")
    assert new and size == 10_500
    assert sha == hashlib.sha256(original.read_bytes()).hexdigest()
    chunks = case.conn.execute(
        "SELECT count(*) FROM blob_chunks WHERE sha256 = ?", (sha,)
    ).fetchone()[0]
    assert chunks == 11
    out = tmp_path / "out.bin"
    blobs.export(case.conn, sha, out)
    assert out.read_bytes() == original.read_bytes()


def test_the_same_bytes_are_stored_once(case, tmp_path):
    one = tmp_path / "a.txt"
    two = tmp_path / "b.txt"
    one.write_bytes(b"same bytes")
    two.write_bytes(b"same bytes")
    with case.writing():
        first = blobs.put_file(case.conn, one)
        second = blobs.put_file(case.conn, two)
    assert first[0] == second[0]
    assert first[2] is True and second[2] is False
    assert case.conn.execute("SELECT count(*) FROM blobs").fetchone()[0] == 1


def test_a_file_that_changed_since_it_was_hashed_is_refused(case, tmp_path):
    path = tmp_path / "moving.txt"
    path.write_bytes(b"before")
    stale_hash = hashlib.sha256(b"something else").hexdigest()
    with pytest.raises(InvalidInput, match="changed"), case.writing():
        blobs.put_file(case.conn, path, sha256=stale_hash)
    assert case.conn.execute("SELECT count(*) FROM blob_chunks").fetchone()[0] == 0


def test_altered_bytes_are_found_by_rehashing(case, tmp_path):
    with case.writing():
        sha, _ = blobs.put_bytes(case.conn, b"evidence")
    assert list(blobs.check_all(case.conn)) == []
    case.conn.execute("UPDATE blob_chunks SET data = ? WHERE sha256 = ?", (b"evidencE", sha))
    problems = list(blobs.check_all(case.conn))
    assert problems and problems[0][0] == sha


def test_export_of_damaged_bytes_fails_and_writes_nothing(case, tmp_path):
    with case.writing():
        sha, _ = blobs.put_bytes(case.conn, b"evidence")
    case.conn.execute("UPDATE blob_chunks SET data = ? WHERE sha256 = ?", (b"tampered", sha))
    out = tmp_path / "out.bin"
    with pytest.raises(Exception, match="damaged"):
        blobs.export(case.conn, sha, out)
    assert not out.exists()
