"""`osint source import FILE.warc|.warc.gz|.wacz`: web archives made elsewhere, into the case.

Each captured page (an HTML, PDF or text response; for a WACZ, each page its
pages.jsonl lists) becomes a source with a snapshot whose bytes are that page's WARC records
copied byte for byte from the archive (warcinfo, request, response, metadata), whose text is
extracted as for a capture, and whose retrieval time is the archive's own capture time. The
archive file itself is stored too (`archive_sha256`), so nothing of what a colleague sent is
lost. Everything is read and checked before the case is opened for writing: a damaged archive
is refused with the reason and the case is left untouched.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

from osint import __version__, sources
from osint.boundedio import open_zip_member
from osint.capture import warc as warcmod
from osint.case import records
from osint.case.store import blobs
from osint.errors import InvalidInput

MAX_PAGE_BYTES = 200 * 1024 * 1024
MAX_METADATA_BYTES = 4 * 1024 * 1024
# A WACZ's own JSON files: read whole, so bounded (boundedio.read_at_most refuses past these).
MAX_PACKAGE_BYTES = 16 * 1024 * 1024
MAX_PAGES_BYTES = 256 * 1024 * 1024


def _open(source):
    """A binary file: `source` is a path, or a callable opening a stream (a WACZ member)."""
    return source() if callable(source) else open(source, "rb")  # noqa: SIM115


def _is_metadata_uri(uri: str | None) -> bool:
    """Records about the crawl, not captured pages: wget's metadata://, dns:, crawler notes."""
    scheme = (uri or "").partition(":")[0].lower()
    return scheme not in ("http", "https", "file", "ftp")


WACZ_VERSION = "1.1.1"


@dataclass
class ImportedPage:
    url: str
    final_url: str
    status: int | None
    reason: str
    date: str | None
    title: str | None
    prepared: sources.PreparedSnapshot
    extracted: object


@dataclass
class ParsedArchive:
    path: Path
    kind: str  # "warc", "arc" or "wacz"
    sha256: str
    size: int
    pages: list[ImportedPage] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)  # what was verified, for the report
    signature: dict | None = None
    warnings: list[str] = field(default_factory=list)


# ---- reading an archive ------------------------------------------------------------------------


def _iso_seconds(warc_date: str | None) -> str | None:
    if not warc_date:
        return None
    from osint.timeutil import parse_when

    try:
        return parse_when(warc_date.split(".")[0].rstrip("Z") + "Z", "WARC-Date")
    except InvalidInput:
        return None


def _sniff(path: Path) -> str:
    with _open(path) as handle:
        head = handle.read(4096)
    if head.startswith(b"PK\x03\x04"):
        return "wacz"
    gzipped = head.startswith(b"\x1f\x8b")
    if gzipped:
        try:
            head = zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(head, 64)
        except zlib.error:
            return "warc"  # damaged: read_records says how
    if head.lstrip(b"\r\n").startswith(b"filedesc://"):
        return "arc"
    if gzipped or head.lstrip(b"\r\n").startswith(b"WARC/"):
        return "warc"
    raise InvalidInput(f"{path}: not a WARC, ARC or WACZ file")


def _slices(handle, wanted) -> bytes:
    """The wanted records' bytes exactly as in the archive (ARC records converted to WARC)."""
    out = bytearray()
    for record in wanted:
        handle.seek(record.offset)
        piece = handle.read(record.length)
        if len(piece) != record.length:
            raise InvalidInput(f"record at offset {record.offset} is cut short")
        out += _arc_to_warc(piece, record.record_id) if _is_arc_record(piece) else piece
    return bytes(out)


def _is_arc_record(piece: bytes) -> bool:
    head = piece[:64]
    if head[:2] == b"\x1f\x8b":
        try:
            head = zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(piece[:4096], 64)
        except zlib.error:
            return False
    return not head.lstrip(b"\r\n").startswith(b"WARC/")


