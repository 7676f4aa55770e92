"""`osint search`: one full-text index over every kind of record, ranked, with snippets."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

from osint.errors import InvalidInput


def fold(text: str) -> str:
    """Text as the index holds it: NFKC, so that the ligature "ﬁ" is "fi" and full-width
    "ｍｉｓｆｉｔｓ" is "misfits" (case and accents are folded by the tokenizer: unicode61 with
    remove_diacritics 2), in the index and in queries alike."""
    import unicodedata

    return unicodedata.normalize("NFKC", text)


def plain_query(query: str) -> str:
    """The user's words as an FTS5 query: each word must occur (in any order), taken literally."""
    words = fold(query).split()
    if not words:
        raise InvalidInput("search: give some words to look for")
    return " ".join('"' + w.replace('"', '""') + '"' for w in words)


def fts_query(query: str) -> str:
    """The query in FTS5's own syntax (quotes, AND/OR/NOT, NEAR, prefix*), as given."""
    query = fold(query).strip()
    if not query:
        raise InvalidInput("search: give some words to look for")
    return query


def search(
    conn: sqlite3.Connection, query: str, limit: int | None = None, *, fts: bool = False
) -> Iterator[dict]:
    """Matching records, best first: {id, kind, snippet, title}.

    The query is plain words unless `fts` asks for FTS5 syntax; a syntax error in that is an
    InvalidInput saying so on one line.
    """
    sql = (
        "SELECT record_id, kind, title, "
        "snippet(search_index, -1, '[', ']', '…', 16) AS snippet "
        "FROM search_index WHERE search_index MATCH ? "
        "ORDER BY bm25(search_index, 0.0, 0.0, 5.0, 1.0)"
    )
    params: list = [fts_query(query) if fts else plain_query(query)]
    if limit:
        sql += " LIMIT ?"
        params.append(limit)
    try:
        cursor = conn.execute(sql, params)
    except sqlite3.OperationalError as exc:
        if not fts:
            raise
        reason = " ".join(str(exc).split()).removeprefix("fts5: ")
        raise InvalidInput(
            f"search --fts: {query!r} is not a valid FTS5 query ({reason}); "
            "leave out --fts to search for the words as typed"
        ) from None
    for row in cursor:
        yield {
            "id": row["record_id"],
            "kind": row["kind"],
            "snippet": " ".join((row["snippet"] or "").split()),
            "title": row["title"],
        }
