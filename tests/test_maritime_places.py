"""Places found by the names people type: a word, a prefix, an alias, without accents."""

from __future__ import annotations

import pytest

from osint.errors import AmbiguousId, RecordNotFound
from osint.maritime import places


@pytest.fixture
def terminals(cli):
    vostochny = cli.json(
        "place", "add", "Vostochny oil terminal", "--at", "42.73,133.06", "--radius-m", "1500",
        "--alias", "Kozmino", "--alias", "Port Vostochnyy",
    )  # fmt: skip
    nakhodka = cli.json("place", "add", "Nakhodka anchorage", "--at", "42.78,132.90")
    cli.json("place", "add", "Nampo West Sea Barrage", "--at", "38.71,125.39")
    cli.json("place", "add", "Rajin oil terminal", "--at", "42.24,130.30")
    return vostochny, nakhodka


def test_a_word_prefix_alias_or_accented_name_finds_the_place(case, terminals):
    vostochny, nakhodka = terminals
    for ref in (
        "vostochny",  # first word of the name (README)
        "VOSTOCHNY OIL TERMINAL",  # full name, any case
        "Vóstochny",  # accents ignored
        "vost",  # a prefix
        "kozmino",  # an alias
        "vostochnyy",  # a prefix of an alias
        "vostochny   oil-terminal",  # spacing and punctuation
        vostochny["id"][:8],  # an id prefix
    ):
        assert places.find_place(case.conn, ref)["id"] == vostochny["id"], ref
    assert places.find_place(case.conn, "nakhodka")["id"] == nakhodka["id"]
    assert places.find_place(case.conn, "west sea")["name"] == "Nampo West Sea Barrage"


def test_ambiguous_and_unknown_names_list_the_candidates(case, terminals):
    with pytest.raises(AmbiguousId) as caught:
        places.find_place(case.conn, "oil terminal")
    assert "Vostochny oil terminal" in str(caught.value) and "Rajin oil terminal" in str(
        caught.value
    )
    with pytest.raises(AmbiguousId):
        places.find_place(case.conn, "na")  # Nakhodka, Nampo
    with pytest.raises(RecordNotFound) as missing:
        places.find_place(case.conn, "Chongjin")
    assert "Nakhodka anchorage" in str(missing.value) and "Vostochny oil terminal" in str(
        missing.value
    )


def test_commands_take_a_place_by_the_name_people_type(cli, terminals, tmp_path):
    vostochny, _ = terminals
    vessel = cli.json("vessel", "add", "SONG RIM HO", "--imo", "8705539")
    sighting = cli.json(
        "sighting", "add", "song rim ho", "--when", "2024-05-01T09:34Z", "--place", "vostochny"
    )
    assert sighting["place"] == vostochny["id"] and sighting["vessel"] == vessel["id"]
    visits = cli.json("visits", "--place", "vostochny")
    assert visits and visits[0]["place"] == "Vostochny oil terminal"
    result = cli("visits", "--place", "oil", expect=1)
    assert "Rajin oil terminal" in result.stderr
    result = cli("sighting", "add", "song rim ho", "--when", "2024-05-02", "--place", "Chongjin",
                 expect=1)  # fmt: skip
    assert "Nakhodka anchorage" in result.stderr and "Traceback" not in result.stderr
    header = "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType"
    rows = [
        "445123000,2024-03-05T10:00:00,42.7301,133.0601,0.1,12.5,511,SONG RIM HO,IMO8705539,HMAB,80",
        "445123000,2024-03-05T11:00:00,38.70,125.40,0.1,12.5,511,SONG RIM HO,IMO8705539,HMAB,80",
    ]
    path = tmp_path / "ais.csv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    result = cli.json("ais", "import", path, "--near", "kozmino")
    assert result["rows_kept"] == 1


def test_a_new_place_may_share_a_word_but_not_a_name(cli, terminals):
    cli.json("place", "add", "Vostochny anchorage", "--at", "42.70,133.10")
    result = cli("place", "add", "kozmino", "--at", "42.70,133.10", expect=1)
    assert "already exists" in result.stderr
    shown = cli.json("show", terminals[0]["id"])
    assert shown["aliases"] == "Kozmino; Port Vostochnyy"
