"""Headless Chromium driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`).

No playwright, no websocket and no port: Chromium reads protocol messages (JSON, each ended by a
NUL byte) on file descriptor 3 and writes its replies and events on descriptor 4. We start it
with `posix_spawn`, mapping our two pipes to those numbers, open the page in a fresh profile and
collect what a reader's browser would report: console messages, uncaught exceptions, log entries
(failed loads, blocked content), every network request, whether each picture decoded, and
screenshots and a PDF of the page.

    with Chromium.start() as browser:
        report = browser.load(Path("brief.html"))
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--mute-audio",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
]

IMAGES_JS = """JSON.stringify(Array.from(document.images).map(img => ({
    src: img.currentSrc.slice(0, 40), complete: img.complete, width: img.naturalWidth
})))"""


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


class BrowserError(Exception):
    pass


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


class Chromium:
    def __init__(self, pid: int, to_browser: int, from_browser: int, profile: str):
        self.pid = pid
        self.to_browser = to_browser
        self.from_browser = from_browser
        self.profile = profile
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict] = []

    @classmethod
    def start(cls, binary: str | None = None) -> Chromium:
        binary = binary or find_chromium()
        if not binary:
            raise BrowserError("no chromium on PATH")
        profile = tempfile.mkdtemp(prefix="osint-chromium-")
        # Our ends keep high descriptor numbers so the dup2 onto 3 and 4 cannot clobber them.
        child_in, ours_out = (_high(fd) for fd in os.pipe())
        ours_in, child_out = (_high(fd) for fd in os.pipe())
        devnull = os.open(os.devnull, os.O_RDWR)
        log = os.open(os.path.join(profile, "chromium.log"), os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            pid = os.posix_spawn(
                binary,
                [binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                os.environ,
                file_actions=[
                    (os.POSIX_SPAWN_DUP2, devnull, 0),
                    (os.POSIX_SPAWN_DUP2, devnull, 1),
                    (os.POSIX_SPAWN_DUP2, log, 2),
                    (os.POSIX_SPAWN_DUP2, child_in, 3),
                    (os.POSIX_SPAWN_DUP2, child_out, 4),
                ],
            )
        finally:
            for fd in (child_in, child_out, devnull, log):
                os.close(fd)
        return cls(pid, ours_out, ours_in, profile)

    # -- protocol --------------------------------------------------------------------------

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 30.0) -> dict:  # fmt: skip
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self.to_browser, data) :]
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def wait_for(self, method: str, session: str | None, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout
        for i, event in enumerate(self.events):
            if event["method"] == method and event.get("sessionId") == session:
                return self.events.pop(i)
        while True:
            event = self._read(deadline)
            if event.get("method") == method and event.get("sessionId") == session:
                return event
            if "method" in event:
                self.events.append(event)

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError("chromium did not answer in time")
            ready, _, _ = select.select([self.from_browser], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.from_browser, 1 << 20)
            if not chunk:
                raise BrowserError(f"chromium closed the pipe: {self._log_tail()}")
            self.buffer += chunk
        message, _, self.buffer = self.buffer.partition(b"\0")
        return json.loads(message)

    def _log_tail(self) -> str:
        try:
            return Path(self.profile, "chromium.log").read_text(errors="replace")[-500:]
        except OSError:
            return ""

    # -- a page --------------------------------------------------------------------------------

    def load(
        self, path: Path, *, width: int = 1280, timeout: float = 30.0
    ) -> tuple[PageReport, str]:
        """Open a file; returns (report, session id) once its load event has fired."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Runtime", "Log", "Page", "Network"):
            self.send(f"{domain}.enable", session=session)
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False},
            session=session,
        )
        self.events = [e for e in self.events if e.get("sessionId") != session]
        self.send("Page.navigate", {"url": path.resolve().as_uri()}, session=session)
        self.wait_for("Page.loadEventFired", session, timeout)
        report = PageReport()
        value = self.evaluate(IMAGES_JS, session)
        report.images = json.loads(value)
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
        result = self.send(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=session
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"evaluate: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def screenshot(self, session: str, path: Path, *, width: int = 1280, height: int | None = None,
                   media: str = "screen") -> Path:  # fmt: skip
        """A PNG of the page from the top, `height` pixels tall (the whole page by default)."""
        self.send("Emulation.setEmulatedMedia", {"media": media}, session=session)
        full = int(self.evaluate("document.documentElement.scrollHeight", session))
        shot_height = min(height or full, full, 16000)
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": shot_height, "deviceScaleFactor": 1, "mobile": False},
            session=session,
        )
        data = self.send(
            "Page.captureScreenshot",
            {"format": "png", "captureBeyondViewport": True,
             "clip": {"x": 0, "y": 0, "width": width, "height": shot_height, "scale": 1}},
            session=session,
        )["data"]  # fmt: skip
        self.send("Emulation.setEmulatedMedia", {"media": ""}, session=session)
        path.write_bytes(base64.b64decode(data))
        return path

    def pdf(self, session: str, path: Path) -> Path:
        data = self.send(
            "Page.printToPDF",
            {"printBackground": True, "preferCSSPageSize": True},
            session=session,
            timeout=60,
        )["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        with contextlib.suppress(BrowserError, OSError):
            self.send("Browser.close", timeout=5)
        for _ in range(50):
            pid, _ = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                break
            time.sleep(0.1)
        else:
            os.kill(self.pid, 9)
            os.waitpid(self.pid, 0)
        for fd in (self.to_browser, self.from_browser):
            with contextlib.suppress(OSError):
                os.close(fd)
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _high(fd: int) -> int:
    """The same pipe end on a descriptor numbered 10 or more (close-on-exec)."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved
