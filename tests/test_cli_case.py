"""The case-file commands as a user drives them: output, exit codes, errors without tracebacks."""

from __future__ import annotations

import json
import sqlite3

from osint.case.handle import open_case


def _source(cli, article, **extra):
    args = ["source", "add", "https://example.org/oil", "--title", "Oil for arms"]
    args += ["--publisher", "BBC", "--grade", "B", "--snapshot", str(article)]
    for name, value in extra.items():
        args += [f"--{name}", value]
    return cli.json(*args)


def test_init_creates_a_case_and_never_overwrites(bare_cli, tmp_path):
    result = bare_cli("init", "new.db", "--title", "Tankers", "--summary", "Oil to DPRK")
    assert "Created case" in result.stdout
    info = bare_cli.json("--case", "new.db", "info")
    assert info["title"] == "Tankers" and info["schema_version"] >= 1
    before = (tmp_path / "new.db").read_bytes()
    again = bare_cli("init", "new.db", expect=1)
    assert "already exists" in again.stderr
    assert (tmp_path / "new.db").read_bytes() == before


def test_a_missing_case_is_a_clear_error(bare_cli):
    result = bare_cli("--case", "nowhere.db", "list", "sources", expect=1)
    assert result.stderr.strip() == "Error: case file not found: nowhere.db"
    result = bare_cli("list", "sources", expect=1)
    assert "no case" in result.stderr and "Traceback" not in result.stderr


def test_case_from_environment_and_from_the_working_folder(
    bare_cli, case_path, monkeypatch, tmp_path
):
    monkeypatch.setenv("OSINT_CASE", str(case_path))
    assert bare_cli.json("info")["title"] == "Test case"
    monkeypatch.delenv("OSINT_CASE")
    assert (tmp_path / "case.db").exists()
    assert bare_cli.json("info")["title"] == "Test case"


def test_a_file_that_is_not_a_case_is_refused(bare_cli, tmp_path):
    (tmp_path / "notes.db").write_text("just text")
    result = bare_cli("--case", "notes.db", "info", expect=1)
    assert "not an osint case" in result.stderr
    other = sqlite3.connect(tmp_path / "other.db")
    other.execute("CREATE TABLE t (x)")
    other.close()
    result = bare_cli("--case", "other.db", "info", expect=1)
    assert "not an osint case" in result.stderr


def test_a_case_from_a_newer_osint_is_refused(bare_cli, case_path):
    conn = sqlite3.connect(case_path)
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    result = bare_cli("--case", str(case_path), "info", expect=1)
    assert "newer osint" in result.stderr


def test_source_add_json_fields(cli, article):
    source = _source(cli, article, published="2024-11-22", author="J. Doe")
    for field in (
        "id",
        "locator",
        "title",
        "publisher",
        "author",
        "published",
        "grade",
        "snapshot_sha256",
    ):
        assert field in source
    assert source["grade"] == "B" and source["published"] == "2024-11-22"
    assert len(source["snapshot_sha256"]) == 64


def test_bad_grade_is_refused_naming_the_field(cli, article):
    result = cli("source", "add", "x", "--title", "t", "--grade", "Z", expect=1)
    assert "--grade" in result.stderr and "A to F" in result.stderr
    assert cli.json("list", "sources") == []


def test_quote_is_verified_against_the_snapshot(cli, article):
    source = _source(cli, article)
    quote = cli.json(
        "quote", "add",
        "A million barrels is nothing for a major oil producer like Russia to release, but it is a "
        "substantial amount for North Korea to receive",
        "--speaker", "Go Myong-hyun", "--role", "senior researcher", "--source", source["id"][:8],
    )  # fmt: skip
    assert quote["verified"] is True
    assert quote["source"] == source["id"]
    assert quote["start"] < quote["end"]
    text = article.read_text()
    assert "A million barrels" in text


