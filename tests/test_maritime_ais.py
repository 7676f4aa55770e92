"""AIS import: layouts, counts, invalid rows with line numbers, dedupe, filters, tamper checks."""

from __future__ import annotations

import gzip
import sqlite3
import zipfile

import pytest

HEADER = (
    "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,"
    "Length,Width,Draft,Cargo,TransceiverClass"
)


def row(mmsi="445123000", when="2024-03-05T10:00:00", lat="42.7300", lon="133.0600", sog="0.1",
        cog="12.5", heading="511", name="CHON MA SAN", imo="IMO9321483", call="HMAB", kind="80",
        status="5"):  # fmt: skip
    return ",".join([mmsi, when, lat, lon, sog, cog, heading, name, imo, call, kind, status,
                     "100", "17", "6.1", "", "A"])  # fmt: skip


def write(path, rows, header=HEADER):
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def track(n=5, mmsi="445123000", start_minute=0, **kw):
    return [row(mmsi=mmsi, when=f"2024-03-05T10:{start_minute + i:02d}:00", **kw) for i in range(n)]


def test_import_counts_links_and_creates_the_vessel(cli, tmp_path):
    path = write(tmp_path / "ais.csv", track(5))
    result = cli.json("ais", "import", path)
    assert result["rows_read"] == 5 and result["rows_kept"] == 5 and result["rows_invalid"] == 0
    assert len(result["sha256"]) == 64 and result["layout"] == "marinecadastre"
    vessels = cli.json("list", "vessels")
    assert [(v["name"], v["imo"], v["mmsi"], v["flag"]) for v in vessels] == [
        ("CHON MA SAN", "9321483", "445123000", "KP")
    ]
    tracks = cli.json("list", "ais-tracks")
    assert tracks[0]["vessel"] == vessels[0]["id"] and tracks[0]["rows"] == 5
    assert vessels[0]["added_from"].startswith("ais-import")
    cli("verify")


def test_existing_vessel_is_matched_by_mmsi_or_imo(cli, tmp_path):
    by_imo = cli.json("vessel", "add", "KNOWN", "--imo", "9321483")
    write(tmp_path / "a.csv", track(3, mmsi="445999000"))
    cli("ais", "import", tmp_path / "a.csv")
    assert len(cli.json("list", "vessels")) == 1
    assert cli.json("list", "ais-tracks")[0]["vessel"] == by_imo["id"]
    # The name heard on AIS becomes a dated AIS name of the known vessel.
    assert "CHON MA SAN" in cli.json("show", by_imo["id"])["aliases"]


def test_invalid_rows_are_counted_with_line_numbers(cli, tmp_path):
    rows = [
        row(),
        row(mmsi="12345"),
        row(mmsi="abc"),
        row(when="yesterday"),
        row(lat="91", lon="181"),
        row(lat="45", lon="200"),
        row(lat="0", lon="0"),
        "445123000,2024-03-05T10:09:00",
        row(mmsi="992731234"),
        row(when="2024-03-05T10:10:00"),
    ]
    path = write(tmp_path / "bad.csv", rows)
    result = cli("ais", "import", path)
    assert "4 invalid rows" in result.stderr
    for line in ("line 4:", "line 5:", "line 7:", "line 9:"):
        assert line in result.stderr
    data = cli.json("list", "ais-imports")[0]
    assert data["rows_read"] == 10 and data["rows_kept"] == 2 and data["rows_invalid"] == 4
    # MMSI 12345 (not 9 digits) and an aid to navigation are not vessels; 91/181 and 0,0 are
    # reports without a position.
    assert data["rows_not_vessel"] == 2 and data["rows_no_position"] == 2
    sample = cli.json("show", data["id"])["invalid_sample"]
    assert "line 9: has 2 fields, the header has 17" in sample


def test_a_line_made_to_look_like_an_over_long_lines_marker_is_an_ordinary_bad_line(cli, tmp_path):
    # The reader puts a marker in place of a line over the limit; a file cannot forge one to make
    # the import record claim a line of gigabytes.
    path = write(
        tmp_path / "forged.csv",
        [row(), "osint-overlong-line 5000000000", row(when="2024-03-05T10:01:00")],
    )
    cli("ais", "import", path)
    data = cli.json("list", "ais-imports")[0]
    assert data["rows_invalid"] == 1 and data["rows_kept"] == 2
    sample = cli.json("show", data["id"])["invalid_sample"]
    assert "line 3: has 1 field" in sample and "longer than" not in sample


