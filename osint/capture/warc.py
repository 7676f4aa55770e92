"""WARC files: writing a capture's exchange, and reading web archives made elsewhere.

A capture is stored as one small WARC file (gzip per record, as web archives usually are):
`warcinfo`, then for each hop a `request` and a `response` record holding the bytes exactly as
they crossed the wire, then a `metadata` record (JSON) with the redirect chain, the TLS
certificates and the SHA-256 hashes. warcio writes the records; the HTTP headers are kept as
received (warcio would otherwise re-serialise them), so the evidence is never re-encoded.
"""

from __future__ import annotations

import hashlib
import io
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from osint import __version__
from osint.capture.fetch import HeaderAccess
from osint.errors import InvalidInput

WARC_MEDIA_TYPE = "application/warc"


def gzip_member(data: bytes, level: int = 6) -> bytes:
    compressor = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS + 16)
    return compressor.compress(data) + compressor.flush()


def _record_bytes(record) -> bytes:
    from warcio.warcwriter import WARCWriter

    buffer = io.BytesIO()
    WARCWriter(buffer, gzip=False, warc_version="1.1").write_record(record)
    return buffer.getvalue()


def _http_record(builder, uri: str, record_type: str, raw: bytes, headers: dict):
    """A request/response record whose HTTP head and body are `raw`, byte for byte."""
    from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParser

    class AsReceived(StatusAndHeaders):
        def compute_headers_buffer(self, header_filter=None):
            pass  # keep headers_buff: the bytes as they were on the wire

    stream = io.BytesIO(raw)
    verify = record_type == "request"
    try:
        parsed = StatusAndHeadersParser([], verify=False).parse(stream)
    except Exception:  # warcio raises several types for a malformed head
        parsed = None
    if parsed is None or verify and not parsed.statusline:
        head_end = 0
        http_headers = None
    else:
        head_end = stream.tell()
        http_headers = AsReceived(parsed.statusline, parsed.headers, parsed.protocol)
        http_headers.headers_buff = raw[:head_end]
    payload = io.BytesIO(raw[head_end:])
    content_type = f"application/http; msgtype={record_type}"
    if http_headers is None:
        record = builder.create_warc_record(
            uri,
            record_type,
            payload=payload,
            length=len(raw) - head_end,
            warc_content_type=content_type,
            warc_headers_dict=headers,
            http_headers=None,
        )
        # No HTTP head could be parsed: keep every byte as the block.
        record.raw_stream = io.BytesIO(raw)
        record.length = record.payload_length = len(raw)
        return record
    return builder.create_warc_record(
        uri,
        record_type,
        payload=payload,
        length=len(raw) - head_end,
        warc_content_type=content_type,
        warc_headers_dict=headers,
        http_headers=http_headers,
    )


def _warcio_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("warcio")
    except PackageNotFoundError:
        return "?"


def certificates_pem(chain: list[bytes]) -> str:
    import ssl

    return "".join(ssl.DER_cert_to_PEM_cert(der) for der in chain)


def build_capture_warc(result, *, filename: str, metadata: dict) -> tuple[bytes, str]:
    """The WARC (gzip per record) of a fetch: warcinfo, request/response per hop, metadata.

    Returns (bytes, WARC-Record-ID of the final response)."""
    from warcio.recordbuilder import RecordBuilder

    builder = RecordBuilder(warc_version="1.1")
    out = bytearray()
    first_date = result.hops[0].date
    info = (
        f"software: osint/{__version__} (warcio/{_warcio_version()})\r\n"
        "format: WARC File Format 1.1\r\n"
        "conformsTo: https://iipc.github.io/warc-specifications/specifications/"
        "warc-format/warc-1.1/\r\n"
        f"http-header-user-agent: {result.user_agent}\r\n"
        "description: evidence capture: every HTTP exchange as received, redirects included\r\n"
    ).encode()
    warcinfo = builder.create_warc_record(
        filename,
        "warcinfo",
        payload=io.BytesIO(info),
        length=len(info),
        warc_content_type="application/warc-fields",
        warc_headers_dict={"WARC-Date": first_date, "WARC-Filename": filename},
    )
    warcinfo.rec_headers.remove_header("WARC-Target-URI")
    warcinfo_id = warcinfo.rec_headers.get_header("WARC-Record-ID")
    out += gzip_member(_record_bytes(warcinfo))
    final_id = None
    for hop in result.hops:
        response_id = builder._make_warc_id()
        common = {"WARC-Date": hop.date, "WARC-Warcinfo-ID": warcinfo_id}
        if hop.server_ip:
            common["WARC-IP-Address"] = hop.server_ip
        request = _http_record(
            builder,
            hop.url,
            "request",
            hop.request_bytes,
            {**common, "WARC-Concurrent-To": response_id},
        )
        response = _http_record(
            builder,
            hop.url,
            "response",
            hop.response_bytes,
            {**common, "WARC-Record-ID": response_id},
        )
        out += gzip_member(_record_bytes(request))
        out += gzip_member(_record_bytes(response))
        final_id = response_id
    meta = json.dumps(metadata, ensure_ascii=False, indent=1, sort_keys=True).encode()
    record = builder.create_warc_record(
        result.final.url,
        "metadata",
        payload=io.BytesIO(meta),
        length=len(meta),
        warc_content_type="application/json",
        warc_headers_dict={
            "WARC-Date": result.final.date,
            "WARC-Concurrent-To": final_id,
            "WARC-Warcinfo-ID": warcinfo_id,
        },
    )
    out += gzip_member(_record_bytes(record))
    return bytes(out), final_id


