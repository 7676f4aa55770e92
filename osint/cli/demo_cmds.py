"""`osint demo`: the worked example."""

from pathlib import Path
from typing import Annotated

import typer

from osint.cli.common import get_env


def demo(
    ctx: typer.Context,
    folder: Annotated[
        Path, typer.Argument(metavar="[DIR]", help="Where to build it (default: ./demo).")
    ] = Path("demo"),
) -> None:
    """Build the worked example case (the Vostochny tanker story) and export its briefs."""
    from osint.demo import build_demo

    env = get_env(ctx)
    outputs = build_demo(folder, actor=env.actor, command=env.command_line())
    if env.json:
        env.emit_json(outputs)
        return
    env.print(f"Built the demo case {outputs['case']}")
    for brief in outputs["briefs"]:
        env.print(f"Wrote {brief}")
    for part in outputs["left_out"]:
        env.note(f"Left out of the demo: {part}")
    env.note(f"Try: {program()} --case {outputs['case']} info")


def program() -> str:
    """How to run osint again as it was run now: `osint` when that is on PATH, else the path."""
    import shlex
    import shutil
    import sys

    argv0 = Path(sys.argv[0])
    if argv0.name == "__main__.py":  # python -m osint
        python = shutil.which("python3")
        same = python and Path(python).resolve() == Path(sys.executable).resolve()
        return f"{'python3' if same else shlex.quote(sys.executable)} -m osint"
    found = shutil.which("osint")
    if found and argv0.exists() and Path(found).resolve() == argv0.resolve():
        return "osint"
    return shlex.quote(str(argv0)) if argv0.exists() else "osint"
