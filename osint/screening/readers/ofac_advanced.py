"""OFAC's `SDN_ADVANCED.XML`: the SDN list in its normalised form, read in one streaming pass.

The file refers by number to value sets given at its top (`ReferenceValueSets`): party sub-types
(`Vessel`), alias types (`A.K.A.`, `F.K.A.`, `N.K.A.`, `Name`), feature types (`Vessel Flag`,
`Vessel Call Sign`, `VESSEL TYPE`, `Vessel Owner`), identity-document types (`Vessel
Registration Identification` holds the IMO number, `MMSI`) and countries. Entries are
`DistinctParty/Profile` elements, each with its names (`Identity/Alias/DocumentedName`), and
features; IMO numbers and MMSIs are `IDRegDocument`s pointing at a profile's identity;
programmes and listing dates are in `SanctionsEntries`; who owns or is linked to a vessel is in
`ProfileRelationships`. When a value set is missing, OFAC's published numbers are used (sub-type
1 Vessel, alias types 1400-1403, feature type 3 Vessel Flag, document type 1626).

Only vessels and the parties related to them are kept, as with the other OFAC formats (entity ids
`ofac-<profile id>`, the same as sdn.csv's entity numbers, so versions compare).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from osint.fileio import open_hashed
from osint.screening import readers

DEFAULTS = {
    "PartySubType": {"1": "Vessel"},
    "AliasType": {"1400": "A.K.A.", "1401": "F.K.A.", "1402": "N.K.A.", "1403": "Name"},
    "FeatureType": {"3": "Vessel Flag"},
    "IDRegDocType": {"1626": "Vessel Registration Identification"},
}
_SETS = ("PartySubType", "AliasType", "FeatureType", "IDRegDocType", "Country", "RelationType")


def looks_like(head: bytes) -> bool:
    return b"<Sanctions" in head and (
        b"ReferenceValueSets" in head or b"DistinctParties" in head or b"DateOfIssue" in head
    )


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element, name: str):
    return [c for c in element.iter() if _local(c.tag) == name]


def _date(element) -> str | None:
    parts = {_local(c.tag): (c.text or "").strip() for c in element}
    try:
        year = int(parts["Year"])
        month, day = int(parts.get("Month") or 1), int(parts.get("Day") or 1)
    except (KeyError, ValueError):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def read(path: Path) -> readers.ListData:
    import xml.etree.ElementTree as ET

    data = readers.ListData(
        format="ofac-advanced-xml", list_name=readers.OFAC_NAME, publisher=readers.OFAC_PUBLISHER
    )
    values: dict[str, dict[str, str]] = {k: dict(v) for k, v in DEFAULTS.items()}
    for name in _SETS:
        values.setdefault(name, {})
    location_country: dict[str, str] = {}
    documents: dict[str, list[tuple[str, str]]] = {}  # identity id -> [(doc type id, number)]
    identities: dict[str, str] = {}  # identity id -> profile id
    profiles: dict[str, readers.Listed] = {}
    features: dict[str, list[tuple[str, str | None, str | None]]] = {}
    relations: list[tuple[str, str, str]] = []
    entries: dict[str, tuple[list[str], str | None]] = {}
    raw, handle = open_hashed(path)
    seen_root = False
    try:
        parser: Any = ET.XMLPullParser(events=("end",))
        while chunk := handle.read(readers.READ_CHUNK):
            try:
                parser.feed(chunk)
                for found in parser.read_events():
                    element: Any = found[1]
                    tag = _local(element.tag)
                    if tag in _SETS and element.get("ID"):
                        values[tag][element.get("ID")] = (element.text or "").strip()
                    elif tag == "DateOfIssue":
                        data.published = _date(element)
                        data.published_basis = "DateOfIssue in the file"
                    elif tag == "Location":
                        for country in _children(element, "LocationCountry"):
                            if country.get("CountryID"):
                                location_country[element.get("ID", "")] = country.get("CountryID")
                        element.clear()
                    elif tag == "IDRegDocument":
                        number = next(
                            (
                                (c.text or "").strip()
                                for c in _children(element, "IDRegistrationNo")
                            ),
                            "",
                        )
                        documents.setdefault(element.get("IdentityID", ""), []).append(
                            (element.get("IDRegDocTypeID", ""), number)
                        )
                        element.clear()
                    elif tag == "Profile":
                        data.entities_read += 1
                        _profile(element, values, profiles, identities, features)
                    elif tag == "DistinctParty":
                        element.clear()
                    elif tag == "ProfileRelationship":
                        relations.append(
                            (
                                element.get("From-ProfileID", ""),
                                element.get("To-ProfileID", ""),
                                element.get("RelationTypeID", ""),
                            )
                        )
                    elif tag == "SanctionsEntry":
                        programs = [
                            (c.text or "").strip()
                            for c in _children(element, "Comment")
                            if (c.text or "").strip()
                        ]
                        listed = next((_date(d) for d in _children(element, "Date")), None)
                        entries[element.get("ProfileID", "")] = (programs, listed)
                        element.clear()
                    elif tag == "Sanctions":
                        seen_root = True
            except ET.ParseError as exc:
                raise readers._damaged(
                    path, f"line {exc.position[0]}", f"not well-formed XML ({exc})"
                ) from None
        try:
            parser.close()
        except ET.ParseError as exc:
            raise readers._damaged(
                path, f"line {exc.position[0]}", f"the XML stops early ({exc})"
            ) from None
        if not seen_root:
            raise readers._damaged(path, "end of file", "no closing Sanctions element")
        data.sha256 = raw.digest.hexdigest()
        data.size = raw.size
    finally:
        handle.close()
    _finish(data, values, location_country, documents, identities, profiles, features)
    _relate(data, values, profiles, relations)
    for profile_id, (programs, listed) in entries.items():
        item = profiles.get(profile_id)
        if item is not None:
            item.programs = programs or item.programs
            item.listed_on = listed
    return data


def _profile(element, values, profiles, identities, features) -> None:
    profile_id = element.get("ID", "")
    sub_type = values["PartySubType"].get(element.get("PartySubTypeID", ""), "")
    schema = "Vessel" if sub_type.lower() == "vessel" else "LegalEntity"
    item = readers.Listed(entity_id=f"ofac-{profile_id}", schema=schema)
    item.authorities = ["OFAC"]
    item.status = "sanctioned"
    for identity in _children(element, "Identity"):
        identities[identity.get("ID", "")] = profile_id
        for alias in _children(identity, "Alias"):
            alias_type = values["AliasType"].get(alias.get("AliasTypeID", ""), "")
            for documented in _children(alias, "DocumentedName"):
                text = " ".join(
                    (v.text or "").strip()
                    for v in _children(documented, "NamePartValue")
                    if (v.text or "").strip()
                )
                if not text:
                    continue
                if alias.get("Primary") == "true" and item.name is None:
                    kind = "name"
                elif alias_type.upper().startswith("F.K.A"):
                    kind = "former"
                elif alias.get("LowQuality") == "true":
                    kind = "weak"
                else:
                    kind = "alias"
                item.add_name(text, kind)
    for feature in _children(element, "Feature"):
        feature_type = values["FeatureType"].get(feature.get("FeatureTypeID", ""), "")
        for version in _children(feature, "FeatureVersion"):
            detail = next(
                ((d.text or "").strip() for d in _children(version, "VersionDetail") if d.text),
                None,
            )
            location = next(
                (v.get("LocationID") for v in _children(version, "VersionLocation")), None
            )
            features.setdefault(profile_id, []).append((feature_type, detail, location))
    profiles[profile_id] = item


def _finish(data, values, location_country, documents, identities, profiles, features) -> None:
    countries = values["Country"]
    for identity_id, docs in documents.items():
        item = profiles.get(identities.get(identity_id, ""))
        if item is None:
            continue
        for doc_type_id, number in docs:
            doc_type = values["IDRegDocType"].get(doc_type_id, "").lower()
            if "vessel registration" in doc_type or doc_type.startswith("imo"):
                item.imo = item.imo or readers.clean_imo(number)
            elif doc_type == "mmsi":
                item.mmsi = item.mmsi or readers.clean_mmsi(number)
    for profile_id, found in features.items():
        item = profiles.get(profile_id)
        if item is None:
            continue
        for feature_type, detail, location in found:
            low = feature_type.lower()
            country = countries.get(location_country.get(location or "", ""), None)
            if low == "vessel flag":
                item.flag = item.flag or readers.clean_country(country or detail)
            elif "other vessel flag" in low or "former vessel flag" in low:
                code = readers.clean_country(country or detail)
                if code and code not in item.past_flags:
                    item.past_flags.append(code)
            elif "call sign" in low and detail:
                item.call_sign = item.call_sign or detail
            elif low == "vessel type" and detail:
                item.vessel_type = item.vessel_type or detail
            elif low == "mmsi" and detail:
                item.mmsi = item.mmsi or readers.clean_mmsi(detail)
    for item in profiles.values():
        if item.schema == "Vessel":
            data.vessels[item.entity_id] = item


def _relate(data, values, profiles, relations) -> None:
    for source, target, relation_type in relations:
        left, right = profiles.get(source), profiles.get(target)
        if left is None or right is None:
            continue
        if left.schema != "Vessel" and right.schema == "Vessel":
            left, right = right, left
        if left.schema != "Vessel" or right.schema == "Vessel":
            continue
        words = values["RelationType"].get(relation_type, "").lower()
        relation = "owner" if "own" in words else "linked"
        data.parties.setdefault(right.entity_id, right)
        data.relations.append(readers.Relation(left.entity_id, right.entity_id, relation))
    data.relations = readers._unique_relations(data.relations)
