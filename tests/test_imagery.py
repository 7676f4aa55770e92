"""`osint image add/annotate/export/similar` as an investigator uses them, and the library API."""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import subprocess
import sys

import pytest
from imagery_fixtures import jpeg, picture, png
from PIL import Image

from osint.case.handle import open_case
from osint.case.store import blobs


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def photo(tmp_path):
    return jpeg(
        tmp_path / "tanker.jpg",
        taken="2024:03:05 19:00:00",
        offset="+10:00",
        lat=42.7285,
        lon=133.0647,
        altitude=-3.5,
        make="Canon",
        model="Canon EOS R5",
    )


def test_add_one_photo_gives_contract_fields(cli, photo):
    row = cli.json("image", "add", photo)
    for name in (
        "id",
        "sha256",
        "filename",
        "format",
        "width",
        "height",
        "taken",
        "lat",
        "lon",
        "camera",
    ):
        assert name in row
    assert row["sha256"] == sha(photo)
    assert row["filename"] == "tanker.jpg"
    assert (row["format"], row["width"], row["height"]) == ("JPEG", 640, 480)
    # 19:00 at UTC+10 is 09:00 UTC; the camera's own reading is kept too.
    assert row["taken"] == "2024-03-05T09:00:00Z"
    assert row["taken_local"] == "2024-03-05T19:00:00"
    assert row["taken_offset"] == "+10:00"
    assert row["lat"] == pytest.approx(42.7285, abs=1e-5)
    assert row["lon"] == pytest.approx(133.0647, abs=1e-5)
    assert row["altitude"] == -3.5
    assert row["camera"] == "Canon EOS R5"
    assert row["status"] == "ok" and row["result"] == "added"
    assert row["thumbnail_sha256"] and len(row["phash"]) == 16


def test_original_bytes_are_stored_byte_identical_and_export(cli, photo, tmp_path, case_path):
    row = cli.json("image", "add", photo)
    out = tmp_path / "out" / "copy.jpg"
    out.parent.mkdir()
    cli("image", "export", row["id"][:8], "-o", out)
    assert out.read_bytes() == photo.read_bytes()
    # Export never overwrites by surprise.
    result = cli("image", "export", row["id"], "-o", out, expect=1)
    assert "already exists" in result.stderr
    with open_case(case_path) as case:
        assert blobs.read_bytes(case.conn, row["sha256"]) == photo.read_bytes()


def test_second_copy_is_recognised_not_stored_twice(cli, photo, tmp_path, case_path):
    first = cli.json("image", "add", photo)
    copy = tmp_path / "renamed copy.jpg"
    copy.write_bytes(photo.read_bytes())
    result = cli("image", "add", copy)
    assert "1 already present" in result.stderr
    assert first["id"] in result.stdout
    assert len(cli.json("list", "images")) == 1
    with open_case(case_path) as case:
        count = case.conn.execute("SELECT count(*) FROM blobs WHERE sha256 = ?", (first["sha256"],))
        assert count.fetchone()[0] == 1


def test_folder_is_walked_recursively_and_non_images_are_skipped_by_name(cli, tmp_path):
    folder = tmp_path / "shots"
    (folder / "day2").mkdir(parents=True)
    jpeg(folder / "a.jpg", seed=1)
    png(folder / "day2" / "b.png", seed=2)
    (folder / "notes.txt").write_text("tanker seen at berth 2\n")
    (folder / "day2" / "page.jpg").write_text("<!doctype html><html></html>")
    result = cli("image", "add", folder, "--json")
    rows = json.loads(result.stdout)
    assert sorted(r["filename"] for r in rows) == ["a.jpg", "b.png"]
    assert "2 added" in result.stderr and "0 refused" in result.stderr
    assert "2 non-image files skipped" in result.stderr
    assert "notes.txt" in result.stderr and "page.jpg" in result.stderr


