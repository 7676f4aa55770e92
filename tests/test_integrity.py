"""Evidence integrity against a hostile colleague or file: each test replays one attack.

The hostile files are built here, from an honest case, with sqlite3 as an attacker would.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from conftest import Cli
from test_maritime_ais import track, write

from osint.case.store import audit


def _source(cli, article, locator="https://example.org/protected"):
    return cli.json(
        "source", "add", locator, "--title", "Protected informant notes", "--snapshot", str(article)
    )


def _hack(path, *statements, writable_schema=False):
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        if writable_schema:
            conn.execute("PRAGMA writable_schema=ON")
        for sql, *params in statements:
            conn.execute(sql, *params)
        if writable_schema:
            conn.execute("PRAGMA writable_schema=OFF")
    finally:
        conn.close()


def _problems(cli, path=None) -> list[str]:
    args = ["--case", str(path)] if path else []
    result = json.loads(cli(*args, "--json", "verify", expect=None).stdout)
    return [p["problem"] for p in result["problems"]]


def _redacted_copy(cli, article, tmp_path, name="copy.db"):
    protected = _source(cli, article)
    cli.json("quote", "add", "obtain troops and weapons in exchange for oil", "--speaker", "Lammy",
             "--role", "Foreign Secretary", "--source", protected["id"])  # fmt: skip
    cli.json("finding", "add", "kept")
    out = tmp_path / name
    cli.json("export", "case", "-o", str(out), "--redact", protected["id"], "--reason", "sp")
    return protected, out


# ---- verify cannot be fooled by the redaction mechanism --------------------------------------


def test_deleting_a_record_and_marking_its_entries_withheld_is_caught(cli, tmp_path, case_path):
    finding = cli.json("finding", "add", "The tanker loaded at Vostochny")
    head_before = cli.json("verify")["checked"]["head"]
    _hack(
        case_path,
        ("DELETE FROM findings WHERE id = ?", (finding["id"],)),
        (
            "UPDATE audit_log SET data = NULL, command = NULL, salt = NULL, redacted = 1 "
            "WHERE record_id = ?",
            (finding["id"],),
        ),  # fmt: skip
    )
    problems = _problems(cli)
    assert any("no later redact entry names it" in p for p in problems)
    assert cli.json("verify", expect=1)["checked"]["head"] == head_before


def test_marking_a_redact_entry_withheld_and_rewriting_it_is_caught(cli, article, tmp_path):
    _, copy = _redacted_copy(cli, article, tmp_path)
    assert _problems(cli, copy) == []
    fake = json.dumps({"records": 0, "bulk": {"ais_batches": {}}})
    _hack(copy, ("UPDATE audit_log SET redacted = 1, data = ? WHERE action = 'redact'", (fake,)))
    problems = _problems(cli, copy)
    assert any("marked withheld, but no later redact entry" in p for p in problems)


def test_withheld_content_cannot_be_confirmed_by_guessing(cli, article, tmp_path, case_path):
    protected, copy = _redacted_copy(cli, article, tmp_path)
    with sqlite3.connect(case_path) as conn:
        conn.row_factory = sqlite3.Row
        original = {
            r["hash"]: audit.Entry.from_row(r)
            for r in conn.execute("SELECT * FROM audit_log WHERE kind = 'quote'")
        }
    with sqlite3.connect(copy) as conn:
        conn.row_factory = sqlite3.Row
        withheld = [
            audit.Entry.from_row(r)
            for r in conn.execute("SELECT * FROM audit_log WHERE kind = 'quote'")
        ]
    assert withheld and all(e.redacted and e.salt is None for e in withheld)
    for entry in withheld:
        true = original[entry.hash]
        # Even the exact words do not confirm: without the salt no guess hashes to the commitment.
        assert audit.content_hash(true.command, true.data) != entry.content_sha256
        assert audit.content_hash(true.command, true.data, true.salt) == entry.content_sha256
    raw = copy.read_bytes()
    for entry in original.values():
        assert entry.salt.encode() not in raw


def test_verify_and_info_say_how_much_a_copy_withholds_and_who_withheld_it(cli, article, tmp_path):
    _, copy = _redacted_copy(cli, article, tmp_path)
    other = Cli(copy)
    withheld = other.json("verify")["checked"]["withheld"]
    assert withheld["records"] == 3  # the source, its snapshot, its quote
    assert withheld["by"][0]["by"] == "Test Investigator" and withheld["by"][0]["reason"] == "sp"
    assert other.json("info")["withheld"]["records"] == 3
    assert "Withheld  3 records" in other("info").stdout
    assert cli.json("verify")["checked"]["withheld"]["entries"] == 0


def test_a_malformed_entry_is_reported_not_a_crash(cli, case_path):
    finding = cli.json("finding", "add", "Oil for arms")
    _hack(case_path, ("UPDATE audit_log SET data = '5' WHERE record_id = ?", (finding["id"],)))
    result = cli("--json", "verify", expect=1)
    problems = [p["problem"] for p in json.loads(result.stdout)["problems"]]
    assert any("not readable" in p and "JSON int" in p for p in problems)
    assert "Traceback" not in result.stderr
    _hack(case_path, ("UPDATE audit_log SET parents = '7' WHERE record_id = ?", (finding["id"],)))
    assert any("not readable" in p for p in _problems(cli))


def test_a_trigger_spelt_in_capitals_is_reported(cli, case_path):
    cli.json("finding", "add", "before")
    sql = (
        "CREATE TRIGGER rewrite AFTER INSERT ON findings BEGIN "
        "UPDATE findings SET text = 'rewritten' WHERE id = new.id; END"
    )
    _hack(
        case_path,
        (
            "INSERT INTO sqlite_master (type, name, tbl_name, rootpage, sql) "
            "VALUES ('Trigger', 'rewrite', 'findings', 0, ?)",
            (sql,),
        ),  # fmt: skip
        writable_schema=True,
    )
    assert any("Trigger 'rewrite'" in p for p in _problems(cli))


def test_redacting_a_vessel_withholds_the_finding_osint_wrote_about_it(cli, tmp_path):
    cli("place", "add", "Vostochny", "--at", "42.73,133.06")
    write(tmp_path / "a.csv", track(4) + track(3, mmsi="273111000", name="OTHER", imo="",
                                            start_minute=20))  # fmt: skip
    cli("ais", "import", tmp_path / "a.csv")
    cli("sighting", "add", "CHON MA SAN", "--when", "2024-03-05T12:00:00Z", "--place", "vostochny")
    cli("visits", "--record", "--finding", "CHON MA SAN called at Vostochny")
    assert len(cli.json("list", "findings")) == 1
    copy = tmp_path / "copy.db"
    cli("export", "case", "-o", copy, "--redact", "CHON MA SAN")
    other = Cli(copy)
    assert other.json("list", "findings") == []
    assert b"CHON MA SAN" not in copy.read_bytes()
    assert other.json("verify")["ok"] is True


def test_redacting_a_vessel_refuses_while_a_kept_ais_file_contains_it(cli, tmp_path):
    write(tmp_path / "a.csv", track(4) + track(3, mmsi="273111000", name="OTHER", imo=""))
    imported = cli.json("ais", "import", tmp_path / "a.csv", "--keep-file")
    copy = tmp_path / "copy.db"
    result = cli("export", "case", "-o", copy, "--redact", "CHON MA SAN", expect=1)
    assert "a.csv" in result.stderr and imported["id"][:8] in result.stderr
    assert not copy.exists()
    cli("export", "case", "-o", copy, "--redact", "CHON MA SAN", "--redact", imported["id"])
    assert Cli(copy).json("verify")["ok"] is True


# ---- merge accepts only what osint itself could have written ---------------------------------


def _pair(tmp_path, case_path, article):
    import shutil

    ana = Cli(case_path)
    source = _source(ana, article, "https://example.org/oil")
    ben_path = tmp_path / "ben.db"
    shutil.copy(case_path, ben_path)
    return ana, Cli(ben_path), source


def _state(cli):
    return cli.json("verify")["checked"]["head"], cli.case_path.read_bytes()


def _forge(path, work):
    """Write with osint's own library, as a colleague with a modified osint would."""
    from osint.case.handle import open_case

    with open_case(path, actor="Mallory") as case, case.writing():
        work(case)


