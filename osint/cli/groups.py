"""The command groups (`osint source ...`, `osint export ...`), defined apart from their commands.

Command modules attach their subcommands to these at import time; the registry in
`osint/cli/__init__.py` says which modules to import for each group, so that a command only
loads the modules it needs. Each group lists its subcommands in a fixed order, whatever order
the modules happened to be imported in.
"""

import typer
from typer.core import TyperGroup


def group(help_text: str, order: list[str], *, busy: str | None = None) -> typer.Typer:
    """A command group listing its subcommands in `order`.

    `busy`: every subcommand is long work; a spinner with this label runs on stderr (terminal
    only) while it does, and Ctrl-C says that nothing was written.
    """

    class OrderedGroup(TyperGroup):
        def list_commands(self, ctx):
            rank = {name: i for i, name in enumerate(order)}
            return sorted(self.commands, key=lambda name: (rank.get(name, len(rank)), name))

        def invoke(self, ctx):
            pending = getattr(ctx, "_protected_args", None) or getattr(ctx, "protected_args", [])
            if busy is None or not pending:
                return super().invoke(ctx)
            from osint.cli.common import get_env
            from osint.cli.progress import working

            env = get_env(ctx)
            name = pending[0]
            env.interrupt_note = (
                "interrupted: nothing was written (exports are written whole or not at all); "
                "the case is unchanged"
            )
            with working(env, f"{busy} {name}"):
                return super().invoke(ctx)

    return typer.Typer(
        cls=OrderedGroup,
        help=help_text,
        no_args_is_help=True,
        rich_markup_mode=None,
        add_completion=False,
    )


source_app = group(
    "Sources: web pages, documents, any reference, with archived snapshots.",
    ["add", "import", "export", "diff"],
)
quote_app = group(
    "Verbatim quotes, verified against their source's text snapshot.", ["add", "extract"]
)
image_app = group(
    "Images: photographs and satellite scenes stored byte-identical, with EXIF, thumbnails, "
    "annotations and near-duplicate search.",
    ["add", "annotate", "export", "similar"],
)
finding_app = group("Findings of the investigation, linked to their evidence.", ["add"])
export_app = group(
    "Write the case out: briefs, GIS layers, FollowTheMoney, CSV, web archives, a copy to send.",
    ["brief", "case", "geojson", "kml", "csv", "ftm", "warc", "wacz", "timestamps"],
    busy="Exporting",
)
