"""Commands over the case as a whole and over records of any kind."""

from pathlib import Path
from typing import Annotated

import typer

from osint.cli.common import get_env, parse_assignments
from osint.cli.groups import finding_app


def init(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(metavar="PATH", help="The new case file (e.g. case.db).")],
    title: Annotated[
        str | None, typer.Option("--title", metavar="TEXT", help="The case's title.")
    ] = None,
    summary: Annotated[
        str | None, typer.Option("--summary", metavar="TEXT", help="A short summary.")
    ] = None,
) -> None:
    """Create a new case file (never overwrites an existing file)."""
    from osint.case.handle import init_case

    env = get_env(ctx)
    with init_case(
        path,
        title=title,
        summary=summary,
        actor=env.actor,
        command=env.command_line(),
        signer=env.signer,
    ) as case:
        row = case.info()
    if env.json:
        env.emit_json(
            {"id": row["id"], "path": str(path), "title": row["title"], "summary": row["summary"]}
        )
    else:
        env.print(f"Created case {row['id']}  {row['title']}  ({path})")


def info(ctx: typer.Context) -> None:
    """Title, case id, schema version, counts per kind, file size, latest audit entry."""
    from osint.case.overview import case_overview

    env = get_env(ctx)
    with env.case() as case:
        overview = case_overview(case)
    if env.json:
        env.emit_json(overview)
        return
    latest = overview["latest_audit_entry"] or {}
    env.print(f"Case      {overview['title']}")
    env.print(f"Id        {overview['id']}")
    if overview.get("summary"):
        env.print(f"Summary   {overview['summary']}")
    env.print(f"File      {overview['path']} ({overview['file_size']:,} bytes)")
    env.print(f"Schema    version {overview['schema_version']}")
    env.print("Records   " + ", ".join(f"{n} {k}" for k, n in overview["counts"].items()))
    if overview["retracted"]:
        env.print(f"Retracted {overview['retracted']}")
    env.print(f"Stored    {overview['stored_files']} files, {overview['stored_bytes']:,} bytes")
    if latest:
        env.print(
            f"Latest    {latest['at']} {latest['actor']}: {latest['action']} "
            f"{latest.get('kind') or ''} {(latest.get('record_id') or '')[:8]}  ({latest['command']})"
        )
        env.print(f"Log head  {overview['audit_head']} ({overview['audit_entries']} entries)")
    _print_withheld(env, overview["withheld"])


def _print_withheld(env, withheld: dict) -> None:
    """A redacted copy says how much it withholds and who withheld it."""
    if not withheld["entries"]:
        return
    who = "; ".join(
        f"{item['records']} by {item['by']} on {item['at']}"
        + (f" ({item['reason']})" if item.get("reason") else "")
        for item in withheld["by"]
    )
    env.print(
        f"Withheld  {withheld['records']} records ({withheld['entries']} audit entries)"
        + (f": {who}" if who else "")
    )


@finding_app.command("add")
def finding_add(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(metavar="TEXT", help="The finding, in a sentence.")],
    supported_by: Annotated[
        list[str] | None,
        typer.Option(
            "--supported-by", metavar="ID", help="Evidence that supports it (repeatable)."
        ),
    ] = None,
    contradicted_by: Annotated[
        list[str] | None,
        typer.Option(
            "--contradicted-by", metavar="ID", help="Evidence that contradicts it (repeatable)."
        ),
    ] = None,
    note: Annotated[
        str | None, typer.Option("--note", metavar="TEXT", help="A note (method, caveats).")
    ] = None,
    confidence: Annotated[
        str | None,
        typer.Option(
            "--confidence",
            metavar="high|moderate|low",
            help="How sure you are, in analysts' words; shown in the brief's bottom line "
            "(change it with osint edit ID --set confidence=...).",
        ),
    ] = None,
) -> None:
    """Add a finding, linked to the records that support or contradict it."""
    from osint import sources

    env = get_env(ctx)
    with env.case() as case:
        finding, made = sources.add_finding(
            case,
            text,
            supported_by=supported_by or [],
            contradicted_by=contradicted_by or [],
            note=note,
            confidence=confidence,
        )
    env.record(
        "finding",
        finding,
        extra={
            "supported_by": [link["from_id"] for link in made if link["relation"] == "supports"],
            "contradicted_by": [
                link["from_id"] for link in made if link["relation"] == "contradicts"
            ],
        },
    )


