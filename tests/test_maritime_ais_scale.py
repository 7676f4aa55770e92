"""AIS at archive scale: the vectorised reader (same rows, same counts as the Python reader), many
files in one command (one transaction each, resumed after a kill), worker processes and Dask."""

from __future__ import annotations

import gzip
import random
import sqlite3
import zipfile
from pathlib import Path

import pytest

from osint.case.handle import init_case, open_case
from osint.maritime.ais import batch, importer, vector
from osint.maritime.ais.filters import Filters

pytest.importorskip("pyarrow")

DMA_HEADER = (
    "# Timestamp,Type of mobile,MMSI,Latitude,Longitude,Navigational status,ROT,SOG,COG,Heading,"
    "IMO,Callsign,Name,Ship type,Cargo type,Width,Length,Type of position fixing device,Draught,"
    "Destination,ETA,Data source type,A,B,C,D"
)
MC_HEADER = (
    "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,"
    "Length,Width,Draft,Cargo,TranscieverClass"
)
MC2025_HEADER = (
    "mmsi,base_date_time,longitude,latitude,sog,cog,heading,vessel_name,imo,call_sign,"
    "vessel_type,status,length,width,draft,cargo,transceiver"
)


def dma(second: int, mmsi="219024000", lat="57.717413", lon="10.586715", mobile="Class A",
        name="KARIN", sog="3.1", heading="309", status="Moored") -> str:  # fmt: skip
    when = f"18/03/2023 {second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}"
    return ",".join([when, mobile, mmsi, lat, lon, status, "0.0", sog, "4.8", heading, "Unknown",
                     "OX1", name, "Fishing", "", "", "", "GPS", "", "SKAGEN", "", "AIS", "", "",
                     "", ""])  # fmt: skip


def dma_day(rows: int, seed: int, *, day: int = 18) -> str:
    """A DMA day with everything a real one has: base stations, AtoNs, repeats, no positions."""
    rng = random.Random(seed)
    out = [DMA_HEADER]
    for n in range(rows):
        kind = rng.random()
        mmsi = f"{rng.choice([219, 220, 265])}{rng.randrange(10):06d}"
        lat = f"{rng.uniform(54.5, 58.0):.6f}"
        lon = f"{rng.uniform(7.5, 15.5):.6f}"
        if kind < 0.3:  # near Skagen
            lat, lon = f"{rng.uniform(57.65, 57.8):.6f}", f"{rng.uniform(10.45, 10.7):.6f}"
        mobile = "Base Station" if kind > 0.97 else "Class A"
        if kind > 0.95 and mobile == "Class A":
            lat, lon = "91.000000", "0.000000"
        line = dma(n, mmsi=mmsi, lat=lat, lon=lon, mobile=mobile, name=f"SHIP {mmsi[-2:]}")
        line = line.replace("18/03/2023", f"{day:02d}/03/2023")
        out.append(line)
        if rng.random() < 0.3:
            out.append(line)  # another receiver's copy
    return "\n".join(out) + "\n"


