"""`osint lists import` and `osint screen`: sanctions lists and screening the case's vessels."""

from pathlib import Path
from typing import Annotated

import typer

from osint.cli.common import get_env
from osint.cli.groups import group

lists_app = group(
    "Sanctions and watch lists as published (OpenSanctions, OFAC SDN), kept as evidence.",
    ["import", "list"],
)


@lists_app.command("import")
def lists_import(
    ctx: typer.Context,
    files: Annotated[
        list[Path],
        typer.Argument(
            metavar="FILE...",
            help="entities.ftm.json, targets.nested.json, targets.simple.csv, SDN.XML, "
            "SDN_ADVANCED.XML, or OFAC's sdn.csv with alt.csv and add.csv (a folder: its lists); "
            "plain or .gz.",
        ),
    ],
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            metavar="LIST",
            help="The list's name; versions of one list share it (default: from the file).",
        ),
    ] = None,
    published: Annotated[
        str | None,
        typer.Option(
            "--published",
            metavar="DATE",
            help="The list's publication date, when the file does not state it (sdn.csv).",
        ),
    ] = None,
    locator: Annotated[
        str | None,
        typer.Option(
            "--locator",
            "--url",
            metavar="URL",
            help="Where the list was downloaded from (kept as the source's address; a local "
            "file is otherwise cited by its name).",
        ),
    ] = None,
    grade: Annotated[
        str | None,
        typer.Option("--grade", metavar="A-F", help="Admiralty source-reliability grade."),
    ] = None,
    note: Annotated[str | None, typer.Option("--note", metavar="TEXT", help="A note.")] = None,
) -> None:
    """Import a sanctions list file: stored as a source with its hash and publication date."""
    from osint.cli.progress import working
    from osint.errors import OsintError
    from osint.screening import lists

    env = get_env(ctx)
    results: list[dict] = []
    failed = []
    groups = lists.group_files(files)  # OFAC's sdn.csv, alt.csv and add.csv go together
    with env.case() as case:
        for group in groups:
            label = " + ".join(p.name for p in group)
            env.interrupt_note = (
                f"interrupted: {label} was not imported; the {len(results)} lists imported "
                "before it are kept (imported files are recognised when you run it again)"
                if results
                else "interrupted: nothing was imported, the case is unchanged"
            )
            try:
                with working(env, f"Importing {label}"):
                    result = lists.import_list(
                        case,
                        group,
                        name=name,
                        published=published,
                        locator=locator,
                        grade=grade,
                        note=note,
                    )
            except OsintError as error:
                if len(groups) == 1:
                    raise
                failed.append(group)
                env.error(str(error))
                continue
            results.append(result)
    for result in results:
        for warning in result["warnings"]:
            env.warn(warning)
        row = result["import"]
        if result["already"]:
            env.note(
                f"{row['filename']} (sha256 {row['sha256'][:12]}) was already imported on "
                f"{row['added_at']} by {row['added_by']} as {row['id']}: nothing added"
            )
    if env.json:
        from osint.case import kinds

        spec = kinds.get("list-import")
        items = [{**spec.to_json(r["import"]), "already_imported": r["already"]} for r in results]
        env.emit_json(items[0] if len(groups) == 1 else items)
        if failed:
            raise typer.Exit(1)
        return
    for result in results:
        row = result["import"]
        if result["already"]:
            continue
        env.print(
            f"Imported {row['list_name']} as published {row['published']} "
            f"({row['published_basis']}): {row['vessels']} vessels, {row['parties']} owners/"
            f"operators/managers, {row['relations']} links, {row['delisted']} delisted "
            f"of {row['entities_read']} entries read"
        )
        env.print(f"  list import {row['id']}  source {row['source']}  sha256 {row['sha256']}")
    if failed:
        raise typer.Exit(1)


@lists_app.command("list")
def lists_list(ctx: typer.Context) -> None:
    """The imported lists and their versions (the latest of each is screened by default)."""
    from osint.case import kinds, records

    env = get_env(ctx)
    spec = kinds.get("list-import")
    with env.case(readonly=True) as case:
        rows = list(records.iter_records(case.conn, spec, order_by="list_name, published"))
    env.table(
        [spec.to_json(r) for r in rows],
        ["id", "list", "published", "vessels", "parties", "delisted", "file"],
        json_rows=[spec.to_json(r) for r in rows],
        empty="no list imported yet: osint lists import FILE",
    )


def screen(
    ctx: typer.Context,
    vessels: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[VESSEL...]", help="Vessels by id, name, IMO or MMSI (default: every vessel)."
        ),
    ] = None,
    record: Annotated[
        bool,
        typer.Option(
            "--record",
            help="Record each result as a finding, supported by the list's source and "
            "mentioning the vessel.",
        ),
    ] = False,
    all_versions: Annotated[
        bool,
        typer.Option(
            "--all-versions", help="Screen every imported version of each list, not the latest."
        ),
    ] = False,
    threshold: Annotated[
        float,
        typer.Option(
            "--threshold", metavar="SCORE", help="Lowest score (0-1) reported as a match."
        ),
    ] = 0.8,
) -> None:
    """Match the case's vessels against every imported list: IMO, MMSI, names, aliases, former names."""
    from osint.screening import screen as screening

    env = get_env(ctx)
    with env.case(readonly=not record) as case:
        result = screening.screen(
            case.conn, vessels or [], all_versions=all_versions, threshold=threshold
        )
        recorded = screening.record(case, result["rows"], threshold=threshold) if record else []
    rows = result["rows"]
    if env.json:
        env.emit_json_array(rows)
    else:
        matches = [r for r in rows if r["found"]]
        shown = [
            {
                "name": r["name"],
                "list": f"{r['list']} {r['list_version']}",
                "listed_name": r["listed_name"],
                "grade": r.get("grade"),
                # A listed entry's status is the vessel's only when an identifier matched.
                "status": r["status"] if r.get("grade") == "identifier match" else "(name only)",
                "score": f"{r['score']:.2f}",
                "reason": r["reason"],
            }
            for r in matches
        ]
        if shown:
            env.table(shown, ["name", "list", "listed_name", "grade", "status", "score", "reason"])
        for row in rows:
            if not row["found"]:
                env.print(f"{row['name']}: {row['reason']}")
        lists = ", ".join(f"{x['list']} as of {x['list_version']}" for x in result["lists"])
        env.note(
            f"{result['vessels']} vessels screened against {lists}; "
            f"{len({r['vessel'] for r in matches})} with a match at score {threshold:.2f} or above"
        )
    if recorded:
        new = sum(1 for r in recorded if r["new"])
        env.note(
            f"Recorded {new} findings"
            + (f" ({len(recorded) - new} already recorded)" if len(recorded) > new else "")
        )
