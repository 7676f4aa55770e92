"""What a person sees at the terminal: every value shown as it is, under a real pseudo-terminal.

Hostile values (rich markup, escape sequences, OSC 52 clipboard writes, C0/C1 controls, carriage
returns, bidi overrides) go into every field of every kind; the listing commands then run as
`python -m osint` on a pty and must print them literally, escaped where they are controls, and
never crash. JSON keeps the exact values.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Cli

ROOT = Path(__file__).resolve().parents[1]

# Markup editors write every day, markup that breaks rich, and controls that act on a terminal.
MARKUP = "[name withheld] [sic] [/] [bold]b[/bold] [link=https://x.invalid]l[/link] :warning:"
CONTROLS = "\x1b[2J\x1b]52;c;ZXZpbA==\x07\x9b31m\x00\x08\x7f\r\u202egnp.exe\u2066\u200f"
HOSTILE = f"{MARKUP} {CONTROLS} end"

# What a control would look like once it reached the terminal raw (after the pty's own \r\n).
RAW = re.compile("[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f]")
# rich's own styling (SGR) and progress display (cursor hidden/shown, line cleared, cursor up)
# are the only uses of ESC and \r allowed.
OWN_SGR = re.compile(r"\x1b\[[0-9;]*m|\x1b\[\?25[lh]|\r?\x1b\[2K|\x1b\[\d*A")


def hostile(label: str) -> str:
    return f"{label} {HOSTILE}"


def run_pty(args: list[str], *, cwd: Path, env_extra: dict | None = None, columns: int = 400):
    """`python -m osint ARGS` with stdin, stdout and stderr on a pseudo-terminal."""
    env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        "COLUMNS": str(columns),
        "LINES": "50",
        "TERM": "xterm-256color",
        "OSINT_USER": "Test Investigator",
    }
    env.pop("NO_COLOR", None)
    env.update(env_extra or {})
    main, secondary = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "osint", *args],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        cwd=cwd,
        env=env,
        close_fds=True,
    )
    os.close(secondary)
    chunks = []
    try:
        while True:
            ready, _, _ = select.select([main], [], [], 60)
            if not ready:
                break
            try:
                data = os.read(main, 65536)
            except OSError:  # EIO: the other side closed
                break
            if not data:
                break
            chunks.append(data)
    finally:
        code = process.wait(timeout=60)
        os.close(main)
    return code, b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")


def assert_literal(output: str) -> None:
    """No control reached the terminal raw (only rich's colour codes use ESC)."""
    bare = OWN_SGR.sub("", output).replace("\n\r", "\n")  # the progress bar's last return
    assert "\x1b" not in bare, repr(bare[max(0, bare.find("\x1b") - 80) :][:200])
    found = RAW.search(bare)
    assert not found, repr(bare[max(0, found.start() - 80) :][:200])
    assert "\r" not in bare
    assert "Traceback" not in bare and "MarkupError" not in bare


def _jpeg_with_exif(path: Path) -> Path:
    from PIL import Image

    image = Image.new("RGB", (32, 24), (90, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = hostile("make")  # Make
    exif[0x0110] = hostile("model")  # Model
    exif[0x010E] = hostile("description")  # ImageDescription
    image.save(path, "JPEG", exif=exif.tobytes())
    return path


@pytest.fixture
def hostile_case(tmp_path, case_path):
    """A case with a hostile value in every text field of every kind a user can fill."""
    cli = Cli(case_path)
    snapshot = tmp_path / "article.txt"
    snapshot.write_text(f"The article says {HOSTILE} and that is all.\n", encoding="utf-8")
    source = cli.json(
        "source", "add", f"https://example.org/{HOSTILE}", "--title", hostile("title"),
        "--publisher", hostile("publisher"), "--author", hostile("author"),
        "--note", hostile("note"), "--snapshot", str(snapshot), "--grade", "B",
    )  # fmt: skip
    cli.json(
        "quote", "add", hostile("quote"), "--speaker", hostile("speaker"), "--role",
        hostile("role"), "--source", source["id"], "--note", hostile("note"), "--force",
    )  # fmt: skip
    finding = cli.json("finding", "add", hostile("finding"), "--supported-by", source["id"])
    cli.json(
        "vessel", "add", hostile("vessel"), "--alias", hostile("alias"), "--type",
        hostile("type"), "--call-sign", hostile("call"), "--note", hostile("note"),
        "--former", hostile("former"),
    )  # fmt: skip
    cli.json("place", "add", hostile("place"), "--at", "42.73,133.06", "--type", hostile("type"))
    image_dir = tmp_path / "pictures"
    image_dir.mkdir()
    _jpeg_with_exif(image_dir / f"shot {CONTROLS.replace(chr(0), '')} [x].jpg")
    cli("image", "add", str(image_dir), "--caption", hostile("caption"), expect=None)
    ais = tmp_path / f"ais {CONTROLS.replace(chr(0), '')}.csv"
    name = HOSTILE.replace('"', "").replace("\x00", "")
    ais.write_text(
        "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,"
        "Length,Width,Draft,Cargo,TransceiverClass\n"
        f'445990002,2024-05-01T09:00:00,42.73,133.06,0.1,0,511,"{name}",IMO1146629,"{name}",'
        "80,5,100,20,5,80,A\n"
        f'445990002,2024-05-01T10:00:00,42.73,133.06,0.1,0,511,"{name}",IMO1146629,CS,'
        "80,5,100,20,5,80,A\n",
        encoding="utf-8",
    )
    cli("ais", "import", str(ais))
    vessel = cli.json("list", "vessels")[0]
    cli(
        "sighting", "add", vessel["id"], "--when", "2024-05-01T09:30Z", "--place", "place",
        "--activity", hostile("activity"), "--note", hostile("note"), expect=None,
    )  # fmt: skip
    cli("sighting", "add", vessel["id"], "--when", "2024-05-01T09:30Z", "--at", "42.73,133.06",
        "--note", hostile("note"))  # fmt: skip
    cli("link", finding["id"], vessel["id"], "--as", "mentions", "--note", hostile("why"))
    cli("edit", finding["id"], "--set", f"text={hostile('corrected')}")
    case_id = cli.json("info")["id"]
    cli("edit", case_id, "--set", f"title={hostile('case')}", "--set", f"summary={hostile('s')}")
    extra = cli.json("finding", "add", hostile("withdrawn"))
    cli("retract", extra["id"], "--reason", hostile("reason"))
    return {"cli": cli, "source": source, "finding": finding, "vessel": vessel}


LISTINGS = [
    ["list", "sources"],
    ["list", "quotes"],
    ["list", "findings", "--all"],
    ["list", "vessels"],
    ["list", "places"],
    ["list", "images"],
    ["list", "sightings"],
    ["search", "end"],
    ["search", "withheld"],
    ["timeline"],
    ["log"],
    ["info"],
    ["visits"],
    ["conflicts"],
    ["source", "diff"],
]


def test_listing_commands_show_hostile_values_literally_on_a_terminal(hostile_case, tmp_path):
    ids = {k: v["id"] for k, v in hostile_case.items() if isinstance(v, dict)}
    commands = [*LISTINGS, *(["show", rid] for rid in ids.values())]
    commands[commands.index(["source", "diff"])] = ["source", "diff", ids["source"]]
    for args in commands:
        code, output = run_pty(["--case", "case.db", *args], cwd=tmp_path)
        assert_literal(output)
        assert code in (0, 1), (args, code, output[-500:])
        if args[0] in ("list", "show", "search", "log") and args != ["list", "places"]:
            assert "[name withheld]" in output or "[name" in output, (args, output[-800:])
    # The values are there, shown as typed: markup as text, controls escaped.
    _, info = run_pty(["--case", "case.db", "info"], cwd=tmp_path)
    assert "case [name withheld] [sic] [/]" in info and "\\x1b[2J" in info
    _, findings = run_pty(["--case", "case.db", "list", "findings"], cwd=tmp_path)
    assert "[name withheld] [sic] [/] [bold]b[/bold]" in findings
    assert ":warning:" in findings
    assert "\\x1b[2J" in findings and "\\u202e" in findings and "\\x07" in findings


def test_show_escapes_every_field_history_and_links(hostile_case, tmp_path):
    finding = hostile_case["finding"]["id"]
    code, output = run_pty(["--case", "case.db", "show", finding], cwd=tmp_path)
    assert code == 0
    assert_literal(output)
    assert "corrected [name withheld] [sic] [/]" in output  # the current text
    assert "\\x1b]52;c;ZXZpbA==\\x07" in output  # the clipboard write, harmless and visible


def test_piped_output_is_escaped_too(hostile_case):
    cli = hostile_case["cli"]
    for args in (["list", "findings"], ["log"], ["show", hostile_case["source"]["id"]]):
        result = cli(*args)
        assert_literal(result.stdout + result.stderr)
        assert "[/]" in result.stdout or args == ["log"]


def test_json_keeps_the_exact_values(hostile_case):
    cli = hostile_case["cli"]
    sources = cli.json("list", "sources")
    assert sources[0]["title"] == hostile("title")
    assert cli.json("show", hostile_case["finding"]["id"])["text"] == hostile("corrected")
    hits = cli.json("search", "withheld")
    assert any("\x1b[2J" in hit["snippet"] for hit in hits)


def test_errors_and_warnings_naming_hostile_values_are_escaped(case_path, tmp_path):
    typed = CONTROLS.replace("\x00", "")  # an argument cannot hold NUL
    code, output = run_pty(["--case", "case.db", "show", f"abc{typed}"], cwd=tmp_path)
    assert code == 1
    assert_literal(output)
    assert "\\x1b[2J" in output
    bad = tmp_path / f"{typed}.jpg"
    bad.write_bytes(b"not an image at all")
    code, output = run_pty(["--case", "case.db", "image", "add", str(bad)], cwd=tmp_path)
    assert code == 1
    assert_literal(output)
    assert "\\u202egnp.exe" in output
    assert "\x1b[1;31mRefused:\x1b[0m" in output and "\\x1b[1;31m" not in output
    code, output = run_pty(["--case", "case.db", f"li{typed}st"], cwd=tmp_path)
    assert code == 2
    assert_literal(output)


def test_errors_are_coloured_on_a_terminal_unless_no_color(case_path, tmp_path):
    code, output = run_pty(["--case", "case.db", "show", "abcdef12"], cwd=tmp_path)
    assert code == 1 and "\x1b[1;31mError:\x1b[0m no record matches" in output
    code, output = run_pty(
        ["--case", "case.db", "show", "abcdef12"], cwd=tmp_path, env_extra={"NO_COLOR": "1"}
    )
    assert code == 1 and "\x1b[" not in output and "Error: no record matches" in output


def test_table_ids_are_unique_prefixes_unless_full_ids(cli, case_path, tmp_path):
    from osint.case.handle import open_case
    from osint.case.shortids import unique_prefixes

    added = [cli.json("finding", "add", f"finding {n}")["id"] for n in range(3)]
    listed = cli("list", "findings").stdout
    for rid in added:
        assert rid[:8] in listed and rid not in listed
    full = cli("--full-ids", "list", "findings").stdout
    assert all(rid in full for rid in added)
    # Two ids sharing their first 10 characters are shown long enough to tell apart.
    with open_case(case_path, command="test") as case:
        with case.writing():
            for suffix in ("aaaa", "bbbb"):
                case.conn.execute(
                    "INSERT INTO findings (id, text, added_by, added_at, added_via) "
                    "VALUES (?, 'twin', 'x', '2024-01-01T00:00:00Z', 'test')",
                    (f"0123456789-{suffix}-0000-0000-000000000000",),
                )
        short = unique_prefixes(case.conn, ["0123456789-aaaa-0000-0000-000000000000"])
    assert short == {"0123456789-aaaa-0000-0000-000000000000": "0123456789-a"}
    code, output = run_pty(["--case", "case.db", "show", "0123456789-a"], cwd=tmp_path)
    assert code == 0, output


def test_headers_are_words_and_numbers_have_separators():
    import io

    from osint.cli import render

    out = io.StringIO()
    render.plain_table(out, [{"id": "x", "capacity_bbl": 1234567, "mmsi": "445990002"}],
                       ["id", "capacity_bbl", "mmsi"])  # fmt: skip
    text = out.getvalue()
    assert "Capacity (bbl)" in text and "1,234,567" in text and "445990002" in text


def test_search_is_plain_words_unless_fts(cli):
    cli("finding", "add", "Tanker [name withheld] loaded oil at berth 2")
    for query in ('"oil', "*", "oil)", "NOT", "oil AND"):
        result = cli("search", query, expect=None)
        assert result.exit_code == 0, (query, result.stderr)
    assert "withheld" in cli("search", '"oil').stdout
    bad = cli("search", "--fts", '"oil', expect=1)
    assert bad.stderr.count("\n") == 1 and "not a valid FTS5 query" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert cli.json("search", "--fts", "oil AND berth")[0]["kind"] == "finding"


def test_a_mistyped_command_suggests_the_nearest(bare_cli):
    result = bare_cli("serch", "x", expect=2)
    assert "Did you mean 'search'?" in result.stderr
    result = bare_cli("image", "ad", expect=2)
    assert "Did you mean 'add'?" in result.stderr


def test_interrupt_says_what_happened(cli, monkeypatch):
    import osint.case.records as records

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(records, "retract", interrupted)
    finding = cli.json("finding", "add", "kept")
    result = cli("retract", finding["id"], "--reason", "x", expect=130)
    assert "interrupted" in result.stderr and "unchanged" in result.stderr
    assert cli.json("list", "findings")[0]["id"] == finding["id"]


def _ais_file(path: Path) -> Path:
    path.write_text(
        "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,"
        "Length,Width,Draft,Cargo,TransceiverClass\n"
        "445990002,2024-05-01T09:00:00,42.73,133.06,0.1,0,511,SONGRIM,IMO1146629,CS,80,5,100,20,"
        "5,80,A\n",
        encoding="utf-8",
    )
    return path


def test_long_work_shows_progress_on_a_terminal_only(cli, case_path, tmp_path):
    data = _ais_file(tmp_path / "day.csv")
    code, output = run_pty(["--case", "case.db", "ais", "import", str(data)], cwd=tmp_path)
    assert code == 0 and "AIS day.csv" in output and "bytes" in output  # the bar, by bytes
    assert "Imported day.csv" in output
    code, output = run_pty(["--case", "case.db", "verify"], cwd=tmp_path)
    assert code == 0 and "Verifying" in output and "\x1b[32mOK:\x1b[0m the case is intact" in output
    code, output = run_pty(
        ["--case", "case.db", "verify"], cwd=tmp_path, env_extra={"NO_COLOR": "1"}
    )
    assert "OK: the case is intact" in output and "\x1b[32m" not in output
    piped = cli("verify")
    assert "Verifying" not in piped.stderr + piped.stdout
    piped = cli("ais", "import", str(_ais_file(tmp_path / "again.csv")))
    assert "AIS again.csv" not in piped.stderr and "\x1b" not in piped.stderr


def test_interrupted_import_says_nothing_was_imported(cli, tmp_path, monkeypatch):
    from osint.maritime.ais import importer

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(importer, "_stream", interrupted)
    result = cli("ais", "import", str(_ais_file(tmp_path / "day.csv")), expect=130)
    assert "interrupted: nothing was imported, the case is unchanged" in result.stderr
    assert cli.json("info")["counts"].get("ais-imports", 0) == 0
    assert not cli.json("list", "vessels")


def test_image_add_names_problems_and_summarises(cli, tmp_path):
    from PIL import Image

    folder = tmp_path / "shots"
    folder.mkdir()
    for n in range(3):
        Image.new("RGB", (8 + n, 8), (n, 0, 0)).save(folder / f"ok{n}.png")
    for n in range(12):
        (folder / f"notes{n}.txt").write_text("not a picture")
    result = cli("image", "add", str(folder))
    assert "added  " not in result.stdout  # no line per added file
    summary = result.stderr.strip().splitlines()[-1]
    assert summary.startswith("Images: 3 added") and "12 non-image files skipped" in summary
    listed = Path(summary.rsplit("all named in ", 1)[1].rstrip(")"))
    assert sorted(line.split("\t")[0] for line in listed.read_text().splitlines()) == sorted(
        str(folder / f"notes{n}.txt") for n in range(12)
    )
    listed.unlink()
    report = tmp_path / "report.jsonl"
    result = cli("image", "add", str(folder), "--verbose", "--report", str(report))
    assert result.stdout.count("present ") == 3
    entries = [json.loads(line) for line in report.read_text().splitlines()]
    assert len(entries) == 15 and {e["result"] for e in entries} == {"present", "skipped"}
    assert f"all named in {report}" in result.stderr
