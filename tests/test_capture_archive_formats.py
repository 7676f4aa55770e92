"""Web archives as other tools write them: plain WARCs, digests, truncation, content codings,
ARC files, wget's metadata records; checked with the reference tools (warcio check, wacz validate).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import subprocess
import sys
import zlib

import pytest

from osint.case.handle import open_case

PAGE = (
    b"<html><head><title>Terminal log</title></head><body><p>Eleven tankers were seen at the "
    b"pier this week, witnesses said.</p></body></html>"
)


def _warc(path, pages, *, gzip_records=False, extra=None):
    """A WARC as another crawler writes it: warcinfo, then request/response per page."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=gzip_records)
        info = writer.create_warcinfo_record(path.name, {"software": "Wget/1.21 (linux-gnu)"})
        writer.write_record(info)
        info_id = info.rec_headers.get_header("WARC-Record-ID")
        for uri, headers, payload in pages:
            request = writer.create_warc_record(
                uri,
                "request",
                http_headers=StatusAndHeaders(
                    "GET / HTTP/1.1", [("Host", "news.example")], is_http_request=True
                ),
                warc_headers_dict={"WARC-Warcinfo-ID": info_id},
            )
            http = StatusAndHeaders(
                "200 OK", [*headers, ("Content-Length", str(len(payload)))], protocol="HTTP/1.1"
            )
            response = writer.create_warc_record(
                uri,
                "response",
                payload=io.BytesIO(payload),
                http_headers=http,
                warc_headers_dict={"WARC-Warcinfo-ID": info_id},
            )
            request.rec_headers.add_header(
                "WARC-Concurrent-To", response.rec_headers.get_header("WARC-Record-ID")
            )
            writer.write_record(request)
            writer.write_record(response)
        for record in (extra or (lambda w, i: []))(writer, info_id):
            writer.write_record(record)
    return path


def _html_page(uri="https://news.example/log", body=PAGE, headers=()):
    return (uri, [("Content-Type", "text/html; charset=utf-8"), *headers], body)


