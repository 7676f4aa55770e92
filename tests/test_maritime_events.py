"""Maritime behaviour events on synthetic tracks of known truth: encounters, loitering, anomalies,
dark activity and sightings against AIS."""

from __future__ import annotations

import behaviour_fixtures as fx
import pytest

from osint.maritime.events import encounters as enc

MEET = fx.offset(*fx.PORT, -40 * fx.NM, 0)  # 40 nm south of the port


def tanker_meeting(tmp_path, cli, *, hours=3.0, gap_in_b=None):
    cli(
        "place",
        "add",
        "Nakhodka anchorage",
        "--at",
        f"{fx.PORT[0]},{fx.PORT[1]}",
        "--radius-m",
        "3000",
    )
    a = fx.meeting(MEET, fx.T0, hours, fx.PORT, every_s=180)
    b = fx.meeting(MEET, fx.T0, hours, fx.offset(*MEET, 0, 60_000), every_s=420, phase_s=37,
                   drift_m=(120, 80))  # fmt: skip
    if gap_in_b:
        lo, hi = gap_in_b
        b = [p for p in b if not lo <= p[0] < hi]
    rows = fx.rows("445000001", "KUM UN SAN", a) + fx.rows("273000002", "VOLNA", b)
    cli("ais", "import", fx.write_csv(tmp_path / "meet.csv", rows))


def test_two_tankers_meeting_off_a_port_is_one_encounter(cli, tmp_path):
    tanker_meeting(tmp_path, cli)
    rows = cli.json("ais", "encounters")
    assert len(rows) == 1
    row = rows[0]
    names = {row["vessel_a"]["name"], row["vessel_b"]["name"]}
    assert names == {"KUM UN SAN", "VOLNA"}
    assert {row["vessel_a"]["mmsi"], row["vessel_b"]["mmsi"]} == {"445000001", "273000002"}
    assert 2.5 <= row["hours"] <= 3.2  # the instants at arrival and departure read as moving
    assert row["median_distance_m"] < 250
    assert abs(row["lat"] - MEET[0]) < 0.01 and abs(row["lon"] - MEET[1]) < 0.01
    assert row["nearest_place"] == "Nakhodka anchorage"
    assert 65 < row["nearest_place_km"] < 75
    assert "500 m" in row["rule"] and "2 h" in row["rule"]
    # the thresholds are flags: a stricter duration finds nothing
    assert cli.json("ais", "encounters", "--min-hours", "4") == []
    # the meeting is 74 km from the port: a 100 km exclusion zone removes it
    assert cli.json("ais", "encounters", "--min-place-distance-km", "100") == []
    assert len(cli.json("ais", "encounters", "--vessel", "VOLNA")) == 1
    assert cli.json("ais", "encounters", "--to", "2024-03-06") == []


def test_a_gap_inside_an_encounter_is_not_bridged(cli, tmp_path):
    # VOLNA is silent for 2 hours in the middle of an 8-hour meeting
    tanker_meeting(tmp_path, cli, hours=8.0, gap_in_b=(fx.T0 + 3 * 3600, fx.T0 + 5 * 3600))
    rows = cli.json("ais", "encounters")
    assert len(rows) == 2
    first, second = rows
    assert first["end"] < second["start"]
    assert any("after" in s for s in first["ends_at_silence"])
    assert any("before" in s for s in second["ends_at_silence"])
    # with a longer interpolation allowance the silence is bridged: one encounter
    assert len(cli.json("ais", "encounters", "--max-interp-h", "3")) == 1


def test_ships_passing_at_12_knots_are_no_encounter(cli, tmp_path):
    start = fx.offset(*MEET, -30_000, 0)
    end = fx.offset(*MEET, 30_000, 0)
    seconds = int(60_000 / fx.NM / 12 * 3600)
    a = fx.leg_points(start, end, fx.T0, fx.T0 + seconds, 60)
    b = fx.leg_points(
        fx.offset(*end, 0, 150), fx.offset(*start, 0, 150), fx.T0, fx.T0 + seconds, 60
    )
    rows = fx.rows("445000011", "FAST ONE", a) + fx.rows("445000012", "FAST TWO", b)
    cli("ais", "import", fx.write_csv(tmp_path / "pass.csv", rows))
    assert cli.json("ais", "encounters") == []
    # even with no speed limit, they are close for minutes, not hours
    assert cli.json("ais", "encounters", "--max-speed-kn", "50") == []


