"""Chronolocation: the sun's position (NOAA's algorithm), shadows, and a picture's consistency checks."""

from __future__ import annotations

import json
import math
import random
from datetime import UTC, datetime, timedelta

import pytest
from imagery_fixtures import jpeg

from osint.imagery import shadow, sun


def _ephem_sun(lat: float, lon: float, when: datetime):
    ephem = pytest.importorskip("ephem")
    observer = ephem.Observer()
    observer.lat, observer.lon = str(lat), str(lon)
    observer.date = when.astimezone(UTC).replace(tzinfo=None)
    observer.pressure, observer.temp = 1010, 10  # standard refraction, as NOAA assumes
    body = ephem.Sun(observer)
    return math.degrees(body.alt), math.degrees(body.az)


def test_sun_position_agrees_with_an_independent_ephemeris_within_a_tenth_of_a_degree():
    """PyEphem (VSOP87 theory, its own refraction) as the oracle, over 2,000 random places
    between +-70 degrees and times from 1990 to 2040, wherever the sun is 5 degrees up or more."""
    rng = random.Random(22)
    compared = 0
    for _ in range(2000):
        lat, lon = rng.uniform(-70, 70), rng.uniform(-180, 180)
        when = datetime(1990, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.uniform(0, 50 * 3.15e7))
        elevation, azimuth = _ephem_sun(lat, lon, when)
        if not 5 < elevation < 85:
            continue
        ours = sun.position(lat, lon, when)
        assert abs(ours.elevation - elevation) < 0.1, (lat, lon, when)
        assert abs((ours.azimuth - azimuth + 180) % 360 - 180) < 0.1, (lat, lon, when)
        compared += 1
    assert compared > 500


def test_hand_worked_positions():
    # On the March equinox the sun stands almost overhead at the equator at solar noon.
    noon = sun.day(0.0, 0.0, datetime(2024, 3, 20, tzinfo=UTC)).solar_noon
    assert noon.strftime("%H:%M") in ("12:07", "12:08")  # the equation of time: about -7.5 min
    assert sun.position(0.0, 0.0, noon).elevation > 89.5
    # A June noon at 60 N: elevation 90 - 60 + 23.44; the sun due south.
    june = sun.day(60.0, 0.0, datetime(2024, 6, 21, tzinfo=UTC)).solar_noon
    at_noon = sun.position(60.0, 0.0, june)
    assert abs(at_noon.elevation - 53.45) < 0.1
    assert abs(at_noon.azimuth - 180) < 0.5
    assert abs(at_noon.shadow_ratio - 1 / math.tan(math.radians(at_noon.elevation))) < 1e-9
    assert at_noon.shadow_azimuth == pytest.approx(0, abs=0.5)  # shadows point north
    with pytest.raises(ValueError):
        sun.position(0, 0, datetime(2024, 1, 1))  # a time without its offset is refused


def test_polar_day_and_polar_night():
    svalbard = (78.22, 15.65)
    assert sun.day(*svalbard, datetime(2024, 6, 21, tzinfo=UTC)).polar == "polar day"
    assert sun.day(*svalbard, datetime(2024, 12, 21, tzinfo=UTC)).polar == "polar night"
    midnight_sun = sun.position(*svalbard, datetime(2024, 6, 21, 23, 0, tzinfo=UTC))
    assert midnight_sun.daylight and midnight_sun.elevation > 5
    assert not sun.position(*svalbard, datetime(2024, 12, 21, 12, 0, tzinfo=UTC)).daylight
    mcmurdo = (-77.85, 166.67)
    assert sun.day(*mcmurdo, datetime(2024, 12, 21, tzinfo=UTC)).polar == "polar day"
    assert sun.day(*mcmurdo, datetime(2024, 6, 21, tzinfo=UTC)).polar == "polar night"


