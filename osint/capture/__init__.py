"""Capture: web pages and documents archived as evidence, straight into the case.

    cap = capture.capture("https://example.org/news", screenshot=True)   # online, no case yet
    with case.writing():
        outcome = capture.add_capture(case, cap)                          # one transaction

A capture is a snapshot (method `capture`) whose bytes are a WARC file holding every HTTP
exchange of the redirect chain exactly as received, and whose text is the document's extracted
main text. The snapshot row also records the requested and final URL, HTTP status, every hop's
status and headers, the server's IP address, the TLS certificate chain of the same connection,
the user agent, SHA-256 hashes of the request, the response and its payload, and the tool
versions. Capturing a URL again adds a new dated capture to the same source.

Modules: `fetch` (network), `warc` (WARC writing and reading), `extract` (text), `screenshot`
(headless Chromium), `archive_import` and `archive_export` (WARC and WACZ in and out), `diff`,
`timestamp` (RFC 3161). Heavy libraries (httpx, warcio, trafilatura) load inside the functions.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from osint import __version__, sources
from osint.case import kinds, records
from osint.errors import InvalidInput

__all__ = [
    "Capture",
    "CaptureError",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_TIMEOUT",
    "DEFAULT_USER_AGENT",
    "add_capture",
    "capture",
    "capture_columns",
]

# Here rather than in fetch.py: the case's kinds registry imports osint.capture.record_kinds at
# startup, and this package must not load the network code (ssl, sockets) for it.
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_BYTES = 100 * 1024 * 1024


def __getattr__(name: str):
    if name in ("CaptureError", "check_url"):
        from osint.capture import fetch

        return getattr(fetch, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


DEFAULT_USER_AGENT = (
    f"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    f"compatible; osint/{__version__} evidence capture"
)


@dataclass
class Capture:
    """A page fetched and prepared for the case (nothing written yet)."""

    url: str
    result: object  # fetch.FetchResult
    extracted: object  # extract.Extracted
    snapshot: sources.PreparedSnapshot
    tls_pem: str | None = None  # the final connection's certificate chain, stored as a blob
    screenshot: bytes | None = None
    screenshot_error: str | None = None
    screenshot_depicts: str | None = None  # what the screenshot shows (screenshot.Shot.depicts)
    warnings: list[str] = field(default_factory=list)

    @property
    def status(self) -> int:
        return self.result.final.status

    @property
    def flag(self) -> str | None:
        """Why this capture deserves a second look (an error page), or None."""
        final = self.result.final
        if final.status >= 400:
            return f"HTTP {final.status} {final.reason}".rstrip()
        if final.status in (204, 205) or not final.body:
            return f"HTTP {final.status}: empty response"
        return None


def _tool_versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    parts = [f"osint {__version__}"]
    for name in ("httpx", "warcio"):
        with contextlib.suppress(PackageNotFoundError):
            parts.append(f"{name} {version(name)}")
    return "; ".join(parts)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _certificate_summary(chain: list[bytes]) -> dict:
    """Subject, issuer, validity and fingerprint of the leaf certificate."""
    if not chain:
        return {}
    try:
        from cryptography import x509

        leaf = x509.load_der_x509_certificate(chain[0])
        return {
            "subject": leaf.subject.rfc4514_string(),
            "issuer": leaf.issuer.rfc4514_string(),
            "not_before": leaf.not_valid_before_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "not_after": leaf.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "sha256": _sha256(chain[0]),
        }
    except Exception:  # an unparsable certificate is still kept, only not summarised
        return {"sha256": _sha256(chain[0])}


def _hop_record(hop) -> dict:
    tls = None
    if hop.tls:
        tls = {
            "version": hop.tls.get("version"),
            "cipher": hop.tls.get("cipher"),
            "verified": hop.tls.get("verified"),
            "server_name": hop.tls.get("server_name"),
            "certificates": len(hop.tls.get("chain") or []),
            **_certificate_summary(hop.tls.get("chain") or []),
        }
    return {
        "url": hop.url,
        "date": hop.date,
        "status": hop.status,
        "reason": hop.reason,
        "http_version": hop.http_version,
        "headers": [[k, v] for k, v in hop.response_headers],
        "server_ip": hop.server_ip,
        "server_port": hop.server_port,
        "tls": tls,
        "request_sha256": _sha256(hop.request_bytes),
        "response_sha256": _sha256(hop.response_bytes),
    }


def _warc_name(url: str, date: str) -> str:
    host = (urlsplit(url).hostname or "capture").replace(":", "_")
    stamp = "".join(ch for ch in date[:19] if ch.isdigit())
    return f"{host}-{stamp}.warc.gz"


def capture(
    url: str,
    *,
    user_agent: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    insecure: bool = False,
    screenshot: bool = False,
) -> Capture:
    """Fetch a URL (online) and prepare its snapshot: WARC, text, hashes, optional screenshot."""
    from osint.capture import extract, fetch, warc

    url = fetch.check_url(url)
    user_agent = user_agent or DEFAULT_USER_AGENT
    result = fetch.fetch(
        url, user_agent=user_agent, timeout=timeout, max_bytes=max_bytes, insecure=insecure
    )
    final = result.final
    extracted = extract.extract(final.body, final.media_type, final.charset, name=final.url)
    hops = [_hop_record(hop) for hop in result.hops]
    tool = _tool_versions()
    columns = {
        "url": url,
        "final_url": final.url,
        "http_status": final.status,
        "http_reason": final.reason or None,
        "content_type": final.header("content-type"),
        "server_ip": final.server_ip,
        "redirects": json.dumps(hops, ensure_ascii=False),
        "user_agent": user_agent,
        "request_sha256": hops[-1]["request_sha256"],
        "response_sha256": hops[-1]["response_sha256"],
        "payload_sha256": _sha256(final.body),
        "payload_size": len(final.body),
        "text_extractor": extracted.extractor,
        "text_encoding": (
            f"{extracted.encoding} ({extracted.encoding_source})" if extracted.encoding else None
        ),
        "tool": tool,
    }
    chain = (final.tls or {}).get("chain") or []
    if final.tls:
        leaf = hops[-1]["tls"] or {}
        columns.update(
            {
                "tls_version": final.tls.get("version"),
                "tls_verified": 1 if final.tls.get("verified") else 0,
                "tls_subject": leaf.get("subject"),
                "tls_issuer": leaf.get("issuer"),
            }
        )
    tls_pem = warc.certificates_pem(chain) if chain else None
    metadata = {
        "software": tool,
        "requested_url": url,
        "final_url": final.url,
        "user_agent": user_agent,
        "hops": [
            {
                **hop,
                "certificates_pem": (
                    warc.certificates_pem(result.hops[i].tls.get("chain") or [])
                    if result.hops[i].tls
                    else None
                ),
            }
            for i, hop in enumerate(hops)
        ],
        "payload_sha256": columns["payload_sha256"],
        "payload_size": columns["payload_size"],
        "text_sha256": (
            _sha256(extracted.text.encode("utf-8")) if extracted.text is not None else None
        ),
        "text_extractor": extracted.extractor,
        "text_encoding": columns["text_encoding"],
    }
    shot, shot_error = None, None
    if screenshot:  # rendered from the captured response; what it fetched joins the WARC
        from osint.capture import screenshot as shooter

        try:
            shot = shooter.screenshot(final, user_agent=user_agent, timeout=timeout)
            metadata["screenshot"] = shot.record()
        except shooter.ScreenshotError as exc:
            shot_error = str(exc)
    name = _warc_name(final.url, final.date)
    data, response_id = warc.build_capture_warc(
        result,
        filename=name,
        metadata=metadata,
        extra=(lambda builder, info: shooter.warc_members(shot, builder, info)) if shot else None,
    )
    columns["warc_record_id"] = response_id
    prepared = sources.PreparedSnapshot(
        path=None,
        data=data,
        sha256=_sha256(data),
        media_type=warc.WARC_MEDIA_TYPE,
        text=extracted.text,
        retrieved_at=final.date[:19] + "Z",
        filename=name,
        method="capture",
        extra=columns,
    )
    cap = Capture(url=url, result=result, extracted=extracted, snapshot=prepared, tls_pem=tls_pem)
    cap.warnings.extend(extracted.warnings)
    cap.screenshot_error = shot_error
    if shot is not None:
        cap.screenshot, cap.screenshot_depicts = shot.png, shot.depicts
    return cap


# ---- into the case ---------------------------------------------------------------------------


@dataclass
class Outcome:
    source: dict
    snapshot: dict
    created: bool  # a new source (False: a new capture of an existing one)
    screenshot: dict | None = None


def find_source_for(conn, url: str) -> dict | None:
    """The (non-retracted) source already holding this URL: as its locator, or as the requested
    or final URL of one of its captures. (Two URLs that merely redirect to the same page, such as
    a login wall, are not taken for one source.)"""
    row = conn.execute(
        "SELECT id FROM sources WHERE locator = ? AND retracted_at IS NULL "
        "ORDER BY added_at LIMIT 1",
        (url,),
    ).fetchone()
    if row is None:
        row = conn.execute(
            "SELECT s.id FROM snapshots n JOIN sources s ON s.id = n.source "
            "WHERE (n.url = ? OR n.final_url = ?) AND s.retracted_at IS NULL "
            "AND n.retracted_at IS NULL ORDER BY n.added_at LIMIT 1",
            (url, url),
        ).fetchone()
    return records.get(conn, "source", row[0]) if row else None


def store_capture(case, source_id: str, cap: Capture, snapshot_id=None) -> dict:
    """Store a prepared capture's snapshot and its TLS chain (inside a write transaction)."""
    from osint.case.store import blobs

    prepared, tls_pem = cap.snapshot, cap.tls_pem
    if tls_pem:
        sha, _ = blobs.put_bytes(case.conn, tls_pem.encode("ascii"), "application/x-pem-file")
        prepared.extra = {**(prepared.extra or {}), "tls_chain_sha256": sha}
    return sources.store_snapshot(case, source_id, prepared, snapshot_id)


