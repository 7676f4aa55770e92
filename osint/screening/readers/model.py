"""What a list reader yields: listed vessels and parties, their relations, the list as read."""

from __future__ import annotations

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
