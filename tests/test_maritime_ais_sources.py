"""AIS files as providers publish them: layouts, quirks, compression, bad rows, swaps, NMEA, names.

Every file is written by the test, reproducing the provider's real header spellings, time formats,
placeholders and padding.
"""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import sqlite3
import zipfile
from collections import Counter
from datetime import UTC, datetime

import pytest

# ---- provider files ---------------------------------------------------------------------------

# MarineCadastre to 2024: the last column is spelt `TranscieverClass` some years.
MC_HEADER = (
    "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,"
    "Length,Width,Draft,Cargo,TranscieverClass"
)
# MarineCadastre 2025: lower case, longitude before latitude, `2025-01-01 00:00:00` times.
MC2025_HEADER = (
    "mmsi,base_date_time,longitude,latitude,sog,cog,heading,vessel_name,imo,call_sign,"
    "vessel_type,status,length,width,draft,cargo,transceiver"
)
# Danish Maritime Authority: the first column name begins with `# `, times are day first.
DMA_HEADER = (
    "# Timestamp,Type of mobile,MMSI,Latitude,Longitude,Navigational status,ROT,SOG,COG,Heading,"
    "IMO,Callsign,Name,Ship type,Cargo type,Width,Length,Type of position fixing device,Draught,"
    "Destination,ETA,Data source type,A,B,C,D"
)


def mc_row(mmsi="445123000", when="2024-03-05T10:00:00", lat="42.73000", lon="133.06000",
           sog="0.1", cog="12.5", heading="511", name="CHON MA SAN", imo="IMO9739666",
           call="HMAB", kind="80", status="5"):  # fmt: skip
    return ",".join([mmsi, when, lat, lon, sog, cog, heading, name, imo, call, kind, status,
                     "180", "32", "10.5", "80", "A"])  # fmt: skip


def mc2025_row(mmsi="367111111", when="2025-01-01 00:00:00", lat="29.70000", lon="-90.10000",
               sog="8.0", cog="90.0", heading="91", name="GULF TRADER", imo="", call="WDK7088",
               kind="80", status="0"):  # fmt: skip
    return ",".join([mmsi, when, lon, lat, sog, cog, heading, name, imo, call, kind, status,
                     "20", "8", "3.3", "", "A"])  # fmt: skip


def dma_row(when="18/03/2023 00:00:01", mobile="Class A", mmsi="219024000", lat="57.717413",
            lon="10.586715", status="Engaged in fishing", sog="0.0", cog="4.8", heading="309",
            imo="Unknown", call="Unknown", name="", kind="Undefined"):  # fmt: skip
    return ",".join([when, mobile, mmsi, lat, lon, status, "0.0", sog, cog, heading, imo, call,
                     name, kind, "", "", "", "GPS", "", "Unknown", "", "AIS", "", "", "", ""])  # fmt: skip


def text_of(header: str, rows: list[str]) -> str:
    return "\n".join([header, *rows]) + "\n"


def write(path, header, rows):
    path.write_text(text_of(header, rows), encoding="utf-8")
    return path


def zipped(path, member, text):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, text)
    return path


def zstd(path, text):
    import zstandard

    path.write_bytes(zstandard.ZstdCompressor().compress(text.encode()))
    return path


