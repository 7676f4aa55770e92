"""Commands for maritime behaviour: `ais encounters`, `ais loitering`, `ais anomalies`,
`ais dark` and `sightings check` (typer wiring over osint.maritime.events)."""

from __future__ import annotations

from typing import Annotated

import typer

from osint.cli.common import get_env
from osint.cli.groups import group
from osint.cli.maritime_cmds import FromOpt, ToOpt, ais_app

sightings_app = group("Sightings checked against the vessels' AIS.", ["check"])

VesselOpt = Annotated[
    list[str] | None, typer.Option("--vessel", metavar="V", help="Only this vessel (repeatable).")
]
RecordOpt = Annotated[
    bool,
    typer.Option(
        "--record",
        help="Keep the query and its result as a finding citing the AIS imports and parameters.",
    ),
]
FindingOpt = Annotated[
    str | None, typer.Option("--finding", metavar="TEXT", help="The finding's text (--record).")
]
SpeedOpt = Annotated[
    float,
    typer.Option("--max-speed-kn", metavar="KN", help="Slow: at most this speed (knots)."),
]
PlaceDistOpt = Annotated[
    float,
    typer.Option(
        "--min-place-distance-km",
        metavar="KM",
        help="At sea: at least this far from the edge of every recorded place.",
    ),
]
ReportedOpt = Annotated[
    bool,
    typer.Option(
        "--reported-speed",
        help="Use the speed over ground the ships reported instead of the speed their positions "
        "imply (slower on large cases: reads every row).",
    ),
]
StepOpt = Annotated[
    float,
    typer.Option("--step-min", metavar="MIN", help="Tracks are compared every this many minutes."),
]
InterpOpt = Annotated[
    float,
    typer.Option(
        "--max-interp-h",
        metavar="H",
        help="Never interpolate across a silence longer than this (hours).",
    ),
]


def _finish(env, kind: str, rows: list[dict], params: dict, rule: str, columns, empty, record,
            finding, case, unavailable=None) -> None:  # fmt: skip
    recorded = None
    if record:
        from osint.maritime.events import record as record_lib

        recorded = record_lib.record(
            case, kind, rows, params, rule, text=finding, unavailable=unavailable
        )
    for what, why in (unavailable or {}).items():
        env.warn(f"{what}: {why}")
    env.table([_flat(r) for r in rows], columns, json_rows=rows, empty=empty)
    if not env.json:
        env.note(f"Rule: {rule}")
        env.note("Parameters: " + ", ".join(f"{k}={v}" for k, v in params.items() if v is not None))
    if recorded:
        finding_row, query_row = recorded
        env.note(f"Recorded finding {finding_row['id']} supported by event-query {query_row['id']}")


def _flat(row: dict) -> dict:
    out = dict(row)
    for key in ("vessel_a", "vessel_b", "vessel"):
        if isinstance(row.get(key), dict):
            out[key] = row[key].get("name") or row[key].get("mmsi")
    for key in ("encounters", "dark_partners"):
        if isinstance(row.get(key), list):
            out[key] = len(row[key])
    if "sighting" in row:
        out["sighting"] = row["sighting"][:8]
        nearest = row.get("nearest") or {}
        out["nearest_time"] = nearest.get("time")
        out["hours_off"] = nearest.get("hours_from_sighting")
        out["km_off"] = nearest.get("distance_km")
    return out


def encounters(
    ctx: typer.Context,
    max_distance_m: Annotated[
        float,
        typer.Option("--max-distance-m", metavar="M", help="Close: at most this far apart."),
    ] = 500.0,
    min_hours: Annotated[
        float, typer.Option("--min-hours", metavar="H", help="Close for at least this long.")
    ] = 2.0,
    max_speed_kn: SpeedOpt = 2.0,
    min_place_distance_km: PlaceDistOpt = 10.0,
    step_min: StepOpt = 10.0,
    max_interp_h: InterpOpt = 1.0,
    reported_speed: ReportedOpt = False,
    vessel: VesselOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    record: RecordOpt = False,
    finding: FindingOpt = None,
) -> None:
    """Ship-to-ship encounters: two vessels that stayed close at low speed, at sea."""
    from osint.maritime.events import encounters as lib

    env = get_env(ctx)
    params = lib.Params(
        max_distance_m=max_distance_m,
        min_hours=min_hours,
        max_speed_kn=max_speed_kn,
        min_place_distance_km=min_place_distance_km,
        step_min=step_min,
        max_interp_h=max_interp_h,
        reported_speed=reported_speed,
        vessel=vessel or [],
        start=start,
        end=end,
    )
    with env.case() as case:
        with case.reading():
            rows = lib.find(case.conn, params)
        _finish(
            env, "encounters", rows, params.values(), params.rule(),
            ["vessel_a", "vessel_b", "start", "end", "hours", "median_distance_m", "lat", "lon",
             "nearest_place", "nearest_place_km"],
            "no encounters", record, finding, case,
        )  # fmt: skip


