"""`osint export ftm`: the case as FollowTheMoney entities (JSON lines) for Aleph and FtM tools.

Every entity is built and cleaned by the `followthemoney` library's model, so the file loads as
it is (`ftm validate`, `aleph load` / `alephclient write-entities`). Ids are stable: an entity
made from a case record is `osint-<record id>`, so exporting again (or a colleague's merged case)
gives the same ids and Aleph updates entities instead of duplicating them.

    vessel              Vessel (name, alias, previousName, imoNumber, mmsi, flag, callSign, type)
    source              Document (title, sourceUrl, publisher, author, publishedAt, retrievedAt,
                        fileName, fileSize, mimeType, contentHash = SHA-1 of the snapshot as
                        Aleph's archive keys it; the SHA-256 osint keys it by is in `notes`)
    image               Image (fileName, mimeType, fileSize, contentHash, date, proof = source)
    publisher, author   Organization / Person, tied to the document by Documentation
    quote               Note (description = the words, entity = the speaker, proof = source)
                        and a Documentation (speaker quoted in the source, with the date)
    place               Address (name, latitude, longitude)
    sighting            Event (date, location, addressEntity, proof = image or source), and an
                        UnknownLink from the vessel to the event (role `sighted`)
    finding             Note (description, entity = the vessels it mentions, proof = sources)
    link                UnknownLink with the relation as role (supports, depicts, ...)
"""

from __future__ import annotations

import hashlib
import json
import sqlite3

from osint.case import records
from osint.case.store import blobs
from osint.fileio import atomic_output
from osint.formats import coordinates

PREFIX = "osint"


def entity_id(record_id: str) -> str:
    return f"{PREFIX}-{record_id}"


def _date(value: str | None) -> str | None:
    return value.rstrip("Z") if value else None


class _Writer:
    def __init__(self, handle):
        from followthemoney import model

        self.model = model
        self.handle = handle
        self.ids: set[str] = set()
        self.counts: dict[str, int] = {}

    def make(self, schema: str, eid: str, **props):
        proxy = self.model.make_entity(schema)
        proxy.id = eid
        for name, value in props.items():
            if value is None or value == "" or value == []:
                continue
            proxy.add(name, value if isinstance(value, list) else [value])
        return proxy

    def emit(self, proxy) -> None:
        if proxy.id in self.ids:
            return
        self.ids.add(proxy.id)
        self.counts[proxy.schema.name] = self.counts.get(proxy.schema.name, 0) + 1
        self.handle.write(json.dumps(proxy.to_dict(), ensure_ascii=False, sort_keys=True))
        self.handle.write("\n")


def _sha1(conn: sqlite3.Connection, sha256: str | None) -> str | None:
    if not sha256 or not blobs.exists(conn, sha256):
        return None
    digest = hashlib.sha1(usedforsecurity=False)
    for chunk in blobs.iter_chunks(conn, sha256):
        digest.update(chunk)
    return digest.hexdigest()


def _party(w: _Writer, schema: str, role: str, name: str | None, document: str) -> None:
    """An Organization/Person named on a document, and the Documentation tying them."""
    if not name or not name.strip():
        return
    from followthemoney.util import make_entity_id

    party = w.make(schema, f"{PREFIX}-{make_entity_id(schema, name.strip().casefold())}", name=name)
    w.emit(party)
    w.emit(
        w.make(
            "Documentation",
            f"{PREFIX}-{make_entity_id('documentation', document, party.id, role)}",
            document=document,
            entity=party.id,
            role=role,
        )
    )


