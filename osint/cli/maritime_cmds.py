"""Commands for vessels, places, sightings, AIS tracks, port visits and the GIS/CSV exports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from osint.cli.common import get_env
from osint.cli.groups import export_app, group
from osint.errors import InvalidInput

vessel_app = group(
    "Vessels: identifiers checked (IMO check digit, MMSI form and flag), names over time.",
    ["add", "name", "rename"],
)
place_app = group("Named places with a radius (terminals, anchorages).", ["add"])
sighting_app = group("Observations of a vessel at a time and place.", ["add"])
ais_app = group(
    "AIS position reports: import files, find gaps, encounters, loitering, dark activity and "
    "anomalies.",
    ["import", "gaps", "dark", "encounters", "loitering", "anomalies"],
)

FromOpt = Annotated[
    str | None, typer.Option("--from", metavar="DATE", help="From this date or time (UTC).")
]
ToOpt = Annotated[
    str | None, typer.Option("--to", metavar="DATE", help="Up to this date or time (UTC).")
]


# ---- vessels ----------------------------------------------------------------------------------


def vessel_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The vessel's current name.")],
    imo: Annotated[
        str | None, typer.Option("--imo", metavar="N", help="IMO number (check digit verified).")
    ] = None,
    mmsi: Annotated[
        str | None, typer.Option("--mmsi", metavar="N", help="MMSI (9 digits; gives the flag).")
    ] = None,
    flag: Annotated[
        str | None, typer.Option("--flag", metavar="CC", help="Flag state, ISO code (KP, RU).")
    ] = None,
    call_sign: Annotated[
        str | None, typer.Option("--call-sign", metavar="S", help="Radio call sign.")
    ] = None,
    vessel_type: Annotated[
        str | None, typer.Option("--type", metavar="T", help="e.g. oil tanker.")
    ] = None,
    alias: Annotated[
        list[str] | None, typer.Option("--alias", metavar="NAME", help="Another name (repeatable).")
    ] = None,
    former: Annotated[
        list[str] | None,
        typer.Option(
            "--former",
            metavar="NAME",
            help="A former name (repeatable; add dates with `osint vessel name`).",
        ),
    ] = None,
    capacity_bbl: Annotated[
        str | None,
        typer.Option("--capacity-bbl", metavar="N", help="Cargo capacity in barrels."),
    ] = None,
    source: Annotated[
        str | None, typer.Option("--source", metavar="ID", help="Where the identity comes from.")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", metavar="TEXT", help="A note.")] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Record invalid identifiers anyway, flagged as unverified."),
    ] = False,
) -> None:
    """Add a vessel; IMO and MMSI are checked, the flag follows the MMSI's MID unless given."""
    from osint.maritime import vessels

    env = get_env(ctx)
    with env.case() as case:
        row, warnings = vessels.add_vessel(
            case,
            name,
            imo=imo,
            mmsi=mmsi,
            flag=flag,
            call_sign=call_sign,
            vessel_type=vessel_type,
            capacity_bbl=capacity_bbl,
            aliases=alias or [],
            former=[(n, None, None) for n in former or []],
            note=note,
            source=source,
            force=force,
        )
        extra = vessels.vessel_json_extra(case.conn, row)
    for warning in warnings:
        env.warn(warning)
    env.record("vessel", row, extra=extra)


