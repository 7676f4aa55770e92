"""`export brief --pdf`: the HTML brief printed to PDF by headless Chromium, offline.

The PDF is the HTML file the investigator checked, printed with its own print stylesheet (A4,
the marking on every page, the case title and page numbers in the footer). JavaScript is off
and every network request is refused, so printing fetches nothing.
"""

from __future__ import annotations

import base64
from pathlib import Path

from osint.errors import InvalidInput


def print_pdf(html: Path, output: Path, *, timeout: float = 60.0) -> Path:
    """Print the HTML file `html` to `output` (written atomically); returns `output`."""
    from osint.capture.browser import BrowserError, DevTools, find_chromium
    from osint.fileio import atomic_output

    if find_chromium() is None:
        raise InvalidInput(
            f"--pdf: Chromium is needed to print the PDF and was not found (Debian: apt install "
            f"chromium; or set OSINT_CHROMIUM to its path). The HTML brief is in {html}"
        )
    try:
        with DevTools.start(timeout=timeout) as browser:
            session = browser.attach()
            browser.call("Page.enable", session=session)
            browser.call("Emulation.setScriptExecutionDisabled", {"value": True}, session)
            browser.call("Network.enable", session=session)
            # Nothing but the file itself and its data: pictures may load.
            browser.call(
                "Network.setBlockedURLs", {"urls": ["http://*", "https://*", "ws://*"]}, session
            )
            browser.call("Page.navigate", {"url": html.resolve().as_uri()}, session)
            browser.wait_for("Page.loadEventFired", session, timeout=timeout)
            params = {"printBackground": True, "preferCSSPageSize": True}
            data = browser.call("Page.printToPDF", params, session, timeout=timeout)["data"]
    except BrowserError as exc:
        raise InvalidInput(f"--pdf: Chromium could not print the brief ({exc})") from None
    with atomic_output(output, binary=True, option="--pdf") as handle:
        handle.write(base64.b64decode(data))
    return output


def page_count(pdf: bytes) -> int:
    """Pages in a PDF Chromium wrote (its /Type /Page objects; enough for our own files)."""
    import re

    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))
