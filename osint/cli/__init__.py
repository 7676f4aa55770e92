"""The `osint` command: typer wiring over the library (parse -> call -> render -> exit status).

Command modules import only typer and `cli.common` at import time; library modules are imported
inside the command that needs them, so `osint --help` starts fast.
"""

import os
import sqlite3
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from osint import __version__, features
from osint.cli.common import Env
from osint.errors import ExitStatus, OsintError

GLOBAL_VALUE_OPTIONS = ("--case", "-C", "--as")
GLOBAL_FLAGS = ("--json", "--full-ids")


def _leaf(group, args: list[str]):
    """(index after the command path, leaf command) for args that start after global options."""
    command = group
    index = 0
    while index < len(args) and hasattr(command, "get_command"):
        sub = command.get_command(None, args[index])
        if sub is None:
            break
        command = sub
        index += 1
    return index, command


def hoist_global_options(group, args: list[str]) -> list[str]:
    """Move global options given after the command name to the front, where typer parses them.

    An option the command defines itself (`osint link ... --as supports`) is left to the command.
    """
    start = 0
    while start < len(args) and args[start].startswith("-") and args[start] != "--":
        start += 2 if args[start] in GLOBAL_VALUE_OPTIONS else 1
    start = min(start, len(args))
    consumed, leaf = _leaf(group, args[start:])
    if leaf is group or consumed == 0:
        return args
    own: dict[str, object] = {}
    for param in getattr(leaf, "params", []):
        for opt in [*getattr(param, "opts", []), *getattr(param, "secondary_opts", [])]:
            own[opt] = param
    head, rest = args[: start + consumed], args[start + consumed :]
    kept: list[str] = []
    hoisted: list[str] = []
    i = 0
    while i < len(rest):
        token = rest[i]
        if token == "--":
            kept.extend(rest[i:])
            break
        name, eq, _ = token.partition("=") if token.startswith("--") else (token, "", "")
        if name in own:
            param = own[name]
            takes_value = not getattr(param, "is_flag", False) and not getattr(
                param, "count", False
            )
            if getattr(param, "param_type_name", "") == "option" and takes_value and not eq:
                kept.extend(rest[i : i + 2])
                i += 2
            else:
                kept.append(token)
                i += 1
            continue
        if name in GLOBAL_VALUE_OPTIONS:
            if eq:
                hoisted.append(token)
                i += 1
            else:
                hoisted.extend(rest[i : i + 2])
                i += 2
            continue
        if name in GLOBAL_FLAGS:
            hoisted.append(token)
        else:
            kept.append(token)
        i += 1
    return [*head[:start], *hoisted, *head[start:], *kept]


def report(error: BaseException, env: Env | None = None) -> int:
    """Print a user error on one line to stderr; returns the exit status.

    The message may quote values from the case or the command line: it is shown literally
    (control characters escaped), whatever they hold.
    """
    from osint.cli import render

    stream = env.stderr if env else sys.stderr
    message = render.safe_text(" ".join(str(error).split()) or error.__class__.__name__)
    print(f"{render.styled('Error:', 'error', stream)} {message}", file=stream)
    return int(getattr(error, "exit_status", ExitStatus.ERROR))


def suggest(word: str, choices) -> str:
    """` Did you mean 'x'?` for the nearest of `choices`, or nothing."""
    import difflib

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if not close and len(word) >= 2:
        close = [c for c in choices if c.startswith(word)][:1]
    return f" Did you mean {close[0]!r}?" if close else ""


def resolve_or_suggest(group, ctx, args):
    """click's resolve_command, with the nearest command named when a name is mistyped."""
    name = str(args[0])
    if group.get_command(ctx, name) is None and not name.startswith("-"):
        ctx.fail(f"No such command {name!r}.{suggest(name, group.list_commands(ctx))}")
    return None


def show_usage_error(error) -> None:
    """click's error display, with the message shown literally (values may be hostile)."""
    from osint.cli import render

    ctx = getattr(error, "ctx", None)
    if ctx is not None:
        print(ctx.get_usage(), file=sys.stderr)
        print(f"Try '{ctx.command_path} {ctx.help_option_names[0]}' for help.\n", file=sys.stderr)
    message = render.safe_text(error.format_message())
    print(f"{render.styled('Error:', 'error', sys.stderr)} {message}", file=sys.stderr)


