"""Headless Chromium driven over its DevTools protocol on a pipe (`--remote-debugging-pipe`).

No port, no websocket and no extra library: Chromium reads protocol messages (JSON, each ended
by a NUL byte) on file descriptor 3 and writes its replies and events on descriptor 4. It is
started with `posix_spawn`, our two pipes mapped to those numbers, in a fresh throw-away profile
that `close` deletes (its stderr goes to a log file inside it). Chromium's sandbox stays on where
the system allows it; run as root, or where the kernel refuses it (no user namespaces), Chromium
runs with --no-sandbox and `sandbox` says so and why.

    with DevTools.start() as chromium:
        session = chromium.attach()
        chromium.call("Page.enable", session=session)
        chromium.call("Page.navigate", {"url": "https://example.org/"}, session)
        chromium.wait_for("Page.loadEventFired", session)
        png = chromium.capture_png(session, 1280, 900)

Used by `osint.capture.screenshot` and by the browser tests of the HTML brief. Standard library
only, and imported only by the code that drives a browser (never at `osint --help`).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import signal
import tempfile
import time
from collections.abc import Callable
from typing import Self

from osint.errors import OsintError

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-debugging-pipe",
)
LOG = "chromium.log"  # Chromium's stderr, inside the profile
NOT_INSTALLED = (
    "Chromium is not installed (Debian: apt install chromium; or set OSINT_CHROMIUM to its path)"
)

OnEvent = Callable[[dict], None]


class BrowserError(OsintError):
    """Chromium could not be started, refused a command or stopped."""


class BrowserTimeout(BrowserError):
    """Chromium did not answer before the deadline."""


class BrowserStopped(BrowserError):
    """Chromium closed its end of the pipe (it quit or crashed)."""


def find_chromium() -> str | None:
    """$OSINT_CHROMIUM (a path, or a name on PATH) when set, else the first Chromium on PATH."""
    configured = os.environ.get("OSINT_CHROMIUM", "").strip()
    if configured:
        return configured if os.path.exists(configured) else shutil.which(configured)
    for name in NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def _high(fd: int) -> int:
    """The same descriptor renumbered 10 or more (close-on-exec), clear of 0-4 in the child."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


