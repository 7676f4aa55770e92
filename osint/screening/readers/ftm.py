"""FollowTheMoney JSON lines (flat and nested), read with the followthemoney library."""

from __future__ import annotations

import re
from array import array
from pathlib import Path

from osint.errors import InvalidInput
from osint.fileio import open_hashed
from osint.screening.readers import common
from osint.screening.readers.common import (  # noqa: F401  # noqa: F401
    _classify,
    _date,
    _earliest,
    _latest,
    clean_country,
    clean_imo,
    clean_mmsi,
)
from osint.screening.readers.model import ListData, Listed, Relation, _damaged  # noqa: F401

READ_CHUNK = 1024 * 1024


# ---- FollowTheMoney JSON lines (flat and nested) --------------------------------------------------

# Relation schemas that tie a party to a vessel: schema -> (party property, vessel property).
FTM_RELATIONS = {
    "Ownership": ("owner", "asset"),
    "UnknownLink": ("subject", "object"),
}
_ID = re.compile(rb'"id"\s*:\s*"((?:[^"\\]|\\.)*)"')
_SCHEMA = re.compile(rb'"schema"\s*:\s*"(\w+)"')


def _flatten(model, data: dict, out: list[dict]) -> str | None:
    """Nested entities (targets.nested.json) become entities of their own, referenced by id.

    A related entity nested under a reverse property (a vessel's `ownershipAsset`) gets the
    parent's id in the forward property (the ownership's `asset`), as in a flat export.
    """
    schema = model.get(data.get("schema") or "")
    entity_id = data.get("id")
    if schema is None or not entity_id:
        return entity_id
    properties = data.get("properties") or {}
    flat: dict[str, list] = {}
    for name, values in properties.items():
        if not isinstance(values, list):
            values = [values]
        prop = schema.get(name)
        kept = []
        for value in values:
            if isinstance(value, dict):
                child_id = _flatten(model, value, out)
                if prop is not None and prop.stub and prop.reverse is not None and child_id:
                    for child in out:
                        if child.get("id") == child_id:
                            forward = child.setdefault("properties", {})
                            refs = forward.setdefault(prop.reverse.name, [])
                            if entity_id not in refs:
                                refs.append(entity_id)
                elif child_id:
                    kept.append(child_id)
            else:
                kept.append(value)
        if kept and not (prop is not None and prop.stub):
            flat[name] = kept
    out.append({**data, "properties": flat})
    return entity_id


def _proxy(model, data: dict):
    from followthemoney.exc import InvalidData

    try:
        return model.get_proxy(
            {"id": data["id"], "schema": data["schema"], "properties": data["properties"]},
            cleaned=False,
        )
    except (InvalidData, KeyError, TypeError, ValueError):
        return None


