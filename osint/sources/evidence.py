"""Sources, their snapshots, quotes verified verbatim against them, and findings.

A snapshot keeps the original bytes (HTML, PDF, text, image) and, for documents, the extracted
text, both stored in the case under their SHA-256. A quote is verified against one snapshot's
text and keeps the character offsets where it occurs, so `verify` can re-check it at any time.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from osint import ids
from osint.case import kinds, records
from osint.case.store import blobs
from osint.errors import InvalidInput, QuoteNotFound
from osint.sources import extract as textextract
from osint.sources import textmatch
from osint.timeutil import iso


@dataclass
class PreparedSnapshot:
    """A snapshot read, hashed and decoded before the write transaction starts."""

    path: Path | None
    data: bytes
    sha256: str
    media_type: str
    text: str | None
    retrieved_at: str | None
    filename: str | None
    method: str
    extra: dict | None = None
    warnings: list[str] = field(default_factory=list)  # for the user: text not read, and why


MAX_SNAPSHOT_BYTES = 512 * 1024 * 1024


def prepare_snapshot(
    path: str | os.PathLike, retrieved_at: str | None = None, *, password: str | None = None
) -> PreparedSnapshot:
    """Read a local copy of a source; its retrieval time is the file's modification time unless
    given. `password` opens an encrypted PDF's text (without it the PDF is kept, text-less)."""
    import hashlib

    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"--snapshot {path}: no such file")
    size = path.stat().st_size
    if size == 0:
        raise InvalidInput(f"--snapshot {path}: the file is empty")
    if size > MAX_SNAPSHOT_BYTES:
        raise InvalidInput(f"--snapshot {path}: larger than {MAX_SNAPSHOT_BYTES // 2**20} MiB")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"--snapshot {path}: cannot read ({exc.strerror})") from None
    media_type = textextract.sniff_media_type(data, path.name)
    extracted = textextract.extract_text_detailed(
        data, media_type, name=f"--snapshot {path}", password=password
    )
    if retrieved_at is None:
        retrieved_at = iso(datetime.fromtimestamp(path.stat().st_mtime, UTC))
    return PreparedSnapshot(
        path=path,
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        media_type=media_type,
        text=extracted.text,
        retrieved_at=retrieved_at,
        filename=path.name,
        method="file",
        extra={"text_encoding": extracted.encoding, "text_extractor": extracted.extractor},
        warnings=extracted.warnings,
    )


def store_snapshot(
    case, source_id: str, prepared: PreparedSnapshot, snapshot_id: str | None = None
) -> dict:
    """Store a prepared snapshot's bytes and text and record it (inside a write transaction)."""
    sha, _ = blobs.put_bytes(case.conn, prepared.data, prepared.media_type)
    text_sha = None
    if prepared.text is not None:
        text_sha, _ = blobs.put_bytes(
            case.conn, prepared.text.encode("utf-8"), "text/plain; charset=utf-8"
        )
    fields = {
        "source": source_id,
        "sha256": sha,
        "media_type": prepared.media_type,
        "filename": prepared.filename,
        "size": len(prepared.data),
        "retrieved_at": prepared.retrieved_at,
        "text_sha256": text_sha,
        "text_chars": len(prepared.text) if prepared.text is not None else None,
        "method": prepared.method,
        **(prepared.extra or {}),
    }
    origin = f"{prepared.filename or 'snapshot'} sha256:{sha}"
    return records.create(case, "snapshot", fields, added_from=origin, record_id=snapshot_id)


def add_source(
    case,
    locator: str,
    *,
    title: str,
    publisher: str | None = None,
    author: str | None = None,
    published: str | None = None,
    grade: str | None = None,
    note: str | None = None,
    snapshot: PreparedSnapshot | None = None,
) -> dict:
    """Record a source (a URL or any reference), with its snapshot when one is given."""
    fields = {
        "locator": kinds.text(locator, "locator"),
        "title": kinds.text(title or "", "--title"),
        "publisher": kinds.optional_text(publisher),
        "author": kinds.optional_text(author),
        "published": kinds.when(published, "--published"),
        "grade": kinds.grade(grade, "--grade"),
        "note": kinds.optional_text(note),
    }
    source_id = ids.new_id()
    snapshot_id = ids.new_id() if snapshot else None
    if snapshot:
        fields["snapshot"] = snapshot_id
        fields["snapshot_sha256"] = snapshot.sha256
    origin = f"snapshot {snapshot.filename} sha256:{snapshot.sha256}" if snapshot else None
    with case.writing():
        # The snapshot's text is indexed with the source, so it is stored first.
        if snapshot:
            store_snapshot(case, source_id, snapshot, snapshot_id)
        return records.create(case, "source", fields, added_from=origin, record_id=source_id)


