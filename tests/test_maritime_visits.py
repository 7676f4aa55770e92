"""Port visits from sightings and AIS together, the estimate, and visits kept as evidence."""

from __future__ import annotations

from test_maritime_ais import row, write


def setup_case(cli, capacity=True):
    cli("place", "add", "Vostochny", "--at", "42.73,133.06", "--radius-m", "1500")
    cli("place", "add", "Nakhodka anchorage", "--at", "42.78,132.90", "--radius-m", "3000")
    extra = ["--capacity-bbl", "50000"] if capacity else []
    cli("vessel", "add", "CHON MA SAN", "--imo", "9321483", "--mmsi", "445123000", *extra)
    cli("vessel", "add", "YU SON", "--mmsi", "445222000")


def sight(cli, vessel, when, *where):
    return cli.json("sighting", "add", vessel, "--when", when, *where)["id"]


def test_gap_rule_groups_observations_into_visits(cli):
    setup_case(cli)
    sight(cli, "CHON MA SAN", "2024-03-01T10:00:00Z", "--place", "Vostochny")
    sight(cli, "CHON MA SAN", "2024-03-02T20:00:00Z", "--at", "42.731,133.061")  # 34 h later
    sight(cli, "CHON MA SAN", "2024-03-05T00:00:00Z", "--place", "Vostochny")  # 52 h later
    sight(cli, "CHON MA SAN", "2024-03-05T00:00:00Z", "--at", "42.90,133.50")  # elsewhere
    rows = cli.json("visits")
    assert len(rows) == 1
    first = rows[0]
    assert (first["name"], first["place"], first["visits"]) == ("CHON MA SAN", "Vostochny", 2)
    assert first["first"] == "2024-03-01T10:00:00Z" and first["last"] == "2024-03-05T00:00:00Z"
    for name in ("vessel", "name", "place", "visits", "first", "last"):
        assert name in first
    assert cli.json("visits", "--gap", "72")[0]["visits"] == 1
    assert cli.json("visits", "--from", "2024-03-03")[0]["visits"] == 1
    assert cli.json("visits", "--to", "2024-02") == []
    assert cli.json("visits", "--place", "nakhodka anchorage") == []


def test_sightings_and_ais_merge_into_the_same_visits(cli, tmp_path):
    setup_case(cli)
    # AIS: inside the terminal on 1 March (3 h), then again on 10 March.
    rows = [
        row(mmsi="445222000", when=f"2024-03-01T0{h}:00:00", name="YU SON", imo="")
        for h in range(4)
    ]
    rows += [row(mmsi="445222000", when="2024-03-10T00:00:00", name="YU SON", imo="")]
    rows += [row(mmsi="445222000", when="2024-03-20T00:00:00", lat="41.0", name="YU SON", imo="")]
    write(tmp_path / "a.csv", rows)
    cli("ais", "import", tmp_path / "a.csv")
    sight(cli, "YU SON", "2024-03-02T12:00:00Z", "--place", "Vostochny")  # extends visit 1
    sight(cli, "YU SON", "2024-03-15T00:00:00Z", "--place", "Vostochny")  # a visit of its own
    result = cli.json("visits")
    assert [(r["name"], r["visits"], r["sightings"], r["ais_positions"]) for r in result] == [
        ("YU SON", 3, 2, 5)
    ]
    each = cli.json("visits", "--each")
    assert [(v["start"], v["end"]) for v in each] == [
        ("2024-03-01T00:00:00Z", "2024-03-02T12:00:00Z"),
        ("2024-03-10T00:00:00Z", "2024-03-10T00:00:00Z"),
        ("2024-03-15T00:00:00Z", "2024-03-15T00:00:00Z"),
    ]
    assert cli.json("visits", "--no-sightings")[0]["visits"] == 2
    assert cli.json("visits", "--no-ais")[0]["visits"] == 2


def test_estimate_states_its_assumption_and_flags_missing_capacity(cli):
    setup_case(cli)
    for day in ("01", "10", "20"):
        sight(cli, "CHON MA SAN", f"2024-03-{day}", "--place", "Vostochny")
    sight(cli, "YU SON", "2024-03-02", "--place", "Vostochny")
    result = cli("visits", "--estimate", "--cap", "100000")
    assert "full load" in result.stderr and "YU SON" in result.stderr
    assert "1.50 times the cap" in result.stderr
    rows = {r["name"]: r for r in cli.json("visits", "--estimate")}
    assert rows["CHON MA SAN"]["barrels"] == 150000
    assert rows["CHON MA SAN"]["assumption"] == "full load per visit"
    assert rows["YU SON"]["barrels"] is None and rows["YU SON"]["capacity_bbl"] is None


def test_recorded_visits_tell_where_they_came_from(cli, tmp_path):
    setup_case(cli)
    sighting = sight(cli, "CHON MA SAN", "2024-03-01T10:00:00Z", "--place", "Vostochny")
    write(tmp_path / "a.csv", [row(when="2024-03-01T12:00:00"), row(when="2024-03-01T13:00:00")])
    cli("ais", "import", tmp_path / "a.csv")
    result = cli("visits", "--record", "--estimate", "--finding", "CHON MA SAN loaded once")
    assert "Recorded finding" in result.stderr
    finding = cli.json("list", "findings")[0]
    shown = cli.json("show", finding["id"])
    queries = [link["other"] for link in shown["links"] if link["other_kind"] == "visit-query"]
    assert len(queries) == 1
    query = cli.json("show", queries[0])
    linked = {(link["other_kind"], link["other"]) for link in query["links"]}
    track = cli.json("list", "ais-tracks")[0]["id"]
    assert ("sighting", sighting) in linked and ("ais-track", track) in linked
    details = " ".join(sum(shown["details"].values(), []))
    assert sighting[:8] in details and "AIS MMSI 445123000 2 positions" in details
    text = cli("show", finding["id"]).stdout
    assert "from visits query" in text
    cli("verify")


def test_visits_with_nothing_recorded(cli):
    assert cli.json("visits") == []
    assert "no visits" in cli("visits").stderr
    cli("visits", "--gap", "0", expect=1)
    cli("visits", "--place", "nowhere", expect=1)