def test_encounter_across_the_antimeridian(cli, tmp_path):
    meet = (52.0, 179.999)
    a = fx.meeting(meet, fx.T0, 3, fx.offset(*meet, 0, -50_000), every_s=300)
    b = fx.meeting(meet, fx.T0, 3, fx.offset(*meet, 0, 50_000), every_s=240, phase_s=11,
                   drift_m=(0, 200))  # fmt: skip
    assert any(p[2] < 0 for p in b) and any(p[2] > 0 for p in a)
    rows = fx.rows("273000021", "EAST", a) + fx.rows("273000022", "WEST", b)
    cli("ais", "import", fx.write_csv(tmp_path / "am.csv", rows))
    found = cli.json("ais", "encounters")
    assert len(found) == 1 and found[0]["hours"] >= 2.5
    assert abs(abs(found[0]["lon"]) - 180) < 0.01


def test_grid_and_pairwise_reference_agree(case, tmp_path, cli):
    import random

    rng = random.Random(5)
    rows = []
    for n in range(40):
        base = (rng.uniform(-60, 60), rng.choice([rng.uniform(-180, 180), 179.99, -179.99]))
        pts = []
        t = fx.T0 + rng.randrange(600)
        lat, lon = base
        for _ in range(200):
            pts.append((t, lat, lon))
            t += rng.randrange(60, 900)
            lat, lon = fx.offset(lat, lon, rng.uniform(-80, 80), rng.uniform(-80, 80))
        rows += fx.rows(f"4450{n:05d}", f"SHIP {n}", pts)
    # put half of them in a cluster so that there are encounters to find
    cli("ais", "import", fx.write_csv(tmp_path / "many.csv", rows))
    p = enc.Params(max_distance_m=5_000_000, min_hours=0.5, max_speed_kn=50)
    conn = case.conn
    grid = enc.find(conn, p)
    ref = enc.reference(conn, p)
    assert grid == ref and len(grid) > 5


@pytest.mark.parametrize("distance", [200.0, 2_000.0, 50_000.0])
def test_grid_and_reference_agree_on_a_dense_cluster(case, cli, tmp_path, distance):
    import random

    rng = random.Random(int(distance))
    rows = []
    for n in range(30):
        spread = distance * 8 / 111_195  # about as many neighbours whatever the distance
        lat = 70.0 + rng.uniform(-spread, spread)
        lon = 179.99 + rng.uniform(-3 * spread, 3 * spread)
        pts = []
        t = fx.T0 + rng.randrange(300)
        for _ in range(120):
            pts.append((t, lat, (lon + 180) % 360 - 180))
            t += rng.randrange(100, 500)
            step = distance / 20
            lat, lon = fx.offset(lat, lon, rng.uniform(-step, step), rng.uniform(-step, step))
        rows += fx.rows(f"2730{n:05d}", f"DRIFTER {n}", pts)
    cli("ais", "import", fx.write_csv(tmp_path / "dense.csv", rows))
    p = enc.Params(max_distance_m=distance, min_hours=0.3, max_speed_kn=5)
    found = enc.find(case.conn, p)
    assert found == enc.reference(case.conn, p)
    assert len(found) > 0
    import pytest as _pytest

    with _pytest.MonkeyPatch.context() as patch:
        patch.setattr(enc, "USE_NUMPY_PAIRS", False)  # the plain grid loop
        assert enc.find(case.conn, p) == found


# ---- loitering and dark partners ---------------------------------------------------------------

LOITER = fx.offset(*fx.PORT, -60_000, 30_000)


