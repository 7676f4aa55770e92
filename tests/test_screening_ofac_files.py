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


# SDN_ADVANCED.XML as OFAC publishes it (namespaced, value sets first, then parties), shortened.
ADVANCED = """<?xml version="1.0" encoding="utf-8"?>
<Sanctions xmlns="https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ADVANCED_XML">
  <DateOfIssue><Year>2024</Year><Month>3</Month><Day>5</Day></DateOfIssue>
  <ReferenceValueSets>
    <AliasTypeValues><AliasType ID="1400">A.K.A.</AliasType><AliasType ID="1401">F.K.A.</AliasType>
      <AliasType ID="1403">Name</AliasType></AliasTypeValues>
    <CountryValues><Country ID="11057" ISO2="KP">Korea, North</Country>
      <Country ID="11140" ISO2="SL">Sierra Leone</Country></CountryValues>
    <FeatureTypeValues><FeatureType ID="3">Vessel Flag</FeatureType>
      <FeatureType ID="4">Vessel Call Sign</FeatureType><FeatureType ID="5">Other Vessel Flag</FeatureType>
      <FeatureType ID="6">VESSEL TYPE</FeatureType></FeatureTypeValues>
    <IDRegDocTypeValues><IDRegDocType ID="1626">Vessel Registration Identification</IDRegDocType>
      <IDRegDocType ID="91761">MMSI</IDRegDocType></IDRegDocTypeValues>
    <PartySubTypeValues><PartySubType ID="1" PartyTypeID="3">Vessel</PartySubType>
      <PartySubType ID="3" PartyTypeID="2">Unknown</PartySubType></PartySubTypeValues>
    <RelationTypeValues><RelationType ID="15003">Owned or Controlled By</RelationType></RelationTypeValues>
  </ReferenceValueSets>
  <Locations>
    <Location ID="501"><LocationCountry CountryID="11057"/></Location>
    <Location ID="502"><LocationCountry CountryID="11140"/></Location>
  </Locations>
  <IDRegDocuments>
    <IDRegDocument ID="1" IDRegDocTypeID="1626" IdentityID="9001"><IDRegistrationNo>IMO 8691702</IDRegistrationNo></IDRegDocument>
    <IDRegDocument ID="2" IDRegDocTypeID="91761" IdentityID="9001"><IDRegistrationNo>445112000</IDRegistrationNo></IDRegDocument>
  </IDRegDocuments>
  <DistinctParties>
    <DistinctParty FixedRef="15037">
      <Profile ID="15037" PartySubTypeID="1">
        <Identity ID="9001" FixedRef="15037" Primary="true" False="false">
          <Alias FixedRef="15037" AliasTypeID="1403" Primary="true" LowQuality="false">
            <DocumentedName ID="1" FixedRef="15037" DocNameStatusID="1">
              <DocumentedNamePart><NamePartValue NamePartGroupID="1" ScriptID="215">YU SON</NamePartValue></DocumentedNamePart>
            </DocumentedName>
          </Alias>
          <Alias FixedRef="15037" AliasTypeID="1401" Primary="false" LowQuality="false">
            <DocumentedName ID="2" FixedRef="15037" DocNameStatusID="2">
              <DocumentedNamePart><NamePartValue NamePartGroupID="1" ScriptID="215">JIN HAE</NamePartValue></DocumentedNamePart>
            </DocumentedName>
          </Alias>
        </Identity>
        <Feature ID="10" FeatureTypeID="3"><FeatureVersion ID="10" ReliabilityID="1"><VersionDetail DetailTypeID="1433"/><VersionLocation LocationID="501"/></FeatureVersion></Feature>
        <Feature ID="11" FeatureTypeID="5"><FeatureVersion ID="11" ReliabilityID="1"><VersionLocation LocationID="502"/></FeatureVersion></Feature>
        <Feature ID="12" FeatureTypeID="4"><FeatureVersion ID="12" ReliabilityID="1"><VersionDetail DetailTypeID="1432">HMYS</VersionDetail></FeatureVersion></Feature>
        <Feature ID="13" FeatureTypeID="6"><FeatureVersion ID="13" ReliabilityID="1"><VersionDetail DetailTypeID="1432">Oil Products Tanker</VersionDetail></FeatureVersion></Feature>
      </Profile>
    </DistinctParty>
    <DistinctParty FixedRef="15040">
      <Profile ID="15040" PartySubTypeID="3">
        <Identity ID="9002" FixedRef="15040" Primary="true" False="false">
          <Alias FixedRef="15040" AliasTypeID="1403" Primary="true" LowQuality="false">
            <DocumentedName ID="3" FixedRef="15040" DocNameStatusID="1">
              <DocumentedNamePart><NamePartValue NamePartGroupID="2" ScriptID="215">KOREA ACHIM SHIPPING CO</NamePartValue></DocumentedNamePart>
            </DocumentedName>
          </Alias>
        </Identity>
      </Profile>
    </DistinctParty>
  </DistinctParties>
  <ProfileRelationships>
    <ProfileRelationship ID="1" From-ProfileID="15037" To-ProfileID="15040" RelationTypeID="15003" RelationQualityID="1" Former="false"/>
  </ProfileRelationships>
  <SanctionsEntries>
    <SanctionsEntry ID="1" ProfileID="15037" ListID="1550">
      <EntryEvent ID="1" EntryEventTypeID="1" LegalBasisID="1"><Date><Year>2018</Year><Month>2</Month><Day>23</Day></Date></EntryEvent>
      <SanctionsMeasure ID="1" SanctionsTypeID="1"><Comment>DPRK2</Comment></SanctionsMeasure>
    </SanctionsEntry>
  </SanctionsEntries>
</Sanctions>
"""