def corpus(folder: Path) -> list[Path]:
    """Honest and hostile files of every CSV layout read today."""
    files = {}
    rows = [dma(n, lat=f"57.{70 + n % 20}", lon=f"10.{50 + n % 30}") for n in range(40)]
    files["dma.csv"] = "\n".join([DMA_HEADER, *rows, dma(80, lat="", lon=""), dma(81, lat="nan")])
    files["dma-no-newline-at-end.csv"] = "\n".join([DMA_HEADER, *rows])
    files["dma-irregular.csv"] = (
        "\ufeff# a comment line\n\n"
        + DMA_HEADER
        + "\r\n"
        + "\r\n".join(rows[:10])
        + "\r\n\r\n"  # a blank line
        + dma(50, lat="x", lon="10.6")  # a latitude that is not a number
        + "\r\n"
        + dma(51, lat="57,7", lon="10,6")  # decimal commas
        + "\r\n"
        + "18/03/2023 00:01:00,Class A,219024000,57.7\r\n"  # too few fields
        + dma(52, mmsi="abc")
        + "\r\n"
        + dma(53, lat="133.06", lon="57.7")  # swapped
        + "\r\n"
        + dma(54, lat="91", lon="181")
        + "\r\n"
        + dma(55, lat="0", lon="0")
        + "\r\n"
        + dma(56, name='"QUOTED, NAME"')
        + "\r\n"
        + dma(57, name='"TWO\r\nLINES"')  # a quoted newline
        + "\r\n"
        + dma(58, mobile="AtoN", mmsi="992191234")
        + "\r\n"
        + dma(59, mmsi="2190064", mobile="Base Station")
        + "\r\n"
        + dma(60, mmsi=" 219024000")
        + "\r\n"
        + dma(61, lat=" 57.75 ", lon="10.6")
        + "\r\n"
        + dma(62).replace("18/03/2023 00:01:02", "2023-03-18T00:01:02")
        + "\r\n"
        + dma(63).replace("18/03/2023 00:01:03", "")
        + "\r\n"
        + "\r\n".join(rows[10:])
    )
    files["bad-utf8.csv"] = None
    mc = [
        ",".join([f"36711{n % 4}000", f"2024-03-05T10:{n // 60:02d}:{n % 60:02d}",
                  f"{42 + n / 100:.5f}", f"{133 - n / 50:.5f}" if n % 7 else "-181.0", "0.1",
                  "12.5", "511", "CHON MA SAN", "IMO9739666", "HMAB", "80", "5", "180", "32",
                  "10.5", "80", "A"])
        for n in range(60)
    ]  # fmt: skip
    files["mc.csv"] = "\n".join([MC_HEADER, *mc]) + "\n"
    files["mc2025.csv"] = (
        "\n".join(
            [MC2025_HEADER]
            + [
                ",".join([f"36711{n % 3}111", f"2025-01-01 00:00:{n:02d}", f"-90.{10 + n}",
                          f"29.{70 + n}", "8.0", "90.0", "91", "GULF", "", "WDK", "80", "0", "20",
                          "8", "3.3", "", "A"])
                for n in range(50)
            ]
        )
        + "\n"
    )  # fmt: skip
    files["generic-semicolons.csv"] = (
        "mmsi;ts;y;x\n"
        + "".join(f"21902{n % 5}000;2024-01-01T00:00:{n:02d}Z;57.{70 + n};10.{55 + n}\n"
                  for n in range(30))
        + "219020000;2024-01-01T00:01:00Z;57.71;10.56;extra\n"
    )  # fmt: skip
    files["over-long-line.csv"] = (
        "\n".join([DMA_HEADER, *rows[:5], dma(70, name="X" * (1 << 20) + "Y"), *rows[5:10]]) + "\n"
    )
    files["quote-never-closed.csv"] = (
        "\n".join([DMA_HEADER, *rows[:5], dma(71, name='"OPEN'), *rows[5:10]]) + "\n"
    )
    files["blank-lines.csv"] = (
        "\n".join([DMA_HEADER, "", *rows[:8], "", "", "   ", *rows[8:16], "\t"]) + "\n\n"
    )
    files["cr-only.csv"] = "\r".join([DMA_HEADER, *rows[:12]]) + "\r"
    files["header-only.csv"] = DMA_HEADER + "\n"
    files["empty.csv"] = ""
    files["nmea.txt"] = (
        "\\s:rORBCOMM000,c:1678147200*4B\\!AIVDM,1,1,,B,13u?etPv2;0n:dDPwUM1U1Cb069D,0*24\n"
    )
    out = []
    for name, text in files.items():
        path = folder / name
        if text is None:
            path.write_bytes(
                (DMA_HEADER + "\n" + dma(1) + "\n").encode()
                + dma(2, name="CAF\xe9").encode("latin-1")
                + b"\n"
                + (dma(3) + "\n").encode()
            )
        else:
            path.write_bytes(text.encode("utf-8"))
        out.append(path)
    gz = folder / "dma.csv.gz"
    gz.write_bytes(gzip.compress(files["dma-irregular.csv"].encode()))
    out.append(gz)
    import bz2

    import zstandard

    zst = folder / "mc2025.csv.zst"
    zst.write_bytes(zstandard.ZstdCompressor().compress(files["mc2025.csv"].encode()))
    bz = folder / "dma.csv.bz2"
    bz.write_bytes(bz2.compress(files["dma.csv"].encode()))
    out += [zst, bz]
    return out


