"""docs/cli.md is generated from --help and must stay current; every command has help text."""

from __future__ import annotations

from pathlib import Path

from osint.cli import docs

DOCS = Path(__file__).resolve().parents[1] / "docs" / "cli.md"


def test_every_command_has_help_text():
    missing = []
    for path in docs.command_paths():
        text = docs.help_text(path)
        lines = [line for line in text.splitlines() if line.strip()]
        # The line after "Usage:" is the command's own description.
        if len(lines) < 2 or lines[1].strip().startswith(("Options:", "Arguments:")):
            missing.append(" ".join(path) or "osint")
    assert missing == []


def test_cli_reference_is_current():
    assert DOCS.read_text(encoding="utf-8") == docs.render(), (
        "docs/cli.md is stale: run `make docs`"
    )


def test_the_python_api_page_runs(tmp_path, monkeypatch):
    """Every code block of docs/api.md runs, in order, against a fresh case."""
    import re

    page = (DOCS.parent / "api.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", page, flags=re.S)
    assert len(blocks) >= 5
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "docs/api.md", "exec"), namespace)
    assert (tmp_path / "api-brief.html").stat().st_size > 0
    assert (tmp_path / "api-copy.db").exists()
