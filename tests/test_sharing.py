"""A copy to send: compact, verifiable, and with protected sources truly left out."""

from __future__ import annotations

import json
import sqlite3


def _source(cli, article, locator="https://example.org/protected"):
    return cli.json(
        "source", "add", locator, "--title", "Protected informant notes", "--snapshot", str(article)
    )


def test_a_plain_copy_verifies_and_holds_everything(cli, article, tmp_path):
    source = _source(cli, article)
    summary = cli.json("export", "case", "-o", str(tmp_path / "copy.db"))
    assert summary["redacted"] == 0
    copy = json.loads(cli("--case", str(tmp_path / "copy.db"), "--json", "list", "sources").stdout)
    assert [s["id"] for s in copy] == [source["id"]]
    assert cli.json("--case", str(tmp_path / "copy.db"), "verify")["ok"] is True


def test_a_redacted_copy_leaves_the_source_and_what_refers_to_it_out(cli, article, tmp_path):
    protected = _source(cli, article)
    public = cli.json("source", "add", "https://example.org/public", "--title", "Public report")
    cli.json("quote", "add", "obtain troops and weapons in exchange for oil", "--speaker", "Lammy",
                     "--source", protected["id"])  # fmt: skip
    finding = cli.json(
        "finding",
        "add",
        "Oil for arms",
        "--supported-by",
        protected["id"],
        "--supported-by",
        public["id"],
    )
    out = tmp_path / "copy.db"
    summary = cli.json(
        "export",
        "case",
        "-o",
        str(out),
        "--redact",
        protected["id"][:8],
        "--reason",
        "source protection",
    )
    assert summary["redacted_kinds"]["sources"] == 1 and summary["redacted_kinds"]["quotes"] == 1
    copy = ["--case", str(out)]
    assert [s["id"] for s in cli.json(*copy, "list", "sources")] == [public["id"]]
    assert cli.json(*copy, "list", "quotes") == []
    shown = cli.json(*copy, "show", finding["id"])
    assert [link["other"] for link in shown["links"]] == [public["id"]]
    assert cli.json(*copy, "verify")["ok"] is True
    log = cli.json(*copy, "log")
    assert log[-1]["action"] == "redact" and log[-1]["actor"] == "Test Investigator"
    assert log[-1]["data"]["reason"] == "source protection"
    assert cli.json(*copy, "search", "troops") == []
    raw = out.read_bytes()
    # Their ids stay (random, they say nothing) so that the log still verifies; their words go.
    for secret in (b"informant", b"exchange for oil", b"Lammy"):
        assert secret not in raw
    # The original is untouched.
    assert len(cli.json("list", "quotes")) == 1


def test_a_copy_never_overwrites(cli, tmp_path):
    (tmp_path / "copy.db").write_text("precious")
    result = cli("export", "case", "-o", str(tmp_path / "copy.db"), expect=1)
    assert "already exists" in result.stderr
    assert (tmp_path / "copy.db").read_text() == "precious"


def test_tampering_with_a_redacted_copy_is_still_caught(cli, article, tmp_path):
    protected = _source(cli, article)
    cli.json("finding", "add", "kept")
    out = tmp_path / "copy.db"
    cli.json("export", "case", "-o", str(out), "--redact", protected["id"])
    conn = sqlite3.connect(out)
    conn.execute("UPDATE audit_log SET actor = 'Mallory' WHERE redacted = 1")
    conn.commit()
    conn.close()
    assert json.loads(cli("--case", str(out), "--json", "verify", expect=1).stdout)["ok"] is False