def test_a_merged_edit_cannot_swap_the_archived_copy(tmp_path, case_path, article):
    ana, ben, source = _pair(tmp_path, case_path, article)
    from osint.case import kinds, records
    from osint.case.store import blobs

    def swap(case):
        forged, _ = blobs.put_bytes(case.conn, b"<html>a different page</html>", "text/html")
        snapshot = records.get(case.conn, "snapshot", source["snapshot"])
        records.update_fields(case, kinds.get("snapshot"), snapshot, {"sha256": forged}, "edit")

    _forge(ben.case_path, swap)
    assert ben.json("verify")["ok"] is True  # the forged file is self-consistent
    before = _state(ana)
    result = ana("merge", str(ben.case_path), expect=1)
    assert "changes the snapshot field sha256" in result.stderr
    assert _state(ana) == before


def test_a_merged_edit_of_provenance_is_refused(tmp_path, case_path, article):
    ana, ben, source = _pair(tmp_path, case_path, article)
    from osint.case import kinds, records

    def reattribute(case):
        row = records.get(case.conn, "source", source["id"])
        records.update_fields(case, kinds.get("source"), row, {"added_by": "Ana"}, "edit")

    _forge(ben.case_path, reattribute)
    assert "field added_by" in ana("merge", str(ben.case_path), expect=1).stderr


