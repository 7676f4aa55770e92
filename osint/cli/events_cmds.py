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
            finding, case) -> None:  # fmt: skip
    recorded = None
    if record:
        from osint.maritime.events import record as record_lib

        recorded = record_lib.record(case, kind, rows, params, rule, text=finding)
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


ais_app.command("encounters")(encounters)
app_commands = {"encounters": encounters}