def read_ftm(path: Path) -> ListData:
    """FtM JSON lines: vessels, the relation entities naming them, then the parties they name."""
    import orjson
    from followthemoney import model

    data = ListData(format="ftm")
    vessels: dict[str, dict] = {}
    relations: list[dict] = []
    pending = array("q")  # offsets of lines holding relation entities, read once vessels are known
    datasets: dict[str, int] = {}
    last_seen: str | None = None
    skipped: dict[str, int] = {}
    raw, handle = open_hashed(path)
    try:
        offset = 0
        number = 0
        from osint.boundedio import bounded_lines

        for number, line in bounded_lines(handle, common.MAX_LINE, str(path)):
            start = offset
            offset += len(line)
            if not line.strip():
                continue
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise _damaged(path, f"line {number}", f"not valid JSON ({exc})") from None
            if not isinstance(obj, dict) or not obj.get("id") or not obj.get("schema"):
                raise _damaged(
                    path, f"line {number}", "not a FollowTheMoney entity (no id or schema)"
                )
            data.entities_read += 1
            seen = obj.get("last_seen") or obj.get("last_change")
            if seen and isinstance(seen, str) and (last_seen is None or seen > last_seen):
                last_seen = seen
            schema = obj["schema"]
            if model.get(schema) is None:
                skipped[schema] = skipped.get(schema, 0) + 1
                continue
            if schema == "Vessel":
                entities: list[dict] = []
                _flatten(model, obj, entities)
                for entity in entities:
                    if entity["schema"] == "Vessel":
                        for name in entity.get("datasets") or obj.get("datasets") or ():
                            datasets[name] = datasets.get(name, 0) + 1
                        _merge_raw(vessels, entity)
                    else:
                        relations.append(entity)
            elif schema in FTM_RELATIONS or schema == "Sanction" or line.count(b'"schema"') > 1:
                pending.append(start)
        data.sha256 = raw.digest.hexdigest()
        data.size = raw.size
    finally:
        handle.close()
    if not number:
        raise InvalidInput(f"{path}: the file is empty")
    last_seen = _date(last_seen)
    # Relations and sanctions naming a kept vessel (their lines, read again by offset).
    if pending:
        with open(path, "rb") as again:
            for start in pending:
                again.seek(start)
                obj = orjson.loads(again.readline(common.MAX_LINE + 1))
                if not _names_vessel(obj, vessels) and not _has_nested(obj):
                    continue  # a relation or sanction of something else
                entities = []
                _flatten(model, obj, entities)
                # Keep only what names a kept vessel (or, nested, the parties beside it).
                if any(_names_vessel(e, vessels) for e in entities):
                    relations.extend(e for e in entities if e.get("schema") != "Vessel")
    party_ids: set[str] = set()
    sanctions: list[dict] = []
    links: list[tuple[str, str, str, dict]] = []
    for entity in relations:
        props = entity.get("properties") or {}
        if entity.get("schema") == "Sanction":
            if any(ref in vessels for ref in props.get("entity", ())):
                sanctions.append(entity)
            continue
        pair = FTM_RELATIONS.get(entity.get("schema"))
        if pair is None:
            continue
        party_prop, vessel_prop = pair
        for vessel in props.get(vessel_prop, ()):
            if vessel in vessels:
                for party in props.get(party_prop, ()):
                    links.append((vessel, party, entity["schema"], entity))
                    party_ids.add(party)
        if entity["schema"] == "UnknownLink":  # either direction
            for vessel in props.get("subject", ()):
                if vessel in vessels:
                    for party in props.get("object", ()):
                        links.append((vessel, party, "UnknownLink", entity))
                        party_ids.add(party)
    for vessel in vessels.values():
        props = vessel.get("properties") or {}
        for prop in ("owner", "operator"):
            for party in props.get(prop, ()):
                party_ids.add(party)
    party_ids -= set(vessels)
    parties_raw: dict[str, dict] = {}
    for entity in relations:
        if entity.get("id") in party_ids:
            _merge_raw(parties_raw, entity)
    wanted = party_ids - set(parties_raw)
    if wanted:
        # The parties themselves: one more pass, parsing only the lines that hold one.
        raw2, handle2 = open_hashed(path)
        try:
            for _, line in bounded_lines(handle2, common.MAX_LINE, str(path)):
                match = _ID.search(line)
                if match is None:
                    continue
                if match.group(1).decode("utf-8", "replace") in wanted:
                    obj = orjson.loads(line)
                    entities = []
                    _flatten(model, obj, entities)
                    for entity in entities:
                        if entity.get("id") in wanted:
                            _merge_raw(parties_raw, entity)
        finally:
            handle2.close()
        if raw2.digest.hexdigest() != data.sha256:
            raise InvalidInput(f"{path}: the file changed while it was being read; try again")
    # Build the kept entities through the FtM model (validated and cleaned values).
    for raw_vessel in vessels.values():
        proxy = _proxy(model, raw_vessel)
        if proxy is None:
            skipped["invalid Vessel"] = skipped.get("invalid Vessel", 0) + 1
            continue
        data.vessels[proxy.id] = _from_proxy(proxy, raw_vessel)
    for raw_party in parties_raw.values():
        proxy = _proxy(model, raw_party)
        if proxy is not None and proxy.schema.is_a("LegalEntity"):
            data.parties[proxy.id] = _from_proxy(proxy, raw_party)
    ended: dict[str, list[str | None]] = {}
    active: set[str] = set()
    for sanction in sanctions:
        proxy = _proxy(model, sanction)
        if proxy is None:
            continue
        for ref in proxy.get("entity"):
            vessel = data.vessels.get(ref)
            if vessel is None:
                continue
            _apply_sanction(vessel, proxy)
            ends = proxy.get("endDate")
            end = _date(max(ends)) if ends else None
            if end and (last_seen is None or end <= last_seen):
                ended.setdefault(ref, []).append(end)
            else:
                active.add(ref)
    for vessel in data.vessels.values():
        _settle_status(vessel, vessel.entity_id in active, ended.get(vessel.entity_id))
        raw_props = vessels.get(vessel.entity_id, {}).get("properties") or {}
        for prop in ("owner", "operator"):
            for party in raw_props.get(prop, ()):
                if party in data.parties:
                    data.relations.append(Relation(vessel.entity_id, party, prop))
    for vessel_id, party, schema, entity in links:
        if vessel_id not in data.vessels or party not in data.parties:
            continue
        props = entity.get("properties") or {}
        role = "; ".join(props.get("role", ())) or None
        relation = _classify(role, "owner" if schema == "Ownership" else "linked")
        data.relations.append(
            Relation(
                vessel_id,
                party,
                relation,
                role,
                _date(min(props.get("startDate", ()) or [""]) or None),
                _date(max(props.get("endDate", ()) or [""]) or None),
            )
        )
    data.relations = _unique_relations(data.relations)
    data.skipped = skipped
    if len(datasets) == 1:
        data.list_name = next(iter(datasets))
    elif datasets:
        data.list_name = f"OpenSanctions ({len(datasets)} datasets)"
    data.publisher = "OpenSanctions" if datasets else None
    if last_seen:
        data.published, data.published_basis = last_seen, "latest last_seen date of its entities"
    return data


