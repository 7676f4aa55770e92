"""When was the picture taken? Which tag said so, XMP dates, save times, and the GPS clock.

Files are built here (Pillow writes the EXIF and XMP a camera or editor would); exiftool, when
installed, is the oracle for what the files hold.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess

import pytest
from imagery_fixtures import exif_for, picture
from PIL import Image, PngImagePlugin

from osint.imagery import exif, probe


def xmp_packet(**dates: str) -> bytes:
    """An XMP packet as Adobe software writes it (attributes on rdf:Description)."""
    names = {
        "original": "exif:DateTimeOriginal",
        "created": "photoshop:DateCreated",
        "create": "xmp:CreateDate",
        "modify": "xmp:ModifyDate",
    }
    attributes = " ".join(f'{names[k]}="{v}"' for k, v in dates.items())
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/" '
        'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" '
        f'xmlns:xmp="http://ns.adobe.com/xap/1.0/" {attributes}/>'
        '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode()


def camera_exif(
    *, original=None, offset=None, saved=None, gps_date=None, gps_time=None
) -> Image.Exif:
    info = exif_for(taken=original, offset=offset)
    if saved:
        info[0x0132] = saved  # IFD0 DateTime: when software saved the file
    if gps_date:
        gps = info.get_ifd(0x8825)
        gps[7] = tuple(float(v) for v in gps_time)
        gps[29] = gps_date
    return info


def save(path, fmt: str, *, info: Image.Exif | None = None, xmp: bytes | None = None):
    im = picture((96, 64))
    options: dict = {}
    if info is not None:
        options["exif"] = info
    if xmp is not None:
        if fmt == "PNG":
            chunk = PngImagePlugin.PngInfo()
            chunk.add_itxt("XML:com.adobe.xmp", xmp.decode())
            options["pnginfo"] = chunk
        elif fmt == "TIFF":
            options["tiffinfo"] = {700: xmp}
        else:
            options["xmp"] = xmp
    if fmt == "HEIF":
        import pillow_heif

        pillow_heif.register_heif_opener()
    im.save(path, fmt, **options)
    return path


def read(path) -> dict:
    fields, _ = probe.probe(str(path), decode=False)
    return fields


def test_save_time_is_never_a_capture_time(tmp_path):
    fields = read(
        save(tmp_path / "edited.jpg", "JPEG", info=camera_exif(saved="2019:03:04 08:11:12"))
    )
    assert fields.get("taken") is None and fields.get("taken_local") is None
    assert fields["saved_time"] == "2019-03-04T08:11:12"
    assert "save time" in fields["saved_tag"]


def test_the_tag_that_gave_the_time_is_kept(tmp_path):
    info = camera_exif(original="2024:03:05 19:00:00", offset="+10:00", saved="2024:03:09 08:00:00")
    fields = read(save(tmp_path / "camera.jpg", "JPEG", info=info))
    assert fields["taken"] == "2024-03-05T09:00:00Z"
    assert fields["taken_tag"] == "EXIF DateTimeOriginal"
    assert fields["saved_time"] == "2024-03-09T08:00:00"


@pytest.mark.parametrize(
    ("fmt", "suffix"),
    [("JPEG", "jpg"), ("TIFF", "tif"), ("PNG", "png"), ("WEBP", "webp"), ("HEIF", "heic")],
)
def test_xmp_dates_are_read_in_every_format(tmp_path, fmt, suffix):
    # The real capture time is in XMP only; IFD0 DateTime (a save 2.5 days later) must not win.
    packet = xmp_packet(original="2021-06-01T07:30:00+03:00", modify="2021-06-03T19:00:00+03:00")
    info = camera_exif(saved="2021:06:03 19:00:00") if fmt in ("JPEG", "WEBP", "TIFF") else None
    fields = read(save(tmp_path / f"picture.{suffix}", fmt, info=info, xmp=packet))
    assert fields["taken_tag"] == "XMP exif:DateTimeOriginal", fields
    assert fields["taken"] == "2021-06-01T04:30:00Z"
    assert fields["taken_offset"] == "+03:00"
    assert fields["saved_time"].startswith("2021-06-03T19:00:00")


def test_xmp_as_elements_and_without_zone():
    packet = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        b'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/">'
        b"<photoshop:DateCreated>2020-01-02T03:04:05</photoshop:DateCreated>"
        b"</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    assert exif.xmp_dates(packet) == {"XMP photoshop:DateCreated": "2020-01-02T03:04:05"}
    fields, _ = exif.interpret(exif.xmp_dates(packet))
    assert (fields["taken_local"], fields["taken_tag"]) == (
        "2020-01-02T03:04:05",
        "XMP photoshop:DateCreated",
    )


def test_hostile_xmp_is_refused_without_expanding_entities(tmp_path):
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        b'xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:DateTimeOriginal="&b;"/>'
        b"</rdf:RDF></x:xmpmeta>"
    )
    warnings: list[str] = []
    assert exif.xmp_dates(bomb, warnings) == {}
    assert warnings and "DTD" in warnings[0]
    path = tmp_path / "bomb.jpg"
    picture((32, 32)).save(path, "JPEG", xmp=bomb)
    fields = read(path)
    assert fields.get("taken") is None
    # The scan starts at the packet, so the entity is undefined there: refused, never expanded.
    assert any("XMP" in w and "ignored" in w for w in fields["warnings"])
    broken: list[str] = []
    assert exif.xmp_dates(b"<x:xmpmeta><unclosed></x:xmpmeta>", broken) == {} and broken


def test_gps_time_gives_the_zone_when_the_difference_is_one(tmp_path):
    # Camera at 14:30:10 local, GPS 12:29:40 UTC: +02:00, with 30 s of clock drift.
    info = camera_exif(original="2023:07:14 14:30:10", gps_date="2023:07:14", gps_time=(12, 29, 40))
    fields = read(save(tmp_path / "zoned.jpg", "JPEG", info=info))
    assert fields["taken_offset"] == "+02:00"
    assert fields["taken_basis"] == "exif-local+gps-offset"
    assert fields["taken"] == "2023-07-14T12:30:10Z"
    assert fields.get("clock_error_s") is None
    # Half-hour and quarter-hour zones too (India +05:30, Nepal +05:45, Newfoundland -02:30).
    assert exif.zone_offset_for(5 * 3600 + 45 * 60 + 20) == 20700
    assert exif.zone_offset_for(-(2 * 3600 + 30 * 60)) == -9000
    assert exif.zone_offset_for(7 * 60) is None  # 7 minutes: no zone, a wrong clock
    assert exif.zone_offset_for(15 * 3600) is None  # beyond +-14 h


def test_camera_clock_error_is_flagged_and_shown(cli, tmp_path):
    # As in exif-py's DSCN0010.jpg: camera 2008-10-22 16:28:39, GPS 2008-10-23 14:27:07Z.
    info = camera_exif(original="2008:10:22 16:28:39", gps_date="2008:10:23", gps_time=(14, 27, 7))
    path = save(tmp_path / "DSCN0010.jpg", "JPEG", info=info)
    row = cli.json("image", "add", path)
    shown = cli.json("show", row["id"])
    assert shown["clock_error_s"] == -79108
    assert shown["taken_basis"] == "exif-local-as-utc"
    text = cli("show", row["id"]).stdout
    assert "2008-10-22T16:28:39" in text and "2008-10-23T14:27:07Z" in text
    assert "21 h 58 min 28 s behind" in " ".join(text.split())
    assert "EXIF DateTimeOriginal" in text
    brief = tmp_path / "brief.md"
    cli("export", "brief", "-o", brief)
    assert "21 h 58 min 28 s behind" in brief.read_text()


def test_offset_known_and_gps_agree_gives_no_clock_error():
    fields, _ = exif.interpret(
        {
            "DateTimeOriginal": "2024:03:05 19:00:00",
            "OffsetTimeOriginal": "+10:00",
            "GPSDateStamp": "2024:03:05",
            "GPSTimeStamp": [9.0, 0.0, 30.0],
        }
    )
    done = exif.finish_time(fields)
    assert done["taken_basis"] == "exif-offset" and "clock_error_s" not in done
    fields["GPSDateStamp"] = None
    done = exif.finish_time(
        {**fields, "gps_time": "2024-03-05T11:00:00Z", "taken": "2024-03-05T09:00:00Z"}
    )
    assert done["clock_error_s"] == -7200


# ---- exiftool as the oracle -------------------------------------------------------------------

EXIFTOOL = shutil.which("exiftool")
# Our tag name -> exiftool's (group:name).
ORACLE_TAGS = {
    "EXIF DateTimeOriginal": "EXIF:DateTimeOriginal",
    "EXIF DateTimeDigitized (CreateDate)": "EXIF:CreateDate",
    "XMP exif:DateTimeOriginal": "XMP:DateTimeOriginal",
    "XMP photoshop:DateCreated": "XMP:DateCreated",
    "XMP xmp:CreateDate": "XMP:CreateDate",
    "EXIF DateTime (IFD0, save time)": "EXIF:ModifyDate",
    "XMP xmp:ModifyDate (save time)": "XMP:ModifyDate",
}


def exiftool_times(path) -> dict:
    out = subprocess.run(
        [EXIFTOOL, "-j", "-G", "-a", "-time:all", str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    return json.loads(out)[0]


def same_moment(ours: str, theirs: str) -> bool:
    """`2021-06-01T07:30:00+03:00` (ours) against `2021:06:01 07:30:00+03:00` (exiftool)."""
    norm = theirs.replace(":", "-", 2).replace(" ", "T")
    return ours.replace("Z", "") == norm.split(".")[0][: len(ours.replace("Z", ""))]


@pytest.mark.skipif(EXIFTOOL is None, reason="exiftool is not installed")
@pytest.mark.parametrize(("fmt", "suffix"), [("JPEG", "jpg"), ("TIFF", "tif"), ("PNG", "png")])
def test_exiftool_reads_the_same_times(tmp_path, fmt, suffix):
    packet = xmp_packet(original="2021-06-01T07:30:00+03:00", modify="2021-06-03T19:00:00+03:00")
    info = camera_exif(saved="2021:06:03 19:00:00") if fmt != "PNG" else None
    path = save(tmp_path / f"p.{suffix}", fmt, info=info, xmp=packet)
    fields = read(path)
    theirs = exiftool_times(path)
    tag = ORACLE_TAGS[fields["taken_tag"]]
    assert same_moment(fields["taken_local"], theirs[tag].split("+")[0])
    if fields.get("saved_tag"):
        assert same_moment(fields["saved_time"][:19], theirs[ORACLE_TAGS[fields["saved_tag"]]])


@pytest.mark.skipif(EXIFTOOL is None, reason="exiftool is not installed")
def test_exiftool_agrees_on_gps_time(tmp_path):
    info = camera_exif(original="2008:10:22 16:28:39", gps_date="2008:10:23", gps_time=(14, 27, 7))
    path = save(tmp_path / "gps.jpg", "JPEG", info=info)
    theirs = exiftool_times(path)
    assert theirs["Composite:GPSDateTime"].startswith("2008:10:23 14:27:07")
    assert read(path)["gps_time"] == "2008-10-23T14:27:07Z"


def test_in_memory_packet_scan_finds_xmp_in_any_container():
    data = b"\x00" * 50 + xmp_packet(create="2020-05-05T05:05:05Z") + b"\xff" * 10
    packet = exif.find_xmp_packet(data)
    assert packet and packet.startswith(b"<x:xmpmeta")
    assert exif.xmp_dates(io.BytesIO(packet).read()) == {
        "XMP xmp:CreateDate": "2020-05-05T05:05:05Z"
    }
