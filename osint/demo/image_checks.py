"""The demo's pictures checked for consistency (`osint image check --record`), after the
sightings that show them exist: one illustrative picture passes every check it can run, one
fails (taken, by its EXIF time, when the sun was down at the terminal)."""

from __future__ import annotations

from osint.case import records
from osint.imagery.checks import FAIL, check_image, record_check


def build(case, folder) -> dict:
    results = {"passed": None, "failed": None}
    for image in records.iter_records(case.conn, "image", where="derived_from IS NULL"):
        result = check_image(case.conn, image["id"])
        failed = any(c["result"] == FAIL for c in result["checks"])
        slot = "failed" if failed else "passed"
        if results[slot] is None and result["summary"]["pass"] >= 3:
            results[slot] = record_check(case, result)["id"]
        if all(results.values()):
            break
    return results