def add_capture(
    case,
    cap: Capture,
    *,
    title: str | None = None,
    publisher: str | None = None,
    author: str | None = None,
    published: str | None = None,
    grade: str | None = None,
    note: str | None = None,
    source_ref: str | None = None,
) -> Outcome:
    """Record a capture: a new source, or a new dated capture of the source holding the URL."""
    with case.writing():
        if source_ref:
            existing = records.resolve(case.conn, source_ref, ["source"])[1]
        else:
            existing = find_source_for(case.conn, cap.url)
        if existing:
            spec = kinds.get("source")
            snapshot = store_capture(case, existing["id"], cap)
            source, _ = records.update_fields(
                case,
                spec,
                existing,
                {"snapshot": snapshot["id"], "snapshot_sha256": snapshot["sha256"]},
                "snapshot",
            )
            created = False
        else:
            meta = cap.extracted
            fields = {
                "locator": cap.url,
                "title": kinds.text(title or meta.title or cap.result.final.url, "--title"),
                "publisher": kinds.optional_text(publisher or meta.publisher),
                "author": kinds.optional_text(author or meta.author),
                "published": kinds.when(published, "--published") or meta.published,
                "grade": kinds.grade(grade, "--grade"),
                "note": kinds.optional_text(note),
            }
            from osint import ids

            source_id, snapshot_id = ids.new_id(), ids.new_id()
            snapshot = store_capture(case, source_id, cap, snapshot_id)
            fields["snapshot"] = snapshot_id
            fields["snapshot_sha256"] = snapshot["sha256"]
            source = records.create(
                case,
                "source",
                fields,
                added_from=f"capture of {cap.url} sha256:{snapshot['sha256']}",
                record_id=source_id,
            )
            created = True
        shot = None
        if cap.screenshot:
            snapshot, shot = store_screenshot(
                case, source, snapshot, cap.screenshot, cap.screenshot_depicts
            )
    return Outcome(source=source, snapshot=snapshot, created=created, screenshot=shot)