def loiterer_and_partner(tmp_path, cli):
    cli(
        "place",
        "add",
        "Nakhodka anchorage",
        "--at",
        f"{fx.PORT[0]},{fx.PORT[1]}",
        "--radius-m",
        "3000",
    )
    e = fx.meeting(LOITER, fx.T0, 6, fx.PORT, every_s=300, drift_m=(300, 300))
    # the partner comes within 5 km, then is silent for 8 hours, then sails off
    near = fx.offset(*LOITER, 5_000, 0)
    d = fx.leg_points(fx.offset(*near, 40_000, 0), near, fx.T0 - 4 * 3600, fx.T0, 240)
    d += fx.leg_points(near, fx.offset(*near, 0, 40_000), fx.T0 + 8 * 3600, fx.T0 + 12 * 3600, 240)
    rows = fx.rows("445000031", "SLOW ONE", e) + fx.rows("445000032", "SILENT ONE", d)
    cli("ais", "import", fx.write_csv(tmp_path / "loiter.csv", rows))


def test_loitering_with_a_possible_dark_partner(cli, tmp_path):
    loiterer_and_partner(tmp_path, cli)
    rows = cli.json("ais", "loitering")
    assert [r["vessel"]["name"] for r in rows] == ["SLOW ONE"]
    row = rows[0]
    assert 5.5 <= row["hours"] <= 6.2 and row["mean_speed_kn"] < 1
    assert abs(row["lat"] - LOITER[0]) < 0.02
    assert row["encounters"] == []
    partners = row["dark_partners"]
    assert [p["vessel"]["name"] for p in partners] == ["SILENT ONE"]
    assert partners[0]["distance_km"] == pytest.approx(5.0, abs=0.5)
    assert "dark partner" in partners[0]["reason"]
    # flags: a 7-hour minimum finds nothing; a 1 km partner radius finds no partner
    assert cli.json("ais", "loitering", "--min-hours", "7") == []
    assert cli.json("ais", "loitering", "--partner-radius-km", "1")[0]["dark_partners"] == []


def test_loitering_lists_the_encounter_it_overlaps(cli, tmp_path):
    tanker_meeting(tmp_path, cli, hours=5.0)
    rows = cli.json("ais", "loitering")
    assert len(rows) == 2
    for row in rows:
        assert len(row["encounters"]) == 1
        assert row["encounters"][0]["other"]["name"] in {"KUM UN SAN", "VOLNA"}


# ---- dark activity -----------------------------------------------------------------------------


def test_dark_activity_needs_a_silence_at_sea_with_data_around_it(cli, tmp_path):
    cli(
        "place",
        "add",
        "Nakhodka anchorage",
        "--at",
        f"{fx.PORT[0]},{fx.PORT[1]}",
        "--radius-m",
        "3000",
    )
    at_sea = fx.offset(*fx.PORT, -80_000, 0)
    # heard every 3 minutes, silent 20 hours at sea, heard again
    a = fx.leg_points(at_sea, fx.offset(*at_sea, 0, 20_000), fx.T0 - 12 * 3600, fx.T0, 180)
    a += fx.leg_points(fx.offset(*at_sea, 0, 60_000), fx.offset(*at_sea, 0, 80_000),
                       fx.T0 + 20 * 3600, fx.T0 + 32 * 3600, 180)  # fmt: skip
    # heard every 6 hours only: its 20-hour silence is probably a coverage hole
    b = [(fx.T0 - 6 * 3600, *at_sea), (fx.T0, *at_sea), (fx.T0 + 20 * 3600, *at_sea),
         (fx.T0 + 26 * 3600, *at_sea)]  # fmt: skip
    # silent 20 hours, but it starts in port
    c = [(fx.T0 + k * 600, *fx.PORT) for k in range(10)]
    c += [(fx.T0 + 20 * 3600 + k * 600, *at_sea) for k in range(10)]
    rows = (fx.rows("445000041", "SWITCHED OFF", a) + fx.rows("445000042", "FAR OUT", b)
            + fx.rows("445000043", "IN PORT", c))  # fmt: skip
    cli("ais", "import", fx.write_csv(tmp_path / "dark.csv", rows))
    found = cli.json("ais", "dark")
    assert [(r["vessel"]["name"], r["status"]) for r in found] == [
        ("SWITCHED OFF", "dark activity")
    ]
    assert found[0]["density"] == 1.0 and found[0]["hours"] == pytest.approx(20, abs=0.1)
    every = {r["vessel"]["name"]: r["status"] for r in cli.json("ais", "dark", "--all")}
    assert every == {
        "SWITCHED OFF": "dark activity",
        "FAR OUT": "possible coverage gap",
        "IN PORT": "near a place",
    }
    assert cli.json("ais", "dark", "--min-hours", "21") == []


