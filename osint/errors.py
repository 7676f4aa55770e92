"""Errors a user can act on. The CLI prints their message on one line and exits with their status.

Library code raises these (and only these) for anything caused by input, the case file or the
environment; any other exception is a bug and is reported as an internal error.
"""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    SUCCESS = 0
    ERROR = 1
    USAGE = 2
    INTERRUPTED = 130


class OsintError(Exception):
    """Base class: a failure the user can act on (exit 1)."""

    exit_status = ExitStatus.ERROR


class UsageError(OsintError):
    """The command was called wrongly (exit 2)."""

    exit_status = ExitStatus.USAGE


class CaseNotFound(OsintError):
    """No case file at the given path, or no case given at all."""


class CaseExists(OsintError):
    """`init` refuses to overwrite a file."""


class NotACase(OsintError):
    """The file is not an osint case (not SQLite, or foreign, or damaged)."""


class SchemaTooNew(OsintError):
    """The case was written by a newer osint than this one."""


class CaseBusy(OsintError):
    """Another process held the case for longer than the busy timeout."""


class CaseReadOnly(OsintError):
    """The case file (or its folder) cannot be written."""


class WriteFailed(OsintError):
    """The disk is full or failed while writing; the transaction was rolled back."""


class RecordNotFound(OsintError):
    """No record matches an id, prefix or name."""


class AmbiguousId(OsintError):
    """A prefix or name matches several records."""

    def __init__(self, ref: str, candidates: list[tuple[str, str, str]]):
        self.ref = ref
        self.candidates = candidates
        listed = "; ".join(f"{kind} {rid} {label}".rstrip() for kind, rid, label in candidates[:10])
        more = f" (+{len(candidates) - 10} more)" if len(candidates) > 10 else ""
        super().__init__(f"ambiguous: {ref!r} matches {len(candidates)} records: {listed}{more}")


class InvalidInput(OsintError):
    """A value or file given by the user is not acceptable; the message names it."""


class QuoteNotFound(InvalidInput):
    """A quote does not occur in its source's text snapshot."""


class VerificationFailed(OsintError):
    """`verify` found problems."""