def test_sunrise_and_sunset_agree_with_the_ephemeris_within_two_minutes():
    ephem = pytest.importorskip("ephem")
    for lat, lon, date in ((42.73, 133.06, "2024-03-23"), (51.5, -0.13, "2024-06-21"),
                           (-33.87, 151.21, "2024-12-01"), (64.15, -21.94, "2024-01-15")):  # fmt: skip
        day = sun.day(lat, lon, datetime.fromisoformat(date + "T12:00:00+00:00")
                      - timedelta(minutes=4 * lon))  # fmt: skip
        observer = ephem.Observer()
        observer.lat, observer.lon = str(lat), str(lon)
        observer.pressure, observer.horizon = 0, "-0:50"  # NOAA's 90.833 degrees
        observer.date = (day.solar_noon).replace(tzinfo=None)
        rising = observer.previous_rising(ephem.Sun(), use_center=True).datetime()
        setting = observer.next_setting(ephem.Sun(), use_center=True).datetime()
        assert abs((day.sunrise.replace(tzinfo=None) - rising).total_seconds()) < 120, (lat, date)
        assert abs((day.sunset.replace(tzinfo=None) - setting).total_seconds()) < 120, (lat, date)


def test_a_shadow_as_long_as_its_object_means_a_sun_45_degrees_high():
    # An object 100 px tall; its shadow 100 px long, pointing right on a picture whose up is north.
    measured = shadow.measure((100, 300, 100, 200), (100, 300, 200, 300), north_angle=0)
    assert measured.ratio == pytest.approx(1.0)
    assert measured.elevation == pytest.approx(45.0)
    assert measured.shadow_azimuth == pytest.approx(90.0)  # east...
    assert measured.azimuth == pytest.approx(270.0)  # ...so the sun stood in the west
    # The same picture turned: a road known to run at azimuth 90 points up on it.
    turned = shadow.measure(
        (100, 300, 100, 200), (100, 300, 200, 300),
        reference=(0, 500, 0, 400), reference_azimuth=90,
    )  # fmt: skip
    assert turned.shadow_azimuth == pytest.approx(180.0)
    assert turned.azimuth == pytest.approx(0.0)
    unoriented = shadow.measure((0, 10, 0, 0), (0, 10, 0, 30))
    assert unoriented.azimuth is None and unoriented.ratio == pytest.approx(2.0)


def test_a_shadow_gives_back_the_time_at_the_place_and_the_place_at_the_time():
    lat, lon = 42.73, 133.06
    taken = datetime(2024, 5, 29, 2, 31, tzinfo=UTC)
    truth = sun.position(lat, lon, taken)
    # Draw the shadow the sun cast: up is north, shadow along the shadow azimuth.
    ratio = truth.shadow_ratio
    angle = math.radians(truth.shadow_azimuth)
    tip = (500 + 100 * ratio * math.sin(angle), 500 - 100 * ratio * math.cos(angle))
    measured = shadow.measure((500, 500, 500, 400), (500, 500, *tip), north_angle=0)
    windows = shadow.times_of_day(measured, lat, lon, taken)
    assert len(windows) == 1
    assert windows[0]["start"] <= taken <= windows[0]["end"]
    assert abs((windows[0]["best"] - taken).total_seconds()) <= 120
    cells = shadow.places_at(measured, taken, step_degrees=1.0)
    assert any(abs(c_lat - lat) <= 0.5 and abs(c_lon - lon) <= 0.5 for c_lat, c_lon in cells)
    assert len(cells) < 200  # a band, not the world
    band = shadow.band_geojson(cells, 1.0, {"kind": "shadow band"})
    assert band["features"][0]["geometry"]["type"] == "MultiPolygon"


def test_bad_lines_are_refused_with_the_flag():
    from osint.errors import InvalidInput

    with pytest.raises(InvalidInput, match="--shadow"):
        shadow.parse_line("1,2,3", "--shadow")
    with pytest.raises(InvalidInput, match="same point"):
        shadow.parse_line("5,5,5,5", "--object")


