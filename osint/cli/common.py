"""What every command shares: the environment (streams, case, investigator, --json) and output.

Commands parse their arguments, call one library function inside `env.case(...)`, and hand the
result to `env.record(...)` or `env.table(...)`: JSON for scripts, a rich table on a terminal,
plain aligned text when piped (no colour codes, and no need to import rich at all).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import typer

from osint.cli import render
from osint.errors import CaseNotFound


@dataclass
class Env:
    """The environment of one invocation; tests may pass their own streams."""

    case_option: Path | None = None
    actor: str | None = None
    json: bool = False
    argv: list[str] | None = None
    stdout_stream: TextIO | None = None
    stderr_stream: TextIO | None = None
    full_ids: bool = False
    interrupt_note: str | None = None
    _console: Any = field(default=None, repr=False)

    @property
    def stdout(self) -> TextIO:
        return self.stdout_stream or sys.stdout

    @property
    def stderr(self) -> TextIO:
        return self.stderr_stream or sys.stderr

    @property
    def interactive(self) -> bool:
        """Human, decorated output: stdout is a terminal and --json was not asked for."""
        if self.json:
            return False
        try:
            return self.stdout.isatty()
        except (AttributeError, ValueError):
            return False

    @property
    def stderr_interactive(self) -> bool:
        try:
            return not self.json and self.stderr.isatty()
        except (AttributeError, ValueError):
            return False

    # ---- the case --------------------------------------------------------------------------

    def case_path(self) -> Path:
        """--case, else $OSINT_CASE, else ./case.db when it exists."""
        if self.case_option:
            return Path(self.case_option)
        from_env = os.environ.get("OSINT_CASE", "").strip()
        if from_env:
            return Path(from_env)
        if Path("case.db").exists():
            return Path("case.db")
        raise CaseNotFound(
            "no case: give --case PATH, set OSINT_CASE, or create ./case.db with `osint init case.db`"
        )

    def command_line(self) -> str:
        from osint.case.handle import command_line

        return command_line(self.argv)

    @contextlib.contextmanager
    def case(self, *, readonly: bool = False):
        """Open the case for one command and always close it (no side files left behind)."""
        from osint.case.handle import open_case

        with open_case(
            self.case_path(),
            actor=self.actor,
            command=self.command_line(),
            readonly=readonly,
            signer=None if readonly else self.signer,
        ) as case:
            yield case

    def signer(self):
        """The investigator's signing key (osint key use), loaded when the first entry is made."""
        from osint.case import keys

        chosen = keys.configured_key()
        return keys.current_signer(self.passphrase_prompt(chosen[0])) if chosen else None

    def passphrase_prompt(self, key_path):
        """Asks for a key's passphrase once, on the terminal; None where nobody can answer."""
        if not (self.stdin_is_terminal()):
            return None

        def ask() -> str:
            import getpass

            return getpass.getpass(f"Passphrase for {key_path}: ", stream=self.stderr)

        return ask

    def stdin_is_terminal(self) -> bool:
        import sys

        try:
            return sys.stdin.isatty()
        except (AttributeError, ValueError):
            return False

    # ---- output ----------------------------------------------------------------------------

    def console(self):
        if self._console is None:
            from rich.console import Console

            self._console = Console(
                file=self.stdout,
                highlight=False,
                soft_wrap=False,
                markup=False,
                emoji=False,
                no_color=bool(os.environ.get("NO_COLOR")) or None,
            )
        return self._console

    # Every line for people passes through `render.safe_lines`: control characters in a value
    # (escape sequences, \r, bidi overrides) are shown escaped, never sent to the terminal.

    def print(self, text: str = "") -> None:
        print(render.safe_lines(text), file=self.stdout)

    def print_labelled(self, label: str, style: str, text: str, *, err: bool = False) -> None:
        """`LABEL text`: the label in colour where the stream takes it, the text made safe."""
        stream = self.stderr if err else self.stdout
        print(f"{render.styled(label, style, stream)} {render.safe_lines(text)}", file=stream)

    def note(self, text: str) -> None:
        """A message for people (stderr, so stdout stays clean for data)."""
        print(render.safe_lines(text), file=self.stderr)

    def warn(self, text: str) -> None:
        label = render.styled("Warning:", "warning", self.stderr)
        print(f"{label} {render.safe_lines(text)}", file=self.stderr)

    def error(self, text: str) -> None:
        """One failure of many (a file in a batch): `Error: ...` on stderr, in red on a terminal."""
        label = render.styled("Error:", "error", self.stderr)
        print(f"{label} {render.safe_lines(' '.join(str(text).split()))}", file=self.stderr)

    def shorten_ids(self, conn, rows: list[dict], columns: Sequence[str] = ("id",)) -> None:
        """For people: record ids in `columns` shortened to the prefix that is unique in the case.

        `--full-ids` keeps them whole. JSON output never comes here.
        """
        if self.full_ids or self.json or not rows:
            return
        from osint.case.shortids import unique_prefixes

        wanted = {row.get(c) for row in rows for c in columns}
        prefixes = unique_prefixes(conn, [v for v in wanted if isinstance(v, str)])
        for row in rows:
            for column in columns:
                value = row.get(column)
                if isinstance(value, str) and value in prefixes:
                    row[column] = prefixes[value]

    def emit_json(self, value: Any) -> None:
        json.dump(value, self.stdout, ensure_ascii=False, indent=2, default=str)
        self.stdout.write("\n")

    def emit_json_array(self, items: Iterable[Any]) -> None:
        """A JSON array written item by item, so a long list never sits whole in memory."""
        out = self.stdout
        out.write("[")
        first = True
        for item in items:
            out.write("\n  " if first else ",\n  ")
            out.write(json.dumps(item, ensure_ascii=False, default=str).replace("\n", "\n  "))
            first = False
        out.write("\n]\n" if not first else "]\n")

    def record(self, kind: str, row: Mapping, *, extra: Mapping | None = None, verb: str = "Added"):
        """One record after `add` (JSON object with --json, else a confirmation line)."""
        from osint.case import kinds

        spec = kinds.get(kind)
        data = {**spec.to_json(row), **(extra or {})}
        if self.json:
            self.emit_json(data)
            return
        self.print(f"{verb} {spec.name} {row['id']}  {render.safe_text(spec.label(row))}")

    def table(
        self,
        rows: Sequence[Mapping],
        columns: Sequence[str],
        *,
        title: str | None = None,
        json_rows: Iterable[Mapping] | None = None,
        empty: str = "nothing to show",
    ) -> None:
        """Rows as a table for people, or the complete JSON array for scripts."""
        if self.json:
            self.emit_json(list(json_rows if json_rows is not None else rows))
            return
        if not rows:
            self.note(empty)
            return
        if self.interactive:
            render.rich_table(self.console(), rows, columns, title=title)
            return
        render.plain_table(self.stdout, rows, columns, title=title)


def get_env(ctx: typer.Context) -> Env:
    root = ctx.find_root()
    if not isinstance(root.obj, Env):
        root.obj = Env()
    return root.obj


def parse_assignments(values: Sequence[str] | None, option: str = "--set") -> dict[str, str]:
    """`FIELD=VALUE` pairs, in order; a missing `=` is a usage error naming the option."""
    out: dict[str, str] = {}
    for value in values or ():
        name, eq, rest = value.partition("=")
        if not eq or not name.strip():
            raise typer.BadParameter(f"{value!r} is not FIELD=VALUE", param_hint=option)
        out[name.strip()] = rest
    return out