def _imported(tmp_path: Path, path: Path, options: importer.ImportOptions, n: list):
    n.append(1)
    with init_case(tmp_path / f"c{len(n)}.db") as case:
        try:
            row = importer.import_file(case, path, options)["import"]
        except Exception as exc:  # a refusal must be the same on both paths
            return ("refused", type(exc).__name__, str(exc))
        stored = case.conn.execute(
            "SELECT mmsi, epoch, lat, lon, sog, cog, heading, status FROM ais_positions ORDER BY id"
        ).fetchall()
        names = case.conn.execute("SELECT name, valid_from, valid_to FROM vessel_names "
                                  "ORDER BY name").fetchall()  # fmt: skip
    counts = {
        k: v
        for k, v in row.items()
        if k.startswith("rows_") or k in ("details", "invalid_sample", "rows_digest", "layout")
    }
    return counts, [tuple(r) for r in stored], [tuple(r) for r in names]


@pytest.mark.parametrize("block", [vector.BLOCK, 97])
def test_vectorised_reader_gives_the_python_readers_rows_and_counts(tmp_path, monkeypatch, block):
    monkeypatch.setattr(vector, "BLOCK", block)  # 97 bytes: every row meets a block boundary
    files = corpus(tmp_path)
    n: list = []
    kept_somewhere = 0
    for path in files:
        for which in (None, "bbox", "wrapping", "time", "mmsi"):
            options = dict(
                bbox=(57.0, 10.0, 58.0, 11.0)
                if which == "bbox"
                else (20.0, 130.0, 60.0, -170.0)
                if which == "wrapping"
                else None,
                start="2023-03-18T00:00:10Z" if which == "time" else None,
                mmsis=["219024000"] if which == "mmsi" else [],
            )
            fast = _imported(tmp_path, path, importer.ImportOptions(**options, vectorised=True), n)
            slow = _imported(tmp_path, path, importer.ImportOptions(**options, vectorised=False), n)
            assert fast == slow, (path.name, which)
            if fast[0] != "refused" and fast[0]["rows_kept"]:
                kept_somewhere += 1
    assert kept_somewhere >= 15


def test_vectorised_reader_reads_blocks_with_pyarrow(tmp_path):
    path = tmp_path / "day.csv"
    path.write_text(dma_day(500, seed=1))
    opened, reader = vector.open_reader(path)
    try:
        assert isinstance(reader, vector.ArrowCsvReader)
        rows = list(reader.raw()) if reader.begin(None) is None else []
        assert reader.blocks == {"arrow": 1, "python": 0} and len(rows) > 500
    finally:
        opened.close()


def test_pyarrow_reads_a_large_file_only_when_a_box_filters_it_in_bulk(tmp_path, monkeypatch):
    # Without a box every row goes through the import loop anyway: pyarrow would add only memory.
    monkeypatch.setattr(importer, "SMALL_FILE", 1000)
    path = tmp_path / "day.csv"
    path.write_text(dma_day(500, seed=1))
    with init_case(tmp_path / "c.db") as case:
        chosen = {}
        for name, options in {
            "box": importer.ImportOptions(bbox=(57.0, 10.0, 58.0, 11.0)),
            "time window": importer.ImportOptions(start="2023-03-18T00:00:10Z"),
            "nothing": importer.ImportOptions(),
            "asked for": importer.ImportOptions(vectorised=True),
        }.items():
            opened, reader = importer.open_reader(path, options, Filters(case.conn, options), True)
            opened.close()
            chosen[name] = isinstance(reader, vector.ArrowCsvReader)
    assert chosen == {"box": True, "time window": False, "nothing": False, "asked for": True}


# ---- many files ---------------------------------------------------------------------------------