def link(
    ctx: typer.Context,
    from_ref: Annotated[
        str, typer.Argument(metavar="FROM", help="Id (or prefix) of the linking record.")
    ],
    to_ref: Annotated[
        str, typer.Argument(metavar="TO", help="Id (or prefix) of the linked record.")
    ],
    relation: Annotated[
        str,
        typer.Option(
            "--as",
            metavar="RELATION",
            help="supports, contradicts, depicts, mentions, same-as or derived-from.",
        ),
    ],
    note: Annotated[
        str | None, typer.Option("--note", metavar="TEXT", help="Why they are linked.")
    ] = None,
) -> None:
    """Link two records with a typed relation.

    FROM supports, contradicts, depicts, mentions, is the same as, or is derived from TO.
    """
    from osint.case import records

    env = get_env(ctx)
    with env.case() as case:
        row = records.link(case, from_ref, to_ref, relation, note)
    env.record("link", row)


def edit(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(metavar="ID", help="The record to correct.")],
    assignments: Annotated[
        list[str],
        typer.Option(
            "--set", metavar="FIELD=VALUE", help="A field and its corrected value (repeatable)."
        ),
    ],
) -> None:
    """Correct fields of a record; old values stay in its history and the audit log."""
    from osint.case import records

    env = get_env(ctx)
    sets = parse_assignments(assignments)
    with env.case() as case:
        spec, row, changes = records.edit(case, ref, sets)
    if env.json:
        env.emit_json({**spec.to_json(row), "changes": changes})
        return
    if not changes:
        env.print(f"No change to {spec.name} {row['id']}: the values were already so")
        return
    env.print(f"Edited {spec.name} {row['id']}")
    for name, change in changes.items():
        env.print(f"  {name}: {change['old']!r} -> {change['new']!r}")


def retract(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(metavar="ID", help="The record to withdraw.")],
    reason: Annotated[str, typer.Option("--reason", metavar="TEXT", help="Why it is withdrawn.")],
) -> None:
    """Withdraw a record: it stays in the case and its history, but leaves lists and briefs."""
    from osint.case import records

    env = get_env(ctx)
    with env.case() as case:
        spec, row = records.retract(case, ref, reason)
    env.record(spec.name, row, verb="Retracted")


def list_records(
    ctx: typer.Context,
    kind: Annotated[
        str,
        typer.Argument(
            metavar="KIND", help="sources, quotes, images, vessels, places, sightings or findings."
        ),
    ],
    include_retracted: Annotated[
        bool, typer.Option("--all", help="Include retracted records.")
    ] = False,
    limit: Annotated[
        int,
        typer.Option(
            "--limit",
            metavar="N",
            help="Show at most N rows, 0 for all (people only; --json is always complete).",
        ),
    ] = 200,
) -> None:
    """List the records of one kind, oldest first."""
    from osint.case import kinds, records

    env = get_env(ctx)
    spec = kinds.get(kind)
    with env.case() as case, case.reading():
        rows = records.iter_records(case.conn, spec, include_retracted=include_retracted)
        if env.json:
            env.emit_json_array(spec.to_json(r, case.conn) for r in rows)
            return
        total = records.count(case.conn, spec, include_retracted=include_retracted)
        shown = []
        page = records.iter_records(
            case.conn, spec, include_retracted=include_retracted, limit=limit or None
        )
        retracted = set()
        for row in page:
            shown.append(spec.to_json(row, case.conn))
            if row.get("retracted_at"):
                retracted.add(row["id"])
        short = _name_references(env, case.conn, shown, spec.columns)
        for item in shown:
            full = item["id"]
            item["id"] = short.get(full, full) + (" (retracted)" if full in retracted else "")
    env.table(shown, spec.columns, empty=f"no {spec.plural}")
    if total > len(shown):
        env.note(f"({total - len(shown)} more; raise --limit, or use --json for all of them)")


