"""RFC 3161 timestamps of the audit head, against a throw-away TSA on 127.0.0.1."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from osint.case.handle import open_case

pytestmark = pytest.mark.skipif(not shutil.which("openssl"), reason="openssl is not installed")


@pytest.fixture(scope="module")
def tsa():
    from tsa_server import serve_tsa

    with serve_tsa() as (url, ca):
        yield url, ca


def head(path):
    with open_case(path) as case:
        return case.conn.execute("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()[
            0
        ]


def test_timestamp_stamps_the_audit_head_and_verify_checks_it(cli, case_path, tsa, tmp_path):
    url, ca = tsa
    before = head(case_path)
    row = cli.json("timestamp", "--tsa", url, "--ca", ca)
    assert row["head"] == before
    assert row["tsa"] == url and row["gen_time"].endswith("Z")
    assert row["signer"] == "CN=Throw-away Test TSA"
    report = cli.json("verify")
    assert report["ok"] is True
    # openssl accepts the stored reply with the stored chain
    exported = cli.json("export", "timestamps", "-o", tmp_path)
    assert len(exported) == 1
    result = subprocess.run(
        exported[0]["openssl"].split(), cwd=tmp_path, capture_output=True, text=True
    )
    assert "Verification: OK" in result.stdout, result.stderr
    assert exported[0]["digest"] == before
    # a second stamp covers the first one's record too
    second = cli.json("timestamp", "--tsa", url, "--ca", ca)
    assert second["head"] != before
    assert len(cli.json("list", "timestamps")) == 2


def test_an_altered_token_or_record_is_caught(cli, case_path, tsa):
    url, ca = tsa
    row = cli.json("timestamp", "--tsa", url, "--ca", ca)
    with open_case(case_path) as case:
        chunk = case.conn.execute(
            "SELECT rowid, data FROM blob_chunks WHERE sha256 = ?", (row["reply_sha256"],)
        ).fetchone()
        data = bytearray(chunk["data"])
        data[-40] ^= 0x01  # inside the signature
        case.conn.execute(
            "UPDATE blob_chunks SET data = ? WHERE rowid = ?", (bytes(data), chunk["rowid"])
        )
    problems = cli.json("verify", expect=1)["problems"]
    assert any(p["id"] == row["reply_sha256"] for p in problems)
    assert any(p["id"] == row["id"] and p["kind"] == "timestamp" for p in problems)
    with open_case(case_path) as case:
        data[-40] ^= 0x01
        case.conn.execute(
            "UPDATE blob_chunks SET data = ? WHERE rowid = ?", (bytes(data), chunk["rowid"])
        )
    assert cli.json("verify")["ok"] is True
    with open_case(case_path) as case:
        case.conn.execute("UPDATE timestamps SET head = ? WHERE id = ?", ("0" * 64, row["id"]))
    problems = cli.json("verify", expect=1)["problems"]
    messages = " ".join(p["problem"] for p in problems if p["id"] == row["id"])
    assert "changed outside osint" in messages and "does not verify" in messages


def test_an_unknown_root_is_refused_unless_given(cli, case_path, tsa):
    url, _ = tsa
    before = head(case_path)
    result = cli("timestamp", "--tsa", url, expect=1)
    assert "root certificate is not trusted here; give it with --ca FILE" in result.stderr
    assert head(case_path) == before


def test_an_unreachable_authority_is_a_clear_error(cli, case_path):
    result = cli("timestamp", "--tsa", "http://127.0.0.1:9/tsr", "--timeout", "2", expect=1)
    assert "cannot connect to 127.0.0.1" in result.stderr and "Traceback" not in result.stderr


def test_an_answer_that_is_not_a_timestamp_is_refused(cli):
    from capture_server import default_site, serve

    with serve(default_site()) as base:
        result = cli("timestamp", "--tsa", f"{base}/article", expect=1)
    assert "not an RFC 3161 time-stamp reply" in result.stderr
