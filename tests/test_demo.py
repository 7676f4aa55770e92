"""`osint demo` builds the worked example, which verifies, and exports its briefs."""

from __future__ import annotations

import json


def test_demo_builds_a_verified_case_and_briefs(bare_cli, tmp_path):
    result = bare_cli("--json", "demo", "out")
    outputs = json.loads(result.stdout)
    case = outputs["case"]
    assert json.loads(bare_cli("--case", case, "--json", "verify").stdout)["ok"] is True
    quotes = json.loads(bare_cli("--case", case, "--json", "list", "quotes").stdout)
    speakers = {q["speaker"] for q in quotes}
    assert {
        "David Lammy",
        "Joe Byrne",
        "Hugh Griffiths",
        "Go Myong-hyun",
        "Penton-Voak",
        "Andrei Lankov",
    } <= speakers
    assert all(q["verified"] for q in quotes)
    findings = json.loads(bare_cli("--case", case, "--json", "list", "findings").stdout)
    assert any("43" in f["text"] for f in findings)
    brief_md = (tmp_path / "out" / "brief.md").read_text()
    brief_html = (tmp_path / "out" / "brief.html").read_text()
    assert "500,000" in brief_md and "Go Myong-hyun" in brief_html


def test_demo_rebuilds_its_own_folder_but_not_a_real_case(bare_cli, tmp_path, case_path):
    bare_cli("demo", "out")
    bare_cli("demo", "out")
    (tmp_path / "real").mkdir()
    case_path.rename(tmp_path / "real" / "case.db")
    result = bare_cli("demo", "real", expect=1)
    assert "not the demo case" in result.stderr