def vessel_name(
    ctx: typer.Context,
    vessel: Annotated[str, typer.Argument(metavar="VESSEL", help="Id, name, IMO or MMSI.")],
    name: Annotated[str, typer.Argument(help="The other name.")],
    name_type: Annotated[
        str, typer.Option("--type", metavar="TYPE", help="alias, former or ais.")
    ] = "alias",
    valid_from: Annotated[
        str | None, typer.Option("--from", metavar="DATE", help="Used from this date.")
    ] = None,
    valid_to: Annotated[
        str | None, typer.Option("--to", metavar="DATE", help="Used until this date.")
    ] = None,
    source: Annotated[
        str | None, typer.Option("--source", metavar="ID", help="The source saying so.")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", metavar="TEXT", help="A note.")] = None,
) -> None:
    """Record another name of a vessel (alias, former name with dates, AIS name)."""
    from osint.maritime import vessels

    env = get_env(ctx)
    with env.case() as case:
        row = vessels.add_name(
            case,
            vessel,
            name,
            name_type,
            valid_from=valid_from,
            valid_to=valid_to,
            source=source,
            note=note,
        )
    env.record("vessel-name", row)


def vessel_rename(
    ctx: typer.Context,
    vessel: Annotated[str, typer.Argument(metavar="VESSEL", help="Id, name, IMO or MMSI.")],
    new_name: Annotated[str, typer.Argument(metavar="NEW_NAME")],
    on: Annotated[
        str | None, typer.Option("--on", metavar="DATE", help="When the new name was taken.")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", metavar="DATE", help="When the old name was taken.")
    ] = None,
    source: Annotated[
        str | None, typer.Option("--source", metavar="ID", help="The source saying so.")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", metavar="TEXT", help="A note.")] = None,
) -> None:
    """The vessel sails under a new name; the current one is kept as a dated former name."""
    from osint.maritime import vessels

    env = get_env(ctx)
    with env.case() as case:
        row, former = vessels.rename(
            case, vessel, new_name, on=on, since=since, source=source, note=note
        )
        extra = vessels.vessel_json_extra(case.conn, row)
    env.record("vessel", row, extra=extra, verb="Renamed")


# ---- places and sightings ---------------------------------------------------------------------


def place_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The place's name (places are found by it).")],
    at: Annotated[
        str, typer.Option("--at", metavar="LAT,LON", help="Centre, decimal degrees (WGS 84).")
    ],
    radius_m: Annotated[
        float | None,
        typer.Option("--radius-m", metavar="M", help="Radius in metres (default 1000)."),
    ] = None,
    place_type: Annotated[
        str | None, typer.Option("--type", metavar="T", help="terminal, anchorage, ...")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", metavar="TEXT", help="A note.")] = None,
    alias: Annotated[
        list[str] | None,
        typer.Option("--alias", metavar="NAME", help="Another name it is found by (repeatable)."),
    ] = None,
) -> None:
    """Add a named place: a point and a radius."""
    from osint.maritime import places

    env = get_env(ctx)
    with env.case() as case:
        row = places.add_place(
            case, name, at, radius_m=radius_m, place_type=place_type, note=note, aliases=alias
        )
    env.record("place", row)


def sighting_add(
    ctx: typer.Context,
    vessel: Annotated[str, typer.Argument(metavar="VESSEL", help="Id, name, alias, IMO or MMSI.")],
    when: Annotated[
        str, typer.Option("--when", metavar="DATETIME", help="When (UTC; a date is fine).")
    ],
    place: Annotated[
        str | None, typer.Option("--place", metavar="PLACE", help="Where, a recorded place.")
    ] = None,
    at: Annotated[
        str | None, typer.Option("--at", metavar="LAT,LON", help="Where, decimal degrees.")
    ] = None,
    image: Annotated[
        str | None, typer.Option("--image", metavar="ID", help="The image showing it.")
    ] = None,
    source: Annotated[
        str | None, typer.Option("--source", metavar="ID", help="The source reporting it.")
    ] = None,
    activity: Annotated[
        str | None,
        typer.Option(
            "--activity",
            metavar="A",
            help="arriving, berthed, loading, unloading, departing, anchored, underway, "
            "ship-to-ship transfer, AIS dark.",
        ),
    ] = None,
    confidence: Annotated[
        str | None,
        typer.Option(
            "--confidence", metavar="low|medium|high", help="How sure the observation is."
        ),
    ] = None,
    note: Annotated[str | None, typer.Option("--note", metavar="TEXT", help="A note.")] = None,
) -> None:
    """Record one observation of a vessel."""
    from osint.maritime import sightings

    env = get_env(ctx)
    if place is None and at is None:
        raise typer.BadParameter("give --place PLACE or --at LAT,LON", param_hint="--place/--at")
    with env.case() as case:
        row = sightings.add_sighting(
            case,
            vessel,
            when=when,
            place=place,
            at=at,
            image=image,
            source=source,
            activity=activity,
            confidence=confidence,
            note=note,
        )
    env.record("sighting", row)


# ---- AIS --------------------------------------------------------------------------------------


def ais_import(
    ctx: typer.Context,
    paths: Annotated[
        list[str],
        typer.Argument(
            metavar="FILE|DIR|GLOB...",
            help="CSV or NMEA, plain or .gz/.zip/.zst/.bz2/.xz, as downloaded (read, never "
            "unpacked); several files, folders (searched recursively) or globs ('AIS_2024_*.zip') "
            "are imported one transaction per file, files already imported with the same filters "
            "skipped.",
        ),
    ],
    layout: Annotated[
        str | None,
        typer.Option(
            "--format",
            metavar="F",
            help="Force a layout: marinecadastre, marinecadastre-2025, dma, nmea, csv "
            "(default: detected from the header).",
        ),
    ] = None,
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map", metavar="OLD=NEW", help="Column OLD holds field NEW (e.g. ts=BaseDateTime)."
        ),
    ] = None,
    bbox: Annotated[
        str | None, typer.Option("--bbox", metavar="S,W,N,E", help="Keep rows inside this box.")
    ] = None,
    near: Annotated[
        str | None,
        typer.Option("--near", metavar="PLACE", help="Keep rows within the place's radius."),
    ] = None,
    radius_km: Annotated[
        float | None, typer.Option("--radius-km", metavar="K", help="Radius for --near.")
    ] = None,
    start: FromOpt = None,
    end: ToOpt = None,
    mmsi: Annotated[
        list[str] | None,
        typer.Option("--mmsi", metavar="N", help="Keep only this MMSI (repeatable)."),
    ] = None,
    vessel: Annotated[
        list[str] | None,
        typer.Option("--vessel", metavar="V", help="Keep only this vessel's MMSIs (repeatable)."),
    ] = None,
    keep_file: Annotated[
        bool, typer.Option("--keep-file", help="Also store the original file inside the case.")
    ] = False,
    note: Annotated[str | None, typer.Option("--note", metavar="TEXT", help="A note.")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            metavar="N",
            min=1,
            help="Processes scanning files at once (default: every core); one writes the case.",
        ),
    ] = None,
    dask: Annotated[
        str | None,
        typer.Option(
            "--dask",
            metavar="tcp://HOST:PORT",
            help="Scan on this Dask cluster's workers (osint[dask]); they must reach the files.",
        ),
    ] = None,
) -> None:
    """Import AIS position reports (MarineCadastre, Danish Maritime Authority, NMEA, CSV).

    Every row is counted: kept, duplicate, invalid (with line numbers), not a vessel, no
    position, or filtered out (per filter).

    Several files, a folder or a glob (or --workers / --dask): each file is scanned in parallel
    and imported in its own transaction, files already imported with the same filters are
    skipped; --json prints one object per file with its `status` (imported, skipped, rejected).
    """
    from osint.maritime.ais import importer

    env = get_env(ctx)
    options = importer.ImportOptions(
        layout=layout,
        mapping=importer.parse_mapping(mapping),
        bbox=importer.parse_bbox(bbox) if bbox else None,
        near=near,
        radius_km=radius_km,
        start=start,
        end=end,
        mmsis=mmsi or [],
        vessels=vessel or [],
        keep_file=keep_file,
        note=note,
    )
    from osint.cli.progress import file_progress

    _speed_note(env, paths)
    single = Path(paths[0]) if len(paths) == 1 else None
    if single is None or not single.is_file() or dask or workers:
        _ais_import_many(env, paths, options, workers, dask)
        return
    path = single
    env.interrupt_note = "interrupted: nothing was imported, the case is unchanged"
    total = path.stat().st_size if path.is_file() else 0
    with file_progress(env, f"AIS {path.name}", total) as watch, env.case() as case:
        options.watch = watch
        summary = importer.import_file(case, path, options)
    row = summary["import"]
    extra = {
        "invalid_sample": summary["invalid_sample"],
        "invalid_reasons": summary["invalid_reasons"],
        "not_vessel": summary["not_vessel"],
        "no_position": summary["no_position"],
        "duplicates": summary["duplicates"],
        "filtered": (summary["filters"] or {}).get("removed", {}),
        "warnings": summary["warnings"],
        "tracks": [t["id"] for t in summary["tracks"]],
        "vessels_created": [
            {"id": v["id"], "name": v["name"], "mmsi": v["mmsi"]}
            for v in summary["vessels_created"]
        ],
        "earlier_imports": [e["id"] for e in summary["earlier_imports"]],
    }
    if row["rows_invalid"]:
        env.warn(
            f"{row['rows_invalid']:,} invalid rows ("
            + ", ".join(f"{n:,} {k}" for k, n in summary["invalid_reasons"].items())
            + "), first: "
            + "; ".join(summary["invalid_sample"][:5])
        )
    for warning in summary["warnings"]:
        env.warn(warning)
    if env.json:
        env.record("ais-import", row, extra=extra)
        return
    env.print(
        f"Imported {row['filename']} (sha256 {row['sha256'][:16]}, {row['layout']}): "
        f"{row['rows_read']:,} rows read, {row['rows_kept']:,} kept, "
        f"{row['rows_duplicate']:,} duplicate, {row['rows_invalid']:,} invalid, "
        f"{row['rows_not_vessel']:,} not vessels, {row['rows_no_position'] or 0:,} without "
        f"position, {row['rows_filtered']:,} filtered out"
    )

    def breakdown(counts: dict) -> str:
        return ", ".join(f"{n:,} {k}" for k, n in sorted(counts.items(), key=lambda x: -x[1]))

    removed = extra["filtered"]
    if removed:
        env.print(
            f"  filtered out: {breakdown({_FILTER_NAMES.get(k, k): n for k, n in removed.items()})}"
        )
    if any(summary["duplicates"].values()):
        env.print(f"  duplicate: {breakdown(summary['duplicates'])}")
    if summary["not_vessel"]:
        env.print(f"  not vessels: {breakdown(summary['not_vessel'])}")
    if summary["no_position"]:
        env.print(f"  without position: {breakdown(summary['no_position'])}")
    env.print(
        f"  {len(summary['tracks'])} tracks, {len(summary['vessels_created'])} vessels created; "
        f"import {row['id']}"
    )
    area = summary["details"].get("area")
    if area:
        env.print(
            f"  positions {row['first_time']} .. {row['last_time']}, within "
            f"{_degrees(area['south'], 'N', 'S')}..{_degrees(area['north'], 'N', 'S')}, "
            f"{_degrees(area['west'], 'E', 'W')}..{_degrees(area['east'], 'E', 'W')}"
        )
    if summary["earlier_imports"] and not row["rows_kept"]:
        env.note(
            f"this file was imported before ({summary['earlier_imports'][0]['id'][:8]} on "
            f"{summary['earlier_imports'][0]['added_at']}): nothing new was added"
        )
    for vessel_row in summary["vessels_created"][:10]:
        env.note(
            f"  new vessel {vessel_row['id'][:8]} {vessel_row['name']} (MMSI {vessel_row['mmsi']})"
        )
    if len(summary["vessels_created"]) > 10:
        env.note(f"  ... and {len(summary['vessels_created']) - 10} more vessels")