def test_a_quote_not_in_the_snapshot_fails_unless_forced(cli, article):
    source = _source(cli, article)
    result = cli(
        "quote", "add", "Oil is fine", "--speaker", "X", "--source", source["id"], expect=1
    )
    assert "not found" in result.stderr
    assert cli.json("list", "quotes") == []
    forced = cli.json(
        "quote", "add", "Oil is fine", "--speaker", "X", "--source", source["id"], "--force"
    )
    assert forced["verified"] is False and forced["start"] is None


def test_quote_extract_proposes_and_adds_once(cli, article):
    source = _source(cli, article)
    found = cli.json("quote", "extract", source["id"])
    assert [q["speaker"] for q in found] == ["David Lammy", "Go Myong-hyun"]
    cli("quote", "extract", source["id"], "--add")
    cli("quote", "extract", source["id"], "--add")
    quotes = cli.json("list", "quotes")
    assert len(quotes) == 2 and all(q["verified"] for q in quotes)


def test_global_options_are_accepted_after_the_command(cli, article, case_path):
    result = cli(
        "source", "add", "ref", "--title", "T", "--case", str(case_path), "--as", "Ana", "--json"
    )
    row = json.loads(result.stdout)
    assert row["added_by"] == "Ana"


def test_link_keeps_its_own_as_option(cli, article):
    source = _source(cli, article)
    finding = cli.json("finding", "add", "Tankers called 43 times")
    link = cli.json("link", source["id"], finding["id"], "--as", "supports")
    assert link["relation"] == "supports"
    shown = cli.json("show", finding["id"])
    assert shown["links"][0]["other"] == source["id"]


def test_finding_with_evidence_edit_and_history(cli, article):
    source = _source(cli, article)
    finding = cli.json("finding", "add", "43 visits", "--supported-by", source["id"][:10])
    assert finding["supported_by"] == [source["id"]]
    cli("edit", finding["id"], "--set", "text=44 visits", "--as", "Editor")
    shown = cli.json("show", finding["id"])
    assert shown["text"] == "44 visits"
    assert [h["action"] for h in shown["history"]] == ["create", "edit"]
    assert shown["history"][1]["changes"]["text"] == {"old": "43 visits", "new": "44 visits"}
    assert shown["history"][1]["actor"] == "Editor"
    human = cli("show", finding["id"]).stdout
    assert "'43 visits' -> '44 visits'" in human


def test_edit_without_equals_is_a_usage_error(cli, article):
    finding = cli.json("finding", "add", "x")
    result = cli("edit", finding["id"], "--set", "text", expect=2)
    assert "FIELD=VALUE" in result.stderr


def test_retract_hides_from_lists_but_keeps_the_record(cli, article):
    finding = cli.json("finding", "add", "wrong")
    cli("retract", finding["id"], "--reason", "based on a misread image")
    assert cli.json("list", "findings") == []
    everything = cli.json("list", "findings", "--all")
    assert everything[0]["retracted_reason"] == "based on a misread image"
    assert cli.json("search", "wrong") == []


def test_ambiguous_prefix_lists_candidates(cli, case_path):
    with open_case(case_path) as case, case.writing():
        from osint.case import records

        records.create(
            case, "finding", {"text": "a"}, record_id="aaaaaa11-0000-4000-8000-000000000000"
        )
        records.create(
            case, "finding", {"text": "b"}, record_id="aaaaaa22-0000-4000-8000-000000000000"
        )
    result = cli("show", "aaaaaa", expect=1)
    assert "ambiguous" in result.stderr
    assert "aaaaaa11" in result.stderr and "aaaaaa22" in result.stderr


def test_search_ranks_across_kinds(cli, article):
    source = _source(cli, article)
    cli("finding", "add", "The tankers loaded oil at Vostochny")
    results = cli.json("search", "troops")
    assert results[0]["id"] == source["id"]
    assert "[troops]" in results[0]["snippet"]
    both = {r["kind"] for r in cli.json("search", "oil")}
    assert both == {"source", "finding"}
    assert cli.json("search", "Go Myong-hyun")[0]["kind"] == "source"


