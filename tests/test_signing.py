"""Signed provenance: entries signed with the investigator's SSH key, checked by osint and ssh-keygen."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from osint.case import sshsig

SSH_KEYGEN = shutil.which("ssh-keygen")
needs_ssh_keygen = pytest.mark.skipif(SSH_KEYGEN is None, reason="ssh-keygen is not installed")


def make_key(folder: Path, name: str, key_type: str = "ed25519", passphrase: str = "") -> Path:
    path = folder / name
    args = ["-t", *key_type.split()]
    subprocess.run(
        [SSH_KEYGEN, "-q", *args, "-N", passphrase, "-C", name, "-f", str(path)],
        check=True,
        capture_output=True,
    )
    return path


@pytest.fixture(autouse=True)
def _own_config(monkeypatch, tmp_path):
    """Each test has its own osint configuration (the chosen key) and no agent."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("OSINT_SIGNING_KEY", raising=False)
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)


def audit_rows(case_path: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(case_path)
    try:
        return conn.execute(
            "SELECT a.hash, s.signature FROM audit_log a "
            "LEFT JOIN audit_signatures s ON s.entry_hash = a.hash ORDER BY a.seq"
        ).fetchall()
    finally:
        conn.close()


@needs_ssh_keygen
@pytest.mark.parametrize("key_type", ["ed25519", "ecdsa -b 256", "ecdsa -b 384", "rsa -b 2048"])
def test_signatures_interoperate_with_ssh_keygen(tmp_path, key_type):
    key = make_key(tmp_path, "k", key_type)
    signer = sshsig.load_signer(key)
    message = b"9a3d1c2e1b5040df8f248adf7f4c0c66"
    (tmp_path / "m").write_bytes(message)
    (tmp_path / "m.sig").write_text(signer.sign(message))
    allowed = sshsig.allowed_signers_file([sshsig.AllowedSigner("A. Analyst", signer.public)])
    (tmp_path / "allowed").write_text(allowed)
    with (tmp_path / "m").open("rb") as stdin:
        checked = subprocess.run(
            [SSH_KEYGEN, "-Y", "verify", "-n", "osint", "-f", str(tmp_path / "allowed")]
            + ["-I", "A. Analyst", "-s", str(tmp_path / "m.sig")],
            stdin=stdin,
            capture_output=True,
            text=True,
        )
    assert checked.returncode == 0, checked.stderr
    # ...and ssh-keygen's own signatures verify here.
    subprocess.run(
        [SSH_KEYGEN, "-Y", "sign", "-q", "-n", "osint", "-f", str(key), str(tmp_path / "m")],
        check=True,
        capture_output=True,
    )
    proof = sshsig.verify((tmp_path / "m.sig").read_text(), message)
    assert proof.public.fingerprint == signer.public.fingerprint
    with pytest.raises(sshsig.SignatureError):
        sshsig.verify((tmp_path / "m.sig").read_text(), message + b"x")
    with pytest.raises(sshsig.SignatureError):
        sshsig.verify((tmp_path / "m.sig").read_text(), message, namespace="git")


@needs_ssh_keygen
def test_entries_are_signed_and_ssh_keygen_accepts_them(cli, case_path, tmp_path):
    key = make_key(tmp_path, "id_ed25519")
    chosen = cli.json("key", "use", str(key))
    assert chosen["fingerprint"].startswith("SHA256:")
    cli("signers", "add", "Test Investigator", str(key) + ".pub")
    finding = cli.json("finding", "add", "Tankers called at the terminal")
    report = cli.json("verify")["reports"]["signatures"]
    assert report["signers"][0]["signer"] == "Test Investigator"
    assert report["signers"][0]["entries"] == 2  # the signer record and the finding
    assert report["unsigned"] == 1  # the case was created before the key was chosen
    cli("verify", "--require-signatures", expect=1)

    allowed = tmp_path / "allowed_signers"
    cli("signers", "export", "-o", str(allowed))
    last_hash, last_signature = audit_rows(case_path)[-1]
    (tmp_path / "entry").write_bytes(last_hash.encode())
    (tmp_path / "entry.sig").write_text(last_signature)
    with (tmp_path / "entry").open("rb") as stdin:
        checked = subprocess.run(
            [SSH_KEYGEN, "-Y", "verify", "-n", "osint", "-f", str(allowed)]
            + ["-I", "Test Investigator", "-s", str(tmp_path / "entry.sig")],
            stdin=stdin,
            capture_output=True,
            text=True,
        )
    assert checked.returncode == 0, checked.stderr
    shown = cli.json("log", "--show-signature", finding["id"])
    assert shown[0]["status"].startswith("good signature by Test Investigator")
    # The private key never enters the case.
    body = "".join(key.read_text().splitlines()[1:-1])
    assert body[:40].encode() not in case_path.read_bytes()


@needs_ssh_keygen
def test_a_case_from_the_start_with_a_key_passes_require_signatures(bare_cli, tmp_path):
    key = make_key(tmp_path, "k")
    bare_cli("key", "use", str(key))
    case = tmp_path / "signed.db"
    bare_cli("init", str(case), "--title", "Signed from the first entry")
    bare_cli("--case", str(case), "signers", "add", "Test Investigator", str(key) + ".pub")
    assert bare_cli.json("--case", str(case), "verify", "--require-signatures")["ok"] is True


def test_a_case_without_a_key_still_works_and_says_so(cli):
    cli("finding", "add", "An unsigned finding")
    result = cli.json("verify")
    assert result["ok"] is True
    assert result["reports"]["signatures"]["unsigned"] == 2
    assert "not signed" in cli.json("log", "--show-signature")[0]["status"]
    assert "No signing key" in cli("key", "show").stdout


@needs_ssh_keygen
def test_forged_names_swapped_signatures_and_removed_signers(cli, case_path, tmp_path):
    alice, mallory = make_key(tmp_path, "alice"), make_key(tmp_path, "mallory")
    cli("key", "use", str(alice))
    signer = cli.json("signers", "add", "Test Investigator", str(alice) + ".pub")
    cli("finding", "add", "First")
    cli("finding", "add", "Second")
    assert cli.json("verify")["ok"] is True

    # Mallory signs an entry made under Alice's name: reported, and fatal when required.
    cli("key", "use", str(mallory))
    cli("finding", "add", "Forged in Alice's name")
    report = cli.json("verify")["reports"]["signatures"]
    assert report["signed_by_unknown_key"] == 1
    cli("verify", "--require-signatures", expect=1)

    # Swapping two entries' signatures is always caught.
    conn = sqlite3.connect(case_path)
    rows = conn.execute("SELECT entry_hash, signature FROM audit_signatures").fetchall()
    (h1, s1), (h2, s2) = rows[0], rows[1]
    conn.execute("UPDATE audit_signatures SET signature = ? WHERE entry_hash = ?", (s2, h1))
    conn.execute("UPDATE audit_signatures SET signature = ? WHERE entry_hash = ?", (s1, h2))
    conn.commit()
    conn.close()
    problems = cli.json("verify", expect=1)["problems"]
    assert sum("signature does not verify" in p["problem"] for p in problems) == 2
    conn = sqlite3.connect(case_path)
    conn.execute("UPDATE audit_signatures SET signature = ? WHERE entry_hash = ?", (s1, h1))
    conn.execute("UPDATE audit_signatures SET signature = ? WHERE entry_hash = ?", (s2, h2))
    conn.commit()
    conn.close()

    # A removed signer's key no longer counts as allowed.
    cli("key", "use", str(alice))
    cli("signers", "remove", signer["id"], "--reason", "key lost")
    report = cli.json("verify")["reports"]["signatures"]
    assert report["signers"] and all(s["signer"] is None for s in report["signers"])


@needs_ssh_keygen
def test_a_rewritten_chain_is_caught_by_pinned_signers(cli, bare_cli, case_path, tmp_path):
    """Someone without Alice's key rebuilds the case and signs it with a key of their own, adding
    it to the case's signers: against the signers Alice pinned outside the case, it fails."""
    alice, mallory = make_key(tmp_path, "alice"), make_key(tmp_path, "mallory")
    cli("key", "use", str(alice))
    cli("signers", "add", "Test Investigator", str(alice) + ".pub")
    pinned = tmp_path / "allowed_signers"
    cli("signers", "export", "-o", str(pinned))

    bare_cli("key", "use", str(mallory))
    forged = tmp_path / "forged.db"
    bare_cli("init", str(forged), "--title", "Test case")
    bare_cli("--case", str(forged), "signers", "add", "Test Investigator", str(mallory) + ".pub")
    bare_cli("--case", str(forged), "finding", "add", "Rewritten history")
    assert bare_cli.json("--case", str(forged), "verify")["ok"] is True  # self-consistent
    result = bare_cli.json(
        "--case",
        str(forged),
        "verify",
        "--require-signatures",
        "--allowed-signers",
        str(pinned),
        expect=1,
    )
    assert result["reports"]["signatures"]["signed_by_unknown_key"] >= 2


@needs_ssh_keygen
def test_merge_keeps_signatures_and_refuses_entries_forged_in_our_name(
    cli, bare_cli, case_path, tmp_path, monkeypatch
):
    alice, bob = make_key(tmp_path, "alice"), make_key(tmp_path, "bob")
    cli("key", "use", str(alice))
    cli("signers", "add", "Test Investigator", str(alice) + ".pub")
    colleague = tmp_path / "bob.db"
    shutil.copy(case_path, colleague)

    # Bob, under his own name and key, adds a finding: it merges with its signature.
    monkeypatch.setenv("OSINT_USER", "Bob Colleague")
    bare_cli("key", "use", str(bob))
    bare_cli("--case", str(colleague), "signers", "add", "Bob Colleague", str(bob) + ".pub")
    bare_cli("--case", str(colleague), "finding", "add", "Bob's finding")
    monkeypatch.setenv("OSINT_USER", "Test Investigator")
    cli("key", "use", str(alice))
    merged = cli.json("merge", str(colleague))
    assert merged["signatures"] == 2
    report = cli.json("verify")["reports"]["signatures"]
    assert {s["signer"] for s in report["signers"]} == {"Test Investigator", "Bob Colleague"}

    # An entry in Alice's name that Alice's key did not sign is refused, and nothing merges.
    forged = tmp_path / "forged.db"
    shutil.copy(case_path, forged)
    monkeypatch.setenv("OSINT_USER", "Test Investigator")
    bare_cli("key", "use", str(bob))
    bare_cli("--case", str(forged), "finding", "add", "Forged in Alice's name")
    cli("key", "use", str(alice))
    before = case_path.read_bytes()
    result = cli("merge", str(forged), expect=1)
    assert "refused" in result.stderr and "Test Investigator" in result.stderr
    assert case_path.read_bytes() == before


@needs_ssh_keygen
def test_protected_keys_ask_once_and_a_wrong_passphrase_is_one_line(tmp_path):
    key = make_key(tmp_path, "protected", passphrase="correct horse")
    asked = []

    def passphrase() -> str:
        asked.append(1)
        return "correct horse"

    signer = sshsig.load_signer(key, passphrase)
    signer.sign(b"one")
    signer.sign(b"two")
    assert asked == [1]
    with pytest.raises(Exception) as wrong:
        sshsig.load_signer(key, lambda: "wrong")
    assert "wrong passphrase" in str(wrong.value)
    with pytest.raises(Exception) as nobody:
        sshsig.load_signer(key)
    assert "ssh-agent" in str(nobody.value)


def test_keys_that_are_not_keys_are_refused(bare_cli, tmp_path):
    bogus = tmp_path / "id_bogus"
    bogus.write_text("not a key\n")
    result = bare_cli("key", "use", str(bogus), expect=1)
    assert "not an OpenSSH private key" in result.stderr
    with pytest.raises(Exception, match="public key"):
        sshsig.parse_public_key("ssh-ed25519 !!!notbase64")
    with pytest.raises(sshsig.SignatureError):
        sshsig.unarmor(
            "-----BEGIN SSH SIGNATURE-----\n" + "A" * 20000 + "\n-----END SSH SIGNATURE-----"
        )


@needs_ssh_keygen
def test_the_brief_lists_signers_and_their_key_fingerprints(cli, tmp_path):
    key = make_key(tmp_path, "k")
    chosen = cli.json("key", "use", str(key))
    cli("signers", "add", "Test Investigator", str(key) + ".pub")
    cli("finding", "add", "Tankers called at the terminal")
    for name in ("brief.html", "brief.md"):
        cli("export", "brief", "-o", str(tmp_path / name))
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert chosen["fingerprint"] in text
        assert "Signed (SSH, namespace osint) by" in text and "Test Investigator" in text
        assert "1 entry not signed" in text  # the case was made before the key was chosen