def loitering(
    ctx: typer.Context,
    max_speed_kn: SpeedOpt = 2.0,
    min_hours: Annotated[
        float, typer.Option("--min-hours", metavar="H", help="Slow for at least this long.")
    ] = 4.0,
    min_place_distance_km: PlaceDistOpt = 10.0,
    step_min: StepOpt = 10.0,
    max_interp_h: InterpOpt = 1.0,
    reported_speed: ReportedOpt = False,
    encounter_distance_m: Annotated[
        float,
        typer.Option(
            "--encounter-distance-m", metavar="M", help="Overlapping encounters: this close."
        ),
    ] = 500.0,
    encounter_min_hours: Annotated[
        float,
        typer.Option(
            "--encounter-min-hours", metavar="H", help="Overlapping encounters: this long."
        ),
    ] = 2.0,
    partner_radius_km: Annotated[
        float,
        typer.Option(
            "--partner-radius-km",
            metavar="KM",
            help="Dark partners: another vessel went silent within this distance.",
        ),
    ] = 50.0,
    partner_min_gap_h: Annotated[
        float,
        typer.Option(
            "--partner-min-gap-h", metavar="H", help="Dark partners: silent at least this long."
        ),
    ] = 2.0,
    vessel: VesselOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    record: RecordOpt = False,
    finding: FindingOpt = None,
) -> None:
    """Loitering: one vessel slow or drifting at sea, with overlapping encounters and possible
    dark partners."""
    from osint.maritime.events import loitering as lib

    env = get_env(ctx)
    params = lib.Params(
        max_speed_kn=max_speed_kn,
        min_hours=min_hours,
        min_place_distance_km=min_place_distance_km,
        step_min=step_min,
        max_interp_h=max_interp_h,
        reported_speed=reported_speed,
        encounter_distance_m=encounter_distance_m,
        encounter_min_hours=encounter_min_hours,
        partner_radius_km=partner_radius_km,
        partner_min_gap_h=partner_min_gap_h,
        vessel=vessel or [],
        start=start,
        end=end,
    )
    with env.case() as case:
        with case.reading():
            rows = lib.find(case.conn, params)
        _finish(
            env, "loitering", rows, params.values(), params.rule(),
            ["vessel", "start", "end", "hours", "lat", "lon", "mean_speed_kn", "encounters",
             "dark_partners", "nearest_place_km"],
            "no loitering", record, finding, case,
        )  # fmt: skip