def attach_snapshot(case, source_ref: str, prepared: PreparedSnapshot) -> tuple[dict, dict]:
    """A further snapshot of an existing source, which becomes its current one."""
    spec, source = records.resolve(case.conn, source_ref, ["source"])
    snapshot = store_snapshot(case, source["id"], prepared)
    new_source, _ = records.update_fields(
        case,
        spec,
        source,
        {"snapshot": snapshot["id"], "snapshot_sha256": snapshot["sha256"]},
        "snapshot",
    )
    return new_source, snapshot


def snapshot_text(conn: sqlite3.Connection, snapshot: dict | None) -> str | None:
    if not snapshot or not snapshot.get("text_sha256"):
        return None
    return blobs.read_bytes(conn, snapshot["text_sha256"]).decode("utf-8")


def current_snapshot(conn: sqlite3.Connection, source: dict) -> dict | None:
    if not source.get("snapshot"):
        return None
    return records.get(conn, "snapshot", source["snapshot"])


def snapshots_of(conn: sqlite3.Connection, source_id: str) -> list[dict]:
    return list(
        records.iter_records(
            conn,
            "snapshot",
            where="source = ?",
            params=[source_id],
            order_by="retrieved_at, added_at, rowid",
        )
    )


def snapshot_search_text(conn: sqlite3.Connection, source: dict) -> str | None:
    """Kind hook: a source is found by the words of its current snapshot too."""
    return snapshot_text(conn, current_snapshot(conn, source))


def add_quote(
    case,
    text: str,
    *,
    speaker: str,
    source_ref: str,
    role: str | None = None,
    said: str | None = None,
    credibility: str | int | None = None,
    note: str | None = None,
    force: bool = False,
) -> dict:
    """Record a verbatim quote, verified against the source's text snapshot when it has one."""
    quote_text = textmatch.clean_quote(kinds.text(text or "", "quote text"))
    _, source = records.resolve(case.conn, source_ref, ["source"])
    snapshot = current_snapshot(case.conn, source)
    body = snapshot_text(case.conn, snapshot)
    verified, start, end = 0, None, None
    if body is not None and snapshot is not None:
        match = textmatch.find(quote_text, body)
        if match:
            verified, start, end = 1, match.start, match.end
        elif not force:
            raise QuoteNotFound(
                f"quote not found in the text snapshot of source {source['id'][:8]} "
                f"({snapshot['filename'] or snapshot['sha256'][:12]}): "
                f"{textmatch.folded(quote_text)[:60]!r}; check the wording, or use --force to "
                "record it as unverified"
            )
    fields = {
        "text": quote_text,
        "speaker": kinds.optional_text(speaker),
        "role": kinds.optional_text(role),
        "source": source["id"],
        "snapshot": snapshot["id"] if snapshot and body is not None else None,
        "said": kinds.when(said, "--said"),
        "credibility": kinds.credibility(credibility, "--credibility"),
        "verified": verified,
        "start_char": start,
        "end_char": end,
        "note": kinds.optional_text(note),
    }
    with case.writing():
        return records.create(case, "quote", fields, added_from=f"source {source['id']}")


def quote_on_edit(case, quote: dict, changes: dict) -> dict:
    """Kind hook: a corrected quote text is verified again against its snapshot."""
    if "text" not in changes:
        return {}
    new_text = textmatch.clean_quote(changes["text"])
    snapshot = (
        records.get(case.conn, "snapshot", quote["snapshot"]) if quote.get("snapshot") else None
    )
    body = snapshot_text(case.conn, snapshot)
    if body is None:
        return {"text": new_text}
    match = textmatch.find(new_text, body)
    if not match:
        raise QuoteNotFound(
            f"the corrected text of quote {quote['id'][:8]} does not occur in its snapshot; "
            "retract it and add the quote again with --force to keep it unverified"
        )
    return {"text": new_text, "verified": 1, "start_char": match.start, "end_char": match.end}


