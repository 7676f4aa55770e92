"""Sources, their snapshots, quotes verified verbatim against them, and findings.

A snapshot keeps the original bytes (HTML, PDF, text, image) and, for documents, the extracted
text, both stored in the case under their SHA-256. A quote is verified against one snapshot's
text and keeps the character offsets where it occurs, so `verify` can re-check it at any time.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
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


MAX_SNAPSHOT_BYTES = 512 * 1024 * 1024


def prepare_snapshot(path: str | os.PathLike, retrieved_at: str | None = None) -> PreparedSnapshot:
    """Read a local copy of a source; its retrieval time is the file's modification time unless given."""
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
    text = textextract.extract_text(data, media_type, name=f"--snapshot {path}")
    if retrieved_at is None:
        retrieved_at = iso(datetime.fromtimestamp(path.stat().st_mtime, UTC))
    return PreparedSnapshot(
        path=path,
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        media_type=media_type,
        text=text,
        retrieved_at=retrieved_at,
        filename=path.name,
        method="file",
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
    if body is not None:
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
    if body is None:
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
    supported_by: list[str] = (),
    contradicted_by: list[str] = (),
    note: str | None = None,
) -> tuple[dict, list[dict]]:
    """A finding of the investigation, linked to the evidence that supports or contradicts it."""
    with case.writing():
        finding = records.create(
            case,
            "finding",
            {"text": kinds.text(text or "", "finding text"), "note": kinds.optional_text(note)},
        )
        made = []
        for ref in supported_by:
            made.append(records.link(case, ref, finding["id"], "supports"))
        for ref in contradicted_by:
            made.append(records.link(case, ref, finding["id"], "contradicts"))
    return finding, made
