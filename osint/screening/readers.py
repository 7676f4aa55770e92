"""Sanctions lists as published, read in one streaming pass (two for FtM files) into vessels,
the parties that own, operate or manage them, and the relations between them.

Formats, detected from the file's first bytes:

- FollowTheMoney JSON lines (OpenSanctions `entities.ftm.json`, one entity per line, relations as
  entities of their own; `targets.nested.json`, related entities nested inside each target). Read
  with the `followthemoney` library: every kept entity is validated and cleaned by its model.
- OpenSanctions `targets.simple.csv` (one row per target: names, aliases, identifiers).
- OFAC `SDN_ADVANCED.XML` (`osint.screening.ofac_advanced`);
- OFAC `SDN.XML` (the Specially Designated Nationals list; vessels with their identifiers, flag,
  call sign, owner and the names they were formerly known by) and OFAC `sdn.csv` (the same list
  as 12 columns, vessel identifiers and former flags written in the free-text remarks).

Only vessels and their owners/operators/managers are kept, so memory stays flat however large the
file. Anything that is not what the format promises (a line that is not JSON, a row with the
wrong number of fields, XML that stops mid-element) stops the import with the line and the reason.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from osint.errors import InvalidInput

READ_CHUNK = 1024 * 1024


@dataclass
class Listed:
    """One entity of a list as osint keeps it (a vessel, or a party related to one)."""

    entity_id: str
    schema: str
    name: str | None = None
    names: list[tuple[str, str]] = field(default_factory=list)  # (name, name/alias/former/weak)
    imo: str | None = None
    mmsi: str | None = None
    call_sign: str | None = None
    flag: str | None = None
    past_flags: list[str] = field(default_factory=list)
    vessel_type: str | None = None
    country: str | None = None
    programs: list[str] = field(default_factory=list)
    authorities: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    listed_on: str | None = None
    delisted_on: str | None = None
    status: str | None = None
    remarks: str | None = None
    url: str | None = None

    def add_name(self, name: str | None, name_type: str) -> None:
        name = " ".join((name or "").split())
        if not name:
            return
        if self.name is None and name_type == "name":
            self.name = name
        if (name, name_type) not in self.names:
            self.names.append((name, name_type))


@dataclass
class Relation:
    vessel: str  # listed entity id of the vessel
    party: str  # listed entity id of the owner, operator, manager...
    relation: str  # owner, operator, manager, linked
    role: str | None = None
    start: str | None = None
    end: str | None = None


@dataclass
class ListData:
    """What a list file holds, as kept."""

    format: str
    sha256: str = ""
    size: int = 0
    list_name: str | None = None
    publisher: str | None = None
    locator: str | None = None
    published: str | None = None
    published_basis: str | None = None
    entities_read: int = 0
    skipped: dict = field(default_factory=dict)
    vessels: dict[str, Listed] = field(default_factory=dict)
    parties: dict[str, Listed] = field(default_factory=dict)
    relations: list[Relation] = field(default_factory=list)


def _damaged(path: Path, where: str, reason: str) -> InvalidInput:
    return InvalidInput(
        f"{path}: {where}: {reason}; the file is damaged or truncated, nothing was imported"
    )


class _HashingReader(io.RawIOBase):
    """A binary file whose bytes are hashed as they are read (one pass does both)."""

    def __init__(self, handle):
        self.handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.handle.close()
        super().close()

    def readinto(self, buffer) -> int:
        n = self.handle.readinto(buffer)
        if n:
            self.digest.update(memoryview(buffer)[:n])
            self.size += n
        return n or 0


def open_hashed(path: Path):
    raw = _HashingReader(open(path, "rb"))  # noqa: SIM115 (closed by the caller)
    return raw, io.BufferedReader(raw, READ_CHUNK)


def detect(path: Path) -> str:
    """ftm (JSON lines), simple-csv, ofac-xml or ofac-csv, from the first bytes."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not head.strip():
        raise InvalidInput(f"{path}: the file is empty")
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"{"):
        return "ftm"
    if text.startswith(b"<"):
        from osint.screening import ofac_advanced

        if ofac_advanced.looks_like(head):
            return "ofac-advanced-xml"
        if b"sdnList" in head or b"sdnEntry" in head or b"publshInformation" in head:
            return "ofac-xml"
        raise InvalidInput(
            f"{path}: an XML file, but not OFAC's SDN.XML (no sdnList element); "
            "osint reads SDN.XML, sdn.csv and OpenSanctions exports"
        )
    first = text.split(b"\n", 1)[0].decode("utf-8", "replace").strip().lower()
    if first.startswith("id,schema,name"):
        return "simple-csv"
    if re.match(r'^\d+\s*,\s*"', first):
        return "ofac-csv"
    raise InvalidInput(
        f"{path}: not a list format osint knows (OpenSanctions entities.ftm.json, "
        "targets.nested.json, targets.simple.csv; OFAC SDN.XML or sdn.csv)"
    )


def read(path: Path) -> ListData:
    kind = detect(path)
    if kind == "ftm":
        return read_ftm(path)
    if kind == "simple-csv":
        return read_simple_csv(path)
    if kind == "ofac-xml":
        return read_ofac_xml(path)
    if kind == "ofac-advanced-xml":
        from osint.screening import ofac_advanced

        return ofac_advanced.read(path)
    return read_ofac_csv(path)