def _arc_to_warc(piece: bytes, record_id: str | None = None) -> bytes:
    """One ARC record as a WARC record (warcio's conversion; the ARC file itself is kept too)."""
    import io

    from warcio.warcwriter import WARCWriter

    gzipped = piece[:2] == b"\x1f\x8b"
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=gzipped, warc_version="1.0")
    for record in warcmod.archive_iterator(io.BytesIO(piece), arc2warc=True):
        if record_id:
            record.rec_headers.replace_header("WARC-Record-ID", record_id)
        writer.write_record(record)
    return buffer.getvalue()


def _pages_from_warc(
    path: Path,
    name: str,
    archive_sha: str,
    display: str,
    page_list: list[dict] | None,
    warnings: list[str],
    checks: list[str],
) -> list[ImportedPage]:
    """The pages in one WARC file (all HTML/PDF/text responses, or those `page_list` names)."""
    from osint.capture import extract

    with _open(path) as handle:
        found = warcmod.read_records(handle, name, max_content=MAX_PAGE_BYTES)
    if _sniff(path) == "arc":
        # ARC records have no ids (warcio makes random ones): ids from the archive and the
        # record's place in it, so importing the same ARC again finds its pages already there.
        import uuid

        for record in found:
            record.record_id = (
                f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'arc:{archive_sha}:{record.offset}')}>"
            )
    for record in found:
        for problem in record.digest_problems:
            warnings.append(f"{name}: {record.label}: {problem}")
    checked = sum(r.digests_checked for r in found)
    failed = sum(1 for r in found if r.digest_problems)
    checks.append(
        f"{len(found)} records read to their end, none cut short; "
        f"{checked} WARC digests checked" + (f", {failed} records FAILED" if failed else "")
    )
    # Capture metadata (wget's metadata:// log, manifest and arguments, crawler notes): kept with
    # the pages of their crawl, never made into pages themselves.
    capture_metadata = [r for r in found if r.type == "resource" and _is_metadata_uri(r.uri)]
    by_id = {r.record_id: r for r in found if r.record_id}
    warcinfos = [r for r in found if r.type == "warcinfo"]

    def warcinfo_of(record):
        """The warcinfo record describing `record`: the one it names, else the last before it."""
        named = by_id.get(record.warcinfo_id) if record.warcinfo_id else None
        if named is not None and named.type == "warcinfo":
            return named
        before = [w for w in warcinfos if w.offset < record.offset]
        return before[-1] if before else None

    responses = [
        r
        for r in found
        if r.type == "response" or r.type == "resource" and not _is_metadata_uri(r.uri)
    ]
    by_url: dict[str, list] = {}
    for record in responses:
        by_url.setdefault(record.uri or "", []).append(record)

    linked: dict[str, list] = {}  # response record id -> requests and metadata naming it
    requests_by_uri: dict[str, list] = {}
    for record in found:
        if record.type in ("request", "metadata"):
            for target in record.concurrent_to:
                linked.setdefault(target, []).append(record)
        if record.type == "request":
            requests_by_uri.setdefault(record.uri or "", []).append(record)

    def companions(response):
        """The records that belong with a response: its request and metadata."""
        out = list(linked.get(response.record_id, []))
        for target in response.concurrent_to:
            named = by_id.get(target)
            if named is not None and named.type in ("request", "metadata"):
                out.append(named)
        if not any(r.type == "request" for r in out):
            # Older crawlers do not link them: the request for the same URI just before it.
            before = [
                r for r in requests_by_uri.get(response.uri or "", []) if r.offset < response.offset
            ]
            if before:
                out.append(before[-1])
        return out

    def follow(record, hops):
        """Follow redirects captured in the archive to the page's final response."""
        while record.status in (301, 302, 303, 307, 308) and record.header("location"):
            target = urljoin(record.uri or "", record.header("location").strip())
            candidates = by_url.get(target)
            if not candidates or len(hops) > 20:
                break
            record = min(candidates, key=lambda r: abs(_distance(r.date, record.date)))
            hops.append(record)
        return record

    chosen: list[tuple[object, list]] = []
    if page_list is not None:
        for page in page_list:
            candidates = by_url.get(page.get("url") or "")
            if not candidates:
                continue
            first = min(candidates, key=lambda r: abs(_distance(r.date, page.get("ts"))))
            hops = [first]
            follow(first, hops)
            chosen.append((page, hops))
    else:
        for record in responses:
            if record.status in (301, 302, 303, 307, 308):
                continue
            if record.media_type not in warcmod.PAGE_TYPES or record.content is None:
                continue
            chosen.append(({}, [record]))
    pages = []
    with _open(path) as handle:
        for page, hops in chosen:
            final = hops[-1]
            if final.content is None:
                continue  # the page's final response is not a document (an image, a script)
            warcinfo = warcinfo_of(final)
            wanted = [warcinfo] if warcinfo else []
            wanted += [
                m
                for m in capture_metadata
                if warcinfo_of(m) is warcinfo and m.length <= MAX_METADATA_BYTES
            ]
            for hop in hops:
                wanted.extend(companions(hop))
                wanted.append(hop)
            wanted = sorted({id(r): r for r in wanted}.values(), key=lambda r: r.offset)
            try:
                data = _slices(handle, wanted)
            except InvalidInput as exc:
                raise InvalidInput(f"{name}: damaged WARC file ({exc})") from None
            if final.content_truncated:
                warnings.append(f"{final.uri}: text taken from the first {MAX_PAGE_BYTES} bytes")
            if final.content_problem:
                warnings.append(f"{final.uri}: {final.content_problem}; no text extracted")
            extracted = extract.extract(
                b"" if final.content_problem else final.content or b"",
                final.media_type,
                final.charset,
                name=final.uri or name,
            )
            warnings.extend(extracted.warnings)
            request = next((r for r in companions(final) if r.type == "request"), None)
            payload_sha = hashlib.sha256(final.content or b"").hexdigest()
            hop_rows = [
                {
                    "url": h.uri,
                    "date": h.date,
                    "status": h.status,
                    "reason": h.reason,
                    "headers": [[k, v] for k, v in h.http_headers],
                    "server_ip": h.ip,
                    "warc_record_id": h.record_id,
                }
                for h in hops
            ]
            software = None
            if warcinfo is not None:
                software = f"imported from {display}"
            columns = {
                "url": hops[0].uri,
                "final_url": final.uri,
                "http_status": final.status,
                "http_reason": final.reason or None,
                "content_type": final.header("content-type"),
                "server_ip": final.ip,
                "redirects": json.dumps(hop_rows, ensure_ascii=False),
                "user_agent": request.header("user-agent") if request else None,
                "payload_sha256": payload_sha,
                "payload_size": len(final.content or b""),
                "text_extractor": extracted.extractor,
                "text_encoding": (
                    f"{extracted.encoding} ({extracted.encoding_source})"
                    if extracted.encoding
                    else None
                ),
                "tool": f"osint {__version__} (import)" + (f"; {software}" if software else ""),
                "archive_sha256": archive_sha,
                "archive_offset": final.offset,
                "warc_record_id": final.record_id,
            }
            retrieved = _iso_seconds(final.date)
            prepared = sources.PreparedSnapshot(
                path=None,
                data=data,
                sha256=hashlib.sha256(data).hexdigest(),
                media_type=warcmod.WARC_MEDIA_TYPE,
                text=extracted.text,
                retrieved_at=retrieved,
                filename=display,
                method="import",
                extra=columns,
            )
            pages.append(
                ImportedPage(
                    url=hops[0].uri or "",
                    final_url=final.uri or "",
                    status=final.status,
                    reason=final.reason,
                    date=retrieved,
                    title=page.get("title") or extracted.title,
                    prepared=prepared,
                    extracted=extracted,
                )
            )
    return pages