def warcio_check(path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import sys; from warcio.cli import main; main()", "check", "-v",
         str(path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def wacz_validate(path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import sys; from wacz.main import main; sys.exit(main())",
         "validate", "-f", str(path)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def warc_records(data: bytes) -> list[tuple]:
    """(type, id, block bytes) of every record, whatever the compression."""
    from warcio.archiveiterator import ArchiveIterator

    out = []
    for record in ArchiveIterator(io.BytesIO(data)):
        out.append(
            (
                record.rec_type,
                record.rec_headers.get_header("WARC-Record-ID"),
                (record.http_headers.to_bytes() if record.http_headers else b"")
                + record.raw_stream.read(),
            )
        )
    return out


def stored_warcs(path) -> list[bytes]:
    from osint.case.store import blobs

    with open_case(path) as case:
        return [
            blobs.read_bytes(case.conn, row[0])
            for row in case.conn.execute(
                "SELECT sha256 FROM snapshots WHERE media_type = 'application/warc' ORDER BY rowid"
            )
        ]


def test_a_plain_warc_is_stored_byte_exact_and_exports_pass_the_reference_tools(cli, tmp_path):
    source = _warc(tmp_path / "crawl.warc", [_html_page()])
    original = source.read_bytes()
    report = cli.json("source", "import", source)
    assert len(report["pages"]) == 1
    (stored,) = stored_warcs(cli.case_path)
    # The stored snapshot is the crawler's own records, blank-line separators included.
    assert stored == original
    assert stored.endswith(b"\r\n\r\n")
    assert cli.json("verify")["ok"] is True
    for name in ("x.warc", "x.warc.gz"):
        cli("export", "warc", "-o", tmp_path / name)
        checked = warcio_check(tmp_path / name)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "digest pass" in checked.stdout
    assert (tmp_path / "x.warc").read_bytes() == original
    cli("export", "wacz", "-o", tmp_path / "x.wacz")
    validated = wacz_validate(tmp_path / "x.wacz")
    assert (
        validated.returncode == 0 and "Validation succeeded" in validated.stdout + validated.stderr
    )


def test_round_trip_import_export_import_keeps_the_same_records(cli, bare_cli, tmp_path):
    from osint.case.handle import init_case

    source = _warc(
        tmp_path / "crawl.warc",
        [_html_page(), _html_page("https://news.example/two", PAGE.replace(b"Eleven", b"Nine"))],
    )
    cli("source", "import", source)
    cli("export", "warc", "-o", tmp_path / "out.warc.gz")
    other = tmp_path / "other.db"
    init_case(other, title="Other").close()
    bare_cli("--case", other, "source", "import", tmp_path / "out.warc.gz")
    first = [warc_records(d) for d in stored_warcs(cli.case_path)]
    second = [warc_records(d) for d in stored_warcs(other)]
    assert first == second and len(first) == 2
    # And back to plain: the same bytes as the crawler wrote.
    bare_cli("--case", other, "export", "warc", "-o", tmp_path / "back.warc")
    assert (tmp_path / "back.warc").read_bytes() == source.read_bytes()
    # Through a WACZ too.
    cli("export", "wacz", "-o", tmp_path / "out.wacz")
    third = tmp_path / "third.db"
    init_case(third, title="Third").close()
    report = bare_cli.json("--case", third, "source", "import", tmp_path / "out.wacz")
    assert sorted(p["url"] for p in report["pages"]) == [
        "https://news.example/log",
        "https://news.example/two",
    ]
    assert sorted(warc_records(d) for d in stored_warcs(third)) == sorted(first)


def test_digest_failures_are_reported_per_record(cli, tmp_path):
    source = _warc(tmp_path / "crawl.warc", [_html_page(), _html_page("https://news.example/b")])
    data = source.read_bytes()
    # Change one byte of the second page's payload, keeping every length.
    at = data.rindex(b"Eleven")
    damaged = tmp_path / "damaged.warc"
    damaged.write_bytes(data[:at] + b"Twelve" + data[at + 6 :])
    from warcio.archiveiterator import ArchiveIterator

    bad_id = [
        r.rec_headers.get_header("WARC-Record-ID")
        for r in ArchiveIterator(io.BytesIO(data))
        if r.rec_type == "response"
    ][1]
    report = cli.json("source", "import", damaged)
    problems = [w for w in report["warnings"] if "digest" in w]
    assert len(problems) == 2  # block and payload digests of that one record
    assert all(bad_id in w and "https://news.example/b" in w for w in problems)
    assert any("2 records FAILED" in c or "1 records FAILED" in c for c in report["checks"])
    clean = cli.json("source", "import", source)
    assert not [w for w in clean["warnings"] if "digest" in w]
    assert any("digests checked" in c and "FAILED" not in c for c in clean["checks"])


@pytest.mark.parametrize("how", ["cut-in-half", "content-length-too-large", "gzip-member-cut"])
def test_a_truncated_archive_is_refused_naming_what_is_missing(cli, case_path, tmp_path, how):
    gz = how == "gzip-member-cut"
    source = _warc(tmp_path / ("c.warc.gz" if gz else "c.warc"), [_html_page()], gzip_records=gz)
    data = source.read_bytes()
    bad = tmp_path / ("bad.warc.gz" if gz else "bad.warc")
    if how == "cut-in-half":
        bad.write_bytes(data[: data.rindex(b"Eleven") + 3])
    elif how == "content-length-too-large":
        at = data.rindex(b"WARC-Type: response")
        head_end = data.index(b"\r\n\r\n", at)
        length_at = data.rindex(b"Content-Length: ", at, head_end) + len(b"Content-Length: ")
        end = data.index(b"\r\n", length_at)
        bigger = str(int(data[length_at:end]) + 500).encode()
        bad.write_bytes(data[:length_at] + bigger + data[end:])
    else:
        bad.write_bytes(data[: len(data) - 40])
    result = cli("source", "import", bad, expect=1)
    message = result.stderr.strip()
    assert str(bad) in message and "Traceback" not in message
    assert "cut short" in message or "damaged" in message
    if how != "gzip-member-cut":
        assert "https://news.example/log" in message and "missing" in message
    with open_case(case_path) as case:
        assert case.conn.execute("SELECT count(*) FROM sources").fetchone()[0] == 0


def _brotli(data):
    import brotli

    return brotli.compress(data)


def _zstd(data):
    import zstandard

    return zstandard.ZstdCompressor().compress(data)


@pytest.mark.parametrize(
    "coding, encode",
    [
        ("br", _brotli),
        ("zstd", _zstd),
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda d: zlib.compress(d)[2:-4]),  # raw deflate, as some servers send
    ],
)
def test_content_encoding_is_decoded_before_text_extraction(cli, tmp_path, coding, encode):
    body = encode(PAGE)  # once: gzip writes the time into its header
    page = _html_page(body=body, headers=[("Content-Encoding", coding)])
    report = cli.json("source", "import", _warc(tmp_path / "c.warc", [page]))
    source = cli.json("show", report["pages"][0]["source"])
    assert source["title"] == "Terminal log"
    quote = cli.json("quote", "add", "Eleven tankers were seen at the pier", "--speaker", "w",
                     "--source", source["id"])  # fmt: skip
    assert quote["verified"] is True
    # The stored record keeps the compressed bytes as received.
    (stored,) = stored_warcs(cli.case_path)
    assert body in stored


def test_undecodable_content_encoding_warns_and_keeps_the_capture(cli, tmp_path):
    page = _html_page(body=b"not brotli at all", headers=[("Content-Encoding", "br")])
    report = cli.json("source", "import", _warc(tmp_path / "c.warc", [page]))
    assert any("Content-Encoding br" in w for w in report["warnings"])
    assert len(report["pages"]) == 1


def _arc(path, *, gzip_records=False):
    """A version-1 ARC file (the Internet Archive's older format) with one HTML page."""
    desc_body = b"1 0 Test\nURL IP-address Archive-date Content-type Archive-length\n"
    filedesc = (
        f"filedesc://{path.name} 0.0.0.0 20140216050221 text/plain {len(desc_body)}\n".encode()
        + desc_body
    )
    http = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
        + f"Content-Length: {len(PAGE)}\r\n\r\n".encode()
        + PAGE
    )
    page = (
        f"http://news.example/arc 93.184.216.34 20140216050221 text/html {len(http)}\n".encode()
        + http
    )
    records = [filedesc + b"\n", page + b"\n"]
    if gzip_records:
        path.write_bytes(b"".join(gzip.compress(r) for r in records))
    else:
        path.write_bytes(b"".join(records))
    return path


@pytest.mark.parametrize("name, gz", [("old.arc", False), ("old.arc.gz", True)])
def test_arc_files_import_and_export_as_valid_warc(cli, tmp_path, name, gz):
    report = cli.json("source", "import", _arc(tmp_path / name, gzip_records=gz))
    assert report["format"] == "arc"
    (page,) = report["pages"]
    assert page["url"] == "http://news.example/arc"
    assert page["retrieved_at"] == "2014-02-16T05:02:21Z"
    assert cli.json("show", page["source"])["title"] == "Terminal log"
    cli("export", "warc", "-o", tmp_path / "x.warc.gz")
    checked = warcio_check(tmp_path / "x.warc.gz")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert cli.json("verify")["ok"] is True
    again = cli.json("source", "import", tmp_path / name)
    assert [p["result"] for p in again["pages"]] == ["already in case"]


def test_wget_metadata_records_are_kept_with_the_capture_not_made_sources(cli, tmp_path):
    def wget_metadata(writer, info_id):
        for name, body in (
            ("wget_arguments.txt", b'"wget" "--warc-file=crawl" "https://news.example/log"\n'),
            ("wget.log", b"Connecting to news.example... connected.\nHTTP request sent\n"),
        ):
            yield writer.create_warc_record(
                f"metadata://gnu.org/software/wget/warc/{name}",
                "resource",
                payload=io.BytesIO(body),
                length=len(body),
                warc_content_type="text/plain",
                warc_headers_dict={"WARC-Warcinfo-ID": info_id},
            )

    source = _warc(tmp_path / "crawl.warc", [_html_page()], extra=wget_metadata)
    report = cli.json("source", "import", source)
    assert [p["url"] for p in report["pages"]] == ["https://news.example/log"]
    assert [s["locator"] for s in cli.json("list", "sources")] == ["https://news.example/log"]
    (stored,) = stored_warcs(cli.case_path)
    types = [(t, rid) for t, rid, _ in warc_records(stored)]
    assert [t for t, _ in types] == ["warcinfo", "request", "response", "resource", "resource"]
    assert b"metadata://gnu.org/software/wget/warc/wget.log" in stored
    assert stored == source.read_bytes()


def test_verify_rereads_every_stored_warc_record(cli, case_path, tmp_path):
    """A stored WARC whose records lost their separators (as earlier imports stored them)."""
    from osint import sources

    data = _warc(tmp_path / "c.warc", [_html_page()]).read_bytes()
    broken = data.replace(b"\r\n\r\nWARC/1.", b"WARC/1.")
    assert broken != data
    with open_case(case_path) as case:
        sources.add_source(
            case,
            "https://news.example/log",
            title="old import",
            snapshot=sources.PreparedSnapshot(
                path=None, data=broken, sha256=hashlib.sha256(broken).hexdigest(),
                media_type="application/warc", text=None, retrieved_at=None, filename="c.warc",
                method="import",
            ),
        )  # fmt: skip
    result = cli.json("verify", expect=1)
    assert result["ok"] is False
    assert any("WARC" in p["problem"] and p["kind"] == "snapshot" for p in result["problems"])