def test_non_image_named_on_the_command_line_is_refused(cli, tmp_path, photo):
    text = tmp_path / "report.jpg"
    text.write_text("just some text, not a picture\n")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    result = cli("image", "add", photo, text, empty, tmp_path / "missing.jpg", expect=1)
    assert "Traceback" not in result.output
    assert f"{text}: a text file, not an image" in result.stderr
    assert f"{empty}: empty file, not an image" in result.stderr
    assert "missing.jpg: no such file or folder" in result.stderr
    assert "1 added" in result.stderr and "3 refused" in result.stderr
    # The good file went in all the same.
    assert [r["filename"] for r in cli.json("list", "images")] == ["tanker.jpg"]


def test_broken_image_is_kept_with_its_hash_and_a_warning(cli, tmp_path, photo):
    data = photo.read_bytes()
    truncated = tmp_path / "cut.jpg"
    truncated.write_bytes(data[: len(data) * 6 // 10])
    row = cli.json("image", "add", truncated)
    assert row["sha256"] == sha(truncated)
    assert row["status"] == "warning"
    assert "truncated" in row["warnings"]
    # exifread and Pillow both read the metadata at the start of the file.
    assert row["taken"] == "2024-03-05T09:00:00Z"
    assert row["camera"] == "Canon EOS R5"
    cli("verify")


def test_decompression_bomb_is_kept_and_never_decoded(cli, tmp_path):
    # A valid PNG header declaring 30000 x 30000 pixels (900 megapixels) and almost no data.
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)
    data = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 100))
        + chunk(b"IEND", b"")
    )
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(data)
    row = cli.json("image", "add", bomb)
    assert row["status"] == "warning" and "decompression bomb" in row["warnings"]
    assert (row["width"], row["height"]) == (30000, 30000)
    assert row["thumbnail_sha256"] is None


def test_thumbnail_is_upright_and_small(cli, tmp_path, case_path):
    rotated = jpeg(tmp_path / "portrait.jpg", size=(800, 600), orientation=6)
    row = cli.json("image", "add", rotated)
    assert (row["width"], row["height"], row["orientation"]) == (800, 600, 6)
    with open_case(case_path) as case:
        thumb = Image.open(io.BytesIO(blobs.read_bytes(case.conn, row["thumbnail_sha256"])))
        assert thumb.size == (384, 512)  # turned upright, at most 512 pixels


def test_gps_references_south_and_west_are_applied(cli, tmp_path):
    south_west = jpeg(tmp_path / "sw.jpg", lat=-33.4489, lon=-70.6693)
    row = cli.json("image", "add", south_west)
    assert row["lat"] == pytest.approx(-33.4489, abs=1e-5)
    assert row["lon"] == pytest.approx(-70.6693, abs=1e-5)
    assert row["location_basis"] == "exif-gps"


def test_options_override_exif_and_link_the_source(cli, photo, tmp_path):
    source = cli.json("source", "add", "https://example.org/story", "--title", "Story")
    row = cli.json(
        "image",
        "add",
        photo,
        "--source",
        source["id"][:8],
        "--caption",
        "Tanker at berth 1",
        "--taken",
        "2024-03-06T01:02:03Z",
        "--at",
        "42.7,133.1",
    )
    assert row["source"] == source["id"]
    assert row["caption"] == "Tanker at berth 1"
    assert (row["taken"], row["taken_basis"]) == ("2024-03-06T01:02:03Z", "given")
    assert (row["lat"], row["lon"], row["location_basis"]) == (42.7, 133.1, "given")
    # What EXIF said is still there.
    assert row["gps_lat"] == pytest.approx(42.7285, abs=1e-5)
    assert row["taken_local"] == "2024-03-05T19:00:00"


def test_bad_options_are_refused_before_any_file_is_read(cli, photo):
    result = cli("image", "add", photo, "--at", "95,10", expect=1)
    assert "--at" in result.stderr and "latitude" in result.stderr
    result = cli("image", "add", photo, "--source", "nosuchsource", expect=1)
    assert "no source matches" in result.stderr
    assert cli.json("list", "images") == []


