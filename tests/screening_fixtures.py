"""Small sanctions-list files in each published format, with the quirks real ones have.

IMO numbers below are check-digit valid: 8691702, 8660313, 9321483, 9354521, 9138525.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path


def _line(entity: dict) -> str:
    return json.dumps(entity, ensure_ascii=False) + "\n"


def ftm_entities(*, dataset="un_sc_sanctions", last_seen="2024-03-05T06:10:00") -> list[dict]:
    """A flat FtM export: vessels, their owners and managers (relations), sanctions, noise."""
    meta = {"datasets": [dataset], "first_seen": "2019-01-01T00:00:00", "last_seen": last_seen}
    return [
        # Sorted by id as OpenSanctions writes them: relations before the vessels they name.
        {"id": "own-1", "schema": "Ownership", **meta,
         "properties": {"owner": ["co-achim"], "asset": ["ves-yuson"], "role": ["Registered owner"],
                        "startDate": ["2016-05-01"]}},
        {"id": "own-2", "schema": "Ownership", **meta,
         "properties": {"owner": ["co-manager"], "asset": ["ves-yuson"], "role": ["ISM Manager"]}},
        {"id": "own-3", "schema": "Ownership", **meta,
         "properties": {"owner": ["co-other"], "asset": ["co-achim"]}},
        {"id": "per-unrelated", "schema": "Person", **meta,
         "properties": {"name": ["Kim Unrelated"], "topics": ["sanction"]}},
        {"id": "san-1", "schema": "Sanction", **meta,
         "properties": {"entity": ["ves-yuson"], "authority": ["United Nations Security Council"],
                        "program": ["UN 1718 (DPRK)"], "listingDate": ["2018-03-30"]}},
        {"id": "san-2", "schema": "Sanction", **meta,
         "properties": {"entity": ["ves-delisted"], "authority": ["United Nations Security Council"],
                        "program": ["UN 1718 (DPRK)"], "startDate": ["2018-03-30"],
                        "endDate": ["2023-06-01"]}},
        {"id": "ves-delisted", "schema": "Vessel", **meta,
         "properties": {"name": ["PETREL 8"], "imoNumber": ["9354521"], "flag": ["km"]}},
        {"id": "ves-renamed", "schema": "Vessel", **meta,
         "properties": {"name": ["NEW VISION"], "previousName": ["CHON MA SAN"],
                        "imoNumber": ["IMO8660313"], "topics": ["sanction"]}},
        {"id": "ves-yuson", "schema": "Vessel", **meta,
         "properties": {"name": ["YU SON"], "alias": ["YUSON"], "imoNumber": ["IMO 8691702"],
                        "mmsi": ["445112000"], "flag": ["kp"], "callSign": ["HMYS"],
                        "type": ["Oil Products Tanker"], "topics": ["sanction"]}},
        {"id": "co-achim", "schema": "Company", **meta,
         "properties": {"name": ["Korea Achim Shipping Co"], "country": ["kp"]}},
        {"id": "co-manager", "schema": "Organization", **meta,
         "properties": {"name": ["Ocean Ship Management"]}},
        {"id": "co-other", "schema": "Company", **meta,
         "properties": {"name": ["Not A Vessel Owner Ltd"]}},
        {"id": "co-unrelated", "schema": "Company", **meta,
         "properties": {"name": ["Unrelated Trading"]}},
    ]  # fmt: skip


def write_ftm(path: Path, entities: list[dict] | None = None, **kwargs) -> Path:
    entities = ftm_entities(**kwargs) if entities is None else entities
    path.write_text("".join(_line(e) for e in entities), encoding="utf-8")
    return path


def write_nested(path: Path) -> Path:
    """targets.nested.json: each target with its sanctions and owners nested inside."""
    meta = {"datasets": ["gb_hmt_sanctions"], "last_seen": "2024-04-02T00:00:00"}
    vessel = {
        "id": "gb-ves-1",
        "schema": "Vessel",
        **meta,
        "properties": {
            "name": ["Юсон"],
            "imoNumber": ["8691702"],
            "sanctions": [
                {
                    "id": "gb-san-1",
                    "schema": "Sanction",
                    "properties": {"authority": ["HM Treasury"], "listingDate": ["2022-05-04"]},
                }
            ],
            "ownershipAsset": [
                {
                    "id": "gb-own-1",
                    "schema": "Ownership",
                    "properties": {
                        "role": ["Commercial manager"],
                        "owner": [
                            {
                                "id": "gb-co-1",
                                "schema": "Company",
                                "properties": {"name": ["Sea Star Trading"]},
                            }
                        ],
                    },
                }
            ],
        },
    }
    person = {
        "id": "gb-per-1",
        "schema": "Person",
        **meta,
        "properties": {"name": ["Somebody Else"]},
    }
    path.write_text(_line(person) + _line(vessel), encoding="utf-8")
    return path


SIMPLE_HEADER = [
    "id", "schema", "name", "aliases", "birth_date", "countries", "addresses", "identifiers",
    "sanctions", "phones", "emails", "program_ids", "dataset", "first_seen", "last_seen",
    "last_change",
]  # fmt: skip


def write_simple(path: Path) -> Path:
    rows = [
        ["eu-ves-1", "Vessel", "SEA DRAGON", "SEA DRAGON II;DRAGON SEA", "", "pa", "",
         "IMO9138525;MMSI 352001234", "EU Annex XLII - shadow fleet", "", "", "",
         "EU Financial Sanctions Files (FSF)", "2024-06-24", "2025-01-15", "2025-01-15"],
        ["eu-per-1", "Person", "Jane Doe", "", "1970", "ru", "", "", "EU", "", "", "",
         "EU Financial Sanctions Files (FSF)", "2024-06-24", "2025-01-15", "2025-01-15"],
    ]  # fmt: skip
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(SIMPLE_HEADER)
        writer.writerows(rows)
    return path


OFAC_XML = """<?xml version="1.0" standalone="yes"?>
<sdnList xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://tempuri.org/sdnList.xsd">
  <publshInformation>
    <Publish_Date>{date}</Publish_Date>
    <Record_Count>{count}</Record_Count>
  </publshInformation>
{entries}
</sdnList>
"""

OFAC_ENTRIES = {
    "yuson": """  <sdnEntry>
    <uid>15037</uid>
    <lastName>YU SON</lastName>
    <sdnType>Vessel</sdnType>
    <programList><program>DPRK2</program></programList>
    <idList>
      <id><uid>1</uid><idType>Vessel Registration Identification</idType><idNumber>IMO 8691702</idNumber></id>
      <id><uid>2</uid><idType>MMSI</idType><idNumber>445112000</idNumber></id>
      <id><uid>3</uid><idType>Former Vessel Flag</idType><idNumber>Sierra Leone</idNumber></id>
    </idList>
    <akaList>
      <aka><uid>4</uid><type>f.k.a.</type><category>strong</category><lastName>JIN HAE</lastName></aka>
    </akaList>
    <vesselInfo>
      <callSign>HMYS</callSign>
      <vesselType>Oil Products Tanker</vesselType>
      <vesselFlag>Korea, North</vesselFlag>
      <vesselOwner>KOREA ACHIM SHIPPING CO</vesselOwner>
    </vesselInfo>
  </sdnEntry>""",
    "achim": """  <sdnEntry>
    <uid>15040</uid>
    <lastName>KOREA ACHIM SHIPPING CO</lastName>
    <sdnType>Entity</sdnType>
    <programList><program>DPRK2</program></programList>
  </sdnEntry>""",
    "person": """  <sdnEntry>
    <uid>9</uid>
    <lastName>DOE</lastName>
    <firstName>John</firstName>
    <sdnType>Individual</sdnType>
    <programList><program>SDGT</program></programList>
  </sdnEntry>""",
}


def write_ofac_xml(path: Path, date="03/05/2024", keys=("yuson", "achim", "person")) -> Path:
    entries = "\n".join(OFAC_ENTRIES[k] for k in keys)
    path.write_text(OFAC_XML.format(date=date, count=len(keys), entries=entries), encoding="utf-8")
    return path


OFAC_CSV_ROWS = [
    '36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"Havana, Cuba."',
    '15036,"CHON MA SAN","vessel","DPRK3",-0- ,"HMEF3","Oil Tanker",-0- ,"2000","Korea, North",'
    '"KOREA SAMILPO SHIPPING CO.","Vessel Registration Identification IMO 8660313; MMSI 445503000;'
    " Former Vessel Flag Panama; f.k.a. 'SHEN ZHOU'; Linked To: KOREA SAMILPO SHIPPING CO.\"",
    '15037,"YUSON","vessel","DPRK2",-0- ,-0- ,"Oil Products Tanker",-0- ,-0- ,"Korea, North",-0- ,'
    '"Vessel Registration Identification IMO 8691702; Linked To: KOREA ACHIM SHIPPING CO."',
    '15038,"KOREA SAMILPO SHIPPING CO.",-0- ,"DPRK3",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"Korea, North."',
]


def write_ofac_csv(path: Path, rows=None) -> Path:
    rows = OFAC_CSV_ROWS if rows is None else rows
    # OFAC's file ends with a DOS end-of-file mark after the last line.
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("utf-8") + b"\x1a")
    return path
