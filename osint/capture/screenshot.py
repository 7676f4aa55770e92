"""A full-page PNG of the archived page, rendered by headless Chromium (see `osint.capture.browser`).

The screenshot shows the evidence that was archived, not a second live visit:

- the main document request is intercepted (DevTools Fetch domain) and answered with the captured
  response (status, headers and the payload stored in the capture's WARC); the server is not asked
  again;
- scripts are disabled, so a page that rewrites itself or navigates away by script cannot change
  the picture; every navigation of the page after the archived document (a meta refresh, a link
  followed) is blocked;
- the images, styles and fonts the page needs are fetched by Chromium at capture time, and each
  response it received is kept (`Fetched`) and written into the same capture's WARC, so the
  picture's every input is in the case; past a budget (count and bytes) they are refused, and the
  refusals counted;
- Chromium's sandbox stays on where the system allows it (`DevTools.sandbox` says why not).

`Shot.depicts` is one sentence saying all that for the record. Each run uses a fresh, throw-away
profile.
"""

from __future__ import annotations

import base64
import io
import time
from collections import deque
from dataclasses import dataclass, field

from osint.capture.browser import (
    NOT_INSTALLED,
    BrowserError,
    BrowserStopped,
    BrowserTimeout,
    DevTools,
    find_chromium,
)
from osint.errors import OsintError
from osint.timeutil import now


class ScreenshotError(OsintError):
    """No screenshot could be made; the capture itself is kept."""


WIDTH = 1280
MAX_HEIGHT = 16384
MAX_RESOURCES = 300
MAX_RESOURCE_BYTES = 50 * 1024 * 1024
# Headers that describe the bytes on the wire, not the decoded body handed to Chromium.
_WIRE_HEADERS = {"content-encoding", "content-length", "transfer-encoding", "connection"}


@dataclass
class Fetched:
    """A response Chromium received while rendering the page (body as Chromium decoded it)."""

    url: str
    method: str
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes
    date: str
    resource_type: str
    request_headers: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Shot:
    png: bytes
    url: str
    width: int = WIDTH
    height: int = 0
    resources: list[Fetched] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # subresources over the budget
    blocked: list[str] = field(default_factory=list)  # navigations away, blocked
    sandbox: str = "on"
    browser: str = "Chromium"
    payload_size: int = 0
    status: int = 0

    @property
    def depicts(self) -> str:
        """What the picture shows, in one sentence for the record."""
        text = (
            f"the archived response of {self.url} (HTTP {self.status}, the {self.payload_size:,}-"
            f"byte payload stored in this capture's WARC; the server was not asked again), "
            f"rendered by headless {self.browser} at {self.width} x {self.height} CSS pixels "
            f"with scripts disabled; {len(self.resources)} resources it fetched at capture time "
            "(images, styles, fonts) are recorded in the same WARC"
        )
        if self.refused:
            text += f"; {len(self.refused)} more were refused (over the limit) and are missing"
        if self.blocked:
            text += f"; {len(self.blocked)} navigations away were blocked ({self.blocked[0]})"
        return text + f"; Chromium sandbox {self.sandbox}"

    def record(self) -> dict:
        """The screenshot's entry in the capture's metadata."""
        return {
            "depicts": self.depicts,
            "browser": self.browser,
            "sandbox": self.sandbox,
            "scripts": "disabled",
            "size": [self.width, self.height],
            "resources": [
                {"url": r.url, "status": r.status, "type": r.resource_type, "bytes": len(r.body)}
                for r in self.resources
            ],
            "refused": self.refused,
            "blocked_navigations": self.blocked,
        }


def screenshot(hop, *, user_agent: str, timeout: float = 30.0,
               max_bytes: int = MAX_RESOURCE_BYTES) -> Shot:  # fmt: skip
    """A full-page PNG of the captured final response `hop` (a fetch.Hop), and what it shows."""
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
            return _render(tools, hop, user_agent, max_bytes)
    except BrowserTimeout:
        raise ScreenshotError("Chromium did not finish the screenshot in time") from None
    except BrowserStopped:
        raise ScreenshotError("Chromium stopped before the screenshot was made") from None
    except BrowserError as exc:
        raise ScreenshotError(str(exc)) from None


