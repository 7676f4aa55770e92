"""Two investigators, one case: merging keeps every record, author and file, and reports conflicts."""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest
from conftest import Cli


@pytest.fixture
def pair(case_path, tmp_path, article):
    """Ana's case with a source, and Ben's copy of it."""
    ana = Cli(case_path)
    source = ana.json("source", "add", "https://example.org/oil", "--title", "Oil", "--grade", "B",
                      "--snapshot", str(article), "--as", "Ana")  # fmt: skip
    ben_path = tmp_path / "ben.db"
    shutil.copy(case_path, ben_path)
    return ana, Cli(ben_path), source


def _records(cli, kind):
    return sorted(
        (r["id"], r.get("text") or r.get("title"), r.get("grade")) for r in cli.json("list", kind)
    )


def test_work_on_both_sides_comes_together_with_its_authors(pair, tmp_path):
    ana, ben, source = pair
    ana.json("finding", "add", "Ana: 43 visits", "--as", "Ana")
    ben.json("finding", "add", "Ben: a million barrels", "--as", "Ben")
    ben.json("quote", "add", "obtain troops and weapons in exchange for oil", "--speaker", "Lammy",
             "--source", source["id"], "--as", "Ben")  # fmt: skip
    report = ana.json("merge", str(ben.case_path))
    assert report["new_records"] == 2 and report["conflicts"] == []
    findings = {f["text"]: f["added_by"] for f in ana.json("list", "findings")}
    assert findings == {"Ana: 43 visits": "Ana", "Ben: a million barrels": "Ben"}
    log = ana.json("log")
    assert log[-1]["action"] == "merge" and len(log[-1]["parents"]) == 2
    assert any(e["actor"] == "Ben" for e in log)
    assert ana.json("verify")["ok"] is True


def test_merging_again_changes_nothing(pair):
    ana, ben, _ = pair
    ben.json("finding", "add", "Ben's finding")
    ana.json("merge", str(ben.case_path))
    before = ana.case_path.read_bytes()
    again = ana.json("merge", str(ben.case_path))
    assert again["up_to_date"] is True
    assert ana.case_path.read_bytes() == before


def test_both_orders_give_the_same_records(pair):
    ana, ben, source = pair
    ana.json("finding", "add", "from Ana")
    ben.json("finding", "add", "from Ben")
    ben("edit", source["id"], "--set", "publisher=BBC")
    ana.json("merge", str(ben.case_path))
    ben.json("merge", str(ana.case_path))
    for kind in ("findings", "sources", "quotes"):
        assert _records(ana, kind) == _records(ben, kind)
    assert ana.json("verify")["ok"] and ben.json("verify")["ok"]


def test_divergent_edits_are_a_conflict_kept_in_history(pair):
    ana, ben, source = pair
    ana("edit", source["id"], "--set", "grade=A")
    ben("edit", source["id"], "--set", "grade=D")
    result = ana("merge", str(ben.case_path))
    assert "conflict" in result.stderr
    assert ana.json("show", source["id"])["grade"] == "A"
    open_conflicts = ana.json("conflicts")
    assert [(c["field"], c["ours"], c["theirs"]) for c in open_conflicts] == [("grade", "A", "D")]
    history = ana.json("show", source["id"])["history"]
    values = {change["new"] for h in history for change in (h["changes"] or {}).values()}
    assert {"A", "D"} <= values
    ana("edit", source["id"], "--set", "grade=C")
    assert ana.json("conflicts") == []
    assert ana.json("verify")["ok"] is True


def test_an_edit_on_one_side_only_is_taken(pair):
    ana, ben, source = pair
    ben("edit", source["id"], "--set", "title=Oil for arms")
    ana.json("merge", str(ben.case_path))
    assert ana.json("show", source["id"])["title"] == "Oil for arms"
    assert ana.json("conflicts") == []


def test_stored_files_come_across_byte_identical(pair, tmp_path):
    ana, ben, _ = pair
    doc = tmp_path / "report.txt"
    doc.write_text("The tanker Chon Ma San loaded oil at Vostochny.")
    added = ben.json("source", "add", "report", "--title", "Report", "--snapshot", str(doc))
    ana.json("merge", str(ben.case_path))
    conn = sqlite3.connect(ana.case_path)
    data = b"".join(
        r[0]
        for r in conn.execute(
            "SELECT data FROM blob_chunks WHERE sha256 = ? ORDER BY seq",
            (added["snapshot_sha256"],),
        )
    )
    conn.close()
    assert data == doc.read_bytes()
    assert ana.json("search", "Chon Ma San")[0]["id"] == added["id"]


def _untouched(cli):
    return cli.case_path.read_bytes()