# Input at least this large (bytes as stored) is worth a note when the speed-up extra is missing.
SPEED_NOTE_BYTES = 100_000_000


def _speed_note(env, paths) -> None:
    """One line on stderr when large input will be read without the ais-fast extra."""
    from osint import features
    from osint.maritime.ais import batch

    missing = features.missing_speedups(features.MARITIME)
    if not missing:
        return
    try:
        size = sum(p.stat().st_size for p in batch.expand(paths) if isinstance(p, Path))
    except (InvalidInput, OSError):
        return  # the import itself says what is wrong with the paths
    if size >= SPEED_NOTE_BYTES:
        for extra, names in missing.items():
            env.note(
                f"note: {', '.join(names)} not installed: pip install 'osint[{extra}]' reads "
                "large AIS files faster (several times with --bbox or --near), same results"
            )


def _ais_import_many(env, paths, options, workers, dask) -> None:
    """`osint ais import` over many files: one line per file, a total, exit 1 if any was rejected."""
    from osint.cli.progress import batch_progress
    from osint.maritime.ais import batch

    env.interrupt_note = (
        "interrupted: the files imported so far stay in the case (each is its own import), the "
        "one being written was rolled back; run the same command again to go on"
    )
    with batch_progress(env) as progress, env.case() as case:
        result = batch.import_paths(
            case, paths, options, workers=workers, dask=dask, progress=progress
        )
    imported, skipped, rejected = result["imported"], result["skipped"], result["rejected"]
    for item in rejected:
        env.error(item["reason"])
    if env.json:
        from osint.case import kinds

        spec = kinds.get("ais-import")
        env.emit_json_array(
            [
                *(
                    {"path": s["file"], "status": "imported", **spec.to_json(s["import"])}
                    for s in imported
                ),
                *(
                    {
                        "path": s["file"],
                        "status": "skipped",
                        "sha256": s["sha256"],
                        "import": s["import"],
                    }
                    for s in skipped
                ),
                *(
                    {"file": s["file"], "status": "rejected", "reason": s["reason"]}
                    for s in rejected
                ),
            ]
        )
    else:
        for summary in imported:
            row = summary["import"]
            env.print(
                f"Imported {row['filename']} ({row['layout']}): {row['rows_read']:,} rows read, "
                f"{row['rows_kept']:,} kept, {row['rows_duplicate']:,} duplicate, "
                f"{row['rows_invalid']:,} invalid, {row['rows_not_vessel']:,} not vessels, "
                f"{row['rows_no_position'] or 0:,} without position, "
                f"{row['rows_filtered']:,} filtered out; import {row['id']}"
            )
            for warning in summary["warnings"]:
                env.warn(f"{row['filename']}: {warning}")
            if row["rows_invalid"]:
                env.warn(
                    f"{row['filename']}: {row['rows_invalid']:,} invalid rows, first: "
                    + "; ".join(summary["invalid_sample"][:3])
                )
        for item in skipped:
            env.note(
                f"skipped {Path(item['file']).name}: imported before with the same filters "
                f"(import {item['import'][:8]})"
            )
        env.print(
            f"{len(imported)} files imported ("
            f"{sum(s['import']['rows_read'] for s in imported):,} rows read, "
            f"{sum(s['import']['rows_kept'] for s in imported):,} kept), {len(skipped)} skipped "
            f"as imported before, {len(rejected)} rejected"
        )
    if rejected:
        raise typer.Exit(1)