def _pairs(headers) -> list[tuple[str, str]]:
    if isinstance(headers, dict):
        return [(str(k), str(v)) for k, v in headers.items()]
    return [(str(h.get("name")), str(h.get("value"))) for h in headers or []]


def _render(tools: DevTools, hop, user_agent: str, max_bytes: int) -> Shot:
    version = tools.call("Browser.getVersion").get("product", "Chromium")
    shot = Shot(png=b"", url=hop.url, sandbox=tools.sandbox, browser=version.replace("/", " "))
    shot.payload_size, shot.status = len(hop.body), hop.status
    session = tools.attach()
    events: deque = deque()
    keep = events.append
    main_frame = tools.call("Page.getFrameTree", session=session)["frameTree"]["frame"]["id"]
    tools.call("Page.enable", session=session, on_event=keep)
    tools.call("Network.setUserAgentOverride", {"userAgent": user_agent}, session, on_event=keep)
    tools.call("Emulation.setScriptExecutionDisabled", {"value": True}, session, on_event=keep)
    tools.set_viewport(session, WIDTH, 900)
    patterns = [
        {"urlPattern": "*", "resourceType": "Document", "requestStage": "Request"},
        {"urlPattern": "*", "requestStage": "Response"},
    ]
    tools.call("Fetch.enable", {"patterns": patterns}, session, on_event=keep)
    headers = [
        {"name": k, "value": v} for k, v in hop.response_headers if k.lower() not in _WIRE_HEADERS
    ]
    state = {"served": False, "loaded": False, "bytes": 0}

    def handle(message: dict) -> None:
        if message.get("sessionId") != session:
            return
        method = message.get("method")
        params = message.get("params", {})
        if method == "Page.loadEventFired":
            state["loaded"] = True
        if method != "Fetch.requestPaused":
            return
        request_id = params["requestId"]
        request = params.get("request", {})
        url = request.get("url", "")
        at_response = "responseStatusCode" in params or "responseErrorReason" in params
        if not at_response:  # a document request
            main = params.get("frameId") == main_frame
            if main and not state["served"]:  # the page itself: answered from the capture
                state["served"] = True
                tools.send(
                    "Fetch.fulfillRequest",
                    {
                        "requestId": request_id,
                        "responseCode": hop.status,
                        "responseHeaders": headers,
                        "body": base64.b64encode(hop.body).decode("ascii"),
                    },
                    session,
                )
            elif main or state["loaded"]:  # navigating away: not what was archived
                # Answered "204 No Content", a navigation that never commits: the archived page
                # stays (failing the request would put Chromium's error page in its place).
                shot.blocked.append(url)
                tools.send(
                    "Fetch.fulfillRequest",
                    {"requestId": request_id, "responseCode": 204, "responseHeaders": []},
                    session,
                )
            else:  # a frame inside the page, while it loads: fetched and recorded below
                tools.send("Fetch.continueRequest", {"requestId": request_id}, session)
            return
        if params.get("responseErrorReason"):
            tools.send("Fetch.continueRequest", {"requestId": request_id}, session)
            return
        declared = next(
            (v for k, v in _pairs(params.get("responseHeaders")) if k.lower() == "content-length"),
            "",
        )
        too_big = declared.strip().isdigit() and state["bytes"] + int(declared) > max_bytes
        if len(shot.resources) >= MAX_RESOURCES or state["bytes"] > max_bytes or too_big:
            shot.refused.append(url)
            tools.send(
                "Fetch.failRequest", {"requestId": request_id, "errorReason": "BlockedByClient"},
                session,
            )  # fmt: skip
            return
        status = int(params.get("responseStatusCode") or 0)
        body = b""
        if not 300 <= status < 400:
            try:
                got = tools.call(
                    "Fetch.getResponseBody", {"requestId": request_id}, session, on_event=keep
                )
                data = got.get("body", "")
                body = base64.b64decode(data) if got.get("base64Encoded") else data.encode()
            except BrowserError:
                body = b""
        state["bytes"] += len(body)
        if state["bytes"] > max_bytes:
            shot.refused.append(url)
            tools.send(
                "Fetch.failRequest", {"requestId": request_id, "errorReason": "BlockedByClient"},
                session,
            )  # fmt: skip
            return
        shot.resources.append(
            Fetched(
                url=url,
                method=request.get("method", "GET"),
                status=status,
                reason=params.get("responseStatusText") or "",
                headers=_pairs(params.get("responseHeaders")),
                body=body,
                date=now().strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                resource_type=params.get("resourceType", ""),
                request_headers=_pairs(request.get("headers")),
            )
        )
        tools.send("Fetch.continueRequest", {"requestId": request_id}, session)

    def pump(timeout: float | None = None) -> None:
        handle(events.popleft() if events else tools.receive(timeout))

    tools.send("Page.navigate", {"url": hop.url}, session)
    while not state["loaded"]:
        pump()
    # Let late layout (web fonts, images already in view) settle briefly.
    settle = time.monotonic() + 1.0
    while (left := settle - time.monotonic()) > 0:
        try:
            pump(left)
        except BrowserTimeout:
            break
    while events:
        pump()
    metrics = tools.call("Page.getLayoutMetrics", session=session, on_event=keep)
    size = metrics.get("cssContentSize") or metrics.get("contentSize") or {}
    shot.height = int(min(max(size.get("height", 900), 1), MAX_HEIGHT))
    shot.width = int(min(max(size.get("width", WIDTH), WIDTH), 4 * WIDTH))
    shot.png = tools.capture_png(session, shot.width, shot.height, on_event=keep)
    return shot


