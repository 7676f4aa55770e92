"""Sharing a case: merging a colleague's file, sending a (redacted) copy, serving it read-only."""
