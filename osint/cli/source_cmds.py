"""Commands for sources (with snapshots) and the quotes verified against them."""

from pathlib import Path
from typing import Annotated

import typer

from osint.cli.common import get_env
from osint.cli.groups import quote_app, source_app


@source_app.command("add")
def source_add(
    ctx: typer.Context,
    locator: Annotated[
        str,
        typer.Argument(
            metavar="LOCATOR", help="A URL or any reference (e.g. 'UN S/2024/215 para 42')."
        ),
    ],
    title: Annotated[
        str | None,
        typer.Option(
            "--title", metavar="TEXT", help="The source's title (with --capture: the page's)."
        ),
    ] = None,
    publisher: Annotated[
        str | None, typer.Option("--publisher", metavar="NAME", help="Who published it.")
    ] = None,
    author: Annotated[
        str | None, typer.Option("--author", metavar="NAME", help="Who wrote it.")
    ] = None,
    published: Annotated[
        str | None, typer.Option("--published", metavar="DATE", help="When it was published.")
    ] = None,
    snapshot: Annotated[
        Path | None,
        typer.Option(
            "--snapshot",
            metavar="FILE",
            help="A local copy (HTML, PDF, text, image) to archive in the case.",
        ),
    ] = None,
    retrieved: Annotated[
        str | None,
        typer.Option(
            "--retrieved",
            metavar="DATETIME",
            help="When the snapshot was retrieved (default: the file's modification time).",
        ),
    ] = None,
    grade: Annotated[
        str | None,
        typer.Option(
            "--grade", metavar="A-F", help="Admiralty source reliability, A (reliable) to F."
        ),
    ] = None,
    note: Annotated[
        str | None, typer.Option("--note", metavar="TEXT", help="A note about the source.")
    ] = None,
    capture: Annotated[
        bool, typer.Option("--capture", help="Fetch the URL now and archive the HTTP exchange.")
    ] = False,
    screenshot: Annotated[
        bool, typer.Option("--screenshot", help="With --capture: also a full-page PNG.")
    ] = False,
    password: Annotated[
        str | None,
        typer.Option(
            "--password",
            metavar="TEXT",
            help="With --snapshot: the password of an encrypted PDF, to read its text "
            "('-' asks for it).",
        ),
    ] = None,
) -> None:
    """Add a source, optionally archiving a local snapshot of it or capturing it from the web."""
    from osint import sources
    from osint.case import kinds
    from osint.timeutil import parse_when

    env = get_env(ctx)
    kinds.grade(grade, "--grade")  # refuse a bad grade before reading any file
    if capture or screenshot:
        from osint.cli import capture_cmds

        if not capture:
            raise typer.BadParameter("needs --capture", param_hint="--screenshot")
        if snapshot is not None:
            raise typer.BadParameter("give --snapshot FILE or --capture, not both")
        from osint.capture import require_url

        require_url(locator)
        with env.case() as case:
            data = capture_cmds.capture_one(
                env, case, locator, screenshot=screenshot, title=title, publisher=publisher,
                author=author, published=published, grade=grade, note=note,
            )  # fmt: skip
        if env.json:
            env.emit_json(data)
        return
    if not title:
        raise typer.BadParameter(
            "is required (unless --capture reads the page's)", param_hint="--title"
        )
    prepared = None
    if password is not None and snapshot is None:
        raise typer.BadParameter("needs --snapshot FILE", param_hint="--password")
    if password == "-":
        password = typer.prompt("PDF password", hide_input=True, err=True)
    if snapshot is not None:
        prepared = sources.prepare_snapshot(
            snapshot, parse_when(retrieved, "--retrieved") if retrieved else None, password=password
        )
    with env.case() as case:
        row = sources.add_source(
            case,
            locator,
            title=title,
            publisher=publisher,
            author=author,
            published=published,
            grade=grade,
            note=note,
            snapshot=prepared,
        )
    for warning in prepared.warnings if prepared else ():
        env.warn(warning)
    env.record("source", row)