def extract_quotes(case, source_ref: str, *, add: bool = False, min_words: int = 4) -> list[dict]:
    """Quotations found in the source's text snapshot, with guessed speakers; `add` records them.

    Each result carries `added` (the new quote's id) or `existing` (a quote already recorded at
    the same place), so running it twice records nothing twice.
    """
    _, source = records.resolve(case.conn, source_ref, ["source"])
    snapshot = current_snapshot(case.conn, source)
    body = snapshot_text(case.conn, snapshot)
    if body is None or snapshot is None:
        raise InvalidInput(f"source {source['id'][:8]} has no text snapshot to extract quotes from")
    recorded = [
        (q["start_char"], q["end_char"], q["id"])
        for q in records.iter_records(case.conn, "quote", where="source = ?", params=[source["id"]])
        if q["start_char"] is not None
    ]
    results = []
    with case.writing():
        for found in textmatch.extract(body, min_words=min_words):
            item = {
                "text": found.text,
                "speaker": found.speaker,
                "role": found.role,
                "source": source["id"],
                "start": found.start,
                "end": found.end,
            }
            # A quote already recorded over (most of) the same characters counts as this one.
            already = next(
                (
                    qid
                    for s, e, qid in recorded
                    if min(e, found.end) - max(s, found.start) > (e - s) // 2
                ),
                None,
            )
            if already:
                item["existing"] = already
            elif add:
                row = records.create(
                    case,
                    "quote",
                    {
                        "text": found.text,
                        "speaker": found.speaker,
                        "role": found.role,
                        "source": source["id"],
                        "snapshot": snapshot["id"],
                        "verified": 1,
                        "start_char": found.start,
                        "end_char": found.end,
                        "note": "extracted by osint quote extract; speaker guessed from context",
                    },
                    added_from=f"source {source['id']} (quote extract)",
                )
                item["added"] = row["id"]
                recorded.append((found.start, found.end, row["id"]))
            results.append(item)
    return results


def add_finding(
    case,
    text: str,
    *,
    supported_by: Sequence[str] = (),
    contradicted_by: Sequence[str] = (),
    note: str | None = None,
    confidence: str | None = None,
) -> tuple[dict, list[dict]]:
    """A finding of the investigation, linked to the evidence that supports or contradicts it,
    with the analyst's confidence in it (high, moderate or low) when stated."""
    fields = {"text": kinds.text(text or "", "finding text"), "note": kinds.optional_text(note)}
    if confidence is not None:
        fields["confidence"] = parse_finding_confidence(confidence)
    with case.writing():
        finding = records.create(case, "finding", fields)
        made = []
        for ref in supported_by:
            made.append(records.link(case, ref, finding["id"], "supports"))
        for ref in contradicted_by:
            made.append(records.link(case, ref, finding["id"], "contradicts"))
    return finding, made


def _snapshot_for(conn: sqlite3.Connection, ref: str, capture: int | None) -> tuple[dict, dict]:
    """(source, snapshot) for a source or snapshot id; `capture` N = the source's Nth snapshot,
    oldest first (default: its current one)."""
    spec, row = records.resolve(conn, ref, ["source", "snapshot"])
    if spec.name == "snapshot":
        if capture is not None:
            raise InvalidInput("--capture: give a source id, not a snapshot id, with --capture")
        return records.require(conn, "source", row["source"]), row
    source = row
    if capture is None:
        snapshot = current_snapshot(conn, source)
        if snapshot is None:
            raise InvalidInput(f"source {source['id'][:8]} has no snapshot")
        return source, snapshot
    every = snapshots_of(conn, source["id"])
    if not 1 <= capture <= len(every):
        raise InvalidInput(
            f"--capture {capture}: source {source['id'][:8]} has {len(every)} snapshots "
            f"(1 = the oldest, {len(every)} = the latest)"
        )
    return source, every[capture - 1]


