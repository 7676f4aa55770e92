"""`osint search`: one full-text index over every kind of record, ranked, with snippets."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator

from osint.errors import InvalidInput

_OPERATORS = re.compile(r'"|\*|\b(?:AND|OR|NOT|NEAR)\b|\^')


def fts_query(query: str) -> str:
    """The user's words as an FTS5 query: each word must occur (in any order).

    Queries that use FTS5's own syntax (quotes, AND/OR/NOT, NEAR, prefix*) are passed through.
    """
    query = query.strip()
    if not query:
        raise InvalidInput("search: give some words to look for")
    if _OPERATORS.search(query):
        return query
    words = [w for w in re.split(r"\s+", query) if w]
    return " ".join('"' + w.replace('"', '""') + '"' for w in words)


def search(conn: sqlite3.Connection, query: str, limit: int | None = None) -> Iterator[dict]:
    """Matching records, best first: {id, kind, snippet, title}."""
    sql = (
        "SELECT record_id, kind, title, "
        "snippet(search_index, -1, '[', ']', '…', 16) AS snippet "
        "FROM search_index WHERE search_index MATCH ? "
        "ORDER BY bm25(search_index, 0.0, 0.0, 5.0, 1.0)"
    )
    params: list = [fts_query(query)]
    if limit:
        sql += " LIMIT ?"
        params.append(limit)
    try:
        cursor = conn.execute(sql, params)
    except sqlite3.OperationalError as exc:
        if "fts5" in str(exc).lower() or "syntax" in str(exc).lower():
            # Fall back to the words as plain terms when the FTS syntax was not meant.
            params[0] = " ".join('"' + w.replace('"', '""') + '"' for w in query.split())
            cursor = conn.execute(sql, params)
        else:
            raise
    for row in cursor:
        yield {
            "id": row["record_id"],
            "kind": row["kind"],
            "snippet": " ".join((row["snippet"] or "").split()),
            "title": row["title"],
        }