def days(folder: Path, count: int, rows: int = 300) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for n in range(count):
        path = folder / f"aisdk-2023-03-{10 + n:02d}.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(path.with_suffix(".csv").name, dma_day(rows, seed=n, day=10 + n))
        out.append(path)
    return out


def positions(case_path: Path) -> list[tuple]:
    conn = sqlite3.connect(case_path)
    try:
        return conn.execute(
            "SELECT mmsi, epoch, lat, lon, sog, cog, heading, status FROM ais_positions "
            "ORDER BY mmsi, epoch, lat, lon"
        ).fetchall()
    finally:
        conn.close()


def vessel_names(case_path: Path) -> list[tuple]:
    conn = sqlite3.connect(case_path)
    try:
        return conn.execute(
            "SELECT name, valid_from, valid_to FROM vessel_names ORDER BY name, valid_from"
        ).fetchall()
    finally:
        conn.close()


def test_folders_and_globs_one_import_per_file_skipped_when_imported_before(cli, tmp_path):
    files = days(tmp_path / "aisdk", 3)
    (tmp_path / "aisdk" / "readme.md").write_text("not data")
    result = cli.json("ais", "import", str(tmp_path / "aisdk"), "--bbox", "57,10,58,11",
                      "--workers", "1")  # fmt: skip
    assert [r["status"] for r in result] == ["imported"] * 3
    assert [r["file"] for r in result] == [f.name for f in files]
    assert [r["path"] for r in result] == [str(f) for f in files]
    for row in result:  # each file its own record: hash, counts, the whole accounting
        assert row["rows_read"] == sum(
            row[k]
            for k in ("rows_kept", "rows_duplicate", "rows_invalid", "rows_not_vessel",
                      "rows_no_position", "rows_filtered")
        )  # fmt: skip
        assert row["rows_kept"] and row["rows_filtered"]
    # The same command again: nothing read twice; a glob names the same files.
    again = cli.json("ais", "import", str(tmp_path / "aisdk" / "aisdk-*.zip"),
                     "--bbox", "57,10,58,11", "--workers", "1")  # fmt: skip
    assert [r["status"] for r in again] == ["skipped"] * 3
    assert {r["import"] for r in again} == {r["id"] for r in result}
    # Other filters are another question: the files are read again, nothing stored twice.
    wider = cli.json("ais", "import", str(tmp_path / "aisdk"), "--workers", "1")
    assert [r["status"] for r in wider] == ["imported"] * 3
    stored = positions(cli.case_path)
    assert len(stored) == len(set(stored)) == sum(r["rows_kept"] for r in result + wider)
    assert cli.json("verify")["ok"]


def test_a_bad_file_is_rejected_the_others_imported(cli, tmp_path):
    good = days(tmp_path / "in", 2)
    (tmp_path / "in" / "broken.zip").write_bytes(good[0].read_bytes()[:400])
    (tmp_path / "in" / "other.csv").write_text("a,b\n1,2\n")
    result = cli("ais", "import", str(tmp_path / "in"), "--workers", "1", expect=1)
    assert "broken.zip" in result.stderr and "other.csv" in result.stderr
    assert "2 files imported" in result.stdout and "2 rejected" in result.stdout
    assert "Traceback" not in result.stderr + result.stdout
    assert cli.json("info")["counts"]["ais-imports"] == 2


