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
    assert 2.8 <= row["hours"] <= 3.2
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
    assert len(found) == 1 and found[0]["hours"] >= 2.8
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
        lat, lon = 70.0 + rng.uniform(-0.3, 0.3), 179.9 + rng.uniform(-0.2, 0.2)
        pts = []
        t = fx.T0 + rng.randrange(300)
        for _ in range(120):
            pts.append((t, lat, (lon + 180) % 360 - 180))
            t += rng.randrange(100, 500)
            lat, lon = fx.offset(lat, lon, rng.uniform(-30, 30), rng.uniform(-30, 30))
        rows += fx.rows(f"2730{n:05d}", f"DRIFTER {n}", pts)
    cli("ais", "import", fx.write_csv(tmp_path / "dense.csv", rows))
    p = enc.Params(max_distance_m=distance, min_hours=0.3, max_speed_kn=5)
    assert enc.find(case.conn, p) == enc.reference(case.conn, p)