def epoch(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def positions(case_path) -> list[tuple]:
    with sqlite3.connect(case_path) as conn:
        return conn.execute(
            "SELECT mmsi, epoch, lat, lon, sog, cog, heading, status FROM ais_positions ORDER BY id"
        ).fetchall()


# ---- layouts as downloaded --------------------------------------------------------------------


def test_marinecadastre_classic_zip(cli, tmp_path, case_path):
    rows = [
        # trailing spaces and an IMO prefix, heading 511 and speed 102.3 "not available"
        mc_row(name="CHON MA SAN  ", sog="102.3"),
        mc_row(when="2024-03-05T10:01:00", lat="42.73100", cog="360.0"),
    ]
    path = zipped(tmp_path / "AIS_2024_03_05.zip", "AIS_2024_03_05.csv", text_of(MC_HEADER, rows))
    result = cli.json("ais", "import", path)
    assert result["layout"] == "marinecadastre (zip)"
    assert result["rows_read"] == 2 and result["rows_kept"] == 2
    vessel = cli.json("list", "vessels")[0]
    assert (vessel["name"], vessel["imo"], vessel["mmsi"]) == (
        "CHON MA SAN",
        "9739666",
        "445123000",
    )
    assert positions(case_path) == [
        (445123000, epoch("2024-03-05T10:00:00"), 42.73, 133.06, None, 12.5, None, 5),
        (445123000, epoch("2024-03-05T10:01:00"), 42.731, 133.06, 0.1, None, None, 5),
    ]


def test_marinecadastre_2025_zst_has_longitude_first(cli, tmp_path, case_path):
    rows = [mc2025_row(), mc2025_row(when="2025-01-01 00:10:00", lat="29.80000", heading="")]
    path = zstd(tmp_path / "ais-2025-01-01.csv.zst", text_of(MC2025_HEADER, rows))
    result = cli.json("ais", "import", path)
    assert result["layout"] == "marinecadastre-2025 (zstd)"
    # Latitude is read from `latitude` wherever the column stands, never from its position.
    assert positions(case_path) == [
        (367111111, 1735689600, 29.7, -90.1, 8.0, 90.0, 91, 0),
        (367111111, 1735690200, 29.8, -90.1, 8.0, 90.0, None, 0),
    ]
    vessel = cli.json("list", "vessels")[0]
    assert vessel["name"] == "GULF TRADER" and vessel["imo"] is None


def test_dma_day_first_times_placeholders_and_stations(cli, tmp_path, case_path):
    rows = [
        dma_row(
            when="18/03/2023 00:00:00",
            mobile="Base Station",
            mmsi="2190064",
            status="Unknown value",
            sog="",
            cog="",
            heading="",
        ),  # fmt: skip
        dma_row(),
        dma_row(),  # the same report from another receiver
        # 05/03: the fifth of March, not the third of May; words for the status; IMO prefix
        dma_row(
            when="05/03/2023 10:00:00",
            mmsi="273111000",
            lat="57.7",
            lon="10.6",
            status="Moored",
            heading="511",
            imo="IMO9321483",
            call="UBCD ",
            name="SCF PRIMORYE ",
            kind="Tanker",
        ),  # fmt: skip
        dma_row(
            when="18/03/2023 00:00:02",
            mobile="AtoN",
            mmsi="992191234",
            name="SKAGEN W",
            status="Unknown value",
        ),  # fmt: skip
        dma_row(
            when="18/03/2023 00:00:03",
            mmsi="273111000",
            lat="91.0",
            lon="181.0",
            name="SCF PRIMORYE",
        ),  # fmt: skip
    ]
    path = zipped(
        tmp_path / "aisdk-2023-03-18.zip", "aisdk-2023-03-18.csv", text_of(DMA_HEADER, rows)
    )
    result = cli.json("ais", "import", path)
    assert result["layout"] == "dma (zip)"
    assert (result["rows_read"], result["rows_kept"], result["rows_duplicate"]) == (6, 2, 1)
    assert result["rows_not_vessel"] == 2 and result["rows_no_position"] == 1
    assert result["not_vessel"] == {"base station": 1, "aid to navigation": 1}
    assert result["duplicates"] == {"heard again in this file": 1, "already stored": 0}
    assert positions(case_path) == [
        (219024000, epoch("2023-03-18T00:00:01"), 57.717413, 10.586715, 0.0, 4.8, 309, 7),
        (273111000, epoch("2023-03-05T10:00:00"), 57.7, 10.6, 0.0, 4.8, None, 5),
    ]
    vessels = {v["mmsi"]: v for v in cli.json("list", "vessels")}
    assert set(vessels) == {"219024000", "273111000"}  # no vessel for the stations
    # `Unknown` and `Undefined` are not an IMO, a call sign or a type
    unnamed = cli.json("show", vessels["219024000"]["id"])
    assert unnamed["name"] == "MMSI 219024000" and unnamed["imo"] is None
    assert unnamed["call_sign"] is None and unnamed["type"] is None
    tanker = cli.json("show", vessels["273111000"]["id"])
    assert (tanker["name"], tanker["imo"], tanker["call_sign"], tanker["type"]) == (
        "SCF PRIMORYE",
        "9321483",
        "UBCD",
        "tanker",
    )
    cli("verify")


def test_layout_is_detected_from_the_header_not_the_column_order(cli, tmp_path, case_path):
    # The classic layout's columns in another order: still read by name.
    header = "LON,LAT,BaseDateTime,MMSI"
    write(tmp_path / "shuffled.csv", header, ["133.06,42.73,2024-03-05T10:00:00,445123000"])
    assert cli.json("ais", "import", tmp_path / "shuffled.csv")["layout"] == "marinecadastre"
    assert positions(case_path)[0][2:4] == (42.73, 133.06)
    # --format forces a layout; a header it cannot read is refused with the reason.
    result = cli("ais", "import", tmp_path / "shuffled.csv", "--format", "dma", expect=1)
    assert "not in the dma layout (--format): no # Timestamp / Latitude" in result.stderr
    result = cli("ais", "import", tmp_path / "shuffled.csv", "--format", "nope", expect=1)
    assert "not a known AIS layout" in result.stderr


@pytest.mark.parametrize("kind", ["plain", "gz", "zip", "zst", "bz2", "xz"])
def test_compressed_variants_read_alike(bare_cli, tmp_path, kind):
    import hashlib

    from conftest import Cli

    text = text_of(DMA_HEADER, [dma_row(when=f"18/03/2023 00:0{i}:00") for i in range(5)])
    path = tmp_path / f"aisdk.{kind}"
    if kind == "plain":
        path.write_text(text)
    elif kind == "gz":
        path.write_bytes(gzip.compress(text.encode()))
    elif kind == "zip":
        zipped(path, "aisdk-2023-03-18.csv", text)
    elif kind == "zst":
        zstd(path, text)
    elif kind == "bz2":
        path.write_bytes(bz2.compress(text.encode()))
    else:
        path.write_bytes(lzma.compress(text.encode()))
    cli = Cli(tmp_path / "case.db")
    bare_cli("init", tmp_path / "case.db")
    result = cli.json("ais", "import", path)
    assert result["rows_kept"] == 5 and result["layout"].startswith("dma")
    assert result["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    # The same rows, whatever the wrapping: the same digest.
    plain = hashlib.sha256()
    from osint.maritime.ais import store

    store.digest_update(
        plain,
        [
            (219024000, epoch(f"2023-03-18T00:0{i}:00"), 57.717413, 10.586715, 0.0, 4.8, 309, 7)
            for i in range(5)
        ],  # fmt: skip
    )
    assert result["rows_digest"] == plain.hexdigest()


def test_truncated_and_damaged_compressed_files_are_refused(cli, tmp_path, case_path):
    text = text_of(MC2025_HEADER, [mc2025_row(when=f"2025-01-01 00:{i:02d}:00") for i in range(60)])
    whole = zstd(tmp_path / "whole.csv.zst", text).read_bytes()
    before = case_path.read_bytes()
    (tmp_path / "cut.csv.zst").write_bytes(whole[: len(whole) // 2])
    result = cli("ais", "import", tmp_path / "cut.csv.zst", expect=1)
    assert "truncated Zstandard file" in result.stderr and "nothing was imported" in result.stderr
    data = bytearray(zipped(tmp_path / "a.zip", "a.csv", text).read_bytes())
    data[60:70] = b"XXXXXXXXXX"  # inside the compressed data: the CRC check fails
    (tmp_path / "bad.zip").write_bytes(bytes(data))
    result = cli("ais", "import", tmp_path / "bad.zip", expect=1)
    assert "damaged or truncated zip file" in result.stderr and "Traceback" not in result.stderr
    assert case_path.read_bytes() == before


def test_a_zip_must_hold_one_data_file(cli, tmp_path):
    text = text_of(MC_HEADER, [mc_row()])
    with zipfile.ZipFile(tmp_path / "two.zip", "w") as archive:
        archive.writestr("a.csv", text)
        archive.writestr("b.csv", text)
    result = cli("ais", "import", tmp_path / "two.zip", expect=1)
    assert "holds 2 data files (a.csv, b.csv)" in result.stderr
    with zipfile.ZipFile(tmp_path / "readme.zip", "w") as archive:
        archive.writestr("README.txt", "About this data")
        archive.writestr("__MACOSX/._day.csv", "junk")
        archive.writestr("day.csv", text)
    assert cli.json("ais", "import", tmp_path / "readme.zip")["rows_kept"] == 1


# ---- bad rows ---------------------------------------------------------------------------------


def test_every_kind_of_bad_row_is_reported_with_its_line(cli, tmp_path):
    rows = [
        dma_row(),  # line 2: fine
        dma_row(mmsi="21902A000"),  # 3
        dma_row(mmsi=""),  # 4
        dma_row(when="31/02/2023 00:00:00"),  # 5: no such day
        dma_row(when=""),  # 6
        dma_row(lat="fifty-seven"),  # 7
        dma_row(lat="57.7", lon="200.5"),  # 8
        "18/03/2023 00:00:09,Class A,219024000",  # 9: a cut line
        dma_row(mmsi="0"),  # 10: MMSI 0, not a vessel
        dma_row(lat="", lon=""),  # 11: no position
        dma_row(when="18/03/2023 00:00:12"),  # 12: fine
    ]
    write(tmp_path / "bad.csv", DMA_HEADER, rows)
    result = cli("ais", "import", tmp_path / "bad.csv")
    assert "7 invalid rows" in result.stderr
    data = cli.json("show", cli.json("list", "ais-imports")[0]["id"])
    sample = json.loads(data["invalid_sample"])
    expected = [
        "line 3: MMSI '21902A000' is not a number",
        "line 4: no MMSI",
        "line 5: time '31/02/2023 00:00:00' is not a date and time",
        "line 6: no time",
        "line 7: latitude 'fifty-seven' is not a number",
        "line 8: lat/lon 57.7,200.5 out of range",
        "line 9: has 3 fields, the header has 26",
    ]
    assert sample == expected
    assert (data["rows_read"], data["rows_kept"], data["rows_invalid"]) == (11, 2, 7)
    assert (data["rows_not_vessel"], data["rows_no_position"]) == (1, 1)


def test_every_row_lands_in_one_count_and_the_fast_path_agrees(tmp_path, monkeypatch):
    """Whatever the rows, read = kept + duplicate + invalid + not vessels + no position +
    filtered, and the fast path stores and counts exactly what the reference path does."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from osint.case.handle import init_case
    from osint.maritime.ais import importer, stream

    def often(common, *rare):  # mostly good values, so that rows get through to the end
        return st.sampled_from([common] * 4 * len(rare) + list(rare))

    fields = st.fixed_dictionaries(
        {
            "when": often(
                "18/03/2023 00:00:01",
                "18/03/2023 00:00:02",
                "31/02/2023 00:00:00",
                " 18/03/2023 00:00:03",
                "2023-03-18T00:00:04",
                "",
            ),  # fmt: skip
            "mobile": often("Class A", "Class B", "Base Station", "AtoN", "Undefined"),
            "mmsi": often(
                "219024000",
                "273111000",
                " 219024000",
                "2190064",
                "0",
                "992191234",
                "12345",
                "abc",
                "",
                "0219024000",
            ),  # fmt: skip
            "lat": often(
                "57.7", "57.70", "57.8", "91", "0", "-90", "133.06", "57,7", "", "x", "nan"
            ),
            "lon": often("10.6", "181", "0", "10.60", "-180", "57.7", "", "200", "170"),
            "status": st.sampled_from(
                ["Moored", "Unknown value", "5", "15", "", "Under way sailing"]
            ),
            "sog": st.sampled_from(["0.0", "102.3", "1023", "", "Unknown", "12,5"]),
            "heading": st.sampled_from(["309", "511", "", "90.0", "x"]),
            "name": st.sampled_from(["", "A", "B ", "Unknown"]),
        }
    )
    outcomes = Counter()
    counter = iter(range(100_000))

    def imported(path, options, reference):
        n = next(counter)
        monkeypatch.setattr(stream, "REFERENCE_ONLY", reference)
        with init_case(tmp_path / f"{n}.db") as case:
            row = importer.import_file(case, path, options)["import"]
            stored = case.conn.execute(
                "SELECT mmsi, epoch, lat, lon, sog, cog, heading, status FROM ais_positions "
                "ORDER BY id"
            ).fetchall()
            names = case.conn.execute("SELECT name, valid_from, valid_to FROM vessel_names "
                                      "ORDER BY name").fetchall()  # fmt: skip
        counts = {k: v for k, v in row.items() if k.startswith("rows_") or k == "details"}
        return counts, [tuple(r) for r in stored], [tuple(r) for r in names]

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(fields, max_size=25), st.sampled_from([None, "bbox", "time", "mmsi"]))
    def check(sample, which):
        n = next(counter)
        rows = [dma_row(when=r["when"], mobile=r["mobile"], mmsi=r["mmsi"], lat=r["lat"],
                        lon=r["lon"], status=r["status"], sog=r["sog"], heading=r["heading"],
                        name=r["name"]) for r in sample]  # fmt: skip
        path = write(tmp_path / f"{n}.csv", DMA_HEADER, rows)
        options = importer.ImportOptions(
            bbox=(50, 5, 60, 15) if which == "bbox" else None,
            start="2023-03-18T00:00:02Z" if which == "time" else None,
            mmsis=["219024000"] if which == "mmsi" else [],
        )
        try:
            fast = imported(path, options, False)
        except Exception as exc:  # a refusal (lat/lon swapped) must be the same on both paths
            with pytest.raises(type(exc)):
                imported(path, options, True)
            outcomes["refused"] += 1
            return
        reference = imported(path, options, True)
        assert fast == reference
        counts = fast[0]
        outcomes["kept" if counts["rows_kept"] else "none kept"] += 1
        total = sum(counts[k] for k in ("rows_kept", "rows_duplicate", "rows_invalid",
                                        "rows_not_vessel", "rows_no_position", "rows_filtered"))  # fmt: skip
        assert counts["rows_read"] == total == len(sample)

    check()
    assert outcomes["kept"] >= 10, outcomes


# ---- latitude and longitude swapped -----------------------------------------------------------


def test_a_file_whose_latitudes_are_longitudes_is_refused(cli, tmp_path, case_path):
    # A provider's header says LAT, but the column holds longitudes (133 E, out of ±90).
    rows = [mc_row(when=f"2024-03-05T10:{i:02d}:00", lat="133.06", lon="42.73") for i in range(5)]
    write(tmp_path / "swapped.csv", MC_HEADER, rows)
    before = case_path.read_bytes()
    result = cli("ais", "import", tmp_path / "swapped.csv", expect=1)
    assert "latitude and longitude look swapped" in result.stderr
    assert "line 2: latitude 133.06, longitude 42.73" in result.stderr
    assert "--map LAT=LON --map LON=LAT" in result.stderr
    assert case_path.read_bytes() == before
    # The fix is to say which column is which.
    fixed = cli.json(
        "ais", "import", tmp_path / "swapped.csv", "--map", "LAT=LON", "--map", "LON=LAT"
    )
    assert fixed["rows_kept"] == 5 and positions(case_path)[0][2:4] == (42.73, 133.06)
    assert any("swapped against the header's names" in w for w in fixed["warnings"])


def test_a_map_that_swaps_latitude_and_longitude_is_said(cli, tmp_path, case_path):
    # Danish positions (57 N, 10 E) stay in range when swapped: the --map is what shows it.
    write(tmp_path / "dk.csv", DMA_HEADER, [dma_row()])
    result = cli(
        "ais", "import", tmp_path / "dk.csv", "--map", "Latitude=lon", "--map", "Longitude=lat"
    )
    assert "latitude is read from column 'Longitude'" in result.stderr
    assert positions(case_path)[0][2:4] == (10.586715, 57.717413)


def test_a_box_that_would_match_swapped_positions_is_said(cli, tmp_path):
    # The file's columns are mislabelled: Skagen (57.72 N, 10.59 E) written as 10.59, 57.72.
    rows = [dma_row(when=f"18/03/2023 00:00:{i:02d}", lat="10.59", lon="57.72") for i in range(20)]
    write(tmp_path / "dk.csv", DMA_HEADER, rows)
    result = cli.json("ais", "import", tmp_path / "dk.csv", "--bbox", "57.6,10.4,57.85,10.8")
    assert result["rows_kept"] == 0 and result["rows_filtered"] == 20
    assert any(
        "would fall inside it with latitude and longitude swapped" in w for w in result["warnings"]
    )


def test_a_few_swapped_rows_are_invalid_and_said(cli, tmp_path):
    rows = [mc_row(when=f"2024-03-05T10:{i:02d}:00") for i in range(10)]
    rows.append(mc_row(when="2024-03-05T11:00:00", lat="133.06", lon="42.73"))
    write(tmp_path / "a.csv", MC_HEADER, rows)
    result = cli("ais", "import", tmp_path / "a.csv")
    assert (
        "line 12: latitude 133.06 is out of range and longitude 42.73 would be a latitude"
        in result.stderr
    )
    assert "1 rows have latitude and longitude swapped" in result.stderr


# ---- filters ----------------------------------------------------------------------------------


def test_filters_are_counted_per_filter(cli, tmp_path):
    cli("place", "add", "Skagen", "--at", "57.72,10.59", "--radius-m", "3000")
    rows = [
        dma_row(when="18/03/2023 00:00:01", lat="57.72", lon="10.59"),  # at Skagen
        dma_row(when="18/03/2023 00:00:02", lat="57.75", lon="10.70"),  # in the box, 7 km off
        dma_row(when="18/03/2023 00:00:03", lat="55.0", lon="12.0"),  # far away
        dma_row(when="19/03/2023 00:00:04", lat="57.72", lon="10.59"),  # the next day
        dma_row(when="18/03/2023 00:00:05", mmsi="273111000", lat="57.72", lon="10.59"),
    ]
    write(tmp_path / "dk.csv", DMA_HEADER, rows)
    result = cli.json("ais", "import", tmp_path / "dk.csv", "--bbox", "57.6,10.4,57.85,10.8",
                      "--near", "skagen", "--to", "2023-03-18", "--mmsi", "219024000")  # fmt: skip
    assert result["rows_kept"] == 1
    assert result["filtered"] == {"bbox": 1, "near": 1, "from/to": 1, "mmsi": 1}
    text = cli("ais", "import", tmp_path / "dk.csv", "--near", "skagen", "--radius-km", "20").stdout
    assert "filtered out: 1 outside --near" in text


def test_vessel_filter_keeps_the_mmsis_a_vessel_is_known_by(cli, tmp_path):
    cli("vessel", "add", "SCF PRIMORYE", "--mmsi", "273111000")
    rows = [dma_row(when="18/03/2023 00:00:01", mmsi="273111000"), dma_row(mmsi="219024000")]
    write(tmp_path / "dk.csv", DMA_HEADER, rows)
    result = cli.json("ais", "import", tmp_path / "dk.csv", "--vessel", "scf primorye")
    assert result["rows_kept"] == 1 and result["filtered"] == {"vessel": 1}
    cli("vessel", "add", "NO MMSI")
    result = cli("ais", "import", tmp_path / "dk.csv", "--vessel", "no mmsi", expect=1)
    assert "no MMSI is known for vessel" in result.stderr


# ---- names over time --------------------------------------------------------------------------


def names_of(cli, vessel_id):
    return {n["name"]: n for n in cli.json("list", "vessel-names") if n["vessel"] == vessel_id}


def test_a_changed_ais_name_becomes_a_dated_alias(cli, tmp_path):
    rows = [mc_row(when="2024-03-05T10:00:00", name="OLD NAME"),
            mc_row(when="2024-03-06T10:00:00", name="OLD NAME"),
            mc_row(when="2024-03-09T08:00:00", name="NEW NAME"),
            mc_row(when="2024-03-10T08:00:00", name="NEW NAME")]  # fmt: skip
    write(tmp_path / "a.csv", MC_HEADER, rows)
    imported = cli.json("ais", "import", tmp_path / "a.csv")
    vessel = cli.json("list", "vessels")[0]
    assert vessel["name"] == "NEW NAME" and "OLD NAME" in vessel["aliases"]
    old = names_of(cli, vessel["id"])["OLD NAME"]
    assert (old["type"], old["from"], old["to"]) == (
        "ais",
        "2024-03-05T10:00:00Z",
        "2024-03-06T10:00:00Z",
    )
    shown = cli.json("show", old["id"])
    assert shown["added_from"].startswith(f"ais-import {imported['id']}")
    assert imported["sha256"] in shown["added_from"]
    # A later file: the ship renamed again; the vessel follows, every name stays dated.
    write(tmp_path / "b.csv", MC_HEADER, [mc_row(when="2024-04-01T00:00:00", name="THIRD NAME")])
    cli("ais", "import", tmp_path / "b.csv")
    vessel = cli.json("show", vessel["id"])
    assert vessel["name"] == "THIRD NAME"
    assert {"OLD NAME", "NEW NAME"} <= set(vessel["aliases"])
    assert names_of(cli, vessel["id"])["NEW NAME"]["to"] == "2024-03-10T08:00:00Z"
    # An older file heard again later widens the dates of the name it heard.
    write(tmp_path / "c.csv", MC_HEADER, [mc_row(when="2024-03-01T00:00:00", name="OLD NAME")])
    cli("ais", "import", tmp_path / "c.csv")
    assert names_of(cli, vessel["id"])["OLD NAME"]["from"] == "2024-03-01T00:00:00Z"
    assert cli.json("show", vessel["id"])["name"] == "THIRD NAME"
    cli("verify")


def test_a_vessel_named_by_a_person_keeps_its_name(cli, tmp_path):
    known = cli.json("vessel", "add", "CHON MA SAN", "--mmsi", "445123000")
    write(tmp_path / "a.csv", MC_HEADER, [mc_row(name="SPOOFED NAME", call="HMAB", kind="80")])
    cli("ais", "import", tmp_path / "a.csv")
    vessel = cli.json("show", known["id"])
    assert vessel["name"] == "CHON MA SAN" and "SPOOFED NAME" in vessel["aliases"]
    # Static data fills what the vessel lacked.
    assert (vessel["imo"], vessel["call_sign"], vessel["type"]) == (
        "9739666",
        "HMAB",
        "tanker",
    )
    cli("verify")


# ---- raw NMEA ---------------------------------------------------------------------------------


def tag(c, source="rcv01"):
    body = f"c:{c},s:{source}"
    check = 0
    for char in body.encode():
        check ^= char
    return f"\\{body}*{check:02X}\\"


def nmea(fields, seq_id=None):
    from pyais import encode_dict

    return encode_dict(fields, talker_id="AI", sentence_type="VDM", seq_id=seq_id)


T0 = 1709632800  # 2024-03-05T10:00:00Z


def test_nmea_with_tag_blocks_and_multi_sentence_static_reports(cli, tmp_path, case_path):
    position = {"type": 1, "mmsi": 445123000, "lat": 42.73, "lon": 133.06, "speed": 0.1,
                "course": 12.5, "heading": 511, "status": 5}  # fmt: skip
    static = nmea({"type": 5, "mmsi": 445123000, "shipname": "CHON MA SAN", "imo": 9321483,
                   "callsign": "HMAB", "ship_type": 80}, seq_id=3)  # fmt: skip
    assert len(static) == 2
    lines = [
        tag(T0) + nmea(position)[0],  # 1
        tag(T0 + 1) + static[0],  # 2: a static report in two sentences
        static[1],  # 3
        "2024-03-05T10:05:00Z " + nmea({**position, "lat": 42.731})[0],  # 4: timestamp before
        nmea({**position, "lat": 42.732})[0] + ",1709633400",  # 5: unix time after
        tag(T0 + 700) + nmea({**position, "lat": 42.733})[0][:-2] + "00",  # 6: bad checksum
        tag(T0 + 800) + static[0],  # 7: its second sentence never comes
        tag(T0 + 900) + nmea({"type": 4, "mmsi": 2190064, "lat": 56.7, "lon": 11.5})[0],  # 8
        "$GPRMC,100000.00,A,4243.80,N,13303.60,E,0.0,0.0,050324,,,A*6C",  # 9: the receiver's GPS
        tag(T0 + 1000) + nmea({"type": 1, "mmsi": 273111000, "lat": 91, "lon": 181})[0],  # 10
        tag(T0 + 1100)
        + nmea({"type": 24, "mmsi": 273222000, "partno": 0, "shipname": "SMALL ONE"})[0],
        tag(T0 + 1101)
        + nmea({"type": 24, "mmsi": 273222000, "partno": 1, "callsign": "UBXX", "ship_type": 37})[
            0
        ],  # fmt: skip
        tag(T0 + 1102)
        + nmea(
            {
                "type": 18,
                "mmsi": 273222000,
                "lat": 43.1,
                "lon": 131.9,
                "speed": 5.0,
                "course": 90,
                "heading": 88,
            }
        )[0],  # fmt: skip
    ]
    (tmp_path / "receiver.nmea").write_text("\n".join(lines) + "\n")
    result = cli.json("ais", "import", tmp_path / "receiver.nmea")
    assert result["layout"] == "nmea"
    assert result["rows_kept"] == 4 and result["rows_invalid"] == 2
    assert result["invalid_sample"] == [
        "line 6: NMEA checksum mismatch",
        "line 7: multi-sentence message incomplete (1 of 2 sentences)",
    ]
    assert result["not_vessel"] == {"base station": 1}
    assert result["no_position"] == {
        "static and voyage report (type 5)": 1,
        "other NMEA sentence ($GPRMC)": 1,
        "position not available (91/181)": 1,
        "static data report (type 24)": 2,
    }
    assert result["rows_read"] == 12
    stored = positions(case_path)
    assert [(m, e, lat) for m, e, lat, *_ in stored] == [
        (445123000, T0, 42.73),
        (445123000, T0 + 300, 42.731),
        (445123000, T0 + 600, 42.732),
        (273222000, T0 + 1102, 43.1),
    ]
    vessels = {v["mmsi"]: v for v in cli.json("list", "vessels")}
    chon = cli.json("show", vessels["445123000"]["id"])
    assert (chon["name"], chon["imo"], chon["call_sign"], chon["type"]) == (
        "CHON MA SAN", "9321483", "HMAB", "tanker",
    )  # fmt: skip
    small = cli.json("show", vessels["273222000"]["id"])
    assert (small["name"], small["call_sign"], small["type"]) == (
        "SMALL ONE",
        "UBXX",
        "pleasure craft",
    )
    cli("verify")


def test_nmea_without_times_is_refused(cli, tmp_path, case_path):
    line = nmea({"type": 1, "mmsi": 445123000, "lat": 42.73, "lon": 133.06})[0]
    (tmp_path / "bare.nmea").write_text(f"{line}\n{line}\n")
    before = case_path.read_bytes()
    result = cli("ais", "import", tmp_path / "bare.nmea", expect=1)
    assert "NMEA sentences without times" in result.stderr
    assert "no position can be dated" in result.stderr
    assert case_path.read_bytes() == before


def test_nmea_gzipped_with_a_damaged_tag_block(cli, tmp_path):
    line = nmea({"type": 1, "mmsi": 445123000, "lat": 42.73, "lon": 133.06})[0]
    good, bad = tag(T0) + line, tag(T0 + 1).replace("*", "*0") + line
    (tmp_path / "r.nmea.gz").write_bytes(gzip.compress(f"{good}\n{bad}\n".encode()))
    result = cli.json("ais", "import", tmp_path / "r.nmea.gz")
    assert result["layout"] == "nmea (gzip)" and result["rows_kept"] == 1
    assert result["invalid_sample"] == ["line 2: tag block checksum mismatch"]


# ---- small parts ------------------------------------------------------------------------------


def test_day_first_times():
    from osint.maritime.ais.layouts import parse_day_first

    assert parse_day_first("05/03/2023 10:00:00") == epoch("2023-03-05T10:00:00")
    assert parse_day_first("31/12/2015 23:59:59") == epoch("2015-12-31T23:59:59")
    assert parse_day_first(" 5/3/2023 10:00 ") == epoch("2023-03-05T10:00:00")
    assert parse_day_first("2023-03-05T10:00:00Z") == epoch("2023-03-05T10:00:00")
    for bad in ("32/01/2023 00:00:00", "05/13/2023 00:00:00", "18/03/2023 24:00:00", "x"):
        with pytest.raises(ValueError):
            parse_day_first(bad)


def test_statuses_stations_and_mmsis():
    from osint.maritime.ais.layouts import mmsi_kind, station_kind, status_code

    assert [status_code(s) for s in ("Moored", "5", "5.0", "Unknown value", "15", "Under way using engine",
                                     "Restricted manoeuverability", "AIS-SART (active)", "")] == [
        5, 5, 5, None, None, 0, 3, 14, None,
    ]  # fmt: skip
    assert [station_kind(s) for s in ("Class A", "Class B", "Base Station", "AtoN", "SAR Airborne",
                                      "Search and Rescue Transponder", "Undefined", "")] == [
        None, None, "base station", "aid to navigation", "SAR aircraft",
        "search and rescue transmitter", None, None,
    ]  # fmt: skip
    assert mmsi_kind("2190064") == "base station"  # 002190064 written without its zeros
    assert mmsi_kind("0") == "MMSI 0" and mmsi_kind("12345") == "MMSI of 5 digits"
    assert (
        mmsi_kind("992191234") == "aid to navigation" and mmsi_kind("111219500") == "SAR aircraft"
    )


# ---- the key index built after a bulk import --------------------------------------------------


def key_index_sql(case_path):
    with sqlite3.connect(case_path) as conn:
        return conn.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'ais_positions_key'"
        ).fetchone()


def test_far_apart_repeats_in_a_first_import_are_stored_once(cli, tmp_path, case_path, monkeypatch):
    """Into an empty case the key index is built after the rows are in; a report repeated
    further apart than the importer's window is still stored once, and counted as a duplicate."""
    from osint.maritime.ais import stream

    original = key_index_sql(case_path)
    monkeypatch.setattr(stream, "CHUNK", 2)  # a window of a few rows
    rows = [mc_row(when=f"2024-03-05T10:{i:02d}:00") for i in range(12)]
    rows += [mc_row(when="2024-03-05T10:00:00"), mc_row(when="2024-03-05T10:01:00")]
    write(tmp_path / "a.csv", MC_HEADER, rows)
    result = cli.json("ais", "import", tmp_path / "a.csv")
    assert (result["rows_kept"], result["rows_duplicate"]) == (12, 2)
    assert result["duplicates"] == {"heard again in this file": 2, "already stored": 0}
    assert key_index_sql(case_path) == original
    assert len(positions(case_path)) == 12
    assert cli.json("verify")["ok"] is True
    # A second import finds the index in place: overlapping rows are not added twice.
    write(tmp_path / "b.csv", MC_HEADER, [mc_row(when="2024-03-05T10:11:00"),
                                          mc_row(when="2024-03-05T12:00:00")])  # fmt: skip
    again = cli.json("ais", "import", tmp_path / "b.csv")
    assert (again["rows_kept"], again["duplicates"]["already stored"]) == (1, 1)
    assert key_index_sql(case_path) == original
    assert cli.json("verify")["ok"] is True


def test_a_refused_first_import_leaves_the_key_index(cli, tmp_path, case_path):
    original = key_index_sql(case_path)
    rows = [mc_row(when=f"2024-03-05T10:{i:02d}:00", lat="133.06", lon="42.73") for i in range(3)]
    write(tmp_path / "swapped.csv", MC_HEADER, rows)
    cli("ais", "import", tmp_path / "swapped.csv", expect=1)
    assert key_index_sql(case_path) == original


def test_repeats_after_a_quiet_start_are_still_stored_once(cli, tmp_path, case_path, monkeypatch):
    """A file that repeats nothing at first goes on without the window of recent reports; when
    repeats come later, the key index turns them away and they are counted as duplicates."""
    from osint.maritime.ais import stream

    write(tmp_path / "first.csv", MC_HEADER, [mc_row(mmsi="273111000")])
    cli("ais", "import", tmp_path / "first.csv")  # the table is no longer empty
    monkeypatch.setattr(stream, "CHUNK", 2)
    rows = [mc_row(when=f"2024-03-05T10:{i:02d}:00") for i in range(12)]
    rows += [mc_row(when="2024-03-05T10:00:00"), mc_row(when="2024-03-05T10:01:00")]
    rows += [mc_row(when="2024-03-05T11:00:00")] * 3
    write(tmp_path / "a.csv", MC_HEADER, rows)
    result = cli.json("ais", "import", tmp_path / "a.csv")
    assert (result["rows_read"], result["rows_kept"], result["rows_duplicate"]) == (17, 13, 4)
    assert len(positions(case_path)) == 14
    assert cli.json("verify")["ok"] is True


def test_format_nmea_on_a_csv_says_it_is_not_nmea(cli, tmp_path):
    write(tmp_path / "a.csv", MC_HEADER, [mc_row()])
    result = cli("ais", "import", tmp_path / "a.csv", "--format", "nmea", expect=1)
    assert "no AIS sentences (!AIVDM/!AIVDO)" in result.stderr
