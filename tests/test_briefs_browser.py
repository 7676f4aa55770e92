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
    assert len(report.images) == 4
    assert all(img["complete"] and img["width"] > 0 for img in report.images), report.images
    assert browser.evaluate("document.querySelectorAll('script').length", session) == 0
    assert browser.evaluate("document.querySelectorAll('section svg').length", session) == 2
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