# ---- reading ---------------------------------------------------------------------------------


@dataclass
class Record(HeaderAccess):
    """One WARC record as found in a file: where it is, what it is, and its HTTP response."""

    offset: int
    length: int
    type: str
    record_id: str | None
    uri: str | None
    date: str | None
    ip: str | None
    concurrent_to: list[str] = field(default_factory=list)
    warcinfo_id: str | None = None
    status: int | None = None
    reason: str = ""
    http_headers: list[tuple[str, str]] = field(default_factory=list)
    content: bytes | None = None  # payload without transfer/content coding (responses only)
    content_truncated: bool = False

    def _header_pairs(self) -> list[tuple[str, str]]:
        return self.http_headers


PAGE_TYPES = ("text/html", "application/xhtml+xml", "application/pdf", "text/plain")


def archive_iterator(fileobj, **options):
    """warcio's ArchiveIterator, minus the warnings it prints to stderr on damaged input.

    Damage is reported by our callers as one line naming the file; warcio's own multi-line
    warnings would otherwise reach the user's terminal before it.
    """
    import contextlib
    import io

    from warcio.archiveiterator import ArchiveIterator

    class QuietArchiveIterator(ArchiveIterator):
        def _consume_blanklines(self):
            with contextlib.redirect_stderr(io.StringIO()):
                return super()._consume_blanklines()

    return QuietArchiveIterator(fileobj, **options)


def read_records(
    fileobj, name: str, *, keep_content=PAGE_TYPES, max_content: int
) -> Iterator[Record]:
    """Every record of a WARC (plain or gzip), with offsets; damaged files raise InvalidInput."""
    from warcio.exceptions import ArchiveLoadFailed

    try:
        iterator = archive_iterator(fileobj, check_digests=False)
        count = last_end = 0
        for record in iterator:
            headers = record.rec_headers
            item = Record(
                offset=0,  # known once the record has been read to its end (below)
                length=0,
                type=record.rec_type,
                record_id=headers.get_header("WARC-Record-ID"),
                uri=headers.get_header("WARC-Target-URI"),
                date=headers.get_header("WARC-Date"),
                ip=headers.get_header("WARC-IP-Address"),
                concurrent_to=[v for k, v in headers.headers if k.lower() == "warc-concurrent-to"],
                warcinfo_id=headers.get_header("WARC-Warcinfo-ID"),
            )
            if record.http_headers is not None and record.rec_type in ("response", "revisit"):
                try:
                    item.status = int(record.http_headers.get_statuscode() or 0) or None
                except ValueError:
                    item.status = None
                statusline = record.http_headers.statusline or ""
                item.reason = statusline.partition(" ")[2]
                item.http_headers = list(record.http_headers.headers)
            if record.http_headers is not None and record.rec_type == "request":
                item.http_headers = list(record.http_headers.headers)
            if record.rec_type == "resource":
                item.http_headers = [("Content-Type", headers.get_header("Content-Type") or "")]
                item.status = 200
            if record.rec_type in ("response", "resource") and item.media_type in keep_content:
                stream = record.content_stream()
                data = stream.read(max_content + 1)
                if len(data) > max_content:
                    item.content_truncated = True
                    data = data[:max_content]
                item.content = data
            # Reading on to the end of the record makes its length known.
            iterator.read_to_end(record)
            item.offset = iterator.get_record_offset()
            item.length = iterator.get_record_length()
            last_end = item.offset + item.length
            count += 1
            yield item
        if count == 0:
            raise InvalidInput(f"{name}: not a WARC file (no WARC records found)")
        end = last_end
        fileobj.seek(0, 2)
        size = fileobj.tell()
        if end < size:
            fileobj.seek(end)
            if fileobj.read(64).strip(b"\r\n\x00 "):
                raise InvalidInput(
                    f"{name}: damaged WARC file (unreadable after byte {end} of {size}: "
                    "cut short or corrupted)"
                )
    except ArchiveLoadFailed as exc:
        raise InvalidInput(f"{name}: damaged or not a WARC file ({_first_line(exc)})") from None
    except (EOFError, zlib.error, OSError, ValueError) as exc:
        raise InvalidInput(
            f"{name}: damaged WARC file ({exc.__class__.__name__}: {_first_line(exc)})"
        ) from None


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else exc.__class__.__name__


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