class DevTools:
    """One Chromium process and the protocol on its pipe.

    Every wait ends by `timeout` seconds (per call, `self.timeout` by default) and, when
    `deadline` (a `time.monotonic()` value) is set, by that overall limit too. Events that
    arrive while a reply is awaited go to the call's `on_event`, or are kept in `events`.
    """

    def __init__(self, pid: int, to_browser: int, from_browser: int, profile: str, *,
                 timeout: float = 30.0, deadline: float | None = None):  # fmt: skip
        self.pid = pid
        self.to_browser = to_browser
        self.from_browser = from_browser
        self.profile = profile
        self.timeout = timeout
        self.deadline = deadline
        self.events: list[dict] = []
        self.next_id = 0
        self.buffer = bytearray()
        self.scanned = 0  # bytes of `buffer` known to hold no NUL
        self.closed = False
        self.sandbox = "on"  # or "off: why"

    @classmethod
    def start(cls, binary: str | None = None, *, timeout: float = 30.0,
              deadline: float | None = None) -> Self:  # fmt: skip
        """Start Chromium (`binary`, or the one `find_chromium` finds) on about:blank, sandboxed
        where the system allows it."""
        binary = binary or find_chromium()
        if not binary:
            raise BrowserError(NOT_INSTALLED)
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            browser = cls._spawn(binary, ("--no-sandbox",), timeout, deadline)
            browser.sandbox = "off: Chromium cannot use its sandbox when run as root"
            return browser
        browser = cls._spawn(binary, (), timeout, deadline)
        try:
            browser.call("Browser.getVersion", timeout=timeout)
            return browser
        except BrowserStopped as exc:  # no user namespaces or setuid helper here
            reason = str(exc).removeprefix("Chromium stopped").lstrip(": ") or "it stopped"
            browser.close()
        except BrowserError:
            browser.close()
            raise
        browser = cls._spawn(binary, ("--no-sandbox",), timeout, deadline)
        browser.sandbox = f"off: the system does not allow Chromium's sandbox ({reason[:200]})"
        return browser

    @classmethod
    def _spawn(cls, binary: str, extra: tuple, timeout: float, deadline: float | None) -> Self:
        profile = tempfile.mkdtemp(prefix="osint-chromium-")
        child_in, ours_out = (_high(fd) for fd in os.pipe())
        ours_in, child_out = (_high(fd) for fd in os.pipe())
        devnull = _high(os.open(os.devnull, os.O_RDWR))
        log = _high(os.open(os.path.join(profile, LOG), os.O_WRONLY | os.O_CREAT, 0o600))
        try:
            pid = os.posix_spawn(
                binary,
                [binary, *FLAGS, *extra, f"--user-data-dir={profile}", "about:blank"],
                os.environ,
                file_actions=[
                    (os.POSIX_SPAWN_DUP2, devnull, 0),
                    (os.POSIX_SPAWN_DUP2, devnull, 1),
                    (os.POSIX_SPAWN_DUP2, log, 2),
                    (os.POSIX_SPAWN_DUP2, child_in, 3),
                    (os.POSIX_SPAWN_DUP2, child_out, 4),
                ],
            )
        except OSError as exc:
            for fd in (ours_out, ours_in):
                os.close(fd)
            shutil.rmtree(profile, ignore_errors=True)
            raise BrowserError(f"cannot start {binary} ({exc})") from None
        finally:
            for fd in (child_in, child_out, devnull, log):
                os.close(fd)
        return cls(pid, ours_out, ours_in, profile, timeout=timeout, deadline=deadline)

    # -- protocol ------------------------------------------------------------------------------

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> int:
        """Send a command without waiting for its reply; returns its id."""
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        try:
            while data:
                data = data[os.write(self.to_browser, data) :]
        except OSError:  # EPIPE: Chromium has gone
            raise BrowserStopped(self._stopped()) from None
        return self.next_id

    def call(self, method: str, params: dict | None = None, session: str | None = None, *,
             timeout: float | None = None, on_event: OnEvent | None = None) -> dict:  # fmt: skip
        """Send a command and return its result (BrowserError if Chromium refuses it)."""
        deadline = self._deadline(timeout)
        wanted = self.send(method, params, session)
        while True:
            message = self._read(deadline)
            if message.get("id") == wanted:
                if "error" in message:
                    error = message["error"].get("message")
                    raise BrowserError(f"Chromium refused {method}: {error}")
                return message.get("result", {})
            self._keep(message, on_event)

    def receive(self, timeout: float | None = None) -> dict:
        """The next message from Chromium (a reply or an event), as it comes."""
        return self._read(self._deadline(timeout))

    def wait_for(self, method: str, session: str | None = None, *,
                 timeout: float | None = None) -> dict:  # fmt: skip
        """The first event `method` from `session` (None: the browser's), kept ones first."""
        for i, event in enumerate(self.events):
            if event["method"] == method and event.get("sessionId") == session:
                return self.events.pop(i)
        deadline = self._deadline(timeout)
        while True:
            message = self._read(deadline)
            if message.get("method") == method and message.get("sessionId") == session:
                return message
            self._keep(message, None)

    def _keep(self, message: dict, on_event: OnEvent | None) -> None:
        if "method" in message:  # an event (replies to commands sent without waiting are dropped)
            if on_event:
                on_event(message)
            else:
                self.events.append(message)

    def _deadline(self, timeout: float | None) -> float:
        end = time.monotonic() + (self.timeout if timeout is None else timeout)
        return end if self.deadline is None else min(end, self.deadline)

    def _read(self, deadline: float) -> dict:
        while (end := self.buffer.find(b"\0", self.scanned)) < 0:
            self.scanned = len(self.buffer)
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserTimeout("Chromium did not answer in time")
            ready, _, _ = select.select([self.from_browser], [], [], left)
            if ready:
                chunk = os.read(self.from_browser, 1 << 20)
                if not chunk:
                    raise BrowserStopped(self._stopped())
                self.buffer += chunk
        message = json.loads(self.buffer[:end])
        del self.buffer[: end + 1]
        self.scanned = 0
        return message

    def _stopped(self) -> str:
        """One line: Chromium stopped, with the last line it logged."""
        try:
            with open(os.path.join(self.profile, LOG), "rb") as log:
                log.seek(max(0, os.fstat(log.fileno()).st_size - 2000))
                lines = log.read().decode(errors="replace").strip().splitlines()
        except OSError:
            lines = []
        return "Chromium stopped" + (f": {lines[-1][:300]}" if lines else "")

    # -- pages ---------------------------------------------------------------------------------

    def attach(self, url: str = "about:blank") -> str:
        """Open a new page at `url`; returns the session id that drives it."""
        target = self.call("Target.createTarget", {"url": url})["targetId"]
        return self.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]

    def set_viewport(self, session: str, width: int, height: int) -> None:
        metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
        self.call("Emulation.setDeviceMetricsOverride", metrics, session)

    def capture_png(self, session: str, width: int, height: int, *,
                    on_event: OnEvent | None = None) -> bytes:  # fmt: skip
        """A PNG of the page's top `width` x `height` CSS pixels, beyond the viewport if need be."""
        clip = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
        params = {"format": "png", "captureBeyondViewport": True, "clip": clip}
        shot = self.call("Page.captureScreenshot", params, session, on_event=on_event)
        return base64.b64decode(shot["data"])

    # -- the end -------------------------------------------------------------------------------

    def close(self) -> None:
        """Ask Chromium to quit (killed after 5 s), close the pipe and delete the profile."""
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(BrowserError):
            self.send("Browser.close")
        with contextlib.suppress(ChildProcessError):
            for _ in range(100):
                if os.waitpid(self.pid, os.WNOHANG)[0]:
                    break
                time.sleep(0.05)
            else:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
        for fd in (self.to_browser, self.from_browser):
            with contextlib.suppress(OSError):
                os.close(fd)
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
