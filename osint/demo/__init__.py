"""`osint demo`: the worked example, the Vostochny tanker case, built step by step.

Each step is a module with `build(case, folder)`, declared by its feature (osint.features); a
feature whose optional libraries are not installed is left out of the demo, and the result says so.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from osint import features
from osint.errors import CaseExists

TITLE = "Vostochny: North Korean tankers loading Russian oil (worked example)"
SUMMARY = (
    "Worked example for osint, after a news report: satellite imagery showed more than a dozen "
    "North Korean tankers calling at an oil terminal in Russia's Far East 43 times in eight "
    "months, about a million barrels against a UN cap of 500,000 a year. Vessels, identifiers, "
    "images and sightings in this case are illustrative, made up for the demo."
)

def _is_demo_case(path: Path) -> bool:
    import sqlite3

    try:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT title FROM case_info LIMIT 1").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return bool(row) and row[0] == TITLE


def build_demo(folder, *, actor: str | None = None, command: str | None = None) -> dict:
    """Build the demo case in `folder` (replacing an earlier demo there) and export its briefs."""
    from osint.case.handle import init_case

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    case_path = folder / "case.db"
    if case_path.exists():
        if not _is_demo_case(case_path):
            raise CaseExists(f"{case_path} exists and is not the demo case: give another folder")
        case_path.unlink()
    outputs: dict = {"case": str(case_path), "briefs": [], "left_out": []}
    with init_case(case_path, title=TITLE, summary=SUMMARY, actor=actor, command=command) as case:
        for feature, step in features.demo_steps():
            if features.missing_requirements(feature):
                outputs["left_out"].append(f"{feature.name} (needs osint[{feature.extra}])")
                continue
            importlib.import_module(step).build(case, folder)
        from osint.briefs import export_brief

        for name in ("brief.md", "brief.html"):
            export_brief(case, folder / name)
            outputs["briefs"].append(str(folder / name))
    return outputs
