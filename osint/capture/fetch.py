"""Fetching a URL as evidence: every hop of the redirect chain, byte for byte as it crossed the wire.

httpx does the HTTP; underneath it, a recording network backend keeps the exact bytes written and
read on each connection (request line and headers as sent; status line, headers and body as
received, chunked framing and gzip included), the server's address and, for HTTPS, the TLS
certificate chain *of that same connection*. Redirects are followed one hop at a time so each hop
is recorded with its own status, headers, address and certificates. Keep-alive is off: one
connection per hop, so bytes and certificates can never be attributed to the wrong exchange.
"""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from osint.capture import DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT
from osint.errors import InvalidInput, OsintError
from osint.formats import size
from osint.timeutil import now


class CaptureError(OsintError):
    """The page could not be captured (network, TLS, size, time); the message says why."""


REDIRECT_STATUSES = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 20


class HeaderAccess:
    """Case-insensitive header lookup, media type and charset over (name, value) pairs."""

    def _header_pairs(self) -> list[tuple[str, str]]:
        raise NotImplementedError

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self._header_pairs():
            if key.lower() == lowered:
                return value
        return None

    @property
    def media_type(self) -> str:
        return (self.header("content-type") or "").split(";")[0].strip().lower()

    @property
    def charset(self) -> str | None:
        for part in (self.header("content-type") or "").split(";")[1:]:
            name, _, value = part.strip().partition("=")
            if name.strip().lower() == "charset" and value.strip():
                return value.strip().strip("\"'")
        return None


@dataclass
class Hop(HeaderAccess):
    """One request and its response."""

    url: str
    status: int
    reason: str
    http_version: str
    request_bytes: bytes  # as sent
    response_bytes: bytes  # as received, headers and body, transfer framing included
    body: bytes  # the payload with transfer and content codings removed
    response_headers: list[tuple[str, str]]
    server_ip: str | None = None
    server_port: int | None = None
    tls: dict | None = None  # version, cipher, verified, chain (DER certificates, leaf first)
    date: str = ""  # when the response started to arrive, ISO 8601 UTC with microseconds

    def _header_pairs(self) -> list[tuple[str, str]]:
        return self.response_headers


@dataclass
class FetchResult:
    requested_url: str
    hops: list[Hop] = field(default_factory=list)
    user_agent: str = ""

    @property
    def final(self) -> Hop:
        return self.hops[-1]


# ---- the recording network layer -------------------------------------------------------------


def _certificate_chain(ssl_object, verified: bool) -> list[bytes]:
    """DER certificates presented on this connection, leaf first."""
    import _ssl

    chain = []
    getter = None
    if ssl_object is not None:
        names = ("get_verified_chain", "get_unverified_chain") if verified else ()
        names += ("get_unverified_chain",)
        for name in names:
            getter = getattr(ssl_object, name, None)
            if getter:
                try:
                    items = getter() or []
                except (ssl.SSLError, ValueError):
                    continue
                for item in items:
                    if isinstance(item, bytes):
                        chain.append(item)
                    else:
                        chain.append(item.public_bytes(_ssl.ENCODING_DER))
                if chain:
                    return chain
        leaf = getattr(ssl_object, "getpeercert", None)
        if leaf:
            try:
                der = leaf(True)
            except (ssl.SSLError, ValueError, TypeError):
                der = None
            if der:
                chain.append(der)
    return chain


