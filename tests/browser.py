"""The browser tests' page report, on top of `osint.capture.browser` (headless Chromium over its pipe).

Opens a file in a fresh page and collects what a reader's browser would report: console
messages, uncaught exceptions, log entries (failed loads, blocked content), every network
request, whether each picture decoded; and takes screenshots and a PDF of the page.

    with running() as browser:  # skips the test when Chromium cannot start here
        report, session = browser.load(Path("brief.html"))
"""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from osint.capture.browser import BrowserError, DevTools, find_chromium

__all__ = ["BrowserError", "Chromium", "PageReport", "find_chromium", "running"]

IMAGES_JS = """JSON.stringify(Array.from(document.images).map(img => ({
    src: img.currentSrc.slice(0, 40), complete: img.complete, width: img.naturalWidth
})))"""


@dataclass
class PageReport:
    console: list[dict] = field(default_factory=list)  # {"type", "text"}
    exceptions: list[str] = field(default_factory=list)
    log: list[dict] = field(default_factory=list)  # {"level", "source", "text", "url"}
    requests: list[str] = field(default_factory=list)
    images: list[dict] = field(default_factory=list)
    height: int = 0

    @property
    def errors(self) -> list[str]:
        out = [
            f"console.{c['type']}: {c['text']}"
            for c in self.console
            if c["type"] in ("error", "assert")
        ]
        out += [f"exception: {e}" for e in self.exceptions]
        out += [f"log {e['source']}: {e['text']}" for e in self.log if e["level"] == "error"]
        return out


class Chromium(DevTools):
    def load(
        self, path: Path, *, width: int = 1280, timeout: float = 30.0
    ) -> tuple[PageReport, str]:
        """Open a file; returns (report, session id) once its load event has fired."""
        session = self.attach()
        for domain in ("Runtime", "Log", "Page", "Network"):
            self.call(f"{domain}.enable", session=session)
        self.set_viewport(session, width, 900)
        self.events = [e for e in self.events if e.get("sessionId") != session]
        self.call("Page.navigate", {"url": path.resolve().as_uri()}, session)
        self.wait_for("Page.loadEventFired", session, timeout=timeout)
        report = PageReport()
        report.images = json.loads(self.evaluate(IMAGES_JS, session))
        report.height = int(self.evaluate("document.documentElement.scrollHeight", session))
        for event in self.events:
            if event.get("sessionId") != session:
                continue
            params = event.get("params", {})
            if event["method"] == "Runtime.consoleAPICalled":
                text = " ".join(
                    str(a.get("value", a.get("description", ""))) for a in params.get("args", [])
                )
                report.console.append({"type": params.get("type"), "text": text})
            elif event["method"] == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                report.exceptions.append(
                    details.get("text", "")
                    + " "
                    + str(details.get("exception", {}).get("description", ""))
                )
            elif event["method"] == "Log.entryAdded":
                entry = params.get("entry", {})
                report.log.append({k: entry.get(k) for k in ("level", "source", "text", "url")})
            elif event["method"] == "Network.requestWillBeSent":
                report.requests.append(params.get("request", {}).get("url", ""))
        return report, session

    def evaluate(self, expression: str, session: str):
        result = self.call(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True}, session
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"evaluate: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def screenshot(self, session: str, path: Path, *, width: int = 1280, height: int | None = None,
                   media: str = "screen") -> Path:  # fmt: skip
        """A PNG of the page from the top, `height` pixels tall (the whole page by default)."""
        self.call("Emulation.setEmulatedMedia", {"media": media}, session)
        full = int(self.evaluate("document.documentElement.scrollHeight", session))
        shot_height = min(height or full, full, 16000)
        self.set_viewport(session, width, shot_height)
        path.write_bytes(self.capture_png(session, width, shot_height))
        self.call("Emulation.setEmulatedMedia", {"media": ""}, session)
        return path

    def pdf(self, session: str, path: Path) -> Path:
        params = {"printBackground": True, "preferCSSPageSize": True}
        data = self.call("Page.printToPDF", params, session, timeout=60)["data"]
        path.write_bytes(base64.b64decode(data))
        return path


@contextlib.contextmanager
def running(kind: type[DevTools] | None = None) -> Iterator:
    """A started Chromium (a `Chromium` by default) that has answered; else the test skips."""
    try:
        browser = (kind or Chromium).start()
    except BrowserError as exc:
        pytest.skip(f"Chromium does not start here: {exc}")
    with browser:
        try:
            browser.call("Browser.getVersion", timeout=60)
        except BrowserError as exc:
            pytest.skip(f"Chromium does not start here: {exc}")
        yield browser