def _night_and_day_pictures(cli, tmp_path):
    """A terminal, a tanker, and two pictures of it at the place: one by day, one at night."""
    place = cli.json("place", "add", "Vostochny terminal", "--at", "42.73,133.06")
    vessel = cli.json("vessel", "add", "EXAMPLE TANKER")
    day = jpeg(tmp_path / "day.jpg", seed=3, taken="2024:05:29 11:31:00", offset="+09:00",
               lat=42.7335, lon=133.0589)  # fmt: skip
    night = jpeg(tmp_path / "night.jpg", seed=9, taken="2024:03:23 22:33:00", offset="+09:00",
                 lat=42.734, lon=133.0563)  # fmt: skip
    ids = {path.name: cli.json("image", "add", str(path))["id"] for path in (day, night)}
    for name, when in (("day.jpg", "2024-05-29T02:31:00Z"), ("night.jpg", "2024-03-23T13:33:00Z")):
        cli("sighting", "add", vessel["id"], "--when", when, "--place", place["id"],
            "--image", ids[name])  # fmt: skip
    return ids


def test_image_check_lists_every_test_and_keeps_the_result(cli, tmp_path):
    ids = _night_and_day_pictures(cli, tmp_path)
    day = cli.json("image", "check", ids["day.jpg"])
    results = {c["check"]: c["result"] for c in day["checks"]}
    assert results["position vs sightings"] == "pass"
    assert results["time vs sightings"] == "pass"
    assert results["daylight"] == "pass"
    assert results["footprint holds the place"] == "unknown"  # not a georeferenced scene
    night = cli.json("image", "check", ids["night.jpg"], "--record")
    results = {c["check"]: c["result"] for c in night["checks"]}
    assert results["daylight"] == "fail"
    kept = cli.json("show", night["record"])
    assert kept["kind"] == "image-check" and kept["failed"] == 1
    shown = cli.json("show", ids["night.jpg"])
    assert any("FAIL" in line and "daylight" in line for line in shown["details"]["checks"])
    assert any(link["relation"] == "derived-from" for link in shown["links"])
    cli("export", "brief", "-o", str(tmp_path / "brief.md"))
    assert "Checked: " in (tmp_path / "brief.md").read_text(encoding="utf-8")
    assert cli.json("verify")["ok"] is True


def test_image_sun_and_shadow_commands(cli, tmp_path):
    ids = _night_and_day_pictures(cli, tmp_path)
    told = cli.json("image", "sun", ids["day.jpg"])
    assert told["daylight"] is True and 60 < told["elevation"] < 70
    assert told["sunrise"] < told["when"] < told["sunset"]
    polar = cli.json("image", "sun", "--at", "78.22,15.65", "--when", "2024-12-21T12:00:00Z")
    assert polar["polar"] == "polar night" and polar["daylight"] is False
    band = tmp_path / "band.geojson"
    result = cli.json(
        "image", "shadow", ids["day.jpg"], "--object", "500,500,500,400",
        "--shadow", "500,500,520,540", "--north-angle", "0", "-o", str(band),
    )  # fmt: skip
    assert result["times_of_day"]["windows"] is not None
    assert json.loads(band.read_text())["features"][0]["properties"]["kind"] == "shadow band"
    refused = cli("image", "shadow", ids["day.jpg"], "--object", "1,2", "--shadow", "1,2,3,4",
                  expect=1)  # fmt: skip
    assert "--object" in refused.stderr


def test_a_kept_shadow_reading_shows_its_band_of_places_on_the_brief_map(cli, tmp_path):
    ids = _night_and_day_pictures(cli, tmp_path)
    kept = cli.json(
        "image", "shadow", ids["day.jpg"], "--object", "500,500,500,400",
        "--shadow", "500,500,520,540", "--north-angle", "0", "--record",
    )  # fmt: skip
    shown = cli.json("show", kept["record"])
    assert shown["kind"] == "image-check" and shown["summary"].startswith("shadow:")
    cli("export", "brief", "-o", str(tmp_path / "brief.html"))
    html = (tmp_path / "brief.html").read_text(encoding="utf-8")
    assert 'class="figure band"' in html and 'fill="#b3261e"' in html
    assert "Where such a shadow falls at the picture" in html
    refused = cli("image", "shadow", "--object", "0,10,0,0", "--shadow", "0,10,5,10",
                  "--at", "42,133", "--when", "2024-06-01T03:00Z", "--record", expect=2)  # fmt: skip
    assert "--record" in refused.stderr