class _RecordingStream:
    """An httpcore network stream that keeps a copy of every byte written and read.

    Every read and write waits no longer than what is left before `deadline` (a monotonic time):
    a server that trickles bytes (slowloris) cannot stretch the exchange past it."""

    def __init__(self, inner, peer=None, tls=None, limit: int | None = None, deadline=None):
        self.inner = inner
        self.peer = peer
        self.tls = tls
        self.limit = limit
        self.deadline = deadline
        self.sent = bytearray()
        self.received = bytearray()

    def _left(self, timeout: float | None) -> float | None:
        if self.deadline is None:
            return timeout
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise _PastDeadline()
        return left if timeout is None else min(timeout, left)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        left = self._left(timeout)
        try:
            data = self.inner.read(max_bytes, left)
        except Exception:
            if self.deadline is not None and time.monotonic() >= self.deadline:
                raise _PastDeadline() from None
            raise
        self.received += data
        if self.limit is not None and len(self.received) > self.limit:
            raise _TooLarge(len(self.received))
        return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.inner.write(buffer, self._left(timeout))
        self.sent += buffer

    def close(self) -> None:
        self.inner.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        # The handshake runs on the inner socket; from here on we record the plaintext.
        inner = self.inner.start_tls(ssl_context, server_hostname, self._left(timeout))
        ssl_object = inner.get_extra_info("ssl_object")
        verified = ssl_context.verify_mode != ssl.CERT_NONE
        tls = {
            "version": ssl_object.version() if ssl_object is not None else None,
            "cipher": (ssl_object.cipher() or [None])[0] if ssl_object is not None else None,
            "verified": verified,
            "server_name": server_hostname,
            "chain": _certificate_chain(ssl_object, verified),
        }
        return _RecordingStream(inner, self.peer, tls, self.limit, self.deadline)

    def get_extra_info(self, info: str):
        return self.inner.get_extra_info(info)


class _PastDeadline(Exception):
    """The exchange's deadline (--timeout) has passed."""


class _TooLarge(Exception):
    def __init__(self, size: int):
        super().__init__(size)
        self.size = size


def _recording_backend(limit: int, deadline: float | None = None):
    import httpcore

    class RecordingBackend(httpcore.SyncBackend):
        def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise _PastDeadline()
                timeout = left if timeout is None else min(timeout, left)
            stream = super().connect_tcp(host, port, timeout, local_address, socket_options)
            try:
                peer = stream.get_extra_info("server_addr")
            except OSError:
                peer = None
            return _RecordingStream(stream, peer, None, limit, deadline)

    return RecordingBackend()


# ---- fetching --------------------------------------------------------------------------------


def check_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"{url!r}: not a web address (give an http:// or https:// URL)")
    return url


def _explain(exc: Exception, url: str, timeout: float) -> str:
    """One line saying why a request failed."""
    import httpx

    host = urlsplit(url).hostname or url
    cause = exc.__cause__ or exc.__context__
    while cause is not None and not isinstance(cause, ssl.SSLError | OSError):
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, httpx.ConnectTimeout):
        return f"{url}: no connection to {host} within {timeout:g} s (--timeout)"
    if isinstance(exc, httpx.TimeoutException):
        return f"{url}: {host} did not answer within {timeout:g} s (--timeout)"
    if isinstance(cause, ssl.SSLCertVerificationError):
        reason = cause.verify_message or cause.reason or "not trusted"
        return (
            f"{url}: the TLS certificate of {host} is not trusted ({reason}); "
            "use --insecure to capture it anyway (recorded as unverified)"
        )
    if isinstance(cause, ssl.SSLError):
        return f"{url}: TLS handshake with {host} failed ({cause.reason or cause})"
    if isinstance(exc, httpx.ConnectError):
        reason = str(exc) or (cause and (cause.strerror or str(cause))) or "connection failed"
        if "Name or service not known" in reason or "nodename nor servname" in reason:
            reason = "no such host"
        return f"{url}: cannot connect to {host} ({reason})"
    if isinstance(exc, httpx.DecodingError):
        return f"{url}: the server's compressed data is damaged ({exc})"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"{url}: {host} broke the HTTP exchange ({exc})"
    return f"{url}: {exc.__class__.__name__}: {exc}"