def _name_references(env, conn, rows: list[dict], columns: list[str]) -> dict[str, str]:
    """For people: a column holding another record's id shows that record's label too.

    Returns the short form of every id shown (the unique prefix, or the whole id with --full-ids).
    """
    from osint import ids
    from osint.case import records
    from osint.case.shortids import unique_prefixes

    wanted = [
        row.get(column)
        for row in rows
        for column in columns
        if isinstance(row.get(column), str) and ids.looks_like_id_prefix(row.get(column))
    ]
    short = {} if env.full_ids else unique_prefixes(conn, wanted)
    cache: dict[str, str | None] = {}
    for row in rows:
        for column in columns:
            value = row.get(column)
            if column == "id" or not isinstance(value, str) or not ids.looks_like_id_prefix(value):
                continue
            if value not in cache:
                spec, other = records.find_any(conn, value)
                cache[value] = f"{spec.label(other)} ({short.get(value, value)})" if other else None
            if cache[value]:
                row[column] = cache[value]
    return short


def show(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(metavar="ID", help="Id, prefix or name.")],
    text: Annotated[
        bool,
        typer.Option(
            "--text",
            help="A source's (or snapshot's) extracted text, with its encoding and extractor.",
        ),
    ] = False,
) -> None:
    """One record with its links, its history and its provenance."""
    import re

    from osint.case.overview import describe
    from osint.errors import RecordNotFound

    env = get_env(ctx)
    if text:
        from osint.sources import snapshot_text_report

        with env.case() as case, case.reading():
            report = snapshot_text_report(case.conn, ref)
        if env.json:
            env.emit_json(report)
            return
        env.note(
            f"snapshot {report['snapshot']} ({report['content_type'] or report['media_type']}); "
            f"encoding: {report['text_encoding'] or 'none (not decoded from bytes)'}; "
            f"extractor: {report['text_extractor'] or 'none'}"
        )
        if report["text"] is None:
            env.warn("this snapshot has no extracted text")
        else:
            env.print(report["text"])
        return
    with env.case() as case, case.reading():
        try:
            described = describe(case.conn, ref)
        except RecordNotFound as exc:
            if not re.fullmatch(r"(S|Q|I|V|P|O|VQ|F|T|R)\d+", ref.strip()):
                raise
            raise RecordNotFound(
                f"{exc}: {ref.strip()} is a reference label of one exported brief, not a record id "
                f"(labels are numbered anew in each export); the brief prints the record's id "
                f"beside it (e.g. {ref.strip()} 3f2a9c1b): run osint show with that id"
            ) from None
    if env.json:
        env.emit_json(described)
        return
    _print_description(env, described)


def _print_description(env, described: dict) -> None:
    provenance_fields = ("added_by", "added_at", "added_via", "added_from", "osint_version")
    hidden = {"kind", "links", "history", "provenance", "details", *provenance_fields}
    env.print(f"{described['kind']} {described['id']}")
    if described.get("retracted_at"):
        env.print(
            f"  RETRACTED {described['retracted_at']} by {described['retracted_by']}: "
            f"{described['retracted_reason']}"
        )
    for name, value in described.items():
        if name in hidden or name == "id" or name.startswith("retracted") or value is None:
            continue
        env.print(f"  {name}: {value}")
    for title, items in (described.get("details") or {}).items():
        env.print(f"{title}:")
        for item in items:
            env.print(f"  {item}")
    if described.get("links"):
        env.print("links:")
        for link in described["links"]:
            arrow = (
                f"{link['relation']} ->" if link["direction"] == "out" else f"<- {link['relation']}"
            )
            retracted = " (retracted)" if link["other_retracted"] else ""
            env.print(
                f"  {arrow} {link['other_kind']} {link['other']}  {link['other_label'] or ''}{retracted}"
            )
    env.print("provenance:")
    for name in provenance_fields:
        env.print(f"  {name}: {described.get(name)}")
    env.print("history:")
    for entry in described["history"]:
        env.print(f"  {entry['at']} {entry['actor']} {entry['action']}  ({entry['command']})")
        for name, change in (entry.get("changes") or {}).items():
            env.print(f"      {name}: {change.get('old')!r} -> {change.get('new')!r}")


