"""The kinds of the sources feature: sources, their snapshots, verbatim quotes, findings."""

from __future__ import annotations

from osint.case.fields import credibility, grade, optional_text, text, when
from osint.case.kinds import Kind, cut, register
from osint.case.kinds import lazy_parser as _lazy

register(
    Kind(
        name="source",
        plural="sources",
        table="sources",
        fields={
            "id": "id",
            "locator": "locator",
            "title": "title",
            "publisher": "publisher",
            "author": "author",
            "published": "published",
            "grade": "grade",
            "snapshot_sha256": "snapshot_sha256",
        },
        columns=["id", "grade", "title", "publisher", "published", "locator"],
        label=lambda r: cut(r["title"]),
        editable={
            "title": text,
            "locator": text,
            "publisher": optional_text,
            "author": optional_text,
            "published": when,
            "grade": grade,
            "note": optional_text,
        },
        date_field="published",
        search_title="title",
        search_fields=("locator", "publisher", "author", "note"),
        search_extra="osint.sources.evidence:snapshot_search_text",
    )
)
register(
    Kind(
        name="snapshot",
        plural="snapshots",
        table="snapshots",
        fields={
            "id": "id",
            "source": "source",
            "sha256": "sha256",
            "media_type": "media_type",
            "filename": "filename",
            "size": "size",
            "retrieved_at": "retrieved_at",
            "text_sha256": "text_sha256",
        },
        columns=["id", "source", "retrieved_at", "media_type", "size", "sha256"],
        label=lambda r: cut(f"{r['filename'] or r['media_type'] or ''} {r['retrieved_at'] or ''}"),
        editable={"note": optional_text},
        listed=False,
    )
)
register(
    Kind(
        name="quote",
        plural="quotes",
        table="quotes",
        fields={
            "id": "id",
            "text": "text",
            "speaker": "speaker",
            "role": "role",
            "source": "source",
            "verified": "verified",
            "start": "start_char",
            "end": "end_char",
            "said": "said",
            "credibility": "credibility",
        },
        columns=["id", "speaker", "text", "verified", "source"],
        label=lambda r: cut(f"{r['speaker'] or '?'}: {r['text']}"),
        editable={
            "text": text,
            "speaker": optional_text,
            "role": optional_text,
            "said": when,
            "credibility": credibility,
            "note": optional_text,
        },
        bools=("verified",),
        date_field="said",
        search_title="speaker",
        search_fields=("text", "role", "note"),
        on_edit="osint.sources.evidence:quote_on_edit",
    )
)
register(
    Kind(
        name="finding",
        plural="findings",
        table="findings",
        fields={"id": "id", "text": "text", "confidence": "confidence", "note": "note"},
        columns=["id", "confidence", "text", "added_by", "added_at"],
        label=lambda r: cut(r["text"]),
        editable={
            "text": text,
            "note": optional_text,
            "confidence": _lazy("osint.sources.evidence:parse_finding_confidence"),
        },
        search_fields=("text", "note"),
        generated_from=True,
    )
)
