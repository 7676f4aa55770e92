"""A full-page PNG of a captured page, rendered by headless Chromium.

Chromium is driven over the DevTools protocol on a pipe (no port, no extra library). The page's
HTML is not fetched a second time: the main document request is answered with the captured
response (status, headers and body), so the picture shows the evidence that was archived;
images, styles and scripts are loaded live at capture time. Each run uses a fresh, throw-away
profile.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time

from ..errors import OsintError


class ScreenshotError(OsintError):
    """No screenshot could be made; the capture itself is kept."""


CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-debugging-pipe",
)
WIDTH = 1280
MAX_HEIGHT = 16384
# Headers that describe the bytes on the wire, not the decoded body handed to Chromium.
_WIRE_HEADERS = {"content-encoding", "content-length", "transfer-encoding", "connection"}


def find_chromium() -> str | None:
    configured = os.environ.get("OSINT_CHROMIUM", "").strip()
    if configured:
        return configured if os.path.exists(configured) else shutil.which(configured)
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def _high_fd(fd: int) -> int:
    """A copy of `fd` numbered 10 or more (so it cannot collide with 3 and 4 in the child)."""
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return high


class _DevTools:
    """Chromium's DevTools protocol over --remote-debugging-pipe (fd 3 in, fd 4 out)."""

    def __init__(self, binary: str, profile: str, deadline: float):
        self.deadline = deadline
        cmd_read, self.cmd_write = (_high_fd(fd) for fd in os.pipe())
        self.resp_read, resp_write = (_high_fd(fd) for fd in os.pipe())

        def child_fds():  # runs in the child before exec
            os.dup2(cmd_read, 3)
            os.dup2(resp_write, 4)

        self.process = subprocess.Popen(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=False,
            preexec_fn=child_fds,
        )
        os.close(cmd_read)
        os.close(resp_write)
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> int:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        while data:
            written = os.write(self.cmd_write, data)
            data = data[written:]
        return self.next_id

    def receive(self) -> dict:
        while b"\0" not in self.buffer:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise ScreenshotError("Chromium did not finish the screenshot in time")
            ready, _, _ = select.select([self.resp_read], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.resp_read, 1 << 20)
            if not chunk:
                raise ScreenshotError("Chromium stopped before the screenshot was made")
            self.buffer += chunk
        message, _, self.buffer = self.buffer.partition(b"\0")
        return json.loads(message)

    def call(self, method: str, params=None, session=None, on_event=None) -> dict:
        wanted = self.send(method, params, session)
        while True:
            message = self.receive()
            if message.get("id") == wanted:
                if "error" in message:
                    raise ScreenshotError(
                        f"Chromium refused {method}: {message['error'].get('message')}"
                    )
                return message.get("result", {})
            if on_event:
                on_event(message)
            else:
                self.events.append(message)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.send("Browser.close")
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self.cmd_write, self.resp_read):
            with contextlib.suppress(OSError):
                os.close(fd)


def screenshot(hop, *, user_agent: str, timeout: float = 30.0) -> bytes:
    """A full-page PNG of the captured final response `hop` (a fetch.Hop)."""
    binary = find_chromium()
    if not binary:
        raise ScreenshotError(
            "no screenshot: Chromium is not installed (Debian: apt install chromium; or set "
            "OSINT_CHROMIUM to its path); the page was captured without one"
        )
    deadline = time.monotonic() + max(20.0, 2 * timeout)
    profile = tempfile.mkdtemp(prefix="osint-chromium-")
    tools = None
    try:
        try:
            tools = _DevTools(binary, profile, deadline)
        except OSError as exc:
            raise ScreenshotError(f"no screenshot: cannot start {binary} ({exc})") from None
        target = tools.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = tools.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        tools.call("Page.enable", session=session)
        tools.call("Network.setUserAgentOverride", {"userAgent": user_agent}, session)
        tools.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": WIDTH, "height": 900, "deviceScaleFactor": 1, "mobile": False},
            session,
        )
        tools.call(
            "Fetch.enable",
            {
                "patterns": [
                    {"urlPattern": "*", "resourceType": "Document", "requestStage": "Request"}
                ]
            },
            session,
        )
        served = {"done": False, "loaded": False}
        headers = [
            {"name": k, "value": v}
            for k, v in hop.response_headers
            if k.lower() not in _WIRE_HEADERS
        ]
        body = base64.b64encode(hop.body).decode("ascii")

        def on_event(message: dict) -> None:
            method = message.get("method")
            params = message.get("params", {})
            if method == "Fetch.requestPaused":
                request_id = params["requestId"]
                if not served["done"]:  # the navigation itself: answer it from the capture
                    served["done"] = True
                    tools.send(
                        "Fetch.fulfillRequest",
                        {
                            "requestId": request_id,
                            "responseCode": hop.status,
                            "responseHeaders": headers,
                            "body": body,
                        },
                        session,
                    )
                else:
                    tools.send("Fetch.continueRequest", {"requestId": request_id}, session)
            elif method == "Page.loadEventFired":
                served["loaded"] = True

        tools.call("Page.navigate", {"url": hop.url}, session, on_event)
        while not served["loaded"]:
            on_event(tools.receive())
        # Let late layout (web fonts, lazy images already in view) settle briefly.
        settle = time.monotonic() + 1.0
        while time.monotonic() < settle:
            tools.deadline = min(deadline, settle)
            try:
                on_event(tools.receive())
            except ScreenshotError:
                break
        tools.deadline = deadline
        metrics = tools.call("Page.getLayoutMetrics", session=session, on_event=on_event)
        size = metrics.get("cssContentSize") or metrics.get("contentSize") or {}
        height = int(min(max(size.get("height", 900), 1), MAX_HEIGHT))
        width = int(min(max(size.get("width", WIDTH), WIDTH), 4 * WIDTH))
        shot = tools.call(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
            },
            session,
            on_event,
        )
        return base64.b64decode(shot["data"])
    finally:
        if tools is not None:
            tools.close()
        shutil.rmtree(profile, ignore_errors=True)
