"""Inline SVG figures: well-formed, and case text never becomes markup."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from osint.briefs import charts

HOSTILE = '<script>alert(1)</script>" onload="alert(2)'


def test_map_is_well_formed_and_escapes_names():
    svg = charts.map_svg(
        [{"name": HOSTILE, "lat": 42.73, "lon": 133.06, "radius_m": 2500}],
        [{"lat": 42.74, "lon": 133.07, "label": HOSTILE}],
    )
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert not any(el.tag.endswith("script") for el in root.iter())
    assert all("onload" not in el.attrib for el in root.iter())
    assert HOSTILE in "".join(root.itertext())


def test_map_without_coordinates_is_empty():
    assert charts.map_svg([{"name": "x", "lat": None, "lon": None}], []) == ""


def test_bar_chart_draws_one_bar_per_value_and_the_reference_line():
    svg = charts.bar_chart_svg(
        [("2024-03", 4), ("2024-04", 6), ("2024-05", 0)], title="Visits", reference=(5, "UN cap")
    )
    root = ET.fromstring(svg)
    bars = [el for el in root.iter() if el.tag.endswith("rect")]
    assert len(bars) == 3
    assert "UN cap" in "".join(root.itertext())
