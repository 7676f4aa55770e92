"""Web archives: export WARC/WACZ for replay, import WARC/WACZ made elsewhere, refuse damage."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
import zlib

import pytest
from capture_server import default_site, serve

from osint.case.handle import open_case


@pytest.fixture(scope="module")
def base():
    with serve(default_site()) as url:
        yield url


@pytest.fixture
def captured_case(cli, base):
    items = cli.json(
        "capture", f"{base}/old", f"{base}/cp1251", f"{base}/doc.pdf", f"{base}/missing"
    )
    return items


def audit_count(path):
    with open_case(path) as case:
        return case.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]


def capture_times(path) -> set:
    """(final URL, retrieval time) of every web-archive snapshot in a case."""
    with open_case(path) as case:
        return {
            (r[0], r[1])
            for r in case.conn.execute(
                "SELECT final_url, retrieved_at FROM snapshots WHERE media_type = 'application/warc'"
            )
        }


def records_of(data: bytes):
    from warcio.archiveiterator import ArchiveIterator

    return [
        (r.rec_type, r.rec_headers.get_header("WARC-Target-URI"))
        for r in ArchiveIterator(io.BytesIO(data))
    ]


def test_export_warc_holds_every_capture(cli, captured_case, tmp_path):
    done = cli.json("export", "warc", "-o", tmp_path / "all.warc.gz")
    assert done["captures"] == 4
    data = (tmp_path / "all.warc.gz").read_bytes()
    found = records_of(data)
    assert sum(1 for kind, _ in found if kind == "response") == 6  # 3 hops + 3 pages
    assert sum(1 for kind, _ in found if kind == "warcinfo") == 4
    cli("export", "warc", "-o", tmp_path / "all.warc")
    plain = (tmp_path / "all.warc").read_bytes()
    assert plain.startswith(b"WARC/1.1\r\n") and records_of(plain) == found


def test_export_wacz_is_a_valid_package(cli, captured_case, tmp_path, base):
    done = cli.json("export", "wacz", "-o", tmp_path / "case.wacz")
    assert done["pages"] == 4
    with zipfile.ZipFile(tmp_path / "case.wacz") as archive:
        names = set(archive.namelist())
        assert {
            "archive/data.warc.gz",
            "indexes/index.cdx",
            "pages/pages.jsonl",
            "datapackage.json",
            "datapackage-digest.json",
        } <= names
        assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
        package_bytes = archive.read("datapackage.json")
        package = json.loads(package_bytes)
        assert package["profile"] == "data-package" and package["wacz_version"]
        for resource in package["resources"]:
            data = archive.read(resource["path"])
            assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
            assert resource["bytes"] == len(data)
        digest = json.loads(archive.read("datapackage-digest.json"))
        assert digest["hash"] == "sha256:" + hashlib.sha256(package_bytes).hexdigest()
        pages = [json.loads(line) for line in archive.read("pages/pages.jsonl").splitlines()]
        assert pages[0]["format"] == "json-pages-1.0"
        urls = {p["url"] for p in pages[1:]}
        assert f"{base}/article" in urls and f"{base}/missing" in urls
        assert any("Researchers counted" in (p.get("text") or "") for p in pages[1:])
        warc = archive.read("archive/data.warc.gz")
        lines = archive.read("indexes/index.cdx").decode().splitlines()
        assert lines == sorted(lines)
        for line in lines:
            key, stamp, body = line.split(" ", 2)
            entry = json.loads(body)
            assert len(stamp) == 14 and key.startswith("127.0.0.1:")
            piece = warc[int(entry["offset"]) : int(entry["offset"]) + int(entry["length"])]
            record = zlib.decompress(piece, zlib.MAX_WBITS | 16)
            assert f"WARC-Target-URI: {entry['url']}\r\n".encode() in record


def test_a_wacz_imports_into_another_case_and_again_changes_nothing(
    cli, captured_case, tmp_path, bare_cli, base
):
    cli("export", "wacz", "-o", tmp_path / "case.wacz")
    other = tmp_path / "other.db"
    bare_cli("init", other)
    result = bare_cli("--case", other, "--json", "source", "import", tmp_path / "case.wacz")
    report = json.loads(result.stdout)
    assert report["format"] == "wacz" and report["signature"] is None
    assert [p["result"] for p in report["pages"]] == ["new source"] * 4
    assert any("datapackage-digest.json" in c for c in report["checks"])
    sources = json.loads(bare_cli("--case", other, "--json", "list", "sources").stdout)
    assert {s["locator"] for s in sources} >= {f"{base}/article", f"{base}/cp1251"}
    article = next(s for s in sources if s["locator"] == f"{base}/article")
    quote = json.loads(
        bare_cli(
            "--case", other, "--json", "quote", "add", "Researchers counted at least 43 visits",
            "--speaker", "Harbour News", "--source", article["id"],
        ).stdout
    )  # fmt: skip
    assert quote["verified"] is True
    with open_case(other) as case:
        row = case.conn.execute(
            "SELECT * FROM snapshots WHERE source = ?", (article["id"],)
        ).fetchone()
        assert row["method"] == "import" and row["http_status"] == 200
        assert row["archive_sha256"] == report["sha256"]
    assert capture_times(other) <= capture_times(cli.case_path)  # the archive's times, kept
    count = audit_count(other)
    again = json.loads(
        bare_cli("--case", other, "--json", "source", "import", tmp_path / "case.wacz").stdout
    )
    assert {p["result"] for p in again["pages"]} == {"already in case"}
    assert audit_count(other) == count
    assert json.loads(bare_cli("--case", other, "--json", "verify").stdout)["ok"] is True


def test_imported_snapshot_keeps_the_original_records_byte_for_byte(
    cli, captured_case, tmp_path, bare_cli
):
    cli("export", "warc", "-o", tmp_path / "all.warc.gz")
    exported = (tmp_path / "all.warc.gz").read_bytes()
    other = tmp_path / "other.db"
    bare_cli("init", other)
    bare_cli("--case", other, "source", "import", tmp_path / "all.warc.gz")
    from osint.case.store import blobs

    with open_case(other) as case:
        for row in case.conn.execute("SELECT sha256, retrieved_at FROM snapshots"):
            data = blobs.read_bytes(case.conn, row["sha256"])
            # every gzip member of the snapshot is a member of the imported file, unchanged
            while data:
                member = zlib.decompressobj(zlib.MAX_WBITS | 16)
                member.decompress(data)
                piece = data[: len(data) - len(member.unused_data)]
                assert piece in exported
                data = member.unused_data
    assert capture_times(other) == capture_times(cli.case_path)


def _foreign_warc(path):
    """A plain WARC as another crawler would write it: a page, a redirect and an image."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=False)
        body = b"<html><head><title>Terminal log</title></head><body><p>Eleven tankers were seen at the pier this week, witnesses said.</p></body></html>"
        for uri, status, ctype, payload in (
            ("https://news.example/r", "301 Moved", "text/html", b""),
            ("https://news.example/log", "200 OK", "text/html; charset=utf-8", body),
            ("https://news.example/pic.png", "200 OK", "image/png", b"\x89PNG\r\n\x1a\nxx"),
        ):
            headers = [("Content-Type", ctype), ("Content-Length", str(len(payload)))]
            if status.startswith("301"):
                headers.append(("Location", "/log"))
            http = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
            record = writer.create_warc_record(
                uri, "response", payload=io.BytesIO(payload), http_headers=http
            )
            writer.write_record(record)


