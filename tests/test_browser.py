"""osint.capture.browser: Chromium discovery and the DevTools pipe client.

The page-level uses are tested elsewhere (test_capture.py screenshots, test_briefs_browser.py);
here what they do not reach: finding Chromium, failures to start, a browser that stops, refuses
or is late, and that closing leaves no process or profile behind. The tests that need a real
Chromium skip without one.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import tempfile
import time

import pytest
from browser import running

from osint.capture.browser import (
    BrowserError,
    BrowserStopped,
    BrowserTimeout,
    DevTools,
    find_chromium,
)


def _script(path, body: str):
    path.write_text(f"#!{sys.executable}\n{body}\n")
    path.chmod(0o755)
    return path


def test_find_chromium_takes_osint_chromium_then_path(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    found = _script(bin_dir / "chromium", "")
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.delenv("OSINT_CHROMIUM", raising=False)
    assert find_chromium() == str(found)
    mine = _script(bin_dir / "my-chrome", "")
    monkeypatch.setenv("OSINT_CHROMIUM", str(mine))
    assert find_chromium() == str(mine)
    monkeypatch.setenv("OSINT_CHROMIUM", "my-chrome")  # a name on PATH
    assert find_chromium() == str(mine)
    monkeypatch.setenv("OSINT_CHROMIUM", str(tmp_path / "missing"))
    assert find_chromium() is None
    with pytest.raises(BrowserError, match="Chromium is not installed"):
        DevTools.start()


def test_a_binary_that_cannot_start_leaves_no_profile(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    not_executable = tmp_path / "chromium"
    not_executable.write_text("")
    for binary in (tmp_path / "missing", not_executable):
        with pytest.raises(BrowserError, match=f"cannot start {binary} "):
            DevTools.start(str(binary))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chromium"]


def test_a_browser_that_dies_is_reported_with_its_last_words(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dying = _script(tmp_path / "dying", "import sys\nsys.exit('fatal: no display here')")
    with DevTools.start(str(dying)) as browser, pytest.raises(BrowserStopped) as stopped:
        browser.call("Browser.getVersion", timeout=20)
    assert str(stopped.value) == "Chromium stopped: fatal: no display here"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dying"]  # profile deleted


# ---- a real Chromium ---------------------------------------------------------------------------

needs_chromium = pytest.mark.skipif(find_chromium() is None, reason="Chromium is not installed")


@pytest.fixture(scope="module")
def chromium():
    with running(DevTools) as browser:
        yield browser


@needs_chromium
def test_refusals_and_lateness_are_errors_and_the_pipe_goes_on(chromium):
    with pytest.raises(BrowserError, match="Chromium refused Nothing.atAll: .*"):
        chromium.call("Nothing.atAll")
    with pytest.raises(BrowserTimeout):
        chromium.call("Browser.getVersion", timeout=0)
    chromium.deadline = time.monotonic() - 1  # an overall limit beats a long timeout
    with pytest.raises(BrowserTimeout):
        chromium.call("Browser.getVersion", timeout=60)
    chromium.deadline = None
    # The late reply is passed over: the next call gets its own.
    assert "Chrome" in chromium.call("Browser.getVersion")["product"]


@needs_chromium
def test_a_page_loads_and_is_pictured_at_the_size_asked(chromium):
    session = chromium.attach()
    chromium.call("Page.enable", session=session)
    chromium.set_viewport(session, 300, 200)
    page = "data:text/html,<body style='background:%23c00;height:1000px'>"
    chromium.call("Page.navigate", {"url": page}, session)
    loaded = chromium.wait_for("Page.loadEventFired", session)
    assert loaded["sessionId"] == session
    png = chromium.capture_png(session, 300, 700)  # beyond the 200-pixel viewport
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert struct.unpack(">II", png[16:24]) == (300, 700)


@needs_chromium
def test_close_ends_chromium_and_deletes_its_profile():
    with running(DevTools) as browser:
        assert os.path.isdir(browser.profile)
        browser.close()
    # (and closed a second time on leaving: harmless)
    assert not os.path.exists(browser.profile)
    with pytest.raises(ChildProcessError):
        os.waitpid(browser.pid, os.WNOHANG)  # reaped: no zombie left


def test_osint_help_does_not_load_the_browser_client():
    code = (
        "import sys; from osint.cli import app\n"
        "for args in (['--help'], ['capture', '--help']):\n"
        "    try: app(args, prog_name='osint')\n"
        "    except SystemExit: pass\n"
        "print('osint.capture.browser' in sys.modules, 'osint.capture.screenshot' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines()[-1] == "False False"