_FILTER_NAMES = {
    "bbox": "outside --bbox",
    "near": "outside --near",
    "from/to": "outside --from/--to",
    "mmsi": "other MMSIs (--mmsi)",
    "vessel": "other vessels (--vessel)",
    "mmsi/vessel": "other MMSIs (--mmsi/--vessel)",
}


def _degrees(value: float, positive: str, negative: str) -> str:
    return f"{abs(value):.3f}{positive if value >= 0 else negative}"


def ais_gaps(
    ctx: typer.Context,
    vessel: Annotated[
        list[str] | None,
        typer.Option("--vessel", metavar="V", help="Only this vessel (repeatable)."),
    ] = None,
    min_hours: Annotated[
        float, typer.Option("--min-hours", metavar="H", help="Report silences longer than this.")
    ] = 12.0,
    start: FromOpt = None,
    end: ToOpt = None,
) -> None:
    """AIS gaps: vessels silent ("dark") for longer than a threshold, where and how far they went."""
    from osint.maritime.gaps import find_gaps

    env = get_env(ctx)
    with env.case() as case, case.reading():
        rows = find_gaps(case.conn, min_hours=min_hours, vessels=vessel or [], start=start, end=end)
    env.table(
        rows,
        ["name", "mmsi", "dark_from", "dark_to", "hours", "distance_km", "implied_speed_kn"],
        empty=f"no AIS gap longer than {min_hours:g} hours",
    )