# ---- anomalies ---------------------------------------------------------------------------------


def anomaly_case(tmp_path, cli):
    base = fx.offset(*fx.PORT, -100_000, 0)
    # a position jump: one report 300 km away in a slow track
    f = fx.leg_points(base, fx.offset(*base, 0, 10_000), fx.T0, fx.T0 + 3 * 3600, 300)
    k = len(f) // 2
    f[k] = (f[k][0], *fx.offset(*base, 300_000, 0))
    # two ships sharing one MMSI, reporting alternately from 200 km apart
    other = fx.offset(*base, -200_000, 50_000)
    g = []
    for n in range(36):
        spot = base if n % 2 else other
        g.append((fx.T0 + n * 300, *fx.offset(*spot, n * 10, 0)))
    # a renamed ship
    h = fx.leg_points(other, fx.offset(*other, 10_000, 0), fx.T0, fx.T0 + 4 * 3600, 600)
    rows = fx.rows("445000051", "JUMPER", f) + fx.rows("445000052", "TWIN", g)
    rows += fx.rows("445000053", "OLD NAME", h[:12]) + fx.rows("445000053", "NEW NAME", h[12:])
    cli("ais", "import", fx.write_csv(tmp_path / "anomalies.csv", rows))


def test_anomalies_jump_shared_mmsi_and_renamed_ship(cli, tmp_path):
    anomaly_case(tmp_path, cli)
    rows = cli.json("ais", "anomalies", "--no-land")
    kinds = sorted((r["vessel"]["mmsi"], r["kind"]) for r in rows)
    assert kinds == [
        ("445000051", "impossible speed"),
        ("445000052", "two places at once"),
        ("445000053", "name change"),
    ]
    jump = next(r for r in rows if r["kind"] == "impossible speed")
    assert jump["evidence"]["distance_km"] == pytest.approx(300, abs=3)
    assert len(jump["evidence"]["reports"]) == 2 and "kn" in jump["reason"]
    twin = next(r for r in rows if r["kind"] == "two places at once")
    assert twin["evidence"]["switches"] > 10
    renamed = next(r for r in rows if r["kind"] == "name change")
    assert (renamed["evidence"]["before"]["name"], renamed["evidence"]["after"]["name"]) == (
        "OLD NAME",
        "NEW NAME",
    )
    assert renamed["when"] and renamed["lat"] is not None
    # a higher speed limit makes the 300 km in 5 minutes still impossible, 10,000 kn does not
    assert not any(
        r["kind"] == "impossible speed"
        for r in cli.json("ais", "anomalies", "--no-land", "--max-speed-kn", "10000")
    )


def test_flag_that_does_not_match_the_mid(cli, tmp_path):
    cli("vessel", "add", "FALSE FLAG", "--mmsi", "445000061", "--flag", "PA", "--force")
    pts = fx.leg_points(MEET, fx.offset(*MEET, 0, 5_000), fx.T0, fx.T0 + 3600, 600)
    cli(
        "ais",
        "import",
        fx.write_csv(tmp_path / "flag.csv", fx.rows("445000061", "FALSE FLAG", pts)),
    )
    rows = cli.json("ais", "anomalies", "--no-land")
    assert [(r["kind"], r["evidence"]["mid_flag"]) for r in rows] == [
        ("flag does not match MID", "KP")
    ]


