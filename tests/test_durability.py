"""A crash at any point leaves a sound case; concurrent writers never lose a write."""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

from crash import kill_mid_transaction

WRITER = """
import sys
from osint.cli import app
case, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
for i in range(count):
    try:
        app(["--case", case, "--as", name, "finding", "add", f"{name} finding {i}"], standalone_mode=False)
    except SystemExit as exit:
        if exit.code:
            raise
"""


def _osint(*args, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "osint", *args], capture_output=True, text=True, **kwargs
    )


def _integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def test_kill_9_during_a_large_write_leaves_a_sound_case(case_path, tmp_path):
    rng = random.Random(7)
    caught = 0
    for trial in range(4):
        big = tmp_path / f"scene{trial}.bin"
        big.write_bytes(os.urandom(32 * 1024 * 1024))
        args = ["--case", str(case_path), "source", "add", f"ref-{trial}", "--title", "Big scene"]
        caught += kill_mid_transaction([*args, "--snapshot", str(big)], case_path, rng)
        assert _integrity(case_path) == "ok"
        result = _osint("--case", str(case_path), "--json", "verify")
        assert json.loads(result.stdout)["ok"] is True, result.stdout
        sources = json.loads(_osint("--case", str(case_path), "--json", "list", "sources").stdout)
        # All or nothing: a source is never there without its snapshot, nor a snapshot alone.
        assert all(s["snapshot_sha256"] for s in sources)
        snapshots = (
            sqlite3.connect(case_path).execute("SELECT count(*) FROM snapshots").fetchone()[0]
        )
        assert snapshots == len(sources)
    assert caught >= 1
    big = tmp_path / "scene0.bin"
    done = _osint(
        "--case",
        str(case_path),
        "source",
        "add",
        "ref-final",
        "--title",
        "Big",
        "--snapshot",
        str(big),
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(_osint("--case", str(case_path), "--json", "verify").stdout)["ok"] is True
    leftovers = [p.name for p in case_path.parent.iterdir() if p.name.startswith("case.db-")]
    assert leftovers == []


def test_parallel_writers_lose_nothing(case_path, tmp_path):
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    writers = [
        subprocess.Popen(
            [sys.executable, str(script), str(case_path), f"writer{n}", "12"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for n in range(8)
    ]
    for writer in writers:
        out, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err
        assert "locked" not in err.lower()
    findings = json.loads(_osint("--case", str(case_path), "--json", "list", "findings").stdout)
    assert len(findings) == 8 * 12
    assert len({f["text"] for f in findings}) == 8 * 12
    log = json.loads(_osint("--case", str(case_path), "--json", "log").stdout)
    # One line of history: every entry's parent is the entry before it.
    for previous, entry in zip(log, log[1:], strict=False):
        assert entry["parents"] == [previous["hash"]]
    assert json.loads(_osint("--case", str(case_path), "--json", "verify").stdout)["ok"] is True