def search(
    ctx: typer.Context,
    query: Annotated[
        str,
        typer.Argument(
            metavar="QUERY", help="Words to find, each as typed (all must occur, in any order)."
        ),
    ],
    limit: Annotated[
        int, typer.Option("--limit", metavar="N", help="Show at most N results (people only).")
    ] = 50,
    fts: Annotated[
        bool,
        typer.Option(
            "--fts",
            help='Read QUERY as SQLite FTS5 syntax: "a phrase", AND/OR/NOT, NEAR(...), prefix*.',
        ),
    ] = False,
) -> None:
    """Full-text search over every kind of record, best matches first."""
    from osint.case.search import search as run_search

    env = get_env(ctx)
    with env.case() as case, case.reading():
        results = list(run_search(case.conn, query, None if env.json else limit + 1, fts=fts))
        env.shorten_ids(case.conn, results)
    if env.json:
        env.emit_json([{k: r[k] for k in ("id", "kind", "snippet")} for r in results])
        return
    more = len(results) > limit
    env.table(results[:limit], ["id", "kind", "snippet"], empty=f"nothing matches {query!r}")
    if more:
        env.note("(more results; raise --limit or use --json)")


def timeline(
    ctx: typer.Context,
    start: Annotated[
        str | None, typer.Option("--from", metavar="DATE", help="From this date or time.")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", metavar="DATE", help="Up to this date or time.")
    ] = None,
    limit: Annotated[
        int,
        typer.Option(
            "--limit",
            metavar="N",
            help="Show the first N, 0 for all (people only; --json is complete).",
        ),
    ] = 500,
) -> None:
    """Every dated record in time order."""
    from osint.case.timeline import timeline as run_timeline

    env = get_env(ctx)
    with env.case() as case, case.reading():
        items = run_timeline(case.conn, start, end)
        if env.json:
            env.emit_json_array(items)
            return
        rows, total = [], 0
        for item in items:
            total += 1
            if not limit or len(rows) < limit:
                rows.append(dict(item))
        env.shorten_ids(case.conn, rows)
    env.table(rows, ["when", "kind", "id", "summary"], empty="no dated records")
    if total > len(rows):
        env.note(
            f"({total - len(rows)} more; narrow with --from/--to, raise --limit, or use --json)"
        )


