"""Vessels through the CLI: checked identifiers, names over time, finding a vessel by any name."""

from __future__ import annotations


def add(cli, *args):
    return cli.json("vessel", "add", *args)


def test_vessel_add_contract_fields_and_flag_from_mmsi(cli):
    row = add(cli, "CHON MA SAN", "--imo", "IMO 9321483", "--mmsi", "445123000",
              "--capacity-bbl", "55000", "--alias", "CHONMASAN")  # fmt: skip
    for name in ("id", "name", "imo", "mmsi", "flag", "aliases", "capacity_bbl"):
        assert name in row
    assert row["imo"] == "9321483" and row["flag"] == "KP" and row["flag_source"] == "MMSI MID 445"
    assert row["aliases"] == ["CHONMASAN"] and row["capacity_bbl"] == 55000


def test_invalid_identifiers_are_refused_with_the_reason(cli):
    result = cli("vessel", "add", "X", "--imo", "9321484", expect=1)
    assert "check digit" in result.stderr and "Traceback" not in result.stderr
    result = cli("vessel", "add", "X", "--mmsi", "99123456", expect=1)
    assert "9 digits" in result.stderr
    assert cli.json("list", "vessels") == []


def test_force_records_invalid_identifiers_flagged(cli):
    row = add(cli, "FAKE", "--imo", "9321484", "--force")
    assert row["imo"] == "9321484"
    assert row["imo_check"].startswith("check digit")
    shown = cli("show", row["id"]).stdout
    assert "identifier warnings" in shown


def test_same_imo_twice_is_refused(cli):
    add(cli, "A", "--imo", "9321483")
    result = cli("vessel", "add", "B", "--imo", "9321483", expect=1)
    assert "already belongs" in result.stderr


def test_flag_that_differs_from_the_mid_is_kept_with_a_warning(cli):
    result = cli("vessel", "add", "Y", "--mmsi", "273123456", "--flag", "KP")
    assert "differs" in result.stderr
    row = cli.json("show", "Y")
    assert row["flag"] == "KP" and row["mmsi_flag"] == "RU"


def test_vessel_found_by_name_imo_mmsi_alias_and_former_name(cli):
    vessel = add(cli, "Yu Jong 2", "--imo", "9321483", "--mmsi", "445111000", "--alias", "YU JONG")
    cli("vessel", "rename", "yu jong 2", "NEW NAME", "--on", "2024-05-01")
    for ref in ("new name", "9321483", "IMO 9321483", "445111000", "yu jong", "Yu Jong 2",
                vessel["id"][:8]):  # fmt: skip
        assert cli.json("show", ref)["id"] == vessel["id"], ref
    shown = cli.json("show", vessel["id"])
    assert shown["name"] == "NEW NAME"
    assert "Yu Jong 2" in shown["aliases"]
    names = cli.json("list", "vessel-names")
    former = [n for n in names if n["type"] == "former"]
    assert former[0]["name"] == "Yu Jong 2" and former[0]["to"] == "2024-05-01"


def test_names_are_records_with_history_and_can_be_retracted(cli):
    vessel = add(cli, "ONE")
    name = cli.json("vessel", "name", "ONE", "OLD ONE", "--type", "former", "--from", "2019",
                    "--to", "2023-02")  # fmt: skip
    cli("edit", name["id"], "--set", "to=2023-03")
    history = cli.json("show", name["id"])["history"]
    assert [h["action"] for h in history] == ["create", "edit"]
    assert cli.json("show", "old one")["id"] == vessel["id"]
    cli("retract", name["id"], "--reason", "wrong ship")
    assert cli.json("show", vessel["id"])["aliases"] == []
    cli("show", "old one", expect=1)
    cli("verify")


def test_editing_the_name_keeps_the_old_one(cli):
    vessel = add(cli, "FIRST")
    cli("edit", vessel["id"], "--set", "name=SECOND")
    assert cli.json("show", "first")["id"] == vessel["id"]
    cli("verify")


def test_edit_mmsi_updates_the_derived_flag(cli):
    vessel = add(cli, "Z", "--mmsi", "445123000")
    cli("edit", vessel["id"], "--set", "mmsi=273123456")
    row = cli.json("show", vessel["id"])
    assert row["flag"] == "RU" and row["mmsi_flag"] == "RU"
    cli("edit", vessel["id"], "--set", "imo=9321484", expect=1)
    cli("verify")


def test_search_finds_a_vessel_by_a_former_name(cli):
    add(cli, "SKY", "--former", "SAEBYOL")
    found = cli.json("search", "saebyol")
    assert {r["kind"] for r in found} >= {"vessel-name"}
