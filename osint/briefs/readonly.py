"""A brief is rendered from a case it cannot change.

While a brief is built and rendered, the case's connection carries a SQLite authorizer that
allows reading only: no INSERT, UPDATE or DELETE, no schema change, no ATTACH or DETACH, no
transaction or savepoint statement (so nothing can COMMIT), and no PRAGMA except a few that only
read. A template that reaches a connection (it should not: templates see plain data) still cannot
change the case; the verification result printed in the brief is the state it was rendered from.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator

# PRAGMAs that only read (with or without an argument naming a table or an index).
_READ_PRAGMAS = {
    "table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo",
    "foreign_key_list", "foreign_key_check", "integrity_check", "quick_check", "database_list",
    "collation_list", "function_list", "module_list", "pragma_list", "compile_options",
}  # fmt: skip
# PRAGMAs that read when given no value and change state when given one.
_VALUE_PRAGMAS = {
    "schema_version", "user_version", "application_id", "page_count", "page_size",
    "freelist_count", "data_version", "encoding", "journal_mode", "foreign_keys", "query_only",
}  # fmt: skip

_ALLOWED = {
    sqlite3.SQLITE_SELECT,
    sqlite3.SQLITE_READ,
    sqlite3.SQLITE_FUNCTION,
    sqlite3.SQLITE_RECURSIVE,
}


def _authorizer(action, arg1, arg2, _db, _trigger):
    if action in _ALLOWED:
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_PRAGMA:
        name = (arg1 or "").lower()
        if name in _READ_PRAGMAS or (name in _VALUE_PRAGMAS and arg2 is None):
            return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


@contextlib.contextmanager
def read_only(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Deny every statement that could change the case (or open another file) on `conn`."""
    conn.set_authorizer(_authorizer)
    try:
        yield conn
    finally:
        conn.set_authorizer(None)
