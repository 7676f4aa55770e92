"""Capturing web pages as evidence: local servers only (HTTP and HTTPS on 127.0.0.1)."""

from __future__ import annotations

import gzip
import io
import json
import ssl
import subprocess
import sys
import zlib

import pytest
from capture_server import (
    ARTICLE,
    JAPANESE,
    KOREAN,
    PDF_TEXT,
    RUSSIAN,
    default_site,
    page,
    serve,
    silent_server,
)

from osint import capture
from osint.case.handle import open_case
from osint.case.store import blobs


@pytest.fixture(scope="module")
def site():
    return default_site()


@pytest.fixture(scope="module")
def base(site):
    with serve(site) as url:
        yield url


def captured(cli, *urls, expect=0):
    return cli.json("capture", *urls, expect=expect)


def snapshot_row(case_path, snapshot_id):
    with open_case(case_path) as case:
        return dict(
            case.conn.execute("SELECT * FROM snapshots WHERE id = ?", (snapshot_id,)).fetchone()
        )


def audit_count(case_path):
    with open_case(case_path) as case:
        return case.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]


def raw_blocks(data: bytes) -> list[bytes]:
    """Each record's block exactly as stored (gzip member by member, WARC headers cut off)."""
    blocks = []
    while data:
        member = zlib.decompressobj(zlib.MAX_WBITS | 16)
        record = member.decompress(data)
        data = member.unused_data
        head, _, rest = record.partition(b"\r\n\r\n")
        length = int(next(
            line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
        ))  # fmt: skip
        blocks.append(rest[:length])
    return blocks


def warc_records(data: bytes):
    """(type, WARC headers, HTTP headers, decoded content, raw block) per record, via warcio."""
    from warcio.archiveiterator import ArchiveIterator

    out = []
    blocks = raw_blocks(data)
    for record, block in zip(ArchiveIterator(io.BytesIO(data)), blocks, strict=True):
        content = record.content_stream().read()
        out.append((record.rec_type, record.rec_headers, record.http_headers, content, block))
    return out


# ---- fetching and the stored exchange --------------------------------------------------------


def test_capture_records_every_redirect_hop_and_the_final_page(cli, case_path, base):
    [item] = captured(cli, f"{base}/old")
    assert item["new_source"] is True
    assert item["locator"] == f"{base}/old"
    assert item["title"] == "Oil for arms | Harbour News"
    assert item["publisher"] == "Harbour News"
    assert item["published"] == "2024-03-05T10:00:00Z"
    details = item["capture"]
    assert details["final_url"] == f"{base}/article"
    assert details["http_status"] == 200
    assert details["server_ip"] == "127.0.0.1"
    assert [(h["url"], h["status"]) for h in details["redirects"]] == [
        (f"{base}/old", 301),
        (f"{base}/moved", 302),
        (f"{base}/article", 200),
    ]
    row = snapshot_row(case_path, details["snapshot"])
    assert row["method"] == "capture"
    assert row["media_type"] == "application/warc"
    hops = json.loads(row["redirects"])
    assert dict(hops[0]["headers"])["Location"] == "/moved"
    assert all(h["server_ip"] == "127.0.0.1" and h["request_sha256"] for h in hops)
    assert row["user_agent"] and "osint" in row["user_agent"]
    assert row["tool"].startswith("osint ")


def test_the_warc_holds_the_exchange_byte_for_byte_and_opens_in_warcio(cli, case_path, base):
    [item] = captured(cli, f"{base}/old")
    row = snapshot_row(case_path, item["capture"]["snapshot"])
    with open_case(case_path) as case:
        data = blobs.read_bytes(case.conn, row["sha256"])
    import hashlib

    assert hashlib.sha256(data).hexdigest() == row["sha256"] == item["snapshot_sha256"]
    found = warc_records(data)
    types = [r[0] for r in found]
    assert types == ["warcinfo"] + ["request", "response"] * 3 + ["metadata"]
    final_response = found[-2]
    assert final_response[1].get_header("WARC-Target-URI") == f"{base}/article"
    assert final_response[1].get_header("WARC-IP-Address") == "127.0.0.1"
    assert final_response[3] == ARTICLE.encode()
    assert hashlib.sha256(final_response[3]).hexdigest() == row["payload_sha256"]
    # The raw response as received: its SHA-256 is the recorded one.
    assert hashlib.sha256(final_response[4]).hexdigest() == row["response_sha256"]
    assert final_response[4].startswith(b"HTTP/1.0 200 OK\r\n") or final_response[4].startswith(
        b"HTTP/1.1 200 OK\r\n"
    )
    request = found[-3]
    assert request[2].get_header("User-Agent") == row["user_agent"]
    assert hashlib.sha256(request[4]).hexdigest() == row["request_sha256"]
    metadata = json.loads(found[-1][3])
    assert metadata["final_url"] == f"{base}/article"
    assert metadata["payload_sha256"] == row["payload_sha256"]


