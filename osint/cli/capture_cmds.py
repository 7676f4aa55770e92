"""Commands for capturing web pages as evidence, web archives, and trusted timestamps.

`osint capture URL...`, `osint source import FILE`, `osint source diff ID`, `osint timestamp`,
`osint export warc|wacz|timestamps`; `osint source add URL --capture` calls `capture_one` here.
"""

from pathlib import Path
from typing import Annotated

import typer

from osint.cli.common import get_env
from osint.cli.groups import export_app, source_app
from osint.formats import size

TimeoutOption = Annotated[
    float,
    typer.Option(
        "--timeout", metavar="SECONDS", help="Give up on a server silent for this long.", min=1
    ),
]
CaptureTimeoutOption = Annotated[
    float,
    typer.Option(
        "--timeout",
        metavar="SECONDS",
        help="Give up on a page not received within this time (a deadline for the whole "
        "exchange, redirects included).",
        min=1,
    ),
]
MaxSizeOption = Annotated[
    float,
    typer.Option("--max-size", metavar="MB", help="Refuse responses larger than this.", min=0.001),
]


def _report(env, cap, outcome) -> dict:
    """Print one capture for people (stderr notes, stdout line) and return its JSON object."""
    from osint.capture import capture_columns
    from osint.case import kinds

    snapshot = outcome.snapshot
    data = {
        **kinds.get("source").to_json(outcome.source),
        "new_source": outcome.created,
        "capture": {"snapshot": snapshot["id"], **capture_columns(snapshot)},
        "flag": cap.flag,
        "screenshot": outcome.screenshot,
        "warnings": cap.warnings + ([cap.screenshot_error] if cap.screenshot_error else []),
    }
    if env.json:
        return data
    hops = cap.result.hops
    what = "new source" if outcome.created else "new capture of source"
    env.print(
        f"Captured {cap.url} -> {what} {outcome.source['id']}  "
        f"HTTP {cap.status}, {cap.extracted.media_type or '?'}, WARC {size(snapshot['size'])}, "
        f"text {snapshot.get('text_chars') or 0:,} characters"
    )
    if len(hops) > 1:
        chain = " -> ".join(f"{h.status} {h.url}" for h in hops)
        env.note(f"  redirects: {chain}")
    if outcome.screenshot:
        env.note(f"  screenshot: PNG {size(outcome.screenshot['size'])}")
    if cap.flag:
        env.warn(f"{cap.url}: {cap.flag} (captured as it is)")
    for warning in data["warnings"]:
        env.warn(warning)
    return data


def capture_one(
    env,
    case,
    url: str,
    *,
    screenshot: bool = False,
    timeout: float | None = None,
    max_size_mb: float | None = None,
    insecure: bool = False,
    user_agent: str | None = None,
    **fields,
) -> dict:
    """Capture one URL into the open case and report it (used by `capture` and `source add`)."""
    from osint import capture

    cap = capture.capture(
        url,
        user_agent=user_agent,
        timeout=timeout or capture.DEFAULT_TIMEOUT,
        max_bytes=int((max_size_mb * 1024 * 1024) if max_size_mb else capture.DEFAULT_MAX_BYTES),
        insecure=insecure,
        screenshot=screenshot,
    )
    outcome = capture.add_capture(case, cap, **fields)
    if not outcome.created and not env.json and any(fields.get(k) for k in fields):
        env.warn(
            f"source {outcome.source['id'][:8]} already holds this URL: the capture was added to "
            "it and the other options were not applied (use osint edit)"
        )
    return _report(env, cap, outcome)


