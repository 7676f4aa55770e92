"""What `osint show` adds for sources (their snapshots and quotes) and quotes (their source)."""

from __future__ import annotations

import sqlite3

from osint.case import records


def source_details(conn: sqlite3.Connection, source: dict) -> dict:
    from osint import sources

    lines = []
    for snap in sources.snapshots_of(conn, source["id"]):
        current = " (current)" if snap["id"] == source.get("snapshot") else ""
        lines.append(
            f"{snap['id'][:8]} {snap['retrieved_at']} {snap['media_type']} {snap['size']:,} bytes "
            f"sha256:{snap['sha256']}{current}"
        )
    quotes = [
        f"{q['id'][:8]} {'verified' if q['verified'] else 'UNVERIFIED'} {q['speaker'] or '?'}: {q['text'][:70]}"
        for q in records.iter_records(conn, "quote", where="source = ?", params=[source["id"]])
    ]
    out = {}
    if lines:
        out["snapshots"] = lines
    if quotes:
        out["quotes"] = quotes
    return out


def quote_details(conn: sqlite3.Connection, quote: dict) -> dict:
    source = records.get(conn, "source", quote["source"]) if quote.get("source") else None
    if not source:
        return {}
    state = (
        f"verified at characters {quote['start_char']}-{quote['end_char']} of snapshot {quote['snapshot'][:8]}"
        if quote.get("verified")
        else "UNVERIFIED: not checked against a text snapshot"
    )
    return {"source": [f"{source['id']} {source['title']} ({source['locator']})", state]}
