"""Reading untrusted images: signatures, EXIF interpretation, georeference, the worker sandbox."""

from __future__ import annotations

import math
import sys
import textwrap
import time

import pytest

from osint.imagery import exif, geotiff, sniff
from osint.imagery.pool import ProbePool, Task


@pytest.mark.parametrize(
    ("head", "name", "expected"),
    [
        (b"\xff\xd8\xff\xe1\x00\x10Exif", "a.jpg", "JPEG"),
        (b"\xff\xd8\xff\xe0", "a.MPO", "MPO"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "a.png", "PNG"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "x", "WEBP"),
        (b"II*\x00\x08\x00\x00\x00", "scene.tif", "TIFF"),
        (b"II*\x00\x08\x00\x00\x00", "raw.DNG", "DNG"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "x", "HEIF"),
        (b"\x00\x00\x00\x20ftypavif\x00\x00\x00\x00avifmif1miaf", "x", "AVIF"),
        (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "x", "JPEG2000"),
        (b"8BPS\x00\x01", "x", "PSD"),
    ],
)
def test_signatures_decide_the_format_not_the_name(head, name, expected):
    assert sniff.sniff_bytes(head, name).format == expected


@pytest.mark.parametrize(
    "head", [b"", b"hello world", b"<!doctype html><html>", b"%PDF-1.7", b"\xff\xd8", b"PK\x03\x04"]
)
def test_non_images_have_no_signature(head):
    assert sniff.sniff_bytes(head, "photo.jpg") is None


def test_gps_edge_cases():
    def gps(lat, lat_ref, lon, lon_ref):
        return exif.interpret(
            {
                "GPSLatitude": lat,
                "GPSLatitudeRef": lat_ref,
                "GPSLongitude": lon,
                "GPSLongitudeRef": lon_ref,
            }
        )

    fields, warnings = gps([33.0, 26.0, 56.04], "S", [70.0, 40.0, 9.48], "W")
    assert (fields["gps_lat"], fields["gps_lon"]) == pytest.approx((-33.4489, -70.6693))
    assert warnings == []
    fields, _ = gps(
        [34.0, 36.2, 0.0], " s ", [58.0, 22.9, 0.0], "w\x00"
    )  # decimal minutes, padded refs
    assert fields["gps_lat"] == pytest.approx(-34.60333, abs=1e-5)
    assert fields["gps_lon"] == pytest.approx(-58.38167, abs=1e-5)
    fields, _ = gps([-22.0, 54.0, 30.0], "S", [-43.0, 12.0, 0.0], "W")  # signed values and refs
    assert fields["gps_lat"] == pytest.approx(-22.90833, abs=1e-5)
    fields, warnings = gps([48.0, 51.0, 29.6], None, [2.0, 17.0, 40.2], None)
    assert "gps_lat" in fields and any("reference missing" in w for w in warnings)
    fields, warnings = gps([math.nan, 0.0, 0.0], "N", [1.0, 0.0, 0.0], "E")
    assert "gps_lat" not in fields and any("zero denominator" in w for w in warnings)
    fields, warnings = gps([0.0, 0.0, 0.0], "N", [0.0, 0.0, 0.0], "E")
    assert "gps_lat" not in fields and any("null island" in w for w in warnings)
    fields, warnings = gps([95.0, 0.0, 0.0], "N", [200.0, 0.0, 0.0], "E")
    assert "gps_lat" not in fields and any("out of range" in w for w in warnings)
    fields, _ = exif.interpret({"GPSAltitude": [12.5], "GPSAltitudeRef": [1]})
    assert fields["altitude"] == -12.5