def test_offset_option_places_a_camera_clock_without_offset_in_utc(cli, tmp_path):
    naive = jpeg(tmp_path / "naive.jpg", taken="2024:03:05 19:00:00")
    row = cli.json("image", "add", naive)
    assert (row["taken"], row["taken_basis"]) == ("2024-03-05T19:00:00Z", "exif-local-as-utc")
    other = jpeg(tmp_path / "naive2.jpg", seed=5, taken="2024:03:05 19:00:00")
    row = cli.json("image", "add", other, "--offset", "+10:00")
    assert row["taken"] == "2024-03-05T09:00:00Z"
    assert row["taken_offset"] == "+10:00"


def test_images_are_found_by_sha256_prefix_and_appear_in_timeline(cli, photo):
    row = cli.json("image", "add", photo)
    shown = cli.json("show", row["sha256"][:10])
    assert shown["id"] == row["id"]
    shown = cli.json("show", "sha256:" + row["sha256"][:12])
    assert shown["id"] == row["id"]
    timeline = cli("timeline").stdout
    assert "2024-03-05T09:00:00Z" in timeline and "tanker.jpg" in timeline


def test_annotate_makes_a_derived_copy_and_leaves_the_original(cli, photo, case_path):
    original = cli.json("image", "add", photo)
    copy = cli.json(
        "image",
        "annotate",
        original["id"],
        "--box",
        "100,100,200,120",
        "--label",
        "Tanker",
        "--box",
        "400,50,80,80",
    )
    assert copy["id"] != original["id"] and copy["sha256"] != original["sha256"]
    assert copy["derived_from"] == original["id"]
    assert json.loads(copy["annotations"])[0] == {"box": [100, 100, 200, 120], "label": "Tanker"}
    assert copy["taken"] == original["taken"]
    links = cli.json("show", copy["id"])["links"]
    assert any(
        link["relation"] == "derived-from" and link["other"] == original["id"] for link in links
    )
    # The original is untouched and the case verifies.
    with open_case(case_path) as case:
        assert blobs.read_bytes(case.conn, original["sha256"]) == photo.read_bytes()
        data = blobs.read_bytes(case.conn, copy["sha256"])
    drawn = Image.open(io.BytesIO(data)).convert("RGB")
    red, green, blue = drawn.getpixel((100, 160))  # on the box's left edge
    assert red > 180 and green < 90 and blue < 90
    cli("verify")
    # The annotated copy is a near-duplicate of its original.
    similar = cli.json("image", "similar", original["id"])
    assert similar[0]["id"] == copy["id"] and similar[0]["relation"] == "derived from it"


def test_annotate_refuses_a_box_outside_the_picture(cli, photo):
    original = cli.json("image", "add", photo)
    result = cli("image", "annotate", original["id"], "--box", "900,900,10,10", expect=1)
    assert "outside the image" in result.stderr
    result = cli("image", "annotate", original["id"], "--box", "1,2,3", expect=1)
    assert "X,Y,W,H" in result.stderr


def test_similar_finds_resized_and_recompressed_copies_only(cli, tmp_path):
    scene = picture((1200, 900), seed=11)
    scene.save(tmp_path / "pass.jpg", quality=92)
    scene.resize((600, 450)).save(tmp_path / "pass-small.jpg", quality=60)
    scene.save(tmp_path / "pass.png")
    picture((1200, 900), seed=99).save(tmp_path / "other.jpg", quality=92)
    rows = json.loads(cli("image", "add", tmp_path, "--json").stdout)
    ids = {r["filename"]: r["id"] for r in rows}
    found = cli.json("image", "similar", ids["pass.jpg"])
    names = {r["filename"] for r in found}
    assert names == {"pass-small.jpg", "pass.png"}
    assert all(r["distance"] <= 10 for r in found)


