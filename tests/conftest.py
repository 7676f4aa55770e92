"""Shared fixtures: a fresh case in a temporary folder, and the CLI driven as a user would."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from osint.case.handle import init_case, open_case

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    """Every test runs in its own folder, as a known investigator, with no case from outside."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OSINT_USER", "Test Investigator")
    monkeypatch.delenv("OSINT_CASE", raising=False)
    monkeypatch.delenv("OSINT_DEBUG", raising=False)
    # Trust pinned with `--ca` lives outside the case, in the user's config: a test's own.
    monkeypatch.setenv("OSINT_CONFIG_DIR", str(tmp_path / ".osint-config"))
    monkeypatch.setenv("OSINT_CACHE_DIR", str(tmp_path.parent / ".osint-cache"))


@pytest.fixture
def case_path(tmp_path) -> Path:
    path = tmp_path / "case.db"
    init_case(path, title="Test case", summary="A case for tests").close()
    return path


@pytest.fixture
def case(case_path):
    with open_case(case_path, command="osint (test)") as opened:
        yield opened


class Cli:
    """Runs `osint` in-process; `cli("source", "add", ...)` returns the click Result."""

    def __init__(self, case_path: Path | None):
        self.case_path = case_path
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, expect: int | None = 0):
        from osint.cli import app

        argv = [str(a) for a in args]
        if self.case_path is not None and "--case" not in argv and "-C" not in argv:
            argv = ["--case", str(self.case_path), *argv]
        result = self.runner.invoke(app, argv, input=input, catch_exceptions=False)
        if expect is not None:
            assert result.exit_code == expect, (
                f"osint {' '.join(argv)} exited {result.exit_code}\n"
                f"stdout: {result.stdout}\nstderr: {result.stderr}"
            )
        return result

    def json(self, *args: str, **kwargs):
        result = self(*args, "--json", **kwargs) if "--json" not in args else self(*args, **kwargs)
        return json.loads(result.stdout)


@pytest.fixture
def cli(case_path) -> Cli:
    return Cli(case_path)


@pytest.fixture
def bare_cli() -> Cli:
    """The CLI with no case given (for init and for error cases)."""
    return Cli(None)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def article(tmp_path) -> Path:
    """A small news page with two attributed quotations."""
    return write(
        tmp_path / "article.html",
        """<!doctype html><html><head><meta charset="utf-8"><title>Oil for arms</title></head>
<body><article>
<p>Satellite pictures show tankers at the terminal.</p>
<p>“To continue fighting in Ukraine, Russia has become increasingly dependent on North Korea
to obtain troops and weapons in exchange for oil,” explains David Lammy, the British Foreign
Secretary.</p>
<p>“A million barrels is nothing for a major oil producer like Russia to release, but it is a
substantial amount for North Korea to receive”, says Go Myong-hyun, senior researcher.</p>
<script>var hidden = "not part of the text";</script>
</article></body></html>
""",
    )


def shared_corpus() -> Path | None:
    """../shared/corpus when this checkout sits beside it (tests using it skip otherwise)."""
    path = Path(os.environ.get("OSINT_SHARED", SHARED)) / "corpus"
    return path if path.is_dir() else None
