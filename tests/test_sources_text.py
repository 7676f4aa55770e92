"""Text from any document: encodings as other tools write them, encrypted PDFs, search that folds
what a reader sees as the same, and snapshots read back out byte-identical."""

from __future__ import annotations

import codecs
import hashlib
import io

import pytest
from capture_server import make_pdf

from osint.case.handle import open_case
from osint.sources import extract as textextract

RUSSIAN = "Танкеры заходили в порт Восточный сорок три раза за восемь месяцев, сообщили свидетели."
ARABIC = "وصلت ناقلات النفط إلى الميناء ثلاثا وأربعين مرة خلال ثمانية أشهر، بحسب شهود عيان."
GREEK = "Τα δεξαμενόπλοια επισκέφθηκαν το λιμάνι σαράντα τρεις φορές μέσα σε οκτώ μήνες."
HEBREW = "המכליות עגנו בנמל ארבעים ושלוש פעמים במשך שמונה חודשים, לדברי עדים."
TURKISH = "Tankerler sekiz ay içinde limana kırk üç kez uğradı; tanıklar böyle söyledi, işçiler de."
CZECH = "Tankery během osmi měsíců připluly do přístavu čtyřicetitřikrát, řekli svědci žďárští."
THAI = "เรือบรรทุกน้ำมันเข้าท่าเรือสี่สิบสามครั้งในแปดเดือน ตามคำบอกเล่าของพยาน"
JAPANESE = "タンカーは八か月間に四十三回、港に寄港したと目撃者は語った。"
KOREAN = "유조선은 여덟 달 동안 마흔세 번 항구에 들렀다고 목격자들이 말했다."


def _decode(data: bytes, html=False):
    return textextract.decode_detailed(data, None, html=html)


@pytest.mark.parametrize(
    "text, codec",
    [
        (RUSSIAN, "cp1251"),
        (RUSSIAN, "koi8_r"),
        (ARABIC, "iso8859_6"),  # read as Thai before
        (ARABIC, "cp1256"),
        (GREEK, "iso8859_7"),
        (HEBREW, "cp1255"),
        (TURKISH, "cp1254"),
        (CZECH, "cp1250"),
        (THAI, "cp874"),
        (JAPANESE, "shift_jis"),
        (JAPANESE, "euc_jp"),
        (KOREAN, "euc_kr"),
    ],
)
def test_undeclared_single_and_multi_byte_texts_are_detected(text, codec):
    body = ((text + "\n") * 3).encode(codec)
    decoded, used, how = _decode(body)
    assert decoded == body.decode(codec) and how == "detected", (used, how)


@pytest.mark.parametrize(
    "text, codec", [(JAPANESE, "iso2022_jp"), (KOREAN, "iso2022_kr")]
)  # fmt: skip
def test_iso_2022_texts_are_decoded_by_their_escape_sequences(text, codec):
    body = (text * 2).encode(codec)
    body.decode("ascii")  # 7-bit: valid ASCII and UTF-8, which is why they were stored raw
    decoded, _, how = _decode(body)
    assert decoded == text * 2 and how == "escape sequences"


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
@pytest.mark.parametrize("text", ["Eleven tankers were seen at the pier.", RUSSIAN, ARABIC])
def test_utf16_and_utf32_without_a_byte_order_mark(codec, text):
    decoded, used, how = _decode(text.encode(codec))
    assert decoded == text and used == codec and how == "zero bytes"


@pytest.mark.parametrize("bom, codec", [(codecs.BOM_UTF32_LE, "utf-32-le"),
                                        (codecs.BOM_UTF32_BE, "utf-32-be")])  # fmt: skip
def test_utf32_with_a_byte_order_mark(bom, codec):
    decoded, _, how = _decode(bom + RUSSIAN.encode(codec))
    assert decoded == RUSSIAN and how == "byte-order mark"


