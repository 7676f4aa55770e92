"""Field parsers: how `osint edit --set FIELD=VALUE` and the add commands read a value.

Each takes the text and the field's name (for the one-line error) and returns the stored value.
"""

from __future__ import annotations

from osint.errors import InvalidInput


def text(value: str, name: str = "value") -> str:
    value = value.strip()
    if not value:
        raise InvalidInput(f"{name}: must not be empty")
    return value


def optional_text(value: str | None, name: str = "value") -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


GRADES = {
    "A": "completely reliable",
    "B": "usually reliable",
    "C": "fairly reliable",
    "D": "not usually reliable",
    "E": "unreliable",
    "F": "reliability cannot be judged",
}
CREDIBILITY = {
    1: "confirmed by other sources",
    2: "probably true",
    3: "possibly true",
    4: "doubtful",
    5: "improbable",
    6: "truth cannot be judged",
}


def grade(value: str | None, name: str = "grade") -> str | None:
    """The Admiralty (NATO) source-reliability letter, A to F."""
    if value is None or not value.strip():
        return None
    letter = value.strip().upper()
    if letter not in GRADES:
        raise InvalidInput(f"{name}: {value!r} is not an Admiralty reliability grade (A to F)")
    return letter


def credibility(value, name: str = "credibility") -> int | None:
    """The Admiralty information-credibility digit, 1 to 6."""
    if value is None or str(value).strip() == "":
        return None
    try:
        digit = int(str(value).strip())
    except ValueError:
        digit = 0
    if digit not in CREDIBILITY:
        raise InvalidInput(f"{name}: {value!r} is not an information credibility (1 to 6)")
    return digit


def when(value: str | None, name: str = "date") -> str | None:
    if value is None or not value.strip():
        return None
    from osint.timeutil import parse_when

    return parse_when(value, name)


def _degrees(value, name: str, limit: int, what: str) -> float | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        number = float("nan")
    if not -limit <= number <= limit:
        raise InvalidInput(f"{name}: {value!r} is not a {what} (-{limit} to {limit})")
    return number


def latitude(value, name: str = "lat") -> float | None:
    return _degrees(value, name, 90, "latitude")


def longitude(value, name: str = "lon") -> float | None:
    return _degrees(value, name, 180, "longitude")