def test_a_quote_marked_verified_that_is_not_in_its_snapshot_is_refused(
    tmp_path, case_path, article
):
    ana, ben, source = _pair(tmp_path, case_path, article)
    quote = ben.json("quote", "add", "obtain troops and weapons in exchange for oil",
                     "--speaker", "Lammy", "--source", source["id"])  # fmt: skip
    from osint.case import kinds, records

    def reword(case):
        row = records.get(case.conn, "quote", quote["id"])
        records.update_fields(
            case, kinds.get("quote"), row, {"text": "we never sold oil", "verified": 1}, "edit"
        )

    _forge(ben.case_path, reword)
    before = _state(ana)
    assert "does not verify" in ana("merge", str(ben.case_path), expect=1).stderr
    assert _state(ana) == before


def test_a_source_created_with_our_findings_id_is_refused(tmp_path, case_path, article):
    ana, ben, _ = _pair(tmp_path, case_path, article)
    finding = ana.json("finding", "add", "Ana's finding")
    from osint.case import records

    _forge(
        ben.case_path,
        lambda case: records.create(
            case, "source", {"title": "shadow", "locator": "x"}, record_id=finding["id"]
        ),
    )
    before = _state(ana)
    result = ana("merge", str(ben.case_path), expect=1)
    assert "id collision" in result.stderr and "our finding" in result.stderr
    assert _state(ana) == before


def test_a_record_id_that_is_not_an_osint_id_is_refused(tmp_path, case_path, article):
    ana, ben, _ = _pair(tmp_path, case_path, article)
    from osint.case import records

    _forge(
        ben.case_path,
        lambda case: records.create(case, "vessel", {"name": "DECOY"}, record_id="songrim ho"),
    )
    assert (
        "'songrim ho' is not one osint makes" in ana("merge", str(ben.case_path), expect=1).stderr
    )
    assert ana.json("list", "vessels") == []
    # Even an entry whose record is withheld there (so no row shows it) is refused.
    from osint.case.handle import open_case
    from osint.sharing import accept

    withheld = audit.Entry(seq=9, hash="h", parents=[], case_id=None, at="", actor="M",
                           command=None, osint_version=None, action="create", kind="vessel",
                           record_id="songrim ho", content_sha256="c", data={},
                           redacted=True)  # fmt: skip
    with open_case(ana.case_path) as case:
        try:
            accept.check_entries(case.conn, None, [withheld], "ben.db")
        except Exception as exc:  # noqa: BLE001
            assert "uses the id 'songrim ho'" in str(exc)
        else:
            raise AssertionError("an entry with a non-osint id was accepted")


def test_a_trigger_spelt_in_capitals_in_the_other_case_is_refused(tmp_path, case_path, article):
    ana, ben, _ = _pair(tmp_path, case_path, article)
    sql = "CREATE TRIGGER t AFTER INSERT ON findings BEGIN UPDATE findings SET text = 'x'; END"
    _hack(
        ben.case_path,
        (
            "INSERT INTO sqlite_master (type, name, tbl_name, rootpage, sql) "
            "VALUES ('Trigger', 't', 'findings', 0, ?)",
            (sql,),
        ),  # fmt: skip
        writable_schema=True,
    )
    assert "never creates" in ana("merge", str(ben.case_path), expect=1).stderr


def test_a_merged_case_that_would_not_verify_is_rolled_back(
    tmp_path, case_path, article, monkeypatch
):
    ana, ben, _ = _pair(tmp_path, case_path, article)
    ana.json("finding", "add", "left half")
    ben.json("finding", "add", "right half")
    from osint import features
    from osint.features import Problem

    def only_apart(conn):
        texts = {r[0] for r in conn.execute("SELECT text FROM findings")}
        if {"left half", "right half"} <= texts:
            yield Problem("", "finding", "the halves must never meet")

    real = features.checks
    monkeypatch.setattr(features, "checks", lambda: [*real(), only_apart])
    before = _state(ana)
    result = ana("merge", str(ben.case_path), expect=1)
    assert "the merged case would not verify" in result.stderr and "never meet" in result.stderr
    assert "rolled back" in result.stderr
    assert _state(ana) == before


