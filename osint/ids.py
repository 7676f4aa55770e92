"""Record ids.

Ids are random UUIDs (version 4) in their canonical lowercase text form. They are made once, never
reused and never derived from content, so two colleagues' cases merge by id without renumbering.

We chose random over time-ordered ids (ULID, UUIDv7) on purpose: users type id *prefixes*, and the
leading characters of a time-ordered id are a timestamp, shared by every record made in the same
few minutes, so a 6-character prefix would almost never be unique. Records carry their creation time
in `added_at`, and the audit log keeps their order.
"""

from __future__ import annotations

import re
import uuid

MIN_PREFIX = 6

_ID_CHARS = re.compile(r"^[0-9a-f-]+$")


def new_id() -> str:
    """A new globally unique record id."""
    return str(uuid.uuid4())


def looks_like_id_prefix(text: str) -> bool:
    """True when `text` could be (the start of) a record id or a SHA-256."""
    return len(text) >= MIN_PREFIX and bool(_ID_CHARS.match(text.lower()))


def prefix_upper_bound(prefix: str) -> str:
    """The smallest string greater than every string starting with `prefix` (for range scans)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


_RECORD_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def is_record_id(text) -> bool:
    """True when `text` is an id osint makes (a canonical lowercase UUID version 4)."""
    return isinstance(text, str) and bool(_RECORD_ID.match(text))
