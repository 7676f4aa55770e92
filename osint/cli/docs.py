"""Generate docs/cli.md from every command's --help (`make docs`; a test keeps it current)."""

from __future__ import annotations

import sys


def command_paths() -> list[list[str]]:
    """Every command and group, as the words a user types after `osint`."""
    import typer.main

    from osint.cli import app

    paths: list[list[str]] = []

    def walk(command, path):
        paths.append(path)
        for name in getattr(command, "list_commands", lambda ctx: [])(None):
            sub = command.get_command(None, name)
            if not getattr(sub, "hidden", False):
                walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return paths


def help_text(path: list[str]) -> str:
    from typer.testing import CliRunner

    from osint.cli import app

    result = CliRunner().invoke(app, [*path, "--help"], prog_name="osint", terminal_width=100)
    return result.stdout


def render() -> str:
    lines = [
        "# osint command reference",
        "",
        "Generated from `osint ... --help` by `make docs`; do not edit by hand.",
        "",
    ]
    for path in command_paths():
        title = " ".join(["osint", *path])
        lines += [f"## {title}", "", "```", help_text(path).rstrip(), "```", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(render())
