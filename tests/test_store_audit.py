"""The audit log is a hash-linked graph: any edit, removal or reordering outside osint shows."""

from __future__ import annotations

import json
import sqlite3

from osint.case.store import audit


def _append(conn, n, parents=None):
    return audit.append(
        conn,
        case_id="c",
        at=f"2024-01-01T00:00:{n:02d}Z",
        actor="a",
        command="osint test",
        osint_version="0",
        action="create",
        kind="finding",
        record_id=f"r{n}",
        data={"fields": {"n": n}},
        parents=parents,
    )


def _conn():
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute(
        "CREATE TABLE audit_log (seq INTEGER PRIMARY KEY, hash TEXT UNIQUE, parents TEXT, "
        "case_id TEXT, at TEXT, actor TEXT, command TEXT, osint_version TEXT, action TEXT, "
        "kind TEXT, record_id TEXT, content_sha256 TEXT, data TEXT, redacted INTEGER DEFAULT 0, "
        "salt TEXT)"
    )
    return conn


def test_canonical_form_is_sorted_compact_utf8():
    assert audit.canonical({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()


def test_each_entry_names_the_previous_head():
    conn = _conn()
    first = _append(conn, 1)
    second = _append(conn, 2)
    entries = list(audit.entries(conn))
    assert entries[0].parents == []
    assert entries[1].parents == [first]
    assert audit.head(conn) == second
    assert list(audit.check_chain(conn)) == []


def test_hash_covers_the_content():
    conn = _conn()
    _append(conn, 1)
    _append(conn, 2)
    data = json.dumps({"fields": {"n": 99}})
    conn.execute("UPDATE audit_log SET data = ? WHERE seq = 1", (data,))
    problems = list(audit.check_chain(conn))
    assert any("altered" in message for _, message in problems)


def test_withheld_data_still_verifies_but_changed_data_does_not():
    conn = _conn()
    _append(conn, 1)
    _append(conn, 2)
    conn.execute("UPDATE audit_log SET data = NULL, command = NULL, redacted = 1 WHERE seq = 1")
    assert list(audit.check_chain(conn)) == []
    conn.execute("UPDATE audit_log SET actor = 'someone else' WHERE seq = 1")
    assert any("altered" in message for _, message in audit.check_chain(conn))


def test_removing_an_entry_breaks_the_chain():
    conn = _conn()
    for n in range(1, 4):
        _append(conn, n)
    conn.execute("DELETE FROM audit_log WHERE seq = 2")
    problems = list(audit.check_chain(conn))
    assert any("missing" in message for _, message in problems)


def test_a_merge_entry_with_two_parents_verifies():
    conn = _conn()
    base = _append(conn, 1)
    ours = _append(conn, 2, parents=[base])
    theirs = _append(conn, 3, parents=[base])
    _append(conn, 4, parents=[ours, theirs])
    assert list(audit.check_chain(conn)) == []


def test_two_heads_are_reported():
    conn = _conn()
    base = _append(conn, 1)
    _append(conn, 2, parents=[base])
    _append(conn, 3, parents=[base])
    problems = list(audit.check_chain(conn))
    assert any("heads" in message for _, message in problems)