def test_positions_on_land_and_the_mask_missing(cli, tmp_path, monkeypatch):
    pts = fx.leg_points(MEET, fx.offset(*MEET, 0, 5_000), fx.T0, fx.T0 + 3600, 600)
    pts += [(fx.T0 + 2 * 3600, 39.0, -98.0)]  # Kansas
    pts += [(fx.T0 + 30 * 86400, *MEET)]
    cli("ais", "import", fx.write_csv(tmp_path / "land.csv", fx.rows("445000071", "INLAND", pts)))
    from osint.maritime.events import landmask

    if not landmask.available():
        pytest.skip("the optional land mask (global-land-mask) is not installed")
    rows = cli.json("ais", "anomalies")
    assert [r["kind"] for r in rows if r["kind"] == "position on land"] == ["position on land"]
    land = next(r for r in rows if r["kind"] == "position on land")
    assert (land["lat"], land["lon"]) == (39.0, -98.0)
    import sys

    monkeypatch.setitem(sys.modules, "global_land_mask", None)
    result = cli("ais", "anomalies", "--json")
    assert "position on land" in result.stderr and "global-land-mask" in result.stderr
    assert not any(r["kind"] == "position on land" for r in __import__("json").loads(result.stdout))


def test_single_report_vessels_and_repeated_reports(cli, tmp_path):
    one = [(fx.T0, *MEET)]
    twice = fx.leg_points(MEET, MEET, fx.T0 - 3 * 3600, fx.T0 + 3 * 3600, 600)
    rows = fx.rows("445000081", "LONELY", one) + fx.rows("445000082", "ECHO", twice)
    rows += fx.rows("445000082", "ECHO", twice)  # every report twice, and out of order
    rows = rows[::-1]
    cli("ais", "import", fx.write_csv(tmp_path / "one.csv", rows))
    assert cli.json("ais", "encounters") == []  # one instant is no encounter
    assert cli.json("ais", "anomalies", "--no-land") == []
    assert [r["vessel"]["name"] for r in cli.json("ais", "loitering", "--min-hours", "5")] == [
        "ECHO"
    ]


# ---- sightings against AIS ---------------------------------------------------------------------


def test_sightings_check_statuses(cli, tmp_path):
    tanker_meeting(tmp_path, cli, hours=16.0, gap_in_b=(fx.T0 + 3600, fx.T0 + 15 * 3600))
    cli("vessel", "add", "NO TRANSPONDER", "--mmsi", "445000091")
    at = f"{MEET[0]},{MEET[1]}"
    ok = cli.json("sighting", "add", "KUM UN SAN", "--when", fx.iso(fx.T0 + 3600), "--at", at)["id"]
    far = fx.offset(*MEET, 30_000, 0)
    elsewhere = cli.json("sighting", "add", "KUM UN SAN", "--when", fx.iso(fx.T0 + 7200),
                         "--at", f"{far[0]},{far[1]}")["id"]  # fmt: skip
    dark = cli.json("sighting", "add", "VOLNA", "--when", fx.iso(fx.T0 + 8 * 3600), "--at", at)[
        "id"
    ]
    none = cli.json("sighting", "add", "NO TRANSPONDER", "--when", fx.iso(fx.T0), "--at", at)["id"]
    rows = {r["sighting"]: r for r in cli.json("sightings", "check")}
    assert rows[ok]["status"] == "consistent" and rows[ok]["nearest"]["distance_km"] < 1
    assert rows[elsewhere]["status"] == "elsewhere"
    assert rows[elsewhere]["nearest"]["distance_km"] == pytest.approx(30, abs=1)
    assert rows[dark]["status"] == "dark", rows[dark]
    assert abs(rows[dark]["nearest"]["hours_from_sighting"]) > 6
    assert rows[none]["status"] == "no AIS held" and rows[none]["nearest"] is None
    # a radius of 40 km makes the far sighting consistent; a window of 8 h reaches VOLNA's AIS
    wide = {r["sighting"]: r["status"] for r in cli.json("sightings", "check", "--radius-km", "40")}
    assert wide[elsewhere] == "consistent"
    long = {r["sighting"]: r["status"] for r in cli.json("sightings", "check", "--window-h", "8")}
    assert long[dark] != "dark"