def _distance(a: str | None, b: str | None) -> float:
    """Seconds between two WARC/ISO dates or 14-digit timestamps (0 when either is unknown)."""
    from datetime import UTC, datetime

    def parse(value):
        if not value:
            return None
        value = str(value).strip()
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            digits = "".join(ch for ch in value if ch.isdigit())[:14]
            try:
                moment = datetime.strptime(digits.ljust(14, "0"), "%Y%m%d%H%M%S")
            except ValueError:
                return None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    x, y = parse(a), parse(b)
    if x is None or y is None:
        return 0.0
    return (x - y).total_seconds()


def _hash_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, algorithm: str) -> tuple[str, int]:
    digest = hashlib.new(algorithm)
    size = 0
    with archive.open(info) as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _untrusted_chain(certs: list, domain, created) -> str | None:
    """Why a WACZ domain certificate does not chain to the system roots at signing time, or None.

    Checked offline: the certificates the package carries, the system trust store (never a root
    the package brings), the signing time the package states and the domain it names.
    """
    from datetime import UTC, datetime

    from cryptography import x509
    from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

    from osint.capture.timestamp import _self_signed, _trust_store_roots

    try:
        when = datetime.fromisoformat(str(created).replace("Z", "+00:00"))
        when = when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
    except ValueError:
        return f"the signing time {created!r} is not a date"
    roots = _trust_store_roots()
    if not roots:
        return "no system trust store to check the certificate chain against"
    leaf, rest = certs[0], [c for c in certs[1:] if not _self_signed(c)]
    if not domain:
        return "the signature names no domain"
    try:
        verifier = (
            PolicyBuilder()
            .store(Store(roots))
            .time(when)
            .build_server_verifier(x509.DNSName(str(domain)))
        )
        verifier.verify(leaf, rest)
    except (VerificationError, ValueError, TypeError) as exc:
        return (
            f"the certificate of {leaf.subject.rfc4514_string()} (issued by "
            f"{leaf.issuer.rfc4514_string()}) does not chain to a trusted root on "
            f"{when:%Y-%m-%d} ({exc})"
        )
    return None


