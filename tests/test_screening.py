"""Sanctions lists (`osint lists import`) and screening (`osint screen`)."""

from __future__ import annotations

import hashlib
import json
import sqlite3

import pytest
from screening_fixtures import (
    OFAC_CSV_ROWS,
    ftm_entities,
    write_ftm,
    write_nested,
    write_ofac_csv,
    write_ofac_xml,
    write_simple,
)

from osint.screening import names


def state(case_path):
    """What a failed command must leave untouched: the log head, the files, the rows."""
    conn = sqlite3.connect(case_path)
    try:
        return (
            conn.execute("SELECT max(seq), count(*) FROM audit_log").fetchone(),
            conn.execute("SELECT count(*) FROM blobs").fetchone()[0],
            conn.execute("SELECT count(*) FROM listed_entities").fetchone()[0],
            conn.execute("SELECT count(*) FROM sources").fetchone()[0],
        )
    finally:
        conn.close()


def rows_for(rows, vessel_name, found=True):
    return [r for r in rows if r["name"] == vessel_name and r["found"] is found]


# ---- import -------------------------------------------------------------------------------------


def test_ftm_import_keeps_vessels_their_owners_and_the_file(cli, tmp_path, case_path):
    path = write_ftm(tmp_path / "entities.ftm.json")
    data = cli.json("lists", "import", path)
    assert data["list"] == "un_sc_sanctions"
    assert data["published"] == "2024-03-05"
    assert data["published_basis"] == "latest last_seen date of its entities"
    assert data["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (data["vessels"], data["parties"], data["delisted"]) == (3, 2, 1)
    # The file itself is the source's snapshot, byte-identical.
    source = cli.json("show", data["source"])
    assert source["snapshot_sha256"] == data["sha256"]
    assert source["published"] == "2024-03-05"
    exported = tmp_path / "copy.json"
    with sqlite3.connect(case_path) as conn:
        from osint.case.store import blobs

        blobs.export(conn, data["sha256"], exported)
        kept = {r[0] for r in conn.execute("SELECT entity_id FROM listed_entities")}
        links = conn.execute(
            "SELECT vessel, party, relation, role FROM listed_links ORDER BY party"
        ).fetchall()
    assert exported.read_bytes() == path.read_bytes()
    # Only vessels and the parties tied to them: unrelated people and companies are left out.
    assert kept == {"ves-yuson", "ves-renamed", "ves-delisted", "co-achim", "co-manager"}
    assert links == [
        ("ves-yuson", "co-achim", "owner", "Registered owner"),
        ("ves-yuson", "co-manager", "manager", "ISM Manager"),
    ]
    assert cli.json("verify")["ok"]


def test_nested_and_simple_csv_exports(cli, tmp_path, case_path):
    nested = cli.json("lists", "import", write_nested(tmp_path / "targets.nested.json"))
    assert (nested["list"], nested["vessels"], nested["parties"]) == ("gb_hmt_sanctions", 1, 1)
    simple = cli.json("lists", "import", write_simple(tmp_path / "targets.simple.csv"))
    assert simple["vessels"] == 1
    assert simple["published"] == "2025-01-15"
    with sqlite3.connect(case_path) as conn:
        row = conn.execute(
            "SELECT imo, mmsi, flag FROM listed_entities WHERE entity_id = 'eu-ves-1'"
        ).fetchone()
        relation = conn.execute("SELECT relation, role FROM listed_links").fetchone()
        listed = conn.execute(
            "SELECT listed_on, status FROM listed_entities WHERE entity_id = 'gb-ves-1'"
        ).fetchone()
    assert row == ("9138525", "352001234", "PA")
    assert relation == ("manager", "Commercial manager")
    assert listed == ("2022-05-04", "sanctioned")


def test_ofac_xml_and_csv_identifiers_from_fields_and_remarks(cli, tmp_path, case_path):
    xml = cli.json("lists", "import", write_ofac_xml(tmp_path / "SDN.XML"))
    assert (xml["list"], xml["published"], xml["vessels"]) == ("OFAC SDN", "2024-03-05", 1)
    result = cli("lists", "import", write_ofac_csv(tmp_path / "sdn.csv"))
    assert "states no publication date" in result.stderr
    with sqlite3.connect(case_path) as conn:
        rows = {
            r[0]: r[1:]
            for r in conn.execute(
                "SELECT entity_id, imo, mmsi, call_sign, flag, past_flags FROM listed_entities "
                "WHERE schema = 'Vessel'"
            )
        }
        former = conn.execute(
            "SELECT entity_id, name FROM listed_names WHERE name_type = 'former' ORDER BY name"
        ).fetchall()
        owners = conn.execute(
            "SELECT l.vessel, e.entity_id, e.name FROM listed_links l JOIN listed_entities e "
            "ON e.import_id = l.import_id AND e.entity_id = l.party ORDER BY l.vessel"
        ).fetchall()
    assert rows["ofac-15036"] == ("8660313", "445503000", "HMEF3", "KP", '["PA"]')
    assert rows["ofac-15037"][0] == "8691702"  # both files name it; IMO read from remarks in CSV
    assert ("ofac-15037", "JIN HAE") in former and ("ofac-15036", "SHEN ZHOU") in former
    # Owners named in vesselOwner / "Linked To:" resolve to their own SDN entry when listed.
    assert ("ofac-15036", "ofac-15038", "KOREA SAMILPO SHIPPING CO.") in owners
    assert ("ofac-15037", "ofac-15040", "KOREA ACHIM SHIPPING CO") in owners


def test_same_file_twice_adds_nothing_and_a_newer_version_keeps_the_old(cli, tmp_path):
    first = write_ofac_xml(tmp_path / "SDN.XML")
    cli("lists", "import", first)
    again = cli("lists", "import", first)
    assert "already imported" in again.stderr
    newer = write_ofac_xml(tmp_path / "SDN-2.XML", date="06/01/2024", keys=("achim",))
    cli("lists", "import", newer)
    listed = cli.json("lists", "list")
    assert [(x["list"], x["published"]) for x in listed] == [
        ("OFAC SDN", "2024-03-05"),
        ("OFAC SDN", "2024-06-01"),
    ]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("entities.ftm.json", None, "line 4: not valid JSON"),
        ("SDN.XML", "xml", "XML"),
        ("sdn.csv", "csv", "fields where sdn.csv has 12"),
        ("targets.simple.csv", "simple", "fields where the header has 16"),
        ("empty.json", "", "empty"),
        ("list.txt", "hello world\n", "not a list format"),
    ],
)
def test_damaged_or_truncated_files_are_refused_and_the_case_untouched(
    cli, tmp_path, case_path, name, content, reason
):
    cli("lists", "import", write_ofac_xml(tmp_path / "good.xml"))
    before = state(case_path)
    path = tmp_path / name
    if content is None:  # cut in the middle of a line, as an interrupted download is
        text = write_ftm(tmp_path / "full.json").read_text(encoding="utf-8")
        lines = text.splitlines(keepends=True)
        path.write_text("".join(lines[:3]) + lines[3][:40], encoding="utf-8")
    elif content == "xml":
        text = write_ofac_xml(tmp_path / "full.xml").read_text(encoding="utf-8")
        path.write_text(text[: len(text) // 2], encoding="utf-8")
    elif content == "csv":
        write_ofac_csv(path, OFAC_CSV_ROWS[:2] + [OFAC_CSV_ROWS[2][:60]])
    elif content == "simple":
        text = write_simple(tmp_path / "full.csv").read_text(encoding="utf-8")
        path.write_text(text[: text.rindex("\n", 0, len(text) - 1) + 30], encoding="utf-8")
    else:
        path.write_text(content, encoding="utf-8")
    result = cli("lists", "import", path, expect=1)
    assert result.stderr.startswith("Error: ") and str(path) in result.stderr
    assert reason in result.stderr
    assert "Traceback" not in result.stderr
    assert state(case_path) == before
    assert cli.json("verify")["ok"]


# ---- names --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("left", "right", "low"),
    [
        ("YU SON", "YUSON", 0.95),
        ("M/V Yu-Son No.2", "YUSON 2", 0.95),
        ("YU SON NO 2", "YU SON #2", 1.0),
        ("ANSHUN II", "AN SHUN 2", 0.95),
        ("Юсон", "YU SON", 0.95),  # Cyrillic
        ("CHON MA SAN", "CHONMASAN", 0.95),
    ],
)
def test_names_normalised_as_screening_does(left, right, low):
    score = names.compare(names.comparable(left), names.comparable(right)).score
    assert low <= score <= 1.0


def test_korean_names_meet_their_mccune_reischauer_spelling():
    hangul = names.comparable("천마산")
    listed = names.comparable("CHON MA SAN")
    assert names.compare(hangul, listed).score < 0.9  # Revised Romanization: CHEONMASAN
    assert names.compare(names.folded(hangul), names.folded(listed)).score >= 0.95


def test_different_hull_numbers_are_different_ships():
    result = names.compare(names.comparable("SAM JONG 2"), names.comparable("SAM JONG NO. 1"))
    assert result.score <= 0.5 and "numbers differ" in result.note
    assert names.compare(names.comparable("YU SON"), names.comparable("YU JONG")).score < 0.8


# ---- screening ----------------------------------------------------------------------------------


@pytest.fixture
def listed_case(cli, tmp_path):
    """A case with OFAC (XML and CSV) and the UN list (FtM) imported."""
    cli("lists", "import", write_ftm(tmp_path / "entities.ftm.json"))
    cli("lists", "import", write_ofac_xml(tmp_path / "SDN.XML"))
    return cli


def test_imo_written_any_way_matches_first(listed_case, tmp_path):
    cli = listed_case
    cli("vessel", "add", "SOME OTHER NAME", "--imo", "8691702")
    rows = cli.json("screen")
    found = rows_for(rows, "SOME OTHER NAME")
    # FtM wrote "IMO 8691702", SDN.XML "IMO 8691702" in an id field; both found by IMO.
    assert {r["list"] for r in found} == {"un_sc_sanctions", "OFAC SDN"}
    for row in found:
        assert row["score"] == 1.0
        assert row["reason"].startswith("IMO 8691702 equal")
        assert set(row) >= {"vessel", "name", "list", "listed_name", "score", "reason"}
        assert row["list_version"] == "2024-03-05"
    un = next(r for r in found if r["list"] == "un_sc_sanctions")
    assert un["listed_name"] == "YU SON"
    assert un["status"] == "sanctioned" and un["listed_on"] == "2018-03-30"
    assert "owner: Korea Achim Shipping Co (Registered owner)" in un["parties"]


def test_a_vessel_listed_under_a_former_name_is_found(listed_case):
    cli = listed_case
    # Our vessel sails as SUNRISE now; it was CHON MA SAN, the name the list gives as former.
    vessel = cli.json("vessel", "add", "CHON MA SAN")
    cli("vessel", "rename", vessel["id"], "SUNRISE", "--on", "2021-02-01")
    rows = rows_for(cli.json("screen", "SUNRISE"), "SUNRISE")
    assert [r["listed_name"] for r in rows] == ["NEW VISION"]
    assert rows[0]["reason"] == "former name CHON MA SAN ~ listed former name CHON MA SAN 1.00"


def test_a_name_found_with_its_reason_and_score(listed_case):
    cli = listed_case
    cli("vessel", "add", "YUSON")
    rows = rows_for(cli.json("screen"), "YUSON")
    un = next(r for r in rows if r["list"] == "un_sc_sanctions")
    assert un["reason"] == "name YUSON ~ listed alias YUSON 1.00"
    ofac = next(r for r in rows if r["list"] == "OFAC SDN")
    assert ofac["reason"] == "name YUSON ~ YU SON 0.97"
    assert ofac["score"] == 0.97


def test_unmatched_vessels_are_not_found_as_of_dates_never_clean(listed_case):
    cli = listed_case
    cli("vessel", "add", "QUIET WATERS", "--imo", "9321483")
    rows = cli.json("screen")
    [row] = rows_for(rows, "QUIET WATERS", found=False)
    assert row["score"] == 0 and row["list"] is None
    assert row["reason"] == (
        "not found on OFAC SDN as of 2024-03-05; un_sc_sanctions as of 2024-03-05"
    )
    text = cli("screen").stdout
    assert "QUIET WATERS: not found on" in text
    assert "clean" not in text.lower()


def test_a_name_match_with_a_different_imo_is_held_back(listed_case):
    cli = listed_case
    cli("vessel", "add", "YU SON", "--imo", "9321483")
    rows = cli.json("screen")
    assert rows_for(rows, "YU SON") == []
    low = rows_for(cli.json("screen", "--threshold", "0.5"), "YU SON")
    assert all("but IMO differs (9321483 here, 8691702 listed)" in r["reason"] for r in low)


def test_delisted_entries_and_versions(cli, tmp_path):
    cli("lists", "import", write_ftm(tmp_path / "entities.ftm.json"))
    cli("vessel", "add", "PETREL 8", "--imo", "9354521")
    [row] = rows_for(cli.json("screen"), "PETREL 8")
    assert row["status"] == "delisted" and row["delisted_on"] == "2023-06-01"
    # OFAC drops an entry from a newer version: the latest version no longer has it.
    cli("lists", "import", write_ofac_xml(tmp_path / "old.xml"))
    cli("lists", "import", write_ofac_xml(tmp_path / "new.xml", date="06/01/2024", keys=("achim",)))
    cli("vessel", "add", "JIN HAE")  # the name OFAC gives as formerly known
    latest = rows_for(cli.json("screen", "JIN HAE"), "JIN HAE", found=False)
    assert "OFAC SDN as of 2024-06-01" in latest[0]["reason"]
    every = rows_for(cli.json("screen", "JIN HAE", "--all-versions"), "JIN HAE")
    assert [(r["list"], r["list_version"]) for r in every] == [("OFAC SDN", "2024-03-05")]
    assert every[0]["reason"] == "name JIN HAE ~ listed former name JIN HAE 1.00"


def test_korean_and_cyrillic_names_in_the_case(listed_case, tmp_path):
    cli = listed_case
    cli("lists", "import", write_nested(tmp_path / "targets.nested.json"))  # listed as Юсон
    cli("vessel", "add", "유선")
    rows = rows_for(cli.json("screen"), "유선")
    assert {r["list"] for r in rows} == {"un_sc_sanctions", "OFAC SDN", "gb_hmt_sanctions"}
    assert all(r["score"] >= 0.9 for r in rows)


def test_record_makes_findings_with_provenance_once(listed_case, tmp_path):
    cli = listed_case
    cli("vessel", "add", "SOME OTHER NAME", "--imo", "IMO 8691702")
    cli("vessel", "add", "QUIET WATERS")
    first = cli("screen", "--record")
    assert "Recorded 3 findings" in first.stderr
    findings = cli.json("list", "findings")
    texts = sorted(f["text"] for f in findings)
    assert any("matches the entry \u201cYU SON\u201d" in t and "OFAC SDN" in t for t in texts)
    assert any("QUIET WATERS was not found on" in t for t in texts)
    matched = next(f for f in findings if "OFAC SDN as published" in f["text"])
    shown = cli.json("show", matched["id"])
    relations = {(link["relation"], link["direction"]) for link in shown["links"]}
    assert ("supports", "in") in relations and ("mentions", "out") in relations
    again = cli("screen", "--record")
    assert "Recorded 0 findings (3 already recorded)" in again.stderr
    assert len(cli.json("list", "findings")) == 3
    brief = tmp_path / "brief.md"
    cli("export", "brief", "-o", brief)
    text = brief.read_text(encoding="utf-8")
    assert (
        "Sanctions screening (identifier match): SOME OTHER NAME" in text
        and "OFAC SDN as published 2024-03-05" in text
    )
    assert cli.json("verify")["ok"]


def test_screen_without_lists_says_what_to_do(cli):
    cli("vessel", "add", "YU SON")
    result = cli("screen", expect=1)
    assert "osint lists import" in result.stderr


# ---- verify, merge, redaction -------------------------------------------------------------------


def test_verify_catches_list_rows_changed_outside_osint(cli, tmp_path, case_path):
    cli("lists", "import", write_ftm(tmp_path / "entities.ftm.json"))
    with sqlite3.connect(case_path) as conn:
        conn.execute("UPDATE listed_entities SET imo = '9321483' WHERE entity_id = 'ves-yuson'")
    result = cli.json("verify", expect=1)
    assert any(
        p["kind"] == "list-import" and "no longer match" in p["problem"] for p in result["problems"]
    )
    with sqlite3.connect(case_path) as conn:
        conn.execute("UPDATE listed_entities SET imo = '8691702' WHERE entity_id = 'ves-yuson'")
        conn.execute(
            "INSERT INTO listed_names (import_id, entity_id, name, name_type) "
            "VALUES ('forged', 'x', 'X', 'name')"
        )
    result = cli.json("verify", expect=1)
    assert any("belong to no list import" in p["problem"] for p in result["problems"])


def test_merge_brings_a_colleagues_lists_and_redaction_withholds_them(cli, tmp_path, case_path):
    from conftest import Cli

    from osint.case.handle import init_case

    other_path = tmp_path / "other.db"
    init_case(other_path, title="Colleague").close()
    other = Cli(other_path)
    imported = other.json("lists", "import", write_ftm(tmp_path / "entities.ftm.json"))
    other("vessel", "add", "NEW VISION", "--imo", "8660313")
    cli("merge", other_path)
    cli("merge", other_path)  # again: nothing changes
    assert cli.json("verify")["ok"]
    rows = rows_for(cli.json("screen"), "NEW VISION")
    assert [r["list"] for r in rows] == ["un_sc_sanctions"]
    # Back the other way: both cases end with the same list rows.
    other("merge", case_path)
    assert other.json("verify")["ok"]
    # A copy withholding the list's source withholds its rows too, and still verifies.
    copy = tmp_path / "copy.db"
    cli("export", "case", "-o", copy, "--redact", imported["source"])
    with sqlite3.connect(copy) as conn:
        assert conn.execute("SELECT count(*) FROM listed_entities").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM list_imports").fetchone()[0] == 0
    assert Cli(copy).json("verify")["ok"]


def test_merge_refuses_tampered_list_rows(cli, tmp_path):
    from conftest import Cli

    from osint.case.handle import init_case

    other_path = tmp_path / "other.db"
    init_case(other_path, title="Colleague").close()
    other = Cli(other_path)
    other("lists", "import", write_ftm(tmp_path / "entities.ftm.json"))
    with sqlite3.connect(other_path) as conn:
        conn.execute("UPDATE listed_entities SET name = 'FORGED' WHERE entity_id = 'ves-yuson'")
    result = cli("merge", other_path, expect=1)
    assert "does not verify" in result.stderr and "digest" in result.stderr
    with sqlite3.connect(tmp_path / "case.db") as conn:
        assert conn.execute("SELECT count(*) FROM listed_entities").fetchone()[0] == 0


def test_relations_before_and_after_their_vessel(tmp_path):
    """Relations may come anywhere in the file: reversed order keeps the same rows."""
    from osint.screening import readers

    forward = readers.read(write_ftm(tmp_path / "a.json"))
    backward = readers.read(write_ftm(tmp_path / "b.json", list(reversed(ftm_entities()))))
    key = lambda data: (  # noqa: E731
        sorted(data.vessels),
        sorted(data.parties),
        sorted((r.vessel, r.party, r.relation) for r in data.relations),
    )
    assert key(forward) == key(backward)
    assert json.dumps(sorted(forward.vessels["ves-yuson"].names)) == json.dumps(
        sorted(backward.vessels["ves-yuson"].names)
    )


def test_several_files_at_once_a_bad_one_is_named_the_others_imported(cli, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"id": "x", "schema": "Vessel", "properties": {', encoding="utf-8")
    good = write_ofac_xml(tmp_path / "SDN.XML")
    result = cli("--json", "lists", "import", bad, good, expect=1)
    assert f"Error: {bad}: line 1: not valid JSON" in result.stderr
    assert [x["list"] for x in json.loads(result.stdout)] == ["OFAC SDN"]
    assert len(cli.json("lists", "list")) == 1
