"""Times as investigators know them: ISO 8601 text in UTC, at the precision that is known.

A date stays a date (`2024-03`, `2024-03-05`); a time of day is converted to UTC and written to the
second (`2024-03-05T10:00:00Z`). A time without an offset is taken to be UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

from osint.errors import InvalidInput

_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")
_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?$"
)


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """`2024-03-05T10:00:00Z` for an aware datetime (naive ones are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_iso() -> str:
    return iso(now())


def parse_offset(text: str) -> timezone:
    """`+09:00`, `+0900`, `-05`, `Z` as a timezone."""
    if text in ("Z", "z", "UTC"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 23 or minutes > 59:
        raise ValueError(f"bad UTC offset {text!r}")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_when(text: str, field: str = "time") -> str:
    """Normalise a user-given date or time; raise InvalidInput naming `field` when it is not one."""
    value = (text or "").strip()
    match = _PARTIAL_DATE.match(value)
    try:
        if match:
            year, month, day = match.groups()
            date(int(year), int(month or 1), int(day or 1))  # validates the calendar
            return value
        match = _DATETIME.match(value)
        if match:
            year, month, day, hour, minute, second, fraction, offset = match.groups()
            moment = datetime(
                int(year), int(month), int(day), int(hour), int(minute), int(second or 0)
            )
            moment = moment.replace(tzinfo=parse_offset(offset) if offset else UTC)
            return iso(moment)
    except ValueError as exc:
        raise InvalidInput(f"{field}: {text!r} is not a valid date or time ({exc})") from None
    raise InvalidInput(
        f"{field}: {text!r} is not a date or time "
        "(use 2024-03-05, 2024-03 or 2024-03-05T10:00:00Z, with an offset if not UTC)"
    )


def bound(text: str, field: str, *, end: bool = False) -> str:
    """A --from/--to bound as a full UTC timestamp; a date covers its whole day (month, year)."""
    value = parse_when(text, field)
    if "T" in value:
        return value
    parts = [int(p) for p in value.split("-")]
    year, month, day = (
        parts[0],
        parts[1] if len(parts) > 1 else None,
        parts[2] if len(parts) > 2 else None,
    )
    start = datetime(year, month or 1, day or 1, tzinfo=UTC)
    if not end:
        return iso(start)
    if day is not None:
        stop = start + timedelta(days=1)
    elif month is not None:
        stop = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)
    else:
        stop = datetime(year + 1, 1, 1, tzinfo=UTC)
    return iso(stop - timedelta(seconds=1))


def to_epoch(value: str) -> int:
    """Seconds since 1970 for a normalised time (a date counts from its start)."""
    return int(datetime.fromisoformat(bound(value, "time").replace("Z", "+00:00")).timestamp())


def from_epoch(seconds: float) -> str:
    return iso(datetime.fromtimestamp(seconds, UTC))


def sort_key(value: str | None) -> str:
    """A key that orders partial dates and full times together (a date sorts at its start)."""
    if not value:
        return "9999"
    return value if "T" in value else bound(value, "time")
