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


# What each exit status means: the one table, printed in docs/cli.md and copied into README.md
# (a test keeps the two the same and checks every osint.errors.ExitStatus is here).
EXIT_STATUSES = (
    ("0", "Success (also when the output was cut short by the reader: `osint log | head`)."),
    (
        "1",
        "A failure you can act on, said on one line on stderr: bad input (a value, a file, an "
        "FTS5 query), a record not found or ambiguous, a missing or damaged case, `verify` "
        "found problems, some files of a batch refused.",
    ),
    (
        "2",
        "Usage error: an unknown command or option (the nearest one is suggested), a missing "
        "argument, a value of the wrong form (`--set` without `=`).",
    ),
    (
        "130",
        "Interrupted (Ctrl-C): the message says what was kept; an unfinished transaction is "
        "rolled back, so the case is as it was before the command.",
    ),
)


def exit_status_table() -> str:
    rows = ["| status | meaning |", "| --- | --- |"]
    rows += [f"| `{code}` | {meaning} |" for code, meaning in EXIT_STATUSES]
    return "\n".join(rows)


def render() -> str:
    lines = [
        "# osint command reference",
        "",
        "Generated from `osint ... --help` by `make docs`; do not edit by hand.",
        "",
        "## Exit status",
        "",
        exit_status_table(),
        "",
        "`OSINT_DEBUG=1` shows the Python traceback of an internal error. Colour follows the "
        "terminal and is never used when `NO_COLOR` is set or output is piped.",
        "",
    ]
    for path in command_paths():
        title = " ".join(["osint", *path])
        lines += [f"## {title}", "", "```", help_text(path).rstrip(), "```", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(render())