def test_worker_processes_store_what_single_imports_store(tmp_path):
    from test_maritime_ais_logs import USCG

    files = days(tmp_path / "days", 4, rows=400)
    nmea = tmp_path / "days" / "nais.aivdm"  # NMEA is read by its own reader, in the worker too
    nmea.write_text(USCG)
    files.insert(2, nmea)
    one, many = tmp_path / "one.db", tmp_path / "many.db"
    init_case(one).close()
    init_case(many).close()
    options = dict(bbox=(57.0, 10.0, 58.0, 11.0))
    with open_case(one) as case:
        singles = [importer.import_file(case, f, importer.ImportOptions(**options)) for f in files]
    events = []
    with open_case(many) as case:
        result = batch.import_paths(
            case,
            [str(f) for f in files],
            importer.ImportOptions(**options, vectorised=True),  # small files: pyarrow all the same
            workers=2,
            progress=lambda event, **info: events.append((event, info)),
        )
    assert not result["rejected"] and not result["skipped"]
    keys = ("sha256", "rows_read", "rows_kept", "rows_duplicate", "rows_invalid",
            "rows_not_vessel", "rows_no_position", "rows_filtered", "rows_digest", "layout")  # fmt: skip
    assert [{k: s["import"][k] for k in keys} for s in result["imported"]] == [
        {k: s["import"][k] for k in keys} for s in singles
    ]
    assert positions(one) == positions(many)
    read = {info["file"]: info["position"] for event, info in events if event == "bytes"}
    assert read == {str(f): f.stat().st_size for f in files}  # each file's bar, to its end
    done = [info for event, info in events if event == "file"]
    assert [d["done"] for d in done] == [1, 2, 3, 4, 5]
    assert done[-1]["kept"] == len(positions(many))
    assert vessel_names(one) == vessel_names(many)
    with open_case(many) as case:
        from osint.case import verify

        assert verify.verify(case.conn)["ok"]


def test_a_dask_cluster_scans_the_files(tmp_path):
    distributed = pytest.importorskip("distributed")
    files = days(tmp_path / "days", 3, rows=200)
    case_path = tmp_path / "case.db"
    init_case(case_path).close()
    with (
        distributed.LocalCluster(
            n_workers=1,
            threads_per_worker=2,
            processes=False,
            protocol="tcp://",
            host="127.0.0.1",
            scheduler_port=0,
            dashboard_address=None,
        ) as cluster,
        open_case(case_path) as case,
    ):
        result = batch.import_paths(
            case,
            [str(tmp_path / "days")],
            importer.ImportOptions(bbox=(57.0, 10.0, 58.0, 11.0)),
            dask=cluster.scheduler_address,
        )
        # Files the workers reach by URL (fsspec): here its memory filesystem, which the
        # cluster's in-process workers share with this test.
        import fsspec

        memory = fsspec.filesystem("memory")
        for f in files:
            memory.pipe(f"/ais-test/{f.name}", f.read_bytes())
        by_url = tmp_path / "by-url.db"
        init_case(by_url).close()
        with open_case(by_url) as other:
            fetched = batch.import_paths(
                other,
                ["memory://ais-test/aisdk-*.zip"],
                importer.ImportOptions(bbox=(57.0, 10.0, 58.0, 11.0)),
                dask=cluster.scheduler_address,
            )
        memory.rm("/ais-test", recursive=True)
    assert [s["import"]["filename"] for s in result["imported"]] == [f.name for f in files]
    assert [s["import"]["filename"] for s in fetched["imported"]] == [f.name for f in files]
    assert [s["import"]["sha256"] for s in fetched["imported"]] == [
        s["import"]["sha256"] for s in result["imported"]
    ]
    assert positions(by_url) == positions(case_path)
    reference = tmp_path / "reference.db"
    init_case(reference).close()
    with open_case(reference) as case:
        for f in files:
            importer.import_file(case, f, importer.ImportOptions(bbox=(57.0, 10.0, 58.0, 11.0)))
    assert positions(case_path) == positions(reference) and positions(reference)


def test_an_unreachable_dask_scheduler_is_a_clear_error(cli, tmp_path):
    pytest.importorskip("distributed")
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    days(tmp_path / "d", 1, rows=20)
    result = cli("ais", "import", str(tmp_path / "d"), "--dask", f"tcp://127.0.0.1:{port}",
                 expect=1)  # fmt: skip
    assert "--dask" in result.stderr and "Traceback" not in result.stderr


