"""Records: provenance on every record, history on every change, ids found by prefix."""

from __future__ import annotations

import pytest

from osint import sources
from osint.case import records
from osint.case.verify import verify
from osint.errors import AmbiguousId, InvalidInput, RecordNotFound


def _finding(case, text="Tankers called 43 times"):
    with case.writing():
        return records.create(case, "finding", {"text": text})


def test_a_record_carries_who_when_how(case):
    row = _finding(case)
    assert row["added_by"] == "Test Investigator"
    assert row["added_at"].endswith("Z")
    assert row["added_via"] == "osint (test)"
    assert row["osint_version"]
    entry = records.history(case.conn, row["id"])[0]
    assert entry.action == "create" and entry.data["fields"]["text"] == row["text"]


def test_edit_keeps_old_values_in_history(case):
    row = _finding(case)
    with case.writing():
        _, new, changes = records.edit(case, row["id"], {"text": "Tankers called 44 times"})
    assert new["text"] == "Tankers called 44 times"
    assert changes == {"text": {"old": "Tankers called 43 times", "new": "Tankers called 44 times"}}
    history = records.history(case.conn, row["id"])
    assert [e.action for e in history] == ["create", "edit"]
    assert verify(case.conn)["ok"]


def test_edit_refuses_fields_that_are_not_editable(case):
    row = _finding(case)
    with pytest.raises(InvalidInput, match="added_by"), case.writing():
        records.edit(case, row["id"], {"added_by": "someone else"})


def test_retract_withdraws_without_deleting(case):
    row = _finding(case)
    with case.writing():
        records.retract(case, row["id"], "double-counted")
    assert records.get(case.conn, "finding", row["id"])["retracted_reason"] == "double-counted"
    assert list(records.iter_records(case.conn, "finding")) == []
    assert len(list(records.iter_records(case.conn, "finding", include_retracted=True))) == 1
    with pytest.raises(InvalidInput, match="already retracted"), case.writing():
        records.retract(case, row["id"], "again")


def test_ids_are_found_by_unique_prefix(case):
    row = _finding(case)
    spec, found = records.resolve(case.conn, row["id"][:6])
    assert spec.name == "finding" and found["id"] == row["id"]
    assert records.resolve(case.conn, row["id"].upper())[1]["id"] == row["id"]


def test_a_short_prefix_is_refused(case):
    row = _finding(case)
    with pytest.raises(InvalidInput, match="at least 6"):
        records.resolve(case.conn, row["id"][:5])


def test_an_ambiguous_prefix_lists_the_candidates(case):
    with case.writing():
        one = records.create(
            case, "finding", {"text": "one"}, record_id="abcdef01-0000-4000-8000-000000000001"
        )
        two = records.create(
            case, "finding", {"text": "two"}, record_id="abcdef02-0000-4000-8000-000000000002"
        )
    with pytest.raises(AmbiguousId) as error:
        records.resolve(case.conn, "abcdef")
    assert one["id"] in str(error.value) and two["id"] in str(error.value)


def test_an_unknown_id_is_not_found(case):
    with pytest.raises(RecordNotFound):
        records.resolve(case.conn, "0123456789")


def test_links_are_typed_and_shown_from_both_ends(case, article):
    prepared = sources.prepare_snapshot(article)
    source = sources.add_source(case, "https://example.org/a", title="A", snapshot=prepared)
    finding = _finding(case)
    with case.writing():
        records.link(case, source["id"], finding["id"], "supports")
        with pytest.raises(InvalidInput, match="relation"):
            records.link(case, source["id"], finding["id"], "proves")
    out = records.links_of(case.conn, finding["id"])
    assert out[0]["direction"] == "in" and out[0]["relation"] == "supports"
    assert records.links_of(case.conn, source["id"])[0]["direction"] == "out"


def test_a_failed_command_leaves_nothing_behind(case):
    before = case.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    with pytest.raises(RuntimeError), case.writing():
        records.create(case, "finding", {"text": "half done"})
        raise RuntimeError("crash in the middle")
    assert case.conn.execute("SELECT count(*) FROM findings").fetchone()[0] == 0
    assert case.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == before