def capture_urls(
    ctx: typer.Context,
    urls: Annotated[list[str], typer.Argument(metavar="URL", help="Web addresses to capture.")],
    screenshot: Annotated[
        bool, typer.Option("--screenshot", help="Also keep a full-page PNG (headless Chromium).")
    ] = False,
    grade: Annotated[
        str | None,
        typer.Option("--grade", metavar="A-F", help="Admiralty reliability for new sources."),
    ] = None,
    timeout: CaptureTimeoutOption = 30.0,
    max_size: MaxSizeOption = 100.0,
    insecure: Annotated[
        bool,
        typer.Option(
            "--insecure",
            help="Capture even when the TLS certificate is not trusted (recorded as unverified).",
        ),
    ] = False,
    user_agent: Annotated[
        str | None, typer.Option("--user-agent", metavar="UA", help="The User-Agent to send.")
    ] = None,
) -> None:
    """Capture web pages into the case (raw HTTP exchange as WARC, text, hashes); a URL captured
    again becomes a new dated capture of the same source."""
    from osint.capture import require_url
    from osint.case import kinds
    from osint.errors import OsintError

    env = get_env(ctx)
    kinds.grade(grade, "--grade")
    for url in urls:
        require_url(url)
    results, failed = [], 0
    with env.case() as case:
        for url in urls:
            try:
                results.append(
                    capture_one(
                        env,
                        case,
                        url,
                        screenshot=screenshot,
                        timeout=timeout,
                        max_size_mb=max_size,
                        insecure=insecure,
                        user_agent=user_agent,
                        grade=grade,
                    )
                )
            except OsintError as error:
                failed += 1
                env.note(f"Error: {' '.join(str(error).split())}")
                results.append({"url": url, "error": " ".join(str(error).split())})
    if env.json:
        env.emit_json(results)
    if failed:
        if not env.json and len(urls) > 1:
            env.note(f"{failed} of {len(urls)} URLs could not be captured")
        raise typer.Exit(1)


@source_app.command("import")
def source_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A .warc, .warc.gz or .wacz file.")],
) -> None:
    """Import the pages of a web archive (WARC or WACZ) as sources with their snapshots."""
    from osint.capture import archive_import

    env = get_env(ctx)
    with env.case() as case:
        parsed = archive_import.read_archive(file)  # read and checked before anything is written
        rows = archive_import.import_archive(case, parsed)
    if not env.json:
        for check in parsed.checks:
            env.note(f"checked: {check}")
        if parsed.signature:
            sig = parsed.signature
            state = {True: "valid", False: "INVALID", None: "not checked"}[sig.get("valid")]
            if sig.get("trusted") is False and sig.get("valid") is None:
                state = "not trusted"
            env.note(
                f"signature: {state}, signed by {sig.get('signer') or 'unknown'}"
                + (
                    f" ({sig.get('reason') or sig.get('note')})"
                    if sig.get("reason") or sig.get("note")
                    else ""
                )
            )
        elif parsed.kind == "wacz":
            env.note("signature: the package is not signed")
        for warning in parsed.warnings:
            env.warn(warning)
    out = {
        "archive": str(file),
        "sha256": parsed.sha256,
        "format": parsed.kind,
        "checks": parsed.checks,
        "signature": parsed.signature,
        "warnings": parsed.warnings,
        "pages": rows,
    }
    if env.json:
        env.emit_json(out)
        return
    env.table(rows, ["source", "result", "status", "retrieved_at", "url"])
    env.note(f"{len(rows)} pages imported from {file.name} (sha256 {parsed.sha256[:16]})")


@source_app.command("diff")
def source_diff(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(metavar="ID", help="The source.")],
    from_ref: Annotated[
        str | None, typer.Option("--from", metavar="SNAPSHOT", help="Compare from this capture.")
    ] = None,
    to_ref: Annotated[
        str | None, typer.Option("--to", metavar="SNAPSHOT", help="Compare to this capture.")
    ] = None,
    context: Annotated[
        int, typer.Option("--context", metavar="N", help="Lines of context.", min=0)
    ] = 2,
) -> None:
    """What changed in a source's text between its captures."""
    from osint.capture.diff import diff_source

    env = get_env(ctx)
    with env.case(readonly=True) as case:
        pairs = diff_source(case.conn, source, from_ref=from_ref, to_ref=to_ref, context=context)
    if env.json:
        env.emit_json(pairs)
        return
    for pair in pairs:
        old, new = pair["from"], pair["to"]
        env.print(
            f"--- {old['retrieved_at']}  snapshot {old['snapshot'][:8]}  HTTP {old['http_status']}"
        )
        env.print(
            f"+++ {new['retrieved_at']}  snapshot {new['snapshot'][:8]}  HTTP {new['http_status']}"
        )
        if pair["status_change"]:
            env.print(f"status changed: {pair['status_change']}")
        if not pair["changed"]:
            env.print("(text unchanged)")
        else:
            env.print(f"({pair['added']} lines added, {pair['removed']} removed)")
            for line in pair["diff"]:
                env.print(line)
        env.print()