@source_app.command("export")
def source_export(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(metavar="ID", help="A source (or snapshot) id.")],
    output: Annotated[
        Path, typer.Option("-o", "--output", metavar="FILE", help="Where to write it.")
    ],
    capture: Annotated[
        int | None,
        typer.Option(
            "--capture",
            metavar="N",
            help="The source's Nth snapshot, 1 = the oldest (default: its current one).",
            min=1,
        ),
    ] = None,
    payload: Annotated[
        bool,
        typer.Option(
            "--payload",
            help="For a web capture: the captured document (HTML, PDF) instead of its WARC.",
        ),
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite FILE if it exists.")] = False,
) -> None:
    """Write a snapshot's bytes out, byte-identical (checked against their SHA-256)."""
    from osint import sources

    env = get_env(ctx)
    with env.case() as case:
        done = sources.export_snapshot(
            case, source, output, capture=capture, payload=payload, force=force
        )
    if env.json:
        env.emit_json(done)
        return
    env.print(
        f"Wrote snapshot {done['snapshot']} of source {done['source']} to {output} "
        f"({done['size']:,} bytes, {done['what'] or 'unknown type'}, sha256 {done['sha256']})"
    )


@quote_app.command("add")
def quote_add(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(metavar="TEXT", help="The quote, verbatim.")],
    speaker: Annotated[str, typer.Option("--speaker", metavar="NAME", help="Who said it.")],
    source: Annotated[
        str, typer.Option("--source", metavar="ID", help="The source it is quoted from.")
    ],
    role: Annotated[
        str | None, typer.Option("--role", metavar="TEXT", help="The speaker's role or title.")
    ] = None,
    said: Annotated[
        str | None, typer.Option("--said", metavar="DATE", help="When it was said.")
    ] = None,
    credibility: Annotated[
        str | None,
        typer.Option(
            "--credibility", metavar="1-6", help="Admiralty information credibility, 1 to 6."
        ),
    ] = None,
    note: Annotated[str | None, typer.Option("--note", metavar="TEXT", help="A note.")] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Record it (unverified) even if it is not in the source's text."
        ),
    ] = False,
) -> None:
    """Add a verbatim quote, verified against the source's text snapshot."""
    from osint import sources

    env = get_env(ctx)
    with env.case() as case:
        row = sources.add_quote(
            case,
            text,
            speaker=speaker,
            source_ref=source,
            role=role,
            said=said,
            credibility=credibility,
            note=note,
            force=force,
        )
    if not row["verified"] and not env.json:
        env.warn(
            f"quote {row['id'][:8]} is recorded UNVERIFIED (not checked against a text snapshot)"
        )
    env.record("quote", row)


@quote_app.command("extract")
def quote_extract(
    ctx: typer.Context,
    source: Annotated[
        str, typer.Argument(metavar="SOURCE", help="The source whose snapshot to read.")
    ],
    add: Annotated[
        bool, typer.Option("--add", help="Record the quotations found as quotes.")
    ] = False,
    min_words: Annotated[
        int, typer.Option("--min-words", metavar="N", help="Ignore quotations shorter than this.")
    ] = 4,
) -> None:
    """List the quotations in a source's text snapshot, each with a guessed speaker."""
    from osint import sources

    env = get_env(ctx)
    with env.case() as case:
        found = sources.extract_quotes(case, source, add=add, min_words=min_words)
    rows = [
        {
            **item,
            "status": "added " + item["added"][:8]
            if item.get("added")
            else ("recorded " + item["existing"][:8] if item.get("existing") else ""),
        }
        for item in found
    ]
    env.table(
        rows,
        ["speaker", "text", "start", "end", "status"],
        json_rows=found,
        empty="no quotations found",
    )
    if add and not env.json:
        added = sum(1 for item in found if item.get("added"))
        env.note(
            f"{added} quotes added (speakers are guesses: check them with osint show / osint edit)"
        )