# ---- visits -----------------------------------------------------------------------------------


def visits(
    ctx: typer.Context,
    place: Annotated[
        list[str] | None, typer.Option("--place", metavar="P", help="Only this place (repeatable).")
    ] = None,
    start: FromOpt = None,
    end: ToOpt = None,
    gap: Annotated[
        float,
        typer.Option("--gap", metavar="HOURS", help="A longer silence starts a new visit."),
    ] = 48.0,
    estimate: Annotated[
        bool, typer.Option("--estimate", help="Barrels: one full load per visit at capacity.")
    ] = False,
    cap: Annotated[
        int | None,
        typer.Option("--cap", metavar="BARRELS", help="Compare the estimate with this cap."),
    ] = None,
    vessel: Annotated[
        list[str] | None,
        typer.Option("--vessel", metavar="V", help="Only this vessel (repeatable)."),
    ] = None,
    each: Annotated[bool, typer.Option("--each", help="One row per visit.")] = False,
    no_ais: Annotated[bool, typer.Option("--no-ais", help="From sightings only.")] = False,
    no_sightings: Annotated[
        bool, typer.Option("--no-sightings", help="From AIS positions only.")
    ] = False,
    record: Annotated[
        bool,
        typer.Option(
            "--record",
            help="Keep the result as a finding linked to its query and to the sightings and AIS "
            "tracks it came from.",
        ),
    ] = False,
    finding: Annotated[
        str | None, typer.Option("--finding", metavar="TEXT", help="The finding's text (--record).")
    ] = None,
) -> None:
    """Port visits per vessel and place, from sightings and AIS positions together."""
    from osint.maritime import visits as visit_lib

    env = get_env(ctx)
    if no_ais and no_sightings:
        raise typer.BadParameter("--no-ais and --no-sightings leave nothing to count")
    query = visit_lib.Query(
        place=place or [],
        start=start,
        end=end,
        gap_hours=gap,
        vessel=vessel or [],
        use_sightings=not no_sightings,
        use_ais=not no_ais,
    )
    estimate = estimate or cap is not None
    recorded = None
    with env.case() as case:
        with case.reading():
            result = visit_lib.compute(case.conn, query)
        if record:
            recorded = visit_lib.record(case, result, estimate=estimate, text=finding, cap_bbl=cap)
    totals = result.totals(estimate)
    if each:
        rows = result.each()
        env.table(
            rows,
            ["name", "place", "start", "end", "hours", "sightings", "ais_positions", "confidence"],
            empty="no visits",
        )
    else:
        rows = result.per_vessel(estimate)
        columns = ["name", "place", "visits", "first", "last", "sightings", "ais_positions"]
        if estimate:
            columns += ["capacity_bbl", "barrels"]
        env.table(rows, columns, empty="no visits")
    if not env.json and rows:
        env.note(
            f"{totals['visits']} visits by {totals['vessels']} vessels "
            f"(observations more than {gap:g} h apart start a new visit)"
        )
    if estimate and not env.json:
        env.note(f"Estimate: about {totals['barrels']:,} barrels, assuming {visit_lib.ASSUMPTION}.")
        if totals["without_capacity"]:
            env.warn(
                f"{totals['visits_without_capacity']} visits not estimated: no capacity recorded for "
                + ", ".join(totals["without_capacity"])
                + " (set it with osint edit VESSEL --set capacity_bbl=N)"
            )
        if cap:
            env.note(
                f"Against a cap of {cap:,} barrels: {totals['barrels'] / cap:.2f} times the cap."
            )
    if recorded:
        finding_row, query_row = recorded
        env.note(
            f"Recorded finding {finding_row['id']} supported by visit-query {query_row['id']} "
            "(osint show it for the sightings and AIS rows behind each visit)"
        )