# Every top-level command, from the features' declarations (osint.features): name -> (the command
# function or group as "module:attribute"; the modules that add subcommands to it). Nothing here
# is imported until the command is used, so a command starts without loading the others.
COMMANDS: dict[str, tuple[str, tuple[str, ...]]] = {
    name: (target, modules) for name, (target, modules, _) in features.commands().items()
}
FEATURE_OF: dict[str, features.Feature] = {
    name: feature for name, (_, _, feature) in features.commands().items()
}


def missing_extra(name: str) -> str | None:
    """Why a command cannot run here: the pip extra its feature needs and that is not installed."""
    feature = FEATURE_OF.get(name)
    if feature is None or not feature.extra or not features.missing_requirements(feature):
        return None
    return extra_hint(feature)


def extra_hint(feature: features.Feature) -> str:
    return f"needs the {feature.extra} extra: pip install 'osint[{feature.extra}]'"


# The sections of `osint --help`, in order; each feature says which section its commands go in.
HELP_PANELS: dict[str, tuple[str, ...]] = {panel: () for panel in features.PANELS}
for _command, _declared in features.commands().items():
    _feature = _declared[2]
    _panel = _feature.panels.get(_command, _feature.panel)
    HELP_PANELS[_panel] = (*HELP_PANELS.get(_panel, ()), _command)


def _target(name: str):
    """The function or typer group a registry entry names (its module imported)."""
    import importlib

    module, _, attribute = COMMANDS[name][0].partition(":")
    return getattr(importlib.import_module(module), attribute)


def load_command(name: str):
    """The click command for a top-level name, built from its module on first use (or None)."""
    import importlib

    import typer.main

    if name not in COMMANDS:
        return None
    missing = missing_extra(name)
    if missing:
        return _unavailable(name, missing)
    for module in COMMANDS[name][1]:
        importlib.import_module(module)
    obj = _target(name)
    if isinstance(obj, typer.Typer):
        command: Any = typer.main.get_group(obj)
    else:
        single = typer.Typer(rich_markup_mode=None, add_completion=False)
        single.command(name)(obj)
        command = typer.main.get_command(single)
    command.name = name
    return command


def _unavailable(name: str, reason: str):
    """A stand-in for a command whose feature's libraries are not installed: it says which."""
    import typer.main

    stub = typer.Typer(rich_markup_mode=None, add_completion=False)

    @stub.command(
        name,
        help=f"Unavailable here: {reason}.",
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    )
    def unavailable(ctx: typer.Context) -> None:
        raise OsintError(f"osint {name} {reason}")

    command = typer.main.get_command(stub)
    command.name = name
    return command


