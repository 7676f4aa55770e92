"""`osint export brief`; other formats attach to `export_app` from their feature's module."""

from pathlib import Path
from typing import Annotated

import typer

from osint.cli.common import get_env
from osint.cli.groups import export_app


@export_app.command("brief")
def export_brief(
    ctx: typer.Context,
    output: Annotated[
        Path,
        typer.Option(
            "-o",
            "--output",
            metavar="FILE.md|FILE.html|FILE.pdf",
            help="The brief to write (.pdf: the HTML brief and its PDF beside it).",
        ),
    ],
    template: Annotated[
        str | None,
        typer.Option(
            "--template",
            metavar="NAME|PATH",
            help="A built-in template by name (brief, one-pager), a template of that name in "
            "--template-dir, or your own Jinja2 template file.",
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
    max_rows: Annotated[
        int,
        typer.Option(
            "--max-rows",
            metavar="N",
            min=0,
            help="Rows a long table shows before it is summarised (cited records always show; "
            "0: no limit).",
        ),
    ] = 100,
    max_images: Annotated[
        int,
        typer.Option(
            "--max-images",
            metavar="N",
            min=0,
            help="Pictures shown with their thumbnail (cited ones always show; 0: no limit).",
        ),
    ] = 48,
    pdf: Annotated[
        bool,
        typer.Option(
            "--pdf",
            help="Also print the HTML brief to FILE.pdf with headless Chromium (offline).",
        ),
    ] = False,
    marking: Annotated[
        str | None,
        typer.Option(
            "--marking",
            metavar="TEXT",
            help='A marking printed at the top of every page, e.g. "DRAFT - NOT FOR PUBLICATION".',
        ),
    ] = None,
) -> None:
    """The brief: findings, sources with grades, quotes, imagery, sightings, visits, provenance.

    HTML is one self-contained file (opens offline, prints cleanly); Markdown writes its pictures
    and figures into FILE_files/ beside it. `osint verify` runs at export and its result and the
    audit log head are printed in the brief.
    """
    from osint.briefs import Limits
    from osint.briefs import export_brief as run_export

    env = get_env(ctx)
    limits = Limits(rows=max_rows, images=max_images)
    with env.case() as case:
        path = run_export(
            case,
            output,
            template=template,
            template_dirs=template_dir or [],
            limits=limits,
            marking=marking,
            pdf=pdf,
        )
    if env.json:
        env.emit_json({"path": str(path), "format": path.suffix.lstrip(".")})
    elif path.suffix == ".pdf":
        env.print(f"Wrote {path.with_suffix('.html')} and {path}")
    else:
        env.print(f"Wrote {path}")