# ---- exports ----------------------------------------------------------------------------------


def _selection(layer, vessel, start, end, split_hours):
    from osint.exports.gis import LAYERS, Selection

    layers = tuple(layer or LAYERS)
    for name in layers:
        if name not in LAYERS:
            raise typer.BadParameter(
                f"{name!r} is not one of: {', '.join(LAYERS)}", param_hint="--layer"
            )
    return Selection(
        layers=layers, vessels=vessel or [], start=start, end=end, split_hours=split_hours
    )


LayerOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--layer",
        metavar="L",
        help="places, sightings, tracks, events (repeatable; default all).",
    ),
]
VesselOpt = Annotated[
    list[str] | None, typer.Option("--vessel", metavar="V", help="Only this vessel (repeatable).")
]
SplitOpt = Annotated[
    float,
    typer.Option(
        "--split-hours", metavar="H", help="Break track lines at silences longer than this."
    ),
]
OutOpt = Annotated[Path, typer.Option("-o", "--output", metavar="FILE", help="The file to write.")]


def export_geojson(
    ctx: typer.Context,
    output: OutOpt,
    layer: LayerOpt = None,
    vessel: VesselOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    split_hours: SplitOpt = 6.0,
) -> None:
    """Places, sightings and AIS tracks (as lines) as GeoJSON (RFC 7946) for QGIS and others."""
    from osint.exports.gis import write_geojson

    env = get_env(ctx)
    selection = _selection(layer, vessel, start, end, split_hours)
    with env.case() as case, case.reading():
        counts = write_geojson(case.conn, output, selection)
    _exported(env, output, counts)