def export_ftm(conn: sqlite3.Connection, destination) -> dict:
    """Write the case's entities; returns {"path", "entities", "by_schema"}."""
    from osint.maritime import vessels as vessel_lib

    with atomic_output(destination) as handle:
        w = _Writer(handle)
        exported: set[str] = set()
        sources = {s["id"]: s for s in records.iter_records(conn, "source")}
        for source in sources.values():
            snapshot = (
                records.get(conn, "snapshot", source["snapshot"]) if source["snapshot"] else None
            )
            eid = entity_id(source["id"])
            locator = source["locator"] or ""
            notes = []
            if source.get("grade"):
                notes.append(f"Admiralty source reliability grade {source['grade']}")
            if snapshot:
                notes.append(f"snapshot SHA-256 {snapshot['sha256']}")
            doc = w.make(
                "Document",
                eid,
                title=source["title"],
                name=source["title"],
                sourceUrl=locator if locator.startswith(("http://", "https://")) else None,
                publisher=source.get("publisher"),
                author=source.get("author"),
                publishedAt=_date(source.get("published")),
                description=None if locator.startswith("http") else locator,
                notes=notes,
                fileName=snapshot["filename"] if snapshot else None,
                fileSize=str(snapshot["size"]) if snapshot and snapshot["size"] else None,
                mimeType=snapshot["media_type"] if snapshot else None,
                retrievedAt=_date(snapshot["retrieved_at"]) if snapshot else None,
                contentHash=_sha1(conn, snapshot["sha256"]) if snapshot else None,
            )
            w.emit(doc)
            exported.add(source["id"])
            _party(w, "Organization", "publisher", source.get("publisher"), eid)
            _party(w, "Person", "author", source.get("author"), eid)
        for image in records.iter_records(conn, "image"):
            eid = entity_id(image["id"])
            w.emit(
                w.make(
                    "Image",
                    eid,
                    title=image["caption"] or image["filename"],
                    fileName=image["filename"],
                    fileSize=str(image["size"]) if image["size"] else None,
                    mimeType=image["media_type"],
                    contentHash=_sha1(conn, image["sha256"]),
                    date=_date(image["taken"]),
                    notes=[f"SHA-256 {image['sha256']}"]
                    + ([f"camera {image['camera']}"] if image["camera"] else [])
                    + (
                        [f"position {image['lat']:.6f},{image['lon']:.6f}"]
                        if image["lat"] is not None and image["lon"] is not None
                        else []
                    ),
                    proof=entity_id(image["source"]) if image["source"] in sources else None,
                )
            )
            exported.add(image["id"])
        for quote in records.iter_records(conn, "quote"):
            source_eid = entity_id(quote["source"]) if quote["source"] in sources else None
            speaker = None
            if quote["speaker"]:
                from followthemoney.util import make_entity_id

                speaker = w.make(
                    "Person",
                    f"{PREFIX}-{make_entity_id('Person', quote['speaker'].strip().casefold())}",
                    name=quote["speaker"],
                    position=quote["role"],
                )
                w.emit(speaker)
            w.emit(
                w.make(
                    "Note",
                    entity_id(quote["id"]),
                    name=f"Quote of {quote['speaker'] or 'an unnamed speaker'}",
                    description=quote["text"],
                    entity=speaker.id if speaker else None,
                    proof=source_eid,
                    summary=(
                        "verified verbatim against the source's snapshot"
                        if quote["verified"]
                        else "not verified against a snapshot"
                    ),
                )
            )
            exported.add(quote["id"])
            if speaker and source_eid:
                w.emit(
                    w.make(
                        "Documentation",
                        entity_id(quote["id"]) + "-speaker",
                        document=source_eid,
                        entity=speaker.id,
                        role="quoted",
                        date=_date(quote["said"]),
                        summary=quote["text"],
                    )
                )
        names = vessel_lib.all_names(conn)
        for vessel in records.iter_records(conn, "vessel"):
            former, other = [], []
            renamed = None
            for n in vessel_lib.names_of(conn, vessel["id"]):
                if n["name_type"] == "former":
                    former.append(n["name"])
                    renamed = max(filter(None, [renamed, n["valid_to"]]), default=None)
                else:
                    other.append(n["name"])
            w.emit(
                w.make(
                    "Vessel",
                    entity_id(vessel["id"]),
                    name=vessel["name"],
                    alias=[n for n in other if n != vessel["name"]],
                    previousName=former,
                    imoNumber=f"IMO{vessel['imo']}" if vessel["imo"] else None,
                    mmsi=vessel["mmsi"],
                    flag=vessel["flag"],
                    callSign=vessel["call_sign"],
                    type=vessel["vessel_type"],
                    nameChangeDate=_date(renamed),
                    notes=vessel["note"],
                )
            )
            exported.add(vessel["id"])
        del names
        places = {p["id"]: p for p in records.iter_records(conn, "place")}
        for place in places.values():
            w.emit(
                w.make(
                    "Address",
                    entity_id(place["id"]),
                    name=place["name"],
                    full=place["name"],
                    latitude=str(place["lat"]) if place["lat"] is not None else None,
                    longitude=str(place["lon"]) if place["lon"] is not None else None,
                    notes=f"radius {place['radius_m']:g} m" if place["radius_m"] else None,
                )
            )
            exported.add(place["id"])
        vessel_names = {v["id"]: v["name"] for v in records.iter_records(conn, "vessel")}
        for sighting in records.iter_records(conn, "sighting", order_by="seen_at"):
            vessel_name = vessel_names.get(sighting["vessel"], "a vessel")
            place = places.get(sighting["place"])
            where = (
                place["name"]
                if place
                else (
                    coordinates(sighting["lat"], sighting["lon"])
                    if sighting["lat"] is not None
                    else None
                )
            )
            proof = []
            if sighting["image"] in exported:
                proof.append(entity_id(sighting["image"]))
            if sighting["source"] in exported:
                proof.append(entity_id(sighting["source"]))
            event_id = entity_id(sighting["id"])
            w.emit(
                w.make(
                    "Event",
                    event_id,
                    name=f"{vessel_name} {sighting['activity'] or 'seen'}"
                    + (f" at {where}" if where else ""),
                    date=_date(sighting["seen_at"]),
                    location=where,
                    addressEntity=entity_id(place["id"]) if place else None,
                    proof=proof,
                    summary=f"confidence {sighting['confidence']}"
                    if sighting["confidence"]
                    else None,
                    notes=sighting["note"],
                )
            )
            exported.add(sighting["id"])
            if sighting["vessel"] in exported:
                w.emit(
                    w.make(
                        "UnknownLink",
                        event_id + "-vessel",
                        subject=entity_id(sighting["vessel"]),
                        object=event_id,
                        role="sighted",
                    )
                )
        for finding in records.iter_records(conn, "finding"):
            mentioned, proof = [], []
            for link in records.links_of(conn, finding["id"]):
                if link["other"] not in exported:
                    continue
                if link["other_kind"] in ("source", "image") and link["direction"] == "in":
                    proof.append(entity_id(link["other"]))
                elif link["other_kind"] == "vessel":
                    mentioned.append(entity_id(link["other"]))
            w.emit(
                w.make(
                    "Note",
                    entity_id(finding["id"]),
                    name="Finding",
                    description=finding["text"],
                    entity=mentioned,
                    proof=proof,
                    notes=finding["note"],
                )
            )
            exported.add(finding["id"])
        for link in records.iter_records(conn, "link"):
            if link["from_id"] in exported and link["to_id"] in exported:
                w.emit(
                    w.make(
                        "UnknownLink",
                        entity_id(link["id"]),
                        subject=entity_id(link["from_id"]),
                        object=entity_id(link["to_id"]),
                        role=link["relation"],
                        description=link["note"],
                    )
                )
    return {"path": str(destination), "entities": len(w.ids), "by_schema": w.counts}
