"""The screenshot shows the archived page: a page that rewrites itself or navigates away by script
or meta refresh is pictured as it was archived, and what the browser fetched joins the capture."""

from __future__ import annotations

import io

import pytest
from capture_server import Site, serve

from osint.capture import warc
from osint.case.handle import open_case
from osint.case.store import blobs

HOSTILE = """<!doctype html><html><head><title>Archived</title>
<meta http-equiv="refresh" content="0;url=/elsewhere">
<style>html, body { background: #d00000; margin: 0; } h1 { color: white; }</style>
<link rel="stylesheet" href="/style.css">
<script>
document.documentElement.innerHTML = '<body style="background:#00d000"><h1>REWRITTEN</h1></body>';
location.href = '/elsewhere';
</script></head>
<body><h1>ARCHIVED</h1><img src="/pixel.png" width="300" height="300"></body></html>"""

ELSEWHERE = """<!doctype html><html><body style="background:#00d000"><h1>LIVE</h1></body></html>"""


def _png(color) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (30, 30), color).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def hostile_site():
    site = Site()
    site.add("/hostile", HOSTILE)
    site.add("/elsewhere", ELSEWHERE)
    site.add("/style.css", "h1 { font-size: 60px }", content_type="text/css")
    site.add("/pixel.png", _png((0, 0, 208)), content_type="image/png")
    with serve(site) as url:
        yield site, url


def test_the_screenshot_shows_the_archived_page_not_what_its_scripts_make_of_it(
    cli, case_path, hostile_site
):
    from osint.capture.screenshot import find_chromium

    if not find_chromium():
        pytest.skip("Chromium is not installed")
    site, base = hostile_site
    [item] = cli.json("capture", f"{base}/hostile", "--screenshot")
    shot = item["screenshot"]
    assert shot, item["warnings"]
    # The page was fetched once (the capture), never again; the navigation away never left.
    assert site.hits["/hostile"] == 1
    assert "/elsewhere" not in site.hits
    with open_case(case_path) as case:
        png = blobs.read_bytes(case.conn, shot["sha256"])
        row = case.conn.execute(
            "SELECT sha256 FROM snapshots WHERE id = ?", (item["capture"]["snapshot"],)
        ).fetchone()
        warc_bytes = blobs.read_bytes(case.conn, row[0])
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    red, green, blue = image.getpixel((image.width - 5, image.height - 5))
    assert red > 150 and green < 80, "the archived red page, not the rewritten green one"
    # The subresources Chromium fetched are in the same capture's WARC, with their bytes.
    records = warc.read_records(io.BytesIO(warc_bytes), "capture", max_content=1 << 20,
                                keep_content=None)  # fmt: skip
    fetched = {r.uri.rsplit("/", 1)[-1]: r for r in records if r.type == "response"}
    assert {"hostile", "pixel.png", "style.css"} <= set(fetched)
    assert fetched["pixel.png"].content == site.routes["/pixel.png"][2]
    assert site.hits["/pixel.png"] == 1
    # The picture says what it depicts.
    caption = cli.json("show", shot["id"])["caption"]
    assert "archived response" in caption and "scripts disabled" in caption
    assert "navigations away were blocked" in caption and "sandbox" in caption
    assert cli.json("verify")["ok"] is True


def test_the_sandbox_is_on_unless_the_system_forbids_it():
    from osint.capture.browser import DevTools, find_chromium

    if not find_chromium():
        pytest.skip("Chromium is not installed")
    import os

    try:
        browser = DevTools.start()
    except Exception as exc:  # pragma: no cover - depends on the machine
        pytest.skip(f"Chromium does not start here: {exc}")
    with browser:
        browser.call("Browser.getVersion", timeout=60)
        if os.geteuid() == 0:
            assert browser.sandbox.startswith("off: ") and "root" in browser.sandbox
        else:
            assert browser.sandbox == "on" or browser.sandbox.startswith("off: the system")
