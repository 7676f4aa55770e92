"""The reliability suite: kill -9 mid-write, a full disk, a read-only case, and hostile values
for every parser a user's input goes through (property-based)."""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from crash import kill_mid_transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from osint import ids, timeutil
from osint.case import records
from osint.errors import AmbiguousId, InvalidInput, RecordNotFound
from osint.maritime import identifiers, places

HEADER = "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status"


def _ais_file(path: Path, rows: int, seed: int = 1) -> Path:
    rng = random.Random(seed)
    with open(path, "w") as out:
        out.write(HEADER + "\n")
        for n in range(rows):
            mmsi = 445000000 + n % 40
            minute = n // 40
            out.write(
                f"{mmsi},2024-03-{1 + minute // 1440:02d}T{minute // 60 % 24:02d}:{minute % 60:02d}:00,"
                f"{42.7 + rng.random() / 10:.5f},{133.0 + rng.random() / 10:.5f},0.1,10,511,"
                f"TANKER {mmsi % 100},,,80,5\n"
            )
    return path


def _osint(*args, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "osint", *map(str, args)], capture_output=True, text=True, **kwargs
    )


def _sound(case_path: Path) -> dict:
    conn = sqlite3.connect(case_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
    report = json.loads(_osint("--case", case_path, "--json", "verify").stdout)
    assert report["ok"] is True, report["problems"][:3]
    return report


def _count(case_path: Path, table: str) -> int:
    conn = sqlite3.connect(case_path)
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def test_kill_9_during_an_ais_import_then_the_rerun_completes(case_path, tmp_path):
    ais = _ais_file(tmp_path / "ais.csv", 150_000)
    rng = random.Random(5)
    caught = sum(
        kill_mid_transaction(
            ["--case", case_path, "ais", "import", ais], case_path, rng, settle=0.2
        )
        for _ in range(3)
    )
    assert caught >= 1
    _sound(case_path)
    assert _count(case_path, "ais_positions") in (0, 150_000)
    done = _osint("--case", case_path, "ais", "import", ais)
    assert done.returncode == 0, done.stderr
    again = _osint("--case", case_path, "ais", "import", ais)
    assert again.returncode == 0, again.stderr
    assert _count(case_path, "ais_positions") == 150_000
    _sound(case_path)


def test_kill_9_during_a_merge_then_the_rerun_completes(case_path, tmp_path):
    other = tmp_path / "other.db"
    shutil.copy(case_path, other)
    ais = _ais_file(tmp_path / "ais.csv", 150_000, seed=2)
    assert _osint("--case", other, "ais", "import", ais).returncode == 0
    assert _osint("--case", other, "finding", "add", "from the other case").returncode == 0
    rng = random.Random(6)
    caught = sum(
        kill_mid_transaction(["--case", case_path, "merge", other], case_path, rng, settle=0.2)
        for _ in range(3)
    )
    assert caught >= 1
    _sound(case_path)
    assert _count(case_path, "ais_positions") in (0, 150_000)
    merged = _osint("--case", case_path, "--json", "merge", other)
    assert merged.returncode == 0, merged.stderr
    assert _count(case_path, "ais_positions") == 150_000
    assert _count(case_path, "findings") == 1
    assert (
        json.loads(_osint("--case", case_path, "--json", "merge", other).stdout)["up_to_date"]
        is True
    )
    _sound(case_path)


def _limited_file_size(limit: int):
    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_full_disk_is_a_clear_error_and_the_case_stays_as_it_was(case_path, tmp_path):
    assert _osint("--case", case_path, "finding", "add", "before the disk filled").returncode == 0
    before = _count(case_path, "audit_log")
    data = case_path.read_bytes()
    size = len(data)
    big = tmp_path / "scene.bin"
    big.write_bytes(os.urandom(4 * 1024 * 1024))
    result = subprocess.run(
        [sys.executable, "-m", "osint", "--case", str(case_path), "source", "add", "ref",
         "--title", "Too big for the disk", "--snapshot", str(big)],
        capture_output=True, text=True, preexec_fn=_limited_file_size(size + 256 * 1024),
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.startswith("Error:") and "Traceback" not in result.stderr
    assert (
        "full" in result.stderr
        or "cannot write" in result.stderr
        or "could not write" in result.stderr
    )
    # Rolled back before osint exited: the same bytes, and no journal left beside the case.
    assert case_path.read_bytes() == data
    assert not case_path.with_name(case_path.name + "-journal").exists()
    assert _count(case_path, "audit_log") == before
    assert _count(case_path, "sources") == 0
    _sound(case_path)


def _make_read_only(path: Path) -> bool:
    if os.geteuid() != 0:
        path.chmod(0o444)
        return True
    return subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0


def test_a_read_only_case_is_a_clear_error_and_stays_as_it_was(case_path):
    assert _osint("--case", case_path, "finding", "add", "kept").returncode == 0
    data = case_path.read_bytes()
    if not _make_read_only(case_path):
        pytest.skip("cannot make a file read-only here")
    try:
        result = _osint("--case", case_path, "finding", "add", "refused")
        assert result.returncode == 1
        assert result.stderr.startswith("Error:") and "Traceback" not in result.stderr
        assert "read-only" in result.stderr or "cannot be written" in result.stderr
        listed = _osint("--case", case_path, "--json", "list", "findings")
        assert listed.returncode == 0 and len(json.loads(listed.stdout)) == 1
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(case_path)], capture_output=True)
        case_path.chmod(0o644)
    assert case_path.read_bytes() == data


