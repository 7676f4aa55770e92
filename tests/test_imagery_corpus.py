"""Ingest under stress: the whole shared corpus of real and hostile files, and a kill -9."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import shared_corpus
from imagery_fixtures import picture
from PIL import Image


def test_whole_corpus_is_stored_or_refused_without_traceback_or_hang(cli, case_path):
    corpus = shared_corpus()
    if corpus is None or not (corpus / "images").is_dir():
        pytest.skip("../shared/corpus/images is not beside this checkout")
    folder = corpus / "images"
    files = [p for p in folder.rglob("*") if p.is_file()]
    result = cli("image", "add", folder, "--json", "--time-limit", "10", expect=None)
    output = result.stdout + result.stderr
    assert "Traceback" not in output and "internal error" not in output
    assert result.exit_code == 0, result.stderr
    stored = json.loads(result.stdout)
    summary = next(line for line in result.stderr.splitlines() if line.startswith("Images: "))
    skipped = int(summary.split("; ")[1].split()[0]) if "; " in summary else 0
    assert len(stored) + skipped == len(files)
    assert all(r["result"] in ("added", "present") for r in stored)
    # Every problem is reported on one line naming its file.
    for line in result.stderr.splitlines():
        if line.startswith(("Warning:", "Refused:")):
            assert str(folder) in line
    assert {r["status"] for r in stored} == {"ok", "warning"}
    kept_broken = [r for r in stored if r["status"] == "warning"]
    assert all(r["warnings"] for r in kept_broken)
    verified = cli.json("verify")
    assert verified["ok"], verified["problems"][:5]


def _osint(*args, **kwargs):
    return [sys.executable, "-c", "from osint.cli import main; main()", *map(str, args)]


def test_kill_9_mid_run_loses_at_most_a_batch_and_a_rerun_completes(tmp_path, case_path):
    folder = tmp_path / "pass"
    folder.mkdir()
    total = 40
    for index in range(total):
        im = picture((1200, 900), seed=index)
        noise = Image.effect_noise((1200, 900), 40).convert("RGB")
        Image.blend(im, noise, 0.25).save(folder / f"frame{index:03}.jpg", quality=90)
    env = {**os.environ, "OSINT_CASE": str(case_path)}
    proc = subprocess.Popen(
        _osint("image", "add", folder, "--batch-size", "2", "--jobs", "1"),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    reader = sqlite3.connect(case_path, timeout=10)
    deadline = time.monotonic() + 60
    stored = 0
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            stored = reader.execute("SELECT count(*) FROM images").fetchone()[0]
        except sqlite3.OperationalError:  # locked for a moment by a commit
            stored = 0
        if stored >= 4:
            break
        time.sleep(0.01)
    reader.close()
    assert proc.poll() is None, "the import finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL

    # The file is sound, the case verifies, and what was committed is whole.
    check = subprocess.run(_osint("verify", "--json"), env=env, capture_output=True, text=True)
    assert json.loads(check.stdout)["ok"], check.stdout
    conn = sqlite3.connect(case_path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    before = conn.execute("SELECT count(*) FROM images").fetchone()[0]
    conn.close()
    assert 4 <= before < total

    again = subprocess.run(
        _osint("image", "add", folder), env=env, capture_output=True, text=True, timeout=300
    )
    assert again.returncode == 0, again.stderr
    assert f"{total - before} added, {before} already present" in again.stderr
    conn = sqlite3.connect(case_path)
    rows = conn.execute("SELECT count(*), count(DISTINCT sha256) FROM images").fetchone()
    blobs_missing = conn.execute(
        "SELECT count(*) FROM images WHERE sha256 NOT IN (SELECT sha256 FROM blobs)"
    ).fetchone()[0]
    conn.close()
    assert rows == (total, total) and blobs_missing == 0
    final = subprocess.run(_osint("verify"), env=env, capture_output=True, text=True)
    assert final.returncode == 0, final.stdout
    assert not Path(str(case_path) + "-journal").exists()