def test_sdn_advanced_xml_gives_vessels_identifiers_former_names_and_owners(cli, tmp_path):
    path = tmp_path / "SDN_ADVANCED.XML"
    path.write_text(ADVANCED, encoding="utf-8")
    packed = tmp_path / "SDN_ADVANCED.XML.gz"
    packed.write_bytes(gzip.compress(path.read_bytes()))
    data = cli.json("lists", "import", packed)
    assert data["format"] == "OFAC SDN_ADVANCED.XML (gzip)"
    assert (data["published"], data["vessels"], data["parties"]) == ("2024-03-05", 1, 1)
    cli("vessel", "add", "JIN HAE")
    cli("vessel", "add", "SOMETHING", "--imo", "8691702")
    rows = {r["name"]: r for r in cli.json("screen") if r["found"]}
    assert rows["JIN HAE"]["grade"] == "strong name match"
    assert "listed former name JIN HAE" in rows["JIN HAE"]["reason"]
    exact = rows["SOMETHING"]
    assert exact["grade"] == "identifier match" and exact["listed_mmsi"] == "445112000"
    assert exact["programs"] == ["DPRK2"] and exact["listed_on"] == "2018-02-23"
    assert exact["parties"] == ["owner: KOREA ACHIM SHIPPING CO"]
    assert cli.json("verify")["ok"]


def test_truncated_sdn_advanced_xml_is_refused(cli, tmp_path):
    path = tmp_path / "SDN_ADVANCED.XML"
    path.write_text(ADVANCED[: len(ADVANCED) // 2], encoding="utf-8")
    result = cli("lists", "import", path, expect=1)
    assert "nothing was imported" in result.stderr


def test_sdn_advanced_features_are_read(tmp_path):
    from osint.screening import readers

    path = tmp_path / "SDN_ADVANCED.XML"
    path.write_text(ADVANCED, encoding="utf-8")
    vessel = readers.read(path).vessels["ofac-15037"]
    assert (vessel.imo, vessel.mmsi, vessel.flag, vessel.past_flags) == (
        "8691702", "445112000", "KP", ["SL"],
    )  # fmt: skip
    assert (vessel.call_sign, vessel.vessel_type) == ("HMYS", "Oil Products Tanker")
    assert ("JIN HAE", "former") in vessel.names


def test_a_folder_without_lists_is_a_clear_error(cli, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("nothing here\n")
    result = cli("lists", "import", empty, expect=1)
    assert "no list file" in result.stderr and "Traceback" not in result.stderr
