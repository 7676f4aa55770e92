"""Helpers shared by the list formats: identifiers, countries, dates, roles."""

from __future__ import annotations

import re

from osint.screening.readers.model import ListData, Listed, Relation, _damaged  # noqa: F401

READ_CHUNK = 1024 * 1024
# No list row comes near this; a longer line is refused with its number, never held whole.
MAX_LINE = 16 * 1024 * 1024


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