# ---- round trips through a redacted copy -----------------------------------------------------


def _ais_case(cli, tmp_path):
    write(tmp_path / "a.csv", track(4) + track(3, mmsi="273111000", name="OTHER", imo="",
                                            start_minute=20))  # fmt: skip
    cli("ais", "import", tmp_path / "a.csv")
    return {t["mmsi"]: t for t in cli.json("list", "ais-tracks")}


def test_redact_a_track_edit_the_copy_and_merge_it_back(cli, tmp_path, case_path):
    tracks = _ais_case(cli, tmp_path)
    protected = tracks["445123000"]
    copy = tmp_path / "copy.db"
    cli("export", "case", "-o", copy, "--redact", protected["id"], "--reason", "protected")
    colleague = Cli(copy)
    other = tracks["273111000"]
    colleague("edit", other["id"], "--set", "note=checked against the port log")
    colleague.json("finding", "add", "OTHER waited two days")
    report = cli.json("merge", str(copy))
    assert report["new_records"] == 1 and report["updated_records"] == 1
    assert cli.json("verify")["ok"] is True
    assert cli.json("show", protected["id"])["id"] == protected["id"]


def test_merging_the_full_case_into_a_copy_where_a_withheld_record_changed(cli, tmp_path):
    tracks = _ais_case(cli, tmp_path)
    protected = tracks["445123000"]
    copy = tmp_path / "copy.db"
    cli("export", "case", "-o", copy, "--redact", protected["id"])
    cli("edit", protected["id"], "--set", "note=seen at Vostochny")
    colleague = Cli(copy)
    report = colleague.json("merge", str(cli.case_path))
    assert report["withheld_here"] == 1
    assert colleague.json("verify")["ok"] is True
    assert all(t["id"] != protected["id"] for t in colleague.json("list", "ais-tracks"))


# ---- trust anchors come from the system or the user, never from the case ----------------------


def test_a_timestamp_is_trusted_only_through_a_root_pinned_outside_the_case(
    cli, tmp_path, monkeypatch
):
    import shutil

    import pytest

    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed")
    from cryptography import x509
    from tsa_server import serve_tsa

    from osint.capture.timestamp import fingerprint, pinned_roots_path

    with serve_tsa() as (url, ca):
        row = cli.json("timestamp", "--tsa", url, "--ca", ca)
        shown = cli("timestamp", "--tsa", url).stderr  # pinned now: no --ca needed
        root = x509.load_pem_x509_certificates(Path(ca).read_bytes())[0]
    assert row["root_sha256"] == fingerprint(root) and row["root"] == "CN=Throw-away Test Root"
    assert row["trusted_by"].startswith("pinned by you")
    assert fingerprint(root) in shown and "pinned by you" in shown
    assert pinned_roots_path().is_relative_to(tmp_path / ".osint-config")
    assert cli.json("verify")["ok"] is True
    # Someone else (or this user without the pin) reading the same case: the root the case
    # carries is not trusted, and verify says so, naming it.
    monkeypatch.setenv("OSINT_CONFIG_DIR", str(tmp_path / "elsewhere"))
    problems = cli.json("verify", expect=1)["problems"]
    assert problems and all(p["kind"] == "timestamp" for p in problems)
    assert all(
        "not trusted" in p["problem"] and fingerprint(root) in p["problem"] for p in problems
    )


