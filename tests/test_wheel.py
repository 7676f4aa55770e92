"""The built wheel carries its templates and demo data: `osint demo` runs from it alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        pytest.fail(f"building the wheel failed:\n{result.stderr[-2000:]}")
    return next(out.glob("osint-*.whl"))


def test_wheel_contains_templates_and_demo_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "osint/templates/brief.html.j2" in names
    assert "osint/templates/brief.md.j2" in names
    assert "osint/templates/one-pager.html.j2" in names
    assert "osint/templates/one-pager.md.j2" in names
    assert "osint/templates/brief.css" in names
    assert "osint/demo/article.html" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "osint = osint.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_demo_runs_from_the_installed_wheel(wheel, tmp_path):
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--quiet",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
    )
    env = {**os.environ, "PYTHONPATH": str(site), "OSINT_USER": "Wheel Test"}
    probe = subprocess.run(
        [sys.executable, "-c", "import osint, sys; print(osint.__file__)"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert probe.stdout.strip().startswith(str(site)), probe.stdout
    result = subprocess.run(
        [sys.executable, "-m", "osint", "--json", "demo", str(tmp_path / "demo")],
        env=env, capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    outputs = json.loads(result.stdout)
    assert Path(outputs["briefs"][1]).read_text().startswith("<!doctype html>")
