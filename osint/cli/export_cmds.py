"""`osint export brief`; other formats attach to `export_app` from their feature's module."""

from pathlib import Path
from typing import Annotated

import typer

from .common import get_env
from .groups import export_app


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
