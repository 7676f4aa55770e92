"""Keeping a behaviour query as evidence: its command, parameters, rule and rows as an
`event-query` record that supports a new finding, citing the AIS imports (file, SHA-256) and the
tracks the rows were computed from, and linked to them and to the sightings it checked."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from osint.case import records
from osint.maritime.events import core

TITLES = {
    "encounters": "Encounters at sea",
    "loitering": "Loitering at sea",
    "anomalies": "AIS anomalies",
    "dark": "Dark activity (AIS switched off)",
    "sightings-check": "Sightings checked against AIS",
}


def _vessels_in(rows: list[dict]) -> set[str]:
    out = set()
    for row in rows:
        for key in ("vessel", "vessel_a", "vessel_b"):
            value = row.get(key)
            if isinstance(value, dict) and value.get("id"):
                out.add(value["id"])
    return out


def _summary(command: str, rows: list[dict]) -> str:
    if command == "sightings-check":
        counts: dict[str, int] = {}
        for row in rows:
            counts[row["status"]] = counts.get(row["status"], 0) + 1
        return ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "none"
    if command == "anomalies":
        counts = {}
        for row in rows:
            counts[row["kind"]] = counts.get(row["kind"], 0) + 1
        return ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())) or "none"
    return f"{len(rows)} found"


def record(
    case,
    command: str,
    rows: list[dict],
    parameters: dict,
    rule: str,
    *,
    text: str | None = None,
    unavailable: dict | None = None,
) -> tuple[dict, dict]:
    """(finding, event-query) for a result; the query keeps parameters, rule and rows."""
    from osint.case import kinds

    conn = case.conn
    vessel_ids = _vessels_in(rows)
    imports = core.imports_citing(conn, vessel_ids)
    title = f"{TITLES.get(command, command)}: {_summary(command, rows)}"
    notes = [f"{kind}: {why}" for kind, why in (unavailable or {}).items()]
    evidence: dict[str, Any] = {
        "ais_imports": imports,
        "vessels": sorted(vessel_ids),
        "sightings": sorted({r["sighting"] for r in rows if r.get("sighting")}),
    }
    stored_parameters = {**parameters, "unavailable": unavailable or None}
    with case.writing():
        query_row = records.create(
            case,
            "event-query",
            {
                "title": title,
                "command": f"osint {'sightings check' if command == 'sightings-check' else 'ais ' + command}",
                "parameters": json.dumps(stored_parameters, ensure_ascii=False, sort_keys=True),
                "rule": rule,
                "events": len(rows),
                "result": json.dumps(rows, ensure_ascii=False),
                "evidence": json.dumps(evidence, ensure_ascii=False),
                "note": "; ".join(notes) or None,
            },
            added_from=f"osint {command} (query re-run over the case at this time)",
        )
        finding = records.create(
            case,
            "finding",
            {"text": kinds.text(text or title, "finding text"), "note": f"rule: {rule}"},
            added_from=f"event-query {query_row['id']}",
        )
        records.link(case, query_row["id"], finding["id"], "supports", "the query and its rows")
        for item in imports:
            for track in item["tracks"]:
                records.link(case, track, query_row["id"], "supports")
        for sighting in evidence["sightings"]:
            records.link(case, sighting, query_row["id"], "supports")
    return finding, query_row


def query_details(conn: sqlite3.Connection, row: dict) -> dict:
    """`osint show EVENT-QUERY`: parameters, rule, the rows and the imports they came from."""
    try:
        parameters = json.loads(row.get("parameters") or "{}")
        result = json.loads(row.get("result") or "[]")
        evidence = json.loads(row.get("evidence") or "{}")
    except ValueError:
        return {"problem": ["the stored query cannot be read"]}
    lines = []
    for item in result[:200]:
        who = " / ".join(
            (item[k].get("name") or item[k].get("mmsi") or "?")
            for k in ("vessel", "vessel_a", "vessel_b")
            if isinstance(item.get(k), dict)
        )
        when = item.get("start") or item.get("when") or ""
        what = item.get("status") or item.get("kind") or ""
        reason = item.get("reason") or (f"{item['hours']} h" if item.get("hours") else "")
        lines.append(f"{when} {what}: {who} {reason}".strip())
    if len(result) > 200:
        lines.append(f"... and {len(result) - 200} more")
    return {
        "query": [
            row.get("command") or "",
            "rule: " + (row.get("rule") or ""),
            "parameters: "
            + ", ".join(f"{k}={v}" for k, v in sorted(parameters.items()) if v is not None),
        ],
        "rows": lines,
        "AIS imports cited": [
            f"{i['file']} sha256 {i['sha256'][:16]} (import {i['id'][:8]}, {len(i['tracks'])} tracks)"
            for i in evidence.get("ais_imports", [])
        ],
    }
