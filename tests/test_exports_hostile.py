"""Hostile text in every field reaches every export format as text, never as structure."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET

import pytest

PAYLOADS = [
    '<script>alert("x")</script>',
    '"><img src=x onerror=alert(1)>',
    "]]></name><Placemark><name>forged</name></Placemark><name><![CDATA[",
    '","injected":"yes',
    '=HYPERLINK("http://evil.example","click")',
    "+cmd|' /C calc'!A0",
    "line one\nline two\r\nline three",
    "{{ 7*7 }} {% raw %}",
    "javascript:alert(1)",
    "\u202etxt.exe",
]


@pytest.fixture
def hostile_case(cli, tmp_path, article):
    source = cli.json("source", "add", "https://example.org/a", "--title", PAYLOADS[0], "--snapshot", str(article),
                      "--publisher", PAYLOADS[1], "--note", PAYLOADS[7])  # fmt: skip
    cli(
        "place",
        "add",
        PAYLOADS[2],
        "--at",
        "42.73,133.06",
        "--radius-m",
        "1500",
        "--note",
        PAYLOADS[3],
    )
    for n, payload in enumerate(PAYLOADS):
        cli("vessel", "add", f"V{n} {payload}")
        cli("sighting", "add", f"V{n} {payload}", "--when", f"2024-03-{n + 1:02d}T10:00:00Z",
            "--place", PAYLOADS[2], "--source", source["id"], "--note", payload)  # fmt: skip
    cli("finding", "add", PAYLOADS[5], "--supported-by", source["id"], "--note", PAYLOADS[6])
    return source


def _strings(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


def test_geojson_keeps_every_payload_as_a_string(cli, hostile_case, tmp_path):
    cli("export", "geojson", "-o", tmp_path / "c.geojson")
    data = json.loads((tmp_path / "c.geojson").read_text())
    assert data["type"] == "FeatureCollection"
    text = "\n".join(_strings(data))
    for payload in PAYLOADS:
        assert payload in text
    assert all(set(f) <= {"type", "id", "geometry", "properties", "bbox"} for f in data["features"])


def test_kml_is_well_formed_and_payloads_are_text(cli, hostile_case, tmp_path):
    cli("export", "kml", "-o", tmp_path / "c.kml")
    root = ET.parse(tmp_path / "c.kml").getroot()
    names = [el.text or "" for el in root.iter() if el.tag.endswith("}name")]
    assert "forged" not in names
    assert not any(el.tag.endswith("script") for el in root.iter())
    text = "".join(root.itertext())
    for payload in PAYLOADS:
        if "\r" not in payload:
            assert payload in text


def test_csv_rows_keep_their_shape_and_formulas_are_neutralised(cli, hostile_case, tmp_path):
    folder = tmp_path / "tables"
    folder.mkdir()
    cli(
        "export",
        "csv",
        "-o",
        folder,
        "--table",
        "sightings",
        "--table",
        "vessels",
        "--table",
        "places",
    )
    for table in ("sightings", "vessels", "places"):
        with open(folder / f"{table}.csv", newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        assert len({len(row) for row in rows}) == 1, table
        for row in rows[1:]:
            for cell in row:
                assert not cell.startswith(("=", "+", "@")), (table, cell)


def test_ftm_lines_are_json_and_payloads_stay_text(cli, hostile_case, tmp_path):
    cli("export", "ftm", "-o", tmp_path / "c.ftm.json")
    lines = (tmp_path / "c.ftm.json").read_text().splitlines()
    entities = [json.loads(line) for line in lines]
    assert all("injected" not in entity for entity in entities)
    text = "\n".join(_strings(entities))
    for payload in (PAYLOADS[0], PAYLOADS[1], PAYLOADS[2]):
        assert payload in text