def test_timeline_orders_dated_records(cli, article):
    _source(cli, article, published="2024-11-22")
    older = cli.json("source", "add", "ref2", "--title", "Older", "--published", "2024-03")
    rows = cli.json("timeline")
    assert [r["when"] for r in rows] == ["2024-03", "2024-11-22"]
    assert rows[0]["id"] == older["id"]


def test_log_lists_every_change(cli, article):
    source = _source(cli, article)
    cli("edit", source["id"], "--set", "grade=C")
    log = cli.json("log")
    assert [e["action"] for e in log][-1] == "edit"
    assert all(len(e["hash"]) == 64 for e in log)
    assert log[-1]["parents"] == [log[-2]["hash"]]
    assert log[-1]["command"].startswith("osint ") and " edit " in log[-1]["command"]


def test_verify_passes_then_catches_tampering(cli, article, case_path):
    source = _source(cli, article)
    cli(
        "quote",
        "add",
        "obtain troops and weapons in exchange for oil",
        "--speaker",
        "Lammy",
        "--source",
        source["id"],
    )
    assert cli.json("verify")["ok"] is True
    conn = sqlite3.connect(case_path)
    conn.execute("UPDATE sources SET title = 'Doctored' WHERE id = ?", (source["id"],))
    conn.execute(
        "UPDATE blob_chunks SET data = CAST('tampered' AS BLOB) WHERE sha256 = ?",
        (source["snapshot_sha256"],),
    )
    (text_sha,) = conn.execute("SELECT text_sha256 FROM snapshots").fetchone()
    conn.execute(
        "UPDATE blob_chunks SET data = CAST('other words' AS BLOB) WHERE sha256 = ?", (text_sha,)
    )
    conn.commit()
    conn.close()
    result = cli("--json", "verify", expect=1)
    report = json.loads(result.stdout)
    assert report["ok"] is False
    problems = {(p["kind"], p["id"]) for p in report["problems"]}
    assert ("source", source["id"]) in problems
    assert ("file", source["snapshot_sha256"]) in problems
    assert any(p["kind"] == "quote" for p in report["problems"])
    human = cli("verify", expect=1).stdout
    assert "FAILED" in human and source["id"] in human


def test_verify_catches_a_record_added_or_deleted_outside_osint(cli, case_path):
    finding = cli.json("finding", "add", "genuine")
    conn = sqlite3.connect(case_path)
    conn.execute(
        "INSERT INTO findings (id, text) VALUES ('ffffffff-0000-4000-8000-000000000000', 'forged')"
    )
    conn.execute("DELETE FROM findings WHERE id = ?", (finding["id"],))
    conn.commit()
    conn.close()
    problems = json.loads(cli("--json", "verify", expect=1).stdout)["problems"]
    messages = " ".join(p["problem"] for p in problems)
    assert "not in the audit log" in messages and "deleted outside osint" in messages


def test_info_counts_and_latest_entry(cli, article):
    _source(cli, article)
    info = cli.json("info")
    assert info["counts"]["sources"] == 1
    assert info["latest_audit_entry"]["action"] == "create"
    assert info["file_size"] > 0
    assert "Schema" in cli("info").stdout


def test_list_of_unknown_kind_is_an_error(cli):
    result = cli("list", "ships", expect=1)
    assert "unknown kind" in result.stderr


def test_no_side_files_remain_after_commands(cli, article, case_path):
    _source(cli, article)
    cli("list", "sources")
    leftovers = [
        p.name for p in case_path.parent.iterdir() if p.name.startswith(case_path.name + "-")
    ]
    assert leftovers == []


def test_piped_output_has_no_colour_codes(cli, article):
    _source(cli, article)
    out = cli("list", "sources").stdout
    assert "\x1b[" not in out and "Oil for arms" in out