def _names_vessel(entity: dict, vessels: dict) -> bool:
    if entity.get("schema") not in FTM_RELATIONS and entity.get("schema") != "Sanction":
        return False
    return any(
        isinstance(ref, str) and ref in vessels
        for values in (entity.get("properties") or {}).values()
        for ref in values
    )


def _has_nested(obj: dict) -> bool:
    return any(
        isinstance(v, dict)
        for values in (obj.get("properties") or {}).values()
        if isinstance(values, list)
        for v in values
    )


def _merge_raw(store: dict[str, dict], entity: dict) -> None:
    existing = store.get(entity["id"])
    if existing is None:
        store[entity["id"]] = entity
        return
    props = existing.setdefault("properties", {})
    for name, values in (entity.get("properties") or {}).items():
        bucket = props.setdefault(name, [])
        bucket.extend(v for v in values if v not in bucket)


def _from_proxy(proxy, raw: dict) -> Listed:
    item = Listed(entity_id=proxy.id, schema=proxy.schema.name)
    for prop, name_type in (
        ("name", "name"),
        ("alias", "alias"),
        ("previousName", "former"),
        ("weakAlias", "weak"),
    ):
        for value in proxy.get(prop, quiet=True):
            item.add_name(value, name_type)
    if item.name is None and proxy.caption:
        item.add_name(proxy.caption, "name")
    if proxy.schema.name == "Vessel":
        for value in proxy.get("imoNumber"):
            item.imo = item.imo or clean_imo(value)
        for value in proxy.get("mmsi"):
            item.mmsi = item.mmsi or clean_mmsi(value)
        item.call_sign = next(iter(proxy.get("callSign")), None)
        flags = proxy.get("flag")
        item.flag = flags[0].upper() if flags else None
        item.past_flags = [f.upper() for f in proxy.get("pastFlags")] + [
            f.upper() for f in flags[1:]
        ]
        item.vessel_type = next(iter(proxy.get("type")), None)
    countries = proxy.get("country", quiet=True) or proxy.get("jurisdiction", quiet=True)
    item.country = countries[0].upper() if countries else None
    item.topics = sorted(proxy.get("topics", quiet=True))
    item.programs = sorted(set(proxy.get("program", quiet=True)))
    item.authorities = sorted(raw.get("datasets") or [])
    notes = proxy.get("notes", quiet=True)
    item.remarks = "; ".join(notes) if notes else None
    urls = proxy.get("sourceUrl", quiet=True)
    item.url = urls[0] if urls else None
    return item


def _apply_sanction(vessel: Listed, sanction) -> None:
    for program in sanction.get("program"):
        if program not in vessel.programs:
            vessel.programs.append(program)
    for authority in sanction.get("authority"):
        if authority not in vessel.authorities:
            vessel.authorities.append(authority)
    start = min(sanction.get("listingDate") + sanction.get("startDate"), default=None)
    if start:
        vessel.listed_on = _earliest(vessel.listed_on, _date(start))


def _settle_status(vessel: Listed, active: bool, ended: list | None) -> None:
    """sanctioned / delisted (every sanction ended) / linked (to a sanctioned party) / listed."""
    if ended and not active:
        vessel.status = "delisted"
        vessel.delisted_on = max(ended)
    elif active or "sanction" in vessel.topics:
        vessel.status = "sanctioned"
    elif any(t.startswith("sanction.") for t in vessel.topics):
        vessel.status = "linked"
    else:
        vessel.status = "listed"


def _unique_relations(relations: list[Relation]) -> list[Relation]:
    seen = set()
    out = []
    for rel in relations:
        key = (rel.vessel, rel.party, rel.relation, rel.role, rel.start, rel.end)
        if key not in seen:
            seen.add(key)
            out.append(rel)
    return out
