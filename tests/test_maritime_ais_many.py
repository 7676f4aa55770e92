"""`osint ais import` over many files: folders and patterns, one transaction per file, resuming."""

from __future__ import annotations

import random
import sqlite3

from crash import kill_mid_transaction
from test_maritime_ais import track, write


def _days(folder, count: int, rows: int = 30):
    """`count` daily files of one tanker's reports, each day's times its own."""
    folder.mkdir(exist_ok=True)
    paths = []
    for day in range(count):
        rows_of_day = [
            r.replace("2024-03-05", f"2024-03-{day + 1:02d}") for r in track(rows, start_minute=0)
        ]
        paths.append(write(folder / f"AIS_2024_03_{day + 1:02d}.csv", rows_of_day))
    return paths


def _positions(case_path) -> int:
    conn = sqlite3.connect(case_path)
    try:
        return conn.execute("SELECT count(*) FROM ais_positions").fetchone()[0]
    finally:
        conn.close()


def test_a_folder_and_a_pattern_import_file_by_file_and_a_rerun_skips_them(
    cli, case_path, tmp_path
):
    paths = _days(tmp_path / "aisdk", 4)
    first = cli.json("ais", "import", str(paths[0]))  # one file as before
    assert first["rows_kept"] == 30
    result = cli.json("ais", "import", str(tmp_path / "aisdk"))
    assert [f["filename"] for f in result["files"]] == [p.name for p in paths[1:]]
    assert [s["import"] for s in result["skipped"]] == [first["id"]]  # not read again
    assert result["totals"]["rows_kept"] == 90 and result["failed"] == []
    assert _positions(case_path) == 120
    again = cli.json("ais", "import", str(tmp_path / "aisdk" / "AIS_2024_03_*.csv"))
    assert again["files"] == [] and len(again["skipped"]) == 4
    assert len(cli.json("list", "ais-imports")) == 4  # each file its own audited import
    assert cli.json("verify")["ok"] is True


def test_a_damaged_file_is_reported_and_the_others_land(cli, case_path, tmp_path):
    paths = _days(tmp_path / "days", 2)
    broken = tmp_path / "days" / "AIS_2024_03_09.csv.gz"
    broken.write_bytes(b"\x1f\x8b\x08\x00not gzip at all")
    result = cli("ais", "import", *map(str, paths), str(broken), "--json", expect=1)
    assert "AIS_2024_03_09.csv.gz" in result.stdout and '"failed"' in result.stdout
    assert _positions(case_path) == 60
    refused = cli("ais", "import", str(tmp_path / "nothing-*.csv"), expect=1)
    assert "no file matches" in refused.stderr


def test_killed_mid_scan_then_run_again_completes_without_duplicates(cli, case_path, tmp_path):
    paths = _days(tmp_path / "scan", 6, rows=59)
    rng = random.Random(20)
    kill_mid_transaction(
        ["--case", case_path, "ais", "import", tmp_path / "scan"], case_path, rng, settle=0.3
    )
    landed = _positions(case_path)
    assert landed % 59 == 0  # whole files only: each lands whole or not at all
    result = cli.json("ais", "import", str(tmp_path / "scan"))
    assert len(result["files"]) + len(result["skipped"]) == len(paths)
    assert _positions(case_path) == 6 * 59
    assert cli.json("verify")["ok"] is True
