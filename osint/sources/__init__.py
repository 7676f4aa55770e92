"""Sources and their snapshots, verbatim quotes and findings; text extraction and matching."""

# The public names live in osint.sources.evidence, imported on first use: the case's kinds
# registry imports osint.sources.record_kinds at startup, which must not load the evidence code.
_EXPORTS = frozenset(
    {
        "MAX_SNAPSHOT_BYTES",
        "PreparedSnapshot",
        "add_finding",
        "add_quote",
        "add_source",
        "attach_snapshot",
        "current_snapshot",
        "export_snapshot",
        "extract_quotes",
        "prepare_snapshot",
        "quote_on_edit",
        "snapshot_search_text",
        "snapshot_text",
        "snapshot_text_report",
        "snapshots_of",
        "store_snapshot",
    }
)

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        from osint.sources import evidence

        return getattr(evidence, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