# ---- helpers shared by the formats -------------------------------------------------------------


def clean_imo(value: str | None) -> str | None:
    """The 7 digits of an IMO number written `IMO 8691702`, `IMO8691702` or `8691702`."""
    if not value:
        return None
    from rigour.ids import IMO

    found = IMO.normalize(str(value))
    return found[3:] if found else None


_MMSI = re.compile(r"(?<!\d)(\d{9})(?!\d)")


def clean_mmsi(value: str | None) -> str | None:
    if not value:
        return None
    match = _MMSI.search(str(value))
    return match.group(1) if match else None


def clean_country(value: str | None) -> str | None:
    """An ISO code (upper case) for a country name or code, as FtM's country type reads it."""
    if not value or not str(value).strip():
        return None
    from followthemoney.types import registry

    code = registry.country.clean(str(value).strip())
    return code.upper() if code else None


def _date(value: str | None) -> str | None:
    if not value:
        return None
    text = str(value).strip()
    match = re.match(r"^(\d{4})(-\d{2})?(-\d{2})?", text)
    return "".join(g for g in match.groups() if g) if match else None


def _latest(a: str | None, b: str | None) -> str | None:
    return max((x for x in (a, b) if x), default=None)


def _earliest(a: str | None, b: str | None) -> str | None:
    return min((x for x in (a, b) if x), default=None)


def _classify(role: str | None, default: str = "owner") -> str:
    text = (role or "").lower()
    if "manag" in text:
        return "manager"
    if "operat" in text:
        return "operator"
    if "own" in text:
        return "owner"
    return default


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

        for number, line in bounded_lines(handle, MAX_LINE, str(path)):
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
                obj = orjson.loads(again.readline(MAX_LINE + 1))
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
            for _, line in bounded_lines(handle2, MAX_LINE, str(path)):
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


# ---- OpenSanctions targets.simple.csv -------------------------------------------------------------


# No list row comes near this; a longer line is refused with its number, never held whole.
MAX_LINE = 16 * 1024 * 1024


def _text_lines(handle, name: object = "the list file") -> Iterator[str]:
    from osint.boundedio import LineGuard

    guarded = io.BufferedReader(LineGuard(handle, MAX_LINE, refuse=str(name)), READ_CHUNK)
    return io.TextIOWrapper(guarded, encoding="utf-8-sig", errors="replace", newline="")


def read_simple_csv(path: Path) -> ListData:
    data = ListData(format="simple-csv")
    raw, handle = open_hashed(path)
    last_seen = None
    datasets: dict[str, int] = {}
    try:
        reader = csv.reader(_text_lines(handle, path))
        try:
            header = [h.strip().lower() for h in next(reader)]
        except StopIteration:
            raise InvalidInput(f"{path}: the file is empty") from None
        width = len(header)
        col = {name: i for i, name in enumerate(header)}
        for required in ("id", "schema", "name"):
            if required not in col:
                raise InvalidInput(f"{path}: no {required} column in the header")
        try:
            for row in reader:
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                if len(row) != width:
                    raise _damaged(
                        path,
                        f"line {reader.line_num}",
                        f"{len(row)} fields where the header has {width}",
                    )
                data.entities_read += 1

                def get(name, row=row):
                    i = col.get(name)
                    return row[i].strip() if i is not None and row[i].strip() else None

                last_seen = _latest(last_seen, _date(get("last_seen") or get("last_change")))
                if get("schema") != "Vessel":
                    continue
                item = Listed(entity_id=get("id") or "", schema="Vessel")
                item.add_name(get("name"), "name")
                for alias in (get("aliases") or "").split(";"):
                    item.add_name(alias, "alias")
                for ident in (get("identifiers") or "").split(";"):
                    ident = ident.strip()
                    if not ident:
                        continue
                    imo = clean_imo(ident) if not re.fullmatch(r"\d{9}", ident) else None
                    if imo and not item.imo:
                        item.imo = imo
                    elif not item.mmsi and re.fullmatch(r"(?:MMSI\s*)?\d{9}", ident, re.I):
                        item.mmsi = clean_mmsi(ident)
                countries = [c.strip() for c in (get("countries") or "").split(";") if c.strip()]
                if countries:
                    item.flag = clean_country(countries[0])
                    item.country = item.flag
                sanctions = [s.strip() for s in (get("sanctions") or "").split(";") if s.strip()]
                item.programs = sanctions
                item.status = "sanctioned" if sanctions else "listed"
                for name in (get("dataset") or "").split(";"):
                    if name.strip():
                        item.authorities.append(name.strip())
                        datasets[name.strip()] = datasets.get(name.strip(), 0) + 1
                item.listed_on = _date(get("first_seen"))
                data.vessels[item.entity_id] = item
        except csv.Error as exc:
            raise _damaged(path, f"line {reader.line_num}", f"unreadable CSV ({exc})") from None
        data.sha256 = raw.digest.hexdigest()
        data.size = raw.size
    finally:
        handle.close()
    if len(datasets) == 1:
        data.list_name = next(iter(datasets))
    elif datasets:
        data.list_name = f"OpenSanctions ({len(datasets)} datasets)"
    data.publisher = "OpenSanctions"
    if last_seen:
        data.published, data.published_basis = last_seen, "latest last_seen date of its entities"
    return data


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