def export_snapshot(
    case,
    ref: str,
    destination: str | os.PathLike,
    *,
    capture: int | None = None,
    payload: bool = False,
    force: bool = False,
) -> dict:
    """Write a snapshot's bytes out byte-identical (checked against their SHA-256).

    For a web capture the snapshot is its WARC; `payload` writes the captured document instead
    (the final response's body as received, its transfer and content codings undone), checked
    against the payload hash recorded at capture time."""
    import hashlib

    from osint.fileio import atomic_output

    source, snapshot = _snapshot_for(case.conn, ref, capture)
    if os.path.isdir(destination):
        raise InvalidInput(f"-o {destination}: is a folder; give a file name")
    if os.path.exists(destination) and not force:
        raise InvalidInput(f"-o {destination}: already exists (use --force to overwrite it)")
    out = {"source": source["id"], "snapshot": snapshot["id"], "path": str(destination)}
    if not payload:
        size = blobs.export(case.conn, snapshot["sha256"], destination)
        return {**out, "sha256": snapshot["sha256"], "size": size, "what": snapshot["media_type"]}
    if snapshot["media_type"] != "application/warc":
        raise InvalidInput(
            f"--payload: snapshot {snapshot['id'][:8]} is a {snapshot['media_type']} file, not a "
            "web capture; export it without --payload"
        )
    body = _capture_payload(case.conn, snapshot)
    sha = hashlib.sha256(body).hexdigest()
    if snapshot.get("payload_sha256") and sha != snapshot["payload_sha256"]:
        raise InvalidInput(
            f"snapshot {snapshot['id'][:8]}: the payload read back does not match the hash "
            f"recorded at capture ({snapshot['payload_sha256'][:12]}..., found {sha[:12]}...)"
        )
    with atomic_output(destination, binary=True) as handle:
        handle.write(body)
    return {**out, "sha256": sha, "size": len(body), "what": snapshot.get("content_type")}


def _capture_payload(conn: sqlite3.Connection, snapshot: dict) -> bytes:
    import io

    from osint.capture import warc as warcmod

    data = blobs.read_bytes(conn, snapshot["sha256"])
    found = warcmod.read_records(
        io.BytesIO(data),
        f"snapshot {snapshot['id'][:8]}",
        keep_content=None,
        max_content=MAX_SNAPSHOT_BYTES,
    )
    wanted = snapshot.get("warc_record_id")
    responses = [r for r in found if r.type in ("response", "resource") and r.content is not None]
    chosen = next((r for r in responses if wanted and r.record_id == wanted), None)
    if chosen is None and responses:
        chosen = responses[-1]
    if chosen is None:
        raise InvalidInput(f"snapshot {snapshot['id'][:8]}: its WARC holds no response payload")
    return chosen.content or b""


def snapshot_text_report(conn: sqlite3.Connection, ref: str, capture: int | None = None) -> dict:
    """The extracted text of a source's snapshot (or a snapshot's), with how it was obtained."""
    source, snapshot = _snapshot_for(conn, ref, capture)
    return {
        "id": source["id"],
        "snapshot": snapshot["id"],
        "media_type": snapshot["media_type"],
        "content_type": snapshot.get("content_type"),
        "text_encoding": snapshot.get("text_encoding"),
        "text_extractor": snapshot.get("text_extractor"),
        "text_sha256": snapshot.get("text_sha256"),
        "text": snapshot_text(conn, snapshot),
    }


# The analyst's confidence in a finding, in the words intelligence analysts use (ICD 203).
FINDING_CONFIDENCE = {
    "high": "high confidence: well corroborated by independent sources of good reliability",
    "moderate": "moderate confidence: credibly sourced and plausible, not corroborated enough "
    "for high confidence",
    "low": "low confidence: the evidence is fragmentary, questionable or poorly corroborated",
}


def parse_finding_confidence(value: str | None, name: str = "--confidence") -> str | None:
    """high, moderate or low (medium is read as moderate); empty: not stated."""
    if value is None or not str(value).strip():
        return None
    key = str(value).strip().lower()
    key = {"medium": "moderate", "mod": "moderate"}.get(key, key)
    if key not in FINDING_CONFIDENCE:
        raise InvalidInput(f"{name}: {value!r} is not high, moderate or low")
    return key