def test_not_available_values_become_empty(cli, tmp_path, case_path):
    write(tmp_path / "a.csv", [row(sog="102.3", cog="360", heading="511", status="")])
    cli("ais", "import", tmp_path / "a.csv")
    with sqlite3.connect(case_path) as conn:
        stored = conn.execute(
            "SELECT sog, cog, heading, status, epoch FROM ais_positions"
        ).fetchall()
    assert stored == [(None, None, None, None, 1709632800)]


def test_reimport_and_overlap_add_nothing_twice(cli, tmp_path, case_path):
    write(tmp_path / "a.csv", track(10))
    write(tmp_path / "b.csv", track(10, start_minute=5))  # 5 rows overlap
    cli("ais", "import", tmp_path / "a.csv")
    again = cli.json("ais", "import", tmp_path / "a.csv")
    assert again["rows_kept"] == 0 and again["rows_duplicate"] == 10 and again["earlier_imports"]
    overlap = cli.json("ais", "import", tmp_path / "b.csv")
    assert overlap["rows_kept"] == 5 and overlap["rows_duplicate"] == 5
    with sqlite3.connect(case_path) as conn:
        assert conn.execute("SELECT count(*) FROM ais_positions").fetchone()[0] == 15
    assert len(cli.json("list", "vessels")) == 1
    cli("verify")


def test_compressed_files_and_a_truncated_one(cli, tmp_path, case_path):
    text = "\n".join([HEADER, *track(20)]) + "\n"
    with gzip.open(tmp_path / "a.csv.gz", "wt") as handle:
        handle.write(text)
    with zipfile.ZipFile(tmp_path / "b.zip", "w") as archive:
        archive.writestr("day.csv", text)
    assert cli.json("ais", "import", tmp_path / "a.csv.gz")["rows_kept"] == 20
    assert cli.json("ais", "import", tmp_path / "b.zip")["rows_duplicate"] == 20
    data = (tmp_path / "a.csv.gz").read_bytes()
    (tmp_path / "cut.csv.gz").write_bytes(data[: len(data) // 2])
    before = (case_path.read_bytes(), None)
    result = cli("ais", "import", tmp_path / "cut.csv.gz", expect=1)
    assert "truncated" in result.stderr and "Traceback" not in result.stderr
    assert case_path.read_bytes() == before[0]


def test_sha256_is_of_the_file_as_given(cli, tmp_path):
    import hashlib

    text = "\n".join([HEADER, *track(3)]) + "\n"
    with gzip.open(tmp_path / "a.csv.gz", "wt") as handle:
        handle.write(text)
    result = cli.json("ais", "import", tmp_path / "a.csv.gz")
    assert result["sha256"] == hashlib.sha256((tmp_path / "a.csv.gz").read_bytes()).hexdigest()


def test_other_layouts_with_map_and_header_detection(cli, tmp_path):
    header = "ts;ship;latitude;longitude;speed"
    lines = [f"2024-03-05 10:0{i}:00;445123000;42.73;133.06;1.5" for i in range(3)]
    write(tmp_path / "x.csv", lines, header=header)
    result = cli("ais", "import", tmp_path / "x.csv", expect=1)
    assert "no mmsi" in result.stderr.lower() and "--map" in result.stderr
    ok = cli.json(
        "ais", "import", tmp_path / "x.csv", "--map", "ship=MMSI", "--map", "ts=BaseDateTime"
    )
    assert ok["rows_kept"] == 3 and ok["layout"] == "csv"
    cli("ais", "import", tmp_path / "x.csv", "--map", "nope=MMSI", expect=1)


def test_filters_apply_while_streaming(cli, tmp_path):
    cli("place", "add", "Vostochny", "--at", "42.73,133.06", "--radius-m", "2000")
    rows = track(3) + track(3, mmsi="273111000", lat="43.5", lon="135.0", start_minute=10)
    rows += [row(mmsi="351000001", when="2024-04-01T00:00:00")]
    write(tmp_path / "a.csv", rows)
    near = cli.json("ais", "import", tmp_path / "a.csv", "--near", "vostochny")
    assert near["rows_kept"] == 4 and near["rows_filtered"] == 3
    boxed = cli.json("ais", "import", tmp_path / "a.csv", "--bbox", "43,134,44,136")
    assert boxed["rows_kept"] == 3
    timed = cli.json(
        "ais", "import", tmp_path / "a.csv", "--from", "2024-03-06", "--mmsi", "351000001"
    )
    assert timed["rows_read"] == 7 and timed["rows_filtered"] == 6
    cli("ais", "import", tmp_path / "a.csv", "--bbox", "1,2,3", expect=1)


@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE ais_positions SET lat = lat + 0.0001 WHERE id = 2",
        "DELETE FROM ais_positions WHERE id = 3",
        "INSERT INTO ais_positions (batch, mmsi, epoch, lat, lon) VALUES (1, 445123000, 1, 1, 1)",
        "UPDATE ais_positions SET heading = 90 WHERE id = 1",
    ],
)
def test_verify_catches_positions_changed_outside_osint(cli, tmp_path, case_path, tamper):
    write(tmp_path / "a.csv", track(5))
    cli("ais", "import", tmp_path / "a.csv")
    cli("verify")
    with sqlite3.connect(case_path) as conn:
        conn.execute(tamper)
    result = cli.json("verify", expect=1)
    assert not result["ok"]
    assert any(p["kind"] == "ais-import" for p in result["problems"])


