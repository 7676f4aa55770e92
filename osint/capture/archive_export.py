"""`osint export warc|wacz`: every capture in the case, for replay tools.

WARC: one file, gzip per record (or plain for `.warc`), the stored records copied unchanged.
WACZ: a ZIP (stored, not deflated) with archive/data.warc.gz, indexes/index.cdx (CDXJ, sorted),
pages/pages.jsonl (with each page's extracted text for search), datapackage.json listing every
file with its SHA-256 and size, and datapackage-digest.json with the hash of datapackage.json;
ReplayWeb.page opens it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
import zlib
from pathlib import Path
from urllib.parse import urlsplit

from osint import __version__, sources
from osint.capture import warc as warcmod
from osint.case.store import blobs
from osint.errors import InvalidInput
from osint.fileio import atomic_output, atomic_path
from osint.timeutil import now_iso

WACZ_VERSION = "1.1.1"


def capture_snapshots(conn) -> list[dict]:
    """Every web-archive snapshot of the case's sources (captures and imports), oldest first."""
    rows = conn.execute(
        "SELECT n.*, s.title AS source_title FROM snapshots n JOIN sources s ON s.id = n.source "
        "WHERE n.media_type = ? AND n.retracted_at IS NULL AND s.retracted_at IS NULL "
        "ORDER BY n.retrieved_at, n.added_at",
        (warcmod.WARC_MEDIA_TYPE,),
    ).fetchall()
    return [dict(r) for r in rows]


def _write_records(handle, data: bytes, compressed: bool, seen: set[str]) -> None:
    """Copy a stored WARC's records to `handle`, gzip per record or plain, each record whole and
    once (the warcinfo a crawl's pages share is written once: `seen` holds the records written).

    Records are copied unchanged; an uncompressed record stored without the blank lines that end
    it (earlier imports took warcio's record lengths literally) gets them back."""
    import io

    for record in warcmod.read_records(
        io.BytesIO(data), "stored WARC", keep_content=(), max_content=0
    ):
        if record.record_id:
            if record.record_id in seen:
                continue
            seen.add(record.record_id)
        piece = data[record.offset : record.offset + record.length]
        if piece[:2] == b"\x1f\x8b":
            if compressed:
                handle.write(piece)
                continue
            piece = zlib.decompress(piece, zlib.MAX_WBITS | 16)
        if not piece.endswith(b"\r\n\r\n"):
            piece += b"\r\n\r\n"
        handle.write(warcmod.gzip_member(piece) if compressed else piece)


def export_warc(conn, destination: str | os.PathLike) -> dict:
    """Every capture of the case as one WARC file (.warc.gz: gzip per record; .warc: plain)."""
    destination = Path(destination)
    snapshots = capture_snapshots(conn)
    if not snapshots:
        raise InvalidInput("the case has no captures to export (osint capture URL)")
    compressed = destination.name.lower().endswith(".gz")
    written: set[str] = set()
    seen: set[str] = set()
    with atomic_output(destination, binary=True) as handle:
        for snapshot in snapshots:
            if snapshot["sha256"] in written:
                continue
            written.add(snapshot["sha256"])
            _write_records(handle, blobs.read_bytes(conn, snapshot["sha256"]), compressed, seen)
    return {"path": str(destination), "captures": len(written), "bytes": destination.stat().st_size}