def _check_signature(signed: dict, package_hash: str) -> dict:
    """What a WACZ signature says and whether it holds (checked offline)."""
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    out = {"signed": True, "created": signed.get("created"), "software": signed.get("software")}
    if signed.get("hash") != package_hash:
        out.update(valid=False, reason="the signature is for another datapackage.json")
        return out
    key = None
    try:
        if signed.get("publicKey"):
            der = base64.b64decode(signed["publicKey"])
            key = serialization.load_der_public_key(der)
            out["signer"] = "public key sha256:" + hashlib.sha256(der).hexdigest()[:16]
        elif signed.get("domainCert"):
            certs = x509.load_pem_x509_certificates(signed["domainCert"].encode())
            cert = certs[0]
            key = cert.public_key()
            out["signer"] = f"domain {signed.get('domain') or cert.subject.rfc4514_string()}"
            out["note"] = "the time signature is not checked offline"
            problem = _untrusted_chain(certs, signed.get("domain"), signed.get("created"))
            out["trusted"] = problem is None
            if problem:
                out["untrusted"] = problem
        signature = base64.b64decode(signed.get("signature") or "")
    except (ValueError, TypeError) as exc:
        out.update(valid=False, reason=f"unreadable signature data ({exc})")
        return out
    if key is None:
        out.update(valid=None, reason="no public key or certificate to check the signature with")
        return out
    if not isinstance(key, ec.EllipticCurvePublicKey):
        out.update(valid=None, reason="signature key type not supported for offline checking")
        return out
    message = package_hash.encode()
    candidates = [signature]
    if len(signature) % 2 == 0 and signature[:1] != b"\x30":
        half = len(signature) // 2  # WebCrypto's raw r||s form
        candidates.append(
            encode_dss_signature(
                int.from_bytes(signature[:half], "big"), int.from_bytes(signature[half:], "big")
            )
        )
    for algorithm in (hashes.SHA256(), hashes.SHA384()):
        for candidate in candidates:
            try:
                key.verify(candidate, message, ec.ECDSA(algorithm))
                if out.get("trusted") is False:
                    # Sound arithmetic under a key nobody vouches for proves nothing.
                    out.update(valid=None, reason=f"signature not trusted: {out.pop('untrusted')}")
                else:
                    out["valid"] = True
                return out
            except (InvalidSignature, ValueError):
                continue
    out.update(valid=False, reason="the signature does not match the package")
    return out


