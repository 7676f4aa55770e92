"""OFAC SDN.XML and sdn.csv."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from osint.errors import InvalidInput
from osint.fileio import open_hashed
from osint.screening.readers.common import (  # noqa: F401  # noqa: F401
    _classify,
    _date,
    _earliest,
    _latest,
    clean_country,
    clean_imo,
    clean_mmsi,
)
from osint.screening.readers.ftm import _unique_relations
from osint.screening.readers.model import ListData, Listed, Relation, _damaged  # noqa: F401
from osint.screening.readers.simple_csv import _text_lines  # noqa: F401

READ_CHUNK = 1024 * 1024


# ---- OFAC SDN.XML and sdn.csv ---------------------------------------------------------------------

OFAC_NAME = "OFAC SDN"
OFAC_PUBLISHER = "U.S. Treasury, Office of Foreign Assets Control (OFAC)"
OFAC_LOCATOR = "https://sanctionslist.ofac.treas.gov/Home/SdnList"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _us_date(text: str | None) -> str | None:
    match = re.match(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})", text or "")
    if not match:
        return _date(text)
    month, day, year = match.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}"


_REMARK_IMO = re.compile(r"\bIMO\s*[:#]?\s*(\d{7})\b", re.I)
_REMARK_MMSI = re.compile(r"\bMMSI\s*[:#]?\s*(\d{9})\b", re.I)
_REMARK_FLAG = re.compile(r"(?:alt\.\s*)?Former Vessel Flag\s+([^;]+)", re.I)
_REMARK_CALL = re.compile(r"Vessel Call Sign\s+([A-Z0-9]+)", re.I)
_REMARK_AKA = re.compile(r"\b([afn])\.k\.a\.?\s*['\"]([^'\"]+)['\"]", re.I)
_REMARK_LINKED = re.compile(r"Linked To:\s*([^;]+)", re.I)
_REMARK_TYPE = re.compile(r"Vessel Type\s+([^;]+)", re.I)


def _apply_remarks(item: Listed, remarks: str | None, linked: list[str]) -> None:
    """Vessel identifiers OFAC writes in free text: `Vessel Registration Identification IMO
    8691702; MMSI 445112000; Former Vessel Flag Panama; f.k.a. 'OLD NAME'; Linked To: X.`"""
    if not remarks:
        return
    item.remarks = remarks.strip()
    if not item.imo and (m := _REMARK_IMO.search(remarks)):
        item.imo = clean_imo(m.group(1))
    if not item.mmsi and (m := _REMARK_MMSI.search(remarks)):
        item.mmsi = m.group(1)
    if not item.call_sign and (m := _REMARK_CALL.search(remarks)):
        item.call_sign = m.group(1)
    if not item.vessel_type and (m := _REMARK_TYPE.search(remarks)):
        item.vessel_type = m.group(1).strip(" .")
    for m in _REMARK_FLAG.finditer(remarks):
        code = clean_country(m.group(1).strip(" ."))
        if code and code not in item.past_flags:
            item.past_flags.append(code)
    for m in _REMARK_AKA.finditer(remarks):
        item.add_name(m.group(2), "former" if m.group(1).lower() == "f" else "alias")
    for m in _REMARK_LINKED.finditer(remarks):
        linked.append(m.group(1).strip().rstrip("."))


def _ofac_entry(fields: dict, linked_to: list[str]) -> Listed:
    uid = fields["uid"]
    sdn_type = (fields.get("sdnType") or "").lower()
    schema = {"vessel": "Vessel", "individual": "Person", "entity": "Organization"}.get(
        sdn_type, "LegalEntity"
    )
    item = Listed(entity_id=f"ofac-{uid}", schema=schema)
    name = ", ".join(x for x in (fields.get("lastName"), fields.get("firstName")) if x)
    item.add_name(name, "name")
    for aka_type, aka_category, aka_name in fields.get("akas", ()):
        kind = "former" if aka_type.lower().startswith("f.k.a") else "alias"
        if kind == "alias" and aka_category.lower() == "weak":
            kind = "weak"
        item.add_name(aka_name, kind)
    item.programs = fields.get("programs", [])
    item.authorities = ["OFAC"]
    item.status = "sanctioned"
    for id_type, number in fields.get("ids", ()):
        low = id_type.lower()
        if "vessel registration" in low or low.startswith("imo"):
            item.imo = item.imo or clean_imo(number)
        elif low == "mmsi":
            item.mmsi = item.mmsi or clean_mmsi(number)
        elif "former vessel flag" in low:
            code = clean_country(number)
            if code and code not in item.past_flags:
                item.past_flags.append(code)
        elif "call sign" in low:
            item.call_sign = item.call_sign or number
        elif low == "linked to":
            linked_to.append(number)
    item.call_sign = fields.get("callSign") or item.call_sign
    item.vessel_type = fields.get("vesselType") or item.vessel_type
    if fields.get("vesselFlag"):
        item.flag = clean_country(fields["vesselFlag"])
    if fields.get("vesselOwner"):
        linked_to.append(f"owner:{fields['vesselOwner']}")
    _apply_remarks(item, fields.get("remarks"), linked_to)
    return item


def _party_key(name: str) -> str:
    return " ".join(re.sub(r"[^A-Z0-9]+", " ", name.upper()).split())


def _ofac_finish(data: ListData, entries: list[tuple[Listed, list[str]]], others: dict) -> None:
    """Keep vessels; their owners and links become parties (SDN entries when listed)."""
    for item, linked in entries:
        data.vessels[item.entity_id] = item
        for text in linked:
            relation, name = ("owner", text[6:]) if text.startswith("owner:") else ("linked", text)
            key = _party_key(name)
            party = others.get(key)
            if party is None:
                slug = re.sub(r"[^a-z0-9]+", "-", key.lower()).strip("-")[:60]
                party = Listed(entity_id=f"ofac-name-{slug}", schema="LegalEntity")
                party.add_name(name.strip(), "name")
            data.parties.setdefault(party.entity_id, party)
            data.relations.append(Relation(item.entity_id, party.entity_id, relation))
    data.relations = _unique_relations(data.relations)


def read_ofac_xml(path: Path) -> ListData:
    import xml.etree.ElementTree as ET

    data = ListData(format="ofac-xml", list_name=OFAC_NAME, publisher=OFAC_PUBLISHER)
    data.locator = OFAC_LOCATOR
    entries: list[tuple[Listed, list[str]]] = []
    others: dict[str, Listed] = {}
    raw, handle = open_hashed(path)
    try:
        parser = ET.XMLPullParser(events=("end",))
        seen_root = False
        while chunk := handle.read(READ_CHUNK):
            try:
                parser.feed(chunk)
                for _event, element in parser.read_events():
                    tag = _local(element.tag)
                    if tag == "Publish_Date":
                        data.published = _us_date(element.text)
                        data.published_basis = "Publish_Date in the file"
                    elif tag == "sdnEntry":
                        data.entities_read += 1
                        fields = _xml_entry(element)
                        if not fields.get("uid"):
                            raise _damaged(
                                path, f"entry {data.entities_read}", "an entry without uid"
                            )
                        linked: list[str] = []
                        item = _ofac_entry(fields, linked)
                        if item.schema == "Vessel":
                            entries.append((item, linked))
                        elif item.name:
                            others[_party_key(item.name)] = item
                        element.clear()
                    elif tag == "sdnList":
                        seen_root = True
            except ET.ParseError as exc:
                raise _damaged(
                    path, f"line {exc.position[0]}", f"not well-formed XML ({exc})"
                ) from None
        try:
            parser.close()
        except ET.ParseError as exc:
            raise _damaged(
                path, f"line {exc.position[0]}", f"the XML stops early ({exc})"
            ) from None
        if not seen_root:
            raise _damaged(path, "end of file", "no closing sdnList element")
        data.sha256 = raw.digest.hexdigest()
        data.size = raw.size
    finally:
        handle.close()
    _ofac_finish(data, entries, others)
    return data


def _xml_entry(element) -> dict:
    fields: dict = {"programs": [], "ids": [], "akas": []}
    for child in element:
        tag = _local(child.tag)
        if tag in ("uid", "lastName", "firstName", "sdnType", "remarks", "title"):
            fields[tag] = (child.text or "").strip()
        elif tag == "programList":
            fields["programs"] = [(p.text or "").strip() for p in child if (p.text or "").strip()]
        elif tag == "idList":
            for ident in child:
                values = {_local(x.tag): (x.text or "").strip() for x in ident}
                if values.get("idType") and values.get("idNumber"):
                    fields["ids"].append((values["idType"], values["idNumber"]))
        elif tag == "akaList":
            for aka in child:
                values = {_local(x.tag): (x.text or "").strip() for x in aka}
                name = ", ".join(x for x in (values.get("lastName"), values.get("firstName")) if x)
                if name:
                    fields["akas"].append(
                        (values.get("type", ""), values.get("category", ""), name)
                    )
        elif tag == "vesselInfo":
            for x in child:
                fields[_local(x.tag)] = (x.text or "").strip()
    return fields


OFAC_CSV_COLUMNS = (
    "ent_num", "SDN_Name", "SDN_Type", "Program", "Title", "Call_Sign", "Vess_type", "Tonnage",
    "GRT", "Vess_flag", "Vess_owner", "Remarks",
)  # fmt: skip


def read_ofac_csv(path: Path) -> ListData:
    data = ListData(format="ofac-csv", list_name=OFAC_NAME, publisher=OFAC_PUBLISHER)
    data.locator = OFAC_LOCATOR
    entries: list[tuple[Listed, list[str]]] = []
    others: dict[str, Listed] = {}
    raw, handle = open_hashed(path)
    try:
        reader = csv.reader(_text_lines(handle, path))
        try:
            for row in reader:
                if not row or (len(row) == 1 and row[0].strip() in ("", "\x1a")):
                    continue  # blank lines and the DOS end-of-file mark OFAC appends
                if len(row) != len(OFAC_CSV_COLUMNS):
                    raise _damaged(
                        path,
                        f"line {reader.line_num}",
                        f"{len(row)} fields where sdn.csv has {len(OFAC_CSV_COLUMNS)}",
                    )
                values = {
                    name: (None if v.strip() in ("-0-", "") else v.strip())
                    for name, v in zip(OFAC_CSV_COLUMNS, row, strict=True)
                }
                if not (values["ent_num"] or "").isdigit():
                    raise _damaged(path, f"line {reader.line_num}", "ent_num is not a number")
                data.entities_read += 1
                fields = {
                    "uid": values["ent_num"],
                    "lastName": values["SDN_Name"],
                    "sdnType": values["SDN_Type"]
                    or ("vessel" if values["Vess_type"] else "entity"),
                    "programs": [
                        p.strip(" []")
                        for p in (values["Program"] or "").split("]")
                        if p.strip(" []")
                    ],
                    "callSign": values["Call_Sign"],
                    "vesselType": values["Vess_type"],
                    "vesselFlag": values["Vess_flag"],
                    "vesselOwner": values["Vess_owner"],
                    "remarks": values["Remarks"],
                }
                linked: list[str] = []
                item = _ofac_entry(fields, linked)
                if item.schema == "Vessel":
                    entries.append((item, linked))
                elif item.name:
                    others[_party_key(item.name)] = item
        except csv.Error as exc:
            raise _damaged(path, f"line {reader.line_num}", f"unreadable CSV ({exc})") from None
        data.sha256 = raw.digest.hexdigest()
        data.size = raw.size
    finally:
        handle.close()
    if not data.entities_read:
        raise InvalidInput(f"{path}: no entries in the file")
    _ofac_finish(data, entries, others)
    return data
