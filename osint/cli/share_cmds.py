"""Sharing: merge a colleague's case, list the conflicts a merge left open."""

from pathlib import Path
from typing import Annotated

import typer

from osint.cli.common import get_env
from osint.cli.groups import export_app


def merge(
    ctx: typer.Context,
    other: Annotated[Path, typer.Argument(metavar="OTHER", help="The colleague's case file.")],
) -> None:
    """Bring a colleague's case into this one: records, files and history, with their authors."""
    from osint.cli.progress import working
    from osint.sharing.merge import merge as run_merge

    env = get_env(ctx)
    env.interrupt_note = "interrupted: nothing was merged, the case is unchanged"
    with env.case() as case, working(env, f"Merging {other.name}"):
        report = run_merge(case, other)
    if env.json:
        env.emit_json(report.as_dict())
        return
    if report.up_to_date:
        env.print(f"Already up to date: everything in {other} is in this case.")
        return
    env.print(
        f"Merged {other}: {report.entries} audit entries, {report.new_records} new records, "
        f"{report.updated_records} updated, {report.files} files"
        + "".join(f", {n} {name}" for name, n in report.bulk.items())
    )
    for conflict in report.conflicts:
        env.warn(
            f"conflict on {conflict['kind']} {conflict['id']} field {conflict['field']}: kept "
            f"{conflict['ours']!r}, theirs is {conflict['theirs']!r} (settle with osint edit)"
        )


def conflicts(ctx: typer.Context) -> None:
    """Fields that two colleagues changed differently and no edit has settled since the merge."""
    from osint.sharing.merge import open_conflicts

    env = get_env(ctx)
    with env.case() as case:
        rows = open_conflicts(case.conn)
    env.table(
        rows, ["id", "kind", "field", "ours", "theirs", "merged_at"], empty="no open conflicts"
    )


@export_app.command("case")
def export_case(
    ctx: typer.Context,
    output: Annotated[
        Path, typer.Option("-o", "--output", metavar="FILE", help="The copy to write.")
    ],
    redact: Annotated[
        list[str] | None,
        typer.Option(
            "--redact",
            metavar="ID",
            help="Leave out this record and everything that refers to it (repeatable).",
        ),
    ] = None,
    reason: Annotated[
        str | None,
        typer.Option(
            "--reason", metavar="TEXT", help="Why records are left out (kept in the copy's log)."
        ),
    ] = None,
) -> None:
    """A compact single-file copy of the case to send, optionally with protected records left out."""
    from osint.sharing.copy import export_copy

    env = get_env(ctx)
    with env.case() as case:
        summary = export_copy(case, output, redact=redact or [], reason=reason)
    if env.json:
        env.emit_json(summary)
        return
    env.print(f"Wrote {summary['path']} ({summary['size']:,} bytes); it verifies")
    if summary["redacted"]:
        kinds_text = ", ".join(f"{n} {k}" for k, n in summary["redacted_kinds"].items())
        env.print(
            f"Left out {summary['redacted']} records ({kinds_text}) and {summary['files_removed']} files"
        )


def serve(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option("--host", metavar="HOST", help="Address to listen on.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", metavar="PORT", help="Port to listen on.")] = 8001,
    open_browser: Annotated[bool, typer.Option("--open", help="Open it in a browser.")] = False,
) -> None:
    """Browse the case read-only in Datasette (needs the optional extra: osint[serve])."""
    from osint.sharing.serve import check_installed, exposure_warning
    from osint.sharing.serve import serve as run_serve

    env = get_env(ctx)
    check_installed()  # before saying "Serving"
    warning = exposure_warning(host)
    if warning:
        env.warn(warning)
    with env.case() as case:
        env.note(f"Serving {case.path} read-only at http://{host}:{port}/ (Ctrl-C to stop)")
        status = run_serve(case, host=host, port=port, open_browser=open_browser)
    raise typer.Exit(status)
