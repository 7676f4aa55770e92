"""`osint image ...`: add (files and folders), annotate, export, similar."""

import json
from pathlib import Path
from typing import Annotated

import typer

from osint.cli import render
from osint.cli.common import get_env
from osint.cli.groups import image_app


def _json_row(row: dict, **extra) -> dict:
    from osint.case import kinds

    return {**kinds.get("image").to_json(row), **extra}


@image_app.command("add")
def image_add(
    ctx: typer.Context,
    paths: Annotated[
        list[Path], typer.Argument(metavar="PATH...", help="Image files or folders (recursive).")
    ],
    source: Annotated[
        str | None, typer.Option("--source", metavar="ID", help="The source the images come from.")
    ] = None,
    caption: Annotated[
        str | None, typer.Option("--caption", metavar="TEXT", help="A caption for each image.")
    ] = None,
    taken: Annotated[
        str | None,
        typer.Option(
            "--taken",
            metavar="DATETIME",
            help="Capture time, overriding EXIF (e.g. 2024-03-05T10:00Z).",
        ),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(
            "--at", metavar="LAT,LON", help="Where the images were taken, overriding EXIF GPS."
        ),
    ] = None,
    offset: Annotated[
        str | None,
        typer.Option(
            "--offset",
            metavar="+HH:MM",
            help="UTC offset of the camera clock, for images whose EXIF gives none.",
        ),
    ] = None,
    note: Annotated[
        str | None, typer.Option("--note", metavar="TEXT", help="A note for each image.")
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs", "-j", min=1, metavar="N", help="Worker processes (default: the cores)."
        ),
    ] = None,
    time_limit: Annotated[
        float,
        typer.Option(
            "--time-limit", min=1, metavar="SECONDS", help="Time allowed to read one file."
        ),
    ] = 30.0,
    batch_size: Annotated[
        int,
        typer.Option(
            "--batch-size",
            min=1,
            metavar="N",
            help="Files stored per transaction (a kill loses one batch).",
        ),
    ] = 32,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", "-v", help="A line for every file added or already present, too."
        ),
    ] = False,
    report_file: Annotated[
        Path | None,
        typer.Option(
            "--report",
            metavar="FILE",
            help="Write what happened to every file (JSON lines: path, result, reason, "
            "warnings, id) to FILE.",
        ),
    ] = None,
) -> None:
    """Add image files and folders: stored byte-identical with SHA-256, EXIF and a thumbnail."""
    from osint import imagery
    from osint.imagery.ingest import ADDED, PRESENT, count_files

    env = get_env(ctx)
    single = len(paths) == 1 and paths[0].is_file()
    images: list[dict] = []
    json_started = False

    def emit(row: dict) -> None:
        nonlocal json_started
        if single:
            images.append(row)
            return
        env.stdout.write(("[\n" if not json_started else ",\n") + _indent(row))
        env.stdout.flush()
        json_started = True

    progress = None
    task = None

    def say(text: str, error: bool = False, label: str = "", style: str = "") -> None:
        # Above the progress bar when both go to the terminal; otherwise to their own stream.
        # `text` is made safe here; only the label may be coloured.
        stream = env.stderr if error else env.stdout
        head = f"{render.styled(label, style, stream)} " if label else ""
        line = head + render.safe_lines(text)
        if progress is not None and (error or env.interactive):
            progress.console.print(line, markup=False, highlight=False, soft_wrap=True, emoji=False)
        else:
            print(line, file=stream)

    per_file = verbose or single
    skipped: list[tuple[str, str]] = []
    report_out = report_file.open("w", encoding="utf-8") if report_file else None

    def on_outcome(outcome) -> None:
        if report_out is not None:
            entry = {"path": str(outcome.path), "result": outcome.result, "reason": outcome.reason}
            entry["warnings"] = outcome.warnings
            entry["id"] = (outcome.record or {}).get("id")
            report_out.write(json.dumps(entry, ensure_ascii=False) + "\n")
        path = render.safe_text(outcome.path)
        if outcome.result in (ADDED, PRESENT):
            row = outcome.record
            if env.json:
                emit(_json_row(row, result=outcome.result, path=str(outcome.path)))
            elif per_file:
                what = "added  " if outcome.result == ADDED else "present"
                retracted = " (retracted)" if row.get("retracted_at") else ""
                say(f"{what} {row['id']}  {row['sha256'][:12]}  {path}{retracted}")
            if outcome.warnings:
                warnings = render.safe_text("; ".join(outcome.warnings))
                say(f"{path}: {warnings}", True, "Warning:", "warning")
        elif outcome.result == "refused":
            say(f"{path}: {render.safe_text(outcome.reason)}", True, "Refused:", "error")
        else:
            skipped.append((str(outcome.path), outcome.reason or ""))

    with env.case() as case:
        options = imagery.ingest.make_options(
            case, source=source, caption=caption, note=note, taken=taken, at=at, offset=offset
        )
        try:
            if env.stderr_interactive:
                from rich.console import Console
                from rich.progress import (
                    BarColumn,
                    MofNCompleteColumn,
                    Progress,
                    TextColumn,
                    TimeRemainingColumn,
                )

                progress = Progress(
                    TextColumn("images"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeRemainingColumn(),
                    console=Console(file=env.stderr),
                    transient=True,
                    redirect_stdout=False,
                    redirect_stderr=False,
                )
                progress.start()
                task = progress.add_task("images", total=count_files(paths))
            summary = imagery.add_images(
                case,
                paths,
                options,
                jobs=jobs,
                time_limit=time_limit,
                batch_size=batch_size,
                on_outcome=on_outcome,
                on_progress=(lambda n: progress.update(task, completed=n)) if progress else None,
            )
        except KeyboardInterrupt:
            if progress is not None:
                progress.stop()
            env.note(
                "Interrupted: the batches already stored are kept; run the same command again "
                "to add the rest (files already stored are recognised)."
            )
            raise typer.Exit(130) from None
        finally:
            if progress is not None:
                progress.stop()
    if env.json:
        if single and images:
            env.emit_json(images[0])
        elif single:
            pass
        elif json_started:
            env.stdout.write("\n]\n")
        else:
            env.stdout.write("[]\n")
    if report_out is not None:
        report_out.close()
    env.note(f"Images: {_summary_line(summary, skipped, report_file)}")
    if not summary.ok:
        raise typer.Exit(1)


SKIPS_ON_SCREEN = 10


def _summary_line(summary, skipped: list[tuple[str, str]], report_file: Path | None) -> str:
    """The counts, and every skipped file named: on screen when few, else in a file it names."""
    text = (
        f"{summary.added:,} added, {summary.present:,} already present, "
        f"{summary.warned:,} kept with warnings, {summary.refused:,} refused"
    )
    if not skipped:
        return text
    text += f"; {len(skipped):,} non-image files skipped"
    if report_file is not None:
        return f"{text} (all named in {render.safe_text(report_file)})"
    if len(skipped) <= SKIPS_ON_SCREEN:
        return f"{text}: " + ", ".join(render.safe_text(path) for path, _ in skipped)
    import tempfile

    handle, name = tempfile.mkstemp(prefix="osint-skipped-", suffix=".txt")
    with open(handle, "w", encoding="utf-8") as out:
        for path, reason in skipped:
            out.write(f"{path}\t{reason}\n")
    return f"{text} (all named in {name})"


def _indent(row: dict) -> str:
    text = json.dumps(row, ensure_ascii=False, indent=2, default=str)
    return "\n".join("  " + line for line in text.splitlines())


@image_app.command("annotate")
def image_annotate(
    ctx: typer.Context,
    image: Annotated[
        str, typer.Argument(metavar="IMAGE", help="Image id, id prefix or SHA-256 prefix.")
    ],
    boxes: Annotated[
        list[str],
        typer.Option(
            "--box", metavar="X,Y,W,H", help="A box in pixels of the upright picture (repeatable)."
        ),
    ],
    labels: Annotated[
        list[str] | None,
        typer.Option(
            "--label", metavar="TEXT", help="The label of the box given in the same position."
        ),
    ] = None,
    caption: Annotated[
        str | None, typer.Option("--caption", metavar="TEXT", help="Caption of the annotated copy.")
    ] = None,
    colour: Annotated[
        str,
        typer.Option(
            "--colour",
            "--color",
            metavar="COLOUR",
            help="red, yellow, green, blue, orange, magenta, cyan, white, black.",
        ),
    ] = "red",
) -> None:
    """Draw boxes and labels on a derived copy, linked to the original by derived-from."""
    from osint.imagery.annotate import annotate

    env = get_env(ctx)
    with env.case() as case:
        row, original, made = annotate(
            case, image, boxes, labels or [], caption=caption, colour=colour
        )
    if env.json:
        env.emit_json(
            _json_row(row, derived_from=original["id"], result="added" if made else "present")
        )
        return
    verb = "Annotated" if made else "Already annotated so"
    env.print(f"{verb}: image {row['id']}  {row['filename']}  (derived from {original['id']})")


@image_app.command("export")
def image_export(
    ctx: typer.Context,
    image: Annotated[
        str, typer.Argument(metavar="IMAGE", help="Image id, id prefix or SHA-256 prefix.")
    ],
    output: Annotated[
        Path, typer.Option("-o", "--output", metavar="FILE", help="Where to write it.")
    ],
    thumbnail: Annotated[
        bool, typer.Option("--thumbnail", help="Write the thumbnail instead of the original.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite FILE if it exists.")] = False,
) -> None:
    """Write the original bytes out, byte-identical (checked against their SHA-256)."""
    from osint import imagery

    env = get_env(ctx)
    with env.case() as case:
        row, size = imagery.export_image(case, image, output, thumbnail=thumbnail, force=force)
    sha = row["thumbnail_sha256"] if thumbnail else row["sha256"]
    if env.json:
        env.emit_json({"id": row["id"], "sha256": sha, "path": str(output), "size": size})
        return
    what = "thumbnail of image" if thumbnail else "image"
    env.print(f"Wrote {what} {row['id']} to {output} ({size:,} bytes, sha256 {sha})")


@image_app.command("similar")
def image_similar(
    ctx: typer.Context,
    image: Annotated[
        str, typer.Argument(metavar="IMAGE", help="Image id, id prefix or SHA-256 prefix.")
    ],
    max_distance: Annotated[
        int,
        typer.Option(
            "--max-distance", metavar="BITS", help="Most differing hash bits (of 64) to list."
        ),
    ] = 10,
    limit: Annotated[
        int | None, typer.Option("--limit", metavar="N", help="Show at most N images.")
    ] = None,
) -> None:
    """Visually similar images in the case (resized, recompressed or annotated copies)."""
    from osint.imagery.similar import similar

    env = get_env(ctx)
    with env.case() as case, case.reading():
        _, found = similar(case.conn, image, max_distance=max_distance, limit=limit)
    columns = ["id", "distance", "filename", "format", "width", "height", "taken", "relation"]
    rows = [
        {**r, "relation": r["relation"] or ("same bytes" if r["identical"] else "")} for r in found
    ]
    env.table(
        rows,
        columns,
        json_rows=[{k: r[k] for k in (*columns, "sha256", "identical")} for r in found],
        empty="no similar images in the case",
    )


@image_app.command("sun")
def image_sun(
    ctx: typer.Context,
    image: Annotated[
        str | None,
        typer.Argument(metavar="[IMAGE]", help="Image id or prefix (its EXIF place and time)."),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option("--at", metavar="LAT,LON", help="The place (instead of the image's)."),
    ] = None,
    when: Annotated[
        str | None,
        typer.Option(
            "--when", metavar="TIME", help="The time, with its offset (instead of the image's)."
        ),
    ] = None,
) -> None:
    """Where the sun stood when and where a picture was taken: azimuth, elevation, shadow length,
    sunrise and sunset (NOAA's solar position algorithm)."""
    from osint.imagery.checks import sun_report

    env = get_env(ctx)
    with env.case(readonly=True) as case:
        out = sun_report(case.conn, image, at, when)
    for warning in out["warnings"]:
        env.warn(warning)
    if env.json:
        env.emit_json(out)
        return
    env.print(f"At {out['lat']:.4f},{out['lon']:.4f} on {out['when']}:")
    env.print(
        f"  sun azimuth {out['azimuth']:.1f} degrees, elevation {out['elevation']:.1f} degrees "
        f"({'daylight' if out['daylight'] else 'the sun is down'})"
    )
    if out["shadow_length_per_unit_height"]:
        env.print(
            f"  a vertical object casts a shadow {out['shadow_length_per_unit_height']:.2f} times "
            f"its height, towards {out['shadow_azimuth']:.0f} degrees"
        )
    if out["polar"]:
        env.print(f"  {out['polar']}: the sun neither rises nor sets that day")
    else:
        env.print(
            f"  sunrise {out['sunrise']}, solar noon {out['solar_noon'][11:16]}, "
            f"sunset {out['sunset'][11:16]} ({out['daylight_hours']:.1f} h of daylight)"
        )


@image_app.command("shadow")
def image_shadow(
    ctx: typer.Context,
    image: Annotated[
        str | None, typer.Argument(metavar="[IMAGE]", help="Image id or prefix.")
    ] = None,
    object_line: Annotated[
        str,
        typer.Option(
            "--object", metavar="X1,Y1,X2,Y2", help="The object, from its base to its top (pixels)."
        ),
    ] = "",
    shadow_line: Annotated[
        str,
        typer.Option(
            "--shadow", metavar="X1,Y1,X2,Y2", help="Its shadow, from the base to the tip (pixels)."
        ),
    ] = "",
    north_angle: Annotated[
        float | None,
        typer.Option(
            "--north-angle",
            metavar="DEG",
            help="The bearing the picture's up direction points to (degrees from true north).",
        ),
    ] = None,
    reference: Annotated[
        str | None,
        typer.Option("--reference", metavar="X1,Y1,X2,Y2", help="A line of known direction."),
    ] = None,
    reference_azimuth: Annotated[
        float | None,
        typer.Option("--reference-azimuth", metavar="DEG", help="The true azimuth of --reference."),
    ] = None,
    at: Annotated[
        str | None, typer.Option("--at", metavar="LAT,LON", help="The place (else the image's).")
    ] = None,
    when: Annotated[
        str | None,
        typer.Option(
            "--when", metavar="TIME", help="The time (else the image's), with its offset."
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o", "--output", metavar="FILE.geojson", help="Write the band of places as GeoJSON."
        ),
    ] = None,
    elevation_tolerance: Annotated[
        float,
        typer.Option("--elevation-tolerance", metavar="DEG", help="How far the sun may differ."),
    ] = 1.0,
    azimuth_tolerance: Annotated[
        float,
        typer.Option(
            "--azimuth-tolerance", metavar="DEG", help="How far its direction may differ."
        ),
    ] = 5.0,
    step: Annotated[
        float, typer.Option("--step", metavar="DEG", help="Grid step of the band of places.")
    ] = 1.0,
    record: Annotated[
        bool,
        typer.Option(
            "--record",
            help="Keep the reading as a record derived from the image (and in the brief).",
        ),
    ] = False,
) -> None:
    """From an object and its shadow drawn on a picture: the sun that cast it, the times of that
    day it fits the place, and the band of places where it fits the time (as GeoJSON)."""
    from osint.imagery.checks import record_shadow, shadow_report

    env = get_env(ctx)
    if record and not image:
        raise typer.BadParameter("--record keeps the reading with an image: name the IMAGE")
    with env.case(readonly=True) as case:
        out, cells = shadow_report(
            case.conn,
            image,
            object_line,
            shadow_line,
            north_angle=north_angle,
            reference=reference,
            reference_azimuth=reference_azimuth,
            at=at,
            when=when,
            elevation_tolerance=elevation_tolerance,
            azimuth_tolerance=azimuth_tolerance,
            step=step,
        )
    for warning in out["warnings"]:
        env.warn(warning)
    if output is not None and out["band"] is not None:
        from osint.imagery.shadow import write_band

        write_band(output, cells, out)
        out["band"]["file"] = str(output)
    if record and out["image"]:
        with env.case() as case:
            out["record"] = record_shadow(case, out["image"], out, cells, step)["id"]
    if env.json:
        env.emit_json(out)
        return
    env.print(
        f"Shadow {out['shadow_length_per_unit_height']:.2f} times the object's height: the sun "
        f"stood {out['sun_elevation']:.1f} degrees high"
        + (f", at azimuth {out['sun_azimuth']:.1f}" if out["sun_azimuth"] is not None else "")
    )
    fit = out["times_of_day"]
    if fit is not None:
        if not fit["windows"]:
            env.print(
                f"At {fit['lat']:.4f},{fit['lon']:.4f} no time of that day casts such a shadow"
            )
        for w in fit["windows"]:
            env.print(f"  fits at the place from {w['start']} to {w['end']} (best {w['best']})")
        env.print(
            "  the picture's time "
            + ("fits" if fit["claimed_time_fits"] else "does NOT fit")
            + " a shadow like this"
        )
    if out["band"] is not None:
        where = f", written to {output}" if output else " (-o FILE.geojson to write them)"
        env.print(f"  {out['band']['cells']:,} grid cells on Earth fit at that time{where}")
    else:
        env.print("  give the place and time (an IMAGE, or --at and --when) to place it")
    if out.get("record"):
        env.print(f"  kept as {out['record'][:8]}")


@image_app.command("check")
def image_check(
    ctx: typer.Context,
    image: Annotated[str, typer.Argument(metavar="IMAGE", help="Image id or prefix.")],
    radius_km: Annotated[
        float,
        typer.Option("--radius-km", metavar="KM", help="How far from a sighting's place is fine."),
    ] = 5.0,
    window_h: Annotated[
        float,
        typer.Option("--window-h", metavar="H", help="How far from a sighting's time is fine."),
    ] = 2.0,
    duplicate_bits: Annotated[
        int,
        typer.Option(
            "--duplicate-bits",
            metavar="BITS",
            help="Pictures at most this many hash bits apart count as the same picture.",
        ),
    ] = 3,
    record: Annotated[
        bool, typer.Option("--record", help="Keep the result as a record derived from the image.")
    ] = False,
) -> None:
    """Every consistency check osint can run on a picture: its place and time against the
    sightings it shows, daylight, footprint, camera clock, earlier near-duplicates."""
    from osint.imagery.checks import check_image, record_check

    env = get_env(ctx)
    with env.case(readonly=not record) as case:
        result = check_image(
            case.conn, image, radius_km=radius_km, window_h=window_h, duplicate_bits=duplicate_bits
        )
        if record:
            result["record"] = record_check(case, result)["id"]
    if env.json:
        env.emit_json(result)
        return
    env.table(result["checks"], ["check", "result", "detail"], empty="no checks")
    summary = result["summary"]
    env.print(
        f"{summary['pass']} passed, {summary['fail']} failed, {summary['unknown']} unknown"
        + (f"; kept as {result['record'][:8]}" if record else "")
    )
