"""`osint export ...`: one group; each feature registers its own format on `export_app`."""

from __future__ import annotations

import typer

export_app = typer.Typer(
    help="Write the case out: briefs, GIS layers, FollowTheMoney, CSV, web archives, a copy to send.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")