def _read_wacz(path: Path, sha: str, parsed: ParsedArchive) -> None:
    name = str(path)
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise InvalidInput(f"{name}: damaged or not a WACZ file ({exc})") from None
    with archive:
        names = {info.filename: info for info in archive.infolist()}
        if "datapackage.json" not in names:
            raise InvalidInput(f"{name}: not a WACZ file (no datapackage.json)")
        try:
            package_bytes = _member_bytes(archive, names["datapackage.json"], MAX_PACKAGE_BYTES)
            package = json.loads(package_bytes)
            resources = package["resources"]
        except (ValueError, KeyError, TypeError, zipfile.BadZipFile, zlib.error) as exc:
            raise InvalidInput(f"{name}: datapackage.json is not readable ({exc})") from None
        listed = set()
        for resource in resources:
            rpath = resource.get("path") if isinstance(resource, dict) else None
            expected = str(resource.get("hash") or "") if rpath else ""
            stats = resource.get("stats") if isinstance(resource.get("stats"), dict) else {}
            if rpath and not expected and stats.get("hash"):
                # The older frictionless form py-wacz wrote: {"stats": {"hash", "bytes"}, "hashing"}
                expected = f"{resource.get('hashing') or 'sha256'}:{stats['hash']}"
                if resource.get("bytes") is None and stats.get("bytes") is not None:
                    resource = {**resource, "bytes": stats["bytes"]}
            if not rpath:
                raise InvalidInput(f"{name}: datapackage.json lists a resource without a path")
            if rpath not in names:
                raise InvalidInput(f"{name}: {rpath} is listed in datapackage.json but missing")
            algorithm, _, value = expected.partition(":")
            if algorithm.lower() not in ("sha256", "md5", "sha1", "sha512") or not value:
                raise InvalidInput(f"{name}: {rpath} has no usable hash in datapackage.json")
            try:
                actual, size = _hash_entry(archive, names[rpath], algorithm.lower())
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
                raise InvalidInput(f"{name}: {rpath} is damaged ({exc})") from None
            if actual != value.lower():
                raise InvalidInput(
                    f"{name}: {rpath} does not match its hash in datapackage.json "
                    f"({algorithm}:{value[:12]}..., found {actual[:12]}...)"
                )
            if resource.get("bytes") is not None and int(resource["bytes"]) != size:
                raise InvalidInput(
                    f"{name}: {rpath} is {size} bytes, datapackage.json says {resource['bytes']}"
                )
            listed.add(rpath)
        parsed.checks.append(f"{len(listed)} files match their hashes in datapackage.json")
        unlisted = [
            n
            for n in names
            if n not in listed
            and not n.endswith("/")
            and n not in ("datapackage.json", "datapackage-digest.json")
        ]
        if unlisted:
            parsed.warnings.append(
                f"{len(unlisted)} files not listed in datapackage.json were ignored "
                f"({', '.join(sorted(unlisted)[:3])})"
            )
        if "datapackage-digest.json" in names:
            try:
                digest = json.loads(
                    _member_bytes(archive, names["datapackage-digest.json"], MAX_PACKAGE_BYTES)
                )
            except ValueError as exc:
                raise InvalidInput(
                    f"{name}: datapackage-digest.json is not readable ({exc})"
                ) from None
            algorithm, _, value = str(digest.get("hash") or "").partition(":")
            try:
                actual = hashlib.new(algorithm.lower() or "sha256", package_bytes).hexdigest()
            except ValueError:
                actual = ""
            if actual != value.lower():
                raise InvalidInput(
                    f"{name}: datapackage.json does not match its hash in datapackage-digest.json"
                )
            parsed.checks.append("datapackage.json matches datapackage-digest.json")
            if digest.get("signedData"):
                parsed.signature = _check_signature(digest["signedData"], digest.get("hash"))
                if parsed.signature.get("valid") is False:
                    raise InvalidInput(
                        f"{name}: the package signature is not valid "
                        f"({parsed.signature.get('reason')})"
                    )
        else:
            parsed.warnings.append(
                "no datapackage-digest.json: the package's list of hashes is not itself protected"
            )
        page_list = None
        for pages_name in ("pages/pages.jsonl", "pages/extraPages.jsonl"):
            if pages_name in listed:
                data = _member_bytes(archive, names[pages_name], MAX_PAGES_BYTES)
                page_list = (page_list or []) + _read_pages(data, name)
        warcs = sorted(
            n for n in listed if n.startswith("archive/") and n.endswith((".warc", ".warc.gz"))
        )
        if not warcs:
            raise InvalidInput(f"{name}: the WACZ holds no WARC file under archive/")
        for inner in warcs:
            # Read where it lies in the WACZ (never extracted to disk).
            def member(info=names[inner]):
                return open_zip_member(path, archive, info)

            parsed.pages.extend(
                _pages_from_warc(
                    member,
                    f"{name}: {inner}",
                    sha,
                    f"{path.name}/{inner}",
                    page_list,
                    parsed.warnings,
                    parsed.checks,
                )
            )


