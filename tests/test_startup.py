"""`osint --help` and read commands start fast: heavy libraries are not imported for them."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("PIL", "exifread", "jinja2", "sqlite_utils", "httpx", "warcio", "pypdf", "pyais", "rich")
HEAVY += ("followthemoney", "rigour", "orjson", "normality")

PROBE = """
import json, sys
from osint.cli import app
try:
    app(sys.argv[1:], prog_name="osint")
except SystemExit:
    pass
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})), file=sys.stderr)
"""


def _imported(*args: str) -> set[str]:
    result = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True)
    return set(json.loads(result.stderr.strip().splitlines()[-1]))


def test_help_imports_no_heavy_module():
    loaded = _imported("--help")
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_subcommand_help_imports_no_heavy_module():
    loaded = _imported("source", "add", "--help")
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_listing_a_small_case_imports_no_heavy_module(case_path):
    loaded = _imported("--case", str(case_path), "list", "sources")
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_screening_help_imports_no_heavy_module():
    for args in (("screen", "--help"), ("lists", "import", "--help"), ("export", "ftm", "--help")):
        loaded = _imported(*args)
        assert not loaded & set(HEAVY), (args, loaded & set(HEAVY))
