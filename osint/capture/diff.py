"""`osint source diff ID`: what changed in a source's text from one capture to the next."""

from __future__ import annotations

import difflib

from osint import sources
from osint.case import records
from osint.errors import InvalidInput


def _describe(snapshot: dict) -> dict:
    return {
        "snapshot": snapshot["id"],
        "retrieved_at": snapshot["retrieved_at"],
        "method": snapshot.get("method"),
        "http_status": snapshot.get("http_status"),
        "sha256": snapshot["sha256"],
        "text_sha256": snapshot.get("text_sha256"),
    }


def _lines(conn, snapshot: dict) -> list[str]:
    text = sources.snapshot_text(conn, snapshot)
    return [] if text is None else text.splitlines()


def diff_source(
    conn, source_ref: str, *, from_ref: str | None = None, to_ref: str | None = None, context=2
) -> list[dict]:
    """One entry per pair of consecutive snapshots (or the pair asked for), oldest first.

    Each: from, to (snapshot, time, status, hashes), changed, added, removed (line counts),
    status_change, and diff (unified diff lines, without the file header).
    """
    _, source = records.resolve(conn, source_ref, ["source"])
    snapshots = sources.snapshots_of(conn, source["id"])
    if len(snapshots) < 2 and not (from_ref and to_ref):
        raise InvalidInput(
            f"source {source['id'][:8]} has {len(snapshots)} snapshot(s): capture it again "
            "(osint capture URL) to compare"
        )
    by_id = {s["id"]: s for s in snapshots}

    def pick(ref: str) -> dict:
        matches = [s for s in snapshots if s["id"].startswith(ref.lower())]
        if len(matches) != 1:
            raise InvalidInput(
                f"{ref!r} is not one snapshot of source {source['id'][:8]} "
                f"(its snapshots: {', '.join(s['id'][:8] for s in snapshots)})"
            )
        return by_id[matches[0]["id"]]

    if from_ref or to_ref:
        first = pick(from_ref) if from_ref else snapshots[0]
        second = pick(to_ref) if to_ref else snapshots[-1]
        pairs = [(first, second)]
    else:
        pairs = list(zip(snapshots, snapshots[1:], strict=False))
    out = []
    for old, new in pairs:
        a, b = _lines(conn, old), _lines(conn, new)
        lines = list(difflib.unified_diff(a, b, lineterm="", n=context))[2:]
        added = sum(1 for line in lines if line.startswith("+"))
        removed = sum(1 for line in lines if line.startswith("-"))
        status_change = None
        if old.get("http_status") != new.get("http_status"):
            status_change = f"HTTP {old.get('http_status')} -> {new.get('http_status')}"
        out.append(
            {
                "source": source["id"],
                "from": _describe(old),
                "to": _describe(new),
                "changed": old.get("text_sha256") != new.get("text_sha256"),
                "added": added,
                "removed": removed,
                "status_change": status_change,
                "diff": lines,
            }
        )
    return out