def anomalies(
    ctx: typer.Context,
    max_speed_kn: Annotated[
        float,
        typer.Option("--max-speed-kn", metavar="KN", help="A jump faster than this is impossible."),
    ] = 50.0,
    min_jump_km: Annotated[
        float,
        typer.Option("--min-jump-km", metavar="KM", help="Ignore jumps shorter than this."),
    ] = 1.0,
    min_track_reports: Annotated[
        int,
        typer.Option(
            "--min-track-reports",
            metavar="N",
            help="Two places at once: each track has at least this many reports.",
        ),
    ] = 3,
    land_margin_km: Annotated[
        float,
        typer.Option(
            "--land-margin-km",
            metavar="KM",
            help="Positions on land count this far from recorded places.",
        ),
    ] = 1.0,
    land_episode_h: Annotated[
        float,
        typer.Option(
            "--land-episode-h",
            metavar="H",
            help="Reports on land less than this apart are one episode.",
        ),
    ] = 1.0,
    no_land: Annotated[
        bool, typer.Option("--no-land", help="Do not check positions against the land mask.")
    ] = False,
    vessel: VesselOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    record: RecordOpt = False,
    finding: FindingOpt = None,
) -> None:
    """AIS anomalies: impossible jumps, one MMSI in two places, identity changes, flag vs MID,
    positions on land."""
    from osint.maritime.events import anomalies as lib

    env = get_env(ctx)
    params = lib.Params(
        max_speed_kn=max_speed_kn,
        min_jump_km=min_jump_km,
        min_track_reports=min_track_reports,
        land_margin_km=land_margin_km,
        land_episode_h=land_episode_h,
        land=not no_land,
        vessel=vessel or [],
        start=start,
        end=end,
    )
    with env.case() as case:
        with case.reading():
            result = lib.find(case.conn, params)
        _finish(
            env, "anomalies", result.rows, params.values(), params.rule(),
            ["vessel", "kind", "when", "lat", "lon", "reason"],
            "no anomalies", record, finding, case, unavailable=result.unavailable,
        )  # fmt: skip


def dark(
    ctx: typer.Context,
    min_hours: Annotated[
        float, typer.Option("--min-hours", metavar="H", help="Silent for at least this long.")
    ] = 12.0,
    min_place_distance_km: PlaceDistOpt = 10.0,
    density_window_h: Annotated[
        float,
        typer.Option(
            "--density-window-h",
            metavar="H",
            help="Data density: reports counted this long before and after the silence.",
        ),
    ] = 12.0,
    expected_per_hour: Annotated[
        float,
        typer.Option(
            "--expected-per-hour", metavar="N", help="Data density: reports an hour in coverage."
        ),
    ] = 6.0,
    min_density: Annotated[
        float,
        typer.Option(
            "--min-density",
            metavar="X",
            help="Below this density (0-1) a silence is a possible coverage gap.",
        ),
    ] = 0.5,
    include_all: Annotated[
        bool,
        typer.Option("--all", help="Also list silences near places or with low data density."),
    ] = False,
    vessel: VesselOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    record: RecordOpt = False,
    finding: FindingOpt = None,
) -> None:
    """Dark activity: AIS silences at sea that look like a transponder switched off."""
    from osint.maritime.events import dark as lib

    env = get_env(ctx)
    params = lib.Params(
        min_hours=min_hours,
        min_place_distance_km=min_place_distance_km,
        density_window_h=density_window_h,
        expected_per_hour=expected_per_hour,
        min_density=min_density,
        include_all=include_all,
        vessel=vessel or [],
        start=start,
        end=end,
    )
    with env.case() as case:
        with case.reading():
            rows = lib.find(case.conn, params)
        _finish(
            env, "dark", rows, params.values(), params.rule(),
            ["vessel", "start", "end", "hours", "distance_km", "density", "status"],
            "no dark activity", record, finding, case,
        )  # fmt: skip


def sightings_check(
    ctx: typer.Context,
    window_h: Annotated[
        float,
        typer.Option("--window-h", metavar="H", help="AIS reports this close in time count."),
    ] = 6.0,
    radius_km: Annotated[
        float,
        typer.Option("--radius-km", metavar="KM", help="AIS this close to the sighting agrees."),
    ] = 10.0,
    vessel: VesselOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    record: RecordOpt = False,
    finding: FindingOpt = None,
) -> None:
    """Every sighting against the vessel's AIS: consistent, dark, elsewhere, no AIS held."""
    from osint.maritime.events import sightings_check as lib

    env = get_env(ctx)
    params = lib.Params(
        window_h=window_h, radius_km=radius_km, vessel=vessel or [], start=start, end=end
    )
    with env.case() as case:
        with case.reading():
            rows = lib.check(case.conn, params)
        _finish(
            env, "sightings-check", rows, params.values(), params.rule(),
            ["sighting", "vessel", "when", "status", "nearest_time", "hours_off", "km_off"],
            "no sightings with a vessel", record, finding, case,
        )  # fmt: skip


ais_app.command("encounters")(encounters)
ais_app.command("loitering")(loitering)
ais_app.command("anomalies")(anomalies)
ais_app.command("dark")(dark)
sightings_app.command("check")(sightings_check)