def test_a_truncated_file_is_refused_and_nothing_changes(pair, tmp_path):
    ana, ben, _ = pair
    ben.json("finding", "add", "x")
    data = ben.case_path.read_bytes()
    broken = tmp_path / "broken.db"
    broken.write_bytes(data[: len(data) // 2])
    before = _untouched(ana)
    result = ana("merge", str(broken), expect=1)
    assert result.stderr.startswith("Error:") and "Traceback" not in result.stderr
    assert _untouched(ana) == before


def test_foreign_and_non_sqlite_files_are_refused(pair, tmp_path):
    ana, _, _ = pair
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    assert "not a SQLite file" in ana("merge", str(text), expect=1).stderr
    foreign = tmp_path / "foreign.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE sources (id TEXT)")
    conn.close()
    assert "not an osint case" in ana("merge", str(foreign), expect=1).stderr


def test_a_newer_schema_is_refused(pair):
    ana, ben, _ = pair
    conn = sqlite3.connect(ben.case_path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    assert "newer osint" in ana("merge", str(ben.case_path), expect=1).stderr


def test_triggers_and_views_are_refused_unrun(pair):
    ana, ben, _ = pair
    conn = sqlite3.connect(ben.case_path)
    conn.execute("CREATE TABLE pwned (x)")
    conn.execute(
        "CREATE TRIGGER t AFTER INSERT ON findings BEGIN INSERT INTO pwned VALUES (1); END"
    )
    conn.execute("CREATE VIEW v AS SELECT * FROM findings")
    conn.commit()
    conn.close()
    before = _untouched(ana)
    assert "never creates" in ana("merge", str(ben.case_path), expect=1).stderr
    assert _untouched(ana) == before


def test_a_case_whose_own_log_does_not_verify_is_refused(pair):
    ana, ben, source = pair
    ben.json("finding", "add", "Ben's")
    conn = sqlite3.connect(ben.case_path)
    conn.execute("UPDATE findings SET text = 'forged' ")
    conn.execute("UPDATE audit_log SET actor = 'Ana' WHERE actor = 'Test Investigator'")
    conn.commit()
    conn.close()
    before = _untouched(ana)
    assert "does not verify" in ana("merge", str(ben.case_path), expect=1).stderr
    assert _untouched(ana) == before


def test_an_id_created_differently_on_both_sides_is_refused(pair, tmp_path):
    ana, ben, _ = pair
    from osint.case import records
    from osint.case.handle import open_case

    for path, text in ((ana.case_path, "Ana's"), (ben.case_path, "Ben's")):
        with open_case(path) as case, case.writing():
            records.create(
                case, "finding", {"text": text}, record_id="12345678-0000-4000-8000-000000000000"
            )
    before = _untouched(ana)
    assert "created differently" in ana("merge", str(ben.case_path), expect=1).stderr
    assert _untouched(ana) == before


def test_verify_after_merge_walks_both_histories(pair):
    ana, ben, _ = pair
    ben.json("finding", "add", "Ben's")
    ana.json("finding", "add", "Ana's")
    ana.json("merge", str(ben.case_path))
    conn = sqlite3.connect(ana.case_path)
    conn.execute(
        "UPDATE audit_log SET at = '2020-01-01T00:00:00Z' WHERE actor = 'Test Investigator' AND action = 'create' AND kind = 'finding'"
    )
    conn.commit()
    conn.close()
    report = json.loads(ana("--json", "verify", expect=1).stdout)
    assert any(p["kind"] == "audit" for p in report["problems"])


def test_images_and_sightings_on_both_sides_merge_in_either_order(pair, tmp_path):
    from imagery_fixtures import jpeg

    ana, ben, source = pair
    for cli in (ana, ben):
        cli("place", "add", "Vostochny oil terminal", "--at", "42.73,133.06", "--radius-m", "1500")
    # Places made on both sides are two records (each has its own id): merged, both stay.
    ana_image = ana.json(
        "image", "add", jpeg(tmp_path / "ana.jpg", seed=1), "--source", source["id"]
    )
    ben_image = ben.json("image", "add", jpeg(tmp_path / "ben.jpg", seed=2))
    shared = jpeg(tmp_path / "both.jpg", seed=3)
    ana.json("image", "add", shared)
    ben.json("image", "add", shared)
    ana.json("vessel", "add", "CHON MA SAN", "--imo", "9321483", "--as", "Ana")
    ana_copy = tmp_path / "ana-copy.db"
    shutil.copy(ana.case_path, ana_copy)
    ana.json("merge", str(ben.case_path))
    ben.json("merge", str(ana_copy))
    ben.json("merge", str(ana.case_path))
    ana.json("merge", str(ben.case_path))
    for kind in ("images", "vessels", "places", "sources"):
        ours = sorted(r["id"] for r in ana.json("list", kind))
        theirs = sorted(r["id"] for r in ben.json("list", kind))
        assert ours == theirs, kind
    images = {i["sha256"] for i in ana.json("list", "images")}
    assert {ana_image["sha256"], ben_image["sha256"]} <= images
    out = tmp_path / "exported.jpg"
    ana("image", "export", ben_image["id"], "-o", str(out))
    assert out.read_bytes() == (tmp_path / "ben.jpg").read_bytes()
    assert ana.json("verify")["ok"] and ben.json("verify")["ok"]