def log(
    ctx: typer.Context,
    ref: Annotated[
        str | None, typer.Argument(metavar="[ID]", help="Only the entries about this record.")
    ] = None,
    limit: Annotated[
        int,
        typer.Option(
            "--limit", metavar="N", help="Only the newest N entries, 0 for all (people only)."
        ),
    ] = 200,
    show_signature: Annotated[
        bool,
        typer.Option(
            "--show-signature",
            help="Each entry's SSH signature, checked (as `git log --show-signature` does).",
        ),
    ] = False,
) -> None:
    """The audit trail: every change to the case, who made it, when, with which command."""
    import collections

    from osint.case import records
    from osint.case.store import audit

    env = get_env(ctx)
    with env.case() as case, case.reading():
        record_id = records.resolve_id(case.conn, ref) if ref else None
        if show_signature:
            from osint.case.signatures import entry_signatures

            items = entry_signatures(case.conn, audit.entries(case.conn, record_id))
            if env.json:
                env.emit_json_array(items)
                return
            for item in items:
                env.print(
                    f"entry {item['seq']} {item['hash']} {item['at']} {item['actor']} "
                    f"{item['action']}: {item['status']}"
                )
                if item["signature"]:
                    env.print(item["signature"].rstrip())
            return
        if env.json:
            env.emit_json_array(e.as_dict() for e in audit.entries(case.conn, record_id))
            return
        total = 0
        newest: collections.deque = collections.deque(maxlen=limit or None)
        for entry in audit.entries(case.conn, record_id):
            total += 1
            newest.append(entry.as_dict())
        entries = list(newest)
        env.shorten_ids(case.conn, entries, ["record_id"])
    if total > len(entries):
        env.note(f"(the newest {len(entries)} of {total} entries; raise --limit or use --json)")
    rows = [
        {
            "seq": e["seq"],
            "at": e["at"],
            "actor": e["actor"],
            "action": e["action"],
            "record": f"{e['kind'] or ''} {e['record_id'] or ''}".strip(),
            "command": e["command"],
            "hash": e["hash"][:12],
        }
        for e in entries
    ]
    env.table(
        rows,
        ["seq", "at", "actor", "action", "record", "command", "hash"],
        empty="the log is empty",
    )


def verify(
    ctx: typer.Context,
    require_signatures: Annotated[
        bool,
        typer.Option(
            "--require-signatures",
            help="Fail on entries unsigned, signed by a key that is not an allowed signer, or "
            "whose investigator is not the name the key is allowed for.",
        ),
    ] = False,
    allowed_signers: Annotated[
        Path | None,
        typer.Option(
            "--allowed-signers",
            metavar="FILE",
            help="Trust the signers in this OpenSSH allowed_signers file (kept outside the case) "
            "instead of the case's own list.",
        ),
    ] = None,
) -> None:
    """Re-hash every stored file, check the audit chain and every verified quote (exit 1 on problems)."""
    from osint.case.verify import verify as run_verify
    from osint.cli.progress import working

    env = get_env(ctx)
    pinned = None
    if allowed_signers is not None:
        try:
            pinned = allowed_signers.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise typer.BadParameter(f"{allowed_signers}: cannot read it ({exc})") from None
    env.interrupt_note = "interrupted: verification stopped before the end; nothing was changed"
    with env.case() as case, working(env, "Verifying"):
        result = run_verify(
            case.conn, require_signatures=require_signatures, allowed_signers=pinned
        )
    if env.json:
        env.emit_json(result)
    else:
        for problem in result["problems"]:
            env.print_labelled(
                "PROBLEM", "problem", f"{problem['kind']} {problem['id']}: {problem['problem']}"
            )
        checked = result["checked"]
        summary = (
            f"{checked['audit_entries']} audit entries, {checked['stored_files']} stored files "
            f"({checked['stored_bytes']:,} bytes), {checked['verified_quotes']} verified quotes"
        )
        signatures = result.get("reports", {}).get("signatures")
        if signatures:
            for signer in signatures["signers"]:
                env.print(
                    f"Signed by {signer['signer'] or 'a key that is not an allowed signer'} "
                    f"({signer['fingerprint']}): {signer['entries']} entries, "
                    f"{signer['first']} to {signer['last']}"
                )
            others = [
                (signatures["unsigned"], "unsigned"),
                (signatures["signed_by_unknown_key"], "signed by a key that is not allowed"),
                (signatures["actor_not_signer"], "signed under another investigator's name"),
            ]
            for count, what in others:
                if count:
                    env.print(f"{count} {'entry' if count == 1 else 'entries'} {what}")
        if result["ok"]:
            env.print_labelled(
                "OK:", "ok", f"the case is intact ({summary}); log head {checked['head']}"
            )
        else:
            env.print_labelled(
                "FAILED:", "error", f"{len(result['problems'])} problems ({summary})"
            )
        _print_withheld(env, checked["withheld"])
    if not result["ok"]:
        raise typer.Exit(1)
