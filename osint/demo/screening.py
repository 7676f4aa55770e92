"""Demo step: a sanctions list, screened; one tanker is found under the name it used to have.

ILLUSTRATIVE DATA. The list below is invented for the demo, in the OpenSanctions FtM format a
real export has: it lists an illustrative tanker under SONG RIM HO, the name the demo's SONGRIM
HO sailed under before it was renamed SONGRIM (see `osint.demo.maritime`). Screening finds it by
that former name, and the result is recorded as a finding the list's source supports.
"""

from __future__ import annotations

import json
from pathlib import Path

from osint.case import records
from osint.screening import lists, screen

LIST_NAME = "ILLUSTRATIVE demo list (invented, not a real sanctions list)"
NOTE = (
    "ILLUSTRATIVE: a list invented for the osint demo in the OpenSanctions FtM format; "
    "no real authority published it."
)


def _entities() -> list[dict]:
    meta = {"datasets": ["osint_demo"], "last_seen": "2024-09-01T00:00:00"}
    return [
        {"id": "demo-san-1", "schema": "Sanction", **meta,
         "properties": {"entity": ["demo-ves-1"], "authority": ["Illustrative authority"],
                        "program": ["ILLUSTRATIVE"], "listingDate": ["2024-08-15"]}},
        {"id": "demo-own-1", "schema": "Ownership", **meta,
         "properties": {"owner": ["demo-co-1"], "asset": ["demo-ves-1"],
                        "role": ["Registered owner"]}},
        {"id": "demo-co-1", "schema": "Company", **meta,
         "properties": {"name": ["Illustrative Maritime Co (invented)"]}},
        {"id": "demo-ves-1", "schema": "Vessel", **meta,
         "properties": {"name": ["SONG RIM HO"], "flag": ["kp"], "type": ["Oil tanker"],
                        "notes": [NOTE]}},
        {"id": "demo-ves-2", "schema": "Vessel", **meta,
         "properties": {"name": ["NAMPO STAR"], "imoNumber": ["IMO1000011"], "flag": ["kp"],
                        "notes": [NOTE]}},
    ]  # fmt: skip


def build(case, folder) -> dict:
    folder = Path(folder)
    path = folder / "illustrative-list.ftm.json"
    path.write_text(
        "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in _entities()), encoding="utf-8"
    )
    imported = lists.import_list(
        case, path, name=LIST_NAME, locator="osint demo: illustrative list", grade="F", note=NOTE
    )
    vessel = next(
        (v for v in records.iter_records(case.conn, "vessel") if v["name"] == "SONGRIM"), None
    )
    if vessel is None:
        return {"list_import": imported["import"]["id"], "findings": []}
    result = screen.screen(case.conn, [vessel["id"]])
    matched = [row for row in result["rows"] if row["found"]]
    recorded = screen.record(case, matched, threshold=result["threshold"])
    return {
        "list_import": imported["import"]["id"],
        "matches": matched,
        "findings": [r["finding"] for r in recorded],
    }