def test_an_html_page_declaring_utf16_is_read_as_utf16():
    page = (
        '<html><head><meta charset="utf-16"><title>Порт</title></head>'
        f"<body><p>{RUSSIAN}</p></body></html>"
    )
    from osint.capture.extract import extract

    found = extract(page.encode("utf-16-le"), "text/html")
    assert found.title == "Порт" and RUSSIAN in found.text and "\x00" not in found.text


def test_a_snapshot_file_records_its_encoding_and_how_it_was_chosen(cli, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_bytes(((ARABIC + "\n") * 3).encode("iso8859_6"))
    row = cli.json("source", "add", "field notes", "--title", "Notes", "--snapshot", notes)
    shown = cli.json("show", row["id"], "--text")
    assert shown["text_encoding"] == "iso8859-6 (detected)"
    assert shown["text_extractor"] == "as is"
    assert ARABIC in shown["text"]
    page = tmp_path / "page.html"
    page.write_bytes(
        f'<html><head><meta charset="koi8-r"></head><body><p>{RUSSIAN}</p></body></html>'.encode(
            "koi8_r"
        )
    )
    row = cli.json("source", "add", "page", "--title", "Page", "--snapshot", page)
    shown = cli.json("show", row["id"], "--text")
    assert shown["text_encoding"] == "koi8-r (document)" and RUSSIAN in shown["text"]
    human = cli("show", row["id"], "--text")
    assert RUSSIAN in human.stdout and "koi8-r (document)" in human.stderr


def _encrypted_pdf(text: str, password: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(text))))
    writer.encrypt(user_password=password, owner_password="owner-" + password, algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_an_encrypted_pdf_is_kept_byte_identical_with_a_warning(cli, tmp_path):
    data = _encrypted_pdf("The ledger shows 43 deliveries to the terminal", "s3cret")
    path = tmp_path / "ledger.pdf"
    path.write_bytes(data)
    result = cli("source", "add", "ledger", "--title", "Ledger", "--snapshot", path, "--json")
    assert "encrypted" in result.stderr and "--password" in result.stderr
    import json

    row = json.loads(result.stdout)
    assert row["snapshot_sha256"] == hashlib.sha256(data).hexdigest()
    cli("source", "export", row["id"], "-o", tmp_path / "back.pdf")
    assert (tmp_path / "back.pdf").read_bytes() == data
    assert cli.json("show", row["id"], "--text")["text"] is None
    # With the password, the text is read (and quotes can be verified against it).
    with_password = cli.json("source", "add", "ledger", "--title", "Ledger", "--snapshot", path,
                             "--password", "s3cret")  # fmt: skip
    assert "43 deliveries" in cli.json("show", with_password["id"], "--text")["text"]
    wrong = cli("source", "add", "ledger", "--title", "L", "--snapshot", path, "--password", "no")
    assert "with the password given" in wrong.stderr


def test_search_folds_ligatures_full_width_case_and_accents(cli, tmp_path):
    pdf = tmp_path / "misfits.pdf"
    pdf.write_bytes(make_pdf("The Mis\\256ts of the northern fleet"))  # the glyph "fi" (U+FB01)
    row = cli.json("source", "add", "report", "--title", "Fleet report", "--snapshot", pdf)
    assert "\ufb01" in cli.json("show", row["id"], "--text")["text"]
    for query in ("misfits", "MISFITS", "Misﬁts", "ｍｉｓｆｉｔｓ"):
        assert [r["id"] for r in cli.json("search", query)] == [row["id"]], query
    cafe = cli.json("source", "add", "Café Zürich", "--title", "Ｃａｆé Zürich minutes")
    for query in ("cafe zurich", "CAFÉ", "ｚｕｒｉｃｈ"):
        assert cafe["id"] in [r["id"] for r in cli.json("search", query)], query


def test_the_migration_folds_an_existing_index(case_path):
    """A case indexed before folding finds its ligatures once opened by this osint."""
    import sqlite3

    from osint.case.store import schema

    with open_case(case_path) as case:
        case.conn.execute(
            "INSERT INTO search_index (record_id, kind, title, body) VALUES ('x', 'note', '', ?)",
            ("Misﬁts",),
        )
        case.conn.commit()
    conn = sqlite3.connect(case_path)
    conn.row_factory = sqlite3.Row
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = '0008_archives_search_fold'")
    conn.execute(f"PRAGMA user_version={schema.SCHEMA_VERSION - 1}")
    conn.commit()
    assert schema.migrate(conn, case_path) is True
    conn.commit()
    from osint.case.search import search

    assert [r["id"] for r in search(conn, "misfits")] == ["x"]
    conn.close()


def test_source_export_writes_each_capture_byte_identical(cli, tmp_path):
    first, second = tmp_path / "v1.html", tmp_path / "v2.html"
    first.write_bytes(b"<html><body><p>First version of the page.</p></body></html>")
    second.write_bytes(b"<html><body><p>Second version, edited.</p></body></html>")
    row = cli.json("source", "add", "https://news.example/a", "--title", "A", "--snapshot", first)
    with open_case(cli.case_path) as case:
        from osint import sources

        sources.attach_snapshot(case, row["id"], sources.prepare_snapshot(second))
    cli("source", "export", row["id"], "-o", tmp_path / "now.html")
    assert (tmp_path / "now.html").read_bytes() == second.read_bytes()
    done = cli.json("source", "export", row["id"], "--capture", "1", "-o", tmp_path / "then.html")
    assert (tmp_path / "then.html").read_bytes() == first.read_bytes()
    assert done["sha256"] == hashlib.sha256(first.read_bytes()).hexdigest()
    refused = cli("source", "export", row["id"], "--capture", "3", "-o", tmp_path / "x", expect=1)
    assert "has 2 snapshots" in refused.stderr
    exists = cli("source", "export", row["id"], "-o", tmp_path / "now.html", expect=1)
    assert "already exists" in exists.stderr


def test_source_export_payload_of_an_imported_capture(cli, tmp_path):
    import gzip

    from test_capture_archive_formats import PAGE, _html_page, _warc

    page = _html_page(body=gzip.compress(PAGE), headers=[("Content-Encoding", "gzip")])
    report = cli.json("source", "import", _warc(tmp_path / "c.warc", [page]))
    source = report["pages"][0]["source"]
    cli("source", "export", source, "-o", tmp_path / "capture.warc")
    assert (tmp_path / "capture.warc").read_bytes() == (tmp_path / "c.warc").read_bytes()
    cli("source", "export", source, "--payload", "-o", tmp_path / "page.html")
    assert (tmp_path / "page.html").read_bytes() == PAGE
    shown = cli.json("show", source, "--text")
    assert shown["text_encoding"] == "utf-8 (declared)"
    assert shown["text_extractor"].startswith(("trafilatura", "osint html-to-text"))


def test_a_broken_main_text_extractor_degrades_to_the_visible_text(monkeypatch):
    import builtins

    from osint.capture import extract

    real_import = builtins.__import__

    def broken(name, *args, **kwargs):
        if name == "trafilatura":
            raise ImportError("lxml.html.clean module is now a separate project lxml_html_clean")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", broken)
    found = extract.extract(
        b"<html><head><title>T</title></head><body><p>Eleven tankers.</p></body></html>",
        "text/html",
        name="https://news.example/log",
    )
    assert found.text == "Eleven tankers."
    assert "lxml.html.clean" in found.extractor
    assert any("whole visible text" in w for w in found.warnings)


def test_lxml_html_clean_is_declared():
    """justext asks for lxml[html_clean], which older pip does not resolve: declared directly."""
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    names = [d.split(">")[0].split("=")[0].split("[")[0].strip().lower().replace("-", "_")
             for d in project["project"]["dependencies"]]  # fmt: skip
    assert "lxml_html_clean" in names and "brotli" in names and "chardet" in names