def store_screenshot(
    case, source: dict, snapshot: dict, png: bytes, depicts: str | None = None
) -> tuple[dict, dict]:
    """Keep a capture's full-page screenshot as an image derived from the capture.

    It goes through the imagery pipeline (hash, metadata, thumbnail), is linked to the snapshot
    by `derived-from`, and the snapshot names it in `screenshot_sha256`.
    """
    from osint.imagery import add_image_bytes

    image = add_image_bytes(
        case,
        png,
        f"screenshot-{snapshot['id'][:8]}.png",
        source=source["id"],
        caption=f"Full-page screenshot at capture ({snapshot.get('retrieved_at')}) of "
        + (depicts or snapshot.get("final_url") or source["locator"]),
        derived_from=snapshot["id"],
    )
    new_snapshot, _ = records.update_fields(
        case, kinds.get("snapshot"), snapshot, {"screenshot_sha256": image["sha256"]}, "screenshot"
    )
    return new_snapshot, {
        "id": image["id"],
        "sha256": image["sha256"],
        "size": len(png),
        "media_type": "image/png",
    }


CAPTURE_COLUMNS = (
    "url",
    "final_url",
    "http_status",
    "http_reason",
    "content_type",
    "server_ip",
    "tls_version",
    "tls_verified",
    "tls_subject",
    "tls_issuer",
    "tls_chain_sha256",
    "user_agent",
    "request_sha256",
    "response_sha256",
    "payload_sha256",
    "payload_size",
    "text_extractor",
    "text_encoding",
    "tool",
    "screenshot_sha256",
    "archive_sha256",
    "archive_offset",
    "warc_record_id",
)


def capture_columns(snapshot: dict) -> dict:
    """The capture details of a snapshot row, for output (redirects decoded)."""
    out = {c: snapshot.get(c) for c in CAPTURE_COLUMNS if snapshot.get(c) is not None}
    if snapshot.get("redirects"):
        try:
            hops = json.loads(snapshot["redirects"])
        except ValueError:
            hops = []
        out["redirects"] = [
            {"url": h.get("url"), "status": h.get("status"), "server_ip": h.get("server_ip")}
            for h in hops
        ]
    return out


def require_url(value: str) -> str:
    from osint.capture.fetch import check_url

    try:
        return check_url(value)
    except InvalidInput:
        raise InvalidInput(
            f"--capture: {value!r} is not a web address (give an http:// or https:// URL)"
        ) from None