def test_retracted_import_leaves_analyses(cli, tmp_path):
    cli("place", "add", "Vostochny", "--at", "42.73,133.06")
    write(tmp_path / "a.csv", track(5))
    imported = cli.json("ais", "import", tmp_path / "a.csv")
    assert cli.json("visits")[0]["visits"] == 1
    cli("retract", imported["id"], "--reason", "wrong receiver")
    assert cli.json("visits") == []
    cli("verify")


def test_track_can_be_relinked_to_another_vessel(cli, tmp_path):
    write(tmp_path / "a.csv", track(3, imo=""))
    cli("ais", "import", tmp_path / "a.csv")
    other = cli.json("vessel", "add", "REAL SHIP")
    track_id = cli.json("list", "ais-tracks")[0]["id"]
    cli("edit", track_id, "--set", "vessel=real ship")
    assert cli.json("show", track_id)["vessel"] == other["id"]
    cli("verify")


def test_gaps(cli, tmp_path):
    rows = [row(when="2024-03-05T00:00:00"), row(when="2024-03-05T01:00:00", lat="42.80"),
            row(when="2024-03-06T09:00:00", lat="43.80"), row(when="2024-03-06T10:00:00")]  # fmt: skip
    write(tmp_path / "a.csv", rows)
    cli("ais", "import", tmp_path / "a.csv")
    gaps = cli.json("ais", "gaps", "--min-hours", "12")
    assert len(gaps) == 1
    gap = gaps[0]
    assert gap["dark_from"] == "2024-03-05T01:00:00Z" and gap["dark_to"] == "2024-03-06T09:00:00Z"
    assert gap["hours"] == 32.0 and gap["name"] == "CHON MA SAN"
    assert 110 < gap["distance_km"] < 112
    assert cli.json("ais", "gaps", "--min-hours", "40") == []


def test_missing_and_empty_files(cli, tmp_path):
    assert "no such file" in cli("ais", "import", tmp_path / "nope.csv", expect=1).stderr
    (tmp_path / "empty.csv").write_text("")
    assert "empty" in cli("ais", "import", tmp_path / "empty.csv", expect=1).stderr