def timestamp(
    ctx: typer.Context,
    tsa: Annotated[
        str | None,
        typer.Option(
            "--tsa",
            metavar="URL",
            help="The time-stamping authority (default: $OSINT_TSA or DigiCert's).",
        ),
    ] = None,
    ca: Annotated[
        Path | None,
        typer.Option("--ca", metavar="FILE", help="PEM certificates to trust for this authority."),
    ] = None,
    timeout: TimeoutOption = 30.0,
) -> None:
    """Get an RFC 3161 trusted timestamp of the audit log's head (online); verify checks it."""
    from osint.capture import timestamp as ts

    env = get_env(ctx)
    with env.case() as case:
        stamped = ts.request_timestamp(case.conn, tsa=tsa, ca_file=ca, timeout=timeout)
        row = ts.store_timestamp(case, stamped)
    if not env.json:
        env.note(
            f"audit head {row['head']} stamped at {row['gen_time']} by {row['signer'] or row['tsa']}"
        )
        env.note(
            f"TSA {row.get('tsa_name') or row['tsa']}; root {row.get('root')} "
            f"sha256 {row.get('root_sha256')} ({row.get('trusted_by') or 'not trusted'})"
        )
    env.record("timestamp", row)


@export_app.command("warc")
def export_warc(
    ctx: typer.Context,
    output: Annotated[
        Path,
        typer.Option("-o", "--output", metavar="FILE", help="The .warc.gz (or .warc) to write."),
    ],
) -> None:
    """Every capture in the case as one WARC file."""
    from osint.capture import archive_export

    env = get_env(ctx)
    with env.case(readonly=True) as case:
        done = archive_export.export_warc(case.conn, output)
    if env.json:
        env.emit_json(done)
    else:
        env.note(f"{done['captures']} captures written to {output} ({size(done['bytes'])})")


@export_app.command("wacz")
def export_wacz(
    ctx: typer.Context,
    output: Annotated[
        Path, typer.Option("-o", "--output", metavar="FILE", help="The .wacz to write.")
    ],
) -> None:
    """Every capture in the case as a WACZ package (ReplayWeb.page opens it)."""
    from osint.capture import archive_export

    env = get_env(ctx)
    with env.case(readonly=True) as case:
        done = archive_export.export_wacz(case.conn, output, title=case.info().get("title"))
    if env.json:
        env.emit_json(done)
    else:
        env.note(f"{done['pages']} pages written to {output} ({size(done['bytes'])})")


@export_app.command("timestamps")
def export_timestamps(
    ctx: typer.Context,
    output: Annotated[
        Path, typer.Option("-o", "--output", metavar="DIR", help="The folder to write into.")
    ],
) -> None:
    """Each trusted timestamp as reply (.tsr) and chain (.pem), for `openssl ts -verify`."""
    from osint.capture import timestamp as ts
    from osint.case import records

    env = get_env(ctx)
    with env.case(readonly=True) as case:
        rows = [
            ts.export_token(case.conn, row, output)
            for row in records.iter_records(case.conn, "timestamp")
        ]
    if env.json:
        env.emit_json(rows)
        return
    if not rows:
        env.note("the case has no timestamps (osint timestamp)")
    for row in rows:
        env.print(row["openssl"])