# ---- into the capture's WARC ---------------------------------------------------------------------


def warc_members(shot: Shot, builder, warcinfo_id: str) -> list[bytes]:
    """Gzip members of the WARC records of what Chromium fetched: a request and a response each.

    The response's HTTP head is rebuilt from the headers Chromium reported and its body is as
    Chromium decoded it (Content-Encoding, Transfer-Encoding and Content-Length describe the bytes
    on the wire, so they are replaced); the WARC-Osint-Fetched-By header says so."""
    from warcio.statusandheaders import StatusAndHeaders

    from osint.capture.warc import _record_bytes, gzip_member

    out = []
    note = f"headless {shot.browser} while rendering the screenshot; body decoded by the browser"
    for item in shot.resources:
        response_id = builder._make_warc_id()
        common = {"WARC-Date": item.date, "WARC-Warcinfo-ID": warcinfo_id}
        path = item.url.split("//", 1)[-1].partition("/")[2]
        request_head = StatusAndHeaders(
            f"{item.method} /{path} HTTP/1.1",
            item.request_headers,
            protocol="",
            is_http_request=True,
        )
        request = builder.create_warc_record(
            item.url,
            "request",
            payload=io.BytesIO(b""),
            length=0,
            http_headers=request_head,
            warc_headers_dict={**common, "WARC-Concurrent-To": response_id},
        )
        kept = [(k, v) for k, v in item.headers if k.lower() not in _WIRE_HEADERS]
        kept.append(("Content-Length", str(len(item.body))))
        head = StatusAndHeaders(f"{item.status} {item.reason}".strip(), kept, protocol="HTTP/1.1")
        response = builder.create_warc_record(
            item.url,
            "response",
            payload=io.BytesIO(item.body),
            length=len(item.body),
            http_headers=head,
            warc_headers_dict={
                **common,
                "WARC-Record-ID": response_id,
                "WARC-Osint-Fetched-By": note,
            },
        )
        out.append(gzip_member(_record_bytes(request)))
        out.append(gzip_member(_record_bytes(response)))
    return out