def test_killed_mid_scan_a_rerun_completes_without_duplicates(tmp_path):
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from crash import kill_mid_transaction

    files = days(tmp_path / "days", 4, rows=3000)
    case_path = tmp_path / "case.db"
    init_case(case_path).close()
    args = ["--case", case_path, "ais", "import", tmp_path / "days", "--workers", "2"]
    caught = kill_mid_transaction(args, case_path, random.Random(3), settle=0.3)
    conn = sqlite3.connect(case_path)
    landed = conn.execute("SELECT count(*) FROM ais_imports").fetchone()[0]
    conn.close()
    assert caught or landed == len(files)
    import subprocess

    done = subprocess.run([sys.executable, "-m", "osint", *map(str, args), "--json"],
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    conn = sqlite3.connect(case_path)
    hashes = [r[0] for r in conn.execute("SELECT sha256 FROM ais_imports")]
    conn.close()
    assert len(hashes) == len(set(hashes)) == len(files)
    stored = positions(case_path)
    assert len(stored) == len(set(stored))
    verified = subprocess.run([sys.executable, "-m", "osint", "--case", str(case_path), "verify"],
                              capture_output=True, text=True, timeout=300)  # fmt: skip
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_a_worker_whose_importing_process_died_before_it_started_ends():
    # Killed while its workers start, the importing process's pid is what a worker checks (asked
    # in the worker, getppid() would already be 1 and the worker would stay forever).
    import subprocess
    import sys

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    code = (
        "import time; from osint.maritime.ais import batch\n"
        f"batch._worker_setup(None, {gone.pid})\n"
        "time.sleep(60)\n"
    )
    worker = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)
    try:
        _, errors = worker.communicate(timeout=30)
        assert worker.returncode == 1 and errors == ""  # ended by its watch, not by an error
    finally:
        worker.kill()
        worker.wait()


def test_near_a_place_with_workers_keeps_what_one_import_keeps(cli, tmp_path):
    files = days(tmp_path / "days", 3, rows=300)
    cli("place", "add", "Skagen", "--at", "57.72,10.59", "--radius-m", "8000")
    many = cli.json("ais", "import", str(tmp_path / "days"), "--near", "skagen", "--workers", "2")
    assert [r["status"] for r in many] == ["imported"] * 3
    kept = positions(cli.case_path)
    assert kept and len(kept) == sum(r["rows_kept"] for r in many)
    single = tmp_path / "single.db"
    init_case(single).close()
    cli(
        "--case", str(single), "place", "add", "Skagen", "--at", "57.72,10.59", "--radius-m", "8000"
    )
    for f in files:
        cli("--case", str(single), "ais", "import", str(f), "--near", "skagen")
    assert positions(single) == kept


def test_many_files_show_progress_per_file_and_overall_on_a_terminal(cli, case_path, tmp_path):
    from test_terminal import run_pty

    days(tmp_path / "days", 3, rows=20_000)
    code, output = run_pty(
        ["--case", str(case_path), "ais", "import", str(tmp_path / "days"), "--workers", "2"],
        cwd=tmp_path,
    )
    assert code == 0, output
    assert "AIS 3/3 files" in output and "rows/s" in output and "kept" in output  # overall
    assert "3 files imported" in output
    piped = cli("ais", "import", str(tmp_path / "days"), "--workers", "2")
    assert "rows/s" not in piped.stderr + piped.stdout and "\x1b" not in piped.stderr


def _tagged(epoch: int, sentence: str) -> str:
    body = f"c:{epoch},s:rcv01"
    check = 0
    for char in body.encode():
        check ^= char
    return f"\\{body}*{check:02X}\\{sentence}"


def _checksummed(body: str) -> str:
    check = 0
    for char in body.encode():
        check ^= char
    return f"!{body}*{check:02X}"


