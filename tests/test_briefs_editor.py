"""The brief as an editor reads it: the bottom line with stated confidence, the headline
comparison computed from the case, method and limits, plain-word copy, record ids, the map's
extent and outliers, the marking, case text that cannot reorder the page, and --pdf's message
when Chromium is missing."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest
from test_briefs import Page

from osint import briefs, sources
from osint.briefs import basemap


@pytest.fixture
def one_visit_case(tmp_path, cli, case):
    """One vessel, one visit (plurals), a recorded estimate with a cap, a far-off photo."""
    from osint.maritime import places, sightings, vessels, visits

    source = sources.add_source(case, "https://example.org/a", title="Report", grade="B")
    place = places.add_place(case, "Berth", (42.73, 133.06), radius_m=1500)
    ship, _ = vessels.add_vessel(case, "SHIP ONE", capacity_bbl=30000)
    sightings.add_sighting(case, ship["id"], when="2024-03-09T03:53:00Z", place=place["id"],
                           source=source["id"])  # fmt: skip
    sightings.add_sighting(case, ship["id"], when="2024-03-15T03:53:00Z", at="51.5,-0.12",
                           source=source["id"])  # fmt: skip
    result = visits.compute(case.conn, visits.Query(place=[place["id"]]))
    visits.record(case, result, estimate=True, cap_bbl=20000, text="The ship loaded once.")
    sources.add_finding(case, "A low one.", supported_by=[source["id"]], confidence="low")
    sources.add_finding(case, "A sure one.", supported_by=[source["id"]], confidence="high")
    sources.add_finding(case, "An unrated one.", supported_by=[source["id"]])
    return case


def test_the_bottom_line_states_confidence_and_the_comparison_from_the_case(
    tmp_path, cli, one_visit_case
):
    out = tmp_path / "brief.html"
    cli("export", "brief", "-o", out)
    html = out.read_text(encoding="utf-8")
    page = Page(html)
    bottom = html[html.index('id="bottom-line"') : html.index('id="findings"')]
    bottom_text = Page(bottom).text
    # The rated findings, high first; the unrated one waits in the findings list.
    assert bottom_text.index("A sure one.") < bottom_text.index("A low one.")
    assert "High confidence" in bottom_text and "Low confidence" in bottom_text
    assert "An unrated one." not in bottom_text
    # Estimated barrels against the cap recorded with the estimate, rounded once, in words.
    assert "About 30,000 barrels in 1 visit by 1 vessel to Berth" in bottom_text
    assert "1.5 times the cap of 20,000 barrels a year" in bottom_text
    assert "1.50 times" not in page.text and "capacity_bbl" not in page.text
    assert "1 visits" not in page.text and "1 vessels" not in page.text
    # Method and limits say how, on what and what the case cannot show.
    method = Page(
        html[html.index('id="method"') : html.index("</section>", html.index('id="method"'))]
    ).text
    for words in ("How visits were counted", "48 hours", "Berth within 1,500 m",
                  "How the estimate was made", "Sources and grades", "1 graded B",
                  "What the case cannot show"):  # fmt: skip
        assert words in method, words
    # The far-off sighting is listed, not drawn: the map stays on the berth.
    assert "Not on the map" in method and "51.5000, -0.1200" in method
    # Findings show their confidence too, and every entry its record id.
    assert page.text.count("Confidence not stated") == 2  # the unrated one and the estimate
    ids = re.findall(r'<code class="rid"[^>]*>([0-9a-f-]{8})</code>', html)
    assert len(ids) >= 8


def test_a_marking_on_every_page_and_the_case_title_in_the_print_footer(tmp_path, cli, case):
    cli("finding", "add", "x")
    out = tmp_path / "brief.html"
    cli("export", "brief", "-o", out, "--marking", 'DRAFT - "NOT" FOR </style> PUBLICATION')
    html = out.read_text(encoding="utf-8")
    style = html[html.index("<style>") : html.index("</style>")]
    assert "@top-center" in style and "@bottom-left" in style and "counter(pages)" in style
    # The marking and the title are CSS-escaped strings: nothing ends the string or the style.
    marking = re.search(r'@top-center \{ content: ("[^"]*");', style).group(1)
    assert "DRAFT" in marking and "</" not in marking and '\\"' not in marking
    assert "Test case" in re.search(r'@bottom-left \{ content: ("[^"]*");', style).group(1)
    assert Page(html).text.count('DRAFT - "NOT" FOR </style> PUBLICATION') == 1  # the banner
    cli("export", "brief", "-o", out, "--marking", "x" * 121, expect=1)


def test_case_text_cannot_reorder_or_hide_the_page(tmp_path, cli):
    cli("finding", "add", "Tanker \u202eNOITACILBUP ROF\u202c seen \x1b[2J at \u2066berth\u2069")
    out = tmp_path / "brief.html"
    cli("export", "brief", "-o", out)
    html = out.read_text(encoding="utf-8")
    for char in ("\u202e", "\u202c", "\u2066", "\u2069", "\x1b"):
        assert char not in html
    assert "Tanker ⟨U+202E⟩NOITACILBUP ROF⟨U+202C⟩ seen ␛[2J at ⟨U+2066⟩berth⟨U+2069⟩" in html
    # Case text sits in isolating elements: a right-to-left name cannot reorder what follows.
    assert re.search(r"<bdi[^>]*>Tanker ", html)
    assert "unicode-bidi: isolate" in html
    md = tmp_path / "brief.md"
    cli("export", "brief", "-o", md)
    assert "\u202e" not in md.read_text(encoding="utf-8")


def test_pdf_without_chromium_says_so_and_keeps_the_html(tmp_path, cli, monkeypatch):
    monkeypatch.setenv("OSINT_CHROMIUM", str(tmp_path / "no-such-chromium"))
    cli("finding", "add", "x")
    result = cli("export", "brief", "-o", tmp_path / "b.html", "--pdf", expect=1)
    assert "Chromium" in result.stderr and "apt install chromium" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert (tmp_path / "b.html").is_file() and not (tmp_path / "b.pdf").exists()
    result = cli("export", "brief", "-o", tmp_path / "b.md", "--pdf", expect=1)
    assert "printed from the HTML brief" in result.stderr


def test_the_timeline_does_not_repeat_the_sightings(tmp_path, cli, one_visit_case):
    out = tmp_path / "brief.html"
    cli("export", "brief", "-o", out)
    html = out.read_text(encoding="utf-8")
    timeline = Page(html[html.index('id="timeline"') : html.index('id="sources"')]).text
    assert "2 sightings of 1 vessel" in timeline
    assert "SHIP ONE arriving" not in timeline and "SHIP ONE seen" not in timeline


def test_the_map_fits_the_places_and_lists_outliers():
    places = [{"name": "Berth", "lat": 42.73, "lon": 133.06, "radius_m": 1500}]
    points = [{"lat": 42.74, "lon": 133.07, "label": "O1"}]
    pictures = [{"lat": 51.5, "lon": -0.12, "label": "I9 a stray photo"}]
    svg, outliers = basemap.map_svg(places, points, pictures=pictures)
    assert [o["label"] for o in outliers] == ["I9 a stray photo"] and outliers[0]["km"] > 7000
    ticks = re.findall(r">(\d+(?:\.\d+)?)°([NSEW])<", svg)
    lons = sorted(float(v) for v, h in ticks if h == "E")
    # Round-degree ticks, evenly stepped, on the berth's side of the world, no 200 degrees E.
    assert lons and all(132 <= v <= 134.5 for v in lons)
    steps = {round(b - a, 3) for a, b in zip(lons, lons[1:], strict=False)}
    assert len(steps) == 1
    assert 'class="land"' in svg and "Natural Earth" in svg and ">N<" in svg
    assert re.search(r">\d+ km<", svg)
    # Across the antimeridian the map does not span the globe.
    svg, outliers = basemap.map_svg(
        [{"name": "A", "lat": 65.0, "lon": 179.8, "radius_m": 1000},
         {"name": "B", "lat": 65.1, "lon": -179.8, "radius_m": 1000}], [])  # fmt: skip
    assert outliers == [] and "180" in svg or "179" in svg


def test_the_basemap_is_public_domain_data_shipped_in_the_package():
    folder = Path(briefs.__file__).parent / "data"
    data = json.loads(gzip.decompress((folder / "basemap.json.gz").read_bytes()))
    assert "Natural Earth" in data["source"] and "public domain" in data["licence"]
    assert len(data["land"]) > 1000 and len(data["borders"]) > 100
    assert (folder / "basemap.json.gz").stat().st_size < 200_000
    assert "naturalearthdata.com/about/terms-of-use" in (folder / "make_basemap.py").read_text()


def test_osint_show_explains_that_brief_labels_are_per_export(cli):
    result = cli("show", "S1", expect=1)
    assert "reference label of one exported brief" in result.stderr
    assert "Traceback" not in result.stderr