def test_gzip_and_chunked_responses_are_kept_as_sent_and_decoded_for_text(cli, case_path, base):
    items = captured(cli, f"{base}/gzip", f"{base}/chunked")
    for item in items:
        row = snapshot_row(case_path, item["capture"]["snapshot"])
        with open_case(case_path) as case:
            data = blobs.read_bytes(case.conn, row["sha256"])
            text = blobs.read_bytes(case.conn, row["text_sha256"]).decode()
        assert "Researchers counted at least 43 visits" in text
        response = [r for r in warc_records(data) if r[0] == "response"][-1]
        assert response[3] == ARTICLE.encode()  # warcio undoes the codings on reading
        raw = response[4]
        if item["locator"].endswith("/gzip"):
            assert b"Content-Encoding: gzip" in raw
            assert raw.endswith(gzip.compress(ARTICLE.encode(), mtime=0)[10:])  # as sent
            assert row["payload_size"] == len(ARTICLE.encode())
        else:
            assert b"Transfer-Encoding: chunked" in raw
            assert b"\r\n64\r\n" in raw and raw.endswith(b"\r\n0\r\n\r\n")  # framing kept


@pytest.mark.parametrize(
    "path, expected, how",
    [
        ("/cp1251", RUSSIAN, "cp1251 (declared)"),
        ("/cp1251-undeclared", RUSSIAN, "cp1251 (detected)"),
        ("/euc-kr", KOREAN, "cp949 (document)"),
        ("/shift-jis", JAPANESE, "cp932 (detected)"),
    ],
)
def test_legacy_charsets_come_out_readable(cli, case_path, base, path, expected, how):
    [item] = captured(cli, f"{base}{path}")
    row = snapshot_row(case_path, item["capture"]["snapshot"])
    assert row["text_encoding"] == how
    with open_case(case_path) as case:
        text = blobs.read_bytes(case.conn, row["text_sha256"]).decode()
    assert expected in text
    # and a quote in that language verifies against the stored text
    words = expected.split()[:6]
    quote = cli.json("quote", "add", " ".join(words), "--speaker", "X", "--source", item["id"])
    assert quote["verified"] is True


def test_a_pdf_is_captured_with_its_text(cli, case_path, base):
    [item] = captured(cli, f"{base}/doc.pdf")
    row = snapshot_row(case_path, item["capture"]["snapshot"])
    assert row["content_type"] == "application/pdf"
    assert row["text_extractor"].startswith("pypdf")
    quote = cli.json("quote", "add", PDF_TEXT, "--speaker", "Report", "--source", item["id"])
    assert quote["verified"] is True


@pytest.mark.parametrize("path, status", [("/missing", 404), ("/broken", 500)])
def test_error_pages_are_captured_as_what_they_are_and_flagged(cli, case_path, base, path, status):
    result = cli("capture", f"{base}{path}")
    assert f"HTTP {status}" in result.stderr and "captured as it is" in result.stderr
    [item] = captured(cli, f"{base}{path}")
    assert item["capture"]["http_status"] == status
    assert item["flag"].startswith(f"HTTP {status}")


def test_a_server_that_never_answers_times_out_with_a_clear_message(cli, case_path):
    before = audit_count(case_path)
    with silent_server() as url:
        result = cli("capture", f"{url}/slow", "--timeout", "1", expect=1)
    assert "did not answer within 1 s" in result.stderr
    assert "Traceback" not in result.stderr
    assert audit_count(case_path) == before


def test_a_response_over_the_cap_is_refused(cli, case_path, base, site):
    before = audit_count(case_path)
    result = cli("capture", f"{base}/big", "--max-size", "1", expect=1)
    assert "over the 1 MiB cap (--max-size)" in result.stderr
    site.add("/big-chunked", site.routes["/big"][2])
    site.chunked.add("/big-chunked")
    result = cli("capture", f"{base}/big-chunked", "--max-size", "1", expect=1)
    assert "larger than the 1 MiB cap (--max-size)" in result.stderr
    assert audit_count(case_path) == before


def test_one_failing_url_does_not_stop_the_others(cli, base):
    result = cli("--json", "capture", f"{base}/article", "http://127.0.0.1:9/closed", expect=1)
    items = json.loads(result.stdout)
    assert items[0]["capture"]["http_status"] == 200
    assert "cannot connect" in items[1]["error"]