# ---- property-based: every parser of user input either accepts or says why, nothing else ----


@given(st.text(max_size=40))
def test_dates_parse_or_are_refused_with_the_field_named(text):
    try:
        value = timeutil.parse_when(text, "--when")
    except InvalidInput as error:
        assert "--when" in str(error)
        return
    assert value == timeutil.parse_when(value, "--when")  # normalised form is stable


@given(st.datetimes(timezones=st.timezones()))
def test_any_aware_time_comes_back_as_the_same_instant_in_utc(moment):
    text = moment.isoformat()
    try:
        value = timeutil.parse_when(text, "--when")
    except InvalidInput:
        assert moment.year < 1 or moment.utcoffset().total_seconds() % 60  # offsets with seconds
        return
    assert value.endswith("Z")
    expected = moment.astimezone(timeutil.UTC).replace(microsecond=0)
    assert timeutil.iso(expected) == value


@given(st.text(max_size=30))
def test_imo_parsing_never_crashes(text):
    try:
        digits, problem = identifiers.parse_imo(text)
    except InvalidInput:
        return
    assert digits is None or (identifiers.imo_problem(digits) is None and problem is None)


@given(st.integers(100000, 999999), st.sampled_from(["{}", "IMO {}", "IMO{}", "imo: {}"]))
def test_every_valid_imo_is_accepted_in_every_written_form(first_six, form):
    number = f"{first_six}{identifiers.imo_check_digit(str(first_six))}"
    digits, problem = identifiers.parse_imo(form.format(number))
    assert digits == number and problem is None
    wrong = number[:6] + str((int(number[6]) + 1) % 10)
    with pytest.raises(InvalidInput, match="check digit"):
        identifiers.parse_imo(wrong)


@given(st.text(max_size=20))
def test_mmsi_parsing_never_crashes(text):
    try:
        value, _, problem = identifiers.parse_mmsi(text)
    except InvalidInput as error:
        assert "--mmsi" in str(error)
        return
    assert value is None or (len(value) == 9 and value.isdigit() and problem is None)


@given(st.text(max_size=40))
def test_coordinates_parse_within_range_or_are_refused(text):
    try:
        lat, lon = places.parse_at(text)
    except InvalidInput:
        return
    assert -90 <= lat <= 90 and -180 <= lon <= 180


@given(st.floats(-90, 90), st.floats(-180, 180))
def test_any_coordinate_in_range_round_trips(lat, lon):
    assert places.parse_at(f"{lat!r},{lon!r}") == (lat, lon)


@pytest.fixture(scope="module")
def prefix_case(tmp_path_factory):
    from osint.case.handle import init_case

    with init_case(tmp_path_factory.mktemp("prefixes") / "case.db", actor="t", command="t") as case:
        yield case


@settings(max_examples=40, deadline=None)
@given(st.lists(st.uuids(version=4).map(str), min_size=1, max_size=30, unique=True), st.data())
def test_prefixes_find_exactly_one_record_or_say_why(prefix_case, record_ids, data):
    case = prefix_case
    with case.writing():
        for rid in record_ids:
            if records.get(case.conn, "finding", rid) is None:
                records.create(case, "finding", {"text": "x"}, record_id=rid)
    target = data.draw(st.sampled_from(record_ids))
    length = data.draw(st.integers(1, len(target)))
    prefix = target[:length]
    try:
        _, found = records.resolve(case.conn, prefix, ["finding"])
    except AmbiguousId as error:
        assert length >= ids.MIN_PREFIX and target in str(error)
        return
    except (InvalidInput, RecordNotFound):
        assert length < ids.MIN_PREFIX
        return
    assert found["id"].startswith(prefix.lower())
