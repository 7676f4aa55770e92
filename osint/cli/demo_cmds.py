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
    env.note(f"Try: osint --case {outputs['case']} info")
