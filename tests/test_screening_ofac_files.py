"""OFAC's list as published (sdn.csv + alt.csv + add.csv, gzip), graded verdicts, corrections."""

from __future__ import annotations

import gzip
import shutil

import pytest
from screening_fixtures import write_ofac_csv

from osint.screening import names

# alt.csv: ent_num, alt_num, alt_type, alt_name, alt_remarks (OFAC's own layout, -0- for empty).
ALT_ROWS = [
    '36,12,"aka","AERO-CARIBBEAN",-0- ',
    '15036,901,"fka","SHEN ZHOU",-0- ',
    '15036,902,"fka","OCEAN PRIDE",-0- ',
    '15037,903,"fka","JIN HAE",-0- ',
    '99999,904,"aka","NOT IN SDN",-0- ',
]
# add.csv: ent_num, add_num, address, city/state/postal code, country, add_remarks.
ADD_ROWS = [
    '36,25,-0- ,"Havana",Cuba,-0- ',
    '15038,26,"Sochon-dong","Pyongyang","Korea, North",-0- ',
]


def write_rows(path, rows):
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("utf-8") + b"\x1a")
    return path


@pytest.fixture
def ofac_folder(tmp_path):
    folder = tmp_path / "ofac"
    folder.mkdir()
    write_ofac_csv(folder / "sdn.csv")
    write_rows(folder / "alt.csv", ALT_ROWS)
    write_rows(folder / "add.csv", ADD_ROWS)
    (folder / "README.txt").write_text("downloaded from OFAC\n")
    return folder


def screened(cli, vessel):
    return [r for r in cli.json("screen") if r["name"] == vessel and r["found"]]


def test_sdn_alt_and_add_are_imported_together_and_former_names_screened(cli, ofac_folder):
    cli("vessel", "add", "OCEAN PRIDE")  # a former name published only in alt.csv
    result = cli(
        "lists", "import", ofac_folder / "sdn.csv", ofac_folder / "alt.csv", ofac_folder / "add.csv"
    )
    assert "without alt.csv" not in result.stderr
    data = cli.json("list", "list-imports")[0]
    assert data["file"] == "sdn.csv + alt.csv + add.csv"
    rows = screened(cli, "OCEAN PRIDE")
    assert rows and rows[0]["listed_name"] == "CHON MA SAN"
    assert "listed former name OCEAN PRIDE" in rows[0]["reason"]
    assert rows[0]["grade"] == "strong name match"
    assert cli.json("verify")["ok"]


def test_a_folder_is_one_import_and_its_other_files_are_left_out(cli, ofac_folder):
    data = cli.json("lists", "import", ofac_folder)
    assert data["file"] == "sdn.csv + alt.csv + add.csv"
    again = cli("lists", "import", ofac_folder)
    assert "already imported" in again.stderr


def test_sdn_without_alt_warns_and_alt_joins_later(cli, ofac_folder, case_path):
    cli("vessel", "add", "OCEAN PRIDE")
    first = cli("lists", "import", ofac_folder / "sdn.csv", "--published", "2024-03-05")
    assert "without alt.csv" in first.stderr
    assert not screened(cli, "OCEAN PRIDE")
    second = cli("lists", "import", ofac_folder / "alt.csv")
    assert "joined on the entity number" in second.stderr
    imports = cli.json("list", "list-imports")
    assert len(imports) == 2
    joined = next(i for i in imports if "alt.csv" in i["file"])
    assert joined["file"] == "sdn.csv + alt.csv" and joined["published"] == "2024-03-05"
    assert screened(cli, "OCEAN PRIDE")[0]["list_import"] == joined["id"]
    assert cli.json("verify")["ok"]


def test_alt_alone_without_an_sdn_import_is_refused(cli, ofac_folder):
    result = cli("lists", "import", ofac_folder / "alt.csv", expect=1)
    assert "import them with sdn.csv" in result.stderr


def test_gzip_list_files_are_read_and_kept_as_published(cli, tmp_path, ofac_folder, case_path):
    packed = tmp_path / "packed"
    packed.mkdir()
    for name in ("sdn.csv", "alt.csv"):
        with open(ofac_folder / name, "rb") as src, gzip.open(packed / f"{name}.gz", "wb") as dst:
            shutil.copyfileobj(src, dst)
    data = cli.json("lists", "import", packed / "sdn.csv.gz", packed / "alt.csv.gz")
    assert data["file"] == "sdn.csv.gz + alt.csv.gz"
    assert data["vessels"] == 2
    source = cli.json("show", data["source"])
    assert source["locator"] == "file sdn.csv.gz + alt.csv.gz"
    truncated = tmp_path / "cut.csv.gz"
    truncated.write_bytes((packed / "sdn.csv.gz").read_bytes()[:40])
    result = cli("lists", "import", truncated, expect=1)
    assert "damaged or truncated" in result.stderr


