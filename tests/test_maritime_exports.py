"""GeoJSON, KML and CSV exports."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET

from test_maritime_ais import row, write


def build(cli, tmp_path):
    cli("place", "add", "Vostochny", "--at", "42.73,133.06", "--radius-m", "1500")
    cli("vessel", "add", "CHON MA SAN", "--imo", "9321483", "--mmsi", "445123000")
    cli("sighting", "add", "CHON MA SAN", "--when", "2024-03-01", "--place", "Vostochny")
    cli("sighting", "add", "CHON MA SAN", "--when", "2024-03-02", "--at", "42.5,133.5",
        "--activity", "underway")  # fmt: skip
    rows = [row(when=f"2024-03-05T{h:02d}:00:00", lat=f"{42.0 + h / 10:.2f}") for h in range(5)]
    rows += [row(when="2024-03-07T00:00:00", lat="41.00")]  # after a 44 h silence
    rows += [row(mmsi="273111000", when="2024-03-05T00:00:00", lat="50", lon="179.9", name="EAST", imo=""),
             row(mmsi="273111000", when="2024-03-05T01:00:00", lat="50", lon="-179.9", name="EAST", imo="")]  # fmt: skip
    write(tmp_path / "a.csv", rows)
    cli("ais", "import", tmp_path / "a.csv")


def test_geojson_is_rfc7946(cli, tmp_path):
    build(cli, tmp_path)
    out = tmp_path / "case.geojson"
    cli("export", "geojson", "-o", out)
    data = json.loads(out.read_text())
    assert data["type"] == "FeatureCollection" and "crs" not in data
    by_kind: dict = {}
    for feature in data["features"]:
        by_kind.setdefault(feature["properties"]["kind"], []).append(feature)
    assert by_kind["place"][0]["geometry"]["coordinates"] == [133.06, 42.73]  # [lon, lat]
    assert len(by_kind["sighting"]) == 2
    tracks = {f["properties"]["vessel_name"]: f for f in by_kind["ais-track"]}
    main = tracks["CHON MA SAN"]["geometry"]
    assert main["type"] == "MultiLineString" and len(main["coordinates"]) == 2  # split at the gap
    assert main["coordinates"][0][0] == [133.06, 42.0]
    east = tracks["EAST"]["geometry"]["coordinates"]
    assert len(east) == 2 and east[0][-1][0] == 180.0 and east[1][0][0] == -180.0
    cli("export", "geojson", "-o", tmp_path / "p.geojson", "--layer", "places")
    assert len(json.loads((tmp_path / "p.geojson").read_text())["features"]) == 1


def test_kml_parses_and_holds_every_layer(cli, tmp_path):
    build(cli, tmp_path)
    out = tmp_path / "case.kml"
    cli("export", "kml", "-o", out)
    root = ET.parse(out).getroot()
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    folders = [
        f.find("k:name", ns).text for f in root.iter("{http://www.opengis.net/kml/2.2}Folder")
    ]
    assert folders[:3] == ["Places", "Sightings", "AIS tracks"]  # then any behaviour events
    assert len(root.findall(".//k:LineString", ns)) >= 3
    assert root.find(".//k:TimeStamp/k:when", ns).text == "2024-03-01"


def test_csv_tables(cli, tmp_path):
    build(cli, tmp_path)
    cli("export", "csv", "-o", tmp_path / "s.csv")
    with open(tmp_path / "s.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["when"] for r in rows] == ["2024-03-01", "2024-03-02"]
    assert rows[0]["vessel_name"] == "CHON MA SAN" and rows[0]["position_from"] == "place centre"
    folder = tmp_path / "tables"
    folder.mkdir()
    cli("export", "csv", "-o", folder, "--table", "visits", "--table", "vessels")
    with open(folder / "visits.csv", newline="") as handle:
        visits = list(csv.DictReader(handle))
    assert visits[0]["name"] == "CHON MA SAN" and visits[0]["visits"] == "1"
    cli("export", "csv", "-o", tmp_path / "x.csv", "--table", "nope", expect=1)


def test_csv_neutralises_formulas(cli, tmp_path):
    cli("vessel", "add", "=HYPERLINK(1)")
    cli("sighting", "add", "=HYPERLINK(1)", "--when", "2024-03-01", "--at", "1,1")
    cli("export", "csv", "-o", tmp_path / "s.csv")
    assert "'=HYPERLINK(1)" in (tmp_path / "s.csv").read_text()