class OsintGroup(TyperGroup):
    """The root command: global options anywhere, and errors mapped to one line and an exit code."""

    def list_commands(self, ctx):
        return [*COMMANDS, *(name for name in self.commands if name not in COMMANDS)]

    def format_commands(self, ctx, formatter):
        """The command list of `osint --help`, grouped, from docstrings: no command is built for it."""
        import inspect

        from typer._click.utils import make_default_short_help

        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = {}
        for name in names:
            if name in self.commands or name not in COMMANDS:
                command = self.get_command(ctx, name)
                rows[name] = command.get_short_help_str(limit)
                continue
            missing = missing_extra(name)
            if missing:
                rows[name] = f"(unavailable: {missing})"
                continue
            obj = _target(name)
            text = obj.info.help if hasattr(obj, "info") else obj.__doc__
            rows[name] = make_default_short_help(inspect.cleandoc(text or ""), limit)
        placed = {name for members in HELP_PANELS.values() for name in members}
        panels = {
            panel: [n for n in members if n in rows] for panel, members in HELP_PANELS.items()
        }
        panels["Other commands"] = [n for n in names if n not in placed]
        for panel, members in panels.items():
            if members:
                with formatter.section(panel):
                    formatter.write_dl([(name, rows[name]) for name in members])

    def resolve_command(self, ctx, args):
        resolve_or_suggest(self, ctx, args)
        return super().resolve_command(ctx, args)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        """click's main, with usage errors shown literally and Ctrl-C explained."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        from typer._click import exceptions as click_exceptions
        from typer.exceptions import Abort

        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click_exceptions.NoArgsIsHelpError as error:
            error.show()  # `osint` alone: the help, as typed by osint itself
            sys.exit(error.exit_code)
        except click_exceptions.ClickException as error:
            show_usage_error(error)
            sys.exit(error.exit_code)
        except Abort:
            print("Aborted.", file=sys.stderr)
            sys.exit(ExitStatus.ERROR)
        sys.exit(code if isinstance(code, int) else 0)

    def get_command(self, ctx, name):
        if name not in self.commands:
            command = load_command(name)
            if command is None:
                return None
            self.commands[name] = command
        return self.commands[name]

    def parse_args(self, ctx, args):
        ctx.meta["osint.argv"] = list(args)
        return super().parse_args(ctx, hoist_global_options(self, list(args)))

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except OsintError as error:
            raise typer.Exit(report(error, ctx.obj if isinstance(ctx.obj, Env) else None)) from None
        except sqlite3.Error as error:
            from osint.case.store.db import translate

            raise typer.Exit(
                report(translate(error), ctx.obj if isinstance(ctx.obj, Env) else None)
            ) from None
        except KeyboardInterrupt:
            env = ctx.obj if isinstance(ctx.obj, Env) else None
            note = (env and env.interrupt_note) or (
                "interrupted: the unfinished command was rolled back, the case is unchanged"
            )
            print(note, file=env.stderr if env else sys.stderr)
            raise typer.Exit(ExitStatus.INTERRUPTED) from None
        except (typer.Exit, typer.Abort, typer.TyperException, EOFError):
            raise
        except BrokenPipeError:
            # The reader stopped early (`osint list images | head`): that is not a failure.
            _silence_stdout()
            raise typer.Exit(0) from None
        except OSError as error:
            if os.environ.get("OSINT_DEBUG"):
                raise
            where = f"{error.filename}: " if getattr(error, "filename", None) else ""
            raise typer.Exit(report(OsintError(f"{where}{error.strerror or error}"))) from None
        except ModuleNotFoundError as error:
            feature = features.feature_of_module(error.name or "")
            if feature is None or os.environ.get("OSINT_DEBUG"):
                raise
            message = f"this command {extra_hint(feature)} (missing module {error.name})"
            raise typer.Exit(
                report(OsintError(message), ctx.obj if isinstance(ctx.obj, Env) else None)
            ) from None
        except Exception as error:
            if os.environ.get("OSINT_DEBUG"):
                raise
            raise typer.Exit(
                report(
                    OsintError(
                        f"internal error ({error.__class__.__name__}: {error}); "
                        "run again with OSINT_DEBUG=1 for the traceback and report it"
                    )
                )
            ) from None


app = typer.Typer(
    cls=OsintGroup,
    name="osint",
    help="A case-file manager for open-source investigators: evidence, provenance and briefs "
    "in one SQLite file.",
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=True,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)


def _print_version(value: bool) -> None:
    if value:
        print(f"osint {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    case: Annotated[
        Path | None,
        typer.Option(
            "--case",
            "-C",
            metavar="PATH",
            help="The case file. Default: $OSINT_CASE, else ./case.db when it exists.",
        ),
    ] = None,
    actor: Annotated[
        str | None,
        typer.Option(
            "--as",
            metavar="NAME",
            help="Investigator recorded in provenance. Default: $OSINT_USER, else "
            "`git config user.name`, else the login name.",
        ),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Machine-readable JSON on stdout.")
    ] = False,
    full_ids: Annotated[
        bool,
        typer.Option(
            "--full-ids", help="Show whole record ids in tables (default: the unique prefix)."
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    existing = ctx.obj if isinstance(ctx.obj, Env) else None
    env = existing or Env()
    env.case_option = case or env.case_option
    env.actor = actor or env.actor
    env.json = json_output or env.json
    env.full_ids = full_ids or env.full_ids
    env.argv = ctx.meta.get("osint.argv", env.argv)
    ctx.obj = env


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that flushing it at exit cannot raise again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except BrokenPipeError:
        _silence_stdout()
        sys.exit(0)
    except KeyboardInterrupt:
        print("Interrupted: nothing was changed by the unfinished command.", file=sys.stderr)
        sys.exit(ExitStatus.INTERRUPTED)
