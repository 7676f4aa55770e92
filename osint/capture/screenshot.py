"""A full-page PNG of a captured page, rendered by headless Chromium (see `osint.capture.browser`).

The page's HTML is not fetched a second time: the main document request is answered with the
captured response (status, headers and body), so the picture shows the evidence that was
archived; images, styles and scripts are loaded live at capture time. Each run uses a fresh,
throw-away profile.
"""

from __future__ import annotations

import base64
import time

from osint.capture.browser import (
    NOT_INSTALLED,
    BrowserError,
    BrowserStopped,
    BrowserTimeout,
    DevTools,
    find_chromium,
)
from osint.errors import OsintError


class ScreenshotError(OsintError):
    """No screenshot could be made; the capture itself is kept."""


WIDTH = 1280
MAX_HEIGHT = 16384
# Headers that describe the bytes on the wire, not the decoded body handed to Chromium.
_WIRE_HEADERS = {"content-encoding", "content-length", "transfer-encoding", "connection"}


def screenshot(hop, *, user_agent: str, timeout: float = 30.0) -> bytes:
    """A full-page PNG of the captured final response `hop` (a fetch.Hop)."""
    binary = find_chromium()
    if not binary:
        raise ScreenshotError(f"no screenshot: {NOT_INSTALLED}; the page was captured without one")
    budget = max(20.0, 2 * timeout)
    try:
        tools = DevTools.start(binary, timeout=budget, deadline=time.monotonic() + budget)
    except BrowserError as exc:
        raise ScreenshotError(f"no screenshot: {exc}") from None
    try:
        with tools:
            return _render(tools, hop, user_agent)
    except BrowserTimeout:
        raise ScreenshotError("Chromium did not finish the screenshot in time") from None
    except BrowserStopped:
        raise ScreenshotError("Chromium stopped before the screenshot was made") from None
    except BrowserError as exc:
        raise ScreenshotError(str(exc)) from None


def _render(tools: DevTools, hop, user_agent: str) -> bytes:
    session = tools.attach()
    tools.call("Page.enable", session=session)
    tools.call("Network.setUserAgentOverride", {"userAgent": user_agent}, session)
    tools.set_viewport(session, WIDTH, 900)
    tools.call(
        "Fetch.enable",
        {"patterns": [{"urlPattern": "*", "resourceType": "Document", "requestStage": "Request"}]},
        session,
    )
    served = {"done": False, "loaded": False}
    headers = [
        {"name": k, "value": v} for k, v in hop.response_headers if k.lower() not in _WIRE_HEADERS
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

    tools.call("Page.navigate", {"url": hop.url}, session, on_event=on_event)
    while not served["loaded"]:
        on_event(tools.receive())
    # Let late layout (web fonts, lazy images already in view) settle briefly.
    settle = time.monotonic() + 1.0
    while (left := settle - time.monotonic()) > 0:
        try:
            on_event(tools.receive(timeout=left))
        except BrowserTimeout:
            break
    metrics = tools.call("Page.getLayoutMetrics", session=session, on_event=on_event)
    size = metrics.get("cssContentSize") or metrics.get("contentSize") or {}
    height = int(min(max(size.get("height", 900), 1), MAX_HEIGHT))
    width = int(min(max(size.get("width", WIDTH), WIDTH), 4 * WIDTH))
    return tools.capture_png(session, width, height, on_event=on_event)
