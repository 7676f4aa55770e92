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
from osint.boundedio import decode_bytes
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


def build_capture_warc(result, *, filename: str, metadata: dict, extra=None) -> tuple[bytes, str]:
    """The WARC (gzip per record) of a fetch: warcinfo, request/response per hop, metadata.

    `extra(builder, warcinfo_id)`, when given, returns more gzip members (the screenshot's
    resources), placed before the metadata record. Returns (bytes, WARC-Record-ID of the final
    response)."""
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
    for member in extra(builder, warcinfo_id) if extra is not None else ():
        out += member
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
    content_problem: str | None = None  # why the payload could not be decoded, if it could not
    digests_checked: int = 0  # how many of WARC-Block-Digest / WARC-Payload-Digest were checked
    digest_problems: list[str] = field(default_factory=list)
    missing: int = 0  # bytes the record's Content-Length announces but the file does not hold

    def _header_pairs(self) -> list[tuple[str, str]]:
        return self.http_headers

    @property
    def label(self) -> str:
        return f"{self.type} record {self.record_id or ''} ({self.uri or 'no URI'}) at byte {self.offset}"


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


def _payload(record, max_content: int) -> tuple[bytes, bool, str | None]:
    """A response's payload: transfer coding (chunked) undone by warcio, content coding by us."""
    from warcio.bufferedreaders import ChunkedDataReader

    stream = record.raw_stream
    headers = record.http_headers
    if headers is not None and (headers.get_header("transfer-encoding") or "").lower() == "chunked":
        stream = ChunkedDataReader(record.raw_stream, decomp_type=None)
    coding = headers.get_header("content-encoding") if headers is not None else None
    read_limit = max_content if not coding else max(max_content, 64 * 1024 * 1024)
    data = stream.read(read_limit + 1)
    truncated = len(data) > read_limit
    data = data[:read_limit]
    if coding and coding.strip().lower() != "identity":
        try:
            decoded, cut = decode_bytes(data, coding, max_content)
        except ValueError as exc:
            return data, truncated, f"Content-Encoding {coding}: {exc}"
        return decoded, truncated or cut, None
    return data, truncated, None


def read_records(fileobj, name: str, *, keep_content=PAGE_TYPES, max_content: int) -> list[Record]:
    """Every record of a WARC or ARC (plain or gzip), with exact spans, digests checked.

    A record's span (offset, length) covers every byte it occupies in the file, the blank lines
    that end an uncompressed record included, so the spans tile the file. Damaged files raise
    InvalidInput; a record cut short raises InvalidInput naming it and what is missing."""
    import contextlib

    found: list[Record] = []
    # warcio prints notes on odd input to stderr (spaces in a target URI...): the user hears about
    # damage from us, in one line naming the file.
    with contextlib.redirect_stderr(io.StringIO()):
        _read_all(fileobj, name, keep_content, max_content, found)
    if not found:
        raise InvalidInput(f"{name}: not a WARC file (no WARC records found)")
    fileobj.seek(0, 2)
    size = fileobj.tell()
    _close_spans(fileobj, found, size)
    for item in found:
        if item.missing:
            raise InvalidInput(
                f"{name}: damaged WARC file (the {item.label} is cut short: "
                f"{item.missing} bytes of its Content-Length are missing)"
            )
    end = found[-1].offset + found[-1].length
    if end < size:
        fileobj.seek(end)
        if fileobj.read(64).strip(b"\r\n\x00 "):
            raise InvalidInput(
                f"{name}: damaged WARC file (unreadable after byte {end} of {size}: "
                "cut short or corrupted)"
            )
    return found


def _read_all(fileobj, name: str, keep_content, max_content: int, found: list[Record]) -> None:
    from warcio.exceptions import ArchiveLoadFailed

    try:
        iterator = archive_iterator(fileobj, check_digests=True, arc2warc=True)
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
            item.digests_checked = sum(
                1 for h in ("WARC-Block-Digest", "WARC-Payload-Digest") if headers.get_header(h)
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
            if record.rec_type in ("response", "resource") and (
                keep_content is None or item.media_type in keep_content
            ):
                item.content, item.content_truncated, item.content_problem = _payload(
                    record, max_content
                )
            # Reading on to the end of the record makes its length known.
            iterator.read_to_end(record)
            item.missing = max(0, getattr(record.raw_stream, "limit", 0) or 0)
            checker = getattr(record, "digest_checker", None)
            if checker is not None and checker.problems:
                item.digest_problems = [str(p) for p in checker.problems]
            item.offset = iterator.get_record_offset()
            item.length = iterator.get_record_length()
            found.append(item)
    except ArchiveLoadFailed as exc:
        raise InvalidInput(f"{name}: damaged or not a WARC file ({_first_line(exc)})") from None
    except (EOFError, zlib.error, OSError, ValueError) as exc:
        raise InvalidInput(
            f"{name}: damaged WARC file ({exc.__class__.__name__}: {_first_line(exc)})"
        ) from None


def _close_spans(fileobj, found: list[Record], size: int) -> None:
    """Extend each uncompressed record's span over the blank lines that end it.

    warcio counts an uncompressed record up to the end of its block, leaving out the
    `\r\n\r\n` that the format puts after it; a copy of those bytes alone is not a valid WARC."""
    for index, item in enumerate(found):
        fileobj.seek(item.offset)
        if fileobj.read(2) == b"\x1f\x8b":
            continue  # a gzip member holds its record's separator
        limit = found[index + 1].offset if index + 1 < len(found) else size
        fileobj.seek(item.offset + item.length)
        gap = fileobj.read(max(0, min(limit - item.offset - item.length, 64)))
        keep = len(gap) - len(gap.lstrip(b"\r\n"))
        if index + 1 < len(found) and item.offset + item.length + len(gap) == limit:
            keep = len(gap)  # everything up to the next record belongs to this one
        item.length += keep


def record_spans(data: bytes) -> list[tuple[int, int]]:
    """(offset, length) of every record of a stored WARC, separators included."""
    return [
        (r.offset, r.length)
        for r in read_records(io.BytesIO(data), "stored WARC", keep_content=(), max_content=0)
    ]


def check_stored_warcs(conn) -> Iterator:
    """verify: every stored WARC (captures and imports) re-read record by record to its end."""
    from osint.case.store import blobs
    from osint.features import Problem

    seen: set[str] = set()
    for row in conn.execute(
        "SELECT id, sha256 FROM snapshots WHERE media_type = ? AND retracted_at IS NULL",
        (WARC_MEDIA_TYPE,),
    ):
        if row["sha256"] in seen:
            continue
        seen.add(row["sha256"])
        try:
            data = blobs.read_bytes(conn, row["sha256"])
        except Exception:  # a missing or damaged blob is reported by the blob check
            continue
        try:
            found = read_records(io.BytesIO(data), "stored WARC", keep_content=(), max_content=0)
        except InvalidInput as exc:
            yield Problem(row["id"], "snapshot", str(exc).replace("stored WARC: ", "its WARC: "))
            continue
        if sum(r.length for r in found) != len(data):
            yield Problem(row["id"], "snapshot", "its WARC holds bytes outside its records")
        for item in found:
            piece = data[item.offset : item.offset + item.length]
            if piece[:2] != b"\x1f\x8b" and not piece.endswith(b"\r\n\r\n"):
                yield Problem(
                    row["id"],
                    "snapshot",
                    f"its WARC's {item.label} lacks the blank lines that end a record "
                    "(export writes them back)",
                )


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else exc.__class__.__name__


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
