"""The demo's behaviour step: at least one encounter, one dark sighting and one anomaly, all
marked illustrative in the brief."""

from __future__ import annotations

from osint.demo import case_file, events, maritime


def test_demo_shows_an_encounter_a_dark_sighting_and_an_anomaly(case, tmp_path):
    case_file.build(case, tmp_path)
    maritime.build(case, tmp_path)
    out = events.build(case, tmp_path)
    assert out["encounters"] >= 1 and out["dark_sightings"] >= 1 and out["anomalies"] >= 1
    from osint.briefs import export_brief

    export_brief(case, tmp_path / "brief.md")
    text = tmp_path.joinpath("brief.md").read_text()
    section = text[text.index("## Behaviour at sea") :]
    assert "RYONGMUN" in section and "MUNDOK" in section
    assert "**dark**" in section and "impossible speed" in section
    assert section.count("*(illustrative)*") >= 3
    assert (tmp_path / "events.geojson").exists()