def export_kml(
    ctx: typer.Context,
    output: OutOpt,
    layer: LayerOpt = None,
    vessel: VesselOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    split_hours: SplitOpt = 6.0,
) -> None:
    """Places, sightings and AIS tracks as KML for Google Earth (with time stamps)."""
    from osint.exports.gis import write_kml

    env = get_env(ctx)
    selection = _selection(layer, vessel, start, end, split_hours)
    with env.case() as case, case.reading():
        counts = write_kml(case.conn, output, selection, title=case.info().get("title") or "osint")
    _exported(env, output, counts)


def export_csv(
    ctx: typer.Context,
    output: OutOpt,
    table: Annotated[
        list[str] | None,
        typer.Option(
            "--table",
            metavar="T",
            help="sightings (default), visits, visit-list, vessels, places, ais-gaps; "
            "several need -o FOLDER.",
        ),
    ] = None,
    place: Annotated[
        list[str] | None, typer.Option("--place", metavar="P", help="Visits at this place only.")
    ] = None,
    start: FromOpt = None,
    end: ToOpt = None,
    gap: Annotated[
        float,
        typer.Option(
            "--gap", metavar="HOURS", help="For visits: a longer silence starts a new visit."
        ),
    ] = 48.0,
) -> None:
    """CSV tables: sightings, visits (with the barrel estimate), vessels, places, AIS gaps."""
    from osint.exports.tables import TableOptions, export

    env = get_env(ctx)
    options = TableOptions(place=place or [], start=start, end=end, gap_hours=gap)
    with env.case() as case, case.reading():
        written = export(case.conn, output, table or [], options)
    if env.json:
        env.emit_json({name: {"file": str(p), "rows": n} for name, (p, n) in written.items()})
        return
    for name, (target, count) in written.items():
        env.print(f"Wrote {count:,} {name} rows to {target}")


def _exported(env, output: Path, counts: dict) -> None:
    if env.json:
        env.emit_json({"file": str(output), "features": counts})
        return
    summary = ", ".join(f"{n:,} {k}" for k, n in counts.items()) or "nothing"
    env.print(f"Wrote {output}: {summary}")


vessel_app.command("add")(vessel_add)
vessel_app.command("name")(vessel_name)
vessel_app.command("rename")(vessel_rename)
place_app.command("add")(place_add)
sighting_app.command("add")(sighting_add)
ais_app.command("import")(ais_import)
ais_app.command("gaps")(ais_gaps)
export_app.command("geojson")(export_geojson)
export_app.command("kml")(export_kml)
export_app.command("csv")(export_csv)