def test_heic_phone_picture_is_decoded_through_pillow_heif(cli, tmp_path):
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    path = tmp_path / "phone.heic"
    try:
        picture((320, 240), seed=3).save(path, "HEIF", quality=80)
    except (KeyError, OSError, ValueError) as exc:
        pytest.skip(f"this pillow-heif cannot encode HEIC ({exc})")
    row = cli.json("image", "add", path)
    assert (row["format"], row["width"], row["height"]) == ("HEIF", 320, 240)
    assert row["thumbnail_sha256"] and row["status"] == "ok"


def test_geotiff_scene_gets_bounds_and_centre(cli, tmp_path):
    from PIL import TiffImagePlugin

    im = picture((200, 100), seed=4)
    info = TiffImagePlugin.ImageFileDirectory_v2()
    info[33550] = (0.001, 0.001, 0.0)  # pixel scale, degrees
    info[33922] = (0.0, 0.0, 0.0, 133.0, 42.8, 0.0)  # pixel (0,0) at 133.0E 42.8N
    info[34735] = (1, 1, 0, 3, 1024, 0, 1, 2, 1025, 0, 1, 1, 2048, 0, 1, 4326)
    path = tmp_path / "scene.tif"
    im.save(path, tiffinfo=info)
    row = cli.json("image", "add", path)
    assert row["geo_crs"] == "EPSG:4326"
    assert (row["geo_west"], row["geo_east"]) == pytest.approx((133.0, 133.2))
    assert (row["geo_south"], row["geo_north"]) == pytest.approx((42.7, 42.8))
    assert (row["lat"], row["lon"]) == pytest.approx((42.75, 133.1))
    assert row["location_basis"] == "geotiff-centre"


def test_edit_caption_keeps_history(cli, photo):
    row = cli.json("image", "add", photo)
    cli("edit", row["id"], "--set", "caption=Tanker Rye Song at berth 2")
    shown = cli.json("show", row["id"])
    assert shown["caption"] == "Tanker Rye Song at berth 2"
    assert shown["history"][-1]["changes"]["caption"]["old"] is None


def test_add_image_file_library_function(case, tmp_path, photo):
    from osint.case import records
    from osint.imagery import add_image_bytes, add_image_file
    from osint.sources.evidence import add_source

    source = add_source(case, "https://example.org/page", title="Captured page")
    shot = png(tmp_path / "screenshot.png", size=(300, 900), seed=8)
    row = add_image_file(
        case, shot, source=source["id"], caption="Full-page screenshot", derived_from=source["id"]
    )
    assert row["result"] == "added" and row["source"] == source["id"]
    assert row["derived_from"] == source["id"] and row["caption"] == "Full-page screenshot"
    links = records.links_of(case.conn, row["id"])
    assert [(link["relation"], link["other"]) for link in links] == [("derived-from", source["id"])]
    again = add_image_bytes(case, shot.read_bytes(), "shot-again.png")
    assert again["result"] == "present" and again["id"] == row["id"]
    with pytest.raises(Exception, match="not an image"):
        add_image_bytes(case, b"<html>no</html>", "page.png")


def test_help_does_not_import_image_libraries():
    code = (
        "import sys\n"
        "from osint.cli import app\n"
        "from typer.testing import CliRunner\n"
        "CliRunner().invoke(app, ['image', 'add', '--help'])\n"
        "bad = [m for m in ('PIL', 'exifread', 'pillow_heif') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_verify_catches_a_tampered_image_row(cli, photo, case_path):
    row = cli.json("image", "add", photo)
    conn = sqlite3.connect(case_path)
    conn.execute("UPDATE images SET lat = 0 WHERE id = ?", (row["id"],))
    conn.commit()
    conn.close()
    result = cli("verify", expect=1)
    assert row["id"] in result.stdout and "lat" in result.stdout
