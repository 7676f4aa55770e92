"""The HTML brief in a real browser: headless Chromium over the DevTools protocol (see browser.py).

Opens the demo brief from disk and checks what a reader would notice: no console errors, no
request other than the file itself and its data: pictures (it opens offline), every picture
decoded, and that it prints (a PDF of several A4 pages). Screenshots of the screen and print
layouts are saved beside the test's files, and copied to $OSINT_SCREENSHOTS when it is set.
Skips when no Chromium is installed (`.ci/run` installs Debian's `chromium`).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from browser import find_chromium, running

pytestmark = pytest.mark.skipif(find_chromium() is None, reason="Chromium is not installed")


@pytest.fixture(scope="module")
def browser():
    with running() as chromium:
        yield chromium


def _keep(path: Path) -> None:
    folder = os.environ.get("OSINT_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(folder) / path.name)


def _not_blank(png: Path) -> tuple[int, int]:
    from PIL import Image

    with Image.open(png) as im:
        colours = im.convert("L").getextrema()
        assert colours[1] - colours[0] > 100, "the screenshot is blank"
        return im.size


def test_the_demo_brief_renders_offline_with_every_picture(browser, tmp_path):
    from osint.demo import build_demo

    build_demo(tmp_path / "demo", actor="Browser Test")
    brief = tmp_path / "demo" / "brief.html"
    report, session = browser.load(brief)
    assert report.errors == []
    assert [r for r in report.requests if not r.startswith(("file:", "data:"))] == []
    # Four thumbnails and the four pictures at full resolution (original and annotated copy).
    assert len(report.images) == 8
    assert all(img["complete"] and img["width"] > 0 for img in report.images), report.images
    assert browser.evaluate("document.querySelectorAll('script').length", session) == 0
    # The map, the cumulative barrels against the cap, the visits per month, and the behaviour
    # section's map of the encounters.
    assert browser.evaluate("document.querySelectorAll('section svg.figure').length", session) == 4
    # Laid out as designed: the stylesheet applied, the page is long, the gallery has columns.
    assert report.height > 3000
    columns = browser.evaluate(
        "getComputedStyle(document.querySelector('.gallery')).gridTemplateColumns.split(' ').length",
        session,
    )
    assert columns >= 2
    screen = browser.screenshot(session, tmp_path / "brief-screen.png", width=1280)
    width, height = _not_blank(screen)
    assert width == 1280 and height > 3000
    printed = browser.screenshot(session, tmp_path / "brief-print.png", width=794, media="print")
    _not_blank(printed)
    pdf = browser.pdf(session, tmp_path / "brief.pdf")
    data = pdf.read_bytes()
    assert (
        data.startswith(b"%PDF") and data.count(b"/Type /Page\n") + data.count(b"/Type/Page") >= 1
    )
    for path in (screen, printed, pdf):
        _keep(path)


def test_hostile_case_text_runs_nothing_in_the_browser(browser, tmp_path):
    from test_briefs import PAYLOADS, build_hostile_case, export

    payload = " ".join(PAYLOADS[:3] + PAYLOADS[6:10] + PAYLOADS[12:13])
    path = build_hostile_case(tmp_path, payload)
    brief = export(path, tmp_path / "brief.html", exported_by=payload)
    report, session = browser.load(brief)
    assert report.errors == []
    assert [r for r in report.requests if not r.startswith(("file:", "data:"))] == []
    dialogs = [e for e in browser.events if e["method"] == "Page.javascriptDialogOpening"]
    assert dialogs == []
    assert browser.evaluate("document.querySelectorAll('script, iframe').length", session) == 0
    assert browser.evaluate("document.title", session).startswith(payload[:20])
    _keep(browser.screenshot(session, tmp_path / "hostile.png", height=1600))


BOTTOM_LINE_JS = """JSON.stringify({
  headline: document.querySelector('#bottom-line .headline').getBoundingClientRect().bottom,
  first: document.querySelector('#bottom-line .key-findings li').getBoundingClientRect().bottom,
  confidence: document.querySelector('#bottom-line .confidence').textContent,
  viewport: window.innerHeight
})"""

REFS_JS = """JSON.stringify(Array.from(document.querySelectorAll('a.ref, a.cite, span.ref, span.cite'))
  .map(e => ({text: e.textContent, id: e.dataset.id || null, inEntry: !!e.closest('[id]')})))"""

ENTRY_IDS_JS = """JSON.stringify(Array.from(document.querySelectorAll('code.rid'))
  .map(e => e.textContent))"""

MAP_JS = """JSON.stringify((() => {
  const svg = document.querySelector('svg.map');
  const frame = svg.querySelector('defs clipPath rect').getBBox();
  const land = svg.querySelector('path.land');
  return {frame: [frame.x, frame.y, frame.width, frame.height], d: land ? land.getAttribute('d') : ''};
})())"""


def _all_ids(case_path: Path) -> list[str]:
    import sqlite3

    with sqlite3.connect(case_path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        out = []
        for table in tables:
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
            if "id" in columns:
                out += [str(r[0]) for r in conn.execute(f"SELECT id FROM {table}")]
        return out


def test_a_reader_sees_the_bottom_line_first_and_every_reference_leads_to_the_case(
    browser, tmp_path
):
    import json
    import re

    from osint.demo import build_demo

    build_demo(tmp_path / "demo", actor="Browser Test")
    report, session = browser.load(tmp_path / "demo" / "brief.html", width=1280)
    assert report.errors == []
    # The headline comparison and the first key finding are on the first screen.
    top = json.loads(browser.evaluate(BOTTOM_LINE_JS, session))
    assert top["headline"] < top["viewport"] and top["first"] < top["viewport"], top
    assert top["confidence"] == "High confidence"
    text = browser.evaluate("document.querySelector('#bottom-line').innerText", session)
    assert "2.0 times the cap of 500,000 barrels a year" in text and "982,000" in text
    # Every reference names the record's id, and that prefix finds exactly one record.
    ids = _all_ids(tmp_path / "demo" / "case.db")
    refs = json.loads(browser.evaluate(REFS_JS, session))
    assert len(refs) > 100
    for ref in refs:
        assert ref["id"] and re.fullmatch(r"[0-9a-f-]{8}", ref["id"]), ref
        assert sum(1 for i in ids if i.startswith(ref["id"])) == 1, ref
    entry_ids = json.loads(browser.evaluate(ENTRY_IDS_JS, session))
    assert len(entry_ids) >= 13 + 48 + 8 + 2  # vessels, sightings, quotes, sources at least
    assert all(sum(1 for i in ids if i.startswith(p)) == 1 for p in entry_ids)
    # The map draws coastline inside its frame (Natural Earth, shipped), not a bare grid.
    drawn = json.loads(browser.evaluate(MAP_JS, session))
    x, y, w, h = drawn["frame"]
    points = [tuple(map(float, p)) for p in re.findall(r"([\d.]+),([\d.]+)", drawn["d"])]
    inside = [p for p in points if x <= p[0] <= x + w and y <= p[1] <= y + h]
    assert len(inside) >= 10, drawn
    _keep(browser.screenshot(session, tmp_path / "bottom-line.png", width=1280, height=900))


def test_the_one_pager_prints_on_one_a4_page_and_the_pdf_is_made_offline(
    browser, tmp_path, monkeypatch
):
    from osint.briefs import export_brief
    from osint.briefs.pdf import page_count
    from osint.case.handle import open_case
    from osint.demo import build_demo

    build_demo(tmp_path / "demo", actor="Browser Test")
    with open_case(tmp_path / "demo" / "case.db") as case:
        one = export_brief(case, tmp_path / "one.html", template="one-pager",
                           marking="DRAFT - NOT FOR PUBLICATION")  # fmt: skip
        pdf = export_brief(case, tmp_path / "full.pdf", marking="DRAFT - NOT FOR PUBLICATION")
    _, session = browser.load(one)
    printed = browser.pdf(session, tmp_path / "one.pdf").read_bytes()
    assert page_count(printed) == 1
    # --pdf: the HTML brief beside its PDF, several A4 pages.
    assert pdf == tmp_path / "full.pdf" and (tmp_path / "full.html").is_file()
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and page_count(data) >= 4
    assert b"/MediaBox [0 0 594.9" in data  # A4
    for path in (tmp_path / "one.pdf", pdf):
        _keep(path)