def _domain_chain(domain="archive.example.org"):
    """A root, an intermediate and a leaf for `domain`, like a CA's staging hierarchy."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    start = datetime(2024, 1, 1, tzinfo=UTC)

    def make(subject, issuer, key, issuer_key, ca, san=None):
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=not ca,
                    key_cert_sign=ca,
                    crl_sign=ca,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),  # fmt: skip
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
            )
        )
        if san:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(san)]), critical=False
            ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        return builder.sign(issuer_key, hashes.SHA256())

    keys = [ec.generate_private_key(ec.SECP256R1()) for _ in range(3)]
    root = make("(STAGING) Pretend Pear X1", "(STAGING) Pretend Pear X1", keys[0], keys[0], True)
    inter = make("(STAGING) Ersatz Edamame E1", root.subject.rfc4514_string()[3:], keys[1],
                 keys[0], True)  # fmt: skip
    leaf = make(domain, "(STAGING) Ersatz Edamame E1", keys[2], keys[1], False, san=domain)
    return root, inter, leaf, keys[2]


def test_a_wacz_signed_under_an_untrusted_root_is_not_called_valid(tmp_path, monkeypatch):
    import base64

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding

    from osint.capture.archive_import import _check_signature

    root, inter, leaf, key = _domain_chain()
    package_hash = "sha256:" + "ab" * 32
    signed = {
        "hash": package_hash,
        "signature": base64.b64encode(
            key.sign(package_hash.encode(), ec.ECDSA(hashes.SHA256()))
        ).decode(),
        "domain": "archive.example.org",
        "domainCert": (leaf.public_bytes(Encoding.PEM) + inter.public_bytes(Encoding.PEM)).decode(),
        "created": "2024-03-05T10:00:00Z",
    }
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "none.pem"))
    result = _check_signature(signed, package_hash)
    assert result["valid"] is None and result["trusted"] is False
    assert result["reason"].startswith("signature not trusted")
    # With its root in the system's trust store, the same package is valid at its signing time...
    roots = tmp_path / "roots.pem"
    roots.write_bytes(root.public_bytes(Encoding.PEM))
    monkeypatch.setenv("SSL_CERT_FILE", str(roots))
    assert _check_signature(signed, package_hash)["valid"] is True
    # ...but not when it claims a time its certificate did not cover, nor for another domain.
    assert (
        _check_signature({**signed, "created": "2030-01-01T00:00:00Z"}, package_hash)["valid"]
        is None
    )
    assert _check_signature({**signed, "domain": "evil.example"}, package_hash)["valid"] is None


# ---- serving beyond this machine ---------------------------------------------------------------


def test_serving_on_a_non_loopback_address_warns_that_the_whole_case_is_readable(cli, monkeypatch):
    from osint.sharing import serve

    calls = []
    monkeypatch.setattr(serve, "serve", lambda case, **kw: calls.append(kw["host"]) or 0)
    monkeypatch.setattr(serve, "check_installed", lambda: None)
    for host in ("0.0.0.0", "192.168.1.20", "::", "case.example.org"):
        result = cli("serve", "--host", host)
        assert "is not a loopback address" in result.stderr and "blobs" in result.stderr
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        assert "Warning" not in cli("serve", "--host", host).stderr
    assert calls[0] == "0.0.0.0" and len(calls) == 8


def test_the_expected_schema_is_cached_outside_the_case_and_rebuilt_when_unreadable(case_path):
    from osint.case import integrity

    integrity.expected_objects.cache_clear()
    built = integrity.expected_objects()
    path = integrity._cache_file()
    assert path.is_file() and ("table", "audit_log", "audit_log") in built
    path.write_text("not json")
    integrity.expected_objects.cache_clear()
    assert integrity.expected_objects() == built
    assert integrity._build_expected() == built


def test_a_row_with_a_name_for_an_id_neither_verifies_nor_captures_lookups(cli, case_path):
    cli.json("vessel", "add", "SONGRIM HO")
    from osint.case import records

    _forge(
        case_path,
        lambda case: records.create(case, "vessel", {"name": "DECOY"}, record_id="songrim ho"),
    )
    assert any("'songrim ho' is not one osint makes" in p for p in _problems(cli))
    assert cli.json("show", "songrim ho")["name"] == "SONGRIM HO"


def test_rewriting_a_merge_entry_as_withheld_cannot_hide_edited_ais_positions(
    cli, tmp_path, case_path
):
    ben = Cli(tmp_path / "ben.db")
    ben("init", str(tmp_path / "ben.db"))
    write(tmp_path / "a.csv", track(4))
    ben("ais", "import", tmp_path / "a.csv")
    cli.json("merge", str(ben.case_path))
    assert cli.json("verify")["ok"] is True
    from osint.maritime.ais import store

    conn = sqlite3.connect(case_path, isolation_level=None)
    conn.execute("UPDATE ais_positions SET lat = lat + 1")
    batch, first, last, import_id = conn.execute(
        "SELECT batch, first_row, last_row, import_id FROM ais_batches"
    ).fetchone()
    digest, rows = store.batch_digest(conn, batch, first, last)
    data = json.loads(
        conn.execute("SELECT data FROM audit_log WHERE action = 'merge'").fetchone()[0]
    )
    data["bulk"]["ais_batches"][import_id] = {"rows": rows, "digest": digest}
    conn.execute(
        "UPDATE audit_log SET redacted = 1, data = ? WHERE action = 'merge'", (json.dumps(data),)
    )
    conn.close()
    problems = _problems(cli)
    assert any("no later redact entry names it" in p for p in problems)
    assert any("no longer match the import's digest" in p for p in problems)
