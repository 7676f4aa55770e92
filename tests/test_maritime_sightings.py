"""Places and sightings."""

from __future__ import annotations

import pytest

from osint.case import kinds


def test_place_add_and_find_by_name(cli):
    place = cli.json("place", "add", "Vostochny oil terminal", "--at", "42.73,133.06",
                     "--radius-m", "1500")  # fmt: skip
    assert place["lat"] == 42.73 and place["lon"] == 133.06 and place["radius_m"] == 1500
    assert cli.json("show", "VOSTOCHNY OIL TERMINAL")["id"] == place["id"]
    result = cli("place", "add", "X", "--at", "95,10", expect=1)
    assert "latitude" in result.stderr
    cli("place", "add", "vostochny oil terminal", "--at", "1,1", expect=1)


def test_sighting_contract_fields_and_links(cli, article):
    cli("vessel", "add", "CHON MA SAN", "--imo", "9321483")
    cli("place", "add", "Vostochny", "--at", "42.73,133.06")
    source = cli.json("source", "add", "https://example.org/a", "--title", "Report",
                      "--snapshot", article)  # fmt: skip
    row = cli.json("sighting", "add", "chon ma san", "--when", "2024-03-05T10:00:00+09:00",
                   "--place", "vostochny", "--source", source["id"][:8], "--activity", "sts",
                   "--confidence", "High")  # fmt: skip
    for name in ("id", "vessel", "when", "place", "lat", "lon", "image", "source", "activity",
                 "confidence"):  # fmt: skip
        assert name in row
    assert row["when"] == "2024-03-05T01:00:00Z"
    assert row["activity"] == "ship-to-ship transfer" and row["confidence"] == "high"
    assert row["source"] == source["id"]
    assert "source" in row["added_from"]
    timeline = cli.json("timeline")
    assert any(item["kind"] == "sighting" for item in timeline)


def test_sighting_needs_a_place_or_coordinates(cli):
    cli("vessel", "add", "A")
    result = cli("sighting", "add", "A", "--when", "2024-03-05", expect=2)
    assert "--place" in result.stderr
    row = cli.json("sighting", "add", "A", "--when", "2024-03", "--at", "42.7,133.1")
    assert row["when"] == "2024-03" and row["lat"] == 42.7
    cli("sighting", "add", "A", "--when", "2024-03-05", "--at", "42,133", "--activity", "x",
        expect=1)  # fmt: skip
    cli("sighting", "add", "nobody", "--when", "2024-03-05", "--at", "42,133", expect=1)


@pytest.mark.skipif("image" in kinds.KINDS, reason="images are present: covered by their tests")
def test_sighting_image_without_image_records_is_a_clear_error(cli):
    cli("vessel", "add", "A")
    result = cli("sighting", "add", "A", "--when", "2024-03-05", "--at", "42,133", "--image",
                 "abcdef12", expect=1)  # fmt: skip
    assert "image" in result.stderr


@pytest.mark.skipif("image" not in kinds.KINDS, reason="no image records on this branch")
def test_sighting_links_an_image_by_id_or_sha256_prefix(cli, tmp_path):
    from PIL import Image

    picture = tmp_path / "berth.png"
    Image.new("RGB", (64, 48), (20, 40, 90)).save(picture)
    image = cli.json("image", "add", picture)
    image = image[0] if isinstance(image, list) else image
    cli("vessel", "add", "A")
    by_id = cli.json("sighting", "add", "A", "--when", "2024-05-29", "--at", "42.73,133.06",
                     "--image", image["id"][:8])  # fmt: skip
    by_sha = cli.json("sighting", "add", "A", "--when", "2024-05-30", "--at", "42.73,133.06",
                      "--image", image["sha256"][:12])  # fmt: skip
    assert by_id["image"] == image["id"] == by_sha["image"]
    cli("sighting", "add", "A", "--when", "2024-05-30", "--at", "42.73,133.06", "--image",
        "ffffff00", expect=1)  # fmt: skip
