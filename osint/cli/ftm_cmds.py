"""`osint export ftm`: the case as FollowTheMoney entities for Aleph."""

from pathlib import Path
from typing import Annotated

import typer

from osint.cli.common import get_env
from osint.cli.groups import export_app


@export_app.command("ftm")
def export_ftm(
    ctx: typer.Context,
    output: Annotated[
        Path,
        typer.Option("-o", "--output", metavar="FILE", help="The JSON-lines file to write."),
    ],
) -> None:
    """FollowTheMoney entities (JSON lines) for Aleph: vessels, documents, images, events, notes."""
    from osint.exports.ftm import export_ftm as run_export

    env = get_env(ctx)
    with env.case(readonly=True) as case:
        result = run_export(case.conn, output)
    if env.json:
        env.emit_json(result)
        return
    counts = ", ".join(f"{n} {schema}" for schema, n in sorted(result["by_schema"].items()))
    env.print(f"Wrote {result['path']}: {result['entities']} entities ({counts})")