def test_merge_brings_a_colleagues_positions_row_by_row(cli, tmp_path, case_path):
    import shutil

    from conftest import Cli

    cli("place", "add", "Vostochny", "--at", "42.73,133.06")
    ben_path = tmp_path / "ben.db"
    shutil.copy(case_path, ben_path)
    ben = Cli(ben_path)
    write(tmp_path / "a.csv", track(10))
    write(tmp_path / "b.csv", track(10, start_minute=5))  # 5 reports overlap Ana's file
    cli("ais", "import", tmp_path / "a.csv")
    ben("ais", "import", tmp_path / "b.csv")
    report = cli.json("merge", ben_path)
    assert report["bulk"]["ais_positions"] == 5
    with sqlite3.connect(case_path) as conn:
        assert conn.execute("SELECT count(*) FROM ais_positions").fetchone()[0] == 15
    assert cli.json("verify")["ok"] is True
    again = cli.json("merge", ben_path)
    assert not (again.get("bulk") or {}).get("ais_positions")
    assert cli.json("verify")["ok"] is True
    # A colleague's file whose positions were edited outside osint is refused.
    carl_path = tmp_path / "carl.db"
    shutil.copy(ben_path, carl_path)
    write(tmp_path / "c.csv", track(3, start_minute=40))
    Cli(carl_path)("ais", "import", tmp_path / "c.csv")
    with sqlite3.connect(carl_path) as conn:
        conn.execute(
            "UPDATE ais_positions SET lat = 10 WHERE id = (SELECT max(id) FROM ais_positions)"
        )
    result = cli("merge", carl_path, expect=1)
    assert "AIS positions" in result.stderr


def test_every_row_is_accounted_for(tmp_path):
    """Whatever the rows, read = kept + duplicate + invalid + not vessels + no position +
    filtered, and the stored positions verify."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from osint.case.handle import init_case
    from osint.case.verify import verify
    from osint.maritime.ais import importer

    mmsis = st.sampled_from(["445123000", "273000111", "003160001", "12345", "abc", ""])
    times = st.sampled_from(["2024-03-05T10:00:00", "2024-03-05T10:00:01", "2024-02-30T00:00:00",
                             "2024-03-05 11:00:00", "x"])  # fmt: skip
    lats = st.sampled_from(["42.73", "91", "-90", "0", "nan", "42,7"])
    lons = st.sampled_from(["133.06", "181", "-180", "0", ""])
    rows = st.lists(st.tuples(mmsis, times, lats, lons), max_size=30)
    counter = iter(range(10_000))

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(rows, st.booleans())
    def check(sample, filtered):
        n = next(counter)
        path = write(
            tmp_path / f"{n}.csv", [",".join(r) for r in sample], header="MMSI,BaseDateTime,LAT,LON"
        )
        with init_case(tmp_path / f"{n}.db") as case:
            options = importer.ImportOptions(bbox=(40, 130, 45, 135) if filtered else None)
            row = importer.import_file(case, path, options)["import"]
            total = (row["rows_kept"] + row["rows_duplicate"] + row["rows_invalid"]
                     + row["rows_not_vessel"] + row["rows_no_position"]
                     + row["rows_filtered"])  # fmt: skip
            assert row["rows_read"] == total == len(sample)
            assert verify(case.conn)["ok"]

    check()


def test_a_copy_without_a_vessel_leaves_out_its_positions(cli, tmp_path):
    cli("place", "add", "Vostochny", "--at", "42.73,133.06")
    rows = track(4) + track(3, mmsi="273111000", name="OTHER", imo="", start_minute=20)
    write(tmp_path / "a.csv", rows)
    cli("ais", "import", tmp_path / "a.csv")
    cli("sighting", "add", "CHON MA SAN", "--when", "2024-03-05T12:00:00Z", "--place", "vostochny")
    cli("visits", "--record")
    copy = tmp_path / "copy.db"
    cli("export", "case", "-o", copy, "--redact", "CHON MA SAN", "--reason", "protected")
    with sqlite3.connect(copy) as conn:
        mmsis = {r[0] for r in conn.execute("SELECT DISTINCT mmsi FROM ais_positions")}
        text = " ".join(r[0] or "" for r in conn.execute("SELECT result FROM visit_queries"))
    assert mmsis == {273111000}
    assert "CHON MA SAN" not in text
    from conftest import Cli

    other = Cli(copy)
    assert other.json("verify")["ok"] is True
    assert [v["name"] for v in other.json("list", "vessels")] == ["OTHER"]


def test_a_copy_without_an_import_leaves_out_all_its_positions(cli, tmp_path):
    write(tmp_path / "a.csv", track(4))
    imported = cli.json("ais", "import", tmp_path / "a.csv")
    copy = tmp_path / "copy.db"
    cli("export", "case", "-o", copy, "--redact", imported["id"])
    with sqlite3.connect(copy) as conn:
        assert conn.execute("SELECT count(*) FROM ais_positions").fetchone()[0] == 0
    from conftest import Cli

    assert Cli(copy).json("verify")["ok"] is True