def test_capture_time_with_offset_garbage_and_unset_clock():
    fields, _ = exif.interpret(
        {"DateTimeOriginal": "2024:03:05 19:00:00", "OffsetTimeOriginal": "+10:00"}
    )
    assert exif.finish_time(fields)["taken"] == "2024-03-05T09:00:00Z"
    fields, warnings = exif.interpret(
        {"DateTimeOriginal": "garbage", "DateTime": "2019:03:04 08:11:12"}
    )
    # IFD0 DateTime is when a program saved the file: kept, never a capture time.
    assert "taken_local" not in fields and warnings
    assert fields["saved_time"] == "2019-03-04T08:11:12"
    fields, _ = exif.interpret({"DateTimeOriginal": "0000:00:00 00:00:00"})
    assert "taken_local" not in fields
    fields, warnings = exif.interpret({"DateTimeOriginal": "2023:02:30 10:00:00"})
    assert "taken_local" not in fields and warnings
    # A GPS clock is used only when the camera gave no time (it can be stale).
    fields, _ = exif.interpret(
        {
            "DateTimeOriginal": "2008:10:22 16:28:39",
            "GPSDateStamp": "2008:10:23",
            "GPSTimeStamp": [14.0, 27.0, 7.0],
        }
    )
    done = exif.finish_time(fields)
    assert (done["taken"], done["gps_time"]) == ("2008-10-22T16:28:39Z", "2008-10-23T14:27:07Z")
    assert done["clock_error_s"] == -(21 * 3600 + 58 * 60 + 28)  # no zone is 22 h off


def test_readers_are_merged_and_disagreements_reported():
    merged, warnings = exif.merge(
        {"camera": "A", "gps_lat": 1.0}, {"camera": "A", "gps_lat": 2.0, "orientation": 6}
    )
    assert merged == {"camera": "A", "gps_lat": 1.0, "orientation": 6}
    assert warnings and "gps_lat" in warnings[0]


def test_utm_georeference_matches_known_bounds():
    # rasterio's RGB.byte.tif: EPSG:32618, 791 x 718 pixels of 300 m.
    tags = {
        geotiff.TAG_TIEPOINT: (0.0, 0.0, 0.0, 101985.0, 2826915.0, 0.0),
        geotiff.TAG_PIXEL_SCALE: (300.0379266750948, 300.041782729805, 0.0),
        geotiff.TAG_GEOKEYS: (1, 1, 0, 2, 1024, 0, 1, 1, 3072, 0, 1, 32618),
    }
    geo, warnings = geotiff.georeference(tags, 791, 718)
    assert warnings == [] and geo["geo_crs"] == "EPSG:32618"
    assert geo["geo_west"] == pytest.approx(-78.95865, abs=1e-4)
    assert geo["geo_north"] == pytest.approx(25.55087, abs=1e-4)
    assert geo["geo_east"] == pytest.approx(-76.57492, abs=1e-4)
    assert geo["geo_south"] == pytest.approx(23.56499, abs=1e-4)


def _fake_worker(tmp_path, body: str) -> list[str]:
    script = tmp_path / "fake_worker.py"
    script.write_text(
        "import sys\nfrom osint.imagery.worker import read_frame, encode_frame, limit_resources\n"
        + textwrap.dedent(body)
    )
    return [sys.executable, str(script)]


def test_a_worker_that_hangs_is_killed_and_replaced(tmp_path):
    command = _fake_worker(
        tmp_path,
        """
        import time
        out = sys.stdout.buffer
        while True:
            request, _ = read_frame(sys.stdin.buffer)
            if "hang" in request["path"]:
                time.sleep(3600)
            out.write(encode_frame({"path": request["path"]}, b"thumb"))
            out.flush()
        """,
    )
    tasks = [Task("a.jpg"), Task("hang.jpg"), Task("b.jpg"), Task("c.jpg")]
    started = time.monotonic()
    with ProbePool(2, time_limit=1.0, command=command) as pool:
        results = {task.path: (header, payload) for task, header, payload in pool.run(tasks)}
    assert time.monotonic() - started < 30
    assert "stopped after" in results["hang.jpg"][0]["failed"]
    assert results["c.jpg"] == ({"path": "c.jpg"}, b"thumb")
    assert set(results) == {"a.jpg", "hang.jpg", "b.jpg", "c.jpg"}


def test_a_worker_over_its_memory_cap_fails_alone(tmp_path):
    command = _fake_worker(
        tmp_path,
        """
        limit_resources(512 * 1024 * 1024)
        out = sys.stdout.buffer
        while True:
            request, _ = read_frame(sys.stdin.buffer)
            if "greedy" in request["path"]:
                hog = bytearray(2 * 1024 * 1024 * 1024)  # MemoryError under the cap
            out.write(encode_frame({"path": request["path"]}))
            out.flush()
        """,
    )
    with ProbePool(1, time_limit=10.0, command=command) as pool:
        results = {t.path: h for t, h, _ in pool.run([Task("greedy.jpg"), Task("fine.jpg")])}
    assert "failed" in results["greedy.jpg"]
    assert results["fine.jpg"] == {"path": "fine.jpg"}