def test_a_foreign_warc_imports_its_pages_only(cli, tmp_path):
    _foreign_warc(tmp_path / "crawl.warc")
    report = cli.json("source", "import", tmp_path / "crawl.warc")
    assert [p["url"] for p in report["pages"]] == ["https://news.example/log"]
    source = cli.json("show", report["pages"][0]["source"])
    assert source["title"] == "Terminal log"
    quote = cli.json("quote", "add", "Eleven tankers were seen at the pier", "--speaker", "witnesses",
                     "--source", source["id"])  # fmt: skip
    assert quote["verified"] is True


@pytest.mark.parametrize("damage", ["truncated", "not-an-archive", "garbage-gzip"])
def test_damaged_warc_is_refused_and_the_case_untouched(
    cli, case_path, captured_case, tmp_path, damage
):
    cli("export", "warc", "-o", tmp_path / "all.warc.gz")
    data = (tmp_path / "all.warc.gz").read_bytes()
    bad = tmp_path / "bad.warc.gz"
    if damage == "truncated":
        bad.write_bytes(data[: len(data) * 2 // 3])
    elif damage == "not-an-archive":
        bad = tmp_path / "notes.warc"
        bad.write_text("these are my notes\n")
    else:
        bad.write_bytes(data[:100] + b"\x00" * 50 + data[150:])
    before = audit_count(case_path)
    result = cli("source", "import", bad, expect=1)
    assert result.stderr.startswith("Error: ") and str(bad) in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert audit_count(case_path) == before


def _rebuild(src, dst, replace: dict):
    with zipfile.ZipFile(src) as old, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as new:
        for info in old.infolist():
            data = old.read(info.filename)
            new.writestr(info.filename, replace.get(info.filename, lambda d: d)(data))


def test_damaged_wacz_is_refused_with_the_reason(cli, case_path, captured_case, tmp_path):
    cli("export", "wacz", "-o", tmp_path / "good.wacz")
    before = audit_count(case_path)

    def flip(data):
        data = bytearray(data)
        data[len(data) // 2] ^= 0xFF
        return bytes(data)

    _rebuild(tmp_path / "good.wacz", tmp_path / "warc.wacz", {"archive/data.warc.gz": flip})
    result = cli("source", "import", tmp_path / "warc.wacz", expect=1)
    assert "archive/data.warc.gz does not match its hash in datapackage.json" in result.stderr

    def retitle(data):
        package = json.loads(data)
        package["title"] = "edited"
        return json.dumps(package).encode()

    _rebuild(tmp_path / "good.wacz", tmp_path / "pkg.wacz", {"datapackage.json": retitle})
    result = cli("source", "import", tmp_path / "pkg.wacz", expect=1)
    assert "does not match its hash in datapackage-digest.json" in result.stderr
    (tmp_path / "cut.wacz").write_bytes((tmp_path / "good.wacz").read_bytes()[:-300])
    result = cli("source", "import", tmp_path / "cut.wacz", expect=1)
    assert "damaged" in result.stderr
    assert audit_count(case_path) == before


def _sign(src, dst, *, break_it=False):
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP384R1())
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    def signed(data):
        digest = json.loads(data)
        signature = key.sign(digest["hash"].encode(), ec.ECDSA(hashes.SHA256()))
        if break_it:
            signature = key.sign(b"something else", ec.ECDSA(hashes.SHA256()))
        digest["signedData"] = {
            "hash": digest["hash"],
            "signature": base64.b64encode(signature).decode(),
            "publicKey": base64.b64encode(public).decode(),
            "created": "2024-03-05T10:00:00Z",
            "software": "test signer",
        }
        return json.dumps(digest).encode()

    _rebuild(src, dst, {"datapackage-digest.json": signed})
    return hashlib.sha256(public).hexdigest()[:16]


def test_a_signed_wacz_has_its_signature_checked_and_reported(
    cli, captured_case, tmp_path, bare_cli
):
    cli("export", "wacz", "-o", tmp_path / "good.wacz")
    fingerprint = _sign(tmp_path / "good.wacz", tmp_path / "signed.wacz")
    other = tmp_path / "other.db"
    bare_cli("init", other)
    result = bare_cli("--case", other, "source", "import", tmp_path / "signed.wacz")
    assert f"signature: valid, signed by public key sha256:{fingerprint}" in result.stderr
    _sign(tmp_path / "good.wacz", tmp_path / "forged.wacz", break_it=True)
    before = audit_count(other)
    result = bare_cli("--case", other, "source", "import", tmp_path / "forged.wacz", expect=1)
    assert "the package signature is not valid" in result.stderr
    assert audit_count(other) == before


def test_export_without_captures_says_so(cli, tmp_path):
    result = cli("export", "wacz", "-o", tmp_path / "x.wacz", expect=1)
    assert "no captures" in result.stderr
    assert not (tmp_path / "x.wacz").exists()