# ---- recording ----------------------------------------------------------------------------------


def test_record_keeps_the_query_parameters_and_imports(cli, tmp_path):
    tanker_meeting(tmp_path, cli)
    result = cli("ais", "encounters", "--min-hours", "2.5", "--record")
    assert "Recorded finding" in result.stderr and "Rule:" in result.stderr
    assert "min_hours=2.5" in result.stderr
    queries = cli.json("list", "event-queries")
    assert len(queries) == 1
    shown = cli.json("show", queries[0]["id"])
    import json

    params = json.loads(shown["parameters"])
    assert params["min_hours"] == 2.5 and params["max_distance_m"] == 500.0
    assert "2.5 h" in shown["rule"]
    text = cli("show", queries[0]["id"]).stdout
    assert "meet.csv" in text and "sha256" in text
    findings = cli.json("list", "findings")
    assert len(findings) == 1 and findings[0]["text"].startswith("Encounters at sea: 1 found")
    links = cli("show", findings[0]["id"]).stdout
    assert queries[0]["id"][:8] in links
    assert cli.json("verify")["ok"]


def test_numpy_and_plain_resampling_agree(case, cli, tmp_path, monkeypatch):
    import math
    import random

    rng = random.Random(3)
    rows = []
    for n in range(12):
        lat, lon = 10.0 + rng.uniform(-0.05, 0.05), 179.95 + rng.uniform(-0.05, 0.05)
        pts = []
        t = fx.T0 + rng.choice([0, 600, 37])
        for _ in range(150):
            pts.append((t, lat, (lon + 180) % 360 - 180))
            t += rng.choice([60, 600, 600, 1200, 5400])  # on and off the grid, and silences
            lat, lon = fx.offset(lat, lon, rng.uniform(-50, 50), rng.uniform(-50, 50))
        sog = None if n % 3 == 0 else 0.5
        rows += fx.rows(f"4450{n:05d}", f"GRID {n}", pts, sog=sog)
    # speeds left empty for some vessels: the implied speeds are used
    rows = [r.replace(",0.5,", ",,", 1) if i % 7 == 0 else r for i, r in enumerate(rows)]
    cli("ais", "import", fx.write_csv(tmp_path / "grid.csv", rows))
    p = enc.Params(max_distance_m=3000, min_hours=0.5, max_speed_kn=3)
    fast = enc.collect(case.conn, p)
    monkeypatch.setattr(enc, "USE_NUMPY", False)
    plain = enc.collect(case.conn, p)
    assert list(fast.slot) == list(plain.slot) and list(fast.track) == list(plain.track)
    for a, b in ((fast.lat, plain.lat), (fast.lon, plain.lon), (fast.speed, plain.speed)):
        assert all(
            math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9) for x, y in zip(a, b, strict=True)
        )
    assert fast.coverage == plain.coverage and fast.runs == plain.runs
    assert len(fast.slot) > 100
    assert enc.find(case.conn, p, candidates=fast) == enc.find(case.conn, p, candidates=plain)


def test_anomalies_the_same_without_the_vectorised_shortcut(cli, tmp_path, monkeypatch):
    from osint.maritime.events import anomalies

    anomaly_case(tmp_path, cli)
    fast = cli.json("ais", "anomalies", "--no-land")
    monkeypatch.setattr(anomalies, "USE_NUMPY", False)
    assert cli.json("ais", "anomalies", "--no-land") == fast and len(fast) == 3


# ---- port visits gain a confidence level ---------------------------------------------------------


