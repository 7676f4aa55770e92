"""Ship identifiers: IMO numbers (check digit), MMSIs (form, MID, flag state), flags.

Every check returns a reason a user can act on. Callers decide what a failure means: `vessel add`
refuses it, `vessel add --force` records the identifier flagged as unverified (a fraudulent IMO
is evidence too), the AIS importer skips or counts the row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from osint.errors import InvalidInput
from osint.maritime.mid import MID

_IMO_TEXT = re.compile(r"^\s*(?:IMO)?[\s:.#-]*(\d+)\s*$", re.IGNORECASE)


def imo_problem(digits: str) -> str | None:
    """Why a 7-digit string is not a valid IMO number, or None when it is.

    The seventh digit is the last digit of the sum of the first six weighted 7, 6, 5, 4, 3, 2
    (IMO Resolution A.1117(30)): 9321483 -> 9*7+3*6+2*5+1*4+4*3+8*2 = 123 -> check digit 3.
    """
    if len(digits) != 7 or not digits.isdigit():
        return f"an IMO number has 7 digits ({len(digits)} given)"
    if digits[0] == "0":
        return "IMO numbers do not start with 0"
    total = sum(int(d) * w for d, w in zip(digits[:6], range(7, 1, -1), strict=True))
    expected = total % 10
    if int(digits[6]) != expected:
        return f"check digit is {digits[6]} but the first six digits give {expected}"
    return None


def imo_digits(text: str) -> str | None:
    """The digits of `IMO 9321483`, `IMO9321483`, `imo: 9321483` or `9321483`; None if no number."""
    match = _IMO_TEXT.match(str(text or ""))
    return match.group(1) if match else None


def imo_check_digit(first_six: str) -> int:
    """The check digit completing six digits (used to invent valid illustrative numbers)."""
    return sum(int(d) * w for d, w in zip(first_six, range(7, 1, -1), strict=True)) % 10


def parse_imo(text: str | None, name: str = "--imo", *, force: bool = False):
    """(digits, problem) for a user-given IMO; raises InvalidInput naming `name` unless forced.

    With force, an invalid number is kept (as given, digits only when there are digits) with its
    problem, so it is recorded flagged as unverified.
    """
    if text is None or not str(text).strip():
        return None, None
    digits = imo_digits(text)
    problem = imo_problem(digits) if digits else "not a number"
    if problem and not force:
        raise InvalidInput(
            f"{name}: {text!r} is not a valid IMO number ({problem}); "
            "use --force to record it flagged as unverified"
        )
    return (digits or str(text).strip()), problem


@dataclass(frozen=True)
class MmsiInfo:
    """What an MMSI's form says: the station kind, its MID and the MID's country."""

    mmsi: int
    station: str  # ship, group, coast, sar-aircraft, aid-to-navigation, craft, handheld, sart, mob, epirb
    mid: int | None
    flag: str | None
    country: str | None

    @property
    def is_ship(self) -> bool:
        return self.station == "ship"


def mmsi_info(mmsi: int | str) -> MmsiInfo:
    """Classify a 9-digit MMSI by its form (ITU-R M.585). Raises ValueError if not 9 digits."""
    text = str(mmsi).strip()
    if len(text) != 9 or not text.isdigit():
        raise ValueError(f"an MMSI has 9 digits ({len(text)} given)")
    first = text[0]
    if first in "234567":
        station, mid = "ship", int(text[:3])
    elif text.startswith("00"):
        station, mid = "coast", int(text[2:5])
    elif first == "0":
        station, mid = "group", int(text[1:4])
    elif text.startswith("111"):
        station, mid = "sar-aircraft", int(text[3:6])
    elif text.startswith("970"):
        station, mid = "sart", None
    elif text.startswith("972"):
        station, mid = "mob", None
    elif text.startswith("974"):
        station, mid = "epirb", None
    elif text.startswith("98"):
        station, mid = "craft", int(text[2:5])
    elif text.startswith("99"):
        station, mid = "aid-to-navigation", int(text[2:5])
    elif first == "8":
        station, mid = "handheld", int(text[1:4])
    else:
        station, mid = "other", None
    flag, country = MID.get(mid, (None, None)) if mid is not None else (None, None)
    return MmsiInfo(int(text), station, mid, flag, country)


STATION_NAMES = {
    "coast": "a coast station",
    "group": "a group call",
    "sar-aircraft": "a search-and-rescue aircraft",
    "sart": "an AIS search-and-rescue transmitter",
    "mob": "a man-overboard device",
    "epirb": "an EPIRB beacon",
    "craft": "a craft associated with a parent ship",
    "aid-to-navigation": "an aid to navigation",
    "handheld": "a handheld radio",
    "other": "not a ship station",
}


def mmsi_problem(text: str) -> tuple[MmsiInfo | None, str | None]:
    """(info, problem) for a vessel's MMSI: 9 digits, a ship station's form, an allocated MID."""
    try:
        info = mmsi_info(text)
    except ValueError as exc:
        return None, str(exc)
    if not info.is_ship:
        return info, f"the form is that of {STATION_NAMES.get(info.station, info.station)}"
    if info.mid not in MID:
        return info, f"MID {info.mid} is not allocated to any country"
    return info, None


def parse_mmsi(text: str | None, name: str = "--mmsi", *, force: bool = False):
    """(mmsi text, MmsiInfo or None, problem) for a user-given MMSI; refuses invalid unless forced."""
    if text is None or not str(text).strip():
        return None, None, None
    value = re.sub(r"[\s-]", "", str(text)).removeprefix("MMSI").removeprefix("mmsi").strip(":")
    info, problem = mmsi_problem(value)
    if problem and not force:
        raise InvalidInput(
            f"{name}: {text!r} is not a valid ship MMSI ({problem}); "
            "use --force to record it flagged as unverified"
        )
    return value, info, problem


def mmsi_flag(mmsi: str | int | None) -> tuple[str | None, str | None]:
    """(ISO code, country) of a ship MMSI's MID, (None, None) when unknown."""
    if mmsi is None:
        return None, None
    try:
        info = mmsi_info(mmsi)
    except ValueError:
        return None, None
    return (info.flag, info.country) if info.mid is not None else (None, None)


_KNOWN_FLAGS = {code for code, _ in MID.values() if code}


def parse_flag(text: str | None, name: str = "--flag") -> str | None:
    """A flag state as an ISO 3166-1 alpha-2 code (`KP`, `ru`); a country name the MID table knows works too."""
    if text is None or not str(text).strip():
        return None
    value = str(text).strip()
    if len(value) == 2 and value.isalpha():
        return value.upper()
    lowered = value.casefold()
    for code, country in MID.values():
        if code and (country.casefold() == lowered or country.split(" (")[0].casefold() == lowered):
            return code
    raise InvalidInput(f"{name}: {value!r} is not a two-letter ISO country code (e.g. KP, RU, PA)")


def known_flag(code: str) -> bool:
    return code in _KNOWN_FLAGS