def test_not_a_web_address_is_a_usage_error(cli):
    result = cli("capture", "ftp://example.org/file", expect=1)
    assert "not a web address" in result.stderr
    result = cli("source", "add", "UN S/2024/215", "--capture", expect=1)
    assert "not a web address" in result.stderr


def test_redirect_loops_are_refused(cli, base):
    result = cli("capture", f"{base}/loop", expect=1)
    assert "redirected in a loop" in result.stderr


# ---- sources, quotes, captures again, diff ---------------------------------------------------


def test_source_add_capture_keeps_the_given_fields_and_the_quote_verifies(cli, base):
    item = cli.json(
        "source", "add", f"{base}/article", "--capture", "--title", "Harbour article",
        "--grade", "B",
    )  # fmt: skip
    assert item["title"] == "Harbour article" and item["grade"] == "B"
    assert item["snapshot_sha256"]
    quote = cli.json(
        "quote", "add", "A million barrels is nothing for a major oil producer like Russia",
        "--speaker", "Go Myong-hyun", "--source", item["id"],
    )  # fmt: skip
    assert quote["verified"] is True
    result = cli("quote", "add", "words the page never said", "--speaker", "X",
                 "--source", item["id"], expect=1)  # fmt: skip
    assert "quote not found" in result.stderr
    assert cli.json("verify")["ok"] is True


def test_source_add_still_requires_a_title_without_capture(cli):
    result = cli("source", "add", "UN S/2024/215 para 42", expect=2)
    assert "--title" in result.stderr


def test_capturing_again_adds_a_dated_capture_and_diff_shows_the_edit(cli, site, base):
    site.add("/story", page("The tanker left port on Monday."))
    [first] = captured(cli, f"{base}/story")
    site.add("/story", page("The tanker left port on Tuesday."))
    [second] = captured(cli, f"{base}/story")
    site.add("/story", page("Removed"), status=410)
    [third] = captured(cli, f"{base}/story")
    assert first["new_source"] and not second["new_source"] and not third["new_source"]
    assert first["id"] == second["id"] == third["id"]
    assert second["snapshot"] != first["snapshot"]
    pairs = cli.json("source", "diff", first["id"])
    assert len(pairs) == 2
    assert pairs[0]["changed"] is True
    assert "-The tanker left port on Monday." in pairs[0]["diff"]
    assert "+The tanker left port on Tuesday." in pairs[0]["diff"]
    assert pairs[1]["status_change"] == "HTTP 200 -> 410"
    text = cli("source", "diff", first["id"]).stdout
    assert "+The tanker left port on Tuesday." in text and "status changed: HTTP 200 -> 410" in text
    one = cli.json("source", "diff", first["id"], "--from", first["snapshot"][:8],
                   "--to", first["capture"]["snapshot"][:8])  # fmt: skip
    assert len(one) == 1 and one[0]["changed"] is False


def test_diff_needs_two_snapshots(cli, base):
    [item] = captured(cli, f"{base}/article")
    result = cli("source", "diff", item["id"], expect=1)
    assert "capture it again" in result.stderr


# ---- tampering is caught -----------------------------------------------------------------------