def test_port_visit_confidence(cli, tmp_path):
    cli(
        "place",
        "add",
        "Nakhodka anchorage",
        "--at",
        f"{fx.PORT[0]},{fx.PORT[1]}",
        "--radius-m",
        "3000",
    )
    outside = fx.offset(*fx.PORT, -20_000, 0)
    # sails in, stops 10 hours, sails out: high
    a = fx.leg_points(outside, fx.PORT, fx.T0 - 3 * 3600, fx.T0, 600)
    a += [(fx.T0 + k * 1800, *fx.PORT) for k in range(1, 20)]
    a += fx.leg_points(fx.PORT, outside, fx.T0 + 10 * 3600, fx.T0 + 13 * 3600, 600)[1:]
    # appears inside the radius, then vanishes: seen only stopped (low)
    b = [(fx.T0 + k * 1800, *fx.offset(*fx.PORT, 200, 0)) for k in range(10)]
    rows = fx.rows("445000101", "CALLER", a) + fx.rows("445000102", "GHOST", b, sog=0.0)
    cli("ais", "import", fx.write_csv(tmp_path / "visits.csv", rows))
    each = {v["name"]: v for v in cli.json("visits", "--each")}
    assert each["CALLER"]["confidence"] == "high"
    assert each["GHOST"]["confidence"] == "low" and "no entry" in each["GHOST"]["confidence_reason"]
    cli("sighting", "add", "CALLER", "--when", "2024-04-01", "--place", "Nakhodka anchorage")
    sighted = [v for v in cli.json("visits", "--each") if v["start"].startswith("2024-04-01")]
    assert sighted[0]["confidence"] == "low"


# ---- GIS exports -------------------------------------------------------------------------------


def test_events_in_geojson_and_kml(cli, tmp_path):
    import json
    import xml.etree.ElementTree as ET

    tanker_meeting(tmp_path, cli)
    out = tmp_path / "events.geojson"
    cli("export", "geojson", "-o", out, "--layer", "events")
    features = json.loads(out.read_text())["features"]
    encounters = [f for f in features if f["properties"]["kind"] == "encounter"]
    assert len(encounters) == 1
    lon, lat = encounters[0]["geometry"]["coordinates"]
    assert abs(lat - MEET[0]) < 0.01 and abs(lon - MEET[1]) < 0.01
    assert "500 m" in encounters[0]["properties"]["rule"]
    kml = tmp_path / "events.kml"
    cli("export", "kml", "-o", kml, "--layer", "events")
    root = ET.parse(kml).getroot()
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    folders = [f.find("k:name", ns).text for f in root.iter(f"{{{ns['k']}}}Folder")]
    assert folders[0] == "Encounters"
    assert "KUM UN SAN" in ET.tostring(root, encoding="unicode")


# ---- the brief -------------------------------------------------------------------------------------


def test_brief_has_a_behaviour_section(cli, tmp_path):
    tanker_meeting(tmp_path, cli)
    cli("ais", "encounters", "--record")
    html = tmp_path / "brief.html"
    cli("export", "brief", "-o", html)
    text = html.read_text()
    section = text[text.index('id="events"') :]
    assert "Encounters" in section and "VOLNA / KUM UN SAN" in section
    assert "Encounters and the tracks around them" in text  # the map
    assert "Recorded behaviour queries" in text and "EQ1" in text
    md = tmp_path / "brief.md"
    cli("export", "brief", "-o", md)
    body = md.read_text()
    assert "## Behaviour at sea" in body and "VOLNA / KUM UN SAN" in body
    assert "events-map" in body


def test_reported_speed_instead_of_the_positions(cli, tmp_path):
    # the positions say the two ships sit still together; their transponders claim 9 knots
    a = [(fx.T0 + k * 300, *MEET) for k in range(48)]
    b = [(fx.T0 + k * 300 + 20, *fx.offset(*MEET, 100, 0)) for k in range(48)]
    rows = fx.rows("445000111", "STILL A", a, sog=9.0) + fx.rows("445000112", "STILL B", b, sog=9.0)
    cli("ais", "import", fx.write_csv(tmp_path / "still.csv", rows))
    assert len(cli.json("ais", "encounters")) == 1
    assert cli.json("ais", "encounters", "--reported-speed") == []
    assert (
        "as reported" in cli("ais", "encounters", "--reported-speed", "--max-speed-kn", "10").stderr
    )