def fetch(
    url: str,
    *,
    user_agent: str,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_time: float | None = None,
    insecure: bool = False,
    max_redirects: int = MAX_REDIRECTS,
) -> FetchResult:
    """GET `url`, following redirects hop by hop; raises CaptureError with a one-line reason."""
    import httpcore
    import httpx

    url = check_url(url)
    if max_time is None:
        max_time = timeout  # --timeout: a deadline for the whole exchange, redirects included
    deadline = time.monotonic() + max_time
    try:
        ssl_context = httpx.create_ssl_context(verify=not insecure, trust_env=True)
    except (ssl.SSLError, OSError) as exc:
        import os

        where = os.environ.get("SSL_CERT_FILE") or os.environ.get("SSL_CERT_DIR") or "the CA bundle"
        raise CaptureError(f"{where}: cannot load trusted certificates ({exc})") from None
    # Raw bytes on the wire: headers plus (possibly compressed) body, capped with some slack.
    wire_limit = max_bytes + 1024 * 1024
    transport = httpx.HTTPTransport(verify=ssl_context, retries=0)
    if not hasattr(transport, "_pool"):  # pragma: no cover - guards an httpx upgrade
        raise OsintError("this httpx version is not supported by osint capture")
    transport._pool = httpcore.ConnectionPool(
        ssl_context=ssl_context,
        max_keepalive_connections=0,
        http1=True,
        http2=False,
        retries=0,
        network_backend=_recording_backend(wire_limit, deadline),
    )
    headers = {
        "User-Agent": user_agent,
        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    }
    result = FetchResult(requested_url=url, user_agent=user_agent)
    seen: set[str] = set()
    with httpx.Client(
        transport=transport,
        headers=headers,
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        trust_env=False,
    ) as client:
        current = url
        while True:
            if len(result.hops) > max_redirects or current in seen:
                raise CaptureError(
                    f"{url}: redirected in a loop or more than {max_redirects} times "
                    f"(last: {current})"
                )
            seen.add(current)
            hop = _one_hop(client, current, timeout, max_bytes, deadline, max_time)
            result.hops.append(hop)
            location = hop.header("location")
            if hop.status in REDIRECT_STATUSES and location:
                current = check_url(urljoin(current, location.strip()))
                continue
            return result


def _one_hop(client, url: str, timeout: float, max_bytes: int, deadline: float, max_time: float):
    import httpx

    from osint import boundedio

    too_large = f"{url}: the response is larger than the {size(max_bytes)} cap (--max-size)"
    host = urlsplit(url).hostname or url
    past_deadline = (
        f"{url}: {host} did not answer within {max_time:g} s "
        "(--timeout, the deadline for the whole exchange); abandoned"
    )
    started = now()
    try:
        request = client.build_request("GET", url)
        response = client.send(request, stream=True)
    except httpx.HTTPError as exc:
        raise CaptureError(_explain(exc, url, timeout)) from None
    except _TooLarge:
        raise CaptureError(too_large) from None
    except _PastDeadline:
        raise CaptureError(past_deadline) from None
    stream = response.extensions.get("network_stream")
    try:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise CaptureError(
                f"{url}: the response is {size(int(declared))} (Content-Length), over the "
                f"{size(max_bytes)} cap (--max-size)"
            )
        # The body is decoded here, never by httpx: each read decodes at most what it returns, so
        # a small compressed response that inflates to gigabytes stops at the cap.
        coding = response.headers.get("content-encoding")
        names = boundedio.codings(coding)
        if any(name not in boundedio.CODINGS for name in names):
            coding = None  # a coding nobody knows: the payload is kept as sent
        raw = boundedio.IterReader(response.iter_raw())
        decoded = boundedio.decoded_reader(raw, coding)
        body = bytearray()
        while chunk := decoded.read(boundedio.CHUNK):
            body += chunk
            if len(body) > max_bytes:
                raise CaptureError(too_large)
            if time.monotonic() > deadline:
                raise CaptureError(past_deadline)
    except httpx.HTTPError as exc:
        raise CaptureError(_explain(exc, url, timeout)) from None
    except boundedio.LimitExceeded as exc:
        raise CaptureError(f"{url}: {exc}") from None
    except ValueError as exc:
        raise CaptureError(f"{url}: the server's compressed data is damaged ({exc})") from None
    except _TooLarge:
        raise CaptureError(too_large) from None
    except _PastDeadline:
        raise CaptureError(past_deadline) from None
    finally:
        response.close()
    if not isinstance(stream, _RecordingStream):  # pragma: no cover - guards an httpx upgrade
        raise OsintError("osint capture could not record the HTTP exchange")
    peer = stream.peer or (None, None)
    return Hop(
        url=url,
        status=response.status_code,
        reason=response.reason_phrase or "",
        http_version=response.http_version,
        request_bytes=bytes(stream.sent),
        response_bytes=bytes(stream.received),
        body=bytes(body),
        response_headers=[
            (k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw
        ],
        server_ip=peer[0],
        server_port=peer[1],
        tls=stream.tls,
        date=started.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    )
