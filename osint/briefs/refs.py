"""Numbered references (S1 source, Q1 quote, I1 image, V1 vessel, P1 place, O1 sighting, VQ1 visits
query, F1 finding) and the small value helpers every part of a brief shares."""

from __future__ import annotations

import re

REF_PREFIX = {
    "source": "S",
    "quote": "Q",
    "image": "I",
    "sighting": "O",
    "vessel": "V",
    "place": "P",
    "finding": "F",
    "visit-query": "VQ",
    "event-query": "EQ",
    "ais-track": "T",
}
OTHER_PREFIX = "R"  # records of kinds without a section of their own (listed under "Also cited")
_ILLUSTRATIVE = re.compile(r"^\W*illustrative\b", re.I)


class Ref(dict):
    """A record in the template context: a dict whose text form is its label."""

    def __str__(self) -> str:
        return str(
            self.get("label") or self.get("title") or self.get("name") or self.get("id") or ""
        )


class References:
    """Numbered references (S1, Q2, ...) for every record a brief may cite.

    `shown` holds the references that have an anchor in the brief, so links only point to
    something the reader can find.
    """

    def __init__(self):
        self.by_id: dict[str, str] = {}
        self.counters: dict[str, int] = {}
        self.shown: set[str] = set()

    def assign(self, kind: str, record_id: str) -> str:
        if record_id not in self.by_id:
            prefix = REF_PREFIX.get(kind, OTHER_PREFIX)
            self.counters[prefix] = self.counters.get(prefix, 0) + 1
            self.by_id[record_id] = f"{prefix}{self.counters[prefix]}"
        return self.by_id[record_id]

    def get(self, record_id: str | None) -> str | None:
        return self.by_id.get(record_id) if record_id else None

    def id_of(self, ref: str | None) -> str | None:
        """The record id a reference stands for (None when unknown)."""
        if len(getattr(self, "_ids", ())) != len(self.by_id):
            self._ids = {label: record_id for record_id, label in self.by_id.items()}
        return self._ids.get(ref) if ref else None

    def anchor(self, ref: str | None) -> str | None:
        """The reference when the brief shows that record (a link can point to it), else None."""
        return ref if ref and ref in self.shown else None


def http_url(value: str | None) -> str | None:
    """The value when it is an http(s) URL (the only links a brief makes), else None."""
    if not value:
        return None
    text = str(value).strip()
    if re.match(r"^https?://[^\s<>\"'`\\]+$", text, re.I) and not re.search(
        r"[\x00-\x1f\x7f]", text
    ):
        return text
    return None


def is_illustrative(*texts) -> bool:
    """Whether a record says it is illustrative (demo or made-up data), in its note or text."""
    return any(bool(text) and bool(_ILLUSTRATIVE.match(str(text))) for text in texts)


def _ref_key(ref: str | None) -> tuple[str, int]:
    match = re.match(r"^([A-Z]+)(\d+)$", ref or "")
    return (match.group(1), int(match.group(2))) if match else (ref or "", 0)


def cite_groups(cites: list[dict]) -> list[dict]:
    """Citations with runs of consecutive references of one kind folded: O1, O2, O3 -> O1-O3."""
    groups: list[dict] = []
    for cite in cites:
        prefix, number = _ref_key(cite["ref"])
        last = groups[-1] if groups else None
        if (
            last
            and last["prefix"] == prefix
            and number
            and last["number"] + 1 == number
            and last["count"] >= 1
        ):
            last["last"] = cite
            last["number"] = number
            last["count"] += 1
            continue
        groups.append({"first": cite, "last": None, "prefix": prefix, "number": number, "count": 1})
    out = []
    for group in groups:
        if group["count"] == 2:  # two in a row read better listed: O1, O2
            out += [{"first": group["first"], "last": None}, {"first": group["last"], "last": None}]
        else:
            out.append({"first": group["first"], "last": group["last"]})
    return out
