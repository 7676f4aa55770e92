"""Sources and their snapshots, verbatim quotes and findings; text extraction and matching."""

from osint.sources.evidence import (
    MAX_SNAPSHOT_BYTES,
    PreparedSnapshot,
    add_finding,
    add_quote,
    add_source,
    attach_snapshot,
    current_snapshot,
    export_snapshot,
    extract_quotes,
    prepare_snapshot,
    quote_on_edit,
    snapshot_search_text,
    snapshot_text,
    snapshot_text_report,
    snapshots_of,
    store_snapshot,
)

__all__ = [
    "MAX_SNAPSHOT_BYTES",
    "PreparedSnapshot",
    "add_finding",
    "add_quote",
    "add_source",
    "attach_snapshot",
    "current_snapshot",
    "export_snapshot",
    "extract_quotes",
    "snapshot_text_report",
    "prepare_snapshot",
    "quote_on_edit",
    "snapshot_search_text",
    "snapshot_text",
    "snapshots_of",
    "store_snapshot",
]