def test_the_same_results_without_numpy(cli, tmp_path, monkeypatch):
    import sys

    tanker_meeting(tmp_path, cli, hours=8.0, gap_in_b=(fx.T0 + 3 * 3600, fx.T0 + 5 * 3600))
    anomaly_case(tmp_path, cli)
    commands = [
        ("ais", "encounters"),
        ("ais", "loitering"),
        ("ais", "anomalies", "--no-land"),
        ("ais", "dark", "--all"),
    ]
    with_numpy = [cli.json(*c) for c in commands]
    assert with_numpy[0] and with_numpy[1] and with_numpy[2]
    monkeypatch.setitem(sys.modules, "numpy", None)
    assert [cli.json(*c) for c in commands] == with_numpy


def test_a_sighting_outside_the_ais_coverage_is_not_dark(cli, tmp_path):
    tanker_meeting(tmp_path, cli)
    at = f"{MEET[0]},{MEET[1]}"
    early = cli.json("sighting", "add", "VOLNA", "--when", "2024-01-05", "--at", at)["id"]
    rows = {r["sighting"]: r for r in cli.json("sightings", "check")}
    assert rows[early]["status"] == "no AIS held"
    assert "covers" in rows[early]["reason"]


def test_a_redacted_copy_withholds_the_behaviour_queries_naming_a_withheld_vessel(cli, tmp_path):
    tanker_meeting(tmp_path, cli)
    cli("ais", "encounters", "--record")
    volna = next(v for v in cli.json("list", "vessels") if v["name"] == "VOLNA")
    out = tmp_path / "copy.db"
    cli("export", "case", "-o", out, "--redact", volna["id"], "--reason", "protect")
    copy = ["--case", str(out)]
    assert cli.json(*copy, "list", "event-queries") == []
    assert b"VOLNA" not in out.read_bytes()  # the query's rows named it
    assert cli.json(*copy, "verify")["ok"] is True


def test_a_recorded_behaviour_query_merges_into_a_colleagues_case(cli, tmp_path, bare_cli):
    # (the meeting starts before midnight and ends after it: dates play no part in the rules)
    tanker_meeting(tmp_path, cli)
    cli("ais", "encounters", "--record")
    other = tmp_path / "other.db"
    bare_cli("init", other, "--title", "Colleague")
    bare_cli("--case", other, "merge", cli.case_path)
    queries = bare_cli("--case", other, "--json", "list", "event-queries")
    import json

    assert len(json.loads(queries.stdout)) == 1
    assert json.loads(bare_cli("--case", other, "--json", "verify").stdout)["ok"] is True
    assert len(json.loads(bare_cli("--case", other, "--json", "ais", "encounters").stdout)) == 1


def test_crossing_the_antimeridian_is_no_jump_and_loitering_there_is_placed_right(cli, tmp_path):
    west = (51.0, 179.8)
    east = fx.offset(*west, 0, 40_000)  # across 180 degrees
    seconds = int(40_000 / fx.NM / 12 * 3600)
    sail = fx.leg_points(west, east, fx.T0, fx.T0 + seconds, 120)
    assert sail[0][2] > 0 > sail[-1][2]
    drift = [(fx.T0 + k * 300, 51.0, 180.0 if k % 2 else -179.999) for k in range(80)]
    rows = fx.rows("273000131", "DATELINE", sail) + fx.rows("273000132", "DRIFTER", drift)
    cli("ais", "import", fx.write_csv(tmp_path / "dateline.csv", rows))
    assert cli.json("ais", "anomalies", "--no-land") == []
    loitering = cli.json("ais", "loitering")
    assert [r["vessel"]["name"] for r in loitering] == ["DRIFTER"]
    assert abs(abs(loitering[0]["lon"]) - 180) < 0.01  # not 0 degrees, the naive mean