def _member_bytes(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """A small member of a WACZ, whole; refused (one line naming the limit) past `limit` bytes
    however small it is compressed."""
    from osint.boundedio import read_at_most

    with archive.open(info) as handle:
        return read_at_most(handle, limit, f"{archive.filename}: {info.filename}")


def _read_pages(data: bytes, name: str) -> list[dict]:
    pages = []
    for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError:
            raise InvalidInput(f"{name}: pages.jsonl line {number} is not JSON") from None
        if isinstance(item, dict) and item.get("url"):
            pages.append(item)
    return pages


def read_archive(path: str | os.PathLike) -> ParsedArchive:
    """Read and check a WARC or WACZ file completely (no case needed: nothing is written)."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    kind = _sniff(path)
    sha, size = blobs.sha256_file(path)
    parsed = ParsedArchive(path=path, kind=kind, sha256=sha, size=size)
    if kind in ("warc", "arc"):
        parsed.pages = _pages_from_warc(
            path, str(path), sha, path.name, None, parsed.warnings, parsed.checks
        )
    else:
        _read_wacz(path, sha, parsed)
    if not parsed.pages:
        raise InvalidInput(f"{path}: no captured page (HTML, PDF or text response) in the archive")
    return parsed


def import_archive(case, parsed: ParsedArchive) -> list[dict]:
    """Write a read archive's pages into the case, in one transaction; returns a row per page."""
    from osint.capture import find_source_for

    rows = []
    with case.writing():
        blobs.put_file(case.conn, parsed.path, f"application/{parsed.kind}", parsed.sha256)
        for page in parsed.pages:
            existing = find_source_for(case.conn, page.url)
            row = {
                "url": page.url,
                "status": page.status,
                "retrieved_at": page.date,
                "title": page.title,
            }
            if existing:
                # The same bytes, or the same WARC response record taken in another package.
                duplicate = case.conn.execute(
                    "SELECT id FROM snapshots WHERE source = ? AND retracted_at IS NULL "
                    "AND (sha256 = ? OR warc_record_id = ?)",
                    (existing["id"], page.prepared.sha256, page.prepared.extra["warc_record_id"]),
                ).fetchone()
                if duplicate:
                    row.update(
                        source=existing["id"], snapshot=duplicate[0], result="already in case"
                    )
                else:
                    _, snapshot = sources.attach_snapshot(case, existing["id"], page.prepared)
                    row.update(source=existing["id"], snapshot=snapshot["id"], result="new capture")
            else:
                source = sources.add_source(
                    case,
                    page.url,
                    title=page.title or page.final_url or page.url,
                    publisher=getattr(page.extracted, "publisher", None),
                    author=getattr(page.extracted, "author", None),
                    snapshot=page.prepared,
                )
                _fix_published(case, source, page)
                row.update(source=source["id"], snapshot=source["snapshot"], result="new source")
            rows.append(row)
    return rows


def _fix_published(case, source, page) -> None:
    """A page's own publication date, when it gave one (set through an audited edit)."""
    published = getattr(page.extracted, "published", None)
    if published and not source.get("published"):
        from osint.case import kinds

        records.update_fields(case, kinds.get("source"), source, {"published": published}, "edit")
