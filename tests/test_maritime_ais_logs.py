"""AIS logs as receivers write them: USCG/NAIS times after the checksum, comments, Gatehouse."""

from __future__ import annotations

import sqlite3

from osint.maritime.ais import layouts, nmea


def positions(case_path) -> list[tuple]:
    conn = sqlite3.connect(case_path)
    try:
        return conn.execute(
            "SELECT mmsi, epoch, lat, lon FROM ais_positions ORDER BY epoch"
        ).fetchall()
    finally:
        conn.close()


def checksum(body: str) -> str:
    value = 0
    for char in body.encode():
        value ^= char
    return f"{value:02X}"


# Lines of libais's test/data/test.aivdm (USCG/NAIS log form), with its comments.
USCG = """# Need one of each comm state - based on slot timeout

# slot timeout of 0 - slot offset
!AIVDM,1,1,,A,15B4FT5000JRP>PE6E68Nbkl0PS5,0*70,b003669794,1272412827
# slot timeout of 1 - UTC hour, min
!AIVDM,1,1,,B,15Mw1U?P00qNGTP@v`0@9wwn26sd,0*0E,b2003669950,1272412827

# 2 - SOTDMA Pos Possibly a real message, but maybe not.
!AIVDM,1,1,,B,25Mw@DP000qR9bFA:6KI0AV@00S3,0*0A,b003669955,1272442097
# 3 - ITDMA Class A pos
!AIVDM,1,1,,B,35MC>W@01EIAn5VA4l`N2;>0015@,0*01,b2003669981,1272412825
"""


def test_uscg_times_after_the_checksum_and_leading_comments(cli, tmp_path, case_path):
    path = tmp_path / "nais.aivdm"
    path.write_text(USCG)
    result = cli.json("ais", "import", path)
    assert result["layout"] == "nmea"
    assert result["rows_kept"] == 4 and result["rows_invalid"] == 0
    times = sorted(t for _, t, _, _ in positions(case_path))
    assert times == [1272412825, 1272412827, 1272412827, 1272442097]


def test_split_line_takes_the_last_time_after_the_checksum():
    line = "!AIVDM,1,1,,A,15B4FT5000JRP>PE6E68Nbkl0PS5,0*70,b003669794,1272412827"
    sentence, epoch, problem, _ = nmea.split_line(line)
    assert sentence.endswith("*70") and epoch == 1272412827 and problem is None
    # A receiver label alone is not a time.
    assert nmea.split_line(line.rsplit(",", 1)[0])[1] is None


def test_gatehouse_time_sentences_date_what_follows(cli, tmp_path, case_path):
    def pghp(*fields):
        body = "PGHP,1," + ",".join(str(f) for f in fields) + ",0,0,0,1,2C"
        return f"${body}*{checksum(body)}"

    lines = [
        pghp(2020, 12, 31, 23, 59, 58, 239),
        "!AIVDM,1,1,,A,15B4FT5000JRP>PE6E68Nbkl0PS5,0*70",
        pghp(2021, 1, 1, 0, 0, 5, 0),
        "!AIVDM,1,1,,B,15Mw1U?P00qNGTP@v`0@9wwn26sd,0*0E",
        pghp(2021, 1, 1, 0, 0, 9, 0)[:-2] + "00",  # checksum mismatch: reported
    ]
    path = tmp_path / "gatehouse.nmea"
    path.write_text("\n".join(lines) + "\n")
    result = cli.json("ais", "import", path)
    assert result["rows_kept"] == 2
    assert result["invalid_sample"] == ["line 5: Gatehouse $PGHP checksum mismatch"]
    assert [t for _, t, _, _ in positions(case_path)] == [1609459198, 1609459205]


def test_a_file_without_any_time_is_still_refused(cli, tmp_path):
    path = tmp_path / "untimed.nmea"
    path.write_text("# comment\n!AIVDM,1,1,,A,15B4FT5000JRP>PE6E68Nbkl0PS5,0*70,b003669794\n")
    result = cli("ais", "import", path, expect=1)
    assert "without times" in result.stderr


def test_comment_lines_are_not_mistaken_for_a_dma_header():
    assert layouts.is_comment("# slot timeout of 0 - slot offset")
    assert layouts.is_comment("# 2 - SOTDMA Pos Possibly a real message, but maybe not.")
    assert not layouts.is_comment("# Timestamp,Type of mobile,MMSI,Latitude,Longitude")
    assert not layouts.is_comment("!AIVDM,1,1,,A,15B4FT5000JRP>PE6E68Nbkl0PS5,0*70")


def test_comments_before_a_csv_header_keep_line_numbers(cli, tmp_path):
    header = "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType"
    rows = [
        "445123000,2024-03-05T10:00:00,42.73,133.06,0.1,12.5,511,CHON MA SAN,IMO9321483,HMAB,80",
        "445123000,not a time,42.73,133.06,0.1,12.5,511,CHON MA SAN,IMO9321483,HMAB,80",
    ]
    path = tmp_path / "export.csv"
    path.write_text("# exported by a receiver\n\n" + header + "\n" + "\n".join(rows) + "\n")
    result = cli.json("ais", "import", path)
    assert result["rows_kept"] == 1
    assert result["invalid_sample"][0].startswith("line 5:")


def test_provider_times_with_offsets_fractions_and_epoch_digits_are_utc_seconds():
    from datetime import UTC, datetime

    def utc(*parts) -> int:
        return int(datetime(*parts, tzinfo=UTC).timestamp())

    for text, expected in {
        "2024-03-01T00:00:05": utc(2024, 3, 1, 0, 0, 5),
        "2024-03-01 00:00:05Z": utc(2024, 3, 1, 0, 0, 5),
        "2024-03-01T00:00:05.999Z": utc(2024, 3, 1, 0, 0, 5),  # fractions dropped, not rounded
        "2024-03-01T02:00:05+02:00": utc(2024, 3, 1, 0, 0, 5),
        "2024-02-29T12:30:05-11:30": utc(2024, 3, 1, 0, 0, 5),
        "2024-03-01T05:30:05+0530": utc(2024, 3, 1, 0, 0, 5),
        "2024-03-01 00:00:05 UTC": utc(2024, 3, 1, 0, 0, 5),
        "1970-01-01T00:59:59.5+01:00": -1,
        "1709251205": utc(2024, 3, 1, 0, 0, 5),
    }.items():
        assert layouts.parse_iso_utc(text) == expected, text
    for bad in ("2024-03-01", "2024-13-01T00:00:00", "2024-03-01T24:00:00", "yesterday", ""):
        try:
            layouts.parse_iso_utc(bad)
        except (ValueError, OverflowError):
            continue
        raise AssertionError(f"{bad!r} was read as a time")
