"""The help a person reads: grouped commands, every option described, one metavar style."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from osint.cli import COMMANDS, HELP_PANELS, app, load_command


def _leaves(command, path):
    subcommands = getattr(command, "commands", None)
    if subcommands is None:
        yield path, command
        return
    for name, sub in subcommands.items():
        yield from _leaves(sub, [*path, name])


def test_every_option_is_described_with_a_named_metavar():
    runner = CliRunner()
    problems = []
    for name in COMMANDS:
        for path, command in _leaves(load_command(name), [name]):
            for param in command.params:
                option = param.param_type_name == "option" and "--help" not in param.opts
                if option and not (param.help or "").strip():
                    problems.append(f"{' '.join(path)} {param.opts[0]}: no description")
            text = runner.invoke(app, [*path, "--help"]).stdout
            # typer's own type names (<str>, <int range>) instead of a word a person reads
            problems += [f"{' '.join(path)}: {m}" for m in re.findall(r"<[a-z ]+>", text)]
    assert not problems, problems


def test_root_help_groups_every_command_once():
    text = CliRunner().invoke(app, ["--help"]).stdout
    for panel in HELP_PANELS:
        assert f"\n{panel}:\n" in text
    commands = text.split("\nCase:\n", 1)[1]
    listed = re.findall(r"^  ([a-z-]+)  ", commands, flags=re.M)
    assert sorted(listed) == sorted(COMMANDS)
    assert "Other commands" not in text  # every built-in command has its section
    assert "--install-completion" in text and "--show-completion" in text


def test_exit_statuses_are_documented_once_and_match_the_code():
    from pathlib import Path

    from osint.cli.docs import exit_status_table
    from osint.errors import ExitStatus

    table = exit_status_table()
    for status in ExitStatus:
        assert f"| `{int(status)}` |" in table, status
    root = Path(__file__).resolve().parents[1]
    assert table in (root / "README.md").read_text(encoding="utf-8")
    assert table in (root / "docs" / "cli.md").read_text(encoding="utf-8")


def test_the_demo_hint_names_a_program_that_runs(tmp_path, monkeypatch):
    import sys

    from osint.cli.demo_cmds import program

    script = tmp_path / ".venv" / "bin" / "osint"
    script.parent.mkdir(parents=True)
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    monkeypatch.setattr(sys, "argv", [str(script), "demo"])
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    assert program() == str(script)  # not on PATH: the path that was run
    monkeypatch.setenv("PATH", f"{script.parent}:/usr/bin:/bin")
    assert program() == "osint"