def test_tampering_with_any_stored_byte_of_a_capture_is_caught(cli, case_path, base):
    [item] = captured(cli, f"{base}/old")
    row = snapshot_row(case_path, item["capture"]["snapshot"])
    assert cli.json("verify")["ok"] is True
    for column in ("sha256", "text_sha256"):
        with open_case(case_path) as case:
            chunk = case.conn.execute(
                "SELECT rowid, data FROM blob_chunks WHERE sha256 = ? ORDER BY seq LIMIT 1",
                (row[column],),
            ).fetchone()
            data = bytearray(chunk["data"])
            data[len(data) // 2] ^= 0x01
            case.conn.execute(
                "UPDATE blob_chunks SET data = ? WHERE rowid = ?", (bytes(data), chunk["rowid"])
            )
        report = cli.json("verify", expect=1)
        assert not report["ok"]
        assert any(row[column][:12] in p["problem"] for p in report["problems"])
        with open_case(case_path) as case:
            data[len(data) // 2] ^= 0x01
            case.conn.execute(
                "UPDATE blob_chunks SET data = ? WHERE rowid = ?", (bytes(data), chunk["rowid"])
            )
    assert cli.json("verify")["ok"] is True
    with open_case(case_path) as case:
        case.conn.execute(
            "UPDATE snapshots SET http_status = 200, final_url = 'x' WHERE id = ?", (row["id"],)
        )
    report = cli.json("verify", expect=1)
    assert any("final_url" in p["problem"] for p in report["problems"])


# ---- HTTPS -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_site():
    trustme = pytest.importorskip("trustme")
    authority = trustme.CA()
    server_cert = authority.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_cert.configure_cert(context)
    with serve(default_site(), context) as url:
        yield url, authority, server_cert


def test_https_records_the_certificate_chain_of_the_same_connection(
    cli, case_path, tls_site, tmp_path, monkeypatch
):
    url, authority, server_cert = tls_site
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    [item] = captured(cli, f"{url}/old")
    details = item["capture"]
    assert details["final_url"] == f"{url}/article"
    assert details["tls_verified"] == 1
    assert details["tls_version"].startswith("TLS")
    assert details["tls_subject"] is not None and details["tls_issuer"] is not None
    with open_case(case_path) as case:
        pem = blobs.read_bytes(case.conn, details["tls_chain_sha256"]).decode()
    leaf_pem = server_cert.cert_chain_pems[0].bytes().decode()
    assert pem.startswith(leaf_pem.strip().split("\n")[0])
    assert "".join(leaf_pem.split()) in "".join(pem.split())
    assert "".join(authority.cert_pem.bytes().decode().split()) in "".join(pem.split())
    row = snapshot_row(case_path, details["snapshot"])
    hops = json.loads(row["redirects"])
    assert all(h["tls"]["verified"] and h["tls"]["sha256"] for h in hops)
    assert cli.json("verify")["ok"] is True


def test_an_untrusted_certificate_is_refused_unless_insecure(cli, tls_site, monkeypatch, tmp_path):
    url, _, _ = tls_site
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    result = cli("capture", f"{url}/article", expect=1)
    assert "not trusted" in result.stderr and "--insecure" in result.stderr
    [item] = captured(cli, f"{url}/article", "--insecure")
    assert item["capture"]["tls_verified"] == 0
    assert item["capture"]["tls_chain_sha256"]


# ---- screenshots -------------------------------------------------------------------------------


def test_screenshot_without_chromium_says_so_and_keeps_the_capture(
    cli, base, monkeypatch, tmp_path
):
    monkeypatch.setenv("OSINT_CHROMIUM", str(tmp_path / "no-chromium"))
    result = cli("capture", f"{base}/article", "--screenshot")
    assert "Chromium is not installed" in result.stderr
    assert "Captured" in result.stdout


def test_screenshot_is_a_full_page_png_derived_from_the_capture(cli, case_path, base, site):
    from osint.capture.screenshot import find_chromium

    if not find_chromium():
        pytest.skip("Chromium is not installed")
    served = site.hits.get("/big", 0)
    [item] = captured(cli, f"{base}/big", "--screenshot", "--max-size", "10")
    shot = item["screenshot"]
    assert shot and shot["media_type"] == "image/png"
    assert site.hits["/big"] == served + 1  # the page was rendered from the capture, not refetched
    with open_case(case_path) as case:
        png = blobs.read_bytes(case.conn, shot["sha256"])
    from PIL import Image

    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.width >= 1280 and image.height > 2000
    row = snapshot_row(case_path, item["capture"]["snapshot"])
    assert row["screenshot_sha256"] == shot["sha256"]
    # The screenshot is an image of the case, derived from the capture.
    image = cli.json("show", shot["id"])
    assert image["kind"] == "image" and image["sha256"] == shot["sha256"]
    assert any(
        link["relation"] == "derived-from" and link["other"] == row["id"] for link in image["links"]
    )
    assert cli.json("verify")["ok"] is True


# ---- startup stays light -----------------------------------------------------------------------


def test_help_does_not_import_the_capture_libraries():
    code = (
        "import sys; from osint.cli import app; from typer.testing import CliRunner; "
        "CliRunner().invoke(app, ['--help']); "
        "print(sorted(m for m in ('httpx', 'warcio', 'trafilatura', 'rfc3161_client') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_library_capture_without_a_case(base):
    cap = capture.capture(f"{base}/article")
    assert cap.status == 200 and cap.flag is None
    assert "Researchers counted" in cap.snapshot.text
    assert cap.snapshot.extra["payload_size"] == len(ARTICLE.encode())


def test_urls_that_only_redirect_to_the_same_page_stay_separate_sources(cli, site, base):
    site.redirect("/paywalled-1", "/login")
    site.redirect("/paywalled-2", "/login")
    site.add("/login", page("Please sign in to continue reading."))
    first, second = captured(cli, f"{base}/paywalled-1", f"{base}/paywalled-2")
    assert first["new_source"] and second["new_source"] and first["id"] != second["id"]
    # but capturing the page an earlier capture landed on is a new capture of that source
    [again] = captured(cli, f"{base}/old")
    [landed] = captured(cli, f"{base}/article")
    assert landed["id"] == again["id"] and not landed["new_source"]
