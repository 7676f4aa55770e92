"""`osint export ...`: one group; each feature registers its own format on `export_app`."""

from pathlib import Path
from typing import Annotated

import typer

from .common import get_env

export_app = typer.Typer(
    help="Write the case out: briefs, GIS layers, FollowTheMoney, CSV, web archives, a copy to send.",
    no_args_is_help=True,
)


@export_app.command("brief")
def export_brief(
    ctx: typer.Context,
    output: Annotated[
        Path,
        typer.Option("-o", "--output", metavar="FILE.md|FILE.html", help="The brief to write."),
    ],
    template: Annotated[
        str | None,
        typer.Option(
            "--template",
            metavar="NAME|PATH",
            help="A built-in template by name (brief) or your own Jinja2 template file.",
        ),
    ] = None,
    template_dir: Annotated[
        list[Path] | None,
        typer.Option(
            "--template-dir",
            metavar="DIR",
            help="A folder whose templates override the built-in ones by name (also $OSINT_TEMPLATES).",
        ),
    ] = None,
) -> None:
    """The brief: findings, sources with grades, quotes, imagery, sightings, visits, provenance."""
    from ..briefs import export_brief as run_export

    env = get_env(ctx)
    with env.case() as case:
        path = run_export(case, output, template=template, template_dirs=template_dir or [])
    if env.json:
        env.emit_json({"path": str(path), "format": path.suffix.lstrip(".")})
    else:
        env.print(f"Wrote {path}")


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")