def test_provenance_records_the_url_given_and_never_invents_one(cli, ofac_folder):
    plain = cli.json("lists", "import", ofac_folder / "sdn.csv", ofac_folder / "alt.csv")
    source = cli.json("show", plain["source"])
    assert source["locator"] == "file sdn.csv + alt.csv"
    assert "treas.gov" not in source["locator"]
    url = "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/SDN.CSV"
    write_ofac_csv(ofac_folder / "sdn2.csv", rows=[
        '15037,"YUSON","vessel","DPRK2",-0- ,-0- ,"Oil Products Tanker",-0- ,-0- ,"Korea, North",'
        '-0- ,"Vessel Registration Identification IMO 8691702."'
    ])  # fmt: skip
    given = cli.json("lists", "import", ofac_folder / "sdn2.csv", "--url", url)
    assert cli.json("show", given["source"])["locator"] == url


def test_publication_date_is_corrected_by_a_dated_audited_edit(cli, ofac_folder):
    data = cli.json("lists", "import", ofac_folder / "sdn.csv", ofac_folder / "alt.csv")
    assert "file modification time" in cli.json("show", data["id"])["published_basis"]
    cli("edit", data["id"], "--set", "published=2024-03-05")
    shown = cli.json("show", data["id"])
    assert shown["published"] == "2024-03-05"
    assert shown["published_basis"].startswith("corrected by Test Investigator on ")
    assert "was " in shown["published_basis"]
    source = cli.json("show", data["source"])
    assert source["published"] == "2024-03-05" and source["title"].endswith("2024-03-05")
    log = cli.json("log")
    assert any(e.get("record") == data["id"] or e.get("record_id") == data["id"] for e in log if e)
    assert cli("edit", data["id"], "--set", "published=not a date", expect=1).exit_code == 1
    assert cli.json("verify")["ok"]


def test_numerals_lower_the_score_and_names_alone_are_never_sanctioned(cli, tmp_path):
    rows = [
        '20001,"DIAMOND II","vessel","IRAN",-0- ,-0- ,"Crude Oil Tanker",-0- ,-0- ,"Panama",-0- ,'
        '"Vessel Registration Identification IMO 9187631."',
        '20002,"SEA STAR III","vessel","IRAN",-0- ,-0- ,"Crude Oil Tanker",-0- ,-0- ,"Panama",-0- ,'
        '"Vessel Registration Identification IMO 9212888."',
        '20003,"OCEAN GLORY","vessel","IRAN",-0- ,-0- ,"Crude Oil Tanker",-0- ,-0- ,"Panama",-0- ,'
        '"Vessel Registration Identification IMO 9165059."',
    ]
    cli("lists", "import", write_ofac_csv(tmp_path / "sdn.csv", rows=rows))
    cli("vessel", "add", "DIAMOND")
    cli("vessel", "add", "SEA STAR")
    cli("vessel", "add", "OCEAN GLORY")
    cli("vessel", "add", "GLORY ID", "--imo", "9165059")
    found = {r["name"]: r for r in cli.json("screen") if r["found"]}
    for vessel in ("DIAMOND", "SEA STAR"):
        assert found[vessel]["score"] <= 0.8
        assert found[vessel]["grade"] == "possible name match: review"
        assert "on one side only" in found[vessel]["reason"]
    assert found["OCEAN GLORY"]["grade"] == "strong name match"
    assert found["GLORY ID"]["grade"] == "identifier match"
    cli("screen", "--record")
    texts = {f["text"] for f in cli.json("list", "findings")}
    named = [t for t in texts if "GLORY ID" not in t and "not found" not in t]
    assert len(named) == 3
    for text in named:
        assert "sanctioned" not in text.lower()
        assert "name match" in text
    assert any("(possible name match: review)" in t and "DIAMOND II" in t for t in named)
    by_imo = next(t for t in texts if "GLORY ID" in t)
    assert "(identifier match)" in by_imo and "sanctioned" in by_imo


def test_hull_numbers_on_one_side_are_scored_down():
    def score(a, b):
        return names.compare(names.comparable(a), names.comparable(b))

    assert score("DIAMOND", "DIAMOND II").score <= 0.8
    assert score("SEA STAR", "SEA STAR III").score <= 0.8
    assert score("SAM JONG 1", "SAM JONG 2").score <= 0.5
    assert score("ANSHUN II", "ANSHUN 2").score == 1.0