def nmea_log(seed: int, box: tuple[float, float, float, float]) -> str:
    """A receiver's log with positions everywhere: inside, outside, on and a hair from the box's
    edges, swapped, not available, and sentences that are damaged in every way a log has."""
    from pyais import encode_dict

    rng = random.Random(seed)
    south, west, north, east = box

    def sentence(fields, **kwargs) -> str:
        return encode_dict(fields, talker_id="AI", sentence_type="VDM", **kwargs)[0]

    lines = []
    for n in range(1500):
        epoch = 1678147200 + n
        kind = rng.choice([1, 1, 1, 2, 3, 18, 18, 4, 27])
        pick = rng.random()
        if pick < 0.2:
            lat, lon = rng.uniform(south, north), rng.uniform(west, east)
        elif pick < 0.35:  # on an edge, or a hair either side of it
            hair = rng.choice([0.0, 1e-6, -1e-6, 2e-5, -2e-5, 1 / 600000, -1 / 600000])
            lat = rng.choice([south, north]) + hair
            lon = rng.uniform(west - 0.1, east + 0.1)
            if rng.random() < 0.5:
                lat, lon = rng.uniform(south - 0.1, north + 0.1), rng.choice([west, east]) + hair
        elif pick < 0.42:  # swapped: outside, and inside with latitude and longitude exchanged
            lat, lon = rng.uniform(west, east), rng.uniform(south, north)
        elif pick < 0.47:
            lat, lon = rng.choice([(91.0, 181.0), (0.0, 0.0), (90.0, 180.0), (-90.0, -180.0)])
        else:
            lat, lon = rng.uniform(-89.0, 89.0), rng.uniform(-179.0, 179.0)
        mmsi = rng.choice([219024000, 265123456, 2190064, 992191234, 12345, 636000001])
        fields = {"type": kind, "mmsi": mmsi, "lat": lat, "lon": lon, "speed": 3.1,
                  "course": 4.8, "heading": rng.choice([309, 511]), "status": 5}  # fmt: skip
        text = sentence(fields)
        damage = rng.random()
        if damage < 0.03:
            text = text[:-2] + ("00" if text[-2:] != "00" else "11")  # checksum mismatch
        elif damage < 0.05:  # a character outside the six-bit alphabet, checksum made right
            body = text[1 : text.rindex("*")].split(",")
            body[5] = body[5][:10] + "~" + body[5][11:]
            text = _checksummed(",".join(body))
        elif damage < 0.07:  # fill bits that are not 0
            body = text[1 : text.rindex("*")].split(",")
            body[6] = "2"
            text = _checksummed(",".join(body))
        elif damage < 0.09:  # a payload cut short
            body = text[1 : text.rindex("*")].split(",")
            body[5] = body[5][:20]
            text = _checksummed(",".join(body))
        elif damage < 0.10:
            text = "$" + text[1:]
        if damage > 0.97:
            lines.append(text)  # no time at all
        elif damage > 0.95:
            lines.append("2023-03-07T00:00:00Z " + text)
        else:
            lines.append(_tagged(epoch, text))
        if n % 50 == 0:
            static = encode_dict({"type": 5, "mmsi": 219024000, "shipname": "KARIN"},
                                 talker_id="AI", sentence_type="VDM", seq_id=n % 10)  # fmt: skip
            lines += [_tagged(epoch, static[0]), static[1]]
        if n % 333 == 0:
            lines += ["", "# a comment", "garbage line"]
    return "\n".join(lines) + "\n"


def test_nmea_positions_outside_the_box_are_counted_as_pyais_would_count_them(
    tmp_path, monkeypatch
):
    from collections import Counter

    from osint.maritime.ais import nmea

    counted: Counter = Counter()  # what the fast path decided, to see that it decided things
    plainly_outside = nmea.plainly_outside

    def spy(sentence, box):
        counted[plainly_outside(sentence, box)] += 1
        return plainly_outside(sentence, box)

    monkeypatch.setattr(nmea, "plainly_outside", spy)
    box = (57.0, 10.0, 58.0, 11.0)
    n: list = []
    for seed, filters in ((1, box), (2, box), (3, (20.0, 130.0, 60.0, -170.0)), (4, None)):
        path = tmp_path / f"log-{seed}.nmea"
        path.write_text(nmea_log(seed, filters or box), encoding="ascii")
        options = dict(bbox=filters)
        fast = _imported(tmp_path, path, importer.ImportOptions(**options, vectorised=True), n)
        slow = _imported(tmp_path, path, importer.ImportOptions(**options, vectorised=False), n)
        assert fast == slow, seed
        counts = fast[0]
        assert counts["rows_kept"] > 20 and counts["rows_invalid"] > 50
        if filters:
            assert counts["rows_filtered"] > 500
    assert counted[1] > 1000 and counted[2] > 100 and counted[0] > 1000
