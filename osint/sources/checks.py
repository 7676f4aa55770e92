"""verify checks of the sources feature."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from functools import lru_cache

from osint.case.store import blobs
from osint.features import Problem
from osint.sources import textmatch


def check_quotes(conn: sqlite3.Connection) -> Iterator[Problem]:
    @lru_cache(maxsize=32)
    def text_of(text_sha: str) -> str | None:
        try:
            return blobs.read_bytes(conn, text_sha).decode("utf-8")
        except Exception:  # a damaged text is reported by the blob check
            return None

    for quote in conn.execute(
        "SELECT q.id, q.text, q.start_char, q.end_char, s.text_sha256 FROM quotes q "
        "LEFT JOIN snapshots s ON s.id = q.snapshot WHERE q.verified = 1"
    ):
        if not quote["text_sha256"]:
            yield Problem(quote["id"], "quote", "marked verified but its snapshot has no text")
            continue
        body = text_of(quote["text_sha256"])
        if body is None:
            yield Problem(quote["id"], "quote", "its snapshot's text cannot be read")
        elif not textmatch.matches_at(quote["text"], body, quote["start_char"], quote["end_char"]):
            yield Problem(
                quote["id"],
                "quote",
                f"no longer matches its snapshot at characters {quote['start_char']}-{quote['end_char']}",
            )