def surt(url: str) -> str:
    """The sort-friendly form of a URL used by CDX indexes (`org,example)/path?query`)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    if not host.replace(".", "").isdigit():
        host = ",".join(reversed(host.split(".")))
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    try:
        port = parts.port
    except ValueError:
        port = None
    if port and port != default:
        host += f":{port}"
    path = parts.path or "/"
    query = "&".join(sorted(parts.query.split("&"))) if parts.query else ""
    return f"{host}){path.lower()}" + (f"?{query.lower()}" if query else "")


def _cdx_lines(path: Path, filename: str) -> list[str]:
    from osint.capture.warc import archive_iterator

    lines = []
    with open(path, "rb") as handle:
        iterator = archive_iterator(handle)
        for record in iterator:
            kind = record.rec_type
            headers = record.rec_headers
            uri = headers.get_header("WARC-Target-URI")
            entry = None
            if kind in ("response", "revisit", "resource") and uri:
                date = headers.get_header("WARC-Date") or ""
                stamp = "".join(ch for ch in date if ch.isdigit())[:14]
                entry = {"url": uri}
                if record.http_headers is not None and kind != "resource":
                    content_type = record.http_headers.get_header("Content-Type") or ""
                    entry["mime"] = content_type.split(";")[0].strip() or "unk"
                    entry["status"] = str(record.http_headers.get_statuscode() or "")
                else:
                    entry["mime"] = (headers.get_header("Content-Type") or "unk").split(";")[0]
                    entry["status"] = "200"
                digest = headers.get_header("WARC-Payload-Digest") or headers.get_header(
                    "WARC-Block-Digest"
                )
                if digest:
                    entry["digest"] = digest
                if kind == "revisit":
                    entry["mime"] = "warc/revisit"
            iterator.read_to_end(record)
            if entry is not None:
                entry["length"] = str(iterator.get_record_length())
                entry["offset"] = str(iterator.get_record_offset())
                entry["filename"] = filename
                lines.append(f"{surt(uri)} {stamp} {json.dumps(entry, ensure_ascii=False)}")
    return sorted(lines)


def _page_time(snapshot: dict) -> str:
    """When the page's final response was recorded, to the microsecond when known."""
    try:
        hops = json.loads(snapshot.get("redirects") or "[]")
    except ValueError:
        hops = []
    if hops and hops[-1].get("date"):
        return hops[-1]["date"]
    return snapshot["retrieved_at"]


def export_wacz(conn, destination: str | os.PathLike, *, title: str | None = None) -> dict:
    """Every capture of the case as a WACZ package for ReplayWeb.page."""
    destination = Path(destination)
    snapshots = capture_snapshots(conn)
    if not snapshots:
        raise InvalidInput("the case has no captures to export (osint capture URL)")
    created = now_iso()
    with tempfile.TemporaryDirectory(prefix="osint-wacz-") as workdir:
        warc_path = Path(workdir) / "data.warc.gz"
        written: set[str] = set()
        seen: set[str] = set()
        with open(warc_path, "wb") as handle:
            for snapshot in snapshots:
                if snapshot["sha256"] not in written:
                    written.add(snapshot["sha256"])
                    _write_records(handle, blobs.read_bytes(conn, snapshot["sha256"]), True, seen)
        index = ("\n".join(_cdx_lines(warc_path, "data.warc.gz")) + "\n").encode()
        pages = [{"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}]
        for snapshot in snapshots:
            page = {
                "id": snapshot["id"],
                "url": snapshot.get("final_url") or snapshot.get("url"),
                "ts": _page_time(snapshot),
                "title": snapshot.get("source_title"),
            }
            text = sources.snapshot_text(conn, snapshot)
            if text:
                page["text"] = text
            if page["url"]:
                pages.append(page)
        pages_bytes = "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in pages).encode()
        resources = []

        def resource(name: str, path: str, data: bytes | None = None, file: Path | None = None):
            if file is not None:
                sha, size = blobs.sha256_file(file)
            else:
                sha, size = hashlib.sha256(data).hexdigest(), len(data)
            resources.append({"name": name, "path": path, "hash": f"sha256:{sha}", "bytes": size})

        resource("data.warc.gz", "archive/data.warc.gz", file=warc_path)
        resource("index.cdx", "indexes/index.cdx", index)
        resource("pages.jsonl", "pages/pages.jsonl", pages_bytes)
        first = pages[1] if len(pages) > 1 else {}
        package = {
            "profile": "data-package",
            "wacz_version": WACZ_VERSION,
            "title": title or "osint captures",
            "software": f"osint {__version__}",
            "created": created,
            "modified": created,
            "mainPageUrl": first.get("url"),
            "mainPageDate": first.get("ts"),
            "resources": resources,
        }
        package_bytes = json.dumps(package, indent=2, ensure_ascii=False).encode()
        digest = {
            "path": "datapackage.json",
            "hash": "sha256:" + hashlib.sha256(package_bytes).hexdigest(),
        }
        with (
            atomic_path(destination) as partial,
            zipfile.ZipFile(partial, "w", zipfile.ZIP_STORED) as archive,
        ):
            archive.write(warc_path, "archive/data.warc.gz")
            archive.writestr("indexes/index.cdx", index)
            archive.writestr("pages/pages.jsonl", pages_bytes)
            archive.writestr("datapackage.json", package_bytes)
            archive.writestr("datapackage-digest.json", json.dumps(digest, indent=2))
    return {
        "path": str(destination),
        "captures": len(written),
        "pages": len(pages) - 1,
        "bytes": destination.stat().st_size,
    }
